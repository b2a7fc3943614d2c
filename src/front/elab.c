/* Elaboration: parameters, models and subcircuits resolved into a flat circuit in SI units. */
#include "qpsim/circuit.h"
#include "front/expr.h"
#include "qpsim/units.h"

#include "base/strmap.h"
#include "base/strbuf.h"
#include "base/vec.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_PARAM_CHAIN 256 /* bounds the recursion of parameters defined by parameters */

enum { P_TODO, P_BUSY, P_DONE, P_FAILED };

typedef struct {
    const char *name;
    const qp_token *tok; /* value to evaluate, or NULL when preset */
    double value;
    int state;
    qp_loc loc; /* where the name is defined */
} pentry;

typedef struct scope {
    pentry *e;
    size_t n;
    qp_strmap map; /* case-insensitive name -> index into e */
    const struct scope *parent;
} scope;

typedef struct {
    const qp_model_def *def;
    int is_qps;
    int ok;
    double ic, cap, ej, ec, rn, es, vc;
    int has_ic, has_cap, has_ej, has_ec, has_rn, has_es, has_vc;
} model_val;

typedef struct {
    char *l1, *l2; /* flattened inductor names (owned) */
    const qp_token *t1, *t2;
    int elem; /* index of the K element */
} pending_k;

typedef struct {
    const qp_deck *deck;
    qp_diag *d;
    qp_circuit *c;
    qp_status st; /* QP_OK, QP_ERR_NOMEM, QP_ERR_USAGE */
    scope global;
    qp_strmap models, subckts, nodes, elems;
    model_val *mv;
    pending_k *pk;
    size_t npk;
    char **dropped; /* names of elements dropped after an error, kept for duplicate checks */
    qp_loc *dropped_loc;
    size_t ndropped, ndropped_loc;
    qp_strmap insts; /* flattened instance names -> index into inst_loc */
    qp_loc *inst_loc;
    char **inst_names;
    size_t ninst_names, ninst_loc;
    const pentry *chain[MAX_PARAM_CHAIN]; /* parameters being evaluated */
    int nchain;
    const qp_subckt_def *inst[QP_MAX_SUBCKT_DEPTH]; /* subcircuits being instantiated */
    int ninst;
    int too_big;
    /* the token being evaluated, to place expression errors */
    const qp_token *cur_tok;
    int cur_word; /* 1 when cur_tok is a bare word (offset 0 = its first char) */
} elab;

static const char *fname(const elab *E, qp_loc loc)
{
    return loc.file >= 0 && (size_t)loc.file < E->deck->nfiles ? E->deck->fnames[loc.file]
                                                               : NULL;
}

#define ERR(E, loc, ...)                                                                           \
    qp_diag_add((E)->d, QP_SEV_ERROR, fname(E, loc), (loc).line, (loc).col, __VA_ARGS__)
#define NOTE(E, loc, ...)                                                                          \
    qp_diag_add((E)->d, QP_SEV_NOTE, fname(E, loc), (loc).line, (loc).col, __VA_ARGS__)

static void nomem(elab *E)
{
    E->st = QP_ERR_NOMEM;
}

/* ---- parameters ---------------------------------------------------------------------------- */

static int eval_entry(elab *E, const scope *s, pentry *pe);

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
            int ok = eval_entry(E, s, pe);
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

static const char *article(const char *word)
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
                article(qp_quantity_name(want)), qp_quantity_name(want),
                want == QP_QTY_ENERGY ? "GHz, MHz, kHz, Hz, THz, eV, meV, ueV or neV"
                                      : qp_quantity_unit(want));
        }
        break;
    case QP_NUM_WRONG_UNIT:
        ERR(E, at, "'%s' is %s %s, but %s %s (%s) is expected here", t->text,
            article(qp_quantity_name(got)), qp_quantity_name(got), article(qp_quantity_name(want)),
            qp_quantity_name(want), want == QP_QTY_NONE ? "no unit" : qp_quantity_unit(want));
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
        qp_diag_add(E->d, QP_SEV_WARNING, fname(E, t->loc), t->loc.line, t->loc.col,
                    "'%s' is read with M = milli (SPICE); write 'meg' for mega", t->text);
    } else if (has_exp && q == QP_QTY_CAPACITANCE && (u[0] == 'F' || u[0] == 'f') && !u[1]) {
        qp_diag_add(E->d, QP_SEV_WARNING, fname(E, t->loc), t->loc.line, t->loc.col,
                    "'%s': the trailing F is the femto suffix (SPICE), not farad", t->text);
    }
}

/* Evaluates a value token in scope s as quantity q. Returns 1 on success. */
static int eval_tok(elab *E, const scope *s, const qp_token *t, qp_quantity q, double *out)
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

static int eval_entry(elab *E, const scope *s, pentry *pe)
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
    int ok = eval_tok(E, s, pe->tok, QP_QTY_ANY, &v);
    E->nchain--;
    if (pe->state == P_FAILED) { /* a cycle through this entry was reported */
        return 0;
    }
    pe->state = ok ? P_DONE : P_FAILED;
    pe->value = v;
    return ok;
}

/* Adds a definition to a scope, reporting a duplicate. */
static void scope_add(elab *E, scope *s, const char *name, const qp_token *tok, double value,
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
        nomem(E);
    }
}

static void scope_free(scope *s)
{
    free(s->e);
    qp_strmap_free(&s->map);
}

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

