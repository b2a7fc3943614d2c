/* .tran: one 3-stage Radau IIA step of A x' = f(t, x), its error estimate and dense output.
 *
 * The stage equations are solved by simplified Newton in Hairer and Wanner's decoupled form
 * (Solving ODEs II, IV.8, their RADAU5 code): the 3n x 3n Newton matrix I (x) A - h a (x) J is,
 * after multiplying by (h a)^-1 (x) I and changing the stage variables to W = (T^-1 (x) I) Z,
 * block diagonal with one real n x n block gamma/h A - J and one complex n x n block
 * (alpha + i beta)/h A - J (gamma, alpha +- i beta: the eigenvalues of a^-1). The iterates are
 * those of the 3n x 3n solve, in about a fifth of its operations; the real block is also the
 * matrix of the embedded error estimate. */
#include "analyses/tran_radau.h"

#include "solve/lu.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NEWTON_MAX 10       /* iterations per stage solve before the step is cut */
#define NEWTON_TOL 1e-2     /* Newton stops when the update is this fraction of the tolerance */
#define NEWTON_CONTRACT 0.9 /* ... and gives up when an update is not this much smaller */

void qp_radau_free(qp_radau *w)
{
    free(w->Z), free(w->F), free(w->W), free(w->x), free(w->Er), free(w->Ec), free(w->zc);
    free(w->pr), free(w->pc), free(w->ap), free(w->ai), free(w->ax);
    memset(w, 0, sizeof *w);
}

int qp_radau_init(qp_radau *w, const qp_tran_sys *S)
{
    memset(w, 0, sizeof *w);
    size_t n = S->n, n1 = n ? n : 1, nz = 0;
    w->n = n;
    for (size_t q = 0; q < n * n; q++) {
        nz += S->A[q] != 0.0;
    }
    /* A by columns, its nonzeros only: a circuit's A has a few per row, and the Newton
     * iterations multiply by it three times each */
    w->ap = malloc((n1 + 1) * sizeof *w->ap);
    w->ai = malloc((nz ? nz : 1) * sizeof *w->ai);
    w->ax = malloc((nz ? nz : 1) * sizeof *w->ax);
    if (!w->ap || !w->ai || !w->ax) {
        return 0;
    }
    w->ap[0] = 0;
    for (size_t q = 0, k = 0; q < n; q++) {
        for (size_t r = 0; r < n; r++) {
            if (S->A[r + q * n] != 0.0) {
                w->ai[k] = r;
                w->ax[k++] = S->A[r + q * n];
            }
        }
        w->ap[q + 1] = k;
    }
    w->Z = calloc(3 * n1, sizeof *w->Z);
    w->F = calloc(3 * n1, sizeof *w->F);
    w->W = calloc(3 * n1, sizeof *w->W);
    w->x = calloc(n1, sizeof *w->x);
    w->Er = calloc(n1 * n1, sizeof *w->Er);
    w->Ec = calloc(n1 * n1, sizeof *w->Ec);
    w->zc = calloc(n1, sizeof *w->zc);
    w->pr = calloc(n1, sizeof *w->pr);
    w->pc = calloc(n1, sizeof *w->pc);
    return w->Z && w->F && w->W && w->x && w->Er && w->Ec && w->zc && w->pr && w->pc;
}

int qp_radau_factor(qp_radau *w, const qp_tran_sys *S, const double *J, double h)
{
    size_t n = S->n;
    double g = QP_RADAU_GAMMA / h, a = QP_RADAU_ALPHA / h, b = QP_RADAU_BETA / h;
    for (size_t q = 0; q < n * n; q++) {
        w->Er[q] = g * S->A[q] - J[q];
        w->Ec[q] = CMPLX(a * S->A[q] - J[q], b * S->A[q]);
    }
    int f = qp_lu_factor(n, w->Er, w->pr);
    if (f == 0) {
        f = qp_lu_zfactor(n, w->Ec, w->pc);
    }
    return f;
}

/* Error weight of unknown i: rtol times its scale (phases and charges absolutely, because they
 * grow without bound while their errors must not). */
