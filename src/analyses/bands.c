/* Bloch bands of a junction: tridiagonal charge-basis matrices solved by LAPACK per quasicharge;
 * the lowest band's Fourier series by FFT (solve/fft.c). */
#include "qpsim/bands.h"
#include "base/strbuf.h"

#include "solve/fft.h"
#include "solve/lapack.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846
#define SERIES_POINTS 256   /* samples of E0 over one period for its cosine series (first try) */
#define SERIES_POINTS_MAX 65536
#define SERIES_TAIL 1e-11   /* converged: |c_k| over the upper half below this times max |c_k| */
#define SERIES_REL 1e-15    /* cosine coefficients below this times the largest are dropped */
#define SLOPE_POINTS 4096   /* grid on which max dE0/dq is searched, then refined */
#define NCUT_MIN 10
#define NCUT_MAX 5000
#define RATIO_MIN 1e-3      /* EJ/EC: below, E0's kink at q = 1/2 outruns SERIES_POINTS_MAX */
#define RATIO_MAX 5e4       /* EJ/EC: beyond, the lowest band (~exp(-sqrt(8 EJ/EC)) EC wide, 1e-269
                             * at 5e4) and the Floquet products (1e274) leave double precision */
#define NARROW 1e-4         /* a band narrower than this times its distance to the next ones is
                             * a tight-binding band: its width from the Floquet discriminant */
#define FLOQUET_KH 0.004    /* RK4 step times the largest local wave number: widths to 1e-10 */

/* Lowest nlev eigenvalues of 4 ec (n - q)^2 - ej cos(phi) with |n| <= ncut into w. work holds
 * 21 (2 ncut + 1) doubles: dstevr's eigenvalue output needs room for all n of them. */
static int levels_at(double ec, double ej, double q, int ncut, int nlev, double *w, double *d,
                     double *e, double *work, lp_int *iwork)
{
    lp_int n = 2 * ncut + 1, il = 1, iu = nlev, m = 0, info = 0, ldz = 1;
    lp_int lwork = 20 * n, liwork = 10 * n, isuppz[2];
    double vl = 0.0, vu = 0.0, abstol = 0.0, z = 0.0;
    for (lp_int i = 0; i < n; i++) {
        double x = (double)(i - ncut) - q;
        d[i] = 4.0 * ec * x * x;
        if (i + 1 < n) {
            e[i] = -0.5 * ej;
        }
    }
    double *all = work + lwork;
    dstevr_("N", "I", &n, d, e, &vl, &vu, &il, &iu, &abstol, &m, all, &z, &ldz, isuppz, work,
            &lwork, iwork, &liwork, &info, 1, 1);
    if (info != 0 || m != nlev) {
        return -1;
    }
    memcpy(w, all, (size_t)nlev * sizeof *w);
    return 0;
}

void qp_bands_free(qp_bands *b)
{
    if (!b) {
        return;
    }
    free(b->q);
    free(b->E);
    free(b->width);
    free(b->gap);
    free(b->e0.c);
    memset(b, 0, sizeof *b);
}

double qp_band_value(const qp_band_series *s, double q)
{
    double v = s->c[0];
    for (int k = 1; k < s->nc; k++) {
        v += s->c[k] * cos(2.0 * PI * k * q);
    }
    return v;
}

double qp_band_slope(const qp_band_series *s, double q)
{
    double v = 0.0;
    for (int k = 1; k < s->nc; k++) {
        v -= 2.0 * PI * k * s->c[k] * sin(2.0 * PI * k * q);
    }
    return v;
}

/* The cutoff: the wanted levels must not change beyond rounding when it grows by ten; checked
 * at q = 1/2. The cutoff starts where 4 EC n^2 exceeds the wanted levels comfortably. */
