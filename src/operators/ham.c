/* Hamiltonian assembly as sums of Kronecker products of per-mode operators (docs/physics.md); the
 * per-mode matrices come from operators/basis.c. */
#include "operators/ham.h"

#include "base/mem.h"
#include "operators/basis.h"
#include "operators/kron.h"
#include "qpsim/units.h"


#include <complex.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZERO_COEF 1e-14 /* relative size below which a quadratic coefficient is dropped */

typedef struct {
    size_t dim, nmodes;
    const size_t *dims, *stride; /* those of the term list */
    double complex *diag; /* diagonal terms accumulated densely */
    size_t *row, *col;    /* off-diagonal triplets */
    double *re, *im;
    size_t n, cap;
    int nomem, too_big;
} builder;

/* What the term builders below share: the list they append to and an out-of-memory flag. */
typedef struct {
    qp_kron *K;
    int nomem;
} terms;

size_t qp_ham_mode_dim(qp_mode_kind k, int c)
{
    switch (k) {
    case QP_MODE_FROZEN:
        return 1;
    case QP_MODE_OSC:
        return (size_t)c;
    default:
        return 2 * (size_t)c + 1;
    }
}

double qp_ham_osc_zpf(const qp_modes *m, size_t i)
{
    return pow(m->Ac[i * m->n + i] / (2.0 * m->Lm[i * m->n + i]), 0.25);
}

double qp_ham_basis_zpf(const qp_modes *m, size_t i)
{
    size_t n = m->n;
    double A = m->Ac[i * n + i], L = m->Lm[i * n + i];
    double zp = L > 0.0 ? qp_ham_osc_zpf(m, i) : -1.0; /* no own inductance: the wells alone */
    for (size_t t = 0; t < m->ncos; t++) {
        double c = m->cos[t].c[i], E = fabs(m->cos[t].E);
        if (m->cos[t].is_qps) {
            A += 0.5 * E * 4.0 * QP_PI * QP_PI * c * c;
        } else {
            L += E * c * c;
        }
    }
    double zw = pow(A / (2.0 * L), 0.25);
    return zp > 0.0 ? sqrt(zp * zw) : zw;
}

void qp_ham_basis_geom(const qp_modes *m, size_t i, qp_osc_geom *g)
{
    size_t n = m->n;
    double L = m->Lm[i * n + i], A = m->Ac[i * n + i];
    g->zp = qp_ham_basis_zpf(m, i);
    g->x0 = L > 0.0 ? -m->lphi[i] / L : 0.0;
    g->p0 = A > 0.0 ? -0.5 * m->lp[i] / A : 0.0;
}

/* The grid lives with the other per-mode bases; kept here under its old name for the analyses. */
double qp_ham_grid_step(size_t N, double zp)
{
    return qp_basis_grid_step(N, zp);
}

/* Room for cap triplets in each array (the count is known before the expansion starts). */
static int reserve(builder *b, size_t cap)
{
    size_t *r = realloc(b->row, cap * sizeof *r);
    b->row = r ? r : b->row;
    size_t *c = realloc(b->col, cap * sizeof *c);
    b->col = c ? c : b->col;
    double *x = realloc(b->re, cap * sizeof *x);
    b->re = x ? x : b->re;
    double *y = realloc(b->im, cap * sizeof *y);
    b->im = y ? y : b->im;
    if (!r || !c || !x || !y) {
        return 0;
    }
    b->cap = cap;
    return 1;
}

static void push_triplet(builder *b, size_t r, size_t c, double re, double im)
{
    if (b->n == b->cap && !reserve(b, b->cap ? 2 * b->cap : 64)) {
        b->nomem = 1;
        return;
    }
    b->row[b->n] = r;
    b->col[b->n] = c;
    b->re[b->n] = re;
    b->im[b->n] = im;
    b->n++;
}

