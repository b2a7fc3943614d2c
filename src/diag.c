/* Diagnostics list: collects every error of a run with its file:line:col. */
#include "qpsim/diag.h"
#include "qpsim/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dupstr(const char *s)
{
    if (!s) {
        return NULL;
    }
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c) {
        memcpy(c, s, n);
    }
    return c;
}

void qp_diag_add(qp_diag *d, qp_severity sev, const char *file, int line, int col, const char *fmt,
                 ...)
{
    if (sev == QP_SEV_ERROR) {
        d->errors++;
    }
    if (d->count == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 8;
        qp_diag_entry *it = realloc(d->items, cap * sizeof *it);
        if (!it) {
            d->nomem = 1;
            return;
        }
        d->items = it;
        d->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    qp_strbuf b = {0};
    qp_sb_vprintf(&b, fmt, ap);
    va_end(ap);
    qp_diag_entry *e = &d->items[d->count];
    e->sev = sev;
    e->file = dupstr(file);
    e->line = line;
    e->col = col;
    e->msg = qp_sb_take(&b);
    if (!e->msg || (file && !e->file)) {
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
