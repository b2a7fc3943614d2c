/* The CHOLMOD factor of H - sigma I for shift-invert: analysis cache, factorization, solves. */
#include "solve/eig_impl.h"

#include <stdlib.h>
#include <string.h>

const char *qp_eig_cholmod_status(int status)
{
    switch (status) {
    case CHOLMOD_OK:
        return "ok";
    case CHOLMOD_NOT_INSTALLED:
        return "method not installed";
    case CHOLMOD_OUT_OF_MEMORY:
        return "out of memory";
    case CHOLMOD_TOO_LARGE:
        return "problem too large";
    case CHOLMOD_INVALID:
        return "invalid input";
    case CHOLMOD_GPU_PROBLEM:
        return "GPU problem";
    case CHOLMOD_NOT_POSDEF:
        return "matrix not positive definite";
    case CHOLMOD_DSMALL:
        return "tiny diagonal entry in the factor";
    default:
        return "unknown status";
    }
}

/* ---------------------------------------------------------------- the analysis cache */

/* One remembered symbolic analysis: the pattern of the lower triangle it belongs to, and the
 * CHOLMOD common and factor (numeric values dropped) that hold it. */
typedef struct {
    int used, cplx;
    size_t n, nnz;
    SuiteSparse_long *p, *i;
    cholmod_common c;
    cholmod_factor *L;
    unsigned long stamp;
} cache_slot;

struct qp_eig_cache {
    cache_slot slot[QP_EIG_CACHE_SLOTS];
    unsigned long clock;
};

qp_eig_cache *qp_eig_cache_new(void)
{
    return calloc(1, sizeof(qp_eig_cache));
}

static void slot_clear(cache_slot *e)
{
    if (e->used) {
        cholmod_l_free_factor(&e->L, &e->c);
        cholmod_l_finish(&e->c);
    }
    free(e->p);
    free(e->i);
    memset(e, 0, sizeof *e);
}

void qp_eig_cache_free(qp_eig_cache *cache)
{
    if (!cache) {
        return;
    }
    for (int k = 0; k < QP_EIG_CACHE_SLOTS; k++) {
        slot_clear(&cache->slot[k]);
    }
    free(cache);
}

/* The slot whose pattern equals A's, or NULL. */
static cache_slot *cache_find(qp_eig_cache *cache, const cholmod_sparse *A, int cplx)
{
    const SuiteSparse_long *ap = A->p, *ai = A->i;
    size_t n = A->nrow, nnz = (size_t)ap[n];
    for (int k = 0; cache && k < QP_EIG_CACHE_SLOTS; k++) {
        cache_slot *e = &cache->slot[k];
        if (e->used && e->cplx == cplx && e->n == n && e->nnz == nnz &&
            memcmp(e->p, ap, (n + 1) * sizeof *ap) == 0 &&
            memcmp(e->i, ai, nnz * sizeof *ai) == 0) {
            return e;
        }
    }
    return NULL;
}

/* Hands the symbolic analysis of f (numeric values dropped) to the cache, in the least recently
 * used slot; f gives up its matrix, common and factor. Returns 0 when the cache did not take
 * them (f is then unchanged). */
static int cache_put(qp_eig_factor *f)
{
    qp_eig_cache *cache = f->cache;
    size_t n = f->n, nnz = (size_t)((SuiteSparse_long *)f->A->p)[n];
    cache_slot *e = &cache->slot[0];
    for (int k = 1; k < QP_EIG_CACHE_SLOTS; k++) {
        cache_slot *o = &cache->slot[k];
        if (!o->used || (e->used && o->stamp < e->stamp)) {
            e = o;
        }
        if (!e->used) {
            break;
        }
    }
    SuiteSparse_long *p = malloc((n + 1) * sizeof *p), *i = qp_eig_alloc_n(nnz, sizeof *i);
    if (!p || !i ||
        !cholmod_l_change_factor(CHOLMOD_PATTERN, 1, f->L->is_super, 1, 1, f->L, &f->c)) {
        free(p);
        free(i);
        return 0;
    }
    memcpy(p, f->A->p, (n + 1) * sizeof *p);
    memcpy(i, f->A->i, nnz * sizeof *i);
    cholmod_l_free_sparse(&f->A, &f->c); /* before its common moves */
    slot_clear(e);
    e->used = 1;
    e->cplx = f->cplx;
    e->n = n;
    e->nnz = nnz;
    e->p = p;
    e->i = i;
    e->c = f->c; /* the common moves (its workspace pointers go with it) */
    e->L = f->L;
    e->stamp = ++cache->clock;
    f->L = NULL;
    return 1;
}

