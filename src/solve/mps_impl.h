/* Internal: the dense complex linear algebra that the MPO builder and DMRG share (row-major
 * matrices of double complex over column-major BLAS/LAPACK). */
#ifndef QPSIM_SOLVE_MPS_IMPL_H
#define QPSIM_SOLVE_MPS_IMPL_H

#include <complex.h>
#include <stddef.h>

/* C (m x n) = op(A) op(B) + beta C, op 'N' or 'C' (conjugate transpose); op(A) is m x k. lda,
 * ldb, ldc are the row lengths of the arrays as stored. */
void qp_mps_mm(char ta, char tb, size_t m, size_t n, size_t k, const double complex *A,
               size_t lda, const double complex *B, size_t ldb, double complex beta,
               double complex *C, size_t ldc);

/* Thin SVD of the r x c matrix A = U diag(s) Vh: U r x k, Vh k x c, s k values descending,
 * k = min(r, c); A is destroyed. 0 when LAPACK fails or memory runs out. */
int qp_mps_svd(size_t r, size_t c, double complex *A, double complex *U, double *s,
               double complex *Vh);

/* Eigenvalues (ascending, into w) and eigenvectors of the Hermitian n x n matrix A (both
 * triangles read): V[i * n + j] is component i of vector j. A and V may be the same array.
 * 0 when LAPACK fails or memory runs out. */
int qp_mps_heig(size_t n, const double complex *A, double *w, double complex *V);

#endif
