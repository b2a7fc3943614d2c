/* .coherence: T1 and Tphi of one transition per noise channel (docs/physics.md, "Coherence").
 * Every T1 rate is |<i|O|j>|^2 [S(w) + S(-w)] with the spectral densities of scqubits 4.3; every
 * 1/f dephasing rate is 2 pi A |dE_ij/dlambda| sqrt(2 |ln(omega_low t_exp)|), the derivative by
 * Hellmann-Feynman from the operator dH/dlambda. */
#include "qpsim/coherence.h"
#include "analyses/run_impl.h"
#include "qpsim/units.h"
#include "solve/lu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TEMP 0.015  /* K */
#define SHIFT_STEP 1e-4     /* flux quanta or 2e: the offsets enter H linearly, so a central
                               difference of the mode coefficients is exact up to rounding */
#define STRUCT_RTOL 1e-9    /* quadratic forms and cosine rows of the shifted circuits */
#define COEF_ZERO 1e-12
#define HALF_TOL 1e-12      /* an offset or flux within this (relative to max(1, |value|)) of a
                               multiple of 1/2 sits on it: a symmetry sweet spot (sym_point) */
#define ROUNDING 1e-12      /* an element or a difference of diagonal elements below this fraction
                               of the operator's largest element between the levels is rounding:
                               a symmetry zero (sweet spot, selection rule), so the time is
                               infinite, not 1e20 s */

/* K0(x) = int_0^inf exp(-x cosh t) dt, x > 0: the trapezoidal rule converges geometrically for
 * this analytic, doubly decaying integrand (step 1/16). It enters the inductive and
 * quasiparticle channels, which the example decks check against scqubits (scipy's k0) to 1e-6. */
static double bessel_k0(double x)
{
    double h = 1.0 / 16.0, sum = 0.5 * exp(-x);
    for (int k = 1; k < 4000; k++) {
        double v = exp(-x * cosh(k * h));
        sum += v;
        if (v < 1e-18 * sum) {
            break;
        }
    }
    return h * sum;
}

/* K0(y) sinh(y), y > 0: directly below 300, above by the asymptotic series of K0 (relative error
 * below 1e-12 there), so that low temperatures (hf/kT in the thousands) give no inf/inf. */
static double k0_sinh(double y)
{
    if (y < 300.0) {
        return bessel_k0(y) * sinh(y);
    }
    double u = 1.0 / (8.0 * y);
    return 0.5 * sqrt(QP_PI / (2.0 * y)) *
           (1.0 - u + 4.5 * u * u - 37.5 * u * u * u + 459.375 * u * u * u * u);
}

typedef struct {
    const qp_coh_params *p;
    double temp;
    double f; /* GHz, E_from - E_to */
} ctx;

/* hbar w / kT for a frequency of f GHz (signed). */
static double therm(const ctx *x, double f)
{
    return QP_H * f * 1e9 / (QP_KB * x->temp);
}

/* S(w) + S(-w) of scqubits' capacitive (kind 'c') or inductive ('l') loss for a branch of
 * energy E [GHz], in 1/s per |<i|O|j>|^2; q <= 0: the default Q(f) of `form` ('c' or 'l'). */
static double loss_total(const ctx *x, double E, double q, char kind, char form)
{
    double tot = 0.0;
    for (int s = -1; s <= 1; s += 2) {
        double f = s * x->f, b = therm(x, f), ab = fabs(b), Q = q;
        if (Q <= 0.0 && form == 'c') {
            Q = 1e6 * pow(6.0 / fabs(f), 0.7);
        } else if (Q <= 0.0) {
            double b5 = QP_H * 500e6 / (QP_KB * x->temp);
            Q = 500e6 * k0_sinh(0.5 * b5) / k0_sinh(0.5 * ab);
        }
        double pre = kind == 'c' ? 2.0 * 8.0 * E : 2.0 * E;
        tot += pre / Q / tanh(0.5 * ab) / (1.0 + exp(-b)) * 2.0 * QP_PI;
    }
    return tot * 1e9;
}

/* S(w) + S(-w) of quasiparticle tunneling through a junction of EJ [GHz], 1/s per
 * |<i|sin(phi/2)|j>|^2. */
