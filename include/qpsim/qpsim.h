/* qpsim's C API, the one header a program using the library includes (docs/api.md): load a
 * netlist from a file or from text with parameter overrides, then check it, run its analyses, or
 * ask for spectra, sweeps, matrix elements, wavefunctions, Bloch bands, transients, coherence
 * times and the dual netlist. Energies are E/h in GHz, absolute (not shifted to E0 = 0). */
#ifndef QPSIM_QPSIM_H
#define QPSIM_QPSIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What every call returns. The first four values are the exit statuses of the command line. */
typedef enum {
    QPSIM_OK = 0,
    QPSIM_ERR_INPUT = 1,   /* the netlist is wrong or cannot be read: see the messages */
    QPSIM_ERR_USAGE = 2,   /* a bad argument: NULL, levels < 1, a parameter or element the
                            * circuit does not have, a call before a successful load */
    QPSIM_ERR_NUMERIC = 3, /* a numerical failure (no convergence, a basis too large) */
    QPSIM_ERR_NOMEM = 4    /* out of memory */
} qpsim_status;

typedef enum { QPSIM_ERROR, QPSIM_WARNING, QPSIM_NOTE } qpsim_severity;

/* One message of a call, as the command line prints it on stderr ("FILE:LINE:COL: error: ..."). */
typedef struct {
    qpsim_severity severity;
    const char *file;    /* the netlist or included file, or NULL: no place in a file (a
                          * parameter override, an argument of the call) */
    int line, col;       /* 1-based; 0 without a place */
    const char *message;
} qpsim_message;

/* Settings of a circuit handle, fixed when it is made. */
typedef struct {
    int threads; /* sweep points and dispersion spectra are computed on this many threads (the
                  * calling thread included); 0, the default: one per online CPU. The numbers
                  * do not depend on it. */
    int blas_serial; /* 1, the default: while a call computes, OpenBLAS runs on one thread, as
                      * the command line sets it (qpsim's BLAS calls are small: idle BLAS threads
                      * cost more than they give, several times so on a busy machine). The
                      * setting is the process's (numpy's too): it is restored when the last
                      * call that changed it ends. 0: the process's BLAS setting is left alone. */
} qpsim_settings;

/* The defaults above. */
void qpsim_settings_default(qpsim_settings *s);

/* A parameter override, as `qpsim run --set NAME=VALUE`: name is a top-level .param of the deck
 * (any case), value is in the netlist's value syntax ("0.25", "80f", "{2*x}"). */
typedef struct {
    const char *name;
    const char *value;
} qpsim_param;

/* A loaded circuit and the messages of the last call on it. Its calls may come from any thread:
 * one handle computes one call at a time (the others wait), two handles compute at once. The
 * messages and every pointer a call returns into the handle stay valid until the next call on
 * the same handle. */
typedef struct qpsim_circuit qpsim_circuit;

/* A handle with settings s (NULL: the defaults) and nothing loaded; NULL when out of memory.
 * Free it with qpsim_circuit_free (NULL is fine). */
qpsim_circuit *qpsim_circuit_new(const qpsim_settings *s);
void qpsim_circuit_free(qpsim_circuit *c);

/* Reads, parses and elaborates the netlist at path (with its .include files) under nparams
 * overrides. Every problem of the deck is a message (QPSIM_ERR_INPUT, also for a file that
 * cannot be read; QPSIM_ERR_USAGE for an override the deck has no .param for or a bad value);
 * warnings come with QPSIM_OK. A failed load leaves nothing loaded; a new load replaces the
 * circuit. The strings are copied. */
qpsim_status qpsim_load_file(qpsim_circuit *c, const char *path, const qpsim_param *params,
                             size_t nparams);

/* The same for netlist text in memory, named `name` in messages (NULL: "<string>"); .include
 * paths are read relative to the working directory. */
qpsim_status qpsim_load_text(qpsim_circuit *c, const char *name, const char *text,
                             const qpsim_param *params, size_t nparams);

/* The messages of the last call (errors, warnings and notes, sorted by file, line and column,
 * each note after the error it belongs to). */
size_t qpsim_message_count(const qpsim_circuit *c);
const qpsim_message *qpsim_message_get(const qpsim_circuit *c, size_t i); /* NULL out of range */

