/* .tran: the circuit equations A x' + g(t, x) = 0 (A constant), their sources and signals.
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
 *   E (VCVS)   v - gain vc = 0;          its current the unknown
 *   G (VCCS)   no row;                   its current gain vc
 *   F (CCCS)   vc = 0 (a short nc+ -> nc-, its current ic the unknown); its current gain ic
 *   H (CCVS)   vc = 0 as F, then v - gain ic = 0 with its current the second unknown
 *   T (line)   v1 - Z0 i1 = w1(t), v2 - Z0 i2 = w2(t): the waves from the other port TD ago
 * with v = v(n+) - v(n-), vc = v(nc+) - v(nc-). Every state starts at zero (uncharged capacitors, no currents, phases
 * 0): SPICE's "use initial conditions" start. tran_integrate.c integrates them. */
#include "analyses/tran_impl.h"

#include "base/strbuf.h"
#include "circuit/shunt.h"
#include "qpsim/units.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        double vo = p[0], va = p[1], f = w->np > 2 ? p[2] : 1.0 / tstop; /* JoSIM's default */
        double td = w->np > 3 ? p[3] : 0.0;
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

/* splitmix64: a counter-based stream, so the noise of element k in interval i does not depend on
 * the order of evaluation (steps rejected, threads, sweep points). */
static unsigned long long mix(unsigned long long z)
{
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A standard normal number for (seed, element k, interval i) by Box-Muller. */
static double normal_at(unsigned long long seed, size_t k, long long i)
{
    unsigned long long h = mix(mix(mix(seed) ^ (unsigned long long)k) ^ (unsigned long long)i);
    double u1 = ((double)(mix(h) >> 11) + 0.5) * 0x1.0p-53; /* in (0, 1) */
    double u2 = (double)(mix(h ^ 0x5851F42D4C957F2DULL) >> 11) * 0x1.0p-53;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * QP_PI * u2);
}

/* Johnson-Nyquist currents at the deck's .temp: one-sided density 4kT/R, held constant over each
 * noise interval [iD, (i+1)D), D = TSTEP, with variance 2kT/(R D): the white noise averaged over
 * the interval, so the integrator sees a piecewise-constant source (weak order 1, docs/physics.md
 * "Thermal noise"); the steps land on the interval ends. */
void qp_tran_noise_interval(qp_tran_sys *S, const qp_analysis *an, long long i)
{
    const qp_circuit *c = S->c;
    if (!S->noise || i == S->noise_k) {
        return;
    }
    S->noise_k = i;
    for (size_t k = 0; k < c->nelem; k++) {
        const qp_element *e = &c->elem[k];
        double R = e->kind == QP_EL_R ? e->value : e->kind == QP_EL_B ? e->rn : 0.0;
        /* a junction with JoSIM's subgap branch: the resistance depends on its voltage, so
         * the draw is kept without it and divided by sqrt(R(v)) where the current is formed */
        R = e->kind == QP_EL_B && e->rtype == 1 && R > 0.0 ? 1.0 : R;
        S->noise[k] = R > 0.0 ? sqrt(2.0 * QP_KB * c->temp / (R * an->tstep)) *
                                    normal_at(an->seed, k, i)
                              : 0.0;
    }
}

double qp_tran_source_value(const qp_element *e, const qp_analysis *an, double t)
{
    return switch_on(an, t) * wave_value(&e->wave, t, an->tstep, an->tstop);
}

double qp_tran_qp_current(const qp_element *e, double v, double *g)
{
    if (e->rtype != 1) {
        *g = 1.0 / e->rn;
        return v / e->rn;
    }
    /* JoSIM's JJ::update_value: three straight pieces, continuous at the lower corner; the
     * jump at the upper corner is JoSIM's too */
    double lo = e->vg - 0.5 * e->delv, hi = e->vg + 0.5 * e->delv, a = fabs(v);
    if (a < lo) {
        *g = 1.0 / e->r0;
        return v / e->r0;
    }
    if (a < hi) {
        double gl = e->ic / (e->icfct * e->delv);
        *g = gl;
        return copysign(lo / e->r0 + gl * (a - lo), v);
    }
    *g = 1.0 / e->rn;
    return v / e->rn;
}

/* The rows of a controlled source or line k (tran_system.c's header lists them) and the
 * current it draws from n+ into n- (returned, with its Jacobian entries); the second pair's
 * currents (F and H's short, port 2) go into f here. */
