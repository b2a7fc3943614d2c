/* Harmonic-oscillator matrix elements of the displacement exp(i s (a + a^dag)), exact in the Fock
 * basis (no truncation of the operator before exponentiating). */
#ifndef QPSIM_HO_H
#define QPSIM_HO_H

#include "qpsim/diag.h"

#include <stddef.h>

/* Writes <m| exp(i s (a + a^dag)) |n> for m, n < N: the displacement D(beta), beta = i s, of the
 * UNTRUNCATED oscillator (docs/physics.md),
 *     <m|D|n> = sqrt(n!/m!) beta^(m-n) e^(-s^2/2) L_n^(m-n)(s^2)   (m >= n),
 * and <m|D|n> = <n|D|m> (a + a^dag is real symmetric, so its exponential is complex symmetric).
 * With phi = phi_zpf (a + a^dag), e^(i alpha phi) is this operator at s = alpha phi_zpf, and
 * cos(alpha phi) its real part.
 *
 * `out` (caller-owned, 2 N^2 doubles) receives the N x N matrix column-major as interleaved
 * (re, im) pairs: element (m, n) at out[2 (m + n N)] and out[2 (m + n N) + 1], the layout of a
 * LAPACK complex16 array. Each element is real or purely imaginary (phase i^(m-n)).
 *
 * Computed by the three-term Laguerre recurrence in n at fixed m - n, normalised so that every
 * quantity is a matrix element of a unitary (|.| <= 1), with a separate binary exponent so that
 * nothing overflows or underflows on the way (elements below ~1e-308 come out as 0 or
 * subnormal). Against exact rational evaluation: absolute error <= 2e-14 and relative error
 * ~1e-12 (more only next to zeros of the Laguerre polynomial) for N = 2000, |s| <= 20; the
 * columns stay orthonormal to ~1e-13 up to |s| = 45 (the error grows like s^2 eps, the
 * conditioning of e^(-s^2/2)). For |s| > 1e7 every element is below the smallest double and the
 * output is zero. Cost O(N^2), no allocation, N = 0 is a no-op. Returns QP_ERR_USAGE for
 * out == NULL (N > 0) or an N whose 2 N^2 doubles overflow size_t, QP_ERR_NUMERIC for a
 * non-finite s. */
qp_status qp_ho_exp_i_x(size_t N, double s, double *out);

#endif
