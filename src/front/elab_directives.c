/* Elaboration of directives: .flux, .ng, .matrix/.wavefunction operators, analyses, .options. */
#include "qpsim/circuit.h"
#include "front/elab_state.h"
#include "front/expr.h"
#include "qpsim/units.h"

#include "base/strmap.h"
#include "base/strbuf.h"
#include "base/vec.h"

#include <ctype.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- directives ---------------------------------------------------------------------------- */

static int eval_int(elab *E, const qp_token *t, int lo, int hi, const char *what, int *out)
{
    double v;
    if (!qp_elab_eval_tok(E, &E->global, t, QP_QTY_NONE, &v)) {
        return 0;
    }
    if (v != floor(v) || v < lo || v > hi) {
        ERR(E, t->loc, "%s must be a whole number from %d to %d (got %g)", what, lo, hi, v);
        return 0;
    }
    *out = (int)v;
    return 1;
}

static int dir_keys(elab *E, const qp_directive *dv, const char *const *keys, size_t nk)
{
    int ok = 1;
    for (size_t i = 0; i < dv->nkv; i++) {
        int found = 0;
        for (size_t k = 0; k < nk; k++) {
            found |= qp_ieq(dv->kv[i].key->text, keys[k]);
        }
        if (!found) {
            qp_suggest sg;
            char hint[HINT_MAX];
            qp_suggest_init(&sg, dv->kv[i].key->text);
            for (size_t k = 0; k < nk; k++) {
                qp_suggest_offer(&sg, keys[k]);
            }
            ERR(E, dv->kv[i].key->loc, "unknown key '%s' for %s%s", dv->kv[i].key->text,
                dv->word->text, qp_suggest_hint(&sg, hint, sizeof hint));
            ok = 0;
        }
    }
    return ok;
}

static const qp_token *dir_kv(const qp_directive *dv, const char *key)
{
    for (size_t i = 0; i < dv->nkv; i++) {
        if (qp_ieq(dv->kv[i].key->text, key)) {
            return dv->kv[i].val;
        }
    }
    return NULL;
}

static int nargs_ok(elab *E, const qp_directive *dv, size_t lo, size_t hi, const char *form)
{
    if (dv->nargs < lo || dv->nargs > hi) {
        qp_loc at = dv->nargs > hi ? dv->args[hi]->loc : dv->loc;
        ERR(E, at, "expected '%s'", form);
        return 0;
    }
    return 1;
}

static void add_analysis(elab *E, qp_analysis an)
{
    if (!QP_PUSH(E->c->analyses, E->c->nanalyses, an)) {
        free(an.param);
        qp_analysis_free_ops(&an);
        qp_elab_nomem(E);
    }
}

int qp_elab_find_top_param(const elab *E, const char *name)
{
    return qp_strmap_get(&E->global.map, name);
}

static void elab_flux(elab *E, const qp_directive *dv)
{
    if (!dir_keys(E, dv, NULL, 0) ||
        !nargs_ok(E, dv, 1, (size_t)-1, ".flux VALUE [BRANCH ...]")) {
        return;
    }
    qp_flux_loop fl = {0};
    fl.loc = dv->loc;
    if (!qp_elab_eval_tok(E, &E->global, dv->args[0], QP_QTY_NONE, &fl.f)) {
        return;
    }
    fl.n = dv->nargs - 1;
    fl.implicit = fl.n == 0;
    if (fl.n) {
        fl.branch = calloc(fl.n, sizeof *fl.branch);
        fl.sign = calloc(fl.n, sizeof *fl.sign);
        if (!fl.branch || !fl.sign) {
            goto qp_elab_nomem;
        }
    }
    for (size_t k = 0; k < fl.n; k++) {
        const qp_token *t = dv->args[k + 1];
        int i = t->kind == QP_TOK_WORD ? qp_strmap_get(&E->elems, t->text) : -1;
        if (i <= -2) {
            goto fail;
        }
        if (i < 0) {
            char hint[HINT_MAX];
            ERR(E, t->loc, "no element named '%s' for the flux loop%s", t->text,
                qp_suggest_map_hint(&E->elems, t->text, hint, sizeof hint));
            goto fail;
        }
        if (E->c->elem[i].kind == QP_EL_K) {
            ERR(E, t->loc, "'%s' is a mutual inductance, not a branch of the loop", t->text);
            goto fail;
        }
        for (size_t j = 0; j < k; j++) {
            if (fl.branch[j] == i) {
                ERR(E, t->loc, "branch '%s' is listed twice in .flux", t->text);
                goto fail;
            }
        }
        fl.branch[k] = i;
    }
    if (QP_PUSH(E->c->loops, E->c->nloops, fl)) {
        return;
    }
qp_elab_nomem:
    qp_elab_nomem(E);
fail:
    free(fl.branch);
    free(fl.sign);
}

