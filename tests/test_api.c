/* The C API (qpsim/qpsim.h alone) against closed forms and second methods: LC oscillator levels,
 * matrix elements and ground state, a sweep through the engine's sweep path, Bloch bands against
 * the Cooper-pair box, the AC Josephson frequency, the RC ring-down time; the error paths. */
#include "qpsim/qpsim.h"
#include "tap.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef QP_TEST_DIR
#define QP_TEST_DIR "."
#endif

/* Tolerances: the oscillator basis holds an LC oscillator exactly, so its numbers agree with the
 * closed forms to rounding; the automatic cutoffs converge levels to 1e-8 GHz (absolute). */
#define RTOL_EXACT 1e-9
#define ATOL_CONVERGED 1e-7
#define PI 3.14159265358979323846

/* An LC oscillator given by its energies: w = sqrt(8 EC EL) GHz. */
static const char lc_deck[] = "* LC oscillator\n"
                              ".param el=0.5\n"
                              "C1 1 0 ec=2.5\n"
                              "L1 1 0 el={el}\n"
                              ".spectrum levels=4\n";

static qpsim_circuit *load_text(const char *text, const qpsim_param *p, size_t n,
                                qpsim_status *st)
{
    qpsim_circuit *c = qpsim_circuit_new(NULL);
    *st = c ? qpsim_load_text(c, "deck.cir", text, p, n) : QPSIM_ERR_NOMEM;
    return c;
}

/* The first message of the last call, or "". */
static const char *first_message(const qpsim_circuit *c)
{
    const qpsim_message *m = qpsim_message_get(c, 0);
    return m ? m->message : "";
}

static void test_lc(void)
{
    qpsim_status st;
    qpsim_circuit *c = load_text(lc_deck, NULL, 0, &st);
    QP_CHECK(st == QPSIM_OK, "LC deck loads (%d: %s)", (int)st, first_message(c));
    double E[6];
    int n = 0;
    st = qpsim_spectrum(c, 6, E, &n);
    QP_CHECK(st == QPSIM_OK && n == 6, "spectrum of 6 levels (%d, n = %d)", (int)st, n);
    double w = sqrt(8.0 * 2.5 * 0.5);
    for (int k = 0; k < n; k++) {
        char name[64];
        snprintf(name, sizeof name, "LC level %d = (k + 1/2) sqrt(8 EC EL)", k);
        QP_CHECK_REL(E[k], w * (k + 0.5), RTOL_EXACT, name);
    }
    /* |<0|n|1>| = (EL / 32 EC)^(1/4); <0|n|0> = 0 (no offset) */
    double re[9], im[9], El[3];
    st = qpsim_matrix_elements(c, "n(1)", 3, re, im, El, &n);
    QP_CHECK(st == QPSIM_OK && n == 3, "matrix elements of n(1) (%d: %s)", (int)st,
             first_message(c));
    QP_CHECK_REL(hypot(re[1], im[1]), pow(0.5 / (32.0 * 2.5), 0.25), RTOL_EXACT,
                 "|<0|n|1>| = (EL/32EC)^(1/4)");
    QP_CHECK_ABS(hypot(re[0], im[0]), 0.0, 1e-12, "<0|n|0> = 0");
    QP_CHECK_REL(El[2], 2.5 * w, RTOL_EXACT, "matrix_elements' levels: E2 = 5w/2");
    /* ground state: (2 pi s^2)^(-1/4) exp(-phi^2 / 4 s^2), s = (2 EC/EL)^(1/4) */
    qpsim_wavefunctions *wf = NULL;
    st = qpsim_wavefunctions_compute(c, 1, 101, &wf);
    QP_CHECK(st == QPSIM_OK && wf && wf->nvar == 1 && wf->npts[0] == 101 && wf->nlev == 1,
             "ground-state wavefunction on 101 points (%d: %s)", (int)st, first_message(c));
    if (wf && wf->nvar == 1 && wf->npts[0] == 101) {
        double s = pow(2.0 * 2.5 / 0.5, 0.25), worst = 0.0;
        for (size_t i = 0; i < wf->npts[0]; i++) {
            double x = wf->x[0][i];
            double want = pow(2.0 * PI * s * s, -0.25) * exp(-x * x / (4.0 * s * s));
            worst = fmax(worst, fabs(hypot(wf->re[i], wf->im[i]) - want));
        }
        QP_CHECK(worst < 1e-9, "|psi0| is the oscillator's Gaussian: max deviation %.2e", worst);
        QP_CHECK_STR(wf->name[0], "phi(1)_rad", "wavefunction variable");
    }
    qpsim_wavefunctions_free(wf);
    qpsim_circuit_free(c);
}

/* A sweep through the engine's sweep path at values that are not evenly spaced, against the
 * closed form, on one thread and on three. */
