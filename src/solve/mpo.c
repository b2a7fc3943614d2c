/* Matrix-product operators from sums of product terms: direct sums of one-term operators,
 * compressed bond by bond by SVD in canonical form (docs/physics.md, "Matrix-product states"). */
#include "solve/mps.h"
#include "solve/mps_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 24 /* terms added between two compressions: bonds stay near the compressed size */

void qp_mpo_free(qp_mpo *M)
{
    if (!M) {
        return;
    }
    for (size_t s = 0; M->W && s < M->n; s++) {
        free(M->W[s]);
    }
    free(M->W), free(M->d), free(M->w);
    memset(M, 0, sizeof *M);
}

static int alloc_mpo(qp_mpo *M, size_t n, const size_t *d)
{
    memset(M, 0, sizeof *M);
    M->n = n;
    M->d = malloc(n * sizeof *M->d);
    M->w = calloc(n + 1, sizeof *M->w);
    M->W = calloc(n, sizeof *M->W);
    if (!M->d || !M->w || !M->W) {
        return 0;
    }
    memcpy(M->d, d, n * sizeof *d);
    M->w[0] = M->w[n] = 1;
    return 1;
}

/* The one-term operator (bond 1 everywhere): the identity where the term has no factor, the
 * coefficient on site 0; with adj the Hermitian conjugate. */
static int term_mpo(qp_mpo *T, size_t n, const size_t *d, const qp_mpo_term *t, int adj)
{
    if (!alloc_mpo(T, n, d)) {
        return 0;
    }
    size_t k = 0;
    for (size_t s = 0; s < n; s++) {
        size_t ds = d[s];
        T->w[s + 1] = 1;
        if (!(T->W[s] = calloc(ds * ds, sizeof *T->W[s]))) {
            return 0;
        }
        double complex *W = T->W[s];
        if (k < t->nf && t->site[k] == s) {
            for (size_t i = 0; i < ds; i++) {
                for (size_t j = 0; j < ds; j++) {
                    W[i * ds + j] = adj ? conj(t->f[k][j * ds + i]) : t->f[k][i * ds + j];
                }
            }
            k++;
        } else {
            for (size_t i = 0; i < ds; i++) {
                W[i * ds + i] = 1.0;
            }
        }
        if (s == 0) {
            double complex c = adj ? conj(t->coef) : t->coef;
            for (size_t i = 0; i < ds * ds; i++) {
                W[i] *= c;
            }
        }
    }
    return 1;
}

/* A += B: block-diagonal bond spaces (a row at site 0, a column at the last site). */
static int add_mpo(qp_mpo *A, const qp_mpo *B)
{
    size_t n = A->n;
    if (A->W[0] == NULL) { /* empty: copy */
        for (size_t s = 0; s < n; s++) {
            size_t len = B->w[s] * B->d[s] * B->d[s] * B->w[s + 1];
            if (!(A->W[s] = malloc(len * sizeof *A->W[s]))) {
                return 0;
            }
            memcpy(A->W[s], B->W[s], len * sizeof *A->W[s]);
        }
        memcpy(A->w, B->w, (n + 1) * sizeof *A->w);
        return 1;
    }
    if (n == 1) {
        for (size_t i = 0; i < A->d[0] * A->d[0]; i++) {
            A->W[0][i] += B->W[0][i];
        }
        return 1;
    }
    for (size_t s = 0; s < n; s++) {
        size_t d = A->d[s], al = A->w[s], ar = A->w[s + 1], bl = B->w[s], br = B->w[s + 1];
        size_t nl = s == 0 ? 1 : al + bl, nr = s == n - 1 ? 1 : ar + br;
        size_t ol = s == 0 ? 0 : al, orr = s == n - 1 ? 0 : ar; /* where B's block starts */
        double complex *W = calloc(nl * d * d * nr, sizeof *W);
        if (!W) {
            return 0;
        }
        for (size_t a = 0; a < al; a++) {
            for (size_t st = 0; st < d * d; st++) {
                for (size_t b = 0; b < ar; b++) {
                    W[(a * d * d + st) * nr + b] = A->W[s][(a * d * d + st) * ar + b];
                }
            }
        }
        for (size_t a = 0; a < bl; a++) {
            for (size_t st = 0; st < d * d; st++) {
                for (size_t b = 0; b < br; b++) {
                    W[((ol + a) * d * d + st) * nr + orr + b] +=
                        B->W[s][(a * d * d + st) * br + b];
                }
            }
        }
        free(A->W[s]);
        A->W[s] = W;
    }
    for (size_t s = 1; s < n; s++) {
        A->w[s] += B->w[s];
    }
    return 1;
}