static void elab_ng(elab *E, const qp_directive *dv)
{
    if (!dir_keys(E, dv, NULL, 0) || !nargs_ok(E, dv, 2, 2, ".ng NODE VALUE")) {
        return;
    }
    const qp_token *nt = dv->args[0];
    qp_offset off = {0, 0.0, dv->loc};
    if (nt->kind != QP_TOK_WORD) {
        ERR(E, nt->loc, "expected a node name after .ng");
        return;
    }
    if (qp_elab_is_ground(nt->text)) {
        ERR(E, nt->loc, "ground cannot carry an offset charge");
        return;
    }
    int n = qp_strmap_get(&E->nodes, nt->text);
    if (n < 0) {
        char hint[HINT_MAX];
        ERR(E, nt->loc, "no node named '%s' (node names are case-sensitive)%s", nt->text,
            qp_suggest_map_hint(&E->nodes, nt->text, hint, sizeof hint));
        return;
    }
    for (size_t k = 0; k < E->c->noffsets; k++) {
        if (E->c->offsets[k].node == n) {
            ERR(E, nt->loc, "node '%s' has two .ng offsets", nt->text);
            NOTE(E, E->c->offsets[k].loc, "first .ng for '%s' is here", nt->text);
            return;
        }
    }
    off.node = n;
    if (!qp_elab_eval_tok(E, &E->global, dv->args[1], QP_QTY_NONE, &off.ng)) {
        return;
    }
    if (!QP_PUSH(E->c->offsets, E->c->noffsets, off)) {
        qp_elab_nomem(E);
    }
}

/* The keys shared by .spectrum, .matrix and .wavefunction: levels, tol and the basis choice. */
static int basis_keys(elab *E, const qp_directive *dv, qp_analysis *an)
{
    const qp_token *t = dir_kv(dv, "levels"), *tt = dir_kv(dv, "tol");
    const qp_token *tn = dir_kv(dv, "ncut"), *tm = dir_kv(dv, "mcut"), *th = dir_kv(dv, "nho");
    if ((t && !eval_int(E, t, 1, 10000, "levels", &an->levels)) ||
        (tn && !eval_int(E, tn, 1, 100000, "ncut", &an->ncut)) ||
        (tm && !eval_int(E, tm, 1, 100000, "mcut", &an->mcut)) ||
        (th && !eval_int(E, th, 1, 1000000, "nho", &an->nho))) {
        return 0;
    }
    if (tt && !qp_elab_eval_tok(E, &E->global, tt, QP_QTY_ENERGY, &an->tol)) {
        return 0;
    }
    if (tt && !(an->tol > 0.0)) {
        ERR(E, tt->loc, "tol of %s must be a positive energy (GHz)", dv->word->text);
        return 0;
    }
    if (tt && an->tol < QP_TOL_MIN) { /* 1e-20 once ran 42 s and 2.9 GB before failing */
        ERR(E, tt->loc,
            "tol of %s is %g GHz, below what double precision resolves in levels of tens of GHz "
            "(about 1e-13 GHz); give %g GHz or more", dv->word->text, an->tol, QP_TOL_MIN);
        return 0;
    }
    const qp_token *tb = dir_kv(dv, "basis");
    if (tb && tb->kind == QP_TOK_WORD && (qp_ieq(tb->text, "grid") || qp_ieq(tb->text, "ho"))) {
        an->grid = qp_ieq(tb->text, "grid");
    } else if (tb) {
        ERR(E, tb->loc, "basis of %s must be 'ho' (oscillator states, the default) or "
            "'grid' (phase grid) for extended modes", dv->word->text);
        return 0;
    }
    return 1;
}

/* The operators of .matrix: n(NODE), phi(JJ), q(QPS), cos(JJ|QPS), sin(JJ|QPS). */
static int elab_ops(elab *E, const qp_directive *dv, qp_analysis *an)
{
    static const char *const form =
        "expected n(NODE), phi(JJ), q(QPS), cos(JJ|QPS) or sin(JJ|QPS) in .matrix";
    size_t i = 0, n = dv->nargs;
    if (n == 0) {
        ERR(E, dv->loc, "%s", form);
        return 0;
    }
    while (i < n) {
        const qp_token *t = dv->args[i];
        const qp_token *op = i + 1 < n ? dv->args[i + 1] : NULL;
        const qp_token *nm = i + 2 < n ? dv->args[i + 2] : NULL;
        const qp_token *cl = i + 3 < n ? dv->args[i + 3] : NULL;
        static const char *const fns[] = {"n", "phi", "q", "cos", "sin"};
        int k = -1;
        for (int j = 0; t->kind == QP_TOK_WORD && j < 5; j++) {
            k = qp_ieq(t->text, fns[j]) ? j : k;
        }
        if (k < 0 || !op || op->kind != QP_TOK_LPAREN || !nm || nm->kind != QP_TOK_WORD || !cl ||
            cl->kind != QP_TOK_RPAREN) {
            ERR(E, t->loc, "%s", form);
            return 0;
        }
        qp_operator o = {(qp_op_kind)k, -1, NULL, t->loc};
        char buf[600];
        if (k == QP_OP_CHARGE) {
            if (qp_elab_is_ground(nm->text)) {
                ERR(E, nm->loc, "n(%s): ground has no charge variable", nm->text);
                return 0;
            }
            int node = qp_strmap_get(&E->nodes, nm->text);
            if (node <= -2) {
                return 0;
            }
            if (node < 0) {
                char hint[HINT_MAX];
                ERR(E, nm->loc, "no node named '%s' (node names are case-sensitive)%s", nm->text,
                    qp_suggest_map_hint(&E->nodes, nm->text, hint, sizeof hint));
                return 0;
            }
            o.index = node;
            snprintf(buf, sizeof buf, "n(%s)", E->c->node_names[node]);
        } else {
            int el = qp_strmap_get(&E->elems, nm->text);
            if (el <= -2) {
                return 0;
            }
            if (el < 0) {
                char hint[HINT_MAX];
                ERR(E, nm->loc, "no element named '%s' for %s()%s", nm->text, fns[k],
                    qp_suggest_map_hint(&E->elems, nm->text, hint, sizeof hint));
                return 0;
            }
            qp_elem_kind ek = E->c->elem[el].kind;
            if ((k == QP_OP_PHASE && ek != QP_EL_B) || (k == QP_OP_QCHARGE && ek != QP_EL_Q) ||
                ((k == QP_OP_COS || k == QP_OP_SIN) && ek != QP_EL_B && ek != QP_EL_Q)) {
                ERR(E, nm->loc, "%s() needs a %s; '%s' is %s %s", fns[k],
                    k == QP_OP_PHASE     ? "Josephson junction"
                    : k == QP_OP_QCHARGE ? "phase-slip junction"
                                         : "Josephson or phase-slip junction",
                    nm->text, qp_elab_article(qp_elem_kind_name(ek)), qp_elem_kind_name(ek));
                return 0;
            }
            o.index = el;
            snprintf(buf, sizeof buf, "%s(%s)", fns[k], E->c->elem[el].name);
        }
        for (size_t q = 0; q < an->nops; q++) {
            if (strcmp(an->ops[q].name, buf) == 0) {
                ERR(E, t->loc, "%s appears twice in .matrix", buf);
                return 0;
            }
        }
        o.name = qp_strdup(buf);
        if (!o.name || !QP_PUSH(an->ops, an->nops, o)) {
            free(o.name);
            qp_elab_nomem(E);
            return 0;
        }
        i += 4;
    }
    return 1;
}

