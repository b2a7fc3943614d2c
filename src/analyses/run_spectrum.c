/* .spectrum: quantize, solve with convergence control, the dispersions, repeat along a sweep. */
#include "analyses/context_impl.h"
#include "analyses/labels.h"
#include "analyses/run_impl.h"
#include "analyses/spectrum_impl.h"
#include "analyses/sweep_dist.h"
#include "operators/ham.h"

#include "qpsim/units.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qp_run_spectrum_opts(const qp_analysis *an, const qp_worker_cache *cache,
                          qp_spectrum_opts *o)
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
    o->cache = cache ? cache->eig : NULL;
    o->basis_cache = cache ? cache->basis : NULL;
    o->method = (qp_spectrum_method)an->method;
    const qp_settings *set = qp_context_active(); /* a bounded run's cap on the states */
    if (set && set->cap_dim) {
        o->dim_cap = set->cap_dim;
        o->max_dim = o->max_dim < set->cap_dim ? o->max_dim : set->cap_dim;
    }
}

/* The groups= of a .spectrum for modes m into group[] (m->n of them), or 0 with a positioned
 * error when it does not name every mode of the circuit exactly once. QP_OK also without it. */
qp_status qp_run_spectrum_groups(const qp_circuit *c, const qp_analysis *an, const qp_modes *m,
                                 int *group, qp_diag *d)
{
    if (an->ngmodes == 0) {
        return QP_OK;
    }
    int bad = an->ngmodes != (int)m->n;
    for (size_t i = 0; i < m->n && !bad; i++) {
        bad = i >= QP_MAX_GROUP_MODES || an->group[i] < 0;
        group[i] = bad ? 0 : an->group[i];
    }
    for (int g = 0; !bad && g < QP_MAX_GROUP_MODES; g++) { /* groups numbered without a gap */
        int used = 0, later = 0;
        for (size_t i = 0; i < m->n; i++) {
            used |= group[i] == g;
            later |= group[i] > g;
        }
        bad = !used && later;
    }
    if (bad) {
        qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->group_loc), an->group_loc.line,
                    an->group_loc.col,
                    "groups of %s must name each of the circuit's %zu modes (m1 to m%zu, "
                    "as `qpsim check` lists them) exactly once",
                    an->kind == QP_AN_MATRIX ? ".matrix" : ".spectrum", m->n, m->n);
        return QP_ERR_INPUT;
    }
    return QP_OK;
}

/* The converged cutoffs of one point, when they can be reused (ok: exact, automatic, in the
 * quantizer's coordinates, the same modes). */
typedef struct {
    int ok;
    int *cut; /* nmodes */
} point_cut;