static void test_sweep(void)
{
    const double el[] = {0.1, 0.5, 0.55, 2.0, 7.5};
    size_t np = sizeof el / sizeof *el;
    for (int threads = 1; threads <= 3; threads += 2) {
        qpsim_settings s;
        qpsim_settings_default(&s);
        s.threads = threads;
        qpsim_circuit *c = qpsim_circuit_new(&s);
        qpsim_status st = qpsim_load_text(c, "lc.cir", lc_deck, NULL, 0);
        double E[5 * 3];
        int n = 0;
        st = st == QPSIM_OK ? qpsim_sweep(c, "EL", el, np, 3, E, &n) : st;
        QP_CHECK(st == QPSIM_OK && n == 3, "sweep of el over %zu values, %d threads (%d: %s)",
                 np, threads, (int)st, first_message(c));
        double worst = 0.0;
        for (size_t p = 0; p < np && n == 3; p++) {
            for (int k = 0; k < 3; k++) {
                double want = sqrt(8.0 * 2.5 * el[p]) * (k + 0.5);
                worst = fmax(worst, fabs(E[p * 3 + (size_t)k] - want) / want);
            }
        }
        QP_CHECK(worst < RTOL_EXACT, "swept LC levels = (k + 1/2) sqrt(8 EC EL): max rel. "
                 "deviation %.2e", worst);
        qpsim_circuit_free(c);
    }
}

/* Bands of a junction against the Cooper-pair box (a second method: the spectrum's charge basis
 * with the offset at the same q). */
static void test_bands(void)
{
    static const char deck[] = "B1 1 0 ej=5 c=1f\n"
                               "C1 1 0 1fF\n"
                               ".param ng=0.25\n"
                               ".ng 1 {ng}\n"
                               ".bands B1 levels=3 points=101\n";
    qpsim_status st;
    qpsim_circuit *c = load_text(deck, NULL, 0, &st);
    qpsim_bands *b = NULL;
    st = st == QPSIM_OK ? qpsim_bands_compute(c, NULL, 0, 0, &b) : st;
    QP_CHECK(st == QPSIM_OK && b && b->nq == 101 && b->nlev == 3 && !b->dual,
             "bands of the deck's .bands (%d: %s)", (int)st, first_message(c));
    double E[3];
    int n = 0;
    if (b && b->nq == 101) {
        QP_CHECK_ABS(b->q[75], 0.25, 1e-15, "q grid");
        st = qpsim_spectrum(c, 3, E, &n);
        for (int k = 0; k < 3 && st == QPSIM_OK; k++) {
            char name[64];
            snprintf(name, sizeof name, "band %d at q = 1/4 = CPB level at ng = 1/4", k);
            QP_CHECK_ABS(b->E[75 * 3 + k], E[k], ATOL_CONVERGED, name);
        }
        QP_CHECK_STR(b->element, "B1", "bands element");
    }
    qpsim_bands_free(b);
    b = NULL;
    st = qpsim_bands_compute(c, "C1", 2, 11, &b);
    QP_CHECK(st == QPSIM_ERR_USAGE && !b, "bands of a capacitor: a bad argument (%s)",
             first_message(c));
    qpsim_circuit_free(c);
}

/* AC Josephson effect: f = V/Phi0 exactly (netlists/ac_josephson.cir). */
static void test_tran(void)
{
    qpsim_circuit *c = qpsim_circuit_new(NULL);
    qpsim_status st = qpsim_load_file(c, QP_TEST_DIR "/../netlists/ac_josephson.cir", NULL, 0);
    qpsim_tran *t = NULL;
    st = st == QPSIM_OK ? qpsim_tran_compute(c, 0.0, 20e-9, &t) : st;
    QP_CHECK(st == QPSIM_OK && t && t->nfreq == 1 && t->nt > 1000,
             "transient of the AC Josephson deck over 20 ns (%d: %s)", (int)st,
             first_message(c));
    if (t && t->nfreq == 1) {
        double f = 10e-6 / 2.067833848e-15;
        QP_CHECK_REL(t->freq[0].f_sim, f, 1e-6, "f_sim = V/Phi0");
        QP_CHECK_REL(t->data[(t->nt - 1) * (t->ncol + 1)], 20e-9, 1e-12, "last sample at TSTOP");
        QP_CHECK(!t->freq[0].dual && strcmp(t->freq[0].element, "B1") == 0, "report of B1");
    }
    qpsim_tran_free(t);
    qpsim_circuit_free(c);
}

/* An LC oscillator shunted by a resistor: T1 = R C tanh(hf / 2kT)
 * (tests/golden/coherence_rc.cir). */
