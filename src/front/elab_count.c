/* The size of a deck's flattened circuit, counted from its subcircuit definitions before any
 * instance is expanded: nested instances multiply, so a few lines can ask for billions. */
#include "front/elab_state.h"

#include "qpsim/netlist.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { S_NEW, S_OPEN, S_DONE };

typedef struct {
    uint64_t count; /* elements and instances one instance of it expands into (saturating) */
    int height;     /* levels of instances below it (back edges of a cycle count 0) */
    int state;
    size_t next;    /* while open: the next statement of its body to look at */
    int deepest;    /* the child instance statement below which the height is reached, or -1 */
} sub_size;

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* The definition an instance statement names, or -1 (unknown names are reported later, when the
 * instance is expanded; so are definitions whose line had an error). */
static int child_of(const elab *E, const qp_elem_stmt *es)
{
    if (es->letter != 'X' || es->npos < 1 || es->pos[es->npos - 1]->kind != QP_TOK_WORD) {
        return -1;
    }
    int si = qp_strmap_get(&E->subckts, es->pos[es->npos - 1]->text);
    return si >= 0 && !E->deck->subckts[si].bad ? si : -1;
}

/* One statement's share of its body: 1, plus what an instance expands into. */
static void add_stmt(const sub_size *z, int child, uint64_t *count, int *height, int *deepest,
                     int at)
{
    *count = sat_add(*count, 1);
    if (child < 0 || z[child].state != S_DONE) {
        return; /* unknown, or a back edge: the cycle is reported when expanded */
    }
    *count = sat_add(*count, z[child].count);
    if (1 + z[child].height > *height) {
        *height = 1 + z[child].height;
        *deepest = at;
    }
}

/* Sizes every definition, depth first with an explicit stack (a deck may chain thousands of
 * definitions). Returns 0 when out of memory. */
static int size_all(const elab *E, sub_size *z)
{
    const qp_deck *dk = E->deck;
    int *stack = malloc((dk->nsubckts ? dk->nsubckts : 1) * sizeof *stack);
    if (!stack) {
        return 0;
    }
    for (size_t root = 0; root < dk->nsubckts; root++) {
        if (z[root].state != S_NEW) {
            continue;
        }
        size_t top = 0;
        stack[top++] = (int)root;
        z[root].state = S_OPEN;
        while (top > 0) {
            int s = stack[top - 1];
            const qp_body *b = &dk->subckts[s].body;
            sub_size *zs = &z[s];
            if (zs->next == b->nelems) {
                zs->state = S_DONE;
                top--;
                continue;
            }
            size_t i = zs->next;
            int child = child_of(E, &b->elems[i]);
            if (child >= 0 && z[child].state == S_NEW) {
                z[child].state = S_OPEN; /* visit it first; statement i is looked at again */
                stack[top++] = child;
                continue;
            }
            add_stmt(z, child, &zs->count, &zs->height, &zs->deepest, (int)i);
            zs->next++;
        }
    }
    free(stack);
    return 1;
}

/* "s0 -> s1 -> ..." along the deepest chain below definition s, at most a few names. */
static void chain_text(const elab *E, const sub_size *z, int s, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (int k = 0; s >= 0 && used + 1 < len; k++) {
        const char *name = E->deck->subckts[s].name->text;
        if (k == 4) {
            snprintf(out + used, len - used, " -> ...");
            return;
        }
        used += (size_t)snprintf(out + used, len - used, "%s%s", k ? " -> " : "", name);
        int at = z[s].deepest;
        s = at >= 0 ? child_of(E, &E->deck->subckts[s].body.elems[at]) : -1;
    }
}

int qp_elab_check_expansion(elab *E)
{
    const qp_deck *dk = E->deck;
    sub_size *z = calloc(dk->nsubckts ? dk->nsubckts : 1, sizeof *z);
    if (!z || !size_all(E, z)) {
        free(z);
        qp_elab_nomem(E);
        return 0;
    }
    for (size_t s = 0; s < dk->nsubckts; s++) {
        z[s].deepest = z[s].height > 0 ? z[s].deepest : -1;
    }
    uint64_t total = 0;
    int ok = 1;
    char chain[160];
    for (size_t i = 0; i < dk->top.nelems && ok; i++) {
        const qp_elem_stmt *es = &dk->top.elems[i];
        int child = child_of(E, es);
        if (child >= 0 && 1 + z[child].height > QP_MAX_SUBCKT_DEPTH) {
            chain_text(E, z, child, chain, sizeof chain);
            ERR(E, es->loc, "instance %s nests subcircuits %d deep (%s); at most %d levels are "
                "allowed: flatten some levels into their parent", es->name->text,
                1 + z[child].height, chain, QP_MAX_SUBCKT_DEPTH);
            ok = 0;
            break;
        }
        uint64_t before = total;
        int h = 0, deepest = -1;
        add_stmt(z, child, &total, &h, &deepest, 0);
        if (total > QP_MAX_ELEMENTS) {
            if (child >= 0 && total - before > QP_MAX_ELEMENTS) {
                ERR(E, es->loc, "instance %s of %s expands into %llu%s elements and subcircuit "
                    "instances, and a flattened circuit may hold at most %d (nested instances "
                    "multiply): instantiate fewer subcircuits, or write parallel elements as "
                    "one", es->name->text, dk->subckts[child].name->text,
                    (unsigned long long)(total - before), total == UINT64_MAX ? " or more" : "",
                    QP_MAX_ELEMENTS);
            } else {
                ERR(E, es->loc, "with %s the flattened circuit has more than %d elements and "
                    "subcircuit instances (nested instances multiply): instantiate fewer "
                    "subcircuits, or write parallel elements as one", es->name->text,
                    QP_MAX_ELEMENTS);
            }
            ok = 0;
        }
    }
    free(z);
    if (!ok) {
        E->too_big = 1;
    }
    return ok;
}
