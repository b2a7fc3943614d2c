/* Hierarchical diagonalization (docs/physics.md, "Hierarchical diagonalization"): every group of
 * modes is solved alone at converged cutoffs; the terms that couple groups are carried into the
 * groups' eigenbases; the coupled problem is solved on the product of kept states whose summed
 * excitation energies lie below a cutoff Ecut, and Ecut grows until the levels settle. */
#include "analyses/hier_impl.h"
#include "operators/ham.h"
#include "operators/kron.h"

#include "base/mem.h"
#include "base/vec.h"

#include "qpsim/units.h"

#include <complex.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ECUT_GROWTH 1.3 /* Ecut grows by this factor between checks */
#define KEPT_GROWTH 1.5 /* two solves are compared only when the kept set grew by this factor:
                           a few added states that barely couple to the low ones would make two
                           solves agree long before the levels converge (0-pi split into three
                           groups: 4 and 5 kept states agreed at 0.69 GHz from the answer) */
#define KEPT_MAX 3.0    /* nor by more than this factor, where Ecut allows (many groups) */
#define ECUT_FIRST 2.0  /* the first Ecut: this many times the spread of the uncoupled levels */
#define GROUP_TOL 0.1   /* group levels are converged to this fraction of o->tol */
#define FIRST_STATES 8  /* states computed per group at first (doubled when Ecut needs more) */
#define MF_ITER 3 /* mean-field rounds of the extended groups (dress_all) */
#define WELL_GRID 2000  /* points of the scan of a well on each side */
#define WELL_SHARE 0.9  /* states kept up to this share of the well's depth */


static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

size_t qp_hier_default_groups(const qp_modes *m, int *group)
{
    size_t n = m->n, ng = 0;
    int *root = malloc((n ? n : 1) * sizeof *root);
    if (!root) {
        for (size_t i = 0; i < n; i++) {
            group[i] = 0;
        }
        return n ? 1 : 0;
    }
    for (size_t i = 0; i < n; i++) {
        root[i] = (int)i;
    }
    for (size_t t = 0; t < m->ncos; t++) { /* join every mode of a cosine to its first mode */
        int first = -1;
        for (size_t i = 0; i < n; i++) {
            if (m->cos[t].c[i] == 0.0) {
                continue;
            }
            int a = (int)i;
            while (root[a] != a) {
                a = root[a];
            }
            if (first < 0) {
                first = a;
            } else if (a != first) {
                root[a > first ? a : first] = a < first ? a : first;
                first = a < first ? a : first;
            }
        }
    }
    for (size_t i = 0; i < n; i++) { /* number the roots in order of first appearance */
        int a = (int)i;
        while (root[a] != a) {
            a = root[a];
        }
        group[i] = -1 - a;
    }
    for (size_t i = 0; i < n; i++) {
        if (group[i] < 0) {
            int tag = group[i];
            for (size_t j = i; j < n; j++) {
                if (group[j] == tag) {
                    group[j] = (int)ng;
                }
            }
            ng++;
        }
    }
    free(root);
    return ng;
}

/* ------------------------------------------------------------------ the groups alone */

static void group_free(group_t *g)
{
    qp_modes_free(g->sub);
    free(g->mode), free(g->cut), free(g->e), free(g->V);
    memset(g, 0, sizeof *g);
}

/* dress_all, a group of one extended mode: the depth vb of the well the stiff junctions make
 * along it (the potential where the first of them reaches phase pi, the lower side, above the
 * lowest point in between) and the states that fit in it by the harmonic spacing sqrt(2 A K)
 * of its stiff curvature K, so that no group is asked for states above the well, where an
 * extended mode's potential (a sum of cosines) holds no bound state. */
static void well_depth(group_t *g, double vslip)
{
    const qp_modes *s = g->sub;
    g->cap = SIZE_MAX;
    g->vb = INFINITY;
    double cmax = 0.0, K = s->n == 1 ? s->Lm[0] : 0.0;
    for (size_t t = 0; s->n == 1 && t < s->ncos; t++) {
        if (s->cos[t].stiff) {
            cmax = fmax(cmax, fabs(s->cos[t].c[0]));
            K += fabs(s->cos[t].E) * s->cos[t].c[0] * s->cos[t].c[0];
        }
    }
    if (cmax == 0.0 || !(K > 0.0) || !(s->Ac[0] > 0.0)) {
        return;
    }
    double xb = QP_PI / cmax, vmin = INFINITY, side[2] = {0.0, 0.0};
    for (int k = -WELL_GRID; k <= WELL_GRID; k++) {
        double x = xb * k / WELL_GRID, v = 0.5 * s->Lm[0] * x * x + s->lphi[0] * x;
        for (size_t t = 0; t < s->ncos; t++) {
            v -= s->cos[t].E * cos(s->cos[t].c[0] * x + s->cos[t].shift);
        }
        vmin = fmin(vmin, v);
        if (k == -WELL_GRID || k == WELL_GRID) {
            side[k > 0] = v;
        }
    }
    g->vb = fmin(fmin(side[0], side[1]) - vmin, vslip);
    double w = sqrt(2.0 * s->Ac[0] * K);
    g->cap = g->vb > 0.0 ? (size_t)(WELL_SHARE * g->vb / w) + 1 : 1;
    g->cap = g->cap < 2 ? 2 : g->cap;
}