static double weight(const qp_tran_sys *S, size_t i, double a, double b)
{
    switch (S->vk[i]) {
    case QP_TRAN_V:
        return S->rtol * fmax(S->v0, fmax(fabs(a), fabs(b)));
    case QP_TRAN_I:
        return S->rtol * fmax(S->i0, fmax(fabs(a), fabs(b)));
    case QP_TRAN_PHI:
    case QP_TRAN_Q:
        return S->rtol;
    }
    return S->rtol;
}

/* y = A x (the compressed A of w) */
static void mass_times(const qp_radau *w, const double *x, double *y)
{
    memset(y, 0, w->n * sizeof *y);
    for (size_t q = 0; q < w->n; q++) {
        for (size_t k = w->ap[q]; k < w->ap[q + 1]; k++) {
            y[w->ai[k]] += w->ax[k] * x[q];
        }
    }
}

/* The right-hand sides of one Newton iteration in the transformed variables: with W = T^-1 Z
 * and G = T^-1 F (stage by stage), G - (Lambda/h (x) A) W, Lambda = diag(gamma, [alpha -beta;
 * beta alpha]); the real part into w->W (first n), the complex one into w->zc. */
static void newton_rhs(qp_radau *w, const qp_tran_sys *S, double h)
{
    size_t n = S->n;
    double *W = w->W;
    const double *G = w->F; /* T^-1 F replaces F */
    double g = QP_RADAU_GAMMA / h, a = QP_RADAU_ALPHA / h, b = QP_RADAU_BETA / h;
    for (size_t i = 0; i < n; i++) {
        double z[3] = {w->Z[i], w->Z[n + i], w->Z[2 * n + i]};
        double f[3] = {w->F[i], w->F[n + i], w->F[2 * n + i]};
        for (int k = 0; k < 3; k++) {
            const double *ti = QP_RADAU_TI[k];
            W[(size_t)k * n + i] = ti[0] * z[0] + ti[1] * z[1] + ti[2] * z[2];
            w->F[(size_t)k * n + i] = ti[0] * f[0] + ti[1] * f[1] + ti[2] * f[2];
        }
    }
    /* the products A W_k replace W_k (through x) */
    for (int k = 0; k < 3; k++) {
        mass_times(w, W + (size_t)k * n, w->x);
        memcpy(W + (size_t)k * n, w->x, n * sizeof *W);
    }
    for (size_t i = 0; i < n; i++) {
        double aw1 = W[i], aw2 = W[n + i], aw3 = W[2 * n + i];
        W[i] = G[i] - g * aw1;
        w->zc[i] = CMPLX(G[n + i] - a * aw2 + b * aw3, G[2 * n + i] - b * aw2 - a * aw3);
    }
}

int qp_radau_newton(qp_radau *w, const qp_tran_sys *S, const qp_analysis *an, double t,
                    double h, const double *x0, double *x1, double *theta)
{
    size_t n = S->n;
    double prev = INFINITY;
    *theta = 0.0;
    for (int it = 0; it < NEWTON_MAX; it++) {
        for (int s = 0; s < 3; s++) {
            for (size_t i = 0; i < n; i++) {
                w->x[i] = x0[i] + w->Z[(size_t)s * n + i];
            }
            qp_tran_eval_f(S, an, t + QP_RADAU_C[s] * h, w->x, w->F + (size_t)s * n, NULL);
        }
        newton_rhs(w, S, h);
        qp_lu_solve(n, w->Er, w->pr, w->W);
        qp_lu_zsolve(n, w->Ec, w->pc, w->zc);
        double norm = 0.0;
        for (size_t i = 0; i < n; i++) { /* the update of Z: T times that of W */
            double d[3] = {w->W[i], creal(w->zc[i]), cimag(w->zc[i])};
            for (int k = 0; k < 3; k++) {
                const double *tk = QP_RADAU_T[k];
                double dz = tk[0] * d[0] + tk[1] * d[1] + tk[2] * d[2];
                double *z = &w->Z[(size_t)k * n + i];
                *z += dz;
                norm = fmax(norm, fabs(dz / weight(S, i, x0[i], x0[i] + *z)));
            }
        }
        if (!isfinite(norm)) {
            return -1;
        }
        /* the contraction: with factors from an earlier step's Jacobian it can be slow, and the
         * error left after an update is about norm theta / (1 - theta), which must be small too */
        double th = it >= 1 ? norm / prev : 0.0;
        *theta = fmax(*theta, th);
        if (norm <= NEWTON_TOL && (th <= 0.5 || norm * th / (1.0 - th) <= NEWTON_TOL)) {
            for (size_t i = 0; i < n; i++) {
                x1[i] = x0[i] + w->Z[2 * n + i];
            }
            return 0;
        }
        if (it >= 1 && norm >= NEWTON_CONTRACT * prev) { /* not contracting: a smaller step */
            return -1;
        }
        prev = norm;
    }
    return -1;
}

