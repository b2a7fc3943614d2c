/* Junction-aligned coordinates for the extended modes (docs/physics.md, "Basis choice"): a
 * linear canonical change of the oscillator modes that makes each junction phase one coordinate,
 * so that every cosine acts on a single mode. */
#include "operators/align.h"
#include "circuit/quantize_state.h"
#include "solve/lapack.h"
#include "solve/lu.h"
#include "qpsim/units.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEP_TOL                                                                                    \
    1e-8 /* a candidate row whose part orthogonal to the chosen ones is below this                 \
            fraction of its norm is dependent on them */
#define MAX_COUPLING                                                                               \
    0.2                 /* aligned modes coupled more strongly than this (coupling()) would        \
                          need many kept states each: keep the normal modes then */

#define SLIP_SHARE                                                                                 \
    0.01 /* a junction's phase slips are neglected when the band width they would give is below \
            this share of tol */

#define SLIP_LEVEL 3 /* the junction level whose band width is compared with tol */

#define SHEAR_FROM                                                                                 \
    0.5 /* a lattice mode coupled to an oscillator more strongly than this (relative to their     \
           own terms) is sheared */

/* Whether some junction cosine (is_qps = 0) or phase-slip cosine (1) acts on two or more
 * oscillator modes. */
static int mixed_cosine(const qp_modes *m, int is_qps)
{
    for (size_t t = 0; t < m->ncos; t++) {
        if (m->cos[t].is_qps != is_qps) {
            continue;
        }
        int k = 0;
        for (size_t i = 0; i < m->n; i++) {
            k += m->kind[i] == QP_MODE_OSC && m->cos[t].c[i] != 0.0;
        }
        if (k >= 2) {
            return 1;
        }
    }
    return 0;
}

/* Adds row r (length k) to the chosen rows when it is independent of them: Q keeps the chosen
 * rows orthonormalized. Returns 1 when added. */
static int try_row(size_t k, const double *r, double *T, double *Q, size_t *nrow)
{
    double *q = Q + *nrow * k, nr = 0.0;
    for (size_t j = 0; j < k; j++) {
        q[j] = r[j];
        nr += r[j] * r[j];
    }
    if (!(nr > 0.0)) {
        return 0;
    }
    for (int pass = 0; pass < 2; pass++) { /* Gram-Schmidt, twice for accuracy */
        for (size_t a = 0; a < *nrow; a++) {
            double d = 0.0;
            for (size_t j = 0; j < k; j++) {
                d += Q[a * k + j] * q[j];
            }
            for (size_t j = 0; j < k; j++) {
                q[j] -= d * Q[a * k + j];
            }
        }
    }
    double nq = 0.0;
    for (size_t j = 0; j < k; j++) {
        nq += q[j] * q[j];
    }
    if (nq <= DEP_TOL * DEP_TOL * nr) {
        return 0;
    }
    for (size_t j = 0; j < k; j++) {
        q[j] /= sqrt(nq);
        T[*nrow * k + j] = r[j];
    }
    (*nrow)++;
    return 1;
}

/* out = A B (n x n, row-major), or with A transposed when ta is set, B transposed when tb. */
static void matmul(size_t n, const double *A, int ta, const double *B, int tb, double *out)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t l = 0; l < n; l++) {
                s += (ta ? A[l * n + i] : A[i * n + l]) * (tb ? B[j * n + l] : B[l * n + j]);
            }
            out[i * n + j] = s;
        }
    }
}

/* R (n x n): the identity but on the oscillator modes, where its rows are the coefficient rows of
 * the junction (is_qps = 0) or phase-slip (1) cosines, completed by unit rows; 0 when it cannot
 * be built. */
