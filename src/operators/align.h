/* Junction-aligned coordinates for extended modes: a basis choice that learns from the circuit. */
#ifndef QPSIM_OPERATORS_ALIGN_H
#define QPSIM_OPERATORS_ALIGN_H

#include "qpsim/quantize.h"

/* When some cosine acts on two or more oscillator modes (normal modes mix the junction phases,
 * as for two rf SQUIDs coupled by a mutual inductance), *out receives the same Hamiltonian in
 * new oscillator coordinates Phi' = T Phi, P' = T^-T P whose first rows are independent junction
 * phases (completed by old coordinates): each such cosine then acts on one mode, the couplings
 * move into the quadratic forms, and the product basis stays sparse. The dual, when no junction
 * but a phase-slip cosine mixes oscillator modes: P' = R P with the phase-slip rows. Charge and
 * fluxoid modes are left alone. *out is NULL (and QP_OK) when nothing needs aligning or T would be
 * singular; free it with qp_modes_free. QP_ERR_NOMEM. */
qp_status qp_align_junctions(const qp_modes *m, qp_modes **out);

/* When a charge mode's kinetic term couples it to an oscillator by more than half of their own
 * terms (|Ac_cx| > 0.5 sqrt(Ac_cc Ac_xx), the 0-pi qubit's theta and phi), *out receives the same
 * Hamiltonian with the charge modes sheared off the oscillators: P_x' = P_x + S P_c with
 * S = Ac_xx^-1 Ac_xc, Phi_c' = Phi_c - S^T Phi_x. The kinetic term becomes block diagonal (the
 * charge block is the Schur complement), the charge lattice is kept (Phi_c' is as periodic as
 * Phi_c), and the coupling moves into the cosines, which gain real coefficients S c_c on the
 * oscillators. Fluxoid modes coupled through Lm get the dual shear. *out is NULL (and QP_OK) when
 * nothing is coupled that strongly; free it with qp_modes_free. QP_ERR_NOMEM. */
qp_status qp_align_shear(const qp_modes *m, qp_modes **out);

/* Extended coordinates for arrays of junctions whose phase slips are negligible (a fluxonium's
 * superinductance, docs/physics.md "Extended coordinates"): when every lattice translation of the
 * charge modes slips at least one junction whose slip band width (transmon charge dispersion of
 * that junction with its own charging energy) is below 1 % of tol, *out receives the circuit with
 * every charge mode extended (offset charges then have no effect), centred where those junctions
 * sit at the bottom of their wells, in normal-mode coordinates of the kinetic term and the stiff
 * junctions' curvature (softest mode first). *slip receives the largest neglected band width
 * [GHz]. *out is NULL when this does not apply. QP_ERR_NOMEM. */
qp_status qp_align_extend(const qp_modes *m, double tol, qp_modes **out, double *slip);
/* Branch coordinates for a circuit of charge modes only (a junction chain): *out receives the
 * same Hamiltonian in coordinates Phi' = T Phi whose rows are junction phases, the stiffest
 * junctions first, when those rows form an integer unimodular T (the charges P' = T^-T P then
 * stay integers, so the charge basis and offset charges keep their meaning). Each chosen
 * junction's cosine then acts on one mode; the others become products over modes. *out is NULL
 * (and QP_OK) when a mode is not a charge mode or no such T exists; free it with qp_modes_free.
 * QP_ERR_NOMEM. */
qp_status qp_align_branch(const qp_modes *m, qp_modes **out);
#endif
