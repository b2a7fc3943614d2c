/* Unit tests: qp_sb_putg writes exactly what printf("%.*g") writes (the trace and spectrum CSVs
 * rely on it), over random doubles of every magnitude, decimal ties and special values. */
#include "base/strbuf.h"

#include "tap.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void) /* xorshift64*: deterministic */
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

/* Compares one value; returns 1 when equal. */
static int same(double x, int prec)
{
    char want[64];
    snprintf(want, sizeof want, "%.*g", prec, x);
    qp_strbuf b = {0};
    qp_sb_putg(&b, x, prec);
    char *got = qp_sb_take(&b);
    int ok = got && strcmp(got, want) == 0;
    static int shown;
    if (!ok && shown++ < 5) {
        printf("# %%.%dg of %a: printf '%s', qp_sb_putg '%s'\n", prec, x, want, got ? got : "");
    }
    free(got);
    return ok;
}

int main(void)
{
    static const int precs[] = {1, 2, 6, 10, 15, 17};
    for (size_t p = 0; p < sizeof precs / sizeof *precs; p++) {
        int prec = precs[p], bad = 0;
        /* random bit patterns: every exponent, subnormals, NaN and infinities included */
        for (int i = 0; i < 200000; i++) {
            uint64_t u = next();
            double x;
            memcpy(&x, &u, sizeof x);
            bad += !same(x, prec);
        }
        /* values of circuit size (1e-16 .. 1e12) with short decimal expansions, as traces have */
        for (int i = 0; i < 200000; i++) {
            double m = (double)(next() % 2000001) - 1e6;
            int k = (int)(next() % 30) - 22;
            bad += !same(m * pow(10.0, k), prec);
            bad += !same((double)i * 5e-14, prec);
        }
        /* just beside decimal ties: (n + 1/2) 10^k and its neighbours one ulp away */
        for (int i = 0; i < 100000; i++) {
            double m = (double)(next() % (uint64_t)pow(10.0, prec < 15 ? prec : 15)) + 0.5;
            int k = (int)(next() % 60) - 40;
            double x = m * pow(10.0, k - prec + 1);
            bad += !same(x, prec) + !same(nextafter(x, INFINITY), prec) +
                   !same(nextafter(x, 0.0), prec);
        }
        QP_CHECK(bad == 0, "%%.%dg: %d of 900000 values differ from printf", prec, bad);
    }
    /* decimal ties and edges: round half to even on the exact binary value, 9.99.. carries */
    static const double edge[] = {0.5,  1.5,   2.5,        0.125,    0.375,   1e-5,    9.5,
                                  99.5, 0.0,   -0.0,       1e15,     1e16,    1e-300,  DBL_MIN,
                                  DBL_MAX, 999999.5, 9999999999.5, 0.99999999995, 1e21, 123456.0,
                                  1e-4, 9.9999e-5, 0.0001234};
    int bad = 0;
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
        for (size_t p = 0; p < sizeof precs / sizeof *precs; p++) {
            bad += !same(edge[i], precs[p]) + !same(-edge[i], precs[p]);
        }
    }
    bad += !same(INFINITY, 10) + !same(-INFINITY, 10) + !same(NAN, 10);
    QP_CHECK(bad == 0, "ties, powers of ten, extremes and non-finite values: %d differ", bad);
    return tap_done();
}