void qp_radau_dense(size_t n, const double *x0, const double *Z, double s, double *out)
{
    const double nodes[4] = {0.0, QP_RADAU_C[0], QP_RADAU_C[1], QP_RADAU_C[2]};
    double L[4];
    for (int a = 0; a < 4; a++) {
        L[a] = 1.0;
        for (int b = 0; b < 4; b++) {
            if (a != b) {
                L[a] *= (s - nodes[b]) / (nodes[a] - nodes[b]);
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = x0[i] + L[1] * Z[i] + L[2] * Z[n + i] + L[3] * Z[2 * n + i];
    }
}

/* err = (gamma/h A - J)^-1 (f(t, x0) + A sum_k e_k Z_k / h): an O(h^4) estimate filtered
 * through the real Newton matrix so that stiff and algebraic components do not inflate it
 * (RADAU5). */
double qp_radau_error(const qp_radau *w, const qp_tran_sys *S, const qp_analysis *an, double t,
                      double h, const double *x0, const double *f0, int refine, int skip_alg,
                      double *rhs, double *tmp, double *err)
{
    static const double E1 = -(13.0 + 7.0 * QP_RADAU_S6) / 3.0,
                        E2 = (-13.0 + 7.0 * QP_RADAU_S6) / 3.0, E3 = -1.0 / 3.0;
    size_t n = S->n;
    const double *Z = w->Z;
    double *az = tmp; /* A sum e_k Z_k / h */
    for (size_t i = 0; i < n; i++) {
        rhs[i] = (E1 * Z[i] + E2 * Z[n + i] + E3 * Z[2 * n + i]) / h;
    }
    mass_times(w, rhs, az);
    double e = 0.0;
    for (int pass = 0; pass < 2; pass++) { /* the refinement reuses the factors */
        if (pass == 0) {
            for (size_t i = 0; i < n; i++) {
                rhs[i] = f0[i] + az[i];
            }
        } else {
            for (size_t i = 0; i < n; i++) {
                err[i] += x0[i];
            }
            qp_tran_eval_f(S, an, t, err, rhs, NULL);
            for (size_t i = 0; i < n; i++) {
                rhs[i] += az[i];
            }
        }
        qp_lu_solve(n, w->Er, w->pr, rhs);
        e = 0.0;
        for (size_t i = 0; i < n; i++) {
            err[i] = rhs[i];
            if (!(skip_alg && S->alg[i])) {
                e = fmax(e, fabs(rhs[i]) / weight(S, i, x0[i], x0[i] + Z[2 * n + i]));
            }
        }
        if (!(e >= 1.0 && refine)) {
            break;
        }
    }
    return isfinite(e) ? e : INFINITY;
}

void qp_radau_guess(size_t n, const double *xp, const double *Zp, double hp, double h,
                    const double *x0, double *Z, double *tmp)
{
    if (!(hp > 0.0)) {
        memset(Z, 0, 3 * n * sizeof *Z);
        return;
    }
    for (int s = 0; s < 3; s++) {
        qp_radau_dense(n, xp, Zp, 1.0 + QP_RADAU_C[s] * h / hp, tmp);
        for (size_t i = 0; i < n; i++) {
            Z[(size_t)s * n + i] = tmp[i] - x0[i];
        }
    }
}