/* Converges group g's cutoffs for its lowest L states, then computes them with vectors; with
 * dress_all only those in the well are kept. */
static qp_status group_solve(hier *h, group_t *g, size_t L)
{
    L = L < g->cap ? L : g->cap;
    qp_spectrum_opts o = *h->o;
    o.levels = (int)L;
    o.tol = h->o->tol * GROUP_TOL;
    o.method = QP_SPEC_EXACT;
    o.groups = NULL;
    o.start_cut = NULL;
    o.status = NULL; /* the hierarchy speaks for its groups */
    qp_spectrum s;
    qp_status st = qp_spectrum_exact(g->sub, &o, &s, h->err, h->errlen);
    if (st != QP_OK) {
        return st;
    }
    size_t nm = g->sub->n;
    memcpy(g->cut, s.cut, nm * sizeof *g->cut);
    g->steps += s.steps;
    qp_spectrum_clear(&s);
    qp_sparse H = {0};
    st = qp_ham_assemble(g->sub, g->cut, h->o->grid, &H, h->err, h->errlen);
    if (st != QP_OK) {
        return st;
    }
    g->D = H.n;
    g->L = L < H.n ? L : H.n;
    if ((double)g->D * (double)g->L * 16.0 > (double)qp_mem_budget()) {
        snprintf(h->err, h->errlen,
                 "hierarchical: %zu states of a group of %zu would need %.3g GiB", g->L, g->D,
                 (double)g->D * (double)g->L * 16.0 / 1073741824.0);
        qp_sparse_free(&H);
        return QP_ERR_NUMERIC;
    }
    free(g->e), free(g->V);
    g->e = malloc(g->L * sizeof *g->e);
    g->V = malloc(g->D * g->L * sizeof *g->V);
    if (!g->e || !g->V) {
        qp_sparse_free(&H);
        return QP_ERR_NOMEM;
    }
    qp_eig_opts eo;
    qp_eig_opts_default(&eo);
    eo.nev = (int)g->L;
    eo.want_vectors = 1;
    eo.cache = h->o->cache;
    if (g->L + 2 > g->D) {
        eo.method = QP_EIG_DENSE; /* ARPACK needs nev < n - 1 */
    }
    st = qp_eig_lowest(&H, &eo, g->e, (double *)g->V, NULL, h->err, h->errlen);
    qp_sparse_free(&H);
    while (st == QP_OK && g->L > 2 && g->e[g->L - 1] - g->e[0] > WELL_SHARE * g->vb) {
        g->L--; /* above the well: not a state of the extended mode */
    }
    return st;
}

/* ------------------------------------------------------------------ the coupling terms */

/* The product of term t's factors that lie in group gi, applied to x (group gi's basis):
 * y = (kron over the group's modes) x, through a one-term operator on the group's slots. */
static qp_status group_factor_apply(const hier *h, const group_t *g, const qp_kron_term *t,
                                    const double complex *x, double complex *y,
                                    double complex *work)
{
    size_t *dims = malloc(g->nm * sizeof *dims), *slot = malloc(g->nm * sizeof *slot);
    qp_factor *f = malloc(g->nm * sizeof *f);
    qp_kron K = {0};
    qp_status st = dims && slot && f ? QP_OK : QP_ERR_NOMEM;
    for (size_t a = 0; a < g->nm && st == QP_OK; a++) {
        dims[a] = h->K.dims[g->mode[a]];
    }
    if (st == QP_OK) {
        st = qp_kron_init(&K, g->nm, dims);
    }
    if (st == QP_OK) {
        qp_kron_term one = {1.0, 0, 0, slot, f};
        for (size_t j = 0; j < t->nf; j++) {
            for (size_t a = 0; a < g->nm; a++) {
                if (g->mode[a] == t->slot[j]) {
                    slot[one.nf] = a;
                    f[one.nf++] = t->f[j]; /* borrowed */
                }
            }
        }
        K.t = &one;
        K.nterm = 1;
        qp_kron_apply(&K, x, y, work);
        K.t = NULL;
        K.nterm = 0;
    }
    qp_kron_free(&K);
    free(dims), free(slot), free(f);
    return st;
}

