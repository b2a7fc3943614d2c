/* Internal header of the transient (.tran): the circuit equations' system and the stored trace,
 * shared by tran_system.c (the equations), tran_integrate.c (the Radau IIA run) and tran_freq.c
 * (the junctions' frequencies). */
#ifndef QPSIM_ANALYSES_TRAN_IMPL_H
#define QPSIM_ANALYSES_TRAN_IMPL_H

#include "qpsim/bands.h"
#include "qpsim/circuit.h"
#include "qpsim/tran.h"

#include <stddef.h>

/* What an unknown is: its error weight depends on it. */
typedef enum { QP_TRAN_V, QP_TRAN_I, QP_TRAN_PHI, QP_TRAN_Q } qp_tran_var;

/* One accepted step of a transmission line's ports, as its collocation polynomial: y[a] holds
 * (v1, i1, v2, i2) at t0 + s_a h, s = {0, c1, c2, 1} (Radau IIA's nodes). */
typedef struct {
    double t0, h;
    double y[4][4];
} qp_tline_step;

/* The history of one line (element elem): steps[first..n) cover at least the last TD. */
typedef struct {
    size_t elem;
    qp_tline_step *steps;
    size_t first, n, cap;
} qp_tline_hist;

/* The equations A x' + g(t, x) = 0 of a circuit (tran_system.c describes unknowns and rows). */
typedef struct {
    const qp_circuit *c;
    size_t nn;        /* non-ground nodes */
    size_t n;         /* unknowns */
    int *bvar;        /* per element: its branch unknown or -1 */
    qp_tran_var *vk;  /* per unknown */
    double *A;        /* n x n, column-major */
    double v0, i0;    /* voltage and current scales */
    double rtol;      /* set by the run */
    qp_bands *band;   /* per element (Bloch junctions) or NULL entries */
    int *bloch;       /* per element: the Bloch-band model is used */
    int *absorbed;    /* per element: a capacitor absorbed into a Bloch junction's band */
    int *alg;         /* per unknown: not differentiated (its column of A is zero) */
    double *noise;    /* per element: its thermal-noise current in the step's interval, or NULL
                         without .temp (qp_tran_noise_interval fills it) */
    long long noise_k; /* that interval, -1 before the first */
    qp_tline_hist *tl; /* per transmission line (tran_tline.c) */
    size_t ntl;
    int *tlix;         /* per element: its index in tl, or -1 */
    double td_min;     /* the shortest line delay (INFINITY without lines): the longest step */
} qp_tran_sys;

/* Whether an element of kind k records its current as the signal I(name): inductors, voltage
 * sources and the controlled sources with a current unknown (E, F, H). */
static inline int qp_tran_current_signal(qp_elem_kind k)
{
    return k == QP_EL_L || k == QP_EL_V || k == QP_EL_E || k == QP_EL_F || k == QP_EL_H;
}

/* Output samples: nt rows of (time, ncol signals), room for cap rows (the run allocates data). */
typedef struct {
    size_t cap, nt, ncol;
    double *data;
} qp_tran_trace;

/* Builds the system of c into *S (everything but rtol; S owns its arrays, free with
 * qp_tran_sys_free even on failure). tstep is the analysis' TSTEP (pulse defaults). QP_OK,
 * QP_ERR_INPUT (a circuit the models cannot take, message in err), QP_ERR_NOMEM or the status of
 * a Bloch band's computation. */
qp_status qp_tran_sys_build(qp_tran_sys *S, const qp_circuit *c, double tstep, char *err,
                            size_t errlen);
void qp_tran_sys_free(qp_tran_sys *S);

/* The quasiparticle (resistive) current of junction e at voltage v and its slope *g: v/rn, or
 * with rtype 1 JoSIM's piecewise-linear subgap branch (r0, vg, delv, icfct). */
double qp_tran_qp_current(const qp_element *e, double v, double *g);

/* f = -g(t, x) (n values) and, when J is not NULL, J = df/dx (n x n, column-major). */
void qp_tran_eval_f(const qp_tran_sys *S, const qp_analysis *an, double t, const double *x,
                    double *f, double *J);

/* Sets the thermal-noise currents of every resistance (R, junction rn=) for noise interval i
 * (a step lies in one interval; evaluations within it then only read S->noise). No-op without
 * .temp or when i is already set. */
void qp_tran_noise_interval(qp_tran_sys *S, const qp_analysis *an, long long i);

/* The first corner after t of any source (or of the switch-on over the first TSTEP);
 * INFINITY when none. */
double qp_tran_next_break(const qp_circuit *c, const qp_analysis *an, double t);

/* The signals recorded at each output time: node voltages, then per branch (inductor and source
 * I; junction V, P, Is; phase-slip and Bloch junction V, Q). qp_tran_signal_names fills col[count]
 * with malloc'd names (0 when out of memory; the caller frees what was filled);
 * qp_tran_signal_values writes the signals of state x into row[count]. */
size_t qp_tran_signal_count(const qp_tran_sys *S);
int qp_tran_signal_names(const qp_tran_sys *S, char **col);
void qp_tran_signal_values(const qp_tran_sys *S, const double *x, double *row);

/* The first sample of the second half of nout output samples, the part the frequencies and means
 * are taken over: nout / 2, but never the last sample alone (two samples make a time span). */
static inline size_t qp_tran_half_start(size_t nout)
{
    return nout >= 2 && nout / 2 > nout - 2 ? nout - 2 : nout / 2;
}

/* The frequency report of every junction (out->freq, out->nfreq) from the trace tr of S's
 * signals: its second half, or all of it when whole (the run stored only the second half).
 * QP_OK or QP_ERR_NOMEM. */
qp_status qp_tran_analyse(const qp_tran_sys *S, const qp_analysis *an, const qp_tran_trace *tr,
                          int whole, qp_tran_result *out);

/* With .print, r keeps only the requested columns, in the order asked (repeats once), named as
 * .print names them (c->prints) and computed as c->print_from says: recorded signals copied,
 * the others derived from the node voltages of the samples (tran_print.c). QP_OK or
 * QP_ERR_NOMEM. */
qp_status qp_tran_select_prints(const qp_circuit *c, const qp_analysis *an, qp_tran_result *r);

/* Transmission lines (tran_tline.c), by the method of characteristics: port k is Z0 in series
 * with the wave arriving from the other port, v_other(t - TD) + Z0 i_other(t - TD) (currents
 * into the line). qp_tran_tline_init allocates S->tl and S->tlix (QP_OK or QP_ERR_NOMEM; freed
 * by qp_tran_tline_free, which qp_tran_sys_free calls); qp_tran_tline_push records the accepted
 * step from t0 of length h (start x0, stages Z as the integrator holds them) and drops what is
 * older than the delay (0 when out of memory); qp_tran_tline_incident gives line l's incident
 * waves at time t: *w1 at port 1, *w2 at port 2 (0 before t = TD: the line starts at rest). */
qp_status qp_tran_tline_init(qp_tran_sys *S);
void qp_tran_tline_free(qp_tran_sys *S);
int qp_tran_tline_push(qp_tran_sys *S, double t0, double h, const double *x0, const double *Z);
void qp_tran_tline_incident(const qp_tran_sys *S, size_t l, double t, double *w1, double *w2);

/* The value of current or voltage source e at time t, its switch-on over the first TSTEP
 * included (what the equations see). */
double qp_tran_source_value(const qp_element *e, const qp_analysis *an, double t);

#endif
