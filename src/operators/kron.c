/* Sums of Kronecker products of per-slot factors: the term list and the matrix-free product
 * (docs/physics.md, "Matrix-free operators"). */
#include "operators/kron.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

qp_status qp_kron_init(qp_kron *K, size_t nslot, const size_t *dims)
{
    memset(K, 0, sizeof *K);
    K->dims = calloc(nslot ? nslot : 1, sizeof *K->dims);
    K->stride = calloc(nslot ? nslot : 1, sizeof *K->stride);
    if (!K->dims || !K->stride) {
        return QP_ERR_NOMEM;
    }
    K->nslot = nslot;
    K->dim = 1;
    for (size_t i = nslot; i-- > 0;) {
        K->dims[i] = dims[i];
    }
    for (size_t i = nslot; i-- > 0;) {
        K->stride[i] = K->dim;
        if (dims[i] && K->dim > SIZE_MAX / dims[i]) {
            K->dim = 0; /* too large to index; the slots and terms stay usable */
            return QP_ERR_NUMERIC;
        }
        K->dim *= dims[i];
    }
    return QP_OK;
}

void qp_kron_free(qp_kron *K)
{
    for (size_t k = 0; k < K->nterm; k++) {
        for (size_t j = 0; j < K->t[k].nf; j++) {
            qp_basis_factor_free(&K->t[k].f[j]);
        }
        free(K->t[k].slot), free(K->t[k].f);
    }
    free(K->t), free(K->dims), free(K->stride);
    memset(K, 0, sizeof *K);
}

int qp_kron_add(qp_kron *K, qp_factor *f, double complex coef, int herm)
{
    size_t nf = 0;
    for (size_t i = 0; i < K->nslot; i++) {
        nf += !f[i].ident;
    }
    qp_kron_term *t = realloc(K->t, (K->nterm + 1) * sizeof *t);
    if (!t) {
        return 0;
    }
    K->t = t;
    qp_kron_term *n = &t[K->nterm];
    memset(n, 0, sizeof *n);
    n->slot = malloc((nf ? nf : 1) * sizeof *n->slot);
    n->f = malloc((nf ? nf : 1) * sizeof *n->f);
    if (!n->slot || !n->f) {
        free(n->slot), free(n->f);
        return 0;
    }
    n->coef = coef;
    n->herm = herm;
    for (size_t i = 0; i < K->nslot; i++) {
        if (!f[i].ident) {
            n->slot[n->nf] = i;
            n->f[n->nf++] = f[i];
            memset(&f[i], 0, sizeof f[i]);
            f[i].ident = 1;
            f[i].diagonal = 1;
        }
    }
    K->nterm++;
    return 1;
}

/* y += c * x on n complex values, in real arithmetic. */
static void axpy(size_t n, double complex c, const double complex *x, double complex *y)
{
    const double *xd = (const double *)x;
    double *yd = (double *)y;
    double cr = creal(c), ci = cimag(c);
    for (size_t i = 0; i < n; i++) {
        double a = xd[2 * i], b = xd[2 * i + 1];
        yd[2 * i] += cr * a - ci * b;
        yd[2 * i + 1] += cr * b + ci * a;
    }
}

/* y += coef * (I x f x I) x along slot s, or with f's conjugate transpose when adj is set: one
 * pass, no intermediate vector (a term of one factor, the most common). */
static void add_factor(const qp_kron *K, size_t s, const qp_factor *f, int adj,
                       double complex coef, const double complex *x, double complex *y)
{
    size_t d = K->dims[s], inner = K->stride[s], outer = K->dim / (d * inner);
    const double *xd = (const double *)x;
    double *yd = (double *)y;
    for (size_t o = 0; o < outer; o++) {
        size_t base = o * d * inner;
        for (size_t k = 0; k < f->n; k++) {
            size_t r = adj ? f->col[k] : f->row[k], c = adj ? f->row[k] : f->col[k];
            double complex v = coef * (adj ? conj(f->v[k]) : f->v[k]);
            double vr = creal(v), vi = cimag(v);
            const double *xc = xd + 2 * (base + c * inner);
            double *yr = yd + 2 * (base + r * inner);
            for (size_t i = 0; i < inner; i++) {
                double a = xc[2 * i], b = xc[2 * i + 1];
                yr[2 * i] += vr * a - vi * b;
                yr[2 * i + 1] += vr * b + vi * a;
            }
        }
    }
}

/* y = (I x f x I) x along slot s, or with f's conjugate transpose when adj is set. */
static void apply_factor(const qp_kron *K, size_t s, const qp_factor *f, int adj,
                         const double complex *x, double complex *y)
{
    memset(y, 0, K->dim * sizeof *y);
    add_factor(K, s, f, adj, 1.0, x, y);
}

