/* Elaboration of elements: nodes, C/L/R, junctions, phase-slip junctions, K and sources. */
#include "qpsim/circuit.h"
#include "front/elab_state.h"
#include "front/expr.h"
#include "qpsim/units.h"

#include "base/strmap.h"
#include "base/strbuf.h"
#include "base/vec.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- nodes and elements -------------------------------------------------------------------- */

int qp_elab_is_ground(const char *s)
{
    return strcmp(s, "0") == 0 || qp_ieq(s, "gnd");
}

static int intern_node(elab *E, const char *name)
{
    int i = qp_strmap_get(&E->nodes, name);
    if (i >= 0) {
        return i;
    }
    qp_circuit *c = E->c;
    char *copy = qp_strdup(name);
    if (!copy || !QP_PUSH(c->node_names, c->nnodes, copy)) {
        free(copy);
        qp_elab_nomem(E);
        return 0;
    }
    if (!qp_strmap_put(&E->nodes, copy, (int)c->nnodes - 1)) {
        qp_elab_nomem(E);
        return 0;
    }
    return (int)c->nnodes - 1;
}

char *qp_elab_join(const char *prefix, const char *name)
{
    size_t a = strlen(prefix), b = strlen(name);
    char *s = malloc(a + b + 1);
    if (s) {
        memcpy(s, prefix, a);
        memcpy(s + a, name, b + 1);
    }
    return s;
}

int qp_elab_map_node(elab *E, const inst_ctx *ic, const qp_token *t, int *out)
{
    if (t->kind != QP_TOK_WORD) {
        ERR(E, t->loc, "expected a node name");
        return 0;
    }
    if (qp_elab_is_ground(t->text)) {
        *out = 0;
        return 1;
    }
    if (ic->sub) {
        for (size_t k = 0; k < ic->sub->nports; k++) {
            if (strcmp(ic->sub->ports[k]->text, t->text) == 0) {
                *out = ic->portmap[k];
                return 1;
            }
        }
    }
    char *full = qp_elab_join(ic->prefix, t->text);
    if (!full) {
        qp_elab_nomem(E);
        return 0;
    }
    *out = intern_node(E, full);
    free(full);
    return E->st == QP_OK;
}

qp_element *qp_elab_new_element(elab *E, const qp_elem_stmt *es, const inst_ctx *ic,
                                qp_elem_kind kind)
{
    qp_circuit *c = E->c;
    if (c->nelem >= QP_MAX_ELEMENTS) {
        if (!E->too_big) {
            ERR(E, es->loc, "the flattened circuit has more than %d elements", QP_MAX_ELEMENTS);
            E->too_big = 1;
        }
        return NULL;
    }
    char *name = qp_elab_join(ic->prefix, es->name->text);
    if (!name) {
        qp_elab_nomem(E);
        return NULL;
    }
    int prev = qp_strmap_get(&E->elems, name);
    if (prev != -1) {
        ERR(E, es->name->loc, "element name '%s' is used twice", name);
        if (prev >= 0) {
            NOTE(E, c->elem[prev].loc, "first use of '%s' is here", c->elem[prev].name);
        } else {
            NOTE(E, E->dropped_loc[-2 - prev], "first use of '%s' is here", name);
        }
        free(name);
        return NULL;
    }
    qp_element el = {0};
    el.kind = kind;
    el.name = name;
    el.loc = es->loc;
    el.lk[0] = el.lk[1] = -1;
    el.area = 1.0;
    if (!QP_PUSH(c->elem, c->nelem, el)) {
        free(name);
        qp_elab_nomem(E);
        return NULL;
    }
    if (!qp_strmap_put(&E->elems, name, (int)c->nelem - 1)) {
        qp_elab_nomem(E);
        return NULL;
    }
    return &c->elem[c->nelem - 1];
}

