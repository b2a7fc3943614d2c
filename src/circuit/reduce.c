/* Quantizer steps 4-5: every element as a term over tree-branch fluxes and chord charges,
 * canonical pairs from the Smith form, and the elimination of the kernel directions
 * (capacitor-only loops, capacitance-free cut sets; docs/physics.md). */
#include "circuit/quantize_state.h"
#include "qpsim/units.h"

#include "solve/lapack.h"
#include "base/vec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PINV_RCOND 1e-12   /* relative cut for pseudo-inverses of quadratic forms */

typedef struct {
    char kind;
    double E;
    double *vec; /* over I-tree coordinates (inductive) or K-chord coordinates (capacitive) */
    double sh;
    int elem, lidx;
    int br;      /* its branch in q->br */
} term;
/* Minimises w^T M w s + 2 s v^T w + c0 over the coordinates `drop` (s = 1/2 if half): the
 * Schur complement on `keep` written to A (nk x nk), a (nk), and the new constant. */
static qp_status eliminate(const double *M, const double *v, double c0, size_t n, size_t nk,
                           int half, double *A, double *a, double *cout)
{
    size_t nz = n - nk; /* keep = [0, nk), drop = [nk, n) */
    for (size_t i = 0; i < nk; i++) {
        a[i] = v[i];
        for (size_t j = 0; j < nk; j++) {
            A[i * nk + j] = M[i * n + j];
        }
    }
    *cout = c0;
    if (nz == 0) {
        return QP_OK;
    }
    double *U = qp_quantize_dnew(nz * nz), *w = qp_quantize_dnew(nz);
    double *P = qp_quantize_dnew(nz * nz), *W = qp_quantize_dnew(nz * (nk + 1));
    if (!U || !w || !P || !W) {
        free(U), free(w), free(P), free(W);
        return QP_ERR_NOMEM;
    }
    for (size_t i = 0; i < nz; i++) {
        for (size_t j = 0; j < nz; j++) {
            U[i * nz + j] = M[(nk + i) * n + nk + j];
        }
    }
    qp_status st = qp_quantize_sym_eig(U, nz, w);
    if (st == QP_OK) {
        double wmax = 0.0;
        for (size_t i = 0; i < nz; i++) {
            wmax = fmax(wmax, fabs(w[i]));
        }
        /* dsyev returns column-major eigenvectors: element (row r, vector k) is U[k*nz + r]. */
        for (size_t i = 0; i < nz; i++) {
            for (size_t j = 0; j < nz; j++) {
                double s = 0.0;
                for (size_t k = 0; k < nz; k++) {
                    if (fabs(w[k]) > PINV_RCOND * wmax) {
                        s += U[k * nz + i] * U[k * nz + j] / w[k];
                    }
                }
                P[i * nz + j] = s;
            }
        }
        /* W = P [M_dk | v_d] first: O(nz^2 nk + nk^2 nz), not O(nk^2 nz^2) (a chain of 400
         * junctions took 70 s here) */
        size_t nw = nk + 1;
        for (size_t k = 0; k < nz; k++) {
            for (size_t l = 0; l < nz; l++) {
                double p = P[k * nz + l];
                const double *row = M + (nk + l) * n;
                for (size_t j = 0; j < nk; j++) {
                    W[k * nw + j] += p * row[j];
                }
                W[k * nw + nk] += p * v[nk + l];
            }
        }
        for (size_t i = 0; i < nk; i++) {
            for (size_t k = 0; k < nz; k++) {
                double x = M[(nk + k) * n + i];
                for (size_t j = 0; j < nk; j++) {
                    A[i * nk + j] -= x * W[k * nw + j];
                }
                a[i] -= x * W[k * nw + nk];
            }
        }
        double s = 0.0;
        for (size_t k = 0; k < nz; k++) {
            s += v[nk + k] * W[k * nw + nk];
        }
        *cout = c0 - (half ? 0.5 : 1.0) * s;
    }
    free(U), free(w), free(P), free(W);
    return st;
}

