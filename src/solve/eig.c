/* Lowest eigenpairs of sparse Hermitian matrices: dense LAPACK, ARPACK Lanczos, shift-invert. */
#include "qpsim/eig.h"

#include "base/lock.h"
#include "solve/lapack.h"

#include <arpack/arpack.h>
#include <cholmod.h>

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TOL 1e-12
#define DEFAULT_MAXITER 10000
#define DEFAULT_DENSE_MAX 1500
#define DEFAULT_RESID_TOL 1e-6
#define NCV_MIN 20              /* smallest ARPACK basis worth its restarts (bench/eig_notes.md) */
#define HERMITIAN_RTOL 1e-12    /* allowed |H(i,j) - conj(H(j,i))|, relative to ||H||_1 */
#define LANCZOS_SHIFT_NORMS 2.0 /* plain Lanczos iterates on H + 2 ||H||_1 I (see lanczos()) */
#define FILL_MAX_RATIO 60.0       /* AUTO: fill-in of the factor beyond which Lanczos is used */
#define FILL_MAX_BYTES 1.5e9      /* AUTO: factor size beyond which Lanczos is used */
#define ESTIMATE_STEPS 64       /* steps of the short Lanczos run that estimates E0 for sigma */
#define SIGMA_MIN_REL 1e-8      /* least margin of sigma, relative to the bottom of the spectrum */
#define GERSH_ROUNDING 1e3      /* below Gershgorin by this many eps ||H||_1 stays definite */
#define SIGMA_GROWTH 8.0        /* the margin grows by this after each failed factorization */
#define ORTH_DROP 1e-8          /* a vector keeping less of its norm in Gram-Schmidt is dependent */
#define LCG_SEED 0x853c49e6748fea9bULL

/* Everything one call of qp_eig_lowest needs; lives on its stack (no global state). */
typedef struct {
    const qp_sparse *H;
    size_t n;
    int cplx;     /* H has an imaginary part */
    double norm1; /* ||H||_1 = max column sum of |H(i,j)| */
    double gersh; /* Gershgorin lower bound of the spectrum */
    int nev, ncv, maxiter;
    double tol;
    const qp_eig_opts *o;
    qp_eig_info info;
    char *err;
    size_t errlen;
} solver;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void fail(solver *s, const char *fmt, ...)
{
    if (!s->err || s->errlen == 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, s->errlen, fmt, ap);
    va_end(ap);
}

/* malloc of count * size bytes with the product checked; never returns a zero-size request. */
static void *alloc_n(size_t count, size_t size)
{
    if (count == 0) {
        count = 1;
    }
    if (count > SIZE_MAX / size) {
        return NULL;
    }
    return malloc(count * size);
}

static size_t mul_sat(size_t a, size_t b)
{
    return (a != 0 && b > SIZE_MAX / a) ? SIZE_MAX : a * b;
}

/* ---------------------------------------------------------------- sparse matrix construction */

void qp_sparse_free(qp_sparse *s)
{
    if (!s) {
        return;
    }
    free(s->colptr);
    free(s->rowind);
    free(s->re);
    free(s->im);
    memset(s, 0, sizeof *s);
}

qp_status qp_sparse_from_triplets(size_t n, size_t nnz, const size_t *row, const size_t *col,
                                  const double *re, const double *im, qp_sparse *out)
{
    if (!out || n == SIZE_MAX || (nnz > 0 && (!row || !col || !re))) {
        return QP_ERR_USAGE;
    }
    for (size_t k = 0; k < nnz; k++) {
        if (row[k] >= n || col[k] >= n) {
            return QP_ERR_USAGE;
        }
    }
    qp_status st = QP_ERR_NOMEM;
    qp_sparse m = {0};
    size_t *rstart = calloc(n + 1, sizeof *rstart), *cstart = calloc(n + 1, sizeof *cstart);
    size_t *byrow = alloc_n(nnz, sizeof *byrow), *order = alloc_n(nnz, sizeof *order);
    m.colptr = calloc(n + 1, sizeof *m.colptr);
    m.rowind = alloc_n(nnz, sizeof *m.rowind);
    m.re = alloc_n(nnz, sizeof *m.re);
    m.im = im ? alloc_n(nnz, sizeof *m.im) : NULL;
    if (!rstart || !cstart || !byrow || !order || !m.colptr || !m.rowind || !m.re ||
        (im && !m.im)) {
        goto fail;
    }
    /* Two stable bucket passes (by row, then by column) order the triplets by (column, row) and
     * keep duplicates in input order, so their sums do not depend on a sort's tie-breaking. */
    for (size_t k = 0; k < nnz; k++) {
        rstart[row[k] + 1]++;
        cstart[col[k] + 1]++;
    }
    for (size_t i = 0; i < n; i++) {
        rstart[i + 1] += rstart[i];
        cstart[i + 1] += cstart[i];
    }
    for (size_t k = 0; k < nnz; k++) {
        byrow[rstart[row[k]]++] = k;
    }
    for (size_t t = 0; t < nnz; t++) {
        size_t k = byrow[t];
        order[cstart[col[k]]++] = k;
    }
    /* cstart[j] now ends column j; merge duplicates while copying. */
    size_t put = 0, t = 0;
    for (size_t j = 0; j < n; j++) {
        m.colptr[j] = put;
        for (; t < cstart[j]; t++) {
            size_t k = order[t];
            if (put > m.colptr[j] && m.rowind[put - 1] == row[k]) {
                m.re[put - 1] += re[k];
                if (im) {
                    m.im[put - 1] += im[k];
                }
                continue;
            }
            m.rowind[put] = row[k];
            m.re[put] = re[k];
            if (im) {
                m.im[put] = im[k];
            }
            put++;
        }
    }
    m.colptr[n] = put;
    m.n = n;
    m.nnz = put;
    *out = m;
    m = (qp_sparse){0};
    st = QP_OK;
fail:
    qp_sparse_free(&m);
    free(rstart);
    free(cstart);
    free(byrow);
    free(order);
    return st;
}

/* ---------------------------------------------------------------- checking the input */

/* Position of H(i, j) in column j, or SIZE_MAX when it is not stored. */
static size_t find_entry(const qp_sparse *H, size_t i, size_t j)
{
    size_t lo = H->colptr[j], hi = H->colptr[j + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (H->rowind[mid] < i) {
            lo = mid + 1;
        } else if (H->rowind[mid] > i) {
            hi = mid;
        } else {
            return mid;
        }
    }
    return SIZE_MAX;
}

/* Structure, finiteness and Hermiticity of H; fills norm1 and gersh. Indices in messages are
 * 0-based. */
