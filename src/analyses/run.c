/* Analyses driver: quantize, solve with convergence control, repeat along a sweep. */
#include "qpsim/run.h"

#include "base/strbuf.h"
#include "qpsim/units.h"
#include "base/vec.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void spectrum_opts(const qp_analysis *an, qp_eig_cache *cache, qp_spectrum_opts *o)
{
    qp_spectrum_opts_default(o);
    o->levels = an->levels;
    if (an->tol > 0.0) {
        o->tol = an->tol;
    }
    o->cut_charge = an->ncut;
    o->cut_fluxoid = an->mcut;
    o->cut_osc = an->nho;
    o->grid = an->grid;
    o->cache = cache;
}

/* Spectrum of one circuit for its analysis number k; fills point p of r. */
static qp_status spectrum_point(const qp_circuit *c, size_t k, qp_result *r, size_t p,
                                qp_modes **keep, qp_eig_cache *cache, qp_diag *d,
                                const char *where)
{
    const qp_analysis *an = &c->analyses[k];
    qp_modes *m = NULL;
    qp_status st = qp_quantize(c, &m, d);
    if (st != QP_OK) {
        return st;
    }
    qp_spectrum_opts o;
    spectrum_opts(an, cache, &o);
    qp_spectrum s;
    char err[512] = "";
    st = qp_spectrum_compute(m, &o, &s, err, sizeof err);
    if (st != QP_OK) {
        qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                    "%s%s%s", where, where[0] ? ": " : "", err[0] ? err : qp_status_str(st));
        qp_modes_free(m);
        return st == QP_ERR_NOMEM ? st : QP_ERR_NUMERIC;
    }
    if (p == 0) {
        r->spec.nlev = s.nlev;
        r->spec.levels = calloc(r->npoints * (size_t)s.nlev, sizeof *r->spec.levels);
        r->spec.nmodes = s.nmodes;
        r->spec.checked = s.checked;
        r->spec.tol = o.tol;
    }
    if (p == 0 || p + 1 == r->npoints) { /* "cutoffs of the last point": only these two write
                                            * (point 0 before any parallel worker starts) */
        free(r->spec.cut);
        r->spec.cut = s.cut;
        s.cut = NULL;
        r->spec.method = s.info.used;
    }
    if (!r->spec.levels || s.nlev != r->spec.nlev) {
        qp_spectrum_clear(&s);
        qp_modes_free(m);
        if (r->spec.levels) {
            qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                        "%s: the basis changed size along the sweep", where);
            return QP_ERR_NUMERIC;
        }
        return QP_ERR_NOMEM;
    }
    memcpy(r->spec.levels + p * (size_t)s.nlev, s.E, (size_t)s.nlev * sizeof *s.E);
    r->spec.delta[p] = s.delta;
    r->spec.dim[p] = s.dim;
    qp_spectrum_clear(&s);
    if (keep && !*keep) {
        *keep = m;
    } else {
        qp_modes_free(m);
    }
    return QP_OK;
}

/* Levels of c with one offset (offset index `io`) or one loop flux (loop index `il`) replaced by
 * `value`; everything else unchanged. */
static qp_status levels_modified(const qp_circuit *c, const qp_analysis *an, int io, int il,
                                 double value, double *E, int nlev, qp_eig_cache *cache,
                                 qp_diag *d)
{
    qp_offset *off = malloc((c->noffsets ? c->noffsets : 1) * sizeof *off);
    qp_flux_loop *loops = malloc((c->nloops ? c->nloops : 1) * sizeof *loops);
    if (!off || !loops) {
        free(off), free(loops);
        return QP_ERR_NOMEM;
    }
    if (c->noffsets) {
        memcpy(off, c->offsets, c->noffsets * sizeof *off);
    }
    if (c->nloops) { /* shallow: branch lists are shared */
        memcpy(loops, c->loops, c->nloops * sizeof *loops);
    }
    if (io >= 0) {
        off[io].ng = value;
    }
    if (il >= 0) {
        loops[il].f = value;
    }
    qp_circuit cc = *c; /* shallow copy: only offsets and fluxes differ */
    cc.offsets = off;
    cc.loops = loops;
    qp_modes *m = NULL;
    qp_status st = qp_quantize(&cc, &m, d);
    if (st == QP_OK) {
        qp_spectrum_opts o;
        spectrum_opts(an, cache, &o);
        /* A dispersion is a small difference of two levels: converge both tightly. */
        o.tol = fmin(o.tol, 1e-11);
        qp_spectrum s;
        char err[512] = "";
        st = qp_spectrum_compute(m, &o, &s, err, sizeof err);
        if (st == QP_OK && s.nlev >= nlev) {
            memcpy(E, s.E, (size_t)nlev * sizeof *E);
        } else if (st == QP_OK) {
            qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                        "dispersion: the basis holds only %d levels", s.nlev);
            st = QP_ERR_NUMERIC;
        } else {
            qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                        "dispersion: %s", err[0] ? err : qp_status_str(st));
        }
        qp_spectrum_clear(&s);
    }
    qp_modes_free(m);
    free(off), free(loops);
    return st;
}

/* Charge dispersion per island with an offset, eps_m = E_m(ng = 1/2) - E_m(ng = 0), and its dual,
 * the flux dispersion per flux loop, eps_m = E_m(f = 1/2) - E_m(f = 0). */
