/* The circuit object: freeing it, names of kinds, element energies and source files. */
#include "qpsim/circuit.h"
#include "qpsim/units.h"

#include <stdlib.h>

void qp_analysis_free_ops(qp_analysis *an)
{
    for (size_t i = 0; i < an->nops; i++) {
        free(an->ops[i].name);
    }
    free(an->ops);
    an->ops = NULL;
    an->nops = 0;
}

void qp_circuit_free(qp_circuit *c)
{
    if (!c) {
        return;
    }
    for (size_t i = 0; i < c->nfiles; i++) {
        free(c->files[i]);
    }
    free(c->files);
    free(c->title);
    for (size_t i = 0; i < c->nnodes; i++) {
        free(c->node_names[i]);
    }
    free(c->node_names);
    for (size_t i = 0; i < c->nelem; i++) {
        free(c->elem[i].name);
        free(c->elem[i].model);
        free(c->elem[i].wave.p);
    }
    free(c->elem);
    for (size_t i = 0; i < c->nprints; i++) {
        free(c->prints[i]);
        free(c->print_from ? c->print_from[i].src : NULL);
    }
    free(c->prints);
    free(c->print_from);
    for (size_t i = 0; i < c->nloops; i++) {
        free(c->loops[i].branch);
        free(c->loops[i].sign);
    }
    free(c->loops);
    free(c->offsets);
    for (size_t i = 0; i < c->nanalyses; i++) {
        free(c->analyses[i].param);
        free(c->analyses[i].values);
        qp_analysis_free_ops(&c->analyses[i]);
    }
    free(c->analyses);
    for (size_t i = 0; i < c->nparams; i++) {
        free(c->params[i].name);
    }
    free(c->params);
    free(c);
}

const char *qp_analysis_directive(qp_analysis_kind k)
{
    static const char *const n[] = {".spectrum", ".sweep",        ".bands",    ".tran",
                                    ".matrix",   ".wavefunction", ".coherence"};
    return (unsigned)k < sizeof n / sizeof *n ? n[k] : "?";
}

const char *qp_channel_name(qp_channel ch)
{
    static const char *const n[QP_CH_COUNT] = {
        "t1_capacitive",      "t1_inductive",     "t1_quasiparticle_tunneling", "t1_resistor",
        "tphi_1_over_f_flux", "tphi_1_over_f_ng", "tphi_1_over_f_cc",           "tphi_1_over_f_es"};
    return (unsigned)ch < QP_CH_COUNT ? n[ch] : "?";
}

const char *qp_elem_kind_name(qp_elem_kind k)
{
    static const char *const names[] = {"capacitor", "inductor", "Josephson junction",
                                        "phase-slip junction", "mutual inductance", "resistor",
                                        "current source", "voltage source",
                                        "voltage-controlled voltage source",
                                        "voltage-controlled current source",
                                        "current-controlled current source",
                                        "current-controlled voltage source",
                                        "transmission line"};
    return names[k];
}

double qp_element_ec(const qp_element *e)
{
    if (e->kind == QP_EL_C) {
        return qp_units_ec_from_c(e->value);
    }
    if (e->kind == QP_EL_B && e->cap > 0.0) {
        return qp_units_ec_from_c(e->cap);
    }
    return 0.0;
}

double qp_element_el(const qp_element *e)
{
    return e->kind == QP_EL_L ? qp_units_el_from_l(e->value) : 0.0;
}

double qp_element_ej(const qp_element *e)
{
    return e->kind == QP_EL_B ? qp_units_ej_from_ic(e->ic) : 0.0;
}

double qp_element_es(const qp_element *e)
{
    return e->kind == QP_EL_Q ? qp_units_es_from_vc(e->vc) : 0.0;
}

const char *qp_circuit_file(const qp_circuit *c, qp_loc loc)
{
    return loc.file >= 0 && (size_t)loc.file < c->nfiles ? c->files[loc.file] : NULL;
}