static void test_coherence(void)
{
    static const char deck[] = "L1 1 0 10nH\nC1 1 0 100fF\nR1 1 0 1k\n.temp 1K\n"
                               ".coherence channels=t1_resistor nho=40\n";
    qpsim_status st;
    qpsim_circuit *c = load_text(deck, NULL, 0, &st);
    qpsim_coherence co;
    st = st == QPSIM_OK ? qpsim_coherence_compute(c, -1, -1, &co) : st;
    QP_CHECK(st == QPSIM_OK, "coherence of the RC deck (%d: %s)", (int)st, first_message(c));
    if (st == QPSIM_OK) {
        QP_CHECK_REL(co.t1, 1.20187292135e-11, RTOL_EXACT, "T1 = R C tanh(hf/2kT)");
        QP_CHECK_REL(co.time[3], co.t1, 1e-15, "the resistor channel is T1");
        QP_CHECK(co.present == 1u << 3 && strcmp(qpsim_channel_name(3), "t1_resistor") == 0,
                 "one channel, t1_resistor");
        QP_CHECK_REL(co.temp, 1.0, 1e-15, "temperature from .temp");
    }
    qpsim_circuit_free(c);
}

static void test_errors(void)
{
    /* the documentation's rejected deck: three errors at once, at their places */
    static const char bad[] = "* This deck is rejected\nC1 1 0 5nH\nB1 1 0 ej=5g\n"
                              ".param a={b} b={a}\n";
    qpsim_status st;
    qpsim_circuit *c = load_text(bad, NULL, 0, &st);
    const qpsim_message *m = qpsim_message_get(c, 0);
    QP_CHECK(st == QPSIM_ERR_INPUT && qpsim_message_count(c) == 3, "bad deck: 3 errors (%d)",
             (int)st);
    QP_CHECK(m && m->severity == QPSIM_ERROR && strcmp(m->file, "deck.cir") == 0 &&
                 m->line == 2 && m->col == 10,
             "first error at deck.cir:2:10 (%s:%d:%d)", m ? m->file : "-", m ? m->line : 0,
             m ? m->col : 0);
    m = qpsim_message_get(c, 2);
    QP_CHECK(m && m->line == 4 && m->col == 17 && strstr(m->message, "cycle"),
             "third error: the parameter cycle at 4:17");
    char *text = NULL;
    QP_CHECK(qpsim_messages_text(c, &text) == QPSIM_OK && text &&
                 strncmp(text, "deck.cir:2:10: error: ", 22) == 0,
             "messages as the command line prints them");
    qpsim_free(text);
    double E[2];
    int n = 7;
    QP_CHECK(qpsim_spectrum(c, 2, E, &n) == QPSIM_ERR_USAGE && n == 0,
             "a failed load leaves nothing to compute (%s)", first_message(c));
    QP_CHECK(qpsim_load_file(c, QP_TEST_DIR "/no/such.cir", NULL, 0) == QPSIM_ERR_INPUT &&
                 strstr(first_message(c), "such.cir"),
             "a missing file is bad input: %s", first_message(c));
    qpsim_param p = {"nope", "1"};
    QP_CHECK(qpsim_load_text(c, NULL, lc_deck, &p, 1) == QPSIM_ERR_USAGE,
             "an override the deck has no .param for: %s", first_message(c));
    p = (qpsim_param){"EL", "2"};
    QP_CHECK(qpsim_load_text(c, NULL, lc_deck, &p, 1) == QPSIM_OK, "override el=2");
    QP_CHECK(qpsim_spectrum(c, 1, E, &n) == QPSIM_OK && n == 1 &&
                 fabs(E[0] - 0.5 * sqrt(8.0 * 2.5 * 2.0)) < RTOL_EXACT * E[0],
             "the override is used: E0 = sqrt(8 EC 2)/2");
    QP_CHECK(qpsim_spectrum(c, 0, E, &n) == QPSIM_ERR_USAGE, "levels = 0: %s", first_message(c));
    QP_CHECK(qpsim_spectrum(c, -3, E, &n) == QPSIM_ERR_USAGE, "levels < 0");
    QP_CHECK(qpsim_spectrum(c, 20000, NULL, &n) == QPSIM_ERR_USAGE, "E NULL");
    const double v[] = {1.0, NAN};
    QP_CHECK(qpsim_sweep(c, "nope", v, 1, 2, E, &n) == QPSIM_ERR_USAGE &&
                 qpsim_message_get(c, 0) && qpsim_message_get(c, 0)->file == NULL,
             "sweep of a parameter the deck lacks: %s", first_message(c));
    QP_CHECK(qpsim_sweep(c, "el", v, 2, 1, E, &n) == QPSIM_ERR_USAGE,
             "a sweep value that is not finite: %s", first_message(c));
    double re[4];
    QP_CHECK(qpsim_matrix_elements(c, "phi(B9)", 2, re, NULL, NULL, &n) == QPSIM_ERR_USAGE,
             "an operator on an element the circuit lacks: %s", first_message(c));
    QP_CHECK(qpsim_matrix_elements(c, "n(1) levels=9", 2, re, NULL, NULL, &n) ==
                 QPSIM_ERR_USAGE,
             "an operator with more after it: %s", first_message(c));
    QP_CHECK(qpsim_wavefunctions_compute(c, 1, 1, NULL) == QPSIM_ERR_USAGE, "no place for it");
    QP_CHECK(qpsim_tran_compute(c, 0.0, 0.0, NULL) == QPSIM_ERR_USAGE, "tran without a place");
    qpsim_tran *t = NULL;
    QP_CHECK(qpsim_tran_compute(c, 0.0, 1e-9, &t) == QPSIM_ERR_USAGE && !t,
             "tran without .tran and without tstep: %s", first_message(c));
    QP_CHECK(qpsim_spectrum(NULL, 2, E, &n) == QPSIM_ERR_USAGE &&
                 qpsim_message_count(NULL) == 0 && !qpsim_message_get(NULL, 0),
             "a NULL handle is refused");
    QP_CHECK(qpsim_load_text(c, NULL, NULL, NULL, 0) == QPSIM_ERR_USAGE, "NULL text");
    qpsim_circuit_free(c);
    qpsim_circuit_free(NULL);
}