/* Spectrum of one circuit for its analysis number k; fills point p of r (and *info, if given). */
static qp_status spectrum_point(const qp_circuit *c, size_t k, qp_result *r, size_t p,
                                qp_modes **keep, qp_worker_cache *cache, qp_diag *d,
                                const char *where, point_cut *info, const qp_settings *set)
{
    const qp_analysis *an = &c->analyses[k];
    qp_modes *m = NULL;
    qp_status st = qp_quantize(c, &m, d);
    if (st != QP_OK) {
        return st;
    }
    qp_spectrum_opts o;
    qp_run_spectrum_opts(an, cache, &o);
    if (set) { /* an unswept spectrum may say what it is doing */
        o.status = set->status;
        o.status_ctx = set->status_ctx;
        o.dist = set->dist; /* (a swept point's processes are computing other points) */
    }
    int reuse = r->spec.sweep_cut && p > 0 && p + 1 < r->npoints && m->n == r->spec.nmodes;
    if (reuse) { /* the basis converged at the checkpoints, fixed */
        o.start_cut = r->spec.sweep_cut;
        o.start_fixed = 1;
    }
    qp_spectrum s;
    char err[512] = "";
    int *group = calloc(m->n ? m->n : 1, sizeof *group);
    st = group ? qp_run_spectrum_groups(c, an, m, group, d) : QP_ERR_NOMEM;
    if (st != QP_OK) {
        free(group);
        qp_modes_free(m);
        return st;
    }
    o.groups = an->ngmodes ? group : NULL;
    o.labels = set != NULL; /* unswept: the labels of a hierarchical solve (spectrum_labels) */
    st = qp_spectrum_compute(m, &o, &s, err, sizeof err);
    free(group);
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
        r->spec.processes = s.info.processes;
        free(r->spec.group), free(r->spec.kept);
        r->spec.hier = s.hier;
        r->spec.ngroups = s.ngroups;
        r->spec.group = s.group;
        r->spec.kept = s.kept;
        r->spec.ecut = s.ecut;
        r->spec.aligned = s.aligned;
        r->spec.slip = s.slip;
        free(r->spec.label), free(r->spec.lab_weight);
        r->spec.label = s.label; /* a hierarchical solve's labels, on its groups */
        r->spec.lab_weight = s.lab_weight;
        r->spec.mps = s.mps, r->spec.mps_kept = s.mps_kept, r->spec.mps_bond = s.mps_bond;
        r->spec.mps_sweeps = s.mps_sweeps, r->spec.mps_discarded = s.mps_discarded;
        s.group = s.kept = NULL;
        s.label = NULL, s.lab_weight = NULL;
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
    r->spec.delta[p] = reuse ? NAN : s.delta; /* not measured at a reused point */
    if (info) {
        info->ok = s.checked && !s.hier && !s.aligned && s.nmodes == r->spec.nmodes;
        for (size_t i = 0; info->ok && i < s.nmodes; i++) {
            info->cut[i] = s.cut ? s.cut[i] : r->spec.cut[i];
        }
    }
    r->spec.dim[p] = s.dim;
    qp_spectrum_clear(&s);
    if (keep && !*keep) {
        *keep = m;
    } else {
        qp_modes_free(m);
    }
    return QP_OK;
}

/* Point 0 of a swept spectrum (a qp_sweep_first_fn), with worker 0's cache; the first spectrum's
 * modes are kept for the report. */
static qp_status spectrum_sweep_first(const qp_runner *R, const qp_circuit *cp, size_t k,
                                      qp_result *r, const char *where)
{
    qp_results *res = R->res;
    return spectrum_point(cp, k, r, 0, res->modes ? NULL : &res->modes,
                          qp_context_cache(R->ctx, 0), R->d, where, NULL, NULL);
}

/* A checkpoint of a swept spectrum (a qp_sweep_check_fn): the middle point, then the last,
 * converged on the calling thread before the workers start. With point 0 they give the basis the
 * other points reuse, fixed: the larger of the three converged cutoffs, mode by mode (exact
 * spectra in the quantizer's coordinates with automatic cutoffs; hierarchical or aligned spectra
 * converge every point). Any other outcome clears the reuse. */
static qp_status spectrum_sweep_check(const qp_runner *R, const qp_circuit *cp, size_t k,
                                      qp_result *r, size_t p, int final, const char *where)
{
    size_t n = r->spec.nmodes;
    int usable = r->spec.cut && r->spec.checked && !r->spec.hier && !r->spec.aligned;
    int *cut = usable ? malloc((n ? n : 1) * sizeof *cut) : NULL;
    point_cut pc = {0, cut};
    qp_status st = usable && !cut ? QP_ERR_NOMEM : QP_OK;
    if (st == QP_OK && usable) {
        int *base = final ? r->spec.sweep_cut : r->spec.cut; /* what p's cutoffs join */
        int *acc = final ? NULL : malloc((n ? n : 1) * sizeof *acc);
        if (!final && acc) {
            memcpy(acc, base, n * sizeof *acc);
        }
        st = spectrum_point(cp, k, r, p, NULL, qp_context_cache(R->ctx, 0), R->d, where, &pc, NULL);
        acc = final ? r->spec.sweep_cut : acc;
        for (size_t i = 0; st == QP_OK && pc.ok && acc && i < n; i++) {
            acc[i] = cut[i] > acc[i] ? cut[i] : acc[i];
        }
        if (!final) {
            r->spec.sweep_cut = acc; /* set after the middle point: only later points read it */
        }
    }
    if (st != QP_OK || !usable || !pc.ok || !r->spec.sweep_cut) {
        free(r->spec.sweep_cut);
        r->spec.sweep_cut = NULL;
        st = st != QP_OK ? st : QP_ERR_NUMERIC; /* stop the checkpoints */
    }
    free(cut);
    return st;
}

