/* Unit tests: Hamiltonian assembly (operators/ham.c, operators/basis.c) on circuits built from
 * deck text, entry by entry against closed forms computed here: Hermiticity, the LC oscillator
 * in its own Fock basis, the transmon in the charge basis, two capacitively coupled transmons
 * (the cross term from C^-1 inverted by hand) and the flux phase of a fluxonium's cosine; and
 * the cache of oscillator exponentials against the assembly without it. */
#include "qpsim/engine.h"
#include "operators/ham.h"

#include "tap.h"
#include "util.h"

#include <complex.h>
#include <math.h>

#define PI 3.14159265358979323846
#define QE 1.602176634e-19 /* C (SI 2019, exact) */
#define HP 6.62607015e-34  /* J s */

#define TOL_HERM 1e-14  /* |H_ij - conj(H_ji)| / max |H|: both triangles come from one term */
#define TOL_ROUND 1e-12 /* closed forms vs the assembly: a few roundings of O(1) numbers */
#define TOL_UNIT 1e-12  /* deck values through the unit conversions and the quantizer */

/* A circuit and its modes from deck text; 0 (with a diagnostic) when either step fails. */
typedef struct {
    qp_circuit *c;
    qp_modes *m;
} sys;

/* S is always initialised (sys_free is then safe). */
static int build(const char *deck, sys *S)
{
    S->m = modes_from_text(deck, &S->c);
    return S->m != NULL;
}

static void sys_free(sys *S)
{
    qp_modes_free(S->m);
    qp_circuit_free(S->c);
}

/* H as a dense column-major n x n array (caller frees); NULL when the assembly fails. */
static double complex *assemble_dense(const sys *S, const int *cut, int grid, size_t *n)
{
    qp_sparse H = {0};
    char err[256] = "";
    if (qp_ham_assemble(S->m, cut, grid, &H, err, sizeof err) != QP_OK) {
        printf("# assembly failed: %s\n", err);
        return NULL;
    }
    size_t nn = H.n * H.n;
    double complex *A = calloc(nn ? nn : 1, sizeof *A);
    for (size_t j = 0; A && j < H.n; j++) {
        for (size_t k = H.colptr[j]; k < H.colptr[j + 1]; k++) {
            A[j * H.n + H.rowind[k]] = H.re[k] + I * (H.im ? H.im[k] : 0.0);
        }
    }
    *n = H.n;
    qp_sparse_free(&H);
    return A;
}

#define AT(A, n, i, j) ((A)[(j) * (n) + (i)])

/* Largest |H_ij - conj(H_ji)| over all entries, relative to the largest |H_ij|. */
static double herm_defect(const double complex *A, size_t n)
{
    double big = 1e-300, bad = 0.0;
    for (size_t j = 0; j < n; j++) {
        for (size_t i = 0; i < n; i++) {
            big = fmax(big, cabs(AT(A, n, i, j)));
            bad = fmax(bad, cabs(AT(A, n, i, j) - conj(AT(A, n, j, i))));
        }
    }
    return bad / big;
}

/* Hermiticity entry by entry on every kind of mode and term; `cplx` asks that the matrix
 * really has imaginary parts (so the check covers the complex path). */
static void hermitian(const char *name, const char *deck, int cut0, int grid, int cplx)
{
    sys S;
    if (!build(deck, &S)) {
        QP_CHECK(0, "%s: builds", name);
        return;
    }
    int cut[4] = {cut0, cut0, cut0, cut0};
    size_t n = 0;
    double complex *A = S.m->n <= 4 ? assemble_dense(&S, cut, grid, &n) : NULL;
    double maxim = 0.0;
    for (size_t k = 0; A && k < n * n; k++) {
        maxim = fmax(maxim, fabs(cimag(A[k])));
    }
    double defect = A ? herm_defect(A, n) : INFINITY;
    QP_CHECK(A && defect <= TOL_HERM && (!cplx || maxim > 0.1),
             "%s: H = H^dagger to %.3g (dim %zu, max |Im| %.3g)", name, defect, n, maxim);
    free(A);
    sys_free(&S);
}

