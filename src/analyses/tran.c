/* .tran: circuit equations A x' + g(t, x) = 0 (A constant) integrated by Radau IIA.
 *
 * Unknowns x: the voltages of the non-ground nodes, then one per branch that needs it: the
 * current of every inductor and voltage source, the phase phi of every RCSJ junction, and the
 * charge q (in units of 2e) passed through every phase-slip junction and Bloch-band junction.
 * Rows: Kirchhoff's current law per node (currents leaving the node), then one row per branch:
 *   inductor   L i' + sum M i_k' - v = 0
 *   V source   v - V(t) = 0
 *   junction   (Phi0/2pi) phi' - v = 0;  its current Ic sin(phi) + v/Rn + C v'
 *   phase slip v - Vc sin(2 pi q) = 0;    its current 2e q'
 *   Bloch      v - (h/2e) dE0/dq(q) = 0; its current 2e q' (E0: lowest band, its own C included)
 * with v = v(n+) - v(n-). Every state starts at zero (uncharged capacitors, no currents, phases
 * 0): SPICE's "use initial conditions" start.
 *
 * Integrator: 3-stage Radau IIA (order 5, stiffly accurate, L-stable, fit for these index-1
 * DAEs) with simplified Newton on the stage equations (one LU per step from the Jacobian at its
 * start; solve/lu.c: an inline elimination for small circuits, LAPACK beyond), the local
 * error from Hairer and Wanner's embedded estimate (RADAU5; O(h^4), one more n x n LU and one or
 * two solves per step) with Gustafsson's step-size controller, and output at the requested TSTEP
 * from the step's collocation polynomial (dense output of order 3, the order the error estimate
 * controls). The step lands on every source
 * breakpoint. (Until session 3 the error came from step doubling, three Radau solves per step:
 * measured 1.3-2x slower to the same frequency accuracy, see docs/performance.md.) */
#include "qpsim/tran.h"

#include "qpsim/bands.h"
#include "base/strbuf.h"
#include "qpsim/units.h"

#include "circuit/shunt.h"
#include "solve/fft.h"
#include "solve/lu.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_RTOL 1e-5      /* local error per step, relative to each variable's scale */
#define NEWTON_MAX 10          /* iterations per stage solve before the step is cut */
#define NEWTON_TOL 1e-2        /* Newton stops when the update is this fraction of the tolerance */
#define NEWTON_CONTRACT 0.9    /* ... and gives up when an update is not this much smaller */
#define H_GROW_MAX 4.0
#define H_SHRINK_MIN 0.2
#define SAFETY 0.9
#define MAX_STEPS 200000000UL  /* accepted steps before giving up */
#define SPAN_STEPS_MIN 50.0    /* the step never exceeds (TSTOP - start) / this */

/* Radau IIA, 3 stages */
#define S6 2.449489742783178098197284
static const double RC[3] = {(4.0 - S6) / 10.0, (4.0 + S6) / 10.0, 1.0};
static const double RA[3][3] = {
    {(88.0 - 7.0 * S6) / 360.0, (296.0 - 169.0 * S6) / 1800.0, (-2.0 + 3.0 * S6) / 225.0},
    {(296.0 + 169.0 * S6) / 1800.0, (88.0 + 7.0 * S6) / 360.0, (-2.0 - 3.0 * S6) / 225.0},
    {(16.0 - S6) / 36.0, (16.0 + S6) / 36.0, 1.0 / 9.0}};

typedef enum { VAR_V, VAR_I, VAR_PHI, VAR_Q } var_kind;

typedef struct {
    const qp_circuit *c;
    size_t nn;        /* non-ground nodes */
    size_t n;         /* unknowns */
    int *bvar;        /* per element: its branch unknown or -1 */
    var_kind *vk;     /* per unknown */
    double *A;        /* n x n, column-major */
    double v0, i0;    /* voltage and current scales */
    double rtol;
    qp_bands *band;   /* per element (Bloch junctions) or NULL entries */
    int *bloch;       /* per element: the Bloch-band model is used */
    int *absorbed;    /* per element: a capacitor absorbed into a Bloch junction's band */
    int *alg;         /* per unknown: not differentiated (its column of A is zero) */
} sys;

/* ---------------------------------------------------------------- sources */

/* pulse(V1 V2 TD TR TF PW PER) with SPICE's defaults: TR, TF 0 -> TSTEP, PW -> TSTOP, no PER ->
 * a single pulse (INFINITY). */
typedef struct {
    double v1, v2, td, tr, tf, pw, per;
} pulse_t;

static pulse_t pulse_of(const qp_wave *w, double tstep, double tstop)
{
    const double *p = w->p;
    size_t n = w->np;
    pulse_t u = {p[0], p[1], n > 2 ? p[2] : 0.0, n > 3 && p[3] > 0.0 ? p[3] : tstep,
                 n > 4 && p[4] > 0.0 ? p[4] : tstep, n > 5 ? p[5] : tstop,
                 n > 6 && p[6] > 0.0 ? p[6] : INFINITY};
    return u;
}

static double wave_value(const qp_wave *w, double t, double tstep, double tstop)
{
    const double *p = w->p;
    switch (w->kind) {
    case QP_WAVE_DC:
        return w->dc;
    case QP_WAVE_SIN: {
        double vo = p[0], va = p[1], f = p[2], td = w->np > 3 ? p[3] : 0.0;
        double th = w->np > 4 ? p[4] : 0.0, ph = w->np > 5 ? p[5] * QP_PI / 180.0 : 0.0;
        if (t < td) {
            return vo + va * sin(ph);
        }
        return vo + va * exp(-(t - td) * th) * sin(2.0 * QP_PI * f * (t - td) + ph);
    }
    case QP_WAVE_PULSE: {
        pulse_t q = pulse_of(w, tstep, tstop);
        double v1 = q.v1, v2 = q.v2, td = q.td, tr = q.tr, tf = q.tf, pw = q.pw, per = q.per;
        if (t < td) {
            return v1;
        }
        double u = t - td;
        if (isfinite(per)) {
            u = fmod(u, per);
        }
        if (u < tr) {
            return v1 + (v2 - v1) * u / tr;
        }
        if (u < tr + pw) {
            return v2;
        }
        if (u < tr + pw + tf) {
            return v2 + (v1 - v2) * (u - tr - pw) / tf;
        }
        return v1;
    }
    case QP_WAVE_PWL: {
        size_t m = w->np / 2;
        if (t <= p[0]) {
            return p[1];
        }
        for (size_t k = 1; k < m; k++) {
            if (t <= p[2 * k]) {
                double t0 = p[2 * k - 2], t1 = p[2 * k];
                return t1 > t0 ? p[2 * k - 1] + (p[2 * k + 1] - p[2 * k - 1]) * (t - t0) / (t1 - t0)
                               : p[2 * k + 1];
            }
        }
        return p[2 * m - 1];
    }
    }
    return 0.0;
}

