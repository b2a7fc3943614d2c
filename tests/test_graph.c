/* Unit tests: ground and connectivity checks, flux loops (explicit, implicit, oriented). */
#include "qpsim/circuit.h"

#include "tap.h"
#include "util.h"

static qp_circuit *ok_deck(const char *text, const char *what)
{
    qp_circuit *c;
    char *msgs;
    qp_status st = elaborate_text(text, NULL, NULL, 0, &c, &msgs);
    QP_CHECK(st == QP_OK, "%s elaborates %s", what, msgs ? msgs : "");
    free(msgs);
    return c;
}

static void bad_deck(const char *text, const char *want)
{
    qp_circuit *c;
    char *msgs;
    qp_status st = elaborate_text(text, NULL, NULL, 0, &c, &msgs);
    QP_CHECK(st == QP_ERR_INPUT && !c && msgs && strstr(msgs, want), "refused with '%s'", want);
    if (msgs && !strstr(msgs, want)) {
        printf("#   got: %s", msgs);
    }
    free(msgs);
}

static void loop_is(const qp_circuit *c, size_t k, const char *const *names, const int *signs,
                    size_t n, const char *what)
{
    int ok = c && k < c->nloops && c->loops[k].n == n;
    for (size_t i = 0; ok && i < n; i++) {
        ok = strcmp(c->elem[c->loops[k].branch[i]].name, names[i]) == 0 &&
             c->loops[k].sign[i] == signs[i];
    }
    QP_CHECK(ok, "%s", what);
}

int main(void)
{
    /* Implicit loop of a fluxonium: B1 walked from 1 to 0, back through L1 from 0 to 1. */
    qp_circuit *c = ok_deck("B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n.flux 0.5\n",
                            "fluxonium");
    const char *fl_names[] = {"B1", "L1"};
    const int fl_signs[] = {1, -1};
    loop_is(c, 0, fl_names, fl_signs, 2, "fluxonium loop +B1 -L1 found automatically");
    QP_CHECK(c && c->loops[0].implicit && c->loops[0].f == 0.5, "implicit, f = 0.5");
    qp_circuit_free(c);

    /* Explicit loop listed out of order; orientation follows the first listed branch. */
    c = ok_deck("L1 a b 1n\nB1 b 0 ic=1u\nL2 0 a 1n\nC1 a 0 1p\nC2 b 0 1p\n"
                ".flux 0.25 L2 B1 L1\n",
                "three-branch loop");
    const char *l3_names[] = {"L2", "L1", "B1"};
    const int l3_signs[] = {1, 1, 1};
    loop_is(c, 0, l3_names, l3_signs, 3, "loop ordered L2 L1 B1 from L2's n+");
    qp_circuit_free(c);

    c = ok_deck("B1 1 0 ej=10 ec=1.2\nB2 1 0 ej=5 ec=1.2\nC1 1 0 ec=0.6\n.flux 0.3 B2 B1\n",
                "SQUID");
    const char *sq_names[] = {"B2", "B1"};
    const int sq_signs[] = {1, -1};
    loop_is(c, 0, sq_names, sq_signs, 2, "SQUID loop +B2 -B1");
    qp_circuit_free(c);

    /* A dangling inductive branch does not spoil the implicit loop. */
    c = ok_deck("L1 1 0 1n\nQ1 1 0 es=1\nL2 1 2 1n\nC2 2 0 1f\n.flux 0.5\n", "loop with a stub");
    const char *st_names[] = {"L1", "Q1"};
    const int st_signs[] = {1, -1};
    loop_is(c, 0, st_names, st_signs, 2, "stub pruned, loop +L1 -Q1");
    qp_circuit_free(c);

    bad_deck("C1 1 2 1f\nL1 2 1 1n\n", "error: no element is connected to ground");
    bad_deck("C1 1 0 1f\nC2 2 3 1f\nL2 3 2 1n\n",
             "deck.cir:2:1: error: node '2' is not connected to ground");
    bad_deck("C1 1 1 1f\nC2 1 0 1f\n", "deck.cir:1:1: error: both ends of C1 are on node '1'");
    bad_deck("* nothing\n", "deck.cir:1:1: error: the deck has no circuit elements");
    bad_deck("L1 1 0 1n\nL2 1 2 1n\nC1 2 0 1f\n.flux 0.1 L1 L2\n",
             "deck.cir:4:1: error: the branches of .flux do not close a loop");
    bad_deck("L1 1 0 1n\nL2 1 0 1n\nL3 1 0 1n\n.flux 0.1 L1 L2 L3\n",
             "the branches of .flux meet 3 times at node");
    bad_deck("L1 1 0 1n\nC1 1 0 1f\n.flux 0.1\n",
             "error: .flux without branches needs a loop of inductors");
    bad_deck("L1 1 0 1n\nL2 1 0 1n\nL3 1 0 1n\n.flux 0.1\n",
             "this circuit has 2 independent loops without capacitors");
    bad_deck("L1 1 0 1n\nL2 1 0 1n\nL3 2 3 1n\nL4 2 3 1n\nC1 3 0 1f\n.flux 0.1 L1 L2 L3 L4\n",
             "the branches of .flux form more than one loop");
    bad_deck("L1 1 0 1n\nL2 1 0 1n\n.flux 0.1 L1 L2\n.flux 0.2 L2 L1\n",
             "deck.cir:4:1: error: two .flux directives name the same loop");
    return tap_done();
}
