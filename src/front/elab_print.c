/* Elaboration of .print and .plot: qpsim's V(n) I(L1) P(B1) and JoSIM's forms, named as JoSIM. */
#include "qpsim/circuit.h"
#include "front/elab_state.h"

#include "base/strmap.h"
#include "base/strbuf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_ground(const char *s)
{
    return strcmp(s, "0") == 0 || qp_ieq(s, "gnd");
}

/* Appends one column named `name` computed as `pr` (pr.src, when set, is taken over). */
static int add_column(elab *E, const char *name, qp_print pr)
{
    qp_circuit *c = E->c;
    char *dup = qp_strdup(name);
    char **np = dup ? realloc(c->prints, (c->nprints + 1) * sizeof *np) : NULL;
    if (np) {
        c->prints = np;
    }
    qp_print *nf = np ? realloc(c->print_from, (c->nprints + 1) * sizeof *nf) : NULL;
    if (!nf) {
        free(dup);
        free(pr.src);
        qp_elab_nomem(E);
        return 0;
    }
    c->print_from = nf;
    c->prints[c->nprints] = dup;
    c->print_from[c->nprints++] = pr;
    return 1;
}

/* A recorded signal: "V(1)", "P(B1)", "Is(B1)", "I(L1)", named `name` in the output. */
static int add_signal(elab *E, const char *name, const char *fmt, const char *of)
{
    char buf[600];
    snprintf(buf, sizeof buf, fmt, of);
    qp_print pr = {QP_PR_SIGNAL, 0, 0, -1, qp_strdup(buf)};
    if (!pr.src) {
        qp_elab_nomem(E);
        return 0;
    }
    return add_column(E, name, pr);
}

/* The element or node a .print names: as written, or JoSIM's B01|X03 for qpsim's X03.B01. */
static void lookup(elab *E, const char *text, int *node, int *el)
{
    *node = qp_strmap_get(&E->nodes, text);
    *el = qp_strmap_get(&E->elems, text);
    if (*node >= 0 || *el >= 0 || !strchr(text, '|')) {
        return;
    }
    /* B01|X03|X1 (innermost instance first, as JoSIM writes it) is X1.X03.B01: the parts in
     * reverse order (no strtok: elaboration runs in several threads during sweeps) */
    char out[600] = "";
    size_t used = 0, end = strlen(text);
    while (end > 0 && used + 1 < sizeof out) {
        size_t start = end;
        while (start > 0 && text[start - 1] != '|') {
            start--;
        }
        int w = snprintf(out + used, sizeof out - used, "%s%.*s", used ? "." : "",
                         (int)(end - start), text + start);
        used += w > 0 ? (size_t)w : 0;
        used = used < sizeof out ? used : sizeof out - 1;
        end = start > 0 ? start - 1 : 0;
    }
    *node = qp_strmap_get(&E->nodes, out);
    *el = qp_strmap_get(&E->elems, out);
}

/* One request: fn is V, I, P, Q or S (Is, the supercurrent); b is the second node of a
 * difference (JoSIM's `nodev 3 5`, V(3,5)) or NULL. */
static int print_column(elab *E, const qp_token *fn_tok, char fn, const qp_token *name,
                        const qp_token *second, int as_node)
{
    const qp_circuit *c = E->c;
    char out[1300];
    int node, el;
    lookup(E, name->text, &node, &el);
    if (is_ground(name->text)) {
        node = 0;
    }
    if (node <= -2 || el <= -2) {
        return 0;
    }
    const qp_element *e = el >= 0 ? &c->elem[el] : NULL;
    int dual = e && (e->kind == QP_EL_Q || (e->kind == QP_EL_B && e->bloch));
    if (second || as_node || (fn != 'I' && fn != 'S' && fn != 'Q' && node >= 0 && !e)) {
        /* a node, or the difference of two: V(a), V(a,b), P(a) */
        int nb = 0;
        if (second && !is_ground(second->text) &&
            (nb = qp_strmap_get(&E->nodes, second->text)) < 0) {
            ERR(E, second->loc, "no node named '%s' for .print", second->text);
            return 0;
        }
        if (node < 0 || (fn != 'V' && fn != 'P')) {
            ERR(E, name->loc, "%s is not a node: %c(a, b) takes two nodes", name->text, fn);
            return 0;
        }
        if (node == 0 && nb == 0) {
            ERR(E, name->loc, "%c(%s) is the ground node, always 0", fn, name->text);
            return 0;
        }
        if (nb == 0) {
            snprintf(out, sizeof out, "%c(%s)", fn, name->text);
        } else {
            snprintf(out, sizeof out, "%c(%s,%s)", fn, name->text, second->text);
        }
        if (fn == 'V' && nb == 0) {
            return add_signal(E, out, "V(%s)", c->node_names[node]);
        }
        qp_print pr = {fn == 'V' ? QP_PR_VDIFF : QP_PR_PHASE, node, nb, -1, NULL};
        return add_column(E, out, pr);
    }
    if (fn == 'V' && node >= 0 && e && (e->kind == QP_EL_B || e->kind == QP_EL_Q)) {
        ERR(E, name->loc, "V(%s) is ambiguous: '%s' names both a node and a junction; rename one",
            name->text, name->text);
        return 0;
    }
    if (!e) {
        ERR(E, name->loc, "no node or element named '%s' for .print", name->text);
        return 0;
    }
    snprintf(out, sizeof out, "%c(%s)", fn == 'S' ? 'I' : fn, name->text);
    qp_print pr = {QP_PR_VDIFF, e->n[0], e->n[1], el, NULL};
    switch (fn) {
    case 'V':
        if (e->kind == QP_EL_B || e->kind == QP_EL_Q) {
            return add_signal(E, out, "V(%s)", e->name);
        }
        if (e->kind != QP_EL_K) {
            return add_column(E, out, pr);
        }
        break;
    case 'I':
        if (e->kind == QP_EL_L || e->kind == QP_EL_V || e->kind == QP_EL_E ||
            e->kind == QP_EL_F || e->kind == QP_EL_H) {
            return add_signal(E, out, "I(%s)", e->name);
        }
        pr.kind = e->kind == QP_EL_R ? QP_PR_IR : e->kind == QP_EL_C ? QP_PR_IC
                : e->kind == QP_EL_I ? QP_PR_ISRC : e->kind == QP_EL_B && !dual ? QP_PR_IJJ
                                                                                 : QP_PR_SIGNAL;
        if (pr.kind != QP_PR_SIGNAL) {
            return add_column(E, out, pr);
        }
        break;
    case 'S':
        if (e->kind == QP_EL_B && !dual) {
            snprintf(out, sizeof out, "Is(%s)", name->text);
            return add_signal(E, out, "Is(%s)", e->name);
        }
        break;
    case 'P':
        if (e->kind == QP_EL_B && !dual) {
            return add_signal(E, out, "P(%s)", e->name);
        }
        if (e->kind != QP_EL_K && e->kind != QP_EL_Q && !dual) {
            pr.kind = QP_PR_PHASE;
            return add_column(E, out, pr);
        }
        break;
    case 'Q':
        if (dual) {
            return add_signal(E, out, "Q(%s)", e->name);
        }
        break;
    default:
        break;
    }
    char fname[3] = {fn == 'S' ? 'I' : fn, fn == 'S' ? 's' : '\0', '\0'};
    ERR(E, fn_tok->loc, "%s(%s) is not traced: .print takes V(node or element), I(element), "
        "Is(junction) (its supercurrent), P(node or element) (phase) and Q(phase-slip or "
        "bloch=1 junction) (charge)", fname, name->text);
    return 0;
}

