/* Quantizer steps 1-3: the circuit's branches, a spanning tree (inductive branches first) and
 * the loop matrix of its chords (docs/physics.md). */
#include "circuit/quantize_state.h"

#include "base/uf.h"
#include "base/vec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Energies outside this range make the quadratic forms and kernels meaningless in double
 * precision (an EC of 1e-300 GHz is a typo, not a circuit). */
#define ENERGY_MIN_GHZ 1e-15
#define ENERGY_MAX_GHZ 1e12

static int energy_ok(qctx *q, const qp_element *e, const char *name, double v)
{
    if (v == 0.0 || (v >= ENERGY_MIN_GHZ && v <= ENERGY_MAX_GHZ)) {
        return 1;
    }
    QERR(q, e->loc, "%s of %s is %g GHz, outside the range %g to %g GHz that spectra can handle",
        name, e->name, v, ENERGY_MIN_GHZ, ENERGY_MAX_GHZ);
    return 0;
}

qp_status qp_quantize_collect_branches(qctx *q)
{
    const qp_circuit *c = q->c;
    for (size_t i = 0; i < c->nelem; i++) {
        const qp_element *e = &c->elem[i];
        if (!energy_ok(q, e, "EC", qp_element_ec(e)) || !energy_ok(q, e, "EL", qp_element_el(e)) ||
            !energy_ok(q, e, "EJ", qp_element_ej(e)) || !energy_ok(q, e, "ES", qp_element_es(e))) {
            return QP_ERR_INPUT;
        }
    }
    q->elem_branch = malloc((c->nelem ? c->nelem : 1) * sizeof *q->elem_branch);
    if (!q->elem_branch) {
        return QP_ERR_NOMEM;
    }
    int nl = 0;
    /* Inductive branches first keeps their indices small; order does not change physics. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < c->nelem; i++) {
            const qp_element *e = &c->elem[i];
            branch b = {0, 0, e->n[0], e->n[1], 0.0, (int)i, -1};
            int add = 0;
            if (pass == 0 && e->kind == QP_EL_L) {
                b.ind = 1, b.kind = 'L', b.lidx = nl++, add = 1;
            } else if (pass == 0 && e->kind == QP_EL_B) {
                b.ind = 1, b.kind = 'B', b.E = qp_element_ej(e), add = 1;
            } else if (pass == 1 && e->kind == QP_EL_C) {
                b.kind = 'C', b.E = qp_element_ec(e), add = 1;
            } else if (pass == 1 && e->kind == QP_EL_Q) {
                b.kind = 'Q', b.E = qp_element_es(e), add = 1;
            }
            if (add) {
                q->elem_branch[i] = (int)q->nb;
                if (!QP_PUSH(q->br, q->nb, b)) {
                    return QP_ERR_NOMEM;
                }
            }
            if (pass == 1 && e->kind == QP_EL_B && e->cap > 0.0) {
                branch cb = {0, 'C', e->n[0], e->n[1], qp_element_ec(e), (int)i, -1};
                if (!QP_PUSH(q->br, q->nb, cb)) {
                    return QP_ERR_NOMEM;
                }
            }
            if (pass == 0 && (e->kind == QP_EL_I || e->kind == QP_EL_V)) {
                QERR(q, e->loc, "%s %s: spectra are computed without sources; remove it or use it "
                    "in .tran only", qp_elem_kind_name(e->kind), e->name);
            }
        }
    }
    return QP_OK;
}

qp_status qp_quantize_spanning_tree(qctx *q)
{
    int *p = malloc(q->nn * sizeof *p);
    q->tree = malloc((q->nb ? q->nb : 1) * sizeof *q->tree);
    q->chords = malloc((q->nb ? q->nb : 1) * sizeof *q->chords);
    if (!p || !q->tree || !q->chords) {
        free(p);
        return QP_ERR_NOMEM;
    }
    qp_uf_init(p, q->nn);
    for (size_t i = 0; i < q->nb; i++) { /* inductive branches come first in br */
        if (qp_uf_join(p, q->br[i].n1, q->br[i].n2)) {
            q->tree[q->nt++] = (int)i;
        } else {
            q->chords[q->nc++] = (int)i;
        }
    }
    qp_status st = QP_OK;
    for (size_t n = 1; n < q->nn; n++) {
        if (qp_uf_find(p, (int)n) != 0) {
            qp_loc l = q->c->elem[0].loc;
            QERR(q, l, "node '%s' is connected to ground only through resistors or sources; a "
                "spectrum needs a path of C, L, B or Q elements", q->c->node_names[n]);
            st = QP_ERR_INPUT;
            break;
        }
    }
    free(p);
    return st;
}

qp_status qp_quantize_loop_matrix(qctx *q)
{
    size_t nt = q->nt;
    q->Bn = calloc(q->nn * (nt ? nt : 1), sizeof *q->Bn);
    q->F = calloc((q->nc ? q->nc : 1) * (nt ? nt : 1), sizeof *q->F);
    char *seen = calloc(q->nn, 1);
    int *queue = malloc(q->nn * sizeof *queue);
    if (!q->Bn || !q->F || !seen || !queue) {
        free(seen);
        free(queue);
        return QP_ERR_NOMEM;
    }
    size_t head = 0, tail = 0;
    queue[tail++] = 0;
    seen[0] = 1;
    while (head < tail) {
        int n = queue[head++];
        for (size_t k = 0; k < nt; k++) {
            const branch *b = &q->br[q->tree[k]];
            int other = -1, sign = 0;
            if (b->n2 == n && !seen[b->n1]) {
                other = b->n1, sign = 1; /* phi_n1 = phi_n2 + Phi_k */
            } else if (b->n1 == n && !seen[b->n2]) {
                other = b->n2, sign = -1;
            }
            if (other >= 0) {
                for (size_t t = 0; t < nt; t++) {
                    q->Bn[(size_t)other * nt + t] = q->Bn[(size_t)n * nt + t];
                }
                q->Bn[(size_t)other * nt + k] += sign;
                seen[other] = 1;
                queue[tail++] = other;
            }
        }
    }
    for (size_t j = 0; j < q->nc; j++) {
        const branch *b = &q->br[q->chords[j]];
        for (size_t t = 0; t < nt; t++) {
            q->F[j * nt + t] = q->Bn[(size_t)b->n1 * nt + t] - q->Bn[(size_t)b->n2 * nt + t];
        }
    }
    free(seen);
    free(queue);
    return QP_OK;
}

int qp_quantize_rank_of(const double *a, int m, int n)
{
    double *w = malloc((size_t)(m ? m : 1) * (size_t)(n ? n : 1) * sizeof *w);
    if (!w) {
        return -1;
    }
    memcpy(w, a, (size_t)m * (size_t)n * sizeof *w);
    int r = 0;
    for (int col = 0; col < n && r < m; col++) {
        int piv = r;
        for (int i = r; i < m; i++) {
            if (fabs(w[i * n + col]) > fabs(w[piv * n + col])) {
                piv = i;
            }
        }
        if (fabs(w[piv * n + col]) < 1e-9) {
            continue;
        }
        for (int k = 0; k < n; k++) {
            double t = w[r * n + k];
            w[r * n + k] = w[piv * n + k];
            w[piv * n + k] = t;
        }
        for (int i = r + 1; i < m; i++) {
            double f = w[i * n + col] / w[r * n + col];
            for (int k = col; k < n; k++) {
                w[i * n + k] -= f * w[r * n + k];
            }
        }
        r++;
    }
    free(w);
    return r;
}
