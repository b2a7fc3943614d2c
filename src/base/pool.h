/* Internal: a pool of worker threads that run one function on every worker at a time. */
#ifndef QPSIM_BASE_POOL_H
#define QPSIM_BASE_POOL_H

typedef struct qp_pool qp_pool;

/* A pool of `workers` workers: the calling thread of qp_pool_run is worker 0, and up to
 * workers - 1 threads are started here, each calling thread_init (may be NULL) first. When the
 * system refuses a thread the pool has fewer workers (qp_pool_size tells); NULL only when out of
 * memory. */
qp_pool *qp_pool_new(int workers, void (*thread_init)(void));

/* Runs fn(arg, w) on every worker w = 0 .. qp_pool_size(p) - 1 at once (worker 0 on the calling
 * thread) and returns when all have returned. One run at a time per pool. */
void qp_pool_run(qp_pool *p, void (*fn)(void *arg, int worker), void *arg);

/* The workers of p, the calling thread included: at least 1. */
int qp_pool_size(const qp_pool *p);

/* Stops and joins the threads; NULL is fine. */
void qp_pool_free(qp_pool *p);

#endif
