/* Operators written as sums of Kronecker products of small per-slot factors (a slot is one mode
 * of a product basis, or one group of modes of a hierarchical basis): the term list that the
 * sparse assembly expands, and the matrix-free product that never stores the product matrix. */
#ifndef QPSIM_OPERATORS_KRON_H
#define QPSIM_OPERATORS_KRON_H

#include "operators/basis.h"
#include "qpsim/diag.h"
#include "qpsim/eig.h"

#include <complex.h>
#include <stddef.h>

/* coef * (kron over slots of f[slot]), plus its Hermitian conjugate when herm is set. Only the
 * non-identity factors are stored: nf of them, at ascending slots slot[0..nf). */
typedef struct {
    double complex coef;
    int herm;
    size_t nf;
    size_t *slot;
    qp_factor *f;
} qp_kron_term;

/* sum of the terms + cst * identity on the product of nslot slots of sizes dims[] (slot 0 is the
 * slowest index: stride[nslot-1] = 1). */
typedef struct {
    size_t nslot, dim;
    size_t *dims, *stride;
    double complex cst;
    qp_kron_term *t;
    size_t nterm;
} qp_kron;

/* Sets up an empty operator on slots of the given sizes. QP_ERR_NUMERIC when the product of
 * the sizes overflows size_t: then K->dim is 0 and the strides are unset, but the slots are
 * set and terms may still be added (a hierarchical solve needs only the per-slot factors).
 * QP_ERR_NOMEM. Release with qp_kron_free whatever it returns. */
qp_status qp_kron_init(qp_kron *K, size_t nslot, const size_t *dims);
void qp_kron_free(qp_kron *K);

/* Appends coef * kron(f) (+ h.c. when herm); f has K->nslot entries, the identity where
 * f[i].ident is set. On success the non-identity factors are moved into the term (f[i] becomes
 * the identity); 0 when out of memory (then f is left as it was). */
int qp_kron_add(qp_kron *K, qp_factor *f, double complex coef, int herm);

/* y = K x on K->dim complex values (no overlap); work holds 2 * K->dim values. The order of the
 * sums is fixed, so the result never depends on threads. */
void qp_kron_apply(const qp_kron *K, const double complex *x, double complex *y,
                   double complex *work);

/* An upper bound on ||K||_1: |cst| + sum over terms of (1 + herm) prod_i ||f_i||_1. */
double qp_kron_norm_bound(const qp_kron *K);

/* A term list as a qp_linop for qp_eig_lowest_op: the buffers of its products (four complex
 * vectors) and the sum of its diagonal terms (one more: 80 bytes per state) live in the
 * context. The operator is taken as real when its product with a fixed pseudo-random real
 * vector has no imaginary part above 1e-14 of the result (the assembled matrix uses the same
 * test on its entries). Its products equal qp_kron_apply's up to the order of the sums. */
typedef struct {
    const qp_kron *K;
    double complex *x, *y, *work;
    double complex *diag; /* cst + the terms whose factors are all diagonal, per state */
    size_t *offd, noffd;  /* the other terms */
    int real_terms; /* every coefficient and factor real: real vectors take real arithmetic */
} qp_kron_op;

qp_status qp_kron_linop(const qp_kron *K, qp_kron_op *c, qp_linop *A);
void qp_kron_op_free(qp_kron_op *c);

#endif
