/* Unit tests: the quantizer's modes and reduced forms against closed forms (LC oscillator,
 * transmon, coupled islands, fluxonium with flux) and its error for a resistor-only node. */
#include "qpsim/engine.h"

#include "tap.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RTOL_FORM 1e-12  /* a form entry against its closed form: a few roundings apart */
#define ATOL_ZERO 1e-12  /* entries that must vanish, in GHz (forms of order 1-100 GHz) */
#define ATOL_MAP 1e-12   /* integer entries of maps and cosine coefficients */
#define ATOL_PHASE 1e-10 /* flux offsets [rad]: the gauge goes through a least-squares solve */
#define PI 3.14159265358979323846

/* Closed forms in GHz from the SI constants, written out here instead of taken from the
 * library's conversions (docs/physics.md: EC = e^2/2C, EL = (Phi0/2pi)^2/L). */
static double ec_of(double c_farad)
{
    return QP_QE * QP_QE / (2.0 * c_farad) / QP_H / 1e9;
}

static double el_of(double l_henry)
{
    double phi0 = QP_H / (2.0 * QP_QE);
    return phi0 * phi0 / (4.0 * PI * PI) / l_henry / QP_H / 1e9;
}

/* Elaborates and quantizes `deck`; returns the status of qp_quantize (QP_ERR_INPUT when the
 * deck itself does not elaborate) and the formatted diagnostics of both in *msgs. */
static qp_status quantize_text(const char *deck, qp_circuit **c, qp_modes **m, char **msgs)
{
    *m = NULL;
    *msgs = NULL;
    qp_status st = elaborate_text(deck, NULL, NULL, 0, c, msgs);
    if (st != QP_OK) {
        printf("# elaboration failed: %s", *msgs ? *msgs : "");
        return QP_ERR_INPUT;
    }
    free(*msgs);
    qp_diag d = {0};
    st = qp_quantize(*c, m, &d);
    *msgs = qp_diag_format(&d);
    qp_diag_clear(&d);
    return st;
}

static void release(qp_circuit *c, qp_modes *m, char *msgs)
{
    qp_modes_free(m);
    qp_circuit_free(c);
    free(msgs);
}

/* The forms of one mode with no offsets, no constant and nothing eliminated. */
static void check_plain(const char *name, const qp_modes *m)
{
    char label[96];
    snprintf(label, sizeof label, "%s: lphi", name);
    QP_CHECK_ABS(m->lphi[0], 0.0, ATOL_ZERO, label);
    snprintf(label, sizeof label, "%s: lp", name);
    QP_CHECK_ABS(m->lp[0], 0.0, ATOL_ZERO, label);
    snprintf(label, sizeof label, "%s: constant", name);
    QP_CHECK_ABS(m->cst, 0.0, ATOL_ZERO, label);
    QP_CHECK(m->eliminated_loops == 0 && m->eliminated_cuts == 0, "%s: nothing eliminated", name);
}

/* LC oscillator: one oscillator mode, normal-mode form Ac = 1, Lm = 4 EC EL, so that the
 * frequency sqrt(2 Ac Lm) = sqrt(8 EC EL) is 1/(2 pi sqrt(LC)); the mode's flux is the node
 * phase over sqrt(4 EC). */
static void test_lc(void)
{
    const double L = 10e-9, C = 50e-15;
    qp_circuit *c;
    qp_modes *m;
    char *msgs;
    qp_status st = quantize_text("* LC\nL1 1 0 10n\nC1 1 0 50f\n", &c, &m, &msgs);
    QP_CHECK(st == QP_OK, "LC quantizes: %s", msgs ? msgs : "");
    if (st != QP_OK) {
        release(c, m, msgs);
        return;
    }
    double ec = ec_of(C), el = el_of(L);
    QP_CHECK(m->n == 1 && m->kind[0] == QP_MODE_OSC, "LC: one oscillator mode (%zu modes, %s)",
             m->n, qp_mode_kind_name(m->kind[0]));
    QP_CHECK_REL(m->Ac[0], 1.0, RTOL_FORM, "LC: Ac of the normal mode");
    QP_CHECK_REL(m->Lm[0], 4.0 * ec * el, RTOL_FORM, "LC: Lm = 4 EC EL");
    QP_CHECK_REL(sqrt(2.0 * m->Ac[0] * m->Lm[0]), 1.0 / (2.0 * PI * sqrt(L * C)) / 1e9, RTOL_FORM,
                 "LC: frequency 1/(2 pi sqrt(LC)) [GHz]");
    QP_CHECK(m->nnodes == 2, "LC: map over 2 nodes");
    QP_CHECK_REL(fabs(m->map[1]), 1.0 / sqrt(4.0 * ec), RTOL_FORM, "LC: |map| = 1/sqrt(4 EC)");
    QP_CHECK(m->ncos == 0, "LC: no cosine term");
    check_plain("LC", m);
    release(c, m, msgs);
}