static qp_status dispersions(const qp_circuit *c, const qp_analysis *an, qp_result *r,
                             qp_eig_cache *cache, qp_diag *d)
{
    int nl = r->spec.nlev;
    size_t n = c->noffsets + c->nloops;
    r->spec.disp_node = malloc(n * sizeof *r->spec.disp_node);
    r->spec.disp = malloc(n * (size_t)nl * sizeof *r->spec.disp);
    double *E0 = malloc((size_t)nl * sizeof *E0);
    qp_status st = r->spec.disp_node && r->spec.disp && E0 ? QP_OK : QP_ERR_NOMEM;
    for (size_t k = 0; k < n && st == QP_OK; k++) {
        int io = k < c->noffsets ? (int)k : -1, il = io < 0 ? (int)(k - c->noffsets) : -1;
        double *eps = r->spec.disp + k * (size_t)nl;
        st = levels_modified(c, an, io, il, 0.0, E0, nl, cache, d);
        if (st == QP_OK) {
            st = levels_modified(c, an, io, il, 0.5, eps, nl, cache, d);
        }
        for (int i = 0; i < nl && st == QP_OK; i++) {
            eps[i] -= E0[i];
        }
        /* islands: node index >= 1; loops: -(loop number) */
        r->spec.disp_node[k] = io >= 0 ? c->offsets[io].node : -(il + 1);
        r->spec.ndisp = k + 1;
    }
    free(E0);
    return st;
}

/* One or two .sweep directives: a 1-D sweep, or a 2-D grid with the first one outer. */
typedef struct {
    const qp_analysis *sw[2];
    int n;
    size_t points;
} sweep_plan;

static qp_status run_spectrum_cached(const qp_deck *deck, const qp_override *ov, size_t nov,
                                     const qp_circuit *c, size_t k, const sweep_plan *sweep,
                                     qp_results *res, qp_result *r, qp_eig_cache *cache,
                                     const qp_run_opts *o, qp_diag *d);

static qp_status tran_point(const qp_circuit *c, size_t k, int keep, const qp_run_opts *o,
                            qp_tran_result *tr, qp_diag *d, const char *where);

/* ---- sweeps: point 0 first (it sizes the result), then the others on o->threads threads.
 * Every point is computed from its own elaboration with its own caches, so a point's numbers do
 * not depend on which thread computed it or when: the result equals the serial one bit for bit.
 * Diagnostics are kept per point and merged in point order, up to the first failing point, as a
 * serial run would have reported them. */
typedef struct {
    const qp_deck *deck;
    const qp_circuit *c;     /* the nominal circuit (file names for messages) */
    const qp_override *base; /* overrides other than the swept parameters */
    size_t nbase;
    const sweep_plan *plan;
    size_t k;
    qp_result *r;
    const qp_run_opts *o;
    pthread_mutex_t mu;
    size_t next, done;
    size_t fail_at; /* lowest failing point so far (npoints: none); later points are skipped */
    qp_status *st;  /* per point */
    qp_diag *pd;    /* per point */
} sweep_job;

static double sweep_value(const qp_analysis *sw, size_t p, size_t n)
{
    return n == 1 ? sw->start
                  : sw->start + (sw->stop - sw->start) * (double)p / (double)(n - 1);
}

/* The parameter values of point p (row-major: the second parameter runs fastest), written into
 * the override texts val[] and the "at a = x, b = y" text. */
static void plan_point(const sweep_plan *sp, size_t p, double v[2], char val[2][64],
                       char *where, size_t wlen)
{
    size_t n2 = sp->n == 2 ? (size_t)sp->sw[1]->points : 1;
    v[0] = sweep_value(sp->sw[0], p / n2, (size_t)sp->sw[0]->points);
    v[1] = sp->n == 2 ? sweep_value(sp->sw[1], p % n2, n2) : 0.0;
    snprintf(val[0], 64, "%.17g", v[0]);
    snprintf(val[1], 64, "%.17g", v[1]);
    if (sp->n == 2) {
        snprintf(where, wlen, "at %s = %.9g, %s = %.9g", sp->sw[0]->param, v[0],
                 sp->sw[1]->param, v[1]);
    } else {
        snprintf(where, wlen, "at %s = %.9g", sp->sw[0]->param, v[0]);
    }
}

/* The overrides without the swept parameters, then one entry per swept parameter pointing at
 * val[]. *nbase receives the count before those. NULL when out of memory. */
