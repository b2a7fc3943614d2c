/* Netlist front end: reads a deck (with .include) into statements grouped by scope. */
#ifndef QPSIM_NETLIST_H
#define QPSIM_NETLIST_H

#include "qpsim/diag.h"
#include "qpsim/lexer.h"

#include <stddef.h>

/* Reads a whole file. Returns 0 and a malloc'd buffer (caller frees) or -1 and a static message
 * in *why. The library never opens files itself: the caller supplies this. */
typedef int (*qp_read_fn)(void *ctx, const char *path, char **text, size_t *len, const char **why);

#define QP_MAX_INCLUDE_DEPTH 16
#define QP_MAX_SUBCKT_DEPTH 64
#define QP_MAX_FILES 256 /* files read per deck, includes counted each time */
#define QP_MAX_FILE_BYTES ((size_t)64 << 20)

typedef struct {
    const qp_token *key;
    const qp_token *val;
} qp_kv;

/* One element line, split but not interpreted. */
typedef struct {
    char letter; /* upper case: C L B Q K R I V P X */
    const qp_token *name;
    const qp_token **pos; /* positional tokens after the name (nodes, values, model, ...) */
    size_t npos;
    qp_kv *kv;
    size_t nkv;
    const qp_token *fn; /* sin / pwl / pulse / any NAME( ... ) group, or NULL */
    const qp_token **fargs;
    size_t nfargs;
    qp_loc loc;
} qp_elem_stmt;

typedef struct {
    const qp_token *name;
    const qp_token *value;
} qp_param_def;

/* The contents of the top level or of one .subckt. */
typedef struct {
    qp_elem_stmt *elems;
    size_t nelems;
    qp_param_def *params;
    size_t nparams;
} qp_body;

typedef struct {
    const qp_token *name;
    const qp_token *type;
    qp_kv *kv;
    size_t nkv;
    qp_loc loc;
    int bad; /* its line had a syntax error (already reported): uses stay silent */
    int scope; /* index of the .subckt it is written in (JoSIM repeats `jj1` in every cell), or
                  -1 at top level: a subcircuit's own models hide the top level's */
} qp_model_def;

typedef struct {
    const qp_token *name;
    const qp_token **ports;
    size_t nports;
    qp_kv *defaults;
    size_t ndefaults;
    qp_body body;
    qp_loc loc;
    int bad; /* its .subckt line had a syntax error (already reported): instances stay silent */
} qp_subckt_def;

/* A top-level directive other than .param/.model/.subckt/.include/.title/.end. */
typedef struct {
    const qp_token *word; /* ".flux", ".spectrum", ... */
    const qp_token **args;
    size_t nargs;
    qp_kv *kv;
    size_t nkv;
    qp_loc loc;
} qp_directive;

typedef struct qp_deck {
    char **fnames; /* file table: index 0 is the top deck */
    qp_stmt_list *src;
    size_t nfiles, capfiles;
    char *title;
    qp_loc title_loc;
    qp_body top;
    qp_subckt_def *subckts;
    size_t nsubckts;
    qp_model_def *models;
    size_t nmodels;
    qp_directive *dirs;
    size_t ndirs;
} qp_deck;

typedef struct {
    qp_read_fn read;
    void *read_ctx;
} qp_netlist_opts;

/* Reads `path` and every file it includes into a deck. Reports every syntax error it finds into
 * d. On QP_OK or QP_ERR_INPUT *out receives the deck (the caller frees it with qp_deck_free): a
 * deck with errors is still useful to report more errors from. Other statuses leave *out NULL. */
qp_status qp_netlist_parse_file(const char *path, const qp_netlist_opts *opts, qp_deck **out,
                                qp_diag *d);

/* Same from text already in memory, named `name` for messages; includes go through opts->read
 * (which may be NULL: then every .include is an error). */
qp_status qp_netlist_parse_text(const char *name, const char *text, size_t len,
                                const qp_netlist_opts *opts, qp_deck **out, qp_diag *d);

void qp_deck_free(qp_deck *deck);

/* Case-insensitive comparison helpers used across the front end. */
int qp_ieq(const char *a, const char *b);
int qp_ieqn(const char *a, size_t alen, const char *b);

#endif
