/* The last step of the sparse paths and the checks of every path: Rayleigh-Ritz, residuals. */
#include "solve/eig_impl.h"
#include "solve/lapack.h"

#include <math.h>
#include <stdlib.h>

#define ORTH_DROP 1e-8 /* a vector keeping less of its norm in Gram-Schmidt is dependent */

/* Classical Gram-Schmidt, twice ("twice is enough"), on the k columns of V. Returns 0 when a
 * column loses almost all of its norm, i.e. the columns are linearly dependent. */
static int orthonormalize(size_t n, size_t k, double *V)
{
    for (size_t j = 0; j < k; j++) {
        double *vj = V + 2 * n * j, cr, ci;
        double before = qp_eig_znrm(n, vj);
        for (int pass = 0; pass < 2; pass++) {
            for (size_t i = 0; i < j; i++) {
                qp_eig_zdot(n, V + 2 * n * i, vj, &cr, &ci);
                qp_eig_zsub(n, cr, ci, V + 2 * n * i, vj);
            }
        }
        double after = qp_eig_znrm(n, vj);
        if (!(after > ORTH_DROP * before)) {
            return 0;
        }
        for (size_t i = 0; i < 2 * n; i++) {
            vj[i] /= after;
        }
    }
    return 1;
}

/* V <- V Q for V n x k and Q k x k (complex, column-major), one row at a time through row[2k]. */
static void rotate(size_t n, size_t k, double *V, const double *Q, double *row)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < k; j++) {
            double re = 0.0, im = 0.0;
            for (size_t l = 0; l < k; l++) {
                double vr = V[2 * (i + l * n)], vi = V[2 * (i + l * n) + 1];
                double qr = Q[2 * (l + j * k)], qi = Q[2 * (l + j * k) + 1];
                re += vr * qr - vi * qi;
                im += vr * qi + vi * qr;
            }
            row[2 * j] = re;
            row[2 * j + 1] = im;
        }
        for (size_t j = 0; j < k; j++) {
            V[2 * (i + j * n)] = row[2 * j];
            V[2 * (i + j * n) + 1] = row[2 * j + 1];
        }
    }
}

/* Orthonormalizes the k columns of V, then diagonalizes V^H H V and rotates V onto its
 * eigenvectors: exact orthonormality, eigenvalues that are Rayleigh quotients (error ~
 * residual^2 / gap), and clean vectors inside degenerate clusters. vals[k] come out ascending. */
