/* Sweeps: the points of one or two .sweep directives, point 0 first (it sizes the result), then
 * the others on the run context's workers through one per-point function; with several processes
 * (qpsim/dist.h) each computes its share of the points and the shares are exchanged. */
#include "analyses/run_impl.h"
#include "analyses/sweep_dist.h"

#include "base/strbuf.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const qp_runner *R;
    const qp_override *base; /* overrides other than the swept parameters */
    size_t nbase;
    size_t k;
    qp_result *r;
    qp_sweep_point_fn fn;
    const size_t *pts; /* the points this process computes, increasing */
    size_t npts;
    pthread_mutex_t mu;
    size_t next, done;
    size_t fail_at; /* lowest failing point so far (npoints: none); later points are skipped */
    qp_status *st;  /* per point */
    qp_diag *pd;    /* per point */
} sweep_job;

void qp_run_progress(const qp_runner *R, size_t done, size_t total)
{
    const qp_settings *s = qp_context_settings(R->ctx);
    if (s->progress) {
        s->progress(s->progress_ctx, done, total);
    }
}

static double sweep_value(const qp_analysis *sw, size_t p, size_t n)
{
    if (sw->values) {
        return sw->values[p];
    }
    return n == 1 ? sw->start
                  : sw->start + (sw->stop - sw->start) * (double)p / (double)(n - 1);
}

void qp_sweep_point_values(const qp_sweep_plan *sp, size_t p, double v[2], char val[2][64],
                           char *where, size_t wlen)
{
    size_t n2 = sp->n == 2 ? (size_t)sp->sw[1]->points : 1;
    v[0] = sweep_value(sp->sw[0], p / n2, (size_t)sp->sw[0]->points);
    v[1] = sp->n == 2 ? sweep_value(sp->sw[1], p % n2, n2) : 0.0;
    for (int q = 0; q < 2; q++) { /* the value as --set would pass it (with the ends' unit) */
        const qp_analysis *sw = sp->sw[q < sp->n ? q : 0];
        int unit = q < sp->n && sw->unit[0];
        snprintf(val[q], 64, "%.17g%s", unit ? v[q] * sw->unit_scale : v[q], unit ? sw->unit : "");
    }
    if (sp->n == 2) {
        snprintf(where, wlen, "at %s = %.9g, %s = %.9g", sp->sw[0]->param, v[0],
                 sp->sw[1]->param, v[1]);
    } else {
        snprintf(where, wlen, "at %s = %.9g", sp->sw[0]->param, v[0]);
    }
}

/* The overrides without the swept parameters, then one entry per swept parameter pointing at
 * val[]. *nbase receives the count before those. NULL when out of memory. */
static qp_override *plan_overrides(const qp_override *ov, size_t nov, const qp_sweep_plan *sp,
                                   char val[2][64], size_t *nbase)
{
    qp_override *all = calloc(nov + 2, sizeof *all);
    if (!all) {
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < nov; i++) {
        int swept = 0;
        for (int q = 0; q < sp->n; q++) {
            swept |= qp_ieq(ov[i].name, sp->sw[q]->param);
        }
        if (!swept) {
            all[n++] = ov[i];
        }
    }
    *nbase = n;
    for (int q = 0; q < sp->n; q++) {
        all[n + (size_t)q] = (qp_override){sp->sw[q]->param, val[q]};
    }
    return all;
}

/* One point (p >= 1), on worker thread w. */
static qp_status sweep_point(sweep_job *j, size_t p, qp_override *all, char val[2][64],
                             qp_worker_cache *cache)
{
    const qp_sweep_plan *sp = j->R->sweep;
    char where[256];
    double v[2];
    qp_sweep_point_values(sp, p, v, val, where, sizeof where);
    qp_circuit *cp = NULL;
    qp_status st = qp_circuit_elaborate(j->R->job->deck, all, j->nbase + (size_t)sp->n, &cp,
                                        &j->pd[p]);
    if (st == QP_OK) {
        st = j->fn(cp, j->k, j->r, p, cache, &j->pd[p], where);
    }
    qp_circuit_free(cp);
    return st;
}

/* Worker w: takes the next point until none is left; its overrides and cache are taken at its
 * first point (a worker that finds no point allocates nothing). */