static double four_terminal(const qp_tran_sys *S, double t, size_t k, const double *x, double *f,
                            double *J)
{
    const qp_element *e = &S->c->elem[k];
    size_t n = S->n;
    int ia = e->n[0] - 1, ib = e->n[1] - 1, ca = e->nc[0] - 1, cb = e->nc[1] - 1, j = S->bvar[k];
    double v = vdiff(e, x), g = e->value;
    double vc = (ca >= 0 ? x[ca] : 0.0) - (cb >= 0 ? x[cb] : 0.0);
    double c2 = 0.0; /* the current of the second pair, from nc+ to nc- */
    double cur = 0.0;
    switch (e->kind) {
    case QP_EL_E:
        cur = x[j];
        jadd(J, n, ia, j, -1.0), jadd(J, n, ib, j, 1.0);
        f[j] = -(v - g * vc);
        jadd(J, n, j, ia, -1.0), jadd(J, n, j, ib, 1.0), jadd(J, n, j, ca, g), jadd(J, n, j, cb, -g);
        break;
    case QP_EL_G:
        cur = g * vc;
        jadd(J, n, ia, ca, -g), jadd(J, n, ia, cb, g), jadd(J, n, ib, ca, g), jadd(J, n, ib, cb, -g);
        break;
    case QP_EL_F:
    case QP_EL_H:
        c2 = x[j];
        jadd(J, n, ca, j, -1.0), jadd(J, n, cb, j, 1.0);
        f[j] = -vc;
        jadd(J, n, j, ca, -1.0), jadd(J, n, j, cb, 1.0);
        if (e->kind == QP_EL_F) {
            cur = g * x[j];
            jadd(J, n, ia, j, -g), jadd(J, n, ib, j, g);
        } else {
            cur = x[j + 1];
            jadd(J, n, ia, j + 1, -1.0), jadd(J, n, ib, j + 1, 1.0);
            f[j + 1] = -(v - g * x[j]);
            jadd(J, n, j + 1, ia, -1.0), jadd(J, n, j + 1, ib, 1.0), jadd(J, n, j + 1, j, g);
        }
        break;
    case QP_EL_T: {
        double w1 = 0.0, w2 = 0.0;
        qp_tran_tline_incident(S, (size_t)S->tlix[k], t, &w1, &w2);
        cur = x[j], c2 = x[j + 1];
        jadd(J, n, ia, j, -1.0), jadd(J, n, ib, j, 1.0);
        jadd(J, n, ca, j + 1, -1.0), jadd(J, n, cb, j + 1, 1.0);
        f[j] = -(v - g * x[j] - w1);
        jadd(J, n, j, ia, -1.0), jadd(J, n, j, ib, 1.0), jadd(J, n, j, j, g);
        f[j + 1] = -(vc - g * x[j + 1] - w2);
        jadd(J, n, j + 1, ca, -1.0), jadd(J, n, j + 1, cb, 1.0), jadd(J, n, j + 1, j + 1, g);
        break;
    }
    default:
        break;
    }
    if (ca >= 0) {
        f[ca] -= c2;
    }
    if (cb >= 0) {
        f[cb] += c2;
    }
    return cur;
}

void qp_tran_eval_f(const qp_tran_sys *S, const qp_analysis *an, double t, const double *x,
                    double *f, double *J)
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
            cur = v / e->value + (S->noise ? S->noise[k] : 0.0);
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
                    cur = v / e->rn + (S->noise ? S->noise[k] : 0.0);
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
                double g = 0.0, nz = S->noise ? S->noise[k] : 0.0;
                if (e->rtype == 1 && nz != 0.0) { /* Johnson noise of r0 below the gap, rn above
                                                   * (JoSIM's choice), held over the step */
                    nz /= sqrt(fabs(v) < e->vg - 0.5 * e->delv ? e->r0 : e->rn);
                }
                cur += qp_tran_qp_current(e, v, &g) + nz;
                jadd(J, n, ia, ia, -g), jadd(J, n, ia, ib, g);
                jadd(J, n, ib, ia, g), jadd(J, n, ib, ib, -g);
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
        default:
            cur = four_terminal(S, t, k, x, f, J);
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

