/* Elaboration of .param: scopes of parameters, evaluated on demand with cycle detection. */
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

const char *qp_elab_fname(const elab *E, qp_loc loc)
{
    return loc.file >= 0 && (size_t)loc.file < E->deck->nfiles ? E->deck->fnames[loc.file]
                                                               : NULL;
}

void qp_elab_nomem(elab *E)
{
    E->st = QP_ERR_NOMEM;
}

/* ---- parameters ---------------------------------------------------------------------------- */

static qp_loc off_loc(const elab *E, size_t off)
{
    qp_loc l = E->cur_tok->loc;
    l.col += (int)off + (E->cur_word ? 0 : 1);
    return l;
}

static int lookup(void *ctx, const char *name, size_t len, size_t off, double *val)
{
    elab *E = ((void **)ctx)[0];
    const scope *s = ((void **)ctx)[1];
    char buf[128];
    if (len >= sizeof buf) {
        return 0;
    }
    memcpy(buf, name, len);
    buf[len] = '\0';
    for (; s; s = s->parent) {
        int i = qp_strmap_get(&s->map, buf);
        if (i >= 0) {
            pentry *pe = &s->e[i];
            if (pe->state == P_BUSY) {
                qp_loc at = off_loc(E, off);
                char chain[256] = "";
                size_t used = 0;
                int start = 0;
                for (int k = 0; k < E->nchain; k++) {
                    if (E->chain[k] == pe) {
                        start = k;
                    }
                }
                for (int k = start; k < E->nchain && used < sizeof chain - 64; k++) {
                    used += (size_t)snprintf(chain + used, sizeof chain - used, "%s -> ",
                                             E->chain[k]->name);
                }
                ERR(E, at, "parameter cycle: %s%s", chain, pe->name);
                pe->state = P_FAILED;
                return -1;
            }
            const qp_token *saved = E->cur_tok;
            int saved_word = E->cur_word;
            int ok = qp_elab_eval_entry(E, s, pe);
            E->cur_tok = saved;
            E->cur_word = saved_word;
            if (!ok) {
                return -1;
            }
            if (pe->unit_tok) { /* a unit has no meaning inside arithmetic */
                ERR(E, off_loc(E, off),
                    "parameter '%s' = %.*s carries a unit: use it alone, as {%s}, or define it "
                    "without one (a bare energy is GHz) to compute with it",
                    pe->name, (int)pe->unit_tok->len, pe->unit_tok->text, pe->name);
                return -1;
            }
            *val = pe->value;
            return 1;
        }
    }
    return 0;
}

const char *qp_elab_article(const char *word)
{
    return strchr("aeiou", word[0]) ? "an" : "a";
}

static void report_num(elab *E, const qp_token *t, qp_num_status st, size_t errpos,
                       qp_quantity want, qp_quantity got)
{
    qp_loc at = t->loc;
    at.col += (int)errpos;
    switch (st) {
    case QP_NUM_UNKNOWN_UNIT:
        if (want == QP_QTY_NONE) {
            ERR(E, at, "unknown unit '%s' in '%s' (a dimensionless number takes no unit)",
                t->text + errpos, t->text);
        } else {
            ERR(E, at, "unknown unit '%s' in '%s' (%s %s is in %s)", t->text + errpos, t->text,
                qp_elab_article(qp_quantity_name(want)), qp_quantity_name(want),
                want == QP_QTY_ENERGY ? "GHz, MHz, kHz, Hz, THz, eV, meV, ueV or neV"
                                      : qp_quantity_unit(want));
        }
        break;
    case QP_NUM_WRONG_UNIT:
        ERR(E, at, "'%s' is %s %s, but %s %s (%s) is expected here", t->text,
            qp_elab_article(qp_quantity_name(got)), qp_quantity_name(got),
            qp_elab_article(qp_quantity_name(want)), qp_quantity_name(want),
            want == QP_QTY_NONE ? "no unit" : qp_quantity_unit(want));
        break;
    case QP_NUM_SCALE_ONLY:
        ERR(E, at,
            "energy '%s' has a scale suffix but no unit: write e.g. %.*sGHz (a bare number is GHz)",
            t->text, (int)errpos, t->text);
        break;
    case QP_NUM_RANGE:
        ERR(E, t->loc, "number '%s' is out of range", t->text);
        break;
    default:
        ERR(E, at, "malformed number '%s'", t->text);
        break;
    }
}

