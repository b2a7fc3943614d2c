/* Quantizer step 6: compact directions, the unimodular change to mode kinds (frozen, fluxoid,
 * charge, oscillator) and the normal modes of the oscillator block (docs/physics.md). */
#include "circuit/quantize_state.h"

#include "solve/lapack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KERNEL_TOL 1e-9    /* relative size of a kernel direction of a quadratic form */

/* Builds V (r x r unimodular) and the mode kinds; see docs/physics.md. */
qp_status qp_quantize_choose_modes(const reduced *red, qp_imat *V, qp_mode_kind *kind)
{
    size_t r = red->r;
    qp_imat KA = {0}, KB = {0}, Sab = {0}, KBt = {0}, Ls = {0}, D = {0}, Rs = {0}, t1 = {0};
    qp_imat V0 = {0}, CA = {0}, L2 = {0}, Ly = {0}, Sy = {0}, Ry = {0}, T = {0}, Y = {0};
    size_t k = 0;
    qp_status st;
    if ((st = qp_imat_int_kernel(red->Lm, r, r, KERNEL_TOL, &KA)) != QP_OK ||
        (st = qp_imat_int_kernel(red->Ac, r, r, KERNEL_TOL, &KB)) != QP_OK) {
        goto done;
    }
    size_t a = KA.cols, b = KB.cols;
    if (a && b) {
        size_t rank;
        if ((st = qp_imat_transpose(&KB, &KBt)) != QP_OK ||
            (st = qp_imat_mul(&KBt, &KA, &Sab)) != QP_OK ||
            (st = qp_imat_smith(&Sab, &Ls, &D, &Rs, &rank)) != QP_OK) {
            goto done;
        }
        for (size_t i = 0; i < rank; i++) {
            long long v = D.a[i * D.cols + i];
            if (v > 1) {
                st = QP_ERR_NUMERIC; /* compact directions pairing with index > 1 */
                goto done;
            }
            k += v == 1;
        }
        qp_imat Lst = {0};
        if ((st = qp_imat_transpose(&Ls, &Lst)) != QP_OK) {
            goto done;
        }
        st = qp_imat_mul(&KB, &Lst, &t1);
        qp_imat_free(&Lst);
        if (st != QP_OK) {
            goto done;
        }
        qp_imat_free(&KB);
        KB = t1;
        t1 = (qp_imat){0};
        if ((st = qp_imat_mul(&KA, &Rs, &t1)) != QP_OK) {
            goto done;
        }
        qp_imat_free(&KA);
        KA = t1;
        t1 = (qp_imat){0};
    }
    qp_imat_free(&KBt);
    if ((st = qp_imat_transpose(&KB, &KBt)) != QP_OK ||
        (st = qp_imat_complete_rows(&KBt, r, &V0)) != QP_OK ||
        (st = qp_imat_mul(&V0, &KA, &CA)) != QP_OK) {
        goto done;
    }
    size_t rb = r - b;
    if ((st = qp_imat_identity(&Y, rb)) != QP_OK) {
        goto done;
    }
    if (a > k) {
        if ((st = qp_imat_alloc(&L2, rb, a - k)) != QP_OK) {
            goto done;
        }
        for (size_t i = 0; i < rb; i++) {
            for (size_t j = 0; j < a - k; j++) {
                L2.a[i * (a - k) + j] = CA.a[(b + i) * a + k + j];
            }
        }
        if ((st = qp_imat_smith(&L2, &Ly, &Sy, &Ry, &(size_t){0})) != QP_OK) {
            goto done;
        }
        qp_imat Dm = {0};
        if ((st = qp_imat_identity(&Dm, rb)) != QP_OK) {
            goto done;
        }
        for (size_t i = 0; i < a - k; i++) {
            for (size_t j = 0; j < a - k; j++) {
                Dm.a[i * rb + j] = Ry.a[i * Ry.cols + j];
            }
        }
        qp_imat_free(&Y);
        st = qp_imat_mul(&Dm, &Ly, &Y);
        qp_imat_free(&Dm);
        if (st != QP_OK) {
            goto done;
        }
    }
    /* T = [[1, 0], [Z, Y]] with Z[:, :k] = -Y L1, L1 = CA[b:, :k]. */
    if ((st = qp_imat_identity(&T, r)) != QP_OK) {
        goto done;
    }
    for (size_t i = 0; i < rb; i++) {
        for (size_t j = 0; j < rb; j++) {
            T.a[(b + i) * r + b + j] = Y.a[i * rb + j];
        }
        for (size_t j = 0; j < k; j++) {
            long long s = 0;
            for (size_t l = 0; l < rb; l++) {
                s += Y.a[i * rb + l] * CA.a[(b + l) * a + j];
            }
            T.a[(b + i) * r + j] = -s;
        }
    }
    if ((st = qp_imat_mul(&T, &V0, V)) != QP_OK) {
        goto done;
    }
    for (size_t i = 0; i < r; i++) {
        kind[i] = i < k           ? QP_MODE_FROZEN
                  : i < b         ? QP_MODE_FLUXOID
                  : i < b + a - k ? QP_MODE_CHARGE
                                  : QP_MODE_OSC;
    }
done:
    qp_imat_free(&KA), qp_imat_free(&KB), qp_imat_free(&Sab), qp_imat_free(&KBt);
    qp_imat_free(&Ls), qp_imat_free(&D), qp_imat_free(&Rs), qp_imat_free(&t1);
    qp_imat_free(&V0), qp_imat_free(&CA), qp_imat_free(&L2), qp_imat_free(&Ly);
    qp_imat_free(&Sy), qp_imat_free(&Ry), qp_imat_free(&T), qp_imat_free(&Y);
    return st;
}

