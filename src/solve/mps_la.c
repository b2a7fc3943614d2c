/* Dense complex linear algebra for the MPO builder and DMRG: row-major wrappers of zgemm,
 * zgesvd and zheev. */
#include "solve/mps_impl.h"
#include "solve/lapack.h"

#include <stdlib.h>
#include <string.h>

void qp_mps_mm(char ta, char tb, size_t m, size_t n, size_t k, const double complex *A,
               size_t lda, const double complex *B, size_t ldb, double complex beta,
               double complex *C, size_t ldc)
{
    if (m == 0 || n == 0) {
        return;
    }
    if (k == 0) { /* BLAS would leave C alone only for beta = 1 */
        for (size_t i = 0; i < m; i++) {
            for (size_t j = 0; j < n; j++) {
                C[i * ldc + j] *= beta;
            }
        }
        return;
    }
    /* Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: the stored arrays are
     * the transposes, so the operations pass through with A and B swapped. */
    lp_int M = (lp_int)n, N = (lp_int)m, K = (lp_int)k;
    lp_int la = (lp_int)(lda ? lda : 1), lb = (lp_int)(ldb ? ldb : 1), lc = (lp_int)ldc;
    double one[2] = {1.0, 0.0}, b[2] = {creal(beta), cimag(beta)};
    zgemm_(&tb, &ta, &M, &N, &K, one, (const double *)B, &lb, (const double *)A, &la, b,
           (double *)C, &lc, 1, 1);
}

int qp_mps_svd(size_t r, size_t c, double complex *A, double complex *U, double *s,
               double complex *Vh)
{
    size_t k = r < c ? r : c;
    if (k == 0) {
        return 1;
    }
    /* Column-major copy */
    double complex *a = malloc(r * c * sizeof *a), *u = malloc(r * k * sizeof *u);
    double complex *vt = malloc(k * c * sizeof *vt);
    double *rwork = malloc(5 * k * sizeof *rwork);
    int ok = a && u && vt && rwork;
    for (size_t i = 0; ok && i < r; i++) {
        for (size_t j = 0; j < c; j++) {
            a[j * r + i] = A[i * c + j];
        }
    }
    lp_int m = (lp_int)r, n = (lp_int)c, lda = (lp_int)r, ldu = (lp_int)r, ldvt = (lp_int)k;
    lp_int lwork = -1, info = 0;
    double complex wq = 0.0, *work = NULL;
    if (ok) {
        zgesvd_("S", "S", &m, &n, (double *)a, &lda, s, (double *)u, &ldu, (double *)vt, &ldvt,
                (double *)&wq, &lwork, rwork, &info, 1, 1);
        lwork = (lp_int)creal(wq);
        lwork = lwork < 1 ? 1 : lwork;
        work = malloc((size_t)lwork * sizeof *work);
        ok = info == 0 && work;
    }
    if (ok) {
        zgesvd_("S", "S", &m, &n, (double *)a, &lda, s, (double *)u, &ldu, (double *)vt, &ldvt,
                (double *)work, &lwork, rwork, &info, 1, 1);
        ok = info == 0;
    }
    for (size_t i = 0; ok && i < r; i++) {
        for (size_t j = 0; j < k; j++) {
            U[i * k + j] = u[j * r + i];
        }
    }
    for (size_t i = 0; ok && i < k; i++) {
        for (size_t j = 0; j < c; j++) {
            Vh[i * c + j] = vt[j * k + i];
        }
    }
    free(a), free(u), free(vt), free(rwork), free(work);
    return ok;
}

int qp_mps_heig(size_t n, const double complex *A, double *w, double complex *V)
{
    if (n == 0) {
        return 1;
    }
    /* Column-major copy of A: the transpose of the row-major array */
    double complex *a = malloc(n * n * sizeof *a);
    double *rwork = malloc((3 * n > 2 ? 3 * n : 2) * sizeof *rwork);
    int ok = a && rwork;
    for (size_t i = 0; ok && i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            a[j * n + i] = A[i * n + j];
        }
    }
    lp_int N = (lp_int)n, lwork = -1, info = 0;
    double complex wq = 0.0, *work = NULL;
    if (ok) {
        zheev_("V", "U", &N, (double *)a, &N, w, (double *)&wq, &lwork, rwork, &info, 1, 1);
        lwork = (lp_int)creal(wq);
        lwork = lwork < 1 ? 1 : lwork;
        work = malloc((size_t)lwork * sizeof *work);
        ok = info == 0 && work;
    }
    if (ok) {
        zheev_("V", "U", &N, (double *)a, &N, w, (double *)work, &lwork, rwork, &info, 1, 1);
        ok = info == 0;
    }
    for (size_t i = 0; ok && i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            V[i * n + j] = a[j * n + i];
        }
    }
    free(a), free(rwork), free(work);
    return ok;
}