static int build_rows(const qp_modes *m, int is_qps, double *T)
{
    size_t n = m->n, k = 0;
    size_t *osc = malloc(n * sizeof *osc);
    double *TO = calloc(n * n, sizeof *TO), *Q = calloc(n * n, sizeof *Q);
    double *r = calloc(n, sizeof *r);
    int ok = osc && TO && Q && r;
    for (size_t i = 0; ok && i < n; i++) {
        if (m->kind[i] == QP_MODE_OSC) {
            osc[k++] = i;
        }
    }
    size_t nrow = 0;
    for (size_t t = 0; ok && t < m->ncos && nrow < k; t++) {
        if (m->cos[t].is_qps != is_qps) {
            continue;
        }
        for (size_t a = 0; a < k; a++) {
            r[a] = m->cos[t].c[osc[a]];
        }
        try_row(k, r, TO, Q, &nrow);
    }
    while (ok && nrow < k) { /* complete with the old coordinate most orthogonal to the rows */
        size_t best = k;
        double most = -1.0;
        for (size_t e = 0; e < k; e++) {
            double res = 1.0; /* |e - its projection|^2 = 1 - sum_a Q[a][e]^2 */
            for (size_t a = 0; a < nrow; a++) {
                res -= Q[a * k + e] * Q[a * k + e];
            }
            if (res > most) {
                most = res;
                best = e;
            }
        }
        memset(r, 0, k * sizeof *r);
        r[best] = 1.0;
        if (!try_row(k, r, TO, Q, &nrow)) {
            ok = 0;
        }
    }
    ok = ok && nrow == k;
    for (size_t i = 0; ok && i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            T[i * n + j] = i == j ? 1.0 : 0.0;
        }
    }
    for (size_t a = 0; ok && a < k; a++) {
        for (size_t b = 0; b < k; b++) {
            T[osc[a] * n + osc[b]] = TO[a * k + b];
        }
    }
    free(osc), free(TO), free(Q), free(r);
    return ok;
}

/* Tinv (n x n, row-major) = T^-1 by LU; 0 when T is singular. */
static int invert(size_t n, const double *T, double *Tinv)
{
    double *M = malloc(n * n * sizeof *M), *b = malloc(n * sizeof *b);
    lp_int *piv = malloc(n * sizeof *piv);
    int ok = M && b && piv;
    for (size_t i = 0; ok && i < n; i++) { /* column-major copy */
        for (size_t j = 0; j < n; j++) {
            M[j * n + i] = T[i * n + j];
        }
    }
    ok = ok && qp_lu_factor(n, M, piv) == 0;
    for (size_t j = 0; ok && j < n; j++) {
        memset(b, 0, n * sizeof *b);
        b[j] = 1.0;
        qp_lu_solve(n, M, piv, b);
        for (size_t i = 0; i < n; i++) {
            Tinv[i * n + j] = b[i];
        }
    }
    free(M), free(b), free(piv);
    return ok;
}

/* A cosine or branch row in the new coordinates: c . Phi = (Ti^T c) . Phi' for a phase row,
 * c . P = (T c) . P' for a charge row (n values, owned by the caller); NULL out of memory. */
static double *row_transform(size_t n, const double *T, const double *Ti, int charge,
                             const double *c)
{
    double *out = calloc(n ? n : 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            out[i] += (charge ? T[i * n + j] : Ti[j * n + i]) * c[j];
        }
    }
    return out;
}

