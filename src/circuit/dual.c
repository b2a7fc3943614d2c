/* qpsim dual: the planar dual of a circuit written back in the netlist language (docs/duality.md). */
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
        qp_sb_printf(b, " %.16g qind=capacitive   ; L* = R_Q^2 C of %s's capacitance (%.6g F)\n",
                     rq2 * el->cap, el->name, el->cap);
        return;
    }
    switch (el->kind) {
    case QP_EL_C: /* its dielectric loss becomes the dual inductor's loss, same Q */
        qp_sb_printf(b, " %.16g", rq2 * el->value);
        if (el->noise > 0.0) {
            qp_sb_printf(b, " qind=%.16g", el->noise);
        } else { /* its dielectric loss keeps its own frequency dependence */
            qp_sb_puts(b, el->noise_form == 'l' ? "" : " qind=capacitive");
        }
        qp_sb_printf(b, "   ; L* = R_Q^2 C of %s (C = %.6g F)\n", el->name, el->value);
        break;
    case QP_EL_L:
        qp_sb_printf(b, " %.16g", el->value / rq2);
        if (el->noise > 0.0) {
            qp_sb_printf(b, " qcap=%.16g", el->noise);
        } else {
            qp_sb_puts(b, el->noise_form == 'c' ? "" : " qcap=inductive");
        }
        qp_sb_printf(b, "   ; C* = L/R_Q^2 of %s (L = %.6g H)\n", el->name, el->value);
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

/* The dual's working state: the circuit's edges (a junction's capacitance is an edge of its own),
 * the faces on either side of each edge, the dual node number of each face and the offset each
 * face gets from the .flux loops. dual_free releases it. */
typedef struct {
    const qp_circuit *c;
    qp_diag *d;
    size_t ne;
    edge *E;
    int *eu, *ev;  /* endpoints of each edge */
    int *fl, *fr;  /* faces on the left and right of each edge */
    size_t nf;
    int outer;     /* the outer face: ground of the dual */
    int *label;    /* face -> mesh number m<label> (the outer face 0) */
    double *ngf;   /* face -> offset charge from a .flux loop around it */
} dual;

static void dual_free(dual *x)
{
    free(x->E), free(x->eu), free(x->ev), free(x->fl), free(x->fr), free(x->label), free(x->ngf);
}

/* Refuses what has no planar dual (mutual inductances) and lists the edges. */
static qp_status make_edges(dual *x)
{
    const qp_circuit *c = x->c;
    for (size_t i = 0; i < c->nelem; i++) {
        const qp_element *el = &c->elem[i];
        if (el->kind == QP_EL_K) {
            ERR(c, x->d, el->loc, "mutual inductance %s has no planar dual: remove it or replace "
                "the coupled inductors by an equivalent network", el->name);
            return QP_ERR_INPUT;
        }
        if (el->kind >= QP_EL_E) {
            ERR(c, x->d, el->loc, "%s %s has no planar dual: the dual is drawn for two-terminal "
                "elements only", qp_elem_kind_name(el->kind), el->name);
            return QP_ERR_INPUT;
        }
        x->ne += 1 + (el->kind == QP_EL_B && el->cap > 0.0);
    }
    size_t ne = x->ne;
    x->E = malloc(ne * sizeof *x->E);
    x->eu = malloc(ne * sizeof *x->eu), x->ev = malloc(ne * sizeof *x->ev);
    x->fl = malloc(ne * sizeof *x->fl), x->fr = malloc(ne * sizeof *x->fr);
    if (!x->E || !x->eu || !x->ev || !x->fl || !x->fr) {
        return QP_ERR_NOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < c->nelem; i++) {
        const qp_element *el = &c->elem[i];
        x->E[k] = (edge){(int)i, 0};
        x->eu[k] = el->n[0];
        x->ev[k++] = el->n[1];
        if (el->kind == QP_EL_B && el->cap > 0.0) {
            x->E[k] = (edge){(int)i, 1};
            x->eu[k] = el->n[0];
            x->ev[k++] = el->n[1];
        }
    }
    return QP_OK;
}

/* The faces of a planar embedding; a non-planar circuit or a bridge is an error. */
static qp_status find_faces(dual *x)
{
    const qp_circuit *c = x->c;
    int bad = -1;
    qp_status st =
        qp_planar_faces(c->nnodes, x->ne, x->eu, x->ev, 0, x->fl, x->fr, &x->nf, &x->outer, &bad);
    if (st != QP_OK) {
        qp_loc at = bad >= 0 && (size_t)bad < x->ne ? c->elem[x->E[bad].elem].loc : c->elem[0].loc;
        if (st == QP_ERR_INPUT) {
            ERR(c, x->d, at, "the circuit is not planar (%s is part of a non-planar piece), so it "
                "has no dual", bad >= 0 ? c->elem[x->E[bad].elem].name : "the graph");
        }
        return st;
    }
    for (size_t e = 0; e < x->ne; e++) {
        if (x->fl[e] == x->fr[e]) {
            const qp_element *el = &c->elem[x->E[e].elem];
            ERR(c, x->d, el->loc, "no loop passes through %s (a bridge): its dual would be "
                "shorted on itself", el->name);
            st = QP_ERR_INPUT;
        }
    }
    return st;
}

/* The dual nodes: the outer face is ground, the others m1, m2, ... in face order. */
static qp_status number_meshes(dual *x)
{
    x->label = malloc(x->nf * sizeof *x->label);
    if (!x->label) {
        return QP_ERR_NOMEM;
    }
    int next = 1;
    for (size_t f = 0; f < x->nf; f++) {
        x->label[f] = (int)f == x->outer ? 0 : next++;
    }
    return QP_OK;
}

/* Fluxes become offsets on a mesh enclosed by the loop (and by no other .flux loop). */
static qp_status mesh_offsets(dual *x)
{
    const qp_circuit *c = x->c;
    size_t ne = x->ne, nf = x->nf;
    char *on_loop = calloc(ne ? ne : 1, 1), *inside = malloc(nf), *taken = calloc(nf, 1);
    x->ngf = calloc(nf, sizeof *x->ngf);
    qp_status st = on_loop && inside && taken && x->ngf ? QP_OK : QP_ERR_NOMEM;
    for (size_t l = 0; l < c->nloops && st == QP_OK; l++) {
        const qp_flux_loop *lp = &c->loops[l];
        memset(on_loop, 0, ne);
        int e0 = -1;
        for (size_t j = 0; j < lp->n; j++) {
            for (size_t e = 0; e < ne; e++) {
                if (x->E[e].elem == lp->branch[j] && !x->E[e].jcap) {
                    on_loop[e] = 1;
                    e0 = j == 0 ? (int)e : e0;
                }
            }
        }
        if (!inside_faces(nf, ne, x->fl, x->fr, on_loop, x->outer, inside)) {
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
            ERR(c, x->d, lp->loc, "the .flux loops overlap in a way the dual cannot express yet");
            st = QP_ERR_INPUT;
            break;
        }
        taken[target] = 1;
        /* the loop's walk has `left` on its left */
        int left = lp->sign[0] > 0 ? x->fl[e0] : x->fr[e0];
        x->ngf[target] = inside[left] ? lp->f : -lp->f;
    }
    free(on_loop), free(inside), free(taken);
    return st;
}

/* The header and one line per dual element. */
static void write_elements(qp_strbuf *b, const dual *x, const char *source)
{
    const qp_circuit *c = x->c;
    qp_sb_printf(b, "* Dual of %s, written by qpsim dual (docs/duality.md): nodes <-> meshes, C <-> L "
                 "with L* = R_Q^2 C,\n* L <-> C, B <-> Q with ES = EJ, R <-> R_Q^2/R, V <-> I, "
                 ".ng <-> .flux. R_Q = h/4e^2 = %.10g Ohm.\n",
                 source, QP_RQ);
    qp_sb_printf(b, ".title dual of %s\n", c->title ? c->title : source);
    for (size_t e = 0; e < x->ne; e++) {
        element_line(b, c, &x->E[e], x->fr[e], x->fl[e], x->outer, x->label);
    }
}

/* One island's .flux line: its total offset around the dual loop of its cut set. */
static void write_island_flux(qp_strbuf *b, const dual *x, const int *isl, int root)
{
    const qp_circuit *c = x->c;
    double total = 0.0;
    int given = 0;
    for (size_t o = 0; o < c->noffsets; o++) {
        if (isl[c->offsets[o].node] == root) {
            total += c->offsets[o].ng;
            given = 1;
        }
    }
    if (!given) {
        return;
    }
    int first = -1;
    for (size_t e = 0; e < x->ne && first < 0; e++) {
        if ((isl[x->eu[e]] == root) != (isl[x->ev[e]] == root)) {
            first = (int)e;
        }
    }
    if (first < 0) {
        return;
    }
    double f = isl[x->eu[first]] == root ? total : -total;
    qp_sb_printf(b, ".flux %.16g", f);
    for (size_t e = 0; e < x->ne; e++) {
        if ((isl[x->eu[e]] == root) != (isl[x->ev[e]] == root)) {
            qp_sb_putc(b, ' ');
            dual_name(b, c, &x->E[e]);
        }
    }
    qp_sb_puts(b, "   ; from .ng on");
    for (size_t o = 0; o < c->noffsets; o++) {
        if (isl[c->offsets[o].node] == root) {
            qp_sb_printf(b, " %s (%.16g)", c->node_names[c->offsets[o].node], c->offsets[o].ng);
        }
    }
    qp_sb_putc(b, '\n');
}

/* Offsets become fluxes. Nodes joined by linear inductors form one island for the offsets (an
 * inductor makes the variable extended: only the island's total offset matters), so the total
 * offset of each island goes around the dual loop of its cut set: the duals of the junctions,
 * capacitors and phase slips leaving the island, a loop without capacitors. The walk along the
 * first listed dual edge goes counterclockwise around the island when that edge leaves it. An
 * island tied to ground by inductors has no offset to carry. */
static qp_status write_fluxes(qp_strbuf *b, const dual *x)
{
    const qp_circuit *c = x->c;
    int *isl = malloc(c->nnodes * sizeof *isl);
    if (!isl) {
        return QP_ERR_NOMEM;
    }
    qp_uf_init(isl, c->nnodes);
    for (size_t e = 0; e < x->ne; e++) {
        if (!x->E[e].jcap && c->elem[x->E[e].elem].kind == QP_EL_L) {
            qp_uf_join(isl, x->eu[e], x->ev[e]); /* the lower index is the root: ground stays 0 */
        }
    }
    for (size_t n = 0; n < c->nnodes; n++) {
        isl[n] = qp_uf_find(isl, (int)n);
    }
    for (size_t root = 1; root < c->nnodes; root++) {
        write_island_flux(b, x, isl, (int)root);
    }
    for (size_t o = 0; o < c->noffsets; o++) {
        if (isl[c->offsets[o].node] == 0) {
            qp_sb_printf(b, "* .ng %s is on an island tied to ground by inductors: no effect, "
                         "not carried over\n", c->node_names[c->offsets[o].node]);
        }
    }
    free(isl);
    return QP_OK;
}

/* The fixed cutoffs of an analysis in the dual: charge and fluxoid modes trade places,
 * oscillators stay. */
static void basis_keys(qp_strbuf *b, const qp_analysis *an)
{
    if (an->ncut) {
        qp_sb_printf(b, " mcut=%d", an->ncut);
    }
    if (an->mcut) {
        qp_sb_printf(b, " ncut=%d", an->mcut);
    }
    if (an->nho) {
        qp_sb_printf(b, " nho=%d", an->nho);
    }
}

/* .coherence in the dual: capacitive <-> inductive (quality factors swapped), offset charge <->
 * flux (amplitudes swapped: f and ng map one to one), critical current <-> phase-slip energy;
 * quasiparticle tunneling and resistors keep their names (a junction's sin(phi/2) has no dual
 * operator in qpsim: that channel is not carried). */
static void write_coherence(qp_strbuf *b, const qp_analysis *an)
{
    static const int swap[QP_CH_COUNT] = {
        [QP_CH_T1_CAPACITIVE] = QP_CH_T1_INDUCTIVE, [QP_CH_T1_INDUCTIVE] = QP_CH_T1_CAPACITIVE,
        [QP_CH_T1_QUASIPARTICLE] = -1,              [QP_CH_T1_RESISTOR] = QP_CH_T1_RESISTOR,
        [QP_CH_TPHI_FLUX] = QP_CH_TPHI_NG,          [QP_CH_TPHI_NG] = QP_CH_TPHI_FLUX,
        [QP_CH_TPHI_CC] = QP_CH_TPHI_ES,            [QP_CH_TPHI_ES] = QP_CH_TPHI_CC};
    const qp_coh_params *p = &an->coh;
    qp_sb_printf(b, ".coherence from=%d to=%d", p->from, p->to);
    if (p->temp > 0.0) {
        qp_sb_printf(b, " temp=%.16g", p->temp);
    }
    int first = 1;
    for (int ch = 0; ch < QP_CH_COUNT; ch++) {
        if ((p->channels >> ch & 1u) && swap[ch] >= 0) {
            qp_sb_printf(b, "%s%s", first ? " channels=" : ",", qp_channel_name(swap[ch]));
            first = 0;
        }
    }
    if (p->qcap > 0.0) {
        qp_sb_printf(b, " qind=%.16g", p->qcap);
    }
    if (p->qind > 0.0) {
        qp_sb_printf(b, " qcap=%.16g", p->qind);
    }
    qp_sb_printf(b, " aflux=%.16g ang=%.16g acc=%.16g aes=%.16g omega_low=%.16g t_exp=%.16g",
                 p->ang, p->aflux, p->aes, p->acc, p->omega_low, p->t_exp);
    basis_keys(b, an);
    qp_sb_puts(b, an->grid ? " basis=grid" : "");
    qp_sb_puts(b, "   ; capacitive <-> inductive, ng <-> flux, cc <-> es\n");
}

/* The meshes' offsets (from the .flux loops) and the analyses the dual carries over. */
static void write_offsets_analyses(qp_strbuf *b, const dual *x)
{
    const qp_circuit *c = x->c;
    for (size_t f = 0; f < x->nf; f++) {
        if (x->ngf[f] != 0.0) {
            qp_sb_printf(b, ".ng m%d %.16g   ; from a .flux loop around this mesh\n", x->label[f],
                         x->ngf[f]);
        }
    }
    if (c->temp > 0.0) {
        qp_sb_printf(b, ".temp %.16g\n", c->temp);
    }
    for (size_t a = 0; a < c->nanalyses; a++) {
        const qp_analysis *an = &c->analyses[a];
        if (an->kind == QP_AN_COHERENCE) {
            write_coherence(b, an);
            continue;
        }
        if (an->kind != QP_AN_SPECTRUM) {
            qp_sb_printf(b, "* %s (line %d) is not carried over to the dual\n",
                         qp_analysis_directive(an->kind), an->loc.line);
            continue;
        }
        qp_sb_printf(b, ".spectrum levels=%d", an->levels);
        basis_keys(b, an);
        if (an->dispersion >= 0) {
            qp_sb_puts(b, an->dispersion ? " dispersion=yes" : " dispersion=no");
        }
        if (an->tol > 0.0) {
            qp_sb_printf(b, " tol=%.16g", an->tol);
        }
        qp_sb_puts(b, an->grid ? " basis=grid\n" : "\n");
    }
}

qp_status qp_dual_netlist(const qp_circuit *c, const char *source, char **out, qp_diag *d)
{
    *out = NULL;
    dual x = {0};
    x.c = c;
    x.d = d;
    qp_strbuf b = {0};
    qp_status st = make_edges(&x);
    if (st == QP_OK) {
        st = find_faces(&x);
    }
    if (st == QP_OK) {
        st = number_meshes(&x);
    }
    if (st == QP_OK) {
        st = mesh_offsets(&x);
    }
    if (st == QP_OK) {
        write_elements(&b, &x, source);
        st = write_fluxes(&b, &x);
    }
    if (st == QP_OK) {
        write_offsets_analyses(&b, &x);
        *out = qp_sb_take(&b);
        st = *out ? QP_OK : QP_ERR_NOMEM;
    }
    qp_sb_free(&b);
    dual_free(&x);
    return st;
}
