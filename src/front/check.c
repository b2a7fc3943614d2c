/* Circuit graph checks: ground, connectivity, shorted elements, and .flux loop orientation. */
#include "qpsim/circuit.h"
#include "base/uf.h"

#include <stdlib.h>
#include <string.h>

#define ERR(c, d, loc, ...)                                                                        \
    qp_diag_add((d), QP_SEV_ERROR, qp_circuit_file(c, loc), (loc).line, (loc).col, __VA_ARGS__)

static int is_branch(const qp_element *e)
{
    return e->kind != QP_EL_K;
}

/* Elements whose loops can hold a static flux: inductive and phase-slip branches. */
static int is_flux_branch(const qp_element *e)
{
    return e->kind == QP_EL_L || e->kind == QP_EL_B || e->kind == QP_EL_Q;
}

/* Orders the branches of a simple cycle starting with branch 0 walked from n+ to n-, and fills
 * the signs. `br` lists the branches (any order); returns 0 if they are not exactly one cycle
 * (after reporting). */
static int order_cycle(const qp_circuit *c, qp_diag *d, qp_flux_loop *fl)
{
    size_t n = fl->n;
    int *deg = calloc(c->nnodes, sizeof *deg);
    int *used = calloc(n, sizeof *used);
    int ok = 0;
    if (!deg || !used) {
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        const qp_element *e = &c->elem[fl->branch[k]];
        deg[e->n[0]]++;
        deg[e->n[1]]++;
    }
    for (size_t k = 0; k < n; k++) {
        const qp_element *e = &c->elem[fl->branch[k]];
        for (int s = 0; s < 2; s++) {
            int nd = e->n[s];
            if (deg[nd] != 2) {
                if (deg[nd] == 1) {
                    ERR(c, d, fl->loc, "the branches of .flux do not close a loop: node '%s' is "
                        "reached by only one of them", c->node_names[nd]);
                } else {
                    ERR(c, d, fl->loc, "the branches of .flux meet %d times at node '%s': list "
                        "exactly one loop", deg[nd], c->node_names[nd]);
                }
                goto done;
            }
        }
    }
    /* Walk the cycle from the first branch. */
    int *br = malloc(n * sizeof *br);
    if (!br) {
        goto done;
    }
    size_t m = 0;
    int node = c->elem[fl->branch[0]].n[1];
    br[m] = fl->branch[0];
    fl->sign[m++] = 1;
    used[0] = 1;
    while (node != c->elem[fl->branch[0]].n[0]) {
        size_t k = 0;
        while (k < n && (used[k] || (c->elem[fl->branch[k]].n[0] != node &&
                                     c->elem[fl->branch[k]].n[1] != node))) {
            k++;
        }
        if (k == n) {
            break;
        }
        const qp_element *e = &c->elem[fl->branch[k]];
        used[k] = 1;
        br[m] = fl->branch[k];
        fl->sign[m++] = e->n[0] == node ? 1 : -1;
        node = e->n[0] == node ? e->n[1] : e->n[0];
    }
    if (m != n) {
        ERR(c, d, fl->loc, "the branches of .flux form more than one loop: list exactly one");
        free(br);
        goto done;
    }
    memcpy(fl->branch, br, n * sizeof *br);
    free(br);
    ok = 1;
done:
    free(deg);
    free(used);
    return ok;
}

