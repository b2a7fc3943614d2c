/* qpsim command line: a thin client that reads files, calls libqpsim and prints the results. */
#include "qpsim/engine.h"
#include "front/file.h"
#include "base/strbuf.h"
#include "base/suggest.h"

#include "cli/mpi.h"
#include "writers/outfile.h"
#include "writers/plot.h"
#include "qp_config.h"

#include <errno.h>
#if QP_HAVE_OPENMP
#include <omp.h>
#endif
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: qpsim run FILE.cir [--json] [--set NAME=VALUE]... [-o DIR] [--threads N | -jN]\n"
    "       qpsim check FILE.cir [--json] [--set NAME=VALUE]...\n"
    "       qpsim dual FILE.cir\n"
    "       qpsim help [COMMAND] | --help | --version\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "qpsim: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage);
    return QP_ERR_USAGE;
}

/* "unknown command 'X'", with the nearest command when it looks like a typo; exit 2. */
static int unknown_command(const char *cmd)
{
    static const char *const cmds[] = {"run", "check", "dual", "help"};
    qp_suggest sg;
    char hint[96];
    qp_suggest_init(&sg, cmd);
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        qp_suggest_offer(&sg, cmds[i]);
    }
    fprintf(stderr, "qpsim: error: unknown command '%s'%s\n%s", cmd,
            qp_suggest_hint(&sg, hint, sizeof hint), usage);
    return QP_ERR_USAGE;
}

/* qpsim --help and qpsim help: what qpsim and each command do; COMMAND --help: its options. */
static const char help_main[] =
    "qpsim: a simulator of superconducting quantum circuits. It reads a SPICE-like netlist of\n"
    "capacitors, inductors, Josephson and phase-slip junctions and computes spectra, sweeps,\n"
    "Bloch bands, transients, matrix elements, wavefunctions and coherence times.\n"
    "\n"
    "%s"
    "\n"
    "commands:\n"
    "  run FILE.cir     run every analysis of the deck: tables on stdout (--json: one JSON\n"
    "                   document), files with -o DIR\n"
    "  check FILE.cir   read the deck and show the elaborated circuit (elements in SI and as\n"
    "                   energies, nodes, loops, offsets, modes) without running analyses\n"
    "  dual FILE.cir    print the dual netlist of a planar circuit\n"
    "  help [COMMAND]   this text, or the options of COMMAND (also: qpsim COMMAND --help)\n"
    "\n"
    "exit status: 0 success; 1 bad input (FILE:LINE:COL: error: ... on stderr); 2 bad command\n"
    "line; 3 numerical failure, out of memory, or an output that cannot be written.\n"
    "Documentation in qpsim's sources: docs/tutorial.md (a first deck), docs/netlist.md (the\n"
    "language and every option), docs/json.md (the JSON output).\n";

static const char help_run[] =
    "usage: qpsim run FILE.cir [--json] [--set NAME=VALUE]... [-o DIR] [--threads N | -jN]\n"
    "\n"
    "Runs every analysis of the deck in deck order and prints the circuit and the results.\n"
    "\n"
    "  --json             print one JSON document on stdout instead of the tables\n"
    "  --set NAME=VALUE   replace the value of the top-level .param NAME (the deck's value\n"
    "                     syntax: 15GHz, 80fF, {2*ej}); repeatable\n"
    "  -o DIR             also write DIR/qpsim.json, a CSV per analysis and PNG plots; DIR is\n"
    "                     created if needed; the files of an earlier run there are replaced\n"
    "                     (DIR/.qpsim-manifest lists them), other files are left alone\n"
    "  --threads N, -jN   compute sweep points on N threads (default: one per CPU; the\n"
    "                     numbers do not depend on N); also -j N, --threads=N\n"
    "  -h, --help         this text\n";