/* Drops the element just added (after an error in its values). */
void qp_elab_drop_last(elab *E)
{
    qp_circuit *c = E->c;
    qp_element *el = &c->elem[c->nelem - 1];
    /* Keep the name taken (value -2) so that later references give no cascaded errors; the map
     * borrows the string, so it moves to the dropped list until elaboration ends. */
    int code = -2 - (int)E->ndropped; /* decoded by dropped_index() */
    if (!qp_strmap_put(&E->elems, el->name, code) || !QP_PUSH(E->dropped, E->ndropped, el->name) ||
        !QP_PUSH(E->dropped_loc, E->ndropped_loc, el->loc)) {
        free(el->name); /* out of memory: elaboration stops before the map is read again */
        qp_elab_nomem(E);
    }
    free(el->wave.p);
    free(el->model);
    c->nelem--;
}

const char *qp_elab_letter_name(char letter)
{
    switch (letter) {
    case 'C':
        return "capacitor";
    case 'L':
        return "inductor";
    case 'B':
        return "Josephson junction";
    case 'Q':
        return "phase-slip junction";
    case 'K':
        return "mutual inductance";
    case 'R':
        return "resistor";
    case 'I':
        return "current source";
    case 'V':
        return "voltage source";
    case 'P':
        return "phase source";
    case 'E':
        return "voltage-controlled voltage source";
    case 'G':
        return "voltage-controlled current source";
    case 'F':
        return "current-controlled current source";
    case 'H':
        return "current-controlled voltage source";
    case 'T':
        return "transmission line";
    default:
        return "subcircuit instance";
    }
}

/* Finds key `k` among kv pairs; reports unknown keys against the allowed list. */
static int check_keys(elab *E, const qp_elem_stmt *es, const char *const *allowed, size_t na)
{
    int ok = 1;
    for (size_t i = 0; i < es->nkv; i++) {
        int found = 0;
        for (size_t k = 0; k < na; k++) {
            if (qp_ieq(es->kv[i].key->text, allowed[k])) {
                found = 1;
            }
        }
        if (!found) {
            char list[128] = "";
            size_t used = 0;
            for (size_t k = 0; k < na && used < sizeof list - 16; k++) {
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s=",
                                         k ? ", " : "", allowed[k]);
            }
            qp_suggest sg;
            qp_suggest_init(&sg, es->kv[i].key->text);
            for (size_t k = 0; k < na; k++) {
                qp_suggest_offer(&sg, allowed[k]);
            }
            const char *best = qp_suggest_best(&sg);
            if (na && best) {
                ERR(E, es->kv[i].key->loc, "unknown key '%s' for %s %s (did you mean '%s='?)",
                    es->kv[i].key->text, qp_elab_letter_name(es->letter), es->name->text, best);
            } else if (na) {
                ERR(E, es->kv[i].key->loc, "unknown key '%s' for %s %s (expected %s)",
                    es->kv[i].key->text, qp_elab_letter_name(es->letter), es->name->text, list);
            } else {
                ERR(E, es->kv[i].key->loc, "%s %s takes no key=value options",
                    qp_elab_letter_name(es->letter), es->name->text);
            }
            ok = 0;
        }
    }
    for (size_t i = 0; i < es->nkv; i++) {
        for (size_t j = 0; j < i; j++) {
            if (qp_ieq(es->kv[i].key->text, es->kv[j].key->text)) {
                ERR(E, es->kv[i].key->loc, "key '%s' is given twice", es->kv[i].key->text);
                ok = 0;
            }
        }
    }
    return ok;
}

static const qp_token *get_kv(const qp_elem_stmt *es, const char *key)
{
    for (size_t i = 0; i < es->nkv; i++) {
        if (qp_ieq(es->kv[i].key->text, key)) {
            return es->kv[i].val;
        }
    }
    return NULL;
}

/* The key token of a key=value pair, to place messages about the key itself. */
static const qp_token *kv_key(const qp_elem_stmt *es, const char *key)
{
    for (size_t i = 0; i < es->nkv; i++) {
        if (qp_ieq(es->kv[i].key->text, key)) {
            return es->kv[i].key;
        }
    }
    return NULL;
}