static void test_hermitian(void)
{
    hermitian("LC oscillator", "L1 1 0 10nH\nC1 1 0 100fF\n", 30, 0, 0);
    hermitian("transmon ng=0.25", "B1 1 0 ej=15\nC1 1 0 ec=0.3\n.ng 1 0.25\n", 6, 0, 0);
    hermitian("asymmetric SQUID (complex)",
              "B1 1 0 ej=10 ec=1.2\nB2 1 0 ej=5 ec=1.2\nC1 1 0 ec=0.6\n.flux 0.3 B1 B2\n"
              ".ng 1 0.1\n",
              6, 0, 1);
    hermitian("fluxonium f=0.33", "L1 1 0 el=0.5\nB1 1 0 ej=8.9\nC1 1 0 ec=2.5\n.flux 0.33\n", 40,
              0, 0);
    hermitian("fluxonium f=0.33 on a grid",
              "L1 1 0 el=0.5\nB1 1 0 ej=8.9\nC1 1 0 ec=2.5\n.flux 0.33\n", 41, 1, 0);
    hermitian("phase-slip loop f=0.25", "L1 1 0 el={8/(2*pi^2)}\nQ1 1 0 es=1\n.flux 0.25\n", 6, 0,
              0);
    hermitian("dual fluxonium", "Q1 0 1 es=8.9\nL1 1 2 el=0.5\nC1 2 0 ec=2.5\n.ng 1 0.3\n", 40, 0,
              0);
    hermitian("dual fluxonium on a grid",
              "Q1 0 1 es=8.9\nL1 1 2 el=0.5\nC1 2 0 ec=2.5\n.ng 1 0.3\n", 41, 1, 0);
    hermitian("doubly nonlinear mode", "B1 1 0 ej=3\nL1 1 0 el=0.5\nQ1 1 2 es=0.8\nC1 2 0 ec=1\n",
              40, 0, 0);
    hermitian("coupled transmons",
              "B1 1 0 ej=15\nC1 1 0 60fF\nB2 2 0 ej=12\nC2 2 0 80fF\nC3 1 2 5fF\n.ng 1 0.2\n", 4, 0,
              0);
}

/* LC oscillator (10 nH, 100 fF) in its Fock basis: H is diagonal with E_n = hbar w (n + 1/2),
 * w = 1/sqrt(LC); in GHz hbar w / h = 1/(2 pi sqrt(LC)) / 1e9. */
/* An LC oscillator is diagonal in its oscillator basis, hbar w (n + 1/2). An offset charge on
 * its island (lp on the mode) or a flux through the loop placed on the inductor (lphi) only
 * move the minimum; the basis is centred there (qp_ham_basis_geom), so the matrix stays exactly
 * diagonal: an uncentred basis would carry lp P or lphi Phi as off-diagonal entries. The flux
 * through two inductors adds the energy of the circulating current, (1/2) EL1 EL2/(EL1 + EL2)
 * (2 pi f)^2 with EL = (Phi0/2pi)^2/(L h), to every level. */