/* F = V^H A V (L x L) for the group's part A of term t. */
static qp_status dress(const hier *h, const group_t *g, const qp_kron_term *t, double complex *F)
{
    double complex *w = malloc(3 * g->D * sizeof *w);
    if (!w) {
        return QP_ERR_NOMEM;
    }
    qp_status st = QP_OK;
    for (size_t b = 0; b < g->L && st == QP_OK; b++) {
        st = group_factor_apply(h, g, t, g->V + b * g->D, w, w + g->D);
        for (size_t a = 0; a < g->L && st == QP_OK; a++) {
            const double complex *va = g->V + a * g->D;
            double complex sum = 0.0;
            for (size_t i = 0; i < g->D; i++) {
                sum += conj(va[i]) * w[i];
            }
            F[a + b * g->L] = sum;
        }
    }
    free(w);
    return st;
}

/* The groups a term touches (ascending, into gs); returns their number. */
static size_t term_groups(const qp_kron_term *t, const int *group, size_t *gs)
{
    size_t n = 0;
    for (size_t j = 0; j < t->nf; j++) {
        size_t g = (size_t)group[t->slot[j]], k = 0;
        while (k < n && gs[k] != g) {
            k++;
        }
        if (k == n) {
            gs[n++] = g;
        }
    }
    qsort(gs, n, sizeof *gs, cmp_size);
    return n;
}

/* The cosines of m that stay inside one group (shallow copies, the array to free): the bases of
 * h->K must be the groups' own, and a group's basis length sees only its own cosines
 * (qp_ham_basis_geom), not those that couple it to other groups. */
static qp_cos_term *group_cosines(const qp_modes *m, const int *group, size_t *count)
{
    qp_cos_term *c = malloc((m->ncos ? m->ncos : 1) * sizeof *c);
    *count = 0;
    for (size_t t = 0; c && t < m->ncos; t++) {
        int g = -1, inside = 1;
        for (size_t i = 0; i < m->n; i++) {
            if (m->cos[t].c[i] != 0.0) {
                inside &= g < 0 || g == group[i];
                g = group[i];
            }
        }
        if (inside) {
            c[(*count)++] = m->cos[t];
        }
    }
    return c;
}

/* Cosine t restricted to the modes of group g (the others at their centre), appended to
 * out[*count] with its own coefficient array; 0 out of memory. */
static int push_restricted(const hier *h, size_t t, const int *group, int g, const size_t *idx,
                           size_t k, qp_cos_term *out, size_t *count)
{
    const qp_modes *m = h->m;
    qp_cos_term ct = m->cos[t];
    double complex z = h->mf[t * h->ngroups + (size_t)g];
    ct.E *= cabs(z); /* -E Re(exp(i(c x + s)) z): the other groups averaged */
    ct.shift += carg(z);
    size_t len = idx ? k : m->n;
    ct.c = calloc(len ? len : 1, sizeof *ct.c);
    if (!ct.c) {
        return 0;
    }
    for (size_t a = 0; a < len; a++) {
        size_t i = idx ? idx[a] : a;
        ct.c[a] = group[i] == g ? m->cos[t].c[i] : 0.0;
    }
    out[(*count)++] = ct;
    return 1;
}

/* Whether cosine t acts on a mode of group g, and on one of another group. */
static void touches(const qp_modes *m, size_t t, const int *group, int g, int *in, int *out)
{
    *in = *out = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (m->cos[t].c[i] != 0.0) {
            *in |= group[i] == g;
            *out |= group[i] != g;
        }
    }
}

/* dress_all: group g's own modes with the cosines inside it and those that span it and other
 * groups restricted to it (qp_spectrum_sub_modes keeps only the former); NULL out of memory. */
static qp_modes *restricted_sub(const hier *h, const int *group, int g, size_t *idx)
{
    const qp_modes *m = h->m;
    qp_modes *s = qp_spectrum_sub_modes(m, group, g, 0, idx);
    for (size_t t = 0; s && t < m->ncos; t++) {
        int in, out;
        touches(m, t, group, g, &in, &out);
        if (in && out && !push_restricted(h, t, group, g, idx, s->n, s->cos, &s->ncos)) {
            qp_modes_free(s);
            s = NULL;
        }
    }
    return s;
}

/* dress_all: every cosine restricted to every group it acts on (n-mode coefficient arrays, to
 * free with the array): the cosines the groups were solved with, which fix their bases. */
static qp_cos_term *all_restricted(const hier *h, const int *group, size_t *count)
{
    const qp_modes *m = h->m;
    size_t ngroups = h->ngroups;
    size_t cap = m->ncos * ngroups;
    qp_cos_term *c = malloc((cap ? cap : 1) * sizeof *c);
    *count = 0;
    for (size_t t = 0; c && t < m->ncos; t++) {
        for (size_t g = 0; g < ngroups; g++) {
            int in, out;
            touches(m, t, group, (int)g, &in, &out);
            if (in && !push_restricted(h, t, group, (int)g, NULL, 0, c, count)) {
                for (size_t k = 0; k < *count; k++) {
                    free(c[k].c);
                }
                free(c);
                return NULL;
            }
        }
    }
    return c;
}

