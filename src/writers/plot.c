/* Plots of computed analyses as PNG files, drawn with PLplot (pngcairo driver) under -o DIR:
 * swept spectra (2-D sweeps as colour maps), Bloch bands, transient traces with their FFT
 * spectra, I-V curves, wavefunctions. Part of the
 * command-line program, not of the library (which never writes files); every file goes through
 * the all-or-nothing output set of writers/outfile.c. */
#include "writers/plot.h"

#include "qpsim/tran.h"
#include "qpsim/units.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if QP_HAVE_PLPLOT
#include <plplot/plplot.h>

#define WIDTH 1000
#define HEIGHT 700
#define NCOLORS 8

/* white background, black axes, then line colours */
static const int palette[NCOLORS + 2][3] = {
    {255, 255, 255}, {0, 0, 0},     {31, 119, 180}, {214, 39, 40}, {44, 160, 44},
    {148, 103, 189}, {255, 127, 14}, {140, 86, 75}, {227, 119, 194}, {190, 190, 190}};

static int start(qp_outdir *out, const char *name, int panels)
{
    /* PLplot's cairo driver ignores write errors and closes the stream at plend(): the stream of
     * the output set sees every failure (a full disk must not leave a cut PNG behind). */
    FILE *f = qp_outdir_stream(out, name);
    if (!f) {
        return -1;
    }
    plsdev("pngcairo");
    plsfile(f);
    plspage(0.0, 0.0, WIDTH, HEIGHT, 0, 0);
    int r[NCOLORS + 2], g[NCOLORS + 2], b[NCOLORS + 2];
    for (int i = 0; i < NCOLORS + 2; i++) {
        r[i] = palette[i][0], g[i] = palette[i][1], b[i] = palette[i][2];
    }
    plscmap0(r, g, b, NCOLORS + 2);
    plssub(1, panels);
    plinit();
    plschr(0.0, 1.1);
    return 0;
}

static void frame(double x0, double x1, double y0, double y1, const char *xl, const char *yl,
                  const char *title)
{
    if (!isfinite(x0) || !isfinite(x1)) {
        x0 = 0.0, x1 = 1.0;
    }
    if (!isfinite(y0) || !isfinite(y1)) {
        y0 = 0.0, y1 = 1.0;
    }
    if (!(x1 > x0)) {
        x1 = x0 + 1.0;
    }
    if (!(y1 > y0)) {
        double m = fabs(y0) > 0.0 ? 0.05 * fabs(y0) : 1.0;
        y0 -= m, y1 += m;
    } else {
        double m = 0.04 * (y1 - y0);
        y0 -= m, y1 += m;
    }
    pladv(0);
    plvsta();
    plwind(x0, x1, y0, y1);
    plcol0(NCOLORS + 1); /* light grid, then black axes */
    pllsty(3);
    plbox("g", 0.0, 0, "g", 0.0, 0);
    pllsty(1);
    plcol0(1);
    plbox("bcnst", 0.0, 0, "bcnstv", 0.0, 0);
    pllab(xl, yl, title);
}

static void range(const double *v, size_t n, size_t stride, double *lo, double *hi)
{
    for (size_t i = 0; i < n; i++) {
        double x = v[i * stride];
        if (isfinite(x)) {
            *lo = fmin(*lo, x);
            *hi = fmax(*hi, x);
        }
    }
}

static void line(const double *x, const double *y, size_t n, int color)
{
    PLFLT *px = malloc((n ? n : 1) * sizeof *px), *py = malloc((n ? n : 1) * sizeof *py);
    if (px && py) {
        for (size_t i = 0; i < n; i++) {
            px[i] = x[i];
            py[i] = y[i];
        }
        plcol0(2 + color % NCOLORS);
        plwidth(2.0);
        plline((PLINT)n, px, py);
        plwidth(1.0);
    }
    free(px);
    free(py);
}

static void vline(double x, double y0, double y1, int color)
{
    PLFLT px[2] = {x, x}, py[2] = {y0, y1};
    plcol0(2 + color % NCOLORS);
    pllsty(2);
    plline(2, px, py);
    pllsty(1);
}

