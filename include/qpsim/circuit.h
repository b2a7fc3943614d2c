/* The elaborated circuit: flat elements in SI units, nodes, flux loops, offsets and analyses. */
#ifndef QPSIM_CIRCUIT_H
#define QPSIM_CIRCUIT_H

#include "qpsim/diag.h"
#include "qpsim/netlist.h"

#include <stddef.h>

typedef enum {
    QP_EL_C, /* capacitor */
    QP_EL_L, /* inductor */
    QP_EL_B, /* Josephson junction */
    QP_EL_Q, /* quantum phase-slip junction */
    QP_EL_K, /* mutual inductance */
    QP_EL_R, /* resistor */
    QP_EL_I, /* current source */
    QP_EL_V, /* voltage source */
    QP_EL_E, /* voltage-controlled voltage source (.tran only) */
    QP_EL_G, /* voltage-controlled current source (.tran only) */
    QP_EL_F, /* current-controlled current source (.tran only) */
    QP_EL_H, /* current-controlled voltage source (.tran only) */
    QP_EL_T  /* lossless transmission line (.tran only) */
} qp_elem_kind;

typedef enum { QP_WAVE_DC, QP_WAVE_SIN, QP_WAVE_PWL, QP_WAVE_PULSE } qp_wave_kind;

/* A source waveform. sin: p = {VO, VA, FREQ [Hz], TD [s], THETA [1/s], PHASE [deg]};
 * pulse: p = {V1, V2, TD, TR, TF, PW, PER}; pwl: pairs (t, value) in p, np = 2 * points. */
typedef struct {
    qp_wave_kind kind;
    double dc;  /* dc value (the whole source for QP_WAVE_DC) */
    double *p;  /* owned */
    size_t np;
} qp_wave;

typedef struct {
    qp_elem_kind kind;
    char *name;     /* flattened name, e.g. "X1.C2" (owned) */
    int n[2];       /* node indices n+ and n-, 0 = ground; unused for K */
    int nc[2];      /* E G F H: the controlling nodes nc+ nc- (F, H: a short from nc+ to nc-
                       whose current controls); T: the nodes of port 2 */
    qp_loc loc;     /* the element line (innermost) */
    double value;   /* C: F, L: H, R: Ohm, K: coupling factor k; E, F: gain; G: S; H: Ohm;
                       T: characteristic impedance Z0 [Ohm] */
    double td;      /* T: delay [s] */
    double ic;      /* B: critical current [A] */
    double cap;     /* B: junction capacitance [F] (0 = none) */
    double rn;      /* B: normal/shunt resistance [Ohm] for time-domain models (0 = none) */
    int rtype;      /* B: 1 = JoSIM's piecewise-linear quasiparticle branch in .tran: r0 below
                       the gap vg - delv/2, rn above vg + delv/2, slope ic/(icfct delv) between;
                       0 = rn at every voltage (RCSJ) */
    double r0, vg, delv, icfct; /* B, rtype 1: subgap resistance [Ohm] (area applied), gap
                       voltage [V], width of the step [V], JoSIM's Ic factor (pi/4) */
    double area;    /* B: area factor applied to model values */
    int bloch;      /* B: .tran uses its lowest Bloch band instead of RCSJ (bloch=1) */
    double vc;      /* Q: critical voltage [V] = 2 pi ES/2e */
    double noise;   /* .coherence per element (0: the directive's): C qcap=, L qind=, B xqp= */
    char noise_form; /* C qcap=inductive / L qind=capacitive: the other channel's default Q(f)
                        (what `qpsim dual` writes), else 0 */
    int lk[2];      /* K: element indices of the two coupled inductors */
    qp_wave wave;   /* I, V */
    char *model;    /* B, Q: model name or NULL (owned) */
} qp_element;

/* An external flux through one loop, as the signed list of branches around it. */
typedef struct {
    double f;     /* Phi_ext / Phi0 */
    size_t n;
    int *branch;  /* element indices around the loop, in order (owned) */
    int *sign;    /* +1 when the walk goes from the branch's n+ to n-, else -1 (owned) */
    int implicit; /* branches found automatically (no list in the deck) */
    qp_loc loc;
} qp_flux_loop;

typedef struct {
    int node;
    double ng; /* units of 2e */
    qp_loc loc;
} qp_offset;

typedef enum {
    QP_AN_SPECTRUM,
    QP_AN_SWEEP,
    QP_AN_BANDS,
    QP_AN_TRAN,
    QP_AN_MATRIX, /* .matrix: matrix elements of operators between levels */
    QP_AN_WAVE,   /* .wavefunction: wavefunctions on a grid of the mode variables */
    QP_AN_COHERENCE /* .coherence: T1 and Tphi of one transition, per noise channel */
} qp_analysis_kind;

