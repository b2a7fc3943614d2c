/* Spectrum of a quantized circuit with automatic basis truncation and a convergence report. */
#ifndef QPSIM_SPECTRUM_H
#define QPSIM_SPECTRUM_H

#include "qpsim/eig.h"
#include "qpsim/quantize.h"

typedef enum {
    QP_SPEC_AUTO,         /* hierarchical when the product basis would be large, else exact */
    QP_SPEC_EXACT,        /* the full product basis of every mode */
    QP_SPEC_HIERARCHICAL, /* groups solved alone, then coupled in their kept states */
    QP_SPEC_MPS,          /* a chain of charge modes as a matrix-product state (DMRG) */
    QP_SPEC_DISTRIBUTED   /* the exact product basis, matrix-free, its vectors split over the
                           * processes of opts.dist (PARPACK); one process without it */
} qp_spectrum_method;

/* "auto", "exact", "hierarchical", "mps", "distributed" */
const char *qp_spectrum_method_name(qp_spectrum_method m);

/* AUTO takes the matrix-product-state path for a circuit of at least this many charge modes
 * that branch coordinates turn into a chain (qp_align_branch), when the product basis at the
 * starting cutoffs would pass QP_SPEC_HIER_FROM states: there the hierarchical solve in extended
 * normal modes grows as C(N+2, 4) (docs/performance.md, "Junction arrays"). */
#define QP_SPEC_MPS_FROM 8

/* AUTO takes the hierarchical path when the circuit falls into two or more groups and the exact
 * product basis at the starting cutoffs would pass this many states. */
#define QP_SPEC_HIER_FROM 1000

/* The exact path solves matrix-free (Lanczos on the Kronecker terms, docs/physics.md) when the
 * assembled Hamiltonian would have more stored entries than this (about 1 GiB to assemble, and
 * a sparse factor several times that). */
#define QP_SPEC_MATFREE_FROM ((size_t)20000000)

/* Solves of at least this many states are announced through opts.status. */
#define QP_SPEC_STATUS_FROM 20000

struct qp_basis_cache;

typedef struct {
    int levels;         /* eigenvalues wanted (default 6) */
    double tol;         /* GHz: the wanted levels must change less than this when every cutoff
                           grows (default 1e-8) */
    int cut_charge;     /* > 0: fixed charge cutoff ncut (n in [-ncut, ncut]); 0: automatic */
    int cut_fluxoid;    /* > 0: fixed fluxoid cutoff mcut; 0: automatic */
    int cut_osc;        /* > 0: fixed number of oscillator states; 0: automatic */
    size_t max_dim;     /* automatic growth stops here (default 4e6) */
    size_t dim_cap;     /* > 0: no solve of more states than this, fixed cutoffs included
                           (QP_ERR_NUMERIC; a bounded run, qp_settings.cap_dim); 0 (default): none */
    int grid;           /* extended modes on a phase grid instead of oscillator states */
    qp_eig_cache *cache; /* symbolic analyses reused between calls (a sweep); NULL: none */
    struct qp_basis_cache *basis_cache; /* the exponentials of oscillator bases reused between
                           calls (a sweep: the same basis at another centre); NULL: none */
    qp_spectrum_method method;
    const int *groups;  /* hierarchical: group number (0, 1, ...) of every mode; NULL: default
                           grouping (modes joined by a junction share a group) */
    const int *start_cut; /* exact path: the starting cutoff of every automatic mode; growth and
                             the convergence check proceed from there; NULL: START_* */
    int start_fixed;      /* with start_cut: those are the cutoffs, fixed, not checked (a sweep
                             reusing the basis converged at its checkpoints) */
    size_t matfree_from;  /* exact path: solve matrix-free above this many stored entries
                             (0: QP_SPEC_MATFREE_FROM) */
    void (*status)(void *ctx, const char *line); /* a line before each solve of
                             QP_SPEC_STATUS_FROM states or more, "" at the end; or NULL */
    void *status_ctx;
    /* The processes that share an unswept exact solve (qpsim/dist.h; all of them call with the
     * same deck), or NULL: method=distributed, and any matrix-free solve too large for one
     * process, then run on all of them (docs/scale.md). */
    const struct qp_dist *dist;
    /* Matrix elements on the hierarchical path (.matrix): nops operators, the q-th written by
     * op_terms as terms on the modes the solve used (changed coordinates included; see
     * qp_states_operator_terms); their elements between the levels land in the result's
     * mre/mim. The exact path ignores them (the result's nops stays 0). */
    size_t nops;
    qp_status (*op_terms)(void *ctx, const qp_modes *m, size_t q, qp_modes **terms, char *err,
                          size_t errlen);
    void *op_ctx;
    /* The hierarchical path labels each level by the kept product state (one state per group)
     * it overlaps most, into the result's label and lab_weight; the exact path ignores it. */
    int labels;
} qp_spectrum_opts;

