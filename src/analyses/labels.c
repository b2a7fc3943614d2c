/* Bare-state labels of coupled levels, and the chi, ZZ and anharmonicities read off them. */
#include "analyses/labels.h"

#include "analyses/spectrum_impl.h"
#include "base/strbuf.h"
#include "operators/ham.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One part (modes no junction joins to others): its eigenstates on its own product basis. */
typedef struct {
    size_t D;          /* the part's product dimension */
    size_t K;          /* eigenstates kept */
    double complex *U; /* D x K, column-major (owned) */
} part_t;

/* The lowest `want` eigenstates of part g (the modes with group[i] == g and their own terms).
 * Every junction on a mode of the part lies inside the part, so each mode's basis is placed as
 * in the full problem (qp_ham_basis_geom) and the part's states are vectors of the same
 * per-mode bases. idx has room for m->n. */
static qp_status part_states(const qp_modes *m, const int *group, int g, const int *cut,
                             int grid, size_t want, part_t *p, size_t *idx, char *err,
                             size_t errlen)
{
    qp_states S = {0};
    qp_modes *sub = qp_spectrum_sub_modes(m, group, g, 0, idx);
    int *sc = sub ? malloc((sub->n ? sub->n : 1) * sizeof *sc) : NULL;
    qp_status st = sc ? QP_OK : QP_ERR_NOMEM;
    p->D = 1;
    for (size_t a = 0; st == QP_OK && a < sub->n; a++) {
        sc[a] = cut[idx[a]];
        p->D *= qp_ham_mode_dim(sub->kind[a], sc[a]);
    }
    if (st == QP_OK && p->D < 2) { /* frozen modes only: one state */
        p->K = 1;
        p->U = malloc(sizeof *p->U);
        st = p->U ? QP_OK : QP_ERR_NOMEM;
        if (p->U) {
            p->U[0] = 1.0;
        }
    } else if (st == QP_OK) {
        st = qp_states_compute(sub, sc, grid, want < p->D ? (int)want : (int)p->D, &S, err,
                               errlen);
    }
    if (st == QP_OK && !p->U) {
        p->K = (size_t)S.nlev;
        p->U = malloc(p->D * p->K * sizeof *p->U);
        st = p->U ? QP_OK : QP_ERR_NOMEM;
        for (size_t x = 0; p->U && x < p->D * p->K; x++) {
            p->U[x] = S.vec[2 * x] + I * S.vec[2 * x + 1];
        }
    }
    qp_states_free(&S);
    free(sc);
    qp_modes_free(sub);
    return st;
}

/* Level k's vector (S's column, mode 0 slowest) reordered part by part (part 0 slowest, each
 * part's modes in ascending order, its last fastest) into T (S->dim values). */
static void to_parts(const qp_modes *m, const int *cut, const int *group, size_t np,
                     const part_t *part, const qp_states *S, int k, double complex *T,
                     size_t *digit, size_t *local)
{
    size_t n = m->n;
    memset(digit, 0, (n ? n : 1) * sizeof *digit);
    const double *v = S->vec + 2 * S->dim * (size_t)k;
    for (size_t x = 0; x < S->dim; x++) {
        memset(local, 0, np * sizeof *local);
        for (size_t i = 0; i < n; i++) {
            size_t g = (size_t)group[i];
            local[g] = local[g] * qp_ham_mode_dim(m->kind[i], cut[i]) + digit[i];
        }
        size_t y = 0;
        for (size_t g = 0; g < np; g++) {
            y = y * part[g].D + local[g];
        }
        T[y] = v[2 * x] + I * v[2 * x + 1];
        for (size_t i = n; i-- > 0;) { /* odometer, last mode fastest */
            if (++digit[i] < qp_ham_mode_dim(m->kind[i], cut[i])) {
                break;
            }
            digit[i] = 0;
        }
    }
}

/* T (parts 0 .. np-1, part a of size shape[a]) contracted along axis a with part a's states:
 * T'[pre][k][post] = sum_x conj(U[x, k]) T[pre][x][post], into W; shape[a] becomes K. */
static void contract(const double complex *T, double complex *W, size_t *shape, size_t np,
                     size_t a, const part_t *p)
{
    size_t pre = 1, post = 1;
    for (size_t g = 0; g < np; g++) {
        pre *= g < a ? shape[g] : 1;
        post *= g > a ? shape[g] : 1;
    }
    for (size_t i = 0; i < pre; i++) {
        for (size_t k = 0; k < p->K; k++) {
            double complex *w = W + (i * p->K + k) * post;
            memset(w, 0, post * sizeof *w);
            for (size_t x = 0; x < p->D; x++) {
                double complex u = conj(p->U[x + p->D * k]);
                const double complex *t = T + (i * p->D + x) * post;
                for (size_t j = 0; j < post; j++) {
                    w[j] += u * t[j];
                }
            }
        }
    }
    shape[a] = p->K;
}

/* The level whose label is lbl (np parts) with weight above QP_LABEL_MIN_WEIGHT, or -1. */
static int find_level(const qp_spectrum_out *o, const int *lbl)
{
    for (int k = 0; k < o->nlev; k++) {
        if (o->lab_weight[k] > QP_LABEL_MIN_WEIGHT &&
            memcmp(o->label + (size_t)k * o->nlab, lbl, o->nlab * sizeof *lbl) == 0) {
            return k;
        }
    }
    return -1;
}