qp_status qp_hier_basis(const hier *h, const int *group, qp_modes *basis, int *cut)
{
    const qp_modes *m = h->m;
    for (size_t gi = 0; gi < h->ngroups; gi++) {
        for (size_t a = 0; a < h->G[gi].nm; a++) {
            cut[h->G[gi].mode[a]] = h->G[gi].cut[a];
        }
    }
    *basis = *m; /* m with the cosines the groups were solved with: their bases */
    basis->cos = h->dress_all ? all_restricted(h, group, &basis->ncos)
                              : group_cosines(m, group, &basis->ncos);
    return basis->cos ? QP_OK : QP_ERR_NOMEM;
}

void qp_hier_basis_free(const hier *h, qp_modes *basis)
{
    for (size_t k = 0; h->dress_all && basis->cos && k < basis->ncos; k++) {
        free(basis->cos[k].c);
    }
    free(basis->cos);
    basis->cos = NULL;
}

void qp_hier_cross_free(cross_t *X, size_t nx)
{
    for (size_t k = 0; X && k < nx; k++) {
        for (size_t j = 0; j < X[k].ng; j++) {
            free(X[k].F[j]);
        }
        free(X[k].g), free(X[k].F);
    }
    free(X);
}

qp_status qp_hier_dress_terms(const hier *h, const int *group, const qp_kron *K, int all,
                              cross_t **Xout, size_t *nxout, double complex *cst)
{
    size_t nx = 0;
    cross_t *X = calloc(K->nterm ? K->nterm : 1, sizeof *X);
    size_t *gs = malloc((h->ngroups ? h->ngroups : 1) * sizeof *gs);
    qp_status st = X && gs ? QP_OK : QP_ERR_NOMEM;
    *cst = st == QP_OK ? K->cst : 0.0;
    for (size_t k = 0; k < K->nterm && st == QP_OK; k++) {
        const qp_kron_term *t = &K->t[k];
        size_t ng = term_groups(t, group, gs);
        if (ng == 0) { /* a constant: coef (+ its conjugate) on the diagonal */
            *cst += t->herm ? 2.0 * creal(t->coef) : t->coef;
            continue;
        }
        if (ng == 1 && !all) { /* inside one group: already in its own Hamiltonian */
            continue;
        }
        cross_t *x = &X[nx++];
        x->coef = t->coef;
        x->herm = t->herm;
        x->g = malloc(ng * sizeof *x->g);
        x->F = calloc(ng, sizeof *x->F);
        if (!x->g || !x->F) {
            st = QP_ERR_NOMEM;
            break;
        }
        x->ng = ng;
        for (size_t j = 0; j < ng && st == QP_OK; j++) {
            const group_t *g = &h->G[gs[j]];
            x->g[j] = gs[j];
            x->F[j] = malloc(g->L * g->L * sizeof *x->F[j]);
            if (!x->F[j]) {
                st = QP_ERR_NOMEM;
                break;
            }
            /* the term's factors in this group only: a view of t restricted to the group */
            st = dress(h, g, t, x->F[j]);
        }
    }
    free(gs);
    if (st != QP_OK) {
        qp_hier_cross_free(X, nx);
        X = NULL, nx = 0;
    }
    *Xout = X;
    *nxout = nx;
    return st;
}

/* Builds h->K on the groups' cutoffs, the constant, and the dressed coupling terms. */
static qp_status build_cross(hier *h, const int *group)
{
    const qp_modes *m = h->m;
    int *cut = malloc((m->n ? m->n : 1) * sizeof *cut);
    qp_kron_free(&h->K);
    qp_hier_cross_free(h->X, h->nx);
    h->X = NULL, h->nx = 0;
    qp_modes basis = {0};
    qp_status st = cut ? qp_hier_basis(h, group, &basis, cut) : QP_ERR_NOMEM;
    if (st == QP_OK) {
        st = qp_ham_terms(&basis, m, cut, h->o->grid, NULL, &h->K);
        /* a product of the modes' bases too large to index is no obstacle here: only each
         * slot's factors are dressed, the product states are the kept tuples */
        st = st == QP_ERR_NUMERIC ? QP_OK : st;
    }
    qp_hier_basis_free(h, &basis);
    double complex cst = 0.0;
    if (st == QP_OK) {
        st = qp_hier_dress_terms(h, group, &h->K, h->dress_all, &h->X, &h->nx, &cst);
    }
    h->cst = creal(cst);
    free(cut);
    return st;
}

/* .matrix on the converged kept states P: the vectors of the levels, then every operator of
 * h->o (o->op_terms on h->m) dressed into the kept states, into out->mre/mim. */
