/* Per-mode operator matrices of the product basis: charge and fluxoid lattices, oscillator Fock
 * states and the phase grid (sinc-DVR), as sparse factors for the Kronecker assembly. */
#include "operators/basis.h"
#include "operators/ho.h"
#include "qpsim/units.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void qp_basis_factor_free(qp_factor *f)
{
    if (!f->shared) {
        free(f->row), free(f->col), free(f->v);
    }
    memset(f, 0, sizeof *f);
}

static int factor_alloc(qp_factor *f, size_t n)
{
    f->row = malloc((n ? n : 1) * sizeof *f->row);
    f->col = malloc((n ? n : 1) * sizeof *f->col);
    f->v = malloc((n ? n : 1) * sizeof *f->v);
    f->n = 0;
    f->ident = 0;
    f->shared = 0;
    return f->row && f->col && f->v;
}

static void put(qp_factor *f, size_t r, size_t c, double complex v)
{
    f->row[f->n] = r;
    f->col[f->n] = c;
    f->v[f->n++] = v;
}

/* Phase grid of an extended mode with N points: phi_j = (j - (N-1)/2) h. The range and the
 * spacing scale together with sqrt(N) so that N grid points resolve about as many levels as N
 * oscillator states: phi_max = sqrt(pi/2) zp sqrt(2N), momentum cutoff pi/h ~ sqrt(2N)/(2 zp). */
double qp_basis_grid_step(size_t N, double zp)
{
    double phimax = sqrt(QP_PI / 2.0) * zp * sqrt(2.0 * (double)N);
    return N > 1 ? 2.0 * phimax / (double)(N - 1) : 1.0;
}

/* Sinc-DVR operators on the grid (docs/physics.md): Phi, Phi^2 diagonal; P = -i d/dphi and
 * P^2 = -d^2/dphi^2 dense with spectral accuracy. */
static int grid_quad_factor(qp_factor *f, size_t N, const qp_osc_geom *g, char op)
{
    int diag = op == 'x' || op == 'X';
    if (!factor_alloc(f, diag ? N : N * N)) {
        return 0;
    }
    double h = qp_basis_grid_step(N, g->zp), c = 0.5 * (double)(N - 1), p0 = g->p0;
    f->diagonal = diag;
    for (size_t i = 0; i < N; i++) {
        double x = g->x0 + ((double)i - c) * h;
        if (op == 'x' || op == 'X') {
            put(f, i, i, op == 'x' ? x : x * x);
            continue;
        }
        for (size_t j = 0; j < N; j++) { /* P = p0 + D, P^2 = p0^2 + 2 p0 D + D^2 */
            double dij = (double)i - (double)j, sgn = ((i + j) % 2) ? -1.0 : 1.0;
            double complex D = i == j ? 0.0 : -I * sgn / (dij * h);
            if (op == 'p') {
                if (i != j || p0 != 0.0) {
                    put(f, i, j, (i == j ? p0 : 0.0) + D);
                }
            } else {
                double D2 =
                    i == j ? QP_PI * QP_PI / (3.0 * h * h) : 2.0 * sgn / (dij * dij * h * h);
                put(f, i, j, (i == j ? p0 * p0 : 0.0) + 2.0 * p0 * D + D2);
            }
        }
    }
    return 1;
}

/* exp(i k Phi) (diagonal) or the translation exp(2 pi i k P) psi(phi) = psi(phi + 2 pi k) on the
 * grid, by band-limited (sinc) interpolation. */
static int grid_exp_factor(qp_factor *f, size_t N, const qp_osc_geom *g, double k, int is_qps)
{
    if (!factor_alloc(f, is_qps ? N * N : N)) {
        return 0;
    }
    double h = qp_basis_grid_step(N, g->zp), c = 0.5 * (double)(N - 1);
    double complex ph = cexp(2.0 * QP_PI * I * k * g->p0); /* e^{2 pi i k p0} of P = p0 + D */
    f->diagonal = !is_qps;
    for (size_t i = 0; i < N; i++) {
        if (!is_qps) {
            put(f, i, i, cexp(I * k * (g->x0 + ((double)i - c) * h)));
            continue;
        }
        for (size_t j = 0; j < N; j++) {
            double x = (double)i - (double)j + 2.0 * QP_PI * k / h;
            double v = fabs(x) < 1e-12 ? 1.0 : sin(QP_PI * x) / (QP_PI * x);
            if (fabs(v) > 1e-300) {
                put(f, i, j, ph * v);
            }
        }
    }
    return 1;
}