/* JoSIM's keyword forms: the function each stands for, 0 for none. */
static char josim_form(const qp_token *t, int *node_pair)
{
    static const char *const jos[] = {"phase", "devv", "devi", "devp", "nodev", "nodep"};
    static const char fns[] = {'P', 'V', 'I', 'P', 'V', 'P'};
    for (size_t j = 0; t->kind == QP_TOK_WORD && j < sizeof fns; j++) {
        if (qp_ieq(t->text, jos[j])) {
            *node_pair = j >= 4;
            return fns[j];
        }
    }
    return 0;
}

void qp_elab_print(elab *E, const qp_directive *dv)
{
    size_t i = 0, n = dv->nargs;
    if (n == 0) {
        ERR(E, dv->loc, "expected '.print V(node) | I(element) | P(junction) | Q(element) ...'");
        return;
    }
    while (i < n) {
        const qp_token *t = dv->args[i];
        const qp_token *nx = i + 1 < n ? dv->args[i + 1] : NULL;
        if (t->kind == QP_TOK_WORD && nx && nx->kind == QP_TOK_LPAREN &&
            (strlen(t->text) == 1 || qp_ieq(t->text, "is"))) {
            char fn = qp_ieq(t->text, "is") ? 'S' : (char)toupper((unsigned char)t->text[0]);
            const qp_token *nm = i + 2 < n ? dv->args[i + 2] : NULL;
            const qp_token *second = NULL;
            size_t cl_at = i + 3;
            if (cl_at + 1 < n && dv->args[cl_at]->kind == QP_TOK_COMMA &&
                dv->args[cl_at + 1]->kind == QP_TOK_WORD) {
                second = dv->args[cl_at + 1];
                cl_at += 2;
            }
            const qp_token *cl = cl_at < n ? dv->args[cl_at] : NULL;
            if (!nm || nm->kind != QP_TOK_WORD || !cl || cl->kind != QP_TOK_RPAREN) {
                ERR(E, nx->loc, "expected %s(NAME) or %s(NODE, NODE) in .print", t->text,
                    t->text);
                return;
            }
            if (!print_column(E, t, fn, nm, second, 0)) {
                return;
            }
            i = cl_at + 1;
            continue;
        }
        int pair = 0;
        char fn = josim_form(t, &pair);
        if (!fn || !nx || nx->kind != QP_TOK_WORD) {
            ERR(E, t->loc, "expected V(node), I(element), P(junction), Q(element) or JoSIM's "
                "'phase|devv|devi|devp NAME' or 'nodev|nodep NODE [NODE]' in .print");
            return;
        }
        const qp_token *second = NULL;
        i += 2;
        if (pair && i < n && dv->args[i]->kind == QP_TOK_WORD &&
            (is_ground(dv->args[i]->text) || qp_strmap_get(&E->nodes, dv->args[i]->text) >= 0)) {
            second = is_ground(dv->args[i]->text) ? NULL : dv->args[i];
            i++; /* nodev N M: against node M (0: ground) */
        }
        if (pair && !is_ground(nx->text) && qp_strmap_get(&E->nodes, nx->text) < 0) {
            ERR(E, nx->loc, "no node named '%s' for .print %s", nx->text, t->text);
            return;
        }
        if (!print_column(E, t, fn, nx, second, pair)) {
            return;
        }
    }
}
