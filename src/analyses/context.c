/* Run context: settings, worker threads started on first use, and caches per worker. */
#include "analyses/context_impl.h"
#include "base/pool.h"

#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

struct qp_context {
    qp_settings set;
    int nworkers;          /* set.threads, at least 1 */
    qp_pool *pool;         /* started by the first qp_context_run that needs threads */
    int pool_size;         /* the workers asked of it (it may have fewer) */
    pid_t pool_pid;        /* the process that started its threads */
    qp_worker_cache *cache; /* nworkers, their caches made on first use */
};

/* The active settings of this thread (qp_context_active). */
static _Thread_local const qp_settings *active;

const qp_settings *qp_context_active(void)
{
    return active;
}

const qp_settings *qp_context_activate(const qp_settings *s)
{
    const qp_settings *before = active;
    active = s;
    return before;
}

/* A job on the pool's workers, each with the job's context active while it runs. */
typedef struct {
    const qp_context *ctx;
    void (*fn)(void *arg, int worker);
    void *arg;
} job;

static void job_worker(void *arg, int worker)
{
    const job *j = arg;
    const qp_settings *before = qp_context_activate(&j->ctx->set);
    j->fn(j->arg, worker);
    qp_context_activate(before);
}

void qp_settings_default(qp_settings *s)
{
    *s = (qp_settings){.threads = 1, .keep_traces = 1};
}

qp_status qp_context_create(const qp_settings *s, qp_context **out)
{
    qp_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        return QP_ERR_NOMEM;
    }
    if (s) {
        ctx->set = *s;
    } else {
        qp_settings_default(&ctx->set);
    }
    ctx->nworkers = ctx->set.threads > 1 ? ctx->set.threads : 1;
    ctx->cache = calloc((size_t)ctx->nworkers, sizeof *ctx->cache);
    if (!ctx->cache) {
        free(ctx);
        return QP_ERR_NOMEM;
    }
    *out = ctx;
    return QP_OK;
}

void qp_context_free(qp_context *ctx)
{
    if (!ctx) {
        return;
    }
    qp_pool_free(ctx->pool);
    qp_context_drop_caches(ctx);
    free(ctx->cache);
    free(ctx);
}

const qp_settings *qp_context_settings(const qp_context *ctx)
{
    return &ctx->set;
}

qp_worker_cache *qp_context_cache(qp_context *ctx, int worker)
{
    if (worker < 0 || worker >= ctx->nworkers) {
        return NULL;
    }
    qp_worker_cache *c = &ctx->cache[worker];
    if (!c->eig) {
        c->eig = qp_eig_cache_new();
    }
    if (!c->basis) {
        c->basis = qp_basis_cache_new();
    }
    return c;
}

void qp_context_drop_caches(qp_context *ctx)
{
    for (int w = 0; w < ctx->nworkers; w++) {
        qp_eig_cache_free(ctx->cache[w].eig);
        qp_basis_cache_free(ctx->cache[w].basis);
        ctx->cache[w] = (qp_worker_cache){NULL, NULL};
    }
}

void qp_context_run(qp_context *ctx, void (*fn)(void *arg, int worker), void *arg, int useful)
{
    int want = ctx->nworkers < useful ? ctx->nworkers : useful;
    if (ctx->pool && ctx->pool_pid != getpid()) {
        /* a child of fork() (Python's multiprocessing): the pool's threads stayed in the parent,
         * so it can be neither used nor joined; it is left (a small leak) and a new one made */
        ctx->pool = NULL;
        ctx->pool_size = 0;
    }
    if (want > 1 && ctx->pool_size < want) { /* a pool too small for this job: a larger one */
        qp_pool_free(ctx->pool);
        ctx->pool = qp_pool_new(want, ctx->set.thread_init);
        ctx->pool_size = want;
        ctx->pool_pid = getpid();
    }
    if (want > 1 && ctx->pool) {
        job j = {ctx, fn, arg};
        qp_pool_run(ctx->pool, job_worker, &j);
    } else {
        fn(arg, 0); /* serial, or no memory for a pool: the calling thread does everything */
    }
}