/* Point p >= 1 of a swept spectrum (a qp_sweep_point_fn); the checkpoints are already done
 * when the others reuse their basis. */
static qp_status spectrum_sweep_point(const qp_circuit *cp, size_t k, qp_result *r, size_t p,
                                      qp_worker_cache *cache, qp_diag *d, const char *where)
{
    if (r->spec.sweep_cut && (p + 1 == r->npoints || p == (r->npoints - 1) / 2)) {
        return QP_OK;
    }
    return spectrum_point(cp, k, r, p, NULL, cache, d, where, NULL, NULL);
}

qp_status qp_circuit_moved(const qp_circuit *c, int io, int il, double value, int add,
                           qp_circuit *cc, qp_offset **off, qp_flux_loop **loops)
{
    *off = malloc((c->noffsets ? c->noffsets : 1) * sizeof **off);
    *loops = malloc((c->nloops ? c->nloops : 1) * sizeof **loops);
    if (!*off || !*loops) {
        return QP_ERR_NOMEM;
    }
    if (c->noffsets) { /* (memcpy from a NULL array is undefined even for 0 bytes) */
        memcpy(*off, c->offsets, c->noffsets * sizeof **off);
    }
    if (c->nloops) {
        memcpy(*loops, c->loops, c->nloops * sizeof **loops);
    }
    if (io >= 0) {
        (*off)[io].ng = add ? (*off)[io].ng + value : value;
    }
    if (il >= 0) {
        (*loops)[il].f = add ? (*loops)[il].f + value : value;
    }
    *cc = *c;
    cc->offsets = *off;
    cc->loops = *loops;
    return QP_OK;
}

/* Levels of c with one offset (offset index `io`) or one loop flux (loop index `il`) replaced by
 * `value`; everything else unchanged. */
static qp_status levels_modified(const qp_circuit *c, const qp_analysis *an, int io, int il,
                                 double value, double *E, int nlev, qp_worker_cache *cache,
                                 qp_diag *d)
{
    qp_offset *off = NULL;
    qp_flux_loop *loops = NULL;
    qp_circuit cc;
    qp_modes *m = NULL;
    qp_status st = qp_circuit_moved(c, io, il, value, 0, &cc, &off, &loops);
    if (st != QP_OK) {
        free(off), free(loops);
        return st;
    }
    st = qp_quantize(&cc, &m, d);
    if (st == QP_OK) {
        qp_spectrum_opts o;
        qp_run_spectrum_opts(an, cache, &o);
        /* A dispersion is a small difference of two levels: converge both tightly. */
        o.tol = fmin(o.tol, 1e-11);
        qp_spectrum s;
        char err[512] = "";
        int *group = calloc(m->n ? m->n : 1, sizeof *group);
        st = group ? qp_run_spectrum_groups(c, an, m, group, d) : QP_ERR_NOMEM;
        o.groups = an->ngmodes ? group : NULL;
        if (st == QP_OK) {
            st = qp_spectrum_compute(m, &o, &s, err, sizeof err);
        } else {
            memset(&s, 0, sizeof s);
        }
        free(group);
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

/* The extra spectra of the dispersions, item i = 2 k + h: offset or loop k at value h / 2. */
typedef struct {
    const qp_circuit *c;
    const qp_analysis *an;
    qp_context *ctx;
    int nl;
    size_t items;
    double *E;      /* items x (nl + 1): the levels, then how many messages the item gave */
    qp_status *st;  /* items */
    qp_diag *pd;    /* items: each item's messages, merged in item order */
    pthread_mutex_t mu;
    size_t next;
} disp_job;

/* Item i of the dispersions on worker w. */
static void disp_item(disp_job *j, size_t i, int w)
{
    size_t k = i / 2, stride = (size_t)j->nl + 1;
    int io = k < j->c->noffsets ? (int)k : -1;
    int il = io < 0 ? (int)(k - j->c->noffsets) : -1;
    qp_diag_clear(&j->pd[i]);
    j->st[i] = levels_modified(j->c, j->an, io, il, 0.5 * (double)(i % 2), j->E + i * stride,
                               j->nl, qp_context_cache(j->ctx, w), &j->pd[i]);
    j->E[i * stride + (size_t)j->nl] = (double)j->pd[i].count;
}

static void disp_worker(void *arg, int w)
{
    disp_job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->mu);
        size_t i = j->next++;
        pthread_mutex_unlock(&j->mu);
        if (i >= j->items) {
            return;
        }
        if (qp_dist_mine(qp_context_settings(j->ctx)->dist, i)) { /* else another process's */
            disp_item(j, i, w);
        }
    }
}