/* The noise channels of .coherence (docs/physics.md, "Coherence"). */
typedef enum {
    QP_CH_T1_CAPACITIVE,
    QP_CH_T1_INDUCTIVE,
    QP_CH_T1_QUASIPARTICLE,
    QP_CH_T1_RESISTOR,
    QP_CH_TPHI_FLUX,
    QP_CH_TPHI_NG,
    QP_CH_TPHI_CC,
    QP_CH_TPHI_ES,
    QP_CH_COUNT
} qp_channel;

/* The channel's name as .coherence writes it ("t1_capacitive", ...), "?" out of range. */
const char *qp_channel_name(qp_channel ch);

/* .coherence settings; a Q or x_qp of 0 means the default (frequency-dependent) form. */
typedef struct {
    int from, to;       /* the transition's levels */
    double temp;        /* K; 0: the deck's .temp, else 15 mK */
    unsigned channels;  /* 1 << qp_channel of the channels asked; 0: every one that applies */
    qp_loc chloc[QP_CH_COUNT]; /* where each channel asked is named in channels= */
    double qcap, qind;  /* quality factors (0: scqubits 4.3's frequency-dependent forms) */
    double xqp, delta;  /* quasiparticle density, gap [eV] */
    double aflux, ang, acc, aes; /* 1/f amplitudes: Phi0, 2e, GHz, GHz */
    double omega_low;   /* rad/s */
    double t_exp;       /* s */
} qp_coh_params;

/* An operator of .matrix: n(NODE), phi(JJ), q(QPS), cos(JJ|QPS), sin(JJ|QPS). */
typedef enum { QP_OP_CHARGE, QP_OP_PHASE, QP_OP_QCHARGE, QP_OP_COS, QP_OP_SIN } qp_op_kind;

typedef struct {
    qp_op_kind kind;
    int index;  /* node (n) or element */
    char *name; /* canonical text, e.g. "n(1)", "phi(B1)" (owned) */
    qp_loc loc;
} qp_operator;

#define QP_MAX_GROUP_MODES 64 /* .spectrum groups= names at most this many modes */
/* The numbers one analysis may keep, over all its sweep points (levels, matrix elements, rates,
 * frequency reports): 0.8 GB; checked when the deck is read (qp_circuit_check). */
#define QP_RESULT_MAX_VALUES 1e8
/* The points of a 2-D sweep (two .sweep directives), at most (each one: 1e6). */
#define QP_SWEEP2_MAX_POINTS 1e7

typedef struct {
    qp_analysis_kind kind;
    qp_loc loc;
    int levels;        /* spectrum, bands */
    double tol;        /* spectrum: convergence tolerance [GHz], 0 = default */
    int ncut, mcut, nho; /* spectrum: fixed cutoffs (0 = automatic) */
    int grid;          /* spectrum: extended modes on a phase grid (basis=grid) */
    int dispersion;    /* spectrum: charge/flux dispersions: -1 auto (small bases), 0 no, 1 yes */
    int method;        /* spectrum: 0 auto, 1 exact, 2 hierarchical, 3 mps, 4 distributed
                        * (qp_spectrum_method) */
    int ngmodes;       /* spectrum groups=: modes named (0: default grouping) ... */
    signed char group[QP_MAX_GROUP_MODES]; /* ... group of mode i + 1, numbered from 0 */
    qp_loc group_loc;  /* where groups= was written */
    char *param;       /* sweep: parameter name (owned) */
    double start, stop;
    int points;        /* sweep points; bands q points */
    double *values;    /* sweep: the value of every point (owned; set by the C API), or NULL: the
                        * points evenly spaced from start to stop */
    int fixed;         /* sweep: its parameter is set by an override (--set): not swept, the
                        * analyses run at the set value */
    char unit[8];      /* sweep of a parameter without a unit whose ends carry one: the unit
                        * every point's value (times unit_scale) is passed with, as --set passes
                        * it ("GHz", "fF", ...); "" otherwise */
    double unit_scale;
    int element;       /* bands: element index */
    double tstep, tstop, tstart;
    double rtol;       /* tran: local error tolerance (0 = default) */
    unsigned long long seed; /* tran: the random stream of the thermal noise (.temp; seed=N) */
    qp_operator *ops;  /* matrix: the operators (owned) */
    size_t nops;
    qp_coh_params coh; /* coherence */
} qp_analysis;

/* Where a .print column comes from (JoSIM's forms included): a signal the transient records, or
 * one derived from the node voltages after the run. */
typedef enum {
    QP_PR_SIGNAL, /* the recorded signal named `src` */
    QP_PR_VDIFF,  /* V(a) - V(b) */
    QP_PR_PHASE,  /* 2 pi / Phi0 times the time integral of V(a) - V(b), from the first sample */
    QP_PR_IR,     /* resistor current (V(a) - V(b)) / R */
    QP_PR_IC,     /* capacitor current C d(V(a) - V(b))/dt, differenced on the samples */
    QP_PR_ISRC,   /* a current source's value */
    QP_PR_IJJ     /* a junction's whole current: supercurrent, quasiparticle and C dV/dt */
} qp_print_kind;

