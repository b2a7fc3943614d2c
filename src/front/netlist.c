/* Netlist parser: statements to a deck of bodies, models, subcircuits and directives. */
#include "qpsim/netlist.h"
#include "front/expr.h"

#include "base/strbuf.h"
#include "base/suggest.h"
#include "base/vec.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int qp_ieq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

int qp_ieqn(const char *a, size_t alen, const char *b)
{
    return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

typedef struct {
    qp_deck *deck;
    const qp_netlist_opts *opts;
    qp_diag *d;
    qp_status st;            /* QP_OK or QP_ERR_NOMEM */
    size_t *open;            /* indices of the open .subckt definitions, innermost last */
    size_t nopen;
    int ended;               /* .end seen */
    int incl[QP_MAX_INCLUDE_DEPTH + 1]; /* file indices on the include stack */
    int nincl;
} parser;

#define ERR(p, loc, ...)                                                                           \
    qp_diag_add((p)->d, QP_SEV_ERROR, (p)->deck->fnames[(loc).file], (loc).line, (loc).col,       \
                __VA_ARGS__)

static void nomem(parser *p)
{
    p->st = QP_ERR_NOMEM;
}

/* Adds a file to the deck's table and lexes it. Returns its index or -1. */
static int add_file(parser *p, const char *name, const char *text, size_t len)
{
    qp_deck *dk = p->deck;
    if (dk->nfiles == dk->capfiles) {
        size_t cap = dk->capfiles ? 2 * dk->capfiles : 4;
        char **f = realloc(dk->fnames, cap * sizeof *f);
        if (!f) {
            nomem(p);
            return -1;
        }
        dk->fnames = f;
        qp_stmt_list *s = realloc(dk->src, cap * sizeof *s);
        if (!s) {
            nomem(p);
            return -1;
        }
        dk->src = s;
        dk->capfiles = cap;
    }
    int idx = (int)dk->nfiles;
    dk->fnames[idx] = qp_strdup(name);
    memset(&dk->src[idx], 0, sizeof dk->src[idx]);
    if (!dk->fnames[idx]) {
        nomem(p);
        return -1;
    }
    dk->nfiles++;
    if (qp_lex(text, len, idx, name, &dk->src[idx], p->d) != QP_OK) {
        nomem(p);
        return -1;
    }
    return idx;
}

static qp_body *current_body(parser *p)
{
    if (p->nopen > 0) {
        return &p->deck->subckts[p->open[p->nopen - 1]].body;
    }
    return &p->deck->top;
}

static const char *tok_desc(const qp_token *t)
{
    switch (t->kind) {
    case QP_TOK_EQ:
        return "'='";
    case QP_TOK_LPAREN:
        return "'('";
    case QP_TOK_RPAREN:
        return "')'";
    case QP_TOK_COMMA:
        return "','";
    case QP_TOK_EXPR:
        return "an expression";
    case QP_TOK_STRING:
        return "a string";
    default:
        return "a word";
    }
}

/* KEY=VALUE at token i: -1 when it is not one, 0 after reporting an error, 1 when the pair
 * was added to kv (three tokens). */
static int key_value(parser *p, const qp_stmt *st, size_t i, qp_kv **kv, size_t *nkv)
{
    const qp_token *t = &st->tok[i];
    const qp_token *next = i + 1 < st->ntok ? &st->tok[i + 1] : NULL;
    if (t->kind != QP_TOK_WORD || !next || next->kind != QP_TOK_EQ) {
        return -1;
    }
    const qp_token *val = i + 2 < st->ntok ? &st->tok[i + 2] : NULL;
    if (!val || (val->kind != QP_TOK_WORD && val->kind != QP_TOK_EXPR &&
                 val->kind != QP_TOK_STRING)) {
        ERR(p, next->loc, "expected a value after '%s='", t->text);
        return 0;
    }
    if (!QP_PUSH(*kv, *nkv, ((qp_kv){t, val}))) {
        nomem(p);
        return 0;
    }
    return 1;
}

/* Splits tokens [from, st->ntok) into positional tokens, key=value pairs and at most one
 * NAME(...) group. Returns 0 after reporting an error. */
static int split_args(parser *p, const qp_stmt *st, size_t from, const qp_token ***pos,
                      size_t *npos, qp_kv **kv, size_t *nkv, const qp_token **fn,
                      const qp_token ***fargs, size_t *nfargs)
{
    size_t i = from;
    while (i < st->ntok) {
        const qp_token *t = &st->tok[i];
        const qp_token *next = i + 1 < st->ntok ? &st->tok[i + 1] : NULL;
        int got = key_value(p, st, i, kv, nkv);
        if (got == 0) {
            return 0;
        }
        if (got > 0) {
            i += 3;
            continue;
        }
        if (t->kind == QP_TOK_WORD && next && next->kind == QP_TOK_LPAREN) {
            if (!fn) {
                ERR(p, next->loc, "unexpected '(' after '%s'", t->text);
                return 0;
            }
            if (*fn) {
                ERR(p, t->loc, "only one function group such as sin(...) is allowed");
                return 0;
            }
            *fn = t;
            size_t j = i + 2;
            while (j < st->ntok && st->tok[j].kind != QP_TOK_RPAREN) {
                const qp_token *a = &st->tok[j];
                if (a->kind == QP_TOK_COMMA) {
                    j++;
                    continue;
                }
                if (a->kind != QP_TOK_WORD && a->kind != QP_TOK_EXPR) {
                    ERR(p, a->loc, "unexpected %s inside %s(...)", tok_desc(a), t->text);
                    return 0;
                }
                if (!QP_PUSH(*fargs, *nfargs, a)) {
                    nomem(p);
                    return 0;
                }
                j++;
            }
            if (j >= st->ntok) {
                ERR(p, next->loc, "expected ')' to close '(' of %s", t->text);
                return 0;
            }
            i = j + 1;
            continue;
        }
        if (t->kind == QP_TOK_WORD || t->kind == QP_TOK_EXPR || t->kind == QP_TOK_STRING) {
            if (!QP_PUSH(*pos, *npos, t)) {
                nomem(p);
                return 0;
            }
            i++;
            continue;
        }
        ERR(p, t->loc, "unexpected %s", tok_desc(t));
        return 0;
    }
    return 1;
}

static void parse_element(parser *p, const qp_stmt *st)
{
    const qp_token *name = &st->tok[0];
    char letter = (char)toupper((unsigned char)name->text[0]);
    if (!strchr("CLBQKRIVPXEGFHT", letter) || letter == '\0') {
        ERR(p, name->loc,
            "unknown element letter '%c' in '%s' (expected C, L, B, Q, K, R, I, V, P, E, G, F, "
            "H, T or X)",
            name->text[0], name->text);
        return;
    }
    qp_elem_stmt e = {0};
    e.letter = letter;
    e.name = name;
    e.loc = name->loc;
    int wants_fn = letter == 'I' || letter == 'V' || letter == 'P';
    if (!split_args(p, st, 1, &e.pos, &e.npos, &e.kv, &e.nkv, wants_fn ? &e.fn : NULL, &e.fargs,
                    &e.nfargs)) {
        goto fail;
    }
    qp_body *b = current_body(p);
    if (!QP_PUSH(b->elems, b->nelems, e)) {
        nomem(p);
        goto fail;
    }
    return;
fail:
    free(e.pos);
    free(e.kv);
    free(e.fargs);
}

/* A parameter name: a letter or '_' first, then letters, digits and '_'. */
static int valid_name_chars(parser *p, const qp_token *n)
{
    if (!isalpha((unsigned char)n->text[0]) && n->text[0] != '_') {
        ERR(p, n->loc, "parameter name '%s' must start with a letter", n->text);
        return 0;
    }
    for (size_t k = 0; k < n->len; k++) {
        if (!isalnum((unsigned char)n->text[k]) && n->text[k] != '_') {
            ERR(p, n->loc, "parameter name '%s' may hold only letters, digits and '_'", n->text);
            return 0;
        }
    }
    return 1;
}

/* A valid name that does not hide a built-in constant. */
static int valid_param_name(parser *p, const qp_token *n)
{
    double dummy;
    if (!valid_name_chars(p, n)) {
        return 0;
    }
    if (qp_expr_constant(n->text, n->len, &dummy)) {
        ERR(p, n->loc, "parameter '%s' would hide the built-in constant of that name", n->text);
        return 0;
    }
    return 1;
}

static void parse_param(parser *p, const qp_stmt *st)
{
    qp_body *b = current_body(p);
    size_t i = 1;
    if (i >= st->ntok) {
        ERR(p, st->tok[0].loc, "expected NAME=VALUE after .param");
        return;
    }
    while (i < st->ntok) {
        const qp_token *n = &st->tok[i];
        if (n->kind != QP_TOK_WORD) {
            ERR(p, n->loc, "expected a parameter name, found %s", tok_desc(n));
            return;
        }
        if (!valid_name_chars(p, n)) {
            return;
        }
        if (i + 1 >= st->ntok || st->tok[i + 1].kind != QP_TOK_EQ) {
            ERR(p, n->loc, "expected '=' after parameter name '%s'", n->text);
            return;
        }
        if (i + 2 >= st->ntok ||
            (st->tok[i + 2].kind != QP_TOK_WORD && st->tok[i + 2].kind != QP_TOK_EXPR)) {
            ERR(p, st->tok[i + 1].loc, "expected a value after '%s='", n->text);
            return;
        }
        double dummy;
        if (qp_expr_constant(n->text, n->len, &dummy)) {
            ERR(p, n->loc, "parameter '%s' would hide the built-in constant of that name",
                n->text);
        } else if (!QP_PUSH(b->params, b->nparams, ((qp_param_def){n, &st->tok[i + 2]}))) {
            nomem(p);
            return;
        }
        i += 3;
        if (i < st->ntok && st->tok[i].kind == QP_TOK_COMMA) {
            i++;
        }
    }
}

static void parse_model(parser *p, const qp_stmt *st)
{
    if (st->ntok < 3 || st->tok[1].kind != QP_TOK_WORD || st->tok[2].kind != QP_TOK_WORD) {
        ERR(p, st->ntok > 1 ? st->tok[1].loc : st->tok[0].loc,
            "expected '.model NAME jj(...)' or '.model NAME qps(...)'");
        return;
    }
    qp_model_def m = {&st->tok[1], &st->tok[2], NULL, 0, st->tok[0].loc, 0,
                      p->nopen > 0 ? (int)p->open[p->nopen - 1] : -1};
    size_t i = 3;
    int paren = i < st->ntok && st->tok[i].kind == QP_TOK_LPAREN;
    if (paren) {
        i++;
    }
    while (i < st->ntok && !(paren && st->tok[i].kind == QP_TOK_RPAREN)) {
        const qp_token *k = &st->tok[i];
        if (k->kind == QP_TOK_COMMA) {
            i++;
            continue;
        }
        if (k->kind != QP_TOK_WORD || i + 2 >= st->ntok || st->tok[i + 1].kind != QP_TOK_EQ ||
            (st->tok[i + 2].kind != QP_TOK_WORD && st->tok[i + 2].kind != QP_TOK_EXPR)) {
            ERR(p, k->loc, "expected KEY=VALUE in .model %s", m.name->text);
            goto fail;
        }
        if (!QP_PUSH(m.kv, m.nkv, ((qp_kv){k, &st->tok[i + 2]}))) {
            nomem(p);
            goto fail;
        }
        i += 3;
    }
    if (paren && i >= st->ntok) {
        ERR(p, st->tok[3].loc, "expected ')' to close '(' of .model %s", m.name->text);
        goto fail;
    }
    if (paren && i + 1 < st->ntok) {
        ERR(p, st->tok[i + 1].loc, "unexpected %s after the closing ')'",
            tok_desc(&st->tok[i + 1]));
        goto fail;
    }
    if (!QP_PUSH(p->deck->models, p->deck->nmodels, m)) {
        nomem(p);
        free(m.kv);
    }
    return;
fail:
    /* Keep the name known so that its users do not report it as unknown. */
    m.bad = 1;
    if (!QP_PUSH(p->deck->models, p->deck->nmodels, m)) {
        nomem(p);
        free(m.kv);
    }
}

static void parse_subckt(parser *p, const qp_stmt *st)
{
    qp_subckt_def s = {0};
    s.name = &st->tok[0];
    s.loc = st->tok[0].loc;
    if (st->ntok < 2 || st->tok[1].kind != QP_TOK_WORD) {
        ERR(p, st->tok[0].loc, "expected a subcircuit name after .subckt");
        goto fail;
    }
    s.name = &st->tok[1];
    if (p->nopen >= QP_MAX_SUBCKT_DEPTH) {
        ERR(p, st->tok[0].loc, ".subckt definitions nested more than %d deep",
            QP_MAX_SUBCKT_DEPTH);
        goto fail;
    }
    size_t i = 2;
    while (i < st->ntok) {
        const qp_token *t = &st->tok[i];
        if (t->kind == QP_TOK_WORD && qp_ieq(t->text, "params:")) {
            i++;
            continue;
        }
        if (t->kind == QP_TOK_WORD && i + 1 < st->ntok && st->tok[i + 1].kind == QP_TOK_EQ) {
            if (!valid_param_name(p, t)) {
                goto fail;
            }
            if (i + 2 >= st->ntok ||
                (st->tok[i + 2].kind != QP_TOK_WORD && st->tok[i + 2].kind != QP_TOK_EXPR)) {
                ERR(p, st->tok[i + 1].loc, "expected a value after '%s='", t->text);
                goto fail;
            }
            if (!QP_PUSH(s.defaults, s.ndefaults, ((qp_kv){t, &st->tok[i + 2]}))) {
                nomem(p);
                goto fail;
            }
            i += 3;
            continue;
        }
        if (t->kind != QP_TOK_WORD) {
            ERR(p, t->loc, "unexpected %s in .subckt %s", tok_desc(t), s.name->text);
            goto fail;
        }
        if (s.ndefaults > 0) {
            ERR(p, t->loc, "port '%s' after parameters in .subckt %s", t->text, s.name->text);
            goto fail;
        }
        if (!QP_PUSH(s.ports, s.nports, t)) {
            nomem(p);
            goto fail;
        }
        i++;
    }
    goto push;
fail:
    /* Still open the definition, so that its body and .ends are absorbed without follow-on
     * errors; it is marked bad and its instances stay silent. */
    s.bad = 1;
push:
    if (!QP_PUSH(p->deck->subckts, p->deck->nsubckts, s)) {
        free(s.ports);
        free(s.defaults);
        nomem(p);
        return;
    }
    if (!QP_PUSH(p->open, p->nopen, p->deck->nsubckts - 1)) {
        nomem(p);
    }
}

static void parse_ends(parser *p, const qp_stmt *st)
{
    if (p->nopen == 0) {
        ERR(p, st->tok[0].loc, ".ends without a matching .subckt");
        return;
    }
    const qp_subckt_def *s = &p->deck->subckts[p->open[p->nopen - 1]];
    if (st->ntok >= 2) {
        const qp_token *n = &st->tok[1];
        if (n->kind != QP_TOK_WORD || !qp_ieq(n->text, s->name->text)) {
            ERR(p, n->loc, ".ends %s does not match .subckt %s (line %d)", n->text,
                s->name->text, s->loc.line);
        }
    }
    p->nopen--;
}

/* Directives are top-level statements: 0 (after an error) inside a .subckt. */
static int top_level(parser *p, const qp_stmt *st)
{
    if (p->nopen > 0) {
        ERR(p, st->tok[0].loc, "%s is not allowed inside .subckt %s (only at top level)",
            st->tok[0].text, p->deck->subckts[p->open[p->nopen - 1]].name->text);
        return 0;
    }
    return 1;
}

/* Adds a parsed directive to the deck (which then owns its arrays), or frees it. */
static void push_directive(parser *p, qp_directive *dv)
{
    if (!QP_PUSH(p->deck->dirs, p->deck->ndirs, *dv)) {
        free(dv->args);
        free(dv->kv);
        nomem(p);
    }
}

static void parse_directive(parser *p, const qp_stmt *st)
{
    if (!top_level(p, st)) {
        return;
    }
    qp_directive dv = {0};
    dv.word = &st->tok[0];
    dv.loc = st->tok[0].loc;
    if (!split_args(p, st, 1, &dv.args, &dv.nargs, &dv.kv, &dv.nkv, NULL, NULL, NULL)) {
        free(dv.args);
        free(dv.kv);
        return;
    }
    push_directive(p, &dv);
}

/* .print, .matrix and .coherence: their tokens are kept as they are (V(1), I(L1), JoSIM's
 * "phase B1", n(1), cos(B1), the commas of channels=a,b); elaboration reads them. With `kv` set,
 * KEY=VALUE triples go to the key list (.matrix levels=4). */
static void parse_raw(parser *p, const qp_stmt *st, int kv)
{
    if (!top_level(p, st)) {
        return;
    }
    qp_directive dv = {0};
    dv.word = &st->tok[0];
    dv.loc = st->tok[0].loc;
    for (size_t i = 1; i < st->ntok; i++) {
        int got = kv ? key_value(p, st, i, &dv.kv, &dv.nkv) : -1;
        if (got == 0) {
            free(dv.args);
            free(dv.kv);
            return;
        }
        if (got > 0) {
            i += 2;
            continue;
        }
        if (!QP_PUSH(dv.args, dv.nargs, &st->tok[i])) {
            free(dv.args);
            free(dv.kv);
            nomem(p);
            return;
        }
    }
    push_directive(p, &dv);
}

static void parse_stmts(parser *p, int file);

/* Removes "." components and "dir/.." pairs, so that one file has one name. Returns a new
 * string (caller frees) or NULL. */
static char *normalize_path(const char *path)
{
    size_t n = strlen(path);
    char *out = malloc(n + 2);
    size_t *seg = malloc((n / 2 + 2) * sizeof *seg); /* start offsets of kept segments */
    if (!out || !seg) {
        free(out), free(seg);
        return NULL;
    }
    size_t o = 0, nseg = 0;
    if (path[0] == '/') {
        out[o++] = '/';
    }
    const char *in = path;
    while (*in) {
        while (*in == '/') {
            in++;
        }
        size_t len = strcspn(in, "/");
        if (len == 0 || (len == 1 && in[0] == '.')) {
            /* skip */
        } else if (len == 2 && in[0] == '.' && in[1] == '.' && nseg > 0 &&
                   !(o - seg[nseg - 1] == 3 && strncmp(out + seg[nseg - 1], "../", 3) == 0)) {
            o = seg[--nseg];
        } else {
            seg[nseg++] = o;
            memcpy(out + o, in, len);
            o += len;
            out[o++] = '/';
        }
        in += len;
    }
    if (o > 1 || (o == 1 && out[0] != '/')) {
        o--; /* drop the last '/' */
    }
    out[o] = '\0';
    free(seg);
    return out;
}

/* Joins the directory of `base` with `rel` (unless rel is absolute), normalized. Caller frees. */
static char *resolve_path(const char *base, const char *rel)
{
    const char *slash = rel[0] == '/' ? NULL : strrchr(base, '/');
    size_t dlen = slash ? (size_t)(slash - base) + 1 : 0;
    size_t rlen = strlen(rel);
    char *joined = malloc(dlen + rlen + 1);
    if (!joined) {
        return NULL;
    }
    memcpy(joined, base, dlen);
    memcpy(joined + dlen, rel, rlen + 1);
    char *out = normalize_path(joined);
    free(joined);
    return out;
}

/* Whether st reads as a line of a netlist: a directive-like word (a dot and letters) or an
 * element-like name (a known letter, then letters, digits and _ . - [ ] $ # @) with at least two
 * more tokens. Typos pass; the lines of /etc/passwd, /etc/hosts or a binary do not. */
static int netlist_like(const qp_stmt *st)
{
    if (st->bad || st->ntok == 0 || st->tok[0].kind != QP_TOK_WORD) {
        return 0;
    }
    const char *w = st->tok[0].text;
    size_t n = st->tok[0].len;
    if (w[0] == '.') {
        for (size_t k = 1; k < n; k++) {
            if (!isalpha((unsigned char)w[k])) {
                return 0;
            }
        }
        return n >= 2 && n <= 16;
    }
    if (!strchr("CLBQKRIVPXEGFHT", toupper((unsigned char)w[0])) || st->ntok < 3) {
        return 0;
    }
    for (size_t k = 1; k < n; k++) {
        unsigned char c = (unsigned char)w[k];
        if (!isalnum(c) && !(c && strchr("_.-[]$#@", c))) {
            return 0;
        }
    }
    return 1;
}

/* Why an included file's statements are not a netlist (into buf, without quoting them), or
 * NULL: its first statement must read as one (netlist_like), and so must half of them. */
static const char *foreign(const qp_stmt_list *l, char *buf, size_t len)
{
    size_t good = 0;
    for (size_t i = 0; i < l->count; i++) {
        good += (size_t)netlist_like(&l->items[i]);
    }
    if (l->count > 0 && !netlist_like(&l->items[0])) {
        snprintf(buf, len, "its line %d is neither an element nor a directive",
                 l->items[0].loc.line);
        return buf;
    }
    if (2 * good < l->count) {
        snprintf(buf, len, "only %zu of its %zu statements are elements or directives", good,
                 l->count);
        return buf;
    }
    return NULL;
}

static void parse_include(parser *p, const qp_stmt *st, int file)
{
    if (st->ntok != 2 || (st->tok[1].kind != QP_TOK_WORD && st->tok[1].kind != QP_TOK_STRING)) {
        ERR(p, st->tok[0].loc, "expected one file name after .include");
        return;
    }
    const qp_token *t = &st->tok[1];
    char *path = resolve_path(p->deck->fnames[file], t->text);
    if (!path) {
        nomem(p);
        return;
    }
    for (int k = 0; k < p->nincl; k++) {
        if (strcmp(p->deck->fnames[p->incl[k]], path) == 0) {
            ERR(p, t->loc, "include cycle: '%s' is already being read", path);
            free(path);
            return;
        }
    }
    if (p->deck->nfiles >= QP_MAX_FILES) {
        ERR(p, t->loc, "more than %d files read through .include", QP_MAX_FILES);
        free(path);
        return;
    }
    if (p->nincl >= QP_MAX_INCLUDE_DEPTH) {
        ERR(p, t->loc, ".include nested more than %d deep", QP_MAX_INCLUDE_DEPTH);
        free(path);
        return;
    }
    char *text = NULL;
    size_t len = 0;
    const char *why = "no file reader";
    if (!p->opts || !p->opts->read || p->opts->read(p->opts->read_ctx, path, &text, &len, &why)) {
        ERR(p, t->loc, "cannot read included file '%s': %s", path, why);
        free(path);
        return;
    }
    /* Its lexical errors wait until it is known to be a netlist: a foreign file's are not
     * shown, as they would quote it. */
    qp_diag lexd = {0}, *d = p->d;
    p->d = &lexd;
    int idx = add_file(p, path, text, len);
    p->d = d;
    free(text);
    char reason[96];
    if (idx >= 0 && foreign(&p->deck->src[idx], reason, sizeof reason)) {
        ERR(p, t->loc, "'%s' is not a netlist (%s); nothing of it is read", path, reason);
    } else if (idx >= 0) {
        for (size_t i = 0; i < lexd.count; i++) {
            const qp_diag_entry *x = &lexd.items[i];
            qp_diag_add(p->d, x->sev, x->file, x->line, x->col, "%s", x->msg);
        }
        p->d->nomem |= lexd.nomem;
        p->incl[p->nincl++] = idx;
        parse_stmts(p, idx); /* a .end in it ends the whole deck (p->ended stays set) */
        p->nincl--;
    }
    qp_diag_clear(&lexd);
    free(path);
}

/* An unknown directive near a known one: reported with "did you mean" (1); else 0, and the
 * statement goes on to its own branch or to the generic "unknown directive" error. */
static int misspelt_directive(parser *p, const qp_token *t0)
{
    static const char *const known[] = {
        ".include", ".inc", ".param", ".model", ".subckt", ".ends", ".end", ".title", ".flux",
        ".ng", ".spectrum", ".sweep", ".bands", ".tran", ".wavefunction", ".temp", ".print",
        ".matrix", ".coherence", ".options", ".option", ".iv", ".plot"};
    qp_suggest sg;
    qp_suggest_init(&sg, t0->text);
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
        if (qp_ieq(t0->text, known[i])) {
            return 0;
        }
        qp_suggest_offer(&sg, known[i]);
    }
    if (!qp_suggest_best(&sg)) {
        return 0;
    }
    ERR(p, t0->loc, "unknown directive '%s' (did you mean '%s'?)", t0->text,
        qp_suggest_best(&sg));
    return 1;
}