/* With several processes, after each computed its share of the items: the levels and statuses
 * exchanged; an item computed elsewhere that gave messages (or failed) is computed again here,
 * up to the first failure, so that the messages are those of a single process. */
static qp_status disp_share(disp_job *j)
{
    const qp_dist *dist = qp_context_settings(j->ctx)->dist;
    size_t stride = (size_t)j->nl + 1;
    qp_status st = qp_dist_share_items(dist, j->items, (unsigned char *)j->E,
                                       stride * sizeof *j->E, j->st);
    for (size_t i = 0; st == QP_OK && j->E && j->st && i < j->items; i++) {
        if (!qp_dist_mine(dist, i) && (j->st[i] != QP_OK || j->E[i * stride + stride - 1] > 0)) {
            disp_item(j, i, 0);
        }
        if (j->st[i] != QP_OK) {
            break;
        }
    }
    return st;
}

/* Charge dispersion per island with an offset, eps_m = E_m(ng = 1/2) - E_m(ng = 0), and its dual,
 * the flux dispersion per flux loop, eps_m = E_m(f = 1/2) - E_m(f = 0). The extra spectra are
 * independent: they run on the context's workers (each is deterministic, so the numbers do not
 * depend on the thread count), and their messages are merged in order. */
static qp_status dispersions(const qp_circuit *c, const qp_analysis *an, qp_result *r,
                             qp_context *ctx, qp_diag *d)
{
    int nl = r->spec.nlev;
    size_t n = c->noffsets + c->nloops;
    disp_job j = {.c = c, .an = an, .ctx = ctx, .nl = nl, .items = 2 * n};
    r->spec.disp_node = malloc(n * sizeof *r->spec.disp_node);
    r->spec.disp = malloc(n * (size_t)nl * sizeof *r->spec.disp);
    j.E = malloc(j.items * ((size_t)nl + 1) * sizeof *j.E);
    j.st = calloc(j.items, sizeof *j.st);
    j.pd = calloc(j.items, sizeof *j.pd);
    qp_status st = r->spec.disp_node && r->spec.disp && j.E && j.st && j.pd ? QP_OK : QP_ERR_NOMEM;
    if (st == QP_OK) {
        pthread_mutex_init(&j.mu, NULL);
        qp_context_run(ctx, disp_worker, &j, j.items < (size_t)INT_MAX ? (int)j.items : INT_MAX);
        pthread_mutex_destroy(&j.mu);
    }
    if (st != QP_OK) { /* the exchange below still happens: the others must not wait for it */
        free(j.E), free(j.st);
        j.E = NULL, j.st = NULL;
    }
    qp_status sh = disp_share(&j);
    if (sh == QP_ERR_NUMERIC) {
        qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                    "the dispersions could not be exchanged between processes");
    }
    st = st == QP_OK ? sh : st;
    for (size_t i = 0; st == QP_OK && i < j.items; i++) { /* up to the first failure */
        for (size_t e = 0; e < j.pd[i].count; e++) {
            const qp_diag_entry *x = &j.pd[i].items[e];
            qp_diag_add(d, x->sev, x->file, x->line, x->col, "%s", x->msg);
        }
        st = j.st[i];
    }
    size_t sd = (size_t)nl + 1; /* j.E's stride */
    for (size_t k = 0; st == QP_OK && k < n; k++) {
        int io = k < c->noffsets ? (int)k : -1, il = io < 0 ? (int)(k - c->noffsets) : -1;
        for (size_t m = 0; m < (size_t)nl; m++) {
            r->spec.disp[k * (size_t)nl + m] = j.E[(2 * k + 1) * sd + m] - j.E[2 * k * sd + m];
        }
        /* islands: node index >= 1; loops: -(loop number) */
        r->spec.disp_node[k] = io >= 0 ? c->offsets[io].node : -(il + 1);
        r->spec.ndisp = k + 1;
    }
    for (size_t i = 0; j.pd && i < j.items; i++) {
        qp_diag_clear(&j.pd[i]);
    }
    free(j.E), free(j.st), free(j.pd);
    return st;
}

