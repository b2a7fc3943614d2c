/* Internal: the state shared by the elaboration stages (parameters, models, elements, subcircuit
 * instances, directives) while one deck is resolved into a circuit. */
#ifndef QPSIM_FRONT_ELAB_STATE_H
#define QPSIM_FRONT_ELAB_STATE_H

#include "qpsim/circuit.h"
#include "qpsim/units.h"
#include "base/strmap.h"

#define MAX_PARAM_CHAIN 256 /* bounds the recursion of parameters defined by parameters */

enum { P_TODO, P_BUSY, P_DONE, P_FAILED };

typedef struct {
    const char *name;
    const qp_token *tok; /* value to evaluate, or NULL when preset */
    double value;
    int state;
    qp_loc loc; /* where the name is defined */
    /* the number with a unit this parameter stands for (its own value `15GHz`, or the one a
     * `{name}` alone refers to), read again as whatever quantity a use expects; NULL without */
    const qp_token *unit_tok;
    int overridden; /* set by an override (--set, the API's params): a .sweep of it is fixed */
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
    int rtype; /* -1 unset, 0, 1 (JoSIM's subgap model) */
    double r0, vg, delv, icfct; /* JoSIM's rtype=1 keys; 0 = unset */
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
    size_t errors0; /* d->errors when this elaboration began */
    scope global;
    qp_strmap models, subckts, nodes, elems;
    model_val *mv;
    double opt_rtol, opt_seed; /* .options rtol= (0: none) and seed= (has_opt_seed) */
    int has_opt_seed;
    char **model_keys; /* keys of models written inside a .subckt (owned) */
    size_t nmodel_keys;
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

/* A misspelt name's " (did you mean 'X'?)", or "" (base/suggest.h). */
#include "base/suggest.h"
#define HINT_MAX 96

#define ERR(E, loc, ...)                                                                           \
    qp_diag_add((E)->d, QP_SEV_ERROR, qp_elab_fname(E, loc), (loc).line, (loc).col, __VA_ARGS__)
#define WARN(E, loc, ...)                                                                          \
    qp_diag_add((E)->d, QP_SEV_WARNING, qp_elab_fname(E, loc), (loc).line, (loc).col, __VA_ARGS__)
#define NOTE(E, loc, ...)                                                                          \
    qp_diag_add((E)->d, QP_SEV_NOTE, qp_elab_fname(E, loc), (loc).line, (loc).col, __VA_ARGS__)

typedef struct {
    const char *prefix;         /* "" or "X1.X2." */
    const qp_subckt_def *sub;   /* NULL at top level */
    const int *portmap;         /* node index of each port */
    const scope *sc;
} inst_ctx;

/* ---- elab_models.c ---- */
/* The key of model `name` written in subcircuit `sub` (-1: top level) in E->models. */
void qp_elab_model_key(const qp_deck *dk, int sub, const char *name, char *key, size_t len);

/* ---- elab_params.c: scopes and evaluation ---- */
/* The file name of a location of the deck (NULL when it has none), for messages. */
const char *qp_elab_fname(const elab *E, qp_loc loc);
/* Records that memory ran out: elaboration stops with QP_ERR_NOMEM. */
void qp_elab_nomem(elab *E);
/* "a" or "an" for a word, in messages. */
const char *qp_elab_article(const char *word);
/* Evaluates parameter pe of scope s once (its value afterwards in pe->value), detecting cycles
 * through the chain of parameters being evaluated. Returns 1 on success. */
int qp_elab_eval_entry(elab *E, const scope *s, pentry *pe);
/* The number with a unit value token t stands for in scope s (a literal such as 15GHz, or a
 * `{name}` alone naming a parameter that has one), or NULL: for values kept as numbers (a
 * subcircuit instance's parameters) that must still be read as the quantity of their use. */
const qp_token *qp_elab_unit_of(elab *E, const scope *s, const qp_token *t);
/* The quantity whose unit a numeric literal carries into *q (QP_QTY_NONE for a bare number or a
 * scale suffix alone); 0 when its letters are no unit of any quantity. */
int qp_elab_literal_quantity(const qp_token *t, qp_quantity *q);
/* Evaluates a value token in scope s as quantity q. Returns 1 on success. */
int qp_elab_eval_tok(elab *E, const scope *s, const qp_token *t, qp_quantity q, double *out);
/* Adds a definition to a scope, reporting a duplicate (preset: an override, not a deck line). */
void qp_elab_scope_add(elab *E, scope *s, const char *name, const qp_token *tok, double value,
                       int preset, qp_loc loc);
/* Frees what a scope owns (not the scope itself). */
/* Adds a preset value (a subcircuit instance's parameter, written as tok in scope `from`) with
 * the number-with-unit tok stands for (qp_elab_unit_of). */
void qp_elab_scope_add_value(elab *E, scope *s, const char *name, double value,
                             const scope *from, const qp_token *tok, qp_loc loc);
void qp_elab_scope_free(scope *s);

/* ---- elab_models.c ---- */
/* Evaluates every .model card of the deck into E->mv, reporting unknown and bad keys. */
void qp_elab_eval_models(elab *E);

/* ---- elab_elements.c: nodes and the elements of each letter ---- */
/* 1 for the names of ground ("0", "gnd"). */
int qp_elab_is_ground(const char *s);
/* prefix + name as a new string (malloc'd; NULL when out of memory). */
char *qp_elab_join(const char *prefix, const char *name);
/* "capacitor", "junction", ... for an element letter, in messages. */
const char *qp_elab_letter_name(char letter);
/* The node index of node token t inside instance ic (ports mapped, local names prefixed, new
 * nodes interned) into *out. Returns 1 on success. */
int qp_elab_map_node(elab *E, const inst_ctx *ic, const qp_token *t, int *out);
/* Appends a new element of kind for statement es with its flattened name and nodes; NULL after
 * an error (reported) or when out of memory. */
qp_element *qp_elab_new_element(elab *E, const qp_elem_stmt *es, const inst_ctx *ic,
                                qp_elem_kind kind);
/* Drops the element just added (after an error in its values). */
void qp_elab_drop_last(elab *E);
/* Reports and returns 0 unless v > 0 (what: the value's name in the message). */
int qp_elab_positive(elab *E, const qp_token *t, double v, const char *what, const char *name);
/* The values of one element of each kind into el; each returns 1 on success and reports its
 * errors. C, L, R: a positional value or an energy key. */
int qp_elab_linear(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el);
/* B: critical current or EJ, capacitance or EC, model, area, normal resistance, Bloch model. */
int qp_elab_junction(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el);
/* Q: ES or critical voltage, model. */
int qp_elab_qps(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el);
/* K: the coupling factor; its inductors are resolved later (qp_elab_resolve_mutuals). */
int qp_elab_mutual(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el);
/* I, V: dc value or a sin/pwl/pulse waveform; P (JoSIM's phase source): a pwl phase, kept as
 * the voltage source of its derivative. */
int qp_elab_source(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el);
/* E G F H (n+ n- nc+ nc- value) and T (n1+ n1- n2+ n2- TD= Z0=): the second node pair into
 * el->nc, the value into el->value (and el->td); 0 after reporting a positioned error. */
int qp_elab_four_terminal(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el);

/* ---- elab_count.c ---- */
/* Counts the elements and instances the top level expands into, and the depth of nested
 * instances, from the definitions alone; reports the first top-level statement past
 * QP_MAX_ELEMENTS or QP_MAX_SUBCKT_DEPTH and returns 0 (E->too_big set), else 1. */
int qp_elab_check_expansion(elab *E);

/* ---- elab_subckt.c: instances ---- */
/* Elaborates every statement of body inside instance ic (subcircuit instances recursively). */
void qp_elab_instantiate(elab *E, const qp_body *body, const inst_ctx *ic);
/* Points every K element at its two inductors, now that all elements exist. */
void qp_elab_resolve_mutuals(elab *E);

/* ---- elab_directives.c ---- */
/* One directive: .flux, .ng and .print fill the circuit; analyses are checked and appended. */
void qp_elab_directive(elab *E, const qp_directive *dv);
/* .options: sets E's defaults for .tran (called for every .options before the other
 * directives); warns about each option qpsim has no meaning for. */
void qp_elab_options(elab *E, const qp_directive *dv);

/* ---- elab_print.c ---- */
/* .print and .plot (qpsim's and JoSIM's forms): appends the columns they ask for to E->c
 * (prints and print_from), each named as JoSIM names it; reports what it cannot trace. */
void qp_elab_print(elab *E, const qp_directive *dv);
/* The index of top-level parameter name in E->global, negative when there is none. */
int qp_elab_find_top_param(const elab *E, const char *name);

#endif
