/* Elaboration of subcircuit instances (X lines), the element dispatcher and mutual inductances. */
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

/* 0 after reporting that instance es of sub would instantiate sub inside itself, or nest
 * deeper than QP_MAX_SUBCKT_DEPTH (counted before expanding, elab_count.c: reported once, not
 * once per branch, and the expansion stops). */
static int nesting_ok(elab *E, const qp_elem_stmt *es, const qp_subckt_def *sub)
{
    for (int k = 0; k < E->ninst; k++) {
        if (E->inst[k] == sub) {
            ERR(E, es->loc, "subcircuit %s instantiates itself through %s", sub->name->text,
                es->name->text);
            return 0;
        }
    }
    if (E->ninst >= QP_MAX_SUBCKT_DEPTH) {
        ERR(E, es->loc, "subcircuits nested more than %d deep", QP_MAX_SUBCKT_DEPTH);
        E->too_big = 1;
        return 0;
    }
    return 1;
}

static void elab_instance(elab *E, const qp_elem_stmt *es, const inst_ctx *ic)
{
    if (es->npos < 1 || es->pos[es->npos - 1]->kind != QP_TOK_WORD) {
        ERR(E, es->loc, "subcircuit instance %s needs nodes and a subcircuit name",
            es->name->text);
        return;
    }
    char *iname = qp_elab_join(ic->prefix, es->name->text);
    if (!iname) {
        qp_elab_nomem(E);
        return;
    }
    int previ = qp_strmap_get(&E->insts, iname);
    if (previ >= 0) {
        ERR(E, es->name->loc, "instance name '%s' is used twice", iname);
        NOTE(E, E->inst_loc[previ], "first use of '%s' is here", iname);
        free(iname);
        return;
    }
    if (!QP_PUSH(E->inst_names, E->ninst_names, iname)) {
        free(iname);
        qp_elab_nomem(E);
        return;
    }
    if (!QP_PUSH(E->inst_loc, E->ninst_loc, es->name->loc) ||
        !qp_strmap_put(&E->insts, iname, (int)E->ninst_loc - 1)) {
        qp_elab_nomem(E);
        return;
    }
    const qp_token *sn = es->pos[es->npos - 1];
    int si = qp_strmap_get(&E->subckts, sn->text);
    if (si < 0) {
        ERR(E, sn->loc, "unknown subcircuit '%s'", sn->text);
        return;
    }
    const qp_subckt_def *sub = &E->deck->subckts[si];
    if (sub->bad) {
        return; /* its definition line had an error, already reported */
    }
    size_t nn = es->npos - 1;
    if (nn != sub->nports) {
        ERR(E, es->loc, "%s connects %zu node%s but subcircuit %s has %zu port%s",
            es->name->text, nn, nn == 1 ? "" : "s", sub->name->text, sub->nports,
            sub->nports == 1 ? "" : "s");
        NOTE(E, sub->loc, "subcircuit %s is defined here", sub->name->text);
        return;
    }
    if (!nesting_ok(E, es, sub)) {
        return;
    }
    int *portmap = calloc(nn ? nn : 1, sizeof *portmap);
    char *prefix = malloc(strlen(ic->prefix) + es->name->len + 2);
    scope sc = {0};
    sc.map.nocase = 1;
    sc.parent = &E->global;
    if (!portmap || !prefix) {
        qp_elab_nomem(E);
        goto done;
    }
    sprintf(prefix, "%s%s.", ic->prefix, es->name->text);
    for (size_t k = 0; k < nn; k++) {
        if (!qp_elab_map_node(E, ic, es->pos[k], &portmap[k])) {
            goto done;
        }
    }
    /* Instance values are evaluated where the instance is written. */
    for (size_t k = 0; k < es->nkv; k++) {
        const qp_token *key = es->kv[k].key;
        int declared = 0;
        for (size_t j = 0; j < sub->ndefaults; j++) {
            if (qp_ieq(sub->defaults[j].key->text, key->text)) {
                declared = 1;
            }
        }
        if (!declared) {
            ERR(E, key->loc, "subcircuit %s has no parameter '%s'", sub->name->text, key->text);
            NOTE(E, sub->loc, "subcircuit %s is defined here", sub->name->text);
            goto done;
        }
        double v;
        if (!qp_elab_eval_tok(E, ic->sc, es->kv[k].val, QP_QTY_ANY, &v)) {
            goto done;
        }
        qp_elab_scope_add_value(E, &sc, key->text, v, ic->sc, es->kv[k].val, key->loc);
    }
    for (size_t j = 0; j < sub->ndefaults; j++) {
        if (qp_strmap_get(&sc.map, sub->defaults[j].key->text) < 0) {
            qp_elab_scope_add(E, &sc, sub->defaults[j].key->text, sub->defaults[j].val, 0.0, 0,
                              sub->defaults[j].key->loc);
        }
    }
    for (size_t j = 0; j < sub->body.nparams; j++) {
        const qp_param_def *pd = &sub->body.params[j];
        int prev = qp_strmap_get(&sc.map, pd->name->text);
        if (prev >= 0) {
            ERR(E, pd->name->loc, "parameter '%s' is both a .subckt parameter and a .param "
                "inside %s", pd->name->text, sub->name->text);
            goto done;
        }
        qp_elab_scope_add(E, &sc, pd->name->text, pd->value, 0.0, 0, pd->name->loc);
    }
    if (E->st != QP_OK) {
        goto done;
    }
    inst_ctx child = {prefix, sub, portmap, &sc};
    E->inst[E->ninst++] = sub;
    qp_elab_instantiate(E, &sub->body, &child);
    E->ninst--;
done:
    qp_elab_scope_free(&sc);
    free(portmap);
    free(prefix);
}

