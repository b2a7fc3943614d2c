/* .tran: the columns .print asks for, copied from the recorded signals or derived from them. */
#include "analyses/tran_impl.h"

#include "base/strbuf.h"
#include "qpsim/units.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The column of the signal named `fmt` of `name`, or -1. */
static long signal_col(const qp_tran_result *r, const char *fmt, const char *name)
{
    char want[700];
    snprintf(want, sizeof want, fmt, name);
    for (size_t i = 0; i < r->ncol; i++) {
        if (strcmp(r->col[i], want) == 0) {
            return (long)i;
        }
    }
    return -1;
}

/* Sample t of signal column k (-1: the ground's 0). */
static double at(const qp_tran_result *r, long k, size_t t)
{
    return k < 0 ? 0.0 : r->data[t * (r->ncol + 1) + (size_t)k + 1];
}

/* d/dt of column values y (stride 1) on the sample times of r: central differences inside,
 * one-sided at the ends. */
static double slope(const qp_tran_result *r, const double *y, size_t t)
{
    size_t w = r->ncol + 1, a = t > 0 ? t - 1 : t, b = t + 1 < r->nt ? t + 1 : t;
    double dt = r->data[b * w] - r->data[a * w];
    return dt > 0.0 ? (y[b] - y[a]) / dt : 0.0;
}

/* Column pr of c into y[nt] (all kinds but QP_PR_IC and QP_PR_IJJ, which need a second column:
 * qp_tran_select_prints); 0 when a signal it needs was not recorded (not expected). */
static int derive(const qp_circuit *c, const qp_analysis *an, const qp_tran_result *r,
                  const qp_print *pr, double *y)
{
    size_t nt = r->nt, w = r->ncol + 1;
    const qp_element *e = pr->elem >= 0 ? &c->elem[pr->elem] : NULL;
    if (pr->kind == QP_PR_SIGNAL) {
        long k = signal_col(r, "%s", pr->src);
        for (size_t t = 0; k >= 0 && t < nt; t++) {
            y[t] = at(r, k, t);
        }
        return k >= 0;
    }
    if (pr->kind == QP_PR_ISRC) {
        for (size_t t = 0; t < nt; t++) {
            y[t] = qp_tran_source_value(e, an, r->data[t * w]);
        }
        return 1;
    }
    long ka = pr->a > 0 ? signal_col(r, "V(%s)", c->node_names[pr->a]) : -1;
    long kb = pr->b > 0 ? signal_col(r, "V(%s)", c->node_names[pr->b]) : -1;
    if ((pr->a > 0 && ka < 0) || (pr->b > 0 && kb < 0)) {
        return 0;
    }
    for (size_t t = 0; t < nt; t++) {
        y[t] = at(r, ka, t) - at(r, kb, t);
    }
    switch (pr->kind) {
    case QP_PR_IR:
        for (size_t t = 0; t < nt; t++) {
            y[t] /= e->value;
        }
        break;
    case QP_PR_PHASE: { /* trapezoids of 2 pi V / Phi0 from the first sample */
        double prev = nt ? y[0] : 0.0, acc = 0.0;
        for (size_t t = 0; t < nt; t++) {
            double v = y[t];
            if (t > 0) {
                acc += 0.5 * (v + prev) * (r->data[t * w] - r->data[(t - 1) * w]);
            }
            prev = v;
            y[t] = 2.0 * QP_PI / QP_PHI0 * acc;
        }
        break;
    }
    default:
        break;
    }
    return 1;
}

/* C dV/dt of the capacitor column (voltages in v) into y. */
static void cap_current(const qp_tran_result *r, double cap, const double *v, double *y)
{
    for (size_t t = 0; t < r->nt; t++) {
        y[t] = cap * slope(r, v, t);
    }
}

qp_status qp_tran_select_prints(const qp_circuit *c, const qp_analysis *an, qp_tran_result *r)
{
    if (c->nprints == 0) {
        return QP_OK;
    }
    qp_status st = QP_ERR_NOMEM;
    size_t np = 0, nt = r->nt;
    size_t *pick = malloc(c->nprints * sizeof *pick);
    char **col = calloc(c->nprints, sizeof *col);
    double *y = malloc((nt ? nt : 1) * sizeof *y), *v = malloc((nt ? nt : 1) * sizeof *v);
    double *out = NULL;
    if (!pick || !col || !y || !v) {
        goto done;
    }
    for (size_t k = 0; k < c->nprints; k++) { /* each name once, in the order asked */
        int seen = 0;
        for (size_t q = 0; q < np; q++) {
            seen |= strcmp(c->prints[pick[q]], c->prints[k]) == 0;
        }
        if (!seen) {
            pick[np] = k;
            if (!(col[np++] = qp_strdup(c->prints[k]))) {
                goto done;
            }
        }
    }
    if (nt > 0) {
        size_t w = r->ncol + 1;
        if (!(out = malloc(nt * (np + 1) * sizeof *out))) {
            goto done;
        }
        for (size_t t = 0; t < nt; t++) {
            out[t * (np + 1)] = r->data[t * w];
        }
        for (size_t q = 0; q < np; q++) {
            const qp_print *pr = &c->print_from[pick[q]];
            if (pr->kind == QP_PR_IC) {
                qp_print vd = {QP_PR_VDIFF, pr->a, pr->b, pr->elem, NULL};
                derive(c, an, r, &vd, v);
                cap_current(r, c->elem[pr->elem].value, v, y);
            } else if (pr->kind == QP_PR_IJJ) { /* Ic sin(phi) + quasiparticles + C dV/dt */
                const qp_element *e = &c->elem[pr->elem];
                qp_print vs = {QP_PR_SIGNAL, 0, 0, -1, NULL};
                char buf[700];
                snprintf(buf, sizeof buf, "V(%s)", e->name);
                vs.src = buf;
                derive(c, an, r, &vs, v);
                snprintf(buf, sizeof buf, "Is(%s)", e->name);
                derive(c, an, r, &vs, y);
                for (size_t t = 0; t < nt; t++) {
                    double g = 0.0;
                    y[t] += (e->rn > 0.0 ? qp_tran_qp_current(e, v[t], &g) : 0.0) +
                            (e->cap > 0.0 ? e->cap * slope(r, v, t) : 0.0);
                }
            } else {
                derive(c, an, r, pr, y);
            }
            for (size_t t = 0; t < nt; t++) {
                out[t * (np + 1) + q + 1] = y[t];
            }
        }
        free(r->data);
        r->data = out;
        out = NULL;
    }
    for (size_t i = 0; i < r->ncol; i++) {
        free(r->col[i]);
    }
    free(r->col);
    r->col = col;
    r->ncol = np;
    col = NULL;
    st = QP_OK;
done:
    for (size_t q = 0; col && q < np; q++) {
        free(col[q]);
    }
    free(col);
    free(pick);
    free(y);
    free(v);
    free(out);
    return st;
}
