/* Unit tests: hierarchical diagonalization (analyses/hier.c) against two independent numbers:
 * the exact product-basis spectrum of the same modes (every circuit small enough for both, with
 * charge, oscillator and fluxoid modes, real and complex), and the converged levels of a chain of
 * six transmons from tests/oracles/transmon_chain.py (each transmon diagonalized alone at ncut 30
 * in numpy, couplings in the kept states, Ecut grown to 70 GHz: converged to 2e-12 GHz, and equal
 * to the exact product basis to 2e-13 GHz for two and three transmons). */
#include "qpsim/engine.h"
#include "analyses/spectrum_impl.h"
#include "operators/align.h"

#include "tap.h"
#include "util.h"

#include <math.h>

#define TOL_RUN 1e-10   /* GHz: .spectrum tol of both paths here */
#define TOL_AGREE 1e-8  /* GHz: exact vs hierarchical; each stops when a growth step moves the
                           levels by < TOL_RUN, and the truncation error left is of that order */
#define RTOL_ORACLE 1e-8 /* relative: the target for the six-transmon chain */
#define TOL_ALGEBRA 1e-12 /* relative: closed forms of a coordinate change, rounding only */

static qp_modes *modes_of(const char *deck)
{
    return modes_from_text(deck, NULL);
}

/* The largest difference of two spectra's levels (GHz); infinite when their counts differ. */
static double level_dev(const qp_spectrum *a, const qp_spectrum *b)
{
    double dev = a->nlev == b->nlev ? 0.0 : INFINITY;
    for (int k = 0; k < a->nlev && k < b->nlev; k++) {
        dev = fmax(dev, fabs(a->E[k] - b->E[k]));
    }
    return dev;
}

/* Exact and hierarchical levels of deck agree; groups NULL: the default grouping. exact_nho > 0
 * fixes the oscillator cutoffs of the exact side (its own convergence loop on normal modes that
 * mix two junction phases would take minutes; 40 states hold these levels to 1e-12 GHz). */
static void agree(const char *name, const char *deck, int levels, const int *groups,
                  size_t want_groups, int exact_nho)
{
    qp_modes *m = modes_of(deck);
    QP_CHECK(m != NULL, "%s: quantized", name);
    if (!m) {
        return;
    }
    qp_spectrum_opts o;
    qp_spectrum_opts_default(&o);
    o.levels = levels;
    o.tol = TOL_RUN;
    qp_spectrum ex = {0}, hi = {0};
    char err[512] = "";
    o.method = QP_SPEC_EXACT;
    o.cut_osc = exact_nho;
    qp_status s1 = qp_spectrum_compute(m, &o, &ex, err, sizeof err);
    QP_CHECK(s1 == QP_OK, "%s: exact (%s)", name, err);
    o.method = QP_SPEC_HIERARCHICAL;
    o.cut_osc = 0;
    o.groups = groups;
    qp_status s2 = qp_spectrum_compute(m, &o, &hi, err, sizeof err);
    QP_CHECK(s2 == QP_OK && hi.hier && hi.ngroups == want_groups,
             "%s: hierarchical in %zu groups (%s)", name, hi.ngroups, err);
    if (s1 == QP_OK && s2 == QP_OK) {
        double dev = level_dev(&ex, &hi);
        QP_CHECK(dev <= TOL_AGREE,
                 "%s: hierarchical = exact (max diff %.3g GHz; %zu kept product states, exact "
                 "dim %zu, E0 = %.10f)", name, dev, hi.dim, ex.dim, ex.E[0]);
    }
    qp_spectrum_clear(&ex); /* zero-initialized: safe whatever the solves returned */
    qp_spectrum_clear(&hi);
    qp_modes_free(m);
}

static const char *const chain6 =
    "B1 1 0 ej=15\nC1 1 0 ec=0.3\nB2 2 0 ej=15\nC2 2 0 ec=0.3\nCC2 1 2 2fF\n"
    "B3 3 0 ej=15\nC3 3 0 ec=0.3\nCC3 2 3 2fF\nB4 4 0 ej=15\nC4 4 0 ec=0.3\nCC4 3 4 2fF\n"
    "B5 5 0 ej=15\nC5 5 0 ec=0.3\nCC5 4 5 2fF\nB6 6 0 ej=15\nC6 6 0 ec=0.3\nCC6 5 6 2fF\n";