/* The token that gave a value of es: the first of keys written (NULL ends them; "" is the
 * positional value), else NULL (the value came from a model). */
static const qp_token *value_tok(const qp_elem_stmt *es, const char *const *keys)
{
    for (; *keys; keys++) {
        if (!**keys && es->npos > 2) {
            return es->pos[2];
        }
        for (size_t i = 0; i < es->nkv && **keys; i++) {
            if (qp_ieq(es->kv[i].key->text, *keys)) {
                return es->kv[i].val;
            }
        }
    }
    return NULL;
}

/* Values must be finite after conversion (ec=1e-300 would make an infinite capacitance), and
 * the energies derived from the SI values (EC, EL, EJ, ES) within QP_ELEMENT_ENERGY_MIN_GHZ ..
 * _MAX_GHZ: C = 1e300 F gives an EC that underflows to 0, which would silently drop the
 * capacitor from every spectrum. (Spectra check their narrower range when they quantize.) */
static int in_range(elab *E, const qp_elem_stmt *es, const qp_element *el)
{
    static const char *const ckeys[] = {"", "ec", NULL}, *const lkeys[] = {"", "el", NULL};
    static const char *const jkeys[] = {"ic", "ej", "area", NULL};
    static const char *const jckeys[] = {"c", "ec", "area", NULL};
    static const char *const skeys[] = {"es", "vc", NULL};
    struct {
        const char *name;
        double e, si;
        const char *unit;
        const char *const *keys;
    } d[4] = {{"EC", qp_element_ec(el), el->kind == QP_EL_B ? el->cap : el->value, "F",
               el->kind == QP_EL_B ? jckeys : ckeys},
              {"EL", qp_element_el(el), el->value, "H", lkeys},
              {"EJ", qp_element_ej(el), el->ic, "A", jkeys},
              {"ES", qp_element_es(el), el->vc, "V", skeys}};
    int bad = !isfinite(el->value) || !isfinite(el->ic) || !isfinite(el->cap) ||
              !isfinite(el->vc) || !isfinite(el->rn);
    for (int k = 0; k < 4; k++) {
        bad |= !isfinite(d[k].e);
    }
    if (bad) {
        ERR(E, es->loc, "a value of %s is out of range (not a finite number after conversion)",
            es->name->text);
        return 0;
    }
    int kinds[4] = {el->kind == QP_EL_C || el->kind == QP_EL_B, el->kind == QP_EL_L,
                    el->kind == QP_EL_B, el->kind == QP_EL_Q};
    for (int k = 0; k < 4; k++) {
        if (!kinds[k] || d[k].si == 0.0 ||
            (d[k].e >= QP_ELEMENT_ENERGY_MIN_GHZ && d[k].e <= QP_ELEMENT_ENERGY_MAX_GHZ)) {
            continue;
        }
        const qp_token *t = value_tok(es, d[k].keys);
        qp_loc at = t ? t->loc : es->loc;
        ERR(E, at, "%s of %s is %g GHz (from %g %s), outside the range %g to %g GHz that qpsim "
            "handles: check the value and its scale suffix", d[k].name, es->name->text, d[k].e,
            fabs(d[k].si), d[k].unit, QP_ELEMENT_ENERGY_MIN_GHZ, QP_ELEMENT_ENERGY_MAX_GHZ);
        return 0;
    }
    return 1;
}

