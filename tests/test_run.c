/* Tests of the analyses driver (TAP): the run context and its worker pool, swept spectra against
 * the closed form and across thread counts, the failing sweep point, the transient spectra
 * that the analysis computes for the writers, and the bare-state labels of coupled levels. */
#include "base/pool.h"
#include "qpsim/engine.h"
#include "tap.h"
#include "util.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEVEL_RTOL 1e-8  /* converged levels against a closed form */
#define RSJ_V_RTOL 1e-4  /* mean RSJ voltage against R sqrt(I^2 - Ic^2) on a 2 ns run */
#define ORACLE_RTOL 1e-9 /* against an oracle converged to ~1e-11 GHz */

/* Parses and elaborates text, then runs it with settings set. */
static qp_status run_set(const char *text, const qp_settings *set, qp_results *res, char **msgs)
{
    qp_diag d = {0};
    qp_netlist_opts opts = {memread, NULL};
    qp_deck *deck = NULL;
    qp_circuit *c = NULL;
    memset(res, 0, sizeof *res);
    qp_status st = qp_netlist_parse_text("deck.cir", text, strlen(text), &opts, &deck, &d);
    if (st == QP_OK) {
        st = qp_circuit_elaborate(deck, NULL, 0, &c, &d);
    }
    qp_context *ctx = NULL;
    if (st == QP_OK) {
        st = qp_context_create(set, &ctx);
    }
    if (st == QP_OK) {
        qp_job job = {deck, NULL, 0, c};
        st = qp_run(ctx, &job, res, &d);
    }
    qp_context_free(ctx);
    qp_circuit_free(c);
    qp_deck_free(deck);
    *msgs = qp_diag_format(&d);
    qp_diag_clear(&d);
    return st;
}

/* run_set with `threads` workers and keep_traces. */
static qp_status run_text(const char *text, int threads, int keep_traces, qp_results *res,
                          char **msgs)
{
    qp_settings set;
    qp_settings_default(&set);
    set.threads = threads;
    set.keep_traces = keep_traces;
    return run_set(text, &set, res, msgs);
}

/* Frees the results and messages of two runs of run_text. */
static void free_runs(qp_results *a, qp_results *b, char *ma, char *mb)
{
    qp_results_free(a);
    qp_results_free(b);
    free(ma);
    free(mb);
}

typedef struct {
    pthread_mutex_t mu;
    int calls[8];
} pool_count;

static void count_worker(void *arg, int w)
{
    pool_count *pc = arg;
    pthread_mutex_lock(&pc->mu);
    pc->calls[w]++;
    pthread_mutex_unlock(&pc->mu);
}

/* Every worker runs each job exactly once, and the pool is reusable. */
static void test_pool(void)
{
    qp_pool *p = qp_pool_new(4, NULL);
    QP_CHECK(p != NULL, "pool of 4 workers created");
    if (!p) {
        return;
    }
    int n = qp_pool_size(p);
    QP_CHECK(n == 4, "pool of %d workers (4 asked)", n);
    pool_count pc = {.calls = {0}};
    pthread_mutex_init(&pc.mu, NULL);
    qp_pool_run(p, count_worker, &pc);
    qp_pool_run(p, count_worker, &pc);
    int ok = 1;
    for (int w = 0; w < 8; w++) {
        ok &= pc.calls[w] == (w < n ? 2 : 0);
    }
    QP_CHECK(ok, "two jobs: each of the %d workers ran each once", n);
    pthread_mutex_destroy(&pc.mu);
    qp_pool_free(p);
    qp_pool_free(NULL);
}

/* Defaults, and a context made without settings. */
static void test_settings(void)
{
    qp_settings s;
    qp_settings_default(&s);
    QP_CHECK(s.threads == 1 && s.keep_traces == 1 && !s.progress && !s.thread_init,
             "default settings: serial, traces kept, no progress");
    qp_context *ctx = NULL;
    qp_status st = qp_context_create(NULL, &ctx);
    QP_CHECK(st == QP_OK && ctx, "context with default settings");
    QP_CHECK(ctx && qp_context_settings(ctx)->threads == 1, "its settings are the defaults");
    qp_context_free(ctx);
    qp_context_free(NULL);
}

