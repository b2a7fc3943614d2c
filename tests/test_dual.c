/* Unit tests: qpsim dual against the map of docs/duality.md (C <-> L* = R_Q^2 C, B <-> Q with
 * ES = EJ, .ng <-> .flux), its refusals (non-planar, mutual inductance) and the round trip. */
#include "qpsim/engine.h"

#include "tap.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RTOL_VALUE 1e-15     /* a value written with %.16g and read back */
#define RTOL_ROUNDTRIP 1e-14 /* through two duals: two %.16g roundings and R_Q^2 both ways */
#define RTOL_FORM 1e-12      /* a quantized form against its closed form */
#define PI 3.14159265358979323846

/* Elaborates `text`; on failure prints the messages and returns NULL. */
static qp_circuit *elaborate(const char *what, const char *text)
{
    qp_circuit *c = NULL;
    char *msgs = NULL;
    if (elaborate_text(text, NULL, NULL, 0, &c, &msgs) != QP_OK) {
        printf("# %s does not elaborate: %s\n", what, msgs ? msgs : "");
        c = NULL;
    }
    free(msgs);
    return c;
}

/* The dual of c as text (NULL on failure, with the messages in *msgs, caller frees both). */
static char *dual_of(const qp_circuit *c, qp_status *st, char **msgs)
{
    qp_diag d = {0};
    char *out = NULL;
    *st = qp_dual_netlist(c, "deck.cir", &out, &d);
    *msgs = qp_diag_format(&d);
    qp_diag_clear(&d);
    return out;
}

static const qp_element *elem(const qp_circuit *c, const char *name)
{
    int i = find_elem(c, name);
    return i >= 0 ? &c->elem[i] : NULL;
}

/* Transmon (EJ 15 GHz, EC 0.3 GHz, ng 0.25) -> phase-slip loop: QB1 with ES = EJ, the inductor
 * LC1 with L* = R_Q^2 C, i.e. EL'* = Phi0^2/2L* = 4 EC, and the flux ng around the loop. The
 * quantized dual has one fluxoid mode with (1/2) Lm (2 pi m)^2 = 4 EC m^2 and the phase slip. */
static void test_transmon_dual(void)
{
    const double ej = 15.0, ec = 0.3, ng = 0.25;
    qp_circuit *c = elaborate("transmon", "* transmon\nB1 1 0 ej=15\nC1 1 0 ec=0.3\n"
                                          ".ng 1 0.25\n.spectrum levels=4\n");
    QP_CHECK(c != NULL, "transmon elaborates");
    if (!c) {
        return;
    }
    qp_status st;
    char *msgs;
    char *text = dual_of(c, &st, &msgs);
    QP_CHECK(st == QP_OK && text, "transmon has a dual: %s", msgs ? msgs : "");
    qp_circuit *dc = text ? elaborate("dual of the transmon", text) : NULL;
    QP_CHECK(dc != NULL, "the dual deck elaborates");
    if (dc) {
        const qp_element *q = elem(dc, "QB1"), *l = elem(dc, "LC1");
        QP_CHECK(q && q->kind == QP_EL_Q, "B1 became the phase slip QB1");
        QP_CHECK(l && l->kind == QP_EL_L, "C1 became the inductor LC1");
        QP_CHECK(dc->nelem == 2, "the dual has two elements (%zu)", dc->nelem);
        if (q) {
            QP_CHECK_REL(qp_element_es(q), ej, RTOL_VALUE, "ES of QB1 = EJ of B1");
        }
        if (l) {
            double c1 = QP_QE * QP_QE / (2.0 * ec * 1e9 * QP_H); /* C from EC = e^2/2C */
            double rq = QP_H / (4.0 * QP_QE * QP_QE);
            double phi0 = QP_H / (2.0 * QP_QE);
            QP_CHECK_REL(l->value, rq * rq * c1, RTOL_VALUE, "L* = R_Q^2 C");
            QP_CHECK_REL(phi0 * phi0 / (2.0 * l->value) / QP_H / 1e9, 4.0 * ec, RTOL_VALUE,
                         "EL'* = Phi0^2/2L* = 4 EC");
        }
        QP_CHECK(dc->nloops == 1 && dc->noffsets == 0, "the offset became one .flux loop");
        if (dc->nloops == 1) {
            QP_CHECK_REL(dc->loops[0].f, ng, RTOL_VALUE, "flux of the dual loop = ng");
        }
        qp_diag d = {0};
        qp_modes *m = NULL;
        qp_status qs = qp_quantize(dc, &m, &d);
        QP_CHECK(qs == QP_OK, "the dual quantizes");
        if (m) {
            QP_CHECK(m->n == 1 && m->kind[0] == QP_MODE_FLUXOID, "the dual has one fluxoid mode");
            QP_CHECK_REL(2.0 * PI * PI * m->Lm[0], 4.0 * ec, RTOL_FORM,
                         "dual: (1/2) Lm (2 pi)^2 = 4 EC of the transmon");
            QP_CHECK(m->ncos == 1 && m->cos[0].is_qps, "dual: one phase-slip term");
            if (m->ncos == 1) {
                QP_CHECK_REL(m->cos[0].E, ej, RTOL_FORM, "dual: ES = EJ in the Hamiltonian");
            }
        }
        qp_modes_free(m);
        qp_diag_clear(&d);
    }
    qp_circuit_free(dc);
    qp_circuit_free(c);
    free(text);
    free(msgs);
}

