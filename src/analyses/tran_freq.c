/* .tran: the junctions' frequencies from the traces (zero crossings, FFT peak), the spectrum
 * shown for a transient. */
#include "analyses/tran_impl.h"

#include "base/strbuf.h"
#include "qpsim/units.h"
#include "solve/fft.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the samples of the second half must hold for a frequency (docs/netlist.md, .tran,
 * "Resolution"; measured on the AC Josephson deck, f = 4.836 GHz): */
#define FREQ_SAMPLES_MIN 8   /* samples: fewer give no frequency at all */
#define NYQUIST_SPP 2.0      /* samples per predicted period: fewer alias it (150 ps read 1.83 GHz,
                              * exit 0): refused */
#define GOOD_SPP 4.0         /* fewer: the crossings err by 2e-5 at 4, 1e-3 at 2.3, 10 % at 2.07
                              * samples per period (the FFT stays within 1e-6): warned */
#define PERIODS_MIN 4.0      /* predicted periods: with 3 or fewer the crossings may count none
                              * (the hysteresis arms within a period); the FFT errs by 1e-3 to 1e-4 */
#define SLIP_MIN 0.5          /* phase advance per counted period, in 2 pi (charge: in 2e): less
                              * and the crossings are not slips (see slips()) */
#define PERIODS_MOVING 0.5   /* fewer predicted periods: a junction at rest (its phase advanced by
                              * less than pi), not a cut oscillation: nothing to warn */

/* ---------------------------------------------------------------- frequency estimators */

static double sample_at(const double *x, size_t n, double u);

/* Integral of the samples x (unit spacing) from fractional index u1 to u2: trapezoids between
 * whole samples, the two end pieces from the cubic through neighbouring samples. */
static double integral(const double *x, size_t n, double u1, double u2)
{
    size_t i1 = (size_t)ceil(u1), i2 = (size_t)floor(u2);
    if (!(u2 > u1) || i2 >= n) {
        return 0.0;
    }
    if (i1 > i2) {
        return 0.5 * (sample_at(x, n, u1) + sample_at(x, n, u2)) * (u2 - u1);
    }
    double s = 0.5 * (sample_at(x, n, u1) + x[i1]) * ((double)i1 - u1);
    for (size_t i = i1; i < i2; i++) {
        s += 0.5 * (x[i] + x[i + 1]);
    }
    return s + 0.5 * (x[i2] + sample_at(x, n, u2)) * (u2 - (double)i2);
}

/* x at fractional sample index u, by the cubic through the four nearest samples. */
static double sample_at(const double *x, size_t n, double u)
{
    if (n < 4) {
        return n ? x[0] : 0.0;
    }
    double fl = floor(u);
    size_t i = fl < 1.0 ? 1 : (size_t)fl;
    if (i + 2 >= n) {
        i = n - 3;
    }
    double s = u - (double)i, y0 = x[i - 1], y1 = x[i], y2 = x[i + 1], y3 = x[i + 2];
    return y0 * (-s * (s - 1) * (s - 2) / 6.0) + y1 * ((s + 1) * (s - 1) * (s - 2) / 2.0) +
           y2 * (-(s + 1) * s * (s - 2) / 2.0) + y3 * ((s + 1) * s * (s - 1) / 6.0);
}

double qp_freq_crossings(const double *x, size_t n, double dt, int *periods, double *t_first,
                         double *t_last)
{
    *periods = 0;
    if (n < 4 || !(dt > 0.0)) {
        return 0.0;
    }
    double lo = x[0], hi = x[0], mean = 0.0;
    for (size_t i = 0; i < n; i++) {
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
        mean += x[i];
    }
    mean /= (double)n;
    double band = 0.1 * (hi - lo);
    if (!(band > 0.0)) {
        return 0.0;
    }
    /* upward crossings of the mean, armed only after the signal went below mean - band */
    int armed = 0, count = 0;
    double first = 0.0, last = 0.0;
    for (size_t i = 1; i < n; i++) {
        if (x[i] < mean - band) {
            armed = 1;
        }
        if (armed && x[i - 1] < mean && x[i] >= mean) {
            double tc = ((double)(i - 1) + (mean - x[i - 1]) / (x[i] - x[i - 1])) * dt;
            if (i >= 2 && i + 1 < n) { /* bisection on the cubic through the 4 samples around */
                double a = 0.0, b = 1.0;
                for (int it = 0; it < 50; it++) {
                    double s = 0.5 * (a + b);
                    if (sample_at(x, n, (double)(i - 1) + s) < mean) {
                        a = s;
                    } else {
                        b = s;
                    }
                }
                tc = ((double)(i - 1) + 0.5 * (a + b)) * dt;
            }
            if (count == 0) {
                first = tc;
            }
            last = tc;
            count++;
            armed = 0;
        }
    }
    if (count < 3 || !(last > first)) { /* two whole periods at least: not a ringing tail */
        return 0.0;
    }
    *periods = count - 1;
    if (t_first) {
        *t_first = first;
    }
    if (t_last) {
        *t_last = last;
    }
    return (double)(count - 1) / (last - first);
}