int qp_elab_positive(elab *E, const qp_token *t, double v, const char *what, const char *name)
{
    if (v > 0.0) {
        return 1;
    }
    ERR(E, t->loc, "%s of %s must be positive (got %g)", what, name, v);
    return 0;
}

static int extra_args(elab *E, const qp_elem_stmt *es, size_t used)
{
    if (es->npos > used) {
        ERR(E, es->pos[used]->loc, "unexpected '%s' after %s %s", es->pos[used]->text,
            qp_elab_letter_name(es->letter), es->name->text);
        return 1;
    }
    return 0;
}

/* The .coherence override of one element (qcap= on C, qind= on L, xqp= on B): a positive
 * number into el->noise. */
static int noise_key(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, const char *key,
                     qp_element *el)
{
    const qp_token *t = key ? get_kv(es, key) : NULL;
    double v = 0.0;
    if (!t) {
        return 1;
    }
    /* the dual's form: a capacitor's default Q(f) on an inductor and the other way round */
    int qcap = strcmp(key, "qcap") == 0, qind = strcmp(key, "qind") == 0;
    const char *form = qcap ? "inductive" : qind ? "capacitive" : NULL;
    if (form && t->kind == QP_TOK_WORD && qp_ieq(t->text, form)) {
        el->noise_form = qcap ? 'l' : 'c';
        return 1;
    }
    if (!qp_elab_eval_tok(E, ic->sc, t, QP_QTY_NONE, &v) ||
        !qp_elab_positive(E, t, v, key, es->name->text)) {
        return 0;
    }
    el->noise = v;
    return 1;
}

/* C, L, R: a positional value or an energy key. */
int qp_elab_linear(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el)
{
    static const char *const ckeys[] = {"ec", "qcap"};
    static const char *const lkeys[] = {"el", "qind"};
    const char *ekey = es->letter == 'C' ? "ec" : es->letter == 'L' ? "el" : NULL;
    const char *nkey = es->letter == 'C' ? "qcap" : es->letter == 'L' ? "qind" : NULL;
    qp_quantity q = es->letter == 'C'   ? QP_QTY_CAPACITANCE
                    : es->letter == 'L' ? QP_QTY_INDUCTANCE
                                        : QP_QTY_RESISTANCE;
    if (!check_keys(E, es, es->letter == 'C' ? ckeys : lkeys, ekey ? 2 : 0) ||
        !noise_key(E, es, ic, nkey, el)) {
        return 0;
    }
    const qp_token *ev = ekey ? get_kv(es, ekey) : NULL;
    const qp_token *pv = es->npos > 2 ? es->pos[2] : NULL;
    if (pv && ev) {
        ERR(E, kv_key(es, ekey)->loc, "%s %s has both a value and %s=: keep one",
            qp_elab_letter_name(es->letter), es->name->text, ekey);
        return 0;
    }
    if (!pv && !ev) {
        ERR(E, es->loc, "%s %s needs a value%s%s%s", qp_elab_letter_name(es->letter),
            es->name->text, ekey ? " or " : "", ekey ? ekey : "", ekey ? "=" : "");
        return 0;
    }
    if (extra_args(E, es, 3)) {
        return 0;
    }
    double v;
    if (pv) {
        if (!qp_elab_eval_tok(E, ic->sc, pv, q, &v) ||
            !qp_elab_positive(E, pv, v, "value", es->name->text)) {
            return 0;
        }
        el->value = v;
        return 1;
    }
    if (!qp_elab_eval_tok(E, ic->sc, ev, QP_QTY_ENERGY, &v) ||
        !qp_elab_positive(E, ev, v, ekey, es->name->text)) {
        return 0;
    }
    el->value = es->letter == 'C' ? qp_units_c_from_ec(v) : qp_units_l_from_el(v);
    return 1;
}

