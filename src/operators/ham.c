/* Hamiltonian assembly as sums of Kronecker products of per-mode operators (PHYSICS.md §3). */
#include "operators/ham.h"
#include "operators/ho.h"
#include "qpsim/units.h"

#include "base/vec.h"

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZERO_COEF 1e-14 /* relative size below which a quadratic coefficient is dropped */

/* One per-mode factor: a small sparse matrix, or the identity when n == 0 and ident is set. */
typedef struct {
    size_t n;
    size_t *row, *col;
    double complex *v;
    int ident;
    int diagonal;
} factor;

typedef struct {
    size_t dim, nmodes;
    size_t *dims, *stride;
    double complex *diag; /* diagonal terms accumulated densely */
    size_t *row, *col;    /* off-diagonal triplets */
    double *re, *im;
    size_t n;
    int nomem, too_big;
} builder;

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

static void factor_free(factor *f)
{
    free(f->row), free(f->col), free(f->v);
    memset(f, 0, sizeof *f);
}

static int factor_alloc(factor *f, size_t n)
{
    f->row = malloc((n ? n : 1) * sizeof *f->row);
    f->col = malloc((n ? n : 1) * sizeof *f->col);
    f->v = malloc((n ? n : 1) * sizeof *f->v);
    f->n = 0;
    f->ident = 0;
    return f->row && f->col && f->v;
}

static void put(factor *f, size_t r, size_t c, double complex v)
{
    f->row[f->n] = r;
    f->col[f->n] = c;
    f->v[f->n++] = v;
}

/* Phase grid of an extended mode with N points: phi_j = (j - (N-1)/2) h. The range and the
 * spacing scale together with sqrt(N) so that N grid points resolve about as many levels as N
 * oscillator states: phi_max = sqrt(pi/2) zp sqrt(2N), momentum cutoff pi/h ~ sqrt(2N)/(2 zp). */
double qp_ham_grid_step(size_t N, double zp)
{
    double phimax = sqrt(QP_PI / 2.0) * zp * sqrt(2.0 * (double)N);
    return N > 1 ? 2.0 * phimax / (double)(N - 1) : 1.0;
}

/* Sinc-DVR operators on the grid (PHYSICS.md §3): Phi, Phi^2 diagonal; P = -i d/dphi and
 * P^2 = -d^2/dphi^2 dense with spectral accuracy. */
static int grid_quad_factor(factor *f, size_t N, double zp, char op)
{
    int diag = op == 'x' || op == 'X';
    if (!factor_alloc(f, diag ? N : N * N)) {
        return 0;
    }
    double h = qp_ham_grid_step(N, zp), c = 0.5 * (double)(N - 1);
    f->diagonal = diag;
    for (size_t i = 0; i < N; i++) {
        double x = ((double)i - c) * h;
        if (op == 'x' || op == 'X') {
            put(f, i, i, op == 'x' ? x : x * x);
            continue;
        }
        for (size_t j = 0; j < N; j++) {
            double dij = (double)i - (double)j, sgn = ((i + j) % 2) ? -1.0 : 1.0;
            if (op == 'p') {
                if (i != j) {
                    put(f, i, j, -I * sgn / (dij * h));
                }
            } else {
                put(f, i, j, i == j ? QP_PI * QP_PI / (3.0 * h * h) : 2.0 * sgn / (dij * dij * h * h));
            }
        }
    }
    return 1;
}

/* exp(i k Phi) (diagonal) or the translation exp(2 pi i k P) psi(phi) = psi(phi + 2 pi k) on the
 * grid, by band-limited (sinc) interpolation. */
