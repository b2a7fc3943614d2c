/* Unit tests: Bloch bands against Mathieu-function oracles (docs/physics.md, oracle T8, T8b) and the CPB
 * levels of T4/T4b; the lowest band's cosine series against the band itself. */
#include "qpsim/bands.h"
#include "circuit/shunt.h"

#include "tap.h"
#include "util.h"

#include <math.h>

#define RTOL_T8 1e-9     /* T8/T8b quote 10-12 significant digits */
#define ATOL_VB 1e-5     /* V_B is quoted to 5 decimals (1.92296 for 1.9229650 by an independent finite
                          * difference, i.e. truncated): agree within one unit of the last one */
#define TOL_SERIES 1e-12 /* the series reproduces E0 to rounding (GHz, levels of order 1) */
#define RTOL_SUM 1e-15   /* a sum of three element values: rounding only */

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

int main(void)
{
    test_shunt();
    test_t8();
    test_cpb_series();
    test_small_junction();
    test_usage();
    return tap_done();
}
