/* Running the analyses of a deck (spectra, bands, transients, states; single or swept) and their
 * results, one per analysis. */
#ifndef QPSIM_RUN_H
#define QPSIM_RUN_H

#include "qpsim/bands.h"
#include "qpsim/coherence.h"
#include "qpsim/context.h"
#include "qpsim/states.h"
#include "qpsim/circuit.h"
#include "qpsim/quantize.h"
#include "qpsim/spectrum.h"
#include "qpsim/tran.h"

/* The spectra shown for an unswept transient (the FFT CSV and the picture under -o), computed once
 * by the analysis so that writers only write: for each junction whose signal (Is of a junction,
 * V of a phase-slip junction) the traces kept, in the order of the frequency reports, its trace
 * column and its one-sided power spectrum over the second half (qp_tran_spectrum). */
typedef struct {
    size_t n;
    size_t *col;        /* trace column of each spectrum (owned) */
    double **power;     /* n arrays of nb bins, bin k at k df (owned) */
    size_t nb;
    double df;          /* [Hz] */
} qp_tran_spectra;

/* .spectrum, .matrix and .wavefunction: levels, single or swept, and the states. */
typedef struct {
    int nlev;
    double *levels;     /* npoints x nlev, GHz (owned) */
    double *delta;      /* per point: last change when cutoffs grew, GHz (owned) */
    int checked;        /* convergence was measured (automatic cutoffs) */
    double tol;
    size_t *dim;        /* per point (owned) */
    size_t nmodes;
    int *cut;           /* cutoffs of the last point (owned) */
    qp_eig_method method;
    /* hierarchical (hier set; of the last point): group of each mode (nmodes), states kept per
     * group (ngroups), the cutoff on summed excitation energies [GHz]; dim is then the number of
     * kept product states */
    int hier;
    size_t ngroups;
    /* 1-D swept exact spectra: the cutoffs of every point but the first, middle and last, which
     * converge theirs: the largest of those three, mode by mode (those points' delta is NaN: not
     * measured there); NULL when every point converges its own (hierarchical, aligned, 2-D, fewer
     * than three points) (owned) */
    int *sweep_cut;
    int aligned;        /* QP_COORD_* bits: cut and group refer to changed coordinates
                           (docs/physics.md, "Basis choice") */
    double slip;        /* QP_COORD_EXTENDED: the largest phase-slip band width neglected [GHz] */
    int *group, *kept;  /* (owned) */
    double ecut;
    /* matrix-product state (mps set; of the last point): local states kept per site, the bond
     * dimension, DMRG sweep pairs, the largest discarded weight */
    int mps, mps_kept, mps_sweeps;
    /* the spectrum was solved by PARPACK over this many processes (of the last point); else 0 */
    int processes;
    size_t mps_bond;
    double mps_discarded;
    /* unswept spectra: charge dispersion per island with a .ng offset, eps_m = E_m(ng = 1/2) -
     * E_m(ng = 0) on that island, then flux dispersion per .flux loop, eps_m = E_m(f = 1/2) -
     * E_m(f = 0), everything else as given */
    size_t ndisp;
    int *disp_node;     /* node index of the island (> 0), or -(loop number) (owned) */
    double *disp;       /* ndisp x nlev, GHz (owned) */
    /* matrix / wavefunction: the levels of the states in levels (npoints = 1), cut and dim as
     * for a spectrum; matrix elements <i|O_k|j> of operator k at (k nlev + i) nlev + j */
    size_t nops;
    double *mre, *mim;  /* (owned) */
    qp_wavefunctions wave; /* (owned) */
    /* unswept exact spectra of two or more parts, the parts being the modes no junction joins
     * (docs/physics.md, "Labels of coupled levels"): lab_group[i] the part of mode i (nmodes);
     * lab_anh[a]: a junction or phase slip acts on part a (qubit-like); label[k nlab + a] the
     * state of part a in the product of part eigenstates level k overlaps most, lab_weight[k]
     * that overlap |<bare|k>|^2; lab_anharm[a] = E(2a) - 2 E(1a) + E(0) for a qubit-like part of
     * one mode, lab_chi[a nlab + b] = E(1a1b) - E(1a) - E(1b) + E(0) for a < b; NaN where a
     * level is not among the nlev or its label weighs less than QP_LABEL_MIN_WEIGHT. nlab 0: no
     * labels (owned) */
    size_t nlab;
    int *lab_group, *lab_anh, *label;
    double *lab_weight, *lab_anharm, *lab_chi;
} qp_spectrum_out;

