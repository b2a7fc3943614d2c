/* C API: the computing calls, each one analysis written as a directive and run by the engine
 * (spectra, sweeps, matrix elements, wavefunctions, Bloch bands, transients, coherence). */
#include "api/api_impl.h"
#include "writers/report_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NKEYS(a) (sizeof(a) / sizeof *(a))

/* The keys a request takes from the deck's directive: the basis settings, and for a spectrum the
 * method; a .coherence or .bands of the deck gives everything it has. */
static const char *const basis_keys[] = {"tol", "ncut", "mcut", "nho", "basis"};
static const char *const spectrum_keys[] = {"tol",   "ncut",   "mcut",  "nho",
                                            "basis", "method", "groups"};
static const char *const wave_keys[] = {"tol", "ncut", "mcut", "nho", "basis", "points",
                                        "levels"}; /* levels: of a .wavefunction only */
static const char *const coherence_keys[] = {
    "from",  "to",  "temp", "channels",  "qcap",  "qind", "xqp", "delta", "aflux", "ang",
    "acc",   "aes", "omega_low", "t_exp", "tol", "ncut",  "mcut", "nho", "basis"};
static const char *const bands_keys[] = {"levels", "points"};
static const char *const tran_keys[] = {"rtol", "seed"};

/* The deck's directive `word`, else its first .spectrum (for the basis keys). */
static const qp_directive *template_of(const qpsim_circuit *h, const char *word)
{
    const qp_directive *t = qp_api_find(h, word);
    return t ? t : qp_api_find(h, ".spectrum");
}

static int key_int(qp_api_dir *g, const char *key, long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", v);
    return qp_api_dir_key(g, key, buf);
}

/* The start of a computing call: the handle locked and a circuit loaded. */
static qpsim_status begin(qpsim_circuit *h)
{
    qp_api_begin(h);
    return qp_api_loaded(h);
}

/* A .spectrum of `levels` levels with the deck's spectrum settings, without dispersions. */
static qpsim_status spectrum_dir(qpsim_circuit *h, qp_api_req *q, int levels)
{
    qp_api_dir *g = qp_api_dir_add(q, ".spectrum", qp_api_find(h, ".spectrum"), spectrum_keys,
                                   NKEYS(spectrum_keys), 0);
    return g && key_int(g, "levels", levels) && qp_api_dir_key(g, "dispersion", "no")
               ? QPSIM_OK
               : QPSIM_ERR_NOMEM;
}

qpsim_status qpsim_spectrum(qpsim_circuit *h, int levels, double *E, int *n)
{
    if (n) {
        *n = 0;
    }
    if (!h) {
        return QPSIM_ERR_USAGE;
    }
    qp_api_req q = {0};
    qpsim_status st = begin(h);
    if (st == QPSIM_OK && (!E || !n || levels < 1)) {
        st = qp_api_usage(h, "spectrum: levels must be at least 1 (got %d), E and n given",
                          levels);
    }
    st = st == QPSIM_OK ? spectrum_dir(h, &q, levels) : st;
    st = st == QPSIM_OK ? qp_api_run(h, &q, 0, NULL, 0) : st;
    if (st == QPSIM_OK) {
        const qp_spectrum_out *s = &q.res.r[0].spec;
        memcpy(E, s->levels, (size_t)s->nlev * sizeof *E);
        *n = s->nlev;
    }
    qp_api_req_free(&q);
    return qp_api_end(h, st);
}

/* The arguments of a sweep, checked. */
static qpsim_status sweep_args(qpsim_circuit *h, const char *param, const double *values,
                               size_t np, int levels, const double *E, const int *n)
{
    if (!param || !values || !E || !n || np == 0 || levels < 1) {
        return qp_api_usage(h, "sweep: a parameter name, at least one value, levels >= 1 (got "
                            "%d), E and n are needed", levels);
    }
    for (size_t p = 0; p < np; p++) {
        if (!isfinite(values[p])) {
            return qp_api_usage(h, "sweep: value %zu of '%s' is not a finite number", p + 1,
                                param);
        }
    }
    return QPSIM_OK;
}

