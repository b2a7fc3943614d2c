/* Diagnostics list: collects every error of a run with its file:line:col. */
#include "qpsim/diag.h"
#include "base/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qp_diag_add(qp_diag *d, qp_severity sev, const char *file, int line, int col, const char *fmt,
                 ...)
{
    if (sev == QP_SEV_ERROR) {
        d->errors++;
    }
    va_list ap;
    va_start(ap, fmt);
    qp_strbuf b = {0};
    qp_sb_vprintf(&b, fmt, ap);
    va_end(ap);
    char *msg = qp_sb_take(&b);
    if (!msg) {
        d->nomem = 1;
        return;
    }
    /* The same message at the same place (an error inside a subcircuit body met once per
     * instance) is reported once. */
    for (size_t i = 0; i < d->count; i++) {
        const qp_diag_entry *e = &d->items[i];
        if (e->sev == sev && e->line == line && e->col == col && strcmp(e->msg, msg) == 0 &&
            ((!e->file && !file) || (e->file && file && strcmp(e->file, file) == 0))) {
            free(msg);
            return;
        }
    }
    if (d->count == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 8;
        qp_diag_entry *it = realloc(d->items, cap * sizeof *it);
        if (!it) {
            free(msg);
            d->nomem = 1;
            return;
        }
        d->items = it;
        d->cap = cap;
    }
    qp_diag_entry *e = &d->items[d->count];
    e->sev = sev;
    e->file = qp_strdup(file);
    e->line = line;
    e->col = col;
    e->msg = msg;
    if (file && !e->file) {
        free(e->msg);
        free(e->file);
        d->nomem = 1;
        return;
    }
    d->count++;
}

char *qp_diag_format(const qp_diag *d)
{
    static const char *const sevname[] = {"error", "warning", "note"};
    qp_strbuf b = {0};
    for (size_t i = 0; i < d->count; i++) {
        const qp_diag_entry *e = &d->items[i];
        if (e->file && e->line > 0) {
            qp_sb_printf(&b, "%s:%d:%d: %s: %s\n", e->file, e->line, e->col, sevname[e->sev],
                         e->msg);
        } else if (e->file) {
            qp_sb_printf(&b, "%s: %s: %s\n", e->file, sevname[e->sev], e->msg);
        } else {
            qp_sb_printf(&b, "qpsim: %s: %s\n", sevname[e->sev], e->msg);
        }
    }
    if (d->nomem) {
        qp_sb_puts(&b, "qpsim: error: out of memory while reporting errors\n");
    }
    return qp_sb_take(&b);
}

void qp_diag_clear(qp_diag *d)
{
    for (size_t i = 0; i < d->count; i++) {
        free(d->items[i].file);
        free(d->items[i].msg);
    }
    free(d->items);
    memset(d, 0, sizeof *d);
}

const char *qp_status_str(qp_status s)
{
    switch (s) {
    case QP_OK:
        return "success";
    case QP_ERR_INPUT:
        return "bad input";
    case QP_ERR_USAGE:
        return "bad command line";
    case QP_ERR_NUMERIC:
        return "numerical failure";
    case QP_ERR_NOMEM:
        return "out of memory";
    case QP_ERR_IO:
        return "cannot read file";
    }
    return "unknown status";
}

/* Rank of a file name by first appearance (messages without a file come first). */
static size_t file_rank(const qp_diag *d, const char *file)
{
    if (!file) {
        return 0;
    }
    for (size_t i = 0; i < d->count; i++) {
        if (d->items[i].file && strcmp(d->items[i].file, file) == 0) {
            return i + 1;
        }
    }
    return d->count + 1;
}

void qp_diag_sort(qp_diag *d)
{
    /* Groups (an error or warning with the notes after it) move together: stable insertion
     * sort of group heads by (file, line, column). Lists are short. */
    size_t n = d->count;
    if (n < 2) {
        return;
    }
    qp_diag_entry *out = malloc(n * sizeof *out);
    size_t *start = malloc((n ? n : 1) * sizeof *start), ng = 0;
    size_t *rank = malloc((n ? n : 1) * sizeof *rank);
    if (!out || !start || !rank) {
        free(out), free(start), free(rank);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || d->items[i].sev != QP_SEV_NOTE) {
            start[ng++] = i;
        }
        rank[i] = file_rank(d, d->items[i].file);
    }
    for (size_t g = 1; g < ng; g++) {
        size_t s = start[g], h = g;
        while (h > 0) {
            const qp_diag_entry *a = &d->items[start[h - 1]], *b = &d->items[s];
            size_t ra = rank[start[h - 1]], rb = rank[s];
            /* Messages without a file keep their order among themselves. */
            int later = ra > rb || (ra == rb && ra != 0 &&
                                    (a->line > b->line || (a->line == b->line && a->col > b->col)));
            if (!later) {
                break;
            }
            start[h] = start[h - 1];
            h--;
        }
        start[h] = s;
    }
    size_t k = 0;
    for (size_t g = 0; g < ng; g++) {
        size_t i = start[g];
        out[k++] = d->items[i++];
        while (i < n && d->items[i].sev == QP_SEV_NOTE) {
            out[k++] = d->items[i++];
        }
    }
    memcpy(d->items, out, n * sizeof *out);
    free(out), free(start), free(rank);
}

int qp_diag_merge_errors(qp_diag *d, const qp_diag *src)
{
    int keep = 0, placed = 0;
    for (size_t e = 0; e < src->count; e++) {
        const qp_diag_entry *x = &src->items[e];
        if (x->sev != QP_SEV_NOTE) {
            keep = x->sev == QP_SEV_ERROR;
        }
        if (keep) {
            qp_diag_add(d, x->sev, x->file, x->line, x->col, "%s", x->msg);
            placed |= x->sev == QP_SEV_ERROR && x->file != NULL;
        }
    }
    return placed;
}
