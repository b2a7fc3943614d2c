/* Dense LU with partial pivoting for small to medium systems, real and complex (internal
 * header): an inline elimination up to QP_LU_SMALL_MAX unknowns, LAPACK's dgetrf/dgetrs
 * (zgetrf/ztrsv) beyond. */
#ifndef QPSIM_SOLVE_LU_H
#define QPSIM_SOLVE_LU_H

#include "solve/lapack.h"

#include <stddef.h>

/* Systems up to this size use the inline elimination: for the small stage systems of circuits
 * (3 stages x a few unknowns) it avoids LAPACK's per-call overhead. */
#define QP_LU_SMALL_MAX 96

/* Factors the m x m column-major M in place with partial pivoting: at step k row k was swapped
 * with row piv[k] - 1 (LAPACK's 1-based convention). piv (caller-owned) holds m entries. The
 * factors are in a layout only qp_lu_solve reads (up to QP_LU_SMALL_MAX the diagonal holds
 * 1/U_kk). Returns 0, -1 when M is singular, -2 when a pivot column is not finite (for m above
 * QP_LU_SMALL_MAX: when any entry of M is not finite). */
int qp_lu_factor(size_t m, double *M, lp_int *piv);

/* Solves M x = b in place (b: m values in, x out) with the factors of qp_lu_factor. */
void qp_lu_solve(size_t m, const double *M, const lp_int *piv, double *b);

/* The same for a complex m x m column-major M (layout as LAPACK's, so zgetrf takes it; pivots
 * by |Re| + |Im| as zgetrf does), with the same return values. Spelled _Complex: <complex.h>'s
 * macro I would clash with the includers' variables. */
int qp_lu_zfactor(size_t m, double _Complex *M, lp_int *piv);
void qp_lu_zsolve(size_t m, const double _Complex *M, const lp_int *piv, double _Complex *b);

#endif
