/* .tran: the circuit equations of tran_system.c integrated by Radau IIA, and the run.
 *
 * Integrator: 3-stage Radau IIA (order 5, stiffly accurate, L-stable, fit for these index-1
 * DAEs) with simplified Newton on the stage equations (tran_radau.c: the stage system decoupled
 * into one real and one complex n x n LU from the Jacobian at a step's start, kept for the next
 * steps while Newton converges fast and the step length holds; solve/lu.c: an inline elimination
 * for small circuits, LAPACK beyond), the local error from Hairer and Wanner's embedded estimate
 * (RADAU5; O(h^4), one or two solves with the real factors) with Gustafsson's step-size
 * controller, and output at the requested TSTEP from the step's collocation polynomial (dense
 * output of order 3, the order the error estimate controls). The step lands on every source
 * breakpoint. (Until session 3 the error came from step doubling, three Radau solves per step:
 * measured 1.3-2x slower to the same frequency accuracy, see docs/performance.md.) */
#include "analyses/tran_radau.h"
#include "qpsim/units.h"

#include "analyses/context_impl.h"
#include "base/strbuf.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_RTOL 1e-5      /* local error per step, relative to each variable's scale */
#define H_GROW_MAX 4.0
#define H_SHRINK_MIN 0.2
#define SAFETY 0.9
/* Newton's factors (two LUs of n x n, the bulk of a step's work for large circuits) serve the
 * next step too when their Newton contracted by THETA_KEEP or better and the controller asks for
 * a step between H_KEEP_LO and H_KEEP_HI times the last, which is then kept as it was (RADAU5's
 * THET, QUOT1 and QUOT2, at the values Hairer and Wanner suggest for large systems, QUOT1 a
 * little lower); otherwise they are computed again from the Jacobian at the step's start. Every
 * step still meets the error estimate; the steps are a little shorter (docs/performance.md). */
#define THETA_KEEP 0.1
#define H_KEEP_LO 0.9
#define H_KEEP_HI 2.0
#define MAX_STEPS 200000000UL  /* accepted steps before giving up */
#define SPAN_STEPS_MIN 50.0    /* the step never exceeds (TSTOP - start) / this */
/* The largest angle of an oscillation one step may cover (resolves_windings, source_hmax) */
#define WIND_ANGLE(rtol) fmin(QP_PI / 4.0, pow(480.0 * (rtol), 0.25))

/* ---------------------------------------------------------------- outputs */

/* Appends a sample; the buffer is allocated for every sample the run stores, so a full buffer
 * is an internal error (0). */
static int trace_push(qp_tran_trace *tr, double t, const double *row)
{
    size_t w = tr->ncol + 1;
    if (tr->nt == tr->cap) {
        return 0;
    }
    tr->data[tr->nt * w] = t;
    memcpy(tr->data + tr->nt * w + 1, row, tr->ncol * sizeof *row);
    tr->nt++;
    return 1;
}

void qp_tran_free(qp_tran_result *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; r->col && i < r->ncol; i++) {
        free(r->col[i]);
    }
    free(r->col);
    free(r->data);
    free(r->freq);
    memset(r, 0, sizeof *r);
}

/* ---------------------------------------------------------------- the run */

/* One run: the system, the Radau work space, the stored trace, the state and the step control. */
typedef struct {
    qp_tran_sys S;
    qp_radau W;
    qp_tran_trace tr;
    size_t n;
    double *x0, *x1;   /* the state at t, after the step */
    double *xp, *Zp;   /* the previous step's start and stages (stage guesses) */
    double *f0, *J0;   /* f and df/dx at (t, x0), kept across rejections */
    double *tmp, *xm, *rhs, *row;
    double t, tstart, tstop, dt, tiny, hmax;
    double h;          /* the next step to try */
    double hp;         /* length of the previous step; 0 at t = 0 and after a corner */
    double hacc, eacc; /* the last accepted step and its error (Gustafsson) */
    double theta;      /* the contraction of the last Newton solve */
    double brk;        /* the next source corner */
    double next_out;   /* time of the next output sample: tstart + kout dt */
    size_t kout, nout; /* next output sample, samples in all */
    size_t next_report; /* progress in 1/1000 of TSTOP, about every 1 % */
    unsigned long steps, max_steps; /* MAX_STEPS, or a bounded run's cap */
    int keep, singular, rejected, have_f0;
    double h_lu;       /* the step the Newton factors are for; 0 when there are none */
    double hwind;      /* the longest step that resolves the junctions' oscillation (last step) */
    int lu_fresh;      /* they come from the Jacobian at this step's start */
    int keep_lu;       /* the last Newton contracted fast: the factors may serve the next step */
    double *wind0;     /* per element: its windings (phase / 2 pi, or charge / 2e) at twind */
    double *wlast;     /* and at tlast, the previous check (its latest rate gives the advice) */
    double twind, tlast; /* the first step end at or after the last sample time; the check */
    size_t kwind;      /* R->kout when wind0 was taken */
} run_t;