/* The transformed copy: Phi' = T Phi, P' = T^-T P. */
static qp_modes *transform(const qp_modes *m, const double *T, const double *Ti)
{
    size_t n = m->n, nn = m->nnodes;
    qp_modes *o = calloc(1, sizeof *o);
    double *tmp = malloc(n * n * sizeof *tmp);
    if (!o || !tmp) {
        free(o), free(tmp);
        return NULL;
    }
    *o = *m;
    o->kind = malloc(n * sizeof *o->kind);
    o->Lm = malloc(n * n * sizeof *o->Lm), o->Ac = malloc(n * n * sizeof *o->Ac);
    o->lphi = calloc(n, sizeof *o->lphi), o->lp = calloc(n, sizeof *o->lp);
    o->cos = calloc(m->ncos ? m->ncos : 1, sizeof *o->cos);
    o->map = m->map ? calloc(n * nn, sizeof *o->map) : NULL;
    o->ncos = 0;
    o->branch = calloc(m->nbranch ? m->nbranch : 1, sizeof *o->branch);
    o->nbranch = 0;
    if (!o->kind || !o->Lm || !o->Ac || !o->lphi || !o->lp || !o->cos || (m->map && !o->map) ||
        !o->branch) {
        free(tmp);
        qp_modes_free(o);
        return NULL;
    }
    memcpy(o->kind, m->kind, n * sizeof *o->kind);
    matmul(n, Ti, 1, m->Lm, 0, tmp); /* Lm' = Ti^T Lm Ti */
    matmul(n, tmp, 0, Ti, 0, o->Lm);
    matmul(n, T, 0, m->Ac, 0, tmp); /* Ac' = T Ac T^T */
    matmul(n, tmp, 0, T, 1, o->Ac);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) { /* exactly symmetric */
            double a = 0.5 * (o->Lm[i * n + j] + o->Lm[j * n + i]);
            double b = 0.5 * (o->Ac[i * n + j] + o->Ac[j * n + i]);
            o->Lm[i * n + j] = o->Lm[j * n + i] = a;
            o->Ac[i * n + j] = o->Ac[j * n + i] = b;
        }
        for (size_t j = 0; j < n; j++) {
            o->lphi[i] += Ti[j * n + i] * m->lphi[j]; /* Ti^T lphi */
            o->lp[i] += T[i * n + j] * m->lp[j];      /* T lp */
        }
        for (size_t k = 1; o->map && k < nn; k++) {
            for (size_t j = 0; j < n; j++) {
                o->map[i * nn + k] += T[i * n + j] * m->map[j * nn + k];
            }
        }
    }
    free(tmp);
    for (size_t t = 0; t < m->ncos; t++) {
        qp_cos_term ct = m->cos[t];
        if (!(ct.c = row_transform(n, T, Ti, ct.is_qps, m->cos[t].c))) {
            qp_modes_free(o);
            return NULL;
        }
        o->cos[o->ncos++] = ct;
    }
    for (size_t k = 0; k < m->nbranch; k++) {
        qp_branch_row br = m->branch[k];
        if (!(br.c = row_transform(n, T, Ti, br.charge, m->branch[k].c))) {
            qp_modes_free(o);
            return NULL;
        }
        o->branch[o->nbranch++] = br;
    }
    qp_modes_clean(o);
    return o;
}

/* The strongest quadratic coupling between two oscillator modes, relative to their own terms:
 * max over pairs of |Lm_ij| / sqrt(Lm_ii Lm_jj) + |Ac_ij| / sqrt(Ac_ii Ac_jj). */
static double coupling(const qp_modes *m)
{
    size_t n = m->n;
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            if (m->kind[i] != QP_MODE_OSC || m->kind[j] != QP_MODE_OSC) {
                continue;
            }
            double l = sqrt(fabs(m->Lm[i * n + i] * m->Lm[j * n + j]));
            double a = sqrt(fabs(m->Ac[i * n + i] * m->Ac[j * n + j]));
            worst = fmax(worst, (l > 0.0 ? fabs(m->Lm[i * n + j]) / l : 0.0) +
                                    (a > 0.0 ? fabs(m->Ac[i * n + j]) / a : 0.0));
        }
    }
    return worst;
}

qp_status qp_align_junctions(const qp_modes *m, qp_modes **out)
{
    *out = NULL;
    int jj = m->n >= 2 && mixed_cosine(m, 0), qps = m->n >= 2 && !jj && mixed_cosine(m, 1);
    if (!jj && !qps) {
        return QP_OK;
    }
    size_t n = m->n;
    double *T = malloc(n * n * sizeof *T), *Ti = malloc(n * n * sizeof *Ti);
    double *R = malloc(n * n * sizeof *R);
    qp_status st = T && Ti && R ? QP_OK : QP_ERR_NOMEM;
    int ok = st == QP_OK && build_rows(m, qps, R);
    if (ok && jj) { /* Phi' = R Phi: the junction phases become coordinates */
        memcpy(T, R, n * n * sizeof *T);
        ok = invert(n, T, Ti);
    } else if (ok) { /* P' = R P, the dual: T = R^-T, Ti = R^T */
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < n; j++) {
                Ti[i * n + j] = R[j * n + i];
            }
        }
        ok = invert(n, Ti, T);
    }
    if (ok) {
        *out = transform(m, T, Ti);
        st = *out ? QP_OK : QP_ERR_NOMEM;
    }
    if (*out && coupling(*out) > MAX_COUPLING) { /* the cure would be worse than the mixing */
        qp_modes_free(*out);
        *out = NULL;
    }
    free(T), free(Ti), free(R);
    return st;
}