static qp_status check_matrix(solver *s)
{
    const qp_sparse *H = s->H;
    size_t n = H->n;
    if (!H->colptr || (H->nnz > 0 && (!H->rowind || !H->re))) {
        fail(s, "matrix: missing arrays");
        return QP_ERR_USAGE;
    }
    if (H->colptr[0] != 0 || H->colptr[n] != H->nnz) {
        fail(s, "matrix: colptr[0] must be 0 and colptr[n] must be nnz = %zu", H->nnz);
        return QP_ERR_USAGE;
    }
    double norm1 = 0.0, gersh = INFINITY;
    for (size_t j = 0; j < n; j++) {
        if (H->colptr[j + 1] < H->colptr[j]) {
            fail(s, "matrix: colptr decreases at column %zu", j);
            return QP_ERR_USAGE;
        }
        double sum = 0.0, diag = 0.0;
        for (size_t k = H->colptr[j]; k < H->colptr[j + 1]; k++) {
            size_t i = H->rowind[k];
            if (i >= n || (k > H->colptr[j] && i <= H->rowind[k - 1])) {
                fail(s, "matrix: row indices of column %zu are out of range, unsorted or repeated",
                     j);
                return QP_ERR_USAGE;
            }
            double b = H->im ? H->im[k] : 0.0;
            if (!isfinite(H->re[k]) || !isfinite(b)) {
                fail(s, "matrix: H(%zu,%zu) is not finite", i, j);
                return QP_ERR_USAGE;
            }
            if (i == j) {
                diag = H->re[k];
            } else {
                sum += hypot(H->re[k], b);
            }
        }
        norm1 = fmax(norm1, sum + fabs(diag));
        gersh = fmin(gersh, diag - sum);
    }
    double htol = HERMITIAN_RTOL * norm1;
    for (size_t j = 0; j < n; j++) {
        for (size_t k = H->colptr[j]; k < H->colptr[j + 1]; k++) {
            size_t i = H->rowind[k];
            double a = H->re[k], b = H->im ? H->im[k] : 0.0;
            if (i == j) {
                if (fabs(b) > htol) {
                    fail(s, "matrix is not Hermitian: diagonal H(%zu,%zu) = %g%+gi is not real", i,
                         i, a, b);
                    return QP_ERR_USAGE;
                }
                continue;
            }
            size_t p = find_entry(H, j, i);
            double pa = p == SIZE_MAX ? 0.0 : H->re[p];
            double pb = (p == SIZE_MAX || !H->im) ? 0.0 : H->im[p];
            if (hypot(a - pa, b + pb) > htol) {
                fail(s, "matrix is not Hermitian: H(%zu,%zu) = %g%+gi but conj(H(%zu,%zu)) = "
                        "%g%+gi",
                     i, j, a, b, j, i, pa, -pb + 0.0); /* + 0.0 turns -0 into 0 */
                return QP_ERR_USAGE;
            }
        }
    }
    s->norm1 = norm1;
    s->gersh = n > 0 ? gersh : 0.0;
    return QP_OK;
}

/* ---------------------------------------------------------------- vector kernels */

/* Complex vectors are interleaved (re, im) arrays of 2n doubles, as ARPACK and LAPACK store
 * them. Because H is Hermitian, (Hx)_j = sum_i conj(H(i,j)) x_i: a gather down column j, so
 * every y_j is one sequential sum and the result does not depend on any thread count. */
static void spmv_c(const qp_sparse *H, double shift, const double *x, double *y)
{
    for (size_t j = 0; j < H->n; j++) {
        double yr = shift * x[2 * j], yi = shift * x[2 * j + 1];
        if (H->im) {
            for (size_t k = H->colptr[j]; k < H->colptr[j + 1]; k++) {
                size_t i = H->rowind[k];
                double a = H->re[k], b = H->im[k], xr = x[2 * i], xi = x[2 * i + 1];
                yr += a * xr + b * xi;
                yi += a * xi - b * xr;
            }
        } else {
            for (size_t k = H->colptr[j]; k < H->colptr[j + 1]; k++) {
                size_t i = H->rowind[k];
                yr += H->re[k] * x[2 * i];
                yi += H->re[k] * x[2 * i + 1];
            }
        }
        y[2 * j] = yr;
        y[2 * j + 1] = yi;
    }
}

/* y = (H + shift I) x for real symmetric H and real vectors. */
static void spmv_r(const qp_sparse *H, double shift, const double *x, double *y)
{
    for (size_t j = 0; j < H->n; j++) {
        double acc = shift * x[j];
        for (size_t k = H->colptr[j]; k < H->colptr[j + 1]; k++) {
            acc += H->re[k] * x[H->rowind[k]];
        }
        y[j] = acc;
    }
}

static double ddot(size_t len, const double *x, const double *y)
{
    double s = 0.0;
    for (size_t i = 0; i < len; i++) {
        s += x[i] * y[i];
    }
    return s;
}

/* y += a x */
static void daxpy(size_t len, double a, const double *x, double *y)
{
    for (size_t i = 0; i < len; i++) {
        y[i] += a * x[i];
    }
}

/* <x, y> = sum conj(x_i) y_i into (*re, *im). */
static void zdot(size_t n, const double *x, const double *y, double *re, double *im)
{
    double sr = 0.0, si = 0.0;
    for (size_t i = 0; i < n; i++) {
        sr += x[2 * i] * y[2 * i] + x[2 * i + 1] * y[2 * i + 1];
        si += x[2 * i] * y[2 * i + 1] - x[2 * i + 1] * y[2 * i];
    }
    *re = sr;
    *im = si;
}

static double znrm(size_t n, const double *x)
{
    return sqrt(ddot(2 * n, x, x));
}

/* y -= (cr + i ci) x */
static void zsub(size_t n, double cr, double ci, const double *x, double *y)
{
    for (size_t i = 0; i < n; i++) {
        y[2 * i] -= cr * x[2 * i] - ci * x[2 * i + 1];
        y[2 * i + 1] -= cr * x[2 * i + 1] + ci * x[2 * i];
    }
}

/* Next value of a fixed 64-bit LCG (Knuth's MMIX constants), uniform in [-0.5, 0.5). ARPACK's
 * own random start vector comes from a generator with saved state; ours is the same every call. */
static double lcg_next(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*state >> 11) * 0x1.0p-53 - 0.5;
}

/* The start vector: n real values, or n interleaved complex ones (imaginary parts zero when H is
 * real so that the Lanczos estimate stays real). */
static void start_vector(double *v, size_t n, int interleaved, int cplx)
{
    uint64_t state = LCG_SEED;
    for (size_t i = 0; i < n; i++) {
        if (interleaved) {
            v[2 * i] = lcg_next(&state);
            v[2 * i + 1] = cplx ? lcg_next(&state) : 0.0;
        } else {
            v[i] = lcg_next(&state);
        }
    }
}

/* ---------------------------------------------------------------- dense path */

/* Lowest nev pairs by LAPACK's MRRR (dsyevr / zheevr with range 'I') on the lower triangle of
 * the full matrix. Vectors into V (n x nev, interleaved complex). */
