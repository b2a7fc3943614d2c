/* Unit tests: matrix elements and wavefunctions (.matrix, .wavefunction) against independent
 * numbers: closed forms of the LC oscillator, Hellmann-Feynman derivatives of the spectrum,
 * numpy computations (tests/oracles/matrix_elements.py), the dual circuit, and a second code
 * path (matrix elements from integrals of the wavefunctions). */
#include "qpsim/engine.h"
#include "qpsim/states.h"

#include "tap.h"
#include "util.h"

#include <math.h>

#define PI 3.14159265358979323846
#define TOL_ORACLE 1e-8   /* numpy oracles printed to 10 digits, converged to ~1e-11 */
#define TOL_CLOSED 1e-9   /* closed forms; the states are converged to ~1e-12 */
#define TOL_HF 1e-6       /* Hellmann-Feynman by central differences of step 1e-4 */
#define TOL_DUAL 1e-9     /* CPB and phase-slip loop: the same matrix in two bases */
#define TOL_INTEGRAL 1e-6 /* trapezoidal rule on 2001 points of a smooth periodic function */

typedef struct {
    qp_circuit *c;
    qp_modes *m;
    qp_spectrum s;
    qp_states st;
} sys;

/* Elaborates, quantizes, converges a spectrum for the cutoffs (oscillator modes fixed at nho
 * states when nho > 0) and computes nlev states. */
static int build_nho(const char *deck, int nlev, int nho, sys *S)
{
    memset(S, 0, sizeof *S);
    char *msgs = NULL, err[512] = "";
    qp_status st = elaborate_text(deck, NULL, NULL, 0, &S->c, &msgs);
    free(msgs);
    qp_diag d = {0};
    if (st == QP_OK) {
        st = qp_quantize(S->c, &S->m, &d);
    }
    qp_diag_clear(&d);
    qp_spectrum_opts o;
    qp_spectrum_opts_default(&o);
    o.levels = nlev;
    o.tol = 1e-11;
    o.cut_osc = nho;
    if (st == QP_OK) {
        st = qp_spectrum_compute(S->m, &o, &S->s, err, sizeof err);
    }
    if (st == QP_OK) {
        st = qp_states_compute(S->m, S->s.cut, 0, nlev, &S->st, err, sizeof err);
    }
    if (st != QP_OK) {
        printf("# build failed: %s\n", err);
    }
    return st == QP_OK;
}

static int build(const char *deck, int nlev, sys *S)
{
    return build_nho(deck, nlev, 0, S);
}

static void sys_free(sys *S)
{
    qp_states_free(&S->st);
    qp_spectrum_clear(&S->s);
    qp_modes_free(S->m);
    qp_circuit_free(S->c);
}

/* Matrix elements of operator text `op` ("n(1)", ...) parsed through a .matrix line. */
static int elements(sys *S, qp_op_kind kind, const char *target, double *re, double *im)
{
    qp_operator op = {kind, -1, (char *)target, {0}};
    if (kind == QP_OP_CHARGE) {
        for (size_t i = 0; i < S->c->nnodes; i++) {
            op.index = strcmp(S->c->node_names[i], target) == 0 ? (int)i : op.index;
        }
    } else {
        op.index = find_elem(S->c, target);
    }
    qp_modes *t = NULL;
    char err[512] = "";
    qp_status st = qp_states_operator_terms(S->c, S->m, &op, &t, err, sizeof err);
    if (st == QP_OK) {
        st = qp_states_matrix_elements(S->m, S->s.cut, 0, t, &S->st, re, im, err, sizeof err);
    }
    qp_modes_free(t);
    if (st != QP_OK) {
        printf("# %s: %s\n", target, err);
    }
    return st == QP_OK;
}

static double mag(const double *re, const double *im, int L, int i, int j)
{
    return hypot(re[i * L + j], im[i * L + j]);
}

/* Largest deviation of |<i|O|j>| (4 x 4) from a table of magnitudes. */
static double worst_mag(const double *re, const double *im, const double *want)
{
    double w = 0.0;
    for (int k = 0; k < 16; k++) {
        w = fmax(w, fabs(mag(re, im, 4, k / 4, k % 4) - want[k]));
    }
    return w;
}

/* Two transmons coupled by a capacitor (netlists/coupled_transmons.cir): the node charges of
 * both islands against a direct product charge basis in numpy. Checks the map from modes to
 * node charges, n_k = sum_i map[i][k] P_i. */