/* The strongest coupling of a lattice mode of kind `lat` to an oscillator in X (Ac for charge
 * modes, Lm for fluxoid modes), relative to their own terms. */
static double lattice_coupling(const qp_modes *m, qp_mode_kind lat, const double *X)
{
    size_t n = m->n;
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            double s = sqrt(fabs(X[i * n + i] * X[j * n + j]));
            if (m->kind[i] == lat && m->kind[j] == QP_MODE_OSC && s > 0.0) {
                worst = fmax(worst, fabs(X[i * n + j]) / s);
            }
        }
    }
    return worst;
}

/* T for the shear of the lattice modes of kind `lat` off the oscillators: S = Xxx^-1 Xxl (k x nl
 * over the oscillators x and lattice modes l). Charge: Phi_l' = Phi_l - S^T Phi_x. Fluxoid:
 * Phi_x' = Phi_x + S Phi_l. 0 when Xxx is singular. */
static int shear_rows(const qp_modes *m, qp_mode_kind lat, const double *X, double *T)
{
    size_t n = m->n, k = 0;
    size_t *osc = malloc(n * sizeof *osc);
    double *A = malloc(n * n * sizeof *A), *b = malloc(n * sizeof *b);
    lp_int *piv = malloc(n * sizeof *piv);
    int ok = osc && A && b && piv;
    for (size_t i = 0; ok && i < n; i++) {
        if (m->kind[i] == QP_MODE_OSC) {
            osc[k++] = i;
        }
    }
    for (size_t a = 0; ok && a < k; a++) { /* Xxx column-major (it is symmetric) */
        for (size_t c = 0; c < k; c++) {
            A[c * k + a] = X[osc[a] * n + osc[c]];
        }
    }
    ok = ok && k > 0 && qp_lu_factor(k, A, piv) == 0;
    for (size_t i = 0; ok && i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            T[i * n + j] = i == j ? 1.0 : 0.0;
        }
    }
    for (size_t l = 0; ok && l < n; l++) {
        if (m->kind[l] != lat) {
            continue;
        }
        for (size_t a = 0; a < k; a++) {
            b[a] = X[osc[a] * n + l];
        }
        qp_lu_solve(k, A, piv, b); /* column l of S */
        for (size_t a = 0; a < k; a++) {
            if (lat == QP_MODE_CHARGE) {
                T[l * n + osc[a]] = -b[a];
            } else {
                T[osc[a] * n + l] = b[a];
            }
        }
    }
    free(osc), free(A), free(b), free(piv);
    return ok;
}

qp_status qp_align_shear(const qp_modes *m, qp_modes **out)
{
    *out = NULL;
    qp_mode_kind lat[2] = {QP_MODE_CHARGE, QP_MODE_FLUXOID};
    size_t n = m->n;
    double *T = malloc(n * n * sizeof *T), *Ti = malloc(n * n * sizeof *Ti);
    qp_status st = T && Ti ? QP_OK : QP_ERR_NOMEM;
    const qp_modes *cur = m;
    for (int s = 0; s < 2 && st == QP_OK; s++) {
        const double *X = lat[s] == QP_MODE_CHARGE ? cur->Ac : cur->Lm;
        if (lattice_coupling(cur, lat[s], X) <= SHEAR_FROM || !shear_rows(cur, lat[s], X, T) ||
            !invert(n, T, Ti)) {
            continue;
        }
        qp_modes *next = transform(cur, T, Ti);
        if (!next) {
            st = QP_ERR_NOMEM;
            break;
        }
        if (cur != m) {
            qp_modes_free((qp_modes *)cur);
        }
        cur = next;
    }
    if (cur != m) {
        if (st == QP_OK) {
            *out = (qp_modes *)cur;
        } else {
            qp_modes_free((qp_modes *)cur);
        }
    }
    free(T), free(Ti);
    return st;
}

