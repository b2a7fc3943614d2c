/* Writers: the elaborated circuit as a text table and as a JSON document (returned as strings). */
#ifndef QPSIM_REPORT_H
#define QPSIM_REPORT_H

#include "qpsim/circuit.h"
#include "qpsim/quantize.h"
#include "qpsim/run.h"

/* The circuit view of `qpsim check`: elements in SI and as energies, nodes, loops, offsets,
 * parameters and requested analyses. Returns a malloc'd string or NULL when out of memory. */
char *qp_report_circuit_text(const qp_circuit *c);

/* The modes of a quantized circuit, one line each: kind, basis, cutoff (cut may be NULL) and the
 * combination of node phases the mode's flux is. Returns a malloc'd string or NULL. */
char *qp_report_modes_text(const qp_circuit *c, const qp_modes *m, const int *cut);

/* What `qpsim check` shows: the circuit view, then the modes of m (quantized from c), or, when m
 * is NULL and `why` is given, "modes: none (why)". Returns a malloc'd string or NULL. */
char *qp_report_check_text(const qp_circuit *c, const qp_modes *m, const char *why);

/* Tables of computed analyses (levels, transitions, f01, anharmonicity, convergence, sweeps). */
char *qp_report_results_text(const qp_circuit *c, const qp_results *res);

/* The whole JSON document of `qpsim run --json`: {"qpsim", "netlist", "circuit": {...},
 * "analyses": [...]} (docs/netlist.md). m and res may be NULL (no modes, no results). Returns a
 * malloc'd string or NULL. */
char *qp_report_json(const qp_circuit *c, const char *netlist_path, const qp_modes *m,
                     const qp_results *res);

/* The "circuit" member of that document alone (what `qpsim check --json` shows under it when m
 * comes from qp_quantize and res is NULL). Returns a malloc'd string or NULL. */
char *qp_report_json_circuit(const qp_circuit *c, const qp_modes *m, const qp_results *res);

/* One computed analysis as CSV with a header line: a spectrum as "level,E_GHz,E_minus_E0_GHz",
 * a swept spectrum as "PARAM,E0_GHz,E1_GHz,...", bands as "q,E0_GHz,...", a transient as
 * "time,V(1),..." (its traces, time in s), a swept transient as its I-V table. NULL for analyses not
 * computed. */
char *qp_report_csv(const qp_circuit *c, const qp_result *r);

/* A transient's spectra as CSV "f_Hz,power_Is(B1),...": the spectra the analysis computed
 * (qp_tran_spectra: each junction's traced signal over the second half, mean removed, Hann
 * window, the units of qp_tran_spectrum). NULL when there is none (swept or no junction signal
 * kept by .print). Writers only format: no writer calls numerical code. */
char *qp_report_fft_csv(const qp_circuit *c, const qp_result *r);

/* Formats v with an engineering prefix and unit, e.g. "64.567 fF", into buf. */
void qp_report_si(char *buf, size_t len, double v, const char *unit);

/* Library version string. */
const char *qp_version(void);

#endif