static void eval_models(elab *E)
{
    const qp_deck *dk = E->deck;
    E->mv = calloc(dk->nmodels ? dk->nmodels : 1, sizeof *E->mv);
    if (!E->mv) {
        nomem(E);
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
            nomem(E);
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
                ERR(E, m->kv[k].key->loc, "unknown key '%s' in a %s model%s", m->kv[k].key->text,
                    mv->is_qps ? "qps" : "jj", mv->is_qps ? " (expected es or vc)" : "");
                ok = 0;
                continue;
            }
            double v;
            if (!eval_tok(E, &E->global, m->kv[k].val, spec->q, &v)) {
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

/* ---- nodes and elements -------------------------------------------------------------------- */

typedef struct {
    const char *prefix;         /* "" or "X1.X2." */
    const qp_subckt_def *sub;   /* NULL at top level */
    const int *portmap;         /* node index of each port */
    const scope *sc;
} inst_ctx;

static int is_ground(const char *s)
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
        nomem(E);
        return 0;
    }
    if (!qp_strmap_put(&E->nodes, copy, (int)c->nnodes - 1)) {
        nomem(E);
        return 0;
    }
    return (int)c->nnodes - 1;
}

static char *join(const char *prefix, const char *name)
{
    size_t a = strlen(prefix), b = strlen(name);
    char *s = malloc(a + b + 1);
    if (s) {
        memcpy(s, prefix, a);
        memcpy(s + a, name, b + 1);
    }
    return s;
}

static int map_node(elab *E, const inst_ctx *ic, const qp_token *t, int *out)
{
    if (t->kind != QP_TOK_WORD) {
        ERR(E, t->loc, "expected a node name");
        return 0;
    }
    if (is_ground(t->text)) {
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
    char *full = join(ic->prefix, t->text);
    if (!full) {
        nomem(E);
        return 0;
    }
    *out = intern_node(E, full);
    free(full);
    return E->st == QP_OK;
}

static qp_element *new_element(elab *E, const qp_elem_stmt *es, const inst_ctx *ic,
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
    char *name = join(ic->prefix, es->name->text);
    if (!name) {
        nomem(E);
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
        nomem(E);
        return NULL;
    }
    if (!qp_strmap_put(&E->elems, name, (int)c->nelem - 1)) {
        nomem(E);
        return NULL;
    }
    return &c->elem[c->nelem - 1];
}

/* Drops the element just added (after an error in its values). */
static void drop_last(elab *E)
{
    qp_circuit *c = E->c;
    qp_element *el = &c->elem[c->nelem - 1];
    /* Keep the name taken (value -2) so that later references give no cascaded errors; the map
     * borrows the string, so it moves to the dropped list until elaboration ends. */
    int code = -2 - (int)E->ndropped; /* decoded by dropped_index() */
    if (!qp_strmap_put(&E->elems, el->name, code) || !QP_PUSH(E->dropped, E->ndropped, el->name) ||
        !QP_PUSH(E->dropped_loc, E->ndropped_loc, el->loc)) {
        free(el->name); /* out of memory: elaboration stops before the map is read again */
        nomem(E);
    }
    free(el->wave.p);
    free(el->model);
    c->nelem--;
}

static const char *letter_name(char letter)
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
            if (na) {
                ERR(E, es->kv[i].key->loc, "unknown key '%s' for %s %s (expected %s)",
                    es->kv[i].key->text, letter_name(es->letter), es->name->text, list);
            } else {
                ERR(E, es->kv[i].key->loc, "%s %s takes no key=value options",
                    letter_name(es->letter), es->name->text);
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

static int positive(elab *E, const qp_token *t, double v, const char *what, const char *name)
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
            letter_name(es->letter), es->name->text);
        return 1;
    }
    return 0;
}

/* C, L, R: a positional value or an energy key. */
static int elab_linear(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el)
{
    static const char *const ckeys[] = {"ec"};
    static const char *const lkeys[] = {"el"};
    const char *ekey = es->letter == 'C' ? "ec" : es->letter == 'L' ? "el" : NULL;
    qp_quantity q = es->letter == 'C'   ? QP_QTY_CAPACITANCE
                    : es->letter == 'L' ? QP_QTY_INDUCTANCE
                                        : QP_QTY_RESISTANCE;
    if (!check_keys(E, es, es->letter == 'C' ? ckeys : lkeys, ekey ? 1 : 0)) {
        return 0;
    }
    const qp_token *ev = ekey ? get_kv(es, ekey) : NULL;
    const qp_token *pv = es->npos > 2 ? es->pos[2] : NULL;
    if (pv && ev) {
        ERR(E, kv_key(es, ekey)->loc, "%s %s has both a value and %s=: keep one", letter_name(es->letter),
            es->name->text, ekey);
        return 0;
    }
    if (!pv && !ev) {
        ERR(E, es->loc, "%s %s needs a value%s%s%s", letter_name(es->letter), es->name->text,
            ekey ? " or " : "", ekey ? ekey : "", ekey ? "=" : "");
        return 0;
    }
    if (extra_args(E, es, 3)) {
        return 0;
    }
    double v;
    if (pv) {
        if (!eval_tok(E, ic->sc, pv, q, &v) || !positive(E, pv, v, "value", es->name->text)) {
            return 0;
        }
        el->value = v;
        return 1;
    }
    if (!eval_tok(E, ic->sc, ev, QP_QTY_ENERGY, &v) || !positive(E, ev, v, ekey, es->name->text)) {
        return 0;
    }
    el->value = es->letter == 'C' ? qp_units_c_from_ec(v) : qp_units_l_from_el(v);
    return 1;
}