/* Inverse inductance matrix of the inductors (with mutual couplings) in GHz: (Phi0/2pi)^2 L^-1. */
static qp_status inductive_matrix(qctx *q, size_t nl, double *EL)
{
    const qp_circuit *c = q->c;
    int n = (int)nl;
    if (n == 0) {
        return QP_OK;
    }
    double *Lm = qp_quantize_dnew(nl * nl);
    int *ipiv = malloc(nl * sizeof *ipiv);
    if (!Lm || !ipiv) {
        free(Lm), free(ipiv);
        return QP_ERR_NOMEM;
    }
    int *lof = malloc(c->nelem * sizeof *lof); /* element -> inductor index */
    if (!lof) {
        free(Lm), free(ipiv);
        return QP_ERR_NOMEM;
    }
    for (size_t b = 0; b < q->nb; b++) {
        if (q->br[b].kind == 'L') {
            lof[q->br[b].elem] = q->br[b].lidx;
            Lm[(size_t)q->br[b].lidx * nl + (size_t)q->br[b].lidx] = q->br[b].ind_H;
        }
    }
    const qp_element *firstk = NULL;
    for (size_t i = 0; i < c->nelem; i++) {
        const qp_element *e = &c->elem[i];
        if (e->kind == QP_EL_K) {
            int a = lof[e->lk[0]], b = lof[e->lk[1]];
            double m = e->value * sqrt(c->elem[e->lk[0]].value * c->elem[e->lk[1]].value);
            Lm[(size_t)a * nl + (size_t)b] += m;
            Lm[(size_t)b * nl + (size_t)a] += m;
            firstk = firstk ? firstk : e;
        }
    }
    free(lof);
    double *chol = qp_quantize_dnew(nl * nl);
    int info = 0;
    qp_status st = QP_OK;
    if (!chol) {
        st = QP_ERR_NOMEM;
    } else {
        memcpy(chol, Lm, nl * nl * sizeof *chol);
        dpotrf_("L", &n, chol, &n, &info, 1);
        if (info != 0) {
            QERR(q, firstk ? firstk->loc : c->elem[0].loc,
                "the inductance matrix with its mutual couplings is not positive definite: the "
                "K couplings are too strong together");
            st = QP_ERR_INPUT;
        }
    }
    if (st == QP_OK) {
        double f = QP_PHI0 / (2.0 * QP_PI);
        f = f * f / QP_H / QP_GHZ;
        for (size_t i = 0; i < nl; i++) {
            for (size_t j = 0; j < nl; j++) {
                EL[i * nl + j] = i == j ? f : 0.0;
            }
        }
        int nrhs = n;
        dgesv_(&n, &nrhs, Lm, &n, ipiv, EL, &n, &info); /* symmetric: layout does not matter */
        st = info == 0 ? QP_OK : QP_ERR_NUMERIC;
    }
    free(chol);
    free(Lm);
    free(ipiv);
    return st;
}

/* Names the place that makes a circuit singular: for a phase-slip element the loop of capacitive
 * branches it closes, for a junction its node(s) without capacitance. */
static void describe_singular(const qctx *q, int elem, int is_qps, char *out, size_t len)
{
    const qp_circuit *c = q->c;
    const qp_element *e = &c->elem[elem];
    size_t used = 0;
    out[0] = '\0';
    if (!is_qps) {
        for (int s = 0; s < 2; s++) {
            int node = e->n[s], cap = 0;
            for (size_t b = 0; b < q->nb && node != 0; b++) {
                cap |= !q->br[b].ind && (q->br[b].n1 == node || q->br[b].n2 == node);
            }
            if (node != 0 && !cap && used < len) {
                used += (size_t)snprintf(out + used, len - used, "%snode '%s'",
                                         used ? " and " : "at ", c->node_names[node]);
            }
        }
        if (!used) {
            snprintf(out, len, "in a cut set without capacitance");
        } else if (used < len) {
            snprintf(out + used, len - used, ", which has no capacitance");
        }
        return;
    }
    /* Breadth-first search over the other capacitive branches from n- back to n+. */
    int *from = malloc(q->nn * sizeof *from), *queue = malloc(q->nn * sizeof *queue);
    if (!from || !queue) {
        free(from), free(queue);
        return;
    }
    for (size_t i = 0; i < q->nn; i++) {
        from[i] = -2;
    }
    size_t head = 0, tail = 0;
    queue[tail++] = e->n[1];
    from[e->n[1]] = -1;
    while (head < tail && from[e->n[0]] == -2) {
        int n = queue[head++];
        for (size_t b = 0; b < q->nb; b++) {
            const branch *br = &q->br[b];
            int other = br->n1 == n ? br->n2 : br->n2 == n ? br->n1 : -1;
            if (br->ind || br->elem == elem || other < 0 || from[other] != -2) {
                continue;
            }
            from[other] = (int)b;
            queue[tail++] = other;
        }
    }
    used = (size_t)snprintf(out, len, "%s", e->name);
    for (int n = e->n[0]; from[n] >= 0 && used < len;) {
        const branch *br = &q->br[from[n]];
        used += (size_t)snprintf(out + used, len - used, ", %s", c->elem[br->elem].name);
        n = br->n1 == n ? br->n2 : br->n1;
    }
    free(from), free(queue);
}