/* Whether the periods counted between fractional sample indices u1 and u2 (of the second half,
 * from sample half on) are slips: the phase (charge) column cx advanced by at least half a
 * 2 pi (2e) per period. A junction locked on a zero-voltage step under an ac drive carries a
 * supercurrent at the drive's frequency with no net slip; its crossings counted 199 periods of
 * a 10 GHz drive against V/Phi0 = 15 Hz (rel_diff 6.5e8). */
static int slips(const qp_tran_trace *tr, size_t w, size_t half, size_t cx,
                 const qp_tran_freq *fr, double u1, double u2)
{
    size_t m = tr->nt - half;
    double *x = malloc(m * sizeof *x);
    if (!x) {
        return 1; /* keeps the crossings: only the check is lost */
    }
    for (size_t i = 0; i < m; i++) {
        x[i] = tr->data[(half + i) * w + cx + 1];
    }
    double adv = fabs(sample_at(x, m, u2) - sample_at(x, m, u1));
    free(x);
    double quantum = fr->dual ? 2.0 * QP_QE : 2.0 * QP_PI;
    return adv >= SLIP_MIN * quantum * (double)fr->periods;
}

int qp_tran_spectrum(const qp_tran_result *t, size_t col, double **power, size_t *nb,
                     double *df)
{
    *power = NULL;
    *nb = 0;
    *df = 0.0;
    if (t->nt < 16 || col >= t->ncol) {
        return -1;
    }
    size_t w = t->ncol + 1, m = qp_fft_len(t->nt - t->nt / 2), from = t->nt - m;
    double dt = t->data[w] - t->data[0];
    double *x = malloc(m * sizeof *x), *pw = malloc((m / 2 + 1) * sizeof *pw);
    if (!x || !pw || !(dt > 0.0)) {
        free(x);
        free(pw);
        return -1;
    }
    for (size_t k = 0; k < m; k++) {
        x[k] = t->data[(from + k) * w + col + 1];
    }
    qp_fft_hann(x, m);
    int r = qp_power_spectrum(x, m, pw);
    free(x);
    if (r != 0) {
        free(pw);
        return -1;
    }
    *power = pw;
    *nb = m / 2 + 1;
    *df = 1.0 / ((double)m * dt);
    return 0;
}

/* qp_freq_fft with the plan kept in *f between calls (made again when the length changes):
 * the junctions of one run share it. */
static double freq_fft_cached(qp_fft *f, const double *x, size_t n, double dt)
{
    if (n < 8 || !(dt > 0.0)) {
        return 0.0;
    }
    size_t len = qp_fft_len(n);
    if (f->n != len) {
        qp_fft_free(f);
        if (qp_fft_init(f, len) != 0) {
            return 0.0;
        }
    }
    x += n - len;
    n = len;
    memcpy(f->in, x, n * sizeof *f->in);
    qp_fft_hann(f->in, n);
    qp_fft_run(f);
    double(*out)[2] = f->out;
    size_t best = 0;
    double bp = 0.0;
    for (size_t k = 1; k < n / 2; k++) {
        double pw = out[k][0] * out[k][0] + out[k][1] * out[k][1];
        if (pw > bp) {
            bp = pw;
            best = k;
        }
    }
    if (best < 2) { /* bin 1's left neighbour is the mean, which was removed */
        return 0.0;
    }
    /* Hann-window interpolation (Grandke): with a = |X_{k+1}| / |X_k| for the larger neighbour,
     * the tone lies (2a - 1)/(a + 1) bins from k, exactly for a pure tone up to the leakage of
     * its negative-frequency image */
    double m0 = sqrt(bp), mm = hypot(out[best - 1][0], out[best - 1][1]);
    double mp = hypot(out[best + 1][0], out[best + 1][1]);
    double a = (mp > mm ? mp : mm) / m0, d = (2.0 * a - 1.0) / (a + 1.0);
    d = fmin(fmax(d, 0.0), 1.0);
    return ((double)best + (mp > mm ? d : -d)) / ((double)n * dt);
}

