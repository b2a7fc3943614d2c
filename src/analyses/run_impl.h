/* Internal: what the analysis runners share: the run of one deck, the sweep plan and runner,
 * and the spectrum options every spectrum-based analysis starts from. */
#ifndef QPSIM_ANALYSES_RUN_IMPL_H
#define QPSIM_ANALYSES_RUN_IMPL_H

#include "analyses/context_impl.h"
#include "qpsim/run.h"

/* A shallow copy cc of c with offset io (or loop il; the other index -1) set to `value`, or moved
 * by it when `add` is set: new arrays *off and *loops (the caller frees both, also on failure);
 * the loops' branch lists are shared with c. QP_ERR_NOMEM. */
qp_status qp_circuit_moved(const qp_circuit *c, int io, int il, double value, int add,
                           qp_circuit *cc, qp_offset **off, qp_flux_loop **loops);

/* One or two .sweep directives: a 1-D sweep, or a 2-D grid with the first one outer. */
typedef struct {
    const qp_analysis *sw[2];
    int n;
    size_t points;
} qp_sweep_plan;

/* What every analysis of one run shares. */
typedef struct {
    qp_context *ctx;
    const qp_job *job;
    const qp_sweep_plan *sweep; /* NULL without .sweep */
    qp_results *res;            /* the results so far (the first spectrum keeps the modes) */
    qp_diag *d;
} qp_runner;

/* One sweep point p >= 1 of analysis k on circuit cp (elaborated for that point), with the
 * worker's cache (may be NULL); errors into d, `where` names the point ("at x = 1"). Writes only
 * point p's part of r, so points may run on several threads at once. */
typedef qp_status (*qp_sweep_point_fn)(const qp_circuit *cp, size_t k, qp_result *r, size_t p,
                                       qp_worker_cache *cache, qp_diag *d, const char *where);

/* The parameter values of point p (row-major: the second parameter runs fastest), written into
 * the override texts val[] and the "at a = x, b = y" text. */
void qp_sweep_point_values(const qp_sweep_plan *sp, size_t p, double v[2], char val[2][64],
                           char *where, size_t wlen);

/* Point 0 of a sweep of analysis k on circuit cp: it sizes the result (and may keep what the
 * nominal report needs in R->res); errors into R->d, `where` names the point. */
typedef qp_status (*qp_sweep_first_fn)(const qp_runner *R, const qp_circuit *cp, size_t k,
                                       qp_result *r, const char *where);

/* A sweep of analysis k: the result's sweep description and a new progress sequence, point 0
 * elaborated and computed by first on the calling thread, then points 1 .. npoints-1 by rest on
 * the context's workers. Every point is elaborated anew and computed with its worker's cache, so
 * its numbers do not depend on the thread that computed it: the result equals the serial one bit
 * for bit. Diagnostics are merged in point order up to the first failing point, as a serial run
 * would have reported them, with a note naming that point. */
/* A checkpoint p of a sweep, computed on the calling thread before the workers start; `final`
 * is set for the last one. */
typedef qp_status (*qp_sweep_check_fn)(const qp_runner *R, const qp_circuit *cp, size_t k,
                                       qp_result *r, size_t p, int final, const char *where);

qp_status qp_sweep_run(const qp_runner *R, size_t k, qp_result *r, qp_sweep_first_fn first,
                       qp_sweep_check_fn check, qp_sweep_point_fn rest);
/* `check`, or NULL, computes the checkpoints of a 1-D sweep of three points or more, the middle
 * point and then the last, on the calling thread after point 0 and before the workers start (a
 * swept spectrum converges its basis there and reuses it between); a failing checkpoint is not
 * the sweep's failure: its messages are dropped, the later checkpoints skipped, and `rest`
 * computes that point again in turn. */

/* The pieces of qp_sweep_run, for a sweep computed serially (.matrix): the sweep description,
 * the overrides with one entry per swept parameter pointing at val[] (*nbase: the count before
 * those) and a new progress sequence; NULL when out of memory (the caller frees the overrides). */
qp_override *qp_sweep_begin(const qp_runner *R, qp_result *r, char val[2][64], size_t *nbase);

/* Point p of a sweep elaborated on the calling thread with the overrides `all` (nbase + swept
 * entries, set for p): errors only (the nominal elaboration reported the warnings), and a note
 * naming the point on failure. */
qp_status qp_sweep_elaborate(const qp_runner *R, const qp_override *all, size_t nbase, size_t p,
                             qp_circuit **cp);

/* Progress of the run's current sequence (see qp_settings). */
void qp_run_progress(const qp_runner *R, size_t done, size_t total);

/* The spectrum options of analysis an (.spectrum, .matrix, .wavefunction) with a worker's caches
 * (or NULL), within the active run's cap on the states (qp_context_active,
 * qp_settings.cap_dim). */
void qp_run_spectrum_opts(const qp_analysis *an, const qp_worker_cache *cache,
                          qp_spectrum_opts *o);

/* The groups= of a .spectrum as the group of each of m's modes (group[] has room for m->n), or
 * QP_ERR_INPUT with a positioned error when it does not name every mode once; QP_OK and group
 * untouched without groups=. */
qp_status qp_run_spectrum_groups(const qp_circuit *c, const qp_analysis *an, const qp_modes *m,
                                 int *group, qp_diag *d);

/* .spectrum, single or swept, with its dispersions. */
qp_status qp_run_spectrum(const qp_runner *R, size_t k, qp_result *r);

/* .matrix and .wavefunction. */
qp_status qp_run_states(const qp_runner *R, size_t k, qp_result *r);

#endif
