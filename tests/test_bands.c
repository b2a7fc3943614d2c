/* Unit tests: Bloch bands against Mathieu-function oracles (docs/physics.md, oracle T8, T8b) and the CPB
 * levels of T4/T4b; the lowest band's cosine series against the band itself. */
#include "qpsim/bands.h"
#include "circuit/shunt.h"

#include "tap.h"
#include "util.h"

#include <math.h>
#include <string.h>

#define RTOL_T8 1e-9     /* T8/T8b quote 10-12 significant digits */
#define ATOL_VB 1e-5     /* V_B is quoted to 5 decimals (1.92296 for 1.9229650 by an independent finite
                          * difference, i.e. truncated): agree within one unit of the last one */
#define TOL_SERIES 1e-12 /* the series reproduces E0 to rounding (GHz, levels of order 1) */
#define RTOL_SUM 1e-15   /* a sum of three element values: rounding only */
#define PI 3.14159265358979323846
#define TOL_LEVEL 1e-12  /* levels against the oracle, times 1 + |E| + EJ (GHz, EC = 1): rounding of
                          * a matrix whose norm is of order EJ + 4 EC ncut^2 */
#define RTOL_WIDTH 2e-8  /* widths against the exact ones: a narrow band's Floquet width errs by
                          * (width/spacing)^2 <= 1e-8 (linearization) plus 1e-10 (RK4), a wide
                          * band's difference of levels by rounding / width <= 1e-8 */
