/* Spectrum with automatic cutoffs: solve, grow every cutoff, compare, until converged. */
#include "qpsim/spectrum.h"
#include "analyses/spectrum_impl.h"
#include "analyses/spectrum_dist.h"
#include "operators/ham.h"
#include "operators/kron.h"

#include "base/mem.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Starting cutoffs: enough for typical transmon/fluxonium ratios, cheap when more are needed. */
#define START_CHARGE 10
#define START_FLUXOID 10
#define START_OSC 40

void qp_spectrum_opts_default(qp_spectrum_opts *o)
{
    memset(o, 0, sizeof *o);
    o->levels = 6;
    o->tol = 1e-8;
    o->max_dim = 4000000;
}

const char *qp_spectrum_method_name(qp_spectrum_method m)
{
    return m == QP_SPEC_EXACT          ? "exact"
           : m == QP_SPEC_HIERARCHICAL ? "hierarchical"
           : m == QP_SPEC_MPS          ? "mps"
           : m == QP_SPEC_DISTRIBUTED  ? "distributed"
                                       : "auto";
}

void qp_spectrum_clear(qp_spectrum *s)
{
    free(s->E);
    free(s->cut);
    free(s->group);
    free(s->kept);
    free(s->mre);
    free(s->mim);
    free(s->label);
    free(s->lab_weight);
    memset(s, 0, sizeof *s);
}

static size_t total_dim(const qp_modes *m, const int *cut)
{
    size_t d = 1;
    for (size_t i = 0; i < m->n; i++) {
        size_t di = qp_ham_mode_dim(m->kind[i], cut[i]);
        if (di && d > SIZE_MAX / di) {
            return SIZE_MAX;
        }
        d *= di;
    }
    return d;
}

/* Whether mode i's cutoff is chosen automatically. */
static int is_auto(const qp_modes *m, const qp_spectrum_opts *o, size_t i)
{
    if (o->start_cut && o->start_fixed) {
        return 0;
    }
    switch (m->kind[i]) {
    case QP_MODE_CHARGE:
        return !o->cut_charge;
    case QP_MODE_FLUXOID:
        return !o->cut_fluxoid;
    case QP_MODE_OSC:
        return !o->cut_osc;
    default:
        return 0;
    }
}

/* One growth step of mode i: oscillator states x 1.5, charge/fluxoid cutoffs + max(4, half). */
static void grow_mode(const qp_modes *m, int *cut, size_t i)
{
    cut[i] = m->kind[i] == QP_MODE_OSC ? cut[i] + cut[i] / 2
                                       : cut[i] + (cut[i] / 2 > 4 ? cut[i] / 2 : 4);
}

/* Grows every automatic cutoff once; 0 when there is none. */
static int grow(const qp_modes *m, const qp_spectrum_opts *o, int *cut)
{
    int grew = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (is_auto(m, o, i)) {
            grow_mode(m, cut, i);
            grew = 1;
        }
    }
    return grew;
}

/* Up to this many states the matrix goes straight into a dense array for LAPACK (no triplets,
 * no compressed matrix): a 401-point fluxonium sweep at 60 states spent 40 % of its time on
 * those. The eigensolver's AUTO picks the dense method there anyway. */
#define DENSE_DIRECT_MAX 300

/* Bytes per state of a matrix-free Lanczos solve besides the ARPACK basis: the operator's four
 * complex work vectors and its diagonal (kron.h), and ARPACK's three workspace vectors. */
#define MATFREE_BYTES_PER_STATE (80 + 16 * 3)

/* Lowest levels of the term list K without storing its matrix (Lanczos on the product). */
static qp_status solve_matrix_free(const qp_kron *K, qp_eig_opts *eo, double *E,
                                   qp_eig_info *info, char *err, size_t errlen)
{
    double ncv = fmax(20.0, 2.0 * eo->nev + 1.0); /* eig.c's basis size */
    double need = (double)K->dim * (MATFREE_BYTES_PER_STATE + 16.0 * (ncv + 2.0 * eo->nev));
    if (need > (double)qp_mem_budget()) {
        snprintf(err, errlen,
                 "the product basis of %zu states needs %.3g GiB even without storing the "
                 "Hamiltonian (more than the %.3g GiB budget: 3/4 of this machine's memory); use "
                 ".spectrum method=hierarchical, or smaller cutoffs", K->dim,
                 need / 1073741824.0, (double)qp_mem_budget() / 1073741824.0);
        return QP_ERR_NUMERIC;
    }
    qp_kron_op op;
    qp_linop A;
    qp_status st = qp_kron_linop(K, &op, &A);
    if (st == QP_OK) {
        eo->method = QP_EIG_LANCZOS;
        st = qp_eig_lowest_op(&A, eo, E, NULL, info, err, errlen);
    }
    qp_kron_op_free(&op);
    return st;
}