/* A refusal: status QP_ERR_INPUT, no text, and a message containing `want`. */
static void expect_refused(const char *what, const char *deck, const char *want)
{
    qp_circuit *c = elaborate(what, deck);
    QP_CHECK(c != NULL, "%s elaborates", what);
    if (!c) {
        return;
    }
    qp_status st;
    char *msgs;
    char *text = dual_of(c, &st, &msgs);
    QP_CHECK(st == QP_ERR_INPUT && text == NULL, "%s: no dual (status %d)", what, (int)st);
    QP_CHECK(msgs && strstr(msgs, want) != NULL, "%s: message \"%s\": %s", what, want,
             msgs ? msgs : "(none)");
    free(text);
    free(msgs);
    qp_circuit_free(c);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    char *s = NULL;
    size_t n = 0, cap = 0;
    int ch;
    while ((ch = fgetc(f)) != EOF) {
        if (n + 1 >= cap) {
            cap = cap ? 2 * cap : 256;
            char *t = realloc(s, cap);
            if (!t) {
                free(s);
                fclose(f);
                return NULL;
            }
            s = t;
        }
        s[n++] = (char)ch;
    }
    fclose(f);
    if (s) {
        s[n] = '\0';
    }
    return s;
}

static void test_refusals(void)
{
    char *k33 = read_file(QP_TEST_DIR "/dual/nonplanar_k33.cir");
    QP_CHECK(k33 != NULL, "read dual/nonplanar_k33.cir");
    if (k33) {
        expect_refused("K3,3", k33, "the circuit is not planar");
        free(k33);
    }
    expect_refused("mutual inductance",
                   "* coupled\nL1 1 0 1n\nL2 2 0 1n\nK1 L1 L2 0.1\nC1 1 0 10f\nC2 2 0 10f\n",
                   "mutual inductance K1 has no planar dual");
}

/* The dual of the dual: every element comes back with its value (names gain two letters, e.g.
 * B1 -> QB1 -> BQB1; a junction's capacitance comes back as a capacitor of its own), and the
 * offset comes back as an offset of the same size. Its sign is not a target: the double dual is
 * the circuit only up to the order of elements in series and their orientation (here Q1 and C3
 * trade places around node 3), which flips the island's charge; with no flux, ng and -ng give
 * one spectrum, which run_dual.py compares for every bundled deck. */
static void test_double_dual(void)
{
    const char *deck = "* round trip\nB1 1 0 ej=3 ec=0.5\nB2 2 0 ej=2\nC2 2 0 20f\nL1 1 2 15n\n"
                       "Q1 2 3 es=1.5\nC3 3 0 ec=2\n.ng 3 0.2\n";
    qp_circuit *c = elaborate("round-trip deck", deck);
    QP_CHECK(c != NULL, "round-trip deck elaborates");
    if (!c) {
        return;
    }
    qp_status st;
    char *m1, *m2 = NULL;
    char *t1 = dual_of(c, &st, &m1), *t2 = NULL;
    qp_circuit *d1 = t1 ? elaborate("dual", t1) : NULL, *d2 = NULL;
    if (d1) {
        t2 = dual_of(d1, &st, &m2);
        d2 = t2 ? elaborate("dual of the dual", t2) : NULL;
    }
    QP_CHECK(d2 != NULL, "the dual of the dual exists and elaborates: %s %s", m1 ? m1 : "",
             m2 ? m2 : "");
    if (d2) {
        const qp_element *b1 = elem(d2, "BQB1"), *cb1 = elem(d2, "CLB1_c"), *b2 = elem(d2, "BQB2");
        const qp_element *c2 = elem(d2, "CLC2"), *l1 = elem(d2, "LCL1"), *q1 = elem(d2, "QBQ1");
        const qp_element *c3 = elem(d2, "CLC3");
        QP_CHECK(b1 && cb1 && b2 && c2 && l1 && q1 && c3 && d2->nelem == 7,
                 "every element is back, with the junction capacitance apart (%zu elements)",
                 d2->nelem);
        if (b1 && cb1 && b2 && c2 && l1 && q1 && c3) {
            QP_CHECK(b1->kind == QP_EL_B && b2->kind == QP_EL_B && q1->kind == QP_EL_Q &&
                         l1->kind == QP_EL_L && c2->kind == QP_EL_C && cb1->kind == QP_EL_C,
                     "every element has its kind back");
            QP_CHECK_REL(qp_element_ej(b1), 3.0, RTOL_ROUNDTRIP, "EJ of B1");
            QP_CHECK_REL(qp_element_ec(cb1), 0.5, RTOL_ROUNDTRIP, "EC of B1's capacitance");
            QP_CHECK_REL(qp_element_ej(b2), 2.0, RTOL_ROUNDTRIP, "EJ of B2");
            QP_CHECK_REL(c2->value, 20e-15, RTOL_ROUNDTRIP, "C2 [F]");
            QP_CHECK_REL(l1->value, 15e-9, RTOL_ROUNDTRIP, "L1 [H]");
            QP_CHECK_REL(qp_element_es(q1), 1.5, RTOL_ROUNDTRIP, "ES of Q1");
            QP_CHECK_REL(qp_element_ec(c3), 2.0, RTOL_ROUNDTRIP, "EC of C3");
        }
        QP_CHECK(d2->noffsets == 1 && d2->nloops == 0, "the offset is back as an offset");
        if (d2->noffsets == 1) {
            QP_CHECK_REL(fabs(d2->offsets[0].ng), 0.2, RTOL_ROUNDTRIP, "|ng| back");
        }
    }
    qp_circuit_free(d2);
    qp_circuit_free(d1);
    qp_circuit_free(c);
    free(t1), free(t2), free(m1), free(m2);
}

int main(void)
{
    test_transmon_dual();
    test_refusals();
    test_double_dual();
    return tap_done();
}
