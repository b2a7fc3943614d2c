/* Unit tests: elaboration to SI values, parameters, models with area, subcircuits, overrides. */
#include "qpsim/circuit.h"
#include "qpsim/units.h"

#include "tap.h"
#include "util.h"

#define RTOL 1e-13 /* conversions are a few floating-point operations */

int main(void)
{
    qp_circuit *c;
    char *msgs;
    /* Parameters in any order, models with area, energies, subcircuits with parameters. */
    const char *deck = ".param cq={2*cg} cg=40f\n"
                       ".model jm jj(icrit=100n, cap=2f, rn=1k, rtype=1, vg=2.8mV)\n"
                       ".subckt tr top bot params: cs=80f ej=15\n"
                       "B1 top bot ej={ej}\n"
                       "C1 top bot {cs}\n"
                       "Cint top mid 1f\n"
                       "Lint mid bot 1n\n"
                       ".ends\n"
                       "X1 a 0 tr cs={cq}\n"
                       "X2 b 0 tr ej=10\n"
                       "Cc a b 1f\n"
                       "B3 a c jm area=1.5\n"
                       "L3 c 0 el=0.5GHz\n"
                       "Q1 b 0 es=1\n"
                       "Q2 b 0 vc=10u\n"
                       "K1 L3 X1.Lint 0.25\n"
                       "R1 c 0 1k\n"
                       "I1 0 c pwl(0 0 1n 10n)\n"
                       ".ng a 0.25\n"
                       ".spectrum\n";
    qp_status st = elaborate_text(deck, NULL, NULL, 0, &c, &msgs);
    QP_CHECK(st == QP_OK, "deck elaborates: %s", msgs ? msgs : "");
    free(msgs);
    if (c) {
        QP_CHECK(c->nnodes == 6, "nodes 0 a X1.mid b X2.mid c (%zu)", c->nnodes);
        QP_CHECK_STR(c->node_names[1], "a", "first node");
        int i = find_elem(c, "X1.C1");
        QP_CHECK(i >= 0, "X1.C1 exists");
        if (i >= 0) {
            QP_CHECK_REL(c->elem[i].value, 80e-15, RTOL, "X1.C1 = cq = 2 cg");
            QP_CHECK(c->elem[i].n[0] == 1 && c->elem[i].n[1] == 0, "X1.C1 between a and 0");
        }
        i = find_elem(c, "X2.C1");
        QP_CHECK(i >= 0 && fabs(c->elem[i].value - 80e-15) <= RTOL * 80e-15,
                 "X2.C1 uses the default cs");
        i = find_elem(c, "X2.B1");
        QP_CHECK(i >= 0 && fabs(qp_element_ej(&c->elem[i]) - 10.0) <= RTOL * 10,
                 "X2.B1 has the instance ej");
        i = find_elem(c, "X1.Lint");
        QP_CHECK(i >= 0 && strcmp(c->node_names[c->elem[i].n[0]], "X1.mid") == 0,
                 "local node flattened to X1.mid");
        i = find_elem(c, "B3");
        if (i >= 0) {
            QP_CHECK_REL(c->elem[i].ic, 150e-9, RTOL, "area scales icrit");
            QP_CHECK_REL(c->elem[i].cap, 3e-15, RTOL, "area scales cap");
            QP_CHECK_REL(c->elem[i].rn, 1000.0 / 1.5, RTOL, "area divides rn");
            QP_CHECK_STR(c->elem[i].model, "jm", "model name kept");
        }
        i = find_elem(c, "L3");
        QP_CHECK(i >= 0 && fabs(qp_element_el(&c->elem[i]) - 0.5) <= RTOL,
                 "el=0.5GHz round-trips");
        i = find_elem(c, "Q1");
        QP_CHECK(i >= 0 && fabs(c->elem[i].vc - 12.992583e-6) <= 5e-8 * 12.992583e-6,
                 "Q1 Vc from ES = 1 GHz (T1)");
        i = find_elem(c, "Q2");
        QP_CHECK(i >= 0 && fabs(c->elem[i].vc - 10e-6) <= RTOL * 1e-5, "Q2 vc given directly");
        i = find_elem(c, "K1");
        QP_CHECK(i >= 0 && c->elem[i].lk[0] == find_elem(c, "L3") &&
                     c->elem[i].lk[1] == find_elem(c, "X1.Lint") && c->elem[i].value == 0.25,
                 "K1 couples L3 and X1.Lint");
        i = find_elem(c, "I1");
        QP_CHECK(i >= 0 && c->elem[i].wave.kind == QP_WAVE_PWL && c->elem[i].wave.np == 4 &&
                     c->elem[i].wave.p[3] == 10e-9,
                 "pwl source values");
        QP_CHECK(c->noffsets == 1 && c->offsets[0].node == 1 && c->offsets[0].ng == 0.25,
                 ".ng on node a");
        QP_CHECK(c->nanalyses == 1 && c->analyses[0].levels == 6, ".spectrum default levels 6");
        QP_CHECK(c->nparams == 2 && strcmp(c->params[0].name, "cq") == 0 &&
                     fabs(c->params[0].value - 80e-15) <= RTOL * 8e-14,
                 "top-level parameters after evaluation");
    }
    qp_circuit_free(c);

    /* --set overrides a parameter; an unknown name is a usage error. */
    const char *small = ".param cap=1p\nC1 1 0 {cap}\nL1 1 0 1n\n.sweep cap 1p 2p 3\n";
    qp_override ov = {"CAP", "{2*5e-13}"};
    st = elaborate_text(small, NULL, &ov, 1, &c, &msgs);
    QP_CHECK(st == QP_OK && c && fabs(c->elem[0].value - 1e-12) <= RTOL * 1e-12,
             "--set CAP={2*5e-13} overrides cap (case-insensitive)");
    QP_CHECK(c && c->nanalyses == 1 && c->analyses[0].kind == QP_AN_SWEEP &&
                 c->analyses[0].points == 3 && strcmp(c->analyses[0].param, "cap") == 0,
             "sweep request recorded");
    qp_circuit_free(c);
    free(msgs);
    qp_override bad = {"nope", "1"};
    st = elaborate_text(small, NULL, &bad, 1, &c, &msgs);
    QP_CHECK(st == QP_ERR_USAGE && !c, "--set of an unknown parameter is a usage error");
    QP_CHECK(msgs && strstr(msgs, "qpsim: error: --set nope: the deck has no top-level .param"),
             "message names the parameter: %s", msgs ? msgs : "");
    free(msgs);

    /* Several errors reported in one run, each at its place. */
    st = elaborate_text(".param a={b} b={a}\nC1 1 0 5nH\nB1 1 0 ic=1u ej=3\nC2 1 0 {1/0}\n", NULL,
                        NULL, 0, &c, &msgs);
    QP_CHECK(st == QP_ERR_INPUT && !c, "bad deck is refused");
    QP_CHECK(msgs && strstr(msgs, "deck.cir:1:17: error: parameter cycle: a -> b -> a"),
             "cycle at the closing reference: %s", msgs ? msgs : "");
    QP_CHECK(msgs && strstr(msgs, "deck.cir:2:10: error: '5nH' is an inductance, but a "
                                  "capacitance (F) is expected here"),
             "wrong unit, placed at the unit letter");
    QP_CHECK(msgs && strstr(msgs, "deck.cir:3:14: error: B1 gives both ic= and ej="),
             "ic and ej both given, placed at the second key");
    QP_CHECK(msgs && strstr(msgs, "deck.cir:4:11: error: division by zero"),
             "division by zero inside braces");
    free(msgs);
    return tap_done();
}
