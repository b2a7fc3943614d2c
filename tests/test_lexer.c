/* Unit tests: tokens, comments, continuation lines and true positions. */
#include "qpsim/lexer.h"

#include "tap.h"

#include <stdlib.h>

static qp_stmt_list lex(const char *text, qp_diag *d)
{
    qp_stmt_list l = {0};
    qp_status st = qp_lex(text, strlen(text), 0, "t.cir", &l, d);
    QP_CHECK(st == QP_OK, "lexing returns OK");
    return l;
}

int main(void)
{
    qp_diag d = {0};
    qp_stmt_list l = lex("* comment\n"
                         "C1 1 0 80f ; trailing comment\n"
                         "\n"
                         "  B1 a b ej=15\n"
                         "+  ec={2*x}\n"
                         "*\n"
                         "+ c=\"s t\"\n"
                         ".title  My circuit (v2)  ; note\n",
                         &d);
    QP_CHECK(d.count == 0, "no diagnostics");
    QP_CHECK(l.count == 3, "3 statements (got %zu)", l.count);
    if (l.count == 3) {
        qp_stmt *a = &l.items[0], *b = &l.items[1], *t = &l.items[2];
        QP_CHECK(a->ntok == 4 && a->loc.line == 2 && a->loc.col == 1, "C1 line 2 col 1, 4 tokens");
        QP_CHECK_STR(a->tok[3].text, "80f", "value token");
        QP_CHECK(a->tok[3].loc.col == 8, "value at column 8");
        QP_CHECK(b->ntok == 12, "B1 statement joins its continuations (%zu tokens)", b->ntok);
        QP_CHECK(b->loc.line == 4 && b->loc.col == 3, "B1 at 4:3");
        if (b->ntok == 12) {
            QP_CHECK(b->tok[7].kind == QP_TOK_EQ && b->tok[7].loc.line == 5 &&
                         b->tok[7].loc.col == 6,
                     "'=' of ec on the continuation line at 5:6");
            QP_CHECK(b->tok[8].kind == QP_TOK_EXPR && b->tok[8].loc.col == 7,
                     "expression token at its '{' (5:7)");
            QP_CHECK_STR(b->tok[8].text, "2*x", "expression text without braces");
            QP_CHECK(b->tok[11].kind == QP_TOK_STRING && b->tok[11].loc.line == 7,
                     "string token on line 7 after a comment line");
            QP_CHECK_STR(b->tok[11].text, "s t", "string text");
        }
        QP_CHECK_STR(t->rest, "My circuit (v2)", "raw rest of the .title line");
    }
    qp_stmt_list_free(&l);

    /* Errors keep going and are placed exactly. */
    l = lex("+ orphan\nC1 1 0 {1+2\nC2 1 0 {a{b}}\nC3 1 0 }\nC4 1 0 \"open\nC5 1 \x01 2\nC6 1 0 1\n",
            &d);
    QP_CHECK(d.errors == 6, "six lexical errors (got %zu)", d.errors);
    char *msgs = qp_diag_format(&d);
    QP_CHECK(msgs && strstr(msgs, "t.cir:1:1: error: continuation line '+' with no statement"),
             "orphan continuation at 1:1");
    QP_CHECK(msgs && strstr(msgs, "t.cir:2:8: error: expected '}' to close '{'"),
             "unclosed brace at its '{'");
    QP_CHECK(msgs && strstr(msgs, "t.cir:3:10: error: '{' inside an expression"),
             "nested brace at the inner '{'");
    QP_CHECK(msgs && strstr(msgs, "t.cir:4:8: error: '}' without a matching '{'"), "stray '}'");
    QP_CHECK(msgs && strstr(msgs, "t.cir:5:8: error: expected '\"' to close the string"),
             "unclosed string");
    QP_CHECK(msgs && strstr(msgs, "t.cir:6:6: error: unexpected control character 0x01"),
             "control character");
    QP_CHECK(l.count == 6 && !l.items[5].bad && l.items[5].ntok == 4,
             "the last good line still lexes");
    free(msgs);
    qp_diag_clear(&d);
    qp_stmt_list_free(&l);

    /* CRLF line ends and a file without a final newline. */
    l = lex("C1 1 0 1p\r\nL1 1 0 1n", &d);
    QP_CHECK(l.count == 2 && l.items[0].ntok == 4 && strcmp(l.items[0].tok[3].text, "1p") == 0 &&
                 l.items[1].ntok == 4,
             "CRLF and missing final newline");
    qp_stmt_list_free(&l);
    qp_diag_clear(&d);
    return tap_done();
}