static void test_coupled_transmons(void)
{
    static const double n1[16] = {0.2485586298, 0.0726605261, 0.740782368,  0.0022584067,
                                  0.0726605261, 0.2455189804, 0.004936914,  0.0537826471,
                                  0.740782368,  0.004936914,  0.2951715617, 0.0017831989,
                                  0.0022584067, 0.0537826471, 0.0017831989, 0.2624958457};
    static const double n2[16] = {0.0971049834, 0.6755801425, 0.0504155282, 0.0302737306,
                                  0.6755801425, 0.1743538028, 0.0084881863, 0.8899329857,
                                  0.0504155282, 0.0084881863, 0.0955246232, 0.037202723,
                                  0.0302737306, 0.8899329857, 0.037202723,  0.2131153872};
    static const double diag2[4] = {0.09710498, 0.1743538, 0.09552462, -0.21311539};
    sys S;
    int ok = build("B1 1 0 ej=6\nC1 1 0 ec=0.5\nB2 2 0 ej=4\nC2 2 0 ec=0.45\nCC 1 2 2fF\n"
                   ".ng 1 0.25\n.ng 2 0.1\n",
                   4, &S);
    double re[16], im[16], re2[16], im2[16];
    ok = ok && elements(&S, QP_OP_CHARGE, "1", re, im) && elements(&S, QP_OP_CHARGE, "2", re2, im2);
    double worst = ok ? fmax(worst_mag(re, im, n1), worst_mag(re2, im2, n2)) : INFINITY;
    QP_CHECK(ok && worst <= TOL_ORACLE, "coupled transmons: |<i|n1|j>|, |<i|n2|j>| against numpy "
             "(max deviation %.2g)", worst);
    double wd = 0.0;
    for (int k = 0; ok && k < 4; k++) {
        wd = fmax(wd, fabs(re2[k * 5] - diag2[k]));
    }
    QP_CHECK(ok && wd <= 1e-7, "coupled transmons: signed <k|n2|k> (one negative) (%.2g)", wd);
    sys_free(&S);
}

/* Fluxonium at half flux (docs/physics.md, oracle T10b): the junction phase and the island charge against an
 * oscillator-basis computation in numpy. */
static void test_fluxonium(void)
{
    static const double ph[16] = {3.1415926536, 2.8606816879, 0.0,          0.7491116784,
                                  2.8606816879, 3.1415926536, 1.1718270491, 0.0,
                                  0.0,          1.1718270491, 3.1415926536, 2.5892436723,
                                  0.7491116784, 0.0,          2.5892436723, 3.1415926536};
    static const double nn[16] = {0.0,          0.0519816425, 0.0,          0.4617832271,
                                  0.0519816425, 0.0,          0.5286655311, 0.0,
                                  0.0,          0.5286655311, 0.0,          0.3809389843,
                                  0.4617832271, 0.0,          0.3809389843, 0.0};
    sys S;
    int ok = build("B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n.flux 0.5\n", 4, &S);
    double re[16], im[16], re2[16], im2[16];
    ok = ok && elements(&S, QP_OP_PHASE, "B1", re, im) && elements(&S, QP_OP_CHARGE, "1", re2, im2);
    double worst = ok ? fmax(worst_mag(re, im, ph), worst_mag(re2, im2, nn)) : INFINITY;
    QP_CHECK(ok && worst <= TOL_ORACLE, "fluxonium: |<i|phi(B1)|j>|, |<i|n(1)|j>| against numpy "
             "(max deviation %.2g)", worst);
    /* phases: n is Hermitian and, for real states, purely imaginary and antisymmetric */
    double herm = 0.0;
    for (int i = 0; ok && i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            herm = fmax(herm, fabs(re2[i * 4 + j] - re2[j * 4 + i]) +
                                  fabs(im2[i * 4 + j] + im2[j * 4 + i]) + fabs(re2[i * 4 + j]));
        }
    }
    QP_CHECK(ok && herm <= 1e-12, "fluxonium: n(1) Hermitian, purely imaginary (%.2g)", herm);
    sys_free(&S);
}

/* LC oscillator, H = 4EC n^2 + EL phi^2/2: |<k|n|k+1>| = sqrt(k+1) (EL/(32 EC))^(1/4), and the
 * ground state density is the Gaussian of variance sqrt(2 EC/EL). */
