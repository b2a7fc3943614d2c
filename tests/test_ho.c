/* Unit tests: oscillator matrix elements of exp(i s (a + a^dag)) (closed form vs independent
 * references: docs/physics.md, oracle T18, unitarity, dense diagonalisation, exact rational arithmetic). */
#include "operators/ho.h"

#include "tap.h"

#include <stdint.h>
#include <stdlib.h>

#define T18_RTOL 1e-11     /* docs/physics.md, oracle T18 quotes 12 significant digits */
#define UNITARY_TOL 1e-12  /* |sum_m conj(D_mn) D_mn' - delta_nn'| on the top-left block */
#define EXPM_TOL 1e-10     /* top-left 40x40 block vs dense exp of the truncated a + a^dag */
#define EXACT_RTOL 1e-11   /* vs exact rational Laguerre sums evaluated to 80 digits */
#define BOUND_TOL 1e-12    /* |<m|D|n>| <= 1 for a unitary D */

/* LAPACK (Fortran symbol): eigen-decomposition of a real symmetric tridiagonal matrix. */
void dstev_(const char *jobz, const int *n, double *d, double *e, double *z, const int *ldz,
            double *work, int *info);

static double re_at(const double *D, size_t N, size_t m, size_t n)
{
    return D[2 * (m + n * N)];
}

static double im_at(const double *D, size_t N, size_t m, size_t n)
{
    return D[2 * (m + n * N) + 1];
}

static double *exp_i_x(size_t N, double s)
{
    double *D = malloc(2 * N * N * sizeof *D);
    if (D && qp_ho_exp_i_x(N, s, D) != QP_OK) {
        free(D);
        D = NULL;
    }
    return D;
}

/* docs/physics.md, oracle T18: fluxonium HO basis EC = 2.5, EL = 0.5, phi_zpf = (2 EC/EL)^(1/4) = 1.77827941
 * (§3); cos(phi) = Re exp(i phi_zpf (a + a^dag)). The quoted values belong to the exact phi_zpf;
 * its 10-digit rounding 1.7782794100 moves them by 1.4e-11. */
static void test_t18(void)
{
    const size_t N = 4;
    double zp = pow(2.0 * 2.5 / 0.5, 0.25);
    double *D = exp_i_x(N, zp);
    QP_CHECK(D != NULL, "phi_zpf = %.10f computed", zp);
    if (!D) {
        return;
    }
    QP_CHECK_REL(re_at(D, N, 0, 0), 0.205740661084, T18_RTOL, "T18 <0|cos phi|0>");
    QP_CHECK_REL(re_at(D, N, 1, 1), -0.444868435250, T18_RTOL, "T18 <1|cos phi|1>");
    QP_CHECK_ABS(im_at(D, N, 0, 0), 0.0, 0.0, "<0|sin phi|0> = 0 (phi even in the ground state)");
    free(D);
}

static void test_identity_and_errors(void)
{
    const size_t N = 50;
    double *D = exp_i_x(N, 0.0);
    int ok = D != NULL;
    for (size_t m = 0; ok && m < N; m++) {
        for (size_t n = 0; n < N; n++) {
            ok = ok && re_at(D, N, m, n) == (m == n) && im_at(D, N, m, n) == 0.0;
        }
    }
    QP_CHECK(ok, "s = 0 gives the identity exactly");
    free(D);

    double one[2] = {7.0, 7.0};
    qp_status st = qp_ho_exp_i_x(0, 1.0, one);
    QP_CHECK(st == QP_OK && one[0] == 7.0, "N = 0 writes nothing");
    st = qp_ho_exp_i_x(3, 1.0, NULL);
    QP_CHECK(st == QP_ERR_USAGE, "out = NULL: QP_ERR_USAGE");
    st = qp_ho_exp_i_x(1, NAN, one);
    QP_CHECK(st == QP_ERR_NUMERIC, "s = NaN: QP_ERR_NUMERIC");
    st = qp_ho_exp_i_x(SIZE_MAX / 4, 1.0, one);
    QP_CHECK(st == QP_ERR_USAGE, "N whose 2 N^2 overflows: QP_ERR_USAGE");

    /* Tiny s: <1|D|0> = i s e^(-s^2/2) even when s^2 underflows; huge s: everything underflows. */
    double small[8];
    st = qp_ho_exp_i_x(2, 1e-160, small);
    QP_CHECK(st == QP_OK && small[0] == 1.0, "s = 1e-160: <0|D|0> = 1");
    QP_CHECK_REL(small[3], 1e-160, 1e-15, "s = 1e-160: Im <1|D|0> = s");
    double huge[18] = {1.0};
    st = qp_ho_exp_i_x(3, 1e200, huge);
    ok = st == QP_OK;
    for (size_t i = 0; i < 18; i++) {
        ok = ok && huge[i] == 0.0;
    }
    QP_CHECK(ok, "s = 1e200: every element underflows to 0");
}