static qp_override *plan_overrides(const qp_override *ov, size_t nov, const sweep_plan *sp,
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

/* One point (p >= 1) of a swept spectrum or transient. */
static qp_status sweep_point(sweep_job *j, size_t p, qp_override *all, char val[2][64],
                             qp_eig_cache *cache)
{
    qp_result *r = j->r;
    char where[256];
    double v[2];
    plan_point(j->plan, p, v, val, where, sizeof where);
    qp_circuit *cp = NULL;
    qp_status st = qp_circuit_elaborate(j->deck, all, j->nbase + (size_t)j->plan->n, &cp,
                                        &j->pd[p]);
    if (st == QP_OK && r->kind == QP_AN_SPECTRUM) {
        st = spectrum_point(cp, j->k, r, p, NULL, cache, &j->pd[p], where);
    } else if (st == QP_OK) {
        qp_tran_result tr = {0};
        st = tran_point(cp, j->k, 0, NULL, &tr, &j->pd[p], where);
        if (st == QP_OK && tr.nfreq == r->tran.nfreq) {
            memcpy(r->tran.iv + p * r->tran.nfreq, tr.freq, tr.nfreq * sizeof *tr.freq);
        }
        qp_tran_free(&tr);
    }
    qp_circuit_free(cp);
    return st;
}

static void *sweep_worker(void *arg)
{
    sweep_job *j = arg;
    char val[2][64];
    size_t nbase = 0;
    qp_override *all = plan_overrides(j->base, j->nbase, j->plan, val, &nbase);
    qp_eig_cache *cache = qp_eig_cache_new(); /* NULL only costs speed */
    if (j->o && j->o->thread_init) {
        j->o->thread_init();
    }
    for (;;) {
        pthread_mutex_lock(&j->mu);
        size_t p = j->next++;
        size_t stop = j->fail_at;
        pthread_mutex_unlock(&j->mu);
        if (p >= j->r->npoints || p > stop) { /* a serial run would have stopped before p */
            break;
        }
        j->st[p] = all ? sweep_point(j, p, all, val, cache) : QP_ERR_NOMEM;
        pthread_mutex_lock(&j->mu);
        if (j->st[p] != QP_OK && p < j->fail_at) {
            j->fail_at = p;
        }
        j->done++;
        if (j->o && j->o->progress) {
            j->o->progress(j->o->progress_ctx, j->done, j->r->npoints);
        }
        pthread_mutex_unlock(&j->mu);
    }
    qp_eig_cache_free(cache);
    free(all);
    return NULL;
}

/* Copies the errors of src (and the notes after them) into d: the warnings of a sweep point's
 * elaboration repeat those the nominal elaboration already reported. */
static void merge_errors(qp_diag *d, const qp_diag *src)
{
    int keep = 0;
    for (size_t e = 0; e < src->count; e++) {
        const qp_diag_entry *x = &src->items[e];
        if (x->sev != QP_SEV_NOTE) {
            keep = x->sev == QP_SEV_ERROR;
        }
        if (keep) {
            qp_diag_add(d, x->sev, x->file, x->line, x->col, "%s", x->msg);
        }
    }
}

/* After the errors of failing point p: a note, at the (last) .sweep directive, naming the point. */
static void sweep_note(qp_diag *d, const qp_circuit *c, const sweep_plan *sp, size_t p)
{
    char val[2][64], where[256];
    double v[2];
    plan_point(sp, p, v, val, where, sizeof where);
    const qp_analysis *last = sp->sw[sp->n - 1];
    qp_diag_add(d, QP_SEV_NOTE, qp_circuit_file(c, last->loc), last->loc.line, last->loc.col,
                "the errors above are for the sweep point %s", where);
}

/* Point p of a sweep computed on the calling thread, elaborated with the overrides `all`
 * (nbase + swept entries, set for p): errors only (the nominal elaboration reported the
 * warnings), and a note naming the point on failure. */
static qp_status elaborate_point(const qp_deck *deck, const qp_override *all, size_t nbase,
                                 const qp_circuit *c, const sweep_plan *sp, size_t p,
                                 qp_circuit **cp, qp_diag *d)
{
    qp_diag d0 = {0};
    qp_status st = qp_circuit_elaborate(deck, all, nbase + (size_t)sp->n, cp, &d0);
    merge_errors(d, &d0);
    qp_diag_clear(&d0);
    if (st != QP_OK) {
        sweep_note(d, c, sp, p);
    }
    return st;
}

/* The result's sweep description: parameter names and the values of every point. */
static qp_status plan_result(const sweep_plan *sp, qp_result *r)
{
    r->npoints = sp->points;
    free(r->values);
    r->values = calloc(r->npoints, sizeof *r->values);
    r->param = qp_strdup(sp->sw[0]->param);
    if (sp->n == 2) {
        r->values2 = calloc(r->npoints, sizeof *r->values2);
        r->param2 = qp_strdup(sp->sw[1]->param);
    }
    if (!r->values || !r->param || (sp->n == 2 && (!r->values2 || !r->param2))) {
        return QP_ERR_NOMEM;
    }
    char val[2][64], where[256];
    for (size_t p = 0; p < r->npoints; p++) {
        double v[2];
        plan_point(sp, p, v, val, where, sizeof where);
        r->values[p] = v[0];
        if (r->values2) {
            r->values2[p] = v[1];
        }
    }
    return QP_OK;
}

/* The start of a sweep: the result's sweep description, the overrides with one entry per swept
 * parameter pointing at val[] (*nbase: the count before those), and a new progress sequence.
 * NULL when out of memory. */
static qp_override *sweep_begin(const sweep_plan *sp, const qp_override *ov, size_t nov,
                                qp_result *r, const qp_run_opts *o, char val[2][64],
                                size_t *nbase)
{
    if (plan_result(sp, r) != QP_OK) {
        return NULL;
    }
    qp_override *all = plan_overrides(ov, nov, sp, val, nbase);
    if (all && o && o->progress) { /* the clock of the time left starts here */
        o->progress(o->progress_ctx, 0, sp->points);
    }
    return all;
}

/* After a successful point 0: its progress, then points 1 .. npoints-1. */
static qp_status sweep_rest(sweep_job *j, qp_diag *d)
{
    size_t n = j->r->npoints;
    qp_status st = QP_OK;
    if (j->o && j->o->progress) {
        j->o->progress(j->o->progress_ctx, 1, n);
    }
    if (n < 2) {
        return QP_OK;
    }
    j->st = calloc(n, sizeof *j->st);
    j->pd = calloc(n, sizeof *j->pd);
    if (!j->st || !j->pd) {
        free(j->st), free(j->pd);
        return QP_ERR_NOMEM;
    }
    pthread_mutex_init(&j->mu, NULL);
    j->next = 1;
    j->done = 1;
    j->fail_at = n;
    int nt = j->o && j->o->threads > 1 ? j->o->threads : 1;
    if ((size_t)nt > n - 1) {
        nt = n > 1 ? (int)(n - 1) : 1;
    }
    pthread_t *tid = calloc((size_t)nt, sizeof *tid);
    int started = 0;
    for (int t = 1; tid && t < nt; t++) { /* the calling thread is worker 0 */
        if (pthread_create(&tid[t], NULL, sweep_worker, j) != 0) {
            break; /* fewer threads: the remaining ones share the work */
        }
        started++;
    }
    sweep_worker(j);
    for (int t = 1; t <= started; t++) {
        pthread_join(tid[t], NULL);
    }
    free(tid);
    pthread_mutex_destroy(&j->mu);
    for (size_t p = 1; p < n; p++) { /* merged in point order up to the first failure */
        merge_errors(d, &j->pd[p]);
        if (j->st[p] != QP_OK && st == QP_OK) {
            st = j->st[p];
            sweep_note(d, j->c, j->plan, p);
            break;
        }
    }
    for (size_t p = 0; p < n; p++) {
        qp_diag_clear(&j->pd[p]);
    }
    free(j->pd);
    free(j->st);
    return st;
}

/* One cache of symbolic analyses per analysis: sweep points and the extra spectra of the
 * dispersions share matrix patterns, so their sparse factorizations skip the ordering step. */
static qp_status run_spectrum(const qp_deck *deck, const qp_override *ov, size_t nov,
                              const qp_circuit *c, size_t k, const sweep_plan *sweep,
                              qp_results *res, qp_result *r, const qp_run_opts *o, qp_diag *d)
{
    qp_eig_cache *cache = qp_eig_cache_new(); /* NULL only costs speed */
    qp_status st = run_spectrum_cached(deck, ov, nov, c, k, sweep, res, r, cache, o, d);
    qp_eig_cache_free(cache);
    return st;
}

static qp_status run_spectrum_cached(const qp_deck *deck, const qp_override *ov, size_t nov,
                                     const qp_circuit *c, size_t k, const sweep_plan *sweep,
                                     qp_results *res, qp_result *r, qp_eig_cache *cache,
                                     const qp_run_opts *o, qp_diag *d)
{
    r->npoints = sweep ? sweep->points : 1;
    r->values = calloc(r->npoints, sizeof *r->values);
    r->spec.delta = calloc(r->npoints, sizeof *r->spec.delta);
    r->spec.dim = calloc(r->npoints, sizeof *r->spec.dim);
    if (!r->values || !r->spec.delta || !r->spec.dim) {
        return QP_ERR_NOMEM;
    }
    if (!sweep) {
        qp_status st = spectrum_point(c, k, r, 0, res->modes ? NULL : &res->modes, cache, d, "");
        const qp_analysis *an = &c->analyses[k];
        int want = an->dispersion > 0 ||
                   (an->dispersion < 0 && r->spec.dim[0] <= QP_DISPERSION_AUTO_DIM);
        if (st == QP_OK && want && c->noffsets + c->nloops > 0) {
            st = dispersions(c, &c->analyses[k], r, cache, d);
        }
        if (st == QP_OK && !res->cut) {
            res->dim = r->spec.dim[0];
            res->cut = malloc((r->spec.nmodes ? r->spec.nmodes : 1) * sizeof *res->cut);
            if (!res->cut) {
                return QP_ERR_NOMEM;
            }
            memcpy(res->cut, r->spec.cut, r->spec.nmodes * sizeof *res->cut);
        }
        return st;
    }
    char val[2][64], where[256];
    double v[2];
    size_t n = 0;
    qp_override *all = sweep_begin(sweep, ov, nov, r, o, val, &n);
    if (!all) {
        return QP_ERR_NOMEM;
    }
    plan_point(sweep, 0, v, val, where, sizeof where);
    qp_circuit *cp = NULL;
    qp_status st = QP_OK;
    st = elaborate_point(deck, all, n, c, sweep, 0, &cp, d);
    if (st == QP_OK) {
        st = spectrum_point(cp, k, r, 0, res->modes ? NULL : &res->modes, cache, d, where);
    }
    qp_circuit_free(cp);
    if (st == QP_OK) {
        sweep_job j = {.deck = deck, .c = c, .base = all, .nbase = n, .plan = sweep, .k = k,
                       .r = r, .o = o};
        st = sweep_rest(&j, d);
    }
    free(all);
    return st;
}

/* .bands: EC from the junction's capacitance plus the capacitors between the same two nodes; for
 * a phase-slip junction the loop inductance is that of the inductors between the same nodes (in
 * parallel), and the bands are those of EL'(m - f)^2 - ES cos(2 pi q), i.e. EC -> EL'/4, EJ -> ES. */
static qp_status run_bands(const qp_circuit *c, size_t k, qp_result *r, qp_diag *d)
{
    const qp_analysis *an = &c->analyses[k];
    const qp_element *el = &c->elem[an->element];
    int a = el->n[0], b = el->n[1];
    double sum = 0.0; /* capacitance [F] or inverse inductance [1/H] */
    if (el->kind == QP_EL_B) {
        sum = el->cap;
    }
    for (size_t i = 0; i < c->nelem; i++) {
        const qp_element *x = &c->elem[i];
        int same = (x->n[0] == a && x->n[1] == b) || (x->n[0] == b && x->n[1] == a);
        if (!same) {
            continue;
        }
        if (el->kind == QP_EL_B && x->kind == QP_EL_C) {
            sum += x->value;
        } else if (el->kind == QP_EL_Q && x->kind == QP_EL_L) {
            sum += 1.0 / x->value;
        }
    }
    if (!(sum > 0.0)) {
        qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                    el->kind == QP_EL_B
                        ? ".bands %s: the junction has no capacitance (give it c= or a capacitor "
                          "between the same two nodes)"
                        : ".bands %s: no inductor between the same two nodes closes the "
                          "phase-slip junction's loop",
                    el->name);
        return QP_ERR_INPUT;
    }
    r->band.element = an->element;
    r->band.dual = el->kind == QP_EL_Q;
    double ec, ej;
    if (r->band.dual) {
        ec = 2.0 * QP_PI * QP_PI * qp_units_el_from_l(1.0 / sum) / 4.0; /* EL'/4 */
        ej = qp_element_es(el);
    } else {
        ec = qp_units_ec_from_c(sum);
        ej = qp_element_ej(el);
    }
    char err[256] = "";
    qp_status st =
        qp_bands_compute(ec, ej, an->levels, an->points, &r->band.table, err, sizeof err);
    if (st != QP_OK) {
        qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                    ".bands %s: %s", el->name, err[0] ? err : qp_status_str(st));
        return st == QP_ERR_NOMEM ? st : QP_ERR_NUMERIC;
    }
    /* dE/dQ with E = h E[GHz] 1e9 and Q = 2e q; dual: dE/dPhi with Phi = Phi0 f */
    double joule = QP_H * QP_GHZ * r->band.table.slope_max;
    r->band.slope_si = r->band.dual ? joule / QP_PHI0 : joule / (2.0 * QP_QE);
    return QP_OK;
}

