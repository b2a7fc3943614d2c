/* libFuzzer target: the front end (lex, parse, elaborate, check), quantization, the dual netlist
 * and the reports. */
#include "qpsim/engine.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The first few .include reads return the fuzzer's own input, so include handling is exercised;
 * later ones fail, which keeps each run fast (the product's own limit is QP_MAX_FILES). */
typedef struct {
    const uint8_t *data;
    size_t size;
    int reads;
} mem;

static int read_mem(void *ctx, const char *path, char **text, size_t *len, const char **why)
{
    mem *m = ctx;
    (void)path;
    if (++m->reads > 6) {
        *why = "fuzzer read limit";
        return -1;
    }
    *text = malloc(m->size ? m->size : 1);
    if (!*text) {
        *why = "out of memory";
        return -1;
    }
    memcpy(*text, m->data, m->size);
    *len = m->size;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mem m = {data, size, 0};
    qp_netlist_opts opts = {read_mem, &m};
    qp_diag d = {0};
    qp_deck *deck = NULL;
    qp_netlist_parse_text("fuzz.cir", (const char *)data, size, &opts, &deck, &d);
    if (deck) {
        qp_circuit *c = NULL;
        qp_override ov = {"a", "{2*b}"};
        if (qp_circuit_elaborate(deck, &ov, size % 2, &c, &d) == QP_OK) {
            qp_modes *modes = NULL;
            if (c->nelem <= 64) { /* quantization of random small topologies */
                qp_quantize(c, &modes, &d);
            }
            char *dual = NULL;
            if (qp_dual_netlist(c, "fuzz.cir", &dual, &d) == QP_OK) {
                /* the dual must itself be a valid deck */
                qp_deck *dd = NULL;
                qp_netlist_parse_text("dual.cir", dual, strlen(dual), NULL, &dd, &d);
                qp_deck_free(dd);
            }
            free(dual);
            free(qp_report_circuit_text(c));
            free(qp_report_json(c, "fuzz.cir", modes, NULL));
            if (modes) {
                free(qp_report_modes_text(c, modes, NULL));
            }
            qp_modes_free(modes);
        }
        qp_circuit_free(c);
    }
    free(qp_diag_format(&d));
    qp_diag_clear(&d);
    qp_deck_free(deck);
    return 0;
}
