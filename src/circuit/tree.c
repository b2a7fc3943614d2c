/* Quantizer steps 1-3: the circuit's branches, a spanning tree (inductive branches first) and
 * the loop matrix of its chords (docs/physics.md). */
#include "circuit/quantize_state.h"

#include "qpsim/units.h"

#include "base/uf.h"
#include "base/vec.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int energy_ok(qctx *q, const qp_element *e, const char *name, double v)
{
    if (v == 0.0 || (v >= QP_ENERGY_MIN_GHZ && v <= QP_ENERGY_MAX_GHZ)) {
        return 1;
    }
    QERR(q, e->loc, "%s of %s is %g GHz, outside the range %g to %g GHz that spectra can handle",
        name, e->name, v, QP_ENERGY_MIN_GHZ, QP_ENERGY_MAX_GHZ);
    return 0;
}

/* Sort key of a branch that may merge: its kind and its two nodes, unordered. */
typedef struct {
    char kind;
    int lo, hi, b;
} pkey;

static int same_pair(const pkey *x, const pkey *y)
{
    return x->kind == y->kind && x->lo == y->lo && x->hi == y->hi;
}

static int pkey_cmp(const void *pa, const void *pb)
{
    const pkey *x = pa, *y = pb;
    if (x->kind != y->kind) {
        return x->kind < y->kind ? -1 : 1;
    }
    if (x->lo != y->lo) {
        return x->lo < y->lo ? -1 : 1;
    }
    if (x->hi != y->hi) {
        return x->hi < y->hi ? -1 : 1;
    }
    return (x->b > y->b) - (x->b < y->b);
}

/* Elements that keep a branch of their own: those a .flux names (its loop is made of them) and
 * inductors a K couples (the inductance matrix couples them one by one). NULL: out of memory. */
static char *fixed_elements(const qp_circuit *c)
{
    char *fixed = calloc(c->nelem ? c->nelem : 1, 1);
    if (!fixed) {
        return NULL;
    }
    for (size_t l = 0; l < c->nloops; l++) {
        for (size_t k = 0; k < c->loops[l].n; k++) {
            fixed[c->loops[l].branch[k]] = 1;
        }
    }
    for (size_t i = 0; i < c->nelem; i++) {
        const qp_element *e = &c->elem[i];
        if (e->kind == QP_EL_K && e->lk[0] >= 0 && e->lk[1] >= 0) {
            fixed[e->lk[0]] = fixed[e->lk[1]] = 1;
        }
    }
    return fixed;
}

/* The group of parallel branches k[0 .. n) (sorted, k[0] the first branch, n >= 2) as one branch
 * *g (a copy of the first): capacitances add (1/EC sums), inductances combine as 1/L sums,
 * junctions keep a cosine each on the shared phase. Its members go to q->mem. Exact: the
 * branches of a group share their variable, since the loops they form hold no external flux
 * (no .flux names one of them, so no listed loop runs through them) and a loop of capacitances
 * only holds no dynamics. */
static qp_status merge_group(qctx *q, const pkey *k, size_t n, branch *g)
{
    const branch *br = q->br;
    double sum = 0.0;
    for (size_t j = 0; j < n; j++) {
        sum += g->kind == 'B' ? br[k[j].b].E : 1.0 / (g->kind == 'C' ? br[k[j].b].E
                                                                         : br[k[j].b].ind_H);
    }
    if (g->kind == 'C') {
        g->E = 1.0 / sum;
    } else if (g->kind == 'L') {
        g->ind_H = 1.0 / sum;
    } else {
        g->E = sum; /* only a summary: the cosines stay one per junction (reduce.c) */
    }
    g->first = q->nmem;
    g->nmem = n;
    for (size_t j = 0; j < n; j++) {
        const branch *b = &br[k[j].b];
        double sign = b->n1 == g->n1 ? 1.0 : -1.0;
        member m = {b->elem, g->kind == 'C' ? sign * g->E / b->E : sign};
        if (!QP_PUSH(q->mem, q->nmem, m)) {
            return QP_ERR_NOMEM;
        }
    }
    double e = g->E;
    const char *what = g->kind == 'C' ? "EC" : "EJ";
    if (g->kind == 'L') {
        double f = QP_PHI0 / (2.0 * QP_PI);
        e = f * f / (g->ind_H * QP_H) / QP_GHZ;
        what = "EL";
    }
    if (!(e >= QP_ENERGY_MIN_GHZ && e <= QP_ENERGY_MAX_GHZ) && !(g->kind == 'B' && e == 0.0)) {
        const qp_element *el = &q->c->elem[g->elem];
        QERR(q, el->loc, "%s and the %zu %s in parallel with it between nodes '%s' and '%s' "
             "have %s = %g GHz together, outside the range %g to %g GHz that spectra can "
             "handle", el->name, n - 1,
             g->kind == 'C' ? "capacitances" : g->kind == 'L' ? "inductors" : "junctions",
             q->c->node_names[g->n1], q->c->node_names[g->n2], what, e, QP_ENERGY_MIN_GHZ,
             QP_ENERGY_MAX_GHZ);
        return QP_ERR_INPUT;
    }
    return QP_OK;
}

