/* Internal: the lowest eigenvalues of a Hermitian operator whose vectors are split over the
 * processes of an MPI communicator by contiguous rows (PARPACK), docs/scale.md. */
#ifndef QPSIM_SOLVE_PAREIG_H
#define QPSIM_SOLVE_PAREIG_H

#include "qpsim/eig.h"

/* This process's part: it owns the global rows [lo, hi) and applies A on the extended rows
 * [elo, ehi) (elo <= lo <= hi <= ehi; A->n == ehi - elo), of which only the owned rows of the
 * product are used; the other rows of its input come from the processes owning them. A->norm1
 * and A->cplx must be those of the whole operator (the same on every process). */
typedef struct {
    int fcomm;          /* the communicator's Fortran handle (MPI_Fint) */
    size_t lo, hi, elo, ehi;
    const qp_linop *A;  /* NULL: this process could not set up its part (out of memory) */
} qp_eig_dist;

/* Collective over the communicator: the lowest o->nev eigenvalues (ascending, the same on every
 * process) by PARPACK pdsaupd ("SA") for a real operator or pznaupd ("SR") for a complex one, on
 * A + 2 norm1 I (as qp_eig_lowest_op) from a start vector that depends only on the global row
 * (the same whatever the number of processes); eigenvalues only (no vectors, no residual test:
 * info->max_residual is 0). Fails on every process when one could not set up its part.
 * QP_ERR_USAGE with a message in a build without PARPACK. */
qp_status qp_eig_lowest_dist(const qp_eig_dist *D, const qp_eig_opts *o, double *evals,
                             qp_eig_info *info, char *err, size_t errlen);

/* 1 when this build has PARPACK (and MPI), else 0. */
int qp_eig_have_dist(void);

#endif
