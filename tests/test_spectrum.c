/* Validation of quantization + spectra against docs/physics.md oracle table (closed forms, Mathieu
 * values, scqubits, duality) and invariances (node names, closure branch, gauge). */
#include "qpsim/engine.h"

#include "tap.h"
#include "util.h"

#define TOL_LATTICE 1e-9 /* charge/fluxoid bases: the oracle table of docs/physics.md suggests 1e-9 relative */
#define TOL_HO 1e-7      /* harmonic-oscillator bases: 1e-7 */
#define TOL_SAME 1e-9    /* two computations of one spectrum (invariances), GHz */

/* Levels of a deck's first .spectrum; returns the number found (0 on failure). */
static int levels(const char *deck, double *E, int want, qp_mode_kind *kinds, size_t *nmodes)
{
    qp_circuit *c;
    char *msgs;
    qp_status st = elaborate_text(deck, NULL, NULL, 0, &c, &msgs);
    if (st != QP_OK) {
        printf("# elaboration failed: %s", msgs ? msgs : "");
        free(msgs);
        return 0;
    }
    free(msgs);
    qp_diag d = {0};
    qp_modes *m = NULL;
    int n = 0;
    if (qp_quantize(c, &m, &d) == QP_OK) {
        qp_spectrum_opts o;
        qp_spectrum_opts_default(&o);
        const qp_analysis *an = c->nanalyses ? &c->analyses[0] : NULL;
        o.levels = want;
        if (an) {
            o.cut_charge = an->ncut;
            o.cut_fluxoid = an->mcut;
            o.cut_osc = an->nho;
            o.grid = an->grid;
            o.tol = an->tol > 0 ? an->tol : 1e-10;
        } else {
            o.tol = 1e-10;
        }
        qp_spectrum s;
        char err[256];
        if (qp_spectrum_compute(m, &o, &s, err, sizeof err) == QP_OK) {
            memcpy(E, s.E, (size_t)s.nlev * sizeof *E);
            n = s.nlev;
            qp_spectrum_clear(&s);
        } else {
            printf("# spectrum failed: %s\n", err);
        }
        if (kinds) {
            for (size_t i = 0; i < m->n; i++) {
                kinds[i] = m->kind[i];
            }
            *nmodes = m->n;
        }
    } else {
        char *e = qp_diag_format(&d);
        printf("# quantization failed: %s", e ? e : "");
        free(e);
    }
    qp_diag_clear(&d);
    qp_modes_free(m);
    qp_circuit_free(c);
    return n;
}

static void expect(const char *name, const char *deck, const double *want, int n, double rtol)
{
    double E[32];
    int got = levels(deck, E, n, NULL, NULL);
    QP_CHECK(got == n, "%s: %d levels", name, got);
    for (int k = 0; k < n && got == n; k++) {
        char label[96];
        snprintf(label, sizeof label, "%s E%d", name, k);
        QP_CHECK_REL(E[k], want[k], rtol, label);
    }
}

static void same(const char *name, const char *deck_a, const char *deck_b, int n)
{
    double A[32], B[32];
    int na = levels(deck_a, A, n, NULL, NULL), nb = levels(deck_b, B, n, NULL, NULL);
    double diff = 0.0;
    for (int k = 0; k < n && na == n && nb == n; k++) {
        diff = fmax(diff, fabs(A[k] - B[k]));
    }
    QP_CHECK(na == n && nb == n && diff <= TOL_SAME, "%s: max difference %.3g GHz", name, diff);
}