/* One assembly and solve at the given cutoffs; E receives min(levels, dim) values. The matrix
 * is stored when its entries stay below o->matfree_from (CHOLMOD's factor then fits too);
 * above, the solve is matrix-free (measured on four transmons at ncut 10, 194481 states: 21 s
 * and 85 MB against 15 s and 171 MB stored, so only where storing would not fit). */
static qp_status solve(const qp_modes *m, const int *cut, const qp_spectrum_opts *o,
                       double *E, int *nlev, size_t *dim, qp_eig_info *info, char *err,
                       size_t errlen)
{
    if (o->dim_cap && total_dim(m, cut) > o->dim_cap) { /* a bounded run: before any assembly */
        snprintf(err, errlen, "a basis of %zu states passes this run's cap of %zu states",
                 total_dim(m, cut), o->dim_cap);
        return QP_ERR_NUMERIC;
    }
    qp_kron K;
    qp_status st = qp_ham_terms(m, m, cut, o->grid, o->basis_cache, &K);
    if (st != QP_OK) {
        qp_kron_free(&K);
        if (st == QP_ERR_NUMERIC) {
            snprintf(err, errlen, "the product basis would have more than %zu states", SIZE_MAX);
        }
        return st;
    }
    qp_eig_opts eo;
    qp_eig_opts_default(&eo);
    eo.nev = (size_t)o->levels < K.dim ? o->levels : (int)K.dim;
    eo.cache = o->cache;
    *nlev = eo.nev;
    *dim = K.dim;
    size_t from = o->matfree_from ? o->matfree_from : QP_SPEC_MATFREE_FROM;
    size_t entries = qp_ham_count_entries(&K);
    int fits = (size_t)eo.nev + 2 <= K.dim;
    int matfree = fits && (entries > from || o->method == QP_SPEC_DISTRIBUTED);
    int nproc = o->dist ? o->dist->size : 1;
    /* over the processes when asked, or when one process could not hold the vectors (docs/scale.md) */
    int dist = matfree && nproc > 1 &&
               (o->method == QP_SPEC_DISTRIBUTED ||
                (double)K.dim * (MATFREE_BYTES_PER_STATE + 16.0 * 45.0) > (double)qp_mem_budget());
    if (o->status && K.dim >= QP_SPEC_STATUS_FROM) {
        char line[160];
        double gib = dist      ? qp_spectrum_distributed_bytes(&K, nproc, eo.nev)
                     : matfree ? (double)K.dim * (MATFREE_BYTES_PER_STATE + 16.0 * 45.0)
                               : (double)entries * 56.0;
        snprintf(line, sizeof line, "spectrum: solving %zu states (%s), about %.2g GiB%s", K.dim,
                 matfree ? "matrix-free" : "stored matrix", gib / 1073741824.0,
                 dist ? " per process" : "");
        o->status(o->status_ctx, line);
    }
    if (dist) {
        st = qp_spectrum_distributed(&K, o->dist, &eo, E, info, err, errlen);
        qp_kron_free(&K);
        return st;
    }
    if (matfree) {
        st = solve_matrix_free(&K, &eo, E, info, err, errlen);
        qp_kron_free(&K);
        return st;
    }
    if (K.dim <= DENSE_DIRECT_MAX) { /* small: straight into a dense array */
        double *D = malloc(2 * K.dim * K.dim * sizeof *D);
        int cplx = 0;
        st = D ? qp_ham_expand_dense(&K, D, &cplx) : QP_ERR_NOMEM;
        qp_kron_free(&K);
        if (st == QP_OK) {
            eo.method = QP_EIG_DENSE;
            st = qp_eig_lowest_dense(D, *dim, cplx, &eo, E, NULL, info, err, errlen);
        }
        free(D);
        return st;
    }
    qp_sparse H = {0};
    st = qp_ham_expand(&K, &H, err, errlen);
    qp_kron_free(&K);
    if (st == QP_OK) {
        st = qp_eig_lowest(&H, &eo, E, NULL, info, err, errlen);
    }
    qp_sparse_free(&H);
    return st;
}