/* The numeric value of a key=value that ends one blank before word t when t is a unit
 * (`ej=5 GHz`), else NULL. */
static const qp_token *unit_after_space(const qp_elem_stmt *es, const qp_token *t)
{
    char buf[64];
    double v;
    size_t errpos;
    if (t->kind != QP_TOK_WORD || t->len + 2 > sizeof buf) {
        return NULL;
    }
    snprintf(buf, sizeof buf, "1%s", t->text);
    int unit = 0;
    for (int q = QP_QTY_CAPACITANCE; q <= QP_QTY_TEMPERATURE && !unit; q++) {
        unit = qp_units_parse(buf, strlen(buf), (qp_quantity)q, &v, &errpos, NULL) == QP_NUM_OK;
    }
    for (size_t k = 0; unit && k < es->nkv; k++) {
        const qp_token *val = es->kv[k].val;
        if (val->kind == QP_TOK_WORD && val->loc.file == t->loc.file &&
            val->loc.line == t->loc.line && val->loc.col + (int)val->len + 1 == t->loc.col &&
            qp_units_is_numeric(val->text, val->len)) {
            return val;
        }
    }
    return NULL;
}

static const model_val *find_model(elab *E, const qp_elem_stmt *es, int want_qps)
{
    if (es->npos < 3) {
        return NULL;
    }
    const qp_token *t = es->pos[es->npos > 3 && es->letter == 'B' ? 3 : 2];
    int i = -1;
    /* a model written in the subcircuits being instantiated first (innermost out), then the
     * top level's */
    for (int k = E->ninst - 1; t->kind == QP_TOK_WORD && i < 0 && k >= 0; k--) {
        char key[600];
        qp_elab_model_key(E->deck, (int)(E->inst[k] - E->deck->subckts), t->text, key,
                          sizeof key);
        i = qp_strmap_get(&E->models, key);
    }
    if (i < 0 && t->kind == QP_TOK_WORD) {
        i = qp_strmap_get(&E->models, t->text);
    }
    if (i < 0) {
        const qp_token *before = unit_after_space(es, t);
        if (before) {
            ERR(E, t->loc, "unknown model '%s': a unit follows its number without a space "
                "(did you mean '%s%s'?)", t->text, before->text, t->text);
        } else if (t->kind == QP_TOK_WORD && !qp_units_is_numeric(t->text, t->len)) {
            char hint[HINT_MAX];
            ERR(E, t->loc, "unknown model '%s'%s", t->text,
                qp_suggest_map_hint(&E->models, t->text, hint, sizeof hint));
        } else {
            ERR(E, t->loc, "expected a model name or key=value after the nodes of %s",
                es->name->text);
        }
        return (const model_val *)-1;
    }
    const model_val *mv = &E->mv[i];
    if (mv->is_qps != want_qps) {
        ERR(E, t->loc, "model '%s' is a %s model, but %s is a %s", t->text,
            mv->is_qps ? "qps" : "jj", es->name->text, qp_elab_letter_name(es->letter));
        NOTE(E, mv->def->loc, "model '%s' is defined here", t->text);
        return (const model_val *)-1;
    }
    return mv->ok ? mv : (const model_val *)-1;
}

/* JoSIM's subgap model from model mv (its default rtype when r0 or vg is given), with JoSIM's
 * defaults for what the model leaves out; the resistances scale with 1/area as rn does. */
static void subgap(const model_val *mv, double area, qp_element *el)
{
    if (!mv || !(mv->rtype == 1 || (mv->rtype < 0 && (mv->r0 > 0.0 || mv->vg > 0.0)))) {
        return;
    }
    el->rtype = 1;
    el->r0 = (mv->r0 > 0.0 ? mv->r0 : 30.0) / area;
    el->vg = mv->vg > 0.0 ? mv->vg : 2.8e-3;
    el->delv = mv->delv > 0.0 ? mv->delv : 0.1e-3;
    el->icfct = mv->icfct > 0.0 ? mv->icfct : QP_PI / 4.0;
    if (!(el->rn > 0.0)) {
        el->rn = 5.0 / area;
    }
}