/* The first corner of a source waveform after t (INFINITY when none). */
static double wave_break(const qp_wave *w, double t, double tstep, double tstop)
{
    const double *p = w->p;
    double eps = 1e-12 * (fabs(t) + tstep);
    switch (w->kind) {
    case QP_WAVE_DC:
        return INFINITY;
    case QP_WAVE_SIN: {
        double td = w->np > 3 ? p[3] : 0.0;
        return td > t + eps ? td : INFINITY;
    }
    case QP_WAVE_PULSE: {
        pulse_t q = pulse_of(w, tstep, tstop);
        double td = q.td, tr = q.tr, tf = q.tf, pw = q.pw, per = q.per;
        if (t + eps < td) {
            return td;
        }
        double base = td;
        if (isfinite(per)) {
            base += per * floor((t - td) / per);
        }
        const double corner[4] = {0.0, tr, tr + pw, tr + pw + tf};
        for (int rep = 0; rep < 2; rep++) {
            for (int k = 0; k < 4; k++) {
                if (base + corner[k] > t + eps) {
                    return base + corner[k];
                }
            }
            if (!isfinite(per)) {
                break;
            }
            base += per;
        }
        return INFINITY;
    }
    case QP_WAVE_PWL:
        for (size_t k = 0; k < w->np / 2; k++) {
            if (p[2 * k] > t + eps) {
                return p[2 * k];
            }
        }
        return INFINITY;
    }
    return INFINITY;
}

/* Sources are switched on linearly over the first TSTEP: the circuit starts at rest, and a
 * source that jumped at t = 0 would ask for an instant jump of a capacitor voltage or an
 * inductor current (a dc current into an inductor, a dc voltage across a capacitor), which no
 * integrator can take; SPICE avoids it with an operating point, qpsim with this ramp. */
static double switch_on(const qp_analysis *an, double t)
{
    return t >= an->tstep ? 1.0 : (t > 0.0 ? t / an->tstep : 0.0);
}

/* ---------------------------------------------------------------- the equations */

static double vdiff(const qp_element *e, const double *x)
{
    double a = e->n[0] > 0 ? x[e->n[0] - 1] : 0.0, b = e->n[1] > 0 ? x[e->n[1] - 1] : 0.0;
    return a - b;
}

/* J[row + col n] += val, with ground (-1) skipped */
static void jadd(double *J, size_t n, int row, int col, double val)
{
    if (J && row >= 0 && col >= 0) {
        J[(size_t)row + (size_t)col * n] += val;
    }
}

/* Voltage across a Bloch junction at charge q (units of 2e) and its derivative in q. */
static double bloch_v(const qp_bands *b, double q, double *dv)
{
    const double k = QP_H * QP_GHZ / (2.0 * QP_QE); /* GHz per unit q -> volts */
    if (dv) {
        double d = 0.0; /* second derivative of the series */
        for (int m = 1; m < b->e0.nc; m++) {
            double w = 2.0 * QP_PI * m;
            d -= w * w * b->e0.c[m] * cos(w * q);
        }
        *dv = k * d;
    }
    return k * qp_band_slope(&b->e0, q);
}

/* cos(x) kept out of line: next to sin(x) of the same argument the compiler would compute both
 * (sincos) on every call, though cos is only needed for the Jacobian, once per step. */
__attribute__((noinline)) static double cos_apart(double x)
{
    return cos(x);
}

/* f = -g(t, x) and, when J is not NULL, J = df/dx (n x n, column-major). */
static void eval_f(const sys *S, const qp_analysis *an, double t, const double *x, double *f,
                   double *J)
{
    const qp_circuit *c = S->c;
    size_t n = S->n;
    memset(f, 0, n * sizeof *f);
    if (J) {
        memset(J, 0, n * n * sizeof *J);
    }
    for (size_t k = 0; k < c->nelem; k++) {
        const qp_element *e = &c->elem[k];
        int ia = e->n[0] - 1, ib = e->n[1] - 1, j = S->bvar[k];
        double v = e->kind == QP_EL_K ? 0.0 : vdiff(e, x), cur = 0.0;
        switch (e->kind) {
        case QP_EL_C:
        case QP_EL_K:
            continue;
        case QP_EL_R:
            cur = v / e->value;
            jadd(J, n, ia, ia, -1.0 / e->value), jadd(J, n, ia, ib, 1.0 / e->value);
            jadd(J, n, ib, ia, 1.0 / e->value), jadd(J, n, ib, ib, -1.0 / e->value);
            break;
        case QP_EL_L:
            cur = x[j];
            jadd(J, n, ia, j, -1.0), jadd(J, n, ib, j, 1.0);
            f[j] = v; /* L i' = v */
            jadd(J, n, j, ia, 1.0), jadd(J, n, j, ib, -1.0);
            break;
        case QP_EL_I:
            cur = switch_on(an, t) * wave_value(&e->wave, t, an->tstep, an->tstop);
            break;
        case QP_EL_V:
            cur = x[j];
            jadd(J, n, ia, j, -1.0), jadd(J, n, ib, j, 1.0);
            f[j] = -(v - switch_on(an, t) * wave_value(&e->wave, t, an->tstep, an->tstop));
            jadd(J, n, j, ia, -1.0), jadd(J, n, j, ib, 1.0);
            break;
        case QP_EL_B:
            if (S->bloch[k]) {
                double dv = 0.0, vb = bloch_v(&S->band[k], x[j], &dv);
                f[j] = -(v - vb);
                jadd(J, n, j, ia, -1.0), jadd(J, n, j, ib, 1.0), jadd(J, n, j, j, dv);
                if (e->rn > 0.0) {
                    cur = v / e->rn;
                    jadd(J, n, ia, ia, -1.0 / e->rn), jadd(J, n, ia, ib, 1.0 / e->rn);
                    jadd(J, n, ib, ia, 1.0 / e->rn), jadd(J, n, ib, ib, -1.0 / e->rn);
                }
                break;
            }
            cur = e->ic * sin(x[j]);
            if (J) {
                double g = e->ic * cos_apart(x[j]);
                jadd(J, n, ia, j, -g), jadd(J, n, ib, j, g);
            }
            if (e->rn > 0.0) {
                cur += v / e->rn;
                jadd(J, n, ia, ia, -1.0 / e->rn), jadd(J, n, ia, ib, 1.0 / e->rn);
                jadd(J, n, ib, ia, 1.0 / e->rn), jadd(J, n, ib, ib, -1.0 / e->rn);
            }
            f[j] = v; /* (Phi0/2pi) phi' = v */
            jadd(J, n, j, ia, 1.0), jadd(J, n, j, ib, -1.0);
            break;
        case QP_EL_Q:
            f[j] = -(v - e->vc * sin(2.0 * QP_PI * x[j]));
            if (J) {
                jadd(J, n, j, ia, -1.0), jadd(J, n, j, ib, 1.0);
                jadd(J, n, j, j, e->vc * 2.0 * QP_PI * cos(2.0 * QP_PI * x[j]));
            }
            break;
        }
        /* the element's current leaves n+ and enters n-: A x' + g = 0 with g += cur at n+ */
        if (ia >= 0) {
            f[ia] -= cur;
        }
        if (ib >= 0) {
            f[ib] += cur;
        }
    }
}

/* ---------------------------------------------------------------- set-up */