/* Starting cutoffs: the fixed ones of o, else START_*; returns whether any is automatic. */
static int start_cutoffs(const qp_modes *m, const qp_spectrum_opts *o, int *cut)
{
    if (o->start_cut && o->start_fixed) {
        memcpy(cut, o->start_cut, m->n * sizeof *cut);
        return 0;
    }
    int automatic = 0;
    for (size_t i = 0; i < m->n; i++) {
        switch (m->kind[i]) {
        case QP_MODE_CHARGE:
            cut[i] = o->cut_charge ? o->cut_charge : START_CHARGE;
            automatic |= !o->cut_charge;
            break;
        case QP_MODE_FLUXOID:
            cut[i] = o->cut_fluxoid ? o->cut_fluxoid : START_FLUXOID;
            automatic |= !o->cut_fluxoid;
            break;
        case QP_MODE_OSC:
            cut[i] = o->cut_osc ? o->cut_osc : START_OSC;
            automatic |= !o->cut_osc;
            break;
        default:
            cut[i] = 0;
        }
    }
    for (size_t i = 0; o->start_cut && i < m->n; i++) {
        if (is_auto(m, o, i) && o->start_cut[i] > cut[i]) {
            cut[i] = o->start_cut[i];
        }
    }
    return automatic;
}

/* Working arrays of the convergence loop (levels: o->levels each, per mode: m->n each). */
typedef struct {
    double *prev;  /* the levels at the current cutoffs (nprev of them) */
    double *trial; /* the levels when one mode grows */
    double *cand;  /* trial of the first mode that must grow */
    int *next;     /* the cutoffs with one mode grown */
    int *want;     /* want[i]: mode i must grow */
    int nprev;
    size_t nauto;  /* automatic modes */
} work;

/* One round of per-mode checks (spectrum_coupled's comment says how). */
typedef struct {
    double total;    /* sum of the modes' level changes delta_i */
    size_t ngrow;    /* modes with delta_i > tol / nauto */
    int cand_nlev;   /* w->cand holds this many levels ... */
    size_t cand_dim; /* ... at this basis size */
} round_result;

/* Grows each automatic mode alone from out->cut, solves, and measures how far the wanted levels
 * move; marks w->want. QP_ERR_NUMERIC (message in err) when a grown basis passes o->max_dim. */
static qp_status check_modes(const qp_modes *m, const qp_spectrum_opts *o, qp_spectrum *out,
                             work *w, round_result *r, char *err, size_t errlen)
{
    qp_status st = QP_OK;
    for (size_t i = 0; i < m->n && st == QP_OK; i++) {
        w->want[i] = 0;
        if (!is_auto(m, o, i)) {
            continue;
        }
        memcpy(w->next, out->cut, m->n * sizeof *w->next);
        grow_mode(m, w->next, i);
        size_t d = total_dim(m, w->next);
        if (d > o->max_dim) {
            if (out->steps > 1) {
                snprintf(err, errlen,
                         "the levels did not converge to %g GHz: growing mode %zu would need "
                         "%zu states (more than %zu); last change %.3g GHz at %zu states",
                         o->tol, i + 1, d, o->max_dim, r->total > 0.0 ? r->total : out->delta,
                         out->dim);
            } else {
                snprintf(err, errlen,
                         "the levels could not be checked to %g GHz: growing mode %zu would "
                         "need %zu states (more than %zu); give fixed cutoffs with .spectrum "
                         "ncut=/nho=", o->tol, i + 1, d, o->max_dim);
            }
            st = QP_ERR_NUMERIC;
            break;
        }
        int nlev = 0;
        size_t dim = 0;
        st = solve(m, w->next, o, w->trial, &nlev, &dim, &out->info, err, errlen);
        out->steps++;
        if (st != QP_OK) {
            break;
        }
        double delta = nlev == w->nprev ? 0.0 : INFINITY;
        for (int k = 0; k < nlev && k < w->nprev; k++) {
            delta = fmax(delta, fabs(w->trial[k] - w->prev[k]));
        }
        r->total += delta;
        if (delta > o->tol / (double)w->nauto) {
            w->want[i] = 1;
            if (++r->ngrow == 1) { /* the levels at these cutoffs, if only this mode grows */
                memcpy(w->cand, w->trial, (size_t)nlev * sizeof *w->cand);
                r->cand_nlev = nlev;
                r->cand_dim = dim;
            }
        }
    }
    return st;
}

