/* Recursive-descent evaluator for {expressions} with bounded nesting depth. */
#include "front/expr.h"
#include "qpsim/units.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *s;
    size_t len, pos;
    int depth;
    qp_expr_lookup lookup;
    void *ctx;
    qp_expr_status st;
    size_t errpos;
    char *err;
    size_t errlen;
} parser;

static const struct {
    const char *name;
    double value;
} constants[] = {
    {"pi", QP_PI}, {"phi0", QP_PHI0}, {"hbar", QP_HBAR}, {"h", QP_H},
    {"qe", QP_QE}, {"kb", QP_KB},     {"rq", QP_RQ},
};

int qp_expr_constant(const char *name, size_t len, double *val)
{
    for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++) {
        if (strlen(constants[i].name) == len && strncasecmp(constants[i].name, name, len) == 0) {
            *val = constants[i].value;
            return 1;
        }
    }
    return 0;
}

static double fail(parser *p, qp_expr_status st, size_t pos, const char *msg)
{
    if (p->st == QP_EXPR_OK) {
        p->st = st;
        p->errpos = pos;
        snprintf(p->err, p->errlen, "%s", msg);
    }
    return 0.0;
}

static void skip_ws(parser *p)
{
    while (p->pos < p->len && isspace((unsigned char)p->s[p->pos])) {
        p->pos++;
    }
}

static int accept(parser *p, char c)
{
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == c) {
        p->pos++;
        return 1;
    }
    return 0;
}

static double expr(parser *p);
static double unary(parser *p);

/* One level deeper: a parenthesis, a function's arguments, a sign or a power's exponent. Every
 * recursion passes here, so QP_EXPR_MAX_DEPTH bounds the stack; 0 when too deep. */
static int enter(parser *p)
{
    if (++p->depth > QP_EXPR_MAX_DEPTH) {
        char msg[128];
        snprintf(msg, sizeof msg, "expression nested more than %d deep (parentheses, function "
                 "calls, signs and powers count)", QP_EXPR_MAX_DEPTH);
        fail(p, QP_EXPR_TOO_DEEP, p->pos, msg);
        return 0;
    }
    return 1;
}

static double number(parser *p)
{
    size_t start = p->pos, i = p->pos;
    while (i < p->len && (isdigit((unsigned char)p->s[i]) || p->s[i] == '.')) {
        i++;
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        size_t j = i + 1;
        if (j < p->len && (p->s[j] == '+' || p->s[j] == '-')) {
            j++;
        }
        if (j < p->len && isdigit((unsigned char)p->s[j])) {
            while (j < p->len && isdigit((unsigned char)p->s[j])) {
                j++;
            }
            i = j;
        }
    }
    size_t end = i;
    while (end < p->len && isalpha((unsigned char)p->s[end])) {
        end++;
    }
    double v = 0.0;
    size_t errpos;
    qp_num_status st = qp_units_parse(p->s + start, end - start, QP_QTY_NONE, &v, &errpos, NULL);
    p->pos = end;
    if (st == QP_NUM_UNKNOWN_UNIT || st == QP_NUM_WRONG_UNIT) {
        return fail(p, QP_EXPR_SYNTAX, start + errpos,
                    "units are not allowed inside {...}; write the number with a scale suffix only "
                    "(e.g. 80f)");
    }
    if (st != QP_NUM_OK) {
        return fail(p, QP_EXPR_SYNTAX, start + errpos, "malformed number");
    }
    return v;
}

static double call(parser *p, const char *name, size_t nlen, size_t at)
{
    static const char *const fn1[] = {"sqrt", "exp", "log", "sin", "cos", "tan", "abs"};
    double args[2] = {0.0, 0.0};
    int nargs = 0;
    if (!enter(p)) {
        return 0.0;
    }
    if (!accept(p, ')')) {
        do {
            double v = expr(p);
            if (nargs < 2) {
                args[nargs] = v;
            }
            nargs++;
        } while (p->st == QP_EXPR_OK && accept(p, ','));
        if (p->st == QP_EXPR_OK && !accept(p, ')')) {
            return fail(p, QP_EXPR_SYNTAX, p->pos, "expected ')' to close the argument list");
        }
    }
    p->depth--;
    if (p->st != QP_EXPR_OK) {
        return 0.0;
    }
    char msg[96];
    int want = -1;
    for (size_t k = 0; k < sizeof fn1 / sizeof fn1[0]; k++) {
        if (strlen(fn1[k]) == nlen && strncasecmp(fn1[k], name, nlen) == 0) {
            want = (int)k;
        }
    }
    int is_min = nlen == 3 && strncasecmp(name, "min", 3) == 0;
    int is_max = nlen == 3 && strncasecmp(name, "max", 3) == 0;
    if (want < 0 && !is_min && !is_max) {
        snprintf(msg, sizeof msg, "unknown function '%.*s'", (int)(nlen > 40 ? 40 : nlen), name);
        return fail(p, QP_EXPR_UNKNOWN, at, msg);
    }
    int need = want >= 0 ? 1 : 2;
    if (nargs != need) {
        snprintf(msg, sizeof msg, "function '%.*s' takes %d argument%s, got %d", (int)nlen, name,
                 need, need == 1 ? "" : "s", nargs);
        return fail(p, QP_EXPR_SYNTAX, at, msg);
    }
    double x = args[0];
    if (is_min) {
        return fmin(args[0], args[1]);
    }
    if (is_max) {
        return fmax(args[0], args[1]);
    }
    switch (want) {
    case 0:
        if (x < 0) {
            return fail(p, QP_EXPR_DOMAIN, at, "sqrt of a negative number");
        }
        return sqrt(x);
    case 1:
        return exp(x);
    case 2:
        if (x <= 0) {
            return fail(p, QP_EXPR_DOMAIN, at, "log of a number that is not positive");
        }
        return log(x);
    case 3:
        return sin(x);
    case 4:
        return cos(x);
    case 5:
        return tan(x);
    default:
        return fabs(x);
    }
}