/* Transmon at ng: one charge mode, 4 EC (n - ng)^2 - EJ cos phi with n = map P, so Ac = 4 EC,
 * lp = -8 EC map ng, constant 4 EC ng^2, and one cosine EJ cos(c phi~) with c map = +-1. */
static void test_transmon(void)
{
    const double ej = 15.0, ec = 0.3, ng = 0.25;
    qp_circuit *c;
    qp_modes *m;
    char *msgs;
    qp_status st =
        quantize_text("* transmon\nB1 1 0 ej=15 ec=0.3\n.ng 1 0.25\n", &c, &m, &msgs);
    QP_CHECK(st == QP_OK, "transmon quantizes: %s", msgs ? msgs : "");
    if (st != QP_OK) {
        release(c, m, msgs);
        return;
    }
    QP_CHECK(m->n == 1 && m->kind[0] == QP_MODE_CHARGE, "transmon: one charge mode (%zu, %s)",
             m->n, qp_mode_kind_name(m->kind[0]));
    double map = m->map[1];
    QP_CHECK_ABS(fabs(map), 1.0, ATOL_MAP, "transmon: the mode is the node phase");
    QP_CHECK_REL(m->Ac[0], 4.0 * ec, RTOL_FORM, "transmon: Ac = 4 EC");
    QP_CHECK_ABS(m->Lm[0], 0.0, ATOL_ZERO, "transmon: no inductive form");
    QP_CHECK_ABS(m->lphi[0], 0.0, ATOL_ZERO, "transmon: no linear flux term");
    QP_CHECK_REL(m->lp[0], -8.0 * ec * map * ng, RTOL_FORM, "transmon: lp = -8 EC ng");
    QP_CHECK_REL(m->cst, 4.0 * ec * ng * ng, RTOL_FORM, "transmon: constant 4 EC ng^2");
    QP_CHECK(m->ncos == 1, "transmon: one cosine term (%zu)", m->ncos);
    if (m->ncos == 1) {
        const qp_cos_term *t = &m->cos[0];
        QP_CHECK(!t->is_qps && strcmp(c->elem[t->elem].name, "B1") == 0,
                 "transmon: the cosine is junction B1");
        QP_CHECK_REL(t->E, ej, RTOL_FORM, "transmon: EJ");
        QP_CHECK_ABS(fabs(t->c[0] * map), 1.0, ATOL_MAP, "transmon: cos of the node phase");
        QP_CHECK_ABS(t->shift, 0.0, ATOL_PHASE, "transmon: no phase shift without flux");
    }
    release(c, m, msgs);
}

/* Two islands, each a junction with capacitance to ground, joined by a coupling capacitor: two
 * charge modes whose kinetic form, back in node charges n = M^T P (M the 2 x 2 map), is
 * 4 x (e^2/2) C^-1 with C = [[C1 + Cc, -Cc], [-Cc, C2 + Cc]] inverted by hand. */