static int grid_exp_factor(factor *f, size_t N, double zp, double k, int is_qps)
{
    if (!factor_alloc(f, is_qps ? N * N : N)) {
        return 0;
    }
    double h = qp_ham_grid_step(N, zp), c = 0.5 * (double)(N - 1);
    f->diagonal = !is_qps;
    for (size_t i = 0; i < N; i++) {
        if (!is_qps) {
            put(f, i, i, cexp(I * k * ((double)i - c) * h));
            continue;
        }
        for (size_t j = 0; j < N; j++) {
            double x = (double)i - (double)j + 2.0 * QP_PI * k / h;
            double v = fabs(x) < 1e-12 ? 1.0 : sin(QP_PI * x) / (QP_PI * x);
            if (fabs(v) > 1e-300) {
                put(f, i, j, v);
            }
        }
    }
    return 1;
}

/* Operator `op` of mode kind k with basis size d: 'x' = Phi, 'X' = Phi^2, 'p' = P, 'P' = P^2. */
static int quad_factor(factor *f, qp_mode_kind k, size_t d, double zp, char op, int grid)
{
    if (grid && k == QP_MODE_OSC) {
        return grid_quad_factor(f, d, zp, op);
    }
    if (!factor_alloc(f, 3 * d)) {
        return 0;
    }
    long c = (long)(d / 2);
    f->diagonal = k != QP_MODE_OSC;
    for (size_t i = 0; i < d; i++) {
        double n = (double)((long)i - c), s1 = sqrt((double)i + 1.0);
        double s2 = sqrt(((double)i + 1.0) * ((double)i + 2.0));
        if (k == QP_MODE_CHARGE) { /* P = n */
            put(f, i, i, op == 'p' ? n : n * n);
        } else if (k == QP_MODE_FLUXOID) { /* Phi = 2 pi m */
            put(f, i, i, op == 'x' ? 2.0 * QP_PI * n : 4.0 * QP_PI * QP_PI * n * n);
        } else if (op == 'x') { /* Phi = zp (a + a^dag) */
            if (i + 1 < d) {
                put(f, i + 1, i, zp * s1);
                put(f, i, i + 1, zp * s1);
            }
        } else if (op == 'X') { /* exact (a + a^dag)^2 */
            put(f, i, i, zp * zp * (2.0 * (double)i + 1.0));
            if (i + 2 < d) {
                put(f, i + 2, i, zp * zp * s2);
                put(f, i, i + 2, zp * zp * s2);
            }
        } else if (op == 'p') { /* P = i/(2 zp) (a^dag - a) */
            if (i + 1 < d) {
                put(f, i + 1, i, I * s1 / (2.0 * zp));
                put(f, i, i + 1, -I * s1 / (2.0 * zp));
            }
        } else { /* exact P^2 = (2n + 1 - a^2 - a^dag^2)/(4 zp^2) */
            put(f, i, i, (2.0 * (double)i + 1.0) / (4.0 * zp * zp));
            if (i + 2 < d) {
                put(f, i + 2, i, -s2 / (4.0 * zp * zp));
                put(f, i, i + 2, -s2 / (4.0 * zp * zp));
            }
        }
    }
    return 1;
}

