/* qpsim dual: the planar dual of a circuit written back in the netlist language (SPEC §4). */
#include "qpsim/dual.h"
#include "circuit/planar.h"
#include "base/strbuf.h"
#include "base/uf.h"
#include "qpsim/units.h"

#include <stdlib.h>
#include <string.h>

/* Orientation of dual edges: e* runs from the face on the right of e to the face on its left.
 * With it, an offset ng on node n becomes the flux +ng around the dual loop walked
 * counterclockwise around n, and a flux f through a loop the offset +f on an enclosed mesh. */

typedef struct {
    int elem;
    int jcap; /* the junction capacitance of a B element */
} edge;

#define ERR(c, d, loc, ...)                                                                        \
    qp_diag_add((d), QP_SEV_ERROR, qp_circuit_file(c, loc), (loc).line, (loc).col, __VA_ARGS__)

static void node_name(qp_strbuf *b, int face, int outer, const int *label)
{
    if (face == outer) {
        qp_sb_puts(b, "0");
    } else {
        qp_sb_printf(b, "m%d", label[face]);
    }
}

static void dual_name(qp_strbuf *b, const qp_circuit *c, const edge *e)
{
    const qp_element *el = &c->elem[e->elem];
    static const char letter[] = {'L', 'C', 'Q', 'B', '?', 'R', 'V', 'I'};
    char l = e->jcap ? 'L' : letter[el->kind];
    qp_sb_printf(b, "%c%s%s", l, el->name, e->jcap ? "_c" : "");
}

static void wave(qp_strbuf *b, const qp_wave *w, double scale)
{
    qp_sb_printf(b, " dc %.16g", w->dc * scale);
    if (w->kind == QP_WAVE_DC) {
        return;
    }
    static const char *const fn[] = {"", "sin", "pwl", "pulse"};
    qp_sb_printf(b, " %s(", fn[w->kind]);
    for (size_t i = 0; i < w->np; i++) {
        int is_value = w->kind == QP_WAVE_SIN     ? i < 2
                       : w->kind == QP_WAVE_PULSE ? i < 2
                                                  : i % 2 == 1;
        qp_sb_printf(b, "%s%.16g", i ? " " : "", is_value ? w->p[i] * scale : w->p[i]);
    }
    qp_sb_putc(b, ')');
}

static void element_line(qp_strbuf *b, const qp_circuit *c, const edge *e, int from, int to,
                         int outer, const int *label)
{
    const qp_element *el = &c->elem[e->elem];
    dual_name(b, c, e);
    qp_sb_putc(b, ' ');
    node_name(b, from, outer, label);
    qp_sb_putc(b, ' ');
    node_name(b, to, outer, label);
    double rq2 = QP_RQ * QP_RQ;
    if (e->jcap) {
        qp_sb_printf(b, " %.16g   ; L* = R_Q^2 C of %s's capacitance (%.6g F)\n", rq2 * el->cap,
                     el->name, el->cap);
        return;
    }
    switch (el->kind) {
    case QP_EL_C:
        qp_sb_printf(b, " %.16g   ; L* = R_Q^2 C of %s (C = %.6g F)\n", rq2 * el->value, el->name,
                     el->value);
        break;
    case QP_EL_L:
        qp_sb_printf(b, " %.16g   ; C* = L/R_Q^2 of %s (L = %.6g H)\n", el->value / rq2, el->name,
                     el->value);
        break;
    case QP_EL_B:
        qp_sb_printf(b, " es=%.16g   ; ES = EJ of %s\n", qp_element_ej(el), el->name);
        break;
    case QP_EL_Q:
        qp_sb_printf(b, " ej=%.16g   ; EJ = ES of %s\n", qp_element_es(el), el->name);
        break;
    case QP_EL_R:
        qp_sb_printf(b, " %.16g   ; R* = R_Q^2/R of %s (R = %.6g Ohm)\n", rq2 / el->value,
                     el->name, el->value);
        break;
    case QP_EL_V:
        wave(b, &el->wave, 1.0 / QP_RQ);
        qp_sb_printf(b, "   ; I* = V/R_Q of %s\n", el->name);
        break;
    case QP_EL_I:
        wave(b, &el->wave, QP_RQ);
        qp_sb_printf(b, "   ; V* = R_Q I of %s\n", el->name);
        break;
    default:
        qp_sb_putc(b, '\n');
        break;
    }
}

/* Faces reachable from the outer face without crossing the loop's edges; the rest are inside. */
static int inside_faces(size_t nf, size_t ne, const int *fl, const int *fr, const char *on_loop,
                        int outer, char *inside)
{
    int *parent = malloc(nf * sizeof *parent);
    if (!parent) {
        return 0;
    }
    qp_uf_init(parent, nf);
    for (size_t e = 0; e < ne; e++) {
        if (!on_loop[e]) {
            qp_uf_join(parent, fl[e], fr[e]);
        }
    }
    int ro = qp_uf_find(parent, outer);
    for (size_t f = 0; f < nf; f++) {
        int x = qp_uf_find(parent, (int)f);
        inside[f] = x != ro;
    }
    free(parent);
    return 1;
}