static void emit(builder *b, size_t r, size_t c, double complex v)
{
    if (r == c) {
        b->diag[r] += v;
    } else {
        push_triplet(b, r, c, creal(v), cimag(v));
    }
}

/* Adds coef * (kron of factors), and its Hermitian conjugate when `herm` is set. */
static void add_kron(builder *b, const qp_factor *f, double complex coef, int herm)
{
    size_t nm = b->nmodes;
    size_t count = 1;
    for (size_t i = 0; i < nm; i++) {
        size_t len = f[i].ident ? b->dims[i] : f[i].n;
        if (len == 0) {
            return;
        }
        if (count > QP_HAM_MAX_ENTRIES / len) {
            b->too_big = 1;
            return;
        }
        count *= len;
    }
    if (b->n + count * (herm ? 2 : 1) > QP_HAM_MAX_ENTRIES) {
        b->too_big = 1;
        return;
    }
    size_t *idx = calloc(nm ? nm : 1, sizeof *idx);
    if (!idx) {
        b->nomem = 1;
        return;
    }
    for (size_t t = 0; t < count && !b->nomem; t++) {
        size_t r = 0, c = 0;
        double complex v = coef;
        for (size_t i = 0; i < nm; i++) {
            if (f[i].ident) {
                r += idx[i] * b->stride[i];
                c += idx[i] * b->stride[i];
            } else {
                r += f[i].row[idx[i]] * b->stride[i];
                c += f[i].col[idx[i]] * b->stride[i];
                v *= f[i].v[idx[i]];
            }
        }
        emit(b, r, c, v);
        if (herm) {
            emit(b, c, r, conj(v));
        }
        for (size_t i = nm; i-- > 0;) { /* odometer, last mode fastest */
            size_t len = f[i].ident ? b->dims[i] : f[i].n;
            if (++idx[i] < len) {
                break;
            }
            idx[i] = 0;
        }
    }
    free(idx);
}

static void set_ident(qp_factor *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        memset(&f[i], 0, sizeof f[i]);
        f[i].ident = 1;
        f[i].diagonal = 1;
    }
}

qp_status qp_ham_assemble(const qp_modes *m, const int *cut, int grid, qp_sparse *H, char *err,
                          size_t errlen)
{
    return qp_ham_assemble_terms(m, m, cut, grid, H, err, errlen);
}

/* The expansion of a term list into triplets: the dense diagonal starts at the constant. Sets
 * b->too_big when the dimension would pass QP_HAM_MAX_ENTRIES (then no diagonal is allocated).
 * QP_ERR_NOMEM or QP_OK. */
static qp_status builder_init(builder *b, const qp_kron *K)
{
    b->nmodes = K->nslot;
    b->dims = K->dims;
    b->stride = K->stride;
    b->dim = K->dim;
    for (size_t i = 0, d = 1; i < K->nslot; i++) {
        if (K->dims[i] && d > QP_HAM_MAX_ENTRIES / K->dims[i]) {
            b->too_big = 1;
            return QP_OK;
        }
        d *= K->dims[i];
    }
    b->diag = calloc(b->dim ? b->dim : 1, sizeof *b->diag);
    if (!b->diag) {
        return QP_ERR_NOMEM;
    }
    for (size_t i = 0; i < b->dim; i++) {
        b->diag[i] = K->cst;
    }
    return QP_OK;
}

/* Largest |entry| of the quadratic forms (at least 1e-300): coefficients below ZERO_COEF of it
 * are dropped. */
static double coef_scale(const qp_modes *m)
{
    double scale = 1e-300;
    for (size_t i = 0; i < m->n * m->n; i++) {
        scale = fmax(scale, fmax(fabs(m->Lm[i]), fabs(m->Ac[i])));
    }
    return scale;
}

/* The quadratic terms of modes i <= j: (1/2) Lm Phi Phi and Ac P P, off-diagonal pairs counted
 * once with their symmetric partner folded in. f (n factors) is scratch. */