/* .tran: one run with traces, or (with a .sweep) one run per point keeping the frequency and
 * mean-bias reports: the I-V curve. */
static qp_status tran_point(const qp_circuit *c, size_t k, int keep, const qp_run_opts *o,
                            qp_tran_result *tr, qp_diag *d, const char *where)
{
    const qp_analysis *an = &c->analyses[k];
    char err[512] = "";
    qp_status st = qp_tran_run(c, an, keep, o ? o->progress : NULL, o ? o->progress_ctx : NULL,
                               tr, err, sizeof err);
    if (st != QP_OK) {
        qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                    ".tran%s%s: %s", where[0] ? " " : "", where, err[0] ? err : qp_status_str(st));
    }
    return st;
}

static void tran_spectra_free(qp_tran_spectra *s)
{
    for (size_t q = 0; s->power && q < s->n; q++) {
        free(s->power[q]);
    }
    free(s->power);
    free(s->col);
    memset(s, 0, sizeof *s);
}

/* The spectra the writers show for an unswept transient with traces: one per junction whose
 * signal (Is, or V of a phase-slip junction) the traces hold, in frequency-report order. None
 * (n = 0) when the traces are too short for qp_tran_spectrum or none is kept. */
static qp_status tran_spectra(const qp_circuit *c, const qp_tran_result *t, qp_tran_spectra *s)
{
    memset(s, 0, sizeof *s);
    if (t->nt < 16 || t->nfreq == 0) { /* 16: qp_tran_spectrum's shortest trace */
        return QP_OK;
    }
    s->power = calloc(t->nfreq, sizeof *s->power);
    s->col = calloc(t->nfreq, sizeof *s->col);
    if (!s->power || !s->col) {
        tran_spectra_free(s);
        return QP_ERR_NOMEM;
    }
    for (size_t e = 0; e < t->nfreq; e++) {
        const qp_tran_freq *f = &t->freq[e];
        char want[600];
        snprintf(want, sizeof want, "%s(%s)", f->dual ? "V" : "Is", c->elem[f->element].name);
        for (size_t i = 0; i < t->ncol; i++) {
            if (strcmp(t->col[i], want) == 0) {
                if (qp_tran_spectrum(t, i, &s->power[s->n], &s->nb, &s->df) != 0) {
                    tran_spectra_free(s);
                    return QP_ERR_NOMEM; /* the length was checked above */
                }
                s->col[s->n++] = i;
                break;
            }
        }
    }
    return QP_OK;
}