qp_status qp_eig_rayleigh_ritz(qp_eig_solver *s, double *V, int k, double *vals)
{
    size_t n = s->n, kk = (size_t)k;
    lp_int kl = k, lwork = -1, info = 0;
    qp_status st = QP_ERR_NOMEM;
    double *w = qp_eig_alloc_n(2 * n, sizeof *w), *G = qp_eig_alloc_n(2 * kk * kk, sizeof *G);
    double *Gr = qp_eig_alloc_n(kk * kk, sizeof *Gr);
    double *rwork = qp_eig_alloc_n(3 * kk, sizeof *rwork);
    double *row = qp_eig_alloc_n(2 * kk, sizeof *row), *work = NULL, wq = 0.0;
    if (!w || !G || !Gr || !rwork || !row) {
        qp_eig_fail(s, "out of memory in the Rayleigh-Ritz step");
        goto done;
    }
    if (!orthonormalize(n, kk, V)) {
        st = QP_ERR_NUMERIC;
        qp_eig_fail(s, "ARPACK returned linearly dependent vectors (%d of them)", k);
        goto done;
    }
    for (size_t j = 0; j < kk; j++) {
        qp_eig_matvec(s, 0.0, 1, V + 2 * n * j, w);
        for (size_t i = 0; i < kk; i++) {
            qp_eig_zdot(n, V + 2 * n * i, w, &G[2 * (i + j * kk)], &G[2 * (i + j * kk) + 1]);
        }
    }
    for (size_t j = 0; j < kk; j++) { /* symmetrize: G = (G + G^H) / 2 */
        for (size_t i = 0; i <= j; i++) {
            double *a = &G[2 * (i + j * kk)], *b = &G[2 * (j + i * kk)];
            double re = 0.5 * (a[0] + b[0]), im = 0.5 * (a[1] - b[1]);
            a[0] = re;
            a[1] = im;
            b[0] = re;
            b[1] = -im;
            Gr[i + j * kk] = Gr[j + i * kk] = re;
        }
    }
    if (s->cplx) {
        zheev_("V", "L", &kl, G, &kl, vals, &wq, &lwork, rwork, &info, 1, 1);
        lwork = (lp_int)wq;
        work = qp_eig_alloc_n(2 * (size_t)lwork, sizeof *work);
        if (!work) {
            qp_eig_fail(s, "out of memory in the Rayleigh-Ritz step");
            goto done;
        }
        zheev_("V", "L", &kl, G, &kl, vals, work, &lwork, rwork, &info, 1, 1);
    } else {
        dsyev_("V", "L", &kl, Gr, &kl, vals, &wq, &lwork, &info, 1, 1);
        lwork = (lp_int)wq;
        work = qp_eig_alloc_n((size_t)lwork, sizeof *work);
        if (!work) {
            qp_eig_fail(s, "out of memory in the Rayleigh-Ritz step");
            goto done;
        }
        dsyev_("V", "L", &kl, Gr, &kl, vals, work, &lwork, &info, 1, 1);
        for (size_t p = 0; p < kk * kk; p++) {
            G[2 * p] = Gr[p];
            G[2 * p + 1] = 0.0;
        }
    }
    if (info != 0) {
        st = QP_ERR_NUMERIC;
        qp_eig_fail(s, "LAPACK %s failed in the Rayleigh-Ritz step (info=%d)",
                    s->cplx ? "zheev" : "dsyev", (int)info);
        goto done;
    }
    rotate(n, kk, V, G, row);
    st = QP_OK;
done:
    free(w);
    free(G);
    free(Gr);
    free(rwork);
    free(row);
    free(work);
    return st;
}

/* Residuals of the first nev pairs (relative to max(1, ||H||_1)) and the phase convention: the
 * largest-magnitude component (the first one among equals) becomes real and positive. The
 * caller judges the worst residual against resid_tol. */
qp_status qp_eig_residuals(qp_eig_solver *s, double *V, const double *vals, int *worst_j)
{
    size_t n = s->n;
    double *w = qp_eig_alloc_n(2 * n, sizeof *w), worst = 0.0;
    *worst_j = 0;
    if (!w) {
        qp_eig_fail(s, "out of memory checking residuals");
        return QP_ERR_NOMEM;
    }
    for (int j = 0; j < s->nev; j++) {
        double *v = V + 2 * n * (size_t)j;
        qp_eig_matvec(s, -vals[j], 1, v, w);
        double r = qp_eig_znrm(n, w) / fmax(1.0, s->norm1);
        if (!(r <= worst)) { /* also catches NaN */
            worst = r;
            *worst_j = j;
        }
        size_t p = 0;
        double big = -1.0;
        for (size_t i = 0; i < n; i++) {
            double a = v[2 * i] * v[2 * i] + v[2 * i + 1] * v[2 * i + 1];
            if (a > big) {
                big = a;
                p = i;
            }
        }
        if (!s->cplx) {
            if (v[2 * p] < 0.0) {
                for (size_t i = 0; i < n; i++) {
                    v[2 * i] = -v[2 * i];
                }
            }
            continue;
        }
        double mag = sqrt(big), pr = v[2 * p] / mag, pi = -v[2 * p + 1] / mag;
        for (size_t i = 0; i < n; i++) {
            double a = v[2 * i], b = v[2 * i + 1];
            v[2 * i] = a * pr - b * pi;
            v[2 * i + 1] = a * pi + b * pr;
        }
        v[2 * p + 1] = 0.0;
    }
    free(w);
    s->info.max_residual = worst;
    return QP_OK;
}