static void add_pair(terms *b, const qp_modes *m, qp_factor *f, const qp_osc_geom *geo, int grid,
                     double scale, size_t i, size_t j)
{
    size_t n = m->n;
    for (int form = 0; form < 2; form++) {
        double a = form == 0 ? m->Lm[i * n + j] : m->Ac[i * n + j];
        if (fabs(a) <= ZERO_COEF * scale) {
            continue;
        }
        double coef = form == 0 ? (i == j ? 0.5 * a : a) : (i == j ? a : 2.0 * a);
        set_ident(f, n);
        const size_t *dims = b->K->dims;
        int ok = i == j ? qp_basis_quad(&f[i], m->kind[i], dims[i], &geo[i],
                                        form == 0 ? 'X' : 'P', grid)
                        : qp_basis_quad(&f[i], m->kind[i], dims[i], &geo[i],
                                        form == 0 ? 'x' : 'p', grid) &&
                              qp_basis_quad(&f[j], m->kind[j], dims[j], &geo[j],
                                            form == 0 ? 'x' : 'p', grid);
        if (!ok || !qp_kron_add(b->K, f, coef, 0)) {
            b->nomem = 1;
        }
        qp_basis_factor_free(&f[i]);
        qp_basis_factor_free(&f[j]);
    }
}

/* The linear terms of mode i: lphi Phi and lp P. */
static void add_linear(terms *b, const qp_modes *m, qp_factor *f, const qp_osc_geom *geo, int grid,
                       double scale, size_t i)
{
    for (int form = 0; form < 2; form++) {
        double a = form == 0 ? m->lphi[i] : m->lp[i];
        if (fabs(a) <= ZERO_COEF * scale) {
            continue;
        }
        set_ident(f, m->n);
        if (!qp_basis_quad(&f[i], m->kind[i], b->K->dims[i], &geo[i], form == 0 ? 'x' : 'p',
                           grid) ||
            !qp_kron_add(b->K, f, a, 0)) {
            b->nomem = 1;
        }
        qp_basis_factor_free(&f[i]);
    }
}

/* Quadratic and linear terms, mode by mode (the order of the sums is the order of the loops). */
static void add_polynomial(terms *b, const qp_modes *m, qp_factor *f, const qp_osc_geom *geo,
                           int grid)
{
    size_t n = m->n;
    double scale = coef_scale(m);
    for (size_t i = 0; i < n && !b->nomem; i++) {
        for (size_t j = i; j < n && !b->nomem; j++) {
            add_pair(b, m, f, geo, grid, scale, i, j);
        }
        add_linear(b, m, f, geo, grid, scale, i);
    }
}

/* Cosines: -E/2 (e^{i theta} U + h.c.), the phases of the oscillators' centres in the
 * coefficient (qp_basis_exp). */
static void add_cosines(terms *b, const qp_modes *m, qp_factor *f, const qp_osc_geom *geo, int grid,
                        qp_basis_cache *cache)
{
    size_t n = m->n;
    for (size_t k = 0; k < m->ncos && !b->nomem; k++) {
        const qp_cos_term *t = &m->cos[k];
        set_ident(f, n);
        double ph = t->is_qps ? 2.0 * QP_PI * t->shift : t->shift;
        double complex coef = -0.5 * t->E * cexp(I * ph), centre = 1.0;
        int ok = 1;
        for (size_t i = 0; i < n && ok; i++) {
            ok = qp_basis_exp(&f[i], &centre, m->kind[i], b->K->dims[i], &geo[i], t->c[i],
                              t->is_qps, grid, cache);
            coef *= centre;
        }
        if (!ok || !qp_kron_add(b->K, f, coef, 1)) {
            b->nomem = 1;
        }
        for (size_t i = 0; i < n; i++) {
            qp_basis_factor_free(&f[i]);
        }
    }
}