/* groups=1+2/3/4: groups separated by '/', the modes of a group (numbers as `qpsim check` shows
 * them, m1 or 1) joined by '+'; each mode at most once. Whether every mode of the circuit is
 * named is checked when the circuit is quantized. */
static int group_keys(elab *E, const qp_token *t, qp_analysis *an)
{
    static const char *const form = "groups of .spectrum must read like 1+2/3/4: groups of mode "
                                    "numbers separated by '/', the modes of a group joined by '+'";
    an->group_loc = t->loc;
    for (int i = 0; i < QP_MAX_GROUP_MODES; i++) {
        an->group[i] = -1;
    }
    if (t->kind != QP_TOK_WORD) {
        ERR(E, t->loc, "%s", form);
        return 0;
    }
    int g = 0;
    for (const char *p = t->text; *p;) {
        if (*p == 'm' || *p == 'M') {
            p++;
        }
        char *end = NULL;
        long k = *p >= '0' && *p <= '9' ? strtol(p, &end, 10) : 0;
        if (!end || k < 1 || k > QP_MAX_GROUP_MODES || (*end && *end != '+' && *end != '/') ||
            (*end && !end[1])) {
            ERR(E, t->loc, "%s (modes 1 to %d)", form, QP_MAX_GROUP_MODES);
            return 0;
        }
        if (an->group[k - 1] >= 0) {
            ERR(E, t->loc, "groups of .spectrum names mode %ld twice", k);
            return 0;
        }
        an->group[k - 1] = (signed char)g;
        an->ngmodes++;
        g += *end == '/';
        p = *end ? end + 1 : end;
    }
    return 1;
}

/* method=auto|exact|hierarchical (|mps|distributed for .spectrum) and groups= of .spectrum and .matrix
 * (`what`). */
static int method_keys(elab *E, const qp_directive *dv, qp_analysis *an, const char *what)
{
    const qp_token *tm = dir_kv(dv, "method"), *tg = dir_kv(dv, "groups");
    static const char *const names[] = {"auto", "exact", "hierarchical", "mps", "distributed"};
    int known = -1, spectrum = strcmp(what, ".spectrum") == 0;
    for (int i = 0; tm && tm->kind == QP_TOK_WORD && i < 5; i++) {
        known = qp_ieq(tm->text, names[i]) ? i : known;
    }
    if (known == 4 && !spectrum) { /* it solves for levels only, not states */
        ERR(E, tm->loc, "method=distributed is for .spectrum; %s needs the states of one "
            "process (method=auto, exact or hierarchical)", what);
        return 0;
    }
    known = known == 3 && !spectrum ? -1 : known; /* no matrix elements on the MPS path */
    if (known >= 0) {
        an->method = known;
    } else if (tm) {
        ERR(E, tm->loc, "method of %s must be 'auto' (the default), 'exact' (the full "
            "product basis)%s 'hierarchical' (groups of modes solved alone, then coupled)%s",
            what, spectrum ? "," : " or",
            spectrum ? ", 'mps' (a chain of charge modes as a matrix-product state) or "
                       "'distributed' (exact, split over the processes of mpirun)"
                     : "");
        return 0;
    }
    if (tg && an->method != 0 && an->method != 2) {
        ERR(E, tg->loc, "groups of %s are for method=hierarchical, not method=%s", what,
            names[an->method]);
        return 0;
    }
    return !tg || group_keys(E, tg, an);
}

/* .spectrum: levels, tolerance, basis choices, method and whether to compute dispersions.
 * an arrives with its location and no element. */
