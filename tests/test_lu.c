/* Unit tests: the dense LU (solve/lu.c), real and complex, on systems with known solutions, on
 * both of its paths (inline elimination up to QP_LU_SMALL_MAX unknowns, LAPACK beyond), and its
 * failures. */
#include "solve/lu.h"

#include "tap.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>

#define TOL_EXACT 1e-14  /* a 4 x 4 integer system, relative to max |x| */
#define TOL_SOLVE 1e-12  /* a strongly diagonally dominant system: well conditioned */

/* A 4 x 4 system that needs row exchanges (A_00 = 0), solved by hand:
 * x = (1, -2, 3, 1/2) gives b = (-3/2, 2, 15, 15/2). Two right-hand sides on one factorization. */
static void test_small(void)
{
    double M[16] = {0, 3, 1, 2, /* column-major: column 0 */
                    2, 1, -1, 0, 1, 0, 4, 1, -1, 2, 0, 5};
    double b[4] = {-1.5, 2.0, 15.0, 7.5}, want[4] = {1.0, -2.0, 3.0, 0.5};
    double b2[4] = {2.0, 6.0, 4.0, 8.0}; /* x = (1, 1, 1, 1): the row sums */
    lp_int piv[4];
    int f = qp_lu_factor(4, M, piv);
    QP_CHECK(f == 0, "4 x 4: factored");
    qp_lu_solve(4, M, piv, b);
    qp_lu_solve(4, M, piv, b2);
    double e = 0.0, e2 = 0.0;
    for (int i = 0; i < 4; i++) {
        e = fmax(e, fabs(b[i] - want[i]));
        e2 = fmax(e2, fabs(b2[i] - 1.0));
    }
    QP_CHECK(e <= TOL_EXACT * 3.0, "4 x 4 with pivoting: x = (1, -2, 3, 1/2) (error %.2g)", e);
    QP_CHECK(e2 <= TOL_EXACT, "4 x 4, second right-hand side: x = (1, 1, 1, 1) (error %.2g)", e2);
}

/* A_ij = 1 / (1 + |i - j|) with m on the diagonal times (-1)^i, x_i = sin(i + 1); b = A x by
 * the test's own product. Sizes on both sides of QP_LU_SMALL_MAX. */
static void test_paths(void)
{
    static const size_t sizes[] = {5, QP_LU_SMALL_MAX, QP_LU_SMALL_MAX + 1, 150};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t m = sizes[s];
        double *A = malloc(m * m * sizeof *A), *b = calloc(m, sizeof *b);
        lp_int *piv = malloc(m * sizeof *piv);
        for (size_t j = 0; j < m; j++) {
            for (size_t i = 0; i < m; i++) {
                double d = i > j ? (double)(i - j) : (double)(j - i);
                A[i + j * m] = 1.0 / (1.0 + d) + (i == j ? (i % 2 ? -1.0 : 1.0) * (double)m : 0.0);
                b[i] += A[i + j * m] * sin((double)j + 1.0);
            }
        }
        int f = qp_lu_factor(m, A, piv);
        qp_lu_solve(m, A, piv, b);
        double e = 0.0;
        for (size_t i = 0; i < m; i++) {
            e = fmax(e, fabs(b[i] - sin((double)i + 1.0)));
        }
        QP_CHECK(f == 0 && e <= TOL_SOLVE, "%zu x %zu (%s): x_i = sin(i + 1) (error %.2g)", m, m,
                 m > QP_LU_SMALL_MAX ? "LAPACK" : "inline", e);
        free(A);
        free(b);
        free(piv);
    }
}

/* A zero column is singular on both paths (-1); a NaN entry is reported as -2. */
static void test_failures(void)
{
    static const size_t sizes[] = {6, QP_LU_SMALL_MAX + 4};
    for (size_t s = 0; s < 2; s++) {
        size_t m = sizes[s];
        double *A = malloc(m * m * sizeof *A);
        lp_int *piv = malloc(m * sizeof *piv);
        for (int nan = 0; nan < 2; nan++) {
            for (size_t j = 0; j < m; j++) {
                for (size_t i = 0; i < m; i++) {
                    A[i + j * m] = j == 2 ? 0.0 : (i == j ? 4.0 : 1.0 / (double)(1 + i + j));
                }
            }
            if (nan) {
                A[2 + 2 * m] = NAN;
            }
            int f = qp_lu_factor(m, A, piv);
            QP_CHECK(f == (nan ? -2 : -1), "%zu x %zu (%s): %s gives %d", m, m,
                     m > QP_LU_SMALL_MAX ? "LAPACK" : "inline",
                     nan ? "a NaN entry" : "a zero column", f);
        }
        free(A);
        free(piv);
    }
}

/* The complex LU on both paths: A_ij = 1 / (1 + |i - j|) + i / (2 + i + j), the diagonal
 * m (1 + i/2) (-1)^i more, x_i = sin(i + 1) + i cos(i + 1), b = A x by the test's own product;
 * then a zero column (-1) and a NaN (-2). */
static void test_complex(void)
{
    static const size_t sizes[] = {1, 7, QP_LU_SMALL_MAX, QP_LU_SMALL_MAX + 1, 150};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t m = sizes[s];
        double complex *A = malloc(m * m * sizeof *A), *b = calloc(m, sizeof *b);
        lp_int *piv = malloc(m * sizeof *piv);
        for (size_t j = 0; j < m; j++) {
            for (size_t i = 0; i < m; i++) {
                double d = i > j ? (double)(i - j) : (double)(j - i);
                A[i + j * m] = 1.0 / (1.0 + d) + I / (2.0 + (double)(i + j)) +
                               (i == j ? (i % 2 ? -1.0 : 1.0) * (double)m * (1.0 + 0.5 * I) : 0.0);
                b[i] += A[i + j * m] * CMPLX(sin((double)j + 1.0), cos((double)j + 1.0));
            }
        }
        int f = qp_lu_zfactor(m, A, piv);
        qp_lu_zsolve(m, A, piv, b);
        double e = 0.0;
        for (size_t i = 0; i < m; i++) {
            e = fmax(e, cabs(b[i] - CMPLX(sin((double)i + 1.0), cos((double)i + 1.0))));
        }
        QP_CHECK(f == 0 && e <= TOL_SOLVE, "complex %zu x %zu (%s): x_i = sin(i + 1) + i cos(i + 1) "
                 "(error %.2g)", m, m, m > QP_LU_SMALL_MAX ? "LAPACK" : "inline", e);
        for (int nan = 0; nan < 2 && m > 2; nan++) {
            for (size_t j = 0; j < m; j++) {
                for (size_t i = 0; i < m; i++) {
                    A[i + j * m] = j == 2 ? 0.0 : (i == j ? 4.0 : 1.0 / (double)(1 + i + j)) * (1.0 + I);
                }
            }
            if (nan) {
                A[2 + 2 * m] = CMPLX(1.0, NAN);
            }
            f = qp_lu_zfactor(m, A, piv);
            QP_CHECK(f == (nan ? -2 : -1), "complex %zu x %zu: %s gives %d", m, m,
                     nan ? "a NaN entry" : "a zero column", f);
        }
        free(A);
        free(b);
        free(piv);
    }
}

int main(void)
{
    test_small();
    test_paths();
    test_failures();
    test_complex();
    return tap_done();
}
