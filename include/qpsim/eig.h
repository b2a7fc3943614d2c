/* Lowest eigenpairs of sparse Hermitian matrices: dense LAPACK, ARPACK Lanczos, shift-invert. */
#ifndef QPSIM_EIG_H
#define QPSIM_EIG_H

#include "qpsim/diag.h"

#include <stddef.h>

/* Sparse Hermitian matrix in compressed sparse column form holding BOTH triangles.
 * Entry k of column j is H(rowind[k], j) = re[k] + i im[k], for colptr[j] <= k < colptr[j+1]. */
typedef struct {
    size_t n, nnz;
    size_t *colptr; /* n+1 */
    size_t *rowind; /* nnz, sorted within each column, no duplicates */
    double *re;     /* nnz */
    double *im;     /* nnz, or NULL when the matrix is real symmetric */
} qp_sparse;

typedef enum {
    QP_EIG_AUTO,         /* dense up to 300, or up to dense_max when a tenth or more of the
                            entries is stored, or up to QP_EIG_DENSE_MANY when nev is an eighth
                            of n or more; else shift-invert, else Lanczos */
    QP_EIG_DENSE,        /* LAPACK on the full matrix: dsyevr / zheevr; values alone (n <= 600)
                            by dsytrd / zhetrd and bisection */
    QP_EIG_LANCZOS,      /* ARPACK dsaupd "SA" / znaupd "SR" on H itself */
    QP_EIG_SHIFT_INVERT  /* ARPACK mode 3 on (H - sigma I)^-1, factorized by CHOLMOD */
} qp_eig_method;

/* Symbolic analyses of earlier shift-invert calls, kept for calls whose matrix has the same
 * sparsity pattern (a sweep: only the values change). The ordering and the factor's structure
 * are then reused, so results are bitwise those of a call without the cache. Holds up to
 * QP_EIG_CACHE_SLOTS patterns (least recently used goes first); one cache per thread. */
#define QP_EIG_CACHE_SLOTS 8
typedef struct qp_eig_cache qp_eig_cache;
qp_eig_cache *qp_eig_cache_new(void); /* NULL when out of memory */
void qp_eig_cache_free(qp_eig_cache *cache);

typedef struct {
    int nev;          /* number of lowest eigenvalues wanted */
    int want_vectors; /* also return eigenvectors */
    double tol;       /* relative tolerance for ARPACK (default 1e-12; 0 = machine precision) */
    int maxiter;      /* ARPACK restarts (default 10000) */
    size_t dense_max; /* AUTO uses dense LAPACK up to this dimension (default 1500) when the
                         matrix is a tenth full or more, and always up to 300 */
    qp_eig_method method;
    /* Additions to the basic interface: */
    int ncv;          /* ARPACK basis size; 0 = max(2 nev + 1, 20) clipped to n; else
                       * nev < ncv <= n (nev + 2 <= ncv for a complex matrix) */
    double resid_tol; /* fail when max_residual exceeds this (default 1e-6) */
    int have_sigma;   /* shift-invert: try `sigma` first (e.g. from a previous sweep point) */
    double sigma;
    qp_eig_cache *cache; /* shift-invert: reuse symbolic analyses (NULL: none) */
} qp_eig_opts;

/* Many levels of a moderate basis go to dense LAPACK whatever the sparsity: at nev >= n / 8 an
 * ARPACK basis of 2 nev + 1 vectors and its restarts cost more than the full reduction (two
 * coupled transmons, n = 1681: 1000 levels 39 s by Lanczos, 400 levels 4.9 s by shift-invert;
 * docs/performance.md). Beyond QP_EIG_DENSE_MANY states the dense work (four n x n matrices,
 * 2 GB at 8000) is left to ARPACK. */
#define QP_EIG_DENSE_MANY 8000
int qp_eig_many_levels(size_t n, int nev);

/* Fills *o with the defaults above (nev = 1, no vectors, QP_EIG_AUTO). */
void qp_eig_opts_default(qp_eig_opts *o);

typedef struct {
    qp_eig_method used;  /* the method that produced the result (AUTO resolved) */
    int iterations;      /* ARPACK restarts (0 for dense) */
    int nconv;           /* converged Ritz pairs reported by ARPACK (nev for dense) */
    double max_residual; /* max ||H v - lambda v|| / max(1, ||H||_1) over returned pairs */
    /* Additions: */
    double sigma;        /* shift used by shift-invert (0 otherwise) */
    int factorizations;  /* CHOLMOD factorization attempts (shift lowered after each failure) */
    int fell_back;       /* AUTO: shift-invert could not factorize and Lanczos was used */
    int reused_analysis; /* the symbolic analysis came from the cache */
    int processes;       /* a distributed solve (PARPACK): the processes it ran on; else 0 */
} qp_eig_info;

