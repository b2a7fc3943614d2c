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


/* A deck of n parallel elements from one line pattern (%d: the element number; odd ones
 * written with their nodes swapped when swap is set) after a fixed head. Caller frees. */
static char *parallel_deck(const char *head, const char *even, const char *odd, int n)
{
    size_t len = strlen(head) + (size_t)n * 64 + 1, used = 0;
    char *d = malloc(len);
    used += (size_t)snprintf(d, len, "%s", head);
    for (int i = 0; i < n && used < len; i++) {
        used += (size_t)snprintf(d + used, len - used, i % 2 ? odd : even, i, i % 7 + 1);
    }
    return d;
}

/* The charge row (capacitances) or phase row of element el, or NULL. */
static const double *row_of(const qp_modes *m, int el, int charge)
{
    for (size_t k = 0; k < m->nbranch; k++) {
        if (m->branch[k].elem == el && m->branch[k].charge == charge) {
            return m->branch[k].c;
        }
    }
    return NULL;
}

/* 2,048 capacitors in parallel (values 1..7 aF x 10, half written n- to n+) across a junction
 * are one capacitance C = sum C_i before the integer algebra: one charge mode with Ac = 4 EC(C)
 * and no capacitor-only loop left, and each capacitor's charge row is C_i/C of the total, its
 * sign from its orientation (the total that of a single capacitor C). */
static void test_parallel_capacitors(void)
{
    enum { N = 2048 };
    char *deck = parallel_deck("* parallel C\nB1 1 0 ej=10\n", "C%d 1 0 %d0e-18\n", "C%d 0 1 %d0e-18\n",
                               N);
    double csum = 0.0;
    for (int i = 0; i < N; i++) {
        csum += (i % 7 + 1) * 10e-18;
    }
    qp_circuit *c, *c1;
    qp_modes *m, *m1;
    char *msgs, *msgs1, one[96];
    qp_status st = quantize_text(deck, &c, &m, &msgs);
    snprintf(one, sizeof one, "* one C\nB1 1 0 ej=10\nC1 1 0 %.17g\n", csum);
    qp_status st1 = quantize_text(one, &c1, &m1, &msgs1);
    QP_CHECK(st == QP_OK && st1 == QP_OK, "2048 parallel capacitors quantize: %s",
             msgs ? msgs : "");
    if (st == QP_OK && st1 == QP_OK) {
        QP_CHECK(m->n == 1 && m->kind[0] == QP_MODE_CHARGE && m->eliminated_loops == 0,
                 "parallel capacitors: one charge mode, no loop to eliminate (%zu, %zu)", m->n,
                 m->eliminated_loops);
        QP_CHECK_REL(m->Ac[0], 4.0 * ec_of(csum), RTOL_FORM, "parallel capacitors: Ac = 4 EC(sum)");
        const double *total = row_of(m1, 1, 1);
        double worst = total ? 0.0 : INFINITY;
        int found = 0;
        for (int i = 0; i < N && total; i++) {
            const double *r = row_of(m, 1 + i, 1);
            if (r) {
                double want = (i % 2 ? -1.0 : 1.0) * (i % 7 + 1) * 10e-18 / csum * total[0];
                worst = fmax(worst, fabs(r[0] - want) / fabs(total[0]));
                found++;
            }
        }
        QP_CHECK(found == N && worst <= RTOL_FORM,
                 "parallel capacitors: every charge row is +-C_i/C of the total (%d rows, %.2g)",
                 found, worst);
    }
    release(c, m, msgs);
    release(c1, m1, msgs1);
    free(deck);
}

/* Inductors in parallel combine as 1/L sums unless a .flux names one: a fluxonium whose EL =
 * 0.5 GHz is split over L1 (named by the flux loop, kept) and 64 inductors of 0.25/64 GHz (half
 * reversed) has Lm = 4 EC EL and the offsets of the fluxonium with a single inductor; every
 * merged inductor's phase row is +-1 times the branch phase of its group. */