static void run_free(run_t *R)
{
    free(R->tr.data);
    qp_radau_free(&R->W);
    free(R->x0), free(R->x1), free(R->tmp), free(R->xm), free(R->xp), free(R->Zp), free(R->f0);
    free(R->J0), free(R->rhs), free(R->row), free(R->wind0), free(R->wlast);
    qp_tran_sys_free(&R->S);
}

/* The longest step that follows every sine source (FREQ > 0, VA != 0) as resolves_windings does
 * a junction: at most WIND_ANGLE of its period, so that the currents and voltages that follow it
 * algebraically are drawn right between step ends; INFINITY without one. */
static double source_hmax(const qp_circuit *c, double rtol)
{
    double h = INFINITY;
    for (size_t e = 0; e < c->nelem; e++) {
        const qp_wave *w = &c->elem[e].wave;
        if ((c->elem[e].kind == QP_EL_V || c->elem[e].kind == QP_EL_I) &&
            w->kind == QP_WAVE_SIN && w->np >= 3 && w->p[1] != 0.0 && w->p[2] > 0.0) {
            h = fmin(h, WIND_ANGLE(rtol) / (2.0 * QP_PI * w->p[2]));
        }
    }
    return h;
}

/* The system, every buffer and the step state at t = 0 (*R freeable by run_free whatever the
 * outcome). */
