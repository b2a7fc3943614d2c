/* Dense LU with partial pivoting, real and complex: inline elimination for small systems, LAPACK
 * (dgetrf/dgetrs, zgetrf/ztrsv) beyond. */
#include "solve/lu.h"

#include <complex.h>
#include <math.h>

int qp_lu_factor(size_t m, double *M, lp_int *piv)
{
    if (m > QP_LU_SMALL_MAX) {
        lp_int lm = (lp_int)m, info = 0;
        for (size_t i = 0; i < m * m; i++) {
            if (!isfinite(M[i])) {
                return -2;
            }
        }
        dgetrf_(&lm, &lm, M, &lm, piv, &info);
        return info == 0 ? 0 : -1;
    }
    for (size_t k = 0; k < m; k++) {
        size_t p = k;
        double big = fabs(M[k + k * m]);
        for (size_t i = k + 1; i < m; i++) {
            if (fabs(M[i + k * m]) > big) {
                big = fabs(M[i + k * m]);
                p = i;
            }
        }
        if (!isfinite(big)) {
            return -2; /* a non-finite entry: for a Newton matrix the step failed, not the system */
        }
        if (!(big > 0.0)) {
            return -1;
        }
        piv[k] = (lp_int)p + 1; /* LAPACK's convention */
        if (p != k) {
            for (size_t j = 0; j < m; j++) {
                double t = M[k + j * m];
                M[k + j * m] = M[p + j * m];
                M[p + j * m] = t;
            }
        }
        double inv = 1.0 / M[k + k * m];
        for (size_t i = k + 1; i < m; i++) {
            double l = M[i + k * m] *= inv;
            if (l == 0.0) {
                continue;
            }
            for (size_t j = k + 1; j < m; j++) {
                M[i + j * m] -= l * M[k + j * m];
            }
        }
        M[k + k * m] = inv; /* the solves multiply by it (a division costs 10x more) */
    }
    return 0;
}

void qp_lu_solve(size_t m, const double *M, const lp_int *piv, double *b)
{
    if (m > QP_LU_SMALL_MAX) {
        lp_int lm = (lp_int)m, one = 1, info = 0;
        dgetrs_("N", &lm, &one, M, &lm, piv, b, &lm, &info, 1);
        return;
    }
    for (size_t k = 0; k < m; k++) { /* the row swaps in order, then L (unit diagonal) */
        size_t p = (size_t)piv[k] - 1;
        if (p != k) {
            double t = b[k];
            b[k] = b[p];
            b[p] = t;
        }
    }
    for (size_t k = 0; k < m; k++) {
        for (size_t i = k + 1; i < m; i++) {
            b[i] -= M[i + k * m] * b[k];
        }
    }
    for (size_t k = m; k-- > 0;) {
        double acc = b[k];
        for (size_t j = k + 1; j < m; j++) {
            acc -= M[k + j * m] * b[j];
        }
        b[k] = acc * M[k + k * m];
    }
}

/* |Re| + |Im|: LAPACK's pivot size for complex matrices (izamax), no square root */
static double cabs1(double complex z)
{
    return fabs(creal(z)) + fabs(cimag(z));
}

int qp_lu_zfactor(size_t m, double complex *M, lp_int *piv)
{
    if (m > QP_LU_SMALL_MAX) {
        lp_int lm = (lp_int)m, info = 0;
        for (size_t i = 0; i < m * m; i++) {
            if (!isfinite(creal(M[i])) || !isfinite(cimag(M[i]))) {
                return -2;
            }
        }
        zgetrf_(&lm, &lm, (double *)M, &lm, piv, &info);
        return info == 0 ? 0 : -1;
    }
    for (size_t k = 0; k < m; k++) {
        size_t p = k;
        double big = cabs1(M[k + k * m]);
        for (size_t i = k + 1; i < m; i++) {
            if (cabs1(M[i + k * m]) > big) {
                big = cabs1(M[i + k * m]);
                p = i;
            }
        }
        if (!isfinite(big)) {
            return -2;
        }
        if (!(big > 0.0)) {
            return -1;
        }
        piv[k] = (lp_int)p + 1;
        if (p != k) {
            for (size_t j = 0; j < m; j++) {
                double complex t = M[k + j * m];
                M[k + j * m] = M[p + j * m];
                M[p + j * m] = t;
            }
        }
        double complex inv = 1.0 / M[k + k * m];
        for (size_t i = k + 1; i < m; i++) {
            double complex l = M[i + k * m] *= inv;
            if (l == 0.0) {
                continue;
            }
            for (size_t j = k + 1; j < m; j++) {
                M[i + j * m] -= l * M[k + j * m];
            }
        }
        M[k + k * m] = inv;
    }
    return 0;
}

void qp_lu_zsolve(size_t m, const double complex *M, const lp_int *piv, double complex *b)
{
    for (size_t k = 0; k < m; k++) { /* the row swaps in order */
        size_t p = (size_t)piv[k] - 1;
        if (p != k) {
            double complex t = b[k];
            b[k] = b[p];
            b[p] = t;
        }
    }
    if (m > QP_LU_SMALL_MAX) {
        /* the two triangular solves of zgetrs without its zgemm-based blocking, which for one
         * right-hand side costs twice as much (measured at m = 200) */
        lp_int lm = (lp_int)m, one = 1;
        ztrsv_("L", "N", "U", &lm, (const double *)M, &lm, (double *)b, &one, 1, 1, 1);
        ztrsv_("U", "N", "N", &lm, (const double *)M, &lm, (double *)b, &one, 1, 1, 1);
        return;
    }
    for (size_t k = 0; k < m; k++) {
        for (size_t i = k + 1; i < m; i++) {
            b[i] -= M[i + k * m] * b[k];
        }
    }
    for (size_t k = m; k-- > 0;) {
        double complex acc = b[k];
        for (size_t j = k + 1; j < m; j++) {
            acc -= M[k + j * m] * b[j];
        }
        b[k] = acc * M[k + k * m];
    }
}
