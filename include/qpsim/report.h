/* Writers: the elaborated circuit as a text table and as a JSON document (returned as strings). */
#ifndef QPSIM_REPORT_H
#define QPSIM_REPORT_H

#include "qpsim/circuit.h"

/* The circuit view of `qpsim check`: elements in SI and as energies, nodes, loops, offsets,
 * parameters and requested analyses. Returns a malloc'd string or NULL when out of memory. */
char *qp_report_circuit_text(const qp_circuit *c);

/* The whole JSON document of SPEC §5 for a circuit with no analysis results yet:
 * {"qpsim", "netlist", "circuit": {...}, "analyses": []}. Returns a malloc'd string or NULL. */
char *qp_report_json(const qp_circuit *c, const char *netlist_path);

/* Formats v with an engineering prefix and unit, e.g. "64.567 fF", into buf. */
void qp_report_si(char *buf, size_t len, double v, const char *unit);

/* Library version string. */
const char *qp_version(void);

#endif