static int choose_ncut(double ec, double ej, int nlev, double *wa, double *wb, double *d,
                       double *e, double *work, lp_int *iwork)
{
    double ratio = ej / ec, root = sqrt(ratio > 0.0 ? ratio : 0.0);
    if (!(root < NCUT_MAX)) {
        return -1;
    }
    int ncut = NCUT_MIN + nlev + (int)ceil(root);
    for (; ncut <= NCUT_MAX; ncut += 10 + ncut / 2) {
        if (levels_at(ec, ej, 0.5, ncut, nlev, wa, d, e, work, iwork) != 0 ||
            levels_at(ec, ej, 0.5, ncut + 10, nlev, wb, d, e, work, iwork) != 0) {
            return -1;
        }
        /* rounding of the eigenvalues is ~eps ||T||, ||T|| ~ 4 ec (ncut + 10)^2 + ej */
        double big = ncut + 10.5, floor = 64.0 * DBL_EPSILON * (4.0 * ec * big * big + ej);
        double diff = 0.0;
        for (int k = 0; k < nlev; k++) {
            diff = fmax(diff, fabs(wa[k] - wb[k]));
        }
        if (diff <= floor) {
            return ncut + 10;
        }
    }
    return -1;
}

/* Width of a narrow band around its middle energy e (GHz), from the Floquet discriminant of
 * -4ec psi'' - ej cos(phi) psi = E psi. With y1, y2 the solutions even and odd about the well at
 * phi = 0, Delta(E) = 2 + 4 y1'(pi) y2(pi) runs from 2 to -2 across a band (q = 0 to 1/2); a band
 * too narrow for Delta to bend within it is 4/|Delta'(e)| wide (relative error of order
 * (width/spacing)^2). Delta' needs the E-derivatives u1, u2 of y1, y2, integrated beside them
 * (RK4 over [0, pi]). Every factor grows through the barrier and none cancels, so the width
 * keeps its relative accuracy where the levels cannot resolve it: the difference of E(1/2) and
 * E(0) is rounding beyond EJ/EC of about 30, while W0 is 2e-119 EC at EJ/EC = 1e4. */
static double floquet_width(double ec, double ej, double e)
{
    double kmax = sqrt((fabs(e) + ej) / (4.0 * ec));
    size_t n = (size_t)ceil(PI * fmax(kmax, 1.0) / FLOQUET_KH);
    double h = PI / (double)n, inv = 1.0 / (4.0 * ec);
    double y[8] = {1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0}; /* y1 y1' u1 u1' y2 y2' u2 u2' */
    double k1[8], k2[8], k3[8], k4[8], t[8];
    double *ks[4] = {k1, k2, k3, k4};
    static const double at[4] = {0.0, 0.5, 0.5, 1.0};
    for (size_t i = 0; i < n; i++) {
        double phi = (double)i * h;
        for (int s = 0; s < 4; s++) {
            const double *prev = s ? ks[s - 1] : NULL;
            for (int v = 0; v < 8; v++) {
                t[v] = prev ? y[v] + at[s] * h * prev[v] : y[v];
            }
            double k = (e + ej * cos(phi + at[s] * h)) * inv, *d = ks[s];
            for (int b = 0; b < 8; b += 4) { /* the even, then the odd solution */
                d[b] = t[b + 1];
                d[b + 1] = -k * t[b];
                d[b + 2] = t[b + 3];
                d[b + 3] = -k * t[b + 2] - inv * t[b];
            }
        }
        for (int v = 0; v < 8; v++) {
            y[v] += h / 6.0 * (k1[v] + 2.0 * k2[v] + 2.0 * k3[v] + k4[v]);
        }
    }
    return 1.0 / fabs(y[3] * y[4] + y[1] * y[6]);
}

/* dstevr's work space for every cutoff up to NCUT_MAX (levels_at's d, e, work, iwork). */
typedef struct {
    double *d, *e, *work;
    lp_int *iwork;
} tri_ws;

/* Band k of a tight-binding regime: its width from the Floquet discriminant, its levels
 * E_k(q) = mid - (-1)^k (W/2) cos(2 pi q) (band k has its minimum at q = 0 for even k, the
 * maximum for odd k; the next harmonic is W^2/spacing, far below rounding), which replaces the
 * grid's levels, flat to rounding there; at0/athalf get the band's ends. Returns the width. */
static double narrow_band(double ec, double ej, qp_bands *out, int k, double *at0, double *athalf)
{
    double mid = 0.5 * (at0[k] + athalf[k]), wk = floquet_width(ec, ej, mid);
    double half = (k % 2 == 0 ? 0.5 : -0.5) * wk;
    for (int p = 0; p < out->nq; p++) {
        out->E[(size_t)p * (size_t)out->nlev + (size_t)k] = mid - half * cos(2.0 * PI * out->q[p]);
    }
    at0[k] = mid - half;
    athalf[k] = mid + half;
    return wk; /* not athalf - at0: that difference is rounding */
}