/* Rounds of check_modes until the summed change is within o->tol (out->E then holds the levels
 * at the final cutoffs), growing the modes that must grow in between. */
static qp_status converge(const qp_modes *m, const qp_spectrum_opts *o, qp_spectrum *out,
                          work *w, char *err, size_t errlen)
{
    qp_status st = QP_OK;
    for (;;) {
        round_result r = {0};
        st = check_modes(m, o, out, w, &r, err, errlen);
        if (st != QP_OK) {
            break;
        }
        out->checked = 1;
        out->delta = r.total;
        if (r.total <= o->tol) { /* the levels at the current cutoffs are the answer */
            memcpy(out->E, w->prev, (size_t)w->nprev * sizeof *w->prev);
            out->nlev = w->nprev;
            break;
        }
        for (size_t i = 0; i < m->n; i++) {
            if (w->want[i]) {
                grow_mode(m, out->cut, i);
            }
        }
        if (r.ngrow == 1) {
            memcpy(w->prev, w->cand, (size_t)r.cand_nlev * sizeof *w->prev);
            w->nprev = r.cand_nlev;
            out->dim = r.cand_dim;
            continue;
        }
        size_t d = total_dim(m, out->cut);
        if (d > o->max_dim) {
            snprintf(err, errlen,
                     "the levels did not converge to %g GHz: the next basis would have %zu "
                     "states (more than %zu); last change %.3g GHz at %zu states",
                     o->tol, d, o->max_dim, r.total, out->dim);
            st = QP_ERR_NUMERIC;
            break;
        }
        st = solve(m, out->cut, o, w->prev, &w->nprev, &out->dim, &out->info, err, errlen);
        out->steps++;
        if (st != QP_OK) {
            break;
        }
    }
    return st;
}

/* The spectrum of one group of coupled modes (the whole circuit when all are coupled). */
static qp_status spectrum_coupled(const qp_modes *m, const qp_spectrum_opts *o, qp_spectrum *out,
                                  char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->nmodes = m->n;
    out->cut = calloc(m->n ? m->n : 1, sizeof *out->cut);
    out->E = calloc((size_t)o->levels, sizeof *out->E);
    work w = {0};
    w.prev = calloc((size_t)o->levels, sizeof *w.prev);
    w.trial = calloc((size_t)o->levels, sizeof *w.trial);
    w.cand = calloc((size_t)o->levels, sizeof *w.cand);
    w.next = calloc(m->n ? m->n : 1, sizeof *w.next);
    w.want = calloc(m->n ? m->n : 1, sizeof *w.want);
    qp_status st = QP_OK;
    if (!out->cut || !out->E || !w.prev || !w.trial || !w.cand || !w.next || !w.want) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    int automatic = start_cutoffs(m, o, out->cut);
    /* Small bases first grow until they hold the wanted number of levels. */
    while (automatic && total_dim(m, out->cut) < (size_t)o->levels && grow(m, o, out->cut)) {
    }
    /* Per-mode convergence: from the current cutoffs, grow each automatic mode alone and
     * measure how far the wanted levels move (its truncation error, delta_i). Converged when
     * sum_i delta_i <= tol; otherwise every mode with delta_i > tol / (number of automatic
     * modes) grows and the check repeats. Modes that are already converged stay small, which
     * matters for product bases (0-pi: a charge mode and two oscillators). */
    size_t d0 = total_dim(m, out->cut);
    if (automatic && d0 > o->max_dim) { /* refused before anything is allocated */
        double states = 1.0; /* the count itself, which may not fit a size_t */
        for (size_t i = 0; i < m->n; i++) {
            states *= (double)qp_ham_mode_dim(m->kind[i], out->cut[i]);
        }
        snprintf(err, errlen,
                 "the product basis of %zu coupled modes would have %.15g states at the "
                 "starting cutoffs (more than %zu); use .spectrum method=hierarchical with "
                 "groups= that split them, or smaller cutoffs",
                 m->n, states, o->max_dim);
        st = QP_ERR_NUMERIC;
        goto done;
    }
    st = solve(m, out->cut, o, w.prev, &w.nprev, &out->dim, &out->info, err, errlen);
    out->steps = 1;
    if (st != QP_OK || !automatic) {
        memcpy(out->E, w.prev, (size_t)w.nprev * sizeof *w.prev);
        out->nlev = w.nprev;
        goto done;
    }
    for (size_t i = 0; i < m->n; i++) {
        w.nauto += (size_t)is_auto(m, o, i);
    }
    st = converge(m, o, out, &w, err, errlen);
done:
    free(w.prev);
    free(w.trial);
    free(w.cand);
    free(w.next);
    free(w.want);
    if (st != QP_OK) {
        qp_spectrum_clear(out);
    }
    return st;
}

