/* The lowest eigenvalues of a real symmetric tridiagonal matrix by Sturm-count bisection, eight
 * at a time so that their divisions overlap. */
#include "solve/eig_impl.h"

#include <float.h>
#include <math.h>

/* Eigenvalues bisected side by side. One Sturm count is a chain of n dependent divisions, so
 * LAPACK's dstebz, which counts one interval after the other, waits on every division; eight
 * independent chains keep the divider busy (and pair up in vector registers). */
#define LANES 8
#define FUDGE 2.1      /* dstebz's widening of the Gershgorin interval */
#define MAX_STEPS 4096 /* a guard only: each step halves an interval of finite doubles */

/* count[l]: the eigenvalues at or below x[l], as the pivots of T - x[l] = L D L^T that are not
 * positive (LAPACK's dlaebz, with the same order of operations: a pivot smaller than pivmin in
 * magnitude is taken as -pivmin). */
static void sturm_counts(size_t n, const double *d, const double *e, double pivmin,
                         const double *x, double *count)
{
    double q[LANES], c[LANES];
    for (int l = 0; l < LANES; l++) {
        double t = d[0] - x[l];
        t = fabs(t) < pivmin ? -pivmin : t;
        q[l] = t;
        c[l] = t <= 0.0 ? 1.0 : 0.0;
    }
    for (size_t i = 1; i < n; i++) {
        double di = d[i], e2 = e[i - 1] * e[i - 1];
        for (int l = 0; l < LANES; l++) {
            double t = di - e2 / q[l] - x[l];
            t = fabs(t) < pivmin ? -pivmin : t;
            q[l] = t;
            c[l] += t <= 0.0 ? 1.0 : 0.0;
        }
    }
    for (int l = 0; l < LANES; l++) {
        count[l] = c[l];
    }
}

/* The eigenvalues k0 + 1 .. k0 + m (m <= LANES, 1-based) into w[0 .. m): each lane halves its
 * interval, keeping count(lo) < k <= count(hi), until dstebz's tolerance is met; a lane that has
 * converged stops moving, so each value depends on the matrix alone. */
static void bisect_block(size_t n, const double *d, const double *e, double pivmin, double gl,
                         double gu, double atol, int k0, int m, double *w)
{
    double lo[LANES], hi[LANES], x[LANES], count[LANES];
    int done[LANES];
    for (int l = 0; l < LANES; l++) {
        lo[l] = gl, hi[l] = gu;
        done[l] = l >= m; /* spare lanes count alongside but are never read */
    }
    for (int step = 0; step < MAX_STEPS; step++) {
        int active = 0;
        for (int l = 0; l < LANES; l++) {
            double width = hi[l] - lo[l], size = fmax(fabs(lo[l]), fabs(hi[l]));
            done[l] |= !(width >= fmax(fmax(atol, pivmin), 2.0 * DBL_EPSILON * size)); /* or NaN */
            active |= !done[l];
            x[l] = 0.5 * (lo[l] + hi[l]);
        }
        if (!active) {
            break;
        }
        sturm_counts(n, d, e, pivmin, x, count);
        for (int l = 0; l < m; l++) {
            if (done[l]) {
                continue;
            }
            if (count[l] >= (double)(k0 + l + 1)) {
                hi[l] = x[l];
            } else {
                lo[l] = x[l];
            }
        }
    }
    for (int l = 0; l < m; l++) {
        w[l] = 0.5 * (lo[l] + hi[l]);
    }
}

void qp_eig_tridiag_lowest(size_t n, const double *d, const double *e, int nev, double *w)
{
    /* dstebz's bounds: pivmin from the largest e^2, the Gershgorin interval widened by
     * FUDGE (n ulp of its size and pivmin) so that it holds every eigenvalue */
    double e2max = 0.0, gl = d[0], gu = d[0], prev = 0.0;
    for (size_t i = 0; i + 1 < n; i++) {
        e2max = fmax(e2max, e[i] * e[i]);
        double ei = fabs(e[i]);
        gu = fmax(gu, d[i] + prev + ei);
        gl = fmin(gl, d[i] - prev - ei);
        prev = ei;
    }
    gu = fmax(gu, d[n - 1] + prev);
    gl = fmin(gl, d[n - 1] - prev);
    double pivmin = DBL_MIN * fmax(1.0, e2max), ulp = DBL_EPSILON; /* LAPACK's dlamch('P') */
    double tnorm = fmax(fabs(gl), fabs(gu));
    gl -= FUDGE * tnorm * ulp * (double)n + FUDGE * 2.0 * pivmin;
    gu += FUDGE * tnorm * ulp * (double)n + FUDGE * pivmin;
    for (int k0 = 0; k0 < nev; k0 += LANES) {
        int m = nev - k0 < LANES ? nev - k0 : LANES;
        bisect_block(n, d, e, pivmin, gl, gu, ulp * tnorm, k0, m, w + k0);
    }
}
