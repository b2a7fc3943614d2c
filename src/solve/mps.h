/* Internal: matrix-product operators built from sums of product terms, and the lowest
 * eigenstates of such an operator by two-site DMRG (docs/physics.md, "Matrix-product states"). */
#ifndef QPSIM_SOLVE_MPS_H
#define QPSIM_SOLVE_MPS_H

#include "qpsim/diag.h"

#include <complex.h>
#include <stddef.h>

/* coef * (product over k of f[k] acting on site site[k]), plus its Hermitian conjugate when
 * herm is set; identity on every other site (nf = 0: coef times the identity). f[k] holds
 * d[site[k]]^2 values, row-major: <s|f|t> = f[k][s * d + t]. Sites ascending. */
typedef struct {
    double complex coef;
    int herm;
    size_t nf;
    const size_t *site;
    const double complex *const *f;
} qp_mpo_term;

/* sum over a,b,... of W0[1,a] W1[a,b] ... : W[s] holds w[s] x d[s] x d[s] x w[s+1] values,
 * W[s][((a * d + s') * d + t) * w[s+1] + b] = <s'| W_ab |t>; w[0] = w[n] = 1. */
typedef struct {
    size_t n;
    size_t *d, *w;
    double complex **W;
} qp_mpo;

/* The MPO of the sum of the terms, compressed bond by bond (SVD in canonical form) dropping
 * singular values below eps times the largest at that bond (eps = 0: only exact zeros). Terms
 * are added in batches and compressed between them, so the uncompressed direct sum is never
 * stored. *out is written only on success; free it with qp_mpo_free. QP_ERR_NOMEM,
 * QP_ERR_NUMERIC (an SVD failed), QP_ERR_USAGE (a site out of range or not ascending). */
qp_status qp_mpo_build(size_t n, const size_t *d, const qp_mpo_term *t, size_t nterm,
                       double eps, qp_mpo *out);
void qp_mpo_free(qp_mpo *M); /* zeroes *M; NULL is fine */

/* The operator as a dense matrix (prod d rows, row-major, site 0 the slowest index) into H,
 * which the caller sizes; for tests and small chains. */
void qp_mpo_dense(const qp_mpo *M, double complex *H);

typedef struct {
    int nstates;       /* lowest states wanted (state-averaged: one basis for all of them) */
    size_t max_bond;   /* bond dimension D kept at most */
    int max_sweeps;    /* pairs of sweeps (left to right and back) at most */
    double sweep_tol;  /* stop when no level changes more than this over a sweep pair */
    double solve_tol;  /* Davidson residual norm at which a two-site problem is solved */
} qp_dmrg_opts;

typedef struct {
    int sweeps;        /* sweep pairs done */
    size_t bond;       /* largest bond dimension used */
    double change;     /* largest change of a level over the last sweep pair */
    double discarded;  /* largest discarded density-matrix weight of the last sweep pair */
    int converged;     /* change <= sweep_tol */
} qp_dmrg_info;

/* The two-site block (states of one Davidson vector) and the bytes a DMRG of H at bond D with
 * k states needs at most: environments, the MPS and the Davidson subspace. */
size_t qp_dmrg_block(const qp_mpo *H, size_t D);
double qp_dmrg_bytes(const qp_mpo *H, size_t D, int k);

/* The o->nstates lowest eigenvalues of H (ascending, into E) by two-site DMRG from a
 * deterministic start; info may be NULL. QP_ERR_NUMERIC (a LAPACK failure, or no convergence of
 * a two-site problem, message in err), QP_ERR_NOMEM, QP_ERR_USAGE (n < 2, nstates < 1). The
 * sums never depend on the number of threads (one-threaded BLAS, as the program runs it). */
qp_status qp_dmrg_lowest(const qp_mpo *H, const qp_dmrg_opts *o, double *E, qp_dmrg_info *info,
                         char *err, size_t errlen);

#endif
