/* Circuit quantization by the tree/chord method (node flux, loop charge and mixed JJ+QPS alike):
 * turns an elaborated circuit into modes with quadratic forms and cosine terms. */
#ifndef QPSIM_QUANTIZE_H
#define QPSIM_QUANTIZE_H

#include "qpsim/circuit.h"

typedef enum {
    QP_MODE_FROZEN,  /* compact flux and compact charge at once: one state, drops out */
    QP_MODE_CHARGE,  /* periodic flux: charge basis n in [-ncut, ncut] */
    QP_MODE_FLUXOID, /* periodic charge: fluxoid basis m in [-mcut, mcut] */
    QP_MODE_OSC      /* extended: harmonic-oscillator basis */
} qp_mode_kind;

/* -E cos(c . Phi + shift) for a junction (is_qps = 0), or -E cos(2 pi (c . P + shift)) for a
 * phase-slip element (is_qps = 1). Coefficients are integers on charge/fluxoid modes. */
typedef struct {
    int is_qps;
    double E;      /* GHz */
    double *c;     /* one coefficient per mode (owned) */
    double shift;
    int elem;      /* circuit element index */
    int stiff;     /* extended coordinates (qp_align_extend): a junction whose phase slips are
                      neglected; its well bounds the states kept */
} qp_cos_term;

/* The branch variable of an inductor (its phase c.Phi + const, rad) or of a capacitor or a
 * junction's capacitance (its charge c.P + const, units of 2e) on the modes, for the noise
 * channels of .coherence; only branches the modes determine linearly (none in an eliminated
 * direction). */
typedef struct {
    int elem;   /* circuit element index */
    int charge; /* 0: a phase row (inductor), 1: a charge row (capacitance) */
    double *c;  /* one coefficient per mode (owned) */
} qp_branch_row;

/* H = const + (1/2) Phi^T Lm Phi + lphi . Phi + P^T Ac P + lp . P + sum of cosine terms,
 * with [Phi_i, P_j] = i delta_ij (Phi in radians, P in units of 2e). Energies in GHz. */
typedef struct qp_modes {
    size_t n;
    qp_mode_kind *kind;
    double *Lm, *lphi, *Ac, *lp; /* n x n row-major, n, n x n, n */
    double cst;
    qp_cos_term *cos;
    size_t ncos;
    size_t nnodes;  /* circuit nodes including ground */
    double *map;    /* n x nnodes: mode i's flux = sum_k map[i][k] phi_k (column 0 unused) */
    size_t eliminated_loops, eliminated_cuts; /* capacitor-only loops, capacitance-free cut sets */
    qp_branch_row *branch; /* the rows of inductors and capacitances (owned) */
    size_t nbranch;
} qp_modes;

/* Quantizes the C, L, K, B and Q elements of c (resistors are ignored; sources are refused).
 * Errors (singular circuits, non-independent flux loops, ...) go to d with their places. */
qp_status qp_quantize(const qp_circuit *c, qp_modes **out, qp_diag *d);
void qp_modes_free(qp_modes *m);
/* Sets to zero what is rounding from the mode transforms: off-diagonal Lm/Ac entries below 1e-12
 * of sqrt(|X_ii X_jj|), and oscillator coefficients of a cosine whose share of its argument
 * (coefficient times the mode's zero-point spread) is below 1e-12 of the largest. qp_quantize
 * and every change of coordinates call it, so tests "is this zero" mean "is there a coupling". */
void qp_modes_clean(qp_modes *m);
const char *qp_mode_kind_name(qp_mode_kind k); /* "charge", "fluxoid", "oscillator", "frozen" */

#endif
