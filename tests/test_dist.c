/* Tests of sweeps shared by several processes (TAP), without MPI: the "processes" are threads of
 * this test, each running the whole deck with its own context and a qp_dist whose all-gather
 * meets the others at a barrier. Every shared run must equal the single-process run bit for bit
 * (the per-point work is independent), and fail with the single-process run's messages. */
#include "front/file.h"
#include "operators/ham.h"
#include "operators/kron_split.h"
#include "qpsim/engine.h"
#include "tap.h"
#include "util.h"

#include <complex.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifndef QP_TEST_DIR
#define QP_TEST_DIR "."
#endif

#define ORACLE_RTOL 1e-9 /* fluxonium levels against the numpy oracle quoted in the bench deck */
#define MAXP 4

typedef struct {
    pthread_barrier_t bar;
    const void *block[MAXP];
} world;

typedef struct {
    world *w;
    qp_dist dist;
    const char *path, *text; /* a file, or text in memory */
    qp_results res;
    char *msgs;
    qp_status st;
    int exchanges; /* all-gathers this process took part in */
} process;

/* qp_dist.allgather between the threads of one world. */
static int world_allgather(void *ctx, const void *send, size_t bytes, void *recv)
{
    process *p = ctx;
    p->exchanges++;
    p->w->block[p->dist.rank] = send;
    pthread_barrier_wait(&p->w->bar);
    for (int q = 0; q < p->dist.size; q++) {
        memcpy((unsigned char *)recv + (size_t)q * bytes, p->w->block[q], bytes);
    }
    pthread_barrier_wait(&p->w->bar); /* nobody's block is freed before all have read it */
    return 0;
}

/* One process: the deck parsed, elaborated and run on 2 threads with its share of the points. */
static void *process_main(void *arg)
{
    process *p = arg;
    qp_diag d = {0};
    qp_deck *deck = NULL;
    qp_circuit *c = NULL;
    qp_context *ctx = NULL;
    qp_status st;
    if (p->path) {
        qp_netlist_opts opts = {qp_file_read, NULL};
        st = qp_netlist_parse_file(p->path, &opts, &deck, &d);
    } else {
        qp_netlist_opts opts = {memread, NULL};
        st = qp_netlist_parse_text("deck.cir", p->text, strlen(p->text), &opts, &deck, &d);
    }
    if (st == QP_OK) {
        st = qp_circuit_elaborate(deck, NULL, 0, &c, &d);
    }
    qp_settings set;
    qp_settings_default(&set);
    set.threads = 2;
    set.dist = p->dist.size > 1 ? &p->dist : NULL;
    if (st == QP_OK) {
        st = qp_context_create(&set, &ctx);
    }
    if (st == QP_OK) {
        qp_job job = {deck, NULL, 0, c};
        st = qp_run(ctx, &job, &p->res, &d);
    }
    qp_context_free(ctx);
    qp_circuit_free(c);
    qp_deck_free(deck);
    p->msgs = qp_diag_format(&d);
    qp_diag_clear(&d);
    p->st = st;
    return NULL;
}

/* Runs the deck (path or text) on n processes into pr[0 .. n-1]; process 1 reads text1 instead
 * when given (a process that fails where the others do not). */
static void run_world_mixed(int n, const char *path, const char *text, const char *text1,
                            process *pr)
{
    world w;
    pthread_barrier_init(&w.bar, NULL, (unsigned)n);
    pthread_t th[MAXP];
    for (int q = 0; q < n; q++) {
        pr[q] = (process){.w = &w, .path = path, .text = q == 1 && text1 ? text1 : text};
        pr[q].dist = (qp_dist){.rank = q, .size = n, .ctx = &pr[q], .allgather = world_allgather};
        pthread_create(&th[q], NULL, process_main, &pr[q]);
    }
    for (int q = 0; q < n; q++) {
        pthread_join(th[q], NULL);
    }
    pthread_barrier_destroy(&w.bar);
}

static void run_world(int n, const char *path, const char *text, process *pr)
{
    run_world_mixed(n, path, text, NULL, pr);
}

static void free_world(int n, process *pr)
{
    for (int q = 0; q < n; q++) {
        qp_results_free(&pr[q].res);
        free(pr[q].msgs);
    }
}

