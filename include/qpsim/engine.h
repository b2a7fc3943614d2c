/* Every header of the engine at once (the command line, the tests); a program using the library
 * includes qpsim/qpsim.h, the C API, instead. */
#ifndef QPSIM_ENGINE_H
#define QPSIM_ENGINE_H

#include "qpsim/circuit.h"
#include "qpsim/coherence.h"
#include "qpsim/context.h"
#include "qpsim/diag.h"
#include "qpsim/dual.h"
#include "qpsim/lexer.h"
#include "qpsim/netlist.h"
#include "qpsim/quantize.h"
#include "qpsim/report.h"
#include "qpsim/run.h"
#include "qpsim/spectrum.h"
#include "qpsim/units.h"

#endif
