/* Eigenstates of a quantized circuit: matrix elements of charge, phase and cos/sin operators
 * between levels (.matrix) and wavefunctions on a grid of the mode variables (.wavefunction). */
#ifndef QPSIM_STATES_H
#define QPSIM_STATES_H

#include "qpsim/circuit.h"
#include "qpsim/eig.h"
#include "qpsim/quantize.h"

#include <stddef.h>

/* The lowest nlev eigenpairs on the product basis with cutoffs cut (all modes in one basis,
 * coupled or not). vec holds dim x nlev complex values, interleaved re/im, column k the state
 * of level k with unit norm and its largest component real and positive (qp_eig_lowest). */
typedef struct {
    size_t dim;
    int nlev;    /* min(asked, dim) */
    double *E;   /* nlev, GHz, ascending (owned) */
    double *vec; /* 2 dim nlev (owned) */
    qp_eig_method method; /* the eigensolver used */
} qp_states;

qp_status qp_states_compute(const qp_modes *m, const int *cut, int grid, int nlev, qp_states *out,
                            char *err, size_t errlen);
void qp_states_free(qp_states *s);

/* The operator op of circuit c written on the modes m as Hamiltonian-like terms (for
 * qp_ham_assemble_terms): n(NODE) = sum_i map[i][NODE] P_i (the charge conjugate to the node
 * phase, in 2e); phi(B) = the argument c.Phi + shift of the junction's cosine (rad); q(Q) = the
 * charge c.P + shift through a phase-slip junction (2e); cos/sin of either. QP_ERR_INPUT with a
 * message when the operator is not single-valued on these modes (the phase of a junction that
 * involves a charge-basis mode, the charge of a fluxoid-basis mode): ask for cos/sin then. */
qp_status qp_states_operator_terms(const qp_circuit *c, const qp_modes *m, const qp_operator *op,
                                   qp_modes **terms, char *err, size_t errlen);

/* An empty set of operator terms on the modes of m (same kinds; every coefficient 0, no cosine),
 * to fill and pass to qp_states_matrix_elements; free with qp_modes_free. NULL: out of memory. */
qp_modes *qp_states_terms_new(const qp_modes *m);

/* The unit of an operator's matrix elements: "2e" (charges), "rad" (phases), "1" (cos, sin). */
const char *qp_states_operator_unit(qp_op_kind k);

/* <i|O|j> for i, j < s->nlev into re, im (row-major nlev x nlev), O assembled from `terms` on
 * the basis of m with the cutoffs and grid flag that made s. */
qp_status qp_states_matrix_elements(const qp_modes *m, const int *cut, int grid,
                                    const qp_modes *terms, const qp_states *s, double *re,
                                    double *im, char *err, size_t errlen);

/* Wavefunctions of the levels of s on a grid of the variables of the one or two modes that are
 * not frozen: the phase (rad) of a charge-basis or extended mode, the charge q (2e) of a
 * fluxoid-basis mode. A mode whose flux is s times the phase of a single node is drawn in that
 * node's phase (node[v] > 0: x = Phi_mode / s); otherwise in the mode's own variable (see the
 * mode map of `qpsim check`). Normalized so that the integral of |psi|^2 over the variables
 * is 1. */
typedef struct {
    size_t nvar;      /* 1 or 2 */
    int mode[2];      /* mode index of each variable */
    char var[2];      /* 'p': phase [rad], 'q': charge [2e] */
    int node[2];      /* > 0: the variable is this node's phase; 0: the mode's own variable */
    double scale[2];  /* mode variable = scale x variable */
    size_t npts[2];
    double *x[2];     /* grid values (owned) */
    int nlev;
    double *re, *im;  /* nlev x npts[0] x npts[1] (last fastest) (owned) */
    double *norm;     /* per level: integral of |psi|^2 over the grid, trapezoidal rule; below
                       * 1 when the range misses part of the state (owned) */
} qp_wavefunctions;

/* points per variable (>= 2). QP_ERR_INPUT with a message when the circuit has no mode or more
 * than two modes that are not frozen, or the values would exceed QP_WAVE_MAX_VALUES
 * (qp_states_wave_check, which a caller may run before computing the states). */
qp_status qp_states_wave_check(const qp_modes *m, int nlev, int points, char *err,
                               size_t errlen);
qp_status qp_states_wave_compute(const qp_modes *m, const int *cut, int grid,
                                 const qp_states *s, int points, qp_wavefunctions *out,
                                 char *err, size_t errlen);
void qp_states_wave_free(qp_wavefunctions *w);

#endif
