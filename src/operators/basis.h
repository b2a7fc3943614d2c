/* Internal: per-mode operator matrices (charge, fluxoid, oscillator, phase grid) for ham.c. */
#ifndef QPSIM_OPERATORS_BASIS_H
#define QPSIM_OPERATORS_BASIS_H

#include "qpsim/quantize.h"

#include <complex.h>
#include <stddef.h>

/* One per-mode factor of a Kronecker product: n triplets (row, col, v) of a small sparse matrix,
 * or the identity when ident is set (then n == 0 and the arrays are NULL). The factor owns its
 * arrays, unless `shared` says that a qp_basis_cache does; release them with
 * qp_basis_factor_free. `diagonal` records that the matrix is diagonal (set by every builder
 * below; the assembly does not read it). */
typedef struct {
    size_t n;
    size_t *row, *col;
    double complex *v;
    int ident;
    int diagonal;
    int shared;
} qp_factor;

/* Frees the arrays of *f (not those of a shared factor) and zeroes it. */
void qp_basis_factor_free(qp_factor *f);

/* Oscillator exponentials built by earlier qp_basis_exp calls, for later calls on a basis of the
 * same size and length: along a flux sweep only the basis centre moves, and its phase is kept
 * out of the factor. One cache per thread; a factor it hands out (shared set) stays valid until
 * the next qp_basis_cache_begin or qp_basis_cache_free. The factors are those a call without the
 * cache builds, bit for bit. */
typedef struct qp_basis_cache qp_basis_cache;
qp_basis_cache *qp_basis_cache_new(void); /* NULL when out of memory */
void qp_basis_cache_free(qp_basis_cache *c); /* NULL is fine */
/* A new user of the factors (one term list): those no user took since the previous begin may be
 * dropped to make room from now on. NULL is fine. */
void qp_basis_cache_begin(qp_basis_cache *c);

/* Where an oscillator mode's basis sits: length zp (Phi = x0 + zp (a + a^dag)), centre x0 of the
 * phase and centre p0 of the momentum (P = p0 + i (a^dag - a)/(2 zp)); the phase grid is centred
 * on x0 the same way. Ignored on charge and fluxoid modes. */
typedef struct {
    double zp, x0, p0;
} qp_osc_geom;

/* Spacing h of the phase grid of an extended mode with N points and oscillator length zp: the
 * points are phi_j = (j - (N-1)/2) h (1 for N <= 1). */
double qp_basis_grid_step(size_t N, double zp);

/* Fills *f (zeroed or freed before) with operator `op` of a mode of kind k in a basis of d
 * states: 'x' = Phi, 'X' = Phi^2, 'p' = P, 'P' = P^2. Oscillator modes use Fock states placed as
 * *g says, or with `grid` set a phase grid of d points (sinc-DVR). Charge and fluxoid modes are
 * diagonal. 0 when out of memory (then *f may hold partial arrays: free it). */
int qp_basis_quad(qp_factor *f, qp_mode_kind k, size_t d, const qp_osc_geom *g, char op,
                  int grid);

/* Fills *f and *phase so that *phase times *f is exp(i k Phi) (is_qps = 0, a junction) or
 * exp(2 pi i k P) (is_qps = 1, a phase slip) on one mode; the identity (ident set, no arrays)
 * when the operator is trivially 1 there. *phase is the phase of an oscillator's centre,
 * e^{i k x0} or e^{2 pi i k p0}, in Fock states, and 1 on every other basis. There the factor
 * comes from `cache` when it holds it, and goes to it when built (shared set either way); NULL:
 * no cache. Same basis conventions and failure contract as qp_basis_quad. */
int qp_basis_exp(qp_factor *f, double complex *phase, qp_mode_kind kind, size_t d,
                 const qp_osc_geom *g, double k, int is_qps, int grid, qp_basis_cache *cache);

#endif
