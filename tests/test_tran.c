/* Unit tests: the transient integrator on linear circuits with closed forms, and the frequency
 * estimators on pure tones (docs/physics.md, closed forms 5.4-5.6 for the junction cases, checked by the decks). */
#include "analyses/tran_radau.h"
#include "qpsim/engine.h"
#include "qpsim/tran.h"
#include "qpsim/units.h"
#include "solve/fft.h"

#include "tap.h"
#include "util.h"

#include <math.h>
#include <stdint.h>

#define PI 3.14159265358979323846
#define TOL_TRACE 1e-5   /* traces between steps (dense output) against closed forms, relative
                          * to the signal's scale, at the default rtol 1e-5 */
#define TOL_FREQ 1e-6    /* zero-crossing estimator on a clean tone */
#define TOL_FFT 1e-3     /* Hann + log-parabola peak, in units of one bin */
#define TOL_PARSEVAL 1e-12
#define TOL_RSJ 5e-6    /* mean voltages of overdamped junctions over the whole periods of the
                          * 0.5 ps samples: 1.4e-6 measured, with and without factor reuse */
#define TOL_RADAU 1e-14  /* the decoupling constants (20 digits) in double precision */

static qp_status run_deck(const char *deck, qp_tran_result *out, qp_circuit **cp)
{
    char *msgs = NULL;
    qp_status st = elaborate_text(deck, NULL, NULL, 0, cp, &msgs);
    if (st != QP_OK) {
        printf("# %s", msgs ? msgs : "");
        free(msgs);
        return st;
    }
    free(msgs);
    char err[256] = "";
    st = qp_tran_run(*cp, &(*cp)->analyses[0], 1, NULL, NULL, out, err, sizeof err);
    if (st != QP_OK) {
        printf("# tran: %s\n", err);
    }
    return st;
}

static int column(const qp_tran_result *r, const char *name)
{
    for (size_t i = 0; i < r->ncol; i++) {
        if (strcmp(r->col[i], name) == 0) {
            return (int)i + 1;
        }
    }
    return -1;
}

/* RC charging: V0 = 1 mV through R = 1 kOhm into C = 1 pF (tau = 1 ns). The source switches on
 * linearly over the first TSTEP T = 10 ps, so the closed form is the ramp response:
 * v = V0 (t - tau (1 - e^-t/tau)) / T for t < T, V0 (1 - (tau/T)(e^-(t-T)/tau - e^-t/tau)) after. */
static double rc_error(const char *deck, size_t *nt, size_t *steps)
{
    qp_circuit *c = NULL;
    qp_tran_result r;
    double worst = INFINITY;
    if (run_deck(deck, &r, &c) == QP_OK) {
        int k = column(&r, "V(2)");
        worst = k > 0 ? 0.0 : INFINITY;
        for (size_t i = 0; i < r.nt && k > 0; i++) {
            const double *row = r.data + i * (r.ncol + 1);
            double t = row[0], tau = 1e-9, T = 10e-12;
            double want = t < T ? 1e-3 * (t - tau * (1.0 - exp(-t / tau))) / T
                                : 1e-3 * (1.0 - tau / T * (exp(-(t - T) / tau) - exp(-t / tau)));
            worst = fmax(worst, fabs(row[k] - want) / 1e-3);
        }
        *nt = r.nt;
        *steps = r.steps;
        qp_tran_free(&r);
    }
    qp_circuit_free(c);
    return worst;
}

static void test_rc(void)
{
    size_t nt = 0, steps = 0;
    double worst = rc_error("V1 1 0 dc 1mV\nR1 1 2 1k\nC1 2 0 1p\n.tran 10p 5n\n", &nt, &steps);
    QP_CHECK(nt == 501 && worst <= TOL_TRACE,
             "RC: ramp response at all %zu samples (max error %.2g of V0)", nt, worst);
    /* the error control: the trace error stays below rtol and falls with it (loose tolerances
     * meet the step cap TSPAN/50 first, so equal is allowed), in more steps for tighter ones */
    double prev = INFINITY, first = 0.0;
    size_t prev_steps = 0;
    int ok = 1;
    for (int e = 3; e <= 9; e += 2) {
        char deck[160];
        snprintf(deck, sizeof deck,
                 "V1 1 0 dc 1mV\nR1 1 2 1k\nC1 2 0 1p\n.tran 10p 5n rtol=1e-%d\n", e);
        double err = rc_error(deck, &nt, &steps);
        printf("# rtol 1e-%d: %zu steps, max trace error %.2g of V0\n", e, steps, err);
        ok = ok && err <= pow(10.0, -e) && err <= prev && steps >= prev_steps;
        first = e == 3 ? err : first;
        prev = err;
        prev_steps = steps;
    }
    QP_CHECK(ok && prev < 1e-2 * first,
             "RC: trace error below rtol = 1e-3 ... 1e-9, falling with it, steps rising");
}

/* LC tank kicked by a current step I0 = 1 nA (rise 1 ps): v(t) ~ I0 sqrt(L/C) sin(w t), with
 * w = 1/sqrt(LC); L = 10 nH, C = 100 fF (5.0329 GHz, docs/physics.md, oracle T2). The frequency from the
 * trace's zero crossings and from the inductor current's phase. */