static void parse_stmts(parser *p, int file)
{
    /* Index deck->src afresh each time: an .include may have moved that array. */
    for (size_t i = 0; i < p->deck->src[file].count && !p->ended && p->st == QP_OK; i++) {
        const qp_stmt *st = &p->deck->src[file].items[i];
        if (st->bad || st->ntok == 0) {
            continue;
        }
        const qp_token *t0 = &st->tok[0];
        if (t0->kind != QP_TOK_WORD) {
            ERR(p, t0->loc, "expected an element or a directive, found %s", tok_desc(t0));
            continue;
        }
        if (t0->text[0] != '.') {
            parse_element(p, st);
            continue;
        }
        const char *w = t0->text;
        if (misspelt_directive(p, t0)) {
            continue;
        }
        if (qp_ieq(w, ".include") || qp_ieq(w, ".inc")) {
            parse_include(p, st, file);
        } else if (qp_ieq(w, ".param")) {
            parse_param(p, st);
        } else if (qp_ieq(w, ".model")) {
            parse_model(p, st);
        } else if (qp_ieq(w, ".subckt")) {
            parse_subckt(p, st);
        } else if (qp_ieq(w, ".ends")) {
            parse_ends(p, st);
        } else if (qp_ieq(w, ".end")) {
            p->ended = 1;
        } else if (qp_ieq(w, ".title")) {
            free(p->deck->title);
            p->deck->title = qp_strdup(st->rest ? st->rest : "");
            p->deck->title_loc = t0->loc;
            if (!p->deck->title) {
                nomem(p);
            }
        } else if (qp_ieq(w, ".flux") || qp_ieq(w, ".ng") || qp_ieq(w, ".spectrum") ||
                   qp_ieq(w, ".sweep") || qp_ieq(w, ".bands") || qp_ieq(w, ".tran") ||
                   qp_ieq(w, ".wavefunction") || qp_ieq(w, ".temp") || qp_ieq(w, ".options") ||
                   qp_ieq(w, ".option") || qp_ieq(w, ".iv")) {
            parse_directive(p, st);
        } else if (qp_ieq(w, ".print") || qp_ieq(w, ".plot") || qp_ieq(w, ".matrix") ||
                   qp_ieq(w, ".coherence")) {
            /* .coherence: channels=a,b keeps its commas */
            parse_raw(p, st, !qp_ieq(w, ".print") && !qp_ieq(w, ".plot"));
        } else {
            ERR(p, t0->loc,
                "unknown directive '%s' (expected .param .model .subckt .ends .include .title "
                ".flux .ng .spectrum .sweep .bands .tran .print .matrix .wavefunction "
                ".coherence .temp .options .iv .plot .end)",
                w);
        }
    }
}