static void sys_free(sys *S)
{
    if (S->band) {
        for (size_t k = 0; k < S->c->nelem; k++) {
            qp_bands_free(&S->band[k]);
        }
    }
    free(S->band);
    free(S->bloch);
    free(S->absorbed);
    free(S->alg);
    free(S->bvar);
    free(S->vk);
    free(S->A);
    memset(S, 0, sizeof *S);
}

static qp_status sys_build(sys *S, const qp_circuit *c, double an_tstep, char *err,
                           size_t errlen)
{
    memset(S, 0, sizeof *S);
    S->c = c;
    S->nn = c->nnodes - 1;
    size_t ne = c->nelem ? c->nelem : 1;
    S->bvar = malloc(ne * sizeof *S->bvar);
    S->bloch = calloc(ne, sizeof *S->bloch);
    S->absorbed = calloc(ne, sizeof *S->absorbed);
    S->band = calloc(ne, sizeof *S->band);
    if (!S->bvar || !S->bloch || !S->absorbed || !S->band) {
        qp_errf(err, errlen, "out of memory");
        return QP_ERR_NOMEM;
    }
    size_t n = S->nn;
    double vmax = 0.0, imax = 0.0;
    for (size_t k = 0; k < c->nelem; k++) {
        const qp_element *e = &c->elem[k];
        S->bvar[k] = -1;
        switch (e->kind) {
        case QP_EL_L:
        case QP_EL_V:
        case QP_EL_B:
        case QP_EL_Q:
            S->bvar[k] = (int)n++;
            break;
        default:
            break;
        }
        if (e->kind == QP_EL_B) {
            S->bloch[k] = e->bloch;
            imax = fmax(imax, e->ic);
            vmax = fmax(vmax, e->rn > 0.0 ? e->ic * e->rn : 0.0);
        } else if (e->kind == QP_EL_Q) {
            vmax = fmax(vmax, e->vc);
        } else if (e->kind == QP_EL_V || e->kind == QP_EL_I) {
            pulse_t q = e->wave.kind == QP_WAVE_PULSE ? pulse_of(&e->wave, an_tstep, 0.0)
                                                      : (pulse_t){0};
            if (e->wave.kind == QP_WAVE_PULSE && isfinite(q.per) && q.per < q.tr + q.pw + q.tf) {
                qp_errf(err, errlen, "%s: the pulse period %g s is shorter than its rise, width "
                        "and fall (%g s)", e->name, q.per, q.tr + q.pw + q.tf);
                return QP_ERR_INPUT;
            }
            double a = fabs(e->wave.dc);
            for (size_t p = 0; p < e->wave.np && e->wave.kind != QP_WAVE_PULSE; p++) {
                a = fmax(a, e->wave.kind == QP_WAVE_PWL && p % 2 == 0 ? 0.0 : fabs(e->wave.p[p]));
            }
            if (e->wave.kind == QP_WAVE_SIN) {
                a = fabs(e->wave.p[0]) + fabs(e->wave.p[1]);
            } else if (e->wave.kind == QP_WAVE_PULSE) {
                a = fmax(fabs(e->wave.p[0]), fabs(e->wave.p[1]));
            }
            if (e->kind == QP_EL_V) {
                vmax = fmax(vmax, a);
            } else {
                imax = fmax(imax, a);
            }
        }
    }
    S->n = n;
    S->vk = malloc((n ? n : 1) * sizeof *S->vk);
    S->A = calloc(n > 0 ? n * n : 1, sizeof *S->A);
    if (!S->vk || !S->A) {
        qp_errf(err, errlen, "out of memory");
        return QP_ERR_NOMEM;
    }
    for (size_t i = 0; i < S->nn; i++) {
        S->vk[i] = VAR_V;
    }
    /* Bloch junctions: their own capacitance plus the capacitors between the same two nodes go
     * into the band (EC), so those capacitors leave the network. */
    for (size_t k = 0; k < c->nelem; k++) {
        const qp_element *e = &c->elem[k];
        if (!S->bloch[k]) {
            continue;
        }
        for (size_t m = 0; m < c->nelem; m++) {
            const qp_element *x = &c->elem[m];
            int same = qp_shunt_parallel(x, e);
            if (same && m != k && x->kind == QP_EL_B && S->bloch[m]) {
                qp_errf(err, errlen, "%s and %s: two Bloch-band junctions between the same nodes "
                     "(a SQUID) have no single band in this model", e->name, x->name);
                return QP_ERR_INPUT;
            }
            if (x->kind == QP_EL_C && same) {
                S->absorbed[m] = 1;
            }
        }
        double cap = qp_shunt_capacitance(c, k);
        if (!(cap > 0.0)) {
            qp_errf(err, errlen, "%s: the Bloch-band model needs the junction's capacitance (c= or a "
                              "capacitor between the same nodes)", e->name);
            return QP_ERR_INPUT;
        }
        char berr[200] = "";
        qp_status st = qp_bands_compute(qp_units_ec_from_c(cap), qp_units_ej_from_ic(e->ic), 1,
                                        2, &S->band[k], berr, sizeof berr);
        if (st != QP_OK) {
            qp_errf(err, errlen, "%s: Bloch band: %s", e->name, berr);
            return st;
        }
        vmax = fmax(vmax, QP_H * QP_GHZ * S->band[k].slope_max / (2.0 * QP_QE));
    }
    S->v0 = vmax > 0.0 ? vmax : 1e-6;
    S->i0 = imax > 0.0 ? imax : 1e-9;
    /* A: capacitances, inductances, Phi0/2pi, 2e */
    size_t N = n;
    for (size_t k = 0; k < c->nelem; k++) {
        const qp_element *e = &c->elem[k];
        int ia = e->n[0] - 1, ib = e->n[1] - 1, j = S->bvar[k];
        double cap = 0.0;
        if (e->kind == QP_EL_C && !S->absorbed[k]) {
            cap = e->value;
        } else if (e->kind == QP_EL_B && !S->bloch[k]) {
            cap = e->cap;
        }
        if (cap > 0.0) {
            jadd(S->A, N, ia, ia, cap), jadd(S->A, N, ia, ib, -cap);
            jadd(S->A, N, ib, ia, -cap), jadd(S->A, N, ib, ib, cap);
        }
        switch (e->kind) {
        case QP_EL_L:
            S->vk[j] = VAR_I;
            jadd(S->A, N, j, j, e->value);
            break;
        case QP_EL_V:
            S->vk[j] = VAR_I;
            break;
        case QP_EL_B:
            if (S->bloch[k]) {
                S->vk[j] = VAR_Q;
                jadd(S->A, N, ia, j, 2.0 * QP_QE), jadd(S->A, N, ib, j, -2.0 * QP_QE);
            } else {
                S->vk[j] = VAR_PHI;
                jadd(S->A, N, j, j, QP_PHI0 / (2.0 * QP_PI));
            }
            break;
        case QP_EL_Q:
            S->vk[j] = VAR_Q;
            jadd(S->A, N, ia, j, 2.0 * QP_QE), jadd(S->A, N, ib, j, -2.0 * QP_QE);
            break;
        case QP_EL_K: {
            int j1 = S->bvar[e->lk[0]], j2 = S->bvar[e->lk[1]];
            double m = e->value * sqrt(c->elem[e->lk[0]].value * c->elem[e->lk[1]].value);
            jadd(S->A, N, j1, j2, m), jadd(S->A, N, j2, j1, m);
            break;
        }
        default:
            break;
        }
    }
    S->alg = calloc(n ? n : 1, sizeof *S->alg);
    if (!S->alg) {
        qp_errf(err, errlen, "out of memory");
        return QP_ERR_NOMEM;
    }
    for (size_t q = 0; q < n; q++) {
        S->alg[q] = 1;
        for (size_t r = 0; r < n; r++) {
            S->alg[q] &= S->A[r + q * n] == 0.0;
        }
    }
    return QP_OK;
}

