/* Tree/chord quantization (docs/physics.md): one code path for node-flux, loop-charge and mixed
 * JJ + QPS circuits. Steps: branches -> spanning tree -> loop matrix (tree.c) -> flux gauge and
 * offsets (gauge.c) -> Smith reduction to canonical pairs -> kernel elimination (reduce.c) ->
 * compact directions -> modes (modes.c). This file drives them and checks the result. */
#include "circuit/quantize_state.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_TOL 1e-8     /* consistency checks of the mode transform */
#define ROUND_TOL 1e-12    /* couplings below this fraction of their natural scale are rounding */

const char *qp_mode_kind_name(qp_mode_kind k)
{
    static const char *const n[] = {"frozen", "charge", "fluxoid", "oscillator"};
    return n[k];
}

static qp_status imat_to_double(const qp_imat *A, double *out)
{
    for (size_t i = 0; i < A->rows * A->cols; i++) {
        out[i] = (double)A->a[i];
    }
    return QP_OK;
}

static void check_structure(const qp_modes *m, qp_status *st)
{
    size_t n = m->n;
    double scale = 1.0;
    for (size_t i = 0; i < n * n; i++) {
        scale = fmax(scale, fmax(fabs(m->Lm[i]), fabs(m->Ac[i])));
    }
    for (size_t i = 0; i < n; i++) {
        int needs_no_phi = m->kind[i] == QP_MODE_CHARGE || m->kind[i] == QP_MODE_FROZEN;
        int needs_no_p = m->kind[i] == QP_MODE_FLUXOID || m->kind[i] == QP_MODE_FROZEN;
        for (size_t j = 0; j < n; j++) {
            if ((needs_no_phi && fabs(m->Lm[i * n + j]) > CHECK_TOL * scale) ||
                (needs_no_p && fabs(m->Ac[i * n + j]) > CHECK_TOL * scale)) {
                *st = QP_ERR_NUMERIC;
            }
        }
        if ((needs_no_phi && fabs(m->lphi[i]) > CHECK_TOL * scale) ||
            (needs_no_p && fabs(m->lp[i]) > CHECK_TOL * scale)) {
            *st = QP_ERR_NUMERIC;
        }
        for (size_t k = 0; k < m->ncos && m->kind[i] != QP_MODE_OSC; k++) {
            double c = m->cos[k].c[i];
            if (fabs(c - nearbyint(c)) > CHECK_TOL) {
                *st = QP_ERR_NUMERIC; /* lattice modes need integer coefficients */
            }
            m->cos[k].c[i] = nearbyint(c);
        }
    }
}

/* The zero-point spread of mode i's phase in a cosine argument: (Ac/(2 Lm))^(1/4) for an
 * oscillator (its P spread, (Lm/(8 Ac))^(1/4), for a phase-slip argument), 1 on a lattice. */
static double cos_scale(const qp_modes *m, size_t i, int is_qps)
{
    size_t n = m->n;
    double l = fabs(m->Lm[i * n + i]), a = fabs(m->Ac[i * n + i]);
    if (m->kind[i] != QP_MODE_OSC || l == 0.0 || a == 0.0) {
        return 1.0;
    }
    return is_qps ? pow(l / (8.0 * a), 0.25) : pow(a / (2.0 * l), 0.25);
}

void qp_modes_clean(qp_modes *m)
{
    size_t n = m->n;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            double *q[2] = {&m->Lm[i * n + j], &m->Ac[i * n + j]};
            const double *dq[2] = {m->Lm, m->Ac};
            for (int k = 0; k < 2 && i != j; k++) {
                double s = sqrt(fabs(dq[k][i * n + i] * dq[k][j * n + j]));
                if (fabs(*q[k]) <= ROUND_TOL * s) {
                    *q[k] = 0.0;
                }
            }
        }
    }
    for (size_t t = 0; t < m->ncos; t++) {
        qp_cos_term *ct = &m->cos[t];
        double big = 0.0;
        for (size_t i = 0; i < n; i++) {
            big = fmax(big, fabs(ct->c[i]) * cos_scale(m, i, ct->is_qps));
        }
        for (size_t i = 0; i < n; i++) {
            if (m->kind[i] == QP_MODE_OSC &&
                fabs(ct->c[i]) * cos_scale(m, i, ct->is_qps) <= ROUND_TOL * big) {
                ct->c[i] = 0.0;
            }
        }
    }
}