static void test_lc(void)
{
    sys S;
    int ok = build("L1 1 0 el=0.7\nC1 1 0 ec=0.3\n", 4, &S);
    double re[16], im[16], ec = 0.3, el = 0.7;
    ok = ok && elements(&S, QP_OP_CHARGE, "1", re, im);
    double n01 = pow(el / (32.0 * ec), 0.25);
    double w = 0.0;
    for (int k = 0; ok && k < 3; k++) {
        w = fmax(w, fabs(mag(re, im, 4, k, k + 1) - sqrt(k + 1.0) * n01) / n01);
        w = fmax(w, mag(re, im, 4, k, k) + (k + 2 < 4 ? mag(re, im, 4, k, k + 2) : 0.0));
    }
    QP_CHECK(ok && w <= TOL_CLOSED, "LC: |<k|n|k+1>| = sqrt(k+1) (EL/32EC)^(1/4), others 0 (%.2g)",
             w);
    qp_wavefunctions wf = {0};
    char err[256] = "";
    ok = ok && qp_states_wave_compute(S.m, S.s.cut, 0, &S.st, 401, &wf, err, sizeof err) == QP_OK;
    double var = sqrt(2.0 * ec / el), dev = 0.0, peak = 1.0 / sqrt(2.0 * PI * var);
    for (size_t p = 0; ok && p < wf.npts[0]; p++) {
        double x = wf.x[0][p], rho = wf.re[p] * wf.re[p] + wf.im[p] * wf.im[p];
        dev = fmax(dev, fabs(rho - exp(-x * x / (2.0 * var)) * peak) / peak);
    }
    QP_CHECK(ok && wf.nvar == 1 && wf.var[0] == 'p' && dev <= TOL_CLOSED,
             "LC: |psi0(phi)|^2 is the Gaussian of variance sqrt(2EC/EL) (max deviation %.2g of "
             "the peak)", dev);
    qp_states_wave_free(&wf);
    sys_free(&S);
}

/* Transmon off the sweet spot: Hellmann-Feynman, <k|n|k> = ng - (dE_k/dng)/(8 EC) and
 * <k|cos phi|k> = -dE_k/dEJ, from spectra at shifted parameters; and <k|cos phi|k> again from
 * the wavefunction, integral of |psi_k(phi)|^2 cos phi over a period. */
static double level(const char *fmt, double a, double b, int k)
{
    char deck[256];
    snprintf(deck, sizeof deck, fmt, a, b);
    sys S;
    double e = build(deck, 4, &S) ? S.st.E[k] : NAN;
    sys_free(&S);
    return e;
}

static void test_transmon(void)
{
    static const char *fmt = "B1 1 0 ej=%.17g\nC1 1 0 ec=0.4\n.ng 1 %.17g\n";
    double ej = 5.0, ng = 0.3, ec = 0.4, h = 1e-4;
    char deck[256];
    snprintf(deck, sizeof deck, fmt, ej, ng);
    sys S;
    int ok = build(deck, 4, &S);
    double rn[16], in[16], rc[16], ic[16];
    ok = ok && elements(&S, QP_OP_CHARGE, "1", rn, in) && elements(&S, QP_OP_COS, "B1", rc, ic);
    double wn = 0.0, wc = 0.0;
    for (int k = 0; ok && k < 4; k++) {
        double dng = (level(fmt, ej, ng + h, k) - level(fmt, ej, ng - h, k)) / (2.0 * h);
        double dej = (level(fmt, ej + h, ng, k) - level(fmt, ej - h, ng, k)) / (2.0 * h);
        wn = fmax(wn, fabs(rn[k * 5] - (ng - dng / (8.0 * ec))));
        wc = fmax(wc, fabs(rc[k * 5] + dej));
    }
    QP_CHECK(ok && wn <= TOL_HF, "transmon: <k|n|k> = ng - dE_k/dng / 8EC (%.2g)", wn);
    QP_CHECK(ok && wc <= TOL_HF, "transmon: <k|cos phi|k> = -dE_k/dEJ (%.2g)", wc);
    qp_wavefunctions wf = {0};
    char err[256] = "";
    ok = ok && qp_states_wave_compute(S.m, S.s.cut, 0, &S.st, 2001, &wf, err, sizeof err) == QP_OK;
    double wi = 0.0, wnorm = 0.0;
    for (int k = 0; ok && k < 4; k++) {
        double s = 0.0, norm = 0.0, dx = wf.x[0][1] - wf.x[0][0];
        for (size_t p = 0; p + 1 < wf.npts[0]; p++) { /* periodic: one endpoint */
            size_t at = (size_t)k * wf.npts[0] + p;
            double rho = wf.re[at] * wf.re[at] + wf.im[at] * wf.im[at];
            s += rho * cos(wf.x[0][p]) * dx;
            norm += rho * dx;
        }
        wi = fmax(wi, fabs(s - rc[k * 5]));
        wnorm = fmax(wnorm, fabs(norm - 1.0));
    }
    QP_CHECK(ok && wf.var[0] == 'p' && wnorm <= TOL_INTEGRAL && wi <= TOL_INTEGRAL,
             "transmon: wavefunctions normalized over a period (%.2g) and their integral of "
             "cos phi equals <k|cos(B1)|k> (%.2g)", wnorm, wi);
    qp_states_wave_free(&wf);
    /* the phase itself is not single-valued on a charge mode */
    qp_operator op = {QP_OP_PHASE, find_elem(S.c, "B1"), "phi(B1)", {0}};
    qp_modes *t = NULL;
    qp_status st = ok ? qp_states_operator_terms(S.c, S.m, &op, &t, err, sizeof err) : QP_OK;
    QP_CHECK(st == QP_ERR_INPUT && strstr(err, "cos(B1)") != NULL,
             "transmon: phi(B1) refused, pointing to cos/sin: %s", err);
    qp_modes_free(t);
    sys_free(&S);
}