static const char lc_sweep[] = "* LC oscillator swept over L\n"
                               ".param l=10n\n"
                               "L1 1 0 {l}\n"
                               "C1 1 0 100fF\n"
                               ".spectrum levels=4\n"
                               ".sweep l 5n 20n 7\n";

/* An LC oscillator swept over L: E_k - E_0 = k h f with f = 1/(2 pi sqrt(L C)) at every point,
 * and the same bits on 1 and 3 workers. */
static void test_swept_lc(void)
{
    qp_results r1, r3;
    char *m1 = NULL, *m3 = NULL;
    qp_status s1 = run_text(lc_sweep, 1, 1, &r1, &m1);
    qp_status s3 = run_text(lc_sweep, 3, 1, &r3, &m3);
    QP_CHECK(s1 == QP_OK && s3 == QP_OK, "swept LC runs on 1 and 3 workers (%s%s)", m1, m3);
    if (s1 == QP_OK && s3 == QP_OK) {
        const qp_result *r = &r1.r[0];
        QP_CHECK(r1.n == 1 && r->kind == QP_AN_SPECTRUM && r->npoints == 7 && r->spec.nlev == 4,
                 "one spectrum result of 7 points and 4 levels");
        for (size_t p = 0; p < r->npoints; p += 3) {
            double L = r->values[p], f = 1.0 / (2.0 * QP_PI * sqrt(L * 100e-15)) / 1e9;
            const double *E = r->spec.levels + p * 4;
            QP_CHECK_REL(E[3] - E[0], 3.0 * f, LEVEL_RTOL, "E3 - E0 = 3 h f at a sweep point");
        }
        const qp_result *q = &r3.r[0];
        QP_CHECK(q->npoints == r->npoints &&
                     memcmp(q->spec.levels, r->spec.levels, 7 * 4 * sizeof(double)) == 0,
                 "levels on 3 workers equal the serial ones bit for bit");
    }
    free_runs(&r1, &r3, m1, m3);
}

static const char coupled_sweep[] = "* two coupled transmons swept over EJ1, 41^2 states\n"
                                    ".param ej1=6\n"
                                    "B1 1 0 ej={ej1}\n"
                                    "C1 1 0 ec=0.5\n"
                                    "B2 2 0 ej=4\n"
                                    "C2 2 0 ec=0.45\n"
                                    "CC 1 2 2fF\n"
                                    ".ng 1 0.25\n"
                                    ".ng 2 0.1\n"
                                    ".spectrum levels=4 ncut=20 method=exact\n"
                                    ".sweep ej1 5 7 5\n";

/* A sweep too large for the dense solver, so that every worker factorizes with its own cache of
 * symbolic analyses: bit-identical on 1 and 3 workers, and at EJ1 = 6 the lowest levels of the
 * independent charge-basis oracle of netlists/coupled_transmons.cir (tests/oracles). */
static void test_swept_cached(void)
{
    static const double want[4] = {-5.996980793419, -2.747724663356, -1.753472776233,
                                   -0.563476571886};
    qp_results r1, r3;
    char *m1 = NULL, *m3 = NULL;
    qp_status s1 = run_text(coupled_sweep, 1, 1, &r1, &m1);
    qp_status s3 = run_text(coupled_sweep, 3, 1, &r3, &m3);
    QP_CHECK(s1 == QP_OK && s3 == QP_OK, "coupled transmons swept on 1 and 3 workers (%s%s)", m1,
             m3);
    if (s1 == QP_OK && s3 == QP_OK) {
        const qp_result *r = &r1.r[0], *q = &r3.r[0];
        QP_CHECK(r->spec.dim[0] == 1681 && r->spec.method != QP_EIG_DENSE,
                 "dimension %zu solved by %s, not densely", r->spec.dim[0],
                 qp_eig_method_name(r->spec.method));
        for (int k = 0; k < 4; k++) {
            QP_CHECK_REL(r->spec.levels[2 * 4 + k], want[k], ORACLE_RTOL,
                         "level at EJ1 = 6 against the oracle");
        }
        QP_CHECK(memcmp(q->spec.levels, r->spec.levels, 5 * 4 * sizeof(double)) == 0 &&
                     memcmp(q->spec.delta, r->spec.delta, 5 * sizeof(double)) == 0,
                 "levels on 3 workers equal the serial ones bit for bit");
    }
    free_runs(&r1, &r3, m1, m3);
}