void qp_modes_free(qp_modes *m)
{
    if (!m) {
        return;
    }
    free(m->kind), free(m->Lm), free(m->lphi), free(m->Ac), free(m->lp), free(m->map);
    for (size_t k = 0; k < m->ncos; k++) {
        free(m->cos[k].c);
    }
    free(m->cos);
    for (size_t k = 0; k < m->nbranch; k++) {
        free(m->branch[k].c);
    }
    free(m->branch);
    free(m);
}

/* Mode map: Phi~ = Tn V (Rinv Phi_It)[:r]; Phi_It are branch fluxes of I-tree branches, so each
 * I-tree branch adds its column to its two nodes. Writes m->nnodes and m->map (owned by m). */
static qp_status mode_map(const qctx *q, const reduced *red, const double *Vd, const double *Tn,
                          qp_modes *m)
{
    const qp_circuit *c = q->c;
    size_t r = red->r, nI = red->Rinv.rows;
    double *A = qp_quantize_dnew(r * nI), *B = qp_quantize_dnew(r * nI);
    qp_status st = QP_OK;
    m->nnodes = c->nnodes;
    m->map = qp_quantize_dnew(r * c->nnodes);
    if (!A || !B || !m->map) {
        st = QP_ERR_NOMEM;
    } else {
        for (size_t i = 0; i < r; i++) {
            for (size_t t = 0; t < nI; t++) {
                A[i * nI + t] = (double)red->Rinv.a[i * nI + t];
            }
        }
        qp_quantize_matmul(Vd, A, B, r, r, nI);
        qp_quantize_matmul(Tn, B, A, r, r, nI);
        size_t t = 0;
        for (size_t k = 0; k < q->nt; k++) {
            const branch *b = &q->br[q->tree[k]];
            if (!b->ind) {
                continue;
            }
            for (size_t i = 0; i < r; i++) {
                m->map[i * c->nnodes + (size_t)b->n1] += A[i * nI + t];
                m->map[i * c->nnodes + (size_t)b->n2] -= A[i * nI + t];
            }
            t++;
        }
    }
    free(A), free(B);
    return st;
}

/* The integer algebra and the forms after it are dense in the tree branches (nodes) and chords
 * (independent loops): refused beyond QP_QUANTIZE_MAX_NODES / _LOOPS, before any of it is
 * allocated (a chain of 700 junctions took a minute; 400 take 5 s). */
static qp_status check_size(qctx *q)
{
    if (q->nt <= QP_QUANTIZE_MAX_NODES && q->nc <= QP_QUANTIZE_MAX_LOOPS) {
        return QP_OK;
    }
    QERR(q, q->c->elem[0].loc, "the circuit has %zu nodes besides ground and %zu independent "
         "loops once parallel elements are merged; quantization handles at most %d and %d: "
         "describe a long array of junctions by its effective inductance, or quantize the "
         "circuit in parts", q->nt, q->nc, QP_QUANTIZE_MAX_NODES, QP_QUANTIZE_MAX_LOOPS);
    return QP_ERR_INPUT;
}

/* Frees what the steps left in q and red (the cosine terms only if red still owns them). */
static void free_steps(qctx *q, reduced *red)
{
    free(q->br), free(q->tree), free(q->chords), free(q->Bn), free(q->F), free(q->theta);
    free(q->ngT), free(q->elem_branch), free(q->mem);
    free(red->Lm), free(red->lphi), free(red->Ac), free(red->lp);
    for (size_t k = 0; k < red->ncos; k++) {
        free(red->cos[k].c);
    }
    free(red->cos);
    for (size_t k = 0; k < red->nbranch; k++) {
        free(red->branch[k].c);
    }
    free(red->branch);
    qp_imat_free(&red->Rinv);
}

