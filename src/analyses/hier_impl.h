/* Internal: the state of a hierarchical solve shared by analyses/hier.c (the groups, their
 * coupling terms, the convergence loop) and analyses/hier_coupled.c (the kept product states and
 * the coupled problem on them). */
#ifndef QPSIM_ANALYSES_HIER_IMPL_H
#define QPSIM_ANALYSES_HIER_IMPL_H

#include "analyses/spectrum_impl.h"
#include "operators/kron.h"

#include <complex.h>
#include <stdint.h>

/* One group: its own Hamiltonian, cutoffs and lowest L states. */
typedef struct {
    qp_modes *sub;
    size_t *mode; /* its modes' indices in m (nm of them) */
    size_t nm;
    int *cut;          /* converged cutoffs of its modes */
    size_t D;          /* bare product dimension */
    size_t L;          /* states computed */
    double *e;         /* L energies, ascending */
    double complex *V; /* D x L, column-major */
    int steps;         /* solves spent converging its cutoffs */
    size_t cap;        /* dress_all: states that fit in the stiff junctions' well (else SIZE_MAX) */
    double vb;         /* dress_all: the well's depth above its bottom [GHz] (else INFINITY) */
} group_t;

/* A term that couples groups: coef * prod over its groups of a dressed L_g x L_g factor. */
typedef struct {
    double complex coef;
    int herm;
    size_t ng;
    size_t *g;          /* the groups it touches, ascending */
    double complex **F; /* F[k]: L x L column-major of group g[k] */
} cross_t;

typedef struct {
    const qp_modes *m;
    const qp_spectrum_opts *o;
    size_t ngroups;
    group_t *G;
    qp_kron K; /* every term of m on the groups' cutoffs, one slot per mode */
    cross_t *X;
    size_t nx;
    double cst; /* the constant and the terms that touch no mode */
    int dress_all; /* qp_hier_spectrum's dress_all */
    double complex *mf; /* dress_all: ncos x ngroups mean-field factors of the restricted cosines
                           (the other groups' ground-state averages of their parts; 1 at first) */
    double vslip;  /* dress_all: the lowest phase-slip barrier, 2 EJ of the weakest stiff junction
                      [GHz]; states above it would reach the translated wells (else INFINITY) */
    char *err;
    size_t errlen;
} hier;

/* Product states k[0..ngroups) with sum_g (e_g[k_g] - e_g[0]) <= ecut, and a hash of them. */
typedef struct {
    size_t ng, n;
    uint16_t *tup; /* n x ng */
    size_t *slot;  /* open addressing: state index + 1, 0 empty */
    size_t mask;
    size_t *kmax; /* per group: states below ecut */
} prodset;

/* The kept states below ecut; QP_ERR_NUMERIC (P->n > limit) when there are more than limit.
 * *P is set up here; release it with qp_hier_prodset_free. */
qp_status qp_hier_prodset_build(const hier *h, double ecut, size_t limit, prodset *P);
void qp_hier_prodset_free(prodset *P);
/* One coupled solve on the kept states P: the lowest levels into E (*nlev of them) and, when vec
 * is not NULL, their vectors on P (2 P->n *nlev doubles, qp_eig_lowest's layout). Messages go
 * to h->err. */
qp_status qp_hier_solve_at(hier *h, const prodset *P, double *E, int *nlev, double *vec,
                           qp_eig_info *info);

/* The modes whose bases the groups use (m with the cosines the groups were solved with; release
 * with qp_hier_basis_free) and every mode's cutoff into cut (m->n). */
qp_status qp_hier_basis(const hier *h, const int *group, qp_modes *basis, int *cut);
void qp_hier_basis_free(const hier *h, qp_modes *basis);

/* The terms of K (on the modes of h->m, the groups' cutoffs) carried into the groups' kept
 * states: *X (*nx of them, release with qp_hier_cross_free) and the constant *cst. Terms inside
 * one group are left out unless `all` (they are in the groups' own energies). */
qp_status qp_hier_dress_terms(const hier *h, const int *group, const qp_kron *K, int all,
                              cross_t **X, size_t *nx, double complex *cst);
void qp_hier_cross_free(cross_t *X, size_t nx);

/* <i|O|j> between the columns of V (P->n x L complex) for the dressed terms X (nx of them) and
 * constant cst of one operator: O assembled dense on the kept states as the Hamiltonian is
 * with every term dressed. re, im: L x L row-major. Messages go to h->err. */
qp_status qp_hier_operator_elements(const hier *h, const prodset *P, const cross_t *X, size_t nx,
                                    double cst, const double complex *V, size_t L, double *re,
                                    double *im);

/* opts.labels: the converged solve on P again with its vectors; each level's largest component
 * |<k_1 ... k_G|level>|^2 over the kept product states gives its label (the group states k_g)
 * and weight, into out->label and out->lab_weight (out->nlev levels). Messages go to h->err. */
qp_status qp_hier_labels(hier *h, const prodset *P, qp_spectrum *out);

#endif