static void dir_spectrum(elab *E, const qp_directive *dv, qp_analysis an)
{
    static const char *const keys[] = {"levels", "tol",        "ncut",   "mcut",  "nho",
                                       "basis",  "dispersion", "method", "groups"};
    an.kind = QP_AN_SPECTRUM;
    an.levels = 6;
    an.dispersion = -1;
    if (!dir_keys(E, dv, keys, 9) ||
        !nargs_ok(E, dv, 0, 0,
                  ".spectrum [levels=N] [tol=GHz] [ncut=N] [mcut=N] [nho=N] [basis=ho|grid] "
                  "[dispersion=yes|no] [method=auto|exact|hierarchical|mps] [groups=1+2/3]") ||
        !basis_keys(E, dv, &an) || !method_keys(E, dv, &an, ".spectrum")) {
        return;
    }
    const qp_token *td = dir_kv(dv, "dispersion");
    if (td && td->kind == QP_TOK_WORD && (qp_ieq(td->text, "yes") || qp_ieq(td->text, "no"))) {
        an.dispersion = qp_ieq(td->text, "yes");
    } else if (td) {
        ERR(E, td->loc, "dispersion of .spectrum must be 'yes' or 'no' (default: computed when "
            "the basis has at most %d states)", QP_DISPERSION_AUTO_DIM);
        return;
    }
    add_analysis(E, an);
}

/* .matrix: levels, basis choices and the operators to table.
 * an arrives with its location and no element. */
static void dir_matrix(elab *E, const qp_directive *dv, qp_analysis an)
{
    static const char *const keys[] = {"levels", "tol",   "ncut",   "mcut",
                                       "nho",    "basis", "method", "groups"};
    an.kind = QP_AN_MATRIX;
    an.levels = 4;
    if (!dir_keys(E, dv, keys, 8) || !basis_keys(E, dv, &an) ||
        !method_keys(E, dv, &an, ".matrix") || !elab_ops(E, dv, &an)) {
        qp_analysis_free_ops(&an);
        return;
    }
    if (an.levels > QP_STATES_MAX_LEVELS) {
        ERR(E, dir_kv(dv, "levels")->loc, ".matrix takes at most %d levels (got %d)",
            QP_STATES_MAX_LEVELS, an.levels);
        qp_analysis_free_ops(&an);
        return;
    }
    add_analysis(E, an);
}

/* .wavefunction: levels, grid points and basis choices.
 * an arrives with its location and no element. */
static void dir_wavefunction(elab *E, const qp_directive *dv, qp_analysis an)
{
    static const char *const keys[] = {"levels", "points", "tol", "ncut", "mcut", "nho",
                                       "basis"};
    an.kind = QP_AN_WAVE;
    an.levels = 3;
    an.points = 201;
    const qp_token *tp = dir_kv(dv, "points");
    if (!dir_keys(E, dv, keys, 7) ||
        !nargs_ok(E, dv, 0, 0,
                  ".wavefunction [levels=N] [points=M] [tol=GHz] [ncut=N] [mcut=N] [nho=N] "
                  "[basis=ho|grid]") ||
        !basis_keys(E, dv, &an) ||
        (tp && !eval_int(E, tp, 2, 100000, "points", &an.points))) {
        return;
    }
    if (an.levels > QP_STATES_MAX_LEVELS) {
        ERR(E, dir_kv(dv, "levels")->loc, ".wavefunction takes at most %d levels (got %d)",
            QP_STATES_MAX_LEVELS, an.levels);
        return;
    }
    add_analysis(E, an);
}

/* channels=NAME,NAME,...: the first name is the key's value, the others follow as ", NAME"
 * arguments (the tokens are kept raw); nothing else may stand outside KEY=VALUE. */
static int coherence_channels(elab *E, const qp_directive *dv, qp_analysis *an)
{
    const qp_token *tc = dir_kv(dv, "channels");
    for (size_t i = 0; tc && i <= dv->nargs; i += 2) {
        const qp_token *t = i == 0 ? tc : dv->args[i - 1];
        if (i > 0 && (dv->args[i - 2]->kind != QP_TOK_COMMA)) {
            break;
        }
        int ch = -1;
        for (int k = 0; t->kind == QP_TOK_WORD && k < QP_CH_COUNT; k++) {
            ch = qp_ieq(t->text, qp_channel_name((qp_channel)k)) ? k : ch;
        }
        qp_suggest sg;
        qp_suggest_init(&sg, t->text);
        for (int k = 0; ch < 0 && k < QP_CH_COUNT; k++) {
            qp_suggest_offer(&sg, qp_channel_name((qp_channel)k));
        }
        if (ch < 0 && qp_suggest_best(&sg)) {
            ERR(E, t->loc, "unknown noise channel '%s' (did you mean '%s'?)", t->text,
                qp_suggest_best(&sg));
            return 0;
        }
        if (ch < 0) {
            ERR(E, t->loc, "unknown noise channel '%s' (t1_capacitive, t1_inductive, "
                "t1_quasiparticle_tunneling, t1_resistor, tphi_1_over_f_flux, tphi_1_over_f_ng, "
                "tphi_1_over_f_cc, tphi_1_over_f_es)", t->text);
            return 0;
        }
        an->coh.channels |= 1u << ch;
        an->coh.chloc[ch] = t->loc;
        if (i == dv->nargs) {
            return 1; /* every argument was a ", NAME" pair */
        }
        if (i + 2 > dv->nargs) {
            break;
        }
    }
    if (dv->nargs > 0) {
        size_t bad = 0;
        while (tc && bad + 1 < dv->nargs && dv->args[bad]->kind == QP_TOK_COMMA &&
               dv->args[bad + 1]->kind == QP_TOK_WORD) {
            bad += 2;
        }
        ERR(E, dv->args[bad]->loc, "unexpected '%s' in .coherence (KEY=VALUE settings; the "
            "channels of channels= are separated by commas without spaces around them)",
            dv->args[bad]->text);
        return 0;
    }
    return 1;
}

