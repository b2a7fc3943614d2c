/* Unit tests: expression evaluation, precedence, functions, constants, errors and depth bound. */
#include "front/expr.h"
#include "qpsim/units.h"

#include "tap.h"

#include <stdlib.h>

#define RTOL 1e-15

static int lookup(void *ctx, const char *name, size_t len, size_t off, double *val)
{
    (void)ctx;
    (void)off;
    if (len == 1 && name[0] == 'a') {
        *val = 3.0;
        return 1;
    }
    if (len == 3 && strncmp(name, "bad", 3) == 0) {
        return -1;
    }
    return 0;
}

static qp_expr_status ev(const char *s, double *v, size_t *pos)
{
    char msg[160];
    return qp_expr_eval(s, strlen(s), lookup, NULL, v, pos, msg, sizeof msg);
}

static void value(const char *s, double want)
{
    double v = 0;
    size_t pos;
    qp_expr_status st = ev(s, &v, &pos);
    QP_CHECK(st == QP_EXPR_OK && fabs(v - want) <= RTOL * fabs(want) + 1e-300,
             "{%s} = %.17g (want %.17g)", s, v, want);
}

static void error(const char *s, qp_expr_status want, size_t want_pos)
{
    double v;
    size_t pos = 999;
    qp_expr_status st = ev(s, &v, &pos);
    QP_CHECK(st == want && pos == want_pos, "{%s} fails with %d at %zu (want %d at %zu)", s, st,
             pos, want, want_pos);
}

int main(void)
{
    value("1+2*3", 7.0);
    value("(1+2)*3", 9.0);
    value("2^3^2", 512.0);
    value("-2^2", -4.0);
    value("2*-3", -6.0);
    value("10/4", 2.5);
    value("a*2", 6.0);
    value("80f*2", 160e-15);
    value("1meg", 1e6);
    value("sqrt(16)+abs(-2)", 6.0);
    value("min(3, 4) + max(3, 4)", 7.0);
    value("exp(log(5))", 5.0);
    value("cos(pi)", -1.0);
    value("PHI0", QP_PHI0);
    value("rq", QP_H / (4 * QP_QE * QP_QE));
    value("hbar/h", 1.0 / (2 * QP_PI));
    value("qe*1e19", 1.602176634);
    value("kb", 1.380649e-23);
    value(" 1 + 1 ", 2.0);
    error("1/0", QP_EXPR_DOMAIN, 2);
    error("sqrt(-1)", QP_EXPR_DOMAIN, 0);
    error("log(0)", QP_EXPR_DOMAIN, 0);
    error("foo(1)", QP_EXPR_UNKNOWN, 0);
    error("1+zz", QP_EXPR_UNKNOWN, 2);
    error("max(1)", QP_EXPR_SYNTAX, 0);
    error("(1+2", QP_EXPR_SYNTAX, 0);
    error("1+", QP_EXPR_SYNTAX, 2);
    error("1 2", QP_EXPR_SYNTAX, 2);
    error("80fF", QP_EXPR_SYNTAX, 3);
    error("", QP_EXPR_SYNTAX, 0);
    error("bad+1", QP_EXPR_FAILED, 0);
    error("10^400", QP_EXPR_DOMAIN, 0);
    error("1 $ 2", QP_EXPR_SYNTAX, 2);
    /* A = 'A' is not known to this lookup: names are resolved by the caller. */
    double v;
    size_t pos;
    QP_CHECK(ev("A*2", &v, &pos) == QP_EXPR_UNKNOWN, "lookup decides case rules");
    /* Deep nesting is refused, not a stack overflow. */
    size_t n = 100000;
    char *deep = malloc(2 * n + 2);
    memset(deep, '(', n);
    deep[n] = '1';
    memset(deep + n + 1, ')', n);
    deep[2 * n + 1] = '\0';
    QP_CHECK(ev(deep, &v, &pos) == QP_EXPR_TOO_DEEP, "100000 nested parentheses are refused");
    memset(deep, '-', 2 * n);
    deep[2 * n] = '1';
    deep[2 * n + 1] = '\0';
    QP_CHECK(ev(deep, &v, &pos) == QP_EXPR_TOO_DEEP, "200000 unary minus signs are refused");
    /* The documented depth holds: 64 parentheses (each counted once; they failed at 32), 64
     * signs, a function call inside 63 parentheses; one more is refused. */
    for (int k = 64; k <= 65; k++) {
        memset(deep, '(', (size_t)k);
        deep[k] = '2';
        memset(deep + k + 1, ')', (size_t)k);
        deep[2 * k + 1] = '\0';
        qp_expr_status st = ev(deep, &v, &pos);
        QP_CHECK(k == 64 ? st == QP_EXPR_OK && v == 2.0 : st == QP_EXPR_TOO_DEEP,
                 "%d nested parentheses: %s", k, k == 64 ? "evaluated" : "refused");
        memset(deep, '-', (size_t)k);
        deep[k] = '2';
        deep[k + 1] = '\0';
        st = ev(deep, &v, &pos);
        QP_CHECK(k == 64 ? st == QP_EXPR_OK && v == 2.0 : st == QP_EXPR_TOO_DEEP,
                 "%d signs: %s", k, k == 64 ? "evaluated" : "refused");
    }
    memset(deep, '(', 63);
    strcpy(deep + 63, "sqrt(4)");
    memset(deep + 70, ')', 63);
    deep[133] = '\0';
    QP_CHECK(ev(deep, &v, &pos) == QP_EXPR_OK && v == 2.0, "sqrt() inside 63 parentheses");
    free(deep);
    return tap_done();
}
