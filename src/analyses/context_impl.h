/* Internal: what the analyses take from a run context: its workers and their solver caches. */
#ifndef QPSIM_ANALYSES_CONTEXT_IMPL_H
#define QPSIM_ANALYSES_CONTEXT_IMPL_H

#include "qpsim/context.h"
#include "qpsim/eig.h"

/* The symbolic-analysis cache of worker w (0: the calling thread), or NULL (only costs speed).
 * Valid until the next qp_context_drop_caches. */
qp_eig_cache *qp_context_cache(qp_context *ctx, int worker);

/* Empties every worker's cache: the factorizations of one analysis are not kept past it. */
void qp_context_drop_caches(qp_context *ctx);

/* Runs fn(arg, w) on the context's workers, w = 0 .. settings.threads - 1 or fewer (the system
 * may refuse threads; worker 0 is the calling thread), and returns when all have returned. */
void qp_context_run(qp_context *ctx, void (*fn)(void *arg, int worker), void *arg);

#endif