static void test_lc(void)
{
    static const char *const deck[3] = {"L1 1 0 10nH\nC1 1 0 100fF\n",
                                        "L1 1 0 10nH\nC1 1 0 100fF\n.ng 1 0.3\n",
                                        "C1 1 0 100fF\nL1 1 0 20nH\nL2 1 0 20nH\n.flux 0.3\n"};
    static const char *const what[3] = {"LC", "LC with an offset charge",
                                        "LC (two inductors) with a flux through them"};
    const double L = 10e-9, C = 100e-15, f = 1.0 / (2.0 * PI * sqrt(L * C)) / 1e9;
    const int N = 20;
    const double EL20 = pow(QP_PHI0 / (2.0 * PI), 2.0) / (20e-9 * QP_H) / 1e9; /* 20 nH, GHz */
    const double circ = 0.5 * (EL20 / 2.0) * pow(2.0 * PI * 0.3, 2.0);
    for (int v = 0; v < 3; v++) {
        sys S;
        size_t n = 0;
        double complex *A = build(deck[v], &S) && S.m->n == 1 && S.m->kind[0] == QP_MODE_OSC
                                ? assemble_dense(&S, &N, 0, &n)
                                : NULL;
        QP_CHECK(A && n == (size_t)N, "%s: one oscillator mode, dimension %zu = the cutoff %d",
                 what[v], n, N);
        if (v > 0 && A) {
            QP_CHECK(S.m->lp[0] != 0.0 || S.m->lphi[0] != 0.0,
                     "%s: the quantizer left a linear term (lp %.3g, lphi %.3g)", what[v],
                     S.m->lp[0], S.m->lphi[0]);
        }
        double worst = 0.0, off = 0.0;
        for (size_t i = 0; A && i < n; i++) {
            double want = f * ((double)i + 0.5) + (v == 2 ? circ : 0.0);
            worst = fmax(worst, cabs(AT(A, n, i, i) - want) / want);
            for (size_t j = 0; j < n; j++) {
                off = fmax(off, i == j ? 0.0 : cabs(AT(A, n, i, j)));
            }
        }
        QP_CHECK(A && worst <= TOL_UNIT, "%s: diagonal = %.10f (n + 1/2) + %.10f GHz to %.3g",
                 what[v], f, v == 2 ? circ : 0.0, worst);
        QP_CHECK(A && off <= TOL_ROUND * f * N, "%s: off-diagonal entries vanish (max %.3g GHz)",
                 what[v], off);
        free(A);
        sys_free(&S);
    }
}

/* Transmon EJ = 15, EC = 0.3 at ng = 0.25 in the charge basis n = -c .. c: diagonal
 * 4 EC (n - ng)^2, first off-diagonals -EJ/2 exactly (the cosine's coefficient times the
 * shift operator's 1), nothing else. */
static void test_transmon(void)
{
    const double EJ = 15.0, EC = 0.3, ng = 0.25;
    const int c = 5;
    sys S;
    size_t n = 0;
    double complex *A = build("B1 1 0 ej=15\nC1 1 0 ec=0.3\n.ng 1 0.25\n", &S) && S.m->n == 1 &&
                                S.m->kind[0] == QP_MODE_CHARGE
                            ? assemble_dense(&S, &c, 0, &n)
                            : NULL;
    QP_CHECK(A && n == 2 * (size_t)c + 1, "transmon: one charge mode, dimension %zu", n);
    double worst = 0.0, stray = 0.0;
    int exact = A != NULL;
    for (size_t i = 0; A && i < n; i++) {
        double q = (double)i - c - ng, want = 4.0 * EC * q * q;
        worst = fmax(worst, cabs(AT(A, n, i, i) - want) / fmax(want, 4.0 * EC));
        for (size_t j = 0; j < n; j++) {
            if (i + 1 == j || j + 1 == i) {
                exact &= AT(A, n, i, j) == -EJ / 2.0;
            } else if (i != j) {
                stray = fmax(stray, cabs(AT(A, n, i, j)));
            }
        }
    }
    QP_CHECK(A && worst <= TOL_ROUND, "transmon: diagonal 4 EC (n - ng)^2 to %.3g", worst);
    QP_CHECK(exact, "transmon: every first off-diagonal entry is -EJ/2 = %g exactly", -EJ / 2.0);
    QP_CHECK(A && stray == 0.0, "transmon: no other entries (max %.3g)", stray);
    free(A);
    sys_free(&S);
}