static qp_status dense_solve(solver *s, double *vals, double *V)
{
    const qp_sparse *H = s->H;
    lp_int n = (lp_int)s->n, il = 1, iu = s->nev, m = 0, info = 0, query = -1;
    lp_int lwork, liwork, lrwork, iwq = 0;
    double vl = 0.0, vu = 0.0, abstol = 0.0, wq = 0.0, rwq = 0.0;
    size_t w = s->cplx ? 2 : 1, nn = mul_sat(s->n, s->n);
    qp_status st = QP_ERR_NOMEM;
    double *a = alloc_n(mul_sat(nn, w), sizeof *a), *ev = alloc_n(s->n, sizeof *ev);
    double *z = alloc_n(mul_sat(s->n * w, (size_t)s->nev), sizeof *z);
    lp_int *isuppz = alloc_n(2 * (size_t)s->nev, sizeof *isuppz);
    double *work = NULL, *rwork = NULL;
    lp_int *iwork = NULL;
    if (!a || !ev || !z || !isuppz) {
        fail(s, "out of memory for a dense %zu x %zu matrix", s->n, s->n);
        goto done;
    }
    memset(a, 0, nn * w * sizeof *a);
    for (size_t j = 0; j < s->n; j++) {
        for (size_t k = H->colptr[j]; k < H->colptr[j + 1]; k++) {
            size_t p = H->rowind[k] + j * s->n;
            if (s->cplx) {
                a[2 * p] = H->re[k];
                a[2 * p + 1] = H->im[k];
            } else {
                a[p] = H->re[k];
            }
        }
    }
    if (s->cplx) {
        zheevr_("V", "I", "L", &n, a, &n, &vl, &vu, &il, &iu, &abstol, &m, ev, z, &n, isuppz, &wq,
                &query, &rwq, &query, &iwq, &query, &info, 1, 1, 1);
    } else {
        dsyevr_("V", "I", "L", &n, a, &n, &vl, &vu, &il, &iu, &abstol, &m, ev, z, &n, isuppz, &wq,
                &query, &iwq, &query, &info, 1, 1, 1);
    }
    lwork = (lp_int)wq;
    lrwork = (lp_int)rwq;
    liwork = iwq;
    work = alloc_n((size_t)lwork * w, sizeof *work);
    rwork = alloc_n((size_t)lrwork, sizeof *rwork);
    iwork = alloc_n((size_t)liwork, sizeof *iwork);
    if (info != 0) {
        st = QP_ERR_NUMERIC;
        fail(s, "LAPACK %s workspace query failed (info=%d)", s->cplx ? "zheevr" : "dsyevr",
             (int)info);
        goto done;
    }
    if (!work || !rwork || !iwork) {
        fail(s, "out of memory for LAPACK workspace");
        goto done;
    }
    if (s->cplx) {
        zheevr_("V", "I", "L", &n, a, &n, &vl, &vu, &il, &iu, &abstol, &m, ev, z, &n, isuppz,
                work, &lwork, rwork, &lrwork, iwork, &liwork, &info, 1, 1, 1);
    } else {
        dsyevr_("V", "I", "L", &n, a, &n, &vl, &vu, &il, &iu, &abstol, &m, ev, z, &n, isuppz,
                work, &lwork, iwork, &liwork, &info, 1, 1, 1);
    }
    if (info != 0 || m != iu) {
        st = QP_ERR_NUMERIC;
        fail(s, "LAPACK %s failed (info=%d, %d of %d eigenvalues)", s->cplx ? "zheevr" : "dsyevr",
             (int)info, (int)m, (int)iu);
        goto done;
    }
    for (int j = 0; j < s->nev; j++) {
        vals[j] = ev[j];
    }
    size_t len = s->n * (size_t)s->nev;
    for (size_t p = 0; p < len; p++) {
        V[2 * p] = s->cplx ? z[2 * p] : z[p];
        V[2 * p + 1] = s->cplx ? z[2 * p + 1] : 0.0;
    }
    s->info.nconv = s->nev;
    st = QP_OK;
done:
    free(a);
    free(ev);
    free(z);
    free(isuppz);
    free(work);
    free(rwork);
    free(iwork);
    return st;
}

/* ---------------------------------------------------------------- CHOLMOD factor of H - sigma I */

typedef struct {
    cholmod_common c;
    cholmod_sparse *A; /* lower triangle of H (stype -1), real or complex interleaved */
    cholmod_factor *L;
    cholmod_dense *X, *Y, *E; /* cholmod_l_solve2 workspace, reused across solves */
    double *work;             /* 2n real / 2n complex values for the supernodal solves */
    qp_eig_cache *cache;      /* where the symbolic analysis goes back to (may be NULL) */
    size_t n;
    int cplx, started;
} factor;

static const char *cholmod_status_str(int status)
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
static int cache_put(factor *f)
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
    SuiteSparse_long *p = malloc((n + 1) * sizeof *p), *i = alloc_n(nnz, sizeof *i);
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

static void factor_free(factor *f)
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
static qp_status factor_init(solver *s, factor *f)
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
        fail(s, "CHOLMOD: cannot allocate the matrix (%s)", cholmod_status_str(f->c.status));
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
    f->work = alloc_n(s->n, (s->cplx ? 4 : 2) * sizeof *f->work); /* NULL: CHOLMOD solves */
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
        fail(s, "CHOLMOD analyze failed (%s)", cholmod_status_str(f->c.status));
        return f->c.status == CHOLMOD_OUT_OF_MEMORY ? QP_ERR_NOMEM : QP_ERR_NUMERIC;
    }
    return QP_OK;
}

/* Factorizes H - sigma I. Returns 0 on success, 1 when it is not positive definite (sigma is not
 * below the spectrum), -1 on any other CHOLMOD failure. */
static int factor_shift(factor *f, double sigma)
{
    double beta[2] = {-sigma, 0.0};
    int ok = cholmod_l_factorize_p(f->A, beta, NULL, 0, f->L, &f->c);
    if (f->c.status == CHOLMOD_NOT_POSDEF) {
        return 1;
    }
    return (ok && f->c.status == CHOLMOD_OK) ? 0 : -1;
}

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

static void super_solve_r(const cholmod_factor *L, double *b, double *t)
{
    const SuiteSparse_long *super = L->super, *pi = L->pi, *px = L->px, *ls = L->s;
    const double *Lx = L->x;
    size_t nsuper = L->nsuper;
    for (size_t s = 0; s < nsuper; s++) { /* forward: L y = b */
        size_t k1 = (size_t)super[s], nscol = (size_t)(super[s + 1] - super[s]);
        size_t nsrow = (size_t)(pi[s + 1] - pi[s]), noff = nsrow - nscol;
        const SuiteSparse_long *rows = ls + pi[s] + nscol;
        const double *Ls = Lx + px[s];
        double *x = b + k1;
        for (size_t i = 0; i < noff; i++) {
            t[i] = 0.0;
        }
        for (size_t j = 0; j < nscol; j++) {
            const double *col = Ls + j * nsrow;
            double xj = x[j] / col[j];
            x[j] = xj;
            for (size_t i = j + 1; i < nscol; i++) {
                x[i] -= col[i] * xj;
            }
            const double *off = col + nscol;
            for (size_t i = 0; i < noff; i++) {
                t[i] += off[i] * xj;
            }
        }
        for (size_t i = 0; i < noff; i++) {
            b[rows[i]] -= t[i];
        }
    }
    for (size_t s = nsuper; s-- > 0;) { /* backward: L' x = y */
        size_t k1 = (size_t)super[s], nscol = (size_t)(super[s + 1] - super[s]);
        size_t nsrow = (size_t)(pi[s + 1] - pi[s]), noff = nsrow - nscol;
        const SuiteSparse_long *rows = ls + pi[s] + nscol;
        const double *Ls = Lx + px[s];
        double *x = b + k1;
        for (size_t i = 0; i < noff; i++) {
            t[i] = b[rows[i]];
        }
        for (size_t j = nscol; j-- > 0;) {
            const double *col = Ls + j * nsrow;
            double d = dot4(nscol - j - 1, col + j + 1, x + j + 1) + dot4(noff, col + nscol, t);
            x[j] = (x[j] - d) / col[j];
        }
    }
}

/* The same for a complex Hermitian factor: interleaved entries, L' is the conjugate transpose,
 * and the diagonal of an LL' factor is real. */
