/* Netlist lexer: comments, continuation lines, braces and quoted strings, with exact columns. */
#include "qpsim/lexer.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_special(char c)
{
    return c == '=' || c == '(' || c == ')' || c == ',' || c == '{' || c == '}' || c == '"' ||
           c == ';';
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char *dupn(const char *s, size_t n)
{
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

static int push_tok(qp_stmt *st, qp_tok_kind kind, const char *s, size_t n, qp_loc loc)
{
    if ((st->ntok & (st->ntok - 1)) == 0) { /* grow at powers of two */
        size_t cap = st->ntok ? 2 * st->ntok : 4;
        qp_token *t = realloc(st->tok, cap * sizeof *t);
        if (!t) {
            return 0;
        }
        st->tok = t;
    }
    char *text = dupn(s, n);
    if (!text) {
        return 0;
    }
    st->tok[st->ntok++] = (qp_token){kind, text, n, loc};
    return 1;
}

static qp_stmt *new_stmt(qp_stmt_list *out)
{
    if (out->count == out->cap) {
        size_t cap = out->cap ? 2 * out->cap : 16;
        qp_stmt *it = realloc(out->items, cap * sizeof *it);
        if (!it) {
            return NULL;
        }
        out->items = it;
        out->cap = cap;
    }
    qp_stmt *st = &out->items[out->count++];
    memset(st, 0, sizeof *st);
    return st;
}

/* The end of an unbraced arithmetic value written right after '=' at s[i] with parentheses, as
 * JoSIM and WRspice decks write them (`L1=1.4e-12*(1/S-(1-S))`): a run without blanks whose
 * parentheses balance, ended by a blank, ';', or a ')' or ',' outside them (those belong to
 * an enclosing list, as in `jj(rn=1, icrit=(2)*1u)`). 0 when the run holds no '(' (then it
 * is read as before: one word). */
static size_t paren_value(const char *s, size_t n, size_t i)
{
    int depth = 0, paren = 0;
    size_t j = i;
    for (; j < n && !is_blank(s[j]) && s[j] != ';' && (unsigned char)s[j] >= 0x20; j++) {
        char c = s[j];
        if (c == '{' || c == '}' || c == '"' || c == '=') {
            return 0;
        }
        if (c == '(') {
            depth++, paren = 1;
        } else if (c == ')' && depth == 0) {
            break;
        } else if (c == ')') {
            depth--;
        } else if (c == ',' && depth == 0) {
            break;
        }
    }
    return paren && depth == 0 && j > i ? j : 0;
}

/* Tokenizes one physical line [s + from, s + n) into st, columns counted from s. Returns 0 on
 * allocation failure. */
static int lex_line(const char *s, size_t n, size_t from, int file, const char *fname, int line,
                    qp_stmt *st, qp_diag *d)
{
    size_t i = from;
    while (i < n) {
        char c = s[i];
        qp_loc loc = {file, line, (int)i + 1};
        if (is_blank(c)) {
            i++;
            continue;
        }
        if (c == ';') {
            break;
        }
        if ((unsigned char)c < 0x20 || c == 0x7f) {
            qp_diag_add(d, QP_SEV_ERROR, fname, line, (int)i + 1,
                        "unexpected control character 0x%02x", (unsigned char)c);
            st->bad = 1;
            return 1;
        }
        qp_tok_kind k;
        switch (c) {
        case '=':
            k = QP_TOK_EQ;
            break;
        case '(':
            k = QP_TOK_LPAREN;
            break;
        case ')':
            k = QP_TOK_RPAREN;
            break;
        case ',':
            k = QP_TOK_COMMA;
            break;
        case '}':
            qp_diag_add(d, QP_SEV_ERROR, fname, line, (int)i + 1, "'}' without a matching '{'");
            st->bad = 1;
            return 1;
        case '{': {
            size_t j = i + 1;
            while (j < n && s[j] != '}' && s[j] != '{') {
                j++;
            }
            if (j >= n || s[j] == '{') {
                qp_diag_add(d, QP_SEV_ERROR, fname, line, (int)(j < n ? j : i) + 1,
                            j < n ? "'{' inside an expression (braces do not nest)"
                                  : "expected '}' to close '{'");
                st->bad = 1;
                return 1;
            }
            if (!push_tok(st, QP_TOK_EXPR, s + i + 1, j - i - 1, loc)) {
                return 0;
            }
            i = j + 1;
            continue;
        }
        case '"': {
            size_t j = i + 1;
            while (j < n && s[j] != '"') {
                j++;
            }
            if (j >= n) {
                qp_diag_add(d, QP_SEV_ERROR, fname, line, (int)i + 1,
                            "expected '\"' to close the string");
                st->bad = 1;
                return 1;
            }
            if (!push_tok(st, QP_TOK_STRING, s + i + 1, j - i - 1, loc)) {
                return 0;
            }
            i = j + 1;
            continue;
        }
        default: {
            size_t j = i;
            while (j < n && !is_blank(s[j]) && !is_special(s[j]) && (unsigned char)s[j] >= 0x20 &&
                   s[j] != 0x7f) {
                j++;
            }
            if (!push_tok(st, QP_TOK_WORD, s + i, j - i, loc)) {
                return 0;
            }
            i = j;
            continue;
        }
        }
        if (!push_tok(st, k, s + i, 1, loc)) {
            return 0;
        }
        i++;
        size_t j = k == QP_TOK_EQ ? paren_value(s, n, i) : 0;
        if (j > 0) { /* read as {...} would be */
            qp_loc vloc = {file, line, (int)i};
            if (!push_tok(st, QP_TOK_EXPR, s + i, j - i, vloc)) {
                return 0;
            }
            i = j;
        }
    }
    return 1;
}

qp_status qp_lex(const char *text, size_t len, int file, const char *fname, qp_stmt_list *out,
                 qp_diag *d)
{
    qp_stmt *cur = NULL; /* statement that a '+' line continues, within this file */
    size_t pos = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        pos = 3; /* UTF-8 byte-order mark written by some editors */
    }
    int line = 0;
    while (pos < len) {
        line++;
        size_t end = pos;
        while (end < len && text[end] != '\n') {
            end++;
        }
        const char *s = text + pos;
        size_t n = end - pos;
        pos = end + 1;
        size_t i = 0;
        while (i < n && is_blank(s[i])) {
            i++;
        }
        if (i == n || s[i] == '*' || s[i] == ';') {
            continue; /* blank or comment line */
        }
        if (s[i] == '+') {
            if (!cur) {
                qp_diag_add(d, QP_SEV_ERROR, fname, line, (int)i + 1,
                            "continuation line '+' with no statement to continue");
                continue;
            }
            if (!lex_line(s, n, i + 1, file, fname, line, cur, d)) {
                return QP_ERR_NOMEM;
            }
            continue;
        }
        size_t idx = out->count;
        qp_stmt *st = new_stmt(out);
        if (!st) {
            return QP_ERR_NOMEM;
        }
        if (!lex_line(s, n, 0, file, fname, line, st, d)) {
            return QP_ERR_NOMEM;
        }
        if (st->ntok == 0) { /* only possible after a lexical error at the first character */
            st->loc = (qp_loc){file, line, (int)i + 1};
        } else {
            st->loc = st->tok[0].loc;
            size_t r = i + st->tok[0].len;
            size_t e = r;
            while (e < n && s[e] != ';') {
                e++;
            }
            while (r < e && is_blank(s[r])) {
                r++;
            }
            while (e > r && is_blank(s[e - 1])) {
                e--;
            }
            st->rest = dupn(s + r, e - r);
            if (!st->rest) {
                return QP_ERR_NOMEM;
            }
        }
        cur = &out->items[idx];
        if (st->ntok > 0 && st->tok[0].kind == QP_TOK_WORD && st->tok[0].len == 4 &&
            strncasecmp(st->tok[0].text, ".end", 4) == 0) {
            break; /* nothing after .end is read */
        }
    }
    return QP_OK;
}

void qp_stmt_list_free(qp_stmt_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        qp_stmt *st = &l->items[i];
        for (size_t k = 0; k < st->ntok; k++) {
            free(st->tok[k].text);
        }
        free(st->tok);
        free(st->rest);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}