static qp_status run_tran(const qp_deck *deck, const qp_override *ov, size_t nov,
                          const qp_circuit *c, size_t k, const sweep_plan *sweep, qp_result *r,
                          const qp_run_opts *o, qp_diag *d)
{
    if (!sweep) {
        r->npoints = 1;
        qp_status st = tran_point(c, k, !(o && o->skip_traces), o, &r->tran.run, d, "");
        return st == QP_OK ? tran_spectra(c, &r->tran.run, &r->tran.spectra) : st;
    }
    char val[2][64], where[256];
    double v[2];
    size_t n = 0;
    qp_override *all = sweep_begin(sweep, ov, nov, r, o, val, &n);
    if (!all) {
        return QP_ERR_NOMEM;
    }
    plan_point(sweep, 0, v, val, where, sizeof where);
    qp_circuit *cp = NULL;
    qp_tran_result tr = {0};
    qp_status st = QP_OK;
    st = elaborate_point(deck, all, n, c, sweep, 0, &cp, d);
    if (st == QP_OK) {
        st = tran_point(cp, k, 0, NULL, &tr, d, where);
    }
    if (st == QP_OK) {
        r->tran.nfreq = tr.nfreq;
        r->tran.iv = calloc(r->npoints * (tr.nfreq ? tr.nfreq : 1), sizeof *r->tran.iv);
        st = r->tran.iv ? QP_OK : QP_ERR_NOMEM;
    }
    if (st == QP_OK) {
        memcpy(r->tran.iv, tr.freq, tr.nfreq * sizeof *tr.freq);
    }
    qp_tran_free(&tr);
    qp_circuit_free(cp);
    if (st == QP_OK) {
        sweep_job j = {.deck = deck, .c = c, .base = all, .nbase = n, .plan = sweep, .k = k,
                       .r = r, .o = o};
        st = sweep_rest(&j, d);
    }
    free(all);
    return st;
}