/* ---------------------------------------------------------------- factorization */

void qp_eig_factor_free(qp_eig_factor *f)
{
    if (!f->started) {
        return;
    }
    free(f->work);
    cholmod_l_free_dense(&f->X, &f->c);
    cholmod_l_free_dense(&f->Y, &f->c);
    cholmod_l_free_dense(&f->E, &f->c);
    int cached = f->L && f->cache && cache_put(f);
    cholmod_l_free_sparse(&f->A, &f->c);
    if (cached) {
        f->started = 0;
        return;
    }
    cholmod_l_free_factor(&f->L, &f->c);
    cholmod_l_finish(&f->c);
    f->started = 0;
}

/* Copies the lower triangle of H into CHOLMOD form and orders it (the symbolic analysis is
 * done once; every shift reuses it). CHOLMOD stays silent: print level 0 and no error handler,
 * and SuiteSparse's global print hook is left untouched. final_ll keeps simplicial factors in
 * LL' form, because CHOLMOD's simplicial LDL' accepts indefinite matrices without a warning and
 * we rely on NOT_POSDEF to tell that sigma is below the spectrum. */
qp_status qp_eig_factor_init(qp_eig_solver *s, qp_eig_factor *f)
{
    const qp_sparse *H = s->H;
    memset(f, 0, sizeof *f);
    f->cache = s->o->cache;
    f->n = s->n;
    f->cplx = s->cplx;
    cholmod_l_start(&f->c);
    f->started = 1;
    f->c.print = 0;
    f->c.error_handler = NULL;
    f->c.final_ll = 1;
    size_t lower = 0;
    for (size_t j = 0; j < s->n; j++) {
        for (size_t k = H->colptr[j]; k < H->colptr[j + 1]; k++) {
            lower += H->rowind[k] >= j;
        }
    }
    f->A = cholmod_l_allocate_sparse(s->n, s->n, lower, 1, 1, -1,
                                     s->cplx ? CHOLMOD_COMPLEX : CHOLMOD_REAL, &f->c);
    if (!f->A) {
        qp_eig_fail(s, "CHOLMOD: cannot allocate the matrix (%s)",
                    qp_eig_cholmod_status(f->c.status));
        return f->c.status == CHOLMOD_OUT_OF_MEMORY ? QP_ERR_NOMEM : QP_ERR_NUMERIC;
    }
    SuiteSparse_long *ap = f->A->p, *ai = f->A->i;
    double *ax = f->A->x;
    size_t put = 0;
    for (size_t j = 0; j < s->n; j++) {
        ap[j] = (SuiteSparse_long)put;
        for (size_t k = H->colptr[j]; k < H->colptr[j + 1]; k++) {
            if (H->rowind[k] < j) {
                continue;
            }
            ai[put] = (SuiteSparse_long)H->rowind[k];
            if (s->cplx) {
                ax[2 * put] = H->re[k];
                ax[2 * put + 1] = H->im[k];
            } else {
                ax[put] = H->re[k];
            }
            put++;
        }
    }
    ap[s->n] = (SuiteSparse_long)put;
    f->work = qp_eig_alloc_n(s->n, (s->cplx ? 4 : 2) * sizeof *f->work); /* NULL: CHOLMOD solves */
    cache_slot *e = cache_find(s->o->cache, f->A, s->cplx);
    if (e) { /* same pattern as an earlier call: take its analysis (and its common) */
        cholmod_l_finish(&f->c);
        f->c = e->c;
        f->L = e->L;
        e->L = NULL;
        free(e->p);
        free(e->i);
        memset(e, 0, sizeof *e);
        s->info.reused_analysis = 1;
        return QP_OK;
    }
    f->L = cholmod_l_analyze(f->A, &f->c);
    if (!f->L) {
        qp_eig_fail(s, "CHOLMOD analyze failed (%s)", qp_eig_cholmod_status(f->c.status));
        return f->c.status == CHOLMOD_OUT_OF_MEMORY ? QP_ERR_NOMEM : QP_ERR_NUMERIC;
    }
    return QP_OK;
}