static const char help_check[] =
    "usage: qpsim check FILE.cir [--json] [--set NAME=VALUE]...\n"
    "\n"
    "Reads the deck and shows the elaborated circuit: each element in SI units and as an energy,\n"
    "the nodes, flux loops, offset charges, parameters, requested analyses and the modes, without\n"
    "running the analyses. It reports the errors `run` would report before solving.\n"
    "\n"
    "  --json             print the circuit as one JSON document\n"
    "  --set NAME=VALUE   replace the value of the top-level .param NAME; repeatable\n"
    "  -h, --help         this text\n";

static const char help_dual[] =
    "usage: qpsim dual FILE.cir\n"
    "\n"
    "Prints the dual netlist of a planar circuit in the same language: capacitors and inductors\n"
    "exchanged, junctions and phase-slip elements exchanged, flux and offset charge exchanged.\n"
    "Its spectrum is the circuit's.\n"
    "\n"
    "  -h, --help         this text\n";

/* Prints the help of cmd (NULL: the overview) on stdout and returns -1 (done, exit 0); an
 * unknown cmd is a usage error. */
static int help(const char *cmd)
{
    if (!cmd) {
        printf(help_main, usage);
    } else if (strcmp(cmd, "run") == 0) {
        fputs(help_run, stdout);
    } else if (strcmp(cmd, "check") == 0) {
        fputs(help_check, stdout);
    } else if (strcmp(cmd, "dual") == 0) {
        fputs(help_dual, stdout);
    } else if (strcmp(cmd, "help") == 0) {
        return help(NULL);
    } else {
        return unknown_command(cmd);
    }
    return -1;
}

/* Out of memory at a stage that left no message of its own: says which stage, exit 3. */
static int nomem_exit(const char *what)
{
    fprintf(stderr, "qpsim: error: out of memory while %s\n", what);
    return QP_ERR_NUMERIC;
}

static void flush_diag(qp_diag *d)
{
    qp_diag_sort(d);
    char *s = qp_diag_format(d);
    if (s) {
        fputs(s, stderr);
    } else {
        fputs("qpsim: error: out of memory while reporting errors\n", stderr);
    }
    free(s);
    qp_diag_clear(d);
}

typedef struct {
    const char *cmd, *file, *outdir;
    int json;
    int threads; /* sweep points at once; 0: one per online CPU */
    qp_override *ov;
    size_t nov;
    const qp_dist *dist; /* the processes of the run (one without mpirun) */
    int local;           /* of them on this machine */
} cli;

static int parse_args(int argc, char **argv, cli *a)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return QP_ERR_USAGE;
    }
    a->cmd = argv[1];
    if (strcmp(a->cmd, "--help") == 0 || strcmp(a->cmd, "-h") == 0) {
        return help(NULL);
    }
    if (strcmp(a->cmd, "help") == 0) {
        return help(argc > 2 ? argv[2] : NULL);
    }
    if (strcmp(a->cmd, "--version") == 0) {
        printf("qpsim %s\n", qp_version());
        return -1;
    }
    if (strcmp(a->cmd, "run") && strcmp(a->cmd, "check") && strcmp(a->cmd, "dual")) {
        return unknown_command(a->cmd);
    }
    a->ov = calloc((size_t)argc, sizeof *a->ov);
    if (!a->ov) {
        return nomem_exit("reading the command line");
    }
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--json") == 0) {
            a->json = 1;
        } else if (strcmp(s, "--set") == 0 || strncmp(s, "--set=", 6) == 0) {
            const char *v = s[5] == '=' ? s + 6 : (i + 1 < argc ? argv[++i] : NULL);
            const char *eq = v ? strchr(v, '=') : NULL;
            if (!v || !eq || eq == v || !eq[1]) {
                return usage_error("%s needs NAME=VALUE", "--set");
            }
            char *name = malloc((size_t)(eq - v) + 1);
            if (!name) {
                return nomem_exit("reading the command line");
            }
            memcpy(name, v, (size_t)(eq - v));
            name[eq - v] = '\0';
            a->ov[a->nov++] = (qp_override){name, eq + 1};
        } else if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            return help(a->cmd);
        } else if (strcmp(s, "--threads") == 0 || strcmp(s, "-j") == 0 ||
                   strncmp(s, "--threads=", 10) == 0 || (strncmp(s, "-j", 2) == 0 && s[2])) {
            /* -j N, -jN, --threads N, --threads=N (make's and ninja's spellings) */
            const char *arg = s[1] == 'j' ? (s[2] ? s + 2 : NULL) : (s[9] == '=' ? s + 10 : NULL);
            if (!arg && i + 1 < argc) {
                arg = argv[++i];
            }
            char *end = NULL;
            long v = arg ? strtol(arg, &end, 10) : 0;
            if (!arg || !end || end == arg || *end || v < 1 || v > 1024) {
                return usage_error("%s needs a number of threads from 1 to 1024", s);
            }
            a->threads = (int)v;
        } else if (strcmp(s, "-o") == 0) {
            if (i + 1 >= argc) {
                return usage_error("%s needs a directory", "-o");
            }
            a->outdir = argv[++i];
        } else if (s[0] == '-' && s[1] != '\0') {
            return usage_error("unknown option '%s'", s);
        } else if (a->file) {
            return usage_error("more than one netlist given ('%s')", s);
        } else {
            a->file = s;
        }
    }
    if (!a->file) {
        return usage_error("no netlist given to '%s'", a->cmd);
    }
    if (strcmp(a->cmd, "check") == 0 && a->outdir) {
        return usage_error("'%s' writes no files: -o belongs to 'run'", "check");
    }
    if (strcmp(a->cmd, "dual") == 0 && (a->json || a->nov || a->outdir)) {
        return usage_error("'%s' takes only a netlist", "dual");
    }
    return 0;
}