/* Text and JSON results: *out receives a malloc'd, NUL-terminated string that the caller frees
 * with qpsim_free (only on QPSIM_OK; NULL otherwise). */
void qpsim_free(void *p);

/* The messages of the last call as the command line prints them, one line each. */
qpsim_status qpsim_messages_text(const qpsim_circuit *c, char **out);

/* What `qpsim check` shows: the circuit view (elements in SI and as energies, nodes, loops,
 * offsets, parameters, analyses, modes). QPSIM_ERR_INPUT, with the messages, where `qpsim check`
 * fails: a .matrix operator that is not single-valued on the modes, a .wavefunction that cannot
 * be drawn (both also for qpsim_check_json). */
qpsim_status qpsim_check_text(qpsim_circuit *c, char **out);

/* The "circuit" member of `qpsim check --json`, a JSON object. */
qpsim_status qpsim_check_json(qpsim_circuit *c, char **out);

/* Every analysis of the deck, as `qpsim run --json` writes it: the whole JSON document. */
qpsim_status qpsim_run_json(qpsim_circuit *c, char **out);

/* The dual netlist of a planar circuit, as `qpsim dual` prints it (QPSIM_ERR_INPUT with the
 * reason when there is none). */
qpsim_status qpsim_dual(qpsim_circuit *c, char **out);

/* The computing calls below run one analysis at the deck's parameter values (its own .sweep
 * ignored), with the basis settings of the deck's directive of that kind, else of its first
 * .spectrum (tol, ncut, mcut, nho, basis, method, groups), else the defaults. Errors that come
 * from the arguments (an operator or element the circuit does not have, a parameter that is not
 * a top-level .param) are QPSIM_ERR_USAGE with a message. */

/* The lowest `levels` eigenvalues [GHz] into E (room for levels values); *n receives how many
 * the basis holds (levels unless it is smaller). No dispersions are computed. */
qpsim_status qpsim_spectrum(qpsim_circuit *c, int levels, double *E, int *n);

/* The lowest `levels` eigenvalues at each of the npoints values of the top-level .param `param`
 * (the engine's sweep: the basis converged at the first, middle and last values and reused
 * between them, the points on the handle's threads); E (room for npoints * levels values)
 * receives npoints rows of *n levels each, packed. Values in order (a monotonic sweep) let the
 * basis chosen at the checkpoints hold every point. */
qpsim_status qpsim_sweep(qpsim_circuit *c, const char *param, const double *values,
                         size_t npoints, int levels, double *E, int *n);

/* <i|O|j> of operator `op` ("n(1)", "phi(B1)", "q(Q1)", "cos(B1)", "sin(B1)": docs/netlist.md,
 * .matrix) between the lowest `levels` states, row-major into re and im (room for levels^2
 * values each; im may be NULL); E (may be NULL) receives the levels [GHz]; *n how many. The
 * phase of each state is fixed by making its largest component real and positive. */
qpsim_status qpsim_matrix_elements(qpsim_circuit *c, const char *op, int levels, double *re,
                                   double *im, double *E, int *n);

/* Wavefunctions of the lowest nlev states on a grid of the one or two variables of the modes
 * that are not frozen (docs/netlist.md, .wavefunction). */
typedef struct {
    int nvar;          /* 1 or 2 */
    char name[2][64];  /* the variables as the JSON names them: "phi(1)_rad", "q_m1_2e", ... */
    size_t npts[2];    /* points per variable */
    double *x[2];      /* the grid of each variable */
    int nlev;
    double *E;         /* nlev levels [GHz] */
    double *re, *im;   /* nlev x npts[0] x npts[1] values, the last index fastest */
    double *norm;      /* per level: the integral of |psi|^2 over the grid (1 when the range
                        * holds the whole state) */
} qpsim_wavefunctions;

/* The lowest `levels` states on `points` points per variable; 0 (or less for levels) takes the
 * deck's .wavefunction levels= and points=, else 3 and 201. The range of an extended mode's
 * variable depends on the highest level (docs/netlist.md, .wavefunction). Free *out with
 * qpsim_wavefunctions_free. */
qpsim_status qpsim_wavefunctions_compute(qpsim_circuit *c, int levels, int points,
                                         qpsim_wavefunctions **out);