/* The labels of a hierarchical spectrum (in the quantizer's coordinates; its solve left them in
 * r->spec.label on its groups) and what they give. */
static qp_status hier_labels(const qp_modes *m, qp_result *r)
{
    qp_spectrum_out *o = &r->spec;
    o->lab_group = malloc((m->n ? m->n : 1) * sizeof *o->lab_group);
    if (!o->lab_group) {
        return QP_ERR_NOMEM;
    }
    memcpy(o->lab_group, o->group, m->n * sizeof *o->lab_group);
    o->nlab = o->ngroups;
    qp_status st = qp_labels_derive(m, o);
    o->nlab = st == QP_OK ? o->ngroups : 0;
    return st;
}

/* The bare-state labels of an unswept spectrum of several modes, and what they give (chi, ZZ,
 * anharmonicities; labels.h): on the exact path the eigenvectors on the converged basis, one
 * more solve; on the hierarchical path its kept product states. Where they are not available,
 * or too costly, a note says why and the result has none. */
static qp_status spectrum_labels(const qp_circuit *c, const qp_analysis *an, qp_result *r,
                                 qp_diag *d)
{
    qp_modes *m = NULL;
    qp_diag quiet = {0}; /* the nominal quantization already reported its warnings */
    qp_status st = qp_quantize(c, &m, &quiet);
    qp_diag_clear(&quiet);
    if (st != QP_OK) { /* the spectrum quantized the same circuit: only memory can fail here */
        return st == QP_ERR_NOMEM ? st : QP_OK;
    }
    size_t prod = 1, parts = 0, most = QP_LABEL_MAX_DIM;
    const qp_settings *set = qp_context_active(); /* a bounded run's cap on the states */
    most = set && set->cap_dim && set->cap_dim < most ? set->cap_dim : most;
    int *group = malloc((m->n ? m->n : 1) * sizeof *group);
    if (group) {
        parts = qp_hier_default_groups(m, group);
        for (size_t i = 0; i < m->n && r->spec.cut && prod <= most; i++) {
            prod *= qp_ham_mode_dim(m->kind[i], r->spec.cut[i]);
        }
    }
    free(group);
    int hier = r->spec.hier && r->spec.label && r->spec.ngroups > 1;
    const char *why = (parts < 2 && !hier) || m->n != r->spec.nmodes ? NULL
                      : r->spec.aligned ? "the spectrum was solved in changed coordinates, "
                                          "not the modes qpsim check lists"
                      : hier ? ""
                      : r->spec.hier ? "the hierarchical solve kept no labels"
                      : prod > most ? "the exact product basis is too large"
                                                : "";
    if (why && why[0]) {
        qp_diag_add(d, QP_SEV_NOTE, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                    "levels not labelled by bare states (no chi, ZZ or anharmonicity per "
                    "mode): %s", why);
    }
    if (why && !why[0] && hier) {
        st = hier_labels(m, r);
    } else if (why && !why[0]) {
        qp_states S;
        char err[512] = "";
        st = qp_states_compute(m, r->spec.cut, an->grid, r->spec.nlev, &S, err, sizeof err);
        if (st == QP_OK) {
            st = qp_labels_compute(m, r->spec.cut, an->grid, &S, &r->spec, err, sizeof err);
            qp_states_free(&S);
        }
        if (st != QP_OK && st != QP_ERR_NOMEM) {
            qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                        "labels: %s", err[0] ? err : qp_status_str(st));
            st = QP_ERR_NUMERIC;
        }
    }
    qp_modes_free(m);
    return st;
}