static qp_status run_init(run_t *R, const qp_circuit *c, const qp_analysis *an, int keep,
                          qp_tran_result *out, char *err, size_t errlen)
{
    memset(R, 0, sizeof *R);
    qp_status st = qp_tran_sys_build(&R->S, c, an->tstep, err, errlen);
    R->S.rtol = an->rtol > 0.0 ? an->rtol : DEFAULT_RTOL;
    out->rtol = R->S.rtol;
    size_t n = R->S.n, n1 = n ? n : 1;
    R->n = n;
    R->x0 = calloc(n1, sizeof *R->x0), R->x1 = calloc(n1, sizeof *R->x1);
    R->tmp = calloc(n1, sizeof *R->tmp), R->xm = calloc(n1, sizeof *R->xm);
    R->rhs = calloc(n1, sizeof *R->rhs);
    R->xp = calloc(n1, sizeof *R->xp), R->Zp = calloc(3 * n1, sizeof *R->Zp);
    R->f0 = calloc(n1, sizeof *R->f0), R->J0 = calloc(n1 * n1, sizeof *R->J0);
    if (st != QP_OK) {
        return st;
    }
    if (n == 0) {
        qp_errf(err, errlen, "the circuit has no unknowns to simulate");
        return QP_ERR_INPUT;
    }
    /* a bounded run (qp_settings cap_*): its caps on the unknowns, samples and steps */
    const qp_settings *set = qp_context_active();
    size_t cap_n = set ? set->cap_unknowns : 0, cap_samples = set ? set->cap_samples : 0;
    R->max_steps = set && set->cap_steps && set->cap_steps < MAX_STEPS ? set->cap_steps : MAX_STEPS;
    double samples = floor((an->tstop - an->tstart) / an->tstep * (1.0 + 1e-12)) + 1.0;
    if ((cap_n && n > cap_n) || (cap_samples && !(samples <= (double)cap_samples))) {
        qp_errf(err, errlen, "%zu unknowns and %.3g samples: this run's caps are %zu and %zu",
                n, samples, cap_n, cap_samples);
        return QP_ERR_INPUT;
    }
    R->tr.ncol = qp_tran_signal_count(&R->S);
    R->nout = (size_t)floor((an->tstop - an->tstart) / an->tstep * (1.0 + 1e-12)) + 1;
    /* every sample counts, kept or not: a deck must not run without -o and fail with it */
    double values = (double)R->nout * (double)(R->tr.ncol + 1);
    if (values > QP_TRAN_MAX_TRACE_VALUES) {
        qp_errf(err, errlen, "the traces would hold %zu samples of %zu signals and the time, "
                "%.3g values (at most %.0e, %.1f GB): use a longer TSTEP or a later TSTART",
                R->nout, R->tr.ncol, values, QP_TRAN_MAX_TRACE_VALUES,
                QP_TRAN_MAX_TRACE_VALUES * sizeof(double) / 1e9);
        return QP_ERR_INPUT;
    }
    R->row = calloc(R->tr.ncol ? R->tr.ncol : 1, sizeof *R->row);
    R->wind0 = calloc(c->nelem ? c->nelem : 1, sizeof *R->wind0);
    R->wlast = calloc(c->nelem ? c->nelem : 1, sizeof *R->wlast);
    if (!R->x0 || !R->x1 || !R->tmp || !R->xm || !R->xp || !R->Zp || !R->f0 || !R->J0 ||
        !R->rhs || !R->row || !R->wind0 || !R->wlast || !qp_radau_init(&R->W, &R->S)) {
        qp_errf(err, errlen, "out of memory for the transient");
        return QP_ERR_NOMEM;
    }
    R->keep = keep;
    R->t = 0.0, R->tstop = an->tstop, R->tstart = an->tstart, R->dt = an->tstep;
    R->tiny = 64.0 * DBL_EPSILON * R->tstop;
    R->hmax = (R->tstop - 0.0) / SPAN_STEPS_MIN;
    R->hmax = fmin(R->hmax, R->S.td_min); /* a line's delayed waves are then always in the past */
    R->hmax = fmin(R->hmax, source_hmax(c, R->S.rtol));
    R->h = fmin(fmax(1e-3 * R->dt, 1e3 * R->tiny), R->hmax);
    R->eacc = 1.0;
    R->hwind = INFINITY;
    R->next_out = R->tstart;
    R->brk = qp_tran_next_break(c, an, R->t);
    R->next_report = 10;
    /* the samples to be stored are known: one allocation instead of a growing buffer */
    size_t nstore = keep ? R->nout : R->nout - qp_tran_half_start(R->nout);
    R->tr.data = malloc((nstore ? nstore : 1) * (R->tr.ncol + 1) * sizeof *R->tr.data);
    if (!R->tr.data) {
        qp_errf(err, errlen, "out of memory for %zu trace samples", nstore);
        return QP_ERR_NOMEM;
    }
    R->tr.cap = nstore ? nstore : 1;
    return QP_OK;
}

/* The next step's length *hstep from R->t: the proposed R->h, at most hmax, shortened to land on
 * the next corner (*hit = 1) or on TSTOP. An error when it underflows. */
static qp_status step_length(run_t *R, const qp_circuit *c, const qp_analysis *an,
                             double *hstep, int *hit, char *err, size_t errlen)
{
    double t = R->t, tiny = R->tiny;
    while (R->brk - t <= tiny) { /* corners closer than rounding count as reached */
        R->brk = qp_tran_next_break(c, an, fmax(R->brk, t));
    }
    double h = fmin(R->h, R->hmax);
    *hit = 0;
    if (t + h >= R->brk - tiny) {
        h = R->brk - t;
        *hit = 1;
    }
    if (t + h > R->tstop - tiny) {
        h = R->tstop - t;
        *hit = 0;
    }
    *hstep = h;
    if (h > tiny) {
        return QP_OK;
    }
    if (R->singular) {
        qp_errf(err, errlen, "the circuit equations are singular at t = %.6g s: a loop of "
             "voltage sources (with capacitors), or a node or cut set reached only "
             "through current sources and inductors, leaves some voltage or current "
             "undetermined", t);
        return QP_ERR_INPUT;
    }
    qp_errf(err, errlen, "time step underflow at t = %.6g s (the step fell below "
         "%.3g s without meeting rtol %.1e)", t, tiny, R->S.rtol);
    return QP_ERR_NUMERIC;
}

/* Tries a step of hstep from R->t: the stages by Newton, then the embedded error. 1 when the
 * step is accepted (its error norm in *e); 0 when it is not, with a shorter R->h to try. */