static const char bad_sweep[] = "* a sweep whose later points have a negative capacitance\n"
                                ".param c=100f\n"
                                "L1 1 0 10nH\n"
                                "C1 1 0 {c}\n"
                                ".spectrum levels=2\n"
                                ".sweep c 100f -100f 5\n";

/* A failing point: the error of the first failing point with a note naming it, the same on 1
 * and 3 workers, and no results left. */
static void test_failing_point(void)
{
    qp_results r1, r3;
    char *m1 = NULL, *m3 = NULL;
    qp_status s1 = run_text(bad_sweep, 1, 1, &r1, &m1);
    qp_status s3 = run_text(bad_sweep, 3, 1, &r3, &m3);
    QP_CHECK(s1 != QP_OK && s1 == s3, "the sweep fails on 1 and 3 workers (%d, %d)", s1, s3);
    QP_CHECK(m1 && strstr(m1, "the errors above are for the sweep point at c = 0"),
             "the note names the first failing point: %s", m1 ? m1 : "(none)");
    QP_CHECK(m1 && m3 && strcmp(m1, m3) == 0, "messages on 3 workers equal the serial ones");
    QP_CHECK(r1.n == 0 && r1.r == NULL, "no results after the failure");
    free_runs(&r1, &r3, m1, m3);
}

static const char rsj[] = "* overdamped RSJ: Ic = 100 uA, R = 1 Ohm, fed 150 uA\n"
                          "I1 0 1 dc 150uA\n"
                          "B1 1 0 ic=100uA rn=1\n"
                          ".tran 0.1p 2n\n";

/* The spectra of a transient are computed by the analysis when traces are kept: the peak bin
 * lies within a bin of <V>/Phi0 from the closed form <V> = R sqrt(I^2 - Ic^2); without traces
 * there are none, and the frequency reports are the same bits. */
static void test_tran_spectra(void)
{
    qp_results with, without;
    char *m1 = NULL, *m2 = NULL;
    qp_status s1 = run_text(rsj, 1, 1, &with, &m1);
    qp_status s2 = run_text(rsj, 1, 0, &without, &m2);
    QP_CHECK(s1 == QP_OK && s2 == QP_OK, "RSJ transient runs with and without traces (%s%s)", m1,
             m2);
    if (s1 == QP_OK && s2 == QP_OK) {
        const qp_tran_out *t = &with.r[0].tran;
        double v = 1.0 * sqrt(150e-6 * 150e-6 - 100e-6 * 100e-6), f = v / QP_PHI0;
        QP_CHECK(t->run.nfreq == 1, "one junction report");
        QP_CHECK_REL(t->run.freq[0].mean_v, v, RSJ_V_RTOL, "mean V = R sqrt(I^2 - Ic^2)");
        const qp_tran_spectra *sp = &t->spectra;
        QP_CHECK(sp->n == 1 && sp->nb > 16 && sp->df > 0.0, "one spectrum of %zu bins", sp->nb);
        if (sp->n == 1) {
            size_t kmax = 1;
            for (size_t k = 1; k < sp->nb; k++) {
                kmax = sp->power[0][k] > sp->power[0][kmax] ? k : kmax;
            }
            QP_CHECK_ABS((double)kmax * sp->df, f, 1.01 * sp->df, "spectrum peak at <V>/Phi0");
            QP_CHECK(strcmp(t->run.col[sp->col[0]], "Is(B1)") == 0, "of the trace Is(B1)");
        }
        const qp_tran_out *u = &without.r[0].tran;
        QP_CHECK(u->spectra.n == 0 && u->run.nt == 0, "no traces, no spectra without keep_traces");
        QP_CHECK(u->run.nfreq == 1 && memcmp(&u->run.freq[0], &t->run.freq[0],
                                             sizeof t->run.freq[0]) == 0,
                 "the frequency report is the same bits without traces");
    }
    free_runs(&with, &without, m1, m2);
}

