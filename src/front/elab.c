/* Elaboration driver: a parsed deck and its overrides resolved into a flat circuit in SI units. */
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

/* ---- driver -------------------------------------------------------------------------------- */

static void apply_overrides(elab *E, const qp_override *ov, size_t nov, qp_token *tok)
{
    /* All overrides are installed before any is evaluated, so that they may refer to each
     * other in any order, as .param lines may. */
    int *idx = malloc((nov ? nov : 1) * sizeof *idx);
    if (!idx) {
        qp_elab_nomem(E);
        return;
    }
    for (size_t k = 0; k < nov; k++) {
        idx[k] = qp_elab_find_top_param(E, ov[k].name);
        if (idx[k] < 0) {
            char hint[HINT_MAX];
            qp_diag_add(E->d, QP_SEV_ERROR, NULL, 0, 0,
                        "--set %s: the deck has no top-level .param named '%s'%s", ov[k].name,
                        ov[k].name,
                        qp_suggest_map_hint(&E->global.map, ov[k].name, hint, sizeof hint));
            E->st = QP_ERR_USAGE;
            continue;
        }
        const char *v = ov[k].value;
        size_t len = strlen(v);
        tok[k].loc = (qp_loc){-1, 0, 0};
        if (len >= 2 && v[0] == '{' && v[len - 1] == '}') {
            tok[k].kind = QP_TOK_EXPR;
            tok[k].text = (char *)v + 1;
            tok[k].len = len - 2;
        } else {
            tok[k].kind = QP_TOK_WORD;
            tok[k].text = (char *)v;
            tok[k].len = len;
        }
        E->global.e[idx[k]].tok = &tok[k];
        E->global.e[idx[k]].state = P_TODO;
        E->global.e[idx[k]].overridden = 1;
    }
    for (size_t k = 0; k < nov && E->st == QP_OK; k++) {
        /* Evaluate now so that a bad value is reported as a command-line error. */
        size_t before = E->d->errors;
        if (!qp_elab_eval_entry(E, &E->global, &E->global.e[idx[k]]) || E->d->errors > before) {
            qp_diag_add(E->d, QP_SEV_ERROR, NULL, 0, 0, "--set %s=%s: not a valid value",
                        ov[k].name, ov[k].value);
            E->st = QP_ERR_USAGE;
        }
    }
    free(idx);
}

static void setup(elab *E)
{
    const qp_deck *dk = E->deck;
    for (size_t i = 0; i < dk->nsubckts; i++) {
        const qp_subckt_def *s = &dk->subckts[i];
        int prev = qp_strmap_get(&E->subckts, s->name->text);
        if (prev >= 0) {
            ERR(E, s->name->loc, "subcircuit '%s' is defined twice", s->name->text);
            NOTE(E, dk->subckts[prev].name->loc, "first definition of '%s' is here",
                 s->name->text);
        } else if (!qp_strmap_put(&E->subckts, s->name->text, (int)i)) {
            qp_elab_nomem(E);
        }
        for (size_t a = 0; a < s->nports; a++) {
            if (qp_elab_is_ground(s->ports[a]->text)) {
                ERR(E, s->ports[a]->loc, "ground '%s' cannot be a port of subcircuit %s",
                    s->ports[a]->text, s->name->text);
            }
            for (size_t b = 0; b < a; b++) {
                if (strcmp(s->ports[a]->text, s->ports[b]->text) == 0) {
                    ERR(E, s->ports[a]->loc, "port '%s' is listed twice in .subckt %s",
                        s->ports[a]->text, s->name->text);
                }
            }
        }
    }
    for (size_t i = 0; i < dk->top.nparams; i++) {
        const qp_param_def *pd = &dk->top.params[i];
        qp_elab_scope_add(E, &E->global, pd->name->text, pd->value, 0.0, 0, pd->name->loc);
    }
}

static int copy_files(elab *E)
{
    qp_circuit *c = E->c;
    c->files = calloc(E->deck->nfiles ? E->deck->nfiles : 1, sizeof *c->files);
    if (!c->files) {
        return 0;
    }
    c->nfiles = E->deck->nfiles;
    for (size_t i = 0; i < c->nfiles; i++) {
        if (!(c->files[i] = qp_strdup(E->deck->fnames[i]))) {
            return 0;
        }
    }
    if (E->deck->title && !(c->title = qp_strdup(E->deck->title))) {
        return 0;
    }
    char *ground = qp_strdup("0");
    if (!ground || !QP_PUSH(c->node_names, c->nnodes, ground)) {
        free(ground);
        return 0;
    }
    return 1;
}