/* The analysis shares worker 0's caches with its sweep points and the extra spectra of the
 * dispersions: they share matrix patterns, so their sparse factorizations skip the ordering
 * step, and oscillator bases, whose exponentials are built once. */
qp_status qp_run_spectrum(const qp_runner *R, size_t k, qp_result *r)
{
    const qp_circuit *c = R->job->c;
    qp_results *res = R->res;
    qp_diag *d = R->d;
    qp_worker_cache *cache = qp_context_cache(R->ctx, 0); /* NULL only costs speed */
    r->npoints = R->sweep ? R->sweep->points : 1;
    r->values = calloc(r->npoints, sizeof *r->values);
    r->spec.delta = calloc(r->npoints, sizeof *r->spec.delta);
    r->spec.dim = calloc(r->npoints, sizeof *r->spec.dim);
    if (!r->values || !r->spec.delta || !r->spec.dim) {
        return QP_ERR_NOMEM;
    }
    if (!R->sweep) {
        qp_status st =
            spectrum_point(c, k, r, 0, res->modes ? NULL : &res->modes, cache, d, "", NULL,
                           qp_context_settings(R->ctx));
        const qp_analysis *an = &c->analyses[k];
        /* automatic: not in extended coordinates, where offsets have no effect and the wells
         * bound how tightly the extra spectra converge */
        int want = an->dispersion > 0 ||
                   (an->dispersion < 0 && r->spec.dim[0] <= QP_DISPERSION_AUTO_DIM &&
                    !(r->spec.aligned & QP_COORD_EXTENDED) && !r->spec.hier && !r->spec.mps);
        /* hierarchical: each extra spectrum regrows every group to 1e-11 GHz (the rf-SQUID pair
         * of examples/mutual_inductance.cir: 0.01 s for its spectrum, 4 s for the dispersions);
         * not without being asked */
        if (st == QP_OK && !want && an->dispersion < 0 && (r->spec.hier || r->spec.mps) &&
            c->noffsets + c->nloops > 0) {
            qp_diag_add(d, QP_SEV_NOTE, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                        "dispersions not computed for a %s spectrum (each is two more "
                        "solves at 1e-11 GHz); dispersion=yes computes them",
                        r->spec.mps ? "matrix-product-state" : "hierarchical");
        }
        if (st == QP_OK && want && c->noffsets + c->nloops > 0) {
            st = dispersions(c, &c->analyses[k], r, R->ctx, d);
        }
        if (st == QP_OK && r->kind == QP_AN_SPECTRUM && r->spec.nmodes > 1) {
            st = spectrum_labels(c, an, r, d);
        }
        /* the circuit's modes show the first spectrum's cutoffs, unless those were of the
         * extended normal modes, which are not the quantizer's */
        if (st == QP_OK && !res->cut && !(r->spec.aligned & QP_COORD_EXTENDED)) {
            res->dim = r->spec.dim[0];
            res->cut = malloc((r->spec.nmodes ? r->spec.nmodes : 1) * sizeof *res->cut);
            if (!res->cut) {
                return QP_ERR_NOMEM;
            }
            memcpy(res->cut, r->spec.cut, r->spec.nmodes * sizeof *res->cut);
        }
        return st;
    }
    return qp_sweep_run(R, k, r, spectrum_sweep_first, spectrum_sweep_check, spectrum_sweep_point);
}