/* Swept spectrum: levels against the parameter, and the transitions E_k - E_0. */
static int plot_sweep(qp_outdir *out, const char *name, const qp_result *r)
{
    if (start(out, name, 2) != 0) {
        return -1;
    }
    size_t n = r->npoints, nl = (size_t)r->spec.nlev;
    double *y = malloc(n * sizeof *y), lo = INFINITY, hi = -INFINITY;
    if (!y) {
        plend();
        return -1;
    }
    double xlo = INFINITY, xhi = -INFINITY;
    range(r->values, n, 1, &xlo, &xhi);
    range(r->spec.levels, n * nl, 1, &lo, &hi);
    frame(xlo, xhi, lo, hi, r->param, "E [GHz]", "levels");
    for (size_t k = 0; k < nl; k++) {
        for (size_t p = 0; p < n; p++) {
            y[p] = r->spec.levels[p * nl + k];
        }
        line(r->values, y, n, (int)k);
    }
    lo = INFINITY, hi = -INFINITY;
    for (size_t p = 0; p < n; p++) {
        for (size_t k = 1; k < nl; k++) {
            double t = r->spec.levels[p * nl + k] - r->spec.levels[p * nl];
            lo = fmin(lo, t), hi = fmax(hi, t);
        }
    }
    if (nl > 1) {
        frame(xlo, xhi, lo, hi, r->param, "E_k - E_0 [GHz]",
              "transitions from the ground state");
        for (size_t k = 1; k < nl; k++) {
            for (size_t p = 0; p < n; p++) {
                y[p] = r->spec.levels[p * nl + k] - r->spec.levels[p * nl];
            }
            line(r->values, y, n, (int)k);
        }
    }
    free(y);
    plend();
    return 0;
}

static int plot_bands(qp_outdir *out, const char *name, const qp_circuit *c, const qp_result *r)
{
    const qp_bands *b = &r->band.table;
    if (start(out, name, 1) != 0) {
        return -1;
    }
    size_t nq = (size_t)b->nq, nl = (size_t)b->nlev;
    double *y = malloc(nq * sizeof *y), lo = INFINITY, hi = -INFINITY;
    if (!y) {
        plend();
        return -1;
    }
    range(b->E, nq * nl, 1, &lo, &hi);
    char title[600];
    snprintf(title, sizeof title, "Bloch bands of %s", c->elem[r->band.element].name);
    frame(-0.5, 0.5, lo, hi, r->band.dual ? "loop flux f [Phi0]" : "quasicharge q [2e]", "E [GHz]",
          title);
    for (size_t k = 0; k < nl; k++) {
        for (size_t p = 0; p < nq; p++) {
            y[p] = b->E[p * nl + k];
        }
        line(b->q, y, nq, (int)k);
    }
    free(y);
    plend();
    return 0;
}

/* Transient: per junction its signal over the last periods, and the FFT power spectrum of the
 * second half with the predicted frequency (dashed) marked. */