/* JoSIM/WRspice's B n+ n- PHASENODE model: the phase node is not created (warned). */
static void phase_node(elab *E, const qp_elem_stmt *es)
{
    if (es->npos > 3) {
        const qp_token *pn = es->pos[2];
        WARN(E, pn->loc, "phase node '%s' of %s is not created: its phase is printed as P(%s)",
             pn->text, es->name->text, es->name->text);
    }
}

int qp_elab_junction(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el)
{
    static const char *const keys[] = {"ic",   "icrit", "ej",    "c",  "cap",
                                       "ec",   "area",  "rn",    "bloch", "xqp"};
    if (!check_keys(E, es, keys, sizeof keys / sizeof keys[0]) ||
        !noise_key(E, es, ic, "xqp", el)) {
        return 0;
    }
    const model_val *mv = find_model(E, es, 0);
    if (mv == (const model_val *)-1 || extra_args(E, es, es->npos > 3 ? 4 : 3)) {
        return 0;
    }
    phase_node(E, es);
    const qp_token *t_ic = get_kv(es, "ic") ? get_kv(es, "ic") : get_kv(es, "icrit");
    const qp_token *t_ej = get_kv(es, "ej");
    const qp_token *t_c = get_kv(es, "c") ? get_kv(es, "c") : get_kv(es, "cap");
    const qp_token *t_ec = get_kv(es, "ec");
    const qp_token *t_area = get_kv(es, "area");
    const qp_token *t_rn = get_kv(es, "rn");
    if ((get_kv(es, "ic") && get_kv(es, "icrit")) || (get_kv(es, "c") && get_kv(es, "cap"))) {
        ERR(E, es->loc, "%s gives the same quantity twice (ic/icrit or c/cap)", es->name->text);
        return 0;
    }
    if (t_ic && t_ej) {
        ERR(E, kv_key(es, "ej")->loc, "%s gives both ic= and ej=: keep one", es->name->text);
        return 0;
    }
    if (t_c && t_ec) {
        ERR(E, kv_key(es, "ec")->loc, "%s gives both c= and ec=: keep one", es->name->text);
        return 0;
    }
    double area = 1.0, v;
    if (t_area) {
        if (!qp_elab_eval_tok(E, ic->sc, t_area, QP_QTY_NONE, &area) ||
            !qp_elab_positive(E, t_area, area, "area", es->name->text)) {
            return 0;
        }
    }
    /* area scales the junction's critical current and capacitance (and divides its rn),
     * whether the line or the model gives them: the line's keys replace the model's, then the
     * area applies (JoSIM instead replaces the area by ic/icrit when ic= is written) */
    el->area = area;
    if (t_ic) {
        if (!qp_elab_eval_tok(E, ic->sc, t_ic, QP_QTY_CURRENT, &v) ||
            !qp_elab_positive(E, t_ic, v, "critical current", es->name->text)) {
            return 0;
        }
        el->ic = area * v;
    } else if (t_ej) {
        if (!qp_elab_eval_tok(E, ic->sc, t_ej, QP_QTY_ENERGY, &v) ||
            !qp_elab_positive(E, t_ej, v, "ej", es->name->text)) {
            return 0;
        }
        el->ic = area * qp_units_ic_from_ej(v);
    } else if (mv && (mv->has_ic || mv->has_ej)) {
        el->ic = area * (mv->has_ic ? mv->ic : qp_units_ic_from_ej(mv->ej));
    } else {
        ERR(E, es->loc, "Josephson junction %s has no critical current: give ic= or ej=%s",
            es->name->text, mv ? " (its model has no icrit or ej)" : " or a model");
        return 0;
    }
    if (t_c) {
        if (!qp_elab_eval_tok(E, ic->sc, t_c, QP_QTY_CAPACITANCE, &v)) {
            return 0;
        }
        if (v < 0.0) {
            ERR(E, t_c->loc, "capacitance of %s must not be negative (got %g)", es->name->text, v);
            return 0;
        }
        el->cap = area * v;
    } else if (t_ec) {
        if (!qp_elab_eval_tok(E, ic->sc, t_ec, QP_QTY_ENERGY, &v) ||
            !qp_elab_positive(E, t_ec, v, "ec", es->name->text)) {
            return 0;
        }
        el->cap = area * qp_units_c_from_ec(v);
    } else if (mv && (mv->has_cap || mv->has_ec)) {
        el->cap = area * (mv->has_cap ? mv->cap : qp_units_c_from_ec(mv->ec));
    }
    if (t_rn) {
        if (!qp_elab_eval_tok(E, ic->sc, t_rn, QP_QTY_RESISTANCE, &v) ||
            !qp_elab_positive(E, t_rn, v, "rn", es->name->text)) {
            return 0;
        }
        el->rn = v / area;
    } else if (mv && mv->has_rn) {
        el->rn = mv->rn / area;
    }
    subgap(mv, area, el);
    const qp_token *t_bl = get_kv(es, "bloch");
    if (t_bl) {
        if (!qp_elab_eval_tok(E, ic->sc, t_bl, QP_QTY_NONE, &v)) {
            return 0;
        }
        if (v != 0.0 && v != 1.0) {
            ERR(E, t_bl->loc, "bloch= of %s must be 0 (RCSJ in .tran) or 1 (lowest Bloch band)",
                es->name->text);
            return 0;
        }
        el->bloch = v == 1.0;
    }
    if (mv && !(el->model = qp_strdup(mv->def->name->text))) {
        qp_elab_nomem(E);
        return 0;
    }
    return 1;
}