/* exp(i k Phi) (junction) or exp(2 pi i k P) (phase slip) on one mode. */
static int exp_factor(factor *f, qp_mode_kind kind, size_t d, double zp, double k, int is_qps,
                      int grid)
{
    if (grid && kind == QP_MODE_OSC && k != 0.0) {
        return grid_exp_factor(f, d, zp, k, is_qps);
    }
    if (kind == QP_MODE_FROZEN || (kind != QP_MODE_OSC && k == 0.0) ||
        (kind == QP_MODE_OSC && k == 0.0)) {
        f->ident = 1;
        f->diagonal = 1;
        return 1;
    }
    if (kind == QP_MODE_CHARGE || kind == QP_MODE_FLUXOID) {
        long kk = lround(k);
        if (!factor_alloc(f, d)) {
            return 0;
        }
        int lattice_shift = (kind == QP_MODE_CHARGE) != is_qps; /* the operator shifts states */
        f->diagonal = !lattice_shift;
        for (size_t i = 0; i < d; i++) {
            if (!lattice_shift) {
                /* e^{2 pi i k P} on a charge mode (P integer) or e^{i k Phi} on a fluxoid mode
                 * (Phi in 2 pi Z) is the identity. */
                put(f, i, i, 1.0);
                continue;
            }
            /* charge: e^{ik phi}|n> = |n+k>; fluxoid: e^{2 pi i k P}|m> = |m-k>. */
            long j = (long)i + (kind == QP_MODE_CHARGE ? kk : -kk);
            if (j >= 0 && j < (long)d) {
                put(f, (size_t)j, i, 1.0);
            }
        }
        return 1;
    }
    double *X = malloc(2 * d * d * sizeof *X);
    if (!X || !factor_alloc(f, d * d)) {
        free(X);
        return 0;
    }
    /* e^{i k Phi} = e^{i k zp (a + a^dag)}; e^{2 pi i k P} = e^{s (a^dag - a)} with
     * s = -pi k/zp, whose elements are i^(n-m) <m|e^{i s (a + a^dag)}|n>. */
    double s = is_qps ? -QP_PI * k / zp : k * zp;
    if (qp_ho_exp_i_x(d, s, X) != QP_OK) {
        free(X);
        return 0;
    }
    static const double complex ipow[4] = {1.0, I, -1.0, -I};
    for (size_t col = 0; col < d; col++) {
        for (size_t row = 0; row < d; row++) {
            double complex v = X[2 * (col * d + row)] + I * X[2 * (col * d + row) + 1];
            if (is_qps) {
                v *= ipow[((col + 4 * d) - row) % 4];
            }
            if (cabs(v) > 1e-300) {
                put(f, row, col, v);
            }
        }
    }
    free(X);
    f->diagonal = 0;
    return 1;
}

