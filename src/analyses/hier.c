/* Hierarchical diagonalization (docs/physics.md, "Hierarchical diagonalization"): every group of
 * modes is solved alone at converged cutoffs; the terms that couple groups are carried into the
 * groups' eigenbases; the coupled problem is solved on the product of kept states whose summed
 * excitation energies lie below a cutoff Ecut, and Ecut grows until the levels settle. */
#include "analyses/spectrum_impl.h"
#include "operators/ham.h"
#include "operators/kron.h"

#include "base/mem.h"
#include "base/vec.h"

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
#define ECUT_FIRST 2.0  /* the first Ecut: this many times the spread of the uncoupled levels */
#define GROUP_TOL 0.1   /* group levels are converged to this fraction of o->tol */
#define FIRST_STATES 8  /* states computed per group at first (doubled when Ecut needs more) */

/* One group: its own Hamiltonian, cutoffs and lowest L states. */
typedef struct {
    qp_modes *sub;
    size_t *mode; /* its modes' indices in m (nm of them) */
    size_t nm;
    int *cut;          /* converged cutoffs of its modes */
    size_t D;          /* bare product dimension */
    size_t L;          /* states computed */
    double *e;         /* L energies, ascending */
    double complex *V; /* D x L, column-major */
    int steps;         /* solves spent converging its cutoffs */
} group_t;

/* A term that couples groups: coef * prod over its groups of a dressed L_g x L_g factor. */
typedef struct {
    double complex coef;
    int herm;
    size_t ng;
    size_t *g;          /* the groups it touches, ascending */
    double complex **F; /* F[k]: L x L column-major of group g[k] */
} cross_t;

typedef struct {
    const qp_modes *m;
    const qp_spectrum_opts *o;
    size_t ngroups;
    group_t *G;
    qp_kron K; /* every term of m on the groups' cutoffs, one slot per mode */
    cross_t *X;
    size_t nx;
    double cst; /* the constant and the terms that touch no mode */
    char *err;
    size_t errlen;
} hier;

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