void qp_tran_sys_free(qp_tran_sys *S)
{
    if (S->band) {
        for (size_t k = 0; k < S->c->nelem; k++) {
            qp_bands_free(&S->band[k]);
        }
    }
    free(S->band);
    qp_tran_tline_free(S);
    free(S->bloch);
    free(S->absorbed);
    free(S->alg);
    free(S->noise);
    free(S->bvar);
    free(S->vk);
    free(S->A);
    memset(S, 0, sizeof *S);
}

/* The amplitude of source e (its largest value) for the error scales; QP_ERR_INPUT for a pulse
 * whose period is shorter than its rise, width and fall. */
static qp_status source_amplitude(const qp_element *e, double tstep, double *amp, char *err,
                                  size_t errlen)
{
    pulse_t q = e->wave.kind == QP_WAVE_PULSE ? pulse_of(&e->wave, tstep, 0.0) : (pulse_t){0};
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
    *amp = a;
    return QP_OK;
}

/* Numbers the branch unknowns (S->bvar, S->n), marks the Bloch-band junctions and gathers the
 * voltage and current scales of the elements and sources into *vmax, *imax. */
static qp_status number_unknowns(qp_tran_sys *S, double tstep, double *vmax, double *imax,
                                 char *err, size_t errlen)
{
    const qp_circuit *c = S->c;
    size_t n = S->nn;
    for (size_t k = 0; k < c->nelem; k++) {
        const qp_element *e = &c->elem[k];
        S->bvar[k] = -1;
        switch (e->kind) {
        case QP_EL_L:
        case QP_EL_V:
        case QP_EL_B:
        case QP_EL_Q:
        case QP_EL_E:
        case QP_EL_F:
            S->bvar[k] = (int)n++;
            break;
        case QP_EL_H:
        case QP_EL_T:
            S->bvar[k] = (int)n;
            n += 2;
            break;
        default:
            break;
        }
        if (e->kind == QP_EL_B) {
            S->bloch[k] = e->bloch;
            *imax = fmax(*imax, e->ic);
            *vmax = fmax(*vmax, e->rn > 0.0 ? e->ic * e->rn : 0.0);
        } else if (e->kind == QP_EL_Q) {
            *vmax = fmax(*vmax, e->vc);
        } else if (e->kind == QP_EL_V || e->kind == QP_EL_I) {
            double a = 0.0;
            qp_status st = source_amplitude(e, tstep, &a, err, errlen);
            if (st != QP_OK) {
                return st;
            }
            if (e->kind == QP_EL_V) {
                *vmax = fmax(*vmax, a);
            } else {
                *imax = fmax(*imax, a);
            }
        }
    }
    S->n = n;
    return QP_OK;
}

/* Bloch junctions: their own capacitance plus the capacitors between the same two nodes go
 * into the band (EC), so those capacitors leave the network (S->absorbed). Their largest
 * voltage joins *vmax. */
static qp_status bloch_bands(qp_tran_sys *S, double *vmax, char *err, size_t errlen)
{
    const qp_circuit *c = S->c;
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
            qp_errf(err, errlen, "%s: the Bloch-band model needs the junction's capacitance "
                    "(c= or a capacitor between the same nodes)", e->name);
            return QP_ERR_INPUT;
        }
        char berr[400] = "";
        qp_status st = qp_bands_compute(qp_units_ec_from_c(cap), qp_units_ej_from_ic(e->ic), 1,
                                        2, &S->band[k], berr, sizeof berr);
        if (st != QP_OK) {
            qp_errf(err, errlen, "%s: Bloch band: %s", e->name, berr);
            return st == QP_ERR_USAGE ? QP_ERR_INPUT : st; /* out of range: the deck's values */
        }
        *vmax = fmax(*vmax, QP_H * QP_GHZ * S->band[k].slope_max / (2.0 * QP_QE));
    }
    return QP_OK;
}

/* A: capacitances, inductances, Phi0/2pi, 2e; the kind of every branch unknown. */
static void fill_a(qp_tran_sys *S)
{
    const qp_circuit *c = S->c;
    size_t N = S->n;
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
            S->vk[j] = QP_TRAN_I;
            jadd(S->A, N, j, j, e->value);
            break;
        case QP_EL_V:
        case QP_EL_E:
        case QP_EL_F:
            S->vk[j] = QP_TRAN_I;
            break;
        case QP_EL_H:
        case QP_EL_T:
            S->vk[j] = S->vk[j + 1] = QP_TRAN_I;
            break;
        case QP_EL_B:
            if (S->bloch[k]) {
                S->vk[j] = QP_TRAN_Q;
                jadd(S->A, N, ia, j, 2.0 * QP_QE), jadd(S->A, N, ib, j, -2.0 * QP_QE);
            } else {
                S->vk[j] = QP_TRAN_PHI;
                jadd(S->A, N, j, j, QP_PHI0 / (2.0 * QP_PI));
            }
            break;
        case QP_EL_Q:
            S->vk[j] = QP_TRAN_Q;
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
}