static qp_status hier_matrix(hier *h, const int *group, const prodset *P, qp_spectrum *out)
{
    const qp_spectrum_opts *o = h->o;
    size_t n = P->n, nq = o->nops;
    int nlev = 0;
    double *E = malloc((size_t)o->levels * sizeof *E);
    double complex *V = malloc(n * (size_t)o->levels * sizeof *V);
    int *cut = malloc((h->m->n ? h->m->n : 1) * sizeof *cut);
    qp_modes basis = {0};
    qp_status st = E && V && cut ? qp_hier_basis(h, group, &basis, cut) : QP_ERR_NOMEM;
    qp_eig_info info;
    if (st == QP_OK) { /* the converged solve again, with its vectors */
        st = qp_hier_solve_at(h, P, E, &nlev, (double *)V, &info);
    }
    if (st == QP_OK && nlev != out->nlev) { /* the same kept states: cannot differ */
        snprintf(h->err, h->errlen, "hierarchical: the states' solve gave %d levels, not %d",
                 nlev, out->nlev);
        st = QP_ERR_NUMERIC;
    }
    size_t L = (size_t)nlev;
    if (st == QP_OK) {
        size_t count = nq * L * L;
        out->mre = calloc(count ? count : 1, sizeof *out->mre);
        out->mim = calloc(count ? count : 1, sizeof *out->mim);
        st = out->mre && out->mim ? QP_OK : QP_ERR_NOMEM;
        out->nops = nq;
    }
    for (size_t q = 0; q < nq && st == QP_OK; q++) {
        qp_modes *terms = NULL;
        qp_kron K;
        memset(&K, 0, sizeof K);
        cross_t *X = NULL;
        size_t nx = 0;
        double complex cst = 0.0;
        st = o->op_terms(o->op_ctx, h->m, q, &terms, h->err, h->errlen);
        if (st == QP_OK) {
            st = qp_ham_terms(&basis, terms, cut, o->grid, NULL, &K);
            st = st == QP_ERR_NUMERIC ? QP_OK : st; /* only the factors are used */
        }
        if (st == QP_OK) {
            st = qp_hier_dress_terms(h, group, &K, 1, &X, &nx, &cst);
        }
        if (st == QP_OK) {
            st = qp_hier_operator_elements(h, P, X, nx, creal(cst), V, L, out->mre + q * L * L,
                                            out->mim + q * L * L);
        }
        qp_hier_cross_free(X, nx);
        qp_kron_free(&K);
        qp_modes_free(terms);
    }
    qp_hier_basis_free(h, &basis);
    free(E), free(V), free(cut);
    return st;
}

/* ------------------------------------------------------------------ the convergence loop */

/* Recomputes a group with twice the states while Ecut reaches its highest computed one. Sets
 * *changed when any group was recomputed (the dressed terms must then be rebuilt). */
static qp_status enough_states(hier *h, double ecut, int *changed)
{
    qp_status st = QP_OK;
    for (size_t g = 0; g < h->ngroups && st == QP_OK; g++) {
        group_t *G = &h->G[g];
        while (st == QP_OK && G->L < G->D && G->L < G->cap && G->e[G->L - 1] - G->e[0] <= ecut) {
            if (2 * G->L > UINT16_MAX) {
                snprintf(h->err, h->errlen,
                         "hierarchical: group %zu would need more than %d states below %.4g GHz",
                         g + 1, UINT16_MAX, ecut);
                return QP_ERR_NUMERIC;
            }
            size_t before = G->L;
            st = group_solve(h, G, 2 * G->L);
            *changed = 1;
            if (G->L <= before) { /* the well holds no more */
                G->cap = G->L;
            }
        }
    }
    return st;
}

/* The first Ecut: ECUT_FIRST times the spread of the lowest `levels` sums of group energies
 * (the uncoupled levels), and at least the smallest excitation energy of a group. */
static double first_ecut(const hier *h, int levels)
{
    double gap = INFINITY;
    for (size_t g = 0; g < h->ngroups; g++) {
        if (h->G[g].L > 1) {
            gap = fmin(gap, h->G[g].e[1] - h->G[g].e[0]);
        }
    }
    /* the levels-th smallest sum: grow a budget until enough product states lie below it */
    double hi = isfinite(gap) ? gap : 1.0;
    for (int it = 0; it < 200; it++) {
        prodset P;
        qp_status st = qp_hier_prodset_build(h, hi, (size_t)levels, &P);
        size_t n = P.n;
        qp_hier_prodset_free(&P);
        if (st != QP_OK || n >= (size_t)levels) {
            break;
        }
        hi *= 2.0;
    }
    return fmax(ECUT_FIRST * hi, isfinite(gap) ? gap : 1.0);
}