static int plot_tran(qp_outdir *out, const char *name, const qp_circuit *c, const qp_result *r)
{
    const qp_tran_result *t = &r->tran.run;
    const qp_tran_freq *fr = t->nfreq ? &t->freq[0] : NULL;
    if (t->nt < 16 || (!fr && c->nprints == 0)) { /* 16: qp_tran_spectrum's shortest trace */
        return 0;
    }
    /* the signal of the first junction (Is or V); when .print left it out, the first column
     * .print asked for (SI units, no predicted frequency) */
    char want[600] = "";
    if (fr) {
        snprintf(want, sizeof want, "%s(%s)", fr->dual ? "V" : "Is", c->elem[fr->element].name);
    }
    int col = -1;
    for (size_t i = 0; i < t->ncol; i++) {
        if (strcmp(t->col[i], want) == 0) {
            col = (int)i;
        }
    }
    int own = col >= 0; /* the junction's own signal: its frequencies apply */
    if (!own && c->nprints > 0 && t->ncol > 0) {
        col = 0;
        snprintf(want, sizeof want, "%s", t->col[0]);
    }
    if (col < 0) {
        return 0;
    }
    const char *si = want[0] == 'V' ? "V" : want[0] == 'I' ? "A" : want[0] == 'P' ? "rad" : "C";
    if (start(out, name, 2) != 0) {
        return -1;
    }
    size_t w = t->ncol + 1;
    double *x = malloc(t->nt * sizeof *x), *y = malloc(t->nt * sizeof *y), *fx = NULL;
    if (!x || !y) {
        free(x), free(y);
        plend();
        return -1;
    }
    double dt = t->data[w] - t->data[0];
    /* about 8 periods (or the whole run) at the end */
    size_t show = t->nt;
    if (own && fr->f_sim > 0.0 && dt > 0.0) {
        double span = 8.0 / fr->f_sim / dt;
        show = span + 2.0 < (double)t->nt ? (size_t)span + 2 : t->nt;
    }
    size_t from = t->nt - show;
    double lo = INFINITY, hi = -INFINITY, unit = !own ? 1.0 : fr->dual ? 1e-6 : 1e-9;
    for (size_t i = from; i < t->nt; i++) {
        x[i - from] = t->data[i * w] * 1e9;
        y[i - from] = t->data[i * w + (size_t)col + 1] / unit;
        lo = fmin(lo, y[i - from]), hi = fmax(hi, y[i - from]);
    }
    char title[800], yl[700];
    snprintf(title, sizeof title, "%s: trace at the end of the run", want);
    snprintf(yl, sizeof yl, "%s [%s]", want, !own ? si : fr->dual ? "uV" : "nA");
    frame(x[0], x[show - 1], lo, hi, "t [ns]", yl, title);
    line(x, y, show, 0);
    /* the analysis computed the spectrum of this column if it computed any */
    const qp_tran_spectra *sp = &r->tran.spectra;
    const double *spw = NULL;
    for (size_t q = 0; q < sp->n; q++) {
        spw = sp->col[q] == (size_t)col ? sp->power[q] : spw;
    }
    double *pw = NULL, df = sp->df;
    size_t nb = sp->nb;
    if (spw && (pw = malloc(nb * sizeof *pw)) != NULL && (fx = malloc(nb * sizeof *fx)) != NULL) {
        double plo = INFINITY, phi = -INFINITY, ftop_shown = 0.0;
        for (size_t k = 0; k < nb; k++) {
            fx[k] = (double)k * df / 1e9;
            pw[k] = k == 0 ? -300.0 : 10.0 * log10(spw[k] + 1e-300);
        }
        /* frequency axis up to 4 times the predicted frequency (or everything) */
        double ftop = !own ? fx[nb - 1]
                           : fmax(fmax(4.0 * fr->f_theory, 2.0 * fr->f_sim) / 1e9,
                                  fx[nb < 16 ? nb - 1 : 15]);
        size_t kmax = nb;
        for (size_t k = 1; k < nb; k++) {
            if (fx[k] > ftop) {
                kmax = k;
                break;
            }
        }
        range(pw + 1, kmax - 1, 1, &plo, &phi);
        plo = fmax(plo, phi - 200.0);
        ftop_shown = fx[kmax - 1];
        if (own) {
            snprintf(title, sizeof title, "spectrum of the second half; dashed: %s = %.6g GHz",
                     fr->dual ? "I/2e" : "V/Phi0", fr->f_theory / 1e9);
        } else {
            snprintf(title, sizeof title, "spectrum of %s over the second half", want);
        }
        frame(0.0, ftop_shown, plo, phi, "f [GHz]", "power [dB]", title);
        line(fx + 1, pw + 1, kmax - 1, 0);
        if (own && fr->f_theory > 0.0) {
            vline(fr->f_theory / 1e9, plo, phi + 0.04 * (phi - plo), 1);
        }
    }
    free(x), free(y), free(pw), free(fx);
    plend();
    return 0;
}

/* I-V: mean voltage (junction) or current (phase-slip / Bloch) against the swept parameter, with
 * the Shapiro (n f Phi0) or dual Shapiro (2e n f) levels of every sin source's frequency dashed. */