/* Levels on the grid of out->nq points of q from -1/2 to 1/2 (out->q, out->E) and every band's
 * width and gap. The extremes of each band are at q = 0 and q = 1/2 (the bands are even in q
 * and monotonic in between), so widths and the gaps there are exact even on a coarse grid.
 * A band narrower than NARROW times its distance to the neighbouring ones is taken from
 * narrow_band (its width would be rounding as a difference of levels). *narrow0 tells whether
 * the lowest band was. ends: 2 (nlev + 1) doubles of scratch. */
static qp_status band_levels(double ec, double ej, int ncut, qp_bands *out, double *ends,
                             int *narrow0, const tri_ws *w, char *err, size_t errlen)
{
    int nq = out->nq, nlev = out->nlev;
    size_t lev = (size_t)nlev;
    for (int p = 0; p < nq; p++) {
        out->q[p] = -0.5 + (double)p / (double)(nq - 1);
        if (levels_at(ec, ej, out->q[p], ncut, nlev, out->E + (size_t)p * lev, w->d, w->e,
                      w->work, w->iwork) != 0) {
            qp_errf(err, errlen, "LAPACK dstevr failed at q = %g", out->q[p]);
            return QP_ERR_NUMERIC;
        }
    }
    /* the band above the last one asked for too: its distance decides whether that is narrow */
    double *at0 = ends, *athalf = ends + lev + 1;
    if (levels_at(ec, ej, 0.0, ncut, nlev + 1, at0, w->d, w->e, w->work, w->iwork) != 0 ||
        levels_at(ec, ej, 0.5, ncut, nlev + 1, athalf, w->d, w->e, w->work, w->iwork) != 0) {
        qp_errf(err, errlen, "LAPACK dstevr failed at q = 0 or 1/2");
        return QP_ERR_NUMERIC;
    }
    *narrow0 = 0;
    for (int k = 0; k < nlev; k++) {
        double lo = fmin(at0[k], athalf[k]), hi = fmax(at0[k], athalf[k]);
        for (int p = 0; p < nq; p++) {
            double v = out->E[(size_t)p * lev + (size_t)k];
            lo = fmin(lo, v);
            hi = fmax(hi, v);
        }
        double apart = fmin(at0[k + 1] - at0[k], athalf[k + 1] - athalf[k]);
        if (k > 0) {
            apart = fmin(apart, fmin(at0[k] - at0[k - 1], athalf[k] - athalf[k - 1]));
        }
        out->width[k] = hi - lo;
        if (out->width[k] < NARROW * apart) {
            out->width[k] = narrow_band(ec, ej, out, k, at0, athalf);
            *narrow0 |= k == 0;
        }
    }
    for (int k = 0; k + 1 < nlev; k++) {
        double g = fmin(at0[k + 1] - at0[k], athalf[k + 1] - athalf[k]);
        for (int p = 0; p < nq; p++) {
            const double *row = out->E + (size_t)p * lev;
            g = fmin(g, row[k + 1] - row[k]);
        }
        out->gap[k] = g;
    }
    return QP_OK;
}

/* The lowest band as a cosine series (out->e0, out->es_eff): E0 sampled at q = j/N over one
 * period, real DFT; N doubles until the upper half of the coefficients is negligible (small
 * EJ/EC gives the band a sharp avoided crossing at q = 1/2 and a slowly decaying series) or at
 * the rounding of the samples. A tight-binding band (narrow: its middle in *mid0) is its two
 * terms, E0 = mid - (W0/2) cos(2 pi q), exactly to rounding. */
