/* Small row-major dense helpers shared by the quantizer's steps (quantize_state.h). */
#include "circuit/quantize_state.h"

#include "solve/lapack.h"

#include <stdlib.h>

double *qp_quantize_dnew(size_t n)
{
    return calloc(n ? n : 1, sizeof(double));
}

void qp_quantize_matmul(const double *A, const double *B, double *C, size_t m, size_t k,
                        size_t n)
{
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t l = 0; l < k; l++) {
                s += A[i * k + l] * B[l * n + j];
            }
            C[i * n + j] = s;
        }
    }
}

qp_status qp_quantize_sym_eig(double *A, size_t n, double *w)
{
    if (n == 0) {
        return QP_OK;
    }
    int nn = (int)n, lwork = -1, info = 0;
    double wq;
    dsyev_("V", "U", &nn, A, &nn, w, &wq, &lwork, &info, 1, 1);
    lwork = (int)wq + 1;
    double *work = qp_quantize_dnew((size_t)lwork);
    if (!work) {
        return QP_ERR_NOMEM;
    }
    dsyev_("V", "U", &nn, A, &nn, w, work, &lwork, &info, 1, 1);
    free(work);
    return info == 0 ? QP_OK : QP_ERR_NUMERIC;
}