/* Prints a report string, or says that it could not be made. */
static int emit(char *out, int json)
{
    if (!out) {
        fprintf(stderr, "qpsim: error: out of memory while writing the report\n");
        return QP_ERR_NUMERIC;
    }
    fputs(out, stdout);
    if (json) {
        fputc('\n', stdout);
    }
    free(out);
    return 0;
}

/* qpsim check: the circuit view, with its modes when the circuit can be quantized. */
static int check(const cli *a, const qp_circuit *c)
{
    qp_diag qd = {0};
    qp_modes *m = NULL;
    qp_status qs = qp_quantize(c, &m, &qd);
    int rc;
    qp_diag od = {0}; /* .matrix operators and .wavefunction grids, as `run` checks them */
    qp_status os = m ? qp_run_check_states(c, m, &od) : QP_OK;
    if (qs == QP_ERR_NOMEM || os == QP_ERR_NOMEM) {
        qp_diag_clear(&qd), qp_diag_clear(&od), qp_modes_free(m);
        fprintf(stderr, "qpsim: error: out of memory while quantizing the circuit (%zu nodes, "
                "%zu elements)\n", c->nnodes, c->nelem);
        return QP_ERR_NUMERIC;
    }
    if (os != QP_OK) {
        flush_diag(&od);
        qp_diag_clear(&qd), qp_modes_free(m);
        return (int)os;
    }
    if (a->json) {
        rc = emit(qp_report_json(c, a->file, m, NULL), 1);
    } else {
        const char *why = qs != QP_OK && qd.count > 0 ? qd.items[0].msg : NULL;
        rc = emit(qp_report_check_text(c, m, why), 0);
    }
    qp_modes_free(m);
    qp_diag_clear(&qd);
    return rc;
}

/* -o DIR, before the run: DIR must be a folder or creatable (else a command-line error, exit 2,
 * before any computing). */
static int prepare_outdir(const char *dir)
{
    struct stat sb;
    if (stat(dir, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "qpsim: error: -o '%s' exists and is not a directory\n", dir);
        return QP_ERR_USAGE;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "qpsim: error: cannot create '%s': %s\n", dir, strerror(errno));
        return QP_ERR_USAGE;
    }
    return 0;
}

/* -o DIR: the JSON document, one CSV per computed analysis and the plots, all or nothing
 * (writers/outfile.h): a failed write is exit 3 with the path and the reason, and leaves the
 * folder as it was. */