qp_status qp_circuit_elaborate(const qp_deck *deck, const qp_override *ov, size_t nov,
                               qp_circuit **out, qp_diag *d)
{
    *out = NULL;
    elab E = {0};
    E.deck = deck;
    E.d = d;
    E.global.map.nocase = 1;
    E.models.nocase = 1;
    E.subckts.nocase = 1;
    E.elems.nocase = 1;
    E.insts.nocase = 1;
    size_t errors0 = d->errors;
    E.errors0 = errors0;
    qp_token *ovtok = calloc(nov ? nov : 1, sizeof *ovtok);
    E.c = calloc(1, sizeof *E.c);
    if (!E.c || !ovtok || !copy_files(&E)) {
        qp_elab_nomem(&E);
        goto done;
    }
    setup(&E);
    if (E.st == QP_OK) {
        apply_overrides(&E, ov, nov, ovtok);
    }
    if (E.st != QP_OK) {
        goto done;
    }
    /* Every top-level parameter is evaluated, used or not, so that its errors show. */
    for (size_t i = 0; i < E.global.n; i++) {
        qp_elab_eval_entry(&E, &E.global, &E.global.e[i]);
    }
    qp_elab_eval_models(&E);
    inst_ctx top = {"", NULL, NULL, &E.global};
    if (E.st == QP_OK && qp_elab_check_expansion(&E)) {
        qp_elab_instantiate(&E, &deck->top, &top);
    }
    /* A circuit left unexpanded (too big) has no elements for the directives to name. */
    if (E.st == QP_OK && !E.too_big) {
        qp_elab_resolve_mutuals(&E);
    }
    for (size_t i = 0; i < deck->ndirs && E.st == QP_OK && !E.too_big; i++) {
        if (qp_ieq(deck->dirs[i].word->text, ".options") ||
            qp_ieq(deck->dirs[i].word->text, ".option")) {
            qp_elab_options(&E, &deck->dirs[i]);
        }
    }
    for (size_t i = 0; i < deck->ndirs && E.st == QP_OK && !E.too_big; i++) {
        qp_elab_directive(&E, &deck->dirs[i]);
    }
    int has_tran = 0;
    for (size_t i = 0; i < E.c->nanalyses; i++) {
        has_tran |= E.c->analyses[i].kind == QP_AN_TRAN;
    }
    for (size_t i = 0; i < deck->ndirs && E.c->nprints && !has_tran; i++) {
        const qp_directive *dv = &deck->dirs[i];
        if (qp_ieq(dv->word->text, ".print") || qp_ieq(dv->word->text, ".plot")) {
            qp_diag_add(E.d, QP_SEV_WARNING, qp_elab_fname(&E, dv->loc), dv->loc.line, dv->loc.col,
                        ".print has no effect without .tran");
            break;
        }
    }
    E.c->params = calloc(E.global.n ? E.global.n : 1, sizeof *E.c->params);
    if (!E.c->params) {
        qp_elab_nomem(&E);
        goto done;
    }
    for (size_t i = 0; i < E.global.n; i++) {
        if (!(E.c->params[i].name = qp_strdup(E.global.e[i].name))) {
            qp_elab_nomem(&E);
            goto done;
        }
        E.c->params[i].value = E.global.e[i].value;
        E.c->params[i].loc = E.global.e[i].loc;
        E.c->nparams++;
    }
    if (E.st == QP_OK && d->errors == 0) {
        qp_circuit_check(E.c, d);
    } else if (E.st == QP_OK) {
        /* After earlier errors (also from parsing) the graph is incomplete: it is not checked,
         * so it must not be used either. */
        E.st = QP_ERR_INPUT;
    }
done:
    for (size_t i = 0; i < E.npk; i++) {
        free(E.pk[i].l1);
        free(E.pk[i].l2);
    }
    free(E.pk);
    for (size_t i = 0; i < E.ndropped; i++) {
        free(E.dropped[i]);
    }
    free(E.dropped);
    free(E.dropped_loc);
    for (size_t i = 0; i < E.ninst_names; i++) {
        free(E.inst_names[i]);
    }
    free(E.inst_names);
    free(E.inst_loc);
    qp_strmap_free(&E.insts);
    free(E.mv);
    free(ovtok);
    qp_elab_scope_free(&E.global);
    qp_strmap_free(&E.models);
    for (size_t k = 0; k < E.nmodel_keys; k++) {
        free(E.model_keys[k]);
    }
    free(E.model_keys);
    qp_strmap_free(&E.subckts);
    qp_strmap_free(&E.nodes);
    qp_strmap_free(&E.elems);
    qp_status st = E.st;
    if (st == QP_OK && d->errors > errors0) {
        st = QP_ERR_INPUT;
    }
    if (st != QP_OK) {
        qp_circuit_free(E.c);
        return st;
    }
    *out = E.c;
    return QP_OK;
}