/* .coherence [from=1] [to=0] [temp=T] [channels=...] [noise keys] [basis keys]. */
static void dir_coherence(elab *E, const qp_directive *dv, qp_analysis an)
{
    static const char *const keys[] = {"from", "to",  "temp",  "channels",  "qcap",  "qind",
                                       "xqp",  "delta", "aflux", "ang",     "acc",   "aes",
                                       "omega_low", "t_exp", "tol", "ncut", "mcut", "nho",
                                       "basis"};
    static const struct {
        const char *key;
        qp_quantity q;
        size_t off;
    } num[] = {
        {"temp", QP_QTY_TEMPERATURE, offsetof(qp_coh_params, temp)},
        {"qcap", QP_QTY_NONE, offsetof(qp_coh_params, qcap)},
        {"qind", QP_QTY_NONE, offsetof(qp_coh_params, qind)},
        {"xqp", QP_QTY_NONE, offsetof(qp_coh_params, xqp)},
        {"delta", QP_QTY_ENERGY, offsetof(qp_coh_params, delta)},
        {"aflux", QP_QTY_NONE, offsetof(qp_coh_params, aflux)},
        {"ang", QP_QTY_NONE, offsetof(qp_coh_params, ang)},
        {"acc", QP_QTY_ENERGY, offsetof(qp_coh_params, acc)},
        {"aes", QP_QTY_ENERGY, offsetof(qp_coh_params, aes)},
        {"omega_low", QP_QTY_NONE, offsetof(qp_coh_params, omega_low)},
        {"t_exp", QP_QTY_TIME, offsetof(qp_coh_params, t_exp)},
    };
    an.kind = QP_AN_COHERENCE;
    an.coh = (qp_coh_params){.from = 1, .to = 0, .xqp = 3e-6, .delta = 3.4e-4 * QP_QE / QP_H / 1e9,
                             .aflux = 1e-6, .ang = 1e-4, .acc = 1e-7, .aes = 1e-7,
                             .omega_low = 2.0 * QP_PI, .t_exp = 10e-6};
    const qp_token *tf = dir_kv(dv, "from"), *tt = dir_kv(dv, "to");
    if (!dir_keys(E, dv, keys, sizeof keys / sizeof *keys) || !basis_keys(E, dv, &an) ||
        (tf && !eval_int(E, tf, 0, QP_STATES_MAX_LEVELS - 1, "from", &an.coh.from)) ||
        (tt && !eval_int(E, tt, 0, QP_STATES_MAX_LEVELS - 1, "to", &an.coh.to)) ||
        !coherence_channels(E, dv, &an)) {
        return;
    }
    if (an.coh.from == an.coh.to) {
        ERR(E, (tf ? tf : tt ? tt : dv->word)->loc, ".coherence needs two different levels "
            "(from=%d, to=%d)", an.coh.from, an.coh.to);
        return;
    }
    for (size_t k = 0; k < sizeof num / sizeof *num; k++) {
        const qp_token *t = dir_kv(dv, num[k].key);
        double *v = (double *)((char *)&an.coh + num[k].off);
        if (t && !qp_elab_eval_tok(E, &E->global, t, num[k].q, v)) {
            return;
        }
        if (t && !(*v > 0.0 && isfinite(*v))) {
            ERR(E, t->loc, "%s of .coherence must be positive", num[k].key);
            return;
        }
    }
    an.levels = (an.coh.from > an.coh.to ? an.coh.from : an.coh.to) + 1;
    add_analysis(E, an);
}

/* .temp T: the deck's temperature [K] (JoSIM's directive), for .coherence. */
static void dir_temp(elab *E, const qp_directive *dv)
{
    double t = 0.0;
    if (!dir_keys(E, dv, NULL, 0) || !nargs_ok(E, dv, 1, 1, ".temp T (kelvin)") ||
        !qp_elab_eval_tok(E, &E->global, dv->args[0], QP_QTY_TEMPERATURE, &t)) {
        return;
    }
    if (!(t > 0.0 && isfinite(t))) {
        ERR(E, dv->args[0]->loc, ".temp must be a positive temperature in kelvin (got %g)", t);
        return;
    }
    if (E->c->temp > 0.0) {
        ERR(E, dv->loc, ".temp appears twice");
        return;
    }
    E->c->temp = t;
}

/* A second .sweep makes a 2-D grid: at most two, of different parameters, and at most
 * QP_SWEEP2_MAX_POINTS points in all, found here so that `check` says it as `run` does. */
static int second_sweep_ok(elab *E, const qp_directive *dv, const qp_analysis *an,
                           const char *name)
{
    size_t n = 0;
    double points = an->points;
    for (size_t k = 0; k < E->c->nanalyses; k++) {
        const qp_analysis *o = &E->c->analyses[k];
        if (o->kind != QP_AN_SWEEP) {
            continue;
        }
        n++;
        points *= o->fixed ? 1 : o->points;
        if (qp_ieq(o->param, name)) {
            ERR(E, dv->args[0]->loc, "'%s' is swept twice", name);
            return 0;
        }
    }
    if (n >= 2) {
        ERR(E, dv->loc, "at most two .sweep directives (a 2-D sweep) per deck");
        return 0;
    }
    if (points > QP_SWEEP2_MAX_POINTS) {
        ERR(E, dv->args[3]->loc, "the 2-D sweep would have %.3g points (at most %.0e): fewer "
            "points", points, QP_SWEEP2_MAX_POINTS);
        return 0;
    }
    return 1;
}

