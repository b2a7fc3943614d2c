/* Internal: what the exact spectrum (spectrum.c) and the hierarchical one (hier.c) share. */
#ifndef QPSIM_ANALYSES_SPECTRUM_IMPL_H
#define QPSIM_ANALYSES_SPECTRUM_IMPL_H

#include "qpsim/spectrum.h"

/* The modes i with group[i] == g as a circuit of their own (their indices into idx[], which has
 * room for m->n): their quadratic and linear terms, and the cosine terms that touch them and no
 * other group. With `with_free` also the constant and the cosine terms that touch no mode. NULL
 * when out of memory; free with qp_modes_free. */
qp_modes *qp_spectrum_sub_modes(const qp_modes *m, const int *group, int g, int with_free,
                                size_t *idx);

/* The exact spectrum of m on its full product basis (the convergence loop of spectrum.c),
 * whatever o->method says. */
qp_status qp_spectrum_exact(const qp_modes *m, const qp_spectrum_opts *o, qp_spectrum *out,
                            char *err, size_t errlen);

/* The largest exact product basis, at the starting cutoffs, of a group of modes that some term
 * couples (SIZE_MAX when out of memory). */
size_t qp_spectrum_largest_start(const qp_modes *m, const qp_spectrum_opts *o);

/* Lowest levels by hierarchical diagonalization (docs/physics.md): group[i] in [0, ngroups) for
 * every mode. Each group is solved alone at converged cutoffs, its lowest states are kept, and
 * the coupling terms are solved on the product of kept states whose summed excitation energies
 * lie below a cutoff, which grows until the levels change by less than o->tol. With dress_all
 * (extended coordinates, where every cosine spans the groups) each group is solved with the
 * cosines restricted to it (the other groups at their centres) and every term, the group's own
 * included, is carried into the kept states. */
qp_status qp_hier_spectrum(const qp_modes *m, const qp_spectrum_opts *o, const int *group,
                           size_t ngroups, int dress_all, qp_spectrum *out, char *err,
                           size_t errlen);

/* The default grouping: modes joined by a cosine term share a group (a junction that couples
 * two modes strongly), others stand alone. Returns the number of groups; group[i] receives
 * numbers in order of first appearance. */
size_t qp_hier_default_groups(const qp_modes *m, int *group);

/* Lowest levels as a matrix-product state (spectrum_mps.c, docs/physics.md): the modes in branch
 * coordinates (qp_align_branch), each site in its lowest local states, DMRG with the kept
 * states and the bond dimension grown until the levels change by less than o->tol.
 * QP_ERR_USAGE when the circuit is not one of charge modes that branch coordinates fit;
 * QP_ERR_NUMERIC (message in err) when a step would pass the memory estimate or DMRG fails. */
qp_status qp_mps_spectrum(const qp_modes *m, const qp_spectrum_opts *o, qp_spectrum *out,
                          char *err, size_t errlen);

/* Whether AUTO takes the MPS path on m: at least QP_SPEC_MPS_FROM modes, all charge modes,
 * branch coordinates exist. */
int qp_mps_applies(const qp_modes *m);

#endif