static int plot_iv(qp_outdir *out, const char *name, const qp_circuit *c, const qp_result *r)
{
    if (r->tran.nfreq == 0) {
        return 0;
    }
    if (start(out, name, 1) != 0) {
        return -1;
    }
    size_t n = r->npoints;
    const qp_tran_freq *f0 = &r->tran.iv[0];
    double *y = malloc(n * sizeof *y), lo = INFINITY, hi = -INFINITY;
    double unit = f0->dual ? 1e-12 : 1e-6;
    if (!y) {
        plend();
        return -1;
    }
    for (size_t p = 0; p < n; p++) {
        const qp_tran_freq *f = &r->tran.iv[p * r->tran.nfreq];
        y[p] = (f->dual ? f->mean_i : f->mean_v) / unit;
        lo = fmin(lo, y[p]), hi = fmax(hi, y[p]);
    }
    char title[700], yl[700];
    snprintf(title, sizeof title, "I-V of %s; dashed: %s", c->elem[f0->element].name,
             f0->dual ? "I_n = 2e n f" : "V_n = n f Phi0");
    snprintf(yl, sizeof yl, "mean %s(%s) [%s]", f0->dual ? "I" : "V", c->elem[f0->element].name,
             f0->dual ? "pA" : "uV");
    double xlo = INFINITY, xhi = -INFINITY;
    range(r->values, n, 1, &xlo, &xhi);
    frame(xlo, xhi, lo, hi, r->param, yl, title);
    int color = 1;
    for (size_t e = 0; e < c->nelem; e++) {
        const qp_element *s = &c->elem[e];
        if ((s->kind != QP_EL_I && s->kind != QP_EL_V) || s->wave.kind != QP_WAVE_SIN) {
            continue;
        }
        double step = (f0->dual ? 2.0 * QP_QE : QP_PHI0) * s->wave.p[2] / unit;
        for (int k = -20; k <= 20 && step > 0.0; k++) {
            if (k * step >= lo - 0.05 * (hi - lo) && k * step <= hi + 0.05 * (hi - lo)) {
                PLFLT px[2] = {r->values[0], r->values[n - 1]}, py[2] = {k * step, k * step};
                plcol0(2 + color % NCOLORS);
                pllsty(2);
                plline(2, px, py);
                pllsty(1);
            }
        }
        color++;
    }
    line(r->values, y, n, 0);
    plcol0(2);
    PLFLT *px = malloc(n * sizeof *px), *py = malloc(n * sizeof *py);
    if (px && py) {
        for (size_t p = 0; p < n; p++) {
            px[p] = r->values[p], py[p] = y[p];
        }
        plpoin((PLINT)n, px, py, 17);
    }
    free(px), free(py), free(y);
    plend();
    return 0;
}

/* A colour map of z (nx x ny, z[i * ny + j] at x[i], y[j]) with its colour bar. */
static void image(const double *x, size_t nx, const double *y, size_t ny, const double *z,
                  const char *xl, const char *yl, const char *title, const char *zl)
{
    /* plimage draws (n - 1) x (m - 1) cells from n x m values, each cell in the colour of its
     * lower-left value: one more row and column (repeating the last) gives one cell per value */
    PLFLT **g = NULL;
    plAlloc2dGrid(&g, (PLINT)nx + 1, (PLINT)ny + 1);
    if (!g) {
        return;
    }
    double lo = INFINITY, hi = -INFINITY;
    range(z, nx * ny, 1, &lo, &hi);
    /* descending axes (a sweep from high to low) are drawn ascending */
    int fx = nx > 1 && x[nx - 1] < x[0], fy = ny > 1 && y[ny - 1] < y[0];
    for (size_t i = 0; i <= nx; i++) {
        for (size_t j = 0; j <= ny; j++) {
            size_t a = i < nx ? i : nx - 1, b = j < ny ? j : ny - 1;
            double v = z[(fx ? nx - 1 - a : a) * ny + (fy ? ny - 1 - b : b)];
            g[i][j] = isfinite(v) ? v : lo;
        }
    }
    if (!(hi > lo)) {
        hi = lo + 1.0;
    }
    /* each value fills the cell around its grid point */
    double xa = fmin(x[0], x[nx - 1]), xb = fmax(x[0], x[nx - 1]);
    double ya = fmin(y[0], y[ny - 1]), yb = fmax(y[0], y[ny - 1]);
    double hx = nx > 1 ? 0.5 * (xb - xa) / (double)(nx - 1) : 0.5;
    double hy = ny > 1 ? 0.5 * (yb - ya) / (double)(ny - 1) : 0.5;
    double x0 = xa - hx, x1 = xb + hx, y0 = ya - hy, y1 = yb + hy;
    /* a perceptually ordered map: dark blue, teal, green, yellow */
    static const PLFLT pos[4] = {0.0, 0.35, 0.7, 1.0}, cr[4] = {0.27, 0.13, 0.47, 0.99},
                       cg[4] = {0.0, 0.57, 0.82, 0.91}, cb[4] = {0.33, 0.55, 0.32, 0.14};
    plscmap1l(1, 4, pos, cr, cg, cb, NULL);
    pladv(0);
    plvpor(0.1, 0.82, 0.16, 0.88);
    plwind(x0, x1, y0, y1);
    plcol0(1);
    plimage((PLFLT_MATRIX)g, (PLINT)nx + 1, (PLINT)ny + 1, x0, x1, y0, y1, lo, hi, x0, x1, y0,
            y1);
    plbox("bcnst", 0.0, 0, "bcnstv", 0.0, 0);
    pllab(xl, yl, title);
    /* colour bar: a strip of the map's values on the right */
    PLFLT **bar = NULL;
    plAlloc2dGrid(&bar, 2, 64);
    if (bar) {
        for (int j = 0; j < 64; j++) {
            bar[0][j] = bar[1][j] = lo + (hi - lo) * j / 63.0;
        }
        plvpor(0.86, 0.89, 0.16, 0.88);
        plwind(0.0, 1.0, lo, hi);
        plimage((PLFLT_MATRIX)bar, 2, 64, 0.0, 1.0, lo, hi, lo, hi, 0.0, 1.0, lo, hi);
        plcol0(1);
        plbox("bc", 0.0, 0, "bcmstv", 0.0, 0);
        plmtex("r", 5.0, 0.5, 0.5, zl);
        plFree2dGrid(bar, 2, 64);
    }
    plFree2dGrid(g, (PLINT)nx + 1, (PLINT)ny + 1);
}