/* How many of the k descending singular values sv lie above cut * the largest (at least one). */
static size_t kept(const double *sv, size_t k, double cut)
{
    size_t n = 0;
    while (n < k && sv[n] > cut * sv[0]) {
        n++;
    }
    return n ? n : 1;
}

/* Left to right: W[s] becomes an isometry (rows wl d d), its remainder S Vh moves into W[s+1];
 * singular values at or below cut * largest are dropped (only exact zeros on this pass). */
static int sweep_left(qp_mpo *M, double cut)
{
    for (size_t s = 0; s + 1 < M->n; s++) {
        size_t d = M->d[s], r = M->w[s] * d * d, c = M->w[s + 1], k = r < c ? r : c;
        double complex *U = malloc(r * k * sizeof *U), *Vh = malloc(k * c * sizeof *Vh);
        double *sv = malloc(k * sizeof *sv);
        int ok = U && Vh && sv && qp_mps_svd(r, c, M->W[s], U, sv, Vh);
        size_t kk = ok ? kept(sv, k, cut) : 1;
        size_t d1 = M->d[s + 1], rest = d1 * d1 * M->w[s + 2];
        double complex *Wn = ok ? malloc(kk * rest * sizeof *Wn) : NULL;
        double complex *Uk = ok ? malloc(r * kk * sizeof *Uk) : NULL;
        ok = ok && Wn && Uk;
        for (size_t i = 0; ok && i < kk; i++) {
            for (size_t j = 0; j < c; j++) {
                Vh[i * c + j] *= sv[i];
            }
        }
        for (size_t i = 0; ok && i < r; i++) {
            memcpy(Uk + i * kk, U + i * k, kk * sizeof *Uk);
        }
        if (ok) {
            qp_mps_mm('N', 'N', kk, rest, c, Vh, c, M->W[s + 1], rest, 0.0, Wn, rest);
            free(M->W[s]), free(M->W[s + 1]);
            M->W[s] = Uk, M->W[s + 1] = Wn, M->w[s + 1] = kk;
        } else {
            free(Wn), free(Uk);
        }
        free(U), free(Vh), free(sv);
        if (!ok) {
            return 0;
        }
    }
    return 1;
}

/* Right to left on a left-canonical MPO: the singular values at each bond are the operator's
 * Schmidt values there, and those at or below eps * largest are dropped. */
static int sweep_right(qp_mpo *M, double eps)
{
    for (size_t s = M->n - 1; s >= 1; s--) {
        size_t d = M->d[s], r = M->w[s], c = d * d * M->w[s + 1], k = r < c ? r : c;
        double complex *U = malloc(r * k * sizeof *U), *Vh = malloc(k * c * sizeof *Vh);
        double *sv = malloc(k * sizeof *sv);
        int ok = U && Vh && sv && qp_mps_svd(r, c, M->W[s], U, sv, Vh);
        size_t kk = ok ? kept(sv, k, eps) : 1;
        size_t dp = M->d[s - 1], lead = M->w[s - 1] * dp * dp;
        double complex *Wp = ok ? malloc(lead * kk * sizeof *Wp) : NULL;
        double complex *US = ok ? malloc(r * kk * sizeof *US) : NULL;
        ok = ok && Wp && US;
        for (size_t i = 0; ok && i < r; i++) {
            for (size_t j = 0; j < kk; j++) {
                US[i * kk + j] = U[i * k + j] * sv[j];
            }
        }
        if (ok) {
            qp_mps_mm('N', 'N', lead, kk, r, M->W[s - 1], r, US, kk, 0.0, Wp, kk);
            free(M->W[s - 1]);
            M->W[s - 1] = Wp;
            double complex *Ws = realloc(M->W[s], kk * c * sizeof *Ws); /* shrinks */
            M->W[s] = Ws ? Ws : M->W[s];
            memcpy(M->W[s], Vh, kk * c * sizeof *Vh);
            M->w[s] = kk;
        } else {
            free(Wp);
        }
        free(U), free(Vh), free(sv), free(US);
        if (!ok) {
            return 0;
        }
    }
    return 1;
}