/* ---------------------------------------------------------------- one Radau step */

typedef struct {
    size_t n;
    double *Z, *F, *M, *rhs, *x; /* stages, f at the stages, Newton matrix (LU), update, point */
    lp_int *piv;
} work_t;

static void work_free(work_t *w)
{
    free(w->Z), free(w->F), free(w->M), free(w->rhs), free(w->x), free(w->piv);
}

static int work_init(work_t *w, size_t n)
{
    memset(w, 0, sizeof *w);
    w->n = n;
    size_t m = 3 * n;
    w->Z = calloc(m, sizeof *w->Z);
    w->F = calloc(m, sizeof *w->F);
    w->M = calloc(m * m, sizeof *w->M);
    w->rhs = calloc(m, sizeof *w->rhs);
    w->x = calloc(n, sizeof *w->x);
    w->piv = calloc(m, sizeof *w->piv);
    return w->Z && w->F && w->M && w->rhs && w->x && w->piv;
}

/* Error weight of unknown i: rtol times its scale (phases and charges absolutely, because they
 * grow without bound while their errors must not). */
static double weight(const sys *S, size_t i, double a, double b)
{
    switch (S->vk[i]) {
    case VAR_V:
        return S->rtol * fmax(S->v0, fmax(fabs(a), fabs(b)));
    case VAR_I:
        return S->rtol * fmax(S->i0, fmax(fabs(a), fabs(b)));
    case VAR_PHI:
    case VAR_Q:
        return S->rtol;
    }
    return S->rtol;
}

/* Solves the stage equations A Z_i = h sum_j a_ij f(t + c_j h, x0 + Z_j) by simplified Newton
 * from the guess in w->Z: the Jacobian J0 at the step's start (n x n) gives the matrix
 * I (x) A - h RA (x) J0, factored once per step; each iteration evaluates f at the stages and
 * solves with those factors. Stops when the update is below NEWTON_TOL of the tolerance, fails
 * when it stops contracting. On success x1 = x0 + Z_3. Returns 0, -1 when Newton does not
 * converge, -2 when its matrix is singular. */
static int radau_step(const sys *S, const qp_analysis *an, double t, double h, const double *x0,
                      const double *J0, work_t *w, double *x1)
{
    size_t n = S->n, m = 3 * n;
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            for (size_t q = 0; q < n; q++) {
                for (size_t r = 0; r < n; r++) {
                    double v = -h * RA[i][j] * J0[r + q * n];
                    if (i == j) {
                        v += S->A[r + q * n];
                    }
                    w->M[((size_t)i * n + r) + ((size_t)j * n + q) * m] = v;
                }
            }
        }
    }
    int f = qp_lu_factor(m, w->M, w->piv);
    if (f != 0) {
        return f == -2 ? -1 : -2;
    }
    double prev = INFINITY;
    for (int it = 0; it < NEWTON_MAX; it++) {
        for (int s = 0; s < 3; s++) {
            for (size_t i = 0; i < n; i++) {
                w->x[i] = x0[i] + w->Z[(size_t)s * n + i];
            }
            eval_f(S, an, t + RC[s] * h, w->x, w->F + (size_t)s * n, NULL);
        }
        /* residual R_i = A Z_i - h sum_j a_ij F_j */
        for (int i = 0; i < 3; i++) {
            for (size_t r = 0; r < n; r++) {
                double acc = 0.0;
                for (size_t q = 0; q < n; q++) {
                    acc += S->A[r + q * n] * w->Z[(size_t)i * n + q];
                }
                for (int j = 0; j < 3; j++) {
                    acc -= h * RA[i][j] * w->F[(size_t)j * n + r];
                }
                w->rhs[(size_t)i * n + r] = -acc;
            }
        }
        qp_lu_solve(m, w->M, w->piv, w->rhs);
        double norm = 0.0;
        for (size_t p = 0; p < m; p++) {
            w->Z[p] += w->rhs[p];
            size_t i = p % n;
            double d = w->rhs[p] / weight(S, i, x0[i], x0[i] + w->Z[p]);
            norm = fmax(norm, fabs(d));
        }
        if (!isfinite(norm)) {
            return -1;
        }
        if (norm <= NEWTON_TOL) {
            for (size_t i = 0; i < n; i++) {
                x1[i] = x0[i] + w->Z[2 * n + i];
            }
            return 0;
        }
        if (it >= 1 && norm >= NEWTON_CONTRACT * prev) { /* not contracting: a smaller step */
            return -1;
        }
        prev = norm;
    }
    return -1;
}

/* The collocation polynomial of a step from x0 with stages Z at t0 + s h, s in [0, 1]:
 * Lagrange interpolation through (0, x0), (c_i, x0 + Z_i). */