static void elab_element(elab *E, const qp_elem_stmt *es, const inst_ctx *ic)
{
    if (es->letter == 'X') {
        elab_instance(E, es, ic);
        return;
    }
    qp_elem_kind kind;
    switch (es->letter) {
    case 'C':
        kind = QP_EL_C;
        break;
    case 'L':
        kind = QP_EL_L;
        break;
    case 'B':
        kind = QP_EL_B;
        break;
    case 'Q':
        kind = QP_EL_Q;
        break;
    case 'K':
        kind = QP_EL_K;
        break;
    case 'R':
        kind = QP_EL_R;
        break;
    case 'I':
        kind = QP_EL_I;
        break;
    case 'E':
        kind = QP_EL_E;
        break;
    case 'G':
        kind = QP_EL_G;
        break;
    case 'F':
        kind = QP_EL_F;
        break;
    case 'H':
        kind = QP_EL_H;
        break;
    case 'T':
        kind = QP_EL_T;
        break;
    default:
        kind = QP_EL_V;
        break;
    }
    int nodes[2] = {0, 0};
    if (kind != QP_EL_K) {
        if (es->npos < 2) {
            ERR(E, es->loc, "%s %s needs two nodes", qp_elab_letter_name(es->letter),
                es->name->text);
            return;
        }
        for (int k = 0; k < 2; k++) {
            if (!qp_elab_map_node(E, ic, es->pos[k], &nodes[k])) {
                return;
            }
        }
    }
    qp_element *el = qp_elab_new_element(E, es, ic, kind);
    if (!el) {
        return;
    }
    el->n[0] = nodes[0];
    el->n[1] = nodes[1];
    int ok;
    switch (kind) {
    case QP_EL_C:
    case QP_EL_L:
    case QP_EL_R:
        ok = qp_elab_linear(E, es, ic, el);
        break;
    case QP_EL_B:
        ok = qp_elab_junction(E, es, ic, el);
        break;
    case QP_EL_Q:
        ok = qp_elab_qps(E, es, ic, el);
        break;
    case QP_EL_K:
        ok = qp_elab_mutual(E, es, ic, el);
        break;
    case QP_EL_E:
    case QP_EL_G:
    case QP_EL_F:
    case QP_EL_H:
    case QP_EL_T:
        ok = qp_elab_four_terminal(E, es, ic, el);
        break;
    default:
        ok = qp_elab_source(E, es, ic, el);
        break;
    }
    if (ok) {
        ok = in_range(E, es, el);
    }
    if (!ok) {
        qp_elab_drop_last(E);
    }
}

void qp_elab_instantiate(elab *E, const qp_body *body, const inst_ctx *ic)
{
    for (size_t i = 0; i < body->nelems && E->st == QP_OK && !E->too_big; i++) {
        elab_element(E, &body->elems[i], ic);
    }
}

void qp_elab_resolve_mutuals(elab *E)
{
    qp_circuit *c = E->c;
    for (size_t i = 0; i < E->npk; i++) {
        pending_k *pk = &E->pk[i];
        int idx[2] = {qp_strmap_get(&E->elems, pk->l1), qp_strmap_get(&E->elems, pk->l2)};
        const qp_token *t[2] = {pk->t1, pk->t2};
        int ok = 1;
        for (int k = 0; k < 2; k++) {
            if (idx[k] <= -2) {
                ok = 0; /* that element already had an error */
            } else if (idx[k] < 0) {
                ERR(E, t[k]->loc, "no inductor named '%s'", k ? pk->l2 : pk->l1);
                ok = 0;
            } else if (c->elem[idx[k]].kind != QP_EL_L) {
                ERR(E, t[k]->loc, "'%s' is %s %s; K couples inductors only",
                    c->elem[idx[k]].name, qp_elab_article(qp_elem_kind_name(c->elem[idx[k]].kind)),
                    qp_elem_kind_name(c->elem[idx[k]].kind));
                ok = 0;
            }
        }
        if (ok && idx[0] == idx[1]) {
            ERR(E, t[1]->loc, "K couples '%s' with itself", pk->l1);
            ok = 0;
        }
        if (!ok) {
            continue;
        }
        qp_element *k = &c->elem[pk->elem];
        for (size_t j = 0; j < c->nelem; j++) {
            const qp_element *o = &c->elem[j];
            if (o->kind == QP_EL_K && (int)j != pk->elem && o->lk[0] >= 0 &&
                ((o->lk[0] == idx[0] && o->lk[1] == idx[1]) ||
                 (o->lk[0] == idx[1] && o->lk[1] == idx[0]))) {
                ERR(E, k->loc, "%s and %s are coupled twice", pk->l1, pk->l2);
                NOTE(E, o->loc, "first coupling '%s' is here", o->name);
                ok = 0;
                break;
            }
        }
        if (ok) {
            k->lk[0] = idx[0];
            k->lk[1] = idx[1];
        }
    }
}
