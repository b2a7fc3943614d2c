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

/* Evaluates a value token in scope s as quantity q. Returns 1 on success. */
int qp_elab_eval_tok(elab *E, const scope *s, const qp_token *t, qp_quantity q, double *out)
{
    if (t->kind == QP_TOK_WORD && qp_units_is_numeric(t->text, t->len)) {
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
        ERR(E, off_loc(E, errpos), "%s", msg);
    }
    E->cur_tok = saved;
    E->cur_word = saved_word;
    return st == QP_EXPR_OK;
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
    int ok = qp_elab_eval_tok(E, s, pe->tok, QP_QTY_ANY, &v);
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
    pentry pe = {name, tok, value, preset ? P_DONE : P_TODO, loc};
    if (!QP_PUSH(s->e, s->n, pe) || !qp_strmap_put(&s->map, name, (int)s->n - 1)) {
        qp_elab_nomem(E);
    }
}

void qp_elab_scope_free(scope *s)
{
    free(s->e);
    qp_strmap_free(&s->map);
}
