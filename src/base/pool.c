/* Worker threads kept for the life of a run context: one job at a time, every worker runs it. */
#include "base/pool.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct {
    qp_pool *pool;
    int index;
} worker_arg;

struct qp_pool {
    pthread_mutex_t mu;
    pthread_cond_t start, done;
    void (*fn)(void *arg, int worker);
    void *arg;
    unsigned long generation; /* bumped by every run: a worker runs each generation once */
    int busy;                 /* background workers still running the current generation */
    int quit;
    int nthreads;             /* background threads started (workers 1 .. nthreads) */
    void (*thread_init)(void);
    pthread_t *tid;
    worker_arg *wa;
};

static void *worker_main(void *v)
{
    worker_arg *wa = v;
    qp_pool *p = wa->pool;
    if (p->thread_init) {
        p->thread_init();
    }
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->generation == seen) {
            pthread_cond_wait(&p->start, &p->mu);
        }
        if (p->quit) {
            break;
        }
        seen = p->generation;
        void (*fn)(void *, int) = p->fn;
        void *arg = p->arg;
        pthread_mutex_unlock(&p->mu);
        fn(arg, wa->index);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0) {
            pthread_cond_signal(&p->done);
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

qp_pool *qp_pool_new(int workers, void (*thread_init)(void))
{
    int extra = workers > 1 ? workers - 1 : 0;
    qp_pool *p = calloc(1, sizeof *p);
    if (!p) {
        return NULL;
    }
    p->tid = calloc((size_t)(extra ? extra : 1), sizeof *p->tid);
    p->wa = calloc((size_t)(extra ? extra : 1), sizeof *p->wa);
    if (!p->tid || !p->wa) {
        free(p->tid), free(p->wa), free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->start, NULL);
    pthread_cond_init(&p->done, NULL);
    p->thread_init = thread_init;
    for (int t = 0; t < extra; t++) {
        p->wa[t] = (worker_arg){p, t + 1};
        if (pthread_create(&p->tid[t], NULL, worker_main, &p->wa[t]) != 0) {
            break; /* fewer threads: the others share the work */
        }
        p->nthreads++;
    }
    return p;
}

void qp_pool_run(qp_pool *p, void (*fn)(void *arg, int worker), void *arg)
{
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->busy = p->nthreads;
    p->generation++;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    fn(arg, 0);
    pthread_mutex_lock(&p->mu);
    while (p->busy > 0) {
        pthread_cond_wait(&p->done, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
}

int qp_pool_size(const qp_pool *p)
{
    return p->nthreads + 1;
}

void qp_pool_free(qp_pool *p)
{
    if (!p) {
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    for (int t = 0; t < p->nthreads; t++) {
        pthread_join(p->tid[t], NULL);
    }
    pthread_cond_destroy(&p->start);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p->tid);
    free(p->wa);
    free(p);
}
