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

#endif