/* One sweep value and where the caller gave it. */
typedef struct {
    double v;
    size_t at;
} sweep_pt;

static int cmp_pt(const void *a, const void *b)
{
    const sweep_pt *x = a, *y = b;
    return x->v < y->v ? -1 : x->v > y->v ? 1 : (x->at > y->at) - (x->at < y->at);
}

/* *order receives the values in ascending order with their places, and *sorted the values to
 * sweep, both NULL when the values already ascend or descend: the engine converges the basis at
 * the ends and the middle and reuses it in between, which is right only along an ordered sweep.
 * 0 out of memory. */
static int sweep_order(const double *values, size_t np, sweep_pt **order, double **sorted)
{
    int up = 1, down = 1;
    for (size_t p = 1; p < np; p++) {
        up &= values[p] >= values[p - 1];
        down &= values[p] <= values[p - 1];
    }
    *order = NULL;
    *sorted = NULL;
    if (up || down) {
        return 1;
    }
    *order = malloc(np * sizeof **order);
    *sorted = malloc(np * sizeof **sorted);
    if (!*order || !*sorted) {
        free(*order), free(*sorted);
        *order = NULL;
        *sorted = NULL;
        return 0;
    }
    for (size_t p = 0; p < np; p++) {
        (*order)[p] = (sweep_pt){values[p], p};
    }
    qsort(*order, np, sizeof **order, cmp_pt);
    for (size_t p = 0; p < np; p++) {
        (*sorted)[p] = (*order)[p].v;
    }
    return 1;
}

qpsim_status qpsim_sweep(qpsim_circuit *h, const char *param, const double *values,
                         size_t npoints, int levels, double *E, int *n)
{
    if (n) {
        *n = 0;
    }
    if (!h) {
        return QPSIM_ERR_USAGE;
    }
    qp_api_req q = {0};
    qpsim_status st = begin(h);
    st = st == QPSIM_OK ? sweep_args(h, param, values, npoints, levels, E, n) : st;
    st = st == QPSIM_OK ? spectrum_dir(h, &q, levels) : st;
    double *sorted = NULL;
    sweep_pt *order = NULL;
    if (st == QPSIM_OK && !sweep_order(values, npoints, &order, &sorted)) {
        st = QPSIM_ERR_NOMEM;
    }
    if (sorted) {
        values = sorted;
    }
    if (st == QPSIM_OK) { /* .sweep PARAM FIRST LAST N, its points then set to the values */
        char a[32], b[32], c[32];
        snprintf(a, sizeof a, "%.17g", values[0]);
        snprintf(b, sizeof b, "%.17g", values[npoints - 1]);
        snprintf(c, sizeof c, "%zu", npoints);
        qp_api_dir *g = qp_api_dir_add(&q, ".sweep", NULL, NULL, 0, 0);
        st = g && qp_api_dir_arg(g, param) && qp_api_dir_arg(g, a) && qp_api_dir_arg(g, b) &&
                     qp_api_dir_arg(g, c)
                 ? qp_api_run(h, &q, 0, values, npoints)
                 : QPSIM_ERR_NOMEM;
    }
    if (st == QPSIM_OK) {
        const qp_result *r = &q.res.r[0];
        size_t row = (size_t)r->spec.nlev;
        for (size_t p = 0; p < r->npoints; p++) { /* back to the caller's order */
            memcpy(E + (order ? order[p].at : p) * row, r->spec.levels + p * row,
                   row * sizeof *E);
        }
        *n = r->spec.nlev;
    }
    free(order), free(sorted);
    qp_api_req_free(&q);
    return qp_api_end(h, st);
}