/* The six-transmon chain (8.6e7 product states at ncut 10) by the automatic choice. */
static void chain_oracle(void)
{
    static const double want[6] = {-72.8764222906, -67.4872120248, -67.4321811337,
                                   -67.3541643066, -67.2726364361, -67.2105162389};
    qp_modes *m = modes_of(chain6);
    QP_CHECK(m != NULL, "chain of six: quantized");
    if (!m) {
        return;
    }
    qp_spectrum_opts o;
    qp_spectrum_opts_default(&o);
    qp_spectrum s;
    char err[512] = "";
    qp_status st = qp_spectrum_compute(m, &o, &s, err, sizeof err);
    QP_CHECK(st == QP_OK && s.hier && s.ngroups == 6,
             "chain of six: the automatic choice is hierarchical, one group per transmon (%s)",
             err);
    if (st == QP_OK) {
        for (int k = 0; k < 6 && k < s.nlev; k++) {
            QP_CHECK_REL(s.E[k], want[k], RTOL_ORACLE, "chain of six vs oracle");
        }
        QP_CHECK(s.delta <= o.tol, "chain of six: last change %.3g GHz within tol; %zu kept "
                 "states below Ecut %.3g GHz", s.delta, s.dim, s.ecut);
        qp_spectrum_clear(&s);
    }
    qp_modes_free(m);
}

/* Modes joined by a junction share a default group; capacitive couplings do not join. */
static void default_groups(void)
{
    /* 0-pi ring: two junctions across mixed modes; the zeta mode only by capacitance */
    qp_modes *m = modes_of("B1 1 2 ej=1 ec=0.5\nL1 2 3 el=2\nB2 3 0 ej=1 ec=0.5\nL2 0 1 el=2\n"
                           "C1 1 3 ec=1\nC2 2 0 ec=1\n.flux 0.5 B1 L1 B2 L2\n");
    QP_CHECK(m != NULL && m->n == 3, "0-pi: three modes");
    if (m && m->n == 3) {
        int g[3];
        size_t ng = qp_hier_default_groups(m, g);
        int cos_modes = 0; /* modes that a cosine touches */
        for (size_t i = 0; i < 3; i++) {
            int touched = 0;
            for (size_t t = 0; t < m->ncos; t++) {
                touched |= m->cos[t].c[i] != 0.0;
            }
            cos_modes += touched;
        }
        QP_CHECK(cos_modes == 2 && ng == 2,
                 "0-pi: the %d modes under the junctions (theta, phi; zeta's rounding-level "
                 "coefficients are cleaned) form one group, zeta stands alone (%zu groups)",
                 cos_modes, ng);
    }
    qp_modes_free(m);
    m = modes_of(chain6);
    if (m) {
        int g[6];
        QP_CHECK(qp_hier_default_groups(m, g) == 6 && g[0] == 0 && g[5] == 5,
                 "capacitively coupled transmons: one group each, numbered in order");
    }
    qp_modes_free(m);
}

/* The protected 0-pi ring (EJ = 10, ECJ = 20, EL = EC = 0.04 GHz): the quantizer's charge mode is
 * kinetically coupled to the phi oscillator at 0.999 of their own terms. The shear leaves the
 * symmetric form (tests/oracles/zero_pi_protected.py): a charge mode with kinetic term
 * 2 ECS n^2, ECS = (1/EC + 1/ECJ)^-1, no kinetic coupling, and the two junction cosines
 * cos(theta +- k phi') with equal |k| on the oscillator. */
static void sheared(void)
{
    qp_modes *m = modes_of("B1 1 2 ej=10 ec=20\nL1 2 3 el=0.04\nB2 3 0 ej=10 ec=20\n"
                           "L2 0 1 el=0.04\nC1 1 3 ec=0.04\nC2 2 0 ec=0.04\n"
                           ".flux 0.23 B1 L1 B2 L2\n.ng 2 0.1\n");
    qp_modes *s = NULL;
    QP_CHECK(m && m->n == 3 && qp_align_shear(m, &s) == QP_OK && s,
             "protected 0-pi: the charge mode is sheared off the oscillators");
    if (s) {
        size_t c = 3, n = 3;
        for (size_t i = 0; i < n; i++) {
            c = s->kind[i] == QP_MODE_CHARGE ? i : c;
        }
        double off = 0.0, k[2] = {0.0, 0.0};
        for (size_t i = 0; i < n && c < n; i++) {
            off = i == c ? off : fmax(off, fabs(s->Ac[c * n + i]));
        }
        for (size_t t = 0; t < s->ncos && t < 2 && c < n; t++) {
            for (size_t i = 0; i < n; i++) {
                k[t] = i == c ? k[t] : k[t] + fabs(s->cos[t].c[i]);
            }
        }
        QP_CHECK(c < n && off == 0.0, "protected 0-pi: no kinetic coupling left (%.3g)", off);
        QP_CHECK_REL(c < n ? s->Ac[c * n + c] : 0.0, 2.0 / (1.0 / 0.04 + 1.0 / 20.0), TOL_ALGEBRA,
                     "protected 0-pi: charge mode 2 ECS n^2 (Schur complement)");
        QP_CHECK(s->ncos == 2 && k[0] > 1.0 && fabs(k[0] - k[1]) <= TOL_ALGEBRA * k[0],
                 "protected 0-pi: cos(theta +- k phi') with |k| equal (%.15g, %.15g)", k[0], k[1]);
    }
    qp_modes_free(s);
    qp_modes_free(m);
}