/* Duality (SPEC section 4): the Cooper-pair box (EC, EJ, ng) and the phase-slip loop
 * (EL' = 4 EC, ES = EJ, f = ng) are the same matrix, so <i|cos phi|j> of the box equals
 * <i|cos 2 pi q|j> of the loop and likewise for sin. */
static void test_duality(void)
{
    sys A, B;
    int ok = build("B1 1 0 ej=3\nC1 1 0 ec=1.1\n.ng 1 0.2\n", 4, &A);
    /* EL' = 2 pi^2 EL = 4.4 GHz */
    char deck[200];
    snprintf(deck, sizeof deck, "Q1 1 0 es=3\nL1 1 0 el=%.17g\n.flux 0.2\n", 4.4 / (2 * PI * PI));
    ok = build(deck, 4, &B) && ok;
    double a[16], ai[16], b[16], bi[16], c[16], ci[16], d[16], di[16], w = 0.0;
    ok = ok && elements(&A, QP_OP_COS, "B1", a, ai) && elements(&B, QP_OP_COS, "Q1", b, bi) &&
         elements(&A, QP_OP_SIN, "B1", c, ci) && elements(&B, QP_OP_SIN, "Q1", d, di);
    for (int k = 0; ok && k < 16; k++) {
        w = fmax(w, fabs(mag(a, ai, 4, k / 4, k % 4) - mag(b, bi, 4, k / 4, k % 4)));
        w = fmax(w, fabs(mag(c, ci, 4, k / 4, k % 4) - mag(d, di, 4, k / 4, k % 4)));
    }
    double we = 0.0;
    for (int k = 0; ok && k < 4; k++) {
        we = fmax(we, fabs(A.st.E[k] - B.st.E[k]));
    }
    QP_CHECK(ok && we <= 1e-9 && w <= TOL_DUAL,
             "duality: |<i|cos,sin(B1)|j>| of the box = |<i|cos,sin(Q1)|j>| of the loop (%.2g; "
             "levels %.2g)", w, we);
    sys_free(&A);
    sys_free(&B);
}

/* Signs, independent of eigenvector phases: the Heisenberg relation (E_i - E_j) <i|phi_a|j> =
 * <i|[H, phi_a]|j> = -8i sum_b (E_C)_ab <i|n_b|j> for H = 4 n^T E_C n + U(phi), with the charging
 * matrix E_C = (e^2/2h) C^-1 from the node capacitances (computed here, not by qpsim), on
 * (a) a fluxonium off the sweet spot (phi(B1) = phi_1 + flux shift, E_C = EC) and
 * (b) two inductively grounded nodes joined by a junction and a capacitor, whose normal modes
 * mix the nodes (the map is not the identity): phi(B1) = phi_1 - phi_2 + shift. And
 * Hellmann-Feynman for cos at a generic flux: <k|cos phi_J|k> = -dE_k/dEJ. */
