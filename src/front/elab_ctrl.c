/* Elaboration of JoSIM's four-terminal elements: controlled sources E G F H and the line T. */
#include "qpsim/circuit.h"
#include "front/elab_state.h"
#include "qpsim/units.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The second node pair at positional arguments 2 and 3 into el->nc. */
static int second_pair(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el)
{
    for (int k = 0; k < 2; k++) {
        if (!qp_elab_map_node(E, ic, es->pos[2 + k], &el->nc[k])) {
            return 0;
        }
    }
    return 1;
}

/* E, G, F, H: n+ n- nc+ nc- value (JoSIM's form, also SPICE's for E and G). */
static int controlled(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el)
{
    const char *what = es->letter == 'E'   ? "voltage gain"
                       : es->letter == 'G' ? "transconductance"
                       : es->letter == 'F' ? "current gain"
                                           : "transresistance";
    if (es->nkv > 0) {
        ERR(E, es->kv[0].key->loc, "%s %s takes no key=value options", qp_elab_letter_name(
            es->letter), es->name->text);
        return 0;
    }
    if (es->npos != 5) {
        const qp_loc at = es->npos > 5 ? es->pos[5]->loc : es->loc;
        ERR(E, at, "%s %s: expected '%c%s n+ n- nc+ nc- %s'%s", qp_elab_letter_name(es->letter),
            es->name->text, es->letter, es->name->text + 1, what,
            es->letter == 'F' || es->letter == 'H'
                ? " (JoSIM's form: the controlling current is the one through a short from nc+ "
                  "to nc-; SPICE's form naming a voltage source is not read)"
                : "");
        return 0;
    }
    double v;
    qp_quantity q = es->letter == 'H' ? QP_QTY_RESISTANCE : QP_QTY_NONE;
    if (!second_pair(E, es, ic, el) || !qp_elab_eval_tok(E, ic->sc, es->pos[4], q, &v)) {
        return 0;
    }
    el->value = v;
    return 1;
}

/* T n1+ n1- n2+ n2- TD=.. Z0=.. (JoSIM's lossless line). */
static int line(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el)
{
    if (es->npos != 4) {
        const qp_loc at = es->npos > 4 ? es->pos[4]->loc : es->loc;
        ERR(E, at, "transmission line %s: expected '%s n1+ n1- n2+ n2- TD=delay Z0=impedance'",
            es->name->text, es->name->text);
        return 0;
    }
    if (!second_pair(E, es, ic, el)) {
        return 0;
    }
    int have_td = 0, have_z0 = 0;
    for (size_t i = 0; i < es->nkv; i++) {
        const qp_token *key = es->kv[i].key, *val = es->kv[i].val;
        int td = strcasecmp(key->text, "td") == 0, z0 = strcasecmp(key->text, "z0") == 0;
        if (!td && !z0) {
            ERR(E, key->loc, "unknown key '%s' for transmission line %s (expected TD=, Z0=)",
                key->text, es->name->text);
            return 0;
        }
        double v;
        if (!qp_elab_eval_tok(E, ic->sc, val, td ? QP_QTY_TIME : QP_QTY_RESISTANCE, &v) ||
            !qp_elab_positive(E, val, v, td ? "TD" : "Z0", es->name->text)) {
            return 0;
        }
        if (td) {
            el->td = v, have_td = 1;
        } else {
            el->value = v, have_z0 = 1;
        }
    }
    if (!have_td || !have_z0) {
        ERR(E, es->loc, "transmission line %s needs %s", es->name->text,
            !have_td && !have_z0 ? "TD= and Z0=" : !have_td ? "TD=" : "Z0=");
        return 0;
    }
    return 1;
}

int qp_elab_four_terminal(elab *E, const qp_elem_stmt *es, const inst_ctx *ic, qp_element *el)
{
    if (es->npos >= 4 && es->letter != 'T' && es->npos < 5) {
        return controlled(E, es, ic, el); /* reports the form */
    }
    if (es->npos < 4) {
        ERR(E, es->loc, "%s %s needs four nodes", qp_elab_letter_name(es->letter),
            es->name->text);
        return 0;
    }
    return es->letter == 'T' ? line(E, es, ic, el) : controlled(E, es, ic, el);
}