/* y += coef * (kron of t's factors, or of their adjoints) x. */
static void apply_term(const qp_kron *K, const qp_kron_term *t, int adj, const double complex *x,
                       double complex *y, double complex *work)
{
    double complex coef = adj ? conj(t->coef) : t->coef;
    if (t->nf == 1) {
        add_factor(K, t->slot[0], &t->f[0], adj, coef, x, y);
        return;
    }
    const double complex *src = x;
    for (size_t j = 0; j < t->nf; j++) {
        double complex *dst = work + (j % 2) * K->dim;
        apply_factor(K, t->slot[j], &t->f[j], adj, src, dst);
        src = dst;
    }
    axpy(K->dim, coef, src, y);
}

void qp_kron_apply(const qp_kron *K, const double complex *x, double complex *y,
                   double complex *work)
{
    memset(y, 0, K->dim * sizeof *y);
    if (K->cst != 0.0) {
        axpy(K->dim, K->cst, x, y);
    }
    for (size_t k = 0; k < K->nterm; k++) {
        apply_term(K, &K->t[k], 0, x, y, work);
        if (K->t[k].herm) {
            apply_term(K, &K->t[k], 1, x, y, work);
        }
    }
}

/* ||f||_1: the largest column sum of |f|. */
static double factor_norm1(const qp_factor *f, size_t d)
{
    double *col = calloc(d ? d : 1, sizeof *col), best = 0.0;
    if (!col) {
        return INFINITY;
    }
    for (size_t k = 0; k < f->n; k++) {
        col[f->col[k]] += cabs(f->v[k]);
    }
    for (size_t j = 0; j < d; j++) {
        best = fmax(best, col[j]);
    }
    free(col);
    return best;
}

double qp_kron_norm_bound(const qp_kron *K)
{
    double total = cabs(K->cst);
    for (size_t k = 0; k < K->nterm; k++) {
        const qp_kron_term *t = &K->t[k];
        double p = cabs(t->coef) * (t->herm ? 2.0 : 1.0);
        for (size_t j = 0; j < t->nf; j++) {
            p *= factor_norm1(&t->f[j], K->dims[t->slot[j]]);
        }
        total += p;
    }
    return total;
}

/* Whether every coefficient and factor of K is real: then K maps real vectors to real ones
 * term by term (and each term equals its adjoint's transpose). */
static int all_real(const qp_kron *K)
{
    int real = cimag(K->cst) == 0.0;
    for (size_t k = 0; real && k < K->nterm; k++) {
        real = cimag(K->t[k].coef) == 0.0;
        for (size_t j = 0; real && j < K->t[k].nf; j++) {
            for (size_t e = 0; real && e < K->t[k].f[j].n; e++) {
                real = cimag(K->t[k].f[j].v[e]) == 0.0;
            }
        }
    }
    return real;
}

/* y += c (I x f x I) x on real vectors, f real, in one pass (a term of one factor). */
static void add_factor_real(const qp_kron *K, size_t s, const qp_factor *f, double c,
                            const double *x, double *y)
{
    size_t d = K->dims[s], inner = K->stride[s], outer = K->dim / (d * inner);
    for (size_t o = 0; o < outer; o++) {
        size_t base = o * d * inner;
        for (size_t k = 0; k < f->n; k++) {
            double v = c * creal(f->v[k]);
            const double *xc = x + base + f->col[k] * inner;
            double *yr = y + base + f->row[k] * inner;
            for (size_t i = 0; i < inner; i++) {
                yr[i] += v * xc[i];
            }
        }
    }
}

/* y = (I x f x I) x on real vectors (f has real values). */
static void apply_factor_real(const qp_kron *K, size_t s, const qp_factor *f, const double *x,
                              double *y)
{
    memset(y, 0, K->dim * sizeof *y);
    add_factor_real(K, s, f, 1.0, x, y);
}

/* y = K x for an all-real K on real vectors, its diagonal terms summed beforehand into diag
 * (cst included) and the others listed in offd; work holds 2 K->dim doubles. Adjoint terms use
 * the transposed factors (real: the conjugate is the value itself). */
static void apply_real(const qp_kron_op *op, const double *x, double *y, double *work)
{
    const qp_kron *K = op->K;
    size_t n = K->dim;
    for (size_t i = 0; i < n; i++) {
        y[i] = creal(op->diag[i]) * x[i];
    }
    for (size_t q = 0; q < op->noffd; q++) {
        const qp_kron_term *t = &K->t[op->offd[q]];
        for (int adj = 0; adj <= t->herm; adj++) {
            if (t->nf == 1) {
                qp_factor ft = t->f[0];
                if (adj) {
                    ft.row = t->f[0].col;
                    ft.col = t->f[0].row;
                }
                add_factor_real(K, t->slot[0], &ft, creal(t->coef), x, y);
                continue;
            }
            const double *src = x;
            for (size_t j = 0; j < t->nf; j++) {
                double *dst = work + (j % 2) * n;
                qp_factor ft = t->f[j];
                if (adj) { /* the transpose: rows and columns swapped */
                    ft.row = t->f[j].col;
                    ft.col = t->f[j].row;
                }
                apply_factor_real(K, t->slot[j], &ft, src, dst);
                src = dst;
            }
            double c = creal(t->coef);
            for (size_t i = 0; i < n; i++) {
                y[i] += c * src[i];
            }
        }
    }
}

