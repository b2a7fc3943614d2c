/* Unit tests: matrix-product operators and DMRG (solve/mpo.c, solve/dmrg.c). An MPO built from
 * random product terms against the dense sum of the same Kronecker products computed here; the
 * lowest levels of a random chain Hamiltonian (local, neighbour and long-range string terms,
 * complex) by DMRG against dense LAPACK on its expanded matrix. */
#include "solve/mps.h"
#include "solve/mps_impl.h"

#include "tap.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TOL_MPO 1e-12   /* max |MPO - dense sum| / max |dense sum|: SVD rounding only */
#define TOL_LEVEL 1e-9  /* |E_dmrg - E_dense| / max |E|: exact bond, Davidson residual 1e-10 */
#define TOL_TRUNC 1e-3  /* relative, at bond 6 of the exact 24: the truncation error */

#define NS 6 /* 576 states: the middle bonds' two-site problems (576) go to Davidson */
static const size_t dims[NS] = {2, 3, 4, 4, 3, 2};

static unsigned long long seed = 12345;
static double rnd(void)
{
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(seed >> 11) / 9007199254740992.0 - 0.5;
}

typedef struct {
    qp_mpo_term t[64];
    size_t site[64][NS];
    double complex *f[64][NS];
    const double complex *cf[64][NS];
    size_t n;
} termset;

/* A product term on the given sites (mask), random complex factors; hermitian factors when
 * `hermf` (so that the sum with herm = 0 stays Hermitian). */
static void add_term(termset *T, unsigned mask, int herm, int hermf, double scale)
{
    qp_mpo_term *t = &T->t[T->n];
    size_t nf = 0;
    for (size_t s = 0; s < NS; s++) {
        if (!(mask >> s & 1u)) {
            continue;
        }
        size_t d = dims[s];
        double complex *f = malloc(d * d * sizeof *f);
        for (size_t i = 0; i < d; i++) {
            for (size_t j = 0; j < d; j++) {
                f[i * d + j] = rnd() + I * rnd();
            }
        }
        for (size_t i = 0; hermf && i < d; i++) {
            for (size_t j = 0; j <= i; j++) {
                double complex h = 0.5 * (f[i * d + j] + conj(f[j * d + i]));
                f[i * d + j] = h, f[j * d + i] = conj(h);
            }
        }
        T->site[T->n][nf] = s;
        T->f[T->n][nf] = f, T->cf[T->n][nf] = f;
        nf++;
    }
    t->coef = hermf ? scale * (1.0 + rnd()) : scale * (rnd() + I * rnd());
    t->herm = herm;
    t->nf = nf;
    t->site = T->site[T->n];
    t->f = T->cf[T->n];
    T->n++;
}

static void free_terms(termset *T)
{
    for (size_t q = 0; q < T->n; q++) {
        for (size_t k = 0; k < T->t[q].nf; k++) {
            free(T->f[q][k]);
        }
    }
}

/* The dense sum of the terms (dim x dim, row-major). */
static void dense_sum(const termset *T, size_t dim, double complex *H)
{
    memset(H, 0, dim * dim * sizeof *H);
    for (size_t q = 0; q < T->n; q++) {
        const qp_mpo_term *t = &T->t[q];
        for (size_t r = 0; r < dim; r++) {
            for (size_t c = 0; c < dim; c++) {
                double complex v = t->coef;
                size_t rr = r, cc = c, k = t->nf;
                for (size_t s = NS; s-- > 0;) { /* last site fastest */
                    size_t i = rr % dims[s], j = cc % dims[s];
                    rr /= dims[s], cc /= dims[s];
                    if (k > 0 && t->site[k - 1] == s) {
                        v *= t->f[k - 1][i * dims[s] + j];
                        k--;
                    } else if (i != j) {
                        v = 0.0;
                    }
                }
                H[r * dim + c] += v;
                if (t->herm) {
                    H[c * dim + r] += conj(v);
                }
            }
        }
    }
}

static size_t total_dim(void)
{
    size_t dim = 1;
    for (size_t s = 0; s < NS; s++) {
        dim *= dims[s];
    }
    return dim;
}