/* Whether a and b (npoints long) hold the same bytes, also both NULL. */
static int same_bytes(const void *a, const void *b, size_t n)
{
    return (!a && !b) || (a && b && memcmp(a, b, n) == 0);
}

/* Whether results x and y hold the same matrix elements, coherence times and dispersions. */
static int same_states(const qp_result *x, const qp_result *y)
{
    size_t n = x->npoints, L = (size_t)x->spec.nlev, per = x->spec.nops * L * L;
    const qp_coherence_out *a = &x->coh, *b = &y->coh;
    return x->spec.nops == y->spec.nops && x->spec.ndisp == y->spec.ndisp &&
           same_bytes(x->spec.mre, y->spec.mre, n * per * sizeof(double)) &&
           same_bytes(x->spec.mim, y->spec.mim, n * per * sizeof(double)) &&
           same_bytes(x->spec.disp, y->spec.disp, x->spec.ndisp * L * sizeof(double)) &&
           a->present == b->present && same_bytes(a->f, b->f, n * sizeof(double)) &&
           same_bytes(a->rate, b->rate, n * QP_CH_COUNT * sizeof(double)) &&
           same_bytes(a->t1, b->t1, n * sizeof(double)) &&
           same_bytes(a->t2, b->t2, n * sizeof(double));
}

/* Whether the swept results a and b hold the same numbers, bit for bit. */
static int same_results(const qp_results *a, const qp_results *b)
{
    if (a->n != b->n) {
        return 0;
    }
    for (size_t i = 0; i < a->n; i++) {
        const qp_result *x = &a->r[i], *y = &b->r[i];
        size_t n = x->npoints, L = (size_t)x->spec.nlev, F = x->tran.nfreq;
        if (n != y->npoints || L != (size_t)y->spec.nlev || F != y->tran.nfreq ||
            memcmp(x->values, y->values, n * sizeof *x->values) != 0) {
            return 0;
        }
        if (L && (memcmp(x->spec.levels, y->spec.levels, n * L * sizeof(double)) != 0 ||
                  memcmp(x->spec.delta, y->spec.delta, n * sizeof(double)) != 0 ||
                  memcmp(x->spec.dim, y->spec.dim, n * sizeof(size_t)) != 0)) {
            return 0;
        }
        if (!same_states(x, y)) {
            return 0;
        }
        for (size_t k = 0; k < n * F; k++) {
            const qp_tran_freq *f = &x->tran.iv[k], *g = &y->tran.iv[k];
            if (memcmp(&f->mean_v, &g->mean_v, sizeof f->mean_v) != 0 ||
                memcmp(&f->f_sim, &g->f_sim, sizeof f->f_sim) != 0 ||
                memcmp(&f->f_fft, &g->f_fft, sizeof f->f_fft) != 0 || f->periods != g->periods) {
                return 0;
            }
        }
    }
    return 1;
}

/* The deck on 1, 2 and 3 processes: every process of every run holds the 1-process numbers. */
static void check_deck(const char *name, const char *path, const char *text, process *one)
{
    run_world(1, path, text, one);
    QP_CHECK(one->st == QP_OK, "%s runs on one process (%s)", name, one->msgs);
    for (int n = 2; n <= 3; n++) {
        process pr[MAXP];
        run_world(n, path, text, pr);
        int ok = 1, shared = 1;
        for (int q = 0; q < n; q++) {
            ok &= pr[q].st == QP_OK && same_results(&one->res, &pr[q].res);
            shared &= pr[q].exchanges > 0;
        }
        QP_CHECK(ok, "%s on %d processes: every process holds the 1-process numbers bit for bit",
                 name, n);
        /* a run that computed everything on every process would hold them too */
        QP_CHECK(shared, "%s on %d processes: the work was shared (every process exchanged)",
                 name, n);
        free_world(n, pr);
    }
}