/* The working state of qp_quantize_reduce, released by work_free whatever the outcome. */
typedef struct {
    int *It, *Kt;      /* tree positions of the inductive (I) and capacitive (K) tree branches */
    int *Ic, *Kc;      /* chord positions of the inductive and capacitive chords */
    size_t nI, nKt, nIc, nK;
    size_t nl;         /* inductors */
    term *terms;       /* every element over (Phi of I-tree branches, q of K-chords) */
    size_t nterms;
    qp_imat G, L, S, R; /* kinetic form G = F[Kc, It] and its Smith form L G R = S */
    double *ELm;       /* nl x nl inverse inductance matrix [GHz] */
    double *Lq, *lq;   /* inductive form over the nI canonical fluxes, and its linear part */
    double *Mq, *mq;   /* capacitive form over the nK canonical charges, and its linear part */
    double *ngp;       /* offset charges of the r canonical momenta */
    double cL, cC;     /* constants of the two forms */
} work;

static void work_free(work *w)
{
    free(w->It), free(w->Kt), free(w->Ic), free(w->Kc);
    for (size_t i = 0; i < w->nterms; i++) {
        free(w->terms[i].vec);
    }
    free(w->terms);
    qp_imat_free(&w->G), qp_imat_free(&w->L), qp_imat_free(&w->S), qp_imat_free(&w->R);
    free(w->ELm), free(w->Lq), free(w->lq), free(w->Mq), free(w->mq), free(w->ngp);
}

/* Sorts tree branches and chords into inductive and capacitive ones; counts the inductors. */
static qp_status classify(const qctx *q, work *w)
{
    w->It = malloc((q->nt ? q->nt : 1) * sizeof *w->It);
    w->Kt = malloc((q->nt ? q->nt : 1) * sizeof *w->Kt);
    w->Ic = malloc((q->nc ? q->nc : 1) * sizeof *w->Ic);
    w->Kc = malloc((q->nc ? q->nc : 1) * sizeof *w->Kc);
    if (!w->It || !w->Kt || !w->Ic || !w->Kc) {
        return QP_ERR_NOMEM;
    }
    for (size_t k = 0; k < q->nt; k++) {
        if (q->br[q->tree[k]].ind) {
            w->It[w->nI++] = (int)k;
        } else {
            w->Kt[w->nKt++] = (int)k;
        }
    }
    for (size_t j = 0; j < q->nc; j++) {
        if (q->br[q->chords[j]].ind) {
            w->Ic[w->nIc++] = (int)j;
        } else {
            w->Kc[w->nK++] = (int)j;
        }
    }
    for (size_t b = 0; b < q->nb; b++) {
        w->nl += q->br[b].kind == 'L';
    }
    return QP_OK;
}

/* The offset charges of the .ng directives on every tree branch, q->ngT. */
static qp_status tree_offsets(qctx *q)
{
    const qp_circuit *c = q->c;
    q->ngT = qp_quantize_dnew(q->nt);
    if (!q->ngT) {
        return QP_ERR_NOMEM;
    }
    for (size_t o = 0; o < c->noffsets; o++) {
        for (size_t t = 0; t < q->nt; t++) {
            q->ngT[t] += c->offsets[o].ng * (double)q->Bn[(size_t)c->offsets[o].node * q->nt + t];
        }
    }
    return QP_OK;
}

static qp_status add_term(term **t, size_t *n, const qctx *q, int br, size_t len, double sh,
                          double **vec)
{
    const branch *b = &q->br[br];
    term x = {b->kind, b->E, qp_quantize_dnew(len), sh, b->elem, b->lidx, br};
    if (!x.vec || !QP_PUSH(*t, *n, x)) {
        free(x.vec);
        return QP_ERR_NOMEM;
    }
    *vec = x.vec;
    return QP_OK;
}

