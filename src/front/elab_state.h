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

#define ERR(E, loc, ...)                                                                           \
    qp_diag_add((E)->d, QP_SEV_ERROR, qp_elab_fname(E, loc), (loc).line, (loc).col, __VA_ARGS__)
#define NOTE(E, loc, ...)                                                                          \
    qp_diag_add((E)->d, QP_SEV_NOTE, qp_elab_fname(E, loc), (loc).line, (loc).col, __VA_ARGS__)

typedef struct {
    const char *prefix;         /* "" or "X1.X2." */
    const qp_subckt_def *sub;   /* NULL at top level */
    const int *portmap;         /* node index of each port */
    const scope *sc;
} inst_ctx;

/* Functions shared between the elaboration files (each documented where it is defined). */
void qp_elab_directive(elab *E, const qp_directive *dv);
int qp_elab_find_top_param(const elab *E, const char *name);
void qp_elab_drop_last(elab *E);
int qp_elab_junction(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el);
int qp_elab_linear(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el);
int qp_elab_mutual(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el);
int qp_elab_qps(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el);
int qp_elab_source(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el);
int qp_elab_is_ground(const char *s);
char *qp_elab_join(const char *prefix, const char *name);
const char *qp_elab_letter_name(char letter);
int qp_elab_map_node(elab *E, const inst_ctx *ic, const qp_token *t, int *out);
qp_element *qp_elab_new_element(elab *E, const qp_elem_stmt *es, const inst_ctx *ic,
                                qp_elem_kind kind);
int qp_elab_positive(elab *E, const qp_token *t, double v, const char *what, const char *name);
void qp_elab_eval_models(elab *E);
const char *qp_elab_article(const char *word);
int qp_elab_eval_entry(elab *E, const scope *s, pentry *pe);
int qp_elab_eval_tok(elab *E, const scope *s, const qp_token *t, qp_quantity q, double *out);
const char *qp_elab_fname(const elab *E, qp_loc loc);
void qp_elab_nomem(elab *E);
void qp_elab_scope_add(elab *E, scope *s, const char *name, const qp_token *tok, double value,
                       int preset, qp_loc loc);
void qp_elab_scope_free(scope *s);
void qp_elab_instantiate(elab *E, const qp_body *body, const inst_ctx *ic);
void qp_elab_resolve_mutuals(elab *E);

#endif