static double qp_total(const ctx *x, double EJ, double xqp)
{
    double tot = 0.0, dHz = x->p->delta * 1e9, Rk = QP_H / (QP_QE * QP_QE);
    for (int s = -1; s <= 1; s += 2) {
        double f = s * x->f, b = therm(x, f), ab = fabs(b), fa = fabs(f) * 1e9;
        double y = sqrt(2.0 / QP_PI) * (8.0 / Rk) * (EJ * 1e9 / dHz) * pow(2.0 * dHz / fa, 1.5) *
                   xqp * sqrt(0.5 * ab) * k0_sinh(0.5 * ab);
        double w = 2.0 * QP_PI * f * 1e9;
        tot += 2.0 * QP_HBAR * w / (QP_QE * QP_QE) * y / tanh(0.5 * b) / (1.0 + exp(-b));
    }
    return tot;
}

/* Johnson current noise of a resistor R across a branch, S_I(w) + S_I(-w) = 2 hbar |w|/R
 * coth(|x|/2), turned into 1/s per |<i|phi_b|j>|^2: (Phi0/2pi)^2 / hbar^2. */
static double resistor_total(const ctx *x, double R)
{
    double w = 2.0 * QP_PI * fabs(x->f) * 1e9, phi0 = QP_PHI0 / (2.0 * QP_PI);
    return phi0 * phi0 * 2.0 * w / (QP_HBAR * R) / tanh(0.5 * fabs(therm(x, x->f)));
}

/* |<a|O|b>|^2 for the operator `terms`, and the diagonal difference <a|O|a> - <b|O|b>; values
at rounding level against the operator's largest element between the levels are 0. */
static qp_status element(const qp_modes *m, const int *cut, int grid, const qp_modes *t,
                         const qp_states *S, int a, int b, double *abs2, double *ddiag, char *err,
                         size_t errlen)
{
    size_t L = (size_t)S->nlev;
    double *re = malloc(L * L * sizeof *re), *im = malloc(L * L * sizeof *im);
    qp_status st = re && im ? qp_states_matrix_elements(m, cut, grid, t, S, re, im, err, errlen)
                            : QP_ERR_NOMEM;
    if (st == QP_OK) {
        double big = 0.0;
        for (size_t k = 0; k < L * L; k++) {
            big = fmax(big, hypot(re[k], im[k]));
        }
        size_t ab = (size_t)a * L + (size_t)b;
        *abs2 = re[ab] * re[ab] + im[ab] * im[ab];
        *ddiag = re[(size_t)a * L + (size_t)a] - re[(size_t)b * L + (size_t)b];
        *abs2 = sqrt(*abs2) <= ROUNDING * big ? 0.0 : *abs2;
        *ddiag = fabs(*ddiag) <= ROUNDING * big ? 0.0 : *ddiag;
    }
    free(re), free(im);
    return st;
}

/* Node phases in the modes: R (nnodes x n, row 0 zero) with phi_k = sum_i R[k][i] Phi_i, the
 * inverse of the mode map; 0 when the map is not square and invertible (eliminated nodes). */
static int node_phases(const qp_modes *m, double *R)
{
    size_t n = m->n, nn = m->nnodes;
    if (!m->map || nn != n + 1 || n == 0) {
        return 0;
    }
    double *A = malloc(n * n * sizeof *A), *b = malloc(n * sizeof *b);
    lp_int *piv = malloc(n * sizeof *piv);
    int ok = A && b && piv;
    for (size_t i = 0; ok && i < n; i++) { /* column-major M[i][k-1] */
        for (size_t k = 1; k < nn; k++) {
            A[(k - 1) * n + i] = m->map[i * nn + k];
        }
    }
    ok = ok && qp_lu_factor(n, A, piv) == 0;
    memset(R, 0, nn * n * sizeof *R);
    for (size_t i = 0; ok && i < n; i++) { /* column i of M^-1: the node phases of Phi_i = 1 */
        memset(b, 0, n * sizeof *b);
        b[i] = 1.0;
        qp_lu_solve(n, A, piv, b);
        for (size_t k = 1; k < nn; k++) {
            R[k * n + i] = b[k - 1];
            ok = ok && isfinite(b[k - 1]);
        }
    }
    free(A), free(b), free(piv);
    return ok;
}

