/* Lowest eigenstates of a matrix-product operator by two-site DMRG, state-averaged over the
 * wanted levels (one MPS basis for all of them), each two-site problem solved by block Davidson
 * (docs/physics.md, "Matrix-product states"). */
#include "solve/mps.h"
#include "solve/mps_impl.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DENSE_MAX 300    /* two-site problems up to this size are diagonalized densely */
#define MAX_DAVIDSON 400 /* Davidson iterations per two-site problem */
#define START_BOND 16    /* bond dimension of the random start */

typedef double complex cplx;

/* The DMRG state: MPS tensors A[s] (D[s] x d x D[s+1]), left environments L[s] (w x D x D,
 * bra then ket) and right ones R[s] (w x D x D, ket then bra), and the k centre vectors. */
typedef struct {
    const qp_mpo *H;
    size_t n, k, maxD;
    size_t *D;
    cplx **A, **L, **R;
    cplx *theta;            /* k two-site vectors of the current bond */
    cplx *wx, *wy, *wz;     /* effective-Hamiltonian workspace */
    cplx *w1, *w2;          /* the two MPO tensors as matrices (permute_w) */
    double *diag;
    unsigned long long rng; /* deterministic start */
} dmrg;

static double rnd(dmrg *g)
{
    g->rng = g->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(g->rng >> 11) / 9007199254740992.0 - 0.5;
}