/* Finds the single loop made of inductive and phase-slip branches for a .flux without branches. */
static int implicit_loop(const qp_circuit *c, qp_diag *d, qp_flux_loop *fl)
{
    int *parent = malloc(c->nnodes * sizeof *parent);
    int *deg = calloc(c->nnodes, sizeof *deg);
    char *alive = calloc(c->nelem ? c->nelem : 1, 1);
    int ok = 0;
    if (!parent || !deg || !alive) {
        goto done;
    }
    qp_uf_init(parent, c->nnodes);
    size_t nb = 0, comps_merged = 0;
    for (size_t i = 0; i < c->nelem; i++) {
        const qp_element *e = &c->elem[i];
        if (!is_flux_branch(e)) {
            continue;
        }
        nb++;
        alive[i] = 1;
        deg[e->n[0]]++;
        deg[e->n[1]]++;
        comps_merged += (size_t)qp_uf_join(parent, e->n[0], e->n[1]);
    }
    size_t loops = nb - comps_merged; /* cyclomatic number of the L/B/Q subgraph */
    if (loops != 1) {
        if (loops == 0) {
            ERR(c, d, fl->loc,
                ".flux without branches needs a loop of inductors, junctions or phase-slip "
                "elements, and this circuit has none");
        } else {
            ERR(c, d, fl->loc,
                "this circuit has %zu independent loops without capacitors: list the branches "
                "of the loop after the flux value",
                loops);
        }
        goto done;
    }
    /* Prune branches hanging off the loop until only the cycle is left. */
    int changed = 1;
    while (changed) {
        changed = 0;
        for (size_t i = 0; i < c->nelem; i++) {
            const qp_element *e = &c->elem[i];
            if (alive[i] && (deg[e->n[0]] == 1 || deg[e->n[1]] == 1)) {
                alive[i] = 0;
                deg[e->n[0]]--;
                deg[e->n[1]]--;
                changed = 1;
            }
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < c->nelem; i++) {
        n += alive[i] != 0;
    }
    fl->branch = calloc(n, sizeof *fl->branch);
    fl->sign = calloc(n, sizeof *fl->sign);
    if (!fl->branch || !fl->sign) {
        goto done;
    }
    fl->n = 0;
    for (size_t i = 0; i < c->nelem; i++) {
        if (alive[i]) {
            fl->branch[fl->n++] = (int)i;
        }
    }
    ok = order_cycle(c, d, fl);
done:
    free(parent);
    free(deg);
    free(alive);
    return ok;
}

/* Two loops are the same when they hold the same branches. */
static int same_loop(const qp_flux_loop *a, const qp_flux_loop *b)
{
    if (a->n != b->n) {
        return 0;
    }
    for (size_t i = 0; i < a->n; i++) {
        int found = 0;
        for (size_t j = 0; j < b->n && !found; j++) {
            found = a->branch[i] == b->branch[j];
        }
        if (!found) {
            return 0;
        }
    }
    return 1;
}

/* Values kept per point by a swept analysis of a transient's frequency report, per junction (the
 * fields of qp_tran_freq, rounded up). */
#define TRAN_FREQ_VALUES 11

/* The result of every analysis, refused when it would keep more than QP_RESULT_MAX_VALUES
 * numbers: counted from the deck (levels, operators, junctions, sweep points) before anything
 * is computed, so that neither `check` nor a run's first points pass what the run cannot
 * allocate at its end. */
static void result_sizes(const qp_circuit *c, qp_diag *d)
{
    double points = 1.0, junctions = 0.0;
    for (size_t k = 0; k < c->nanalyses; k++) {
        points *= c->analyses[k].kind == QP_AN_SWEEP && !c->analyses[k].fixed
                      ? (double)c->analyses[k].points
                      : 1.0;
    }
    for (size_t i = 0; i < c->nelem; i++) {
        junctions += c->elem[i].kind == QP_EL_B || c->elem[i].kind == QP_EL_Q;
    }
    for (size_t k = 0; k < c->nanalyses; k++) {
        const qp_analysis *an = &c->analyses[k];
        double lev = an->levels, each = 0.0;
        const char *what = "";
        switch (an->kind) {
        case QP_AN_SPECTRUM:
            each = lev, what = "a lower levels=";
            break;
        case QP_AN_MATRIX:
            each = lev + 2.0 * (double)an->nops * lev * lev;
            what = "a lower levels= or fewer operators";
            break;
        case QP_AN_COHERENCE:
            each = lev + QP_CH_COUNT + 3.0;
            break;
        case QP_AN_TRAN:
            each = points > 1.0 ? TRAN_FREQ_VALUES * junctions : 0.0; /* traces: QP_TRAN_MAX_* */
            break;
        default: /* .bands and .wavefunction are computed once, with limits of their own */
            break;
        }
        if (each * points <= QP_RESULT_MAX_VALUES) {
            continue;
        }
        if (points > 1.0) {
            ERR(c, d, an->loc, "%s would keep %.3g values over the sweep's %.0f points, %.3g at "
                "each (at most %.0e, %.1f GB): fewer sweep points%s%s",
                qp_analysis_directive(an->kind), each * points, points, each, QP_RESULT_MAX_VALUES,
                QP_RESULT_MAX_VALUES * sizeof(double) / 1e9, what[0] ? ", or " : "", what);
        } else {
            ERR(c, d, an->loc, "%s would keep %.3g values (at most %.0e, %.1f GB)%s%s",
                qp_analysis_directive(an->kind), each, QP_RESULT_MAX_VALUES,
                QP_RESULT_MAX_VALUES * sizeof(double) / 1e9, what[0] ? ": " : "", what);
        }
    }
}

/* Nodes n[0], n[1] of element i joined in parent; each node's first element noted in first.
 * Whether either node is ground. */
static int join_pair(const int *n, size_t i, int *first, int *parent)
{
    for (int s = 0; s < 2; s++) {
        if (first[n[s]] < 0) {
            first[n[s]] = (int)i;
        }
    }
    qp_uf_join(parent, n[0], n[1]);
    return n[0] == 0 || n[1] == 0;
}

qp_status qp_circuit_check(qp_circuit *c, qp_diag *d)
{
    size_t errors0 = d->errors;
    qp_loc start = {0, 1, 1};
    if (c->nelem == 0) {
        ERR(c, d, start, "the deck has no circuit elements");
        return QP_ERR_INPUT;
    }
    int *parent = malloc(c->nnodes * sizeof *parent);
    int *first = malloc(c->nnodes * sizeof *first);
    if (!parent || !first) {
        free(parent);
        free(first);
        return QP_ERR_NOMEM;
    }
    qp_uf_init(parent, c->nnodes);
    for (size_t i = 0; i < c->nnodes; i++) {
        first[i] = -1;
    }
    int grounded = 0;
    for (size_t i = 0; i < c->nelem; i++) {
        const qp_element *e = &c->elem[i];
        if (!is_branch(e)) {
            continue;
        }
        if (e->n[0] == e->n[1]) {
            ERR(c, d, e->loc, "both ends of %s are on node '%s'", e->name,
                c->node_names[e->n[0]]);
        }
        grounded |= join_pair(e->n, i, first, parent);
        if (e->kind >= QP_EL_E) { /* the second pair: control nodes or port 2 */
            if (e->nc[0] == e->nc[1] && e->kind != QP_EL_E && e->kind != QP_EL_G) {
                ERR(c, d, e->loc, "both ends of %s's second pair are on node '%s'", e->name,
                    c->node_names[e->nc[0]]);
            }
            grounded |= join_pair(e->nc, i, first, parent);
        }
    }
    if (!grounded) {
        ERR(c, d, c->elem[0].loc, "no element is connected to ground (node 0 or gnd)");
    } else {
        /* One message per floating part (its root is its lowest node), at its first element. */
        for (size_t n = 1; n < c->nnodes; n++) {
            if (qp_uf_find(parent, (int)n) == (int)n && first[n] >= 0) {
                const qp_element *e = &c->elem[first[n]];
                ERR(c, d, e->loc, "node '%s' is not connected to ground (through %s or any other "
                    "element)", c->node_names[n], e->name);
            }
        }
    }
    free(parent);
    free(first);
    if (d->errors > errors0) {
        return QP_ERR_INPUT;
    }
    for (size_t k = 0; k < c->nloops; k++) {
        qp_flux_loop *fl = &c->loops[k];
        int ok = fl->implicit ? implicit_loop(c, d, fl) : order_cycle(c, d, fl);
        if (!ok && d->errors == errors0) {
            return QP_ERR_NOMEM;
        }
        for (size_t j = 0; ok && j < k; j++) {
            if (c->loops[j].n && same_loop(fl, &c->loops[j])) {
                ERR(c, d, fl->loc, "two .flux directives name the same loop");
                qp_diag_add(d, QP_SEV_NOTE, qp_circuit_file(c, c->loops[j].loc), c->loops[j].loc.line,
                            c->loops[j].loc.col, "the other .flux is here");
            }
        }
    }
    if (d->errors == errors0) {
        result_sizes(c, d);
    }
    return d->errors > errors0 ? QP_ERR_INPUT : QP_OK;
}