qpsim_status qpsim_matrix_elements(qpsim_circuit *h, const char *op, int levels, double *re,
                                   double *im, double *E, int *n)
{
    if (n) {
        *n = 0;
    }
    if (!h) {
        return QPSIM_ERR_USAGE;
    }
    qp_api_req q = {0};
    qpsim_status st = begin(h);
    if (st == QPSIM_OK && (!op || !re || !n || levels < 1)) {
        st = qp_api_usage(h, "matrix elements: an operator, levels >= 1 (got %d), re and n are "
                          "needed", levels);
    }
    qp_api_dir *g = NULL;
    if (st == QPSIM_OK) {
        g = qp_api_dir_add(&q, ".matrix", template_of(h, ".matrix"), basis_keys,
                           NKEYS(basis_keys), 0);
        st = g && key_int(g, "levels", levels) ? qp_api_dir_lex(h, g, op) : QPSIM_ERR_NOMEM;
    }
    if (st == QPSIM_OK && g->dv.nargs != 4) { /* NAME ( ARG ) */
        st = qp_api_usage(h, "'%s' is not one operator: n(NODE), phi(JJ), q(QPS), "
                          "cos(JJ|QPS) or sin(JJ|QPS)", op);
    }
    st = st == QPSIM_OK ? qp_api_run(h, &q, 0, NULL, 0) : st;
    if (st == QPSIM_OK) {
        const qp_spectrum_out *s = &q.res.r[0].spec;
        size_t nn = (size_t)s->nlev * (size_t)s->nlev;
        memcpy(re, s->mre, nn * sizeof *re);
        if (im) {
            memcpy(im, s->mim, nn * sizeof *im);
        }
        if (E) {
            memcpy(E, s->levels, (size_t)s->nlev * sizeof *E);
        }
        *n = s->nlev;
    }
    qp_api_req_free(&q);
    return qp_api_end(h, st);
}

/* The wavefunctions of a run moved into the API's result (the run keeps nothing of them). */
static qpsim_wavefunctions *take_wave(const qp_circuit *c, qp_spectrum_out *s)
{
    qpsim_wavefunctions *w = calloc(1, sizeof *w);
    double *E = malloc((size_t)(s->nlev > 0 ? s->nlev : 1) * sizeof *E);
    if (!w || !E) {
        free(w), free(E);
        return NULL;
    }
    qp_wavefunctions *v = &s->wave;
    w->nvar = (int)v->nvar;
    for (size_t k = 0; k < 2; k++) {
        if (k < v->nvar) {
            qp_report_wave_var_name(w->name[k], sizeof w->name[k], c, v, k);
        }
        w->npts[k] = v->npts[k];
        w->x[k] = v->x[k];
        v->x[k] = NULL;
    }
    memcpy(E, s->levels, (size_t)s->nlev * sizeof *E);
    w->E = E;
    w->nlev = v->nlev;
    w->re = v->re, w->im = v->im, w->norm = v->norm;
    v->re = v->im = v->norm = NULL;
    return w;
}

qpsim_status qpsim_wavefunctions_compute(qpsim_circuit *h, int levels, int points,
                                         qpsim_wavefunctions **out)
{
    if (out) {
        *out = NULL;
    }
    if (!h) {
        return QPSIM_ERR_USAGE;
    }
    qp_api_req q = {0};
    qpsim_status st = begin(h);
    if (st == QPSIM_OK && (!out || points < 0)) {
        st = qp_api_usage(h, "wavefunctions: points >= 0 (got %d) and out are needed", points);
    }
    if (st == QPSIM_OK) {
        const qp_directive *w = qp_api_find(h, ".wavefunction");
        qp_api_dir *g = qp_api_dir_add(&q, ".wavefunction", w ? w : qp_api_find(h, ".spectrum"),
                                       wave_keys, NKEYS(wave_keys) - (w ? 0 : 1), 0);
        st = g && (levels <= 0 || key_int(g, "levels", levels)) &&
                     (points == 0 || key_int(g, "points", points))
                 ? qp_api_run(h, &q, 0, NULL, 0)
                 : QPSIM_ERR_NOMEM;
    }
    if (st == QPSIM_OK) {
        *out = take_wave(q.c, &q.res.r[0].spec);
        st = *out ? QPSIM_OK : QPSIM_ERR_NOMEM;
    }
    qp_api_req_free(&q);
    return qp_api_end(h, st);
}