/* Groups of modes that no term couples: comp[i] receives the group of mode i; returns the count. */
static size_t mode_groups(const qp_modes *m, int *comp)
{
    size_t n = m->n;
    for (size_t i = 0; i < n; i++) {
        comp[i] = (int)i;
    }
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < n; j++) {
                int coupled = i != j && (m->Lm[i * n + j] != 0.0 || m->Ac[i * n + j] != 0.0);
                for (size_t k = 0; k < m->ncos && !coupled; k++) {
                    coupled = i != j && m->cos[k].c[i] != 0.0 && m->cos[k].c[j] != 0.0;
                }
                if (coupled && comp[i] != comp[j]) {
                    int lo = comp[i] < comp[j] ? comp[i] : comp[j];
                    comp[i] = comp[j] = lo;
                    changed = 1;
                }
            }
        }
    }
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        ng += comp[i] == (int)i;
    }
    return ng;
}

qp_modes *qp_spectrum_sub_modes(const qp_modes *m, const int *comp, int g, int with_free,
                                size_t *idx)
{
    size_t n = m->n, k = 0;
    for (size_t i = 0; i < n; i++) {
        if (comp[i] == g) {
            idx[k++] = i;
        }
    }
    qp_modes *s = calloc(1, sizeof *s);
    if (!s) {
        return NULL;
    }
    s->n = k;
    s->kind = calloc(k ? k : 1, sizeof *s->kind);
    s->Lm = calloc(k ? k * k : 1, sizeof *s->Lm), s->Ac = calloc(k ? k * k : 1, sizeof *s->Ac);
    s->lphi = calloc(k ? k : 1, sizeof *s->lphi), s->lp = calloc(k ? k : 1, sizeof *s->lp);
    s->cos = calloc(m->ncos ? m->ncos : 1, sizeof *s->cos);
    if (!s->kind || !s->Lm || !s->Ac || !s->lphi || !s->lp || !s->cos) {
        qp_modes_free(s);
        return NULL;
    }
    s->cst = with_free ? m->cst : 0.0;
    for (size_t a = 0; a < k; a++) {
        s->kind[a] = m->kind[idx[a]];
        s->lphi[a] = m->lphi[idx[a]];
        s->lp[a] = m->lp[idx[a]];
        for (size_t b = 0; b < k; b++) {
            s->Lm[a * k + b] = m->Lm[idx[a] * n + idx[b]];
            s->Ac[a * k + b] = m->Ac[idx[a] * n + idx[b]];
        }
    }
    for (size_t t = 0; t < m->ncos; t++) {
        int touches = 0, outside = 0;
        for (size_t i = 0; i < n; i++) {
            touches |= m->cos[t].c[i] != 0.0;
            outside |= m->cos[t].c[i] != 0.0 && comp[i] != g;
        }
        if (outside || (!touches && !with_free)) {
            continue;
        }
        qp_cos_term ct = m->cos[t];
        ct.c = calloc(k ? k : 1, sizeof *ct.c);
        if (!ct.c) {
            qp_modes_free(s);
            return NULL;
        }
        for (size_t a = 0; a < k; a++) {
            ct.c[a] = m->cos[t].c[idx[a]];
        }
        s->cos[s->ncos++] = ct;
    }
    return s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

size_t qp_spectrum_largest_start(const qp_modes *m, const qp_spectrum_opts *o)
{
    int *comp = calloc(m->n ? m->n : 1, sizeof *comp), *cut = calloc(m->n ? m->n : 1, sizeof *cut);
    size_t largest = 0;
    if (comp && cut) {
        mode_groups(m, comp);
        start_cutoffs(m, o, cut);
        for (size_t g = 0; g < m->n; g++) {
            size_t d = 1;
            for (size_t i = 0; i < m->n; i++) {
                size_t di = comp[i] == (int)g ? qp_ham_mode_dim(m->kind[i], cut[i]) : 1;
                d = di && d > SIZE_MAX / di ? SIZE_MAX : d * di;
            }
            largest = d > largest ? d : largest;
        }
    } else {
        largest = SIZE_MAX;
    }
    free(comp), free(cut);
    return largest;
}

qp_status qp_spectrum_exact(const qp_modes *m, const qp_spectrum_opts *o, qp_spectrum *out,
                            char *err, size_t errlen)
{
    int *comp = calloc(m->n ? m->n : 1, sizeof *comp);
    size_t *idx = calloc(m->n ? m->n : 1, sizeof *idx);
    if (!comp || !idx) {
        free(comp), free(idx);
        return QP_ERR_NOMEM;
    }
    size_t ng = m->n ? mode_groups(m, comp) : 0;
    if (ng <= 1) {
        free(comp), free(idx);
        return spectrum_coupled(m, o, out, err, errlen);
    }
    /* Uncoupled groups: solve each alone, then the levels are the lowest sums of one level from
     * each group (a product basis of the whole would grow as the product of the group sizes). */
    memset(out, 0, sizeof *out);
    out->nmodes = m->n;
    out->cut = calloc(m->n, sizeof *out->cut);
    int L = o->levels;
    double *acc = malloc((size_t)L * sizeof *acc), *pair = malloc((size_t)L * L * sizeof *pair);
    int nacc = 0;
    qp_status st = out->cut && acc && pair ? QP_OK : QP_ERR_NOMEM;
    int first = comp[0];
    out->checked = 1;
    for (size_t g = 0; g < m->n && st == QP_OK; g++) {
        if (comp[g] != (int)g) {
            continue;
        }
        qp_modes *s = qp_spectrum_sub_modes(m, comp, (int)g, (int)g == first, idx);
        qp_spectrum part;
        if (!s) {
            st = QP_ERR_NOMEM;
            break;
        }
        qp_spectrum_opts po = *o; /* the part's own starting cutoffs */
        int *sc = o->start_cut ? malloc(s->n * sizeof *sc) : NULL;
        for (size_t a = 0; sc && a < s->n; a++) {
            sc[a] = o->start_cut[idx[a]];
        }
        po.start_cut = sc;
        st = o->start_cut && !sc ? QP_ERR_NOMEM : spectrum_coupled(s, &po, &part, err, errlen);
        free(sc);
        if (st == QP_OK) {
            for (size_t a = 0; a < s->n; a++) {
                out->cut[idx[a]] = part.cut[a];
            }
            out->dim = out->dim ? out->dim + part.dim : part.dim;
            out->delta += part.delta;
            out->checked &= part.checked;
            out->steps += part.steps;
            out->info = part.info;
            int np = 0;
            if (nacc == 0) {
                memcpy(pair, part.E, (size_t)part.nlev * sizeof *pair);
                np = part.nlev;
            } else {
                for (int a = 0; a < nacc; a++) {
                    for (int b = 0; b < part.nlev; b++) {
                        pair[np++] = acc[a] + part.E[b];
                    }
                }
            }
            qsort(pair, (size_t)np, sizeof *pair, cmp_double);
            nacc = np < L ? np : L;
            memcpy(acc, pair, (size_t)nacc * sizeof *acc);
            qp_spectrum_clear(&part);
        }
        qp_modes_free(s);
    }
    if (st == QP_OK) {
        out->E = acc;
        out->nlev = nacc;
        acc = NULL;
    } else {
        qp_spectrum_clear(out);
    }
    free(acc), free(pair), free(comp), free(idx);
    return st;
}
