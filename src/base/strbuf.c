/* Growable string buffer used to build messages and reports without printing. */
#include "base/strbuf.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(qp_strbuf *b, size_t extra)
{
    if (b->failed) {
        return 0;
    }
    if (b->len + extra + 1 <= b->cap) {
        return 1;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) {
        cap *= 2;
    }
    char *s = realloc(b->s, cap);
    if (!s) {
        b->failed = 1;
        return 0;
    }
    b->s = s;
    b->cap = cap;
    return 1;
}

void qp_sb_putn(qp_strbuf *b, const char *s, size_t n)
{
    if (!reserve(b, n)) {
        return;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void qp_sb_puts(qp_strbuf *b, const char *s)
{
    qp_sb_putn(b, s, strlen(s));
}

void qp_sb_putc(qp_strbuf *b, char c)
{
    qp_sb_putn(b, &c, 1);
}

void qp_sb_vprintf(qp_strbuf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    /* one formatting pass when the text fits the free space (the usual case: large tables) */
    if (reserve(b, 64)) {
        size_t room = b->cap - b->len;
        va_list ap3;
        va_copy(ap3, ap);
        int m = vsnprintf(b->s + b->len, room, fmt, ap3);
        va_end(ap3);
        if (m >= 0 && (size_t)m < room) {
            b->len += (size_t)m;
            va_end(ap2);
            return;
        }
        b->s[b->len] = '\0';
    }
    int n = vsnprintf(NULL, 0, fmt, ap);
    if (n < 0) {
        b->failed = 1;
    } else if (reserve(b, (size_t)n)) {
        vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

void qp_sb_printf(qp_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    qp_sb_vprintf(b, fmt, ap);
    va_end(ap);
}

char *qp_sb_take(qp_strbuf *b)
{
    char *s = NULL;
    if (!b->failed) {
        s = b->s ? b->s : calloc(1, 1);
    } else {
        free(b->s);
    }
    b->s = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
    return s;
}

void qp_sb_free(qp_strbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

char *qp_strdup(const char *s)
{
    if (!s) {
        return NULL;
    }
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c) {
        memcpy(c, s, n);
    }
    return c;
}

void qp_errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Powers of ten exactly representable as doubles. */
static const double P10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* a * 10^k with one rounding (|k| <= 22, *nr = 1) or two (|k| <= 44, *nr = 2), or -1 when k is
 * out of the range handled here. */
static double scale10(double a, int k, int *nr)
{
    *nr = (k > 22 || k < -22) ? 2 : 1;
    if (k >= 0) {
        if (k <= 22) {
            return a * P10[k];
        }
        return k <= 44 ? a * P10[22] * P10[k - 22] : -1.0;
    }
    if (k >= -22) {
        return a / P10[-k];
    }
    return k >= -44 ? a / P10[22] / P10[-k - 22] : -1.0;
}

/* The digits of %.*g for a finite a > 0 with 1 <= prec <= 15: the decimal exponent in *e10 and
 * the prec significant digits as an integer in *digits. Returns 0 when the rounding could be
 * decided differently by the exact binary value (near a half, or out of range): the caller then
 * asks printf. Each rounding of scale10 is a relative error of at most u = 2^-53 (10^k is exact
 * for |k| <= 22), and floor and the subtraction are exact below 2^53, so the computed fraction is
 * within nr u s of the true one: the rounding is decided unless the fraction is that close to a
 * half (checked with a margin of one more u s). */
static int g_digits(double a, int prec, int *e10, uint64_t *digits)
{
    int e = (int)floor(log10(a));
    for (int pass = 0; pass < 2; pass++) {
        int nr = 1;
        double s = scale10(a, prec - 1 - e, &nr);
        if (!(s >= 0.0)) {
            return 0;
        }
        double lo = P10[prec - 1], hi = P10[prec];
        if (s < lo) { /* log10 rounded up across a power of ten */
            e--;
            continue;
        }
        if (s >= hi) {
            e++;
            continue;
        }
        double n = floor(s), frac = s - n;
        if (fabs(frac - 0.5) <= (double)(nr + 1) * 0x1p-53 * s) {
            return 0;
        }
        uint64_t d = (uint64_t)n + (frac > 0.5);
        if ((double)d >= hi) { /* rounded up to 10^prec */
            d /= 10;
            e++;
        }
        *e10 = e;
        *digits = d;
        return 1;
    }
    return 0;
}

void qp_sb_putg(qp_strbuf *b, double x, int prec)
{
    int e = 0;
    uint64_t d = 0;
    if (prec < 1 || prec > 15 || !isfinite(x) || x == 0.0 ||
        !g_digits(fabs(x), prec, &e, &d)) {
        qp_sb_printf(b, "%.*g", prec, x);
        return;
    }
    static const char PAIRS[] = "0001020304050607080910111213141516171819"
                                "2021222324252627282930313233343536373839"
                                "4041424344454647484950515253545556575859"
                                "6061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    char dig[16], out[40];
    int k = prec;
    for (; k >= 2; k -= 2) { /* two digits per division */
        unsigned r = (unsigned)(d % 100);
        d /= 100;
        dig[k - 2] = PAIRS[2 * r];
        dig[k - 1] = PAIRS[2 * r + 1];
    }
    if (k == 1) {
        dig[0] = (char)('0' + d);
    }
    int nd = prec; /* significant digits left after stripping trailing zeros */
    while (nd > 1 && dig[nd - 1] == '0') {
        nd--;
    }
    size_t o = 0;
    if (x < 0.0) {
        out[o++] = '-';
    }
    if (e >= -4 && e < prec) { /* fixed notation */
        if (e < 0) {
            out[o++] = '0';
            out[o++] = '.';
            for (int i = 0; i < -e - 1; i++) {
                out[o++] = '0';
            }
            for (int i = 0; i < nd; i++) {
                out[o++] = dig[i];
            }
        } else {
            for (int i = 0; i <= e; i++) {
                out[o++] = i < nd ? dig[i] : '0';
            }
            if (nd > e + 1) {
                out[o++] = '.';
                for (int i = e + 1; i < nd; i++) {
                    out[o++] = dig[i];
                }
            }
        }
    } else { /* d.ddde+XX */
        out[o++] = dig[0];
        if (nd > 1) {
            out[o++] = '.';
            for (int i = 1; i < nd; i++) {
                out[o++] = dig[i];
            }
        }
        out[o++] = 'e';
        out[o++] = e < 0 ? '-' : '+';
        int ae = e < 0 ? -e : e;
        if (ae >= 100) {
            out[o++] = (char)('0' + ae / 100);
        }
        out[o++] = (char)('0' + ae / 10 % 10);
        out[o++] = (char)('0' + ae % 10);
    }
    qp_sb_putn(b, out, o);
}