void qpsim_wavefunctions_free(qpsim_wavefunctions *w)
{
    if (w) {
        free(w->x[0]), free(w->x[1]), free(w->E), free(w->re), free(w->im), free(w->norm);
        free(w);
    }
}

/* The bands of a run moved into the API's result. */
static qpsim_bands *take_bands(const qp_circuit *c, qp_bands_out *o)
{
    qpsim_bands *b = calloc(1, sizeof *b);
    if (!b) {
        return NULL;
    }
    qp_bands *t = &o->table;
    snprintf(b->element, sizeof b->element, "%s", c->elem[o->element].name);
    b->dual = o->dual;
    b->nq = t->nq, b->nlev = t->nlev;
    b->q = t->q, b->E = t->E, b->width = t->width, b->gap = t->gap;
    t->q = t->E = t->width = t->gap = NULL;
    b->es_eff = t->es_eff, b->slope_max = t->slope_max;
    b->ec = t->ec, b->ej = t->ej, b->ncut = t->ncut;
    return b;
}

qpsim_status qpsim_bands_compute(qpsim_circuit *h, const char *element, int levels, int points,
                                 qpsim_bands **out)
{
    if (out) {
        *out = NULL;
    }
    if (!h) {
        return QPSIM_ERR_USAGE;
    }
    qp_api_req q = {0};
    qpsim_status st = begin(h);
    const qp_directive *t = st == QPSIM_OK ? qp_api_find(h, ".bands") : NULL;
    if (st == QPSIM_OK && (!out || (!element && !t))) {
        st = qp_api_usage(h, "bands: %s", out ? "no element given and the deck has no .bands"
                                              : "no place for the result given");
    }
    if (st == QPSIM_OK) {
        qp_api_dir *g = qp_api_dir_add(&q, ".bands", t, bands_keys, NKEYS(bands_keys), !element);
        st = g && (!element || qp_api_dir_arg(g, element)) &&
                     (levels <= 0 || key_int(g, "levels", levels)) &&
                     (points <= 0 || key_int(g, "points", points))
                 ? qp_api_run(h, &q, 0, NULL, 0)
                 : QPSIM_ERR_NOMEM;
    }
    if (st == QPSIM_OK) {
        *out = take_bands(q.c, &q.res.r[0].band);
        st = *out ? QPSIM_OK : QPSIM_ERR_NOMEM;
    }
    qp_api_req_free(&q);
    return qp_api_end(h, st);
}

void qpsim_bands_free(qpsim_bands *b)
{
    if (b) {
        free(b->q), free(b->E), free(b->width), free(b->gap);
        free(b);
    }
}

/* The traces and reports of a run moved into the API's result. */
static qpsim_tran *take_tran(const qp_circuit *c, qp_tran_result *r)
{
    qpsim_tran *t = calloc(1, sizeof *t);
    qpsim_tran_freq *f = calloc(r->nfreq ? r->nfreq : 1, sizeof *f);
    if (!t || !f) {
        free(t), free(f);
        return NULL;
    }
    for (size_t i = 0; i < r->nfreq; i++) {
        const qp_tran_freq *x = &r->freq[i];
        snprintf(f[i].element, sizeof f[i].element, "%s", c->elem[x->element].name);
        f[i].dual = x->dual;
        f[i].f_sim = x->f_sim, f[i].f_fft = x->f_fft, f[i].f_theory = x->f_theory;
        f[i].mean_v = x->mean_v, f[i].mean_i = x->mean_i;
        f[i].periods = x->periods;
    }
    t->freq = f;
    t->nfreq = r->nfreq;
    t->nt = r->nt, t->ncol = r->ncol;
    t->names = r->col, t->data = r->data;
    r->col = NULL, r->data = NULL, r->ncol = 0;
    t->steps = r->steps, t->rejected = r->rejected;
    return t;
}