static int is_subckt(const qp_deck *deck, const qp_token *t)
{
    for (size_t i = 0; t->kind == QP_TOK_WORD && i < deck->nsubckts; i++) {
        if (qp_ieq(deck->subckts[i].name->text, t->text)) {
            return 1;
        }
    }
    return 0;
}

/* JoSIM's order `X01 DCSFQ 1 2` (subcircuit first, then nodes) becomes SPICE's `X01 1 2 DCSFQ`
 * when its first word names a subcircuit and its last does not: the definitions are all known
 * only once the whole deck is read. */
static void josim_instances_of(const qp_deck *deck, qp_body *b)
{
    for (size_t i = 0; i < b->nelems; i++) {
        qp_elem_stmt *e = &b->elems[i];
        if (e->letter != 'X' || e->npos < 2 || !is_subckt(deck, e->pos[0]) ||
            is_subckt(deck, e->pos[e->npos - 1])) {
            continue;
        }
        const qp_token *sub = e->pos[0];
        memmove(e->pos, e->pos + 1, (e->npos - 1) * sizeof *e->pos);
        e->pos[e->npos - 1] = sub;
    }
}

static void josim_instances(qp_deck *deck)
{
    josim_instances_of(deck, &deck->top);
    for (size_t i = 0; i < deck->nsubckts; i++) {
        josim_instances_of(deck, &deck->subckts[i].body);
    }
}

