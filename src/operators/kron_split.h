/* Internal: a Kronecker-sum operator split over processes along its slowest slot (slot 0): each
 * process owns a run of slot-0 slices and applies a local operator on them and the few slices
 * its slot-0 factors reach (the halo), docs/scale.md. */
#ifndef QPSIM_OPERATORS_KRON_SPLIT_H
#define QPSIM_OPERATORS_KRON_SPLIT_H

#include "operators/kron.h"

/* The slot-0 slices [*lo, *hi) of process q of nproc: the slices dealt in order, the first
 * dims[0] % nproc processes one more. Empty when dims[0] < nproc and q >= dims[0]. */
void qp_kron_split_range(const qp_kron *K, int nproc, int q, size_t *lo, size_t *hi);

/* The halo: the largest |row - col| over the slot-0 factors of K's terms (0 without any), i.e.
 * how many slices beyond its own a process reads. */
size_t qp_kron_halo(const qp_kron *K);

/* L: K restricted to the slices [elo, ehi) (slot 0 of size ehi - elo, the other slots as in K),
 * exact on the rows of the owned slices [lo, hi) (elo <= lo <= hi <= ehi) when the halo fits in
 * [elo, ehi): slot-0 factors keep their entries of owned rows only, and a Hermitian term with one
 * is written as the term and its adjoint. The other rows of L x are not K x. QP_ERR_NOMEM; L is
 * released with qp_kron_free whatever this returns. */
qp_status qp_kron_local(const qp_kron *K, size_t lo, size_t hi, size_t elo, size_t ehi,
                        qp_kron *L);

#endif