qp_status qp_quantize(const qp_circuit *c, qp_modes **out, qp_diag *d)
{
    *out = NULL;
    qctx q = {0};
    q.c = c;
    q.d = d;
    q.nn = c->nnodes;
    reduced red = {0};
    qp_imat V = {0}, Vi = {0};
    qp_modes *m = calloc(1, sizeof *m);
    double *Vd = NULL, *Vid = NULL, *Tn = NULL;
    size_t errors0 = d->errors;
    if (c->nelem == 0) { /* an elaborated circuit never is empty; keep the library safe anyway */
        free(m);
        qp_diag_add(d, QP_SEV_ERROR, NULL, 0, 0, "the circuit has no elements");
        return QP_ERR_INPUT;
    }
    qp_status st = m ? qp_quantize_collect_branches(&q) : QP_ERR_NOMEM;
    if (st == QP_OK && d->errors > errors0) {
        st = QP_ERR_INPUT;
    }
    if (st == QP_OK) {
        st = qp_quantize_spanning_tree(&q);
    }
    if (st == QP_OK) {
        st = check_size(&q);
    }
    if (st == QP_OK) {
        st = qp_quantize_loop_matrix(&q);
    }
    if (st == QP_OK) {
        st = qp_quantize_reduce(&q, &red);
    }
    size_t r = red.r;
    if (st == QP_OK) {
        m->n = r;
        m->kind = calloc(r, sizeof *m->kind);
        m->Lm = qp_quantize_dnew(r * r), m->lphi = qp_quantize_dnew(r);
        m->Ac = qp_quantize_dnew(r * r), m->lp = qp_quantize_dnew(r);
        Vd = qp_quantize_dnew(r * r), Vid = qp_quantize_dnew(r * r), Tn = qp_quantize_dnew(r * r);
        if (!m->kind || !m->Lm || !m->lphi || !m->Ac || !m->lp || !Vd || !Vid || !Tn) {
            st = QP_ERR_NOMEM;
        }
    }
    if (st == QP_OK) {
        st = qp_quantize_choose_modes(&red, &V, m->kind);
    }
    if (st == QP_OK) {
        st = qp_imat_inverse(&V, &Vi);
    }
    if (st == QP_OK) {
        imat_to_double(&V, Vd);
        imat_to_double(&Vi, Vid);
        st = qp_quantize_transform(&red, Vd, Vid, m);
    }
    if (st == QP_OK) {
        m->cst = red.cst;
        m->cos = red.cos, m->ncos = red.ncos;
        red.cos = NULL, red.ncos = 0;
        m->branch = red.branch, m->nbranch = red.nbranch;
        red.branch = NULL, red.nbranch = 0;
        m->eliminated_loops = red.elim_loops;
        m->eliminated_cuts = red.elim_cuts;
        check_structure(m, &st);
    }
    if (st == QP_OK) {
        st = qp_quantize_normal_modes(m, Tn);
    }
    if (st == QP_OK) {
        st = mode_map(&q, &red, Vd, Tn, m);
    }
    if (st == QP_OK) {
        qp_modes_clean(m);
    }
    if (st == QP_ERR_NUMERIC && d->errors == errors0) {
        qp_diag_add(d, QP_SEV_ERROR, NULL, 0, 0,
                    "quantization failed: an internal consistency check of the mode transform "
                    "did not hold (please report this circuit)");
    }
    free_steps(&q, &red);
    qp_imat_free(&V), qp_imat_free(&Vi);
    free(Vd), free(Vid), free(Tn);
    if (st != QP_OK) {
        qp_modes_free(m);
        return st;
    }
    *out = m;
    return QP_OK;
}