qpsim_status qpsim_tran_compute(qpsim_circuit *h, double tstep, double tstop, qpsim_tran **out)
{
    if (out) {
        *out = NULL;
    }
    if (!h) {
        return QPSIM_ERR_USAGE;
    }
    qp_api_req q = {0};
    qpsim_status st = begin(h);
    const qp_directive *t = st == QPSIM_OK ? qp_api_find(h, ".tran") : NULL;
    if (st == QPSIM_OK && (!out || (!t && !(tstep > 0.0 && tstop > 0.0)))) {
        st = qp_api_usage(h, "tran: %s", out ? "the deck has no .tran: give tstep and tstop"
                                             : "no place for the result given");
    }
    if (st == QPSIM_OK) {
        char a[32], b[32];
        snprintf(a, sizeof a, "%.17g", tstep);
        snprintf(b, sizeof b, "%.17g", tstop);
        qp_api_dir *g = qp_api_dir_add(&q, ".tran", t, tran_keys, NKEYS(tran_keys), 1);
        int ok = g && (t ? ((!(tstep > 0.0) || qp_api_dir_set_arg(g, 0, a)) &&
                            (!(tstop > 0.0) || qp_api_dir_set_arg(g, 1, b)))
                         : qp_api_dir_arg(g, a) && qp_api_dir_arg(g, b));
        st = ok ? qp_api_run(h, &q, 1, NULL, 0) : QPSIM_ERR_NOMEM;
    }
    if (st == QPSIM_OK) {
        *out = take_tran(q.c, &q.res.r[0].tran.run);
        st = *out ? QPSIM_OK : QPSIM_ERR_NOMEM;
    }
    qp_api_req_free(&q);
    return qp_api_end(h, st);
}

void qpsim_tran_free(qpsim_tran *t)
{
    if (t) {
        for (size_t i = 0; t->names && i < t->ncol; i++) {
            free(t->names[i]);
        }
        free(t->names), free(t->data), free(t->freq);
        free(t);
    }
}

const char *qpsim_channel_name(int ch)
{
    return qp_channel_name((qp_channel)ch);
}

qpsim_status qpsim_coherence_compute(qpsim_circuit *h, int from, int to, qpsim_coherence *out)
{
    if (!h) {
        return QPSIM_ERR_USAGE;
    }
    qp_api_req q = {0};
    qpsim_status st = begin(h);
    if (st == QPSIM_OK && !out) {
        st = qp_api_usage(h, "coherence: no place for the result given");
    }
    if (st == QPSIM_OK) {
        const qp_directive *t = qp_api_find(h, ".coherence");
        qp_api_dir *g = t ? qp_api_dir_add(&q, ".coherence", t, coherence_keys,
                                           NKEYS(coherence_keys), 1)
                          : qp_api_dir_add(&q, ".coherence", template_of(h, ".coherence"),
                                           basis_keys, NKEYS(basis_keys), 0);
        st = g && (from < 0 || key_int(g, "from", from)) && (to < 0 || key_int(g, "to", to))
                 ? qp_api_run(h, &q, 0, NULL, 0)
                 : QPSIM_ERR_NOMEM;
    }
    if (st == QPSIM_OK) {
        const qp_coherence_out *o = &q.res.r[0].coh;
        *out = (qpsim_coherence){o->from, o->to, o->f[0], o->temp[0], o->present,
                                 {0}, {0}, o->t1[0], o->t2[0]};
        for (int ch = 0; ch < QPSIM_CHANNELS; ch++) {
            out->rate[ch] = o->rate[ch];
            out->time[ch] = o->rate[ch] > 0.0 ? 1.0 / o->rate[ch] : INFINITY;
        }
    }
    qp_api_req_free(&q);
    return qp_api_end(h, st);
}