static void sweep_worker(void *arg, int w)
{
    sweep_job *j = arg;
    char val[2][64];
    size_t nbase = 0;
    qp_override *all = NULL;
    qp_worker_cache *cache = NULL;
    for (int first = 1;; first = 0) {
        pthread_mutex_lock(&j->mu);
        size_t i = j->next++;
        size_t stop = j->fail_at;
        pthread_mutex_unlock(&j->mu);
        if (i >= j->npts || j->pts[i] > stop) { /* a serial run would have stopped before it */
            break;
        }
        size_t p = j->pts[i];
        if (first) {
            all = plan_overrides(j->base, j->nbase, j->R->sweep, val, &nbase);
            cache = qp_context_cache(j->R->ctx, w); /* NULL only costs speed */
        }
        j->st[p] = all ? sweep_point(j, p, all, val, cache) : QP_ERR_NOMEM;
        pthread_mutex_lock(&j->mu);
        if (j->st[p] != QP_OK && p < j->fail_at) {
            j->fail_at = p;
        }
        j->done++;
        qp_run_progress(j->R, j->done, j->npts + 1);
        pthread_mutex_unlock(&j->mu);
    }
    free(all);
}

/* After the errors of failing point p: a note, at the (last) .sweep directive, naming the point. */
static void sweep_note(qp_diag *d, const qp_circuit *c, const qp_sweep_plan *sp, size_t p)
{
    char val[2][64], where[256];
    double v[2];
    qp_sweep_point_values(sp, p, v, val, where, sizeof where);
    const qp_analysis *last = sp->sw[sp->n - 1];
    qp_diag_add(d, QP_SEV_NOTE, qp_circuit_file(c, last->loc), last->loc.line, last->loc.col,
                "the errors above are for the sweep point %s", where);
}

qp_status qp_sweep_elaborate(const qp_runner *R, const qp_override *all, size_t nbase, size_t p,
                             qp_circuit **cp)
{
    qp_diag d0 = {0};
    qp_status st = qp_circuit_elaborate(R->job->deck, all, nbase + (size_t)R->sweep->n, cp, &d0);
    qp_diag_merge_errors(R->d, &d0); /* its warnings repeat the nominal elaboration's */
    qp_diag_clear(&d0);
    if (st != QP_OK) {
        sweep_note(R->d, R->job->c, R->sweep, p);
    }
    return st;
}

/* The result's sweep description: parameter names and the values of every point. */
static qp_status plan_result(const qp_sweep_plan *sp, qp_result *r)
{
    r->npoints = sp->points;
    free(r->values);
    r->values = calloc(r->npoints, sizeof *r->values);
    r->param = qp_strdup(sp->sw[0]->param);
    if (sp->n == 2) {
        r->values2 = calloc(r->npoints, sizeof *r->values2);
        r->param2 = qp_strdup(sp->sw[1]->param);
        r->npoints2 = (size_t)sp->sw[1]->points;
    }
    if (!r->values || !r->param || (sp->n == 2 && (!r->values2 || !r->param2))) {
        return QP_ERR_NOMEM;
    }
    char val[2][64], where[256];
    for (size_t p = 0; p < r->npoints; p++) {
        double v[2];
        qp_sweep_point_values(sp, p, v, val, where, sizeof where);
        r->values[p] = v[0];
        if (r->values2) {
            r->values2[p] = v[1];
        }
    }
    return QP_OK;
}

qp_override *qp_sweep_begin(const qp_runner *R, qp_result *r, char val[2][64], size_t *nbase)
{
    if (plan_result(R->sweep, r) != QP_OK) {
        return NULL;
    }
    qp_override *all = plan_overrides(R->job->ov, R->job->nov, R->sweep, val, nbase);
    if (all) { /* the clock of the time left starts here */
        qp_run_progress(R, 0, R->sweep->points);
    }
    return all;
}

/* Point p, failed on another process: computed again here (its numbers and messages do not
 * depend on the process) so that this process reports it as a serial run would. */
static void sweep_again(sweep_job *j, size_t p)
{
    char val[2][64];
    size_t nbase = 0;
    qp_override *all = plan_overrides(j->base, j->nbase, j->R->sweep, val, &nbase);
    qp_status st = all ? sweep_point(j, p, all, val, qp_context_cache(j->R->ctx, 0)) : j->st[p];
    free(all);
    if (st == QP_OK || j->pd[p].errors == 0) { /* not reproduced here: say where it failed */
        const qp_analysis *an = j->R->sweep->sw[j->R->sweep->n - 1];
        qp_diag_add(&j->pd[p], QP_SEV_ERROR, qp_circuit_file(j->R->job->c, an->loc),
                    an->loc.line, an->loc.col, "a sweep point failed on process %d (%s)",
                    qp_dist_owner(qp_context_settings(j->R->ctx)->dist, p, j->r->npoints),
                    qp_status_str(j->st[p]));
    }
}

/* After a successful point 0: its progress, then points 1 .. npoints-1 of analysis k by fn on
 * the context's workers (with several processes, this one's share, then the exchange). `base`
 * holds the overrides without the swept ones. */