/* Diagonal into the triplets, then compress; imaginary parts dropped when all vanish. */
static qp_status builder_finish(builder *b, qp_sparse *H)
{
    double maxre = 0.0, maxim = 0.0;
    for (size_t i = 0; i < b->dim && !b->nomem; i++) {
        if (creal(b->diag[i]) != 0.0 || cimag(b->diag[i]) != 0.0) {
            push_triplet(b, i, i, creal(b->diag[i]), cimag(b->diag[i]));
        }
    }
    if (b->nomem) {
        return QP_ERR_NOMEM;
    }
    for (size_t i = 0; i < b->n; i++) {
        maxre = fmax(maxre, fabs(b->re[i]));
        maxim = fmax(maxim, fabs(b->im[i]));
    }
    int real = maxim <= 1e-14 * fmax(maxre, 1e-300);
    qp_status st =
        qp_sparse_from_triplets(b->dim, b->n, b->row, b->col, b->re, real ? NULL : b->im, H);
    if (st == QP_OK && H->im) { /* terms whose imaginary parts cancel once summed (a cosine with
                                 * a flux in the oscillator basis): the real solvers */
        maxre = maxim = 0.0;
        for (size_t k = 0; k < H->nnz; k++) {
            maxre = fmax(maxre, fabs(H->re[k]));
            maxim = fmax(maxim, fabs(H->im[k]));
        }
        if (maxim <= 1e-14 * fmax(maxre, 1e-300)) {
            free(H->im);
            H->im = NULL;
        }
    }
    return st;
}

qp_status qp_ham_terms(const qp_modes *basis, const qp_modes *m, const int *cut, int grid,
                       qp_basis_cache *cache, qp_kron *K)
{
    memset(K, 0, sizeof *K); /* safe to free whatever happens below */
    size_t n = m->n;
    size_t *dims = calloc(n ? n : 1, sizeof *dims);
    qp_factor *f = calloc(n ? n : 1, sizeof *f);
    qp_osc_geom *geo = calloc(n ? n : 1, sizeof *geo);
    qp_status st = dims && f && geo ? QP_OK : QP_ERR_NOMEM;
    for (size_t i = 0; i < n && st == QP_OK; i++) {
        dims[i] = qp_ham_mode_dim(m->kind[i], cut[i]);
        if (m->kind[i] == QP_MODE_OSC) {
            qp_ham_basis_geom(basis, i, &geo[i]);
        }
    }
    if (st == QP_OK) {
        st = qp_kron_init(K, n, dims);
    }
    if (st == QP_OK || (st == QP_ERR_NUMERIC && K->dims)) { /* terms even when unindexable */
        terms b = {K, 0};
        K->cst = m->cst;
        add_polynomial(&b, m, f, geo, grid);
        qp_basis_cache_begin(cache);
        add_cosines(&b, m, f, geo, grid, cache);
        st = b.nomem ? QP_ERR_NOMEM : st;
    }
    if (f) {
        for (size_t i = 0; i < n; i++) {
            qp_basis_factor_free(&f[i]);
        }
    }
    free(dims), free(f), free(geo);
    return st;
}

size_t qp_ham_count_entries(const qp_kron *K)
{
    size_t total = K->dim;
    for (size_t k = 0; k < K->nterm; k++) {
        const qp_kron_term *t = &K->t[k];
        size_t count = t->herm ? 2 : 1;
        for (size_t i = 0, j = 0; i < K->nslot; i++) {
            size_t len = j < t->nf && t->slot[j] == i ? t->f[j++].n : K->dims[i];
            if (len && count > SIZE_MAX / len) {
                return SIZE_MAX;
            }
            count *= len;
        }
        if (total > SIZE_MAX - count) {
            return SIZE_MAX;
        }
        total += count;
    }
    return total;
}