static int attempt(run_t *R, const qp_analysis *an, double hstep, qp_tran_result *out,
                   double *e)
{
    if (!R->have_f0) { /* f at the step's start, kept across rejections */
        /* the thermal noise of the interval the step lies in (steps end on interval ends) */
        qp_tran_noise_interval(&R->S, an, (long long)floor(R->t / an->tstep + 1e-9));
        qp_tran_eval_f(&R->S, an, R->t, R->x0, R->f0, NULL);
        R->have_f0 = 1;
    }
    int f = 0, ok = -1;
    for (;;) {
        qp_radau_guess(R->n, R->xp, R->Zp, R->hp, hstep, R->x0, R->W.Z, R->tmp);
        if (!(R->keep_lu && hstep == R->h_lu)) { /* new factors, from the Jacobian here */
            if (!R->lu_fresh) {
                qp_tran_eval_f(&R->S, an, R->t, R->x0, R->f0, R->J0);
                R->lu_fresh = 1;
            }
            f = qp_radau_factor(&R->W, &R->S, R->J0, hstep);
            out->factorizations++;
            R->h_lu = f == 0 ? hstep : 0.0;
            R->keep_lu = f == 0;
        }
        ok = f == 0 ? qp_radau_newton(&R->W, &R->S, an, R->t, hstep, R->x0, R->x1, &R->theta)
                    : -1;
        if (ok == 0 || R->lu_fresh) {
            break;
        }
        R->keep_lu = 0; /* an earlier step's factors failed: the same step with fresh ones */
    }
    if (ok != 0) {
        out->newton_failures++;
        R->singular = f == -1;
        R->h = 0.25 * hstep;
        R->rejected = 1;
        return 0;
    }
    R->singular = 0;
    /* after t = 0 or a corner the algebraic unknowns may jump: the first step fixes them,
     * whatever its size, so they are left out of its error */
    *e = qp_radau_error(&R->W, &R->S, an, R->t, hstep, R->x0, R->f0, R->hp == 0.0 || R->rejected,
                        R->hp == 0.0, R->rhs, R->tmp, R->xm);
    if (!(*e <= 1.0)) {
        out->rejected++;
        R->rejected = 1;
        R->h = hstep * fmax(H_SHRINK_MIN, isfinite(*e) ? SAFETY * pow(*e, -0.25) : 0.1);
        return 0;
    }
    return 1;
}

/* The output samples in (t, tend] of the accepted step, from its collocation polynomial; stored
 * when kept (all with keep, else the second half). 0 when the trace is full (internal error). */
static int emit_samples(run_t *R, double hstep, double tend)
{
    while (R->kout < R->nout && R->next_out <= tend + R->tiny) {
        double tt = fmin(R->next_out, tend);
        if (tt >= 0.0 && (R->keep || R->kout >= qp_tran_half_start(R->nout))) {
            qp_radau_dense(R->n, R->x0, R->W.Z, (tt - R->t) / hstep, R->xm);
            qp_tran_signal_values(&R->S, R->xm, R->row);
            if (!trace_push(&R->tr, R->next_out, R->row)) {
                return 0;
            }
        }
        R->kout++;
        R->next_out = R->tstart + (double)R->kout * R->dt;
    }
    return 1;
}

static void report_progress(run_t *R, qp_progress_fn progress, void *progress_ctx)
{
    if (progress && R->t / R->tstop * 1000.0 >= (double)R->next_report) {
        size_t done = (size_t)(R->t / R->tstop * 1000.0);
        if (done < 1000) {
            progress(progress_ctx, done, 1000);
        }
        R->next_report = done + 10;
    }
}