static void test_coupled_islands(void)
{
    const double C1 = 50e-15, C2 = 60e-15, Cc = 5e-15;
    qp_circuit *c;
    qp_modes *m;
    char *msgs;
    qp_status st = quantize_text("* two islands\nB1 1 0 ej=10 c=50f\nB2 2 0 ej=12 c=60f\n"
                                 "C3 1 2 5f\n",
                                 &c, &m, &msgs);
    QP_CHECK(st == QP_OK, "coupled islands quantize: %s", msgs ? msgs : "");
    if (st != QP_OK) {
        release(c, m, msgs);
        return;
    }
    QP_CHECK(m->n == 2 && m->kind[0] == QP_MODE_CHARGE && m->kind[1] == QP_MODE_CHARGE,
             "coupled islands: two charge modes (%zu)", m->n);
    if (m->n != 2 || m->nnodes != 3) {
        release(c, m, msgs);
        return;
    }
    double det = (C1 + Cc) * (C2 + Cc) - Cc * Cc;
    double cinv[2][2] = {{(C2 + Cc) / det, Cc / det}, {Cc / det, (C1 + Cc) / det}};
    double f = 2.0 * QP_QE * QP_QE / QP_H / 1e9; /* 4 EC = 4 (e^2/2) / C, in GHz */
    double M[2][2] = {{m->map[1], m->map[2]}, {m->map[4], m->map[5]}};
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
            double want = 0.0; /* (M (4 EC_node) M^T)_ij */
            for (int k = 0; k < 2; k++) {
                for (int l = 0; l < 2; l++) {
                    want += M[i][k] * f * cinv[k][l] * M[j][l];
                }
            }
            char label[64];
            snprintf(label, sizeof label, "coupled islands: Ac[%d][%d]", i, j);
            QP_CHECK_REL(m->Ac[i * 2 + j], want, RTOL_FORM, label);
            snprintf(label, sizeof label, "coupled islands: Lm[%d][%d]", i, j);
            QP_CHECK_ABS(m->Lm[i * 2 + j], 0.0, ATOL_ZERO, label);
        }
    }
    QP_CHECK_ABS(fabs(M[0][0] * M[1][1] - M[0][1] * M[1][0]), 1.0, ATOL_MAP,
                 "coupled islands: the map is unimodular");
    QP_CHECK(m->ncos == 2, "coupled islands: two cosine terms (%zu)", m->ncos);
    for (size_t k = 0; k < m->ncos; k++) {
        const qp_cos_term *t = &m->cos[k];
        int node = c->elem[t->elem].n[0]; /* both junctions go from their island to ground */
        double on1 = t->c[0] * M[0][0] + t->c[1] * M[1][0];
        double on2 = t->c[0] * M[0][1] + t->c[1] * M[1][1];
        QP_CHECK(fabs(fabs(node == 1 ? on1 : on2) - 1.0) <= ATOL_MAP &&
                     fabs(node == 1 ? on2 : on1) <= ATOL_MAP,
                 "coupled islands: %s is the cosine of node %d's phase (%g, %g)",
                 c->elem[t->elem].name, node, on1, on2);
        QP_CHECK_REL(t->E, strcmp(c->elem[t->elem].name, "B1") == 0 ? 10.0 : 12.0, RTOL_FORM,
                     "coupled islands: EJ");
    }
    release(c, m, msgs);
}

/* Fluxonium with flux f through the L-B loop: branch phases around the loop sum to 2 pi f
 * (docs/physics.md), so the inductive minimum and the junction's cosine maximum sit 2 pi f
 * apart in the node phase, whichever branch the gauge puts the flux on (the element order picks
 * the tree). Ac = 1, Lm = 4 EC EL as for any single oscillator. */