/* The branch voltage operator V = (a.dH/dP)/2 (GHz) of a branch whose phase is a.Phi, from
 * dPhi/dt = 2 pi dH/dP: a.Ac.P from the kinetic term and, for every phase-slip term
 * -ES cos(2 pi (d.P + s)), pi ES (a.d) sin(2 pi (d.P + s)) (constants dropped: only elements
 * between different levels are used). 0 when it needs the charge of a fluxoid-basis mode (not
 * single-valued) or out of memory. */
static int voltage_terms(const qp_modes *m, const double *a, qp_modes *t)
{
    size_t n = m->n;
    t->cos = calloc(m->ncos ? m->ncos : 1, sizeof *t->cos);
    if (!t->cos) {
        return 0;
    }
    for (size_t q = 0; q < m->ncos; q++) {
        const qp_cos_term *ct = &m->cos[q];
        double ad = 0.0;
        for (size_t i = 0; ct->is_qps && i < n; i++) {
            ad += a[i] * ct->c[i];
        }
        if (!ct->is_qps || fabs(ad) <= COEF_ZERO) {
            continue;
        }
        double *cc = malloc((n ? n : 1) * sizeof *cc);
        if (!cc) {
            return 0;
        }
        memcpy(cc, ct->c, n * sizeof *cc);
        qp_cos_term s = *ct; /* -E' cos(2 pi (d.P + s - 1/4)) = -E' sin(...) */
        s.c = cc;
        s.E = -QP_PI * ct->E * ad;
        s.shift = ct->shift - 0.25;
        t->cos[t->ncos++] = s;
    }
    for (size_t i = 0; i < n; i++) {
        double v = 0.0;
        for (size_t k = 0; k < n; k++) {
            v += a[k] * m->Ac[k * n + i];
        }
        t->lp[i] = fabs(v) > COEF_ZERO * (1.0 + fabs(m->Ac[i * n + i])) ? v : 0.0;
        if (t->lp[i] != 0.0 && (m->kind[i] == QP_MODE_FLUXOID || m->kind[i] == QP_MODE_FROZEN)) {
            return 0;
        }
    }
    return 1;
}

/* The phase coefficients a (n values) of branch el: from the junction's cosine, else from the
 * node phases R (have_R). 0 when neither resolves it. */
static int branch_phase(const qp_circuit *c, const qp_modes *m, int el, const double *R,
                        int have_R, double *a)
{
    size_t n = m->n;
    for (size_t t = 0; t < m->ncos; t++) {
        if (m->cos[t].elem == el && !m->cos[t].is_qps) {
            memcpy(a, m->cos[t].c, n * sizeof *a);
            return 1;
        }
    }
    if (!have_R) {
        return 0;
    }
    const qp_element *e = &c->elem[el];
    for (size_t i = 0; i < n; i++) {
        a[i] = R[(size_t)e->n[0] * n + i] - R[(size_t)e->n[1] * n + i];
    }
    return 1;
}

typedef struct {
    const qp_circuit *c;
    const qp_modes *m;
    const int *cut;
    int grid;
    const qp_states *S;
    int from, to;
    char *note, *err;
    size_t notelen, errlen;
    unsigned *left; /* 1 << qp_channel of the channels with a part left out (add_note) */
    char (*why)[160]; /* per channel: the first reason it was left out */
} job;

/* Appends "what: why" to note and marks channel ch as not fully computed in J->left, with its
 * first reason in J->why[ch]. */
static void add_note(const job *J, qp_channel ch, const char *fmt, const char *what)
{
    char *note = J->note;
    size_t notelen = J->notelen;
    if (!(*J->left >> ch & 1u)) {
        snprintf(J->why[ch], sizeof J->why[ch], fmt, what);
    }
    *J->left |= 1u << ch;
    size_t used = strlen(note);
    if (used + 2 < notelen) {
        snprintf(note + used, notelen - used, "%s", used ? "; " : "");
        used = strlen(note);
        snprintf(note + used, notelen - used, fmt, what);
    }
}

/* The quantizer's row of element el's branch (a charge row for capacitances, a phase row for
 * inductors) written as an operator in t, when it is single-valued on the modes (no charge of a
 * fluxoid-basis mode, no phase of a charge-basis mode); 0 otherwise. */