static void result_free(qp_result *r)
{
    free(r->param), free(r->values), free(r->spec.levels), free(r->spec.delta), free(r->spec.dim);
    free(r->param2), free(r->values2);
    free(r->spec.cut), free(r->spec.disp_node), free(r->spec.disp);
    qp_bands_free(&r->band.table);
    qp_tran_free(&r->tran.run);
    free(r->tran.iv);
    tran_spectra_free(&r->tran.spectra);
    free(r->spec.mre), free(r->spec.mim);
    qp_wavefunctions_free(&r->spec.wave);
}

/* The states of analysis `an` (.matrix or .wavefunction) of circuit c: quantization, a converged
 * spectrum for the cutoffs, the eigenvectors on that basis. */
static qp_status states_at(const qp_circuit *c, const qp_analysis *an, qp_modes **m,
                           qp_spectrum *s, qp_states *S, double *tol, char *err, size_t errlen,
                           qp_diag *d)
{
    memset(s, 0, sizeof *s);
    memset(S, 0, sizeof *S);
    qp_spectrum_opts o;
    spectrum_opts(an, NULL, &o);
    *tol = o.tol;
    qp_status st = qp_quantize(c, m, d);
    if (st != QP_OK) {
        return st;
    }
    if (an->kind == QP_AN_WAVE) { /* before any solve */
        st = qp_wavefunctions_check(*m, an->levels, an->points, err, errlen);
    }
    if (st == QP_OK) {
        st = qp_spectrum_compute(*m, &o, s, err, errlen);
    }
    if (st == QP_OK) {
        st = qp_states_compute(*m, s->cut, an->grid, an->levels, S, err, errlen);
    }
    return st;
}

/* Matrix elements of every operator of `an` on the states S into mre/mim (nops x L x L); *at
 * receives the place of the operator that failed. */
static qp_status matrix_at(const qp_circuit *c, const qp_analysis *an, const qp_modes *m,
                           const int *cut, const qp_states *S, double *mre, double *mim,
                           qp_loc *at, char *err, size_t errlen)
{
    size_t L = (size_t)S->nlev;
    qp_status st = QP_OK;
    for (size_t q = 0; q < an->nops && st == QP_OK; q++) {
        qp_modes *t = NULL;
        *at = an->ops[q].loc;
        st = qp_operator_terms(c, m, &an->ops[q], &t, err, errlen);
        if (st == QP_OK) {
            st = qp_matrix_elements(m, cut, an->grid, t, S, mre + q * L * L, mim + q * L * L,
                                    err, errlen);
        }
        qp_modes_free(t);
    }
    return st;
}

/* Reports a failed .matrix / .wavefunction computation at `at`; the status for the caller. */
static qp_status states_error(const qp_circuit *c, qp_loc at, const char *what,
                              const char *where, qp_status st, const char *err, qp_diag *d)
{
    if (st == QP_ERR_NOMEM) {
        return st;
    }
    qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, at), at.line, at.col, "%s%s%s: %s", what,
                where[0] ? " " : "", where, err[0] ? err : qp_status_str(st));
    return st == QP_ERR_INPUT ? QP_ERR_INPUT : QP_ERR_NUMERIC;
}

/* .matrix under a .sweep: the deck elaborated again at every point (serially), the levels and
 * the matrix elements of every point. */
