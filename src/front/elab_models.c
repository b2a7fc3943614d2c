/* Elaboration of .model: junction and phase-slip model cards and their keys. */
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

/* ---- models -------------------------------------------------------------------------------- */

typedef struct {
    const char *key;
    qp_quantity q;
    int slot; /* -1: accepted and unused */
} keyspec;

enum { K_IC, K_CAP, K_EJ, K_EC, K_RN, K_ES, K_VC, K_AREA, K_RTYPE, K_R0, K_VG, K_DELV, K_ICFCT };

static const keyspec jj_keys[] = {
    {"icrit", QP_QTY_CURRENT, K_IC}, {"ic", QP_QTY_CURRENT, K_IC},
    {"cap", QP_QTY_CAPACITANCE, K_CAP}, {"c", QP_QTY_CAPACITANCE, K_CAP},
    {"ej", QP_QTY_ENERGY, K_EJ}, {"ec", QP_QTY_ENERGY, K_EC},
    {"rn", QP_QTY_RESISTANCE, K_RN}, {"rnormal", QP_QTY_RESISTANCE, K_RN},
    /* JoSIM's quasiparticle branch (rtype=1: subgap r0 below the gap vg, rn above) */
    {"rtype", QP_QTY_NONE, K_RTYPE}, {"vg", QP_QTY_VOLTAGE, K_VG},
    {"vgap", QP_QTY_VOLTAGE, K_VG}, {"delv", QP_QTY_VOLTAGE, K_DELV},
    {"r0", QP_QTY_RESISTANCE, K_R0}, {"rzero", QP_QTY_RESISTANCE, K_R0},
    {"rsub", QP_QTY_RESISTANCE, K_R0}, {"icfct", QP_QTY_NONE, K_ICFCT},
    {"icfact", QP_QTY_NONE, K_ICFCT},
    /* JoSIM / WRspice keys accepted for compatibility, not used by qpsim (warned about) */
    {"icon", QP_QTY_ANY, -1}, {"cpr", QP_QTY_ANY, -1},
    {"cpic", QP_QTY_ANY, -1}, {"phi", QP_QTY_ANY, -1}, {"t", QP_QTY_ANY, -1},
    {"tc", QP_QTY_ANY, -1}, {"tnom", QP_QTY_ANY, -1}, {"delta", QP_QTY_ANY, -1},
    {"d", QP_QTY_ANY, -1}, {"cct", QP_QTY_ANY, -1}, {"cmu", QP_QTY_ANY, -1},
    {"vm", QP_QTY_ANY, -1}, {"lsh0", QP_QTY_ANY, -1},
    {"lsh1", QP_QTY_ANY, -1}, {"noise", QP_QTY_ANY, -1}, {"tdelv", QP_QTY_ANY, -1},
};

static const keyspec qps_keys[] = {
    {"es", QP_QTY_ENERGY, K_ES},
    {"vc", QP_QTY_VOLTAGE, K_VC},
};

static const keyspec *find_key(const keyspec *ks, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (qp_ieq(ks[i].key, key)) {
            return &ks[i];
        }
    }
    return NULL;
}

/* Keeps value v of a key of slot `slot` in mv. */
static void store(model_val *mv, int slot, double v)
{
    switch (slot) {
    case K_IC:
        mv->ic = v, mv->has_ic = 1;
        break;
    case K_CAP:
        mv->cap = v, mv->has_cap = 1;
        break;
    case K_EJ:
        mv->ej = v, mv->has_ej = 1;
        break;
    case K_EC:
        mv->ec = v, mv->has_ec = 1;
        break;
    case K_RN:
        mv->rn = v, mv->has_rn = 1;
        break;
    case K_ES:
        mv->es = v, mv->has_es = 1;
        break;
    case K_VC:
        mv->vc = v, mv->has_vc = 1;
        break;
    case K_R0:
        mv->r0 = v;
        break;
    case K_VG:
        mv->vg = v;
        break;
    case K_DELV:
        mv->delv = v;
        break;
    case K_ICFCT:
        mv->icfct = v;
        break;
    default:
        break;
    }
}