/* Two transmons on nodes 1 and 2 (C1 = 60 fF, C2 = 80 fF to ground, C3 = 5 fF between them).
 * With EC = (e^2/2h) C^-1 (C the node capacitance matrix, inverted by hand here) the charging
 * energy is 4 n^T EC n = 4 EC11 n1^2 + 4 EC22 n2^2 + 4 (EC12 + EC21) n1 n2: diagonal in the
 * charge basis, mode 0 (node 1) the slow index. The junctions give -EJ/2 between neighbours of
 * one mode and nothing couples both modes off the diagonal. */
static void test_coupled(void)
{
    const double C1 = 60e-15, C2 = 80e-15, C3 = 5e-15, EJ1 = 15.0, EJ2 = 12.0;
    const double c11 = C1 + C3, c22 = C2 + C3, c12 = -C3, det = c11 * c22 - c12 * c12;
    const double ec = QE * QE / (2.0 * HP) / 1e9; /* GHz per inverse farad */
    const double EC11 = ec * c22 / det, EC22 = ec * c11 / det, EC12 = ec * -c12 / det;
    const int cut[2] = {3, 4};
    sys S;
    size_t n = 0;
    int ok = build("B1 1 0 ej=15\nC1 1 0 60fF\nB2 2 0 ej=12\nC2 2 0 80fF\nC3 1 2 5fF\n", &S);
    /* the test's index arithmetic needs mode 0 = node 1 and mode 1 = node 2 (map columns are
     * the nodes, column 0 ground) */
    ok = ok && S.m->n == 2 && S.m->kind[0] == QP_MODE_CHARGE && S.m->kind[1] == QP_MODE_CHARGE &&
         S.m->map[1] == 1.0 && S.m->map[2] == 0.0 && S.m->map[4] == 0.0 && S.m->map[5] == 1.0;
    QP_CHECK(ok, "coupled transmons: two charge modes on the node fluxes");
    double complex *A = ok ? assemble_dense(&S, cut, 0, &n) : NULL;
    const size_t d1 = 2 * (size_t)cut[1] + 1;
    QP_CHECK(A && n == (2 * (size_t)cut[0] + 1) * d1,
             "coupled transmons: dimension %zu = 7 x 9 (product of the mode bases)", n);
    double worst = 0.0, hop = 0.0, stray = 0.0;
    for (size_t a = 0; A && a < n; a++) {
        double n1 = (double)(a / d1) - cut[0], n2 = (double)(a % d1) - cut[1];
        double want = 4.0 * EC11 * n1 * n1 + 4.0 * EC22 * n2 * n2 + 8.0 * EC12 * n1 * n2;
        worst = fmax(worst, cabs(AT(A, n, a, a) - want) / (4.0 * EC11));
        for (size_t b = 0; b < n; b++) {
            size_t i1 = a / d1, j1 = b / d1, i2 = a % d1, j2 = b % d1;
            if (i2 == j2 && (i1 + 1 == j1 || j1 + 1 == i1)) {
                hop = fmax(hop, cabs(AT(A, n, a, b) + EJ1 / 2.0) / EJ1);
            } else if (i1 == j1 && (i2 + 1 == j2 || j2 + 1 == i2)) {
                hop = fmax(hop, cabs(AT(A, n, a, b) + EJ2 / 2.0) / EJ2);
            } else if (a != b) {
                stray = fmax(stray, cabs(AT(A, n, a, b)));
            }
        }
    }
    QP_CHECK(A && worst <= TOL_UNIT, "coupled transmons: diagonal 4 n^T EC n from C^-1 to %.3g",
             worst);
    /* the cross term alone: H(n1, n2) - H(n1, 0) - H(0, n2) + H(0, 0) at n1 = 2, n2 = -3 */
    if (A) {
        size_t z1 = (size_t)cut[0], z2 = (size_t)cut[1], p = z1 + 2, q = z2 - 3;
        double cross = creal(AT(A, n, p * d1 + q, p * d1 + q) - AT(A, n, p * d1 + z2, p * d1 + z2) -
                             AT(A, n, z1 * d1 + q, z1 * d1 + q) +
                             AT(A, n, z1 * d1 + z2, z1 * d1 + z2));
        QP_CHECK_REL(cross, 4.0 * (EC12 + EC12) * 2.0 * -3.0, TOL_UNIT,
                     "coupled transmons: cross term 4 (EC12 + EC21) n1 n2 at (2, -3)");
    } else {
        QP_CHECK(0, "coupled transmons: cross term");
    }
    QP_CHECK(A && hop <= TOL_UNIT, "coupled transmons: -EJ/2 between charge neighbours (%.3g)",
             hop);
    QP_CHECK(A && stray == 0.0, "coupled transmons: no entry moves both charges (max %.3g)",
             stray);
    free(A);
    sys_free(&S);
}