static qp_status run_matrix_sweep(const qp_deck *deck, const qp_override *ov, size_t nov,
                                  const qp_circuit *c, size_t k, const sweep_plan *sweep,
                                  qp_result *r, const qp_run_opts *o, qp_diag *d)
{
    char val[2][64], where[256];
    double v[2];
    size_t n = 0;
    qp_override *all = sweep_begin(sweep, ov, nov, r, o, val, &n);
    if (!all) {
        return QP_ERR_NOMEM;
    }
    qp_status st = QP_OK;
    size_t L = 0, per = 0;
    for (size_t p = 0; p < r->npoints && st == QP_OK; p++) {
        plan_point(sweep, p, v, val, where, sizeof where);
        qp_circuit *cp = NULL;
        st = elaborate_point(deck, all, n, c, sweep, p, &cp, d);
        if (st != QP_OK) {
            break;
        }
        const qp_analysis *ap = &cp->analyses[k];
        qp_modes *m = NULL;
        qp_spectrum s;
        double tol = 0.0;
        qp_states S;
        char err[512] = "";
        qp_loc at = ap->loc;
        st = states_at(cp, ap, &m, &s, &S, &tol, err, sizeof err, d);
        if (st == QP_OK && p == 0) { /* point 0 sizes the result */
            L = (size_t)S.nlev;
            per = ap->nops * L * L;
            r->spec.nlev = S.nlev;
            r->spec.nops = ap->nops;
            r->spec.nmodes = m->n;
            r->spec.checked = s.checked;
            r->spec.tol = tol;
            r->spec.method = S.method;
            r->spec.levels = calloc(r->npoints * L, sizeof *r->spec.levels);
            r->spec.delta = calloc(r->npoints, sizeof *r->spec.delta);
            r->spec.dim = calloc(r->npoints, sizeof *r->spec.dim);
            r->spec.mre = calloc(r->npoints * per, sizeof *r->spec.mre);
            r->spec.mim = calloc(r->npoints * per, sizeof *r->spec.mim);
            if (!r->spec.levels || !r->spec.delta || !r->spec.dim || !r->spec.mre || !r->spec.mim) {
                st = QP_ERR_NOMEM;
            }
        } else if (st == QP_OK && (size_t)S.nlev != L) {
            qp_errf(err, sizeof err, "the basis holds %d levels here, %zu at the first point",
                    S.nlev, L);
            st = QP_ERR_NUMERIC;
        }
        if (st == QP_OK) {
            memcpy(r->spec.levels + p * L, S.E, L * sizeof *S.E);
            r->spec.delta[p] = s.delta;
            r->spec.dim[p] = S.dim;
            st = matrix_at(cp, ap, m, s.cut, &S, r->spec.mre + p * per, r->spec.mim + p * per,
                           &at, err, sizeof err);
        }
        if (st == QP_OK && p + 1 == r->npoints) { /* cutoffs of the last point */
            free(r->spec.cut);
            r->spec.cut = s.cut;
            s.cut = NULL;
        }
        if (st != QP_OK && m) { /* (quantization reports its own errors) */
            /* the place in the nominal deck (the point's circuit has the same lines) */
            st = states_error(c, at, ".matrix", where, st, err, d);
        }
        qp_states_free(&S);
        qp_spectrum_clear(&s);
        qp_modes_free(m);
        qp_circuit_free(cp);
        if (st == QP_OK && o && o->progress) {
            o->progress(o->progress_ctx, p + 1, r->npoints);
        }
    }
    free(all);
    return st;
}

/* .matrix and .wavefunction: the cutoffs of a converged spectrum, the states on that basis,
 * then the operators or the wavefunctions. Under a .sweep, .matrix repeats per point and
 * .wavefunction is computed once at the nominal values (with a warning). */
