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

/* dstevr's work space for every cutoff up to NCUT_MAX (levels_at's d, e, work, iwork). */
typedef struct {
    double *d, *e, *work;
    lp_int *iwork;
} tri_ws;

/* Levels on the grid of out->nq points of q from -1/2 to 1/2 (out->q, out->E) and every band's
 * width and gap. The extremes of each band are at q = 0 and q = 1/2 (the bands are even in q
 * and monotonic in between), so widths and the gaps there are exact even on a coarse grid.
 * wb: nlev doubles of scratch. */
static qp_status band_levels(double ec, double ej, int ncut, qp_bands *out, double *wb,
                             const tri_ws *w, char *err, size_t errlen)
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
    double *at0 = out->width, *athalf = wb;
    if (levels_at(ec, ej, 0.0, ncut, nlev, at0, w->d, w->e, w->work, w->iwork) != 0 ||
        levels_at(ec, ej, 0.5, ncut, nlev, athalf, w->d, w->e, w->work, w->iwork) != 0) {
        qp_errf(err, errlen, "LAPACK dstevr failed at q = 0 or 1/2");
        return QP_ERR_NUMERIC;
    }
    for (int k = 0; k < nlev; k++) {
        double lo = fmin(at0[k], athalf[k]), hi = fmax(at0[k], athalf[k]);
        for (int p = 0; p < nq; p++) {
            double v = out->E[(size_t)p * lev + (size_t)k];
            lo = fmin(lo, v);
            hi = fmax(hi, v);
        }
        if (k + 1 < nlev) {
            double g = fmin(at0[k + 1] - at0[k], athalf[k + 1] - athalf[k]);
            for (int p = 0; p < nq; p++) {
                const double *row = out->E + (size_t)p * lev;
                g = fmin(g, row[k + 1] - row[k]);
            }
            out->gap[k] = g;
        }
        out->width[k] = hi - lo; /* at0 aliases width: read before this write */
    }
    return QP_OK;
}

/* The lowest band as a cosine series (out->e0, out->es_eff): E0 sampled at q = j/N over one
 * period, real DFT; N doubles until the upper half of the coefficients is negligible (small
 * EJ/EC gives the band a sharp avoided crossing at q = 1/2 and a slowly decaying series). */
static qp_status band_series(double ec, double ej, int ncut, qp_bands *out, const tri_ws *w,
                             char *err, size_t errlen)
{
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
        converged = !(tail > SERIES_TAIL * big);
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
             "(EJ/EC = %.3g is too small for the band slope: V_B and the Bloch-band model need "
             "EJ/EC of about 0.01 or more)", SERIES_POINTS_MAX, ej / ec);
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

qp_status qp_bands_compute(double ec, double ej, int nlev, int nq, qp_bands *out, char *err,
                           size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!(ec > 0.0) || !isfinite(ec) || !(ej >= 0.0) || !isfinite(ej) || nlev < 1 ||
        nlev > 1000 || nq < 2) {
        qp_errf(err, errlen, "bands need EC > 0, EJ >= 0, 1 <= levels <= 1000, points >= 2");
        return QP_ERR_USAGE;
    }
    qp_status st = QP_ERR_NOMEM;
    size_t nmax = 2 * (size_t)NCUT_MAX + 32, lev = (size_t)nlev;
    tri_ws w = {malloc(nmax * sizeof *w.d), malloc(nmax * sizeof *w.e),
                malloc(21 * nmax * sizeof *w.work), malloc(10 * nmax * sizeof *w.iwork)};
    double *wb = malloc(lev * sizeof *wb);
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
    st = band_levels(ec, ej, ncut, out, wb, &w, err, errlen);
    if (st == QP_OK) {
        st = band_series(ec, ej, ncut, out, &w, err, errlen);
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