double qp_freq_fft(const double *x, size_t n, double dt)
{
    qp_fft f = {0};
    double r = freq_fft_cached(&f, x, n, dt);
    qp_fft_free(&f);
    return r;
}

/* ---------------------------------------------------------------- the run's reports */

/* The frequency report of every junction from the traces of the second half. */
qp_status qp_tran_analyse(const qp_tran_sys *S, const qp_analysis *an, const qp_tran_trace *tr,
                          int whole, qp_tran_result *out)
{
    const qp_circuit *c = S->c;
    size_t nj = 0;
    for (size_t e = 0; e < c->nelem; e++) {
        nj += c->elem[e].kind == QP_EL_B || c->elem[e].kind == QP_EL_Q;
    }
    out->freq = calloc(nj ? nj : 1, sizeof *out->freq);
    double *sig = malloc((tr->nt ? tr->nt : 1) * sizeof *sig);
    if (!out->freq || !sig) {
        free(sig);
        return QP_ERR_NOMEM;
    }
    size_t w = tr->ncol + 1, half = whole ? 0 : qp_tran_half_start(tr->nt), m = tr->nt - half;
    double dt = an->tstep, span = (double)(m - 1) * dt;
    qp_fft fft = {0}; /* one plan for every junction (the same length) */
    /* column of each element's signals: the order of qp_tran_signal_values */
    size_t col = S->nn;
    for (size_t e = 0; e < c->nelem; e++) {
        const qp_element *el = &c->elem[e];
        if (qp_tran_current_signal(el->kind)) {
            col += 1;
            continue;
        }
        if (el->kind != QP_EL_B && el->kind != QP_EL_Q) {
            continue;
        }
        qp_tran_freq *fr = &out->freq[out->nfreq++];
        fr->element = (int)e;
        fr->dual = el->kind == QP_EL_Q || S->bloch[e];
        /* columns: V, then P or Q, then (junction) Is */
        size_t cv = col, cx = col + 1, cs = fr->dual ? col : col + 2;
        col += fr->dual ? 2 : 3;
        if (m < 2 || !(span > 0.0)) {
            continue;
        }
        const double *r0 = tr->data + half * w, *r1 = tr->data + (tr->nt - 1) * w;
        double adv = r1[cx + 1] - r0[cx + 1]; /* phase [rad] or charge [C] advance */
        double vsum = 0.0;
        for (size_t i = half; i < tr->nt; i++) {
            sig[i - half] = tr->data[i * w + cs + 1];
            vsum += tr->data[i * w + cv + 1];
        }
        if (fr->dual) {
            fr->mean_i = adv / span;
            fr->mean_v = vsum / (double)m;
            fr->f_theory = fabs(fr->mean_i) / (2.0 * QP_QE);
            fr->area_theory = 2.0 * QP_QE;
        } else {
            fr->mean_v = QP_PHI0 / (2.0 * QP_PI) * adv / span;
            fr->f_theory = fabs(fr->mean_v) / QP_PHI0;
            fr->area_theory = QP_PHI0;
        }
        /* The means above need two samples; a frequency needs FREQ_SAMPLES_MIN (the mean bias
         * of a short run used to be dropped with the frequencies and read 0) */
        if (m < FREQ_SAMPLES_MIN) {
            continue;
        }
        double t1 = 0.0, t2 = 0.0;
        fr->f_sim = qp_freq_crossings(sig, m, dt, &fr->periods, &t1, &t2);
        fr->f_fft = freq_fft_cached(&fft, sig, m, dt);
        if (fr->periods > 0 && !slips(tr, w, half, cx, fr, t1 / dt, t2 / dt)) {
            fr->periods = 0; /* a driven junction at rest: its current follows the drive */
            fr->f_sim = 0.0;
        }
        if (fr->periods > 0) {
            /* The mean bias over whole periods (first to last crossing): a mean over a fraction
             * of a period more would be biased by the uneven advance within a period. For a
             * junction it is the integral of its voltage trace, an unknown of its own, so that
             * V/Phi0 against the supercurrent's frequency checks the Josephson relation as
             * integrated; for a phase-slip or Bloch junction it is its charge advance. */
            size_t col_mean = fr->dual ? cx : cv;
            for (size_t i = half; i < tr->nt; i++) {
                sig[i - half] = tr->data[i * w + col_mean + 1];
            }
            if (fr->dual) {
                adv = sample_at(sig, m, t2 / dt) - sample_at(sig, m, t1 / dt);
                fr->mean_i = adv / (t2 - t1);
                fr->f_theory = fabs(fr->mean_i) / (2.0 * QP_QE);
            } else {
                fr->mean_v = integral(sig, m, t1 / dt, t2 / dt) * dt / (t2 - t1);
                fr->f_theory = fabs(fr->mean_v) / QP_PHI0;
            }
        }
        if (fr->periods > 0 && fr->f_sim > 0.0) {
            /* integral over the counted periods: V dt = (Phi0/2pi) dphi, I dt = dQ */
            double per_time = (double)fr->periods / fr->f_sim;
            double total = fr->dual ? fabs(fr->mean_i) * per_time
                                    : fabs(fr->mean_v) * per_time;
            fr->area = total / fr->periods;
        }
    }
    qp_fft_free(&fft);
    free(sig);
    return QP_OK;
}