/* Operator `op` of mode kind k with basis size d: 'x' = Phi, 'X' = Phi^2, 'p' = P, 'P' = P^2.
 * Oscillator: Phi = x0 + zp X and P = p0 + Y with X = a + a^dag, Y = i (a^dag - a)/(2 zp), so
 * Phi^2 = x0^2 + 2 x0 zp X + zp^2 X^2 and P^2 = p0^2 + 2 p0 Y + Y^2. */
int qp_basis_quad(qp_factor *f, qp_mode_kind k, size_t d, const qp_osc_geom *g, char op,
                  int grid)
{
    if (grid && k == QP_MODE_OSC) {
        return grid_quad_factor(f, d, g, op);
    }
    if (!factor_alloc(f, 5 * d)) {
        return 0;
    }
    double zp = g ? g->zp : 1.0, x0 = g ? g->x0 : 0.0, p0 = g ? g->p0 : 0.0;
    long c = (long)(d / 2);
    f->diagonal = k != QP_MODE_OSC;
    for (size_t i = 0; i < d; i++) {
        double n = (double)((long)i - c), s1 = sqrt((double)i + 1.0);
        double s2 = sqrt(((double)i + 1.0) * ((double)i + 2.0));
        if (k == QP_MODE_CHARGE) { /* P = n */
            put(f, i, i, op == 'p' ? n : n * n);
        } else if (k == QP_MODE_FLUXOID) { /* Phi = 2 pi m */
            put(f, i, i, op == 'x' ? 2.0 * QP_PI * n : 4.0 * QP_PI * QP_PI * n * n);
        } else if (op == 'x') { /* Phi = x0 + zp (a + a^dag) */
            if (x0 != 0.0) {
                put(f, i, i, x0);
            }
            if (i + 1 < d) {
                put(f, i + 1, i, zp * s1);
                put(f, i, i + 1, zp * s1);
            }
        } else if (op == 'X') { /* x0^2 + 2 x0 zp (a + a^dag) + exact zp^2 (a + a^dag)^2 */
            put(f, i, i, x0 * x0 + zp * zp * (2.0 * (double)i + 1.0));
            if (i + 1 < d && x0 != 0.0) {
                put(f, i + 1, i, 2.0 * x0 * zp * s1);
                put(f, i, i + 1, 2.0 * x0 * zp * s1);
            }
            if (i + 2 < d) {
                put(f, i + 2, i, zp * zp * s2);
                put(f, i, i + 2, zp * zp * s2);
            }
        } else if (op == 'p') { /* P = p0 + i/(2 zp) (a^dag - a) */
            if (p0 != 0.0) {
                put(f, i, i, p0);
            }
            if (i + 1 < d) {
                put(f, i + 1, i, I * s1 / (2.0 * zp));
                put(f, i, i + 1, -I * s1 / (2.0 * zp));
            }
        } else { /* p0^2 + 2 p0 Y + exact Y^2 = (2n + 1 - a^2 - a^dag^2)/(4 zp^2) */
            put(f, i, i, p0 * p0 + (2.0 * (double)i + 1.0) / (4.0 * zp * zp));
            if (i + 1 < d && p0 != 0.0) {
                put(f, i + 1, i, 2.0 * p0 * I * s1 / (2.0 * zp));
                put(f, i, i + 1, -2.0 * p0 * I * s1 / (2.0 * zp));
            }
            if (i + 2 < d) {
                put(f, i + 2, i, -s2 / (4.0 * zp * zp));
                put(f, i, i + 2, -s2 / (4.0 * zp * zp));
            }
        }
    }
    return 1;
}

/* cabs(v) > 1e-300, the test that keeps an entry, with hypot called only when both parts are
 * tiny or one is NaN: otherwise |v| >= max(|re|, |im|) decides, and hypot on every entry was
 * 7 % of a fluxonium sweep. */
static int above_tiny(double complex v)
{
    double a = fabs(creal(v)), b = fabs(cimag(v));
    if (!isnan(a) && !isnan(b) && (a > 1e-300 || b > 1e-300)) {
        return 1;
    }
    return (a != 0.0 || b != 0.0) && cabs(v) > 1e-300;
}

/* The factors the cache keeps: a flux sweep needs one or a few, the checkpoints of a
 * converging basis a few sizes each. Bytes count the three arrays. */
#define CACHE_SLOTS 8
#define CACHE_BYTES ((size_t)64 << 20)