typedef struct {
    qp_print_kind kind;
    int a, b;  /* nodes (0 = ground) */
    int elem;  /* element, or -1 */
    char *src; /* QP_PR_SIGNAL: the recorded signal's name (owned), else NULL */
} qp_print;

typedef struct {
    char *name; /* as written in the deck (owned) */
    double value;
    qp_loc loc;
} qp_param_value;

typedef struct qp_circuit {
    char **files; /* file table (owned copies), indices match qp_loc.file */
    size_t nfiles;
    char *title;  /* or NULL */
    size_t nnodes;     /* including ground (index 0) */
    char **node_names; /* node_names[0] is "0" (owned) */
    qp_element *elem;
    size_t nelem;
    qp_flux_loop *loops;
    size_t nloops;
    qp_offset *offsets;
    size_t noffsets;
    qp_analysis *analyses;
    size_t nanalyses;
    qp_param_value *params; /* top-level .param values after overrides */
    size_t nparams;
    char **prints;          /* .print: trace columns to write, named as JoSIM names them, e.g.
                               "V(1)", "P(B1)", "I(ROUT)" (owned) */
    qp_print *print_from;   /* nprints: what each column is computed from (owned) */
    size_t nprints;
    double temp;            /* .temp [K], or 0 when the deck has none */
} qp_circuit;

/* A --set NAME=VALUE override: value text in the netlist's value syntax. */
typedef struct {
    const char *name;
    const char *value;
} qp_override;

#define QP_MAX_ELEMENTS 200000 /* elements and subcircuit instances after flattening */
/* The energy (EC, EL, EJ, ES) of any element, from its SI value, must lie in this range [GHz]
 * (checked at elaboration; 0 only where the value is 0, "none"): C = 1e300 F has an EC that
 * underflows to 0 and would drop out of a spectrum unseen. Transients of macroscopic parts
 * (kilofarads, henries) stay inside. */
#define QP_ELEMENT_ENERGY_MIN_GHZ 1e-30
#define QP_ELEMENT_ENERGY_MAX_GHZ 1e30
/* The narrower range of a quantized circuit (spectra and all that uses the modes): beyond it the
 * quadratic forms and kernels lose their meaning in double precision (an EC of 1e-300 GHz is a
 * typo, not a circuit). */
#define QP_ENERGY_MIN_GHZ 1e-15
#define QP_ENERGY_MAX_GHZ 1e12
#define QP_QUANTIZE_MAX_NODES 400 /* nodes besides ground, after parallel elements merge */
#define QP_QUANTIZE_MAX_LOOPS 800 /* independent loops (chords of the spanning tree), same */
#define QP_TRAN_MAX_SAMPLES 20000000 /* (TSTOP - TSTART) / TSTEP */
#define QP_STATES_MAX_LEVELS 200     /* .matrix, .wavefunction: eigenvectors asked at most */
#define QP_WAVE_MAX_VALUES 20000000  /* .wavefunction: levels x grid points */
#define QP_TOL_MIN 1e-12 /* GHz: the smallest .spectrum tol (levels of 100 GHz carry 2e-14 of
                            rounding each, and a difference of two solves twice that and more) */
#define QP_DISPERSION_AUTO_DIM 20000 /* dispersions need 4 more spectra per island or loop */

/* Flattens subcircuits, evaluates parameters and models, converts values to SI and checks the
 * graph. Every error goes to d with its place; on QP_OK *out receives the circuit (free with
 * qp_circuit_free). Overrides naming no top-level .param give QP_ERR_USAGE. */
qp_status qp_circuit_elaborate(const qp_deck *deck, const qp_override *ov, size_t nov,
                               qp_circuit **out, qp_diag *d);

/* Graph checks on an elaborated circuit (called by qp_circuit_elaborate): ground present, all
 * nodes connected, no element with both ends on one node, flux loops closed, .ng nodes valid;
 * then the results' sizes (QP_RESULT_MAX_VALUES). */
qp_status qp_circuit_check(qp_circuit *c, qp_diag *d);

void qp_circuit_free(qp_circuit *c);
/* Frees the operator list of a .matrix/.wavefunction analysis and empties it (an is kept). */
void qp_analysis_free_ops(qp_analysis *an);

const char *qp_elem_kind_name(qp_elem_kind k); /* "capacitor", ... */
const char *qp_analysis_directive(qp_analysis_kind k); /* ".spectrum", ".tran", ... */

/* The file name of a place in c, or NULL for a place outside any file (command line). */
const char *qp_circuit_file(const qp_circuit *c, qp_loc loc);

/* Energies as E/h in GHz of an element: EC of a capacitor or a junction's capacitance, EL of an
 * inductor, EJ of a junction, ES of a phase-slip junction; 0 where it does not apply. */
double qp_element_ec(const qp_element *e);
double qp_element_el(const qp_element *e);
double qp_element_ej(const qp_element *e);
double qp_element_es(const qp_element *e);

#endif
