/* Internal: the one place that declares the LAPACK routines libqpsim calls (Fortran, LP64), with
 * the hidden lengths of the character arguments spelled out, as gfortran >= 8 passes them (they
 * are all 1 here). */
#ifndef QPSIM_SOLVE_LAPACK_H
#define QPSIM_SOLVE_LAPACK_H

#include <stddef.h>

typedef int lp_int;

/* symmetric / Hermitian eigenproblems */
void dsyev_(const char *jobz, const char *uplo, const lp_int *n, double *a, const lp_int *lda,
            double *w, double *work, const lp_int *lwork, lp_int *info, size_t ljobz,
            size_t luplo);
void zheev_(const char *jobz, const char *uplo, const lp_int *n, double *a, const lp_int *lda,
            double *w, double *work, const lp_int *lwork, double *rwork, lp_int *info,
            size_t ljobz, size_t luplo);
void dsyevr_(const char *jobz, const char *range, const char *uplo, const lp_int *n, double *a,
             const lp_int *lda, const double *vl, const double *vu, const lp_int *il,
             const lp_int *iu, const double *abstol, lp_int *m, double *w, double *z,
             const lp_int *ldz, lp_int *isuppz, double *work, const lp_int *lwork, lp_int *iwork,
             const lp_int *liwork, lp_int *info, size_t ljobz, size_t lrange, size_t luplo);
void zheevr_(const char *jobz, const char *range, const char *uplo, const lp_int *n, double *a,
             const lp_int *lda, const double *vl, const double *vu, const lp_int *il,
             const lp_int *iu, const double *abstol, lp_int *m, double *w, double *z,
             const lp_int *ldz, lp_int *isuppz, double *work, const lp_int *lwork,
             double *rwork, const lp_int *lrwork, lp_int *iwork, const lp_int *liwork,
             lp_int *info, size_t ljobz, size_t lrange, size_t luplo);
/* reduction to real symmetric tridiagonal form (d, e): a Hermitian one's too */
void dsytrd_(const char *uplo, const lp_int *n, double *a, const lp_int *lda, double *d,
             double *e, double *tau, double *work, const lp_int *lwork, lp_int *info,
             size_t luplo);
void zhetrd_(const char *uplo, const lp_int *n, double *a, const lp_int *lda, double *d,
             double *e, double *tau, double *work, const lp_int *lwork, lp_int *info,
             size_t luplo);
/* symmetric tridiagonal */
void dstev_(const char *jobz, const lp_int *n, double *d, double *e, double *z,
            const lp_int *ldz, double *work, lp_int *info, size_t ljobz);
void dstevr_(const char *jobz, const char *range, const lp_int *n, double *d, double *e,
             const double *vl, const double *vu, const lp_int *il, const lp_int *iu,
             const double *abstol, lp_int *m, double *w, double *z, const lp_int *ldz,
             lp_int *isuppz, double *work, const lp_int *lwork, lp_int *iwork,
             const lp_int *liwork, lp_int *info, size_t ljobz, size_t lrange);
/* linear systems, factorizations, least squares, SVD */
void dgesv_(const lp_int *n, const lp_int *nrhs, double *a, const lp_int *lda, lp_int *ipiv,
            double *b, const lp_int *ldb, lp_int *info);
void dgetrf_(const lp_int *m, const lp_int *n, double *a, const lp_int *lda, lp_int *ipiv,
             lp_int *info);
void dgetrs_(const char *trans, const lp_int *n, const lp_int *nrhs, const double *a,
             const lp_int *lda, const lp_int *ipiv, double *b, const lp_int *ldb, lp_int *info,
             size_t ltrans);
/* its complex form (interleaved (re, im) pairs, column-major) */
void zgetrf_(const lp_int *m, const lp_int *n, double *a, const lp_int *lda, lp_int *ipiv,
             lp_int *info);
/* BLAS: y = alpha op(A) x + beta y (zgemv: complex values as interleaved pairs). */
void dgemv_(const char *trans, const lp_int *m, const lp_int *n, const double *alpha,
            const double *a, const lp_int *lda, const double *x, const lp_int *incx,
            const double *beta, double *y, const lp_int *incy, size_t ltrans);
/* BLAS: solves op(A) x = b in place for triangular A (one right-hand side) */
void ztrsv_(const char *uplo, const char *trans, const char *diag, const lp_int *n,
            const double *a, const lp_int *lda, double *x, const lp_int *incx, size_t luplo,
            size_t ltrans, size_t ldiag);
void zgemv_(const char *trans, const lp_int *m, const lp_int *n, const double *alpha,
            const double *a, const lp_int *lda, const double *x, const lp_int *incx,
            const double *beta, double *y, const lp_int *incy, size_t ltrans);
void dpotrf_(const char *uplo, const lp_int *n, double *a, const lp_int *lda, lp_int *info,
             size_t luplo);
void dgelss_(const lp_int *m, const lp_int *n, const lp_int *nrhs, double *a, const lp_int *lda,
             double *b, const lp_int *ldb, double *s, const double *rcond, lp_int *rank,
             double *work, const lp_int *lwork, lp_int *info);
void dgesvd_(const char *jobu, const char *jobvt, const lp_int *m, const lp_int *n, double *a,
             const lp_int *lda, double *s, double *u, const lp_int *ldu, double *vt,
             const lp_int *ldvt, double *work, const lp_int *lwork, lp_int *info, size_t ljobu,
             size_t ljobvt);

/* complex matrices as interleaved (re, im) pairs, column-major */
void zgesvd_(const char *jobu, const char *jobvt, const lp_int *m, const lp_int *n, double *a,
             const lp_int *lda, double *s, double *u, const lp_int *ldu, double *vt,
             const lp_int *ldvt, double *work, const lp_int *lwork, double *rwork, lp_int *info,
             size_t ljobu, size_t ljobvt);
void zgemm_(const char *transa, const char *transb, const lp_int *m, const lp_int *n,
            const lp_int *k, const double *alpha, const double *a, const lp_int *lda,
            const double *b, const lp_int *ldb, const double *beta, double *c, const lp_int *ldc,
            size_t ltransa, size_t ltransb);

#endif