static int direct_terms(const qp_modes *m, int el, int charge, qp_modes *t)
{
    for (size_t k = 0; k < m->nbranch; k++) {
        const qp_branch_row *b = &m->branch[k];
        if (b->elem != el || b->charge != charge) {
            continue;
        }
        for (size_t i = 0; i < m->n; i++) {
            double v = fabs(b->c[i]) > COEF_ZERO ? b->c[i] : 0.0;
            qp_mode_kind bad = charge ? QP_MODE_FLUXOID : QP_MODE_CHARGE;
            if (v != 0.0 && (m->kind[i] == bad || m->kind[i] == QP_MODE_FROZEN)) {
                return 0;
            }
            (charge ? t->lp : t->lphi)[i] = v;
        }
        return 1;
    }
    return 0;
}

/* T1 through branch el: its charge (capacitive) or phase (inductive, resistor) from the
 * quantizer's branch row when that is single-valued; otherwise from the voltage operator V,
 * with n = V/(4 EC) and, between levels, |phi_ij| = 2 |V_ij| / |E_i - E_j|. */
static qp_status branch_t1(const job *J, const ctx *x, int el, const double *R, int have_R,
                           qp_channel ch, double *rate, int *done)
{
    const qp_element *e = &J->c->elem[el];
    size_t n = J->m->n;
    double *a = malloc((n ? n : 1) * sizeof *a);
    qp_modes *t = qp_states_terms_new(J->m);
    qp_status st = a && t ? QP_OK : QP_ERR_NOMEM;
    int charge = ch == QP_CH_T1_CAPACITIVE;
    int direct = st == QP_OK && ch != QP_CH_T1_RESISTOR && direct_terms(J->m, el, charge, t);
    if (st == QP_OK && !direct && (!branch_phase(J->c, J->m, el, R, have_R, a) ||
                                   !voltage_terms(J->m, a, t))) {
        add_note(J, ch, "%s: the branch is not resolved by the modes",
                 e->name);
        st = QP_ERR_INPUT; /* left out, not an error */
    }
    double v2 = 0.0, dd = 0.0;
    if (st == QP_OK) {
        st = element(J->m, J->cut, J->grid, t, J->S, J->from, J->to, &v2, &dd, J->err,
                     J->errlen);
    }
    if (st == QP_OK) {
        /* |<i|phi_b|j>|^2 and |<i|n_b|j>|^2 */
        double phi2 = direct ? v2 : 4.0 * v2 / (x->f * x->f);
        double C = e->kind == QP_EL_B ? e->cap : e->value;
        double EC = QP_QE * QP_QE / (2.0 * C * QP_H) / 1e9;
        double n2 = direct ? v2 : v2 / (16.0 * EC * EC);
        *done = 1;
        if (ch == QP_CH_T1_CAPACITIVE) {
            double q = e->kind == QP_EL_C && e->noise > 0.0 ? e->noise : x->p->qcap;
            *rate += n2 * loss_total(x, EC, q, 'c', e->noise_form ? e->noise_form : 'c');
        } else if (ch == QP_CH_T1_INDUCTIVE) {
            double EL = QP_PHI0 * QP_PHI0 / (4.0 * QP_PI * QP_PI * e->value * QP_H) / 1e9;
            *rate += phi2 * loss_total(x, EL, e->noise > 0.0 ? e->noise : x->p->qind, 'l',
                                       e->noise_form ? e->noise_form : 'l');
        } else {
            *rate += phi2 * resistor_total(x, e->value);
        }
    }
    free(a);
    qp_modes_free(t);
    return st == QP_ERR_INPUT ? QP_OK : st;
}