/* 2-D sweep: the first transition E1 - E0 (and E2 - E1 when computed) over the parameter grid. */
static int plot_sweep_2d(qp_outdir *out, const char *name, const qp_result *r)
{
    size_t n2 = 1;
    while (n2 < r->npoints && r->values[n2] == r->values[0]) {
        n2++;
    }
    size_t n1 = r->npoints / n2;
    if (r->spec.nlev < 2 || n1 < 2 || n2 < 2 || n1 * n2 != r->npoints) {
        return 0;
    }
    int panels = r->spec.nlev > 2 ? 2 : 1;
    if (start(out, name, panels) != 0) {
        return -1;
    }
    double *x = malloc(n1 * sizeof *x), *y = malloc(n2 * sizeof *y);
    double *z = malloc(r->npoints * sizeof *z);
    if (x && y && z) {
        for (size_t i = 0; i < n1; i++) {
            x[i] = r->values[i * n2];
        }
        for (size_t j = 0; j < n2; j++) {
            y[j] = r->values2[j];
        }
        for (int t = 0; t < panels; t++) {
            for (size_t p = 0; p < r->npoints; p++) {
                const double *E = r->spec.levels + p * (size_t)r->spec.nlev;
                z[p] = E[t + 1] - E[t];
            }
            char title[64], zl[64];
            snprintf(title, sizeof title, "E%d - E%d", t + 1, t);
            snprintf(zl, sizeof zl, "E%d - E%d [GHz]", t + 1, t);
            if (x[n1 - 1] != x[0] && y[n2 - 1] != y[0]) {
                image(x, n1, y, n2, z, r->param, r->param2, title, zl);
            }
        }
    }
    free(x), free(y), free(z);
    plend();
    return 0;
}

/* Wavefunctions. One variable: |psi_k|^2 drawn at height E_k (scaled to fit between the
 * levels), the levels dashed. Two variables: |psi_0|^2 and |psi_1|^2 as colour maps. */