void qpsim_wavefunctions_free(qpsim_wavefunctions *w);

/* Bloch bands of one junction against its quasicharge q (units of 2e), or of a phase-slip
 * junction against its loop flux f (units of Phi0), over one period from -1/2 to 1/2. */
typedef struct {
    char element[64];  /* its name (truncated to 63 bytes) */
    int dual;          /* 1: a phase-slip junction, the variable is f */
    int nq, nlev;
    double *q;         /* nq points */
    double *E;         /* nq x nlev levels [GHz], one row per point */
    double *width;     /* nlev: max - min of each band [GHz] */
    double *gap;       /* nlev - 1: min over the period of E_{s+1} - E_s [GHz] */
    double es_eff;     /* the lowest band's effective phase-slip energy, -c1 [GHz] */
    double slope_max;  /* max dE0/dq [GHz per unit of q] */
    double ec, ej;     /* what was diagonalized [GHz] (phase-slip: EL'/4 and ES) */
    int ncut;          /* the converged charge cutoff */
} qpsim_bands;

/* The bands of `element` (NULL: the deck's first .bands); levels, points <= 0: the deck's
 * .bands values, else 3 and 101. Free *out with qpsim_bands_free. */
qpsim_status qpsim_bands_compute(qpsim_circuit *c, const char *element, int levels, int points,
                                 qpsim_bands **out);
void qpsim_bands_free(qpsim_bands *b);

/* One junction's frequency report over the second half of a transient. */
typedef struct {
    char element[64];  /* its name (truncated to 63 bytes) */
    int dual;          /* 1: law I/2e (phase-slip or Bloch-band junction); 0: V/Phi0 */
    double f_sim;      /* from the simulated trace [Hz] */
    double f_fft;      /* from its spectrum [Hz] */
    double f_theory;   /* |<V>|/Phi0 or |<I>|/2e [Hz] */
    double mean_v, mean_i; /* [V], [A] */
    int periods;       /* whole periods counted (0: no oscillation) */
} qpsim_tran_freq;

/* A transient's traces and frequency reports. */
typedef struct {
    size_t nt, ncol;
    char **names;      /* ncol signal names: "V(1)", "P(B1)", "Is(B1)", ... (.print chooses) */
    double *data;      /* nt rows of 1 + ncol values: the time [s], then each signal (V, rad,
                        * A, C) */
    size_t nfreq;
    qpsim_tran_freq *freq;
    size_t steps, rejected; /* the integrator's accepted and rejected steps */
} qpsim_tran;

/* The deck's .tran (with its .print columns, rtol=, seed=), with TSTEP and TSTOP replaced by
 * tstep and tstop when they are > 0 (a deck without .tran needs both). Free *out with
 * qpsim_tran_free. */
qpsim_status qpsim_tran_compute(qpsim_circuit *c, double tstep, double tstop, qpsim_tran **out);
void qpsim_tran_free(qpsim_tran *t);

/* The noise channels of .coherence, in this order. */
#define QPSIM_CHANNELS 8

/* The channel's name ("t1_capacitive", ... "tphi_1_over_f_es"); "?" out of range. */
const char *qpsim_channel_name(int ch);

/* T1 and Tphi of one transition (docs/physics.md, "Coherence"). */
typedef struct {
    int from, to;
    double f;                    /* E_from - E_to [GHz] */
    double temp;                 /* [K] */
    unsigned present;            /* bit ch set: channel ch was computed */
    double rate[QPSIM_CHANNELS]; /* [1/s]; 0 for a channel absent or without effect */
    double time[QPSIM_CHANNELS]; /* 1/rate [s]; INFINITY for a rate of 0 */
    double t1, t2;               /* [s]; INFINITY when the summed rates are 0 */
} qpsim_coherence;

/* The deck's .coherence (its channels, noise keys and temperature; without one, every channel
 * that applies at 15 mK or the deck's .temp), for the transition from -> to when from >= 0
 * and to >= 0 (else the deck's, default 1 -> 0). */
qpsim_status qpsim_coherence_compute(qpsim_circuit *c, int from, int to, qpsim_coherence *out);

/* The library's version, e.g. "0.1.0". */
const char *qpsim_version(void);

#ifdef __cplusplus
}
#endif

#endif
