/* Internal: what the analyses take from a run context: its workers and their caches. */
#ifndef QPSIM_ANALYSES_CONTEXT_IMPL_H
#define QPSIM_ANALYSES_CONTEXT_IMPL_H

#include "operators/basis.h"
#include "qpsim/context.h"
#include "qpsim/eig.h"

/* What one worker keeps between the computations of an analysis: the symbolic analyses of its
 * sparse solves and the oscillator exponentials of its bases. Either may be NULL (out of
 * memory), which only costs speed: both give the numbers computed without them, bit for bit. */
typedef struct {
    qp_eig_cache *eig;
    qp_basis_cache *basis;
} qp_worker_cache;

/* The caches of worker w (0: the calling thread), or NULL for a worker the context does not
 * have. Valid until the next qp_context_drop_caches. */
qp_worker_cache *qp_context_cache(qp_context *ctx, int worker);

/* Empties every worker's caches: what one analysis built is not kept past it. */
void qp_context_drop_caches(qp_context *ctx);

/* Runs fn(arg, w) on the context's workers, w = 0 .. n - 1 with n at most settings.threads and
 * at most `useful` (the work items there are; fewer when the system refuses threads; worker 0 is
 * the calling thread), and returns when all have returned. The threads are kept for later runs
 * and started again, more of them, only when a later run could use more. */
void qp_context_run(qp_context *ctx, void (*fn)(void *arg, int worker), void *arg, int useful);

/* The settings of the run the calling thread computes for, or NULL: set by qp_run on its thread
 * for the length of the run (qp_context_activate) and by qp_context_run on the workers for the
 * length of a job. Code deep in a run that is handed no context reads its caps here (the
 * spectrum options, the transient). */
const qp_settings *qp_context_active(void);

/* Makes s the calling thread's active settings (NULL: none); returns the ones before, to be
 * restored by the same call. */
const qp_settings *qp_context_activate(const qp_settings *s);

#endif