qp_status qp_labels_derive(const qp_modes *m, qp_spectrum_out *o)
{
    size_t np = o->nlab;
    const double *E = o->levels;
    int *lbl = calloc(np ? np : 1, sizeof *lbl);
    o->lab_anh = calloc(np ? np : 1, sizeof *o->lab_anh);
    o->lab_anharm = malloc((np ? np : 1) * sizeof *o->lab_anharm);
    o->lab_chi = malloc((np ? np * np : 1) * sizeof *o->lab_chi);
    if (!lbl || !o->lab_anh || !o->lab_anharm || !o->lab_chi) {
        free(lbl);
        return QP_ERR_NOMEM;
    }
    for (size_t t = 0; t < m->ncos; t++) { /* the parts a junction acts on */
        for (size_t i = 0; i < m->n; i++) {
            o->lab_anh[o->lab_group[i]] |= m->cos[t].c[i] != 0.0;
        }
    }
    int k0 = find_level(o, lbl);
    for (size_t a = 0; a < np; a++) {
        size_t modes = 0;
        for (size_t i = 0; i < m->n; i++) {
            modes += o->lab_group[i] == (int)a && m->kind[i] != QP_MODE_FROZEN;
        }
        o->lab_anharm[a] = NAN;
        lbl[a] = 1;
        int k1 = find_level(o, lbl);
        lbl[a] = 2;
        int k2 = find_level(o, lbl);
        if (o->lab_anh[a] && modes == 1 && k0 >= 0 && k1 >= 0 && k2 >= 0) {
            o->lab_anharm[a] = E[k2] - 2.0 * E[k1] + E[k0];
        }
        for (size_t b = 0; b < np; b++) {
            o->lab_chi[a * np + b] = NAN;
            if (b <= a) {
                continue;
            }
            lbl[a] = 0, lbl[b] = 1;
            int kb = find_level(o, lbl);
            lbl[a] = 1;
            int kab = find_level(o, lbl);
            lbl[b] = 0;
            if (k0 >= 0 && k1 >= 0 && kb >= 0 && kab >= 0) {
                o->lab_chi[a * np + b] = E[kab] - E[k1] - E[kb] + E[k0];
            }
        }
        lbl[a] = 0;
    }
    free(lbl);
    return QP_OK;
}

/* Level k's label: the largest |T|^2 over the product of part states (T contracted along every
 * part, shape[] the K of each) and its weight. */
static void argmax_label(const double complex *T, const size_t *shape, size_t np, int *lbl,
                         double *weight)
{
    size_t total = 1, best = 0;
    for (size_t g = 0; g < np; g++) {
        total *= shape[g];
    }
    double w = -1.0;
    for (size_t y = 0; y < total; y++) {
        double a = creal(T[y]) * creal(T[y]) + cimag(T[y]) * cimag(T[y]);
        if (a > w) {
            w = a, best = y;
        }
    }
    for (size_t g = np; g-- > 0;) {
        lbl[g] = (int)(best % shape[g]);
        best /= shape[g];
    }
    *weight = w;
}

qp_status qp_labels_compute(const qp_modes *m, const int *cut, int grid, const qp_states *S,
                            qp_spectrum_out *out, char *err, size_t errlen)
{
    size_t n = m->n, nl = (size_t)(S->nlev < out->nlev ? S->nlev : out->nlev);
    int *group = malloc((n ? n : 1) * sizeof *group);
    if (!group) {
        return QP_ERR_NOMEM;
    }
    size_t np = qp_hier_default_groups(m, group);
    if (np < 2 || nl < 1) {
        free(group);
        return QP_OK;
    }
    part_t *part = calloc(np, sizeof *part);
    size_t *idx = malloc(n * sizeof *idx), *digit = malloc(n * sizeof *digit);
    size_t *local = malloc(np * sizeof *local), *shape = malloc(np * sizeof *shape);
    double complex *T = malloc(S->dim * sizeof *T), *W = malloc(S->dim * sizeof *W);
    out->label = calloc((size_t)out->nlev * np, sizeof *out->label);
    out->lab_weight = calloc((size_t)out->nlev, sizeof *out->lab_weight);
    out->lab_group = group;
    qp_status st = part && idx && digit && local && shape && T && W && out->label &&
                   out->lab_weight ? QP_OK : QP_ERR_NOMEM;
    for (size_t g = 0; st == QP_OK && g < np; g++) { /* every level's label is below nl + 1 */
        st = part_states(m, group, (int)g, cut, grid, nl + 1, &part[g], idx, err, errlen);
    }
    for (size_t k = 0; st == QP_OK && k < nl; k++) {
        to_parts(m, cut, group, np, part, S, (int)k, T, digit, local);
        for (size_t g = 0; g < np; g++) {
            shape[g] = part[g].D;
        }
        for (size_t a = 0; a < np; a++) { /* each contraction shrinks axis a: T, W suffice */
            contract(T, W, shape, np, a, &part[a]);
            double complex *sw = T;
            T = W, W = sw;
        }
        argmax_label(T, shape, np, out->label + k * np, &out->lab_weight[k]);
    }
    for (size_t k = nl; st == QP_OK && k < (size_t)out->nlev; k++) {
        out->lab_weight[k] = NAN; /* no vector (cannot happen: S holds every level) */
    }
    if (st == QP_OK) {
        out->nlab = np;
        st = qp_labels_derive(m, out);
        out->nlab = st == QP_OK ? np : 0;
    }
    for (size_t g = 0; part && g < np; g++) {
        free(part[g].U);
    }
    free(part), free(idx), free(digit), free(local), free(shape), free(T), free(W);
    return st;
}