typedef struct {
    int used, is_qps;
    size_t d;
    double s;          /* the displacement of the factor (qp_ho_exp_i_x's s) */
    qp_factor f;       /* owned here */
    size_t bytes;
    unsigned long stamp; /* the term list that last took it */
} cache_entry;

struct qp_basis_cache {
    cache_entry e[CACHE_SLOTS];
    size_t bytes;
    unsigned long clock; /* the current term list */
};

qp_basis_cache *qp_basis_cache_new(void)
{
    return calloc(1, sizeof(qp_basis_cache));
}

static void entry_clear(qp_basis_cache *c, cache_entry *e)
{
    c->bytes -= e->bytes;
    free(e->f.row), free(e->f.col), free(e->f.v);
    memset(e, 0, sizeof *e);
}

void qp_basis_cache_free(qp_basis_cache *c)
{
    for (int k = 0; c && k < CACHE_SLOTS; k++) {
        entry_clear(c, &c->e[k]);
    }
    free(c);
}

void qp_basis_cache_begin(qp_basis_cache *c)
{
    if (c) {
        c->clock++;
    }
}

/* The factor of (d, s, is_qps) from the cache into *f (shared), or 0. */
static int cache_take(qp_basis_cache *c, size_t d, double s, int is_qps, qp_factor *f)
{
    for (int k = 0; c && k < CACHE_SLOTS; k++) {
        cache_entry *e = &c->e[k];
        if (e->used && e->d == d && e->s == s && e->is_qps == is_qps) {
            e->stamp = c->clock;
            *f = e->f;
            f->shared = 1;
            return 1;
        }
    }
    return 0;
}

/* Hands *f (just built for (d, s, is_qps)) to the cache, which then owns its arrays (f->shared
 * set), dropping factors no term list since the last qp_basis_cache_begin took (oldest first) to
 * make room; f stays the caller's when no room can be made. */
static void cache_give(qp_basis_cache *c, size_t d, double s, int is_qps, qp_factor *f)
{
    size_t bytes = d * d * (2 * sizeof *f->row + sizeof *f->v); /* as allocated */
    for (;;) {
        cache_entry *free_slot = NULL, *stale = NULL;
        for (int k = 0; k < CACHE_SLOTS; k++) {
            cache_entry *e = &c->e[k];
            if (!e->used && !free_slot) {
                free_slot = e;
            } else if (e->used && e->stamp != c->clock && (!stale || e->stamp < stale->stamp)) {
                stale = e;
            }
        }
        if (free_slot && c->bytes + bytes <= CACHE_BYTES) {
            *free_slot = (cache_entry){1, is_qps, d, s, *f, bytes, c->clock};
            c->bytes += bytes;
            f->shared = 1;
            return;
        }
        if (!stale) {
            return;
        }
        entry_clear(c, stale);
    }
}

/* exp(i k Phi) (junction) or exp(2 pi i k P) (phase slip) on one mode. On Fock states the phase
 * of the centre, e^{i k x0} or e^{2 pi i k p0}, goes to *phase instead of into the entries: the
 * factor is then a function of (d, s, is_qps) alone, which the cache keeps. */
int qp_basis_exp(qp_factor *f, double complex *phase, qp_mode_kind kind, size_t d,
                 const qp_osc_geom *g, double k, int is_qps, int grid, qp_basis_cache *cache)
{
    *phase = 1.0;
    if (grid && kind == QP_MODE_OSC && k != 0.0) {
        return grid_exp_factor(f, d, g, k, is_qps);
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
    /* e^{i k Phi} = e^{i k x0} e^{i k zp (a + a^dag)}; e^{2 pi i k P} = e^{2 pi i k p0}
     * e^{s (a^dag - a)} with s = -pi k/zp, whose elements are i^(n-m) <m|e^{i s (a + a^dag)}|n>. */
    double zp = g->zp, s = is_qps ? -QP_PI * k / zp : k * zp;
    *phase = cexp(I * (is_qps ? 2.0 * QP_PI * k * g->p0 : k * g->x0));
    if (cache_take(cache, d, s, is_qps, f)) {
        return 1;
    }
    double *X = malloc(2 * d * d * sizeof *X);
    if (!X || !factor_alloc(f, d * d) || qp_ho_exp_i_x(d, s, X) != QP_OK) {
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
            if (above_tiny(v)) {
                put(f, row, col, v);
            }
        }
    }
    free(X);
    f->diagonal = 0;
    if (cache) {
        cache_give(cache, d, s, is_qps, f);
    }
    return 1;
}