qp_status qp_ham_expand(const qp_kron *K, qp_sparse *H, char *err, size_t errlen)
{
    /* Refused from the count before anything large is allocated: the triplets (4 x 8 bytes
     * each) and the dense diagonal come first, the compressed matrix after. */
    size_t entries = qp_ham_count_entries(K);
    double gib = (double)entries * 56.0 / 1073741824.0, budget = qp_mem_budget() / 1073741824.0;
    if (entries > QP_HAM_MAX_ENTRIES || gib > budget) { /* the budget: a smaller machine */
        snprintf(err, errlen,
                 "the Hamiltonian would have %.3g stored entries, %.3g GiB to assemble (at most "
                 "%zu entries, and %.3g GiB: 3/4 of this machine's memory); use .spectrum "
                 "method=hierarchical, or smaller cutoffs",
                 (double)entries, gib, QP_HAM_MAX_ENTRIES, budget);
        return QP_ERR_NUMERIC;
    }
    builder b = {0};
    size_t n = K->nslot;
    qp_factor *f = calloc(n ? n : 1, sizeof *f);
    qp_status st = f ? builder_init(&b, K) : QP_ERR_NOMEM;
    if (st == QP_OK && !b.too_big && !reserve(&b, entries ? entries : 1)) {
        st = QP_ERR_NOMEM;
    }
    for (size_t k = 0; k < K->nterm && st == QP_OK && !b.too_big && !b.nomem; k++) {
        const qp_kron_term *t = &K->t[k];
        for (size_t i = 0; i < n; i++) {
            memset(&f[i], 0, sizeof f[i]);
            f[i].ident = 1;
        }
        for (size_t j = 0; j < t->nf; j++) {
            f[t->slot[j]] = t->f[j]; /* borrowed: never freed here */
        }
        add_kron(&b, f, t->coef, t->herm);
    }
    if (st == QP_OK && b.too_big) {
        snprintf(err, errlen, "the Hamiltonian would exceed %zu stored entries",
                 QP_HAM_MAX_ENTRIES);
        st = QP_ERR_NUMERIC;
    } else if (st == QP_OK) {
        st = b.nomem ? QP_ERR_NOMEM : builder_finish(&b, H);
    }
    free(b.diag), free(b.row), free(b.col), free(b.re), free(b.im), free(f);
    return st;
}

/* D += coef kron(factors of t) (+ h.c.), the last slot fastest. idx (nf) and off (K->dim) are
 * scratch: off receives the offsets of the identity slots once per term, not once per entry. */
static void dense_term(const qp_kron *K, const qp_kron_term *t, size_t *idx, size_t *off,
                       double *D)
{
    size_t n = K->dim, nf = t->nf, count = 1;
    for (size_t j = 0; j < nf; j++) {
        count *= t->f[j].n;
    }
    size_t rest = n; /* the identity slots: every r = c over them */
    for (size_t j = 0; j < nf; j++) {
        rest /= K->dims[t->slot[j]];
    }
    for (size_t e = 0; e < rest; e++) { /* e enumerates the identity slots' index */
        size_t o = 0, left = e;
        for (size_t i = K->nslot; i-- > 0;) {
            int used = 0;
            for (size_t j = 0; j < nf && !used; j++) {
                used = t->slot[j] == i;
            }
            if (!used) {
                o += (left % K->dims[i]) * K->stride[i];
                left /= K->dims[i];
            }
        }
        off[e] = o;
    }
    if (nf == 1) { /* one factor (a single-mode circuit's every term): its entries in order */
        const qp_factor *f = &t->f[0];
        size_t s = K->stride[t->slot[0]];
        for (size_t q = 0; q < count; q++) {
            double complex v = t->coef;
            v *= f->v[q];
            double re = creal(v), im = cimag(v);
            for (size_t e = 0; e < rest; e++) {
                size_t r = f->row[q] * s + off[e], c = f->col[q] * s + off[e];
                D[2 * (c * n + r)] += re, D[2 * (c * n + r) + 1] += im;
                if (t->herm) {
                    D[2 * (r * n + c)] += re, D[2 * (r * n + c) + 1] -= im;
                }
            }
        }
        return;
    }
    for (size_t j = 0; j < nf; j++) {
        idx[j] = 0;
    }
    for (size_t q = 0; q < count; q++) {
        size_t r0 = 0, c0 = 0;
        double complex v = t->coef;
        for (size_t j = 0; j < nf; j++) {
            const qp_factor *f = &t->f[j];
            r0 += f->row[idx[j]] * K->stride[t->slot[j]];
            c0 += f->col[idx[j]] * K->stride[t->slot[j]];
            v *= f->v[idx[j]];
        }
        double re = creal(v), im = cimag(v);
        for (size_t e = 0; e < rest; e++) {
            size_t r = r0 + off[e], c = c0 + off[e];
            D[2 * (c * n + r)] += re, D[2 * (c * n + r) + 1] += im;
            if (t->herm) {
                D[2 * (r * n + c)] += re, D[2 * (r * n + c) + 1] -= im;
            }
        }
        for (size_t j = nf; j-- > 0;) { /* odometer over the factors' entries */
            if (++idx[j] < t->f[j].n) {
                break;
            }
            idx[j] = 0;
        }
    }
}