/* Every branch as a term over (Phi of I-tree branches, q of K-chords), with its offset. */
static qp_status build_terms(const qctx *q, work *w)
{
    qp_status st = QP_OK;
    double *v;
    for (size_t a = 0; a < w->nI && st == QP_OK; a++) {
        int b = q->tree[w->It[a]];
        if ((st = add_term(&w->terms, &w->nterms, q, b, w->nI, q->theta[b], &v)) == QP_OK) {
            v[a] = 1.0;
        }
    }
    for (size_t j = 0; j < w->nIc && st == QP_OK; j++) {
        int b = q->chords[w->Ic[j]];
        if ((st = add_term(&w->terms, &w->nterms, q, b, w->nI, q->theta[b], &v)) == QP_OK) {
            for (size_t a = 0; a < w->nI; a++) {
                v[a] = (double)q->F[(size_t)w->Ic[j] * q->nt + (size_t)w->It[a]];
            }
        }
    }
    for (size_t a = 0; a < w->nK && st == QP_OK; a++) {
        if ((st = add_term(&w->terms, &w->nterms, q, q->chords[w->Kc[a]], w->nK, 0.0, &v)) ==
            QP_OK) {
            v[a] = 1.0;
        }
    }
    for (size_t k = 0; k < w->nKt && st == QP_OK; k++) {
        /* KCL on the K-tree branch's cut set, the island's integer charge set to zero. */
        if ((st = add_term(&w->terms, &w->nterms, q, q->tree[w->Kt[k]], w->nK, -q->ngT[w->Kt[k]],
                           &v)) == QP_OK) {
            for (size_t a = 0; a < w->nK; a++) {
                v[a] = -(double)q->F[(size_t)w->Kc[a] * q->nt + (size_t)w->Kt[k]];
            }
        }
    }
    return st;
}

/* Canonical pairs from the Smith form of the kinetic form G = F[Kc, It]: *r of them. */
static qp_status canonical_pairs(qctx *q, work *w, size_t *r)
{
    qp_status st;
    if ((st = qp_imat_alloc(&w->G, w->nK, w->nI)) != QP_OK) {
        return st;
    }
    for (size_t i = 0; i < w->nK; i++) {
        for (size_t t = 0; t < w->nI; t++) {
            w->G.a[i * w->nI + t] = q->F[(size_t)w->Kc[i] * q->nt + (size_t)w->It[t]];
        }
    }
    if ((st = qp_imat_smith(&w->G, &w->L, &w->S, &w->R, r)) != QP_OK) {
        return st;
    }
    for (size_t i = 0; i < *r; i++) {
        if (w->S.a[i * w->S.cols + i] != 1) {
            return QP_ERR_NUMERIC; /* cannot happen for a graph: F is totally unimodular */
        }
    }
    if (*r == 0) {
        QERR(q, q->c->elem[0].loc, "the circuit has no quantum degree of freedom: no loop holds "
             "both an inductive and a capacitive element");
        return QP_ERR_INPUT;
    }
    return QP_OK;
}

/* The forms before (work) and after (out) the elimination, zeroed, and the inductance matrix. */
static qp_status alloc_forms(qctx *q, work *w, size_t r, reduced *out)
{
    size_t nI = w->nI, nK = w->nK;
    w->ELm = qp_quantize_dnew(w->nl * w->nl);
    w->Lq = qp_quantize_dnew(nI * nI), w->lq = qp_quantize_dnew(nI);
    w->Mq = qp_quantize_dnew(nK * nK), w->mq = qp_quantize_dnew(nK);
    out->Lm = qp_quantize_dnew(r * r), out->lphi = qp_quantize_dnew(r);
    out->Ac = qp_quantize_dnew(r * r), out->lp = qp_quantize_dnew(r);
    w->ngp = qp_quantize_dnew(r);
    if (!w->ELm || !w->Lq || !w->lq || !w->Mq || !w->mq || !out->Lm || !out->lphi || !out->Ac ||
        !out->lp || !w->ngp) {
        return QP_ERR_NOMEM;
    }
    return inductive_matrix(q, w->nl, w->ELm);
}

/* Every term's vector to the canonical pairs: inductive c' = R^T c, capacitive d' = L d. */
static qp_status transform_terms(work *w)
{
    for (size_t k = 0; k < w->nterms; k++) {
        term *t = &w->terms[k];
        int ind = t->kind == 'L' || t->kind == 'B';
        size_t n = ind ? w->nI : w->nK;
        double *x = qp_quantize_dnew(n);
        if (!x) {
            return QP_ERR_NOMEM;
        }
        for (size_t i = 0; i < n; i++) {
            double s = 0.0;
            for (size_t j = 0; j < n; j++) {
                s += (double)(ind ? w->R.a[j * w->R.cols + i] : w->L.a[i * w->L.cols + j]) *
                     t->vec[j];
            }
            x[i] = s;
        }
        free(t->vec);
        t->vec = x;
    }
    return QP_OK;
}

