/* Minimal TAP producer for the C unit tests, with explicit tolerances. */
#ifndef QPSIM_TAP_H
#define QPSIM_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

/* Prints a test description on one line: newlines inside it (diagnostics quoted in a
 * description) would break the TAP stream. */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static void tap_desc(const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == '\n') {
        buf[--n] = '\0';
    }
    for (char *c = buf; *c; c++) {
        *c = *c == '\n' ? ' ' : *c;
    }
    printf("%s\n", buf);
}

/* The condition is evaluated once (it may have side effects, such as making an object). */
#define QP_CHECK(cond, ...)                                                                        \
    do {                                                                                           \
        int ok_ = (cond) ? 1 : 0;                                                                  \
        tap_n++;                                                                                   \
        if (ok_) {                                                                                 \
            printf("ok %d - ", tap_n);                                                             \
        } else {                                                                                   \
            tap_failed++;                                                                          \
            printf("not ok %d - ", tap_n);                                                         \
        }                                                                                          \
        tap_desc(__VA_ARGS__);                                                                     \
        if (!ok_) {                                                                                \
            printf("#   at %s:%d: %s\n", __FILE__, __LINE__, #cond);                              \
        }                                                                                          \
    } while (0)

/* |got - want| <= rtol |want| */
#define QP_CHECK_REL(got, want, rtol, name)                                                        \
    do {                                                                                           \
        double g_ = (got), w_ = (want);                                                            \
        QP_CHECK(fabs(g_ - w_) <= (rtol)*fabs(w_), "%s: %.15g vs %.15g (rtol %g)", name, g_, w_,  \
                 (double)(rtol));                                                                  \
    } while (0)

#define QP_CHECK_ABS(got, want, atol, name)                                                        \
    do {                                                                                           \
        double g_ = (got), w_ = (want);                                                            \
        QP_CHECK(fabs(g_ - w_) <= (atol), "%s: %.15g vs %.15g (atol %g)", name, g_, w_,           \
                 (double)(atol));                                                                  \
    } while (0)

#define QP_CHECK_STR(got, want, name)                                                              \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        QP_CHECK(g_ && strcmp(g_, w_) == 0, "%s: \"%s\"", name, g_ ? g_ : "(null)");              \
        if (g_ && strcmp(g_, w_) != 0) {                                                           \
            printf("#   want \"%s\"\n", w_);                                                       \
        }                                                                                          \
    } while (0)

static int tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