qp_status qp_netlist_parse_text(const char *name, const char *text, size_t len,
                                const qp_netlist_opts *opts, qp_deck **out, qp_diag *d)
{
    *out = NULL;
    qp_deck *deck = calloc(1, sizeof *deck);
    if (!deck) {
        return QP_ERR_NOMEM;
    }
    parser p = {0};
    p.deck = deck;
    p.opts = opts;
    p.d = d;
    size_t errors0 = d->errors;
    int idx = add_file(&p, name, text, len);
    if (idx >= 0) {
        p.incl[p.nincl++] = idx;
        parse_stmts(&p, idx);
    }
    if (p.st == QP_OK && p.nopen > 0 && !p.ended) {
        const qp_subckt_def *s = &deck->subckts[p.open[p.nopen - 1]];
        ERR(&p, s->loc, ".subckt %s is never closed by .ends", s->name->text);
    } else if (p.st == QP_OK && p.nopen > 0) {
        const qp_subckt_def *s = &deck->subckts[p.open[p.nopen - 1]];
        ERR(&p, s->loc, ".subckt %s is not closed by .ends before .end", s->name->text);
    }
    free(p.open);
    if (p.st == QP_OK) {
        josim_instances(deck);
    }
    if (p.st != QP_OK) {
        qp_deck_free(deck);
        return p.st;
    }
    *out = deck;
    return d->errors > errors0 ? QP_ERR_INPUT : QP_OK;
}