/* Fluxonium EJ = 8.9, EC = 2.5, EL = 0.5 at f = 0.33, the flux on the junction:
 * H = 4 EC n^2 + EL/2 phi^2 - EJ cos(phi + theta), theta = +-2 pi f (the loop's orientation;
 * the sign of sin theta below also follows the mode's orientation, the sign of its coefficient).
 * The oscillator basis has length s = sqrt(z zw) (docs/physics.md, "Basis choice"): z = (2 EC/EL)^(1/4)
 * the bare spread, zw = (2 EC/(EL + EJ))^(1/4) the spread in the junction's well; phi = s (a + a^dag),
 * n = i (a^dag - a)/(2 s), and <0|e^{i s (a + a^dag)}|0> = e^{-s^2/2}, <1|..|0> = i s e^{-s^2/2},
 * <2|..|0> = -s^2/sqrt2 e^{-s^2/2}:
 *   H(0,0) = EC/s^2 + EL s^2/2 - EJ e^{-s^2/2} cos theta,
 *   H(1,0) = EJ s e^{-s^2/2} sin theta,
 *   H(2,0) = sqrt2 (EL s^2/2 - EC/s^2) + EJ s^2/sqrt2 e^{-s^2/2} cos theta. */
static void test_fluxonium_phase(void)
{
    const double EJ = 8.9, EC = 2.5, EL = 0.5, f = 0.33;
    const double s = sqrt(pow(2.0 * EC / EL, 0.25) * pow(2.0 * EC / (EL + EJ), 0.25));
    const double g = exp(-s * s / 2.0), c = cos(2.0 * PI * f);
    const int N = 30;
    sys S;
    size_t n = 0;
    int ok = build("L1 1 0 el=0.5\nB1 1 0 ej=8.9\nC1 1 0 ec=2.5\n.flux 0.33\n", &S);
    ok = ok && S.m->n == 1 && S.m->kind[0] == QP_MODE_OSC && S.m->ncos == 1 &&
         S.m->lphi[0] == 0.0;
    double theta = ok ? S.m->cos[0].shift : 0.0;
    QP_CHECK(ok && fabs(fabs(theta) - 2.0 * PI * f) <= TOL_UNIT,
             "fluxonium: the flux sits in the cosine, phase %.15g = +-2 pi f", theta);
    double sgn = (theta < 0.0) != (ok && S.m->cos[0].c[0] < 0.0) ? -1.0 : 1.0;
    double complex *A = ok ? assemble_dense(&S, &N, 0, &n) : NULL;
    if (A) {
        QP_CHECK_REL(creal(AT(A, n, 0, 0)), EC / (s * s) + EL * s * s / 2.0 - EJ * g * c,
                     TOL_ROUND, "fluxonium H(0,0) = EC/s^2 + EL s^2/2 - EJ e^{-s^2/2} cos 2 pi f");
        QP_CHECK_REL(creal(AT(A, n, 1, 0)), sgn * EJ * s * g * sin(2.0 * PI * f), TOL_ROUND,
                     "fluxonium H(1,0) = EJ s e^{-s^2/2} sin theta");
        QP_CHECK_REL(creal(AT(A, n, 2, 0)),
                     sqrt(2.0) * (EL * s * s / 2.0 - EC / (s * s)) +
                         EJ * s * s / sqrt(2.0) * g * c,
                     TOL_ROUND,
                     "fluxonium H(2,0) = sqrt2 (EL s^2/2 - EC/s^2) + EJ s^2/sqrt2 e^{-s^2/2} cos 2 pi f");
    } else {
        QP_CHECK(0, "fluxonium: assembled");
    }
    free(A);
    sys_free(&S);
    /* at f = 0 the odd elements vanish: the sine above is what the flux adds */
    ok = build("L1 1 0 el=0.5\nB1 1 0 ej=8.9\nC1 1 0 ec=2.5\n.flux 0\n", &S);
    A = ok ? assemble_dense(&S, &N, 0, &n) : NULL;
    QP_CHECK(A && cabs(AT(A, n, 1, 0)) <= TOL_ROUND * EJ, "fluxonium f=0: H(1,0) = 0 (%.3g)",
             A ? cabs(AT(A, n, 1, 0)) : 0.0);
    free(A);
    sys_free(&S);
}

