/* Spectrum with automatic cutoffs: solve, grow every cutoff, compare, until converged. */
#include "qpsim/spectrum.h"
#include "qpsim/ham.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Starting cutoffs: enough for typical transmon/fluxonium ratios, cheap when more are needed. */
#define START_CHARGE 10
#define START_FLUXOID 10
#define START_OSC 40

void qp_spectrum_opts_default(qp_spectrum_opts *o)
{
    memset(o, 0, sizeof *o);
    o->levels = 6;
    o->tol = 1e-8;
    o->max_dim = 4000000;
}

void qp_spectrum_clear(qp_spectrum *s)
{
    free(s->E);
    free(s->cut);
    memset(s, 0, sizeof *s);
}

static size_t total_dim(const qp_modes *m, const int *cut)
{
    size_t d = 1;
    for (size_t i = 0; i < m->n; i++) {
        size_t di = qp_ham_mode_dim(m->kind[i], cut[i]);
        if (di && d > SIZE_MAX / di) {
            return SIZE_MAX;
        }
        d *= di;
    }
    return d;
}

static int grow(const qp_modes *m, const qp_spectrum_opts *o, int *cut)
{
    int grew = 0;
    for (size_t i = 0; i < m->n; i++) {
        int fixed = m->kind[i] == QP_MODE_CHARGE    ? o->cut_charge
                    : m->kind[i] == QP_MODE_FLUXOID ? o->cut_fluxoid
                    : m->kind[i] == QP_MODE_OSC     ? o->cut_osc
                                                    : 1;
        if (fixed) {
            continue;
        }
        cut[i] = m->kind[i] == QP_MODE_OSC ? cut[i] + cut[i] / 2 : cut[i] + (cut[i] / 2 > 4 ? cut[i] / 2 : 4);
        grew = 1;
    }
    return grew;
}

/* One assembly and solve at the given cutoffs; E receives min(levels, dim) values. */
static qp_status solve(const qp_modes *m, const int *cut, int grid, int levels, double *E,
                       int *nlev, size_t *dim, qp_eig_info *info, char *err, size_t errlen)
{
    qp_sparse H = {0};
    qp_status st = qp_ham_assemble(m, cut, grid, &H, err, errlen);
    if (st != QP_OK) {
        return st;
    }
    qp_eig_opts eo;
    qp_eig_opts_default(&eo);
    eo.nev = (size_t)levels < H.n ? levels : (int)H.n;
    *nlev = eo.nev;
    *dim = H.n;
    st = qp_eig_lowest(&H, &eo, E, NULL, info, err, errlen);
    qp_sparse_free(&H);
    return st;
}

qp_status qp_spectrum_compute(const qp_modes *m, const qp_spectrum_opts *o, qp_spectrum *out,
                              char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->nmodes = m->n;
    out->cut = calloc(m->n ? m->n : 1, sizeof *out->cut);
    out->E = calloc((size_t)o->levels, sizeof *out->E);
    double *prev = calloc((size_t)o->levels, sizeof *prev);
    int *next = calloc(m->n ? m->n : 1, sizeof *next);
    qp_status st = QP_OK;
    if (!out->cut || !out->E || !prev || !next) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    int automatic = 0;
    for (size_t i = 0; i < m->n; i++) {
        switch (m->kind[i]) {
        case QP_MODE_CHARGE:
            out->cut[i] = o->cut_charge ? o->cut_charge : START_CHARGE;
            automatic |= !o->cut_charge;
            break;
        case QP_MODE_FLUXOID:
            out->cut[i] = o->cut_fluxoid ? o->cut_fluxoid : START_FLUXOID;
            automatic |= !o->cut_fluxoid;
            break;
        case QP_MODE_OSC:
            out->cut[i] = o->cut_osc ? o->cut_osc : START_OSC;
            automatic |= !o->cut_osc;
            break;
        default:
            out->cut[i] = 0;
        }
    }
    /* Small bases first grow until they hold the wanted number of levels. */
    while (automatic && total_dim(m, out->cut) < (size_t)o->levels && grow(m, o, out->cut)) {
    }
    int nprev = 0;
    st = solve(m, out->cut, o->grid, o->levels, prev, &nprev, &out->dim, &out->info, err,
               errlen);
    out->steps = 1;
    if (st != QP_OK || !automatic) {
        memcpy(out->E, prev, (size_t)nprev * sizeof *prev);
        out->nlev = nprev;
        goto done;
    }
    for (;;) {
        memcpy(next, out->cut, m->n * sizeof *next);
        grow(m, o, next);
        size_t d = total_dim(m, next);
        if (d > o->max_dim) {
            snprintf(err, errlen,
                     "the levels did not converge to %g GHz: the next basis would have %zu states "
                     "(more than %zu); last change %.3g GHz at %zu states",
                     o->tol, d, o->max_dim, out->steps > 1 ? out->delta : NAN, out->dim);
            st = QP_ERR_NUMERIC;
            break;
        }
        int nlev = 0;
        size_t dim = 0;
        st = solve(m, next, o->grid, o->levels, out->E, &nlev, &dim, &out->info, err, errlen);
        out->steps++;
        if (st != QP_OK) {
            break;
        }
        double delta = 0.0;
        for (int k = 0; k < nlev && k < nprev; k++) {
            delta = fmax(delta, fabs(out->E[k] - prev[k]));
        }
        memcpy(out->cut, next, m->n * sizeof *next);
        out->dim = dim;
        out->nlev = nlev;
        out->delta = delta;
        out->checked = 1;
        if (delta <= o->tol && nlev == nprev) {
            break;
        }
        memcpy(prev, out->E, (size_t)nlev * sizeof *prev);
        nprev = nlev;
    }
done:
    free(prev);
    free(next);
    if (st != QP_OK) {
        qp_spectrum_clear(out);
    }
    return st;
}