static int plot_wave(qp_outdir *out, const char *name, const qp_circuit *c, const qp_result *r)
{
    const qp_wavefunctions *w = &r->spec.wave;
    size_t n1 = w->npts[0], n2 = w->npts[1], np = n1 * n2;
    char xl[2][700];
    for (size_t v = 0; v < w->nvar; v++) {
        if (w->node[v] > 0) {
            snprintf(xl[v], sizeof xl[v], "phase of node %s [rad]", c->node_names[w->node[v]]);
        } else {
            snprintf(xl[v], sizeof xl[v], "%s of mode m%d [%s]",
                     w->var[v] == 'q' ? "charge q" : "phase", w->mode[v] + 1,
                     w->var[v] == 'q' ? "2e" : "rad");
        }
    }
    if (w->nvar == 2) {
        int panels = w->nlev > 1 ? 2 : 1;
        double *z = malloc(np * sizeof *z);
        if (!z || start(out, name, panels) != 0) {
            free(z);
            return -1;
        }
        for (int k = 0; k < panels; k++) {
            for (size_t p = 0; p < np; p++) {
                double a = w->re[(size_t)k * np + p], b = w->im[(size_t)k * np + p];
                z[p] = a * a + b * b;
            }
            char title[64];
            snprintf(title, sizeof title, "|psi%d|^2, E%d = %.6g GHz", k, k, r->spec.levels[k]);
            image(w->x[0], n1, w->x[1], n2, z, xl[0], xl[1], title, "density");
        }
        free(z);
        plend();
        return 0;
    }
    double *y = malloc(n1 * sizeof *y);
    if (!y || start(out, name, 1) != 0) {
        free(y);
        return -1;
    }
    double elo = r->spec.levels[0], ehi = r->spec.levels[w->nlev - 1], gap = INFINITY, pmax = 0.0;
    for (int k = 1; k < w->nlev; k++) {
        gap = fmin(gap, r->spec.levels[k] - r->spec.levels[k - 1]);
    }
    if (!(gap > 0.0) || !isfinite(gap)) {
        gap = fmax(1.0, fabs(elo));
    }
    for (size_t p = 0; p < (size_t)w->nlev * n1; p++) {
        pmax = fmax(pmax, w->re[p] * w->re[p] + w->im[p] * w->im[p]);
    }
    double scale = pmax > 0.0 ? 0.8 * gap / pmax : 1.0;
    frame(w->x[0][0], w->x[0][n1 - 1], elo, ehi + 0.8 * gap, xl[0], "E [GHz]",
          "wavefunctions: |psi_k|^2 (scaled) drawn at E_k");
    for (int k = 0; k < w->nlev; k++) {
        for (size_t p = 0; p < n1; p++) {
            double a = w->re[(size_t)k * n1 + p], b = w->im[(size_t)k * n1 + p];
            y[p] = r->spec.levels[k] + scale * (a * a + b * b);
        }
        PLFLT px[2] = {w->x[0][0], w->x[0][n1 - 1]}, py[2] = {r->spec.levels[k], r->spec.levels[k]};
        plcol0(NCOLORS + 1);
        pllsty(2);
        plline(2, px, py);
        pllsty(1);
        line(w->x[0], y, n1, k);
    }
    free(y);
    plend();
    return 0;
}

/* Level diagram of an unswept spectrum (also the levels of .matrix and .wavefunction): each
 * level a horizontal line, labelled with E_k - E_0. */
static int plot_levels(qp_outdir *out, const char *name, const qp_result *r)
{
    if (r->spec.nlev < 1 || start(out, name, 1) != 0) {
        return r->spec.nlev < 1 ? 0 : -1;
    }
    double lo = r->spec.levels[0], hi = r->spec.levels[r->spec.nlev - 1], m = 0.05 * (hi - lo);
    if (!(m > 0.0)) {
        m = fmax(1e-3, 0.05 * fabs(lo));
    }
    pladv(0);
    plvsta();
    plwind(0.0, 1.0, lo - m, hi + m);
    plcol0(1);
    plbox("bc", 0.0, 0, "bcnstv", 0.0, 0);
    pllab("", "E [GHz]", "levels; labels: E_k - E_0 [GHz]");
    for (int k = 0; k < r->spec.nlev; k++) {
        PLFLT px[2] = {0.1, 0.6}, py[2] = {r->spec.levels[k], r->spec.levels[k]};
        plcol0(2 + k % NCOLORS);
        plwidth(3.0);
        plline(2, px, py);
        plwidth(1.0);
        char lab[64];
        snprintf(lab, sizeof lab, "E%d: %.6g", k, r->spec.levels[k] - r->spec.levels[0]);
        plcol0(1);
        plptex(0.63, r->spec.levels[k], 1.0, 0.0, 0.0, lab);
    }
    plend();
    return 0;
}