static qp_status band_series(double ec, double ej, int ncut, double mid0, qp_bands *out,
                             const tri_ws *w, char *err, size_t errlen)
{
    if (!isnan(mid0)) {
        out->e0.c = malloc(2 * sizeof *out->e0.c);
        if (!out->e0.c) {
            qp_errf(err, errlen, "out of memory for the band series");
            return QP_ERR_NOMEM;
        }
        out->e0.c[0] = mid0;
        out->e0.c[1] = -0.5 * out->width[0];
        out->e0.nc = 2;
        out->es_eff = 0.5 * out->width[0];
        return QP_OK;
    }
    /* the samples' rounding: dstevr's eigenvalues are good to a few eps of the matrix norm */
    double big_n = ncut + 0.5, noise = 16.0 * DBL_EPSILON * (4.0 * ec * big_n * big_n + ej);
    qp_status st = QP_ERR_NOMEM;
    qp_fft fft = {0};
    int nc = 0, converged = 0;
    for (int N = SERIES_POINTS; N <= SERIES_POINTS_MAX && !converged; N *= 2) {
        qp_fft_free(&fft); /* one plan per length: N grows */
        free(out->e0.c);
        out->e0.c = malloc(((size_t)N / 2 + 1) * sizeof *out->e0.c);
        if (qp_fft_init(&fft, (size_t)N) != 0 || !out->e0.c) {
            qp_errf(err, errlen, "out of memory for the band series");
            goto done;
        }
        for (int j = 0; j < N; j++) {
            double w1[1];
            if (levels_at(ec, ej, (double)j / N, ncut, 1, w1, w->d, w->e, w->work, w->iwork) !=
                0) {
                st = QP_ERR_NUMERIC;
                qp_errf(err, errlen, "LAPACK dstevr failed on the band series");
                goto done;
            }
            fft.in[j] = w1[0];
        }
        qp_fft_run(&fft);
        double big = 0.0, tail = 0.0;
        for (int k = 0; k <= N / 2; k++) {
            /* E0 is even in q: the coefficients are real; c_k = 2 Re X_k / N (k > 0) */
            out->e0.c[k] = (k == 0 || k == N / 2 ? 1.0 : 2.0) * fft.out[k][0] / N;
            if (k > 0) {
                big = fmax(big, fabs(out->e0.c[k]));
            }
            if (k >= N / 4) {
                tail = fmax(tail, fabs(out->e0.c[k]));
            }
        }
        converged = !(tail > fmax(SERIES_TAIL * big, noise));
        nc = 1;
        for (int k = 1; k < N / 2; k++) {
            if (fabs(out->e0.c[k]) > SERIES_REL * big) {
                nc = k + 1;
            }
        }
    }
    if (!converged) {
        st = QP_ERR_NUMERIC;
        qp_errf(err, errlen, "the lowest band's Fourier series does not converge with %d points "
             "(EJ/EC = %.3g: the band's kink at q = 1/2 is too sharp; supported EJ/EC: %g to "
             "%g)", SERIES_POINTS_MAX, ej / ec, RATIO_MIN, RATIO_MAX);
        goto done;
    }
    out->e0.nc = nc;
    out->es_eff = nc > 1 ? -out->e0.c[1] : 0.0;
    st = QP_OK;
done:
    qp_fft_free(&fft);
    return st;
}

/* max over q of dE/dq of the series s: grid search, then golden-section refinement around the
 * best point. */
static double band_slope_max(const qp_band_series *s)
{
    double best = -INFINITY, qbest = 0.0;
    for (int j = 0; j <= SLOPE_POINTS / 2; j++) {
        double qq = (double)j / SLOPE_POINTS, v = qp_band_slope(s, qq);
        if (v > best) {
            best = v;
            qbest = qq;
        }
    }
    double a = qbest - 1.0 / SLOPE_POINTS, b = qbest + 1.0 / SLOPE_POINTS;
    const double gr = 0.5 * (sqrt(5.0) - 1.0);
    for (int it = 0; it < 60; it++) {
        double x1 = b - gr * (b - a), x2 = a + gr * (b - a);
        if (qp_band_slope(s, x1) > qp_band_slope(s, x2)) {
            b = x2;
        } else {
            a = x1;
        }
    }
    return fmax(best, qp_band_slope(s, 0.5 * (a + b)));
}

/* Whether nq points of nlev levels in the charge basis |n| <= ncut pass QP_BANDS_MAX_WORK
 * (then the message in err: what to lower). */
static int too_much_work(int nq, int nlev, int ncut, int estimate, char *err, size_t errlen)
{
    double work = (double)nq * (double)nlev * (2.0 * ncut + 1.0);
    if (work <= QP_BANDS_MAX_WORK) {
        return 0;
    }
    qp_errf(err, errlen, "%d levels at %d points in a charge basis of %s%d states are %.3g "
            "state-levels to solve (at most %.0e, about 15 s): lower points= or levels=", nlev,
            nq, estimate ? "at least " : "", 2 * ncut + 1, work, QP_BANDS_MAX_WORK);
    return 1;
}

