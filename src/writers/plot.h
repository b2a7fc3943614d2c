/* PNG plots of computed analyses for `qpsim run -o DIR` (part of the program, not the library). */
#ifndef QPSIM_PLOT_H
#define QPSIM_PLOT_H

#include "qpsim/run.h"

/* Writes DIR/analysisK_{sweep,bands,tran,tran_iv}.png for the analyses that have a picture.
 * 0 on success (also when qpsim was built without PLplot: nothing is drawn), -1 when a file could
 * not be written. */
int qp_plot_results(const char *dir, const qp_circuit *c, const qp_results *res);

#endif