/* Two rf SQUIDs coupled by a mutual inductance: the normal modes put both junction phases in
 * both modes; the aligned coordinates give each junction its own mode. */
static void aligned(void)
{
    qp_modes *m = modes_of("L1 a1 0 1nH\nB1 a1 0 ej=40 c=30f\nL2 a2 0 1.2nH\n"
                           "B2 a2 0 ej=35 c=30f\nK12 L1 L2 0.02\n.flux 0.48 L1 B1\n"
                           ".flux 0.5 L2 B2\n");
    qp_modes *a = NULL;
    QP_CHECK(m && qp_align_junctions(m, &a) == QP_OK && a, "rf SQUIDs: aligned coordinates");
    if (a) {
        int single = 1;
        for (size_t t = 0; t < a->ncos; t++) {
            single &= (a->cos[t].c[0] != 0.0) + (a->cos[t].c[1] != 0.0) == 1;
        }
        QP_CHECK(single && a->ncos == 2, "rf SQUIDs: each junction cosine acts on one mode");
    }
    qp_modes_free(a);
    qp_modes_free(m);
}

/* The exact path's matrix-free solve (Lanczos on the Kronecker terms, never the matrix) against
 * its stored-matrix solve at the same fixed cutoffs: three coupled transmons with offsets. */
static void matrix_free(void)
{
    qp_modes *m = modes_of("B1 1 0 ej=15\nC1 1 0 ec=0.3\nB2 2 0 ej=12\nC2 2 0 ec=0.28\n"
                           "B3 3 0 ej=9\nC3 3 0 ec=0.31\nCC1 1 2 8fF\nCC2 2 3 6fF\n.ng 2 0.2\n");
    if (!m) {
        QP_CHECK(0, "matrix-free: quantized");
        return;
    }
    qp_spectrum_opts o;
    qp_spectrum_opts_default(&o);
    o.method = QP_SPEC_EXACT;
    o.cut_charge = 8;
    qp_spectrum a = {0}, b = {0};
    char err[512] = "";
    qp_status s1 = qp_spectrum_compute(m, &o, &a, err, sizeof err);
    o.matfree_from = 1;
    qp_status s2 = qp_spectrum_compute(m, &o, &b, err, sizeof err);
    QP_CHECK(s1 == QP_OK && s2 == QP_OK && b.info.used == QP_EIG_LANCZOS,
             "matrix-free: both solves, the second by Lanczos (%s)", err);
    if (s1 == QP_OK && s2 == QP_OK) {
        double dev = 0.0;
        for (int k = 0; k < a.nlev; k++) {
            dev = fmax(dev, fabs(a.E[k] - b.E[k]));
        }
        QP_CHECK(a.nlev == b.nlev && dev <= 1e-9, "matrix-free = stored (max diff %.3g GHz, dim %zu)",
                 dev, b.dim);
    }
    qp_spectrum_clear(&a); /* zero-initialized: safe whatever the solves returned */
    qp_spectrum_clear(&b);
    qp_modes_free(m);
}

/* Fewer product states than levels asked: the hierarchy keeps everything, solves once and stops
 * (two oscillators of two states each: four levels, equal to the exact ones). */