static size_t mn(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Bond dimensions at most maxD, and at most the dimension of either side. */
static void bond_dims(const qp_mpo *H, size_t maxD, size_t *D)
{
    size_t n = H->n;
    D[0] = D[n] = 1;
    for (size_t s = 1; s < n; s++) {
        D[s] = maxD;
    }
    size_t p = 1;
    for (size_t s = 1; s < n; s++) {
        p = p > maxD ? p : p * H->d[s - 1];
        D[s] = mn(D[s], p);
    }
    p = 1;
    for (size_t s = n - 1; s >= 1; s--) {
        p = p > maxD ? p : p * H->d[s];
        D[s] = mn(D[s], p);
    }
}

size_t qp_dmrg_block(const qp_mpo *H, size_t D)
{
    if (H->n < 2) {
        return H->d[0];
    }
    size_t *Db = malloc((H->n + 1) * sizeof *Db), best = 0;
    if (!Db) {
        return SIZE_MAX;
    }
    bond_dims(H, D, Db);
    for (size_t s = 0; s + 1 < H->n; s++) {
        size_t b = Db[s] * H->d[s] * H->d[s + 1] * Db[s + 2];
        best = b > best ? b : best;
    }
    free(Db);
    return best;
}

static size_t max_w(const qp_mpo *H)
{
    size_t w = 1;
    for (size_t s = 0; s <= H->n; s++) {
        w = H->w[s] > w ? H->w[s] : w;
    }
    return w;
}

static size_t subspace(size_t nblock, int k)
{
    return mn(nblock, 4 * (size_t)k + 8);
}

double qp_dmrg_bytes(const qp_mpo *H, size_t D, int k)
{
    double nb = (double)qp_dmrg_block(H, D), w = (double)max_w(H), dd = 0.0;
    for (size_t s = 0; s < H->n; s++) {
        dd += (double)H->d[s];
    }
    double env = 2.0 * (double)(H->n + 1) * w * (double)D * (double)D;
    double mps = dd * (double)D * (double)D;
    double dav = (2.0 * (double)subspace((size_t)nb, k) + 3.0 * k) * nb;
    return 16.0 * (env + mps + dav + 3.0 * w * nb + nb);
}

/* Wp[(p, b)][(a, q)] = W[a][p][q][b]: an MPO tensor as the matrix that maps (left bond, ket)
 * to (bra, right bond). */
static void permute_w(const cplx *W, size_t wl, size_t d, size_t wr, cplx *Wp)
{
    for (size_t a = 0; a < wl; a++) {
        for (size_t p = 0; p < d; p++) {
            for (size_t q = 0; q < d; q++) {
                for (size_t b = 0; b < wr; b++) {
                    Wp[(p * wr + b) * wl * d + a * d + q] = W[((a * d + p) * d + q) * wr + b];
                }
            }
        }
    }
}

/* y = H_eff x at bond (s, s+1), as matrix products: L is stored (bra, bond, ket), R (bond, ket,
 * bra), so that each contraction is one or a few GEMMs. */
static void heff(dmrg *g, size_t s, const cplx *x, cplx *y)
{
    const qp_mpo *H = g->H;
    size_t Dl = g->D[s], Dr = g->D[s + 2], d1 = H->d[s], d2 = H->d[s + 1];
    size_t wl = H->w[s], wm = H->w[s + 1], wr = H->w[s + 2], rest = d1 * d2 * Dr;
    /* X[a][w][t1][t2 c'] = sum_a' L[a][w][a'] x[a'][t1 t2 c'] */
    qp_mps_mm('N', 'N', Dl * wl, rest, Dl, g->L[s], Dl, x, rest, 0.0, g->wx, rest);
    /* Y[a][s1][x][t2 c'] = sum_(w t1) W1[(s1 x)][(w t1)] X[a][(w t1)][t2 c'] */
    permute_w(H->W[s], wl, d1, wm, g->w1);
    for (size_t a = 0; a < Dl; a++) {
        qp_mps_mm('N', 'N', d1 * wm, d2 * Dr, wl * d1, g->w1, wl * d1, g->wx + a * wl * rest,
                  d2 * Dr, 0.0, g->wy + a * d1 * wm * d2 * Dr, d2 * Dr);
    }
    /* Z[a s1][s2][v][c'] = sum_(x t2) W2[(s2 v)][(x t2)] Y[a s1][(x t2)][c'] */
    permute_w(H->W[s + 1], wm, d2, wr, g->w2);
    for (size_t a = 0; a < Dl * d1; a++) {
        qp_mps_mm('N', 'N', d2 * wr, Dr, wm * d2, g->w2, wm * d2, g->wy + a * wm * d2 * Dr, Dr,
                  0.0, g->wz + a * d2 * wr * Dr, Dr);
    }
    /* y[a s1 s2][c] = sum_(v c') Z[a s1 s2][(v c')] R[(v c')][c] */
    qp_mps_mm('N', 'N', Dl * d1 * d2, Dr, wr * Dr, g->wz, wr * Dr, g->R[s + 2], Dr, 0.0, y, Dr);
}

/* The diagonal of H_eff at bond (s, s+1), for the Davidson preconditioner. */
static void heff_diag(dmrg *g, size_t s)
{
    const qp_mpo *H = g->H;
    size_t Dl = g->D[s], Dr = g->D[s + 2], d1 = H->d[s], d2 = H->d[s + 1];
    size_t wl = H->w[s], wm = H->w[s + 1], wr = H->w[s + 2];
    size_t blk = Dl * d1 * d2 * Dr;
    memset(g->diag, 0, blk * sizeof *g->diag);
    for (size_t a = 0; a < wl; a++) {
        for (size_t v = 0; v < wr; v++) {
            for (size_t p = 0; p < d1; p++) {
                for (size_t q = 0; q < d2; q++) {
                    cplx c = 0.0;
                    for (size_t b = 0; b < wm; b++) {
                        c += H->W[s][((a * d1 + p) * d1 + p) * wm + b] *
                             H->W[s + 1][((b * d2 + q) * d2 + q) * wr + v];
                    }
                    for (size_t l = 0; c != 0.0 && l < Dl; l++) {
                        cplx cl = c * g->L[s][(l * wl + a) * Dl + l];
                        double *dg = g->diag + ((l * d1 + p) * d2 + q) * Dr;
                        for (size_t r = 0; r < Dr; r++) {
                            dg[r] += creal(cl * g->R[s + 2][(v * Dr + r) * Dr + r]);
                        }
                    }
                }
            }
        }
    }
}

static cplx dot(size_t n, const cplx *a, const cplx *b)
{
    cplx s = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += conj(a[i]) * b[i];
    }
    return s;
}

/* Orthogonalizes v against the nv rows of V (twice, by matrix-vector products) and normalizes
 * it; returns its norm after orthogonalization relative to before (0 when v was 0). */
