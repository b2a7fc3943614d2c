/* Internal header of the transient's Radau IIA step (tran_radau.c): its constants, its work
 * space and the stage solve, error estimate and dense output tran_integrate.c's run calls. */
#ifndef QPSIM_ANALYSES_TRAN_RADAU_H
#define QPSIM_ANALYSES_TRAN_RADAU_H

#include "analyses/tran_impl.h"
#include "solve/lapack.h"

#include <stddef.h>

/* Radau IIA, 3 stages (order 5): nodes c_i, the matrix a_ij, and the real Schur-like form of
 * a^-1 that decouples the stage system (Hairer and Wanner, Solving ODEs II, IV.8; their RADAU5
 * code's values): a^-1 = T diag(gamma, [alpha -beta; beta alpha]) T^-1. tests/test_tran.c
 * checks T TI = I and TI a^-1 T against the eigenvalues. */
#define QP_RADAU_S6 2.449489742783178098197284
static const double QP_RADAU_C[3] = {(4.0 - QP_RADAU_S6) / 10.0, (4.0 + QP_RADAU_S6) / 10.0, 1.0};
static const double QP_RADAU_A[3][3] = {
    {(88.0 - 7.0 * QP_RADAU_S6) / 360.0, (296.0 - 169.0 * QP_RADAU_S6) / 1800.0,
     (-2.0 + 3.0 * QP_RADAU_S6) / 225.0},
    {(296.0 + 169.0 * QP_RADAU_S6) / 1800.0, (88.0 + 7.0 * QP_RADAU_S6) / 360.0,
     (-2.0 - 3.0 * QP_RADAU_S6) / 225.0},
    {(16.0 - QP_RADAU_S6) / 36.0, (16.0 + QP_RADAU_S6) / 36.0, 1.0 / 9.0}};
#define QP_RADAU_GAMMA 3.637834252744495732208418 /* the real eigenvalue of a^-1 */
#define QP_RADAU_ALPHA 2.681082873627752133895791 /* the complex pair alpha +- i beta */
#define QP_RADAU_BETA 3.050430199247410569426378
static const double QP_RADAU_T[3][3] = {
    {9.1232394870892942792e-02, -0.14125529502095420843, -3.0029194105147424492e-02},
    {0.24171793270710701896, 0.20412935229379993199, 0.38294211275726193779},
    {0.96604818261509293619, 1.0, 0.0}};
static const double QP_RADAU_TI[3][3] = {
    {4.3255798900631553510, 0.33919925181580986954, 0.54177053993587487119},
    {-4.1787185915519047273, -0.32768282076106238708, 0.47662355450055045196},
    {-0.50287263494578687595, 2.5719269498556054292, -0.59603920482822492497}};

/* The work space of the steps of an n-unknown system: the stages Z (3n, the stage values minus
 * the step's start), f at the stages F (3n), and the factors of the two decoupled Newton
 * matrices gamma/h A - J (real, Er) and (alpha + i beta)/h A - J (complex, Ec), n x n each. */
typedef struct {
    size_t n;
    double *Z, *F, *W, *x;  /* stages, f at the stages, transformed stages (3n), a point (n) */
    double *Er;             /* gamma/h A - J, factored (n x n) */
    double _Complex *Ec, *zc; /* (alpha + i beta)/h A - J, factored (n x n); a complex vector
                              * (_Complex: <complex.h>'s I stays out of the includers) */
    lp_int *pr, *pc;        /* their pivots */
    size_t *ap, *ai;        /* A by columns: column q's rows ai[ap[q] .. ap[q + 1]) */
    double *ax;             /* and values */
} qp_radau;

/* Allocates the work space for the n unknowns of S and keeps S->A's nonzeros (1, or 0 when out
 * of memory; qp_radau_free frees what was allocated either way). */
int qp_radau_init(qp_radau *w, const qp_tran_sys *S);
void qp_radau_free(qp_radau *w);

/* Forms and factors the two Newton matrices of a step of length h from the mass matrix A
 * (S->A) and the Jacobian J (n x n, column-major). 0, -1 when one is singular, -2 when one has
 * an entry that is not finite. */
int qp_radau_factor(qp_radau *w, const qp_tran_sys *S, const double *J, double h);

/* Solves the stage equations A Z_i = h sum_j a_ij f(t + c_j h, x0 + Z_j) by simplified Newton
 * from the guess in w->Z with the factors of qp_radau_factor (for this h, from a Jacobian at x0
 * or near it). Stops when the update, and the error it leaves given the contraction, are below
 * NEWTON_TOL of the tolerance; fails when it stops contracting. On success x1 = x0 + Z_3 and 0;
 * -1 when Newton does not converge. *theta: the largest ratio of successive updates (0 after
 * one iteration), how well the factors fit. */
int qp_radau_newton(qp_radau *w, const qp_tran_sys *S, const qp_analysis *an, double t,
                    double h, const double *x0, double *x1, double *theta);

/* Hairer and Wanner's embedded error estimate of the step of length h from (t, x0) whose stages
 * are in w->Z (w's factors for this h), f0 = f(t, x0): the scaled max norm (INFINITY when not
 * finite), the estimate itself in err (n). refine: refine a large estimate once with f at x0 +
 * err; skip_alg: leave the algebraic unknowns out of the norm. tmp, rhs: n values of scratch. */
double qp_radau_error(const qp_radau *w, const qp_tran_sys *S, const qp_analysis *an, double t,
                      double h, const double *x0, const double *f0, int refine, int skip_alg,
                      double *rhs, double *tmp, double *err);

/* The collocation polynomial of a step from x0 with stages Z (3n) at t0 + s h, s in [0, 1]. */
void qp_radau_dense(size_t n, const double *x0, const double *Z, double s, double *out);

/* Stage guess in Z (3n) for a step of h from x0, extrapolated from the previous step's
 * polynomial (length hp, stages Zp, start xp); zero when hp is 0 (no previous step). tmp: n. */
void qp_radau_guess(size_t n, const double *xp, const double *Zp, double hp, double h,
                    const double *x0, double *Z, double *tmp);

#endif
