/* Test helpers: parse and elaborate decks held in memory (includes served from a table). */
#ifndef QPSIM_TEST_UTIL_H
#define QPSIM_TEST_UTIL_H

#include "qpsim/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *path;
    const char *text;
} memfile;

static inline int memread(void *ctx, const char *path, char **text, size_t *len, const char **why)
{
    for (const memfile *f = ctx; f && f->path; f++) {
        if (strcmp(f->path, path) == 0) {
            *len = strlen(f->text);
            *text = malloc(*len + 1);
            memcpy(*text, f->text, *len + 1);
            return 0;
        }
    }
    *why = "No such file or directory";
    return -1;
}

/* Parses and elaborates `text` as deck.cir; returns the status, *out the circuit, and the
 * formatted diagnostics in *msgs (caller frees both). */
static inline qp_status elaborate_text(const char *text, const memfile *files, const qp_override *ov,
                                size_t nov, qp_circuit **out, char **msgs)
{
    qp_diag d = {0};
    qp_netlist_opts opts = {memread, (void *)files};
    qp_deck *deck = NULL;
    *out = NULL;
    qp_status st = qp_netlist_parse_text("deck.cir", text, strlen(text), &opts, &deck, &d);
    if (deck) {
        qp_status st2 = qp_circuit_elaborate(deck, ov, nov, out, &d);
        if (st == QP_OK) {
            st = st2;
        }
        if (st != QP_OK) {
            qp_circuit_free(*out);
            *out = NULL;
        }
    }
    *msgs = qp_diag_format(&d);
    qp_diag_clear(&d);
    qp_deck_free(deck);
    return st;
}

/* Elaborates and quantizes deck text: the modes (NULL on failure, the messages printed as a TAP
 * comment) and, when circuit is not NULL, the circuit in *circuit (else freed). */
static inline qp_modes *modes_from_text(const char *text, qp_circuit **circuit)
{
    qp_circuit *c = NULL;
    qp_modes *m = NULL;
    char *msgs = NULL;
    qp_diag d = {0};
    qp_status st = elaborate_text(text, NULL, NULL, 0, &c, &msgs);
    if (st == QP_OK) {
        st = qp_quantize(c, &m, &d);
    }
    if (st != QP_OK) {
        char *e = qp_diag_format(&d);
        printf("# build failed: %s%s\n", msgs ? msgs : "", e ? e : "");
        free(e);
    }
    free(msgs);
    qp_diag_clear(&d);
    if (circuit) {
        *circuit = c;
    } else {
        qp_circuit_free(c);
    }
    return m;
}

static inline int find_elem(const qp_circuit *c, const char *name)
{
    for (size_t i = 0; i < c->nelem; i++) {
        if (strcmp(c->elem[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

#endif