/* .matrix: |<i|O|j>| of the first two operators as colour maps over (i, j). */
static int plot_matrix(qp_outdir *out, const char *name, const qp_circuit *c, const qp_result *r)
{
    const qp_analysis *an = &c->analyses[r->analysis];
    size_t L = (size_t)r->spec.nlev, panels = r->spec.nops < 2 ? r->spec.nops : 2;
    if (L < 2 || panels == 0 || r->param2) { /* 2-D sweeps: the CSV only */
        return 0;
    }
    if (r->param) { /* |<i|O|j>| of the first levels against the parameter */
        size_t S = L < 4 ? L : 4, np = r->npoints;
        double *y = malloc(np * sizeof *y);
        if (!y || start(out, name, (int)panels) != 0) {
            free(y);
            return -1;
        }
        for (size_t q = 0; q < panels; q++) {
            double lo = INFINITY, hi = -INFINITY;
            for (size_t p = 0; p < np; p++) {
                const double *re = r->spec.mre + (p * r->spec.nops + q) * L * L;
                const double *im = r->spec.mim + (p * r->spec.nops + q) * L * L;
                for (size_t i = 0; i < S; i++) {
                    for (size_t jj = i + 1; jj < S; jj++) {
                        double a = hypot(re[i * L + jj], im[i * L + jj]);
                        lo = fmin(lo, a), hi = fmax(hi, a);
                    }
                }
            }
            char title[700], yl[64];
            snprintf(title, sizeof title, "|<i|%s|j>| for i < j < %zu, labelled i-j at the end",
                     an->ops[q].name, S);
            snprintf(yl, sizeof yl, "[%s]", qp_states_operator_unit(an->ops[q].kind));
            frame(fmin(r->values[0], r->values[np - 1]), fmax(r->values[0], r->values[np - 1]),
                  fmin(lo, 0.0), hi, r->param, yl, title);
            int col = 0;
            for (size_t i = 0; i < S; i++) {
                for (size_t jj = i + 1; jj < S; jj++, col++) {
                    for (size_t p = 0; p < np; p++) {
                        const double *re = r->spec.mre + (p * r->spec.nops + q) * L * L;
                        const double *im = r->spec.mim + (p * r->spec.nops + q) * L * L;
                        y[p] = hypot(re[i * L + jj], im[i * L + jj]);
                    }
                    line(r->values, y, np, col);
                    size_t last = r->values[np - 1] >= r->values[0] ? np - 1 : 0;
                    char lab[16];
                    snprintf(lab, sizeof lab, "%zu-%zu ", i, jj);
                    plcol0(2 + col % NCOLORS);
                    plptex(r->values[last], y[last], 1.0, 0.0, 1.0, lab); /* ends at the curve */
                }
            }
        }
        free(y);
        plend();
        return 0;
    }
    double *ax = malloc(L * sizeof *ax), *z = malloc(L * L * sizeof *z);
    if (!ax || !z || start(out, name, (int)panels) != 0) {
        free(ax), free(z);
        return -1;
    }
    for (size_t i = 0; i < L; i++) {
        ax[i] = (double)i;
    }
    for (size_t q = 0; q < panels; q++) {
        for (size_t i = 0; i < L * L; i++) {
            z[i] = hypot(r->spec.mre[q * L * L + i], r->spec.mim[q * L * L + i]);
        }
        char title[700];
        snprintf(title, sizeof title, "|<i|%s|j>|", an->ops[q].name);
        image(ax, L, ax, L, z, "i", "j", title, qp_states_operator_unit(an->ops[q].kind));
    }
    free(ax), free(z);
    plend();
    return 0;
}

/* Swept .coherence: log10 of T1, T2 and every channel's time against the parameter, named in a
 * key at the top left in their colours; times more than 8 decades above the shortest are drawn
 * at that top. */