/* ------------------------------------------------------------------ extended array coordinates */

/* Width of the band of level SLIP_LEVEL of a junction alone with charging energy EC when its
 * phase slips (GHz): the transmon charge dispersion eps_m = EC 2^(4m+5)/m! sqrt(2/pi)
 * (EJ/2EC)^(m/2+3/4) exp(-sqrt(8 EJ/EC)) (docs/physics.md, "Extended coordinates"). Not the
 * ground band: a fluxonium array at EJ/EC = 100 gave levels 7e-7 GHz from the compact solve,
 * where eps_0 = 2e-11 GHz and eps_2 = 1e-7 GHz (the coupled states hold excited junction
 * levels). */
static double slip_width(double EJ, double EC)
{
    if (EC <= 0.0 || EJ <= 0.0) {
        return INFINITY;
    }
    double r = EJ / EC, f = 1.0;
    for (int k = 2; k <= SLIP_LEVEL; k++) {
        f *= k;
    }
    return EC * pow(2.0, 4 * SLIP_LEVEL + 5) / f * sqrt(2.0 / QP_PI) *
           pow(0.5 * r, 0.5 * SLIP_LEVEL + 0.75) * exp(-sqrt(8.0 * r));
}

/* Marks in stiff[] the junction cosines on charge modes whose phase slips are negligible
 * (slip_width below SLIP_SHARE tol, EC the junction's own charging energy c^T Ac c / 4: the
 * lightest mass its phase can have), sets *slip to the largest such width, and returns whether
 * the extension applies: only charge and oscillator modes, no phase-slip cosine on a charge mode,
 * no inductive term on one, and the stiff junctions' rows span every charge mode (then every
 * lattice translation slips one of them). */
static int stiff_junctions(const qp_modes *m, double tol, int *stiff, double *slip)
{
    size_t n = m->n, nc = 0, k = 0;
    for (size_t i = 0; i < n; i++) {
        if (m->kind[i] != QP_MODE_CHARGE && m->kind[i] != QP_MODE_OSC) {
            return 0;
        }
        if (m->kind[i] == QP_MODE_CHARGE) {
            nc++;
            for (size_t j = 0; j < n; j++) {
                if (m->Lm[i * n + j] != 0.0) {
                    return 0;
                }
            }
        }
    }
    double *R = malloc((m->ncos ? m->ncos : 1) * (nc ? nc : 1) * sizeof *R);
    if (!R || nc < 2) {
        free(R);
        return 0;
    }
    *slip = 0.0;
    int ok = 1;
    for (size_t t = 0; t < m->ncos && ok; t++) {
        const qp_cos_term *ct = &m->cos[t];
        int on_charge = 0;
        double ec = 0.0;
        for (size_t i = 0; i < n; i++) {
            on_charge |= m->kind[i] == QP_MODE_CHARGE && ct->c[i] != 0.0;
            for (size_t j = 0; j < n; j++) {
                ec += 0.25 * ct->c[i] * m->Ac[i * n + j] * ct->c[j];
            }
        }
        stiff[t] = 0;
        if (!on_charge) {
            continue;
        }
        ok = !ct->is_qps;
        double w = slip_width(fabs(ct->E), ec);
        if (ok && w <= SLIP_SHARE * tol) {
            stiff[t] = 1;
            *slip = fmax(*slip, w);
            for (size_t i = 0, a = 0; i < n; i++) {
                if (m->kind[i] == QP_MODE_CHARGE) {
                    R[k * nc + a++] = ct->c[i];
                }
            }
            k++;
        }
    }
    /* the rows are integers on the charge modes: the rank test's absolute pivot floor fits */
    ok = ok && k >= nc && qp_quantize_rank_of(R, (int)k, (int)nc) == (int)nc;
    free(R);
    return ok;
}

/* The copy with the charge modes made extended and every cosine's shift moved so that the
 * stiff junctions sit as near the bottom of their wells as they can at Phi = 0: the least-squares
 * centre x0 of sum |E| (c . x + s)^2 over the stiff terms, s reduced to (-pi, pi] (pi added where
 * E < 0). 0 out of memory or when that system is singular. */