/* Warns about SPICE spellings that parse but rarely mean what was meant. */
static void warn_pitfalls(elab *E, const qp_token *t, qp_quantity q)
{
    const char *u = t->text;
    while (*u && !isalpha((unsigned char)*u)) {
        u++;
    }
    int has_exp = 0;
    if ((*u == 'e' || *u == 'E') && (isdigit((unsigned char)u[1]) || u[1] == '-' || u[1] == '+')) {
        has_exp = 1;
        u++;
        while (*u && !isalpha((unsigned char)*u)) {
            u++;
        }
    }
    if (q == QP_QTY_ENERGY || !*u) {
        return;
    }
    if (u[0] == 'M' && strncasecmp(u, "meg", 3) != 0 && u[1] != '\0') {
        qp_diag_add(E->d, QP_SEV_WARNING, qp_elab_fname(E, t->loc), t->loc.line, t->loc.col,
                    "'%s' is read with M = milli (SPICE); write 'meg' for mega", t->text);
    } else if (has_exp && q == QP_QTY_CAPACITANCE && (u[0] == 'F' || u[0] == 'f') && !u[1]) {
        qp_diag_add(E->d, QP_SEV_WARNING, qp_elab_fname(E, t->loc), t->loc.line, t->loc.col,
                    "'%s': the trailing F is the femto suffix (SPICE), not farad", t->text);
    }
}

int qp_elab_literal_quantity(const qp_token *t, qp_quantity *q)
{
    static const qp_quantity all[] = {QP_QTY_NONE,        QP_QTY_ENERGY,      QP_QTY_CAPACITANCE,
                                      QP_QTY_INDUCTANCE,  QP_QTY_CURRENT,     QP_QTY_VOLTAGE,
                                      QP_QTY_RESISTANCE,  QP_QTY_TIME,        QP_QTY_FREQUENCY,
                                      QP_QTY_TEMPERATURE};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
        double v;
        size_t errpos;
        if (qp_units_parse(t->text, t->len, all[k], &v, &errpos, NULL) == QP_NUM_OK) {
            *q = all[k];
            return 1;
        }
    }
    return 0;
}

/* The parameter a `{name}` token names alone (blanks around it allowed), evaluated; NULL when
 * the token is anything else or names no parameter. *failed is set when its evaluation failed. */
static pentry *bare_param(elab *E, const scope *s, const qp_token *t, int *failed)
{
    size_t a = 0, b = t->len;
    *failed = 0;
    while (a < b && isspace((unsigned char)t->text[a])) {
        a++;
    }
    while (b > a && isspace((unsigned char)t->text[b - 1])) {
        b--;
    }
    char name[128];
    if (t->kind != QP_TOK_EXPR || b == a || b - a >= sizeof name ||
        !(isalpha((unsigned char)t->text[a]) || t->text[a] == '_')) {
        return NULL;
    }
    for (size_t i = a; i < b; i++) {
        if (!isalnum((unsigned char)t->text[i]) && t->text[i] != '_') {
            return NULL;
        }
    }
    memcpy(name, t->text + a, b - a);
    name[b - a] = '\0';
    for (; s; s = s->parent) {
        int i = qp_strmap_get(&s->map, name);
        if (i >= 0) {
            pentry *pe = &s->e[i];
            if (pe->state == P_BUSY) {
                return NULL; /* the expression path reports the cycle */
            }
            const qp_token *saved = E->cur_tok;
            int saved_word = E->cur_word;
            *failed = !qp_elab_eval_entry(E, s, pe);
            E->cur_tok = saved;
            E->cur_word = saved_word;
            return pe;
        }
    }
    return NULL;
}

/* " (did you mean 'X'?)" for an unknown parameter at errpos of t, from the parameters visible
 * in scope s; "" for any other error. */