int qp_elab_qps(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el)
{
    static const char *const keys[] = {"es", "vc"};
    if (!check_keys(E, es, keys, 2)) {
        return 0;
    }
    const model_val *mv = find_model(E, es, 1);
    if (mv == (const model_val *)-1 || extra_args(E, es, 3)) {
        return 0;
    }
    const qp_token *t_es = get_kv(es, "es");
    const qp_token *t_vc = get_kv(es, "vc");
    double v;
    if (t_es && t_vc) {
        ERR(E, kv_key(es, "vc")->loc, "%s gives both es= and vc=: keep one", es->name->text);
        return 0;
    }
    if (t_es) {
        if (!qp_elab_eval_tok(E, ic->sc, t_es, QP_QTY_ENERGY, &v) ||
            !qp_elab_positive(E, t_es, v, "es", es->name->text)) {
            return 0;
        }
        el->vc = qp_units_vc_from_es(v);
    } else if (t_vc) {
        if (!qp_elab_eval_tok(E, ic->sc, t_vc, QP_QTY_VOLTAGE, &v) ||
            !qp_elab_positive(E, t_vc, v, "vc", es->name->text)) {
            return 0;
        }
        el->vc = v;
    } else if (mv && (mv->has_es || mv->has_vc)) {
        el->vc = mv->has_vc ? mv->vc : qp_units_vc_from_es(mv->es);
    } else {
        ERR(E, es->loc, "phase-slip junction %s has no amplitude: give es= or vc=%s",
            es->name->text, mv ? " (its model has neither)" : " or a model");
        return 0;
    }
    if (mv && !(el->model = qp_strdup(mv->def->name->text))) {
        qp_elab_nomem(E);
        return 0;
    }
    return 1;
}

