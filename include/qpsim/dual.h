/* Charge-flux duality: the dual netlist of a planar circuit (docs/duality.md). */
#ifndef QPSIM_DUAL_H
#define QPSIM_DUAL_H

#include "qpsim/circuit.h"

/* Writes the dual of c in the netlist language: nodes <-> meshes, C <-> L with L* = R_Q^2 C,
 * B <-> Q with ES = EJ, R <-> R* = R_Q^2/R, V <-> I (I* = V/R_Q), .ng <-> .flux, each dual element
 * traced to its original in a comment. `source` names the deck in the header. Non-planar
 * circuits, mutual inductances and bridges (branches no loop passes through) are errors in d.
 * On QP_OK *out is a malloc'd string. */
qp_status qp_dual_netlist(const qp_circuit *c, const char *source, char **out, qp_diag *d);

#endif
