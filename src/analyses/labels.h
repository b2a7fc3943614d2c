/* Internal: bare-state labels of the levels of a circuit of several modes, and the dispersive
 * shifts, ZZ and per-mode anharmonicities read off the labelled levels (docs/physics.md,
 * "Labels of coupled levels"). */
#ifndef QPSIM_ANALYSES_LABELS_H
#define QPSIM_ANALYSES_LABELS_H

#include "qpsim/run.h"
#include "qpsim/states.h"

/* Fills the label members of out (nlab, lab_group, label, lab_weight, then qp_labels_derive's)
 * from the eigenstates S of the modes m, computed on the product basis with cutoffs cut and the
 * grid flag; out->nlev and out->levels (the spectrum's levels, S's within rounding) must
 * be set. The parts are the modes no junction joins (qp_hier_default_groups): each part's own
 * Hamiltonian is solved alone on the same per-mode bases, and each level is labelled by the
 * product of part eigenstates it overlaps most. Leaves nlab 0 (no labels) for fewer than two
 * parts. QP_ERR_NOMEM, or the eigensolver's failure with a message in err. */
qp_status qp_labels_compute(const qp_modes *m, const int *cut, int grid, const qp_states *S,
                            qp_spectrum_out *out, char *err, size_t errlen);

/* The numbers read off labelled levels: with out->nlab, lab_group, label, lab_weight, nlev and
 * levels set, fills lab_anh (a junction acts on the part), lab_anharm and lab_chi as documented
 * in qp_spectrum_out. QP_ERR_NOMEM. */
qp_status qp_labels_derive(const qp_modes *m, qp_spectrum_out *out);

#endif