#define RTOL_ASYMPT 2e-3 /* the asymptotic charge dispersion with its 1/h term, for EJ/EC >= 1e3:
                          * its next term, O(1/h^2), is 1.1e-3 of W2 at 1e3 (the oracle's ratios) */

static void test_t8(void)
{
    qp_bands b;
    char err[256] = "";
    qp_status st = qp_bands_compute(1.0, 1.0, 3, 11, &b, err, sizeof err);
    QP_CHECK(st == QP_OK, "T8: computed (%s)", err);
    if (st != QP_OK) {
        return;
    }
    QP_CHECK_REL(b.width[0], 0.592419899873, RTOL_T8, "T8: W0");
    QP_CHECK_REL(b.width[1], 2.5124223732, RTOL_T8, "T8: W1");
    QP_CHECK_REL(b.gap[0], 0.9961124876, RTOL_T8, "T8: gap at q = 1/2");
    QP_CHECK_REL(b.es_eff, 0.2855100318, RTOL_T8, "T8: ES_eff = -c1");
    QP_CHECK_ABS(b.slope_max, 1.92296, ATOL_VB, "T8: V_B in EC/2e");
    QP_CHECK(b.nq == 11 && b.q[0] == -0.5 && b.q[10] == 0.5 && fabs(b.q[5]) < 1e-15,
             "T8: q grid from -1/2 to 1/2");
    qp_bands_free(&b);

    st = qp_bands_compute(1.0, 5.0, 2, 2, &b, err, sizeof err);
    QP_CHECK(st == QP_OK, "T8b: computed (%s)", err);
    if (st != QP_OK) {
        return;
    }
    /* only the two end points q = -1/2, 1/2 on the grid: widths still exact (q = 0 is added) */
    QP_CHECK_REL(b.width[0], 0.076746836214, RTOL_T8, "T8b: W0 from a 2-point grid");
    QP_CHECK_REL(b.width[1], 0.9965436203, RTOL_T8, "T8b: W1");
    QP_CHECK_REL(b.gap[0], 4.5722622523, RTOL_T8, "T8b: gap at q = 1/2");
    QP_CHECK_REL(b.es_eff, 0.0383649043, RTOL_T8, "T8b: ES_eff = -c1");
    QP_CHECK_ABS(b.slope_max, 0.24116, ATOL_VB, "T8b: V_B in EC/2e");
    qp_bands_free(&b);
}

/* The CPB EJ = 1, EC = 2 (T4, T4b): E0 at q = 0, 1/4, 1/2 from the band and from its series. */
static void test_cpb_series(void)
{
    qp_bands b;
    char err[256] = "";
    qp_status st = qp_bands_compute(2.0, 1.0, 4, 5, &b, err, sizeof err);
    QP_CHECK(st == QP_OK, "CPB bands: computed (%s)", err);
    if (st != QP_OK) {
        return;
    }
    static const double q[3] = {0.0, 0.25, 0.5};
    static const double e0[3] = {-0.0620787910, 0.4178984130, 1.4848576520};
    static const double e3[3] = {32.0041638021, 24.5055569774, 18.0083051031};
    for (int i = 0; i < 3; i++) {
        const double *row = b.E + (size_t)(2 + i) * 4; /* grid -1/2, -1/4, 0, 1/4, 1/2 */
        QP_CHECK_REL(row[0], e0[i], 1e-9, "CPB: E0 on the grid (T4/T4b)");
        QP_CHECK_REL(row[3], e3[i], 1e-9, "CPB: E3 on the grid (T4/T4b)");
        QP_CHECK_ABS(qp_band_value(&b.e0, q[i]), row[0], TOL_SERIES, "CPB: series = band");
    }
    /* the slope series against a central difference of the value series */
    double h = 1e-5, worst = 0.0;
    for (double x = -0.45; x < 0.5; x += 0.1) {
        double fd = (qp_band_value(&b.e0, x + h) - qp_band_value(&b.e0, x - h)) / (2 * h);
        worst = fmax(worst, fabs(fd - qp_band_slope(&b.e0, x)));
    }
    QP_CHECK(worst < 1e-6, "CPB: slope = derivative of the series (max diff %.3g)", worst);
    QP_CHECK(fabs(qp_band_slope(&b.e0, 0.0)) < 1e-12 && fabs(qp_band_slope(&b.e0, 0.5)) < 1e-12,
             "CPB: flat band at q = 0 and 1/2");
    qp_bands_free(&b);
}

/* A small junction (EJ/EC = 0.01): its band has a sharp avoided crossing at q = 1/2, so the
 * cosine series needs many points; V_B against an independent finite difference of the band
 * (scipy eigh_tridiagonal, central difference h = 1e-7: 3.8899928 EC/2e) and below e/C. */
static void test_small_junction(void)
{
    qp_bands b;
    char err[256] = "";
    qp_status st = qp_bands_compute(1.0, 0.01, 1, 3, &b, err, sizeof err);
    QP_CHECK(st == QP_OK, "EJ/EC = 0.01: computed (%s)", err);
    if (st == QP_OK) {
        QP_CHECK_REL(b.slope_max, 3.8899928, 1e-6, "EJ/EC = 0.01: V_B in EC/2e");
        QP_CHECK(b.slope_max < 4.0, "EJ/EC = 0.01: V_B below e/C = 4 EC/2e");
        qp_bands_free(&b);
    }
}

static void test_usage(void)
{
    qp_bands b;
    char err[256] = "";
    QP_CHECK(qp_bands_compute(0.0, 1.0, 2, 11, &b, err, sizeof err) == QP_ERR_USAGE && err[0],
             "EC = 0 refused: %s", err);
    QP_CHECK(qp_bands_compute(1.0, 1.0, 2, 1, &b, err, sizeof err) == QP_ERR_USAGE,
             "one q point refused");
    QP_CHECK(qp_bands_compute(1.0, NAN, 2, 11, &b, err, sizeof err) == QP_ERR_USAGE,
             "EJ = NaN refused");
    qp_bands_free(NULL);
}

/* The capacitance and inverse inductance across a junction: its own c= and the capacitors or
 * inductors between the same two nodes in either orientation, not those elsewhere. */
static void test_shunt(void)
{
    static const char deck[] = "C1 1 0 10fF\nB1 1 0 ic=1uA c=5fF\nC2 0 1 20fF\nC3 1 2 7fF\n"
                               "C4 2 0 3fF\nL1 1 0 10nH\nL2 0 1 40nH\nL3 1 2 1nH\nQ1 2 0 vc=1uV\n"
                               "L4 2 0 8nH\n.spectrum\n";
    qp_circuit *c = NULL;
    char *msgs = NULL;
    qp_status st = elaborate_text(deck, NULL, NULL, 0, &c, &msgs);
    QP_CHECK(st == QP_OK, "shunt deck elaborates (%s)", msgs ? msgs : "");
    free(msgs);
    if (st != QP_OK) {
        return;
    }
    size_t b1 = 1, q1 = 8;
    QP_CHECK(c->elem[b1].kind == QP_EL_B && c->elem[q1].kind == QP_EL_Q, "shunt: elements found");
    QP_CHECK_REL(qp_shunt_capacitance(c, b1), 35e-15, RTOL_SUM, "B1: 5 + 10 + 20 fF");
    QP_CHECK_REL(qp_shunt_inverse_inductance(c, b1), 1.0 / 10e-9 + 1.0 / 40e-9, RTOL_SUM,
                 "B1: 1/10 nH + 1/40 nH");
    QP_CHECK_REL(qp_shunt_capacitance(c, q1), 3e-15, RTOL_SUM, "Q1: 3 fF (no c= of its own)");
    QP_CHECK_REL(qp_shunt_inverse_inductance(c, q1), 1.0 / 8e-9, RTOL_SUM, "Q1: 1/8 nH");
    QP_CHECK(qp_shunt_parallel(&c->elem[0], &c->elem[2]) &&
                 !qp_shunt_parallel(&c->elem[0], &c->elem[3]),
             "shunt: C1 parallel to C2 (reversed), not to C3");
    qp_circuit_free(c);
}

/* tests/oracles/bands_mathieu.py, EC = 1 GHz, EJ = EJ/EC GHz: the lowest three levels at q = 0 and
 * q = 1/2 (multiple-precision Sturm bisection, equal to scipy's Mathieu characteristic values up to
 * EJ/EC = 1e3 to 1e-12) and the exact band widths (multiple precision). */
static const struct {
    double ratio, e0[3], eh[3], w[3];
} MATHIEU[] = {
    {1e-3, {-1.249999965818549e-7, 3.999999979166667, 4.000000104166663},
     {0.9994999687519531, 1.000499968748047, 9.000000015623047},
     {0.99950009375195, 2.99950001041862, 4.99999991145638}},
    {0.01, {-1.249996582050834e-5, 3.999997916666893, 4.000010416632171},
     {0.9949968769527172, 1.004996873046469, 9.000001560547273},
     {0.995009376918538, 2.99500104362042, 4.9999911439151}},
    {1.0, {-0.1217655449410827, 3.979189215751357, 4.100900595560481},
     {0.4706543549338391, 1.466766842516056, 9.013719838920393},
     {0.592419899874922, 2.5124223732353, 4.91281924335991}},
    {10.0, {-5.800046020851508, 2.099460445486665, 7.449109739529178},
     {-5.790080598637771, 1.858187541547751, 9.236327713693701},
     {0.00996542221373738, 0.241272903938914, 1.78721797416452}},
    {20.0, {-13.93697995665893, -2.382158235956956, 7.717369849779623},
     {-13.93655247925009, -2.399142400036264, 7.98606914468166},
     {0.00042747740883746, 0.0169841640793084, 0.268699294902038}},
    {50.0, {-40.25677954656679, -21.31486062224985, -3.522164727158296},
     {-40.25677898468416, -21.31489969066573, -3.520941526621369},
     {5.61882627992507e-7, 3.90684158760802e-5, 0.00122320053692651}},
    {100.0, {-86.11253852864917, -58.86740299150405, -32.71776170888304},
     {-86.11253852840724, -58.8674030163807, -32.71776051165037},
     {2.41929954920272e-10, 2.48766427698555e-8, 1.19723267564778e-6}},
    {1e3, {-955.5300620274937, -867.0988653570492, -779.6941758919013},
     {-955.5300620274937, -867.0988653570492, -779.6941758919013},
     {3.82421969996283e-36, 1.32960825253535e-33, 2.2704812811212e-31}},
    {1e4, {-9858.829088066661, -9576.989944364903, -9296.158884752653},
     {-9858.829088066661, -9576.989944364903, -9296.158884752653},
     {2.20262279397439e-119, 2.46989593926693e-116, 1.37733289329671e-113}},
    {5e4, {-49684.02243209591, -49052.56848780138, -48422.11812660916},
     {-49684.02243209591, -49052.56848780138, -48422.11812660916},
     {1.07893596828823e-270, 2.71871343840317e-267, 3.41713608134886e-264}},
};

/* Koch et al. 2007 (eq. 2.18) with DLMF 28.8.2's 1/h term, h = sqrt(EJ/2EC): the charge
 * dispersion of band m, in EC. */
static double asymptotic_width(double ratio, int m)
{
    double h = sqrt(0.5 * ratio);
    return pow(2.0, 4 * m + 5) / tgamma(m + 1.0) * sqrt(2.0 / PI) * pow(h, m + 1.5) *
           exp(-sqrt(8.0 * ratio)) * (1.0 - (6.0 * m * m + 14.0 * m + 7.0) / (32.0 * h));
}

/* Issue 16: .bands failed for every EJ/EC >= 20 (the lowest band's series never converged on
 * rounding); levels and widths against Mathieu oracles from EJ/EC = 1e-3 to 5e4, the widths of
 * the tight-binding bands (down to 1e-270 EC) to relative accuracy. */
static void test_mathieu_range(void)
{
    for (size_t i = 0; i < sizeof MATHIEU / sizeof MATHIEU[0]; i++) {
        double r = MATHIEU[i].ratio;
        qp_bands b;
        char err[400] = "";
        qp_status st = qp_bands_compute(1.0, r, 3, 3, &b, err, sizeof err); /* q = -1/2, 0, 1/2 */
        QP_CHECK(st == QP_OK, "EJ/EC = %g: computed (%s)", r, err);
        if (st != QP_OK) {
            continue;
        }
        double worst = 0.0, wworst = 0.0;
        for (int k = 0; k < 3; k++) {
            double tol = 1.0 + r;
            worst = fmax(worst, fabs(b.E[3 + k] - MATHIEU[i].e0[k]) / (tol + fabs(b.E[3 + k])));
            worst = fmax(worst, fabs(b.E[k] - MATHIEU[i].eh[k]) / (tol + fabs(b.E[k])));
            wworst = fmax(wworst, fabs(b.width[k] / MATHIEU[i].w[k] - 1.0));
        }
        QP_CHECK(worst <= TOL_LEVEL, "EJ/EC = %g: levels at q = 0, 1/2 (worst %.2g)", r, worst);
        QP_CHECK(wworst <= RTOL_WIDTH, "EJ/EC = %g: W0 = %.6g, widths (worst rel. %.2g)", r,
                 b.width[0], wworst);
        if (r >= 1e3) {
            double aw = 0.0;
            for (int m = 0; m < 3; m++) {
                aw = fmax(aw, fabs(b.width[m] / asymptotic_width(r, m) - 1.0));
            }
            QP_CHECK(aw <= RTOL_ASYMPT, "EJ/EC = %g: widths = asymptotic charge dispersion "
                     "(worst rel. %.2g)", r, aw);
            /* a tight-binding band: E0 = c0 - (W0/2) cos 2 pi q, so ES_eff = W0/2, max slope pi W0 */
            QP_CHECK(fabs(b.es_eff / (0.5 * b.width[0]) - 1.0) <= RTOL_SUM &&
                         fabs(b.slope_max / (PI * b.width[0]) - 1.0) <= 1e-12,
                     "EJ/EC = %g: ES_eff = W0/2, slope_max = pi W0", r);
        }
        qp_bands_free(&b);
    }
    qp_bands b;
    char err[400] = "";
    qp_status st = qp_bands_compute(1.0, 5e-4, 3, 11, &b, err, sizeof err);
    QP_CHECK(st == QP_ERR_USAGE && strstr(err, "below 0.001") && strstr(err, "raise EJ"),
             "EJ/EC = 5e-4: refused, the range and the way (%s)", err);
    st = qp_bands_compute(1.0, 6e4, 3, 11, &b, err, sizeof err);
    QP_CHECK(st == QP_ERR_USAGE && strstr(err, "above 50000") && strstr(err, "lower EJ"),
             "EJ/EC = 6e4: refused, the range and the way (%s)", err);
}

int main(void)
{
    test_shunt();
    test_t8();
    test_cpb_series();
    test_small_junction();
    test_usage();
    test_mathieu_range();
    return tap_done();
}