qp_status qp_quantize_transform(reduced *red, const double *Vd, const double *Vid, qp_modes *m)
{
    size_t r = red->r;
    double *tmp = qp_quantize_dnew(r * r), *Vit = qp_quantize_dnew(r * r);
    double *Vt = qp_quantize_dnew(r * r);
    if (!tmp || !Vit || !Vt) {
        free(tmp), free(Vit), free(Vt);
        return QP_ERR_NOMEM;
    }
    for (size_t i = 0; i < r; i++) {
        for (size_t j = 0; j < r; j++) {
            Vit[i * r + j] = Vid[j * r + i];
            Vt[i * r + j] = Vd[j * r + i];
        }
    }
    qp_quantize_matmul(Vit, red->Lm, tmp, r, r, r);
    qp_quantize_matmul(tmp, Vid, m->Lm, r, r, r);
    qp_quantize_matmul(Vit, red->lphi, m->lphi, r, r, 1);
    qp_quantize_matmul(Vd, red->Ac, tmp, r, r, r);
    qp_quantize_matmul(tmp, Vt, m->Ac, r, r, r);
    qp_quantize_matmul(Vd, red->lp, m->lp, r, r, 1);
    for (size_t k = 0; k < red->ncos; k++) {
        qp_cos_term *t = &red->cos[k];
        qp_quantize_matmul(t->is_qps ? Vd : Vit, t->c, tmp, r, r, 1);
        memcpy(t->c, tmp, r * sizeof *tmp);
    }
    for (size_t k = 0; k < red->nbranch; k++) { /* charge rows as phase-slip rows, phases as junctions */
        qp_branch_row *b = &red->branch[k];
        qp_quantize_matmul(b->charge ? Vd : Vit, b->c, tmp, r, r, 1);
        memcpy(b->c, tmp, r * sizeof *tmp);
    }
    free(tmp), free(Vit), free(Vt);
    return QP_OK;
}

/* The oscillator block of T (n x n, row-major, the identity there on entry): T_CC = S Q with
 * Ac_CC = S S^T (Cholesky, lower S) and Q the eigenvectors of W = S^T Lm_CC S, so that
 * T^-1 Ac T^-T = 1 and T^T Lm T is diagonal on the block. C lists the nc oscillator modes. */
static qp_status block_transform(const qp_modes *m, const size_t *C, size_t nc, double *T)
{
    size_t n = m->n;
    double *S = qp_quantize_dnew(nc * nc), *W = qp_quantize_dnew(nc * nc);
    double *w = qp_quantize_dnew(nc), *Sr = qp_quantize_dnew(nc * nc); /* Sr: row-major S */
    qp_status st = QP_OK;
    if (!S || !W || !w || !Sr) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    /* Cholesky Ac_CC = S S^T (lower S), column-major dpotrf on a symmetric copy. */
    for (size_t i = 0; i < nc; i++) {
        for (size_t j = 0; j < nc; j++) {
            S[j * nc + i] = m->Ac[C[i] * n + C[j]];
        }
    }
    int nn = (int)nc, info = 0;
    dpotrf_("L", &nn, S, &nn, &info, 1);
    if (info != 0) {
        st = QP_ERR_NUMERIC;
        goto done;
    }
    for (size_t i = 0; i < nc; i++) {
        for (size_t j = 0; j <= i; j++) {
            Sr[i * nc + j] = S[j * nc + i];
        }
    }
    /* W = S^T Lm_CC S */
    for (size_t i = 0; i < nc; i++) {
        for (size_t j = 0; j < nc; j++) {
            double s = 0.0;
            for (size_t k = 0; k < nc; k++) {
                for (size_t l = 0; l < nc; l++) {
                    s += Sr[k * nc + i] * m->Lm[C[k] * n + C[l]] * Sr[l * nc + j];
                }
            }
            W[i * nc + j] = s;
        }
    }
    if ((st = qp_quantize_sym_eig(W, nc, w)) != QP_OK) {
        goto done;
    }
    /* T_CC = S Q, Q's column k is W[k*nc + :]. */
    for (size_t i = 0; i < nc; i++) {
        for (size_t k = 0; k < nc; k++) {
            double s = 0.0;
            for (size_t l = 0; l < nc; l++) {
                s += Sr[i * nc + l] * W[k * nc + l];
            }
            T[C[i] * n + C[k]] = s;
        }
    }
done:
    free(S), free(W), free(w), free(Sr);
    return st;
}