/* <0| exp(i c x) |0> in the ground state of group G (one extended mode). */
static qp_status ground_exp(const hier *h, const group_t *G, double c, double complex *z)
{
    qp_osc_geom geo;
    qp_ham_basis_geom(G->sub, 0, &geo);
    qp_factor f = {0};
    double complex centre = 1.0;
    if (!qp_basis_exp(&f, &centre, G->sub->kind[0], G->D, &geo, c, 0, h->o->grid, NULL)) {
        qp_basis_factor_free(&f);
        return QP_ERR_NOMEM;
    }
    *z = f.ident ? 1.0 : 0.0;
    for (size_t k = 0; k < f.n; k++) {
        *z += conj(G->V[f.row[k]]) * f.v[k] * G->V[f.col[k]];
    }
    *z *= centre;
    qp_basis_factor_free(&f);
    return QP_OK;
}

/* One mean-field round (dress_all): every restricted cosine gets the product of the other groups'
 * ground-state averages of their parts of it, and the groups are solved again with them, so that
 * each group's states already carry the zero-point spread of the others (the soft mode of an
 * array sees its junctions' reduced EJ). The coupled problem is exact whatever the groups hold;
 * this only makes the kept states better. */
static qp_status mean_field(hier *h, const int *group)
{
    const qp_modes *m = h->m;
    size_t ng = h->ngroups;
    double complex *z = malloc(m->ncos * ng * sizeof *z);
    qp_status st = z ? QP_OK : QP_ERR_NOMEM;
    for (size_t t = 0; t < m->ncos && st == QP_OK; t++) {
        for (size_t g = 0; g < ng && st == QP_OK; g++) {
            size_t i = h->G[g].mode[0];
            z[t * ng + g] = 1.0;
            if (m->cos[t].c[i] != 0.0) {
                st = ground_exp(h, &h->G[g], m->cos[t].c[i], &z[t * ng + g]);
            }
        }
    }
    for (size_t t = 0; t < m->ncos && st == QP_OK; t++) {
        for (size_t g = 0; g < ng; g++) {
            double complex p = 1.0;
            for (size_t k = 0; k < ng; k++) {
                p *= k == g ? 1.0 : z[t * ng + k];
            }
            h->mf[t * ng + g] = p;
        }
    }
    free(z);
    for (size_t g = 0; g < ng && st == QP_OK; g++) {
        group_t *G = &h->G[g];
        qp_modes_free(G->sub);
        G->sub = restricted_sub(h, group, (int)g, G->mode);
        if (!G->sub) {
            return QP_ERR_NOMEM;
        }
        size_t L = G->L;
        G->cap = SIZE_MAX;
        well_depth(G, h->vslip);
        st = group_solve(h, G, L);
    }
    return st;
}

static qp_status setup(hier *h, const int *group)
{
    const qp_modes *m = h->m;
    h->G = calloc(h->ngroups, sizeof *h->G);
    h->mf = h->dress_all ? malloc((m->ncos ? m->ncos : 1) * h->ngroups * sizeof *h->mf) : NULL;
    if (!h->G || (h->dress_all && !h->mf)) {
        return QP_ERR_NOMEM;
    }
    for (size_t k = 0; h->mf && k < m->ncos * h->ngroups; k++) {
        h->mf[k] = 1.0;
    }
    qp_status st = QP_OK;
    for (size_t g = 0; g < h->ngroups && st == QP_OK; g++) {
        group_t *G = &h->G[g];
        G->mode = calloc(m->n, sizeof *G->mode);
        G->cut = calloc(m->n, sizeof *G->cut);
        if (!G->mode || !G->cut) {
            return QP_ERR_NOMEM;
        }
        G->sub = h->dress_all ? restricted_sub(h, group, (int)g, G->mode)
                              : qp_spectrum_sub_modes(m, group, (int)g, 0, G->mode);
        if (!G->sub) {
            return QP_ERR_NOMEM;
        }
        G->nm = G->sub->n;
        if (G->nm == 0) {
            snprintf(h->err, h->errlen, "hierarchical: group %zu has no mode", g + 1);
            return QP_ERR_USAGE;
        }
        G->cap = SIZE_MAX;
        G->vb = INFINITY;
        if (h->dress_all) {
            well_depth(G, h->vslip);
        }
        size_t L = (size_t)h->o->levels + 2;
        st = group_solve(h, G, L > FIRST_STATES ? L : FIRST_STATES);
    }
    for (int it = 0; h->dress_all && it < MF_ITER && st == QP_OK; it++) {
        st = mean_field(h, group);
    }
    return st;
}

