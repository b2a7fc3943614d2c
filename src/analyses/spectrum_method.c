/* .spectrum's method: the exact product basis, the hierarchical one or a matrix-product state
 * (docs/physics.md). */
#include "analyses/spectrum_impl.h"
#include "operators/align.h"

#include <stdlib.h>

/* The hierarchical solve in extended coordinates (qp_align_extend): one group per normal mode,
 * each solved in the others' centre, every term carried into the kept states. Frees ext. */
static qp_status extended(qp_modes *ext, double slip, const qp_spectrum_opts *o, qp_spectrum *out,
                          char *err, size_t errlen)
{
    int *group = malloc(ext->n * sizeof *group);
    qp_status st = group ? QP_OK : QP_ERR_NOMEM;
    for (size_t i = 0; group && i < ext->n; i++) {
        group[i] = (int)i;
    }
    if (st == QP_OK) {
        st = qp_hier_spectrum(ext, o, group, ext->n, 1, out, err, errlen);
    }
    if (st == QP_OK) {
        out->aligned = QP_COORD_EXTENDED;
        out->slip = slip;
    }
    free(group);
    qp_modes_free(ext);
    return st;
}

static qp_status compute(const qp_modes *m, const qp_spectrum_opts *o, qp_spectrum *out, char *err,
                         size_t errlen)
{
    if (o->method == QP_SPEC_MPS) {
        return qp_mps_spectrum(m, o, out, err, errlen);
    }
    if (o->method == QP_SPEC_EXACT || o->method == QP_SPEC_DISTRIBUTED || o->start_cut ||
        m->n < 2) {
        return qp_spectrum_exact(m, o, out, err, errlen);
    }
    /* A long chain of charge modes (a junction-array inductor of many junctions): the
     * hierarchical solve would grow as C(N+2, 4) kept states; a matrix-product state follows
     * the chain. Fewer modes keep their paths (and numbers). */
    if (!o->groups && qp_spectrum_largest_start(m, o) > QP_SPEC_HIER_FROM &&
        qp_mps_applies(m)) {
        return qp_mps_spectrum(m, o, out, err, errlen);
    }
    /* A large charge basis of junctions whose phase slips are negligible (an array inductor):
     * extended normal modes, each its own group, every term dressed (not with groups=). */
    qp_modes *aligned = NULL, *sheared = NULL, *ext = NULL;
    double slip = 0.0;
    if (!o->groups && qp_spectrum_largest_start(m, o) > QP_SPEC_HIER_FROM &&
        qp_align_extend(m, o->tol, &ext, &slip) != QP_OK) {
        return QP_ERR_NOMEM;
    }
    if (ext) {
        return extended(ext, slip, o, out, err, errlen);
    }
    /* Junction-aligned oscillator coordinates when normal modes mix the junction phases (not
     * with groups=, which name the modes as the quantizer made them). */
    if (!o->groups && qp_align_junctions(m, &aligned) != QP_OK) {
        return QP_ERR_NOMEM;
    }
    if (aligned) {
        m = aligned;
    }
    /* Charge modes sheared off oscillators they are strongly coupled to (0-pi's theta, phi). */
    if (!o->groups && qp_align_shear(m, &sheared) != QP_OK) {
        qp_modes_free(aligned);
        return QP_ERR_NOMEM;
    }
    if (sheared) {
        m = sheared;
    }
    int *group = calloc(m->n, sizeof *group);
    if (!group) {
        qp_modes_free(aligned), qp_modes_free(sheared);
        return QP_ERR_NOMEM;
    }
    size_t ng = 0;
    if (o->groups) {
        for (size_t i = 0; i < m->n; i++) {
            group[i] = o->groups[i];
            ng = (size_t)group[i] + 1 > ng ? (size_t)group[i] + 1 : ng;
        }
    } else {
        ng = qp_hier_default_groups(m, group);
    }
    /* AUTO: hierarchical when there are two or more groups and a group of coupled modes would
     * pass QP_SPEC_HIER_FROM states in the exact product basis at the starting cutoffs. */
    qp_status st;
    if (o->method == QP_SPEC_HIERARCHICAL ||
        (ng >= 2 && qp_spectrum_largest_start(m, o) > QP_SPEC_HIER_FROM)) {
        st = qp_hier_spectrum(m, o, group, ng, 0, out, err, errlen);
    } else {
        st = qp_spectrum_exact(m, o, out, err, errlen);
    }
    free(group);
    if (st == QP_OK) {
        out->aligned = (aligned ? QP_COORD_ALIGNED : 0) | (sheared ? QP_COORD_SHEARED : 0);
    }
    qp_modes_free(aligned), qp_modes_free(sheared);
    return st;
}

qp_status qp_spectrum_compute(const qp_modes *m, const qp_spectrum_opts *o, qp_spectrum *out,
                              char *err, size_t errlen)
{
    qp_status st = compute(m, o, out, err, errlen);
    if (o->status) { /* the status sequence ends with the spectrum */
        o->status(o->status_ctx, "");
    }
    return st;
}