/* Inductor t's share of the inductive form: its couplings to every inductor u. */
static void add_inductor(work *w, const term *t)
{
    size_t nI = w->nI, nl = w->nl;
    for (size_t k2 = 0; k2 < w->nterms; k2++) {
        const term *u = &w->terms[k2];
        if (u->kind != 'L') {
            continue;
        }
        double e = w->ELm[(size_t)t->lidx * nl + (size_t)u->lidx];
        if (e == 0.0) {
            continue; /* uncoupled: most pairs */
        }
        for (size_t i = 0; i < nI; i++) {
            w->lq[i] += e * u->sh * t->vec[i];
            for (size_t j = 0; j < nI; j++) {
                w->Lq[i * nI + j] += e * t->vec[i] * u->vec[j];
            }
        }
        w->cL += 0.5 * e * t->sh * u->sh;
    }
}

/* Capacitor t's share of the capacitive form. */
static void add_capacitor(work *w, const term *t)
{
    size_t nK = w->nK;
    for (size_t i = 0; i < nK; i++) {
        w->mq[i] += 4.0 * t->E * t->sh * t->vec[i];
        for (size_t j = 0; j < nK; j++) {
            w->Mq[i * nK + j] += 4.0 * t->E * t->vec[i] * t->vec[j];
        }
    }
    w->cC += 4.0 * t->E * t->sh * t->sh;
}

/* Junction or phase slip t as a cosine term over the r pairs; an error when it also depends on
 * an eliminated (kernel) direction, which would fix its phase or charge nonlinearly. */
static qp_status add_cosine(qctx *q, const work *w, const term *t, size_t r, reduced *out)
{
    int is_qps = t->kind == 'Q';
    size_t n = is_qps ? w->nK : w->nI;
    for (size_t i = r; i < n; i++) {
        if (t->vec[i] != 0.0) {
            const qp_element *e = &q->c->elem[t->elem];
            char where[256];
            describe_singular(q, t->elem, is_qps, where, sizeof where);
            if (is_qps) {
                QERR(q, e->loc, "phase-slip element %s lies in a loop of capacitive elements "
                     "only (%s): its charge is fixed by a nonlinear constraint; add a small "
                     "inductance in series with %s to make the circuit well posed", e->name,
                     where, e->name);
            } else {
                QERR(q, e->loc, "Josephson junction %s sits %s: its phase is fixed by a "
                     "nonlinear constraint; give it a capacitance (c= on %s, or a capacitor "
                     "across it)", e->name, where, e->name);
            }
            return QP_ERR_INPUT;
        }
    }
    /* A merged group of parallel junctions keeps one term per junction (noise channels and
     * operators name them): -EJ_i cos(s_i (c.Phi + shift)), s_i = +-1 its orientation. */
    const branch *b = &q->br[t->br];
    member self = {t->elem, 1.0};
    const member *mem = b->nmem ? q->mem + b->first : &self;
    for (size_t k = 0; k < (b->nmem ? b->nmem : 1); k++) {
        double E = b->nmem ? qp_element_ej(&q->c->elem[mem[k].elem]) : t->E;
        if (E == 0.0) {
            continue;
        }
        qp_cos_term ct = {is_qps, E, qp_quantize_dnew(r), mem[k].share * t->sh, mem[k].elem, 0};
        if (!ct.c || !QP_PUSH(out->cos, out->ncos, ct)) {
            free(ct.c);
            return QP_ERR_NOMEM;
        }
        for (size_t i = 0; i < r; i++) {
            ct.c[i] = mem[k].share * t->vec[i];
        }
    }
    return QP_OK;
}

/* The row of inductor or capacitance t over the r pairs, kept when it has no component in an
 * eliminated direction (qp_branch_row); a merged group of parallel branches gives each member
 * its share of the group's row. */
