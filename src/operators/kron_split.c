/* A Kronecker-sum operator split along its slowest slot: each process's slices, the halo its
 * slot-0 factors reach, and the local operator it applies (docs/scale.md). */
#include "operators/kron_split.h"

#include <stdlib.h>
#include <string.h>

void qp_kron_split_range(const qp_kron *K, int nproc, int q, size_t *lo, size_t *hi)
{
    size_t d0 = K->nslot ? K->dims[0] : 1, P = (size_t)nproc, r = (size_t)q;
    size_t base = d0 / P, extra = d0 % P;
    *lo = r * base + (r < extra ? r : extra);
    *hi = *lo + base + (r < extra ? 1 : 0);
}

size_t qp_kron_halo(const qp_kron *K)
{
    size_t w = 0;
    for (size_t k = 0; k < K->nterm; k++) {
        const qp_kron_term *t = &K->t[k];
        for (size_t e = 0; t->nf && t->slot[0] == 0 && e < t->f[0].n; e++) {
            size_t r = t->f[0].row[e], c = t->f[0].col[e], d = r > c ? r - c : c - r;
            w = d > w ? d : w;
        }
    }
    return w;
}

/* dst: a copy of src, or of its conjugate transpose when adj is set; on slot 0 (slot0 set) only
 * the entries whose row is in [lo, hi), both indices moved down by elo. 0 when out of memory. */
static int copy_factor(const qp_factor *src, int adj, int slot0, size_t lo, size_t hi, size_t elo,
                       qp_factor *dst)
{
    memset(dst, 0, sizeof *dst);
    size_t n = src->n;
    dst->row = malloc((n ? n : 1) * sizeof *dst->row);
    dst->col = malloc((n ? n : 1) * sizeof *dst->col);
    dst->v = malloc((n ? n : 1) * sizeof *dst->v);
    if (!dst->row || !dst->col || !dst->v) {
        free(dst->row), free(dst->col), free(dst->v);
        memset(dst, 0, sizeof *dst);
        return 0;
    }
    dst->diagonal = src->diagonal;
    for (size_t e = 0; e < n; e++) {
        size_t r = adj ? src->col[e] : src->row[e], c = adj ? src->row[e] : src->col[e];
        if (slot0 && (r < lo || r >= hi)) {
            continue;
        }
        dst->row[dst->n] = slot0 ? r - elo : r;
        dst->col[dst->n] = slot0 ? c - elo : c;
        dst->v[dst->n++] = adj ? conj(src->v[e]) : src->v[e];
    }
    return 1;
}

/* Appends term t of K to L (its adjoint when adj is set, herm cleared when a slot-0 factor is
 * filtered). 0 when out of memory. */
static int add_term(qp_kron *L, const qp_kron_term *t, int adj, size_t lo, size_t hi, size_t elo)
{
    qp_factor *f = calloc(L->nslot ? L->nslot : 1, sizeof *f);
    int ok = f != NULL, on0 = t->nf && t->slot[0] == 0;
    for (size_t i = 0; ok && i < L->nslot; i++) {
        f[i].ident = 1;
        f[i].diagonal = 1;
    }
    for (size_t j = 0; ok && j < t->nf; j++) {
        ok = copy_factor(&t->f[j], adj, t->slot[j] == 0, lo, hi, elo, &f[t->slot[j]]);
    }
    double complex coef = adj ? conj(t->coef) : t->coef;
    ok = ok && qp_kron_add(L, f, coef, on0 ? 0 : t->herm);
    for (size_t i = 0; f && i < L->nslot; i++) {
        qp_basis_factor_free(&f[i]); /* what qp_kron_add did not take */
    }
    free(f);
    return ok;
}

qp_status qp_kron_local(const qp_kron *K, size_t lo, size_t hi, size_t elo, size_t ehi,
                        qp_kron *L)
{
    size_t *dims = malloc((K->nslot ? K->nslot : 1) * sizeof *dims);
    if (!dims) {
        memset(L, 0, sizeof *L);
        return QP_ERR_NOMEM;
    }
    memcpy(dims, K->dims, K->nslot * sizeof *dims);
    if (K->nslot) {
        dims[0] = ehi - elo;
    }
    qp_status st = qp_kron_init(L, K->nslot, dims);
    free(dims);
    if (st != QP_OK) {
        return st;
    }
    L->cst = K->cst;
    for (size_t k = 0; k < K->nterm; k++) {
        const qp_kron_term *t = &K->t[k];
        int on0 = t->nf && t->slot[0] == 0;
        if (!add_term(L, t, 0, lo, hi, elo) ||
            (on0 && t->herm && !add_term(L, t, 1, lo, hi, elo))) {
            return QP_ERR_NOMEM;
        }
    }
    return QP_OK;
}