static void test_mpo(void)
{
    termset T = {0};
    add_term(&T, 0u, 0, 1, 1.0);     /* a constant */
    for (unsigned m = 1; m < (1u << NS); m += 3) { /* every kind of support */
        add_term(&T, m, (int)(m & 1u), 0, 1.0);
    }
    size_t dim = total_dim();
    double complex *H = malloc(dim * dim * sizeof *H), *G = malloc(dim * dim * sizeof *G);
    dense_sum(&T, dim, H);
    qp_mpo M;
    qp_status st = qp_mpo_build(NS, dims, T.t, T.n, 1e-13, &M);
    QP_CHECK(st == QP_OK, "MPO of %zu random product terms builds", T.n);
    if (st == QP_OK) {
        qp_mpo_dense(&M, G);
        double dmax = 0.0, hmax = 0.0;
        for (size_t i = 0; i < dim * dim; i++) {
            dmax = fmax(dmax, cabs(G[i] - H[i]));
            hmax = fmax(hmax, cabs(H[i]));
        }
        QP_CHECK(dmax <= TOL_MPO * hmax, "MPO equals the dense sum: %.3g of %.3g", dmax, hmax);
        qp_mpo_free(&M);
    }
    termset L = {0}; /* 30 one-site terms: bond 2 (the sum to the left, the identity) */
    for (size_t q = 0; q < 30; q++) {
        add_term(&L, 1u << (q % NS), 0, 0, 1.0);
    }
    st = qp_mpo_build(NS, dims, L.t, L.n, 1e-13, &M);
    size_t wmax = 0;
    for (size_t s = 0; st == QP_OK && s <= NS; s++) {
        wmax = M.w[s] > wmax ? M.w[s] : wmax;
    }
    QP_CHECK(st == QP_OK && wmax == 2, "30 one-site terms compress to bond 2: %zu", wmax);
    qp_mpo_free(&M);
    free_terms(&L);
    size_t bad[2] = {3, 1};
    qp_mpo_term t = {1.0, 0, 2, bad, NULL};
    QP_CHECK(qp_mpo_build(NS, dims, &t, 1, 0.0, &M) == QP_ERR_USAGE,
             "sites out of order are refused");
    free(H), free(G);
    free_terms(&T);
}

/* A Hermitian chain: local hermitian terms, neighbour couplings with their conjugates, a
 * string across all sites with its conjugate. */
static void chain(termset *T)
{
    for (size_t s = 0; s < NS; s++) {
        add_term(T, 1u << s, 0, 1, 3.0);
    }
    for (size_t s = 0; s + 1 < NS; s++) {
        add_term(T, 3u << s, 1, 0, 0.5);
    }
    add_term(T, (1u << NS) - 1u, 1, 0, 0.3);
    add_term(T, 0u, 0, 1, 2.0);
}

static void test_dmrg(void)
{
    termset T = {0};
    chain(&T);
    size_t dim = total_dim();
    double complex *H = malloc(dim * dim * sizeof *H);
    double *w = malloc(dim * sizeof *w);
    dense_sum(&T, dim, H);
    QP_CHECK(qp_mps_heig(dim, H, w, H), "dense LAPACK on the %zu states", dim);
    qp_mpo M;
    qp_status st = qp_mpo_build(NS, dims, T.t, T.n, 1e-13, &M);
    QP_CHECK(st == QP_OK, "chain MPO builds");
    double E[4], scale = fmax(fabs(w[0]), fabs(w[3]));
    qp_dmrg_opts o = {4, 24, 20, 1e-12, 1e-10};
    qp_dmrg_info info;
    char err[200] = "";
    st = st == QP_OK ? qp_dmrg_lowest(&M, &o, E, &info, err, sizeof err) : st;
    QP_CHECK(st == QP_OK, "DMRG at the exact bond: %s (%d sweeps)", err, info.sweeps);
    for (int j = 0; st == QP_OK && j < 4; j++) {
        QP_CHECK_ABS(E[j] / scale, w[j] / scale, TOL_LEVEL, "level at the exact bond");
    }
    o.max_bond = 6;
    st = qp_dmrg_lowest(&M, &o, E, &info, err, sizeof err);
    QP_CHECK(st == QP_OK && info.bond == 6, "DMRG at bond 6: bond %zu", info.bond);
    for (int j = 0; st == QP_OK && j < 4; j++) { /* variational: above, and close */
        QP_CHECK(E[j] >= w[j] - 1e-9 * scale && E[j] - w[j] <= TOL_TRUNC * scale,
                 "level %d at bond 6: %.10g vs %.10g", j, E[j], w[j]);
    }
    qp_mpo_free(&M);
    free(H), free(w);
    free_terms(&T);
}

int main(void)
{
    test_mpo();
    test_dmrg();
    return tap_done();
}