qp_status qp_dual_netlist(const qp_circuit *c, const char *source, char **out, qp_diag *d)
{
    *out = NULL;
    size_t ne = 0;
    for (size_t i = 0; i < c->nelem; i++) {
        const qp_element *el = &c->elem[i];
        if (el->kind == QP_EL_K) {
            ERR(c, d, el->loc, "mutual inductance %s has no planar dual: remove it or replace "
                "the coupled inductors by an equivalent network", el->name);
            return QP_ERR_INPUT;
        }
        ne += 1 + (el->kind == QP_EL_B && el->cap > 0.0);
    }
    edge *E = malloc(ne * sizeof *E);
    int *eu = malloc(ne * sizeof *eu), *ev = malloc(ne * sizeof *ev);
    int *fl = malloc(ne * sizeof *fl), *fr = malloc(ne * sizeof *fr);
    char *on_loop = calloc(ne, 1);
    size_t nf = 0;
    int outer = 0, bad = -1;
    int *label = NULL;
    char *inside = NULL, *taken = NULL;
    double *ngf = NULL;
    qp_strbuf b = {0};
    qp_status st = QP_OK;
    if (!E || !eu || !ev || !fl || !fr || !on_loop) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    size_t k = 0;
    for (size_t i = 0; i < c->nelem; i++) {
        const qp_element *el = &c->elem[i];
        E[k] = (edge){(int)i, 0};
        eu[k] = el->n[0];
        ev[k++] = el->n[1];
        if (el->kind == QP_EL_B && el->cap > 0.0) {
            E[k] = (edge){(int)i, 1};
            eu[k] = el->n[0];
            ev[k++] = el->n[1];
        }
    }
    st = qp_planar_faces(c->nnodes, ne, eu, ev, 0, fl, fr, &nf, &outer, &bad);
    if (st != QP_OK) {
        qp_loc at = bad >= 0 && (size_t)bad < ne ? c->elem[E[bad].elem].loc : c->elem[0].loc;
        if (st == QP_ERR_INPUT) {
            ERR(c, d, at, "the circuit is not planar (%s is part of a non-planar piece), so it "
                "has no dual", bad >= 0 ? c->elem[E[bad].elem].name : "the graph");
        }
        goto done;
    }
    for (size_t e = 0; e < ne; e++) {
        if (fl[e] == fr[e]) {
            const qp_element *el = &c->elem[E[e].elem];
            ERR(c, d, el->loc, "no loop passes through %s (a bridge): its dual would be shorted "
                "on itself", el->name);
            st = QP_ERR_INPUT;
        }
    }
    label = malloc(nf * sizeof *label);
    inside = malloc(nf);
    taken = calloc(nf, 1);
    ngf = calloc(nf, sizeof *ngf);
    if (st != QP_OK || !label || !inside || !taken || !ngf) {
        st = st != QP_OK ? st : QP_ERR_NOMEM;
        goto done;
    }
    int next = 1;
    for (size_t f = 0; f < nf; f++) {
        label[f] = (int)f == outer ? 0 : next++;
    }
    /* Fluxes become offsets on a mesh enclosed by the loop (and by no other .flux loop). */
    for (size_t l = 0; l < c->nloops && st == QP_OK; l++) {
        const qp_flux_loop *lp = &c->loops[l];
        memset(on_loop, 0, ne);
        int e0 = -1;
        for (size_t j = 0; j < lp->n; j++) {
            for (size_t e = 0; e < ne; e++) {
                if (E[e].elem == lp->branch[j] && !E[e].jcap) {
                    on_loop[e] = 1;
                    e0 = j == 0 ? (int)e : e0;
                }
            }
        }
        if (!inside_faces(nf, ne, fl, fr, on_loop, outer, inside)) {
            st = QP_ERR_NOMEM;
            break;
        }
        int target = -1;
        for (size_t f = 0; f < nf && target < 0; f++) {
            if (inside[f] && !taken[f]) {
                target = (int)f;
            }
        }
        if (target < 0 || e0 < 0) {
            ERR(c, d, lp->loc, "the .flux loops overlap in a way the dual cannot express yet");
            st = QP_ERR_INPUT;
            break;
        }
        taken[target] = 1;
        int left = lp->sign[0] > 0 ? fl[e0] : fr[e0]; /* the loop's walk has `left` on its left */
        ngf[target] = inside[left] ? lp->f : -lp->f;
    }
    if (st != QP_OK) {
        goto done;
    }
    qp_sb_printf(&b, "* Dual of %s, written by qpsim dual (SPEC §4): nodes <-> meshes, C <-> L with "
                 "L* = R_Q^2 C,\n* L <-> C, B <-> Q with ES = EJ, R <-> R_Q^2/R, V <-> I, "
                 ".ng <-> .flux. R_Q = h/4e^2 = %.10g Ohm.\n",
                 source, QP_RQ);
    qp_sb_printf(&b, ".title dual of %s\n", c->title ? c->title : source);
    for (size_t e = 0; e < ne; e++) {
        element_line(&b, c, &E[e], fr[e], fl[e], outer, label);
    }
    /* Offsets become fluxes. Nodes joined by linear inductors form one island for the offsets
     * (an inductor makes the variable extended: only the island's total offset matters), so the
     * total offset of each island goes around the dual loop of its cut set: the duals of the
     * junctions, capacitors and phase slips leaving the island, a loop without capacitors. The
     * walk along the first listed dual edge goes counterclockwise around the island when that
     * edge leaves it. An island tied to ground by inductors has no offset to carry. */
    int *isl = malloc(c->nnodes * sizeof *isl);
    if (!isl) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    for (size_t n = 0; n < c->nnodes; n++) {
        isl[n] = (int)n;
    }
    for (size_t e = 0; e < ne; e++) {
        if (!E[e].jcap && c->elem[E[e].elem].kind == QP_EL_L) {
            int x = eu[e], y = ev[e];
            while (isl[x] != x) {
                x = isl[x];
            }
            while (isl[y] != y) {
                y = isl[y];
            }
            isl[x > y ? x : y] = x > y ? y : x; /* the lower index is the root: ground stays 0 */
        }
    }
    for (size_t n = 0; n < c->nnodes; n++) {
        int x = (int)n;
        while (isl[x] != x) {
            x = isl[x];
        }
        isl[n] = x;
    }
    for (size_t root = 1; root < c->nnodes; root++) {
        double total = 0.0;
        int given = 0;
        for (size_t o = 0; o < c->noffsets; o++) {
            if (isl[c->offsets[o].node] == (int)root) {
                total += c->offsets[o].ng;
                given = 1;
            }
        }
        if (!given) {
            continue;
        }
        int first = -1;
        for (size_t e = 0; e < ne && first < 0; e++) {
            if ((isl[eu[e]] == (int)root) != (isl[ev[e]] == (int)root)) {
                first = (int)e;
            }
        }
        if (first < 0) {
            continue;
        }
        double f = isl[eu[first]] == (int)root ? total : -total;
        qp_sb_printf(&b, ".flux %.16g", f);
        for (size_t e = 0; e < ne; e++) {
            if ((isl[eu[e]] == (int)root) != (isl[ev[e]] == (int)root)) {
                qp_sb_putc(&b, ' ');
                dual_name(&b, c, &E[e]);
            }
        }
        qp_sb_puts(&b, "   ; from .ng on");
        for (size_t o = 0; o < c->noffsets; o++) {
            if (isl[c->offsets[o].node] == (int)root) {
                qp_sb_printf(&b, " %s (%.16g)", c->node_names[c->offsets[o].node],
                             c->offsets[o].ng);
            }
        }
        qp_sb_putc(&b, '\n');
    }
    for (size_t o = 0; o < c->noffsets; o++) {
        if (isl[c->offsets[o].node] == 0) {
            qp_sb_printf(&b, "* .ng %s is on an island tied to ground by inductors: no effect, "
                         "not carried over\n", c->node_names[c->offsets[o].node]);
        }
    }
    free(isl);
    for (size_t f = 0; f < nf; f++) {
        if (ngf[f] != 0.0) {
            qp_sb_printf(&b, ".ng m%d %.16g   ; from a .flux loop around this mesh\n", label[f],
                         ngf[f]);
        }
    }
    for (size_t a = 0; a < c->nanalyses; a++) {
        const qp_analysis *an = &c->analyses[a];
        if (an->kind == QP_AN_SPECTRUM) {
            qp_sb_printf(&b, ".spectrum levels=%d", an->levels);
            /* charge and fluxoid modes trade places in the dual; oscillators stay */
            if (an->ncut) {
                qp_sb_printf(&b, " mcut=%d", an->ncut);
            }
            if (an->mcut) {
                qp_sb_printf(&b, " ncut=%d", an->mcut);
            }
            if (an->nho) {
                qp_sb_printf(&b, " nho=%d", an->nho);
            }
            if (an->dispersion >= 0) {
                qp_sb_puts(&b, an->dispersion ? " dispersion=yes" : " dispersion=no");
            }
            if (an->tol > 0.0) {
                qp_sb_printf(&b, " tol=%.16g", an->tol);
            }
            qp_sb_puts(&b, an->grid ? " basis=grid\n" : "\n");
        } else {
            qp_sb_printf(&b, "* %s (line %d) is not carried over to the dual\n",
                         qp_analysis_directive(an->kind), an->loc.line);
        }
    }
    *out = qp_sb_take(&b);
    if (!*out) {
        st = QP_ERR_NOMEM;
    }
done:
    qp_sb_free(&b);
    free(E), free(eu), free(ev), free(fl), free(fr), free(on_loop), free(label), free(inside);
    free(taken), free(ngf);
    return st;
}
