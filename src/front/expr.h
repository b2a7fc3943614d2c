/* Evaluation of netlist {expressions}: + - * / ^, parentheses, functions, constants, parameters. */
#ifndef QPSIM_EXPR_H
#define QPSIM_EXPR_H

#include <stddef.h>

/* Looks a parameter up. Returns 1 and sets *val when found; 0 when unknown; -1 when the name is
 * known but its value failed (already reported). `off` is the name's offset in the text. */
typedef int (*qp_expr_lookup)(void *ctx, const char *name, size_t len, size_t off, double *val);

typedef enum {
    QP_EXPR_OK,
    QP_EXPR_SYNTAX,    /* message in err */
    QP_EXPR_UNKNOWN,   /* unknown name at *errpos */
    QP_EXPR_FAILED,    /* a parameter it needs failed: nothing new to report */
    QP_EXPR_DOMAIN,    /* division by zero, sqrt of a negative, ...: message in err */
    QP_EXPR_TOO_DEEP   /* nested deeper than QP_EXPR_MAX_DEPTH: message in err */
} qp_expr_status;

#define QP_EXPR_MAX_DEPTH 64 /* parentheses, function calls, signs and powers inside each other */

/* Evaluates text[0..len). On failure *errpos is the offset of the problem and `err` (size errlen)
 * holds a message. Constants: pi phi0 hbar h qe kb rq; functions: sqrt exp log sin cos tan abs
 * min max. Numbers may carry a scale suffix (80f) but no unit. */
qp_expr_status qp_expr_eval(const char *text, size_t len, qp_expr_lookup lookup, void *ctx,
                            double *out, size_t *errpos, char *err, size_t errlen);

/* Value of a built-in constant by case-insensitive name; 1 if it exists. */
int qp_expr_constant(const char *name, size_t len, double *val);

#endif