/* The size guard: two charge modes of 200001 states each would need 4e10 rows. */
static void test_too_big(void)
{
    sys S;
    if (!build("B1 1 0 ej=15\nC1 1 0 60fF\nB2 2 0 ej=12\nC2 2 0 80fF\nC3 1 2 5fF\n", &S)) {
        QP_CHECK(0, "too big: builds");
        return;
    }
    const int cut[2] = {100000, 100000};
    qp_sparse H = {0};
    char err[256] = "";
    qp_status st = qp_ham_assemble(S.m, cut, 0, &H, err, sizeof err);
    QP_CHECK(st == QP_ERR_NUMERIC && strstr(err, "stored entries") && H.n == 0,
             "too big: refused with \"%s\"", err);
    qp_sparse_free(&H);
    sys_free(&S);
}

/* The dense expansion (small bases) holds the same matrix as the sparse one, entry by entry, on a
 * complex two-mode case (a fluxonium under flux capacitively coupled to a transmon with an
 * offset: n P couplings are imaginary) and says it is complex; on a real one (two transmons
 * without offsets) it says real. */
static void test_dense_expansion(void)
{
    static const char *const deck[2] = {
        "B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\nB2 2 0 ej=12\nC2 2 0 ec=0.3\n"
        "CC 1 2 1fF\n.flux 0.4 B1 L1\n.ng 2 0.2\n",
        "B1 1 0 ej=15\nC1 1 0 ec=0.3\nB2 2 0 ej=12\nC2 2 0 ec=0.3\nCC 1 2 1fF\n"};
    for (int v = 0; v < 2; v++) {
        sys S;
        int ok = build(deck[v], &S) && S.m->n == 2;
        int cut[2] = {0, 0};
        for (size_t i = 0; ok && i < 2; i++) {
            cut[i] = S.m->kind[i] == QP_MODE_OSC ? 12 : 4;
        }
        qp_kron K = {0};
        qp_sparse H = {0};
        char err[256] = "";
        ok = ok && qp_ham_terms(S.m, S.m, cut, 0, NULL, &K) == QP_OK;
        double *D = ok ? malloc(2 * K.dim * K.dim * sizeof *D) : NULL;
        int cplx = -1;
        ok = ok && D && qp_ham_expand_dense(&K, D, &cplx) == QP_OK &&
             qp_ham_expand(&K, &H, err, sizeof err) == QP_OK;
        double dev = 0.0, big = 0.0;
        size_t n = ok ? K.dim : 0;
        double complex *A = ok ? calloc(n * n, sizeof *A) : NULL;
        for (size_t j = 0; A && j < n; j++) {
            for (size_t k = H.colptr[j]; k < H.colptr[j + 1]; k++) {
                A[j * n + H.rowind[k]] = H.re[k] + I * (H.im ? H.im[k] : 0.0);
            }
        }
        for (size_t p = 0; A && p < n * n; p++) {
            dev = fmax(dev, cabs(A[p] - (D[2 * p] + I * D[2 * p + 1])));
            big = fmax(big, cabs(A[p]));
        }
        QP_CHECK(A && dev <= TOL_HERM * big && cplx == (H.im != NULL) && cplx == (v == 0),
                 "dense expansion = sparse expansion (%s, dim %zu): max diff %.3g of %.3g",
                 v == 0 ? "complex" : "real", n, dev, big);
        free(A), free(D);
        qp_sparse_free(&H);
        qp_kron_free(&K);
        sys_free(&S);
    }
}