static void param_hint(const scope *s, const qp_token *t, qp_expr_status st, size_t errpos,
                       const char *msg, char *hint, size_t len)
{
    hint[0] = '\0';
    if (st != QP_EXPR_UNKNOWN || strncmp(msg, "unknown parameter", 17) != 0) {
        return;
    }
    char name[64];
    size_t n = 0;
    while (errpos + n < t->len && n + 1 < sizeof name &&
           (isalnum((unsigned char)t->text[errpos + n]) || t->text[errpos + n] == '_')) {
        name[n] = t->text[errpos + n];
        n++;
    }
    name[n] = '\0';
    qp_suggest sg;
    qp_suggest_init(&sg, name);
    for (; s; s = s->parent) {
        qp_suggest_offer_map(&sg, &s->map);
    }
    qp_suggest_hint(&sg, hint, len);
}

/* Evaluates a value token in scope s as quantity q. Returns 1 on success. A parameter with a
 * unit used alone (`ej={e}` with `.param e=15GHz`) is its number read as q: 15 GHz here, an
 * error naming both quantities where it is a capacitance. */
int qp_elab_eval_tok(elab *E, const scope *s, const qp_token *t, qp_quantity q, double *out)
{
    int failed = 0;
    const pentry *bp = bare_param(E, s, t, &failed);
    if (failed) {
        return 0;
    }
    if (bp && bp->unit_tok) {
        size_t errpos = 0;
        qp_quantity got = QP_QTY_NONE;
        const qp_token *u = bp->unit_tok;
        qp_num_status st = qp_units_parse(u->text, u->len, q, out, &errpos, &got);
        if (st != QP_NUM_OK) {
            qp_elab_literal_quantity(u, &got); /* what its unit is, whatever the parse of q said */
            ERR(E, t->loc, "parameter '%s' = %.*s is %s %s, but %s %s (%s) is expected here",
                bp->name, (int)u->len, u->text, qp_elab_article(qp_quantity_name(got)),
                qp_quantity_name(got), qp_elab_article(qp_quantity_name(q)), qp_quantity_name(q),
                q == QP_QTY_NONE ? "no unit" : qp_quantity_unit(q));
            if (bp->loc.line > 0) {
                NOTE(E, bp->loc, "'%s' is defined here", bp->name);
            }
            return 0;
        }
        return 1;
    }
    /* a word with * / ^ in it (JoSIM's 2*pi) is an expression, as a word naming a parameter */
    if (t->kind == QP_TOK_WORD && qp_units_is_numeric(t->text, t->len) &&
        !strpbrk(t->text, "*/^")) {
        size_t errpos = 0;
        qp_quantity got = QP_QTY_NONE;
        qp_num_status st = qp_units_parse(t->text, t->len, q, out, &errpos, &got);
        if (st != QP_NUM_OK) {
            report_num(E, t, st, errpos, q, got);
            return 0;
        }
        warn_pitfalls(E, t, q);
        return 1;
    }
    if (t->kind != QP_TOK_WORD && t->kind != QP_TOK_EXPR) {
        ERR(E, t->loc, "expected a value, found a string");
        return 0;
    }
    const qp_token *saved = E->cur_tok;
    int saved_word = E->cur_word;
    E->cur_tok = t;
    E->cur_word = t->kind == QP_TOK_WORD;
    void *ctx[2] = {E, (void *)s};
    size_t errpos = 0;
    char msg[160];
    qp_expr_status st = qp_expr_eval(t->text, t->len, lookup, ctx, out, &errpos, msg, sizeof msg);
    if (st != QP_EXPR_OK && st != QP_EXPR_FAILED) {
        char hint[HINT_MAX];
        param_hint(s, t, st, errpos, msg, hint, sizeof hint);
        ERR(E, off_loc(E, errpos), "%s%s", msg, hint);
    }
    E->cur_tok = saved;
    E->cur_word = saved_word;
    return st == QP_EXPR_OK;
}

const qp_token *qp_elab_unit_of(elab *E, const scope *s, const qp_token *t)
{
    qp_quantity lq = QP_QTY_NONE;
    if (t->kind == QP_TOK_WORD && qp_units_is_numeric(t->text, t->len)) {
        return qp_elab_literal_quantity(t, &lq) && lq != QP_QTY_NONE ? t : NULL;
    }
    int failed = 0;
    const pentry *bp = bare_param(E, s, t, &failed);
    return bp && !failed ? bp->unit_tok : NULL;
}

