/* A growable string used by the writers and the diagnostics (no printing, no globals). */
#ifndef QPSIM_STRBUF_H
#define QPSIM_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
    char *s;
    size_t len, cap;
    int failed; /* set once an allocation fails; later appends do nothing */
} qp_strbuf;

void qp_sb_putc(qp_strbuf *b, char c);
void qp_sb_puts(qp_strbuf *b, const char *s);
void qp_sb_putn(qp_strbuf *b, const char *s, size_t n);
void qp_sb_printf(qp_strbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void qp_sb_vprintf(qp_strbuf *b, const char *fmt, va_list ap);
/* Appends x exactly as printf("%.*g", prec, x) would, several times faster for prec <= 15 (large
 * tables: traces, spectra); other cases go through printf. */
void qp_sb_putg(qp_strbuf *b, double x, int prec);
/* Hands the string over to the caller (NULL if any append failed) and resets the buffer. */
char *qp_sb_take(qp_strbuf *b);
void qp_sb_free(qp_strbuf *b);

/* A malloc'd copy of s (NULL when s is NULL or memory runs out). */
char *qp_strdup(const char *s);

/* Formats a message into the caller's buffer err[errlen] (the library's err/errlen convention);
 * nothing when err is NULL or errlen is 0. */
void qp_errf(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