qp_status qp_bands_compute(double ec, double ej, int nlev, int nq, qp_bands *out, char *err,
                           size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!(ec > 0.0) || !isfinite(ec) || !(ej >= 0.0) || !isfinite(ej) || nlev < 1 ||
        nlev > 1000 || nq < 2) {
        qp_errf(err, errlen, "bands need EC > 0, EJ >= 0, 1 <= levels <= 1000, points >= 2");
        return QP_ERR_USAGE;
    }
    double ratio = ej / ec;
    if (!(ratio >= RATIO_MIN) || !(ratio <= RATIO_MAX)) {
        /* which way to go: EC = e^2/2C falls as the capacitance grows; for a phase-slip loop
         * the matrix's EJ is ES and its EC is EL'/4, which falls as the inductance grows */
        qp_errf(err, errlen, "EJ/EC = %.3g (EJ = %.4g GHz, EC = %.4g GHz) is %s %g, the %s "
                "the bands are computed for (%s): %s EJ or the capacitance%s", ratio, ej, ec,
                ratio < RATIO_MIN ? "below" : "above", ratio < RATIO_MIN ? RATIO_MIN : RATIO_MAX,
                ratio < RATIO_MIN ? "smallest" : "largest",
                ratio < RATIO_MIN ? "the lowest band's kink at q = 1/2 outgrows its Fourier series"
                                  : "their widths, about exp(-sqrt(8 EJ/EC)) EC, leave double "
                                    "precision",
                ratio < RATIO_MIN ? "raise" : "lower",
                ratio < RATIO_MIN ? " (of a phase-slip loop: ES or the inductance)"
                                  : " (of a phase-slip loop: ES or the inductance), or use "
                                    ".spectrum for the levels");
        return QP_ERR_USAGE;
    }
    /* choose_ncut's first answer, from its starting cutoff: the least the grid can cost */
    if (too_much_work(nq, nlev, NCUT_MIN + nlev + (int)ceil(sqrt(ratio)) + 10, 1, err, errlen)) {
        return QP_ERR_USAGE;
    }
    qp_status st = QP_ERR_NOMEM;
    size_t nmax = 2 * (size_t)NCUT_MAX + 32, lev = (size_t)nlev;
    tri_ws w = {malloc(nmax * sizeof *w.d), malloc(nmax * sizeof *w.e),
                malloc(21 * nmax * sizeof *w.work), malloc(10 * nmax * sizeof *w.iwork)};
    double *wb = malloc(2 * (lev + 1) * sizeof *wb); /* choose_ncut's and band_levels' */
    out->q = malloc((size_t)nq * sizeof *out->q);
    out->E = malloc((size_t)nq * lev * sizeof *out->E);
    out->width = malloc(lev * sizeof *out->width);
    out->gap = malloc(lev * sizeof *out->gap);
    if (!w.d || !w.e || !w.work || !wb || !w.iwork || !out->q || !out->E || !out->width ||
        !out->gap) {
        qp_errf(err, errlen, "out of memory for the bands");
        goto done;
    }
    out->ec = ec;
    out->ej = ej;
    out->nq = nq;
    out->nlev = nlev;
    int ncut = choose_ncut(ec, ej, nlev, out->width, wb, w.d, w.e, w.work, w.iwork);
    if (ncut < 0) {
        st = QP_ERR_NUMERIC;
        qp_errf(err, errlen, "the band levels did not converge in the charge basis (|n| <= %d)",
             NCUT_MAX);
        goto done;
    }
    out->ncut = ncut;
    if (too_much_work(nq, nlev, ncut, 0, err, errlen)) {
        st = QP_ERR_USAGE;
        goto done;
    }
    int narrow0 = 0;
    st = band_levels(ec, ej, ncut, out, wb, &narrow0, &w, err, errlen);
    if (st == QP_OK) {
        /* wb holds E0 at q = 0 and 1/2 (band_levels' ends) */
        double mid0 = narrow0 ? 0.5 * (wb[0] + wb[lev + 1]) : NAN;
        st = band_series(ec, ej, ncut, mid0, out, &w, err, errlen);
    }
    if (st == QP_OK) {
        out->slope_max = band_slope_max(&out->e0);
    }
done:
    free(w.d);
    free(w.e);
    free(w.work);
    free(wb);
    free(w.iwork);
    if (st != QP_OK) {
        qp_bands_free(out);
    }
    return st;
}