/* Factorizes H - sigma I. Returns 0 on success, 1 when it is not positive definite (sigma is not
 * below the spectrum), -1 on any other CHOLMOD failure. */
int qp_eig_factor_shift(qp_eig_factor *f, double sigma)
{
    double beta[2] = {-sigma, 0.0};
    int ok = cholmod_l_factorize_p(f->A, beta, NULL, 0, f->L, &f->c);
    if (f->c.status == CHOLMOD_NOT_POSDEF) {
        return 1;
    }
    return (ok && f->c.status == CHOLMOD_OK) ? 0 : -1;
}

/* ---------------------------------------------------------------- solves */

/* sum of a[i] b[i] for i < n with four partial sums (a fixed order: deterministic) */
static double dot4(size_t n, const double *a, const double *b)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++) {
        s0 += a[i] * b[i];
    }
    return (s0 + s1) + (s2 + s3);
}

/* The kernels of the supernodal solves on scalars of one kind: real (cplx = 0), or complex
 * interleaved (re, im) with the conjugate in the dot product. Each keeps the operation order of
 * the loop it replaced, so the real and complex solves give the results they always gave. */

/* y[i] -= l[i] xj for i < len */
static void col_sub(int cplx, size_t len, const double *l, const double *xj, double *y)
{
    if (!cplx) {
        double xr = xj[0];
        for (size_t i = 0; i < len; i++) {
            y[i] -= l[i] * xr;
        }
        return;
    }
    double xr = xj[0], xi = xj[1];
    for (size_t i = 0; i < len; i++) {
        double lr = l[2 * i], li = l[2 * i + 1];
        y[2 * i] -= lr * xr - li * xi;
        y[2 * i + 1] -= lr * xi + li * xr;
    }
}

/* y[i] += l[i] xj for i < len */
static void col_add(int cplx, size_t len, const double *l, const double *xj, double *y)
{
    if (!cplx) {
        double xr = xj[0];
        for (size_t i = 0; i < len; i++) {
            y[i] += l[i] * xr;
        }
        return;
    }
    double xr = xj[0], xi = xj[1];
    for (size_t i = 0; i < len; i++) {
        double lr = l[2 * i], li = l[2 * i + 1];
        y[2 * i] += lr * xr - li * xi;
        y[2 * i + 1] += lr * xi + li * xr;
    }
}

/* d = sum conj(l1[i]) v1[i] (i < n1) + sum conj(l2[i]) v2[i] (i < n2): two four-way dot
 * products for a real factor, one running complex sum for a complex one. */
static void col_dot(int cplx, size_t n1, const double *l1, const double *v1, size_t n2,
                    const double *l2, const double *v2, double d[2])
{
    if (!cplx) {
        d[0] = dot4(n1, l1, v1) + dot4(n2, l2, v2);
        return;
    }
    double sr = 0.0, si = 0.0;
    for (size_t i = 0; i < n1; i++) {
        double lr = l1[2 * i], li = l1[2 * i + 1], vr = v1[2 * i], vi = v1[2 * i + 1];
        sr += lr * vr + li * vi;
        si += lr * vi - li * vr;
    }
    for (size_t i = 0; i < n2; i++) {
        double lr = l2[2 * i], li = l2[2 * i + 1], vr = v2[2 * i], vi = v2[2 * i + 1];
        sr += lr * vr + li * vi;
        si += lr * vi - li * vr;
    }
    d[0] = sr;
    d[1] = si;
}

/* Solves L L' x = b in place with a supernodal LL' factor (b permuted already), real or complex
 * Hermitian (interleaved entries, L' the conjugate transpose, a real diagonal). Supernode s holds
 * columns k1.. of L as a dense nsrow x nscol block: the diagonal block, then noff rows whose
 * indices are listed in L->s; t (noff values) gathers their contributions. */
