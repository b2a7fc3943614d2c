/* Displacement-operator matrix elements in the harmonic-oscillator basis (Laguerre closed form). */
#include "operators/ho.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define LN2 0.693147180559945309417232121458176568
#define RESCALE_HI 0x1p400  /* carried mantissas are kept between these two powers of two */
#define RESCALE_LO 0x1p-400
#define EXP_ARG_MAX 700.0   /* exp(-y) is computed directly (no underflow) for y below this */
/* Beyond this |s| every element with m, n below any N that fits in memory is under 1e-308
 * (log|<m|D|n>| < -s^2/2 + N ln s with N < 2^31), so the exact answer in doubles is zero. */
#define S_NEGLIGIBLE 1e7

/* A positive or negative real held as mant * 2^expo, so that e^(-s^2/2) and s^k / sqrt(k!) never
 * overflow or underflow on the way to an element of order one. */
typedef struct {
    double mant;
    long expo;
} scaled;

static scaled normalised(double mant, long expo)
{
    int e = 0;
    double m = frexp(mant, &e); /* m = 0 when mant = 0 */
    return (scaled){m, expo + e};
}

/* e^(-y) for y >= 0 as a scaled number. */
static scaled exp_neg(double y)
{
    if (y < EXP_ARG_MAX) {
        return normalised(exp(-y), 0);
    }
    double n = ceil(y / LN2); /* e^(-y) = 2^(-n) e^(n ln2 - y), n ln2 - y in [0, ln2) */
    return normalised(exp(n * LN2 - y), -(long)n);
}

/* x 2^e, the value ldexp gives (the exact product, rounded once), by one multiplication when 2^e
 * is a normal double: ldexp's call and its error checks took 5 % of a fluxonium sweep. */
static double times_pow2(double x, int e)
{
    if (e < DBL_MIN_EXP - 1 || e > DBL_MAX_EXP - 1) {
        return ldexp(x, e);
    }
    uint64_t bits = (uint64_t)(e + (DBL_MAX_EXP - 1)) << (DBL_MANT_DIG - 1);
    double p;
    memcpy(&p, &bits, sizeof p);
    return x * p;
}

/* Element (m, n) and its mirror (n, m) of i^k sgn^k h, k = m - n (h real, sgn = sign of s). */
static void put(double *out, size_t N, size_t m, size_t n, double h, int odd_negative)
{
    size_t k = m - n;
    double v = (odd_negative && (k & 1)) ? -h : h;
    double re = 0.0, im = 0.0;
    switch (k & 3) {
    case 0:
        re = v;
        break;
    case 1:
        im = v;
        break;
    case 2:
        re = -v;
        break;
    default:
        im = -v;
        break;
    }
    out[2 * (m + n * N)] = re, out[2 * (m + n * N) + 1] = im;
    out[2 * (n + m * N)] = re, out[2 * (n + m * N) + 1] = im;
}

/* The diagonal band m - n = k: h_n = sqrt(n!/(n+k)!) |s|^k e^(-x/2) L_n^(k)(x), x = s^2, starting
 * from h_0 = `start` and continuing with the normalised Laguerre recurrence
 *   sqrt((n+1)(n+k+1)) h_{n+1} = (2n+1+k-x) h_n - sqrt(n(n+k)) h_{n-1}.
 * Along fixed k the wanted solution grows out of the classically forbidden region and then
 * oscillates, so the forward recurrence is stable; the two carried values share one exponent. */
static void band(double *out, size_t N, size_t k, double x, scaled start, int odd_negative)
{
    double hp = 0.0, hc = start.mant;
    long expo = start.expo;
    for (size_t n = 0; n + k < N; n++) {
        int e2 = expo < INT_MIN ? INT_MIN : expo > INT_MAX ? INT_MAX : (int)expo;
        put(out, N, n + k, n, times_pow2(hc, e2), odd_negative);
        double dn = (double)n, dk = (double)k;
        double hn = ((2.0 * dn + 1.0 + dk - x) * hc - sqrt(dn * (dn + dk)) * hp) /
                    sqrt((dn + 1.0) * (dn + dk + 1.0));
        hp = hc, hc = hn;
        double big = fmax(fabs(hp), fabs(hc));
        if (big > RESCALE_HI || (big < RESCALE_LO && big > 0.0)) {
            int e = 0;
            frexp(big, &e);
            hp = ldexp(hp, -e), hc = ldexp(hc, -e), expo += e;
        }
    }
}

qp_status qp_ho_exp_i_x(size_t N, double s, double *out)
{
    if (N == 0) {
        return QP_OK;
    }
    if (!out || N > SIZE_MAX / 2 / sizeof(double) / N) {
        return QP_ERR_USAGE;
    }
    if (!isfinite(s)) {
        return QP_ERR_NUMERIC;
    }
    memset(out, 0, 2 * N * N * sizeof *out);
    if (fabs(s) > S_NEGLIGIBLE) {
        return QP_OK;
    }
    double x = s * s;
    int odd_negative = s < 0.0;
    scaled h0 = exp_neg(0.5 * x); /* h_0 of band k: |s|^k e^(-x/2) / sqrt(k!) */
    for (size_t k = 0; k < N; k++) {
        if (k > 0) {
            h0 = normalised(h0.mant * fabs(s) / sqrt((double)k), h0.expo);
        }
        band(out, N, k, x, h0, odd_negative);
    }
    return QP_OK;
}
