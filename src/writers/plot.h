/* PNG plots of computed analyses for `qpsim run -o DIR` (part of the program, not the library). */
#ifndef QPSIM_PLOT_H
#define QPSIM_PLOT_H

#include "qpsim/run.h"
#include "writers/outfile.h"

/* Adds analysisK_{spectrum,sweep,bands,tran,...}.png to the output set for the analyses that have
 * a picture. 0 on success (also when qpsim was built without PLplot: nothing is drawn), -1 when a
 * file could not be written (the reason in qp_outdir_error) or memory ran out. */
int qp_plot_results(qp_outdir *out, const qp_circuit *c, const qp_results *res);

#endif
