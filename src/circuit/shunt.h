/* What shunts a two-terminal element (internal header): the capacitors and inductors connected
 * between the same two nodes, the rule the Bloch bands and the transient's Bloch-band model use
 * for a junction's charging energy (and the bands for a phase-slip junction's loop). */
#ifndef QPSIM_CIRCUIT_SHUNT_H
#define QPSIM_CIRCUIT_SHUNT_H

#include "qpsim/circuit.h"

#include <stddef.h>

/* 1 when elements a and b connect the same two nodes, in either orientation (not for K). */
int qp_shunt_parallel(const qp_element *a, const qp_element *b);

/* The capacitance [F] across element k of c: its own capacitance when it is a junction (c=),
 * plus the value of every capacitor between the same two nodes, summed in element order (the
 * order fixes the rounding). 0 when there is none. */
double qp_shunt_capacitance(const qp_circuit *c, size_t k);

/* The inverse inductance [1/H] across element k of c: the sum of 1/L over every inductor between
 * the same two nodes, in element order (mutual inductances ignored). 0 when there is none. */
double qp_shunt_inverse_inductance(const qp_circuit *c, size_t k);

#endif