static int write_outputs(const cli *a, const qp_circuit *c, const qp_results *res)
{
    qp_outdir *o = qp_outdir_open(a->outdir);
    if (!o) {
        fprintf(stderr, "qpsim: error: out of memory while writing the files in '%s'\n", a->outdir);
        return QP_ERR_NUMERIC;
    }
    char *json = qp_report_json(c, a->file, res->modes, res);
    int rc = json ? qp_outdir_text(o, "qpsim.json", json) : -1;
    free(json);
    for (size_t i = 0; i < res->n && rc == 0; i++) {
        const qp_result *r = &res->r[i];
        char *csv = qp_report_csv(c, r);
        if (csv) {
            char name[64];
            snprintf(name, sizeof name, "analysis%zu_%s%s.csv", i + 1,
                     qp_analysis_directive(r->kind) + 1,
                     r->param ? (r->kind == QP_AN_TRAN ? "_iv" : "_sweep") : "");
            rc = qp_outdir_text(o, name, csv);
        }
        free(csv);
        char *fft = rc == 0 ? qp_report_fft_csv(c, r) : NULL;
        if (fft) {
            char name[64];
            snprintf(name, sizeof name, "analysis%zu_tran_fft.csv", i + 1);
            rc = qp_outdir_text(o, name, fft);
        }
        free(fft);
    }
    if (rc == 0) {
        rc = qp_plot_results(o, c, res);
    }
    if (rc == 0) {
        rc = qp_outdir_commit(o);
    }
    if (rc == 0 && qp_outdir_warning(o)) {
        fprintf(stderr, "qpsim: warning: %s\n", qp_outdir_warning(o));
    }
    if (rc != 0) {
        const char *why = qp_outdir_error(o);
        if (why) {
            fprintf(stderr, "qpsim: error: %s\n", why);
        } else {
            fprintf(stderr, "qpsim: error: out of memory while writing the files in '%s'\n",
                    a->outdir);
        }
    }
    qp_outdir_free(o); /* removes every temporary file: nothing half-written stays */
    return rc == 0 ? 0 : QP_ERR_NUMERIC;
}

/* Progress of a sweep on stderr (a terminal only): a bar with the points done and the time
 * left, redrawn at most 10 times a second; erased when the sweep ends. */
typedef struct {
    double t0, last;
    int shown;
} progress_state;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void progress_bar(void *ctx, size_t done, size_t total)
{
    progress_state *ps = ctx;
    double t = now_s();
    if (done == 0) { /* a sequence starts: the time left is measured from here */
        ps->t0 = t;
        return;
    }
    if (done < total && t - ps->last < 0.1) {
        return;
    }
    ps->last = t;
    if (done >= total) {
        if (ps->shown) {
            fprintf(stderr, "\r%80s\r", "");
            ps->shown = 0;
        }
        ps->t0 = t; /* the next sweep starts its own clock */
        return;
    }
    double el = t - ps->t0, eta = done > 0 ? el * (double)(total - done) / (double)done : 0.0;
    int w = 30, fill = (int)((double)w * (double)done / (double)total);
    char bar[32];
    for (int i = 0; i < w; i++) {
        bar[i] = i < fill ? '#' : '.';
    }
    bar[w] = '\0';
    fprintf(stderr, "\r[%s] %3.0f %%, %.0f s left ", bar, 100.0 * (double)done / (double)total,
            eta);
    ps->shown = 1;
}

/* What a long spectrum is doing, on stderr (a terminal only): one line, rewritten in place,
 * erased by the empty line that ends the sequence. */
static void status_line(void *ctx, const char *line)
{
    progress_state *ps = ctx;
    if (line[0]) {
        fprintf(stderr, "\r%-79.79s", line);
        ps->shown = 1;
    } else if (ps->shown) {
        fprintf(stderr, "\r%80s\r", "");
        ps->shown = 0;
    }
}