/* The quantity of the unit value token t carries (a literal `10GHz`, or `{lo}` naming a
 * parameter that has one); QP_QTY_NONE without a unit. */
static qp_quantity unit_quantity(elab *E, const qp_token *t)
{
    qp_quantity q = QP_QTY_NONE;
    const qp_token *u = qp_elab_unit_of(E, &E->global, t);
    if (u && !qp_elab_literal_quantity(u, &q)) {
        q = QP_QTY_NONE;
    }
    return q;
}

/* START or STOP of a .sweep, read as quantity q (that of the swept parameter's unit), or, for a
 * parameter without a unit (q = QP_QTY_ANY), as --set reads a value: a number with a unit in
 * that unit's quantity (`10GHz` is 10, a bare energy being GHz; `50fF` is 5e-14), so that
 * `.sweep e 10GHz ...` and `--set e=10GHz` agree. STOP (other: START) must carry the quantity
 * START does when both have units. *used receives the quantity of the unit read, QP_QTY_ANY when
 * the end had none (or the parameter has a unit of its own). */
static int sweep_end(elab *E, const qp_token *t, qp_quantity q, const qp_token *other,
                     double *out, qp_quantity *used)
{
    *used = QP_QTY_ANY;
    if (q == QP_QTY_ANY) {
        qp_quantity tq = unit_quantity(E, t);
        qp_quantity oq = other ? unit_quantity(E, other) : QP_QTY_NONE;
        if (tq != QP_QTY_NONE && oq != QP_QTY_NONE && tq != oq) {
            ERR(E, t->loc, "'%s' is %s %s, but the sweep starts at %s %s ('%s'): both ends "
                "are in one quantity", t->text, qp_elab_article(qp_quantity_name(tq)),
                qp_quantity_name(tq), qp_elab_article(qp_quantity_name(oq)),
                qp_quantity_name(oq), other->text);
            return 0;
        }
        q = tq != QP_QTY_NONE ? tq : QP_QTY_ANY;
        *used = q;
    }
    return qp_elab_eval_tok(E, &E->global, t, q, out);
}

/* .sweep NAME START STOP POINTS over a top-level .param.
 * an arrives with its location and no element. */
static void dir_sweep(elab *E, const qp_directive *dv, qp_analysis an)
{
    an.kind = QP_AN_SWEEP;
    if (!dir_keys(E, dv, NULL, 0) || !nargs_ok(E, dv, 4, 4, ".sweep NAME START STOP POINTS")) {
        return;
    }
    const qp_token *nt = dv->args[0];
    if (nt->kind != QP_TOK_WORD || qp_elab_find_top_param(E, nt->text) < 0) {
        char hint[HINT_MAX];
        ERR(E, nt->loc, "'%s' is not a top-level .param, so it cannot be swept%s", nt->text,
            qp_suggest_map_hint(&E->global.map, nt->text, hint, sizeof hint));
        return;
    }
    /* a parameter defined with a unit is swept in that quantity: `.param e=15GHz` then
     * `.sweep e 10GHz 20GHz 11` (or 10 20: a bare energy is GHz) sets e to 10 ... 20 GHz, which
     * its uses read as bare numbers of that quantity (SI, energies in GHz) */
    pentry *pe = &E->global.e[qp_elab_find_top_param(E, nt->text)];
    qp_quantity q = QP_QTY_ANY;
    if (!qp_elab_eval_entry(E, &E->global, pe)) {
        return;
    }
    if (pe->unit_tok) {
        qp_elab_literal_quantity(pe->unit_tok, &q);
    }
    qp_quantity q1, q2;
    if (!sweep_end(E, dv->args[1], q, NULL, &an.start, &q1) ||
        !sweep_end(E, dv->args[2], q, dv->args[1], &an.stop, &q2) ||
        !eval_int(E, dv->args[3], 1, 1000000, "number of sweep points", &an.points)) {
        return;
    }
    /* a parameter without a unit swept in one (`.sweep e 10GHz 20GHz`): the points keep it, so
     * that a use of another quantity is the error `--set e=10GHz` gives, not 10 F */
    qp_quantity qu = q1 != QP_QTY_ANY ? q1 : q2;
    if (qu != QP_QTY_ANY && qu != QP_QTY_NONE) {
        /* a bare F or K after a number is SPICE's femto or kilo: farads and kelvins are written
         * as fF and mK */
        int f = qu == QP_QTY_CAPACITANCE, k = qu == QP_QTY_TEMPERATURE;
        snprintf(an.unit, sizeof an.unit, "%s", f ? "fF" : k ? "mK" : qp_quantity_unit(qu));
        an.unit_scale = f ? 1e15 : k ? 1e3 : 1.0;
    }
    if (an.points == 1 && an.start != an.stop) {
        ERR(E, dv->args[3]->loc, "a sweep from %g to %g needs at least 2 points", an.start,
            an.stop);
        return;
    }
    if (!second_sweep_ok(E, dv, &an, pe->name)) {
        return;
    }
    /* --set of a swept parameter fixes it (as a SPICE .alter would): this sweep is kept in the
     * list, so that analyses keep their indices, but not run. Said only by an elaboration without
     * errors so far: a sweep point's elaboration (its parameters are overrides too) keeps only
     * errors and the notes after them. */
    an.fixed = pe->overridden;
    if (an.fixed && E->d->errors == E->errors0) {
        NOTE(E, dv->loc, "'%s' is set to %.9g by --set: this .sweep is not run, the analyses use "
             "that value", pe->name, pe->value);
    }
    an.param = qp_strdup(pe->name);
    if (!an.param) {
        qp_elab_nomem(E);
        return;
    }
    add_analysis(E, an);
}