static int plot_coherence(qp_outdir *out, const char *name, const qp_result *r)
{
    const qp_coherence_out *h = &r->coh;
    size_t n = r->npoints;
    double *y = malloc(n * sizeof *y), lo = INFINITY, xlo = INFINITY, xhi = -INFINITY;
    if (!y || start(out, name, 1) != 0) {
        free(y);
        return -1;
    }
    range(r->values, n, 1, &xlo, &xhi);
    for (size_t p = 0; p < n; p++) {
        lo = fmin(lo, log10(h->t2[p]));
        for (int ch = 0; ch < QP_CH_COUNT; ch++) {
            double rate = h->rate[p * QP_CH_COUNT + (size_t)ch];
            lo = rate > 0.0 ? fmin(lo, -log10(rate)) : lo;
        }
    }
    lo = isfinite(lo) ? floor(lo) : -6.0;
    double hi = lo + 8.0;
    char title[160];
    int same = 1; /* a sweep may change the temperature */
    for (size_t p = 1; p < n; p++) {
        same &= h->temp[p] == h->temp[0];
    }
    if (same) {
        snprintf(title, sizeof title, "coherence of %d -> %d at %.3g mK", h->from, h->to,
                 h->temp[0] * 1e3);
    } else {
        snprintf(title, sizeof title, "coherence of %d -> %d, temperature swept", h->from, h->to);
    }
    frame(xlo, xhi, lo, hi, r->param, "log10(time / s)", title);
    int shown = 0;
    for (int k = -2; k < QP_CH_COUNT; k++) { /* T1, T2, then the channels */
        if (k >= 0 && !(h->present >> k & 1u)) {
            continue;
        }
        for (size_t p = 0; p < n; p++) {
            double t = k == -2 ? h->t1[p]
                     : k == -1 ? h->t2[p]
                               : 1.0 / h->rate[p * QP_CH_COUNT + (size_t)k];
            y[p] = isfinite(t) && t > 0.0 ? fmin(log10(t), hi) : hi;
        }
        line(r->values, y, n, k + 2);
        plschr(0.0, 0.7);
        plcol0(2 + (k + 2) % NCOLORS);
        plptex(xlo + 0.02 * (xhi - xlo), hi - 0.35 * (double)(++shown), 1.0, 0.0, 0.0,
               k == -2 ? "T1" : k == -1 ? "T2" : qp_channel_name((qp_channel)k));
        plschr(0.0, 1.1);
    }
    free(y);
    plend();
    return 0;
}

int qp_plot_results(qp_outdir *out, const qp_circuit *c, const qp_results *res)
{
    int rc = 0;
    for (size_t i = 0; i < res->n; i++) {
        const qp_result *r = &res->r[i];
        char name[64];
        if (!r->computed) {
            continue;
        }
        if (r->kind == QP_AN_SPECTRUM && r->param2) {
            snprintf(name, sizeof name, "analysis%zu_sweep.png", i + 1);
            rc |= plot_sweep_2d(out, name, r);
        } else if (r->param2) { /* 2-D swept transients: the CSV only */
            continue;
        } else if (r->kind == QP_AN_WAVE) {
            snprintf(name, sizeof name, "analysis%zu_wavefunction.png", i + 1);
            rc |= plot_wave(out, name, c, r);
        } else if (r->kind == QP_AN_MATRIX) {
            snprintf(name, sizeof name, "analysis%zu_matrix.png", i + 1);
            rc |= plot_matrix(out, name, c, r);
        } else if (r->kind == QP_AN_SPECTRUM && !r->param) {
            snprintf(name, sizeof name, "analysis%zu_spectrum.png", i + 1);
            rc |= plot_levels(out, name, r);
        } else if (r->kind == QP_AN_SPECTRUM && r->param && r->npoints > 1) {
            snprintf(name, sizeof name, "analysis%zu_sweep.png", i + 1);
            rc |= plot_sweep(out, name, r);
        } else if (r->kind == QP_AN_COHERENCE && r->param && r->npoints > 1) {
            snprintf(name, sizeof name, "analysis%zu_coherence.png", i + 1);
            rc |= plot_coherence(out, name, r);
        } else if (r->kind == QP_AN_BANDS) {
            snprintf(name, sizeof name, "analysis%zu_bands.png", i + 1);
            rc |= plot_bands(out, name, c, r);
        } else if (r->kind == QP_AN_TRAN && !r->param) {
            snprintf(name, sizeof name, "analysis%zu_tran.png", i + 1);
            rc |= plot_tran(out, name, c, r);
        } else if (r->kind == QP_AN_TRAN && r->npoints > 1) {
            snprintf(name, sizeof name, "analysis%zu_tran_iv.png", i + 1);
            rc |= plot_iv(out, name, c, r);
        }
    }
    return rc ? -1 : 0;
}

#else

int qp_plot_results(qp_outdir *out, const qp_circuit *c, const qp_results *res)
{
    (void)out, (void)c, (void)res;
    return 0;
}

#endif
