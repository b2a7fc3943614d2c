/* Coherence times of one transition from the circuit's own operators (.coherence): T1 from
 * dielectric, inductive, quasiparticle and resistor losses, Tphi from 1/f noise of fluxes,
 * offset charges, critical currents and phase-slip energies. Conventions follow scqubits 4.3
 * (docs/physics.md, "Coherence"). */
#ifndef QPSIM_COHERENCE_H
#define QPSIM_COHERENCE_H

#include "qpsim/circuit.h"
#include "qpsim/quantize.h"
#include "qpsim/states.h"

typedef struct {
    double f;                 /* E_from - E_to [GHz] */
    double temp;              /* [K] */
    unsigned present;         /* 1 << qp_channel of the channels computed (asked and present) */
    double rate[QP_CH_COUNT]; /* [1/s]; 0 for a channel absent or without effect */
    double t1, t2;            /* [s]; INFINITY when the summed rates are 0 */
    int failed;               /* the channel named in channels= that made it fail, or -1 */
} qp_coherence;

/* The times of the transition p->from -> p->to of circuit c, whose modes m (quantized from c)
 * carry the states S (at least max(from, to) + 1 levels) on the basis cut/grid. Flux and offset
 * derivatives come from c quantized at shifted values. `note` receives why a channel that was
 * asked is left out (an operator that is not single-valued on these modes, a branch the mode
 * map does not resolve), or "". Errors: QP_ERR_INPUT (a channel named in p->channels that does
 * not apply or that cannot be computed, whole, on these modes: out->failed names it; channels
 * not named that cannot be computed are only left out, with `note`), QP_ERR_NUMERIC,
 * QP_ERR_NOMEM, with a message in err; quantization messages go to d. */
qp_status qp_coherence_compute(const qp_circuit *c, const qp_modes *m, const int *cut, int grid,
                               const qp_states *S, const qp_coh_params *p, qp_coherence *out,
                               char *note, size_t notelen, char *err, size_t errlen, qp_diag *d);

#endif