static double primary(parser *p)
{
    skip_ws(p);
    if (p->pos >= p->len) {
        return fail(p, QP_EXPR_SYNTAX, p->pos, "expected a value at the end of the expression");
    }
    char c = p->s[p->pos];
    if (c == '(') {
        size_t open = p->pos++;
        if (!enter(p)) {
            return 0.0;
        }
        double v = expr(p);
        if (p->st == QP_EXPR_OK && !accept(p, ')')) {
            return fail(p, QP_EXPR_SYNTAX, open, "unclosed '(' in expression");
        }
        p->depth--;
        return v;
    }
    if (isdigit((unsigned char)c) || c == '.') {
        return number(p);
    }
    if (isalpha((unsigned char)c) || c == '_') {
        size_t start = p->pos;
        while (p->pos < p->len &&
               (isalnum((unsigned char)p->s[p->pos]) || p->s[p->pos] == '_')) {
            p->pos++;
        }
        const char *name = p->s + start;
        size_t nlen = p->pos - start;
        if (accept(p, '(')) {
            return call(p, name, nlen, start);
        }
        double v;
        int r = p->lookup ? p->lookup(p->ctx, name, nlen, start, &v) : 0;
        if (r == 1) {
            return v;
        }
        if (r < 0) {
            if (p->st == QP_EXPR_OK) {
                p->st = QP_EXPR_FAILED;
                p->errpos = start;
            }
            return 0.0;
        }
        if (qp_expr_constant(name, nlen, &v)) {
            return v;
        }
        char msg[96];
        snprintf(msg, sizeof msg, "unknown parameter '%.*s'", (int)(nlen > 40 ? 40 : nlen), name);
        return fail(p, QP_EXPR_UNKNOWN, start, msg);
    }
    char msg[64];
    if (isprint((unsigned char)c)) {
        snprintf(msg, sizeof msg, "unexpected '%c' in expression", c);
    } else {
        snprintf(msg, sizeof msg, "unexpected byte 0x%02x in expression", (unsigned char)c);
    }
    return fail(p, QP_EXPR_SYNTAX, p->pos, msg);
}

static double power(parser *p)
{
    double base = primary(p);
    if (p->st == QP_EXPR_OK && accept(p, '^')) {
        if (!enter(p)) {
            return 0.0;
        }
        double e = unary(p); /* right-associative: 2^3^2 = 2^9 */
        p->depth--;
        return pow(base, e);
    }
    return base;
}

static double unary(parser *p)
{
    int sign = accept(p, '-') ? -1 : accept(p, '+') ? 1 : 0;
    if (!sign) {
        return power(p);
    }
    if (!enter(p)) {
        return 0.0;
    }
    double v = sign * unary(p);
    p->depth--;
    return v;
}

static double term(parser *p)
{
    double v = unary(p);
    while (p->st == QP_EXPR_OK) {
        if (accept(p, '*')) {
            v *= unary(p);
        } else if (accept(p, '/')) {
            size_t at = p->pos;
            double d = unary(p);
            if (p->st == QP_EXPR_OK && d == 0.0) {
                return fail(p, QP_EXPR_DOMAIN, at, "division by zero");
            }
            v /= d;
        } else {
            break;
        }
    }
    return v;
}

static double expr(parser *p)
{
    double v = term(p);
    while (p->st == QP_EXPR_OK) {
        if (accept(p, '+')) {
            v += term(p);
        } else if (accept(p, '-')) {
            v -= term(p);
        } else {
            break;
        }
    }
    return v;
}

qp_expr_status qp_expr_eval(const char *text, size_t len, qp_expr_lookup lookup, void *ctx,
                            double *out, size_t *errpos, char *err, size_t errlen)
{
    parser p = {text, len, 0, 0, lookup, ctx, QP_EXPR_OK, 0, err, errlen};
    if (errlen) {
        err[0] = '\0';
    }
    skip_ws(&p);
    if (p.pos >= len) {
        fail(&p, QP_EXPR_SYNTAX, 0, "empty expression");
    } else {
        double v = expr(&p);
        skip_ws(&p);
        if (p.st == QP_EXPR_OK && p.pos < len) {
            char msg[64];
            snprintf(msg, sizeof msg, "unexpected '%c' after the expression", text[p.pos]);
            fail(&p, QP_EXPR_SYNTAX, p.pos, msg);
        }
        if (p.st == QP_EXPR_OK && !isfinite(v)) {
            fail(&p, QP_EXPR_DOMAIN, 0, "expression value is not a finite number");
        }
        if (p.st == QP_EXPR_OK) {
            *out = v;
        }
    }
    *errpos = p.errpos;
    return p.st;
}
