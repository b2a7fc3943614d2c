/* Hamiltonian assembly: the modes of a quantized circuit in their bases, as a sparse matrix. */
#ifndef QPSIM_HAM_H
#define QPSIM_HAM_H

#include "operators/basis.h"
#include "operators/kron.h"
#include "qpsim/eig.h"
#include "qpsim/quantize.h"

/* Basis size of mode i for cutoff c: charge/fluxoid 2c+1 states (n in [-c, c]), oscillator c
 * states, frozen 1. */
size_t qp_ham_mode_dim(qp_mode_kind k, int c);

/* Spacing of the phase grid of an extended mode with N points and oscillator length zp: the grid
 * points are phi_j = (j - (N-1)/2) h (basis=grid). */
double qp_ham_grid_step(size_t N, double zp);

/* Zero-point phase of an oscillator mode: phi_zpf = (Ac/(2 Lm))^(1/4). */
double qp_ham_osc_zpf(const qp_modes *m, size_t i);
/* The length of oscillator mode i's basis (oscillator states or phase grid alike): its own
 * zero-point spread zp = (Ac/(2 Lm))^(1/4) when no cosine acts on it; otherwise the geometric
 * mean of zp and the spread zw in a well of the cosines, zw = (A/(2 L))^(1/4) with the cosines'
 * curvature added (L = Lm + sum E c^2 for junction terms, A = Ac + sum 2 pi^2 E c^2 for
 * phase-slip terms). The basis then reaches the range the quadratic envelope allows and resolves
 * the wells at once (docs/physics.md, "Basis choice"). A mode without an inductive term of its
 * own (an extended junction-array mode) takes zw alone. */
double qp_ham_basis_zpf(const qp_modes *m, size_t i);
/* The whole placement of oscillator mode i's basis: length qp_ham_basis_zpf, centred on the
 * minimum of the mode's own quadratic terms, x0 = -lphi_i / Lm_ii and p0 = -lp_i / (2 Ac_ii)
 * (an external flux on an inductor, an offset charge on an extended mode), so that the basis
 * does not spend states reaching a displaced minimum (fluxonium at f = 1 with the flux on the
 * inductor: 40 states instead of 90). */
void qp_ham_basis_geom(const qp_modes *m, size_t i, qp_osc_geom *g);

#define QP_HAM_MAX_ENTRIES ((size_t)300000000) /* refuse larger assemblies */

/* Assembles H on the product basis with cutoffs cut[i] (mode 0 is the slowest index); extended
 * modes use the harmonic-oscillator basis, or with `grid` set a phase grid of cut[i] points
 * (sinc-DVR, docs/physics.md). *H
 * receives both triangles; it is real (im == NULL) when no entry has an imaginary part.
 * QP_ERR_NUMERIC with a message in err when the matrix would be too large. */
qp_status qp_ham_assemble(const qp_modes *m, const int *cut, int grid, qp_sparse *H, char *err,
                          size_t errlen);

/* Any operator written like a Hamiltonian (the quadratic, linear, constant and cosine terms of
 * `terms`, which has basis->n modes of the same kinds) on the basis of `basis` (its oscillator
 * lengths): charges, phases and cos/sin of junction phases for matrix elements. */
qp_status qp_ham_assemble_terms(const qp_modes *basis, const qp_modes *terms, const int *cut,
                                int grid, qp_sparse *H, char *err, size_t errlen);

/* The terms of qp_ham_assemble_terms as a Kronecker term list on the product basis with cutoffs
 * cut[] (one slot per mode), without expanding them: the matrix-free Hamiltonian. *K is set up
 * here; release it with qp_kron_free whatever this returns. QP_ERR_NUMERIC when the product
 * basis is too large to index: the terms are complete all the same (K->dim is 0). With a cache
 * (or NULL) the oscillators' exponentials are shared with it (bit for bit those built without
 * it), so *K must be freed before the next qp_ham_terms with the same cache. */
qp_status qp_ham_terms(const qp_modes *basis, const qp_modes *terms, const int *cut, int grid,
                       qp_basis_cache *cache, qp_kron *K);

/* The triplets qp_ham_expand would write (the diagonal and every term's products, before
 * duplicates are summed): an upper bound on the stored entries; SIZE_MAX on overflow. */
size_t qp_ham_count_entries(const qp_kron *K);

/* Expands a term list into the sparse matrix (both triangles; real when no entry has an
 * imaginary part). QP_ERR_NUMERIC with a message when it would pass QP_HAM_MAX_ENTRIES. */
qp_status qp_ham_expand(const qp_kron *K, qp_sparse *H, char *err, size_t errlen);

/* The matrix of K stored dense for a small basis: D (2 K->dim^2 doubles, caller's) receives it
 * column-major as interleaved (re, im) pairs, each entry the sum of the terms in K's order;
 * *cplx is 0 when every imaginary part is below 1e-14 of the largest real one (then they are set
 * to zero, as qp_ham_expand drops them). QP_ERR_NOMEM. */
qp_status qp_ham_expand_dense(const qp_kron *K, double *D, int *cplx);

#endif