void qp_spectrum_opts_default(qp_spectrum_opts *o);

typedef struct {
    int nlev;
    double *E;        /* nlev eigenvalues, ascending, GHz (owned) */
    double delta;     /* max change of the wanted levels at the last growth step, GHz */
    int checked;      /* delta was measured (automatic cutoffs) */
    size_t dim;       /* basis size; for uncoupled groups of modes, the sum of the group sizes */
    size_t nmodes;
    int *cut;         /* cutoff per mode (owned) */
    int steps;        /* solves done */
    qp_eig_info info;
    /* The hierarchical path (hier set): the group of every mode, the states kept per group, and
     * the cutoff on summed excitation energies that chose the dim product states. */
    int hier;
    size_t ngroups;
    int *group;       /* nmodes (owned) */
    int *kept;        /* ngroups (owned) */
    double ecut;      /* GHz */
    int aligned;      /* QP_COORD_* bits: solved in changed coordinates (junction-aligned
                         oscillators, charge modes sheared off oscillators); cut and group
                         refer to those, not to the quantizer's modes */
    double slip;      /* QP_COORD_EXTENDED: the largest phase-slip band width neglected [GHz] */
    /* opts.nops > 0 on the hierarchical path: <i|O_q|j> for q < nops, i, j < nlev, row-major
     * per operator (nops x nlev x nlev), real and imaginary parts (owned) */
    size_t nops;
    double *mre, *mim;
    /* opts.labels on the hierarchical path: label[k ngroups + g] the state of group g (its own
     * eigenstates, lowest first) in the kept product state level k overlaps most, lab_weight[k]
     * that overlap |<product|k>|^2 (owned; NULL otherwise) */
    int *label;
    double *lab_weight;
    /* The matrix-product-state path (mps set; docs/physics.md): local states kept per site, the
     * largest bond dimension, sweep pairs of the last DMRG and its largest discarded weight. */
    int mps;
    int mps_kept;
    size_t mps_bond;
    int mps_sweeps;
    double mps_discarded;
} qp_spectrum;

#define QP_COORD_ALIGNED 1 /* oscillator modes changed so that each junction phase is one mode */
#define QP_COORD_SHEARED 2 /* charge modes sheared off strongly coupled oscillators */
#define QP_COORD_BRANCH 8 /* charge modes changed to junction (branch) phases, integer unimodular */
#define QP_COORD_EXTENDED 4 /* charge modes of junctions with negligible phase slips made extended,
                               in normal modes (docs/physics.md, "Extended coordinates") */

/* Lowest levels of the modes' Hamiltonian. Groups of modes that no term couples are solved
 * separately and their levels summed. With automatic cutoffs, grows every cutoff until the
 * wanted levels change by less than tol; QP_ERR_NUMERIC with a message in err when that needs
 * more than max_dim states or the eigensolver fails. */
qp_status qp_spectrum_compute(const qp_modes *m, const qp_spectrum_opts *o, qp_spectrum *out,
                              char *err, size_t errlen);
void qp_spectrum_clear(qp_spectrum *s);

#endif