/* Every sweep worker thread: OpenMP settings are per thread in libgomp, so CHOLMOD's regions are
 * made inactive there too (see main()). */
static void worker_init(void)
{
#if QP_HAVE_OPENMP
    omp_set_max_active_levels(0);
#endif
}

/* qpsim run: every analysis of the deck, then the report. */
static int run_analyses(const cli *a, const qp_deck *deck, const qp_circuit *c)
{
    qp_diag d = {0};
    qp_results res = {0};
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    progress_state ps = {now_s(), 0.0, 0};
    qp_settings set;
    qp_settings_default(&set);
    /* by default the cores of this machine shared by its processes */
    long cores = ncpu > 0 ? (ncpu < 64 ? ncpu : 64) / a->local : 1;
    set.threads = a->threads ? a->threads : (cores > 1 ? (int)cores : 1);
    set.dist = a->dist;
    const char *outdir = a->dist->rank == 0 ? a->outdir : NULL; /* only process 0 writes */
    set.progress_ctx = &ps;
    set.thread_init = worker_init;
    if (!a->json && isatty(STDERR_FILENO)) {
        set.progress = progress_bar;
        set.status = status_line;
        set.status_ctx = &ps;
    }
    set.keep_traces = outdir != NULL; /* only -o writes traces */
    int prc = outdir ? prepare_outdir(outdir) : 0;
    if (a->dist->size > 1) { /* every process stops with process 0, before any exchange */
        int *all = calloc((size_t)a->dist->size, sizeof *all);
        if (!all || a->dist->allgather(a->dist->ctx, &prc, sizeof prc, all) != 0) {
            free(all);
            return nomem_exit("starting the processes");
        }
        prc = all[0];
        free(all);
    }
    if (prc != 0) {
        return prc;
    }
    qp_context *ctx = NULL;
    qp_status st = qp_context_create(&set, &ctx);
    if (st == QP_OK) {
        qp_job job = {deck, a->ov, a->nov, c};
        st = qp_run(ctx, &job, &res, &d);
        qp_context_free(ctx);
    }
    if (ps.shown) { /* a sweep that failed midway leaves its bar: erase it before the messages */
        fprintf(stderr, "\r%80s\r", "");
    }
    int silent = d.errors == 0 || d.nomem; /* no message of its own could be stored */
    flush_diag(&d);
    if (st == QP_ERR_NOMEM && silent) {
        return nomem_exit("running the analyses");
    }
    if (st != QP_OK) {
        return st == QP_ERR_NOMEM ? QP_ERR_NUMERIC : (int)st;
    }
    /* Files first: when -o fails nothing is printed on stdout. */
    int rc = outdir ? write_outputs(a, c, &res) : 0;
    if (rc == 0 && a->json) {
        rc = emit(qp_report_json(c, a->file, res.modes, &res), 1);
    } else if (rc == 0) {
        qp_strbuf b = {0};
        char *t = qp_report_circuit_text(c);
        char *mt = res.modes ? qp_report_modes_text(c, res.modes, res.cut) : NULL;
        char *rt = qp_report_results_text(c, &res);
        qp_sb_puts(&b, t ? t : "");
        qp_sb_puts(&b, mt ? mt : "");
        qp_sb_puts(&b, rt ? rt : "");
        free(t), free(mt), free(rt);
        rc = emit(qp_sb_take(&b), 0);
    }
    for (size_t i = 0; i < res.n; i++) {
        if (!res.r[i].computed) {
            fprintf(stderr, "qpsim: note: %s (line %d) is read and checked but not computed by "
                            "this version\n",
                    qp_analysis_directive(res.r[i].kind), res.r[i].loc.line);
        }
    }
    qp_results_free(&res);
    return rc;
}