/* sin(phi_J/2) of a junction's cosine term as a cosine term of half its argument. */
static qp_status qp_t1(const job *J, const ctx *x, const qp_cos_term *ct, double *rate,
                       int *done)
{
    qp_modes *t = qp_states_terms_new(J->m);
    double *cc = malloc((J->m->n ? J->m->n : 1) * sizeof *cc);
    t = t && cc ? t : (qp_modes_free(t), NULL);
    if (!t) {
        free(cc);
        return QP_ERR_NOMEM;
    }
    int ok = 1;
    for (size_t i = 0; i < J->m->n; i++) {
        cc[i] = 0.5 * ct->c[i];
        ok &= J->m->kind[i] != QP_MODE_CHARGE || cc[i] == nearbyint(cc[i]);
    }
    qp_status st = QP_OK;
    if (!ok) {
        add_note(J, QP_CH_T1_QUASIPARTICLE,
                 "%s: sin(phi/2) moves a charge-basis mode by e (not in the basis)",
                 J->c->elem[ct->elem].name);
        free(cc);
    } else {
        t->cos = malloc(sizeof *t->cos);
        if (!t->cos) {
            free(cc);
            st = QP_ERR_NOMEM;
        } else {
            t->cos[0] = *ct;
            t->cos[0].c = cc;
            t->cos[0].E = -1.0; /* -E cos(arg/2 - pi/2) = sin(arg/2) */
            t->cos[0].shift = 0.5 * ct->shift - 0.5 * QP_PI;
            t->ncos = 1;
            double s2 = 0.0, dd = 0.0;
            st = element(J->m, J->cut, J->grid, t, J->S, J->from, J->to, &s2, &dd, J->err,
                         J->errlen);
            double en = J->c->elem[ct->elem].noise, xqp = en > 0.0 ? en : x->p->xqp;
            *rate += st == QP_OK ? s2 * qp_total(x, ct->E, xqp) : 0.0;
            *done = st == QP_OK;
        }
    }
    qp_modes_free(t);
    return st;
}

/* 2 pi A |dE_ij/dlambda| sqrt(2 |ln(omega_low t_exp)|) [1/s] for dE_ij in GHz. */
static double one_over_f(const ctx *x, double A, double dE)
{
    return 2.0 * QP_PI * A * fabs(dE) * 1e9 *
           sqrt(2.0 * fabs(log(x->p->omega_low * x->p->t_exp)));
}

/* dE_ij/dEJ (or dES) of cosine term ct: the diagonal elements of dH/dE = -cos(arg). */
static qp_status energy_slope(const job *J, const qp_cos_term *ct, double *dE)
{
    qp_modes *t = qp_states_terms_new(J->m);
    double *cc = malloc((J->m->n ? J->m->n : 1) * sizeof *cc);
    t = t && cc ? t : (qp_modes_free(t), NULL);
    t = t && (t->cos = malloc(sizeof *t->cos)) ? t : (qp_modes_free(t), NULL);
    if (!t) {
        free(cc);
        return QP_ERR_NOMEM;
    }
    memcpy(cc, ct->c, J->m->n * sizeof *cc);
    t->cos[0] = *ct;
    t->cos[0].c = cc;
    t->cos[0].E = 1.0;
    t->ncos = 1;
    double s2 = 0.0;
    qp_status st = element(J->m, J->cut, J->grid, t, J->S, J->from, J->to, &s2, dE, J->err,
                           J->errlen);
    qp_modes_free(t);
    return st;
}

/* The circuit c with offset io (or loop il) moved by `by`, quantized; NULL when it fails. */
static qp_modes *shifted(const qp_circuit *c, int io, int il, double by, qp_diag *d)
{
    qp_offset *off = NULL;
    qp_flux_loop *loops = NULL;
    qp_circuit cc;
    qp_modes *m = NULL;
    if (qp_circuit_moved(c, io, il, by, 1, &cc, &off, &loops) == QP_OK) {
        qp_diag scratch = {0}; /* its warnings repeat the nominal quantization's */
        if (qp_quantize(&cc, &m, &scratch) != QP_OK) {
            m = NULL;
        }
        for (size_t e = 0; e < scratch.count; e++) { /* errors only (there should be none) */
            const qp_diag_entry *x = &scratch.items[e];
            if (x->sev == QP_SEV_ERROR) {
                qp_diag_add(d, x->sev, x->file, x->line, x->col, "%s", x->msg);
            }
        }
        qp_diag_clear(&scratch);
    }
    free(off), free(loops);
    return m;
}

static int close_to(double a, double b, double scale)
{
    return fabs(a - b) <= STRUCT_RTOL * (1.0 + scale);
}

/* dH/dlambda on the modes of m from the circuits at lambda +- SHIFT_STEP (same modes: an offset
 * or a flux moves only the linear terms, the constant and the cosines' shifts); NULL when the
 * modes differ or out of memory. */