static void push_triplet(builder *b, size_t r, size_t c, double re, double im)
{
    if (!qp_vec_grow((void **)&b->row, b->n, sizeof *b->row) ||
        !qp_vec_grow((void **)&b->col, b->n, sizeof *b->col) ||
        !qp_vec_grow((void **)&b->re, b->n, sizeof *b->re) ||
        !qp_vec_grow((void **)&b->im, b->n, sizeof *b->im)) {
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
static void add_kron(builder *b, const factor *f, double complex coef, int herm)
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

static void set_ident(factor *f, size_t n)
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

qp_status qp_ham_assemble_terms(const qp_modes *basis, const qp_modes *m, const int *cut,
                                int grid, qp_sparse *H, char *err, size_t errlen)
{
    size_t n = m->n;
    builder b = {0};
    b.nmodes = n;
    b.dims = calloc(n ? n : 1, sizeof *b.dims);
    b.stride = calloc(n ? n : 1, sizeof *b.stride);
    factor *f = calloc(n ? n : 1, sizeof *f);
    double *zp = calloc(n ? n : 1, sizeof *zp);
    qp_status st = QP_OK;
    if (!b.dims || !b.stride || !f || !zp) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    b.dim = 1;
    for (size_t i = n; i-- > 0;) {
        b.dims[i] = qp_ham_mode_dim(m->kind[i], cut[i]);
        b.stride[i] = b.dim;
        if (b.dims[i] && b.dim > QP_HAM_MAX_ENTRIES / b.dims[i]) {
            b.too_big = 1;
            break;
        }
        b.dim *= b.dims[i];
        if (m->kind[i] == QP_MODE_OSC) {
            zp[i] = qp_ham_osc_zpf(basis, i);
        }
    }
    if (!b.too_big) {
        b.diag = calloc(b.dim, sizeof *b.diag);
        if (!b.diag) {
            st = QP_ERR_NOMEM;
            goto done;
        }
    }
    double scale = 1e-300;
    for (size_t i = 0; i < n * n; i++) {
        scale = fmax(scale, fmax(fabs(m->Lm[i]), fabs(m->Ac[i])));
    }
    for (size_t i = 0; i < b.dim && !b.too_big; i++) {
        b.diag[i] = m->cst;
    }
    /* Quadratic and linear terms. */
    for (size_t i = 0; i < n && !b.too_big && !b.nomem; i++) {
        for (size_t j = i; j < n && !b.nomem; j++) {
            for (int form = 0; form < 2; form++) {
                double a = form == 0 ? m->Lm[i * n + j] : m->Ac[i * n + j];
                if (fabs(a) <= ZERO_COEF * scale) {
                    continue;
                }
                double coef = form == 0 ? (i == j ? 0.5 * a : a) : (i == j ? a : 2.0 * a);
                set_ident(f, n);
                int ok = i == j ? quad_factor(&f[i], m->kind[i], b.dims[i], zp[i],
                                              form == 0 ? 'X' : 'P', grid)
                                : quad_factor(&f[i], m->kind[i], b.dims[i], zp[i],
                                              form == 0 ? 'x' : 'p', grid) &&
                                      quad_factor(&f[j], m->kind[j], b.dims[j], zp[j],
                                                  form == 0 ? 'x' : 'p', grid);
                if (ok) {
                    add_kron(&b, f, coef, 0);
                } else {
                    b.nomem = 1;
                }
                factor_free(&f[i]);
                factor_free(&f[j]);
            }
        }
        for (int form = 0; form < 2; form++) {
            double a = form == 0 ? m->lphi[i] : m->lp[i];
            if (fabs(a) <= ZERO_COEF * scale) {
                continue;
            }
            set_ident(f, n);
            if (quad_factor(&f[i], m->kind[i], b.dims[i], zp[i], form == 0 ? 'x' : 'p', grid)) {
                add_kron(&b, f, a, 0);
            } else {
                b.nomem = 1;
            }
            factor_free(&f[i]);
        }
    }
    /* Cosines: -E/2 (e^{i theta} U + h.c.). */
    for (size_t k = 0; k < m->ncos && !b.too_big && !b.nomem; k++) {
        const qp_cos_term *t = &m->cos[k];
        set_ident(f, n);
        int ok = 1;
        for (size_t i = 0; i < n && ok; i++) {
            ok = exp_factor(&f[i], m->kind[i], b.dims[i], zp[i], t->c[i], t->is_qps, grid);
        }
        if (ok) {
            double ph = t->is_qps ? 2.0 * QP_PI * t->shift : t->shift;
            add_kron(&b, f, -0.5 * t->E * cexp(I * ph), 1);
        } else {
            b.nomem = 1;
        }
        for (size_t i = 0; i < n; i++) {
            factor_free(&f[i]);
        }
    }
    if (b.too_big) {
        snprintf(err, errlen, "the Hamiltonian would exceed %zu stored entries", QP_HAM_MAX_ENTRIES);
        st = QP_ERR_NUMERIC;
        goto done;
    }
    if (b.nomem) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    /* Diagonal into the triplets, then compress; imaginary parts dropped when all vanish. */
    double maxre = 0.0, maxim = 0.0;
    for (size_t i = 0; i < b.dim && !b.nomem; i++) {
        if (creal(b.diag[i]) != 0.0 || cimag(b.diag[i]) != 0.0) {
            push_triplet(&b, i, i, creal(b.diag[i]), cimag(b.diag[i]));
        }
    }
    if (b.nomem) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < b.n; i++) {
        maxre = fmax(maxre, fabs(b.re[i]));
        maxim = fmax(maxim, fabs(b.im[i]));
    }
    int real = maxim <= 1e-14 * fmax(maxre, 1e-300);
    st = qp_sparse_from_triplets(b.dim, b.n, b.row, b.col, b.re, real ? NULL : b.im, H);
done:
    free(b.dims), free(b.stride), free(b.diag), free(b.row), free(b.col), free(b.re), free(b.im);
    if (f) {
        for (size_t i = 0; i < n; i++) {
            factor_free(&f[i]);
        }
    }
    free(f), free(zp);
    return st;
}