/* Fills out's description of the hierarchy. */
static qp_status describe(const hier *h, const int *group, const prodset *P, double ecut,
                          qp_spectrum *out)
{
    size_t n = h->m->n;
    out->hier = 1;
    out->ngroups = h->ngroups;
    out->group = malloc(n * sizeof *out->group);
    out->kept = malloc(h->ngroups * sizeof *out->kept);
    if (!out->group || !out->kept) {
        return QP_ERR_NOMEM;
    }
    memcpy(out->group, group, n * sizeof *group);
    for (size_t g = 0; g < h->ngroups; g++) {
        out->kept[g] = (int)P->kmax[g];
        for (size_t a = 0; a < h->G[g].nm; a++) {
            out->cut[h->G[g].mode[a]] = h->G[g].cut[a];
        }
        out->steps += h->G[g].steps;
    }
    out->ecut = ecut;
    out->dim = P->n;
    return QP_OK;
}

/* The levels need product states above the lowest phase-slip barrier: QP_ERR_NUMERIC. */
static qp_status well_unconverged(hier *h, double ecut, double last)
{
    snprintf(h->err, h->errlen,
             "hierarchical: the levels did not converge to %g GHz within the wells of the "
             "junctions treated without phase slips (states to %.4g GHz, %.4g GHz below their "
             "lowest barrier; last change %.3g GHz); give a larger tol, or method=exact",
             h->o->tol, ecut, h->vslip - ecut, last);
    return QP_ERR_NUMERIC;
}

/* Many groups: one Ecut step can multiply the kept states tenfold (near-degenerate array modes
 * give many equal sums), the dense coupled solve a thousandfold. Brings *ecut back by bisection
 * between lo (the last solved Ecut) and *ecut to the highest Ecut that keeps at most KEPT_MAX
 * times the last solve's states, and rebuilds *P there; *P and *ecut stay when no Ecut in
 * between keeps at least KEPT_GROWTH times as many (the sums jump past both at once). */
static qp_status gentle_step(const hier *h, double lo, double *ecut, size_t nsolved, prodset *P)
{
    size_t cap = (size_t)(KEPT_MAX * (double)nsolved);
    double hi = *ecut, best = lo;
    size_t nbest = 0;
    for (int it = 0; it < 40 && hi - lo > 1e-9 * hi; it++) {
        double mid = 0.5 * (lo + hi);
        prodset Q;
        qp_status st = qp_hier_prodset_build(h, mid, cap, &Q);
        size_t n = Q.n;
        qp_hier_prodset_free(&Q);
        if (st == QP_ERR_NUMERIC) {
            hi = mid;
        } else if (st != QP_OK) {
            return st;
        } else {
            lo = best = mid;
            nbest = n;
        }
    }
    if ((double)nbest < KEPT_GROWTH * (double)nsolved) {
        return QP_OK;
    }
    qp_hier_prodset_free(P);
    *ecut = best;
    return qp_hier_prodset_build(h, best, cap, P);
}

/* Grows Ecut until two successive coupled solves agree to o->tol. In extended coordinates never
 * at the first comparison: the array's normal modes couple to the levels only in pairs of
 * excitations, so the first states added can leave the levels unchanged by accident (the
 * three-junction array at levels=2: 7 -> 11 kept states agreed to 2e-9 GHz, 4e-4 GHz from the
 * answer). Elsewhere a second comparison would cost more than it guards (the rf-SQUID pair of
 * examples/mutual_inductance.cir grew its groups to 312 GHz for it). */