static qp_modes *derivative_terms(const qp_modes *m, const qp_modes *mp, const qp_modes *mm)
{
    size_t n = m->n;
    int same = mp && mm && mp->n == n && mm->n == n && mp->ncos == m->ncos && mm->ncos == m->ncos;
    for (size_t k = 0; same && k < n * n; k++) {
        double s = fabs(m->Lm[k]) + fabs(m->Ac[k]);
        same = close_to(mp->Lm[k], mm->Lm[k], s) && close_to(mp->Ac[k], mm->Ac[k], s);
    }
    for (size_t t = 0; same && t < m->ncos; t++) {
        for (size_t i = 0; i < n; i++) {
            same = same && close_to(mp->cos[t].c[i], mm->cos[t].c[i], fabs(m->cos[t].c[i]));
        }
    }
    qp_modes *d = same ? qp_states_terms_new(m) : NULL;
    if (!d || (m->ncos && !(d->cos = calloc(m->ncos, sizeof *d->cos)))) {
        qp_modes_free(d);
        return NULL;
    }
    double h = 2.0 * SHIFT_STEP;
    for (size_t i = 0; i < n; i++) {
        d->lphi[i] = (mp->lphi[i] - mm->lphi[i]) / h;
        d->lp[i] = (mp->lp[i] - mm->lp[i]) / h;
    }
    d->cst = (mp->cst - mm->cst) / h;
    for (size_t t = 0; t < m->ncos; t++) { /* d/dl [-E cos(arg)] = E s' sin(arg) */
        const qp_cos_term *ct = &m->cos[t];
        double period = ct->is_qps ? 1.0 : 2.0 * QP_PI;
        double ds = remainder(mp->cos[t].shift - mm->cos[t].shift, period) / h;
        if (fabs(ds) <= COEF_ZERO) {
            continue;
        }
        double *cc = malloc((n ? n : 1) * sizeof *cc);
        if (!cc) {
            qp_modes_free(d);
            return NULL;
        }
        memcpy(cc, ct->c, n * sizeof *cc);
        qp_cos_term dt = *ct;
        dt.c = cc;
        dt.E = -ct->E * ds * (ct->is_qps ? 2.0 * QP_PI : 1.0); /* -E' cos(x - pi/2) */
        dt.shift = ct->shift - (ct->is_qps ? 0.25 : 0.5 * QP_PI);
        d->cos[d->ncos++] = dt;
    }
    return d;
}

/* dE_ij/dlambda for offset io or loop il. */
static qp_status shift_slope(const job *J, int io, int il, double *dE, qp_diag *d)
{
    qp_modes *mp = shifted(J->c, io, il, SHIFT_STEP, d);
    qp_modes *mm = shifted(J->c, io, il, -SHIFT_STEP, d);
    qp_modes *t = derivative_terms(J->m, mp, mm);
    qp_status st = QP_OK;
    if (!t) {
        snprintf(J->err, J->errlen, "the modes changed when %s moved by %g (or out of memory)",
                 io >= 0 ? "an offset charge" : "a flux", SHIFT_STEP);
        st = QP_ERR_NUMERIC;
    } else {
        double s2 = 0.0;
        st = element(J->m, J->cut, J->grid, t, J->S, J->from, J->to, &s2, dE, J->err,
                     J->errlen);
    }
    qp_modes_free(mp), qp_modes_free(mm), qp_modes_free(t);
    return st;
}

/* Whether channel ch was asked (every channel when none is named). */
static int asked(const qp_coh_params *p, qp_channel ch)
{
    return !p->channels || (p->channels >> ch & 1u);
}