/* Moves to the end tend of the accepted step (error norm e) and chooses the next step. */
static void accept_step(run_t *R, const qp_circuit *c, const qp_analysis *an, double hstep,
                        double tend, int hit, double e)
{
    size_t n = R->n;
    memcpy(R->xp, R->x0, n * sizeof *R->xp);
    memcpy(R->Zp, R->W.Z, 3 * n * sizeof *R->Zp);
    memcpy(R->x0, R->x1, n * sizeof *R->x0);
    R->hp = hstep;
    R->have_f0 = 0;
    R->lu_fresh = 0;
    R->keep_lu = R->h_lu > 0.0 && R->theta <= THETA_KEEP;
    R->t = tend;
    if (hit) {
        R->brk = qp_tran_next_break(c, an, R->t);
        R->hp = 0.0; /* no extrapolation across a corner */
    }
    /* the error is O(h^4): classical control, tempered by Gustafsson's predictive
     * controller (Hairer-Wanner IV.8, eq. 8.25) which uses the error's trend over the last
     * two steps and avoids the repeated rejections of a step that keeps growing */
    double h = hstep * fmin(H_GROW_MAX, SAFETY * pow(fmax(e, 1e-10), -0.25));
    if (R->hacc > 0.0) {
        double fg = R->hacc / hstep * pow(e * e / R->eacc, 0.25) / SAFETY;
        fg = fmin(1.0 / H_SHRINK_MIN, fmax(1.0 / H_GROW_MAX, fg));
        h = fmin(h, hstep / fg);
    }
    R->hacc = hit ? 0.0 : hstep; /* no error trend across a corner */
    R->eacc = fmax(1e-2, e);
    if (R->rejected) { /* no growth right after a rejection */
        h = fmin(h, hstep);
    }
    if (R->keep_lu && !hit && h >= H_KEEP_LO * hstep && h <= H_KEEP_HI * hstep) {
        h = hstep;
    }
    R->h = fmin(h, R->hwind); /* (resolves_windings) */
    R->rejected = 0;
}

/* The results of a finished run: frequencies, signal names, the traces when kept, .print. */
static qp_status run_finish(run_t *R, const qp_circuit *c, const qp_analysis *an,
                           qp_tran_result *out)
{
    out->steps = R->steps;
    out->samples = R->kout;
    /* without keep_traces only the second half was stored: the analysis needs no more */
    qp_status st = qp_tran_analyse(&R->S, an, &R->tr, !R->keep, out);
    if (st != QP_OK) {
        return st;
    }
    for (size_t k = 0; k < out->nfreq; k++) { /* R->x0 is the state at TSTOP */
        qp_tran_freq *fr = &out->freq[k];
        double x = R->x0[R->S.bvar[fr->element]];
        fr->phase_end = fr->dual ? 2.0 * QP_QE * x : x;
        fr->slips = lround(fr->dual ? x : x / (2.0 * QP_PI));
    }
    /* the signal names always (the report lists them); the samples only when kept */
    out->col = calloc(R->tr.ncol ? R->tr.ncol : 1, sizeof *out->col);
    out->ncol = R->tr.ncol;
    if (!out->col || !qp_tran_signal_names(&R->S, out->col)) {
        return QP_ERR_NOMEM;
    }
    if (R->keep) {
        out->nt = R->tr.nt;
        out->data = R->tr.data;
        R->tr.data = NULL;
    }
    return qp_tran_select_prints(c, an, out);
}

/* The windings of element e in state x: a junction's phase / 2 pi, a phase-slip or Bloch
 * junction's charge / 2e; 0 for the other elements. */
static double windings(const run_t *R, size_t e, const double *x)
{
    const qp_element *el = &R->S.c->elem[e];
    int j = R->S.bvar[e];
    if (j < 0 || (el->kind != QP_EL_B && el->kind != QP_EL_Q)) {
        return 0.0;
    }
    return el->kind == QP_EL_B && !R->S.bloch[e] ? x[j] / (2.0 * QP_PI) : x[j];
}

/* Whether the accepted step of hstep resolves every junction's oscillation: its samples come from
 * the step's cubic collocation polynomial, which follows the phase (a state) closely, but an
 * algebraic current such as a source's, Ic sin(phi) + ..., only while the step covers a small
 * part of a period (a step over two Josephson periods of a voltage-biased junction met rtol at
 * its end and drew I(V) between with an error above Ic). So a step in which a junction's phase
 * (or a phase-slip junction's charge) advances by more than WIND_ANGLE(rtol) radians is taken
 * again, shorter, and the next step is proposed at most that long: the cubic's error on a
 * sinusoid, about (angle)^4 / 480, is then within rtol (WIND_ANGLE). 0 when it is taken again. */
static int resolves_windings(run_t *R, double hstep)
{
    const qp_circuit *c = R->S.c;
    double most = 0.0, limit = WIND_ANGLE(R->S.rtol) / (2.0 * QP_PI);
    for (size_t e = 0; e < c->nelem; e++) {
        most = fmax(most, fabs(windings(R, e, R->x1) - windings(R, e, R->x0)));
    }
    R->hwind = most > 0.0 ? hstep * limit / most : INFINITY;
    if (most <= limit) {
        return 1;
    }
    R->h = SAFETY * R->hwind;
    R->rejected = 1;
    return 0;
}