static void test_parallel_inductors(void)
{
    char *deck = parallel_deck("* split inductor\nB1 1 0 ej=4 ec=1\nL1 1 0 el=0.25\n"
                               ".flux 0.3 L1 B1\n", "LP%d 1 0 el={0.25/64+0*%d}\n",
                               "LP%d 0 1 el={0.25/64+0*%d}\n", 64);
    qp_circuit *c, *c1;
    qp_modes *m, *m1;
    char *msgs, *msgs1;
    qp_status st = quantize_text(deck, &c, &m, &msgs);
    qp_status st1 = quantize_text("* two inductors\nB1 1 0 ej=4 ec=1\nL1 1 0 el=0.25\n"
                                  "L2 1 0 el=0.25\n.flux 0.3 L1 B1\n", &c1, &m1, &msgs1);
    QP_CHECK(st == QP_OK && st1 == QP_OK, "parallel inductors quantize: %s", msgs ? msgs : "");
    if (st == QP_OK && st1 == QP_OK && m->n == 1 && m1->n == 1 && m->ncos == 1) {
        QP_CHECK_REL(m->Lm[0], 4.0 * 1.0 * 0.5, RTOL_FORM, "parallel inductors: Lm = 4 EC EL");
        QP_CHECK_ABS(m->lphi[0], m1->lphi[0], ATOL_ZERO, "parallel inductors: lphi as for two");
        QP_CHECK_ABS(m->cst, m1->cst, ATOL_ZERO, "parallel inductors: constant as for two");
        QP_CHECK_ABS(m->cos[0].shift, m1->cos[0].shift, ATOL_PHASE,
                     "parallel inductors: junction offset as for two");
        const double *r0 = row_of(m, 2, 0); /* LP0 is element 2 */
        int ok = r0 != NULL;
        for (int i = 1; i < 64 && ok; i++) {
            const double *r = row_of(m, 2 + i, 0);
            ok = r && fabs(r[0] - (i % 2 ? -1.0 : 1.0) * r0[0]) <= ATOL_MAP * fabs(r0[0]);
        }
        QP_CHECK(ok, "parallel inductors: every phase row is +-1 times the group's");
    } else {
        QP_CHECK(0, "parallel inductors: one mode, one cosine");
    }
    release(c, m, msgs);
    release(c1, m1, msgs1);
    free(deck);
}

/* Junctions in parallel share their phase (no .flux names them) and keep a cosine each, so that
 * noise channels and operators still name every junction: 1,000 junctions (half reversed) on a
 * capacitor give one charge mode and 1,000 terms -EJ_i cos(+-phi). */
static void test_parallel_junctions(void)
{
    char *deck = parallel_deck("* parallel B\nC1 1 0 ec=0.3\n", "B%d 1 0 ej=0.0%d\n",
                               "B%d 0 1 ej=0.0%d\n", 1000);
    qp_circuit *c;
    qp_modes *m;
    char *msgs;
    qp_status st = quantize_text(deck, &c, &m, &msgs);
    QP_CHECK(st == QP_OK && m->n == 1 && m->ncos == 1000,
             "1000 parallel junctions: one mode, 1000 cosines (%s)", msgs ? msgs : "");
    if (st == QP_OK && m->n == 1 && m->ncos == 1000) {
        int ok = 1;
        for (size_t k = 0; k < m->ncos && ok; k++) {
            const qp_cos_term *t = &m->cos[k];
            int i = t->elem - 1; /* B<i> is element 1 + i */
            double sign = c->elem[t->elem].n[0] == 1 ? 1.0 : -1.0;
            ok = fabs(t->E - 0.01 * (i % 7 + 1)) <= 1e-15 &&
                 fabs(t->c[0] * m->map[1] - sign) <= ATOL_MAP;
        }
        QP_CHECK(ok, "parallel junctions: each keeps its EJ and the sign of its own phase");
    }
    release(c, m, msgs);
    free(deck);
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
    test_parallel_capacitors();
    test_parallel_inductors();
    test_parallel_junctions();
    return tap_done();
}
