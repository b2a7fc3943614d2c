/* Exact integer matrices for the quantizer: Smith form, unimodular inverse, saturated lattices. */
#ifndef QPSIM_INTMAT_H
#define QPSIM_INTMAT_H

#include "qpsim/diag.h"

#include <stddef.h>

/* A dense integer matrix, row-major: entry (i, j) is a[i * cols + j]. The struct owns `a`.
 * Zero-initialise (`qp_imat m = {0};`) and release with qp_imat_free.
 *
 * Conventions for every function below:
 * - output matrices are created by the call and written only on success; whatever they held before
 *   is NOT freed (pass zeroed structs), and they must not alias an input;
 * - all arithmetic is exact and overflow-checked: an intermediate that does not fit a long long
 *   gives QP_ERR_NUMERIC (never undefined behaviour);
 * - inconsistent shapes or NULL arguments give QP_ERR_USAGE, allocation failure QP_ERR_NOMEM.
 * Nothing prints and there is no global state. */
typedef struct {
    size_t rows, cols;
    long long *a;
} qp_imat;

/* Allocates a zero rows x cols matrix (either size may be 0). */
qp_status qp_imat_alloc(qp_imat *m, size_t rows, size_t cols);

/* Frees the entries and resets *m to {0}; NULL and zeroed structs are fine. */
void qp_imat_free(qp_imat *m);

/* The n x n identity. */
qp_status qp_imat_identity(qp_imat *m, size_t n);

/* C = A B. */
qp_status qp_imat_mul(const qp_imat *A, const qp_imat *B, qp_imat *C);

/* T = A^T. */
qp_status qp_imat_transpose(const qp_imat *A, qp_imat *T);

/* Smith-type diagonalisation L A R = S: L (rows x rows) and R (cols x cols) unimodular, S (shape
 * of A) diagonal with non-negative entries, the first *rank entries non-zero and the rest zero.
 * The divisibility chain is not enforced (the entries are invariant factors only up to
 * regrouping of prime powers). `rank` may be NULL. For totally unimodular A (graph loop
 * matrices) every non-zero entry of S is 1 and, in practice, L and R have entries 0 and +-1. */
qp_status qp_imat_smith(const qp_imat *A, qp_imat *L, qp_imat *S, qp_imat *R, size_t *rank);

/* Exact inverse of a square unimodular matrix; QP_ERR_NUMERIC if |det M| != 1. */
qp_status qp_imat_inverse(const qp_imat *M, qp_imat *Minv);

/* Saturated integer basis of the rational row space of A (k' x r): out is k x r, k = rank A, and
 * its rows span Z^r intersected with that space. The basis is returned in Hermite normal form
 * (row echelon, positive pivots, entries above a pivot in [0, pivot)), so it is unique. */
qp_status qp_imat_saturate(const qp_imat *A, qp_imat *out);

/* Unimodular r x r matrix V whose first b rows are `rows` (b x r). The rows must be saturated
 * (a basis of a saturated lattice), otherwise QP_ERR_NUMERIC. With b = 0, V is the identity
 * (rows->cols is then not checked). */
qp_status qp_imat_complete_rows(const qp_imat *rows, size_t r, qp_imat *V);

/* Saturated integer basis of the kernel of a real matrix M (rows x cols, row-major doubles): K is
 * cols x k, one basis vector per column, in Hermite normal form as columns (see
 * qp_imat_saturate). Singular values up to tol * max|M| count as zero (M = 0 has the whole space as
 * kernel). The kernel must be spanned by rational vectors with denominators up to 1000 in its
 * reduced echelon basis; otherwise, or when M has a non-finite entry or the integer basis fails the
 * residual check, QP_ERR_NUMERIC. Uses LAPACK dgesvd. */
qp_status qp_imat_int_kernel(const double *M, size_t rows, size_t cols, double tol, qp_imat *K);

#endif