/* The T1 channels: every capacitor and junction capacitance, inductor, junction, resistor. */
static qp_status t1_channels(const job *J, const ctx *x, qp_coherence *out)
{
    const qp_circuit *c = J->c;
    size_t n = J->m->n;
    double *R = malloc((J->m->nnodes ? J->m->nnodes : 1) * (n ? n : 1) * sizeof *R);
    if (!R) {
        return QP_ERR_NOMEM;
    }
    int have_R = node_phases(J->m, R);
    qp_status st = QP_OK;
    for (size_t el = 0; el < c->nelem && st == QP_OK; el++) {
        const qp_element *e = &c->elem[el];
        qp_channel ch = QP_CH_COUNT;
        if (e->kind == QP_EL_C || (e->kind == QP_EL_B && e->cap > 0.0)) {
            ch = QP_CH_T1_CAPACITIVE;
        } else if (e->kind == QP_EL_L) {
            ch = QP_CH_T1_INDUCTIVE;
        } else if (e->kind == QP_EL_R) {
            ch = QP_CH_T1_RESISTOR;
        }
        int done = 0;
        if (ch != QP_CH_COUNT && asked(x->p, ch)) {
            st = branch_t1(J, x, (int)el, R, have_R, ch, &out->rate[ch], &done);
            out->present |= (unsigned)done << ch;
        }
    }
    for (size_t t = 0; t < J->m->ncos && st == QP_OK; t++) {
        const qp_cos_term *ct = &J->m->cos[t];
        int done = 0;
        if (!ct->is_qps && asked(x->p, QP_CH_T1_QUASIPARTICLE)) {
            st = qp_t1(J, x, ct, &out->rate[QP_CH_T1_QUASIPARTICLE], &done);
            out->present |= (unsigned)done << QP_CH_T1_QUASIPARTICLE;
        }
    }
    free(R);
    return st;
}

/* Whether x is a multiple of 1/2 up to the rounding of a value written or swept as one. */
static int on_half(double x)
{
    double t = 2.0 * x;
    return fabs(t - nearbyint(t)) <= 2.0 * HALF_TOL * fmax(1.0, fabs(x));
}

/* Whether every level is even in every offset (charge 1) or every loop flux (charge 0) about
 * the circuit's values, so that all those derivatives are exactly 0 (docs/physics.md, "Sweet
 * spots"). The offsets enter H only through the charges (linear charge terms, phase-slip
 * shifts), the fluxes only through the phases (junction shifts, inductive terms), and no source
 * enters a spectrum: complex conjugation in the phase representation maps H(ng, f) to
 * H(-ng, f), conjugation after parity (Phi -> -Phi) maps it to H(ng, -f), and each ng and f has
 * period 1. So when every node's total offset (or every loop's flux) is a multiple of 1/2, the
 * spectrum at ng + dng equals the one at ng - dng. A truncated basis can miss this by more than
 * its rounding (a charge basis centred on 0 at ng = 1), hence the rule instead of the number. */
static int sym_point(const qp_circuit *c, int charge)
{
    if (!charge) {
        for (size_t l = 0; l < c->nloops; l++) {
            if (!on_half(c->loops[l].f)) {
                return 0;
            }
        }
        return 1;
    }
    for (size_t k = 0; k < c->noffsets; k++) {
        double ng = 0.0; /* the node's total: several .ng on one node add */
        for (size_t o = 0; o < c->noffsets; o++) {
            ng += c->offsets[o].node == c->offsets[k].node ? c->offsets[o].ng : 0.0;
        }
        if (!on_half(ng)) {
            return 0;
        }
    }
    return 1;
}

/* The 1/f channels: every loop flux, offset charge, junction and phase-slip energy. At a
 * symmetry sweet spot (sym_point) the flux or offset slopes are 0 without computing them. */
static qp_status tphi_channels(const job *J, const ctx *x, qp_coherence *out, qp_diag *d)
{
    const qp_coh_params *p = x->p;
    qp_status st = QP_OK;
    int fsym = sym_point(J->c, 0), qsym = sym_point(J->c, 1);
    for (size_t l = 0; l < J->c->nloops && st == QP_OK && asked(p, QP_CH_TPHI_FLUX); l++) {
        double dE = 0.0;
        out->present |= 1u << QP_CH_TPHI_FLUX;
        st = fsym ? QP_OK : shift_slope(J, -1, (int)l, &dE, d);
        out->rate[QP_CH_TPHI_FLUX] += st == QP_OK ? one_over_f(x, p->aflux, dE) : 0.0;
    }
    for (size_t k = 0; k < J->c->noffsets && st == QP_OK && asked(p, QP_CH_TPHI_NG); k++) {
        double dE = 0.0;
        out->present |= 1u << QP_CH_TPHI_NG;
        st = qsym ? QP_OK : shift_slope(J, (int)k, -1, &dE, d);
        out->rate[QP_CH_TPHI_NG] += st == QP_OK ? one_over_f(x, p->ang, dE) : 0.0;
    }
    for (size_t t = 0; t < J->m->ncos && st == QP_OK; t++) {
        const qp_cos_term *ct = &J->m->cos[t];
        qp_channel ch = ct->is_qps ? QP_CH_TPHI_ES : QP_CH_TPHI_CC;
        double dE = 0.0;
        if (asked(p, ch)) {
            out->present |= 1u << ch;
            st = energy_slope(J, ct, &dE);
            out->rate[ch] += st == QP_OK ? one_over_f(x, ct->is_qps ? p->aes : p->acc, dE) : 0.0;
        }
    }
    return st;
}

