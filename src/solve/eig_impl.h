/* Internal: the per-call state of qp_eig_lowest and what the files of the eigensolver share. */
#ifndef QPSIM_SOLVE_EIG_IMPL_H
#define QPSIM_SOLVE_EIG_IMPL_H

#include "qpsim/eig.h"

#include <cholmod.h>

#include <stddef.h>

#define QP_EIG_HERMITIAN_RTOL 1e-12 /* allowed |H(i,j) - conj(H(j,i))|, relative to ||H||_1 */

/* Everything one call of qp_eig_lowest needs; lives on its stack (no global state). */
typedef struct {
    const qp_sparse *H;  /* the matrix, or NULL for ... */
    const qp_linop *A;   /* ... an operator known by its product, or ... */
    const double *D;     /* ... a dense column-major matrix, interleaved complex */
    size_t n;
    int cplx;     /* H has an imaginary part */
    double norm1; /* ||H||_1 = max column sum of |H(i,j)| */
    double gersh; /* Gershgorin lower bound of the spectrum */
    int nev, ncv, maxiter;
    double tol;
    const qp_eig_opts *o;
    qp_eig_info info;
    char *err;
    size_t errlen;
} qp_eig_solver;

/* ---- sparse.c: messages, allocation, the input check and the vector kernels */

/* Formats the error message into s->err (when the caller gave one); never prints. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void qp_eig_fail(qp_eig_solver *s, const char *fmt, ...);

/* malloc of count * size bytes with the product checked; never a zero-size request. NULL on
 * overflow or when out of memory; the caller frees. */
void *qp_eig_alloc_n(size_t count, size_t size);

/* a * b, or SIZE_MAX when that overflows (then qp_eig_alloc_n fails). */
size_t qp_eig_mul_sat(size_t a, size_t b);

/* Structure, finiteness and Hermiticity of s->H; fills s->norm1 and s->gersh. QP_ERR_USAGE with
 * a message (0-based indices) when H is malformed. */
qp_status qp_eig_check_matrix(qp_eig_solver *s);

/* The same checks on the dense s->D (dense.c). */
qp_status qp_eig_check_dense(qp_eig_solver *s);

/* y = (H + shift I) x: real symmetric H on real vectors (_r), or any H on interleaved complex
 * vectors of 2n doubles (_c). x and y must not overlap. Each y_j is one sequential sum. */
void qp_sparse_spmv_r(const qp_sparse *H, double shift, const double *x, double *y);
void qp_sparse_spmv_c(const qp_sparse *H, double shift, const double *x, double *y);

/* y = (H + shift I) x for the solver's matrix or operator, on interleaved complex vectors (cplx
 * set) or real ones (only for a real H). */
void qp_eig_matvec(const qp_eig_solver *s, double shift, int cplx, const double *x, double *y);

/* Sequential BLAS-like kernels (fixed order, so results never depend on a library): real
 * vectors of len doubles, complex ones of n interleaved (re, im) values. */
double qp_eig_ddot(size_t len, const double *x, const double *y);    /* x . y */
void qp_eig_daxpy(size_t len, double a, const double *x, double *y); /* y += a x */
/* x^H y into (*re, *im) */
void qp_eig_zdot(size_t n, const double *x, const double *y, double *re, double *im);
double qp_eig_znrm(size_t n, const double *x);                                /* ||x||_2 */
void qp_eig_zsub(size_t n, double cr, double ci, const double *x, double *y); /* y -= (cr+i ci) x */

/* ---- dense.c */

/* The lowest nev eigenvalues of a small dense problem without vectors: LAPACK's reduction to
 * tridiagonal form (dsytrd / zhetrd), then qp_eig_tridiag_lowest; a matrix whose norm dsyevr
 * would scale (below 1e-100 or above 1e76) goes to dsyevr / zheevr with jobz 'N' and range 'A'
 * (every eigenvalue by dsterf's root-free QR). The reduction is backward stable (the values are
 * exact for H + E, ||E|| ~ eps ||H||) and so is the Sturm count, so no residual is computed:
 * info.max_residual is NaN. Sets s->info.nconv. */