int qp_elab_mutual(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el)
{
    if (!check_keys(E, es, NULL, 0)) {
        return 0;
    }
    if (es->npos < 3) {
        ERR(E, es->loc, "mutual inductance %s needs two inductor names and a coupling factor",
            es->name->text);
        return 0;
    }
    if (extra_args(E, es, 3)) {
        return 0;
    }
    for (int k = 0; k < 2; k++) {
        if (es->pos[k]->kind != QP_TOK_WORD) {
            ERR(E, es->pos[k]->loc, "expected an inductor name");
            return 0;
        }
    }
    double k;
    if (!qp_elab_eval_tok(E, ic->sc, es->pos[2], QP_QTY_NONE, &k)) {
        return 0;
    }
    if (!(fabs(k) < 1.0)) {
        ERR(E, es->pos[2]->loc, "coupling factor of %s must satisfy |k| < 1 (got %g)",
            es->name->text, k);
        return 0;
    }
    el->value = k;
    pending_k pk = {qp_elab_join(ic->prefix, es->pos[0]->text),
                    qp_elab_join(ic->prefix, es->pos[1]->text), es->pos[0], es->pos[1],
                    (int)E->c->nelem - 1};
    if (!pk.l1 || !pk.l2 || !QP_PUSH(E->pk, E->npk, pk)) {
        free(pk.l1);
        free(pk.l2);
        qp_elab_nomem(E);
        return 0;
    }
    return 1;
}

/* Evaluates the arguments of a source function with their quantities. */
static int eval_fargs(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, const qp_quantity *q,
                      size_t nq_min, size_t nq_max, qp_element *el)
{
    if (es->nfargs < nq_min || es->nfargs > nq_max) {
        ERR(E, es->fn->loc, "%s(...) takes %zu to %zu values, got %zu", es->fn->text, nq_min,
            nq_max, es->nfargs);
        return 0;
    }
    el->wave.p = calloc(nq_max, sizeof(double));
    if (!el->wave.p) {
        qp_elab_nomem(E);
        return 0;
    }
    el->wave.np = es->nfargs;
    for (size_t i = 0; i < es->nfargs; i++) {
        if (!qp_elab_eval_tok(E, ic->sc, es->fargs[i], q[i], &el->wave.p[i])) {
            return 0;
        }
        if (q[i] == QP_QTY_TIME && el->wave.p[i] < 0.0) {
            ERR(E, es->fargs[i]->loc, "time in %s(...) must not be negative", es->fn->text);
            return 0;
        }
    }
    return 1;
}

/* JoSIM's phase source P: its pwl phase (rad) becomes the voltage Phi0/2pi dphi/dt of a
 * voltage source, a step per segment (the phase starts at 0 like every state). */
static int phase_source(elab *E, const qp_elem_stmt *es, qp_element *el)
{
    qp_wave *w = &el->wave;
    if (w->kind != QP_WAVE_PWL || w->dc != 0.0 || w->p[1] != 0.0) {
        ERR(E, es->fn ? es->fn->loc : es->loc, "phase source %s takes pwl(...) starting at phase "
            "0 (every state starts at 0 in .tran)", es->name->text);
        return 0;
    }
    size_t m = w->np / 2;
    double *v = calloc(4 * m + 2, sizeof *v), *p = w->p;
    if (!v) {
        qp_elab_nomem(E);
        return 0;
    }
    size_t k = 0;
    v[k++] = 0.0, v[k++] = 0.0;
    for (size_t i = 0; i + 1 < m; i++) {
        double dt = p[2 * i + 2] - p[2 * i];
        if (!(dt > 0.0)) {
            ERR(E, es->fargs[2 * i + 2]->loc, "phase source %s jumps at %g s: its voltage would be "
                "infinite", es->name->text, p[2 * i]);
            free(v);
            return 0;
        }
        double s = QP_PHI0 / (2.0 * QP_PI) * (p[2 * i + 3] - p[2 * i + 1]) / dt;
        v[k++] = p[2 * i], v[k++] = s, v[k++] = p[2 * i + 2], v[k++] = s;
    }
    v[k++] = p[2 * m - 2], v[k++] = 0.0; /* constant phase after the last point */
    free(w->p);
    w->p = v;
    w->np = k;
    return 1;
}