/* .bands ELEMENT: the junction and the size of the band table.
 * an arrives with its location and no element. */
static void dir_bands(elab *E, const qp_directive *dv, qp_analysis an)
{
    static const char *const keys[] = {"levels", "points"};
    an.kind = QP_AN_BANDS;
    an.levels = 3;
    an.points = 101;
    if (!dir_keys(E, dv, keys, 2) ||
        !nargs_ok(E, dv, 1, 1, ".bands ELEMENT [levels=N] [points=M]")) {
        return;
    }
    const qp_token *et = dv->args[0];
    int i = et->kind == QP_TOK_WORD ? qp_strmap_get(&E->elems, et->text) : -1;
    if (i <= -2) {
        return;
    }
    if (i < 0) {
        char hint[HINT_MAX];
        ERR(E, et->loc, "no element named '%s' for .bands%s", et->text,
            qp_suggest_map_hint(&E->elems, et->text, hint, sizeof hint));
        return;
    }
    if (E->c->elem[i].kind != QP_EL_B && E->c->elem[i].kind != QP_EL_Q) {
        ERR(E, et->loc, ".bands needs a Josephson or phase-slip junction; '%s' is %s %s",
            et->text, qp_elab_article(qp_elem_kind_name(E->c->elem[i].kind)),
            qp_elem_kind_name(E->c->elem[i].kind));
        return;
    }
    an.element = i;
    const qp_token *tl = dir_kv(dv, "levels"), *tp = dir_kv(dv, "points");
    if ((tl && !eval_int(E, tl, 1, 1000, "levels", &an.levels)) ||
        (tp && !eval_int(E, tp, 2, 1000000, "points", &an.points))) {
        return;
    }
    if ((double)an.levels * an.points > 1e6) {
        ERR(E, (tp ? tp : tl)->loc, ".bands asks for %d levels at %d points: at most 1e6 "
            "values", an.levels, an.points);
        return;
    }
    add_analysis(E, an);
}

/* JoSIM's and SPICE's trailing words of .tran: UIC (start from the initial conditions: what
 * qpsim always does, from rest) and DST (JoSIM: no start-up time; qpsim has none but its
 * switch-on over the first TSTEP, which it keeps) are taken off *dv's arguments; a fifth value
 * (JoSIM's PWINDOW, a filter of the printed output) is taken off too: 0 has no effect, any other
 * value is warned about. 0 after an error. */
static int tran_tail(elab *E, qp_directive *dv)
{
    while (dv->nargs > 2 && dv->args[dv->nargs - 1]->kind == QP_TOK_WORD &&
           (qp_ieq(dv->args[dv->nargs - 1]->text, "uic") ||
            qp_ieq(dv->args[dv->nargs - 1]->text, "dst"))) {
        if (qp_ieq(dv->args[dv->nargs - 1]->text, "dst")) {
            WARN(E, dv->args[dv->nargs - 1]->loc, "DST (JoSIM: no start-up time) has no "
                 "meaning in qpsim, whose sources switch on over the first TSTEP; ignored");
        }
        dv->nargs--;
    }
    if (dv->nargs == 5) {
        double pw = 0.0;
        if (!qp_elab_eval_tok(E, &E->global, dv->args[4], QP_QTY_TIME, &pw)) {
            return 0;
        }
        if (pw != 0.0) {
            WARN(E, dv->args[4]->loc, "PWINDOW (JoSIM's filter of the printed output) is not "
                 "applied by qpsim; the output is not filtered");
        }
        dv->nargs--;
    }
    return 1;
}

/* .tran TSTEP TSTOP [TSTART [PSTEP [PWINDOW]]] [UIC|DST] [rtol=R] [seed=N]: times and
 * tolerance. an arrives with its location and no element. */
