/* Lexer: splits netlist text into statements of tokens with true file:line:col positions. */
#ifndef QPSIM_LEXER_H
#define QPSIM_LEXER_H

#include "qpsim/diag.h"

#include <stddef.h>

typedef enum {
    QP_TOK_WORD,   /* a run of characters other than blanks and = ( ) , { } " ; */
    QP_TOK_EQ,     /* = */
    QP_TOK_LPAREN, /* ( */
    QP_TOK_RPAREN, /* ) */
    QP_TOK_COMMA,  /* , */
    QP_TOK_EXPR,   /* {...}: text holds what is inside the braces, loc is the '{' */
    QP_TOK_STRING  /* "...": text without the quotes */
} qp_tok_kind;

typedef struct {
    qp_tok_kind kind;
    char *text; /* owned, NUL-terminated */
    size_t len;
    qp_loc loc;
} qp_token;

/* One logical statement: a line plus its `+` continuation lines. */
typedef struct {
    qp_token *tok;
    size_t ntok;
    qp_loc loc;  /* first token */
    char *rest;  /* raw text after the first token on the first line, comment removed (owned) */
    int bad;     /* a lexical error was reported inside it */
} qp_stmt;

typedef struct {
    qp_stmt *items;
    size_t count, cap;
} qp_stmt_list;

/* Appends the statements of `text` (file index `file`, name `fname` for messages) to *out.
 * Reports lexical errors to d and keeps going. Returns QP_ERR_NOMEM or QP_OK. */
qp_status qp_lex(const char *text, size_t len, int file, const char *fname, qp_stmt_list *out,
                 qp_diag *d);

void qp_stmt_list_free(qp_stmt_list *l);

#endif