static int compress(qp_mpo *M, double eps)
{
    if (M->n < 2) {
        return 1;
    }
    return sweep_left(M, 1e-300) && sweep_right(M, eps);
}

qp_status qp_mpo_build(size_t n, const size_t *d, const qp_mpo_term *t, size_t nterm,
                       double eps, qp_mpo *out)
{
    if (n == 0) {
        return QP_ERR_USAGE;
    }
    for (size_t q = 0; q < nterm; q++) {
        for (size_t k = 0; k < t[q].nf; k++) {
            if (t[q].site[k] >= n || (k > 0 && t[q].site[k] <= t[q].site[k - 1])) {
                return QP_ERR_USAGE;
            }
        }
    }
    qp_mpo M;
    qp_status st = alloc_mpo(&M, n, d) ? QP_OK : QP_ERR_NOMEM;
    size_t since = 0;
    for (size_t q = 0; st == QP_OK && q < nterm; q++) {
        for (int adj = 0; st == QP_OK && adj <= (t[q].herm != 0); adj++) {
            qp_mpo T;
            if (!term_mpo(&T, n, d, &t[q], adj) || !add_mpo(&M, &T)) {
                st = QP_ERR_NOMEM;
            }
            qp_mpo_free(&T);
            if (st == QP_OK && ++since == BATCH) {
                since = 0;
                st = compress(&M, eps) ? QP_OK : QP_ERR_NUMERIC;
            }
        }
    }
    if (st == QP_OK && M.W[0] == NULL) { /* no terms: the zero operator */
        qp_mpo_term z = {0.0, 0, 0, NULL, NULL};
        qp_mpo T;
        st = term_mpo(&T, n, d, &z, 0) && add_mpo(&M, &T) ? QP_OK : QP_ERR_NOMEM;
        qp_mpo_free(&T);
    }
    if (st == QP_OK && !compress(&M, eps)) {
        st = QP_ERR_NUMERIC;
    }
    if (st != QP_OK) {
        qp_mpo_free(&M);
        return st;
    }
    *out = M;
    return QP_OK;
}

void qp_mpo_dense(const qp_mpo *M, double complex *H)
{
    /* Contract site by site: X holds (row, col, bond) of the sites so far */
    size_t rows = 1, w = 1;
    double complex *X = malloc(sizeof *X);
    if (!X) {
        return;
    }
    X[0] = 1.0;
    for (size_t s = 0; s < M->n; s++) {
        size_t d = M->d[s], wr = M->w[s + 1], nr = rows * d;
        double complex *Y = calloc(nr * nr * wr, sizeof *Y);
        if (!Y) {
            free(X);
            return;
        }
        for (size_t i = 0; i < rows; i++) {
            for (size_t j = 0; j < rows; j++) {
                for (size_t a = 0; a < w; a++) {
                    double complex x = X[(i * rows + j) * w + a];
                    if (x == 0.0) {
                        continue;
                    }
                    for (size_t p = 0; p < d; p++) {
                        for (size_t q = 0; q < d; q++) {
                            const double complex *Wv = M->W[s] + ((a * d + p) * d + q) * wr;
                            double complex *y = Y + ((i * d + p) * nr + j * d + q) * wr;
                            for (size_t b = 0; b < wr; b++) {
                                y[b] += x * Wv[b];
                            }
                        }
                    }
                }
            }
        }
        free(X);
        X = Y, rows = nr, w = wr;
    }
    memcpy(H, X, rows * rows * sizeof *H);
    free(X);
}