static const model_val *find_model(elab *E, const qp_elem_stmt *es, int want_qps)
{
    if (es->npos < 3) {
        return NULL;
    }
    const qp_token *t = es->pos[2];
    int i = t->kind == QP_TOK_WORD ? qp_strmap_get(&E->models, t->text) : -1;
    if (i < 0) {
        if (t->kind == QP_TOK_WORD && !qp_units_is_numeric(t->text, t->len)) {
            ERR(E, t->loc, "unknown model '%s'", t->text);
        } else {
            ERR(E, t->loc, "expected a model name or key=value after the nodes of %s",
                es->name->text);
        }
        return (const model_val *)-1;
    }
    const model_val *mv = &E->mv[i];
    if (mv->is_qps != want_qps) {
        ERR(E, t->loc, "model '%s' is a %s model, but %s is a %s", t->text,
            mv->is_qps ? "qps" : "jj", es->name->text, letter_name(es->letter));
        NOTE(E, mv->def->loc, "model '%s' is defined here", t->text);
        return (const model_val *)-1;
    }
    return mv->ok ? mv : (const model_val *)-1;
}

static int elab_junction(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el)
{
    static const char *const keys[] = {"ic", "icrit", "ej", "c", "cap", "ec", "area", "rn", "bloch"};
    if (!check_keys(E, es, keys, sizeof keys / sizeof keys[0])) {
        return 0;
    }
    const model_val *mv = find_model(E, es, 0);
    if (mv == (const model_val *)-1 || extra_args(E, es, 3)) {
        return 0;
    }
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
        if (!eval_tok(E, ic->sc, t_area, QP_QTY_NONE, &area) ||
            !positive(E, t_area, area, "area", es->name->text)) {
            return 0;
        }
    }
    el->area = area;
    if (t_area && !mv) {
        qp_diag_add(E->d, QP_SEV_WARNING, fname(E, t_area->loc), t_area->loc.line,
                    t_area->loc.col, "area= scales model values only; %s has no model, so its "
                    "area is ignored", es->name->text);
    }
    if (t_ic) {
        if (!eval_tok(E, ic->sc, t_ic, QP_QTY_CURRENT, &v) ||
            !positive(E, t_ic, v, "critical current", es->name->text)) {
            return 0;
        }
        el->ic = v;
    } else if (t_ej) {
        if (!eval_tok(E, ic->sc, t_ej, QP_QTY_ENERGY, &v) ||
            !positive(E, t_ej, v, "ej", es->name->text)) {
            return 0;
        }
        el->ic = qp_units_ic_from_ej(v);
    } else if (mv && (mv->has_ic || mv->has_ej)) {
        el->ic = area * (mv->has_ic ? mv->ic : qp_units_ic_from_ej(mv->ej));
    } else {
        ERR(E, es->loc, "Josephson junction %s has no critical current: give ic= or ej=%s",
            es->name->text, mv ? " (its model has no icrit or ej)" : " or a model");
        return 0;
    }
    if (t_c) {
        if (!eval_tok(E, ic->sc, t_c, QP_QTY_CAPACITANCE, &v)) {
            return 0;
        }
        if (v < 0.0) {
            ERR(E, t_c->loc, "capacitance of %s must not be negative (got %g)", es->name->text, v);
            return 0;
        }
        el->cap = v;
    } else if (t_ec) {
        if (!eval_tok(E, ic->sc, t_ec, QP_QTY_ENERGY, &v) ||
            !positive(E, t_ec, v, "ec", es->name->text)) {
            return 0;
        }
        el->cap = qp_units_c_from_ec(v);
    } else if (mv && (mv->has_cap || mv->has_ec)) {
        el->cap = area * (mv->has_cap ? mv->cap : qp_units_c_from_ec(mv->ec));
    }
    if (t_rn) {
        if (!eval_tok(E, ic->sc, t_rn, QP_QTY_RESISTANCE, &v) ||
            !positive(E, t_rn, v, "rn", es->name->text)) {
            return 0;
        }
        el->rn = v;
    } else if (mv && mv->has_rn) {
        el->rn = mv->rn / area;
    }
    const qp_token *t_bl = get_kv(es, "bloch");
    if (t_bl) {
        if (!eval_tok(E, ic->sc, t_bl, QP_QTY_NONE, &v)) {
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
        nomem(E);
        return 0;
    }
    return 1;
}

static int elab_qps(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el)
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
        if (!eval_tok(E, ic->sc, t_es, QP_QTY_ENERGY, &v) ||
            !positive(E, t_es, v, "es", es->name->text)) {
            return 0;
        }
        el->vc = qp_units_vc_from_es(v);
    } else if (t_vc) {
        if (!eval_tok(E, ic->sc, t_vc, QP_QTY_VOLTAGE, &v) ||
            !positive(E, t_vc, v, "vc", es->name->text)) {
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
        nomem(E);
        return 0;
    }
    return 1;
}

