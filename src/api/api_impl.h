/* Internal: what the files of the C API share: the circuit handle and the requests, decks that
 * run one analysis the caller asks for in place of the deck's own. */
#ifndef QPSIM_API_API_IMPL_H
#define QPSIM_API_API_IMPL_H

#include "qpsim/qpsim.h"
#include "qpsim/engine.h"

#include <pthread.h>

struct qpsim_circuit {
    pthread_mutex_t mu;  /* one call at a time */
    qpsim_settings set;
    char *name;          /* the file path or the text's name (owned) */
    qp_override *ov;     /* the overrides of the load, names and values owned */
    size_t nov;
    qp_deck *deck;       /* NULL: nothing loaded */
    qp_circuit *c;       /* the deck elaborated with the overrides */
    qp_context *ctx[2];  /* by keep_traces, made on first use */
    qp_diag diag;        /* the last call's messages */
    qpsim_message *msg;  /* diag as the API shows it (diag.count entries) */
    int omp_saved;       /* the calling thread's OpenMP active levels during a call */
};

/* Starts a call: locks the handle and empties its messages. */
void qp_api_begin(qpsim_circuit *h);

/* Ends a call with status st: sorts the messages, makes their API view, unlocks; returns st
 * (QPSIM_ERR_NOMEM when the view cannot be made). */
qpsim_status qp_api_end(qpsim_circuit *h, qpsim_status st);

/* The setting blas_serial: OpenBLAS on one thread from the first call that enters to the last
 * that leaves (nested in qp_api_begin and qp_api_end); nothing without it or without OpenBLAS. */
void qp_api_blas_enter(qpsim_circuit *h);
void qp_api_blas_leave(qpsim_circuit *h);
/* CHOLMOD's OpenMP regions made inactive in the calling thread during a call (restored by
 * qp_api_blas_leave) and in every worker the handle's contexts start (qp_api_omp_off as their
 * thread_init), as the command line does: Debian's CHOLMOD opens 4-thread regions in every
 * supernode, which on 2 cores cost more than they gain (0.31 s against 0.19 s). */
void qp_api_omp_off(void);

/* QPSIM_OK when a circuit is loaded, else QPSIM_ERR_USAGE with a message. */
qpsim_status qp_api_loaded(qpsim_circuit *h);

/* st as the API reports it: the command line's mapping of statuses (an unreadable file is bad
 * input). */
qpsim_status qp_api_status(qp_status st);

/* A call's own error: a message without a place and QPSIM_ERR_USAGE. */
qpsim_status qp_api_usage(qpsim_circuit *h, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The handle's run context keeping traces or not (made on first use); NULL when out of memory. */
qp_context *qp_api_context(qpsim_circuit *h, int keep_traces);

/* A directive the API writes: a template directive of the deck (or none) with some of its keys
 * kept, others set, its arguments kept or replaced. Tokens it makes have no place in a file. */
typedef struct {
    qp_directive dv;
    qp_token **own;      /* the tokens made here (owned, texts owned) */
    size_t nown;
    qp_stmt_list lexed;  /* the tokens of lexed arguments (an operator) */
} qp_api_dir;

/* One analysis asked of the circuit: the deck's circuit and non-analysis directives with up to
 * two written directives, elaborated and run. */
typedef struct {
    qp_api_dir gen[2];
    int ngen;
    qp_deck view;        /* the loaded deck with other directives (dirs owned) */
    qp_circuit *c;       /* the view elaborated (owned) */
    qp_results res;      /* (owned) */
} qp_api_req;

/* The first directive of the loaded deck spelled `word` (".spectrum", ...), or NULL. */
const qp_directive *qp_api_find(const qpsim_circuit *h, const char *word);

/* Adds a written directive `word` to q: the keys of tmpl (may be NULL) named in keep[0..nkeep),
 * and its arguments when args is set. Returns it, or NULL when out of memory. */
qp_api_dir *qp_api_dir_add(qp_api_req *q, const char *word, const qp_directive *tmpl,
                           const char *const *keep, size_t nkeep, int args);

/* Sets key=value (replacing a kept one), appends an argument, replaces argument i (< nargs), or
 * appends the tokens of text lexed as netlist text (QPSIM_ERR_USAGE with a message when it does
 * not lex). 0 when out of memory (qp_api_dir_lex: a status). */
int qp_api_dir_key(qp_api_dir *g, const char *key, const char *value);
int qp_api_dir_arg(qp_api_dir *g, const char *text);
int qp_api_dir_set_arg(qp_api_dir *g, size_t i, const char *text);
qpsim_status qp_api_dir_lex(qpsim_circuit *h, qp_api_dir *g, const char *text);

/* Elaborates the request (the deck's .print kept when keep_traces is set) and runs it; a .sweep
 * among the written directives takes its points from values (npoints of them) when values is
 * not NULL. Errors go to the handle: without a place in a file they come from the arguments
 * (QPSIM_ERR_USAGE), at a place of the deck from the deck (QPSIM_ERR_INPUT). On QPSIM_OK the
 * result of the written analysis is q->res.r[0]. */
qpsim_status qp_api_run(qpsim_circuit *h, qp_api_req *q, int keep_traces, const double *values,
                        size_t npoints);

/* Frees what q holds (q itself is the caller's). */
void qp_api_req_free(qp_api_req *q);

#endif