static qp_status add_branch_row(const qctx *q, const work *w, const term *t, size_t r,
                                reduced *out)
{
    size_t n = t->kind == 'C' ? w->nK : w->nI;
    for (size_t i = r; i < n; i++) {
        if (t->vec[i] != 0.0) {
            return QP_OK;
        }
    }
    const branch *b = &q->br[t->br];
    member self = {t->elem, 1.0};
    const member *mem = b->nmem ? q->mem + b->first : &self;
    for (size_t k = 0; k < (b->nmem ? b->nmem : 1); k++) {
        qp_branch_row br = {mem[k].elem, t->kind == 'C', qp_quantize_dnew(r ? r : 1)};
        if (!br.c || !QP_PUSH(out->branch, out->nbranch, br)) {
            free(br.c);
            return QP_ERR_NOMEM;
        }
        for (size_t i = 0; i < r; i++) {
            br.c[i] = mem[k].share * t->vec[i];
        }
    }
    return QP_OK;
}

/* The two quadratic forms and the cosine terms, in the order of the terms. */
static qp_status collect_forms(qctx *q, work *w, size_t r, reduced *out)
{
    qp_status st = QP_OK;
    for (size_t k = 0; k < w->nterms && st == QP_OK; k++) {
        const term *t = &w->terms[k];
        if (t->kind == 'L') {
            add_inductor(w, t);
            st = add_branch_row(q, w, t, r, out);
        } else if (t->kind == 'C') {
            add_capacitor(w, t);
            st = add_branch_row(q, w, t, r, out);
        } else if (t->E != 0.0) {
            st = add_cosine(q, w, t, r, out);
        }
    }
    return st;
}

/* Eliminates the kernel directions, then writes the charges through the canonical momenta:
 * q'_x = P - ngp, ngp = (R^T ngI)[:r]. */
static qp_status finish_forms(const qctx *q, work *w, size_t r, reduced *out)
{
    size_t nI = w->nI, nK = w->nK;
    double cl2, cc2;
    qp_status st;
    if ((st = eliminate(w->Lq, w->lq, w->cL, nI, r, 1, out->Lm, out->lphi, &cl2)) != QP_OK ||
        (st = eliminate(w->Mq, w->mq, w->cC, nK, r, 0, out->Ac, out->lp, &cc2)) != QP_OK) {
        return st;
    }
    out->elim_cuts = nI - r;
    out->elim_loops = nK - r;
    for (size_t i = 0; i < r; i++) {
        for (size_t t = 0; t < nI; t++) {
            w->ngp[i] += (double)w->R.a[t * w->R.cols + i] * q->ngT[w->It[t]];
        }
    }
    double *ax = out->lp; /* holds a_x from the elimination */
    double cst = cl2 + cc2;
    for (size_t i = 0; i < r; i++) {
        double Ang = 0.0;
        for (size_t j = 0; j < r; j++) {
            Ang += out->Ac[i * r + j] * w->ngp[j];
        }
        cst += w->ngp[i] * Ang - 2.0 * ax[i] * w->ngp[i];
        ax[i] = 2.0 * (ax[i] - Ang);
    }
    out->cst = cst;
    for (size_t k = 0; k < out->ncos; k++) {
        if (out->cos[k].is_qps) {
            for (size_t i = 0; i < r; i++) {
                out->cos[k].shift -= out->cos[k].c[i] * w->ngp[i];
            }
        }
    }
    return qp_imat_inverse(&w->R, &out->Rinv);
}

qp_status qp_quantize_reduce(qctx *q, reduced *out)
{
    work w = {0};
    size_t r = 0;
    qp_status st = classify(q, &w);
    if (st == QP_OK && (w.nI == 0 || w.nK == 0)) {
        QERR(q, q->c->elem[0].loc, "the circuit has no quantum degree of freedom: a spectrum "
             "needs both an inductive (L or B) and a capacitive (C, junction capacitance or Q) "
             "element in a loop");
        st = QP_ERR_INPUT;
    }
    if (st == QP_OK) {
        st = qp_quantize_flux_gauge(q, w.nI, w.It, w.nK, w.Kc);
    }
    if (st == QP_OK) {
        st = tree_offsets(q);
    }
    if (st == QP_OK) {
        st = build_terms(q, &w);
    }
    if (st == QP_OK) {
        st = canonical_pairs(q, &w, &r);
    }
    if (st == QP_OK) {
        out->r = r;
        st = alloc_forms(q, &w, r, out);
    }
    if (st == QP_OK) {
        st = transform_terms(&w);
    }
    if (st == QP_OK) {
        st = collect_forms(q, &w, r, out);
    }
    if (st == QP_OK) {
        st = finish_forms(q, &w, r, out);
    }
    work_free(&w);
    return st;
}