static double orth(size_t n, const cplx *V, size_t nv, cplx *v)
{
    double n0 = sqrt(creal(dot(n, v, v)));
    if (!(n0 > 0.0)) {
        return 0.0;
    }
    cplx p[64], *pp = nv <= 64 ? p : malloc(nv * sizeof *pp);
    for (int pass = 0; pp && nv && pass < 2; pass++) {
        qp_mps_mm('N', 'C', 1, nv, n, v, n, V, n, 0.0, pp, nv); /* p_j = <V_j, v> */
        for (size_t j = 0; j < nv; j++) {
            pp[j] = -pp[j];
        }
        qp_mps_mm('N', 'N', 1, n, nv, pp, nv, V, n, 1.0, v, n); /* v -= sum_j p_j V_j */
    }
    if (pp != p) {
        free(pp);
    }
    double n1 = sqrt(creal(dot(n, v, v)));
    for (size_t i = 0; n1 > 0.0 && i < n; i++) {
        v[i] /= n1;
    }
    return n1 / n0;
}

/* The lowest k eigenpairs of a small H_eff, densely: X receives k rows of length nb. */
static int solve_dense(dmrg *g, size_t s, size_t nb, size_t k, cplx *X, double *E)
{
    cplx *M = malloc(nb * nb * sizeof *M), *e = calloc(nb, sizeof *e), *y = malloc(nb * sizeof *y);
    double *w = malloc(nb * sizeof *w);
    int ok = M && e && y && w;
    for (size_t j = 0; ok && j < nb; j++) { /* column j = H e_j, stored as row j of M^T */
        e[j] = 1.0;
        heff(g, s, e, y);
        e[j] = 0.0;
        for (size_t i = 0; i < nb; i++) {
            M[i * nb + j] = y[i];
        }
    }
    for (size_t i = 0; ok && i < nb; i++) { /* Hermitian part: rounding only */
        for (size_t j = 0; j < i; j++) {
            cplx h = 0.5 * (M[i * nb + j] + conj(M[j * nb + i]));
            M[i * nb + j] = h, M[j * nb + i] = conj(h);
        }
        M[i * nb + i] = creal(M[i * nb + i]);
    }
    ok = ok && qp_mps_heig(nb, M, w, M);
    for (size_t j = 0; ok && j < k; j++) {
        E[j] = w[j];
        for (size_t i = 0; i < nb; i++) {
            X[j * nb + i] = M[i * nb + j];
        }
    }
    free(M), free(e), free(y), free(w);
    return ok;
}

/* Rayleigh-Ritz on the nv basis vectors V (products AV): the k lowest Ritz vectors into X, their
 * products into AX, values into E, residual norms into rn. */
static int ritz(size_t nb, size_t nv, size_t k, const cplx *V, const cplx *AV, cplx *X, cplx *AX,
                double *E, double *rn)
{
    cplx *G = malloc(nv * nv * sizeof *G);
    double *w = malloc(nv * sizeof *w);
    int ok = G && w;
    if (ok) { /* (V AV^H)[i][j] = conj <V_i, A V_j>: the projected matrix, conjugated */
        qp_mps_mm('N', 'C', nv, nv, nb, V, nb, AV, nb, 0.0, G, nv);
        for (size_t i = 0; i < nv; i++) {
            for (size_t j = 0; j < i; j++) { /* Hermitian part of conj(G): rounding only */
                cplx h = 0.5 * (conj(G[i * nv + j]) + G[j * nv + i]);
                G[i * nv + j] = h, G[j * nv + i] = conj(h);
            }
            G[i * nv + i] = creal(G[i * nv + i]);
        }
        ok = qp_mps_heig(nv, G, w, G);
    }
    if (ok) { /* X = Y^T V for the k lowest columns Y */
        cplx *Y = malloc(k * nv * sizeof *Y);
        ok = Y != NULL;
        for (size_t j = 0; ok && j < k; j++) {
            for (size_t i = 0; i < nv; i++) {
                Y[j * nv + i] = G[i * nv + j];
            }
        }
        if (ok) {
            qp_mps_mm('N', 'N', k, nb, nv, Y, nv, V, nb, 0.0, X, nb);
            qp_mps_mm('N', 'N', k, nb, nv, Y, nv, AV, nb, 0.0, AX, nb);
        }
        free(Y);
    }
    for (size_t j = 0; ok && j < k; j++) {
        E[j] = w[j];
        double r = 0.0;
        for (size_t i = 0; i < nb; i++) {
            cplx d = AX[j * nb + i] - w[j] * X[j * nb + i];
            r += creal(d) * creal(d) + cimag(d) * cimag(d);
        }
        rn[j] = sqrt(r);
    }
    free(G), free(w);
    return ok;
}

/* Block Davidson for the k lowest eigenpairs of H_eff at bond s (nb states): X holds k start
 * vectors (replaced by the eigenvectors), E the values. Preconditioned by the diagonal. */