/* Merges parallel branches of the same kind, C, L or B (merge_group), keeping the order of the
 * rest; maps q->elem_branch to the new indices and numbers the inductors again. Before the
 * integer algebra: 2,048 capacitors in parallel are one loop-free branch, not 2,047 loops. */
static qp_status merge_parallel(qctx *q)
{
    size_t nb = q->nb, nk = 0;
    char *fixed = fixed_elements(q->c);
    pkey *k = malloc((nb ? nb : 1) * sizeof *k);
    int *into = malloc((nb ? nb : 1) * sizeof *into);  /* old branch -> new branch */
    int *head = malloc((nb ? nb : 1) * sizeof *head);  /* old branch -> first of its group */
    size_t *run = malloc((nb ? nb : 1) * sizeof *run); /* first of a group -> its run in k */
    branch *out = malloc((nb ? nb : 1) * sizeof *out);
    qp_status st = fixed && k && into && head && run && out ? QP_OK : QP_ERR_NOMEM;
    for (size_t b = 0; b < nb && st == QP_OK; b++) {
        const branch *x = &q->br[b];
        head[b] = (int)b;
        run[b] = SIZE_MAX; /* no group */
        if ((x->kind == 'C' || x->kind == 'L' || x->kind == 'B') && !fixed[x->elem]) {
            k[nk++] = (pkey){x->kind, x->n1 < x->n2 ? x->n1 : x->n2,
                             x->n1 < x->n2 ? x->n2 : x->n1, (int)b};
        }
    }
    if (st == QP_OK) {
        qsort(k, nk, sizeof *k, pkey_cmp);
    }
    for (size_t i = 0, j; st == QP_OK && i < nk; i = j) {
        for (j = i + 1; j < nk && same_pair(&k[j], &k[i]); j++) {
            head[k[j].b] = k[i].b; /* sorted by branch within a run: k[i] is the first */
        }
        run[k[i].b] = j - i >= 2 ? i : SIZE_MAX;
    }
    size_t n = 0;
    for (size_t b = 0; b < nb && st == QP_OK; b++) {
        if (head[b] != (int)b) {
            into[b] = into[head[b]]; /* the first of a group comes before the others */
            continue;
        }
        into[b] = (int)n;
        out[n] = q->br[b];
        if (run[b] != SIZE_MAX) {
            size_t i = run[b], j = i + 1;
            while (j < nk && same_pair(&k[j], &k[i])) {
                j++;
            }
            st = merge_group(q, k + i, j - i, &out[n]);
        }
        n++;
    }
    if (st == QP_OK) {
        int nl = 0;
        for (size_t b = 0; b < n; b++) {
            out[b].lidx = out[b].kind == 'L' ? nl++ : -1;
        }
        for (size_t e = 0; e < q->c->nelem; e++) {
            q->elem_branch[e] = q->elem_branch[e] >= 0 ? into[q->elem_branch[e]] : -1;
        }
        free(q->br);
        q->br = out;
        q->nb = n;
        out = NULL;
    }
    free(fixed), free(k), free(into), free(head), free(run), free(out);
    return st;
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
    for (size_t i = 0; i < c->nelem; i++) {
        q->elem_branch[i] = -1;
    }
    int nl = 0;
    /* Inductive branches first keeps their indices small; order does not change physics. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < c->nelem; i++) {
            const qp_element *e = &c->elem[i];
            branch b = {0, 0, e->n[0], e->n[1], 0.0, (int)i, -1, 0.0, 0, 0};
            int add = 0;
            if (pass == 0 && e->kind == QP_EL_L) {
                b.ind = 1, b.kind = 'L', b.lidx = nl++, b.ind_H = e->value, add = 1;
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
                branch cb = {0, 'C', e->n[0], e->n[1], qp_element_ec(e), (int)i, -1, 0.0, 0, 0};
                if (!QP_PUSH(q->br, q->nb, cb)) {
                    return QP_ERR_NOMEM;
                }
            }
            if (pass == 0 && (e->kind == QP_EL_I || e->kind == QP_EL_V)) {
                QERR(q, e->loc, "%s %s: spectra are computed without sources; remove it or use it "
                    "in .tran only", qp_elem_kind_name(e->kind), e->name);
            } else if (pass == 0 && e->kind >= QP_EL_E) {
                QERR(q, e->loc, "%s %s: spectra are computed for lumped two-terminal elements "
                    "without sources; remove it or use it in .tran only",
                    qp_elem_kind_name(e->kind), e->name);
            }
        }
    }
    return merge_parallel(q);
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