static qp_status run_states(const qp_deck *deck, const qp_override *ov, size_t nov,
                            const qp_circuit *c, size_t k, const sweep_plan *sweep,
                            qp_results *res, qp_result *r, const qp_run_opts *o, qp_diag *d)
{
    const qp_analysis *an = &c->analyses[k];
    const char *file = qp_circuit_file(c, an->loc);
    const char *what = an->kind == QP_AN_MATRIX ? ".matrix" : ".wavefunction";
    if (sweep && an->kind == QP_AN_MATRIX) {
        return run_matrix_sweep(deck, ov, nov, c, k, sweep, r, o, d);
    }
    if (sweep) {
        qp_diag_add(d, QP_SEV_WARNING, file, an->loc.line, an->loc.col,
                    "%s is computed once, at the nominal parameter values (it is not swept)",
                    what);
    }
    qp_modes *m = NULL;
    qp_spectrum s;
    qp_states S;
    char err[512] = "";
    qp_loc at = an->loc;
    double tol = 0.0;
    qp_status st = states_at(c, an, &m, &s, &S, &tol, err, sizeof err, d);
    if (st == QP_OK) {
        r->npoints = 1;
        r->spec.nlev = S.nlev;
        r->spec.levels = S.E;
        S.E = NULL;
        r->spec.nmodes = m->n;
        r->spec.cut = s.cut;
        s.cut = NULL;
        r->spec.checked = s.checked;
        r->spec.tol = tol;
        r->spec.method = S.method;
        r->spec.delta = calloc(1, sizeof *r->spec.delta);
        r->spec.dim = calloc(1, sizeof *r->spec.dim);
        if (!r->spec.delta || !r->spec.dim) {
            st = QP_ERR_NOMEM;
        } else {
            r->spec.delta[0] = s.delta;
            r->spec.dim[0] = S.dim;
        }
    }
    if (st == QP_OK && an->kind == QP_AN_MATRIX) {
        size_t L = (size_t)S.nlev;
        r->spec.nops = an->nops;
        r->spec.mre = calloc(an->nops * L * L, sizeof *r->spec.mre);
        r->spec.mim = calloc(an->nops * L * L, sizeof *r->spec.mim);
        st = r->spec.mre && r->spec.mim ? QP_OK : QP_ERR_NOMEM;
        if (st == QP_OK) {
            st = matrix_at(c, an, m, r->spec.cut, &S, r->spec.mre, r->spec.mim, &at, err,
                           sizeof err);
        }
    } else if (st == QP_OK) {
        st = qp_wavefunctions_compute(m, r->spec.cut, an->grid, &S, an->points, &r->spec.wave, err,
                                      sizeof err);
        for (int lv = 0; st == QP_OK && lv < r->spec.wave.nlev; lv++) {
            if (!(r->spec.wave.norm[lv] > 0.99)) {
                qp_diag_add(d, QP_SEV_WARNING, file, an->loc.line, an->loc.col,
                            ".wavefunction: the grid holds %.3g of level %d's probability (the "
                            "state reaches beyond the drawn range, or more points= are needed "
                            "to resolve it)", r->spec.wave.norm[lv], lv);
                break;
            }
        }
    }
    if (st != QP_OK && m) {
        st = states_error(c, at, what, "", st, err, d);
    }
    if (st == QP_OK && !res->modes) { /* the circuit's modes for the report */
        res->cut = malloc((m->n ? m->n : 1) * sizeof *res->cut);
        if (res->cut) {
            memcpy(res->cut, r->spec.cut, m->n * sizeof *res->cut);
            res->dim = r->spec.dim[0];
            res->modes = m;
            m = NULL;
        }
    }
    qp_states_free(&S);
    qp_spectrum_clear(&s);
    qp_modes_free(m);
    return st;
}

qp_status qp_run_analyses(const qp_deck *deck, const qp_override *ov, size_t nov,
                          const qp_circuit *c, qp_results *out, qp_diag *d)
{
    return qp_run_analyses_opts(deck, ov, nov, c, NULL, out, d);
}

qp_status qp_run_analyses_opts(const qp_deck *deck, const qp_override *ov, size_t nov,
                               const qp_circuit *c, const qp_run_opts *o, qp_results *out,
                               qp_diag *d)
{
    memset(out, 0, sizeof *out);
    sweep_plan plan = {{NULL, NULL}, 0, 1};
    for (size_t k = 0; k < c->nanalyses; k++) {
        const qp_analysis *an = &c->analyses[k];
        if (an->kind != QP_AN_SWEEP) {
            continue;
        }
        if (plan.n == 2) {
            qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                        "at most two .sweep directives (a 2-D sweep) per deck");
            return QP_ERR_INPUT;
        }
        if (plan.n == 1 && qp_ieq(plan.sw[0]->param, an->param)) {
            qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                        "'%s' is swept twice", an->param);
            return QP_ERR_INPUT;
        }
        if ((double)plan.points * an->points > 1e7) {
            qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                        "the 2-D sweep would have %.3g points (at most 1e7)",
                        (double)plan.points * an->points);
            return QP_ERR_INPUT;
        }
        plan.sw[plan.n++] = an;
        plan.points *= (size_t)an->points;
    }
    const sweep_plan *sweep = plan.n ? &plan : NULL;
    qp_status st = QP_OK;
    for (size_t k = 0; k < c->nanalyses && st == QP_OK; k++) {
        const qp_analysis *an = &c->analyses[k];
        if (an->kind == QP_AN_SWEEP) {
            continue;
        }
        qp_result r = {0};
        r.kind = an->kind;
        r.analysis = k;
        r.loc = an->loc;
        if (an->kind == QP_AN_SPECTRUM) {
            r.computed = 1;
            st = run_spectrum(deck, ov, nov, c, k, sweep, out, &r, o, d);
        } else if (an->kind == QP_AN_BANDS) {
            r.computed = 1;
            st = run_bands(c, k, &r, d);
        } else if (an->kind == QP_AN_TRAN) {
            r.computed = 1;
            st = run_tran(deck, ov, nov, c, k, sweep, &r, o, d);
        } else if (an->kind == QP_AN_MATRIX || an->kind == QP_AN_WAVE) {
            r.computed = 1;
            st = run_states(deck, ov, nov, c, k, sweep, out, &r, o, d);
        }
        if (!QP_PUSH(out->r, out->n, r)) { /* on success the results own r's arrays */
            result_free(&r);
            st = QP_ERR_NOMEM;
        }
    }
    if (st != QP_OK) {
        qp_results_free(out);
    }
    return st;
}

void qp_results_free(qp_results *res)
{
    for (size_t i = 0; i < res->n; i++) {
        result_free(&res->r[i]);
    }
    free(res->r);
    qp_modes_free(res->modes);
    free(res->cut);
    memset(res, 0, sizeof *res);
}