static int davidson(dmrg *g, size_t s, size_t nb, size_t k, double tol, cplx *X, double *E)
{
    size_t msub = subspace(nb, (int)k);
    cplx *V = malloc(msub * nb * sizeof *V), *AV = malloc(msub * nb * sizeof *AV);
    cplx *AX = malloc(k * nb * sizeof *AX);
    double *rn = malloc(k * sizeof *rn);
    int ok = V && AV && AX && rn, conv = 0;
    size_t nv = 0;
    heff_diag(g, s);
    for (size_t j = 0; ok && j < k; j++) { /* orthonormal start; random where dependent */
        memcpy(V + nv * nb, X + j * nb, nb * sizeof *V);
        while (orth(nb, V, nv, V + nv * nb) < 1e-6) {
            for (size_t i = 0; i < nb; i++) {
                V[nv * nb + i] = rnd(g) + I * rnd(g);
            }
        }
        heff(g, s, V + nv * nb, AV + nv * nb);
        nv++;
    }
    for (int it = 0; ok && !conv && it < MAX_DAVIDSON; it++) {
        ok = ritz(nb, nv, k, V, AV, X, AX, E, rn);
        double worst = 0.0;
        for (size_t j = 0; ok && j < k; j++) {
            worst = rn[j] > worst ? rn[j] : worst;
        }
        if (!ok || (conv = worst <= tol)) {
            break;
        }
        if (nv + k > msub) { /* restart from the Ritz vectors */
            memcpy(V, X, k * nb * sizeof *V);
            memcpy(AV, AX, k * nb * sizeof *AV);
            nv = k;
        }
        size_t added = 0;
        for (size_t j = 0; j < k && nv < msub; j++) {
            if (rn[j] <= tol) {
                continue;
            }
            cplx *t = V + nv * nb;
            for (size_t i = 0; i < nb; i++) {
                double den = g->diag[i] - E[j];
                den = fabs(den) < 1e-8 ? (den < 0 ? -1e-8 : 1e-8) : den;
                t[i] = (AX[j * nb + i] - E[j] * X[j * nb + i]) / den;
            }
            if (orth(nb, V, nv, t) < 1e-10) {
                continue;
            }
            heff(g, s, t, AV + nv * nb);
            nv++, added++;
        }
        if (!added) { /* stagnated at rounding: accept the Ritz values */
            conv = 1;
        }
    }
    free(V), free(AV), free(AX), free(rn);
    (void)conv; /* unconverged: the Ritz values stand; the sweeps and the caller's growth
                 * steps measure what that costs */
    return ok;
}

/* L[s+1] from L[s] and the left-canonical A[s]; L is stored (bra, bond, ket). */
static int grow_left(dmrg *g, size_t s)
{
    const qp_mpo *H = g->H;
    size_t Dl = g->D[s], Dr = g->D[s + 1], d = H->d[s], wl = H->w[s], wr = H->w[s + 1];
    cplx *P = malloc(Dl * wl * d * Dr * sizeof *P), *Q = malloc(Dl * d * wr * Dr * sizeof *Q);
    cplx *Ln = malloc(Dr * wr * Dr * sizeof *Ln), *Wp = malloc(d * wr * wl * d * sizeof *Wp);
    if (!P || !Q || !Ln || !Wp) {
        free(P), free(Q), free(Ln), free(Wp);
        return 0;
    }
    /* P[a][w][t][b'] = sum_a' L[a][w][a'] A[a'][t b'] */
    qp_mps_mm('N', 'N', Dl * wl, d * Dr, Dl, g->L[s], Dl, g->A[s], d * Dr, 0.0, P, d * Dr);
    /* Q[a][s'][x][b'] = sum_(w t) W[(s' x)][(w t)] P[a][(w t)][b'] */
    permute_w(H->W[s], wl, d, wr, Wp);
    for (size_t a = 0; a < Dl; a++) {
        qp_mps_mm('N', 'N', d * wr, Dr, wl * d, Wp, wl * d, P + a * wl * d * Dr, Dr, 0.0,
                  Q + a * d * wr * Dr, Dr);
    }
    /* L'[b][x][b'] = sum_(a s') conj(A[(a s')][b]) Q[(a s')][x][b'] */
    for (size_t x = 0; x < wr; x++) {
        qp_mps_mm('C', 'N', Dr, Dr, Dl * d, g->A[s], Dr, Q + x * Dr, wr * Dr, 0.0, Ln + x * Dr,
                  wr * Dr);
    }
    free(P), free(Q), free(Wp), free(g->L[s + 1]);
    g->L[s + 1] = Ln;
    return 1;
}