/* A TSTEP that cannot resolve the run, found while it runs rather than after it: when a junction
 * winds ALIAS_WINDINGS times between two samples, its traces have under 1/ALIAS_WINDINGS samples
 * a period, and a long TSTOP would spend minutes on steps no sample shows (`.tran 1m 1m` on a
 * 10 uV bias: 67 s, then the Nyquist refusal). Checked every WIND_EVERY steps. */
#define ALIAS_WINDINGS 1000.0
#define WIND_EVERY 64
static qp_status alias_guard(run_t *R, char *err, size_t errlen)
{
    const qp_circuit *c = R->S.c;
    int fresh = R->kout != R->kwind || R->steps == 0;
    if (!fresh && R->steps % WIND_EVERY != 0) {
        return QP_OK;
    }
    for (size_t e = 0; !fresh && e < c->nelem; e++) {
        double w = windings(R, e, R->x0), adv = fabs(w - R->wind0[e]);
        /* the advice from its latest rate: the first windings may be a slow start */
        double f = R->t > R->tlast ? fabs(w - R->wlast[e]) / (R->t - R->tlast) : 0.0;
        f = fmax(f, adv / (R->t - R->twind));
        if (adv >= ALIAS_WINDINGS) {
            qp_errf(err, errlen, "TSTEP = %.4g s cannot resolve %s: between t = %.4g s and "
                    "%.4g s, inside one sample interval, it made %.0f periods (now about "
                    "%.4g Hz, %.2g samples per period; 2 or more are needed, Nyquist); use TSTEP "
                    "< %.4g s (%.4g s or less for 4 samples per period)", R->dt,
                    c->elem[e].name, R->twind, R->t, adv, f, 1.0 / (f * R->dt), 1.0 / (2.0 * f),
                    1.0 / (4.0 * f));
            return QP_ERR_INPUT;
        }
    }
    for (size_t e = 0; e < c->nelem; e++) {
        R->wlast[e] = windings(R, e, R->x0);
        R->wind0[e] = fresh ? R->wlast[e] : R->wind0[e];
    }
    R->tlast = R->t;
    if (fresh) {
        R->twind = R->t;
        R->kwind = R->kout;
    }
    return QP_OK;
}

qp_status qp_tran_run(const qp_circuit *c, const qp_analysis *an, int keep_traces,
                      qp_progress_fn progress, void *progress_ctx, qp_tran_result *out,
                      char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    run_t R;
    qp_status st = run_init(&R, c, an, keep_traces, out, err, errlen);
    if (st != QP_OK) {
        goto done;
    }
    if (progress) {
        progress(progress_ctx, 0, 1000);
    }
    if (R.next_out <= 0.0) { /* the sample at t = 0 */
        qp_tran_signal_values(&R.S, R.x0, R.row);
        if ((R.keep || qp_tran_half_start(R.nout) == 0) && !trace_push(&R.tr, 0.0, R.row)) {
            st = QP_ERR_NOMEM;
            goto done;
        }
        R.kout = 1;
        R.next_out = R.tstart + R.dt;
    }
    while (R.t < R.tstop - R.tiny && R.kout < R.nout) {
        double hstep = 0.0, e = 0.0;
        int hit = 0;
        st = step_length(&R, c, an, &hstep, &hit, err, errlen);
        if (st != QP_OK) {
            goto done;
        }
        if (!attempt(&R, an, hstep, out, &e) || !resolves_windings(&R, hstep)) {
            continue;
        }
        double tend = R.t + hstep;
        if (!emit_samples(&R, hstep, tend) || !qp_tran_tline_push(&R.S, R.t, hstep, R.x0, R.W.Z)) {
            st = QP_ERR_NOMEM;
            goto done;
        }
        report_progress(&R, progress, progress_ctx);
        accept_step(&R, c, an, hstep, tend, hit, e);
        st = alias_guard(&R, err, errlen);
        if (st != QP_OK) {
            goto done;
        }
        if (++R.steps > R.max_steps) {
            st = QP_ERR_NUMERIC;
            qp_errf(err, errlen, "more than %lu steps", R.max_steps);
            goto done;
        }
    }
    if (progress) {
        progress(progress_ctx, 1000, 1000);
    }
    st = run_finish(&R, c, an, out);
done:
    if (st != QP_OK) {
        qp_tran_free(out);
    }
    run_free(&R);
    return st;
}
