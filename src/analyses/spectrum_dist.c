/* An exact spectrum on several processes: the Kronecker terms split along the slowest mode, each
 * process's local operator and PARPACK over the run's communicator (docs/scale.md). */
#include "analyses/spectrum_dist.h"

#include "operators/kron_split.h"
#include "solve/pareig.h"

#include <stdio.h>

/* As MATFREE_BYTES_PER_STATE of spectrum.c: the operator's work vectors and diagonal, 80 bytes
 * per state of the extended rows, and PARPACK's resid, workd (3) and basis (ncv), 16 bytes per
 * state each at most (complex). */
double qp_spectrum_distributed_bytes(const qp_kron *K, int nproc, int nev)
{
    size_t lo, hi, w = qp_kron_halo(K), S = K->nslot ? K->stride[0] : 1;
    qp_kron_split_range(K, nproc, 0, &lo, &hi); /* process 0 has the most slices */
    double own = (double)((hi - lo) * S), ext = (double)((hi - lo + 2 * w) * S);
    double ncv = 2.0 * nev + 1.0 > 20.0 ? 2.0 * nev + 1.0 : 20.0;
    return ext * (80.0 + 32.0) + own * 16.0 * (ncv + 4.0);
}

qp_status qp_spectrum_distributed(const qp_kron *K, const qp_dist *dist, const qp_eig_opts *eo,
                                  double *E, qp_eig_info *info, char *err, size_t errlen)
{
    size_t lo, hi, w = qp_kron_halo(K), S = K->nslot ? K->stride[0] : 1;
    size_t d0 = K->nslot ? K->dims[0] : 1;
    qp_kron_split_range(K, dist->size, dist->rank, &lo, &hi);
    if (d0 < (size_t)dist->size) { /* the same answer on every process: nobody enters PARPACK */
        snprintf(err, errlen, "the slowest mode has %zu states, fewer than the %d processes "
                 "that would share them", d0, dist->size);
        return QP_ERR_USAGE;
    }
    size_t elo = lo > w ? lo - w : 0, ehi = hi + w < d0 ? hi + w : d0;
    qp_kron L;
    qp_kron_op op = {0};
    qp_linop A;
    qp_status st = qp_kron_local(K, lo, hi, elo, ehi, &L);
    if (st == QP_OK) {
        st = qp_kron_linop(&L, &op, &A);
    }
    if (st == QP_OK) {
        A.norm1 = qp_kron_norm_bound(K); /* the whole operator's, the same on every process */
    }
    qp_eig_dist D = {dist->fcomm, lo * S, hi * S, elo * S, ehi * S, st == QP_OK ? &A : NULL};
    st = qp_eig_lowest_dist(&D, eo, E, info, err, errlen); /* (collective even after a failure) */
    qp_kron_op_free(&op);
    qp_kron_free(&L);
    return st;
}