/* R[s] from R[s+1] and the right-canonical A[s]. */
static int grow_right(dmrg *g, size_t s)
{
    const qp_mpo *H = g->H;
    size_t Dl = g->D[s], Dr = g->D[s + 1], d = H->d[s], wl = H->w[s], wr = H->w[s + 1];
    cplx *P = malloc(wr * Dl * d * Dr * sizeof *P), *Q = calloc(wl * Dl * d * Dr, sizeof *Q);
    cplx *Rn = malloc(wl * Dl * Dl * sizeof *Rn);
    if (!P || !Q || !Rn) {
        free(P), free(Q), free(Rn);
        return 0;
    }
    for (size_t v = 0; v < wr; v++) { /* P[v][a' t][c] = B R_v */
        qp_mps_mm('N', 'N', Dl * d, Dr, Dr, g->A[s], Dr, g->R[s + 1] + v * Dr * Dr, Dr, 0.0,
                  P + v * Dl * d * Dr, Dr);
    }
    for (size_t a = 0; a < wl; a++) { /* Q[w][a'][s'][c] = sum W[w s' t v] P[v][a'][t][c] */
        for (size_t p = 0; p < d; p++) {
            for (size_t q = 0; q < d; q++) {
                for (size_t v = 0; v < wr; v++) {
                    cplx c = H->W[s][((a * d + p) * d + q) * wr + v];
                    for (size_t l = 0; c != 0.0 && l < Dl; l++) {
                        const cplx *src = P + ((v * Dl + l) * d + q) * Dr;
                        cplx *dst = Q + ((a * Dl + l) * d + p) * Dr;
                        for (size_t i = 0; i < Dr; i++) {
                            dst[i] += c * src[i];
                        }
                    }
                }
            }
        }
    }
    for (size_t a = 0; a < wl; a++) { /* R'[w] = Q_w B^H */
        qp_mps_mm('N', 'C', Dl, Dl, d * Dr, Q + a * Dl * d * Dr, d * Dr, g->A[s], d * Dr, 0.0,
                  Rn + a * Dl * Dl, Dl);
    }
    free(P), free(Q), free(g->R[s]);
    g->R[s] = Rn;
    return 1;
}

/* Splits the k centre vectors of bond s by the state-averaged density matrix, keeping its
 * largest eigenvectors: dir > 0 makes A[s] left-canonical and moves the centre to bond s+1,
 * dir < 0 makes A[s+1] right-canonical and moves it to bond s-1. *disc: the weight dropped. */