qp_status qp_coherence_compute(const qp_circuit *c, const qp_modes *m, const int *cut, int grid,
                               const qp_states *S, const qp_coh_params *p, qp_coherence *out,
                               char *note, size_t notelen, char *err, size_t errlen, qp_diag *d)
{
    memset(out, 0, sizeof *out);
    out->failed = -1;
    if (notelen) {
        note[0] = '\0';
    }
    int hi = p->from > p->to ? p->from : p->to;
    if (hi >= S->nlev) {
        snprintf(err, errlen, "the basis holds only %d levels (level %d asked)", S->nlev, hi);
        return QP_ERR_NUMERIC;
    }
    ctx x = {p, p->temp > 0.0 ? p->temp : c->temp > 0.0 ? c->temp : DEFAULT_TEMP,
             S->E[p->from] - S->E[p->to]};
    out->f = x.f;
    out->temp = x.temp;
    if (!(fabs(x.f) > 0.0)) {
        snprintf(err, errlen, "levels %d and %d are degenerate: no transition frequency",
                 p->from, p->to);
        return QP_ERR_NUMERIC;
    }
    unsigned left = 0;
    char why[QP_CH_COUNT][160] = {{0}};
    job J = {c, m, cut, grid, S, p->from, p->to, note, err, notelen, errlen, &left, why};
    qp_status st = t1_channels(&J, &x, out);
    if (st == QP_OK) {
        st = tphi_channels(&J, &x, out, d);
    }
    for (int ch = 0; st == QP_OK && ch < QP_CH_COUNT; ch++) {
        if (!(p->channels >> ch & 1u)) {
            continue; /* not named: absent or left out is the warning of `note` */
        }
        const char *name = qp_channel_name((qp_channel)ch);
        if (left >> ch & 1u) { /* named but (partly) not computable: null would read infinite */
            snprintf(err, errlen, "channel %s cannot be computed for this circuit (%s); %s", name,
                     why[ch],
                     ch == QP_CH_T1_QUASIPARTICLE
                         ? "it needs every junction's phase on a mode that is not a charge-basis "
                           "island (e.g. a junction shunted by an inductor, as in a fluxonium); "
                           "leave it out of channels= to compute the others"
                         : "leave it out of channels= to compute the others");
        } else if (!(out->present >> ch & 1u)) {
            snprintf(err, errlen, "channel %s does not apply to this circuit (it has no %s)", name,
                     ch == QP_CH_T1_CAPACITIVE    ? "capacitor"
                     : ch == QP_CH_T1_INDUCTIVE   ? "inductor"
                     : ch == QP_CH_T1_RESISTOR    ? "resistor"
                     : ch == QP_CH_TPHI_FLUX      ? ".flux loop"
                     : ch == QP_CH_TPHI_NG        ? ".ng offset"
                     : ch == QP_CH_TPHI_ES        ? "phase-slip junction"
                                                  : "Josephson junction");
        } else {
            continue;
        }
        out->failed = ch;
        st = QP_ERR_INPUT;
    }
    double g1 = 0.0, gphi = 0.0;
    for (int ch = 0; ch < QP_CH_COUNT; ch++) {
        double r = out->rate[ch];
        if (ch <= QP_CH_T1_RESISTOR) {
            g1 += r;
        } else {
            gphi += r;
        }
    }
    out->t1 = g1 > 0.0 ? 1.0 / g1 : INFINITY;
    out->t2 = gphi + 0.5 * g1 > 0.0 ? 1.0 / (gphi + 0.5 * g1) : INFINITY;
    return st;
}