static void super_solve_c(const cholmod_factor *L, double *b, double *t)
{
    const SuiteSparse_long *super = L->super, *pi = L->pi, *px = L->px, *ls = L->s;
    const double *Lx = L->x;
    size_t nsuper = L->nsuper;
    for (size_t s = 0; s < nsuper; s++) {
        size_t k1 = (size_t)super[s], nscol = (size_t)(super[s + 1] - super[s]);
        size_t nsrow = (size_t)(pi[s + 1] - pi[s]), noff = nsrow - nscol;
        const SuiteSparse_long *rows = ls + pi[s] + nscol;
        const double *Ls = Lx + 2 * (size_t)px[s];
        double *x = b + 2 * k1;
        for (size_t i = 0; i < 2 * noff; i++) {
            t[i] = 0.0;
        }
        for (size_t j = 0; j < nscol; j++) {
            const double *col = Ls + 2 * j * nsrow;
            double xr = x[2 * j] / col[2 * j], xi = x[2 * j + 1] / col[2 * j];
            x[2 * j] = xr;
            x[2 * j + 1] = xi;
            for (size_t i = j + 1; i < nscol; i++) {
                double lr = col[2 * i], li = col[2 * i + 1];
                x[2 * i] -= lr * xr - li * xi;
                x[2 * i + 1] -= lr * xi + li * xr;
            }
            const double *off = col + 2 * nscol;
            for (size_t i = 0; i < noff; i++) {
                double lr = off[2 * i], li = off[2 * i + 1];
                t[2 * i] += lr * xr - li * xi;
                t[2 * i + 1] += lr * xi + li * xr;
            }
        }
        for (size_t i = 0; i < noff; i++) {
            b[2 * rows[i]] -= t[2 * i];
            b[2 * rows[i] + 1] -= t[2 * i + 1];
        }
    }
    for (size_t s = nsuper; s-- > 0;) {
        size_t k1 = (size_t)super[s], nscol = (size_t)(super[s + 1] - super[s]);
        size_t nsrow = (size_t)(pi[s + 1] - pi[s]), noff = nsrow - nscol;
        const SuiteSparse_long *rows = ls + pi[s] + nscol;
        const double *Ls = Lx + 2 * (size_t)px[s];
        double *x = b + 2 * k1;
        for (size_t i = 0; i < noff; i++) {
            t[2 * i] = b[2 * rows[i]];
            t[2 * i + 1] = b[2 * rows[i] + 1];
        }
        for (size_t j = nscol; j-- > 0;) {
            const double *col = Ls + 2 * j * nsrow;
            double sr = 0.0, si = 0.0; /* sum of conj(l_i) v_i */
            for (size_t i = j + 1; i < nscol; i++) {
                double lr = col[2 * i], li = col[2 * i + 1], vr = x[2 * i], vi = x[2 * i + 1];
                sr += lr * vr + li * vi;
                si += lr * vi - li * vr;
            }
            const double *off = col + 2 * nscol;
            for (size_t i = 0; i < noff; i++) {
                double lr = off[2 * i], li = off[2 * i + 1], vr = t[2 * i], vi = t[2 * i + 1];
                sr += lr * vr + li * vi;
                si += lr * vi - li * vr;
            }
            x[2 * j] = (x[2 * j] - sr) / col[2 * j];
            x[2 * j + 1] = (x[2 * j + 1] - si) / col[2 * j];
        }
    }
}

