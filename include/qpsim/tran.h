/* Time-domain simulation (.tran): classical circuit equations with RCSJ junctions, their dual
 * for phase-slip junctions and a Bloch-band model for small junctions, integrated by a 3-stage
 * Radau IIA method (order 5, L-stable) with an embedded error estimate; frequencies of every
 * junction measured from the simulated traces beside the closed forms V/Phi0 and I/2e. */
#ifndef QPSIM_TRAN_H
#define QPSIM_TRAN_H

#include "qpsim/circuit.h"

#include <stddef.h>

/* Sizes a transient is refused beyond, from counts made before anything of that size is
 * allocated (docs/netlist.md, "Limits"): the unknowns (node voltages, inductor and source
 * currents, junction phases), which the integrator solves as dense matrices, 5 n^2 values and
 * 10 n^3/3 operations a factorization (a real and a complex n x n LU, about 0.03 s at 500,
 * redone when the Jacobian or the step changes); and the values the traces hold, every
 * output sample of every signal and the time (1.6 GB at 2e8). */
#define QP_TRAN_MAX_UNKNOWNS 500
#define QP_TRAN_MAX_TRACE_VALUES 200000000.0

/* One junction's frequency report over the second half of the run. */
typedef struct {
    int element;        /* element index */
    int dual;           /* 1: phase-slip junction or Bloch-band junction (law I/2e) */
    double mean_v;      /* mean voltage across it [V] (junction: from its phase advance) */
    double mean_i;      /* mean current through it [A] (dual: from its charge advance) */
    double f_theory;    /* |mean_v|/Phi0 or |mean_i|/2e [Hz] */
    double f_sim;       /* from the trace of its supercurrent (or voltage): zero crossings [Hz] */
    double f_fft;       /* from an FFTW spectrum of the same trace (Hann window, interpolated) */
    double area;        /* per counted period: integral V dt [V s] (junction) or I dt [C] (dual) */
    double area_theory; /* Phi0 or 2e */
    int periods;        /* full periods counted in the second half (0: no oscillation) */
    double phase_end;   /* its phase [rad] (junction) or charge [C] (dual) at TSTOP, from 0 at
                         * t = 0: the mean voltage over the whole run is Phi0/2pi of it / TSTOP */
    long slips;         /* over the whole run (from t = 0, where every phase and charge starts
                         * at 0): the nearest whole number of 2 pi phase slips (junction) or
                         * of 2e charges passed (dual) at TSTOP, signed */
} qp_tran_freq;

typedef struct {
    size_t samples;     /* output samples computed (TSTART to TSTOP every TSTEP) */
    size_t nt, ncol;    /* samples kept in data (0 without traces) and signal columns (time
                         * is column 0 of data) */
    char **col;         /* ncol names, e.g. "V(1)", "P(B1)", "Is(B1)" (owned) */
    double *data;       /* nt x (ncol + 1), row-major (owned) */
    size_t nfreq;
    qp_tran_freq *freq; /* (owned) */
    size_t steps, rejected, newton_failures; /* integrator statistics (accepted steps) */
    size_t factorizations; /* of the Newton matrices (reused across steps when they fit) */
    double rtol;
} qp_tran_result;

/* Progress of a long computation: `done` of `total` units (a transient: thousandths of TSTOP;
 * done == 0 first, done == total last). */
typedef void (*qp_progress_fn)(void *ctx, size_t done, size_t total);

/* Runs analysis `an` (QP_AN_TRAN) of c. keep_traces = 0 skips storing the samples (sweeps).
 * progress (may be NULL) is called with the simulated time done in thousandths of TSTOP: 0 at
 * the start, about every 1 % of the run, 1000 at the end. QP_OK, QP_ERR_INPUT (a circuit the
 * transient models cannot take; message in err), QP_ERR_NUMERIC (step size underflow, singular
 * equations) or QP_ERR_NOMEM. */
qp_status qp_tran_run(const qp_circuit *c, const qp_analysis *an, int keep_traces,
                      qp_progress_fn progress, void *progress_ctx, qp_tran_result *out,
                      char *err, size_t errlen);
void qp_tran_free(qp_tran_result *r);

/* Whether the samples of the finished run r of `an` resolve its junctions' frequencies, judged
 * on each junction's predicted frequency (f_theory, from its mean bias, which the integrator's
 * own steps get right whatever TSTEP): QP_ERR_INPUT with the reason and the TSTEP needed in err
 * when TSTEP exceeds half a predicted period (Nyquist: the traces alias it); else QP_OK, with
 * warn (empty when all is well) saying when the second half holds fewer than 8 samples, fewer
 * than 4 predicted periods of a junction that moves, or fewer than 4 samples per period, and
 * what TSTEP or TSTOP would do. */
qp_status qp_tran_resolution(const qp_circuit *c, const qp_analysis *an, const qp_tran_result *r,
                             char *err, size_t errlen, char *warn, size_t warnlen);

/* Frequency estimators on n uniform samples spaced dt (exposed for tests):
 * upward crossings of the mean with hysteresis (10 % of the range), located on the cubic through
 * the neighbouring samples; returns 0 when there are fewer than two; *periods receives the whole
 * periods counted, *t_first and *t_last (may be NULL) the first and last crossing times. */
double qp_freq_crossings(const double *x, size_t n, double dt, int *periods, double *t_first,
                         double *t_last);
/* peak of the Hann-windowed FFTW spectrum (mean removed) of the last L samples (L: the largest
 * length <= n with prime factors 2, 3, 5, 7 only, FFTW's fast sizes), refined between bins by
 * the Hann window's amplitude-ratio formula; 0 when there is no peak. */
double qp_freq_fft(const double *x, size_t n, double dt);

/* The spectrum shown for a transient (CSV under -o and the plot): the one-sided power spectrum
 * of trace column col (0 = first signal) over the second half of the run, mean removed,
 * periodic Hann window, on the last L samples (L as for qp_freq_fft): power[k] =
 * |X_k|^2 / m on m samples, doubled for 0 < k < m/2, so that the bins sum to the windowed
 * signal's sum of squares. *power (malloc'd) gets *nb bins at k * (*df) Hz. Returns 0, -1 when
 * the trace is too short or memory is out. */
int qp_tran_spectrum(const qp_tran_result *t, size_t col, double **power, size_t *nb,
                     double *df);

#endif