static int elab_mutual(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el)
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
    if (!eval_tok(E, ic->sc, es->pos[2], QP_QTY_NONE, &k)) {
        return 0;
    }
    if (!(fabs(k) < 1.0)) {
        ERR(E, es->pos[2]->loc, "coupling factor of %s must satisfy |k| < 1 (got %g)",
            es->name->text, k);
        return 0;
    }
    el->value = k;
    pending_k pk = {join(ic->prefix, es->pos[0]->text), join(ic->prefix, es->pos[1]->text),
                    es->pos[0], es->pos[1], (int)E->c->nelem - 1};
    if (!pk.l1 || !pk.l2 || !QP_PUSH(E->pk, E->npk, pk)) {
        free(pk.l1);
        free(pk.l2);
        nomem(E);
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
        nomem(E);
        return 0;
    }
    el->wave.np = es->nfargs;
    for (size_t i = 0; i < es->nfargs; i++) {
        if (!eval_tok(E, ic->sc, es->fargs[i], q[i], &el->wave.p[i])) {
            return 0;
        }
        if (q[i] == QP_QTY_TIME && el->wave.p[i] < 0.0) {
            ERR(E, es->fargs[i]->loc, "time in %s(...) must not be negative", es->fn->text);
            return 0;
        }
    }
    return 1;
}