/* A numerical failure: six coupled transmons in the exact product basis are refused. */
static void test_numeric(void)
{
    char deck[1024] = "";
    for (int i = 1; i <= 6; i++) {
        char line[128];
        snprintf(line, sizeof line, "B%d %d 0 ej=15\nC%d %d 0 ec=0.3\n", i, i, i, i);
        strcat(deck, line);
        if (i > 1) {
            snprintf(line, sizeof line, "CC%d %d %d 2fF\n", i, i - 1, i);
            strcat(deck, line);
        }
    }
    strcat(deck, ".spectrum levels=6 method=exact\n");
    qpsim_status st;
    qpsim_circuit *c = load_text(deck, NULL, 0, &st);
    double E[6];
    int n = 0;
    st = st == QPSIM_OK ? qpsim_spectrum(c, 6, E, &n) : st;
    QP_CHECK(st == QPSIM_ERR_NUMERIC && strstr(first_message(c), "85766121 states"),
             "a basis too large is a numerical failure: %s", first_message(c));
    qpsim_circuit_free(c);
}

/* Two handles computing at once on two threads give the numbers of a serial run. */
typedef struct {
    double el;
    double E[401 * 2];
    qpsim_status st;
} job;

static void *sweep_thread(void *arg)
{
    job *j = arg;
    qpsim_settings s;
    qpsim_settings_default(&s);
    s.threads = 1;
    qpsim_circuit *c = qpsim_circuit_new(&s);
    char v[32];
    snprintf(v, sizeof v, "%g", j->el);
    qpsim_param p = {"el", v};
    static const char deck[] = ".param el=0.5 f=0\nB1 1 0 ej=8.9\nC1 1 0 ec=2.5\n"
                               "L1 1 0 el={el}\n.flux {f}\n";
    double f[401];
    for (int i = 0; i < 401; i++) {
        f[i] = i / 400.0;
    }
    int n = 0;
    j->st = qpsim_load_text(c, "fluxonium.cir", deck, &p, 1);
    j->st = j->st == QPSIM_OK ? qpsim_sweep(c, "f", f, 401, 2, j->E, &n) : j->st;
    qpsim_circuit_free(c);
    return NULL;
}

static void test_threads(void)
{
    static job serial[2] = {{.el = 0.5}, {.el = 0.8}}, par[2] = {{.el = 0.5}, {.el = 0.8}};
    sweep_thread(&serial[0]);
    sweep_thread(&serial[1]);
    pthread_t t[2];
    int first = pthread_create(&t[0], NULL, sweep_thread, &par[0]) == 0;
    int started = first && pthread_create(&t[1], NULL, sweep_thread, &par[1]) == 0;
    if (first && !started) {
        pthread_join(t[0], NULL);
    }
    QP_CHECK(started, "two threads started");
    if (started) {
        pthread_join(t[0], NULL);
        pthread_join(t[1], NULL);
        QP_CHECK(par[0].st == QPSIM_OK && par[1].st == QPSIM_OK, "both sweeps succeeded");
        QP_CHECK(memcmp(serial[0].E, par[0].E, sizeof par[0].E) == 0 &&
                     memcmp(serial[1].E, par[1].E, sizeof par[1].E) == 0,
                 "two handles at once on two threads: the serial numbers, bit for bit");
    }
}

int main(void)
{
    test_lc();
    test_sweep();
    test_bands();
    test_tran();
    test_coherence();
    test_errors();
    test_numeric();
    test_threads();
    QP_CHECK(strlen(qpsim_version()) > 0, "version %s", qpsim_version());
    return tap_done();
}