static qp_status converge(hier *h, const int *group, qp_spectrum *out)
{
    const qp_spectrum_opts *o = h->o;
    int L = o->levels;
    double *prev = calloc((size_t)L, sizeof *prev), *E = calloc((size_t)L, sizeof *E);
    int nprev = 0, nlev = 0, changed = 1;
    double ecut = first_ecut(h, L), last = INFINITY;
    double esolved = 0.0; /* Ecut of the last solve */
    int compared = 0, agreed = 0; /* comparisons of two solves; the last within tol */
    size_t nkept = 0;   /* product states below the last Ecut */
    size_t nsolved = 0; /* product states of the last solve */
    prodset P = {0};
    qp_status st = prev && E ? QP_OK : QP_ERR_NOMEM;
    while (st == QP_OK) {
        /* extended coordinates: no product state above the lowest slip barrier (with the groups
         * at their centres, the sums of their energies bound how far the basis reaches) */
        int capped = ecut >= WELL_SHARE * h->vslip;
        ecut = capped ? WELL_SHARE * h->vslip : ecut;
        st = enough_states(h, ecut, &changed);
        if (st == QP_OK && changed) {
            st = build_cross(h, group);
            changed = 0;
        }
        qp_hier_prodset_free(&P);
        if (st == QP_OK) {
            st = qp_hier_prodset_build(h, ecut, o->max_dim, &P);
            if (st == QP_ERR_NUMERIC) {
                snprintf(h->err, h->errlen,
                         "hierarchical: the levels did not converge to %g GHz: the product "
                         "states below %.4g GHz number more than %zu; last change %.3g GHz",
                         o->tol, ecut, o->max_dim, last);
            }
        }
        if (st == QP_OK && nsolved && (double)P.n > KEPT_MAX * (double)nsolved) {
            st = gentle_step(h, esolved, &ecut, nsolved, &P);
        }
        if (st != QP_OK) {
            break;
        }
        /* every product of every group's states kept: nothing left to grow (all of each group
         * below Ecut is not enough: the sums of their energies may still pass it) */
        int whole = 1;
        double full = 1.0;
        for (size_t g = 0; whole && g < h->ngroups; g++) {
            whole = P.kmax[g] == h->G[g].D;
            full *= (double)h->G[g].D;
        }
        whole = whole && (double)P.n >= full;
        if (P.n == nkept) { /* Ecut grew past no new sum: nothing new to solve or compare */
            if (whole) {
                break; /* the last solve had them all */
            }
            if (capped) {
                st = well_unconverged(h, ecut, last);
                break;
            }
            ecut *= ECUT_GROWTH;
            continue;
        }
        nkept = P.n;
        if ((P.n > (size_t)L && (double)P.n >= KEPT_GROWTH * (double)nsolved) || whole ||
            capped) {
            nsolved = P.n;
            esolved = ecut;
            if (o->status && P.n >= QP_SPEC_STATUS_FROM / 10) {
                char line[160];
                snprintf(line, sizeof line,
                         "hierarchical: %zu product states below %.4g GHz, last change %.2g GHz",
                         P.n, ecut, last);
                o->status(o->status_ctx, line);
            }
            st = qp_hier_solve_at(h, &P, E, &nlev, NULL, &out->info);
            out->steps++;
            if (st == QP_OK && whole) { /* the exact product basis: converged by construction */
                last = nprev == nlev ? last : 0.0;
                break;
            }
            if (st == QP_OK && nprev == nlev) {
                last = 0.0;
                for (int k = 0; k < nlev; k++) {
                    last = fmax(last, fabs(E[k] - prev[k]));
                }
                compared++;
                agreed = last <= o->tol;
                if (agreed && (compared >= 2 || !h->dress_all)) {
                    break;
                }
            }
            if (st == QP_OK && capped) { /* no room to confirm an agreement: take it */
                st = agreed ? QP_OK : well_unconverged(h, ecut, last);
                break;
            }
            memcpy(prev, E, (size_t)nlev * sizeof *E);
            nprev = nlev;
        }
        ecut *= ECUT_GROWTH;
    }
    if (st == QP_OK) {
        out->E = E;
        out->nlev = nlev;
        out->delta = last;
        out->checked = 1;
        E = NULL;
        st = describe(h, group, &P, ecut, out);
    }
    if (st == QP_OK && o->nops && o->op_terms) {
        st = hier_matrix(h, group, &P, out);
    }
    if (st == QP_OK && o->labels && !h->dress_all) { /* dress_all: groups not on own states */
        st = qp_hier_labels(h, &P, out);
    }
    qp_hier_prodset_free(&P);
    free(prev), free(E);
    return st;
}

qp_status qp_hier_spectrum(const qp_modes *m, const qp_spectrum_opts *o, const int *group,
                           size_t ngroups, int dress_all, qp_spectrum *out, char *err,
                           size_t errlen)
{
    char sink[8];
    hier h = {m,    o,        ngroups,          NULL, {0}, NULL, 0, 0.0, dress_all, NULL,
              INFINITY, err ? err : sink, err ? errlen : sizeof sink};
    for (size_t t = 0; dress_all && t < m->ncos; t++) {
        if (m->cos[t].stiff) {
            h.vslip = fmin(h.vslip, 2.0 * fabs(m->cos[t].E));
        }
    }
    memset(out, 0, sizeof *out);
    out->nmodes = m->n;
    out->cut = calloc(m->n ? m->n : 1, sizeof *out->cut);
    qp_status st = out->cut ? QP_OK : QP_ERR_NOMEM;
    for (size_t i = 0; i < m->n && st == QP_OK; i++) {
        if (group[i] < 0 || (size_t)group[i] >= ngroups) {
            snprintf(h.err, h.errlen, "hierarchical: mode %zu has no group", i + 1);
            st = QP_ERR_USAGE;
        }
    }
    if (st == QP_OK) {
        st = setup(&h, group);
    }
    if (st == QP_OK) {
        st = converge(&h, group, out);
    }
    for (size_t g = 0; h.G && g < ngroups; g++) {
        group_free(&h.G[g]);
    }
    free(h.G), free(h.mf);
    qp_hier_cross_free(h.X, h.nx);
    qp_kron_free(&h.K);
    if (st != QP_OK) {
        qp_spectrum_clear(out);
    }
    return st;
}