qp_status qp_tran_sys_build(qp_tran_sys *S, const qp_circuit *c, double tstep, char *err,
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
    if (!S->bvar || !S->bloch || !S->absorbed || !S->band || qp_tran_tline_init(S) != QP_OK) {
        qp_errf(err, errlen, "out of memory");
        return QP_ERR_NOMEM;
    }
    double vmax = 0.0, imax = 0.0;
    qp_status st = number_unknowns(S, tstep, &vmax, &imax, err, errlen);
    if (st != QP_OK) {
        return st;
    }
    size_t n = S->n;
    if (n > QP_TRAN_MAX_UNKNOWNS) { /* refused before its n x n matrices exist */
        qp_errf(err, errlen, "the circuit has %zu unknowns (node voltages, inductor and source "
                "currents, junction phases); the transient solves them as dense matrices (a "
                "real and a complex n x n LU, 10n^3/3 operations, whenever the Jacobian or the "
                "step changes) and takes at most %d: simulate a smaller circuit",
                n, QP_TRAN_MAX_UNKNOWNS);
        return QP_ERR_INPUT;
    }
    S->vk = malloc((n ? n : 1) * sizeof *S->vk);
    S->A = calloc(n > 0 ? n * n : 1, sizeof *S->A);
    if (!S->vk || !S->A) {
        qp_errf(err, errlen, "out of memory");
        return QP_ERR_NOMEM;
    }
    for (size_t i = 0; i < S->nn; i++) {
        S->vk[i] = QP_TRAN_V;
    }
    st = bloch_bands(S, &vmax, err, errlen);
    if (st != QP_OK) {
        return st;
    }
    S->v0 = vmax > 0.0 ? vmax : 1e-6;
    S->i0 = imax > 0.0 ? imax : 1e-9;
    fill_a(S);
    S->alg = calloc(n ? n : 1, sizeof *S->alg);
    S->noise_k = -1;
    S->noise = c->temp > 0.0 ? calloc(ne, sizeof *S->noise) : NULL;
    if (!S->alg || (c->temp > 0.0 && !S->noise)) {
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

size_t qp_tran_signal_count(const qp_tran_sys *S)
{
    size_t k = S->nn;
    for (size_t e = 0; e < S->c->nelem; e++) {
        switch (S->c->elem[e].kind) {
        case QP_EL_L:
        case QP_EL_V:
        case QP_EL_E:
        case QP_EL_F:
        case QP_EL_H:
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

int qp_tran_signal_names(const qp_tran_sys *S, char **col)
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
        if (qp_tran_current_signal(el->kind)) {
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

void qp_tran_signal_values(const qp_tran_sys *S, const double *x, double *row)
{
    const qp_circuit *c = S->c;
    size_t k = 0;
    for (size_t i = 0; i < S->nn; i++) {
        row[k++] = x[i];
    }
    for (size_t e = 0; e < c->nelem; e++) {
        const qp_element *el = &c->elem[e];
        int j = S->bvar[e];
        if (el->kind == QP_EL_L || el->kind == QP_EL_V || el->kind == QP_EL_E) {
            row[k++] = x[j];
        } else if (el->kind == QP_EL_F || el->kind == QP_EL_H) { /* the output's current */
            row[k++] = el->kind == QP_EL_F ? el->value * x[j] : x[j + 1];
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

double qp_tran_next_break(const qp_circuit *c, const qp_analysis *an, double t)
{
    double b = t < an->tstep * (1.0 - 1e-12) ? an->tstep : INFINITY; /* end of the switch-on */
    if (c->temp > 0.0) { /* the next step of the thermal noise */
        b = fmin(b, (floor(t / an->tstep + 1e-9) + 1.0) * an->tstep);
    }
    for (size_t k = 0; k < c->nelem; k++) {
        const qp_element *e = &c->elem[k];
        if (e->kind == QP_EL_V || e->kind == QP_EL_I) {
            b = fmin(b, wave_break(&e->wave, t, an->tstep, an->tstop));
        }
    }
    return b;
}