/* Columns n < ncheck of the untruncated unitary are orthonormal once the sum over m < N holds
 * their whole weight. Returns the largest deviation from delta_nn'. */
static double unitarity_defect(const double *D, size_t N, size_t ncheck)
{
    double worst = 0.0;
    for (size_t n = 0; n < ncheck; n++) {
        for (size_t p = n; p < ncheck; p++) {
            double re = 0.0, im = 0.0;
            for (size_t m = 0; m < N; m++) {
                double ar = re_at(D, N, m, n), ai = im_at(D, N, m, n);
                double br = re_at(D, N, m, p), bi = im_at(D, N, m, p);
                re += ar * br + ai * bi;
                im += ar * bi - ai * br;
            }
            worst = fmax(worst, hypot(re - (n == p), im));
        }
    }
    return worst;
}

static void test_unitarity(void)
{
    const double svals[] = {1.7782794100389228, 3.0, 5.0, -2.2};
    for (size_t k = 0; k < sizeof svals / sizeof svals[0]; k++) {
        double *D = exp_i_x(400, svals[k]);
        QP_CHECK(D != NULL, "N = 400, s = %g computed", svals[k]);
        if (D) {
            char name[96];
            snprintf(name, sizeof name,
                     "s = %g: max |sum_{m<400} conj(D_mn) D_mn' - delta|, n < 50", svals[k]);
            QP_CHECK_ABS(unitarity_defect(D, 400, 50), 0.0, UNITARY_TOL, name);
        }
        free(D);
    }
}

/* exp(i s X) for the truncated X = a + a^dag of size M by LAPACK's tridiagonal eigensolver:
 * X = V diag(w) V^T, so <m|e^{isX}|n> = sum_j V_mj V_nj e^{i s w_j}. Compares the top-left
 * nb x nb block, where truncation at M does not reach. Returns the largest difference. */
static double expm_difference(const double *D, size_t N, double s, int M, size_t nb)
{
    double *d = calloc((size_t)M, sizeof *d), *e = calloc((size_t)M, sizeof *e);
    double *V = malloc((size_t)M * (size_t)M * sizeof *V);
    double *work = malloc(2 * (size_t)M * sizeof *work);
    double worst = INFINITY;
    int info = -1;
    if (d && e && V && work) {
        for (int i = 0; i + 1 < M; i++) {
            e[i] = sqrt((double)(i + 1));
        }
        dstev_("V", &M, d, e, V, &M, work, &info);
    }
    if (info == 0) {
        worst = 0.0;
        for (size_t m = 0; m < nb; m++) {
            for (size_t n = 0; n < nb; n++) {
                double re = 0.0, im = 0.0;
                for (int j = 0; j < M; j++) {
                    double v = V[m + (size_t)j * (size_t)M] * V[n + (size_t)j * (size_t)M];
                    re += v * cos(s * d[j]);
                    im += v * sin(s * d[j]);
                }
                worst = fmax(worst, hypot(re - re_at(D, N, m, n), im - im_at(D, N, m, n)));
            }
        }
    }
    free(d), free(e), free(V), free(work);
    return worst;
}

static void test_expm(void)
{
    const double svals[] = {1.7782794100389228, 3.0, -4.5};
    for (size_t k = 0; k < sizeof svals / sizeof svals[0]; k++) {
        double *D = exp_i_x(40, svals[k]);
        QP_CHECK(D != NULL, "N = 40, s = %g computed", svals[k]);
        if (D) {
            char name[96];
            snprintf(name, sizeof name, "s = %g: 40x40 block vs expm of truncated (a + a^dag), 600",
                     svals[k]);
            QP_CHECK_ABS(expm_difference(D, 40, svals[k], 600, 40), 0.0, EXPM_TOL, name);
        }
        free(D);
    }
}

static void test_symmetry_and_sign(void)
{
    const size_t N = 300;
    double *P = exp_i_x(N, 2.5), *Q = exp_i_x(N, -2.5);
    int sym = P != NULL, conj = P && Q;
    for (size_t m = 0; sym && m < N; m++) {
        for (size_t n = 0; n < N; n++) {
            sym = sym && re_at(P, N, m, n) == re_at(P, N, n, m) &&
                  im_at(P, N, m, n) == im_at(P, N, n, m);
        }
    }
    for (size_t i = 0; conj && i < N * N; i++) {
        conj = P[2 * i] == Q[2 * i] && P[2 * i + 1] == -Q[2 * i + 1];
    }
    QP_CHECK(sym, "<m|D|n> = <n|D|m> (N = 300, s = 2.5)");
    QP_CHECK(conj, "D(-s) = conj D(s) elementwise");
    free(P), free(Q);
}