static void dense_eval(size_t n, const double *x0, const double *Z, double s, double *out)
{
    const double nodes[4] = {0.0, RC[0], RC[1], RC[2]};
    double L[4];
    for (int a = 0; a < 4; a++) {
        L[a] = 1.0;
        for (int b = 0; b < 4; b++) {
            if (a != b) {
                L[a] *= (s - nodes[b]) / (nodes[a] - nodes[b]);
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = x0[i] + L[1] * Z[i] + L[2] * Z[n + i] + L[3] * Z[2 * n + i];
    }
}

/* Hairer and Wanner's embedded error estimate for Radau IIA (RADAU5, "Solving ODEs II" IV.8):
 * err = (g0/h A - J0)^-1 (f(t, x0) + A sum_k e_k Z_k / h) with the Jacobian J0 at the step's
 * start, an O(h^4) estimate filtered through the (g0/h A - J0) solve so that stiff and
 * algebraic components do not inflate it. When it is large on a first step or after a
 * rejection, it is refined once with f evaluated at x0 + err. f0, J0 are f and df/dx at
 * (t, x0); tmp, rhs hold n values, M n x n, piv n. Returns the scaled max norm or INFINITY. */
#define RADAU_G0 3.637834252744495732208418 /* the real eigenvalue of RA^-1 (RADAU5's 1/U1) */
static double embedded_error(const sys *S, const qp_analysis *an, double t, double h,
                             const double *x0, const double *Z, const double *f0,
                             const double *J0, int refine, int skip_alg, double *M,
                             lp_int *piv, double *rhs, double *tmp, double *err)
{
    static const double E1 = -(13.0 + 7.0 * S6) / 3.0, E2 = (-13.0 + 7.0 * S6) / 3.0,
                        E3 = -1.0 / 3.0;
    size_t n = S->n;
    double *az = tmp; /* A sum e_k Z_k / h */
    for (size_t i = 0; i < n; i++) {
        rhs[i] = (E1 * Z[i] + E2 * Z[n + i] + E3 * Z[2 * n + i]) / h;
    }
    for (size_t r = 0; r < n; r++) {
        double acc = 0.0;
        for (size_t q = 0; q < n; q++) {
            acc += S->A[r + q * n] * rhs[q];
        }
        az[r] = acc;
    }
    for (size_t q = 0; q < n * n; q++) {
        M[q] = RADAU_G0 / h * S->A[q] - J0[q];
    }
    if (qp_lu_factor(n, M, piv) != 0) {
        return INFINITY;
    }
    double e = 0.0;
    for (int pass = 0; pass < 2; pass++) { /* the refinement reuses the factors */
        if (pass == 0) {
            for (size_t i = 0; i < n; i++) {
                rhs[i] = f0[i] + az[i];
            }
        } else {
            for (size_t i = 0; i < n; i++) {
                err[i] += x0[i];
            }
            eval_f(S, an, t, err, rhs, NULL);
            for (size_t i = 0; i < n; i++) {
                rhs[i] += az[i];
            }
        }
        qp_lu_solve(n, M, piv, rhs);
        e = 0.0;
        for (size_t i = 0; i < n; i++) {
            err[i] = rhs[i];
            if (!(skip_alg && S->alg[i])) {
                e = fmax(e, fabs(rhs[i]) / weight(S, i, x0[i], x0[i] + Z[2 * n + i]));
            }
        }
        if (!(e >= 1.0 && refine)) {
            break;
        }
    }
    return isfinite(e) ? e : INFINITY;
}

/* Stage guess for a step of h from the previous step's polynomial (length hp, stages Zp, start
 * xp): extrapolated to t + c_i h; zero when there is no previous step. */
static void guess(size_t n, const double *xp, const double *Zp, double hp, double h,
                  const double *x0, double *Z, double *tmp)
{
    if (!(hp > 0.0)) {
        memset(Z, 0, 3 * n * sizeof *Z);
        return;
    }
    for (int s = 0; s < 3; s++) {
        dense_eval(n, xp, Zp, 1.0 + RC[s] * h / hp, tmp);
        for (size_t i = 0; i < n; i++) {
            Z[(size_t)s * n + i] = tmp[i] - x0[i];
        }
    }
}

/* ---------------------------------------------------------------- outputs */

typedef struct {
    size_t cap, nt, ncol;
    double *data;
} trace;

/* Appends a sample; the buffer is allocated for every sample the run stores, so a full buffer
 * is an internal error (0). */
static int trace_push(trace *tr, double t, const double *row)
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

/* The signals recorded at each output time: node voltages, then per branch. */
static size_t signal_count(const sys *S)
{
    size_t k = S->nn;
    for (size_t e = 0; e < S->c->nelem; e++) {
        switch (S->c->elem[e].kind) {
        case QP_EL_L:
        case QP_EL_V:
            k += 1; /* I() */
            break;
        case QP_EL_B:
            k += S->bloch[e] ? 2 : 3; /* V, P/Q, Is/I... */
            break;
        case QP_EL_Q:
            k += 2; /* V, Q */
            break;
        default:
            break;
        }
    }
    return k;
}

static int signal_names(const sys *S, char **col)
{
    const qp_circuit *c = S->c;
    size_t k = 0;
    char buf[600];
    for (size_t i = 0; i < S->nn; i++) {
        snprintf(buf, sizeof buf, "V(%s)", c->node_names[i + 1]);
        if (!(col[k++] = qp_strdup(buf))) {
            return 0;
        }
    }
    for (size_t e = 0; e < c->nelem; e++) {
        const qp_element *el = &c->elem[e];
        const char *fmt[3] = {NULL, NULL, NULL};
        if (el->kind == QP_EL_L || el->kind == QP_EL_V) {
            fmt[0] = "I(%s)";
        } else if (el->kind == QP_EL_B && !S->bloch[e]) {
            fmt[0] = "V(%s)", fmt[1] = "P(%s)", fmt[2] = "Is(%s)";
        } else if (el->kind == QP_EL_B || el->kind == QP_EL_Q) {
            fmt[0] = "V(%s)", fmt[1] = "Q(%s)";
        }
        for (int m = 0; m < 3 && fmt[m]; m++) {
            snprintf(buf, sizeof buf, fmt[m], el->name);
            if (!(col[k++] = qp_strdup(buf))) {
                return 0;
            }
        }
    }
    return 1;
}

static void signal_values(const sys *S, const double *x, double *row)
{
    const qp_circuit *c = S->c;
    size_t k = 0;
    for (size_t i = 0; i < S->nn; i++) {
        row[k++] = x[i];
    }
    for (size_t e = 0; e < c->nelem; e++) {
        const qp_element *el = &c->elem[e];
        int j = S->bvar[e];
        if (el->kind == QP_EL_L || el->kind == QP_EL_V) {
            row[k++] = x[j];
        } else if (el->kind == QP_EL_B && !S->bloch[e]) {
            row[k++] = vdiff(el, x);
            row[k++] = x[j];
            row[k++] = el->ic * sin(x[j]);
        } else if (el->kind == QP_EL_B || el->kind == QP_EL_Q) {
            /* the voltage from the element's own law V(q): exact on the interpolated charge */
            row[k++] = el->kind == QP_EL_Q ? el->vc * sin(2.0 * QP_PI * x[j])
                                           : bloch_v(&S->band[e], x[j], NULL);
            row[k++] = 2.0 * QP_QE * x[j];
        }
    }
}

/* ---------------------------------------------------------------- frequency estimators */

static double sample_at(const double *x, size_t n, double u);

/* Integral of the samples x (unit spacing) from fractional index u1 to u2: trapezoids between
 * whole samples, the two end pieces from the cubic through neighbouring samples. */
static double integral(const double *x, size_t n, double u1, double u2)
{
    size_t i1 = (size_t)ceil(u1), i2 = (size_t)floor(u2);
    if (!(u2 > u1) || i2 >= n) {
        return 0.0;
    }
    if (i1 > i2) {
        return 0.5 * (sample_at(x, n, u1) + sample_at(x, n, u2)) * (u2 - u1);
    }
    double s = 0.5 * (sample_at(x, n, u1) + x[i1]) * ((double)i1 - u1);
    for (size_t i = i1; i < i2; i++) {
        s += 0.5 * (x[i] + x[i + 1]);
    }
    return s + 0.5 * (x[i2] + sample_at(x, n, u2)) * (u2 - (double)i2);
}

/* x at fractional sample index u, by the cubic through the four nearest samples. */
static double sample_at(const double *x, size_t n, double u)
{
    if (n < 4) {
        return n ? x[0] : 0.0;
    }
    double fl = floor(u);
    size_t i = fl < 1.0 ? 1 : (size_t)fl;
    if (i + 2 >= n) {
        i = n - 3;
    }
    double s = u - (double)i, y0 = x[i - 1], y1 = x[i], y2 = x[i + 1], y3 = x[i + 2];
    return y0 * (-s * (s - 1) * (s - 2) / 6.0) + y1 * ((s + 1) * (s - 1) * (s - 2) / 2.0) +
           y2 * (-(s + 1) * s * (s - 2) / 2.0) + y3 * ((s + 1) * s * (s - 1) / 6.0);
}

double qp_freq_crossings(const double *x, size_t n, double dt, int *periods, double *t_first,
                         double *t_last)
{
    *periods = 0;
    if (n < 4 || !(dt > 0.0)) {
        return 0.0;
    }
    double lo = x[0], hi = x[0], mean = 0.0;
    for (size_t i = 0; i < n; i++) {
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
        mean += x[i];
    }
    mean /= (double)n;
    double band = 0.1 * (hi - lo);
    if (!(band > 0.0)) {
        return 0.0;
    }
    /* upward crossings of the mean, armed only after the signal went below mean - band */
    int armed = 0, count = 0;
    double first = 0.0, last = 0.0;
    for (size_t i = 1; i < n; i++) {
        if (x[i] < mean - band) {
            armed = 1;
        }
        if (armed && x[i - 1] < mean && x[i] >= mean) {
            double tc = ((double)(i - 1) + (mean - x[i - 1]) / (x[i] - x[i - 1])) * dt;
            if (i >= 2 && i + 1 < n) { /* bisection on the cubic through the 4 samples around */
                double a = 0.0, b = 1.0;
                for (int it = 0; it < 50; it++) {
                    double s = 0.5 * (a + b);
                    if (sample_at(x, n, (double)(i - 1) + s) < mean) {
                        a = s;
                    } else {
                        b = s;
                    }
                }
                tc = ((double)(i - 1) + 0.5 * (a + b)) * dt;
            }
            if (count == 0) {
                first = tc;
            }
            last = tc;
            count++;
            armed = 0;
        }
    }
    if (count < 3 || !(last > first)) { /* two whole periods at least: not a ringing tail */
        return 0.0;
    }
    *periods = count - 1;
    if (t_first) {
        *t_first = first;
    }
    if (t_last) {
        *t_last = last;
    }
    return (double)(count - 1) / (last - first);
}

int qp_tran_spectrum(const qp_tran_result *t, size_t col, double **power, size_t *nb,
                     double *df)
{
    *power = NULL;
    *nb = 0;
    *df = 0.0;
    if (t->nt < 16 || col >= t->ncol) {
        return -1;
    }
    size_t w = t->ncol + 1, m = qp_fft_len(t->nt - t->nt / 2), from = t->nt - m;
    double dt = t->data[w] - t->data[0];
    double *x = malloc(m * sizeof *x), *pw = malloc((m / 2 + 1) * sizeof *pw);
    if (!x || !pw || !(dt > 0.0)) {
        free(x);
        free(pw);
        return -1;
    }
    for (size_t k = 0; k < m; k++) {
        x[k] = t->data[(from + k) * w + col + 1];
    }
    qp_fft_hann(x, m);
    int r = qp_power_spectrum(x, m, pw);
    free(x);
    if (r != 0) {
        free(pw);
        return -1;
    }
    *power = pw;
    *nb = m / 2 + 1;
    *df = 1.0 / ((double)m * dt);
    return 0;
}

/* qp_freq_fft with the plan kept in *f between calls (made again when the length changes):
 * the junctions of one run share it. */
static double freq_fft_cached(qp_fft *f, const double *x, size_t n, double dt)
{
    if (n < 8 || !(dt > 0.0)) {
        return 0.0;
    }
    size_t len = qp_fft_len(n);
    if (f->n != len) {
        qp_fft_free(f);
        if (qp_fft_init(f, len) != 0) {
            return 0.0;
        }
    }
    x += n - len;
    n = len;
    memcpy(f->in, x, n * sizeof *f->in);
    qp_fft_hann(f->in, n);
    qp_fft_run(f);
    double(*out)[2] = f->out;
    size_t best = 0;
    double bp = 0.0;
    for (size_t k = 1; k < n / 2; k++) {
        double pw = out[k][0] * out[k][0] + out[k][1] * out[k][1];
        if (pw > bp) {
            bp = pw;
            best = k;
        }
    }
    if (best < 2) { /* bin 1's left neighbour is the mean, which was removed */
        return 0.0;
    }
    /* Hann-window interpolation (Grandke): with a = |X_{k+1}| / |X_k| for the larger neighbour,
     * the tone lies (2a - 1)/(a + 1) bins from k, exactly for a pure tone up to the leakage of
     * its negative-frequency image */
    double m0 = sqrt(bp), mm = hypot(out[best - 1][0], out[best - 1][1]);
    double mp = hypot(out[best + 1][0], out[best + 1][1]);
    double a = (mp > mm ? mp : mm) / m0, d = (2.0 * a - 1.0) / (a + 1.0);
    d = fmin(fmax(d, 0.0), 1.0);
    return ((double)best + (mp > mm ? d : -d)) / ((double)n * dt);
}

double qp_freq_fft(const double *x, size_t n, double dt)
{
    qp_fft f = {0};
    double r = freq_fft_cached(&f, x, n, dt);
    qp_fft_free(&f);
    return r;
}

/* ---------------------------------------------------------------- driver */

/* With .print, only the requested columns are kept, in the order asked (repeats once). */
static qp_status select_prints(const qp_circuit *c, qp_tran_result *r)
{
    if (c->nprints == 0) {
        return QP_OK;
    }
    int *pick = malloc((r->ncol ? r->ncol : 1) * sizeof *pick);
    if (!pick) {
        return QP_ERR_NOMEM;
    }
    size_t np = 0;
    for (size_t k = 0; k < c->nprints && np < r->ncol; k++) {
        for (size_t i = 0; i < r->ncol; i++) { /* the first column of that name, once */
            int seen = 0;
            for (size_t q = 0; q < np; q++) {
                seen |= pick[q] == (int)i;
            }
            if (strcmp(r->col[i], c->prints[k]) == 0) {
                if (!seen) {
                    pick[np++] = (int)i;
                }
                break;
            }
        }
    }
    size_t w = r->ncol + 1;
    double *tmp = malloc((np + 1) * sizeof *tmp);
    if (!tmp) {
        free(pick);
        return QP_ERR_NOMEM;
    }
    for (size_t t = 0; t < r->nt; t++) { /* in place: row t shrinks to 1 + np values, read
                                          * whole before it is written */
        const double *src = r->data + t * w;
        tmp[0] = src[0];
        for (size_t q = 0; q < np; q++) {
            tmp[q + 1] = src[pick[q] + 1];
        }
        memcpy(r->data + t * (np + 1), tmp, (np + 1) * sizeof *tmp);
    }
    free(tmp);
    char **col = calloc(np ? np : 1, sizeof *col);
    if (!col) {
        free(pick);
        return QP_ERR_NOMEM;
    }
    for (size_t q = 0; q < np; q++) {
        col[q] = r->col[pick[q]];
        r->col[pick[q]] = NULL;
    }
    for (size_t i = 0; i < r->ncol; i++) {
        free(r->col[i]);
    }
    free(r->col);
    r->col = col;
    r->ncol = np;
    free(pick);
    return QP_OK;
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

static double next_break(const qp_circuit *c, const qp_analysis *an, double t)
{
    double b = t < an->tstep * (1.0 - 1e-12) ? an->tstep : INFINITY; /* end of the switch-on */
    for (size_t k = 0; k < c->nelem; k++) {
        const qp_element *e = &c->elem[k];
        if (e->kind == QP_EL_V || e->kind == QP_EL_I) {
            b = fmin(b, wave_break(&e->wave, t, an->tstep, an->tstop));
        }
    }
    return b;
}

/* The frequency report of every junction from the traces of the second half. */
static qp_status analyse(const sys *S, const qp_analysis *an, const trace *tr, int whole,
                         qp_tran_result *out)
{
    const qp_circuit *c = S->c;
    size_t nj = 0;
    for (size_t e = 0; e < c->nelem; e++) {
        nj += c->elem[e].kind == QP_EL_B || c->elem[e].kind == QP_EL_Q;
    }
    out->freq = calloc(nj ? nj : 1, sizeof *out->freq);
    double *sig = malloc((tr->nt ? tr->nt : 1) * sizeof *sig);
    if (!out->freq || !sig) {
        free(sig);
        return QP_ERR_NOMEM;
    }
    size_t w = tr->ncol + 1, half = whole ? 0 : tr->nt / 2, m = tr->nt - half;
    double dt = an->tstep, span = (double)(m - 1) * dt;
    qp_fft fft = {0}; /* one plan for every junction (the same length) */
    /* column of each element's signals: walk the same order as signal_values */
    size_t col = S->nn;
    for (size_t e = 0; e < c->nelem; e++) {
        const qp_element *el = &c->elem[e];
        if (el->kind == QP_EL_L || el->kind == QP_EL_V) {
            col += 1;
            continue;
        }
        if (el->kind != QP_EL_B && el->kind != QP_EL_Q) {
            continue;
        }
        qp_tran_freq *fr = &out->freq[out->nfreq++];
        fr->element = (int)e;
        fr->dual = el->kind == QP_EL_Q || S->bloch[e];
        /* columns: V, then P or Q, then (junction) Is */
        size_t cv = col, cx = col + 1, cs = fr->dual ? col : col + 2;
        col += fr->dual ? 2 : 3;
        if (m < 8 || !(span > 0.0)) {
            continue;
        }
        const double *r0 = tr->data + half * w, *r1 = tr->data + (tr->nt - 1) * w;
        double adv = r1[cx + 1] - r0[cx + 1]; /* phase [rad] or charge [C] advance */
        double vsum = 0.0;
        for (size_t i = half; i < tr->nt; i++) {
            sig[i - half] = tr->data[i * w + cs + 1];
            vsum += tr->data[i * w + cv + 1];
        }
        if (fr->dual) {
            fr->mean_i = adv / span;
            fr->mean_v = vsum / (double)m;
            fr->f_theory = fabs(fr->mean_i) / (2.0 * QP_QE);
            fr->area_theory = 2.0 * QP_QE;
        } else {
            fr->mean_v = QP_PHI0 / (2.0 * QP_PI) * adv / span;
            fr->f_theory = fabs(fr->mean_v) / QP_PHI0;
            fr->area_theory = QP_PHI0;
        }
        double t1 = 0.0, t2 = 0.0;
        fr->f_sim = qp_freq_crossings(sig, m, dt, &fr->periods, &t1, &t2);
        fr->f_fft = freq_fft_cached(&fft, sig, m, dt);
        if (fr->periods > 0) {
            /* The mean bias over whole periods (first to last crossing): a mean over a fraction
             * of a period more would be biased by the uneven advance within a period. For a
             * junction it is the integral of its voltage trace, an unknown of its own, so that
             * V/Phi0 against the supercurrent's frequency checks the Josephson relation as
             * integrated; for a phase-slip or Bloch junction it is its charge advance. */
            size_t col_mean = fr->dual ? cx : cv;
            for (size_t i = half; i < tr->nt; i++) {
                sig[i - half] = tr->data[i * w + col_mean + 1];
            }
            if (fr->dual) {
                adv = sample_at(sig, m, t2 / dt) - sample_at(sig, m, t1 / dt);
                fr->mean_i = adv / (t2 - t1);
                fr->f_theory = fabs(fr->mean_i) / (2.0 * QP_QE);
            } else {
                fr->mean_v = integral(sig, m, t1 / dt, t2 / dt) * dt / (t2 - t1);
                fr->f_theory = fabs(fr->mean_v) / QP_PHI0;
            }
        }
        if (fr->periods > 0 && fr->f_sim > 0.0) {
            /* integral over the counted periods: V dt = (Phi0/2pi) dphi, I dt = dQ */
            double per_time = (double)fr->periods / fr->f_sim;
            double total = fr->dual ? fabs(fr->mean_i) * per_time
                                    : fabs(fr->mean_v) * per_time;
            fr->area = total / fr->periods;
        }
    }
    qp_fft_free(&fft);
    free(sig);
    return QP_OK;
}

qp_status qp_tran_run(const qp_circuit *c, const qp_analysis *an, int keep_traces,
                      qp_progress_fn progress, void *progress_ctx, qp_tran_result *out,
                      char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    sys S;
    work_t W = {0};
    trace tr = {0};
    qp_status st = sys_build(&S, c, an->tstep, err, errlen);
    S.rtol = an->rtol > 0.0 ? an->rtol : DEFAULT_RTOL;
    out->rtol = S.rtol;
    size_t n = S.n, n1 = n ? n : 1;
    double *x0 = calloc(n1, sizeof *x0), *x1 = calloc(n1, sizeof *x1);
    double *tmp = calloc(n1, sizeof *tmp), *xm = calloc(n1, sizeof *xm);
    double *xp = calloc(n1, sizeof *xp), *Zp = calloc(3 * n1, sizeof *Zp);
    double *f0 = calloc(n1, sizeof *f0), *J0 = calloc(n1 * n1, sizeof *J0);
    double *row = NULL;
    if (st != QP_OK) {
        goto done;
    }
    if (n == 0) {
        st = QP_ERR_INPUT;
        qp_errf(err, errlen, "the circuit has no unknowns to simulate");
        goto done;
    }
    tr.ncol = signal_count(&S);
    row = calloc(tr.ncol ? tr.ncol : 1, sizeof *row);
    if (!x0 || !x1 || !tmp || !xm || !xp || !Zp || !f0 || !J0 || !row || !work_init(&W, n)) {
        st = QP_ERR_NOMEM;
        qp_errf(err, errlen, "out of memory for the transient");
        goto done;
    }
    double t = 0.0, tstop = an->tstop, tstart = an->tstart, dt = an->tstep;
    double tiny = 64.0 * DBL_EPSILON * tstop;
    double hmax = (tstop - 0.0) / SPAN_STEPS_MIN, h = fmin(fmax(1e-3 * dt, 1e3 * tiny), hmax);
    double hp = 0.0;          /* length of the previous step; 0 at t = 0 and after a corner */
    double hacc = 0.0, eacc = 1.0; /* the last accepted step and its error (Gustafsson) */
    size_t kout = 0; /* next output sample: time tstart + kout dt */
    size_t nout = (size_t)floor((tstop - tstart) / dt * (1.0 + 1e-12)) + 1;
    double next_out = tstart;
    double brk = next_break(c, an, t);
    /* the samples to be stored are known: one allocation instead of a growing buffer */
    size_t nstore = keep_traces ? nout : nout - nout / 2;
    tr.data = malloc((nstore ? nstore : 1) * (tr.ncol + 1) * sizeof *tr.data);
    if (!tr.data) {
        st = QP_ERR_NOMEM;
        qp_errf(err, errlen, "out of memory for %zu trace samples", nstore);
        goto done;
    }
    tr.cap = nstore ? nstore : 1;
    unsigned long steps = 0;
    int singular = 0, rejected = 0, have_f0 = 0;
    size_t next_report = 10; /* progress in 1/1000 of TSTOP, about every 1 % */
    if (progress) {
        progress(progress_ctx, 0, 1000);
    }
    if (next_out <= 0.0) { /* the sample at t = 0 */
        signal_values(&S, x0, row);
        if ((keep_traces || nout / 2 == 0) && !trace_push(&tr, 0.0, row)) {
            st = QP_ERR_NOMEM;
            goto done;
        }
        kout = 1;
        next_out = tstart + dt;
    }
    while (t < tstop - tiny && kout < nout) {
        while (brk - t <= tiny) { /* corners closer than rounding count as reached */
            brk = next_break(c, an, fmax(brk, t));
        }
        double hstep = fmin(h, hmax);
        int hit = 0;
        if (t + hstep >= brk - tiny) {
            hstep = brk - t;
            hit = 1;
        }
        if (t + hstep > tstop - tiny) {
            hstep = tstop - t;
            hit = 0;
        }
        if (!(hstep > tiny)) {
            st = singular ? QP_ERR_INPUT : QP_ERR_NUMERIC;
            if (singular) {
                qp_errf(err, errlen, "the circuit equations are singular at t = %.6g s: a loop of "
                     "voltage sources (with capacitors), or a node or cut set reached only "
                     "through current sources and inductors, leaves some voltage or current "
                     "undetermined", t);
            } else {
                qp_errf(err, errlen, "time step underflow at t = %.6g s (the step fell below "
                     "%.3g s without meeting rtol %.1e)", t, tiny, S.rtol);
            }
            goto done;
        }
        if (!have_f0) { /* f and its Jacobian at the step's start, kept across rejections */
            eval_f(&S, an, t, x0, f0, J0);
            have_f0 = 1;
        }
        guess(n, xp, Zp, hp, hstep, x0, W.Z, tmp);
        int ok = radau_step(&S, an, t, hstep, x0, J0, &W, x1);
        if (ok != 0) {
            out->newton_failures++;
            singular = ok == -2;
            h = 0.25 * hstep;
            rejected = 1;
            continue;
        }
        singular = 0;
        /* after t = 0 or a corner the algebraic unknowns may jump: the first step fixes them,
         * whatever its size, so they are left out of its error */
        double e = embedded_error(&S, an, t, hstep, x0, W.Z, f0, J0, hp == 0.0 || rejected,
                                  hp == 0.0, W.M, W.piv, W.rhs, tmp, xm);
        if (!(e <= 1.0)) {
            out->rejected++;
            rejected = 1;
            h = hstep * fmax(H_SHRINK_MIN, isfinite(e) ? SAFETY * pow(e, -0.25) : 0.1);
            continue;
        }
        /* accepted: outputs in (t, t + hstep] from the step's collocation polynomial */
        double tend = t + hstep;
        while (kout < nout && next_out <= tend + tiny) {
            double tt = fmin(next_out, tend);
            if (tt >= 0.0 && (keep_traces || kout >= nout / 2)) {
                dense_eval(n, x0, W.Z, (tt - t) / hstep, xm);
                signal_values(&S, xm, row);
                if (!trace_push(&tr, next_out, row)) {
                    st = QP_ERR_NOMEM;
                    goto done;
                }
            }
            kout++;
            next_out = tstart + (double)kout * dt;
        }
        if (progress && t / tstop * 1000.0 >= (double)next_report) {
            size_t done = (size_t)(t / tstop * 1000.0);
            if (done < 1000) {
                progress(progress_ctx, done, 1000);
            }
            next_report = done + 10;
        }
        memcpy(xp, x0, n * sizeof *xp);
        memcpy(Zp, W.Z, 3 * n * sizeof *Zp);
        memcpy(x0, x1, n * sizeof *x0);
        hp = hstep;
        have_f0 = 0;
        t = tend;
        if (hit) {
            brk = next_break(c, an, t);
            hp = 0.0; /* no extrapolation across a corner */
        }
        /* the error is O(h^4): classical control, tempered by Gustafsson's predictive
         * controller (Hairer-Wanner IV.8, eq. 8.25) which uses the error's trend over the last
         * two steps and avoids the repeated rejections of a step that keeps growing */
        h = hstep * fmin(H_GROW_MAX, SAFETY * pow(fmax(e, 1e-10), -0.25));
        if (hacc > 0.0) {
            double fg = hacc / hstep * pow(e * e / eacc, 0.25) / SAFETY;
            fg = fmin(1.0 / H_SHRINK_MIN, fmax(1.0 / H_GROW_MAX, fg));
            h = fmin(h, hstep / fg);
        }
        hacc = hit ? 0.0 : hstep; /* no error trend across a corner */
        eacc = fmax(1e-2, e);
        if (rejected) { /* no growth right after a rejection */
            h = fmin(h, hstep);
        }
        rejected = 0;
        if (++steps > MAX_STEPS) {
            st = QP_ERR_NUMERIC;
            qp_errf(err, errlen, "more than %lu steps", MAX_STEPS);
            goto done;
        }
    }
    out->steps = steps;
    out->samples = kout;
    if (progress) {
        progress(progress_ctx, 1000, 1000);
    }
    /* without keep_traces only the second half was stored: the analysis needs no more */
    st = analyse(&S, an, &tr, !keep_traces, out);
    if (st != QP_OK) {
        goto done;
    }
    /* the signal names always (the report lists them); the samples only when kept */
    out->col = calloc(tr.ncol ? tr.ncol : 1, sizeof *out->col);
    out->ncol = tr.ncol;
    if (!out->col || !signal_names(&S, out->col)) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    if (keep_traces) {
        out->nt = tr.nt;
        out->data = tr.data;
        tr.data = NULL;
    }
    st = select_prints(c, out);
done:
    if (st != QP_OK) {
        qp_tran_free(out);
    }
    free(tr.data);
    work_free(&W);
    free(x0), free(x1), free(tmp), free(xm), free(xp), free(Zp), free(f0), free(J0), free(row);
    sys_free(&S);
    return st;
}