static int split(dmrg *g, size_t s, int dir, double *disc)
{
    const qp_mpo *H = g->H;
    size_t Dl = g->D[s], Dr = g->D[s + 2], d1 = H->d[s], d2 = H->d[s + 1];
    size_t rows = Dl * d1, cols = d2 * Dr, nb = rows * cols, m = dir > 0 ? rows : cols;
    size_t keep = mn(g->maxD, mn(rows, cols));
    cplx *rho = calloc(m * m, sizeof *rho), *U = malloc(m * keep * sizeof *U);
    cplx *C = malloc(g->k * (dir > 0 ? keep * cols : rows * keep) * sizeof *C);
    double *w = malloc(m * sizeof *w);
    int ok = rho && U && C && w;
    for (size_t j = 0; ok && j < g->k; j++) {
        const cplx *M = g->theta + j * nb;
        if (dir > 0) {
            qp_mps_mm('N', 'C', rows, rows, cols, M, cols, M, cols, 1.0, rho, rows);
        } else { /* M^H M: its eigenvectors V give M ~ M V V^H */
            qp_mps_mm('C', 'N', cols, cols, rows, M, cols, M, cols, 1.0, rho, cols);
        }
    }
    ok = ok && qp_mps_heig(m, rho, w, rho);
    double tot = 0.0, kept = 0.0;
    for (size_t i = 0; ok && i < m; i++) {
        tot += fmax(w[i], 0.0);
        kept += i >= m - keep ? fmax(w[i], 0.0) : 0.0;
    }
    *disc = ok && tot > 0.0 ? (tot - kept) / tot : 0.0;
    for (size_t i = 0; ok && i < m; i++) { /* largest first */
        for (size_t j = 0; j < keep; j++) {
            U[i * keep + j] = rho[i * m + (m - 1 - j)];
        }
    }
    if (ok && dir > 0) {
        cplx *An = malloc(rows * keep * sizeof *An);
        ok = An != NULL;
        if (ok) {
            memcpy(An, U, rows * keep * sizeof *An);
            free(g->A[s]);
            g->A[s] = An, g->D[s + 1] = keep;
            for (size_t j = 0; j < g->k; j++) { /* C_j = U^H M_j */
                qp_mps_mm('C', 'N', keep, cols, rows, U, keep, g->theta + j * nb, cols, 0.0,
                          C + j * keep * cols, cols);
            }
            ok = grow_left(g, s);
        }
        size_t d3 = H->d[s + 2], D3 = g->D[s + 3], nn = keep * d2 * d3 * D3;
        for (size_t j = 0; ok && j < g->k; j++) { /* the next bond's vectors: C_j A[s+2] */
            qp_mps_mm('N', 'N', keep * d2, d3 * D3, Dr, C + j * keep * cols, Dr, g->A[s + 2],
                      d3 * D3, 0.0, g->theta + j * nn, d3 * D3);
        }
    } else if (ok) {
        cplx *An = malloc(keep * cols * sizeof *An);
        ok = An != NULL;
        if (ok) { /* A[s+1] = V^H */
            for (size_t i = 0; i < keep; i++) {
                for (size_t j = 0; j < cols; j++) {
                    An[i * cols + j] = conj(U[j * keep + i]);
                }
            }
            free(g->A[s + 1]);
            g->A[s + 1] = An, g->D[s + 1] = keep;
            for (size_t j = 0; j < g->k; j++) { /* C_j = M_j V */
                qp_mps_mm('N', 'N', rows, keep, cols, g->theta + j * nb, cols, U, keep, 0.0,
                          C + j * rows * keep, keep);
            }
            ok = grow_right(g, s + 1);
        }
        size_t D0 = g->D[s - 1], d0 = H->d[s - 1], nn = D0 * d0 * d1 * keep;
        for (size_t j = 0; ok && j < g->k; j++) { /* the previous bond's: A[s-1] C_j */
            qp_mps_mm('N', 'N', D0 * d0, d1 * keep, Dl, g->A[s - 1], Dl, C + j * rows * keep,
                      d1 * keep, 0.0, g->theta + j * nn, d1 * keep);
        }
    }
    free(rho), free(U), free(C), free(w);
    return ok;
}

static void release(dmrg *g)
{
    for (size_t s = 0; s <= g->n; s++) {
        if (s < g->n && g->A) {
            free(g->A[s]);
        }
        if (g->L) {
            free(g->L[s]);
        }
        if (g->R) {
            free(g->R[s]);
        }
    }
    free(g->A), free(g->L), free(g->R), free(g->D), free(g->theta);
    free(g->wx), free(g->wy), free(g->wz), free(g->diag), free(g->w1), free(g->w2);
}

/* A random right-canonical MPS at a small bond, the right environments, and k random vectors
 * at bond 0. */