/* A swept exact spectrum converges its two ends and starts the interior from the larger of
 * their bases: every interior point equals the same point converged on its own (an unswept run
 * at that flux), within the sum of the two tolerances. The circuit has two uncoupled parts (a
 * fluxonium and a transmon), each with its own starting cutoffs. */
static void test_sweep_reuses_basis(void)
{
    static const char sweep[] = ".param f=0\nB1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n"
                                ".flux {f} B1 L1\nB2 2 0 ej=12\nC2 2 0 ec=0.3\n"
                                ".spectrum levels=4 dispersion=no\n.sweep f 0 0.5 6\n";
    qp_results r;
    char *m = NULL;
    qp_status st = run_text(sweep, 2, 1, &r, &m);
    QP_CHECK(st == QP_OK && r.r[0].spec.sweep_cut != NULL,
             "fluxonium and transmon sweep: the interior starts from the ends' basis (%s)", m ? m : "");
    free(m);
    for (size_t p = 1; st == QP_OK && p + 1 < 6; p++) {
        char deck[256];
        snprintf(deck, sizeof deck,
                 "B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n.flux %.17g B1 L1\n"
                 "B2 2 0 ej=12\nC2 2 0 ec=0.3\n.spectrum levels=4 dispersion=no\n",
                 0.1 * (double)p);
        qp_results one;
        char *m1 = NULL;
        qp_status s1 = run_text(deck, 1, 1, &one, &m1);
        double dev = 0.0;
        for (int k = 0; s1 == QP_OK && k < 4; k++) {
            dev = fmax(dev, fabs(one.r[0].spec.levels[k] - r.r[0].spec.levels[p * 4 + k]));
        }
        QP_CHECK(s1 == QP_OK && dev <= 2e-8, "point %zu = its own converged spectrum (%.3g GHz)",
                 p, dev);
        free(m1);
        if (s1 == QP_OK) {
            qp_results_free(&one);
        }
    }
    if (st == QP_OK) {
        qp_results_free(&r);
    }
}

/* The caps of a bounded run (the fuzzer's): each deck runs without them and is refused with them,
 * with a message naming the cap; the cap on the states reaches the sweep points computed on the
 * context's workers (point 1 of the swept cutoff has 101 states). */