static qp_status sweep_rest(const qp_runner *R, size_t k, qp_result *r, const qp_override *base,
                            size_t nbase, qp_sweep_point_fn fn)
{
    size_t n = r->npoints;
    qp_status st = QP_OK;
    const qp_dist *dist = qp_context_settings(R->ctx)->dist;
    int shared = dist && dist->size > 1;
    qp_run_progress(R, 1, n);
    if (n < 2) {
        return QP_OK;
    }
    sweep_job j = {.R = R, .base = base, .nbase = nbase, .k = k, .r = r, .fn = fn};
    j.st = calloc(n, sizeof *j.st);
    j.pd = calloc(n, sizeof *j.pd);
    size_t *pts = qp_sweep_dist_points(shared ? dist : NULL, n, &j.npts);
    j.pts = pts;
    if (!j.st || !j.pd || !pts) {
        if (shared) {
            qp_sweep_dist_abstain(dist);
        }
        free(j.st), free(j.pd), free(pts);
        return QP_ERR_NOMEM;
    }
    pthread_mutex_init(&j.mu, NULL);
    j.done = 1;
    j.fail_at = n;
    size_t useful = j.npts ? j.npts : 1;
    qp_context_run(R->ctx, sweep_worker, &j, useful < (size_t)INT_MAX ? (int)useful : INT_MAX);
    pthread_mutex_destroy(&j.mu);
    if (shared) {
        st = qp_sweep_dist_share(dist, r, j.st);
        qp_run_progress(R, n, n);
    }
    if (st != QP_OK) {
        const qp_analysis *an = R->sweep->sw[R->sweep->n - 1];
        qp_diag_add(R->d, QP_SEV_ERROR, qp_circuit_file(R->job->c, an->loc), an->loc.line,
                    an->loc.col, "the sweep points could not be exchanged between processes%s",
                    st == QP_ERR_NOMEM ? " (one of them stopped before the exchange: out of "
                                         "memory, or its first point failed)"
                                       : "");
    }
    /* merged in point order up to the first failure */
    for (size_t p = 1; st == QP_OK && p < n; p++) {
        if (j.st[p] != QP_OK && shared && qp_dist_owner(dist, p, n) != dist->rank) {
            sweep_again(&j, p);
        }
        qp_diag_merge_errors(R->d, &j.pd[p]);
        if (j.st[p] != QP_OK) {
            st = j.st[p];
            sweep_note(R->d, R->job->c, R->sweep, p);
            break;
        }
    }
    for (size_t p = 0; p < n; p++) {
        qp_diag_clear(&j.pd[p]);
    }
    free(pts);
    free(j.pd);
    free(j.st);
    return st;
}

qp_status qp_sweep_run(const qp_runner *R, size_t k, qp_result *r, qp_sweep_first_fn first,
                       qp_sweep_check_fn check, qp_sweep_point_fn rest)
{
    char val[2][64], where[256];
    double v[2];
    size_t n = 0;
    qp_override *all = qp_sweep_begin(R, r, val, &n);
    const qp_dist *dist = qp_context_settings(R->ctx)->dist;
    int shared = dist && dist->size > 1 && R->sweep->points >= 2;
    if (!all) {
        if (shared) { /* the other processes wait in the exchange */
            qp_sweep_dist_abstain(dist);
        }
        return QP_ERR_NOMEM;
    }
    qp_sweep_point_values(R->sweep, 0, v, val, where, sizeof where);
    qp_circuit *cp = NULL;
    qp_status st = qp_sweep_elaborate(R, all, n, 0, &cp);
    if (st == QP_OK) {
        st = first(R, cp, k, r, where);
    }
    qp_circuit_free(cp);
    cp = NULL;
    /* Checkpoints of a 1-D sweep of three points or more, before the workers start: the middle
     * point, then the last. Their messages are kept aside: when one fails, the sweep goes on
     * without what it would have told, and the workers report the first failing point in
     * order, as without it. */
    size_t pl = r->npoints - 1, pts[2] = {pl / 2, pl};
    for (int c = 0; st == QP_OK && check && R->sweep->n == 1 && pl >= 2 && c < 2; c++) {
        qp_diag aside = {0};
        qp_runner R2 = *R;
        R2.d = &aside;
        qp_sweep_point_values(R->sweep, pts[c], v, val, where, sizeof where);
        cp = NULL;
        qp_status sc = qp_sweep_elaborate(&R2, all, n, pts[c], &cp);
        if (sc == QP_OK) {
            sc = check(&R2, cp, k, r, pts[c], c == 1, where);
        }
        qp_circuit_free(cp);
        qp_diag_clear(&aside);
        if (sc != QP_OK) {
            break;
        }
    }
    if (st == QP_OK) {
        st = sweep_rest(R, k, r, all, n, rest);
    } else if (shared) {
        qp_sweep_dist_abstain(dist); /* the processes where point 0 worked wait in the exchange */
    }
    free(all);
    return st;
}