/* One KEY=VALUE of model m into mv; 0 after an error (reported). */
static int model_key(elab *E, const qp_model_def *m, const qp_kv *kv, const keyspec *ks,
                     size_t nks, model_val *mv)
{
    const keyspec *spec = find_key(ks, nks, kv->key->text);
    if (!spec) {
        qp_suggest sg;
        char hint[HINT_MAX];
        qp_suggest_init(&sg, kv->key->text);
        for (size_t q = 0; q < nks; q++) {
            qp_suggest_offer(&sg, ks[q].slot >= 0 ? ks[q].key : NULL);
        }
        qp_suggest_hint(&sg, hint, sizeof hint);
        ERR(E, kv->key->loc, "unknown key '%s' in a %s model%s", kv->key->text,
            mv->is_qps ? "qps" : "jj", hint[0] ? hint : mv->is_qps ? " (expected es or vc)" : "");
        return 0;
    }
    double v;
    if (!qp_elab_eval_tok(E, &E->global, kv->val, spec->q, &v)) {
        return 0;
    }
    if (spec->slot == K_RTYPE) {
        mv->rtype = (int)v;
        if (v != 0.0 && v != 1.0) {
            ERR(E, kv->val->loc, "rtype of model %s must be 0 (rn at every voltage) or 1 "
                "(JoSIM's subgap r0 below vg, rn above)", m->name->text);
            return 0;
        }
        return 1;
    }
    if (spec->slot < 0) { /* accepted, but never silently: the physics would differ */
        WARN(E, kv->key->loc, "'%s' of model %s is accepted for JoSIM/WRspice compatibility and "
             "has no effect in qpsim", kv->key->text, m->name->text);
        return 1;
    }
    if (!(v > 0.0) && !(spec->slot == K_CAP && v == 0.0)) {
        ERR(E, kv->val->loc, "%s must be positive in model %s", spec->key, m->name->text);
        return 0;
    }
    store(mv, spec->slot, v);
    return 1;
}

void qp_elab_model_key(const qp_deck *dk, int sub, const char *name, char *key, size_t len)
{
    if (sub < 0) {
        snprintf(key, len, "%s", name);
    } else { /* '\x1f' cannot be in a name: no clash with a top-level model */
        snprintf(key, len, "%s\x1f%s", dk->subckts[sub].name->text, name);
    }
}

void qp_elab_eval_models(elab *E)
{
    const qp_deck *dk = E->deck;
    E->mv = calloc(dk->nmodels ? dk->nmodels : 1, sizeof *E->mv);
    if (!E->mv) {
        qp_elab_nomem(E);
        return;
    }
    for (size_t i = 0; i < dk->nmodels; i++) {
        const qp_model_def *m = &dk->models[i];
        model_val *mv = &E->mv[i];
        mv->def = m;
        mv->rtype = -1;
        char key[600];
        qp_elab_model_key(E->deck, m->scope, m->name->text, key, sizeof key);
        int prev = qp_strmap_get(&E->models, key);
        if (prev >= 0) {
            ERR(E, m->name->loc, "model '%s' is defined twice", m->name->text);
            NOTE(E, dk->models[prev].name->loc, "first definition of '%s' is here",
                 m->name->text);
            continue;
        }
        /* the map keeps the key's pointer: a scoped key is owned by E->model_keys */
        char *own = m->scope < 0 ? NULL : qp_strdup(key);
        if ((m->scope >= 0 && (!own || !QP_PUSH(E->model_keys, E->nmodel_keys, own))) ||
            !qp_strmap_put(&E->models, own ? own : m->name->text, (int)i)) {
            if (own && (E->nmodel_keys == 0 || E->model_keys[E->nmodel_keys - 1] != own)) {
                free(own);
            }
            qp_elab_nomem(E);
            return;
        }
        if (m->bad) {
            continue; /* syntax error already reported; ok stays 0 */
        }
        const keyspec *ks;
        size_t nks;
        if (qp_ieq(m->type->text, "jj")) {
            ks = jj_keys;
            nks = sizeof jj_keys / sizeof jj_keys[0];
        } else if (qp_ieq(m->type->text, "qps")) {
            ks = qps_keys;
            nks = sizeof qps_keys / sizeof qps_keys[0];
            mv->is_qps = 1;
        } else {
            ERR(E, m->type->loc, "unknown model type '%s' (expected jj or qps)", m->type->text);
            continue;
        }
        int ok = 1;
        for (size_t k = 0; k < m->nkv; k++) {
            ok &= model_key(E, m, &m->kv[k], ks, nks, mv);
        }
        if (mv->has_ic && mv->has_ej) {
            ERR(E, m->name->loc, "model %s gives both icrit and ej: keep one", m->name->text);
            ok = 0;
        }
        if (mv->has_cap && mv->has_ec) {
            ERR(E, m->name->loc, "model %s gives both cap and ec: keep one", m->name->text);
            ok = 0;
        }
        if (mv->has_es && mv->has_vc) {
            ERR(E, m->name->loc, "model %s gives both es and vc: keep one", m->name->text);
            ok = 0;
        }
        mv->ok = ok;
    }
}