/* The 401-point fluxonium flux sweep; its point f = 1/2 against the deck's numpy oracle. */
static void test_fluxonium(void)
{
    process one;
    check_deck("401-point fluxonium sweep", QP_TEST_DIR "/../bench/fluxonium_sweep401.cir", NULL,
               &one);
    static const double want[5] = {-0.630011458, -0.266590091, 8.756337508, 11.698810543,
                                   16.672522106};
    if (one.st == QP_OK && one.res.n == 1 && one.res.r[0].npoints == 401) {
        const double *E = one.res.r[0].spec.levels + 200 * (size_t)one.res.r[0].spec.nlev;
        for (int i = 1; i < 5; i++) { /* the deck quotes levels from another origin */
            QP_CHECK_REL(E[i] - E[0], want[i] - want[0], ORACLE_RTOL,
                         "fluxonium f = 1/2 transition from the ground state");
        }
    }
    free_world(1, &one);
}

static const char tran_sweep[] = "* overdamped RSJ (Ic = 100 uA, R = 1 Ohm) at five bias currents\n"
                                 ".param i=150u\n"
                                 "I1 0 1 dc {i}\n"
                                 "B1 1 0 ic=100uA rn=1\n"
                                 ".tran 0.1p 0.3n\n"
                                 ".sweep i 120u 200u 5\n";

/* A 2-D sweep (its last point, which the report describes, on process 0) and a swept transient. */
static void test_grid_and_tran(void)
{
    process one;
    check_deck("2-D Cooper-pair box sweep", QP_TEST_DIR "/../examples/sweep_2d.cir", NULL, &one);
    free_world(1, &one);
    check_deck("swept RSJ transient", NULL, tran_sweep, &one);
    free_world(1, &one);
}

/* Swept .matrix and .coherence (each point's levels, matrix elements or times), and the extra
 * spectra of an unswept spectrum's dispersions (two per offset or loop). */
static void test_states_and_dispersions(void)
{
    process one;
    check_deck("swept .matrix", QP_TEST_DIR "/../examples/matrix_flux_sweep.cir", NULL, &one);
    free_world(1, &one);
    check_deck("swept .coherence", QP_TEST_DIR "/../examples/coherence/fluxonium_flux_sweep.cir",
               NULL, &one);
    QP_CHECK(one.st == QP_OK && one.res.r[0].coh.t1 && one.res.r[0].npoints > 2,
             "the coherence sweep has times at its points");
    free_world(1, &one);
    check_deck("dispersions of a SQUID transmon", QP_TEST_DIR "/../netlists/squid_transmon.cir",
               NULL, &one);
    QP_CHECK(one.st == QP_OK && one.res.r[0].spec.ndisp == 2, "two dispersions (%zu)",
             one.st == QP_OK ? one.res.r[0].spec.ndisp : 0);
    free_world(1, &one);
}

static const char bad_sweep[] = "* a sweep whose later points have a negative capacitance\n"
                                ".param c=100f\n"
                                "L1 1 0 10nH\n"
                                "C1 1 0 {c}\n"
                                ".spectrum levels=2\n"
                                ".sweep c 100f -100f 9\n";

/* The first failing point (c = 0, point 4) is process 1's on 2 processes: process 0 still reports
 * it with the single-process messages, and every process fails. */
static void test_failing_point(void)
{
    process one, pr[2];
    run_world(1, NULL, bad_sweep, &one);
    run_world(2, NULL, bad_sweep, pr);
    QP_CHECK(one.st != QP_OK && pr[0].st == one.st && pr[1].st == one.st,
             "the sweep fails on 1 and on both of 2 processes (%d, %d, %d)", one.st, pr[0].st,
             pr[1].st);
    QP_CHECK(one.msgs && strstr(one.msgs, "sweep point at c = 0"), "the note names c = 0: %s",
             one.msgs ? one.msgs : "(none)");
    QP_CHECK(one.msgs && pr[0].msgs && strcmp(one.msgs, pr[0].msgs) == 0,
             "process 0's messages equal the single process's: %s", pr[0].msgs);
    free_world(1, &one);
    free_world(2, pr);
}

/* A SQUID-coupled pair in a loop with flux (complex, Hermitian terms on the first mode) and a
 * charge chain: on P = 1..4 "processes", the local operators' products on their owned rows are
 * the whole operator's product on those rows (the same sums in the same order: bit for bit up to
 * the adjoint terms written out, so to 1e-14). */
