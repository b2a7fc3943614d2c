/* The coupled problem of a hierarchical solve (docs/physics.md, "Hierarchical
 * diagonalization"): the product states of the groups' kept states below a cutoff, the matrix of
 * the dressed terms on them (sparse, or dense when every term spans the groups), and its lowest
 * levels. */
#include "analyses/hier_impl.h"
#include "operators/ham.h"
#include "solve/lapack.h"

#include "base/mem.h"
#include "base/vec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DENSE_LAPACK_MAX 8000 /* a dense coupled matrix is solved by LAPACK up to this size:
                                 Lanczos on 2838 kept states of a six-junction array spent over a
                                 minute in restarts, where the reduction takes seconds */

/* ------------------------------------------------------------------ the kept product states */



void qp_hier_prodset_free(prodset *P)
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
qp_status qp_hier_prodset_build(const hier *h, double ecut, size_t limit, prodset *P)
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

/* Where the coupled matrix goes: triplets, or a dense column-major n x n matrix (complex values)
 * when the couplings fill most of it (dress_all: every cosine spans every group). */
typedef struct {
    trip T;
    double complex *D;
    size_t n;
} msink;

static void sink_add(msink *s, size_t r, size_t c, double complex v)
{
    if (s->D) {
        s->D[r + c * s->n] += v;
    } else {
        trip_push(&s->T, r, c, v);
    }
}

/* <r| x |c> for kept states with tuples rt, ct (x's part conjugated in when x->herm); emitted
 * for c >= r with its mirror (the matrix is Hermitian by construction). */
static void cross_emit(const hier *h, const cross_t *x, size_t r, size_t c, const uint16_t *rt,
                       const uint16_t *ct, msink *S)
{
    double complex v = x->coef, w = x->coef;
    for (size_t j = 0; j < x->ng; j++) {
        size_t L = h->G[x->g[j]].L, a = rt[x->g[j]], b = ct[x->g[j]];
        v *= x->F[j][a + b * L];
        w *= x->F[j][b + a * L];
    }
    if (x->herm) {
        v += conj(w);
    }
    if (c == r) {
        sink_add(S, r, r, creal(v));
    } else {
        sink_add(S, r, c, v);
        sink_add(S, c, r, conj(v));
    }
}

/* The entries of row r from coupling term x: every column that differs from r only in x's
 * groups, found by an odometer over the kept states of those groups (few) or, when that product
 * is larger than the kept set, by a pass over the kept states (`in` marks x's groups). */