qp_status qp_netlist_parse_file(const char *path, const qp_netlist_opts *opts, qp_deck **out,
                                qp_diag *d)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    const char *why = "no file reader";
    if (!opts || !opts->read || opts->read(opts->read_ctx, path, &text, &len, &why)) {
        qp_diag_add(d, QP_SEV_ERROR, NULL, 0, 0, "cannot read '%s': %s", path, why);
        return QP_ERR_IO;
    }
    qp_status st = qp_netlist_parse_text(path, text, len, opts, out, d);
    free(text);
    return st;
}

static void free_body(qp_body *b)
{
    for (size_t i = 0; i < b->nelems; i++) {
        free(b->elems[i].pos);
        free(b->elems[i].kv);
        free(b->elems[i].fargs);
    }
    free(b->elems);
    free(b->params);
}

void qp_deck_free(qp_deck *deck)
{
    if (!deck) {
        return;
    }
    for (size_t i = 0; i < deck->nfiles; i++) {
        free(deck->fnames[i]);
        qp_stmt_list_free(&deck->src[i]);
    }
    free(deck->fnames);
    free(deck->src);
    free(deck->title);
    free_body(&deck->top);
    for (size_t i = 0; i < deck->nsubckts; i++) {
        free(deck->subckts[i].ports);
        free(deck->subckts[i].defaults);
        free_body(&deck->subckts[i].body);
    }
    free(deck->subckts);
    for (size_t i = 0; i < deck->nmodels; i++) {
        free(deck->models[i].kv);
    }
    free(deck->models);
    for (size_t i = 0; i < deck->ndirs; i++) {
        free(deck->dirs[i].args);
        free(deck->dirs[i].kv);
    }
    free(deck->dirs);
    free(deck);
}