static void dir_tran(elab *E, const qp_directive *dv0, qp_analysis an)
{
    static const char *const keys[] = {"rtol", "seed"};
    an.kind = QP_AN_TRAN;
    qp_directive d = *dv0;
    const qp_directive *dv = &d;
    if (!dir_keys(E, dv, keys, 2) || !tran_tail(E, &d) ||
        !nargs_ok(E, dv, 2, 4, ".tran TSTEP TSTOP [TSTART [PSTEP [PWINDOW]]] [UIC] [rtol=R] "
                  "[seed=N]")) {
        return;
    }
    const qp_token *ts = dir_kv(dv, "seed");
    double sd = E->has_opt_seed ? E->opt_seed : 1.0;
    if (ts && (!qp_elab_eval_tok(E, &E->global, ts, QP_QTY_NONE, &sd) || sd != floor(sd) ||
               sd < 0.0 || sd > 9007199254740992.0)) {
        ERR(E, ts->loc, "seed of .tran must be a whole number from 0 to 2^53");
        return;
    }
    an.seed = (unsigned long long)sd;
    const qp_token *tr = dir_kv(dv, "rtol");
    an.rtol = E->opt_rtol;
    if (tr) {
        if (!qp_elab_eval_tok(E, &E->global, tr, QP_QTY_NONE, &an.rtol)) {
            return;
        }
        if (!(an.rtol >= 1e-13 && an.rtol <= 1e-2)) {
            ERR(E, tr->loc, "rtol of .tran must lie between 1e-13 and 1e-2 (got %g)", an.rtol);
            return;
        }
    }
    if (!qp_elab_eval_tok(E, &E->global, dv->args[0], QP_QTY_TIME, &an.tstep) ||
        !qp_elab_eval_tok(E, &E->global, dv->args[1], QP_QTY_TIME, &an.tstop) ||
        (dv->nargs >= 3 &&
         !qp_elab_eval_tok(E, &E->global, dv->args[2], QP_QTY_TIME, &an.tstart))) {
        return;
    }
    if (dv->nargs == 4) {
        /* JoSIM's fourth value is the print step: the output spacing, which is what TSTEP is
         * here (the integrator picks its own steps); JoSIM prints at TSTEP when it is finer */
        double pstep = 0.0;
        if (!qp_elab_eval_tok(E, &E->global, dv->args[3], QP_QTY_TIME, &pstep)) {
            return;
        }
        if (!(pstep >= 0.0)) {
            ERR(E, dv->args[3]->loc, "print step of .tran must not be negative");
            return;
        }
        an.tstep = pstep > an.tstep ? pstep : an.tstep;
    }
    if (!(an.tstep > 0.0)) {
        ERR(E, dv->args[0]->loc, "time step of .tran must be positive");
        return;
    }
    if (an.tstart < 0.0) {
        ERR(E, dv->args[2]->loc, "start time of .tran must not be negative");
        return;
    }
    if (!(an.tstop > an.tstart)) {
        ERR(E, dv->args[1]->loc, "stop time of .tran must be after its start time");
        return;
    }
    if (an.tstep > an.tstop - an.tstart) {
        ERR(E, dv->args[0]->loc, "time step of .tran is longer than the simulated interval");
        return;
    }
    if ((an.tstop - an.tstart) / an.tstep > QP_TRAN_MAX_SAMPLES) {
        ERR(E, dv->args[0]->loc, ".tran would record %.3g samples per signal (at most %.0e: "
            "use a longer TSTEP or a later TSTART)", (an.tstop - an.tstart) / an.tstep,
            (double)QP_TRAN_MAX_SAMPLES);
        return;
    }
    add_analysis(E, an);
}

/* .options KEY=VALUE ...: rtol= and seed= are the defaults of every .tran that gives none (read
 * before the other directives: the deck's .tran may come first); SPICE's and JoSIM's other options have no meaning
 * here and are warned about, each where it is written. */
void qp_elab_options(elab *E, const qp_directive *dv)
{
    for (size_t i = 0; i < dv->nargs; i++) {
        WARN(E, dv->args[i]->loc, "option '%s' has no meaning in qpsim; ignored",
             dv->args[i]->text);
    }
    for (size_t i = 0; i < dv->nkv; i++) {
        const qp_token *k = dv->kv[i].key, *v = dv->kv[i].val;
        int is_rtol = qp_ieq(k->text, "rtol"), is_seed = qp_ieq(k->text, "seed");
        if (!is_rtol && !is_seed) {
            WARN(E, k->loc, "option '%s' has no meaning in qpsim (it knows rtol= and seed=); "
                 "ignored", k->text);
            continue;
        }
        double x = 0.0;
        if (!qp_elab_eval_tok(E, &E->global, v, QP_QTY_NONE, &x)) {
            continue;
        }
        if (is_rtol && !(x >= 1e-13 && x <= 1e-2)) {
            ERR(E, v->loc, "rtol of .options must lie between 1e-13 and 1e-2 (got %g)", x);
            continue;
        }
        if (is_seed && (x != floor(x) || x < 0.0 || x > 9007199254740992.0)) {
            ERR(E, v->loc, "seed of .options must be a whole number from 0 to 2^53");
            continue;
        }
        if (is_rtol) {
            E->opt_rtol = x;
        } else {
            E->opt_seed = x, E->has_opt_seed = 1;
        }
    }
}

/* One directive of the deck: .flux, .ng and .print fill the circuit; the analyses are checked
 * and appended to it. */
void qp_elab_directive(elab *E, const qp_directive *dv)
{
    const char *w = dv->word->text;
    qp_analysis an = {0};
    an.loc = dv->loc;
    an.element = -1;
    if (qp_ieq(w, ".flux")) {
        elab_flux(E, dv);
    } else if (qp_ieq(w, ".ng")) {
        elab_ng(E, dv);
    } else if (qp_ieq(w, ".print") || qp_ieq(w, ".plot")) {
        qp_elab_print(E, dv);
    } else if (qp_ieq(w, ".iv")) {
        WARN(E, dv->loc, ".iv (JoSIM's I-V curve of a junction model) is not computed by qpsim; "
             "ignored");
    } else if (qp_ieq(w, ".spectrum")) {
        dir_spectrum(E, dv, an);
    } else if (qp_ieq(w, ".matrix")) {
        dir_matrix(E, dv, an);
    } else if (qp_ieq(w, ".wavefunction")) {
        dir_wavefunction(E, dv, an);
    } else if (qp_ieq(w, ".coherence")) {
        dir_coherence(E, dv, an);
    } else if (qp_ieq(w, ".temp")) {
        dir_temp(E, dv);
    } else if (qp_ieq(w, ".sweep")) {
        dir_sweep(E, dv, an);
    } else if (qp_ieq(w, ".bands")) {
        dir_bands(E, dv, an);
    } else if (qp_ieq(w, ".tran")) {
        dir_tran(E, dv, an);
    }
}
