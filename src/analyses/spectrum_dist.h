/* Internal: an exact spectrum whose matrix-free Lanczos runs on several processes. */
#ifndef QPSIM_ANALYSES_SPECTRUM_DIST_H
#define QPSIM_ANALYSES_SPECTRUM_DIST_H

#include "operators/kron.h"
#include "qpsim/dist.h"

/* Collective over dist's processes (each with the same K): the lowest eo->nev levels of K into
 * E, its slot-0 slices split between the processes (operators/kron_split.h), by PARPACK
 * (solve/pareig.h). Errors as qp_eig_lowest_dist, with err set. */
qp_status qp_spectrum_distributed(const qp_kron *K, const qp_dist *dist, const qp_eig_opts *eo,
                                  double *E, qp_eig_info *info, char *err, size_t errlen);

/* Bytes per process of that solve: its slices and their halo in the operator's work vectors,
 * and its rows of the Lanczos basis. */
double qp_spectrum_distributed_bytes(const qp_kron *K, int nproc, int nev);

#endif
