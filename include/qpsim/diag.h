/* Status codes and diagnostics (file:line:col messages) shared by every qpsim stage. */
#ifndef QPSIM_DIAG_H
#define QPSIM_DIAG_H

#include <stddef.h>

/* Status returned by library calls. The numeric values of the first four are the CLI exit codes. */
typedef enum {
    QP_OK = 0,
    QP_ERR_INPUT = 1,   /* bad netlist: syntax, unknown element, impossible circuit */
    QP_ERR_USAGE = 2,   /* bad request from the caller (command line) */
    QP_ERR_NUMERIC = 3, /* no convergence, singular matrix */
    QP_ERR_NOMEM = 4,   /* allocation failed */
    QP_ERR_IO = 5       /* a file could not be read */
} qp_status;

typedef enum { QP_SEV_ERROR, QP_SEV_WARNING, QP_SEV_NOTE } qp_severity;

/* A place in an input file. `file` indexes the file table of the deck or circuit that owns it;
 * line and col are 1-based; line 0 means "no position". */
typedef struct {
    int file;
    int line;
    int col;
} qp_loc;

typedef struct {
    qp_severity sev;
    char *file; /* owned copy of the file name, or NULL */
    int line, col;
    char *msg; /* owned */
} qp_diag_entry;

/* A growing list of diagnostics. Zero-initialise (`qp_diag d = {0};`), release with qp_diag_clear. */
typedef struct qp_diag {
    qp_diag_entry *items;
    size_t count, cap;
    size_t errors;
    int nomem; /* set when a message could not be stored */
} qp_diag;

/* Appends a message; `file` may be NULL (no position). Never fails visibly: on allocation failure
 * the list records `nomem` and the error count still grows. */
void qp_diag_add(qp_diag *d, qp_severity sev, const char *file, int line, int col, const char *fmt,
                 ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* Formats every entry as `FILE:LINE:COL: error: msg\n` (or `qpsim: error: msg` without a place).
 * Returns a malloc'd string the caller frees, or NULL when out of memory. */
char *qp_diag_format(const qp_diag *d);

/* Orders the messages by file (in order of first mention), line and column, keeping each note
 * after the error it belongs to. Messages without a place come first. */
void qp_diag_sort(qp_diag *d);
/* Copies the errors of src, each with the notes that follow it, into d (warnings are left: they
 * were reported where src's input was first read). Returns 1 when one of the errors has a place
 * in a file. */
int qp_diag_merge_errors(qp_diag *d, const qp_diag *src);

/* Frees every entry and resets the list to empty. */
void qp_diag_clear(qp_diag *d);

/* Human-readable name of a status ("bad input", ...). */
const char *qp_status_str(qp_status s);

#endif