static qp_modes *extend_copy(const qp_modes *m, const int *stiff)
{
    size_t n = m->n;
    double *I = calloc(n * n, sizeof *I), *M = calloc(n * n, sizeof *M);
    double *b = calloc(n, sizeof *b);
    lp_int *piv = malloc(n * sizeof *piv);
    qp_modes *o = NULL;
    if (I && M && b && piv) {
        for (size_t i = 0; i < n; i++) {
            I[i * n + i] = 1.0;
        }
        o = transform(m, I, I);
    }
    for (size_t t = 0; o && t < m->ncos; t++) {
        const qp_cos_term *ct = &m->cos[t];
        if (!stiff[t]) {
            continue;
        }
        double w = fabs(ct->E), s = remainder(ct->shift + (ct->E < 0.0 ? QP_PI : 0.0), 2.0 * QP_PI);
        for (size_t i = 0; i < n; i++) {
            if (m->kind[i] != QP_MODE_CHARGE) {
                continue;
            }
            b[i] -= w * ct->c[i] * s;
            for (size_t j = 0; j < n; j++) {
                if (m->kind[j] == QP_MODE_CHARGE) {
                    M[j * n + i] += w * ct->c[i] * ct->c[j]; /* column-major */
                }
            }
        }
    }
    for (size_t i = 0; o && i < n; i++) { /* the oscillators keep their own centres */
        if (m->kind[i] != QP_MODE_CHARGE) {
            M[i * n + i] = 1.0;
        }
    }
    if (o && qp_lu_factor(n, M, piv) != 0) {
        qp_modes_free(o);
        o = NULL;
    }
    if (o) {
        qp_lu_solve(n, M, piv, b);
        for (size_t t = 0; t < o->ncos; t++) {
            double d = 0.0;
            for (size_t i = 0; i < n; i++) {
                d += m->kind[i] == QP_MODE_CHARGE ? o->cos[t].c[i] * b[i] : 0.0;
            }
            o->cos[t].shift = remainder(o->cos[t].shift + d, 2.0 * QP_PI);
        }
        for (size_t i = 0; i < n; i++) {
            o->kind[i] = QP_MODE_OSC;
        }
        for (size_t t = 0; t < o->ncos; t++) {
            o->cos[t].stiff = stiff[t];
        }
    }
    free(I), free(M), free(b), free(piv);
    return o;
}

/* Normal modes of the extended Hamiltonian against the stiff junctions' curvature: with
 * Ac = U U^T (Cholesky) and U^T K U = R diag(lambda) R^T, K = Lm + sum_stiff |E| c c^T, the
 * coordinates Phi = U R Phi' make the kinetic term the identity and K diagonal, softest first.
 * 0 when Ac or K is not positive definite. */
static int normal_rows(const qp_modes *m, const int *stiff, double *T, double *Ti)
{
    size_t n = m->n;
    lp_int N = (lp_int)n, info = 0, lwork = (lp_int)(8 * n + 8);
    double *U = malloc(n * n * sizeof *U), *K = malloc(n * n * sizeof *K);
    double *B = calloc(n * n, sizeof *B), *w = malloc(n * sizeof *w);
    double *work = malloc((size_t)lwork * sizeof *work);
    int ok = U && K && B && w && work;
    for (size_t i = 0; ok && i < n * n; i++) {
        U[i] = m->Ac[i];
        K[i] = m->Lm[i];
    }
    for (size_t t = 0; ok && t < m->ncos; t++) {
        for (size_t i = 0; stiff[t] && i < n; i++) {
            for (size_t j = 0; j < n; j++) {
                K[i * n + j] += fabs(m->cos[t].E) * m->cos[t].c[i] * m->cos[t].c[j];
            }
        }
    }
    if (ok) {
        dpotrf_("L", &N, U, &N, &info, 1); /* column-major lower: U[i + j n], i >= j */
        ok = info == 0;
    }
    for (size_t i = 0; ok && i < n; i++) { /* B = U^T K U */
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t a = i; a < n; a++) {
                for (size_t c = j; c < n; c++) {
                    s += U[a + i * n] * K[a * n + c] * U[c + j * n];
                }
            }
            B[i + j * n] = s;
        }
    }
    if (ok) {
        dsyev_("V", "U", &N, B, &N, w, work, &lwork, &info, 1, 1); /* ascending */
        ok = info == 0 && w[0] > 0.0;
    }
    for (size_t i = 0; ok && i < n; i++) { /* Ti = S = U R: Phi = S Phi' */
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t a = 0; a <= i; a++) {
                s += U[i + a * n] * B[a + j * n];
            }
            Ti[i * n + j] = s;
        }
    }
    ok = ok && invert(n, Ti, T);
    free(U), free(K), free(B), free(w), free(work);
    return ok;
}