/* The dense matrix of S's terms at cutoffs cut, built with cache (or NULL), into a new array
 * (NULL on failure); *shared receives the v arrays of the term list's shared factors (up to 4,
 * their count in *nshared). */
static double *terms_dense(const sys *S, const int *cut, qp_basis_cache *cache,
                           const void **shared, size_t *nshared, size_t *dim)
{
    qp_kron K;
    int cplx = 0;
    double *D = NULL;
    *nshared = 0;
    if (qp_ham_terms(S->m, S->m, cut, 0, cache, &K) == QP_OK) {
        D = malloc(2 * K.dim * K.dim * sizeof *D);
        *dim = K.dim;
    }
    if (D && qp_ham_expand_dense(&K, D, &cplx) != QP_OK) {
        free(D);
        D = NULL;
    }
    for (size_t k = 0; k < K.nterm; k++) {
        for (size_t j = 0; j < K.t[k].nf; j++) {
            if (K.t[k].f[j].shared && *nshared < 4) {
                shared[(*nshared)++] = K.t[k].f[j].v;
            }
        }
    }
    qp_kron_free(&K);
    return D;
}

/* Along a sweep that moves the oscillators' centres (a fluxonium with its flux on the inductor,
 * a 0-pi ring under flux with an offset, whose cosines span a charge mode and two oscillators,
 * and a phase slip on an oscillator with an offset charge), term lists built with one basis
 * cache expand to the matrices built without it, bit for bit; at the second point the cosines'
 * oscillator factors are the arrays the cache built at the first. */
static void test_basis_cache(void)
{
    static const char *const decks[3][2] = {
        {"B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n.flux 0.3\n",
         "B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n.flux 0.7\n"},
        {"B1 1 2 ej=1 ec=0.5\nL1 2 3 el=2\nB2 3 0 ej=1 ec=0.5\nL2 0 1 el=2\nC1 1 3 ec=1\n"
         "C2 2 0 ec=1\n.flux 0.5 B1 L1 B2 L2\n.ng 2 0.2\n",
         "B1 1 2 ej=1 ec=0.5\nL1 2 3 el=2\nB2 3 0 ej=1 ec=0.5\nL2 0 1 el=2\nC1 1 3 ec=1\n"
         "C2 2 0 ec=1\n.flux 0.3 B1 L1 B2 L2\n.ng 2 0.2\n"},
        {"Q1 0 1 es=8.9\nL1 1 2 el=0.5\nC1 2 0 ec=2.5\n.ng 2 0.3\n",
         "Q1 0 1 es=8.9\nL1 1 2 el=0.5\nC1 2 0 ec=2.5\n.ng 2 0.1\n"}};
    static const char *const names[3] = {"fluxonium", "0-pi ring", "phase slip"};
    for (int c = 0; c < 3; c++) {
        qp_basis_cache *cache = qp_basis_cache_new();
        const void *first[4] = {NULL}, *now[4], *none[4];
        size_t nfirst = 0;
        for (int p = 0; p < 2; p++) {
            sys S;
            int ok = build(decks[c][p], &S), cut[3] = {0, 0, 0};
            for (size_t i = 0; ok && i < S.m->n && i < 3; i++) {
                cut[i] = S.m->kind[i] == QP_MODE_OSC ? (S.m->n == 1 ? 40 : 8) : 3;
            }
            size_t n1 = 0, n2 = 0, nnow = 0, nnone = 0;
            double *A = ok && cache ? terms_dense(&S, cut, cache, now, &nnow, &n1) : NULL;
            double *B = A ? terms_dense(&S, cut, NULL, none, &nnone, &n2) : NULL;
            QP_CHECK(B && n1 == n2 && memcmp(A, B, 2 * n1 * n1 * sizeof *A) == 0 && nnow > 0 &&
                         nnone == 0,
                     "basis cache, %s point %d: the same matrix bit for bit (%zu shared "
                     "factors)", names[c], p + 1, nnow);
            if (p == 0) {
                memcpy(first, now, sizeof first);
                nfirst = nnow;
            } else {
                QP_CHECK(nnow == nfirst && memcmp(first, now, nnow * sizeof *now) == 0,
                         "basis cache, %s: the second point takes the first one's factors",
                         names[c]);
            }
            free(A), free(B);
            sys_free(&S);
        }
        qp_basis_cache_free(cache);
    }
}

