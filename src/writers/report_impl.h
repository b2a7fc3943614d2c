/* Internal: helpers shared by the text, JSON and CSV writers. */
#ifndef QPSIM_WRITERS_REPORT_IMPL_H
#define QPSIM_WRITERS_REPORT_IMPL_H

#include "qpsim/report.h"
#include "base/strbuf.h"

/* The column name of wavefunction variable v into buf: "phi(NODE)_rad" for a node's phase,
 * else "phi_m1_rad" or "q_m1_2e" for a mode's variable (CSV header and JSON keys). */
void qp_report_wave_var_name(char *buf, size_t len, const qp_circuit *c, const qp_wavefunctions *w,
                             size_t v);

/* The name of label part a of spectrum s into buf: its modes joined by '+', "m1" or "m1+m3"
 * (text and JSON). */
void qp_report_part_name(char *buf, size_t len, const qp_spectrum_out *s, size_t a);

#endif