static double heisenberg(sys *S, const double *ec, int nn, const char *jj)
{
    double rp[64], ip[64], rn[2][64], in[2][64], worst = 0.0, scale = 0.0;
    int L = S->st.nlev;
    if (!elements(S, QP_OP_PHASE, jj, rp, ip) || !elements(S, QP_OP_CHARGE, "1", rn[0], in[0]) ||
        (nn == 2 && !elements(S, QP_OP_CHARGE, "2", rn[1], in[1]))) {
        return INFINITY;
    }
    for (int i = 0; i < L; i++) {
        for (int j = 0; j < L; j++) {
            if (i == j) {
                continue;
            }
            double dE = S->st.E[i] - S->st.E[j];
            double lre = dE * rp[i * L + j], lim = dE * ip[i * L + j];
            /* -8i (a + ib) = 8b - 8ia, with a + ib = sum_b E_C[a][b] n_b, a the junction's
             * plus node minus its minus node (row 0 minus row 1 for two nodes) */
            double a = 0.0, b = 0.0;
            for (int q = 0; q < nn; q++) {
                double w = nn == 2 ? ec[0 * 2 + q] - ec[1 * 2 + q] : ec[q];
                a += w * rn[q][i * L + j];
                b += w * in[q][i * L + j];
            }
            worst = fmax(worst, hypot(lre - 8.0 * b, lim + 8.0 * a));
            scale = fmax(scale, hypot(lre, lim));
        }
    }
    return worst / scale;
}

static void test_signs(void)
{
    sys S;
    double ec1 = 2.5;
    int ok = build("B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n.flux 0.3\n", 5, &S);
    double w = ok ? heisenberg(&S, &ec1, 1, "B1") : INFINITY;
    QP_CHECK(w <= 1e-8, "fluxonium at f = 0.3: (E_i - E_j)<i|phi(B1)|j> = -8i EC <i|n(1)|j> "
             "(relative %.2g)", w);
    sys_free(&S);
    /* (b): C1 = 50 fF, C2 = 70 fF, Cc = 20 fF; E_C = (e^2/2h) C^-1 in GHz */
    const double e = 1.602176634e-19, h = 6.62607015e-34;
    double c1 = 50e-15, c2 = 70e-15, cc = 20e-15, det = (c1 + cc) * (c2 + cc) - cc * cc;
    double k = e * e / (2.0 * h) / 1e9 / det;
    double ec[4] = {k * (c2 + cc), k * cc, k * cc, k * (c1 + cc)};
    /* two oscillator modes both in the junction's cosine make the product basis dense: a fixed
     * 30 x 30 basis keeps this fast (the relation holds for the converged low levels) */
    ok = build_nho("L1 1 0 1nH\nC1 1 0 50fF\nB1 1 2 ej=20\nC2 2 0 70fF\nL2 2 0 1.5nH\n"
                   "Cc 1 2 20fF\n.flux 0.2 B1 L2 L1\n",
                   5, 30, &S);
    w = ok ? heisenberg(&S, ec, 2, "B1") : INFINITY;
    QP_CHECK(w <= 1e-7, "two nodes, mixed normal modes: (E_i - E_j)<i|phi(B1)|j> = -8i <i|(E_C n)_1 "
             "- (E_C n)_2|j> (relative %.2g)", w);
    sys_free(&S);
    /* Hellmann-Feynman for cos(B1) of the fluxonium at f = 0.3 */
    static const char *fmt = "B1 1 0 ej=%.17g\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n.flux %.17g\n";
    char deck[200];
    snprintf(deck, sizeof deck, fmt, 8.9, 0.3);
    ok = build(deck, 4, &S);
    double rc[16], ic[16], wc = 0.0, dh = 1e-4;
    ok = ok && elements(&S, QP_OP_COS, "B1", rc, ic);
    for (int q = 0; ok && q < 4; q++) {
        double dej = (level(fmt, 8.9 + dh, 0.3, q) - level(fmt, 8.9 - dh, 0.3, q)) / (2.0 * dh);
        wc = fmax(wc, fabs(rc[q * 5] + dej));
    }
    QP_CHECK(ok && wc <= TOL_HF, "fluxonium at f = 0.3: <k|cos(B1)|k> = -dE_k/dEJ (%.2g)", wc);
    sys_free(&S);
}

int main(void)
{
    test_coupled_transmons();
    test_fluxonium();
    test_lc();
    test_transmon();
    test_duality();
    test_signs();
    return tap_done();
}
