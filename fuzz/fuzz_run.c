/* libFuzzer target: the whole `qpsim run` path on a deck (parse, elaborate, every analysis under
 * the caps of a bounded run, the reports, CSVs, JSON and plots written to a temporary folder).
 * Also linked with fuzz/replay.c, which feeds it files, for the builds without libFuzzer. */
#include "qpsim/engine.h"
#include "writers/outfile.h"
#include "writers/plot.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The caps of every run (docs/reliability.md says why these values): each input ends in
 * milliseconds, so that the fuzzer spends its time on new paths, not on long solves. */
#define CAP_DIM 256       /* states of an eigenproblem: a dense solve of 256 takes ~10 ms */
#define CAP_UNKNOWNS 12   /* transient unknowns: a 36 x 36 LU a step */
#define CAP_LEVELS 8
#define CAP_POINTS 5      /* sweep points (3 or more: the checkpoints of a swept spectrum) */
#define CAP_GRID 256      /* .bands points, .wavefunction points per variable */
#define CAP_SAMPLES 100000 /* .tran output samples: 8 MB of trace for 10 signals */
#define CAP_STEPS 50000   /* .tran integrator steps: ~0.1 s for a junction and a source */
#define MAX_ELEMENTS 200  /* larger flattened circuits are elaborated but not run */
#define MAX_READS 6       /* .include reads that return the input itself; later ones fail */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The first few .include reads return the fuzzer's own input, so that includes are exercised;
 * later ones fail, which keeps each run short (the product's own limit is 256 files). */
typedef struct {
    const uint8_t *data;
    size_t size;
    int reads;
} mem;

static int read_mem(void *ctx, const char *path, char **text, size_t *len, const char **why)
{
    mem *m = ctx;
    (void)path;
    if (++m->reads > MAX_READS) {
        *why = "fuzzer read limit";
        return -1;
    }
    *text = malloc(m->size ? m->size : 1);
    if (!*text) {
        *why = "out of memory";
        return -1;
    }
    if (m->size) {
        memcpy(*text, m->data, m->size);
    }
    *len = m->size;
    return 0;
}

/* The folder the files of every run go to, made once and removed at exit. */
static char outdir[64];

static void remove_outdir(void)
{
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", outdir);
    if (outdir[0] && system(cmd) != 0) {
        fprintf(stderr, "fuzz_run: could not remove %s\n", outdir);
    }
}

static const char *out_folder(void)
{
    if (!outdir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(outdir, sizeof outdir, "%s/qpsim-fuzz-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
        if (!mkdtemp(outdir)) {
            outdir[0] = '\0';
            return NULL;
        }
        atexit(remove_outdir);
    }
    return outdir;
}

/* Every file `qpsim run -o DIR` writes, into the fuzzer's folder (as write_outputs in
 * cli/main.c): the JSON, a CSV per analysis, the transient spectra, and with plots set the PNG
 * plots (drawing them takes more time than the rest of a run: only for a quarter of the inputs,
 * those whose length is a multiple of 4). */
static void write_files(const qp_circuit *c, const qp_results *res, int plots)
{
    const char *dir = out_folder();
    qp_outdir *o = dir ? qp_outdir_open(dir) : NULL;
    if (!o) {
        return;
    }
    char *json = qp_report_json(c, "fuzz.cir", res->modes, res);
    int rc = json ? qp_outdir_text(o, "qpsim.json", json) : -1;
    free(json);
    for (size_t i = 0; i < res->n && rc == 0; i++) {
        char name[64];
        char *csv = qp_report_csv(c, &res->r[i]);
        snprintf(name, sizeof name, "analysis%zu.csv", i + 1);
        rc = csv ? qp_outdir_text(o, name, csv) : 0;
        free(csv);
        char *fft = rc == 0 ? qp_report_fft_csv(c, &res->r[i]) : NULL;
        snprintf(name, sizeof name, "analysis%zu_fft.csv", i + 1);
        rc = fft ? qp_outdir_text(o, name, fft) : rc;
        free(fft);
    }
    if (rc == 0 && (!plots || qp_plot_results(o, c, res) == 0)) {
        qp_outdir_commit(o);
    }
    qp_outdir_free(o);
}

/* The reports of a run: the text of `qpsim run` and its JSON, to memory. */
static void reports(const qp_circuit *c, const qp_results *res)
{
    free(qp_report_circuit_text(c));
    if (res->modes) {
        free(qp_report_modes_text(c, res->modes, res->cut));
    }
    free(qp_report_results_text(c, res));
    free(qp_report_json(c, "fuzz.cir", res->modes, res));
}

/* `qpsim run` on the elaborated circuit c of deck, within the caps. */
static void run(const qp_deck *deck, const qp_circuit *c, int plots, qp_diag *d)
{
    qp_settings set;
    qp_settings_default(&set);
    set.cap_dim = CAP_DIM;
    set.cap_unknowns = CAP_UNKNOWNS;
    set.cap_levels = CAP_LEVELS;
    set.cap_points = CAP_POINTS;
    set.cap_grid = CAP_GRID;
    set.cap_samples = CAP_SAMPLES;
    set.cap_steps = CAP_STEPS;
    qp_context *ctx = NULL;
    if (qp_context_create(&set, &ctx) != QP_OK) {
        return;
    }
    qp_results res = {0};
    qp_job job = {deck, NULL, 0, c};
    qp_status st = qp_run(ctx, &job, &res, d);
    if (st == QP_OK) {
        reports(c, &res);
        write_files(c, &res, plots);
    }
    if (getenv("FUZZ_RUN_VERBOSE")) { /* what the caps let through, for a look by hand */
        fprintf(stderr, "fuzz_run: run status %d, %zu analyses:", (int)st, res.n);
        for (size_t i = 0; i < res.n; i++) {
            fprintf(stderr, " %s%s", qp_analysis_directive(res.r[i].kind),
                    res.r[i].npoints > 1 ? "(swept)" : "");
        }
        fputc('\n', stderr);
    }
    qp_results_free(&res);
    qp_context_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mem m = {data, size, 0};
    qp_netlist_opts opts = {read_mem, &m};
    qp_diag d = {0};
    qp_deck *deck = NULL;
    qp_circuit *c = NULL;
    qp_status st = qp_netlist_parse_text("fuzz.cir", (const char *)data, size, &opts, &deck, &d);
    if (deck) { /* as the command line: elaborated even after syntax errors */
        qp_status st2 = qp_circuit_elaborate(deck, NULL, 0, &c, &d);
        st = st == QP_OK ? st2 : st;
    }
    if (st == QP_OK && c && c->nelem <= MAX_ELEMENTS) {
        run(deck, c, size % 4 == 0, &d);
    }
    qp_diag_sort(&d);
    char *msgs = qp_diag_format(&d);
    if (msgs && getenv("FUZZ_RUN_VERBOSE")) {
        fputs(msgs, stderr);
    }
    free(msgs);
    qp_diag_clear(&d);
    qp_circuit_free(c);
    qp_deck_free(deck);
    return 0;
}