int qp_elab_eval_entry(elab *E, const scope *s, pentry *pe)
{
    if (pe->state == P_DONE) {
        return 1;
    }
    if (pe->state == P_FAILED) {
        return 0;
    }
    if (E->nchain >= MAX_PARAM_CHAIN) {
        ERR(E, pe->loc, "parameters defined through more than %d other parameters",
            MAX_PARAM_CHAIN);
        pe->state = P_FAILED;
        return 0;
    }
    pe->state = P_BUSY;
    E->chain[E->nchain++] = pe;
    double v = 0.0;
    int ok = 1;
    const qp_token *t = pe->tok;
    qp_quantity lq = QP_QTY_NONE;
    if (t->kind == QP_TOK_WORD && qp_units_is_numeric(t->text, t->len)) {
        double x;
        size_t at = 0;
        qp_num_status ns = QP_NUM_OK;
        if (!qp_elab_literal_quantity(t, &lq) &&
            ((ns = qp_units_parse(t->text, t->len, QP_QTY_NONE, &x, &at, NULL)) ==
                 QP_NUM_UNKNOWN_UNIT || ns == QP_NUM_WRONG_UNIT)) { /* 0.25x */
            qp_loc l = t->loc;
            l.col += (int)at;
            ERR(E, l, "'%.*s' is not a number: '%.*s' is no unit qpsim knows (F H A V Ohm s Hz "
                "K, or an energy: GHz MHz kHz Hz THz eV meV ueV neV)", (int)t->len, t->text,
                (int)(t->len - at), t->text + at);
            ok = 0;
        } else if (ns != QP_NUM_OK) { /* malformed: the value path says how */
            ok = qp_elab_eval_tok(E, s, t, QP_QTY_NONE, &v);
        }
        pe->unit_tok = ok && lq != QP_QTY_NONE ? t : NULL;
    } else {
        int failed = 0;
        const pentry *bp = bare_param(E, s, t, &failed);
        ok = !failed;
        pe->unit_tok = ok && bp ? bp->unit_tok : NULL; /* {name} alone inherits its unit */
    }
    /* its value in its own quantity: 15 for 15GHz (energies in GHz), 8e-14 for 80fF */
    if (pe->unit_tok && !qp_elab_literal_quantity(pe->unit_tok, &lq)) {
        lq = QP_QTY_ANY;
    }
    ok = ok && qp_elab_eval_tok(E, s, t, pe->unit_tok ? lq : QP_QTY_ANY, &v);
    E->nchain--;
    if (pe->state == P_FAILED) { /* a cycle through this entry was reported */
        return 0;
    }
    pe->state = ok ? P_DONE : P_FAILED;
    pe->value = v;
    return ok;
}

/* Adds a definition to a scope, reporting a duplicate. */
void qp_elab_scope_add(elab *E, scope *s, const char *name, const qp_token *tok, double value,
                       int preset, qp_loc loc)
{
    int prev = qp_strmap_get(&s->map, name);
    if (prev >= 0) {
        ERR(E, loc, "parameter '%s' is defined twice", name);
        NOTE(E, s->e[prev].loc, "first definition of '%s' is here", s->e[prev].name);
        return;
    }
    pentry pe = {name, tok, value, preset ? P_DONE : P_TODO, loc, NULL, 0};
    if (!QP_PUSH(s->e, s->n, pe) || !qp_strmap_put(&s->map, name, (int)s->n - 1)) {
        qp_elab_nomem(E);
    }
}

void qp_elab_scope_add_value(elab *E, scope *s, const char *name, double value,
                             const scope *from, const qp_token *tok, qp_loc loc)
{
    size_t before = s->n;
    const qp_token *unit = qp_elab_unit_of(E, from, tok);
    qp_elab_scope_add(E, s, name, NULL, value, 1, loc);
    if (s->n > before) {
        s->e[s->n - 1].unit_tok = unit;
    }
}

void qp_elab_scope_free(scope *s)
{
    free(s->e);
    qp_strmap_free(&s->map);
}