static void test_caps(void)
{
    enum { DIM, UNKNOWNS, LEVELS, POINTS, GRID, SAMPLES, STEPS };
    static const struct {
        int cap;
        size_t value;
        const char *what, *text;
    } cases[] = {
        {DIM, 20, "states", "B1 1 0 ej=15\nC1 1 0 ec=0.3\n.spectrum ncut=30\n"},
        {DIM, 20, "states on a worker", ".param n=5\nB1 1 0 ej=15\nC1 1 0 ec=0.3\n"
                                    ".spectrum levels=2 ncut={n}\n.sweep n 5 50 2\n"},
        {UNKNOWNS, 3, "transient unknowns", "V1 1 0 dc 1u\nR1 1 2 1\nR2 2 3 1\nC1 3 0 1f\n.tran 1p 1n\n"},
        {LEVELS, 20, "levels", "B1 1 0 ej=5 c=1f\n.bands B1 levels=30\n"},
        {GRID, 20, "band points", "B1 1 0 ej=5 c=1f\n.bands B1 points=30\n"},
        {POINTS, 20, "sweep points", ".param x=0\nB1 1 0 ej=15\nC1 1 0 ec=0.3\n.ng 1 {x}\n"
                                 ".sweep x 0 1 30\n.spectrum levels=2\n"},
        {SAMPLES, 20, "samples", "V1 1 0 dc 10u\nB1 1 0 ic=100n\n.tran 1p 1n\n"},
        {STEPS, 20, "steps", "V1 1 0 dc 10u\nB1 1 0 ic=100n\n.tran 1p 1n\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        qp_settings set;
        qp_settings_default(&set);
        set.threads = 2;
        qp_results r;
        char *free_msgs = NULL, *msgs = NULL;
        qp_status free_st = run_set(cases[i].text, &set, &r, &free_msgs);
        qp_results_free(&r);
        int c = cases[i].cap;
        size_t v = cases[i].value;
        set.cap_dim = c == DIM ? v : 0;
        set.cap_unknowns = c == UNKNOWNS ? v : 0;
        set.cap_levels = c == LEVELS ? v : 0;
        set.cap_points = c == POINTS ? v : 0;
        set.cap_grid = c == GRID ? v : 0;
        set.cap_samples = c == SAMPLES ? v : 0;
        set.cap_steps = c == STEPS ? v : 0;
        qp_status st = run_set(cases[i].text, &set, &r, &msgs);
        int named = msgs && (strstr(msgs, "this run's cap") || strstr(msgs, "more than 20 steps"));
        /* a failed run keeps no result */
        QP_CHECK(free_st == QP_OK && st != QP_OK && r.n == 0 && named,
                 "cap on the %s: %d without it, %d with it: %s", cases[i].what, (int)free_st,
                 (int)st, msgs ? msgs : "(no message)");
        qp_results_free(&r);
        free(free_msgs), free(msgs);
    }
}

/* Labels, ZZ and anharmonicities of two coupled transmons (exact and hierarchical) against the
 * numpy oracle tests/oracles/labels_dispersive.py; two harmonic modes get labels and no
 * anharmonicity. */
static void test_labels(void)
{
    static const int want[8][2] = {{0, 0}, {0, 1}, {1, 0}, {0, 2}, {1, 1}, {2, 0}, {0, 3}, {1, 2}};
    const double zz = -1.0105321229e-02, shift_tol = 1e-7; /* GHz; as tests/run_labels.py */
    static const char *const method[2] = {"", " method=hierarchical"};
    for (int h = 0; h < 2; h++) {
        char text[256];
        snprintf(text, sizeof text, "B1 1 0 ej=20\nC1 1 0 ec=0.25\nB2 2 0 ej=16\nC2 2 0 ec=0.22\n"
                 "CC 1 2 3fF\n.spectrum levels=8%s\n", method[h]);
        qp_results res;
        char *msgs = NULL;
        qp_status st = run_text(text, 1, 0, &res, &msgs);
        const qp_spectrum_out *o = st == QP_OK && res.n == 1 ? &res.r[0].spec : NULL;
        QP_CHECK(o && o->nlab == 2 && o->nlev == 8 && o->hier == h,
                 "two transmons%s: two parts labelled (%s)", method[h], msgs ? msgs : "");
        int same = o && o->nlab == 2;
        for (int k = 0; same && k < 8; k++) {
            same = o->label[2 * k] == want[k][0] && o->label[2 * k + 1] == want[k][1] &&
                   o->lab_weight[k] > QP_LABEL_MIN_WEIGHT && o->lab_weight[k] <= 1.0 + 1e-12;
        }
        QP_CHECK(same, "two transmons%s: the oracle's labels", method[h]);
        if (o && o->nlab == 2) {
            QP_CHECK_ABS(o->lab_chi[1], zz, shift_tol, "ZZ against the numpy oracle");
            QP_CHECK(o->lab_anh[0] && o->lab_anh[1] && isfinite(o->lab_anharm[0]) &&
                     isfinite(o->lab_anharm[1]), "both transmons qubit-like, with anharmonicity");
        }
        qp_results_free(&res);
        free(msgs);
    }
    qp_results res;
    char *msgs = NULL;
    qp_status st = run_text("L1 1 0 10nH\nC1 1 0 100fF\nL2 2 0 12nH\nC2 2 0 80fF\nCC 1 2 5fF\n"
                            ".spectrum levels=6\n", 1, 0, &res, &msgs);
    const qp_spectrum_out *o = st == QP_OK && res.n == 1 ? &res.r[0].spec : NULL;
    QP_CHECK(o && o->nlab == 2 && !o->lab_anh[0] && !o->lab_anh[1] && isnan(o->lab_anharm[0]) &&
             isnan(o->lab_anharm[1]) && fabs(o->lab_chi[1]) < 1e-9,
             "two LC resonators: labelled, harmonic, no anharmonicity, chi = 0");
    qp_results_free(&res);
    free(msgs);
}

int main(void)
{
    test_pool();
    test_settings();
    test_swept_lc();
    test_swept_cached();
    test_failing_point();
    test_sweep_reuses_basis();
    test_tran_spectra();
    test_caps();
    test_labels();
    return tap_done();
}