/* Converges group g's cutoffs for its lowest L states, then computes them with vectors. */
static qp_status group_solve(hier *h, group_t *g, size_t L)
{
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

static void cross_free(hier *h)
{
    for (size_t k = 0; k < h->nx; k++) {
        for (size_t j = 0; j < h->X[k].ng; j++) {
            free(h->X[k].F[j]);
        }
        free(h->X[k].g), free(h->X[k].F);
    }
    free(h->X);
    h->X = NULL;
    h->nx = 0;
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

/* Builds h->K on the groups' cutoffs, the constant, and the dressed coupling terms. */
static qp_status build_cross(hier *h, const int *group)
{
    const qp_modes *m = h->m;
    int *cut = malloc(m->n * sizeof *cut);
    size_t *gs = malloc((h->ngroups ? h->ngroups : 1) * sizeof *gs);
    qp_status st = cut && gs ? QP_OK : QP_ERR_NOMEM;
    for (size_t gi = 0; gi < h->ngroups && st == QP_OK; gi++) {
        for (size_t a = 0; a < h->G[gi].nm; a++) {
            cut[h->G[gi].mode[a]] = h->G[gi].cut[a];
        }
    }
    qp_kron_free(&h->K);
    cross_free(h);
    qp_modes basis = *m; /* m with only the cosines inside a group: the groups' bases */
    basis.cos = st == QP_OK ? group_cosines(m, group, &basis.ncos) : NULL;
    st = st == QP_OK && !basis.cos ? QP_ERR_NOMEM : st;
    if (st == QP_OK) {
        st = qp_ham_terms(&basis, m, cut, h->o->grid, &h->K);
        if (st == QP_ERR_NUMERIC) { /* the modes' product overflows a size_t */
            snprintf(h->err, h->errlen,
                     "hierarchical: the product of the %zu modes' bases is too large to index "
                     "(more than 2^64 states); fewer or smaller modes", m->n);
        }
    }
    free(basis.cos);
    h->X = st == QP_OK ? calloc(h->K.nterm ? h->K.nterm : 1, sizeof *h->X) : NULL;
    st = st == QP_OK && !h->X ? QP_ERR_NOMEM : st;
    h->cst = st == QP_OK ? creal(h->K.cst) : 0.0;
    for (size_t k = 0; k < h->K.nterm && st == QP_OK; k++) {
        const qp_kron_term *t = &h->K.t[k];
        size_t ng = term_groups(t, group, gs);
        if (ng == 0) { /* a constant: coef (+ its conjugate) on the diagonal */
            h->cst += creal(t->coef) * (t->herm ? 2.0 : 1.0);
            continue;
        }
        if (ng == 1) { /* inside one group: already in its own Hamiltonian */
            continue;
        }
        cross_t *x = &h->X[h->nx++];
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
    free(cut), free(gs);
    return st;
}

/* ------------------------------------------------------------------ the kept product states */

/* Product states k[0..ngroups) with sum_g (e_g[k_g] - e_g[0]) <= ecut, and a hash of them. */
typedef struct {
    size_t ng, n;
    uint16_t *tup; /* n x ng */
    size_t *slot;  /* open addressing: state index + 1, 0 empty */
    size_t mask;
    size_t *kmax; /* per group: states below ecut */
} prodset;

static void prodset_free(prodset *P)
{
    free(P->tup), free(P->slot), free(P->kmax);
    memset(P, 0, sizeof *P);
}

static size_t tup_hash(const uint16_t *k, size_t ng)
{
    uint64_t x = 1469598103934665603ULL; /* FNV-1a */
    for (size_t g = 0; g < ng; g++) {
        x = (x ^ k[g]) * 1099511628211ULL;
        x = (x ^ (k[g] >> 8)) * 1099511628211ULL;
    }
    return (size_t)(x ^ (x >> 29));
}

/* Index of tuple k, or SIZE_MAX when it is not kept. */
static size_t prodset_find(const prodset *P, const uint16_t *k)
{
    for (size_t s = tup_hash(k, P->ng) & P->mask;; s = (s + 1) & P->mask) {
        size_t v = P->slot[s];
        if (v == 0) {
            return SIZE_MAX;
        }
        if (memcmp(P->tup + (v - 1) * P->ng, k, P->ng * sizeof *k) == 0) {
            return v - 1;
        }
    }
}

/* Depth-first over the groups: counts the states (fill == 0) or writes them. */
static void enumerate(const hier *h, prodset *P, uint16_t *k, size_t g, double budget, int fill,
                      size_t limit)
{
    if (P->n > limit) {
        return;
    }
    if (g == P->ng) {
        if (fill) {
            memcpy(P->tup + P->n * P->ng, k, P->ng * sizeof *k);
        }
        P->n++;
        return;
    }
    const group_t *G = &h->G[g];
    for (size_t a = 0; a < G->L && G->e[a] - G->e[0] <= budget; a++) { /* L <= UINT16_MAX */
        k[g] = (uint16_t)a;
        enumerate(h, P, k, g + 1, budget - (G->e[a] - G->e[0]), fill, limit);
    }
}

/* The kept states below ecut; QP_ERR_NUMERIC (P->n > limit) when there are more than limit. */
static qp_status prodset_build(const hier *h, double ecut, size_t limit, prodset *P)
{
    size_t ng = h->ngroups;
    memset(P, 0, sizeof *P);
    P->ng = ng;
    uint16_t *k = calloc(ng, sizeof *k);
    P->kmax = calloc(ng, sizeof *P->kmax);
    if (!k || !P->kmax) {
        free(k);
        return QP_ERR_NOMEM;
    }
    enumerate(h, P, k, 0, ecut, 0, limit);
    if (P->n > limit) {
        free(k);
        return QP_ERR_NUMERIC;
    }
    size_t count = P->n, cap = 4;
    while (cap < 2 * count) {
        cap *= 2;
    }
    P->tup = malloc(count * ng * sizeof *P->tup);
    P->slot = calloc(cap, sizeof *P->slot);
    if (!P->tup || !P->slot) {
        free(k);
        return QP_ERR_NOMEM;
    }
    P->mask = cap - 1;
    P->n = 0;
    enumerate(h, P, k, 0, ecut, 1, limit);
    for (size_t i = 0; i < P->n; i++) {
        const uint16_t *t = P->tup + i * ng;
        size_t s = tup_hash(t, ng) & P->mask;
        while (P->slot[s]) {
            s = (s + 1) & P->mask;
        }
        P->slot[s] = i + 1;
        for (size_t g = 0; g < ng; g++) {
            P->kmax[g] = t[g] + 1u > P->kmax[g] ? t[g] + 1u : P->kmax[g];
        }
    }
    free(k);
    return QP_OK;
}

/* ------------------------------------------------------------------ the coupled problem */

typedef struct {
    size_t n, *row, *col;
    double *re, *im;
    int nomem;
} trip;

static void trip_push(trip *T, size_t r, size_t c, double complex v)
{
    if (!qp_vec_grow((void **)&T->row, T->n, sizeof *T->row) ||
        !qp_vec_grow((void **)&T->col, T->n, sizeof *T->col) ||
        !qp_vec_grow((void **)&T->re, T->n, sizeof *T->re) ||
        !qp_vec_grow((void **)&T->im, T->n, sizeof *T->im)) {
        T->nomem = 1;
        return;
    }
    T->row[T->n] = r;
    T->col[T->n] = c;
    T->re[T->n] = creal(v);
    T->im[T->n++] = cimag(v);
}

/* The entries of row r from coupling term x: every column that differs from r only in x's
 * groups; only columns c >= r, each with its mirror (the matrix is Hermitian by construction). */
static void cross_row(const hier *h, const prodset *P, const cross_t *x, size_t r, uint16_t *col,
                      trip *T)
{
    const uint16_t *rt = P->tup + r * P->ng;
    size_t *idx = calloc(x->ng, sizeof *idx);
    if (!idx) {
        T->nomem = 1;
        return;
    }
    memcpy(col, rt, P->ng * sizeof *col);
    for (;;) {
        for (size_t j = 0; j < x->ng; j++) {
            col[x->g[j]] = (uint16_t)idx[j];
        }
        size_t c = prodset_find(P, col);
        if (c != SIZE_MAX && c >= r) {
            double complex v = x->coef, w = x->coef;
            for (size_t j = 0; j < x->ng; j++) {
                size_t L = h->G[x->g[j]].L, a = rt[x->g[j]], b = idx[j];
                v *= x->F[j][a + b * L];
                w *= x->F[j][b + a * L];
            }
            if (x->herm) {
                v += conj(w);
            }
            if (c == r) {
                trip_push(T, r, r, creal(v));
            } else {
                trip_push(T, r, c, v);
                trip_push(T, c, r, conj(v));
            }
        }
        size_t j = x->ng;
        while (j-- > 0) { /* odometer over the kept states of x's groups */
            if (++idx[j] < P->kmax[x->g[j]]) {
                break;
            }
            idx[j] = 0;
        }
        if (j == SIZE_MAX) {
            break;
        }
    }
    free(idx);
}

/* H on the kept states: the groups' energies on the diagonal, the dressed couplings off it. */
static qp_status assemble(const hier *h, const prodset *P, qp_sparse *H, char *err, size_t errlen)
{
    double per_row = 1.0; /* an upper bound on the triplets: every coupling, every column */
    for (size_t k = 0; k < h->nx; k++) {
        double c = 2.0;
        for (size_t j = 0; j < h->X[k].ng; j++) {
            c *= (double)P->kmax[h->X[k].g[j]];
        }
        per_row += c;
    }
    if ((double)P->n * per_row > (double)QP_HAM_MAX_ENTRIES) {
        snprintf(err, errlen,
                 "hierarchical: the coupled problem on %zu kept states would have up to %.3g "
                 "entries (more than %zu); give fewer groups (groups=) or a larger tol",
                 P->n, (double)P->n * per_row, QP_HAM_MAX_ENTRIES);
        return QP_ERR_NUMERIC;
    }
    trip T = {0};
    uint16_t *col = malloc(P->ng * sizeof *col);
    if (!col) {
        return QP_ERR_NOMEM;
    }
    for (size_t r = 0; r < P->n && !T.nomem; r++) {
        double d = h->cst;
        for (size_t g = 0; g < P->ng; g++) {
            d += h->G[g].e[P->tup[r * P->ng + g]];
        }
        trip_push(&T, r, r, d);
        for (size_t k = 0; k < h->nx && !T.nomem; k++) {
            cross_row(h, P, &h->X[k], r, col, &T);
        }
    }
    qp_status st = T.nomem ? QP_ERR_NOMEM : QP_OK;
    if (st == QP_OK) {
        double maxre = 0.0, maxim = 0.0;
        for (size_t i = 0; i < T.n; i++) {
            maxre = fmax(maxre, fabs(T.re[i]));
            maxim = fmax(maxim, fabs(T.im[i]));
        }
        int real = maxim <= 1e-14 * fmax(maxre, 1e-300);
        st = qp_sparse_from_triplets(P->n, T.n, T.row, T.col, T.re, real ? NULL : T.im, H);
    }
    free(T.row), free(T.col), free(T.re), free(T.im), free(col);
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
        while (st == QP_OK && G->L < G->D && G->e[G->L - 1] - G->e[0] <= ecut) {
            if (2 * G->L > UINT16_MAX) {
                snprintf(h->err, h->errlen,
                         "hierarchical: group %zu would need more than %d states below %.4g GHz",
                         g + 1, UINT16_MAX, ecut);
                return QP_ERR_NUMERIC;
            }
            st = group_solve(h, G, 2 * G->L);
            *changed = 1;
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
        qp_status st = prodset_build(h, hi, (size_t)levels, &P);
        size_t n = P.n;
        prodset_free(&P);
        if (st != QP_OK || n >= (size_t)levels) {
            break;
        }
        hi *= 2.0;
    }
    return fmax(ECUT_FIRST * hi, isfinite(gap) ? gap : 1.0);
}

static qp_status setup(hier *h, const int *group)
{
    const qp_modes *m = h->m;
    h->G = calloc(h->ngroups, sizeof *h->G);
    if (!h->G) {
        return QP_ERR_NOMEM;
    }
    qp_status st = QP_OK;
    for (size_t g = 0; g < h->ngroups && st == QP_OK; g++) {
        group_t *G = &h->G[g];
        G->mode = calloc(m->n, sizeof *G->mode);
        G->cut = calloc(m->n, sizeof *G->cut);
        if (!G->mode || !G->cut) {
            return QP_ERR_NOMEM;
        }
        G->sub = qp_spectrum_sub_modes(m, group, (int)g, 0, G->mode);
        if (!G->sub) {
            return QP_ERR_NOMEM;
        }
        G->nm = G->sub->n;
        if (G->nm == 0) {
            snprintf(h->err, h->errlen, "hierarchical: group %zu has no mode", g + 1);
            return QP_ERR_USAGE;
        }
        size_t L = (size_t)h->o->levels + 2;
        st = group_solve(h, G, L > FIRST_STATES ? L : FIRST_STATES);
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

/* One coupled solve at Ecut: the lowest levels into E (nlev of them). */
static qp_status solve_at(hier *h, const prodset *P, double *E, int *nlev, qp_eig_info *info)
{
    qp_sparse H = {0};
    qp_status st = assemble(h, P, &H, h->err, h->errlen);
    if (st != QP_OK) {
        return st;
    }
    qp_eig_opts eo;
    qp_eig_opts_default(&eo);
    int want = h->o->levels;
    size_t room = H.im ? 2 : 1; /* ARPACK: nev <= n - 1 (real), n - 2 (complex) */
    if ((size_t)want + room > H.n) {
        eo.method = QP_EIG_DENSE;
    } else if (H.n > eo.dense_max) {
        /* Lanczos, not shift-invert: the kept states span only Ecut, so the spectrum is narrow
         * and Lanczos converges in few restarts, while the dressed couplings make the matrix
         * dense enough that a sparse factor fills in (chain of six transmons: 1.1 s against
         * 5.4 s, 106 MB against 330 MB; docs/performance.md). */
        eo.method = QP_EIG_LANCZOS;
    }
    eo.nev = (size_t)want < H.n ? want : (int)H.n;
    *nlev = eo.nev;
    st = qp_eig_lowest(&H, &eo, E, NULL, info, h->err, h->errlen);
    qp_sparse_free(&H);
    return st;
}

/* Grows Ecut until two successive coupled solves agree to o->tol. */
static qp_status converge(hier *h, const int *group, qp_spectrum *out)
{
    const qp_spectrum_opts *o = h->o;
    int L = o->levels;
    double *prev = calloc((size_t)L, sizeof *prev), *E = calloc((size_t)L, sizeof *E);
    int nprev = 0, nlev = 0, changed = 1;
    double ecut = first_ecut(h, L), last = INFINITY;
    size_t nkept = 0;   /* product states below the last Ecut */
    size_t nsolved = 0; /* product states of the last solve */
    prodset P = {0};
    qp_status st = prev && E ? QP_OK : QP_ERR_NOMEM;
    while (st == QP_OK) {
        st = enough_states(h, ecut, &changed);
        if (st == QP_OK && changed) {
            st = build_cross(h, group);
            changed = 0;
        }
        prodset_free(&P);
        if (st == QP_OK) {
            st = prodset_build(h, ecut, o->max_dim, &P);
            if (st == QP_ERR_NUMERIC) {
                snprintf(h->err, h->errlen,
                         "hierarchical: the levels did not converge to %g GHz: the product "
                         "states below %.4g GHz number more than %zu; last change %.3g GHz",
                         o->tol, ecut, o->max_dim, last);
            }
        }
        if (st != QP_OK) {
            break;
        }
        int whole = 1; /* every state of every group kept: nothing left to grow */
        for (size_t g = 0; whole && g < h->ngroups; g++) {
            whole = P.kmax[g] == h->G[g].D;
        }
        if (P.n == nkept) { /* Ecut grew past no new sum: nothing new to solve or compare */
            if (whole) {
                break; /* the last solve had them all */
            }
            ecut *= ECUT_GROWTH;
            continue;
        }
        nkept = P.n;
        if ((P.n > (size_t)L && (double)P.n >= KEPT_GROWTH * (double)nsolved) || whole) {
            nsolved = P.n;
            if (o->status && P.n >= QP_SPEC_STATUS_FROM / 10) {
                char line[160];
                snprintf(line, sizeof line,
                         "hierarchical: %zu product states below %.4g GHz, last change %.2g GHz",
                         P.n, ecut, last);
                o->status(o->status_ctx, line);
            }
            st = solve_at(h, &P, E, &nlev, &out->info);
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
                if (last <= o->tol) {
                    break;
                }
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
    prodset_free(&P);
    free(prev), free(E);
    return st;
}

qp_status qp_hier_spectrum(const qp_modes *m, const qp_spectrum_opts *o, const int *group,
                           size_t ngroups, qp_spectrum *out, char *err, size_t errlen)
{
    char sink[8];
    hier h = {m, o, ngroups, NULL, {0}, NULL, 0, 0.0, err ? err : sink, err ? errlen : sizeof sink};
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
    free(h.G);
    cross_free(&h);
    qp_kron_free(&h.K);
    if (st != QP_OK) {
        qp_spectrum_clear(out);
    }
    return st;
}
