/* .tran: the history of each lossless transmission line and its delayed (incident) waves. */
#include "analyses/tran_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Radau IIA's collocation nodes (tran_radau.h): a step's polynomial passes through them. */
#define S6 2.449489742783178098197284
static const double NODES[4] = {0.0, (4.0 - S6) / 10.0, (4.0 + S6) / 10.0, 1.0};

qp_status qp_tran_tline_init(qp_tran_sys *S)
{
    const qp_circuit *c = S->c;
    S->td_min = INFINITY;
    S->tlix = malloc((c->nelem ? c->nelem : 1) * sizeof *S->tlix);
    if (!S->tlix) {
        return QP_ERR_NOMEM;
    }
    for (size_t k = 0; k < c->nelem; k++) {
        S->tlix[k] = -1;
        if (c->elem[k].kind == QP_EL_T) {
            S->tlix[k] = (int)S->ntl++;
            S->td_min = fmin(S->td_min, c->elem[k].td);
        }
    }
    S->tl = calloc(S->ntl ? S->ntl : 1, sizeof *S->tl);
    if (!S->tl) {
        return QP_ERR_NOMEM;
    }
    for (size_t k = 0; k < c->nelem; k++) {
        if (S->tlix[k] >= 0) {
            S->tl[S->tlix[k]].elem = k;
        }
    }
    return QP_OK;
}

void qp_tran_tline_free(qp_tran_sys *S)
{
    for (size_t l = 0; S->tl && l < S->ntl; l++) {
        free(S->tl[l].steps);
    }
    free(S->tl);
    free(S->tlix);
    S->tl = NULL, S->tlix = NULL, S->ntl = 0;
}

static double node_v(const double *x, int n)
{
    return n > 0 ? x[n - 1] : 0.0;
}

/* (v1, i1, v2, i2) of line e (branch unknowns j, j + 1) in state x. */
static void ports(const qp_element *e, int j, const double *x, double *y)
{
    y[0] = node_v(x, e->n[0]) - node_v(x, e->n[1]);
    y[1] = x[j];
    y[2] = node_v(x, e->nc[0]) - node_v(x, e->nc[1]);
    y[3] = x[j + 1];
}

int qp_tran_tline_push(qp_tran_sys *S, double t0, double h, const double *x0, const double *Z)
{
    size_t n = S->n;
    double *xs = malloc((n ? n : 1) * sizeof *xs);
    if (!xs) {
        return 0;
    }
    for (size_t l = 0; l < S->ntl; l++) {
        qp_tline_hist *H = &S->tl[l];
        const qp_element *e = &S->c->elem[H->elem];
        /* drop the steps that end before t0 + h - TD: later times never look further back */
        while (H->first < H->n && H->steps[H->first].t0 + H->steps[H->first].h < t0 + h - e->td) {
            H->first++;
        }
        if (H->first > 0 && H->first * 2 >= H->n) {
            memmove(H->steps, H->steps + H->first, (H->n - H->first) * sizeof *H->steps);
            H->n -= H->first;
            H->first = 0;
        }
        if (H->n == H->cap) {
            size_t cap = H->cap ? 2 * H->cap : 64;
            qp_tline_step *p = realloc(H->steps, cap * sizeof *p);
            if (!p) {
                free(xs);
                return 0;
            }
            H->steps = p, H->cap = cap;
        }
        qp_tline_step *st = &H->steps[H->n++];
        st->t0 = t0, st->h = h;
        ports(e, S->bvar[H->elem], x0, st->y[0]);
        for (int a = 0; a < 3; a++) {
            for (size_t i = 0; i < n; i++) {
                xs[i] = x0[i] + Z[(size_t)a * n + i];
            }
            ports(e, S->bvar[H->elem], xs, st->y[a + 1]);
        }
    }
    free(xs);
    return 1;
}

/* (v1, i1, v2, i2) of the line at time t from its history into y (zeros before t = 0). */
static void history_at(const qp_tline_hist *H, double t, double *y)
{
    memset(y, 0, 4 * sizeof *y);
    if (t <= 0.0 || H->first >= H->n) {
        return;
    }
    size_t lo = H->first, hi = H->n - 1; /* the last step starting at or before t */
    while (lo < hi) {
        size_t mid = (lo + hi + 1) / 2;
        if (H->steps[mid].t0 <= t) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    const qp_tline_step *st = &H->steps[lo];
    double s = fmin(fmax((t - st->t0) / st->h, 0.0), 1.0);
    for (int a = 0; a < 4; a++) {
        double L = 1.0;
        for (int b = 0; b < 4; b++) {
            if (a != b) {
                L *= (s - NODES[b]) / (NODES[a] - NODES[b]);
            }
        }
        for (int q = 0; q < 4; q++) {
            y[q] += L * st->y[a][q];
        }
    }
}

void qp_tran_tline_incident(const qp_tran_sys *S, size_t l, double t, double *w1, double *w2)
{
    const qp_tline_hist *H = &S->tl[l];
    const qp_element *e = &S->c->elem[H->elem];
    double y[4];
    history_at(H, t - e->td, y);
    *w1 = y[2] + e->value * y[3];
    *w2 = y[0] + e->value * y[1];
}