qp_status qp_eig_dense_values(qp_eig_solver *s, double *vals);

/* Lowest s->nev pairs by LAPACK on the full matrix: values into vals[nev], vectors into V
 * (n x nev, interleaved complex). Sets s->info.nconv. */
qp_status qp_eig_dense_solve(qp_eig_solver *s, double *vals, double *V);

/* ---- tridiag.c */

/* The lowest nev (1 <= nev <= n) eigenvalues of the real symmetric tridiagonal matrix with
 * diagonal d (n) and off-diagonal e (n - 1), ascending, into w: bisection on Sturm counts as
 * LAPACK's dstebz does it with abstol 0 (to an ulp of the largest Gershgorin bound, 2 ulp of the
 * value or the pivot guard, whichever is largest), eight values at once; every value is the same whatever nev is. The entries must be
 * finite and e^2 must not overflow. No allocation. */
void qp_eig_tridiag_lowest(size_t n, const double *d, const double *e, int nev, double *w);

/* ---- factor.c: CHOLMOD factor of H - sigma I */

typedef struct {
    cholmod_common c;
    cholmod_sparse *A; /* lower triangle of H (stype -1), real or complex interleaved */
    cholmod_factor *L;
    cholmod_dense *X, *Y, *E; /* cholmod_l_solve2 workspace, reused across solves */
    double *work;             /* 2n real / 2n complex values for the supernodal solves */
    qp_eig_cache *cache;      /* where the symbolic analysis goes back to (may be NULL) */
    size_t n;
    int cplx, started;
} qp_eig_factor;

/* CHOLMOD's status code in words (a static string). */
const char *qp_eig_cholmod_status(int status);

/* Copies the lower triangle of s->H into *f and analyzes it, or takes the analysis from
 * s->o->cache (sets s->info.reused_analysis). The caller calls qp_eig_factor_free(f) whatever
 * this returns; on failure a message is in s->err. */
qp_status qp_eig_factor_init(qp_eig_solver *s, qp_eig_factor *f);

/* Factorizes H - sigma I. Returns 0 on success, 1 when it is not positive definite (sigma is not
 * below the spectrum), -1 on any other CHOLMOD failure (f->c.status tells which). */
int qp_eig_factor_shift(qp_eig_factor *f, double sigma);

/* y = (H - sigma I)^-1 x with the current factor; x and y hold n real or complex values.
 * Returns 0, or -1 when CHOLMOD fails. */
int qp_eig_factor_solve(qp_eig_factor *f, double *x, double *y);

/* Hands the symbolic analysis to the cache (when there is one) and frees the rest. */
void qp_eig_factor_free(qp_eig_factor *f);

/* ---- arpack.c: the ARPACK paths. Both put the k <= nev converged Ritz vectors into V (n x nev,
 * interleaved complex) and fill s->info (used, iterations, nconv, sigma, ...). */

/* Plain Lanczos on H (ARPACK mode 1). */
qp_status qp_eig_lanczos(qp_eig_solver *s, double *V, int *k);

/* Shift-invert on (H - sigma I)^-1 (ARPACK mode 3) with a CHOLMOD factor; *fact_failed tells
 * that no factorization could be used (AUTO then falls back to Lanczos). */
qp_status qp_eig_shift_invert(qp_eig_solver *s, double *V, int *k, int *fact_failed);

/* ---- ritz.c */

/* Orthonormalizes the k columns of V, then diagonalizes V^H H V and rotates V onto its
 * eigenvectors; vals[k] come out ascending. */
qp_status qp_eig_rayleigh_ritz(qp_eig_solver *s, double *V, int k, double *vals);

/* Residuals of the first nev pairs into s->info.max_residual (the worst one's index into
 * *worst_j) and the phase convention on V. QP_ERR_NOMEM is the only failure. */
qp_status qp_eig_residuals(qp_eig_solver *s, double *V, const double *vals, int *worst_j);

#endif