static void test_lc(void)
{
    qp_circuit *c = NULL;
    qp_tran_result r;
    qp_status st = run_deck("I1 0 1 pwl(0 0 1p 1nA)\nL1 1 0 10nH\nC1 1 0 100fF\n.tran 1p 20n\n", &r,
                            &c);
    QP_CHECK(st == QP_OK, "LC: runs");
    if (st == QP_OK) {
        int k = column(&r, "V(1)");
        double *v = malloc(r.nt * sizeof *v);
        for (size_t i = 0; i < r.nt; i++) {
            v[i] = r.data[i * (r.ncol + 1) + (size_t)k];
        }
        int periods = 0;
        double f = qp_freq_crossings(v, r.nt, 1e-12, &periods, NULL, NULL);
        double want = 1.0 / (2.0 * PI * sqrt(10e-9 * 100e-15));
        QP_CHECK_REL(f, want, 1e-6, "LC: frequency from the trace = 1/(2 pi sqrt(LC))");
        QP_CHECK(periods >= 99, "LC: %d periods counted in 20 ns", periods);
        /* its Jacobian is constant: Newton's factors serve step after step (tran_integrate.c;
         * before session 10 there was one factorization per step tried) */
        QP_CHECK(r.factorizations * 4 <= r.steps, "LC: %zu factorizations in %zu steps (at most "
                 "1 in 4)", r.factorizations, r.steps);
        double amp = 0.0;
        for (size_t i = r.nt / 2; i < r.nt; i++) {
            amp = fmax(amp, fabs(v[i]));
        }
        QP_CHECK_REL(amp, 1e-9 * sqrt(10e-9 / 100e-15), 1e-2,
                     "LC: amplitude I0 sqrt(L/C) (no numerical damping; 1 %% from the ramp and "
                     "sampling)");
        free(v);
        qp_tran_free(&r);
    }
    qp_circuit_free(c);
}

/* Four overdamped junctions in series (no capacitance: their node voltages are algebraic)
 * carry the same dc current I, each oscillating at its own closed-form frequency
 * f_k = Rn sqrt(I^2 - Ic_k^2) / Phi0 (docs/physics.md 5.4): a nonlinear circuit whose Newton
 * factors are reused while the Jacobian (Ic cos phi) moves, so the frequencies check that the
 * reuse leaves the solution where the error control puts it. */
static void test_rsj_chain(void)
{
    static const double ic[4] = {40e-6, 55e-6, 70e-6, 85e-6};
    const double I0 = 100e-6, rn = 2.0;
    const char *deck = "I1 0 1 dc 100u\nB1 1 2 ic=40u rn=2\nB2 2 3 ic=55u rn=2\n"
                       "B3 3 4 ic=70u rn=2\nB4 4 0 ic=85u rn=2\n.tran 0.5p 2n\n";
    qp_circuit *c = NULL;
    qp_tran_result r;
    qp_status st = run_deck(deck, &r, &c);
    QP_CHECK(st == QP_OK && r.nfreq == 4, "RSJ chain: runs, 4 frequencies");
    if (st == QP_OK && r.nfreq == 4) {
        double worst = 0.0;
        for (size_t k = 0; k < 4; k++) {
            double want = rn * sqrt(I0 * I0 - ic[k] * ic[k]) / QP_PHI0;
            worst = fmax(worst, fabs(r.freq[k].f_theory - want) / want);
        }
        printf("# RSJ chain: %zu steps, %zu rejected, %zu factorizations\n", r.steps, r.rejected,
               r.factorizations);
        QP_CHECK(worst <= TOL_RSJ, "RSJ chain: <V_k>/Phi0 = Rn sqrt(I^2 - Ic_k^2)/Phi0 for all four "
                 "(worst %.2g)", worst);
        qp_tran_free(&r);
    }
    qp_circuit_free(c);
}