static void whole_product(void)
{
    qp_modes *m = modes_of("L1 1 0 el=1\nC1 1 0 ec=1\nL2 2 0 el=1\nC2 2 0 ec=1\nCK 1 2 1fF\n");
    if (!m) {
        QP_CHECK(0, "whole product: quantized");
        return;
    }
    qp_spectrum_opts o;
    qp_spectrum_opts_default(&o);
    o.cut_osc = 2;
    qp_spectrum a = {0}, b = {0};
    char err[256] = "";
    o.method = QP_SPEC_EXACT;
    qp_status s1 = qp_spectrum_compute(m, &o, &a, err, sizeof err);
    o.method = QP_SPEC_HIERARCHICAL;
    qp_status s2 = qp_spectrum_compute(m, &o, &b, err, sizeof err);
    QP_CHECK(s1 == QP_OK && s2 == QP_OK && a.nlev == 4 && b.nlev == 4,
             "whole product: four levels both ways (%s)", err);
    if (s1 == QP_OK && s2 == QP_OK && a.nlev == 4 && b.nlev == 4) {
        double dev = 0.0;
        for (int k = 0; k < 4; k++) {
            dev = fmax(dev, fabs(a.E[k] - b.E[k]));
        }
        QP_CHECK(dev <= 1e-12, "whole product: hierarchical = exact (%.3g GHz)", dev);
    }
    qp_spectrum_clear(&a); /* zero-initialized: safe whatever the solves returned */
    qp_spectrum_clear(&b);
    qp_modes_free(m);
}

/* The reduced 0-pi ring (bench/zero_pi_reduced.cir) and three coupled transmons, each used twice. */
/* A fluxonium whose inductor is an array of three junctions, EJ/EC = 400 each (their level-3
 * phase-slip band width is 3e-17 GHz): the extended normal modes, hierarchical with every term
 * dressed, against the exact compact charge basis of the same modes at the cutoffs its own
 * convergence loop chose (15, 22, 22: changes 2e-12 GHz). Then the same array at EJ/EC = 50,
 * where slips matter at 1e-8 GHz: not extended. */
static const char *const array3 =
    "B0 1 0 ej=8.9\nC0 1 0 ec=2.5\nBA1 1 a1 ej=40 ec=0.1\nBA2 a1 a2 ej=40 ec=0.1\n"
    "BA3 a2 0 ej=40 ec=0.1\n.flux 0.5\n";

static void extended_array(void)
{
    qp_modes *m = modes_of(array3);
    QP_CHECK(m && m->n == 3, "array of three: quantized in 3 charge modes");
    if (!m || m->n != 3) {
        qp_modes_free(m);
        return;
    }
    qp_spectrum_opts o;
    qp_spectrum_opts_default(&o);
    o.levels = 4;
    o.tol = 1e-9;
    qp_spectrum ex = {0}, hi = {0};
    char err[512] = "";
    qp_status s2 = qp_spectrum_compute(m, &o, &hi, err, sizeof err);
    QP_CHECK(s2 == QP_OK && hi.aligned == QP_COORD_EXTENDED && hi.hier && hi.ngroups == 3 &&
                 hi.slip > 0.0 && hi.slip < 1e-15,
             "array of three: automatic, extended, one group per normal mode, slip width %.2g "
             "GHz (%s)", hi.slip, err);
    static const int cut[3] = {15, 22, 22};
    o.method = QP_SPEC_EXACT;
    o.start_cut = cut;
    o.start_fixed = 1;
    qp_status s1 = qp_spectrum_compute(m, &o, &ex, err, sizeof err);
    QP_CHECK(s1 == QP_OK, "array of three: exact charge basis (%s)", err);
    if (s1 == QP_OK && s2 == QP_OK) {
        double dev = level_dev(&ex, &hi);
        QP_CHECK(dev <= TOL_AGREE,
                 "array of three: extended = exact (max diff %.3g GHz; %zu kept states against "
                 "%zu, E0 = %.10f)", dev, hi.dim, ex.dim, ex.E[0]);
    }
    /* and against the outside oracle: tests/oracles/array_fluxonium.py, the node-charge basis
     * built in numpy (ncut 22; 18 -> 22 moved the levels by at most 2.6e-8 GHz) */
    static const double oracle[4] = {-103.8926440378, -100.5654348896, -98.3551321033,
                                     -98.3551321033};
    for (int k = 0; k < 4 && s2 == QP_OK && hi.nlev >= 4; k++) {
        QP_CHECK(fabs(hi.E[k] - oracle[k]) <= TOL_AGREE,
                 "array of three: E%d = %.10f against the numpy node-charge oracle %.10f", k,
                 hi.E[k], oracle[k]);
    }
    qp_spectrum_clear(&ex);
    qp_spectrum_clear(&hi);
    qp_modes_free(m);
    qp_modes *soft = modes_of("B0 1 0 ej=8.9\nC0 1 0 ec=2.5\nBA1 1 a1 ej=10 ec=0.2\n"
                              "BA2 a1 a2 ej=10 ec=0.2\nBA3 a2 0 ej=10 ec=0.2\n.flux 0.5\n");
    qp_modes *e = NULL;
    double slip = -1.0;
    QP_CHECK(soft && qp_align_extend(soft, 1e-8, &e, &slip) == QP_OK && !e && slip == 0.0,
             "array at EJ/EC = 50: phase slips matter, not extended");
    qp_modes_free(e);
    qp_modes_free(soft);
}