int main(void)
{
    /* T2: LC oscillator, 10 nH and 100 fF: E_k = 5.032921210 (k + 1/2) GHz. */
    const double w = 5.032921210;
    const double lc[] = {0.5 * w, 1.5 * w, 2.5 * w, 3.5 * w};
    expect("T2 LC", "L1 1 0 10nH\nC1 1 0 100fF\n", lc, 4, 2e-9);

    /* T3, T3b, T3c: transmon EJ = 15, EC = 0.3 at ng = 0, 0.25, 0.5 (Mathieu / charge basis). */
    const double t3[] = {-12.0770338640, -6.3944581867, -1.0566494181,
                         3.8959469858,   8.3415721743,  12.5403213875};
    const double t3b[] = {-12.0770337797, -6.3944640470, -1.0564659589,
                          3.8925789152,   8.3793970751,  12.2448431287};
    const double t3c[] = {-12.0770336954, -6.3944699072, -1.0562824580,
                          3.8892238333,   8.4188297698,  12.0150572957};
    expect("T3 transmon ng=0", "B1 1 0 ej=15\nC1 1 0 ec=0.3\n", t3, 6, TOL_LATTICE);
    expect("T3b transmon ng=0.25", "B1 1 0 ej=15\nC1 1 0 ec=0.3\n.ng 1 0.25\n", t3b, 6,
           TOL_LATTICE);
    expect("T3c transmon ng=0.5", "B1 1 0 ej=15\nC1 1 0 ec=0.3\n.ng 1 0.5\n", t3c, 6,
           TOL_LATTICE);
    /* T4, T4b: Cooper-pair box EJ = 1, EC = 2. */
    const double t4[] = {1.4848576520, 2.4838822565, 18.0073297341, 18.0083051031};
    const double t4b0[] = {-0.0620787910, 7.9895861573, 8.0516581693, 32.0041638021};
    const double t4b25[] = {0.4178984130, 4.5487380565, 12.5119332145, 24.5055569774};
    expect("T4 CPB ng=0.5", "B1 1 0 ej=1\nC1 1 0 ec=2\n.ng 1 0.5\n", t4, 4, TOL_LATTICE);
    expect("T4b CPB ng=0", "B1 1 0 ej=1\nC1 1 0 ec=2\n", t4b0, 4, TOL_LATTICE);
    expect("T4b CPB ng=0.25", "B1 1 0 ej=1\nC1 1 0 ec=2\n.ng 1 0.25\n", t4b25, 4, TOL_LATTICE);
    /* T5: phase-slip loop EL' = 8 (EL = 8/(2 pi^2)), ES = 1: same numbers as the CPB (duality). */
    expect("T5 QPS loop f=0.5", "L1 1 0 el={8/(2*pi^2)}\nQ1 1 0 es=1\n.flux 0.5\n", t4, 4,
           TOL_LATTICE);
    expect("T5 QPS loop f=0", "L1 1 0 el={8/(2*pi^2)}\nQ1 1 0 es=1\n.flux 0\n", t4b0, 4,
           TOL_LATTICE);
    expect("T5 QPS loop f=0.25", "L1 1 0 el={8/(2*pi^2)}\nQ1 1 0 es=1\n.flux 0.25\n", t4b25, 4,
           TOL_LATTICE);
    /* T6: dual transmon, EL' = 1.2, ES = 15 equals T3b. */
    expect("T6 dual transmon f=0.25", "L1 1 0 el={1.2/(2*pi^2)}\nQ1 1 0 es=15\n.flux 0.25\n",
           t3b, 6, TOL_LATTICE);
    /* T7: QPS flux qubit at f = 1/2: E01 = 0.9999609394 (EL' = 40), 0.9999937500 (EL' = 100). */
    double E[8];
    int n = levels("L1 1 0 el={40/(2*pi^2)}\nQ1 1 0 es=1\n.flux 0.5\n", E, 2, NULL, NULL);
    QP_CHECK(n == 2 && fabs(E[1] - E[0] - 0.9999609394) <= 1e-9, "T7 E01 (EL'=40) %.10f",
             n == 2 ? E[1] - E[0] : 0.0);
    n = levels("L1 1 0 el={100/(2*pi^2)}\nQ1 1 0 es=1\n.flux 0.5\n", E, 2, NULL, NULL);
    QP_CHECK(n == 2 && fabs(E[1] - E[0] - 0.9999937500) <= 1e-9, "T7 E01 (EL'=100) %.10f",
             n == 2 ? E[1] - E[0] : 0.0);

    /* T10, T10b: fluxonium EJ = 8.9, EC = 2.5, EL = 0.5 (grid = HO = scqubits). */
    const double t10[] = {-2.702245802, 6.056199461, 6.277306815, 8.299788551, 14.230744222};
    const double t10b[] = {-0.630011458, -0.266590091, 8.756337508, 11.698810543, 16.672522106};
    expect("T10 fluxonium f=0", "B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n.flux 0\n", t10, 5,
           TOL_HO);
    expect("T10b fluxonium f=0.5", "B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n.flux 0.5\n",
           t10b, 5, TOL_HO);
    n = levels("B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n.flux 0.33\n", E, 2, NULL, NULL);
    QP_CHECK(n == 2 && fabs(E[1] - E[0] - 3.071176028) <= 1e-7 * 3.07, "T10b E01 at f=0.33");
    /* A second basis for the same numbers: the phase grid (sinc-DVR) instead of oscillator
     * states, for the fluxonium and its dual (where the phase slip acts as a grid translation). */
    expect("T10b fluxonium on a phase grid",
           "B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n.flux 0.5\n.spectrum basis=grid\n", t10b, 5,
           TOL_HO);
    expect("T11 dual fluxonium on a phase grid",
           "Q1 0 1 es=8.9\nL1 1 2 el=0.506605918\nC1 2 0 ec=2.467401100\n.ng 1 0.5\n"
           ".spectrum basis=grid\n",
           t10b, 5, TOL_HO);
    /* T11: dual fluxonium (QPS + L + C series loop) equals T10b. */
    expect("T11 dual fluxonium",
           "Q1 0 1 es=8.9\nL1 1 2 el=0.506605918\nC1 2 0 ec=2.467401100\n.ng 1 0.5\n", t10b, 5,
           TOL_HO);
    /* T12: asymmetric SQUID transmon; T13: CQUID, its dual, same numbers. */
    const double t12[] = {-7.365495005, -2.862979225, 1.275295904, 5.023654580};
    expect("T12 SQUID transmon",
           "B1 1 0 ej=10 ec=1.2\nB2 1 0 ej=5 ec=1.2\nC1 1 0 ec=0.6\n.flux 0.3 B1 B2\n.ng 1 0.1\n",
           t12, 4, TOL_LATTICE);
    expect("T13 CQUID",
           "L1 1 0 el={1.2/(2*pi^2)}\nQ1 1 2 es=10\nQ2 2 0 es=5\n.ng 2 0.3\n.flux 0.1 L1 Q2 Q1\n",
           t12, 4, TOL_LATTICE);
    /* T14: 3-junction flux qubit of scqubits' FluxQubit at f = 1/2, ncut = 10 as there. */
    const double t14[] = {-1.186248797, -1.182935873, -1.029845677, -0.979973352};
    expect("T14 flux qubit",
           "B1 1 0 ej=1 ec=0.016\nB2 2 0 ej=1 ec=0.016\nB3 1 2 ej=0.8 ec=0.02\n"
           "C1 1 0 ec=0.83\nC2 2 0 ec=0.83\n.flux 0.5 B1 B3 B2\n.spectrum ncut=10\n",
           t14, 4, TOL_LATTICE);

    /* Mixed junction + phase slip on one mode (docs/physics.md, "Quantization", issue 4): B1 || L1 shunted by
     * Q1 in series with C1 gives 4EC q^2 + EL/2 phi^2 - EJ cos phi - ES cos 2 pi q. Oracle: a
     * direct HO-basis diagonalization of that H (numpy, expm in a 500-state basis), converged to
     * 12 digits: */
    const double dn[] = {-0.631806307686, 3.758255417191, 5.935320306751, 7.046674476629,
                         8.360865096692};
    expect("doubly nonlinear mode", "B1 1 0 ej=3\nL1 1 0 el=0.5\nQ1 1 2 es=0.8\nC1 2 0 ec=1\n",
           dn, 5, 1e-9);
    /* Limits: ES -> 0 turns the phase slip into a short, EJ -> 0 the junction into an open. */
    same("ES -> 0 reproduces the fluxonium",
         "B1 1 0 ej=3\nL1 1 0 el=0.5\nQ1 1 2 es=1e-12\nC1 2 0 ec=1\n",
         "B1 1 0 ej=3\nL1 1 0 el=0.5\nC1 1 0 ec=1\n", 4);
    same("EJ -> 0 reproduces the loop-charge circuit",
         "B1 1 0 ej=1e-12\nL1 1 0 el=0.5\nQ1 1 2 es=0.8\nC1 2 0 ec=1\n",
         "L1 1 0 el=0.5\nQ1 1 2 es=0.8\nC1 2 0 ec=1\n", 4);

    /* Uncoupled subsystems (a transmon and a Cooper-pair box sharing only ground) are solved
     * apart; the levels must be the sorted sums of T3 and T4b (ng = 0) levels. */
    {
        double sums[6 * 4];
        int ns = 0;
        for (int a = 0; a < 6; a++) {
            for (int b = 0; b < 4; b++) {
                sums[ns++] = t3[a] + t4b0[b];
            }
        }
        for (int a = 1; a < ns; a++) { /* insertion sort */
            double v = sums[a];
            int b = a - 1;
            while (b >= 0 && sums[b] > v) {
                sums[b + 1] = sums[b];
                b--;
            }
            sums[b + 1] = v;
        }
        expect("uncoupled transmon + CPB", "B1 1 0 ej=15\nC1 1 0 ec=0.3\nB2 2 0 ej=1\nC2 2 0 ec=2\n",
               sums, 6, TOL_LATTICE);
    }

    /* Invariances: node names and order, closure branch, orientation of the loop. With fixed
     * cutoffs two equivalent mode choices truncate differently, so these use converged bases. */
    same("renamed and reordered nodes",
         "B1 1 0 ej=1 ec=0.016\nB2 2 0 ej=1 ec=0.016\nB3 1 2 ej=0.8 ec=0.02\nC1 1 0 ec=0.83\n"
         "C2 2 0 ec=0.83\n.flux 0.46 B1 B3 B2\n",
         "C2 b 0 ec=0.83\nB3 a b ej=0.8 ec=0.02\nB2 b gnd ej=1 ec=0.016\nC1 a 0 ec=0.83\n"
         "B1 a 0 ej=1 ec=0.016\n.flux 0.46 B3 B2 B1\n",
         4);
    same("reversed element orientation",
         "B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n.flux 0.33\n",
         "B1 0 1 ej=8.9\nC1 0 1 ec=2.5\nL1 1 0 el=0.5\n.flux 0.33 L1 B1\n", 4);
    same("flux sign (spectra even in f)", "B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n.flux 0.2\n",
         "B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n.flux -0.2\n", 4);
    same("integer gauge shift of the flux",
         "B1 1 0 ej=10 ec=1.2\nB2 1 0 ej=5 ec=1.2\nC1 1 0 ec=0.6\n.flux 0.3 B1 B2\n.ng 1 0.1\n",
         "B1 1 0 ej=10 ec=1.2\nB2 1 0 ej=5 ec=1.2\nC1 1 0 ec=0.6\n.flux 1.3 B2 B1\n.ng 1 1.1\n",
         4);
    /* Kinds of modes. */
    qp_mode_kind kinds[4];
    size_t nm = 0;
    levels("B1 1 0 ej=15\nC1 1 0 ec=0.3\n", E, 1, kinds, &nm);
    QP_CHECK(nm == 1 && kinds[0] == QP_MODE_CHARGE, "transmon: one charge mode");
    levels("L1 1 0 el=0.4\nQ1 1 0 es=1\n", E, 1, kinds, &nm);
    QP_CHECK(nm == 1 && kinds[0] == QP_MODE_FLUXOID, "phase-slip loop: one fluxoid mode");
    levels("B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n", E, 1, kinds, &nm);
    QP_CHECK(nm == 1 && kinds[0] == QP_MODE_OSC, "fluxonium: one oscillator mode");
    return tap_done();
}