static void test_estimators(void)
{
    enum { N = 20000 };
    static double x[N], p[N / 2 + 1];
    double dt = 1e-12, f0 = 4.83597848e9; /* not on a bin: 96.72 bins */
    for (int i = 0; i < N; i++) {
        x[i] = 0.3 + sin(2.0 * PI * f0 * i * dt + 0.4);
    }
    int periods = 0;
    double t1 = 0.0, t2 = 0.0;
    double fc = qp_freq_crossings(x, N, dt, &periods, &t1, &t2);
    QP_CHECK_REL(fc, f0, TOL_FREQ, "pure tone: zero crossings");
    QP_CHECK(periods >= 95 && periods <= 96 && t2 > t1,
             "pure tone: 95-96 whole periods between first and last crossing (%d)", periods);
    double ff = qp_freq_fft(x, N, dt);
    QP_CHECK(fabs(ff - f0) * N * dt <= TOL_FFT, "pure tone: FFT peak within %g bin (%.3g bins off)",
             TOL_FFT, fabs(ff - f0) * N * dt);
    /* the right bin for a tone on a bin centre */
    double fb = 250.0 / (N * dt);
    for (int i = 0; i < N; i++) {
        x[i] = cos(2.0 * PI * fb * i * dt);
    }
    QP_CHECK(fabs(qp_freq_fft(x, N, dt) - fb) * N * dt < 1e-9, "on-bin tone: exactly bin 250");
    QP_CHECK(qp_power_spectrum(x, N, p) == 0, "power spectrum: computed");
    size_t best = 0;
    for (size_t k = 1; k <= N / 2; k++) {
        best = p[k] > p[best] ? k : best;
    }
    QP_CHECK(best == 250, "power spectrum: peak in bin 250 (got %zu)", best);
    /* Parseval on a pseudo-random signal */
    uint64_t s = 12345;
    double e_time = 0.0, e_freq = 0.0;
    for (int i = 0; i < N; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (double)(s >> 11) * 0x1.0p-53 - 0.5;
        e_time += x[i] * x[i];
    }
    qp_power_spectrum(x, N, p);
    for (size_t k = 0; k <= N / 2; k++) {
        e_freq += p[k];
    }
    QP_CHECK_REL(e_freq, e_time, TOL_PARSEVAL, "power spectrum: Parseval");
    /* fewer than two periods in the record: the FFT peak is bin 1, whose left neighbour is the
     * removed mean; no frequency rather than a wrong (possibly negative) one */
    for (int i = 0; i < N; i++) {
        x[i] = sin(2.0 * PI * 1.3 * i / N);
    }
    QP_CHECK(qp_freq_fft(x, N, dt) == 0.0, "1.3 cycles: no FFT frequency");
    QP_CHECK(qp_freq_crossings(x, N, dt, &periods, NULL, NULL) == 0.0,
             "1.3 cycles: no crossing frequency (two whole periods needed)");
    /* no oscillation: a constant and a ramp give 0 */
    for (int i = 0; i < N; i++) {
        x[i] = 1e-3 * i;
    }
    QP_CHECK(qp_freq_crossings(x, N, dt, &periods, NULL, NULL) == 0.0 && periods == 0,
             "ramp: no crossings");
}

/* The constants of the decoupled Radau solve (tran_radau.h): T TI = I, and T Lambda TI a = I
 * with Lambda = diag(gamma, [alpha -beta; beta alpha]), i.e. a^-1 = T Lambda T^-1 for Radau
 * IIA's own a (from its closed form). The eigenvalues also against numbers independent of T:
 * gamma + 2 alpha = tr a^-1 = 9 and gamma (alpha^2 + beta^2) = det a^-1 = 60 (Hairer and
 * Wanner IV.5: the 3-stage Radau IIA has det a = 1/60; tr a^-1 from its inverse, checked with
 * numpy). */
static void test_radau_constants(void)
{
    const double L[3][3] = {{QP_RADAU_GAMMA, 0.0, 0.0},
                            {0.0, QP_RADAU_ALPHA, -QP_RADAU_BETA},
                            {0.0, QP_RADAU_BETA, QP_RADAU_ALPHA}};
    double e_inv = 0.0, e_dec = 0.0;
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            double p = 0.0, q = 0.0;
            for (int k = 0; k < 3; k++) {
                p += QP_RADAU_T[i][k] * QP_RADAU_TI[k][j];
                for (int l = 0; l < 3; l++) {
                    for (int m = 0; m < 3; m++) {
                        q += QP_RADAU_T[i][k] * L[k][l] * QP_RADAU_TI[l][m] * QP_RADAU_A[m][j];
                    }
                }
            }
            e_inv = fmax(e_inv, fabs(p - (i == j)));
            e_dec = fmax(e_dec, fabs(q - (i == j)));
        }
    }
    QP_CHECK(e_inv <= TOL_RADAU, "Radau: T TI = I (error %.2g)", e_inv);
    QP_CHECK(e_dec <= 4.0 * TOL_RADAU, "Radau: T Lambda TI a = I (error %.2g)", e_dec);
    QP_CHECK_REL(QP_RADAU_GAMMA + 2.0 * QP_RADAU_ALPHA, 9.0, TOL_RADAU, "Radau: tr a^-1 = 9");
    QP_CHECK_REL(QP_RADAU_GAMMA * (QP_RADAU_ALPHA * QP_RADAU_ALPHA + QP_RADAU_BETA * QP_RADAU_BETA),
                 60.0, TOL_RADAU, "Radau: det a^-1 = 60");
}

/* Bad circuits for the transient models get a message, not a crash. */
static void test_errors(void)
{
    qp_circuit *c = NULL;
    qp_tran_result r;
    qp_status st = run_deck("I1 0 1 dc 1nA\nB1 1 0 ic=1uA bloch=1\n.tran 1p 1n\n", &r, &c);
    QP_CHECK(st == QP_ERR_INPUT, "Bloch model without capacitance: QP_ERR_INPUT");
    qp_circuit_free(c);
}

int main(void)
{
    test_rc();
    test_lc();
    test_rsj_chain();
    test_estimators();
    test_radau_constants();
    test_errors();
    return tap_done();
}