static const char *const zero_pi =
    "B1 1 2 ej=1 ec=0.5\nL1 2 3 el=2\nB2 3 0 ej=1 ec=0.5\nL2 0 1 el=2\n"
    "C1 1 3 ec=1\nC2 2 0 ec=1\n.flux 0.5 B1 L1 B2 L2\n.ng 2 0.2\n";
static const char *const three_transmons =
    "B1 1 0 ej=15\nC1 1 0 ec=0.3\nB2 2 0 ej=12\nC2 2 0 ec=0.28\nB3 3 0 ej=9\nC3 3 0 ec=0.31\n"
    "CC1 1 2 8fF\nCC2 2 3 6fF\n.ng 2 0.2\n";

int main(void)
{
    agree("two transmons with offsets (complex)",
          "B1 1 0 ej=6\nC1 1 0 ec=0.5\nB2 2 0 ej=4\nC2 2 0 ec=0.45\nCC 1 2 2fF\n"
          ".ng 1 0.25\n.ng 2 0.1\n", 8, NULL, 2, 0);
    agree("three transmons, strong coupling",
          three_transmons, 6, NULL, 3, 0);
    static const int two_one[3] = {0, 0, 1};
    agree("three transmons, groups 1+2/3",
          three_transmons, 6, two_one, 2, 0);
    agree("rf SQUIDs coupled by a mutual inductance (oscillators)",
          "L1 a1 0 1nH\nB1 a1 0 ej=40 c=30f\nL2 a2 0 1.2nH\nB2 a2 0 ej=35 c=30f\nK12 L1 L2 0.02\n"
          ".flux 0.48 L1 B1\n.flux 0.5 L2 B2\n", 6, NULL, 2, 40);
    agree("fluxonium coupled to a transmon (oscillator and charge)",
          "B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\nB2 2 0 ej=12\nC2 2 0 ec=0.3\n"
          "CC 1 2 1fF\n.flux 0.4 B1 L1\n", 6, NULL, 2, 0);
    agree("dual fluxonium coupled to a transmon (oscillator under a phase slip, charge)",
          "Q1 0 1 es=8.9\nL1 1 2 el=0.506605918\nC1 2 0 ec=2.467401100\n.ng 1 0.3\n"
          "B3 3 0 ej=12\nC3 3 0 ec=0.3\nCK 2 3 1fF\n", 6, NULL, 2, 0);
    /* groups= on the quantizer's modes of a 0-pi ring (m3 is zeta): rounding-level coefficients
     * once tied zeta to a cosine, which sub-mode extraction then dropped (0.56 GHz off) */
    static const int zero_pi_groups[3] = {0, 0, 1};
    agree("0-pi, groups 1+2/3",
          zero_pi, 6, zero_pi_groups, 2, 0);
    /* groups that split a junction cosine: the coupling factors must be built on the groups' own
     * bases, whose lengths see only the cosines inside each group (two fluxoniums joined by a
     * junction; 1.5e-3 GHz off when the coupling factors' bases also saw the joining junction) */
    static const int split[2] = {0, 1};
    agree("two fluxoniums joined by a junction, groups 1/2",
          "B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\nB2 2 0 ej=7\nC2 2 0 ec=2.2\n"
          "L2 2 0 el=0.6\nBC 1 2 ej=0.3\n.flux 0.4 B1 L1\n.flux 0.3 B2 L2\n", 4, split, 2, 0);
    agree("0-pi, sheared (theta off phi) and hierarchical",
          zero_pi, 6, NULL, 2, 0);
    default_groups();
    aligned();
    extended_array();
    sheared();
    matrix_free();
    whole_product();
    chain_oracle();
    return tap_done();
}