/* y = (H - sigma I)^-1 x with the current factor; x and y hold n real or complex values. */
static int factor_solve(factor *f, double *x, double *y)
{
    const cholmod_factor *L = f->L;
    if (L->is_super && L->is_ll && f->work) {
        const SuiteSparse_long *perm = L->Perm;
        size_t n = f->n;
        double *b = f->work;
        if (f->cplx) {
            for (size_t k = 0; k < n; k++) {
                b[2 * k] = x[2 * perm[k]];
                b[2 * k + 1] = x[2 * perm[k] + 1];
            }
            super_solve_c(L, b, b + 2 * n);
            for (size_t k = 0; k < n; k++) {
                y[2 * perm[k]] = b[2 * k];
                y[2 * perm[k] + 1] = b[2 * k + 1];
            }
        } else {
            for (size_t k = 0; k < n; k++) {
                b[k] = x[perm[k]];
            }
            super_solve_r(L, b, b + n);
            for (size_t k = 0; k < n; k++) {
                y[perm[k]] = b[k];
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

/* ---------------------------------------------------------------- ARPACK drivers */

/* The operator ARPACK iterates with: H + shift I (mode 1) or (H - sigma I)^-1 (mode 3, fac). */
typedef struct {
    const qp_sparse *H;
    double shift;
    factor *fac;
} op_t;

static int op_apply(const op_t *op, int cplx, double *x, double *y)
{
    if (op->fac) {
        return factor_solve(op->fac, x, y);
    }
    if (cplx) {
        spmv_c(op->H, op->shift, x, y);
    } else {
        spmv_r(op->H, op->shift, x, y);
    }
    return 0;
}

/* ARPACK's info codes in words (from the routine headers of arpack-ng 3.8). */
static const char *arpack_info_str(const char *routine, int info)
{
    int eupd = strstr(routine, "eupd") != NULL, cplx = routine[0] == 'z';
    switch (info) {
    case 1:
        return eupd ? "the Schur form could not be reordered by LAPACK ztrsen"
                    : "maximum number of iterations reached";
    case 2:
        return "no shifts could be applied (deprecated code)";
    case 3:
        return "no shifts could be applied during a restart; increase ncv";
    case -1:
        return "N must be positive";
    case -2:
        return "NEV must be positive";
    case -3:
        return "NCV must be greater than NEV and at most N";
    case -4:
        return "the maximum number of iterations must be positive";
    case -5:
        return "WHICH is not valid for this routine";
    case -6:
        return "BMAT must be 'I' or 'G'";
    case -7:
        return "the private work array WORKL is too short";
    case -8:
        return "LAPACK failed on the projected (tridiagonal or Hessenberg) matrix";
    case -9:
        return (eupd && cplx) ? "LAPACK ztrevc failed computing eigenvectors"
                              : "the starting vector is zero";
    case -10:
        return "IPARAM(7) (mode) is not valid";
    case -11:
        return "mode 1 is incompatible with BMAT = 'G'";
    case -12:
        return eupd ? (cplx ? "HOWMNY = 'S' is not implemented"
                            : "NEV and WHICH = 'BE' are incompatible")
                    : "IPARAM(1) must be 0 or 1";
    case -13:
        return eupd ? "HOWMNY must be 'A' or 'P'" : "NEV and WHICH = 'BE' are incompatible";
    case -14:
        return "the iteration found no eigenvalue to sufficient accuracy";
    case -15:
        return cplx ? "the number of converged Ritz values changed between znaupd and zneupd"
                    : "HOWMNY must be 'A' or 'S'";
    case -16:
        return "HOWMNY = 'S' is not implemented";
    case -17:
        return "the number of converged Ritz values changed between dsaupd and dseupd";
    case -9999:
        return "could not build a Lanczos/Arnoldi factorization";
    default:
        return "unknown error";
    }
}

static qp_status arpack_fail(solver *s, const char *routine, int info, int nconv)
{
    if (info == 0) {
        fail(s, "ARPACK %s: only %d of %d eigenvalues converged", routine, nconv, s->nev);
    } else if (info == 1 && strstr(routine, "aupd")) {
        fail(s, "ARPACK %s: %s (info=1); %d of %d eigenvalues converged within maxiter = %d",
             routine, arpack_info_str(routine, info), nconv, s->nev, s->maxiter);
    } else {
        fail(s, "ARPACK %s: %s (info=%d)", routine, arpack_info_str(routine, info), info);
    }
    return QP_ERR_NUMERIC;
}

/* dsaupd/dseupd on a real operator: mode 1 "SA" or mode 3 "LM". The k <= nev Ritz vectors go to
 * V as interleaved complex columns with zero imaginary parts. */
static qp_status arpack_real(solver *s, const op_t *op, int mode, double sigma, double *V, int *k)
{
    a_int n = (a_int)s->n, nev = s->nev, ncv = s->ncv, ido = 0, info = 1;
    a_int lworkl = ncv * (ncv + 8), iparam[11] = {0}, ipntr[14] = {0};
    const char *which = mode == 1 ? "SA" : "LM";
    qp_status st = QP_ERR_NOMEM;
    double *resid = alloc_n(s->n, sizeof *resid);
    double *v = alloc_n(mul_sat(s->n, (size_t)ncv), sizeof *v);
    double *workd = alloc_n(mul_sat(s->n, 3), sizeof *workd);
    double *workl = alloc_n((size_t)lworkl, sizeof *workl);
    double *d = alloc_n((size_t)ncv, sizeof *d);
    double *z = alloc_n(mul_sat(s->n, (size_t)nev), sizeof *z);
    a_int *select = calloc((size_t)ncv, sizeof *select);
    if (!resid || !v || !workd || !workl || !d || !z || !select) {
        fail(s, "out of memory for the ARPACK basis (n = %zu, ncv = %d)", s->n, (int)ncv);
        goto done;
    }
    start_vector(resid, s->n, 0, 0);
    iparam[0] = 1; /* exact shifts */
    iparam[2] = s->maxiter;
    iparam[3] = 1;
    iparam[6] = mode;
    for (;;) {
        dsaupd_c(&ido, "I", n, which, nev, s->tol, resid, ncv, v, n, iparam, ipntr, workd, workl,
                 lworkl, &info);
        if (ido != -1 && ido != 1) {
            break;
        }
        if (op_apply(op, 0, workd + ipntr[0] - 1, workd + ipntr[1] - 1) != 0) {
            st = QP_ERR_NUMERIC;
            fail(s, "CHOLMOD solve failed (%s)", cholmod_status_str(op->fac->c.status));
            goto done;
        }
    }
    s->info.iterations = iparam[2];
    s->info.nconv = iparam[4];
    if (ido != 99) {
        st = QP_ERR_NUMERIC;
        fail(s, "ARPACK dsaupd: unexpected request ido=%d", (int)ido);
        goto done;
    }
    if (info != 0 || iparam[4] < nev) {
        st = arpack_fail(s, "dsaupd", info, iparam[4]);
        goto done;
    }
    dseupd_c(1, "A", select, d, z, n, sigma, "I", n, which, nev, s->tol, resid, ncv, v, n, iparam,
             ipntr, workd, workl, lworkl, &info);
    if (info != 0) {
        st = arpack_fail(s, "dseupd", info, iparam[4]);
        goto done;
    }
    *k = iparam[4] < nev ? iparam[4] : nev;
    for (size_t p = 0; p < s->n * (size_t)*k; p++) {
        V[2 * p] = z[p];
        V[2 * p + 1] = 0.0;
    }
    st = QP_OK;
done:
    free(resid);
    free(v);
    free(workd);
    free(workl);
    free(d);
    free(z);
    free(select);
    return st;
}

/* znaupd/zneupd on a complex operator: mode 1 "SR" or mode 3 "LM".
 * Why not the real embedding [[A, -B], [B, A]] with dsaupd: it doubles every eigenvalue, and a
 * single-vector Krylov space holds only one vector of each eigenspace in exact arithmetic, so the
 * second copies appear only through rounding. "Ask for 2 nev and de-duplicate" then either
 * converges slowly or returns the next distinct levels as if they were copies, and nothing tells
 * the two cases apart. It also costs the same memory as complex storage. znaupd on a Hermitian
 * operator is Arnoldi with full reorthogonalization, which numerically is Lanczos (the
 * Hessenberg matrix is tridiagonal up to rounding). It needed 7-8 restarts where dsaupd needed 7
 * on the gauge-equivalent real chain (bench/eig_notes.md). The ~1e-15 imaginary parts
 * of its Ritz values never reach the caller: the eigenvalues come from the Hermitian
 * Rayleigh-Ritz step (zheev), which makes them real by construction.
 * zneupd is asked for Schur vectors (HOWMNY = 'P'): for a Hermitian operator they are an
 * orthonormal eigenbasis of the wanted invariant subspace, whereas its Ritz vectors come from
 * ztrevc back-substitution, which loses orthogonality inside (near-)degenerate clusters. */
static qp_status arpack_cplx(solver *s, const op_t *op, int mode, double sigma, double *V, int *k)
{
    a_int n = (a_int)s->n, nev = s->nev, ncv = s->ncv, ido = 0, info = 1;
    a_int lworkl = ncv * (3 * ncv + 5), iparam[11] = {0}, ipntr[14] = {0};
    const char *which = mode == 1 ? "SR" : "LM";
    double _Complex zsigma = sigma;
    qp_status st = QP_ERR_NOMEM;
    double *resid = alloc_n(mul_sat(s->n, 2), sizeof *resid);
    double *v = alloc_n(mul_sat(s->n, 2 * (size_t)ncv), sizeof *v);
    double *workd = alloc_n(mul_sat(s->n, 6), sizeof *workd);
    double *workl = alloc_n(2 * (size_t)lworkl, sizeof *workl);
    double *d = alloc_n(2 * ((size_t)ncv + 1), sizeof *d);
    double *workev = alloc_n(4 * (size_t)ncv, sizeof *workev);
    double *rwork = alloc_n((size_t)ncv, sizeof *rwork);
    a_int *select = calloc((size_t)ncv, sizeof *select);
    if (!resid || !v || !workd || !workl || !d || !workev || !rwork || !select) {
        fail(s, "out of memory for the ARPACK basis (n = %zu, ncv = %d)", s->n, (int)ncv);
        goto done;
    }
    start_vector(resid, s->n, 1, 1);
    iparam[0] = 1;
    iparam[2] = s->maxiter;
    iparam[3] = 1;
    iparam[6] = mode;
    for (;;) {
        znaupd_c(&ido, "I", n, which, nev, s->tol, (double _Complex *)resid, ncv,
                 (double _Complex *)v, n, iparam, ipntr, (double _Complex *)workd,
                 (double _Complex *)workl, lworkl, rwork, &info);
        if (ido != -1 && ido != 1) {
            break;
        }
        double *x = workd + 2 * (size_t)(ipntr[0] - 1), *y = workd + 2 * (size_t)(ipntr[1] - 1);
        if (op_apply(op, 1, x, y) != 0) {
            st = QP_ERR_NUMERIC;
            fail(s, "CHOLMOD solve failed (%s)", cholmod_status_str(op->fac->c.status));
            goto done;
        }
    }
    s->info.iterations = iparam[2];
    s->info.nconv = iparam[4];
    if (ido != 99) {
        st = QP_ERR_NUMERIC;
        fail(s, "ARPACK znaupd: unexpected request ido=%d", (int)ido);
        goto done;
    }
    if (info != 0 || iparam[4] < nev) {
        st = arpack_fail(s, "znaupd", info, iparam[4]);
        goto done;
    }
    /* Z is not referenced for HOWMNY = 'P'; V stands in for it. */
    zneupd_c(1, "P", select, (double _Complex *)d, (double _Complex *)v, n, zsigma,
             (double _Complex *)workev, "I", n, which, nev, s->tol, (double _Complex *)resid, ncv,
             (double _Complex *)v, n, iparam, ipntr, (double _Complex *)workd,
             (double _Complex *)workl, lworkl, rwork, &info);
    if (info != 0) {
        st = arpack_fail(s, "zneupd", info, iparam[4]);
        goto done;
    }
    *k = iparam[4] < nev ? iparam[4] : nev;
    memcpy(V, v, 2 * s->n * (size_t)*k * sizeof *V);
    st = QP_OK;
done:
    free(resid);
    free(v);
    free(workd);
    free(workl);
    free(d);
    free(workev);
    free(rwork);
    free(select);
    return st;
}

static qp_status arpack_run(solver *s, const op_t *op, int mode, double sigma, double *V, int *k)
{
    qp_lock_arpack(); /* ARPACK is not reentrant (Fortran SAVE state) */
    qp_status st = s->cplx ? arpack_cplx(s, op, mode, sigma, V, k)
                           : arpack_real(s, op, mode, sigma, V, k);
    qp_unlock_arpack();
    return st;
}

/* ---------------------------------------------------------------- plain Lanczos */

/* ARPACK accepts a Ritz value theta when its error bound is <= tol * max(eps^(2/3), |theta|),
 * i.e. relative to theta itself. Levels near zero (a Laplacian's 1e-10 ground state) would then
 * need an absolute accuracy of ~1e-23 and never converge. Iterating on H + 2||H||_1 I leaves the
 * Krylov spaces, the order of the wanted values and the vectors unchanged but moves the spectrum
 * into [||H||_1, 3||H||_1], so tol becomes relative to the scale of H, like the residual test. */
static qp_status lanczos(solver *s, double *V, int *k)
{
    op_t op = {s->H, LANCZOS_SHIFT_NORMS * (s->norm1 > 0.0 ? s->norm1 : 1.0), NULL};
    s->info.used = QP_EIG_LANCZOS;
    return arpack_run(s, &op, 1, 0.0, V, k);
}

/* ---------------------------------------------------------------- shift-invert */

/* Cheap estimate of the bottom of the spectrum: ESTIMATE_STEPS steps of Lanczos from the fixed
 * start vector, without reorthogonalization (three vectors of memory). The lowest Ritz value
 * theta0 >= E0 is an upper bound even in floating point; res0 = beta_m |s_m0| bounds its distance
 * to some eigenvalue, and spread = theta_(nev-1) - theta0 is a rough width of the wanted levels
 * (ghost copies only make it smaller). */
static qp_status estimate_bottom(solver *s, double *theta0, double *res0, double *spread)
{
    size_t n = s->n, len = s->cplx ? 2 * n : n; /* real vectors for real H */
    lp_int m = (lp_int)(n < ESTIMATE_STEPS ? n : ESTIMATE_STEPS), info = 0;
    qp_status st = QP_ERR_NOMEM;
    double *v = alloc_n(len, sizeof *v), *vp = calloc(len, sizeof *vp);
    double *w = alloc_n(len, sizeof *w);
    double *alpha = alloc_n((size_t)m, sizeof *alpha), *beta = alloc_n((size_t)m, sizeof *beta);
    double *z = alloc_n((size_t)m * (size_t)m, sizeof *z);
    double *work = alloc_n(2 * (size_t)m, sizeof *work);
    if (!v || !vp || !w || !alpha || !beta || !z || !work) {
        fail(s, "out of memory for the Lanczos estimate");
        goto done;
    }
    /* For complex vectors the real dot product over 2n doubles is Re <x, y>; alpha = <v, Hv> is
     * real for Hermitian H, and the local reorthogonalization only needs to be approximate. */
    start_vector(v, n, s->cplx, s->cplx);
    double nv = sqrt(ddot(len, v, v)), scale = s->norm1 > 0.0 ? s->norm1 : 1.0;
    for (size_t i = 0; i < len; i++) {
        v[i] /= nv;
    }
    lp_int steps = m;
    for (lp_int j = 0; j < m; j++) {
        if (s->cplx) {
            spmv_c(s->H, 0.0, v, w);
        } else {
            spmv_r(s->H, 0.0, v, w);
        }
        if (j > 0) {
            daxpy(len, -beta[j - 1], vp, w);
        }
        alpha[j] = ddot(len, v, w);
        daxpy(len, -alpha[j], v, w);
        double c = ddot(len, v, w); /* one local reorthogonalization against v */
        daxpy(len, -c, v, w);
        alpha[j] += c;
        beta[j] = sqrt(ddot(len, w, w));
        if (beta[j] <= DBL_EPSILON * scale) { /* invariant subspace: the Ritz values are exact */
            steps = j + 1;
            beta[j] = 0.0;
            break;
        }
        double *t = vp;
        vp = v;
        v = t;
        for (size_t i = 0; i < len; i++) {
            v[i] = w[i] / beta[j];
        }
    }
    double blast = beta[steps - 1];
    dstev_("V", &steps, alpha, beta, z, &steps, work, &info, 1);
    if (info != 0) {
        st = QP_ERR_NUMERIC;
        fail(s, "LAPACK dstev failed on the Lanczos estimate (info=%d)", (int)info);
        goto done;
    }
    *theta0 = alpha[0];
    *res0 = blast * fabs(z[steps - 1]);
    *spread = alpha[(s->nev < steps ? s->nev : steps) - 1] - alpha[0];
    st = QP_OK;
done:
    free(v);
    free(vp);
    free(w);
    free(alpha);
    free(beta);
    free(z);
    free(work);
    return st;
}

/* ARPACK mode 3 on (H - sigma I)^-1 with "LM": once sigma lies below E0 (certified by the
 * Cholesky factorization succeeding, Sylvester's law of inertia), the largest 1/(lambda - sigma)
 * belong to the lowest lambda. How sigma is chosen:
 *  - a caller's sigma (o->have_sigma, e.g. the previous sweep point) is tried first;
 *  - otherwise, and whenever that fails, theta0 - margin from estimate_bottom(), with
 *    margin = max(2 res0, spread / 2, 1e-8 * local) and local = max(|theta0|, spread, res0):
 *    just below E0, so the wanted levels stay well apart after inversion (a shift far below a
 *    tight cluster makes the 1/(lambda - sigma) nearly equal and ARPACK slow), with room for the
 *    estimate's error. The scale is that of the bottom of the spectrum, not ||H||_1, which for a
 *    charge basis with a large cutoff is 1e9 times larger than the level spacings;
 *  - never below the Gershgorin bound g minus max(1e-8 |g|, 1000 eps ||H||_1), where H - sigma I
 *    is strictly diagonally dominant, so positive definite by construction and in rounding;
 *  - when CHOLMOD reports "not positive definite" (E0 < sigma, or rounding at a very small
 *    margin) the margin grows eightfold and the same symbolic analysis is refactorized.
 * *fact_failed tells AUTO to fall back to plain Lanczos. */
static qp_status shift_invert(solver *s, double *V, int *k, int *fact_failed)
{
    factor f;
    s->info.used = QP_EIG_SHIFT_INVERT;
    *fact_failed = 1;
    qp_status st = factor_init(s, &f);
    if (st == QP_OK && s->o->method == QP_EIG_AUTO) {
        /* Product bases of three or more coupled modes factor with heavy fill-in (measured: four
         * coupled transmons at n = 1.9e5 need 4.3 GiB and 137 s in shift-invert, 0.12 GiB and 15 s
         * in plain Lanczos): AUTO takes Lanczos when the factor would be that dense. */
        double lnz = f.c.lnz, nnz = (double)s->H->nnz;
        if (lnz > FILL_MAX_RATIO * nnz || lnz * sizeof(double) > FILL_MAX_BYTES) {
            fail(s, "the Cholesky factor would hold %.3g entries (%.0f per entry of H)", lnz,
                 lnz / nnz);
            factor_free(&f);
            return QP_ERR_NUMERIC;
        }
    }
    double sigma = s->o->sigma;
    int r = 1;
    if (st == QP_OK && s->o->have_sigma) {
        s->info.factorizations++;
        r = factor_shift(&f, sigma);
    }
    if (st == QP_OK && r == 1) {
        double theta0 = 0.0, res0 = 0.0, spread = 0.0;
        st = estimate_bottom(s, &theta0, &res0, &spread);
        double tiny = s->norm1 > 0.0 ? DBL_EPSILON * s->norm1 : 1.0;
        double local = fmax(fmax(fabs(theta0), spread), fmax(res0, tiny));
        double margin = fmax(fmax(2.0 * res0, 0.5 * spread), SIGMA_MIN_REL * local);
        double lowest = s->gersh - fmax(SIGMA_MIN_REL * fmax(fabs(s->gersh), tiny),
                                        GERSH_ROUNDING * DBL_EPSILON * s->norm1);
        while (st == QP_OK) {
            sigma = fmax(theta0 - margin, lowest);
            s->info.factorizations++;
            r = factor_shift(&f, sigma);
            if (r != 1 || sigma <= lowest) {
                break;
            }
            margin *= SIGMA_GROWTH;
        }
    }
    if (st == QP_OK && r != 0) {
        st = f.c.status == CHOLMOD_OUT_OF_MEMORY ? QP_ERR_NOMEM : QP_ERR_NUMERIC;
        fail(s, "CHOLMOD could not factorize H - sigma I at sigma = %.17g (%s)", sigma,
             cholmod_status_str(f.c.status));
    }
    if (st == QP_OK) {
        *fact_failed = 0;
        s->info.sigma = sigma;
        op_t op = {s->H, 0.0, &f};
        st = arpack_run(s, &op, 3, sigma, V, k);
    }
    factor_free(&f);
    return st;
}

/* ---------------------------------------------------------------- Rayleigh-Ritz and checks */

/* Classical Gram-Schmidt, twice ("twice is enough"), on the k columns of V. Returns 0 when a
 * column loses almost all of its norm, i.e. the columns are linearly dependent. */
static int orthonormalize(size_t n, size_t k, double *V)
{
    for (size_t j = 0; j < k; j++) {
        double *vj = V + 2 * n * j, cr, ci;
        double before = znrm(n, vj);
        for (int pass = 0; pass < 2; pass++) {
            for (size_t i = 0; i < j; i++) {
                zdot(n, V + 2 * n * i, vj, &cr, &ci);
                zsub(n, cr, ci, V + 2 * n * i, vj);
            }
        }
        double after = znrm(n, vj);
        if (!(after > ORTH_DROP * before)) {
            return 0;
        }
        for (size_t i = 0; i < 2 * n; i++) {
            vj[i] /= after;
        }
    }
    return 1;
}

/* V <- V Q for V n x k and Q k x k (complex, column-major), one row at a time through row[2k]. */
static void rotate(size_t n, size_t k, double *V, const double *Q, double *row)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < k; j++) {
            double re = 0.0, im = 0.0;
            for (size_t l = 0; l < k; l++) {
                double vr = V[2 * (i + l * n)], vi = V[2 * (i + l * n) + 1];
                double qr = Q[2 * (l + j * k)], qi = Q[2 * (l + j * k) + 1];
                re += vr * qr - vi * qi;
                im += vr * qi + vi * qr;
            }
            row[2 * j] = re;
            row[2 * j + 1] = im;
        }
        for (size_t j = 0; j < k; j++) {
            V[2 * (i + j * n)] = row[2 * j];
            V[2 * (i + j * n) + 1] = row[2 * j + 1];
        }
    }
}

/* Orthonormalizes the k columns of V, then diagonalizes V^H H V and rotates V onto its
 * eigenvectors: exact orthonormality, eigenvalues that are Rayleigh quotients (error ~
 * residual^2 / gap), and clean vectors inside degenerate clusters. vals[k] come out ascending. */
static qp_status rayleigh_ritz(solver *s, double *V, int k, double *vals)
{
    size_t n = s->n, kk = (size_t)k;
    lp_int kl = k, lwork = -1, info = 0;
    qp_status st = QP_ERR_NOMEM;
    double *w = alloc_n(2 * n, sizeof *w), *G = alloc_n(2 * kk * kk, sizeof *G);
    double *Gr = alloc_n(kk * kk, sizeof *Gr), *rwork = alloc_n(3 * kk, sizeof *rwork);
    double *row = alloc_n(2 * kk, sizeof *row), *work = NULL, wq = 0.0;
    if (!w || !G || !Gr || !rwork || !row) {
        fail(s, "out of memory in the Rayleigh-Ritz step");
        goto done;
    }
    if (!orthonormalize(n, kk, V)) {
        st = QP_ERR_NUMERIC;
        fail(s, "ARPACK returned linearly dependent vectors (%d of them)", k);
        goto done;
    }
    for (size_t j = 0; j < kk; j++) {
        spmv_c(s->H, 0.0, V + 2 * n * j, w);
        for (size_t i = 0; i < kk; i++) {
            zdot(n, V + 2 * n * i, w, &G[2 * (i + j * kk)], &G[2 * (i + j * kk) + 1]);
        }
    }
    for (size_t j = 0; j < kk; j++) { /* symmetrize: G = (G + G^H) / 2 */
        for (size_t i = 0; i <= j; i++) {
            double *a = &G[2 * (i + j * kk)], *b = &G[2 * (j + i * kk)];
            double re = 0.5 * (a[0] + b[0]), im = 0.5 * (a[1] - b[1]);
            a[0] = re;
            a[1] = im;
            b[0] = re;
            b[1] = -im;
            Gr[i + j * kk] = Gr[j + i * kk] = re;
        }
    }
    if (s->cplx) {
        zheev_("V", "L", &kl, G, &kl, vals, &wq, &lwork, rwork, &info, 1, 1);
        lwork = (lp_int)wq;
        work = alloc_n(2 * (size_t)lwork, sizeof *work);
        if (!work) {
            fail(s, "out of memory in the Rayleigh-Ritz step");
            goto done;
        }
        zheev_("V", "L", &kl, G, &kl, vals, work, &lwork, rwork, &info, 1, 1);
    } else {
        dsyev_("V", "L", &kl, Gr, &kl, vals, &wq, &lwork, &info, 1, 1);
        lwork = (lp_int)wq;
        work = alloc_n((size_t)lwork, sizeof *work);
        if (!work) {
            fail(s, "out of memory in the Rayleigh-Ritz step");
            goto done;
        }
        dsyev_("V", "L", &kl, Gr, &kl, vals, work, &lwork, &info, 1, 1);
        for (size_t p = 0; p < kk * kk; p++) {
            G[2 * p] = Gr[p];
            G[2 * p + 1] = 0.0;
        }
    }
    if (info != 0) {
        st = QP_ERR_NUMERIC;
        fail(s, "LAPACK %s failed in the Rayleigh-Ritz step (info=%d)",
             s->cplx ? "zheev" : "dsyev", (int)info);
        goto done;
    }
    rotate(n, kk, V, G, row);
    st = QP_OK;
done:
    free(w);
    free(G);
    free(Gr);
    free(rwork);
    free(row);
    free(work);
    return st;
}

/* Residuals of the first nev pairs (relative to max(1, ||H||_1)) and the phase convention: the
 * largest-magnitude component (the first one among equals) becomes real and positive. */
static qp_status check_pairs(solver *s, double *V, const double *vals)
{
    size_t n = s->n;
    double *w = alloc_n(2 * n, sizeof *w), worst = 0.0;
    int worst_j = 0;
    if (!w) {
        fail(s, "out of memory checking residuals");
        return QP_ERR_NOMEM;
    }
    for (int j = 0; j < s->nev; j++) {
        double *v = V + 2 * n * (size_t)j;
        spmv_c(s->H, -vals[j], v, w);
        double r = znrm(n, w) / fmax(1.0, s->norm1);
        if (!(r <= worst)) { /* also catches NaN */
            worst = r;
            worst_j = j;
        }
        size_t p = 0;
        double big = -1.0;
        for (size_t i = 0; i < n; i++) {
            double a = v[2 * i] * v[2 * i] + v[2 * i + 1] * v[2 * i + 1];
            if (a > big) {
                big = a;
                p = i;
            }
        }
        if (!s->cplx) {
            if (v[2 * p] < 0.0) {
                for (size_t i = 0; i < n; i++) {
                    v[2 * i] = -v[2 * i];
                }
            }
            continue;
        }
        double mag = sqrt(big), pr = v[2 * p] / mag, pi = -v[2 * p + 1] / mag;
        for (size_t i = 0; i < n; i++) {
            double a = v[2 * i], b = v[2 * i + 1];
            v[2 * i] = a * pr - b * pi;
            v[2 * i + 1] = a * pi + b * pr;
        }
        v[2 * p + 1] = 0.0;
    }
    free(w);
    s->info.max_residual = worst;
    double limit = s->o->resid_tol;
    if (!(worst <= limit)) {
        fail(s, "%s: residual %.3g of eigenpair %d (lambda = %.17g) exceeds %.3g",
             qp_eig_method_name(s->info.used), worst, worst_j, vals[worst_j], limit);
        return QP_ERR_NUMERIC;
    }
    return QP_OK;
}

/* ---------------------------------------------------------------- entry points */

void qp_eig_opts_default(qp_eig_opts *o)
{
    memset(o, 0, sizeof *o);
    o->nev = 1;
    o->want_vectors = 0;
    o->tol = DEFAULT_TOL;
    o->maxiter = DEFAULT_MAXITER;
    o->dense_max = DEFAULT_DENSE_MAX;
    o->method = QP_EIG_AUTO;
    o->ncv = 0;
    o->resid_tol = DEFAULT_RESID_TOL;
    o->have_sigma = 0;
    o->sigma = 0.0;
}

const char *qp_eig_method_name(qp_eig_method m)
{
    switch (m) {
    case QP_EIG_AUTO:
        return "auto";
    case QP_EIG_DENSE:
        return "dense";
    case QP_EIG_LANCZOS:
        return "lanczos";
    case QP_EIG_SHIFT_INVERT:
        return "shift-invert";
    }
    return "unknown";
}

/* Arguments that do not depend on the matrix values; resolves AUTO. */
static qp_status check_args(solver *s, const double *evals, const double *vecs,
                            qp_eig_method *method)
{
    const qp_eig_opts *o = s->o;
    size_t n = s->n;
    if (!evals || (o->want_vectors && !vecs)) {
        fail(s, "evals is NULL, or vecs is NULL with want_vectors");
        return QP_ERR_USAGE;
    }
    if (n == 0 || n > (size_t)INT_MAX) {
        fail(s, "matrix dimension %zu is out of range (1 .. %d)", n, INT_MAX);
        return QP_ERR_USAGE;
    }
    if (o->nev < 1 || (size_t)o->nev > n) {
        fail(s, "nev = %d must lie in 1 .. n = %zu", o->nev, n);
        return QP_ERR_USAGE;
    }
    if (!(o->tol >= 0.0) || o->maxiter < 1 || !(o->resid_tol > 0.0) ||
        (o->method != QP_EIG_AUTO && o->method != QP_EIG_DENSE && o->method != QP_EIG_LANCZOS &&
         o->method != QP_EIG_SHIFT_INVERT) ||
        (o->have_sigma && !isfinite(o->sigma))) {
        fail(s, "invalid options (tol >= 0, maxiter >= 1, resid_tol > 0, known method, finite "
                "sigma)");
        return QP_ERR_USAGE;
    }
    *method = o->method;
    if (*method == QP_EIG_AUTO) {
        *method = n <= o->dense_max ? QP_EIG_DENSE : QP_EIG_SHIFT_INVERT;
    }
    if (*method == QP_EIG_DENSE) {
        if (n > 46340) { /* n^2 must fit LAPACK's 32-bit workspace arithmetic */
            fail(s, "dimension %zu is too large for the dense method", n);
            return QP_ERR_USAGE;
        }
        return QP_OK;
    }
    /* dsaupd needs nev < ncv <= n; znaupd/zneupd need ncv - nev >= 2, hence nev < n - 1. */
    size_t gap = s->cplx ? 2 : 1;
    if ((size_t)o->nev + gap > n) {
        fail(s, "nev = %d must be at most n - %zu = %zu for the sparse (ARPACK) methods%s",
             o->nev, gap, n - gap, s->cplx ? " on a complex matrix" : "");
        return QP_ERR_USAGE;
    }
    if (o->ncv != 0 && ((size_t)o->ncv < (size_t)o->nev + gap || (size_t)o->ncv > n)) {
        fail(s, "ncv = %d must satisfy nev + %zu <= ncv <= n", o->ncv, gap);
        return QP_ERR_USAGE;
    }
    size_t ncv = o->ncv ? (size_t)o->ncv : 2 * (size_t)o->nev + 1;
    if (!o->ncv && ncv < NCV_MIN) {
        ncv = NCV_MIN;
    }
    s->ncv = (int)(ncv < n ? ncv : n);
    return QP_OK;
}

/* The ARPACK paths: shift-invert (with AUTO's fallback to Lanczos when the factorization fails)
 * or Lanczos, then Rayleigh-Ritz on the returned basis. */
static qp_status sparse_solve(solver *s, qp_eig_method method, double *vals, double *V)
{
    int k = 0, fact_failed = 0;
    qp_status st = QP_OK;
    if (method == QP_EIG_SHIFT_INVERT) {
        st = shift_invert(s, V, &k, &fact_failed);
    }
    if (method == QP_EIG_LANCZOS || (fact_failed && s->o->method == QP_EIG_AUTO)) {
        char why[160] = "";
        if (fact_failed && s->err && s->errlen) {
            snprintf(why, sizeof why, "%s", s->err);
            s->err[0] = '\0';
        }
        s->info.fell_back = fact_failed;
        st = lanczos(s, V, &k);
        if (st != QP_OK && why[0] && strlen(s->err) + 1 < s->errlen) {
            size_t used = strlen(s->err);
            snprintf(s->err + used, s->errlen - used, " (fallback after: %s)", why);
        }
    }
    if (st == QP_OK && k < s->nev) {
        st = QP_ERR_NUMERIC;
        fail(s, "ARPACK converged only %d of %d eigenvalues", k, s->nev);
    }
    return st == QP_OK ? rayleigh_ritz(s, V, k, vals) : st;
}

qp_status qp_eig_lowest(const qp_sparse *H, const qp_eig_opts *o, double *evals, double *vecs,
                        qp_eig_info *info, char *err, size_t errlen)
{
    qp_eig_opts defaults;
    if (!o) {
        qp_eig_opts_default(&defaults);
        o = &defaults;
    }
    if (err && errlen) {
        err[0] = '\0';
    }
    solver s = {.H = H, .o = o, .err = err, .errlen = errlen};
    s.info.used = o->method;
    double *V = NULL, *vals = NULL;
    qp_eig_method method = QP_EIG_AUTO;
    qp_status st;
    if (!H) {
        fail(&s, "matrix is NULL");
        st = QP_ERR_USAGE;
        goto done;
    }
    s.n = H->n;
    s.cplx = H->im != NULL;
    s.nev = o->nev;
    s.tol = o->tol;
    s.maxiter = o->maxiter;
    st = check_args(&s, evals, vecs, &method);
    if (st == QP_OK) {
        st = check_matrix(&s);
    }
    if (st != QP_OK) {
        goto done;
    }
    s.info.used = method;
    V = alloc_n(mul_sat(2 * s.n, (size_t)s.nev), sizeof *V);
    vals = alloc_n((size_t)s.nev, sizeof *vals);
    if (!V || !vals) {
        fail(&s, "out of memory for %d vectors of dimension %zu", s.nev, s.n);
        st = QP_ERR_NOMEM;
        goto done;
    }
    st = method == QP_EIG_DENSE ? dense_solve(&s, vals, V) : sparse_solve(&s, method, vals, V);
    if (st == QP_OK) {
        st = check_pairs(&s, V, vals);
    }
    if (st == QP_OK) {
        memcpy(evals, vals, (size_t)s.nev * sizeof *evals);
        if (o->want_vectors) {
            memcpy(vecs, V, 2 * s.n * (size_t)s.nev * sizeof *vecs);
        }
    }
done:
    free(V);
    free(vals);
    if (info) {
        *info = s.info;
    }
    return st;
}