/* The cache's room: within one term list (after one begin) it keeps the first eight factors
 * and builds the others without it (not shared); after the next begin those eight may go to
 * make room; a factor larger than its whole budget is never kept. Shared or not, each factor
 * equals the one built without a cache. */
static void test_basis_cache_room(void)
{
    qp_basis_cache *cache = qp_basis_cache_new();
    qp_osc_geom g = {0.7, 0.3, 0.0};
    qp_basis_cache_begin(cache);
    qp_factor f[10];
    int shared = 0, same = 1;
    for (int k = 0; k < 10; k++) {
        qp_factor plain = {0};
        double complex ph1 = 0.0, ph2 = 0.0;
        memset(&f[k], 0, sizeof f[k]);
        int ok = qp_basis_exp(&f[k], &ph1, QP_MODE_OSC, (size_t)(10 + k), &g, 2.0, 0, 0,
                              cache) &&
                 qp_basis_exp(&plain, &ph2, QP_MODE_OSC, (size_t)(10 + k), &g, 2.0, 0, 0,
                              NULL);
        shared += ok && f[k].shared && k < 8;
        same &= ok && ph1 == ph2 && ph1 == cexp(I * 2.0 * 0.3) && !plain.shared &&
                f[k].shared == (k < 8) && f[k].n == plain.n &&
                memcmp(f[k].v, plain.v, plain.n * sizeof *plain.v) == 0 &&
                memcmp(f[k].row, plain.row, plain.n * sizeof *plain.row) == 0 &&
                memcmp(f[k].col, plain.col, plain.n * sizeof *plain.col) == 0;
        qp_basis_factor_free(&plain);
    }
    QP_CHECK(cache && shared == 8 && same,
             "basis cache: eight factors kept in one term list, the other two built alone, all "
             "as without the cache");
    for (int k = 0; k < 10; k++) {
        qp_basis_factor_free(&f[k]);
    }
    qp_basis_cache_begin(cache);
    qp_factor h = {0}, big = {0};
    double complex ph = 0.0;
    int ok = qp_basis_exp(&h, &ph, QP_MODE_OSC, 30, &g, 2.0, 0, 0, cache);
    QP_CHECK(ok && h.shared, "basis cache: after the next begin a new factor is kept");
    ok = qp_basis_exp(&big, &ph, QP_MODE_OSC, 1500, &g, 2.0, 0, 0, cache);
    QP_CHECK(ok && !big.shared && big.n > 0,
             "basis cache: a factor of 1500^2 entries (72 MB) is built but not kept");
    qp_basis_factor_free(&h);
    qp_basis_factor_free(&big);
    qp_basis_cache_free(cache);
}

int main(void)
{
    test_basis_cache();
    test_basis_cache_room();
    test_dense_expansion();
    test_hermitian();
    test_lc();
    test_transmon();
    test_coupled();
    test_fluxonium_phase();
    test_too_big();
    return tap_done();
}