/* v with an SI prefix: "150 ps", "4.836 GHz" (messages only). */
static const char *si(char *buf, size_t len, double v, const char *unit)
{
    static const char pre[] = "afpnum kMGTPE";
    int k = 6; /* no prefix */
    double a = fabs(v);
    while (a > 0.0 && a < 1.0 && k > 0) {
        a *= 1e3, v *= 1e3, k--;
    }
    while (a >= 1e3 && k < 12) {
        a *= 1e-3, v *= 1e-3, k++;
    }
    snprintf(buf, len, "%.4g %s%s", v, k == 6 ? "" : (char[]){pre[k], '\0'}, unit);
    return buf;
}

qp_status qp_tran_resolution(const qp_circuit *c, const qp_analysis *an, const qp_tran_result *r,
                             char *err, size_t errlen, char *warn, size_t warnlen)
{
    if (warnlen) {
        warn[0] = '\0';
    }
    size_t m = r->samples - qp_tran_half_start(r->samples);
    double dt = an->tstep, span = m > 1 ? (double)(m - 1) * dt : 0.0;
    char a[32], b[32], x[32], y[32];
    int warned = 0;
    if (m < FREQ_SAMPLES_MIN && r->nfreq > 0) {
        qp_errf(warn, warnlen, "the second half of the run holds %zu sample%s: a frequency needs "
                "%d or more (TSTEP <= %s)", m, m == 1 ? "" : "s", FREQ_SAMPLES_MIN,
                si(a, sizeof a, 0.5 * (an->tstop - an->tstart) / (FREQ_SAMPLES_MIN - 1), "s"));
        warned = 1;
    }
    for (size_t k = 0; k < r->nfreq; k++) {
        const qp_tran_freq *fr = &r->freq[k];
        double f = fr->f_theory, spp = f > 0.0 ? 1.0 / (f * dt) : INFINITY;
        const char *name = c->elem[fr->element].name;
        const char *law = fr->dual ? "I/2e of its mean current" : "V/Phi0 of its mean voltage";
        si(a, sizeof a, dt, "s");
        si(b, sizeof b, f, "Hz");
        if (spp < NYQUIST_SPP) {
            qp_errf(err, errlen, "TSTEP = %s gives %.3g samples per period of the %s predicted "
                    "for %s (%s): below 2 (Nyquist) the traces alias it and its measured "
                    "frequency would be wrong; use TSTEP < %s (%s or less for %g samples per "
                    "period)", a, spp, b, name, law,
                    si(x, sizeof x, 1.0 / (NYQUIST_SPP * f), "s"),
                    si(y, sizeof y, 1.0 / (GOOD_SPP * f), "s"), GOOD_SPP);
            return QP_ERR_INPUT;
        }
        double periods = f * span;
        if (warned || !(periods >= PERIODS_MOVING)) {
            continue;
        }
        if (periods < PERIODS_MIN) {
            qp_errf(warn, warnlen, "the second half of the run (%s) holds %.3g periods of the %s "
                    "predicted for %s (%s): a frequency needs %g or more (TSTOP >= %s)",
                    si(x, sizeof x, span, "s"), periods, b, name, law, PERIODS_MIN,
                    si(y, sizeof y, an->tstart + 2.0 * PERIODS_MIN / f + dt, "s"));
            warned = 1;
        } else if (spp < GOOD_SPP) {
            qp_errf(warn, warnlen, "TSTEP = %s gives only %.3g samples per period of the %s "
                    "predicted for %s (%s): its measured frequency loses accuracy below %g "
                    "(TSTEP <= %s)", a, spp, b, name, law, GOOD_SPP,
                    si(y, sizeof y, 1.0 / (GOOD_SPP * f), "s"));
            warned = 1;
        }
    }
    return QP_OK;
}