/* y = K x as qp_kron_apply, with the diagonal terms summed beforehand (op->diag). */
static void apply_split(const qp_kron_op *op, const double complex *x, double complex *y)
{
    const double *xd = (const double *)x, *dd = (const double *)op->diag;
    double *yd = (double *)y;
    for (size_t i = 0; i < op->K->dim; i++) {
        double a = xd[2 * i], b = xd[2 * i + 1], u = dd[2 * i], v = dd[2 * i + 1];
        yd[2 * i] = u * a - v * b;
        yd[2 * i + 1] = u * b + v * a;
    }
    for (size_t q = 0; q < op->noffd; q++) {
        const qp_kron_term *t = &op->K->t[op->offd[q]];
        apply_term(op->K, t, 0, x, y, op->work);
        if (t->herm) {
            apply_term(op->K, t, 1, x, y, op->work);
        }
    }
}

static void linop_apply(void *ctx, int real, const double *x, double *y)
{
    qp_kron_op *c = ctx;
    size_t n = c->K->dim;
    if (real && c->real_terms) {
        apply_real(c, x, y, (double *)c->work);
        return;
    }
    if (!real) {
        apply_split(c, (const double complex *)x, (double complex *)y);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        c->x[i] = x[i];
    }
    apply_split(c, c->x, c->y);
    for (size_t i = 0; i < n; i++) {
        y[i] = creal(c->y[i]);
    }
}

void qp_kron_op_free(qp_kron_op *c)
{
    free(c->x), free(c->y), free(c->work), free(c->diag), free(c->offd);
    memset(c, 0, sizeof *c);
}

/* Whether every factor of t is diagonal (from its entries, not the builders' flag). */
static int term_diagonal(const qp_kron_term *t)
{
    for (size_t j = 0; j < t->nf; j++) {
        for (size_t k = 0; k < t->f[j].n; k++) {
            if (t->f[j].row[k] != t->f[j].col[k]) {
                return 0;
            }
        }
    }
    return 1;
}

/* The sum of K's diagonal terms (and cst) as a vector, c->diag, from their products with a
 * vector of ones (c->x, c->work as scratch); the other terms' indices into c->offd. A
 * Hamiltonian's charging and capacitive-coupling terms are all diagonal in the charge basis:
 * summed once, each product then makes one pass over them instead of two or three per term. */
static void sum_diagonal(const qp_kron *K, qp_kron_op *c)
{
    size_t n = K->dim;
    for (size_t i = 0; i < n; i++) {
        c->x[i] = 1.0;
        c->diag[i] = K->cst;
    }
    c->noffd = 0;
    for (size_t k = 0; k < K->nterm; k++) {
        if (!term_diagonal(&K->t[k])) {
            c->offd[c->noffd++] = k;
            continue;
        }
        apply_term(K, &K->t[k], 0, c->x, c->diag, c->work);
        if (K->t[k].herm) {
            apply_term(K, &K->t[k], 1, c->x, c->diag, c->work);
        }
    }
}

qp_status qp_kron_linop(const qp_kron *K, qp_kron_op *c, qp_linop *A)
{
    size_t n = K->dim;
    memset(c, 0, sizeof *c);
    c->K = K;
    if (n > SIZE_MAX / (4 * sizeof *c->x)) {
        return QP_ERR_NOMEM;
    }
    c->x = calloc(n ? n : 1, sizeof *c->x);
    c->y = malloc((n ? n : 1) * sizeof *c->y);
    c->work = malloc((n ? 2 * n : 1) * sizeof *c->work);
    c->diag = malloc((n ? n : 1) * sizeof *c->diag);
    c->offd = malloc((K->nterm ? K->nterm : 1) * sizeof *c->offd);
    if (!c->x || !c->y || !c->work || !c->diag || !c->offd) {
        qp_kron_op_free(c);
        return QP_ERR_NOMEM;
    }
    sum_diagonal(K, c);
    uint64_t state = 0x2545F4914F6CDD1DULL; /* fixed: the same answer on every run */
    for (size_t i = 0; i < n; i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        c->x[i] = (double)(state >> 11) / 9007199254740992.0 - 0.5;
    }
    qp_kron_apply(K, c->x, c->y, c->work);
    double re = 0.0, im = 0.0;
    for (size_t i = 0; i < n; i++) {
        re = fmax(re, fabs(creal(c->y[i])));
        im = fmax(im, fabs(cimag(c->y[i])));
    }
    A->n = n;
    A->cplx = im > 1e-14 * fmax(re, 1e-300);
    c->real_terms = all_real(K);
    A->norm1 = qp_kron_norm_bound(K);
    if (!isfinite(A->norm1)) { /* a factor's norm could not be computed: out of memory */
        qp_kron_op_free(c);
        return QP_ERR_NOMEM;
    }
    A->apply = linop_apply;
    A->ctx = c;
    return QP_OK;
}