/* Lowest `nev` eigenvalues of H in ascending order into evals[nev]; if want_vectors, the
 * eigenvectors into vecs (n*nev complex values, column-major, interleaved re/im: 2*n*nev doubles;
 * may be NULL otherwise). Each vector has unit norm and its largest-magnitude component real and
 * positive. `o` may be NULL (defaults, nev = 1); `info`, `err` may be NULL.
 * Returns QP_OK, QP_ERR_NUMERIC (no convergence, singular factorization, residual above
 * resid_tol; message in err), QP_ERR_USAGE (bad arguments, malformed or non-Hermitian matrix,
 * nev >= n for the sparse methods, nev >= n - 1 for them on a complex matrix) or QP_ERR_NOMEM.
 * On failure evals and vecs are left untouched. Never prints. The caller owns every buffer.
 * Not reentrant for the ARPACK paths: ARPACK keeps its reverse-communication state in Fortran
 * SAVE variables, so two threads must not run sparse solves at the same time.
 * Speed: run OpenBLAS on one thread and make OpenMP regions inactive
 * (omp_set_max_active_levels(0)) as the qpsim program does; Debian's CHOLMOD otherwise opens a
 * 4-thread OpenMP region per supernode, which on 2 cores costs more than it gains. */
qp_status qp_eig_lowest(const qp_sparse *H, const qp_eig_opts *o, double *evals, double *vecs,
                        qp_eig_info *info, char *err, size_t errlen);

/* A Hermitian operator known only by its product (matrix-free): apply(ctx, real, x, y) sets
 * y = A x, on n interleaved complex values, or on n real values when `real` is set (asked only
 * when cplx is 0). norm1 is an upper bound on ||A||_1: it sets the scale of the Lanczos shift and
 * of the residual test, as ||H||_1 does for a stored matrix. */
typedef struct {
    size_t n;
    int cplx;
    double norm1;
    void (*apply)(void *ctx, int real, const double *x, double *y);
    void *ctx;
} qp_linop;

/* qp_eig_lowest for an operator given by its product: ARPACK Lanczos (AUTO and LANCZOS; DENSE
 * and SHIFT_INVERT need the matrix and are QP_ERR_USAGE), with the same Rayleigh-Ritz step,
 * residual test, vector conventions and failure contract. Memory: ncv + nev + 3 vectors. */
qp_status qp_eig_lowest_op(const qp_linop *A, const qp_eig_opts *o, double *evals, double *vecs,
                           qp_eig_info *info, char *err, size_t errlen);

/* qp_eig_lowest for a matrix stored dense: D holds the full n x n Hermitian matrix column-major
 * as interleaved (re, im) pairs (2 n^2 doubles; cplx 0: the imaginary parts are zero and are
 * not read). Dense LAPACK (AUTO and DENSE; the sparse methods are QP_ERR_USAGE), with the same
 * checks (finite, Hermitian), residual test, vector conventions and failure contract. For small
 * bases this skips the sparse assembly: a 401-point fluxonium sweep at 60 states spent 40 % of
 * its time sorting, compressing and checking sparse matrices. */
qp_status qp_eig_lowest_dense(const double *D, size_t n, int cplx, const qp_eig_opts *o,
                              double *evals, double *vecs, qp_eig_info *info, char *err,
                              size_t errlen);

/* Builds a qp_sparse from unsorted COO triplets (duplicates summed in input order, explicit zeros
 * kept so the pattern is stable along a sweep). `im` may be NULL (real matrix). Writes *out only
 * on success; the caller frees it with qp_sparse_free. QP_ERR_USAGE on an index >= n. */
qp_status qp_sparse_from_triplets(size_t n, size_t nnz, const size_t *row, const size_t *col,
                                  const double *re, const double *im, qp_sparse *out);

/* Frees the arrays of *s and zeroes it; NULL is fine. */
void qp_sparse_free(qp_sparse *s);

/* Name of a method ("auto", "dense", "lanczos", "shift-invert"). */
const char *qp_eig_method_name(qp_eig_method m);

#endif