static const char *const split_decks[] = {
    "B1 1 0 ej=15\nC1 1 0 ec=0.3\nB2 2 0 ej=12\nC2 2 0 ec=0.4\nCC2 1 2 2fF\n"
    "B3 3 0 ej=9\nC3 3 0 ec=0.5\nCC3 2 3 3fF\n.ng 1 0.2\n",
    "B1 1 0 ej=8\nC1 1 0 ec=0.4\nB2 2 0 ej=7\nC2 2 0 ec=0.5\nB3 1 2 ej=3\nC3 1 2 ec=2\n"
    ".flux 0.3 B1 B3 B2\n",
};

static void test_split(void)
{
    for (size_t k = 0; k < sizeof split_decks / sizeof *split_decks; k++) {
        qp_modes *m = modes_from_text(split_decks[k], NULL);
        qp_kron K = {0};
        int cut[3] = {4, 3, 3};
        qp_status st = m ? qp_ham_terms(m, m, cut, 0, NULL, &K) : QP_ERR_INPUT;
        size_t n = K.dim, S = K.nslot ? K.stride[0] : 1, w = qp_kron_halo(&K);
        double complex *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
        double complex *work = malloc(2 * n * sizeof *work);
        QP_CHECK(st == QP_OK && x && y && work && w >= 1, "deck %zu: %zu states, halo %zu", k, n,
                 w);
        if (st != QP_OK || !x || !y || !work) {
            free(x), free(y), free(work), qp_kron_free(&K), qp_modes_free(m);
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            x[i] = sin(0.7 * (double)i) + I * cos(1.3 * (double)i);
        }
        qp_kron_apply(&K, x, y, work);
        double worst = 0.0, scale = 0.0;
        for (size_t i = 0; i < n; i++) {
            scale = fmax(scale, cabs(y[i]));
        }
        for (int P = 1; P <= 4; P++) {
            for (int q = 0; q < P; q++) {
                size_t lo, hi, d0 = K.dims[0];
                qp_kron_split_range(&K, P, q, &lo, &hi);
                size_t elo = lo > w ? lo - w : 0, ehi = hi + w < d0 ? hi + w : d0;
                qp_kron L;
                qp_status sl = qp_kron_local(&K, lo, hi, elo, ehi, &L);
                size_t ne = L.dim;
                double complex *ye = malloc((ne ? ne : 1) * sizeof *ye);
                double complex *we = malloc((ne ? 2 * ne : 1) * sizeof *we);
                if (sl == QP_OK && ye && we) {
                    qp_kron_apply(&L, x + elo * S, ye, we);
                    for (size_t i = lo * S; i < hi * S; i++) {
                        worst = fmax(worst, cabs(ye[i - elo * S] - y[i]));
                    }
                } else {
                    worst = INFINITY;
                }
                free(ye), free(we);
                qp_kron_free(&L);
            }
        }
        QP_CHECK(worst <= 1e-14 * scale, "deck %zu: owned rows of the local products on 1..4 "
                 "processes equal the whole product (%.3g of %.3g)", k, worst, scale);
        free(x), free(y), free(work);
        qp_kron_free(&K);
        qp_modes_free(m);
    }
}

/* Process 1 stops at point 0 (a negative capacitance there), before the exchange; process 0,
 * whose point 0 works, must not wait for it in the exchange (before the readiness check it
 * waited forever: this test then never ends). The same with the dispersions' exchange. */
static void test_process_stops_early(void)
{
    static const char good[] = ".param c=100f\nL1 1 0 10nH\nC1 1 0 {c}\n.spectrum levels=2\n"
                               ".sweep c 100f 200f 5\n";
    static const char bad[] = ".param c=100f\nL1 1 0 10nH\nC1 1 0 {c}\n.spectrum levels=2\n"
                              ".sweep c -100f 200f 5\n";
    process pr[2];
    run_world_mixed(2, NULL, good, bad, pr);
    QP_CHECK(pr[1].st != QP_OK && pr[0].st == QP_ERR_NOMEM,
             "process 1 fails at point 0 (%d), process 0 returns from the exchange (%d)",
             pr[1].st, pr[0].st);
    free_world(2, pr);
}

int main(void)
{
    test_split();
    test_fluxonium();
    test_grid_and_tran();
    test_states_and_dispersions();
    test_failing_point();
    test_process_stops_early();
    return tap_done();
}