/* A level counts as bare state X in the derived numbers (anharmonicity, chi, ZZ) only when its
 * overlap with X is above one half: then no other level can carry the same label. */
#define QP_LABEL_MIN_WEIGHT 0.5
/* Labels need the eigenvectors, one more solve on the exact basis: not above this many states. */
#define QP_LABEL_MAX_DIM 200000

/* .bands: element index; for a QPS the variable is the loop flux f and the slope is a current. */
typedef struct {
    int element;
    int dual;           /* the element is a phase-slip junction */
    qp_bands table;     /* (owned) */
    double slope_si;    /* max dE0/dQ [V] (junction: V_B) or max dE0/dPhi [A] (QPS) */
} qp_bands_out;

/* .tran: the nominal run with its traces and spectra; swept: per point the frequency reports
 * (npoints x nfreq in iv, traces not kept). */
typedef struct {
    qp_tran_result run;
    size_t nfreq;
    qp_tran_freq *iv;   /* (owned) */
    qp_tran_spectra spectra; /* (owned) */
} qp_tran_out;

/* .coherence: per point the temperature, the transition frequency, the rate of every channel
 * and the totals; present: 1 << qp_channel of the channels computed (at every point). */
typedef struct {
    int from, to;
    double *temp;       /* npoints, K (a sweep may change .temp or temp=) (owned) */
    unsigned present;
    double *f;          /* npoints, GHz (owned) */
    double *rate;       /* npoints x QP_CH_COUNT, 1/s, 0 = no effect (owned) */
    double *t1, *t2;    /* npoints, s, INFINITY when the rates are 0 (owned) */
} qp_coherence_out;

/* One computed analysis: its kind, where it came from, the sweep axes, and the variant of its
 * kind: spec for QP_AN_SPECTRUM, QP_AN_MATRIX and QP_AN_WAVE, band for QP_AN_BANDS, tran for
 * QP_AN_TRAN; the other variants stay zero. */
typedef struct {
    qp_analysis_kind kind;
    int computed;       /* 0 for analyses this version does not compute yet */
    qp_loc loc;
    size_t analysis;    /* its directive: c->analyses[analysis] of the nominal circuit */
    char *param;        /* swept parameter, or NULL (owned) */
    size_t npoints;     /* 1 without a sweep */
    double *values;     /* sweep values (owned); per point */
    char *param2;       /* 2-D sweep: the second (inner, fastest) parameter, or NULL (owned) */
    double *values2;    /* its value per point (owned) */
    size_t npoints2;    /* 2-D sweep: its points (npoints = outer points x npoints2), else 0 */
    qp_spectrum_out spec;
    qp_bands_out band;
    qp_tran_out tran;
    qp_coherence_out coh;
} qp_result;

typedef struct {
    qp_modes *modes;    /* modes of the nominal circuit when a spectrum was asked (owned) */
    int *cut;           /* cutoffs of the first spectrum's nominal point (owned) */
    size_t dim;
    qp_result *r;
    size_t n;
} qp_results;

/* What one run computes: a parsed deck, the --set overrides and the nominal circuit elaborated
 * from them (sweeps elaborate the deck again at every point). */
typedef struct {
    const qp_deck *deck;
    const qp_override *ov;
    size_t nov;
    const qp_circuit *c;
} qp_job;

/* Runs every analysis of job->c in deck order with the context's settings, threads and caches.
 * Numerical failures return QP_ERR_NUMERIC with a message in d; results computed before the
 * failure are freed. *out is owned by the caller (qp_results_free). */
qp_status qp_run(qp_context *ctx, const qp_job *job, qp_results *out, qp_diag *d);

/* The same with a context of default settings (serial, traces kept, no progress). */
qp_status qp_run_analyses(const qp_deck *deck, const qp_override *ov, size_t nov,
                          const qp_circuit *c, qp_results *out, qp_diag *d);
void qp_results_free(qp_results *r);

/* What `qpsim check` can tell before any solve, on the nominal circuit c and its modes m: every
 * .matrix operator is single-valued on the modes (qp_states_operator_terms) and every
 * .wavefunction fits (qp_states_wave_check). The problems go to d at their places; QP_OK,
 * QP_ERR_INPUT, or QP_ERR_NOMEM. `run` checks the same before it solves. */
qp_status qp_run_check_states(const qp_circuit *c, const qp_modes *m, qp_diag *d);

#endif