/* The largest |x[2 p]|, p < count (NaN entries ignored). Plain comparisons (fmax is a call per
 * entry), two entries at a time into separate maxima: one chain of dependent comparisons was the
 * slowest loop of the dense expansion, and a maximum is the same in any order. */
static double largest_abs(const double *x, size_t count)
{
    double m0 = 0.0, m1 = 0.0;
    size_t p = 0;
    for (; p + 1 < count; p += 2) {
        double a = fabs(x[2 * p]), b = fabs(x[2 * p + 2]);
        m0 = a > m0 ? a : m0;
        m1 = b > m1 ? b : m1;
    }
    if (p < count) {
        double a = fabs(x[2 * p]);
        m0 = a > m0 ? a : m0;
    }
    return m1 > m0 ? m1 : m0;
}

qp_status qp_ham_expand_dense(const qp_kron *K, double *D, int *cplx)
{
    size_t n = K->dim;
    memset(D, 0, 2 * n * n * sizeof *D);
    size_t *ix = malloc((K->nslot + n + 1) * sizeof *ix); /* nf <= nslot, then the offsets */
    if (!ix) {
        return QP_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        D[2 * (i * n + i)] += creal(K->cst), D[2 * (i * n + i) + 1] += cimag(K->cst);
    }
    for (size_t k = 0; k < K->nterm; k++) {
        dense_term(K, &K->t[k], ix, ix + K->nslot, D);
    }
    free(ix);
    /* The imaginary parts first: when all vanish (a real Hamiltonian, whose phases cancel
     * exactly), the test passes whatever the real parts are, and those need no pass. */
    double maxim = largest_abs(D + 1, n * n);
    *cplx = maxim != 0.0 && !(maxim <= 1e-14 * fmax(largest_abs(D, n * n), 1e-300));
    for (size_t p = 0; !*cplx && p < n * n; p++) {
        D[2 * p + 1] = 0.0;
    }
    return QP_OK;
}

qp_status qp_ham_assemble_terms(const qp_modes *basis, const qp_modes *m, const int *cut,
                                int grid, qp_sparse *H, char *err, size_t errlen)
{
    qp_kron K;
    qp_status st = qp_ham_terms(basis, m, cut, grid, NULL, &K);
    if (st == QP_ERR_NUMERIC) {
        snprintf(err, errlen, "the Hamiltonian would exceed %zu stored entries",
                 QP_HAM_MAX_ENTRIES);
    } else if (st == QP_OK) {
        st = qp_ham_expand(&K, H, err, errlen);
    }
    qp_kron_free(&K);
    return st;
}