static int source(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el);

int qp_elab_source(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el)
{
    int ok = source(E, es, ic, el);
    return ok && es->letter == 'P' ? phase_source(E, es, el) : ok;
}

static int source(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el)
{
    if (!check_keys(E, es, NULL, 0)) {
        return 0;
    }
    qp_quantity q = es->letter == 'I' ? QP_QTY_CURRENT
                  : es->letter == 'P' ? QP_QTY_NONE : QP_QTY_VOLTAGE;
    size_t i = 2;
    if (i < es->npos && es->pos[i]->kind == QP_TOK_WORD && qp_ieq(es->pos[i]->text, "dc")) {
        i++;
        if (i >= es->npos) {
            ERR(E, es->pos[i - 1]->loc, "expected a value after 'dc'");
            return 0;
        }
    }
    if (i < es->npos) {
        if (!qp_elab_eval_tok(E, ic->sc, es->pos[i], q, &el->wave.dc)) {
            return 0;
        }
        i++;
    } else if (!es->fn) {
        ERR(E, es->loc, "%s %s needs a value: dc VALUE, sin(...), pwl(...) or pulse(...)",
            qp_elab_letter_name(es->letter), es->name->text);
        return 0;
    }
    if (extra_args(E, es, i)) {
        return 0;
    }
    if (!es->fn) {
        el->wave.kind = QP_WAVE_DC;
        return 1;
    }
    const char *fn = es->fn->text;
    if (qp_ieq(fn, "sin")) {
        const qp_quantity qs[] = {q, q, QP_QTY_FREQUENCY, QP_QTY_TIME, QP_QTY_NONE, QP_QTY_NONE};
        el->wave.kind = QP_WAVE_SIN;
        /* sin(VO VA): JoSIM's short form, one period over the run (FREQ 0 = 1/TSTOP) */
        if (!eval_fargs(E, es, ic, qs, 2, 6, el)) {
            return 0;
        }
        if (es->nfargs >= 3 && !(el->wave.p[2] > 0.0)) {
            ERR(E, es->fargs[2]->loc, "frequency of sin(...) must be positive");
            return 0;
        }
        return 1;
    }
    if (qp_ieq(fn, "pulse")) {
        const qp_quantity qs[] = {q, q, QP_QTY_TIME, QP_QTY_TIME, QP_QTY_TIME, QP_QTY_TIME,
                                  QP_QTY_TIME};
        el->wave.kind = QP_WAVE_PULSE;
        return eval_fargs(E, es, ic, qs, 2, 7, el);
    }
    if (qp_ieq(fn, "pwl")) {
        el->wave.kind = QP_WAVE_PWL;
        if (es->nfargs < 2 || es->nfargs % 2 != 0) {
            ERR(E, es->fn->loc, "pwl(...) takes pairs of time and value, got %zu numbers",
                es->nfargs);
            return 0;
        }
        el->wave.p = calloc(es->nfargs, sizeof(double));
        if (!el->wave.p) {
            qp_elab_nomem(E);
            return 0;
        }
        el->wave.np = es->nfargs;
        for (size_t k = 0; k < es->nfargs; k++) {
            if (!qp_elab_eval_tok(E, ic->sc, es->fargs[k], k % 2 ? q : QP_QTY_TIME,
                                  &el->wave.p[k])) {
                return 0;
            }
            if (k % 2 == 0 && (el->wave.p[k] < 0.0 || (k >= 2 && el->wave.p[k] < el->wave.p[k - 2]))) {
                ERR(E, es->fargs[k]->loc,
                    "pwl(...) times must be non-negative and non-decreasing");
                return 0;
            }
        }
        return 1;
    }
    ERR(E, es->fn->loc, "unknown source function '%s' (expected sin, pwl or pulse)", fn);
    return 0;
}
