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

enum { K_IC, K_CAP, K_EJ, K_EC, K_RN, K_ES, K_VC, K_AREA };

static const keyspec jj_keys[] = {
    {"icrit", QP_QTY_CURRENT, K_IC}, {"ic", QP_QTY_CURRENT, K_IC},
    {"cap", QP_QTY_CAPACITANCE, K_CAP}, {"c", QP_QTY_CAPACITANCE, K_CAP},
    {"ej", QP_QTY_ENERGY, K_EJ}, {"ec", QP_QTY_ENERGY, K_EC},
    {"rn", QP_QTY_RESISTANCE, K_RN}, {"rnormal", QP_QTY_RESISTANCE, K_RN},
    /* JoSIM / WRspice keys accepted for compatibility, not used by qpsim */
    {"rtype", QP_QTY_ANY, -1}, {"vg", QP_QTY_ANY, -1}, {"vgap", QP_QTY_ANY, -1},
    {"delv", QP_QTY_ANY, -1}, {"icon", QP_QTY_ANY, -1}, {"r0", QP_QTY_ANY, -1},
    {"rzero", QP_QTY_ANY, -1}, {"rsub", QP_QTY_ANY, -1}, {"cpr", QP_QTY_ANY, -1},
    {"cpic", QP_QTY_ANY, -1}, {"phi", QP_QTY_ANY, -1}, {"t", QP_QTY_ANY, -1},
    {"tc", QP_QTY_ANY, -1}, {"tnom", QP_QTY_ANY, -1}, {"delta", QP_QTY_ANY, -1},
    {"d", QP_QTY_ANY, -1}, {"cct", QP_QTY_ANY, -1}, {"cmu", QP_QTY_ANY, -1},
    {"vm", QP_QTY_ANY, -1}, {"icfct", QP_QTY_ANY, -1}, {"lsh0", QP_QTY_ANY, -1},
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
        int prev = qp_strmap_get(&E->models, m->name->text);
        if (prev >= 0) {
            ERR(E, m->name->loc, "model '%s' is defined twice", m->name->text);
            NOTE(E, dk->models[prev].name->loc, "first definition of '%s' is here",
                 m->name->text);
            continue;
        }
        if (!qp_strmap_put(&E->models, m->name->text, (int)i)) {
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
            const keyspec *spec = find_key(ks, nks, m->kv[k].key->text);
            if (!spec) {
                qp_suggest sg;
                char hint[HINT_MAX];
                qp_suggest_init(&sg, m->kv[k].key->text);
                for (size_t q = 0; q < nks; q++) {
                    qp_suggest_offer(&sg, ks[q].slot >= 0 ? ks[q].key : NULL);
                }
                qp_suggest_hint(&sg, hint, sizeof hint);
                ERR(E, m->kv[k].key->loc, "unknown key '%s' in a %s model%s", m->kv[k].key->text,
                    mv->is_qps ? "qps" : "jj",
                    hint[0] ? hint : mv->is_qps ? " (expected es or vc)" : "");
                ok = 0;
                continue;
            }
            double v;
            if (!qp_elab_eval_tok(E, &E->global, m->kv[k].val, spec->q, &v)) {
                ok = 0;
                continue;
            }
            if (spec->slot >= 0 && !(v > 0.0) && !(spec->slot == K_CAP && v == 0.0)) {
                ERR(E, m->kv[k].val->loc, "%s must be positive in model %s", spec->key,
                    m->name->text);
                ok = 0;
                continue;
            }
            switch (spec->slot) {
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
            default:
                break;
            }
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