static void test_fluxonium(const char *name, const char *deck)
{
    const double ec = 1.0, el = 0.5, ej = 4.0, f = 0.3;
    qp_circuit *c;
    qp_modes *m;
    char *msgs;
    qp_status st = quantize_text(deck, &c, &m, &msgs);
    QP_CHECK(st == QP_OK, "%s quantizes: %s", name, msgs ? msgs : "");
    if (st != QP_OK) {
        release(c, m, msgs);
        return;
    }
    QP_CHECK(m->n == 1 && m->kind[0] == QP_MODE_OSC && m->ncos == 1,
             "%s: one oscillator mode, one cosine", name);
    if (m->n != 1 || m->ncos != 1) {
        release(c, m, msgs);
        return;
    }
    char label[96];
    snprintf(label, sizeof label, "%s: Ac", name);
    QP_CHECK_REL(m->Ac[0], 1.0, RTOL_FORM, label);
    snprintf(label, sizeof label, "%s: Lm = 4 EC EL", name);
    QP_CHECK_REL(m->Lm[0], 4.0 * ec * el, RTOL_FORM, label);
    snprintf(label, sizeof label, "%s: EJ", name);
    QP_CHECK_REL(m->cos[0].E, ej, RTOL_FORM, label);
    double map = m->map[1]; /* mode flux = map * node phase */
    snprintf(label, sizeof label, "%s: |map| = 1/sqrt(4 EC)", name);
    QP_CHECK_REL(fabs(map), 1.0 / sqrt(4.0 * ec), RTOL_FORM, label);
    /* (1/2) Lm x^2 + lphi x is least at x = -lphi/Lm; cos(c x + shift) is largest at
     * x = -shift/c. Both in node phase: divide by map. */
    double at_l = -m->lphi[0] / m->Lm[0] / map;
    double at_j = -m->cos[0].shift / m->cos[0].c[0] / map;
    snprintf(label, sizeof label, "%s: junction minus inductor offset = 2 pi f", name);
    QP_CHECK_ABS(at_j - at_l, 2.0 * PI * f, ATOL_PHASE, label);
    QP_CHECK(fabs(m->lphi[0]) > ATOL_ZERO || fabs(m->cos[0].shift) > ATOL_PHASE,
             "%s: the flux is on one of the inductive branches (lphi %g, shift %g)", name,
             m->lphi[0], m->cos[0].shift);
    release(c, m, msgs);
}

/* A node reached only through a resistor has no quantum variable: the quantizer names it. */
static void test_resistor_node(void)
{
    qp_circuit *c;
    qp_modes *m;
    char *msgs;
    qp_status st =
        quantize_text("* dangling\nB1 1 0 ej=1 ec=1\nR1 1 2 1k\n", &c, &m, &msgs);
    QP_CHECK(st == QP_ERR_INPUT && m == NULL, "resistor-only node: refused (status %d)", (int)st);
    const char *want = "node '2' is connected to ground only through resistors or sources; a "
                       "spectrum needs a path of C, L, B or Q elements";
    QP_CHECK(msgs && strstr(msgs, want) != NULL, "resistor-only node: message names node 2: %s",
             msgs ? msgs : "(none)");
    release(c, m, msgs);
}

/* More .flux loops than chords: three independent loops fill the system, the fourth (whatever
 * it is) must be refused as dependent before it is written into the full system. */
static void test_too_many_loops(void)
{
    qp_circuit *c;
    qp_modes *m;
    char *msgs;
    qp_status st = quantize_text("* four loops, three chords\nL1 1 0 el=0.5\nB1 1 0 ej=4\n"
                                 "C1 1 0 ec=1\nL2 1 0 el=1\n.flux 0.1 L1 B1\n.flux 0.2 B1 L2\n"
                                 ".flux 0.3 L1 C1\n.flux 0.3 L2 C1\n",
                                 &c, &m, &msgs);
    QP_CHECK(st == QP_ERR_INPUT && m == NULL, "four loops over three chords: refused (status %d)",
             (int)st);
    QP_CHECK(msgs && strstr(msgs, "deck.cir:9:1: error: this .flux loop is not independent of "
                                  "the loops given before it") != NULL,
             "four loops over three chords: the fourth is named: %s", msgs ? msgs : "(none)");
    release(c, m, msgs);
}

int main(void)
{
    test_lc();
    test_transmon();
    test_coupled_islands();
    test_fluxonium("fluxonium (L first)",
                   "* fluxonium\nL1 1 0 el=0.5\nB1 1 0 ej=4 ec=1\n.flux 0.3 L1 B1\n");
    test_fluxonium("fluxonium (B first)",
                   "* fluxonium\nB1 1 0 ej=4 ec=1\nL1 1 0 el=0.5\n.flux 0.3 L1 B1\n");
    test_resistor_node();
    test_too_many_loops();
    return tap_done();
}
