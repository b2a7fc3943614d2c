/* Unit tests: statements to deck (elements, params, models, subcircuits, includes, .end). */
#include "qpsim/netlist.h"

#include "tap.h"
#include "util.h"

static qp_deck *parse(const char *text, const memfile *files, qp_status want, char **msgs)
{
    qp_diag d = {0};
    qp_netlist_opts opts = {memread, (void *)files};
    qp_deck *deck = NULL;
    qp_status st = qp_netlist_parse_text("deck.cir", text, strlen(text), &opts, &deck, &d);
    QP_CHECK(st == want, "parse status %d (want %d)", st, want);
    *msgs = qp_diag_format(&d);
    qp_diag_clear(&d);
    return deck;
}

int main(void)
{
    char *msgs;
    const memfile inc[] = {{"lib/models.inc", ".model jm jj(icrit=1u, cap=1p)\n"
                                              ".include more.inc\n"},
                           {"lib/more.inc", ".param z=1\n"},
                           {"loop.inc", ".include loop.inc\n"},
                           {NULL, NULL}};
    qp_deck *dk = parse(".title T\n"
                        ".include lib/models.inc\n"
                        ".param a=1 b={a*2}\n"
                        ".subckt cell p q params: w=2\n"
                        "C1 p q 1f\n"
                        ".param loc=3\n"
                        ".ends cell\n"
                        "X1 1 0 cell w=3\n"
                        "V1 1 0 dc 1u sin(0 1u 5g)\n"
                        ".spectrum levels=3\n"
                        ".end\n"
                        "C9 this is ignored after .end\n",
                        inc, QP_OK, &msgs);
    QP_CHECK(msgs && msgs[0] == '\0', "no messages: %s", msgs ? msgs : "(null)");
    free(msgs);
    if (dk) {
        QP_CHECK(dk->nfiles == 3, "three files read (deck + 2 includes)");
        QP_CHECK_STR(dk->fnames[1], "lib/models.inc", "include path relative to the deck");
        QP_CHECK_STR(dk->fnames[2], "lib/more.inc", "nested include relative to its includer");
        QP_CHECK_STR(dk->title, "T", "title");
        QP_CHECK(dk->top.nparams == 3, "top params a, b (deck) and z (include): %zu",
                 dk->top.nparams);
        QP_CHECK(dk->nmodels == 1 && dk->models[0].nkv == 2, "one model with two keys");
        QP_CHECK(dk->nsubckts == 1 && dk->subckts[0].nports == 2 &&
                     dk->subckts[0].ndefaults == 1 && dk->subckts[0].body.nelems == 1 &&
                     dk->subckts[0].body.nparams == 1,
                 "subckt with 2 ports, 1 default, 1 element, 1 local param");
        QP_CHECK(dk->top.nelems == 2, "two top-level elements (C9 after .end ignored)");
        if (dk->top.nelems == 2) {
            const qp_elem_stmt *v = &dk->top.elems[1];
            QP_CHECK(v->letter == 'V' && v->npos == 4 && v->fn && v->nfargs == 3,
                     "V1: nodes, dc, value and a sin group of 3");
            QP_CHECK(dk->top.elems[0].letter == 'X' && dk->top.elems[0].nkv == 1,
                     "X1 with one parameter");
        }
        QP_CHECK(dk->ndirs == 1 && dk->dirs[0].nkv == 1, ".spectrum kept with its key");
        QP_CHECK(dk->models[0].loc.file == 1 && dk->models[0].loc.line == 1,
                 "model location in the included file");
    }
    qp_deck_free(dk);

    /* .end in an included file ends the whole deck (SPEC: ".end ends the deck"); it used to
     * end only that file, so C3 after the .include was read. */
    const memfile ends[] = {{"stop.inc", "C2 1 0 2f\n.end\nC8 not read\n"}, {NULL, NULL}};
    dk = parse("C1 1 0 1f\n.include stop.inc\nC3 1 0 3f\n.spectrum\n", ends, QP_OK, &msgs);
    QP_CHECK(dk && dk->top.nelems == 2 && dk->ndirs == 0,
             ".end in an include ends the deck: C1, C2 read; C3, .spectrum not (%zu, %zu)",
             dk ? dk->top.nelems : 0, dk ? dk->ndirs : 0);
    free(msgs);
    qp_deck_free(dk);

    /* A file that is not a netlist is one error at the .include, quoting none of it. */
    const memfile foreign[] = {{"passwd", "root:x:0:0:root:/root:/bin/bash\n"
                                          "bin:x:2:2:bin:/bin:/usr/sbin/nologin\n"
                                          "lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin\n"},
                               {"half.inc", "C1 1 0 1f\nhello world\nfoo bar\nbaz qux\n"},
                               {NULL, NULL}};
    dk = parse("C0 1 0 1f\n.include passwd\n.include half.inc\n", foreign, QP_ERR_INPUT,
               &msgs);
    QP_CHECK(msgs && strcmp(msgs, "deck.cir:2:10: error: 'passwd' is not a netlist (its line 1 is "
                                  "neither an element nor a directive); nothing of it is read\n"
                                  "deck.cir:3:10: error: 'half.inc' is not a netlist (only 1 of "
                                  "its 4 statements are elements or directives); nothing of it "
                                  "is read\n") == 0,
             "foreign includes: one error each, no line of them quoted: %s", msgs ? msgs : "");
    free(msgs);
    qp_deck_free(dk);

    dk = parse(".include loop.inc\n.include nowhere.inc\n", inc, QP_ERR_INPUT, &msgs);
    QP_CHECK(msgs && strstr(msgs, "loop.inc:1:10: error: include cycle: 'loop.inc'"),
             "include cycle reported at the file name: %s", msgs ? msgs : "");
    QP_CHECK(msgs && strstr(msgs, "deck.cir:2:10: error: cannot read included file "
                                  "'nowhere.inc': No such file or directory"),
             "missing include reported");
    free(msgs);
    qp_deck_free(dk);

    dk = parse("Z1 1 0 1\n.foo\nC1 1 0 1p x=\n.subckt s a\n.flux 0.5\n", NULL, QP_ERR_INPUT,
               &msgs);
    QP_CHECK(msgs && strstr(msgs, "deck.cir:1:1: error: unknown element letter 'Z'"),
             "unknown letter");
    QP_CHECK(msgs && strstr(msgs, "deck.cir:2:1: error: unknown directive '.foo'"),
             "unknown directive");
    QP_CHECK(msgs && strstr(msgs, "deck.cir:3:12: error: expected a value after 'x='"),
             "missing value after '='");
    QP_CHECK(msgs && strstr(msgs, "deck.cir:5:1: error: .flux is not allowed inside .subckt s"),
             "directive in subckt");
    QP_CHECK(msgs && strstr(msgs, "deck.cir:4:1: error: .subckt s is never closed by .ends"),
             "unclosed subckt");
    free(msgs);
    qp_deck_free(dk);
    return tap_done();
}
