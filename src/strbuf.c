/* Growable string buffer used to build messages and reports without printing. */
#include "qpsim/strbuf.h"

#include <stdarg.h>
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