static int elab_source(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el)
{
    if (!check_keys(E, es, NULL, 0)) {
        return 0;
    }
    qp_quantity q = es->letter == 'I' ? QP_QTY_CURRENT : QP_QTY_VOLTAGE;
    size_t i = 2;
    if (i < es->npos && es->pos[i]->kind == QP_TOK_WORD && qp_ieq(es->pos[i]->text, "dc")) {
        i++;
        if (i >= es->npos) {
            ERR(E, es->pos[i - 1]->loc, "expected a value after 'dc'");
            return 0;
        }
    }
    if (i < es->npos) {
        if (!eval_tok(E, ic->sc, es->pos[i], q, &el->wave.dc)) {
            return 0;
        }
        i++;
    } else if (!es->fn) {
        ERR(E, es->loc, "%s %s needs a value: dc VALUE, sin(...), pwl(...) or pulse(...)",
            letter_name(es->letter), es->name->text);
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
        if (!eval_fargs(E, es, ic, qs, 3, 6, el)) {
            return 0;
        }
        if (!(el->wave.p[2] > 0.0)) {
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
            nomem(E);
            return 0;
        }
        el->wave.np = es->nfargs;
        for (size_t k = 0; k < es->nfargs; k++) {
            if (!eval_tok(E, ic->sc, es->fargs[k], k % 2 ? q : QP_QTY_TIME, &el->wave.p[k])) {
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

static void instantiate(elab *E, const qp_body *body, const inst_ctx *ic);

static void elab_instance(elab *E, const qp_elem_stmt *es, const inst_ctx *ic)
{
    if (es->npos < 1 || es->pos[es->npos - 1]->kind != QP_TOK_WORD) {
        ERR(E, es->loc, "subcircuit instance %s needs nodes and a subcircuit name",
            es->name->text);
        return;
    }
    char *iname = join(ic->prefix, es->name->text);
    if (!iname) {
        nomem(E);
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
        nomem(E);
        return;
    }
    if (!QP_PUSH(E->inst_loc, E->ninst_loc, es->name->loc) ||
        !qp_strmap_put(&E->insts, iname, (int)E->ninst_loc - 1)) {
        nomem(E);
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
    for (int k = 0; k < E->ninst; k++) {
        if (E->inst[k] == sub) {
            ERR(E, es->loc, "subcircuit %s instantiates itself through %s", sub->name->text,
                es->name->text);
            return;
        }
    }
    if (E->ninst >= QP_MAX_SUBCKT_DEPTH) {
        ERR(E, es->loc, "subcircuits nested more than %d deep", QP_MAX_SUBCKT_DEPTH);
        return;
    }
    int *portmap = calloc(nn ? nn : 1, sizeof *portmap);
    char *prefix = malloc(strlen(ic->prefix) + es->name->len + 2);
    scope sc = {0};
    sc.map.nocase = 1;
    sc.parent = &E->global;
    if (!portmap || !prefix) {
        nomem(E);
        goto done;
    }
    sprintf(prefix, "%s%s.", ic->prefix, es->name->text);
    for (size_t k = 0; k < nn; k++) {
        if (!map_node(E, ic, es->pos[k], &portmap[k])) {
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
        if (!eval_tok(E, ic->sc, es->kv[k].val, QP_QTY_ANY, &v)) {
            goto done;
        }
        scope_add(E, &sc, key->text, NULL, v, 1, key->loc);
    }
    for (size_t j = 0; j < sub->ndefaults; j++) {
        if (qp_strmap_get(&sc.map, sub->defaults[j].key->text) < 0) {
            scope_add(E, &sc, sub->defaults[j].key->text, sub->defaults[j].val, 0.0, 0,
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
        scope_add(E, &sc, pd->name->text, pd->value, 0.0, 0, pd->name->loc);
    }
    if (E->st != QP_OK) {
        goto done;
    }
    inst_ctx child = {prefix, sub, portmap, &sc};
    E->inst[E->ninst++] = sub;
    instantiate(E, &sub->body, &child);
    E->ninst--;
done:
    scope_free(&sc);
    free(portmap);
    free(prefix);
}

/* Values must be finite after conversion (ec=1e-300 would make an infinite capacitance). The
 * range that spectra can handle is checked by the quantizer. */
static int in_range(elab *E, const qp_elem_stmt *es, const qp_element *el)
{
    double e[4] = {qp_element_ec(el), qp_element_el(el), qp_element_ej(el), qp_element_es(el)};
    int bad = !isfinite(el->value) || !isfinite(el->ic) || !isfinite(el->cap) ||
              !isfinite(el->vc) || !isfinite(el->rn);
    for (int k = 0; k < 4; k++) {
        bad |= !isfinite(e[k]);
    }
    if (bad) {
        ERR(E, es->loc, "a value of %s is out of range (not a finite number after conversion)",
            es->name->text);
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
    default:
        kind = QP_EL_V;
        break;
    }
    int nodes[2] = {0, 0};
    if (kind != QP_EL_K) {
        if (es->npos < 2) {
            ERR(E, es->loc, "%s %s needs two nodes", letter_name(es->letter), es->name->text);
            return;
        }
        for (int k = 0; k < 2; k++) {
            if (!map_node(E, ic, es->pos[k], &nodes[k])) {
                return;
            }
        }
    }
    qp_element *el = new_element(E, es, ic, kind);
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
        ok = elab_linear(E, es, ic, el);
        break;
    case QP_EL_B:
        ok = elab_junction(E, es, ic, el);
        break;
    case QP_EL_Q:
        ok = elab_qps(E, es, ic, el);
        break;
    case QP_EL_K:
        ok = elab_mutual(E, es, ic, el);
        break;
    default:
        ok = elab_source(E, es, ic, el);
        break;
    }
    if (ok) {
        ok = in_range(E, es, el);
    }
    if (!ok) {
        drop_last(E);
    }
}

static void instantiate(elab *E, const qp_body *body, const inst_ctx *ic)
{
    for (size_t i = 0; i < body->nelems && E->st == QP_OK && !E->too_big; i++) {
        elab_element(E, &body->elems[i], ic);
    }
}

static void resolve_mutuals(elab *E)
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
                    c->elem[idx[k]].name, article(qp_elem_kind_name(c->elem[idx[k]].kind)),
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

/* ---- directives ---------------------------------------------------------------------------- */

static int eval_int(elab *E, const qp_token *t, int lo, int hi, const char *what, int *out)
{
    double v;
    if (!eval_tok(E, &E->global, t, QP_QTY_NONE, &v)) {
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
            ERR(E, dv->kv[i].key->loc, "unknown key '%s' for %s", dv->kv[i].key->text,
                dv->word->text);
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

static void free_ops(qp_analysis *an);


static void add_analysis(elab *E, qp_analysis an)
{
    if (!QP_PUSH(E->c->analyses, E->c->nanalyses, an)) {
        free(an.param);
        free_ops(&an);
        nomem(E);
    }
}

static int find_top_param(const elab *E, const char *name)
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
    if (!eval_tok(E, &E->global, dv->args[0], QP_QTY_NONE, &fl.f)) {
        return;
    }
    fl.n = dv->nargs - 1;
    fl.implicit = fl.n == 0;
    if (fl.n) {
        fl.branch = calloc(fl.n, sizeof *fl.branch);
        fl.sign = calloc(fl.n, sizeof *fl.sign);
        if (!fl.branch || !fl.sign) {
            goto nomem;
        }
    }
    for (size_t k = 0; k < fl.n; k++) {
        const qp_token *t = dv->args[k + 1];
        int i = t->kind == QP_TOK_WORD ? qp_strmap_get(&E->elems, t->text) : -1;
        if (i <= -2) {
            goto fail;
        }
        if (i < 0) {
            ERR(E, t->loc, "no element named '%s' for the flux loop", t->text);
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
nomem:
    nomem(E);
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
    if (is_ground(nt->text)) {
        ERR(E, nt->loc, "ground cannot carry an offset charge");
        return;
    }
    int n = qp_strmap_get(&E->nodes, nt->text);
    if (n < 0) {
        ERR(E, nt->loc, "no node named '%s' (node names are case-sensitive)", nt->text);
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
    if (!eval_tok(E, &E->global, dv->args[1], QP_QTY_NONE, &off.ng)) {
        return;
    }
    if (!QP_PUSH(E->c->offsets, E->c->noffsets, off)) {
        nomem(E);
    }
}

/* One .print request: the trace column it names, checked against the circuit. */
static int print_column(elab *E, const qp_token *fn_tok, char fn, const qp_token *name)
{
    const qp_circuit *c = E->c;
    char buf[600];
    int node = qp_strmap_get(&E->nodes, name->text);
    int el = qp_strmap_get(&E->elems, name->text);
    if (node <= -2 || el <= -2) {
        return 0;
    }
    const qp_element *e = el >= 0 ? &c->elem[el] : NULL;
    const char *col = NULL;
    int dual = e && (e->kind == QP_EL_Q || (e->kind == QP_EL_B && e->bloch));
    if (fn == 'V' && node >= 0 && e && (e->kind == QP_EL_B || e->kind == QP_EL_Q)) {
        ERR(E, name->loc, "V(%s) is ambiguous: '%s' names both a node and a junction; rename one",
            name->text, name->text);
        return 0;
    }
    if (fn == 'V' && node == 0) {
        ERR(E, name->loc, "V(%s) is the ground node, always 0", name->text);
        return 0;
    }
    switch (fn) {
    case 'V':
        if (node >= 0 || (e && (e->kind == QP_EL_B || e->kind == QP_EL_Q))) {
            col = "V";
        }
        break;
    case 'I':
        if (e && (e->kind == QP_EL_L || e->kind == QP_EL_V)) {
            col = "I";
        } else if (e && e->kind == QP_EL_B && !dual) {
            col = "Is";
        }
        break;
    case 'P':
        col = e && e->kind == QP_EL_B && !dual ? "P" : NULL;
        break;
    case 'Q':
        col = dual ? "Q" : NULL;
        break;
    default:
        break;
    }
    if (!col) {
        if (node < 0 && !e) {
            ERR(E, name->loc, "no node or element named '%s' for .print", name->text);
        } else {
            ERR(E, fn_tok->loc, "%c(%s) is not traced: .print takes V(node), V(junction), "
                "I(inductor or voltage source), I(junction) (its supercurrent), P(junction) "
                "(phase) and Q(phase-slip or bloch=1 junction) (charge)", fn, name->text);
        }
        return 0;
    }
    /* the column as the transient names it: canonical node or element name */
    snprintf(buf, sizeof buf, "%s(%s)", col, e && !(fn == 'V' && node >= 0) ? e->name
                                                                            : c->node_names[node]);
    char *dup = qp_strdup(buf);
    if (!dup || !QP_PUSH(E->c->prints, E->c->nprints, dup)) {
        free(dup);
        nomem(E);
        return 0;
    }
    return 1;
}

/* .print V(n) I(L1) P(B1) Q(Q1) ... and JoSIM's forms "phase B1", "devv B1", "devi B1",
 * "nodev N [0]" (one request per directive in JoSIM; any number here). */
static void elab_print(elab *E, const qp_directive *dv)
{
    size_t i = 0, n = dv->nargs;
    if (n == 0) {
        ERR(E, dv->loc, "expected '.print V(node) | I(element) | P(junction) | Q(element) ...'");
        return;
    }
    while (i < n) {
        const qp_token *t = dv->args[i];
        const qp_token *nx = i + 1 < n ? dv->args[i + 1] : NULL;
        if (t->kind == QP_TOK_WORD && strlen(t->text) == 1 && nx && nx->kind == QP_TOK_LPAREN) {
            char fn = (char)toupper((unsigned char)t->text[0]);
            const qp_token *nm = i + 2 < n ? dv->args[i + 2] : NULL;
            const qp_token *cl = i + 3 < n ? dv->args[i + 3] : NULL;
            if (!nm || nm->kind != QP_TOK_WORD || !cl || cl->kind != QP_TOK_RPAREN) {
                ERR(E, nx->loc, "expected %s(NAME) in .print (differences such as V(a,b) are not "
                    "supported: print V(a) and V(b))", t->text);
                return;
            }
            if (!print_column(E, t, fn, nm)) {
                return;
            }
            i += 4;
            continue;
        }
        static const char *const jos[4] = {"phase", "devv", "devi", "nodev"};
        static const char fns[4] = {'P', 'V', 'I', 'V'};
        int k = -1;
        for (int j = 0; t->kind == QP_TOK_WORD && j < 4; j++) {
            if (qp_ieq(t->text, jos[j])) {
                k = j;
            }
        }
        if (k < 0 || !nx || nx->kind != QP_TOK_WORD) {
            ERR(E, t->loc, "expected V(node), I(element), P(junction), Q(element) or JoSIM's "
                "'phase|devv|devi|nodev NAME' in .print");
            return;
        }
        if (!print_column(E, t, fns[k], nx)) {
            return;
        }
        i += 2;
        if (k == 3 && i < n && dv->args[i]->kind == QP_TOK_WORD &&
            strcmp(dv->args[i]->text, "0") == 0) {
            i++; /* nodev N 0: against ground */
        }
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
    if (tt && !eval_tok(E, &E->global, tt, QP_QTY_ENERGY, &an->tol)) {
        return 0;
    }
    if (tt && !(an->tol > 0.0)) {
        ERR(E, tt->loc, "tol of %s must be a positive energy (GHz)", dv->word->text);
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

static void free_ops(qp_analysis *an)
{
    for (size_t i = 0; i < an->nops; i++) {
        free(an->ops[i].name);
    }
    free(an->ops);
    an->ops = NULL;
    an->nops = 0;
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
            if (is_ground(nm->text)) {
                ERR(E, nm->loc, "n(%s): ground has no charge variable", nm->text);
                return 0;
            }
            int node = qp_strmap_get(&E->nodes, nm->text);
            if (node <= -2) {
                return 0;
            }
            if (node < 0) {
                ERR(E, nm->loc, "no node named '%s' (node names are case-sensitive)", nm->text);
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
                ERR(E, nm->loc, "no element named '%s' for %s()", nm->text, fns[k]);
                return 0;
            }
            qp_elem_kind ek = E->c->elem[el].kind;
            if ((k == QP_OP_PHASE && ek != QP_EL_B) || (k == QP_OP_QCHARGE && ek != QP_EL_Q) ||
                ((k == QP_OP_COS || k == QP_OP_SIN) && ek != QP_EL_B && ek != QP_EL_Q)) {
                ERR(E, nm->loc, "%s() needs a %s; '%s' is %s %s", fns[k],
                    k == QP_OP_PHASE     ? "Josephson junction"
                    : k == QP_OP_QCHARGE ? "phase-slip junction"
                                         : "Josephson or phase-slip junction",
                    nm->text, article(qp_elem_kind_name(ek)), qp_elem_kind_name(ek));
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
            nomem(E);
            return 0;
        }
        i += 4;
    }
    return 1;
}

static void elab_directive(elab *E, const qp_directive *dv)
{
    const char *w = dv->word->text;
    qp_analysis an = {0};
    an.loc = dv->loc;
    an.element = -1;
    if (qp_ieq(w, ".flux")) {
        elab_flux(E, dv);
    } else if (qp_ieq(w, ".ng")) {
        elab_ng(E, dv);
    } else if (qp_ieq(w, ".print")) {
        elab_print(E, dv);
    } else if (qp_ieq(w, ".spectrum")) {
        static const char *const keys[] = {"levels", "tol",   "ncut",      "mcut",
                                           "nho",    "basis", "dispersion"};
        an.kind = QP_AN_SPECTRUM;
        an.levels = 6;
        an.dispersion = -1;
        if (!dir_keys(E, dv, keys, 7) ||
            !nargs_ok(E, dv, 0, 0,
                      ".spectrum [levels=N] [tol=GHz] [ncut=N] [mcut=N] [nho=N] [basis=ho|grid] "
                      "[dispersion=yes|no]") ||
            !basis_keys(E, dv, &an)) {
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
    } else if (qp_ieq(w, ".matrix")) {
        static const char *const keys[] = {"levels", "tol", "ncut", "mcut", "nho", "basis"};
        an.kind = QP_AN_MATRIX;
        an.levels = 4;
        if (!dir_keys(E, dv, keys, 6) || !basis_keys(E, dv, &an) || !elab_ops(E, dv, &an)) {
            free_ops(&an);
            return;
        }
        if (an.levels > QP_STATES_MAX_LEVELS) {
            ERR(E, dir_kv(dv, "levels")->loc, ".matrix takes at most %d levels (got %d)",
                QP_STATES_MAX_LEVELS, an.levels);
            free_ops(&an);
            return;
        }
        add_analysis(E, an);
    } else if (qp_ieq(w, ".wavefunction")) {
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
    } else if (qp_ieq(w, ".sweep")) {
        an.kind = QP_AN_SWEEP;
        if (!dir_keys(E, dv, NULL, 0) || !nargs_ok(E, dv, 4, 4, ".sweep NAME START STOP POINTS")) {
            return;
        }
        const qp_token *nt = dv->args[0];
        if (nt->kind != QP_TOK_WORD || find_top_param(E, nt->text) < 0) {
            ERR(E, nt->loc, "'%s' is not a top-level .param, so it cannot be swept", nt->text);
            return;
        }
        if (!eval_tok(E, &E->global, dv->args[1], QP_QTY_ANY, &an.start) ||
            !eval_tok(E, &E->global, dv->args[2], QP_QTY_ANY, &an.stop) ||
            !eval_int(E, dv->args[3], 1, 1000000, "number of sweep points", &an.points)) {
            return;
        }
        if (an.points == 1 && an.start != an.stop) {
            ERR(E, dv->args[3]->loc, "a sweep from %g to %g needs at least 2 points", an.start,
                an.stop);
            return;
        }
        an.param = qp_strdup(E->global.e[find_top_param(E, nt->text)].name);
        if (!an.param) {
            nomem(E);
            return;
        }
        add_analysis(E, an);
    } else if (qp_ieq(w, ".bands")) {
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
            ERR(E, et->loc, "no element named '%s' for .bands", et->text);
            return;
        }
        if (E->c->elem[i].kind != QP_EL_B && E->c->elem[i].kind != QP_EL_Q) {
            ERR(E, et->loc, ".bands needs a Josephson or phase-slip junction; '%s' is %s %s",
                et->text, article(qp_elem_kind_name(E->c->elem[i].kind)),
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
    } else if (qp_ieq(w, ".tran")) {
        static const char *const keys[] = {"rtol"};
        an.kind = QP_AN_TRAN;
        if (!dir_keys(E, dv, keys, 1) ||
            !nargs_ok(E, dv, 2, 3, ".tran TSTEP TSTOP [TSTART] [rtol=R]")) {
            return;
        }
        const qp_token *tr = dir_kv(dv, "rtol");
        if (tr) {
            if (!eval_tok(E, &E->global, tr, QP_QTY_NONE, &an.rtol)) {
                return;
            }
            if (!(an.rtol >= 1e-13 && an.rtol <= 1e-2)) {
                ERR(E, tr->loc, "rtol of .tran must lie between 1e-13 and 1e-2 (got %g)", an.rtol);
                return;
            }
        }
        if (!eval_tok(E, &E->global, dv->args[0], QP_QTY_TIME, &an.tstep) ||
            !eval_tok(E, &E->global, dv->args[1], QP_QTY_TIME, &an.tstop) ||
            (dv->nargs == 3 &&
             !eval_tok(E, &E->global, dv->args[2], QP_QTY_TIME, &an.tstart))) {
            return;
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
}

/* ---- driver -------------------------------------------------------------------------------- */

static void apply_overrides(elab *E, const qp_override *ov, size_t nov, qp_token *tok)
{
    /* All overrides are installed before any is evaluated, so that they may refer to each
     * other in any order, as .param lines may. */
    int *idx = malloc((nov ? nov : 1) * sizeof *idx);
    if (!idx) {
        nomem(E);
        return;
    }
    for (size_t k = 0; k < nov; k++) {
        idx[k] = find_top_param(E, ov[k].name);
        if (idx[k] < 0) {
            qp_diag_add(E->d, QP_SEV_ERROR, NULL, 0, 0,
                        "--set %s: the deck has no top-level .param named '%s'", ov[k].name,
                        ov[k].name);
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
    }
    for (size_t k = 0; k < nov && E->st == QP_OK; k++) {
        /* Evaluate now so that a bad value is reported as a command-line error. */
        size_t before = E->d->errors;
        if (!eval_entry(E, &E->global, &E->global.e[idx[k]]) || E->d->errors > before) {
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
            nomem(E);
        }
        for (size_t a = 0; a < s->nports; a++) {
            if (is_ground(s->ports[a]->text)) {
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
        scope_add(E, &E->global, pd->name->text, pd->value, 0.0, 0, pd->name->loc);
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
    qp_token *ovtok = calloc(nov ? nov : 1, sizeof *ovtok);
    E.c = calloc(1, sizeof *E.c);
    if (!E.c || !ovtok || !copy_files(&E)) {
        nomem(&E);
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
        eval_entry(&E, &E.global, &E.global.e[i]);
    }
    eval_models(&E);
    inst_ctx top = {"", NULL, NULL, &E.global};
    if (E.st == QP_OK) {
        instantiate(&E, &deck->top, &top);
    }
    if (E.st == QP_OK) {
        resolve_mutuals(&E);
    }
    for (size_t i = 0; i < deck->ndirs && E.st == QP_OK; i++) {
        elab_directive(&E, &deck->dirs[i]);
    }
    int has_tran = 0;
    for (size_t i = 0; i < E.c->nanalyses; i++) {
        has_tran |= E.c->analyses[i].kind == QP_AN_TRAN;
    }
    for (size_t i = 0; i < deck->ndirs && E.c->nprints && !has_tran; i++) {
        const qp_directive *dv = &deck->dirs[i];
        if (qp_ieq(dv->word->text, ".print")) {
            qp_diag_add(E.d, QP_SEV_WARNING, fname(&E, dv->loc), dv->loc.line, dv->loc.col,
                        ".print has no effect without .tran");
            break;
        }
    }
    E.c->params = calloc(E.global.n ? E.global.n : 1, sizeof *E.c->params);
    if (!E.c->params) {
        nomem(&E);
        goto done;
    }
    for (size_t i = 0; i < E.global.n; i++) {
        if (!(E.c->params[i].name = qp_strdup(E.global.e[i].name))) {
            nomem(&E);
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
    scope_free(&E.global);
    qp_strmap_free(&E.models);
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

void qp_circuit_free(qp_circuit *c)
{
    if (!c) {
        return;
    }
    for (size_t i = 0; i < c->nfiles; i++) {
        free(c->files[i]);
    }
    free(c->files);
    free(c->title);
    for (size_t i = 0; i < c->nnodes; i++) {
        free(c->node_names[i]);
    }
    free(c->node_names);
    for (size_t i = 0; i < c->nelem; i++) {
        free(c->elem[i].name);
        free(c->elem[i].model);
        free(c->elem[i].wave.p);
    }
    free(c->elem);
    for (size_t i = 0; i < c->nprints; i++) {
        free(c->prints[i]);
    }
    free(c->prints);
    for (size_t i = 0; i < c->nloops; i++) {
        free(c->loops[i].branch);
        free(c->loops[i].sign);
    }
    free(c->loops);
    free(c->offsets);
    for (size_t i = 0; i < c->nanalyses; i++) {
        free(c->analyses[i].param);
        free_ops(&c->analyses[i]);
    }
    free(c->analyses);
    for (size_t i = 0; i < c->nparams; i++) {
        free(c->params[i].name);
    }
    free(c->params);
    free(c);
}

const char *qp_analysis_directive(qp_analysis_kind k)
{
    static const char *const n[] = {".spectrum", ".sweep", ".bands", ".tran", ".matrix",
                                    ".wavefunction"};
    return (unsigned)k < sizeof n / sizeof *n ? n[k] : "?";
}

const char *qp_elem_kind_name(qp_elem_kind k)
{
    static const char *const names[] = {"capacitor", "inductor", "Josephson junction",
                                        "phase-slip junction", "mutual inductance", "resistor",
                                        "current source", "voltage source"};
    return names[k];
}

double qp_element_ec(const qp_element *e)
{
    if (e->kind == QP_EL_C) {
        return qp_units_ec_from_c(e->value);
    }
    if (e->kind == QP_EL_B && e->cap > 0.0) {
        return qp_units_ec_from_c(e->cap);
    }
    return 0.0;
}

double qp_element_el(const qp_element *e)
{
    return e->kind == QP_EL_L ? qp_units_el_from_l(e->value) : 0.0;
}

double qp_element_ej(const qp_element *e)
{
    return e->kind == QP_EL_B ? qp_units_ej_from_ic(e->ic) : 0.0;
}

double qp_element_es(const qp_element *e)
{
    return e->kind == QP_EL_Q ? qp_units_es_from_vc(e->vc) : 0.0;
}

const char *qp_circuit_file(const qp_circuit *c, qp_loc loc)
{
    return loc.file >= 0 && (size_t)loc.file < c->nfiles ? c->files[loc.file] : NULL;
}