static void cross_row(const hier *h, const prodset *P, const cross_t *x, size_t r, uint16_t *col,
                      const char *in, int pairs, msink *S)
{
    const uint16_t *rt = P->tup + r * P->ng;
    if (pairs) {
        for (size_t c = r; c < P->n; c++) {
            const uint16_t *ct = P->tup + c * P->ng;
            size_t g = 0;
            while (g < P->ng && (in[g] || rt[g] == ct[g])) {
                g++;
            }
            if (g == P->ng) {
                cross_emit(h, x, r, c, rt, ct, S);
            }
        }
        return;
    }
    size_t *idx = calloc(x->ng, sizeof *idx);
    if (!idx) {
        S->T.nomem = 1;
        return;
    }
    memcpy(col, rt, P->ng * sizeof *col);
    for (;;) {
        for (size_t j = 0; j < x->ng; j++) {
            col[x->g[j]] = (uint16_t)idx[j];
        }
        size_t c = prodset_find(P, col);
        if (c != SIZE_MAX && c >= r) {
            cross_emit(h, x, r, c, rt, col, S);
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

/* The coupled matrix, stored: a sparse matrix (H) or dense (D, n x n complex, owned). */
typedef struct {
    qp_sparse H;
    double complex *D;
    size_t n;
} coupled;

/* H on the kept states: the groups' energies on the diagonal (not with dress_all, where every
 * term is among the couplings), the dressed couplings off it. */
static qp_status assemble(const hier *h, const prodset *P, coupled *out, char *err, size_t errlen)
{
    double per_row = 1.0; /* an upper bound on the entries of a row: every coupling, column */
    for (size_t k = 0; k < h->nx; k++) {
        double c = 2.0;
        for (size_t j = 0; j < h->X[k].ng; j++) {
            c *= (double)P->kmax[h->X[k].g[j]];
        }
        per_row += fmin(c, 2.0 * (double)P->n);
    }
    int dense = h->dress_all;
    double need = dense ? 16.0 * (double)P->n * (double)P->n : 32.0 * (double)P->n * per_row;
    if ((dense && need > 0.5 * (double)qp_mem_budget()) ||
        (!dense && (double)P->n * per_row > (double)QP_HAM_MAX_ENTRIES)) {
        snprintf(err, errlen,
                 "hierarchical: the coupled problem on %zu kept states would need %.3g GiB; "
                 "give fewer groups (groups=) or a larger tol",
                 P->n, need / 1073741824.0);
        return QP_ERR_NUMERIC;
    }
    msink S = {{0}, NULL, P->n};
    char *in = calloc(P->ng, 1);
    uint16_t *col = malloc(P->ng * sizeof *col);
    if (dense) {
        S.D = calloc(P->n * P->n, sizeof *S.D);
    }
    if (!in || !col || (dense && !S.D)) {
        free(in), free(col), free(S.D);
        return QP_ERR_NOMEM;
    }
    for (size_t r = 0; r < P->n && !S.T.nomem; r++) {
        double d = h->cst;
        for (size_t g = 0; g < P->ng && !h->dress_all; g++) {
            d += h->G[g].e[P->tup[r * P->ng + g]];
        }
        sink_add(&S, r, r, d);
    }
    for (size_t k = 0; k < h->nx && !S.T.nomem; k++) {
        const cross_t *x = &h->X[k];
        double combos = 1.0;
        memset(in, 0, P->ng);
        for (size_t j = 0; j < x->ng; j++) {
            in[x->g[j]] = 1;
            combos *= (double)P->kmax[x->g[j]];
        }
        for (size_t r = 0; r < P->n && !S.T.nomem; r++) {
            cross_row(h, P, x, r, col, in, combos > (double)P->n, &S);
        }
    }
    qp_status st = S.T.nomem ? QP_ERR_NOMEM : QP_OK;
    out->n = P->n;
    if (st == QP_OK && dense) {
        out->D = S.D;
        S.D = NULL;
    } else if (st == QP_OK) {
        double maxre = 0.0, maxim = 0.0;
        for (size_t i = 0; i < S.T.n; i++) {
            maxre = fmax(maxre, fabs(S.T.re[i]));
            maxim = fmax(maxim, fabs(S.T.im[i]));
        }
        int real = maxim <= 1e-14 * fmax(maxre, 1e-300);
        st = qp_sparse_from_triplets(P->n, S.T.n, S.T.row, S.T.col, S.T.re, real ? NULL : S.T.im,
                                     &out->H);
    }
    free(S.T.row), free(S.T.col), free(S.T.re), free(S.T.im), free(S.D), free(in), free(col);
    return st;
}

/* y = D x for the dense coupled matrix (qp_linop): real (D compacted to n x n doubles) or
 * complex (interleaved pairs). A real matrix applied to a complex vector: parts one by one. */
typedef struct {
    const double *D;
    lp_int n;
    int cplx;
} dense_op;

static void dense_apply(void *ctx, int real, const double *x, double *y)
{
    const dense_op *A = ctx;
    const double one[2] = {1.0, 0.0}, zero[2] = {0.0, 0.0};
    lp_int inc = 1, inc2 = 2;
    if (A->cplx) {
        zgemv_("N", &A->n, &A->n, one, A->D, &A->n, x, &inc, zero, y, &inc, 1);
    } else if (real) {
        dgemv_("N", &A->n, &A->n, one, A->D, &A->n, x, &inc, zero, y, &inc, 1);
    } else {
        dgemv_("N", &A->n, &A->n, one, A->D, &A->n, x, &inc2, zero, y, &inc2, 1);
        dgemv_("N", &A->n, &A->n, one, A->D, &A->n, x + 1, &inc2, zero, y + 1, &inc2, 1);
    }
}

/* The lowest levels of a dense coupled matrix (D: n x n complex, compacted in place when real):
 * LAPACK when small, else Lanczos on its product. */
static qp_status solve_dense(hier *h, double complex *D, size_t n, qp_eig_opts *eo, double *E,
                             double *vec, qp_eig_info *info)
{
    double maxre = 0.0, maxim = 0.0, norm1 = 0.0;
    for (size_t c = 0; c < n; c++) {
        double col = 0.0;
        for (size_t r = 0; r < n; r++) {
            maxre = fmax(maxre, fabs(creal(D[r + c * n])));
            maxim = fmax(maxim, fabs(cimag(D[r + c * n])));
            col += cabs(D[r + c * n]);
        }
        norm1 = fmax(norm1, col);
    }
    int cplx = maxim > 1e-14 * fmax(maxre, 1e-300);
    if (n <= DENSE_LAPACK_MAX || (size_t)eo->nev + 2 > n || n > (size_t)INT32_MAX) {
        eo->method = QP_EIG_DENSE;
        return qp_eig_lowest_dense((const double *)D, n, cplx, eo, E, vec, info, h->err,
                                   h->errlen);
    }
    double *R = (double *)D;
    for (size_t k = 0; !cplx && k < n * n; k++) { /* k <= 2k: forward in place is safe */
        R[k] = creal(D[k]);
    }
    dense_op A = {R, (lp_int)n, cplx};
    qp_linop op = {n, cplx, norm1, dense_apply, &A};
    eo->method = QP_EIG_LANCZOS;
    return qp_eig_lowest_op(&op, eo, E, vec, info, h->err, h->errlen);
}

/* One coupled solve at Ecut: the lowest levels into E (nlev of them). */
qp_status qp_hier_solve_at(hier *h, const prodset *P, double *E, int *nlev, double *vec,
                           qp_eig_info *info)
{
    coupled C = {{0}, NULL, 0};
    qp_status st = assemble(h, P, &C, h->err, h->errlen);
    if (st != QP_OK) {
        return st;
    }
    qp_eig_opts eo;
    qp_eig_opts_default(&eo);
    int want = h->o->levels;
    eo.nev = (size_t)want < C.n ? want : (int)C.n;
    eo.want_vectors = vec != NULL;
    *nlev = eo.nev;
    if (C.D) {
        st = solve_dense(h, C.D, C.n, &eo, E, vec, info);
        free(C.D);
        return st;
    }
    qp_sparse *H = &C.H;
    size_t room = H->im ? 2 : 1; /* ARPACK: nev <= n - 1 (real), n - 2 (complex) */
    if ((size_t)want + room > H->n || qp_eig_many_levels(H->n, want)) {
        eo.method = QP_EIG_DENSE;
    } else if (H->n > eo.dense_max) {
        /* Lanczos, not shift-invert: the kept states span only Ecut, so the spectrum is narrow
         * and Lanczos converges in few restarts, while the dressed couplings make the matrix
         * dense enough that a sparse factor fills in (chain of six transmons: 1.1 s against
         * 5.4 s, 106 MB against 330 MB; docs/performance.md). */
        eo.method = QP_EIG_LANCZOS;
    }
    st = qp_eig_lowest(H, &eo, E, vec, info, h->err, h->errlen);
    qp_sparse_free(H);
    return st;
}

qp_status qp_hier_operator_elements(const hier *h, const prodset *P, const cross_t *X, size_t nx,
                                   double cst, const double complex *V, size_t L, double *re,
                                   double *im)
{
    hier view = *h; /* the operator in place of the Hamiltonian's terms */
    view.X = (cross_t *)X;
    view.nx = nx;
    view.cst = cst;
    view.dress_all = 1; /* no group energies on the diagonal; a dense matrix */
    coupled O = {{0}, NULL, 0};
    qp_status st = assemble(&view, P, &O, h->err, h->errlen);
    size_t n = P->n;
    double complex *ov = st == QP_OK ? malloc(n * sizeof *ov) : NULL;
    st = st == QP_OK && !ov ? QP_ERR_NOMEM : st;
    for (size_t j = 0; j < L && st == QP_OK; j++) {
        for (size_t r = 0; r < n; r++) {
            double complex acc = 0.0;
            for (size_t c = 0; c < n; c++) {
                acc += O.D[r + c * n] * V[j * n + c];
            }
            ov[r] = acc;
        }
        for (size_t i = 0; i < L; i++) {
            double complex acc = 0.0;
            for (size_t r = 0; r < n; r++) {
                acc += conj(V[i * n + r]) * ov[r];
            }
            re[i * L + j] = creal(acc);
            im[i * L + j] = cimag(acc);
        }
    }
    free(ov), free(O.D);
    return st;
}

qp_status qp_hier_labels(hier *h, const prodset *P, qp_spectrum *out)
{
    size_t n = P->n, L = (size_t)out->nlev, ng = P->ng;
    int nlev = 0;
    double *E = malloc((L ? L : 1) * sizeof *E);
    double *V = malloc(2 * n * (L ? L : 1) * sizeof *V);
    out->label = calloc((L ? L : 1) * ng, sizeof *out->label);
    out->lab_weight = calloc(L ? L : 1, sizeof *out->lab_weight);
    qp_eig_info info;
    qp_status st = E && V && out->label && out->lab_weight ? QP_OK : QP_ERR_NOMEM;
    if (st == QP_OK) {
        st = qp_hier_solve_at(h, P, E, &nlev, V, &info);
    }
    if (st == QP_OK && (size_t)nlev != L) { /* the same kept states: cannot differ */
        snprintf(h->err, h->errlen, "hierarchical: the labels' solve gave %d levels, not %zu",
                 nlev, L);
        st = QP_ERR_NUMERIC;
    }
    for (size_t k = 0; st == QP_OK && k < L; k++) {
        const double *v = V + 2 * n * k;
        size_t best = 0;
        double w = -1.0;
        for (size_t r = 0; r < n; r++) {
            double a = v[2 * r] * v[2 * r] + v[2 * r + 1] * v[2 * r + 1];
            if (a > w) {
                w = a, best = r;
            }
        }
        for (size_t g = 0; g < ng; g++) {
            out->label[k * ng + g] = (int)P->tup[best * ng + g];
        }
        out->lab_weight[k] = w;
    }
    free(E), free(V);
    return st;
}