static int start(dmrg *g)
{
    size_t n = g->n, nbmax = qp_dmrg_block(g->H, g->maxD), w = max_w(g->H);
    g->D = malloc((n + 1) * sizeof *g->D);
    g->A = calloc(n, sizeof *g->A);
    g->L = calloc(n + 1, sizeof *g->L), g->R = calloc(n + 1, sizeof *g->R);
    g->theta = malloc(g->k * nbmax * sizeof *g->theta);
    g->wx = malloc(w * nbmax * sizeof *g->wx), g->wy = malloc(w * nbmax * sizeof *g->wy);
    g->wz = malloc(w * nbmax * sizeof *g->wz), g->diag = malloc(nbmax * sizeof *g->diag);
    size_t dm = 1;
    for (size_t s = 0; s < n; s++) {
        dm = g->H->d[s] > dm ? g->H->d[s] : dm;
    }
    g->w1 = malloc(w * w * dm * dm * sizeof *g->w1), g->w2 = malloc(w * w * dm * dm * sizeof *g->w2);
    if (!g->D || !g->A || !g->L || !g->R || !g->theta || !g->wx || !g->wy || !g->wz ||
        !g->diag || !g->w1 || !g->w2) {
        return 0;
    }
    bond_dims(g->H, mn(g->maxD, START_BOND), g->D);
    for (size_t s = n - 1; s >= 1; s--) {
        size_t rows = g->D[s], cols = g->H->d[s] * g->D[s + 1];
        if (!(g->A[s] = malloc(rows * cols * sizeof *g->A[s]))) {
            return 0;
        }
        for (size_t r = 0; r < rows; r++) {
            cplx *v = g->A[s] + r * cols;
            do {
                for (size_t i = 0; i < cols; i++) {
                    v[i] = rnd(g) + I * rnd(g);
                }
            } while (orth(cols, g->A[s], r, v) < 1e-6);
        }
    }
    g->L[0] = malloc(sizeof *g->L[0]), g->R[n] = malloc(sizeof *g->R[n]);
    if (!g->L[0] || !g->R[n]) {
        return 0;
    }
    g->L[0][0] = g->R[n][0] = 1.0;
    for (size_t s = n - 1; s >= 2; s--) {
        if (!grow_right(g, s)) {
            return 0;
        }
    }
    size_t nb = g->D[0] * g->H->d[0] * g->H->d[1] * g->D[2];
    for (size_t i = 0; i < g->k * nb; i++) {
        g->theta[i] = rnd(g) + I * rnd(g);
    }
    return 1;
}

/* Solves bond s: the k lowest of H_eff from the centre vectors, in place. */
static int solve_bond(dmrg *g, size_t s, double tol, double *E)
{
    size_t nb = g->D[s] * g->H->d[s] * g->H->d[s + 1] * g->D[s + 2];
    if (nb <= DENSE_MAX) {
        return solve_dense(g, s, nb, g->k, g->theta, E);
    }
    return davidson(g, s, nb, g->k, tol, g->theta, E);
}

qp_status qp_dmrg_lowest(const qp_mpo *H, const qp_dmrg_opts *o, double *E, qp_dmrg_info *info,
                         char *err, size_t errlen)
{
    size_t n = H->n, k = o->nstates > 0 ? (size_t)o->nstates : 0;
    if (n < 2 || k < 1 || qp_dmrg_block(H, o->max_bond) < k) {
        return QP_ERR_USAGE;
    }
    dmrg g = {.H = H, .n = n, .k = k, .maxD = o->max_bond ? o->max_bond : 1,
              .rng = 0x9E3779B97F4A7C15ULL};
    qp_dmrg_info in = {0};
    double *Ep = malloc(k * sizeof *Ep);
    qp_status st = Ep && start(&g) ? QP_OK : QP_ERR_NOMEM;
    int first = 1;
    while (st == QP_OK && in.sweeps < o->max_sweeps && !in.converged) {
        double disc = 0.0, dmax = 0.0;
        for (size_t s = 0; st == QP_OK && n > 2 && s + 3 <= n; s++) {
            if (!solve_bond(&g, s, o->solve_tol, E) || !split(&g, s, 1, &disc)) {
                st = QP_ERR_NUMERIC;
            }
            dmax = fmax(dmax, disc);
        }
        for (size_t s = n - 2; st == QP_OK && s >= 1; s--) {
            if (!solve_bond(&g, s, o->solve_tol, E) || !split(&g, s, -1, &disc)) {
                st = QP_ERR_NUMERIC;
            }
            dmax = fmax(dmax, disc);
        }
        if (st == QP_OK && n == 2 && !solve_bond(&g, 0, o->solve_tol, E)) {
            st = QP_ERR_NUMERIC;
        }
        in.sweeps++;
        in.discarded = dmax;
        in.change = 0.0;
        for (size_t j = 0; st == QP_OK && j < k; j++) {
            in.change = first ? INFINITY : fmax(in.change, fabs(E[j] - Ep[j]));
            Ep[j] = E[j];
        }
        in.converged = st == QP_OK && (n == 2 || (!first && in.change <= o->sweep_tol));
        first = 0;
    }
    for (size_t s = 0; g.D && s <= n; s++) {
        in.bond = g.D[s] > in.bond ? g.D[s] : in.bond;
    }
    if (st == QP_ERR_NUMERIC && err) {
        snprintf(err, errlen, "DMRG: LAPACK failed on a two-site problem");
    }
    if (info) {
        *info = in;
    }
    release(&g);
    free(Ep);
    return st;
}
