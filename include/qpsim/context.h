/* A run context: the settings of a run with their defaults, the worker threads that compute sweep
 * points and the caches of each worker, kept for every run made with the context. */
#ifndef QPSIM_CONTEXT_H
#define QPSIM_CONTEXT_H

#include "qpsim/diag.h"
#include "qpsim/dist.h"

#include <stddef.h>

typedef struct {
    int threads;     /* workers for sweep points, the calling thread included (default 1:
                      * serial); the numbers are the same for every count */
    int keep_traces; /* 1 (default): transients keep their traces and the spectra of them; 0:
                      * only the frequency reports (nothing will write the traces) */
    /* Progress, or NULL (default): called after each sweep point with the points done so far
     * (from whichever thread finished it, one call at a time), and during an unswept .tran
     * with the simulated time done (in 1/1000 of TSTOP, about every 1 %); done == 0 starts
     * and done == total ends one such sequence. */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
    /* What a long computation is doing, or NULL (default): a one-line status before each large
     * solve of an unswept spectrum (its size and memory estimate; the hierarchical path's Ecut
     * and kept states), from the computing thread; an empty line ends the sequence. */
    void (*status)(void *ctx, const char *line);
    void *status_ctx;
    void (*thread_init)(void); /* called first in every thread the context starts (e.g.
                                * per-thread OpenMP settings; the calling thread is not one of
                                * them), or NULL */
    /* Processes that share the run (qpsim/dist.h), or NULL (default): this process alone. Every
     * process runs the whole deck; the points of a sweep are split between them and the results
     * exchanged, so that each ends with the same numbers as a single process. */
    const qp_dist *dist;
    /* Caps of a bounded run, each 0 (the default) for none: the fuzzer's (fuzz/fuzz_run.c), so
     * that any deck ends in milliseconds; docs/reliability.md. An analysis that would pass one
     * is refused with an error at its line that names the cap: before it computes where the
     * deck tells (levels, points, samples), else when a solve or a step would pass it. */
    size_t cap_dim;     /* states of one eigenproblem (fixed cutoffs too; automatic ones grow no
                         * further) */
    size_t cap_unknowns; /* unknowns of a transient (its dense LU grows as their cube) */
    size_t cap_levels;  /* levels asked of .spectrum, .bands, .matrix, .wavefunction, .coherence */
    size_t cap_points;  /* sweep points (of a 2-D sweep, the grid's) */
    size_t cap_grid;    /* .bands points, .wavefunction points per variable */
    size_t cap_samples; /* .tran output samples, (TSTOP - TSTART) / TSTEP + 1 */
    size_t cap_steps;   /* .tran integrator steps */
} qp_settings;

/* The defaults above. */
void qp_settings_default(qp_settings *s);

typedef struct qp_context qp_context;

/* A context with settings s (NULL: the defaults; s is copied). Threads are started at the first
 * sweep that needs them, no more than it has points. A context serves one run at a time: two
 * threads that run decks at once each need their own. *out is written only on success;
 * QP_ERR_NOMEM otherwise. */
qp_status qp_context_create(const qp_settings *s, qp_context **out);

/* Stops the context's threads and frees its caches; NULL is fine. */
void qp_context_free(qp_context *ctx);

/* The settings the context runs with. */
const qp_settings *qp_context_settings(const qp_context *ctx);

#endif