static void super_solve(const cholmod_factor *L, int cplx, double *b, double *t)
{
    const SuiteSparse_long *super = L->super, *pi = L->pi, *px = L->px, *ls = L->s;
    const double *Lx = L->x;
    size_t nsuper = L->nsuper, w = cplx ? 2 : 1; /* doubles per scalar */
    for (size_t s = 0; s < nsuper; s++) { /* forward: L y = b */
        size_t k1 = (size_t)super[s], nscol = (size_t)(super[s + 1] - super[s]);
        size_t nsrow = (size_t)(pi[s + 1] - pi[s]), noff = nsrow - nscol;
        const SuiteSparse_long *rows = ls + pi[s] + nscol;
        const double *Ls = Lx + w * (size_t)px[s];
        double *x = b + w * k1;
        for (size_t i = 0; i < w * noff; i++) {
            t[i] = 0.0;
        }
        for (size_t j = 0; j < nscol; j++) {
            const double *col = Ls + w * j * nsrow;
            x[w * j] /= col[w * j];
            if (cplx) {
                x[w * j + 1] /= col[w * j];
            }
            col_sub(cplx, nscol - j - 1, col + w * (j + 1), x + w * j, x + w * (j + 1));
            col_add(cplx, noff, col + w * nscol, x + w * j, t);
        }
        for (size_t i = 0; i < noff; i++) {
            for (size_t c = 0; c < w; c++) {
                b[w * (size_t)rows[i] + c] -= t[w * i + c];
            }
        }
    }
    for (size_t s = nsuper; s-- > 0;) { /* backward: L' x = y */
        size_t k1 = (size_t)super[s], nscol = (size_t)(super[s + 1] - super[s]);
        size_t nsrow = (size_t)(pi[s + 1] - pi[s]), noff = nsrow - nscol;
        const SuiteSparse_long *rows = ls + pi[s] + nscol;
        const double *Ls = Lx + w * (size_t)px[s];
        double *x = b + w * k1;
        for (size_t i = 0; i < noff; i++) {
            for (size_t c = 0; c < w; c++) {
                t[w * i + c] = b[w * (size_t)rows[i] + c];
            }
        }
        for (size_t j = nscol; j-- > 0;) {
            const double *col = Ls + w * j * nsrow;
            double d[2];
            col_dot(cplx, nscol - j - 1, col + w * (j + 1), x + w * (j + 1), noff, col + w * nscol,
                    t, d);
            x[w * j] = (x[w * j] - d[0]) / col[w * j];
            if (cplx) {
                x[w * j + 1] = (x[w * j + 1] - d[1]) / col[w * j];
            }
        }
    }
}

/* y = (H - sigma I)^-1 x with the current factor; x and y hold n real or complex values. */
int qp_eig_factor_solve(qp_eig_factor *f, double *x, double *y)
{
    const cholmod_factor *L = f->L;
    if (L->is_super && L->is_ll && f->work) {
        const SuiteSparse_long *perm = L->Perm;
        size_t n = f->n;
        double *b = f->work;
        size_t w = f->cplx ? 2 : 1;
        for (size_t k = 0; k < n; k++) {
            for (size_t c = 0; c < w; c++) {
                b[w * k + c] = x[w * (size_t)perm[k] + c];
            }
        }
        super_solve(L, f->cplx, b, b + w * n);
        for (size_t k = 0; k < n; k++) {
            for (size_t c = 0; c < w; c++) {
                y[w * (size_t)perm[k] + c] = b[w * k + c];
            }
        }
        return 0;
    }
    cholmod_dense B = {0};
    B.nrow = f->n;
    B.ncol = 1;
    B.nzmax = f->n;
    B.d = f->n;
    B.x = x;
    B.xtype = f->cplx ? CHOLMOD_COMPLEX : CHOLMOD_REAL;
    B.dtype = CHOLMOD_DOUBLE;
    if (!cholmod_l_solve2(CHOLMOD_A, f->L, &B, NULL, &f->X, NULL, &f->Y, &f->E, &f->c)) {
        return -1;
    }
    memcpy(y, f->X->x, f->n * (f->cplx ? 2 : 1) * sizeof *y);
    return 0;
}