/* Ti = T^-1 (n x n, row-major; a copy of T on entry): the identity outside the oscillator block
 * C (nc modes), whose inverse Q^T S^-1 comes from a solve (LAPACK dgesv). */
static qp_status block_inverse(const double *T, const size_t *C, size_t nc, size_t n, double *Ti)
{
    double *A = qp_quantize_dnew(nc * nc), *B = qp_quantize_dnew(nc * nc);
    int *ipiv = malloc(nc * sizeof *ipiv);
    if (!A || !B || !ipiv) {
        free(A), free(B), free(ipiv);
        return QP_ERR_NOMEM;
    }
    for (size_t i = 0; i < nc; i++) {
        for (size_t j = 0; j < nc; j++) {
            A[j * nc + i] = T[C[i] * n + C[j]];
            B[j * nc + i] = i == j;
        }
    }
    int nn = (int)nc, info = 0;
    dgesv_(&nn, &nn, A, &nn, ipiv, B, &nn, &info);
    for (size_t i = 0; i < nc; i++) {
        for (size_t j = 0; j < nc; j++) {
            Ti[C[i] * n + C[j]] = B[j * nc + i];
        }
    }
    free(A), free(B), free(ipiv);
    return info == 0 ? QP_OK : QP_ERR_NUMERIC;
}

/* Applies Phi'' = T Phi~, P'' = T^-T P~ (Ti = T^-1) to m's forms and cosine terms in place. */
static qp_status point_transform(qp_modes *m, const double *T, const double *Ti)
{
    size_t n = m->n;
    double *tmp = qp_quantize_dnew(n * n), *Tt = qp_quantize_dnew(n * n);
    double *Tit = qp_quantize_dnew(n * n), *v = qp_quantize_dnew(n);
    if (!tmp || !Tt || !Tit || !v) {
        free(tmp), free(Tt), free(Tit), free(v);
        return QP_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            Tt[i * n + j] = T[j * n + i];
            Tit[i * n + j] = Ti[j * n + i];
        }
    }
    qp_quantize_matmul(Tt, m->Lm, tmp, n, n, n);
    qp_quantize_matmul(tmp, T, m->Lm, n, n, n);
    qp_quantize_matmul(Tt, m->lphi, v, n, n, 1);
    memcpy(m->lphi, v, n * sizeof *v);
    qp_quantize_matmul(Ti, m->Ac, tmp, n, n, n);
    qp_quantize_matmul(tmp, Tit, m->Ac, n, n, n);
    qp_quantize_matmul(Ti, m->lp, v, n, n, 1);
    memcpy(m->lp, v, n * sizeof *v);
    for (size_t k = 0; k < m->ncos; k++) {
        qp_cos_term *t = &m->cos[k];
        qp_quantize_matmul(t->is_qps ? Ti : Tt, t->c, v, n, n, 1);
        memcpy(t->c, v, n * sizeof *v);
    }
    for (size_t k = 0; k < m->nbranch; k++) {
        qp_branch_row *b = &m->branch[k];
        qp_quantize_matmul(b->charge ? Ti : Tt, b->c, v, n, n, 1);
        memcpy(b->c, v, n * sizeof *v);
    }
    free(tmp), free(Tt), free(Tit), free(v);
    return QP_OK;
}

/* Normal-mode point transform of the oscillator block (docs/physics.md, quantization):
 * Phi_C = T Phi~, P_C = T^-T P~ with T^-1 Ac T^-T = 1 and T^T Lm T diagonal. */
qp_status qp_quantize_normal_modes(qp_modes *m, double *Tfull)
{
    size_t n = m->n, nc = 0;
    size_t *C = malloc((n ? n : 1) * sizeof *C);
    if (!C) {
        return QP_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        Tfull[i * n + i] = 1.0;
        if (m->kind[i] == QP_MODE_OSC) {
            C[nc++] = i;
        }
    }
    if (nc == 0) {
        free(C);
        return QP_OK;
    }
    double *T = qp_quantize_dnew(n * n), *Ti = qp_quantize_dnew(n * n);
    qp_status st = T && Ti ? QP_OK : QP_ERR_NOMEM;
    if (st == QP_OK) {
        memcpy(T, Tfull, n * n * sizeof *T);
        st = block_transform(m, C, nc, T);
    }
    if (st == QP_OK) {
        memcpy(Ti, T, n * n * sizeof *Ti);
        st = block_inverse(T, C, nc, n, Ti);
    }
    if (st == QP_OK) {
        st = point_transform(m, T, Ti);
    }
    if (st == QP_OK) {
        memcpy(Tfull, Ti, n * n * sizeof *Ti); /* the map needs Phi~ = Ti Phi'' */
    }
    free(C), free(T), free(Ti);
    return st;
}