/* References: <m|D|n> = sqrt(n!/m!) (i s)^(m-n) e^(-s^2/2) L_n^(m-n)(s^2) with the Laguerre sum
 * done in exact rationals (Python fractions) and the rest in 80-digit decimals. */
static void test_exact_references(void)
{
    static const struct {
        size_t N;
        double s;
        size_t m, n;
        double re, im;
    } refs[] = {
        {2000, 3.0, 1999, 1500, 0.0, -2.1042314661948019e-99},
        {2000, 3.0, 1000, 999, 0.0, 2.1847318183743445e-02},
        {2000, 3.0, 1999, 1999, -4.4429882526563796e-02, 0.0},
        {2000, 3.0, 5, 2, 0.0, -2.1297354499915708e-01},
        {2000, 20.0, 1999, 1000, 0.0, -2.0173838347490418e-02},
        {2000, 20.0, 400, 100, -2.3935006306481096e-02, 0.0},
        {2000, 20.0, 0, 0, 1.3838965267367376e-87, 0.0},
        {2000, 20.0, 1500, 1400, 2.0614423357295856e-02, 0.0},
        {800, -7.5, 5, 2, 0.0, 4.3561826590904386e-08},
        {800, -7.5, 2, 5, 0.0, 4.3561826590904386e-08},
        {800, -7.5, 350, 678, 8.9969648793141829e-02, 0.0},
    };
    double *D = NULL, cur_s = NAN;
    size_t cur_N = 0;
    for (size_t k = 0; k < sizeof refs / sizeof refs[0]; k++) {
        if (!D || refs[k].N != cur_N || refs[k].s != cur_s) {
            free(D);
            cur_N = refs[k].N, cur_s = refs[k].s;
            D = exp_i_x(cur_N, cur_s);
            QP_CHECK(D != NULL, "N = %zu, s = %g computed", cur_N, cur_s);
            if (!D) {
                return;
            }
        }
        char name[96];
        snprintf(name, sizeof name, "N = %zu, s = %g: <%zu|D|%zu> %s", cur_N, cur_s, refs[k].m,
                 refs[k].n, refs[k].re != 0.0 ? "(real)" : "(imaginary)");
        double got = refs[k].re != 0.0 ? re_at(D, cur_N, refs[k].m, refs[k].n)
                                       : im_at(D, cur_N, refs[k].m, refs[k].n);
        double other = refs[k].re != 0.0 ? im_at(D, cur_N, refs[k].m, refs[k].n)
                                         : re_at(D, cur_N, refs[k].m, refs[k].n);
        QP_CHECK_REL(got, refs[k].re != 0.0 ? refs[k].re : refs[k].im, EXACT_RTOL, name);
        QP_CHECK_ABS(other, 0.0, 0.0, "... the other part is exactly 0");
    }
    free(D);
}

/* Large N: finite, bounded by 1, and unitary on the block the basis holds completely. */
static void test_large(void)
{
    const size_t N = 2000;
    const double svals[] = {3.0, 20.0};
    for (size_t k = 0; k < 2; k++) {
        double *D = exp_i_x(N, svals[k]);
        int finite = D != NULL;
        double biggest = 0.0;
        for (size_t i = 0; finite && i < 2 * N * N; i++) {
            finite = isfinite(D[i]);
            biggest = fmax(biggest, fabs(D[i]));
        }
        QP_CHECK(finite, "N = 2000, s = %g: all %zu entries finite", svals[k], 2 * N * N);
        char name[96];
        snprintf(name, sizeof name, "N = 2000, s = %g: max |<m|D|n>| <= 1", svals[k]);
        QP_CHECK(biggest <= 1.0 + BOUND_TOL, "%s (%.17g)", name, biggest);
        if (finite) {
            snprintf(name, sizeof name, "N = 2000, s = %g: unitarity of columns n < 200",
                     svals[k]);
            QP_CHECK_ABS(unitarity_defect(D, N, 200), 0.0, UNITARY_TOL, name);
        }
        free(D);
    }
}

int main(void)
{
    test_t18();
    test_identity_and_errors();
    test_unitarity();
    test_expm();
    test_symmetry_and_sign();
    test_exact_references();
    test_large();
    return tap_done();
}