qp_status qp_align_extend(const qp_modes *m, double tol, qp_modes **out, double *slip)
{
    *out = NULL;
    *slip = 0.0;
    size_t n = m->n;
    int *stiff = malloc((m->ncos ? m->ncos : 1) * sizeof *stiff);
    double *T = malloc(n * n * sizeof *T), *Ti = malloc(n * n * sizeof *Ti);
    qp_status st = stiff && T && Ti ? QP_OK : QP_ERR_NOMEM;
    qp_modes *ext = NULL;
    if (st == QP_OK && n >= 2 && stiff_junctions(m, tol, stiff, slip)) {
        ext = extend_copy(m, stiff);
        if (ext && normal_rows(ext, stiff, T, Ti)) {
            *out = transform(ext, T, Ti);
            st = *out ? QP_OK : QP_ERR_NOMEM;
        }
    }
    if (!*out) {
        *slip = 0.0;
    }
    qp_modes_free(ext);
    free(stiff), free(T), free(Ti);
    return st;
}

/* Rows of junction cosines (stiffest first) that form an integer unimodular T; 0 when they do
 * not (then the charge lattice would change). Ti receives T^-1, rounded to the integers it is. */
static int branch_rows(const qp_modes *m, double *T, double *Ti)
{
    size_t n = m->n, nrow = 0;
    size_t *ord = malloc((m->ncos ? m->ncos : 1) * sizeof *ord);
    double *Q = calloc(n * n, sizeof *Q);
    int ok = ord && Q;
    size_t no = 0;
    for (size_t t = 0; ok && t < m->ncos; t++) {
        if (!m->cos[t].is_qps) {
            ord[no++] = t;
        }
    }
    for (size_t a = 1; ok && a < no; a++) { /* stable insertion sort by |E|, largest first */
        size_t t = ord[a], b = a;
        while (b > 0 && fabs(m->cos[ord[b - 1]].E) < fabs(m->cos[t].E)) {
            ord[b] = ord[b - 1];
            b--;
        }
        ord[b] = t;
    }
    for (size_t a = 0; ok && a < no && nrow < n; a++) {
        try_row(n, m->cos[ord[a]].c, T, Q, &nrow);
    }
    ok = ok && nrow == n && invert(n, T, Ti);
    for (size_t i = 0; ok && i < n * n; i++) {
        double r = round(Ti[i]);
        ok = fabs(Ti[i] - r) < 1e-9;
        Ti[i] = r;
    }
    free(ord), free(Q);
    return ok;
}

qp_status qp_align_branch(const qp_modes *m, qp_modes **out)
{
    *out = NULL;
    size_t n = m->n;
    int charge = n >= 2;
    for (size_t i = 0; i < n; i++) {
        charge = charge && m->kind[i] == QP_MODE_CHARGE;
    }
    for (size_t i = 0; charge && i < n * n; i++) {
        charge = m->Lm[i] == 0.0;
    }
    if (!charge) {
        return QP_OK;
    }
    double *T = malloc(n * n * sizeof *T), *Ti = malloc(n * n * sizeof *Ti);
    qp_status st = T && Ti ? QP_OK : QP_ERR_NOMEM;
    if (st == QP_OK && branch_rows(m, T, Ti)) {
        *out = transform(m, T, Ti);
        st = *out ? QP_OK : QP_ERR_NOMEM;
    }
    free(T), free(Ti);
    return st;
}