static int run(const cli *a)
{
    qp_diag d = {0};
    qp_netlist_opts opts = {qp_file_read, NULL};
    qp_deck *deck = NULL;
    qp_circuit *c = NULL;
    qp_status st = qp_netlist_parse_file(a->file, &opts, &deck, &d);
    if (st == QP_ERR_IO) {
        st = QP_ERR_INPUT;
    }
    if (deck) {
        /* Elaborate even after syntax errors, to report every error of the deck at once. */
        qp_status st2 = qp_circuit_elaborate(deck, a->ov, a->nov, &c, &d);
        if (st == QP_OK || st2 == QP_ERR_USAGE || st2 == QP_ERR_NOMEM) {
            st = st2;
        }
    }
    flush_diag(&d);
    if (st != QP_OK) {
        qp_circuit_free(c);
        qp_deck_free(deck);
        return st == QP_ERR_NOMEM ? nomem_exit("reading the deck and flattening its circuit")
                                  : (int)st;
    }
    int rc = 0;
    if (strcmp(a->cmd, "dual") == 0) {
        qp_diag dd = {0};
        char *text = NULL;
        qp_status ds = qp_dual_netlist(c, a->file, &text, &dd);
        flush_diag(&dd);
        rc = ds == QP_OK          ? emit(text, 0)
             : ds == QP_ERR_NOMEM ? nomem_exit("writing the dual netlist")
                                  : (int)ds;
    } else if (strcmp(a->cmd, "check") == 0) {
        rc = check(a, c);
    } else {
        rc = run_analyses(a, deck, c);
    }
    qp_circuit_free(c);
    qp_deck_free(deck);
    /* ferror too: a write that failed before the last one leaves nothing for fflush to fail on */
    int en = fflush(stdout) != 0 ? errno : 0;
    if ((en || ferror(stdout)) && rc == 0) {
        fprintf(stderr, "qpsim: error: cannot write the standard output: %s\n",
                en ? strerror(en) : "a write failed");
        rc = QP_ERR_NUMERIC;
    }
    return rc;
}

#if QP_HAVE_OPENBLAS
void openblas_set_num_threads(int n);
/* OpenBLAS's own: stops its server threads (made when the library loads, one per core); weak,
 * since a serial build of the library has none. */
void blas_thread_shutdown_(void) __attribute__((weak));
#endif

int main(int argc, char **argv)
{
    /* Sweeps allocate and free the same few megabytes at every point: keep them in the heap
     * instead of mapping and unmapping them each time (a 401-point fluxonium sweep spent a fifth
     * of its time in page faults). */
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
#if QP_HAVE_OPENBLAS
    /* Our BLAS calls are small (dense blocks, triangular solves): threads only add spinning
     * (measured: 13x slower with the other core busy) and would make rounding depend on the
     * thread count. */
    openblas_set_num_threads(1);
    /* Its threads, idle now, still spin on their queues for a while after the library loads:
     * on two cores that took a quarter of a 401-point fluxonium sweep (0.17 s -> 0.13 s). */
    if (blas_thread_shutdown_) {
        blas_thread_shutdown_();
    }
#endif
    /* Debian's CHOLMOD opens an OpenMP region with a fixed 4 threads in every supernode of a
     * factorization; on 2 cores the wake-ups cost more than they gain (coupled transmons at
     * n = 1e5: factorization 0.31 s -> 0.19 s with OpenMP regions made inactive). */
#if QP_HAVE_OPENMP
    omp_set_max_active_levels(0);
#endif
    qp_dist dist = {.rank = 0, .size = 1};
    cli a = {.dist = &dist, .local = 1};
#if QP_HAVE_MPI
    if (qp_cli_mpi_init(&argc, &argv, &dist, &a.local) != 0) {
        fputs("qpsim: error: MPI could not start\n", stderr);
        return QP_ERR_NUMERIC;
    }
#endif
    int rc = parse_args(argc, argv, &a);
    if (rc == 0) {
        rc = run(&a);
    } else if (rc < 0) {
        rc = 0;
    }
    for (size_t i = 0; i < a.nov; i++) {
        free((char *)a.ov[i].name);
    }
    free(a.ov);
#if QP_HAVE_MPI
    rc = qp_cli_mpi_finish(&dist, rc);
#endif
    return rc;
}
