/* Exact integer linear algebra for the quantizer: Smith form, unimodular inverse, saturation,
 * and integer bases of rational kernels of real matrices. */
#include "qpsim/intmat.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK (Fortran symbol): singular value decomposition. */
void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a,
             const int *lda, double *s, double *u, const int *ldu, double *vt, const int *ldvt,
             double *work, const int *lwork, int *info);

#define MAX_DENOMINATOR 1000    /* largest denominator read from a kernel entry */
#define MAX_KERNEL_ENTRY 1e9    /* larger echelon entries are not read as fractions */
#define RATIONAL_ATOL 1e-8      /* allowed |p/q - x| when reading a kernel entry x as p/q */
#define RREF_PIVOT_TOL 1e-9     /* echelon pivots of the orthonormal null basis below this are 0 */
#define KERNEL_RESID_RTOL 1e-7  /* |M k| <= (tol + this) max|M| |k|_1 for each integer vector */

#define AT(m, i, j) ((m)->a[(size_t)(i) * (m)->cols + (size_t)(j)])

/* ---- checked scalar arithmetic ---- */

static unsigned long long mag(long long x)
{
    return x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
}

/* *x -= q * y; 0 on overflow. */
static int submul(long long *x, long long q, long long y)
{
    long long p;
    return !__builtin_mul_overflow(q, y, &p) && !__builtin_sub_overflow(*x, p, x);
}

/* *x += q * y; 0 on overflow. */
static int addmul(long long *x, long long q, long long y)
{
    long long p;
    return !__builtin_mul_overflow(q, y, &p) && !__builtin_add_overflow(*x, p, x);
}

/* Truncating quotient a / b (b != 0); 0 on overflow (LLONG_MIN / -1). */
static int quot(long long a, long long b, long long *q)
{
    if (b == -1 && a == LLONG_MIN) {
        return 0;
    }
    *q = a / b;
    return 1;
}

/* Floor of a / b for b > 0. */
static long long floordiv(long long a, long long b)
{
    long long q = a / b;
    return (a % b < 0) ? q - 1 : q;
}

/* ---- row and column operations (same operation applied to a companion matrix) ---- */

/* Row i -= q row j. */
static int row_submul(qp_imat *m, size_t i, size_t j, long long q)
{
    for (size_t c = 0; c < m->cols; c++) {
        if (!submul(&AT(m, i, c), q, AT(m, j, c))) {
            return 0;
        }
    }
    return 1;
}

/* Column i -= q column j. */
static int col_submul(qp_imat *m, size_t i, size_t j, long long q)
{
    for (size_t r = 0; r < m->rows; r++) {
        if (!submul(&AT(m, r, i), q, AT(m, r, j))) {
            return 0;
        }
    }
    return 1;
}

static void row_swap(qp_imat *m, size_t i, size_t j)
{
    if (i == j) {
        return;
    }
    for (size_t c = 0; c < m->cols; c++) {
        long long t = AT(m, i, c);
        AT(m, i, c) = AT(m, j, c);
        AT(m, j, c) = t;
    }
}

static void col_swap(qp_imat *m, size_t i, size_t j)
{
    if (i == j) {
        return;
    }
    for (size_t r = 0; r < m->rows; r++) {
        long long t = AT(m, r, i);
        AT(m, r, i) = AT(m, r, j);
        AT(m, r, j) = t;
    }
}

static int row_negate(qp_imat *m, size_t i)
{
    for (size_t c = 0; c < m->cols; c++) {
        if (AT(m, i, c) == LLONG_MIN) {
            return 0;
        }
        AT(m, i, c) = -AT(m, i, c);
    }
    return 1;
}

/* ---- basics ---- */

static int valid(const qp_imat *m)
{
    return m && (m->a || m->rows == 0 || m->cols == 0);
}

qp_status qp_imat_alloc(qp_imat *m, size_t rows, size_t cols)
{
    if (!m) {
        return QP_ERR_USAGE;
    }
    if (cols && rows > SIZE_MAX / sizeof(long long) / cols) {
        return QP_ERR_NOMEM;
    }
    size_t n = rows * cols;
    long long *a = calloc(n ? n : 1, sizeof *a); /* never NULL on success, even when empty */
    if (!a) {
        return QP_ERR_NOMEM;
    }
    m->rows = rows;
    m->cols = cols;
    m->a = a;
    return QP_OK;
}

void qp_imat_free(qp_imat *m)
{
    if (m) {
        free(m->a);
        m->a = NULL;
        m->rows = m->cols = 0;
    }
}

qp_status qp_imat_identity(qp_imat *m, size_t n)
{
    qp_imat t;
    qp_status st = qp_imat_alloc(&t, n, n);
    if (st != QP_OK) {
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        AT(&t, i, i) = 1;
    }
    *m = t;
    return QP_OK;
}

static qp_status copy(const qp_imat *A, qp_imat *out)
{
    qp_imat t;
    qp_status st = qp_imat_alloc(&t, A->rows, A->cols);
    if (st != QP_OK) {
        return st;
    }
    if (A->rows && A->cols) {
        memcpy(t.a, A->a, A->rows * A->cols * sizeof *t.a);
    }
    *out = t;
    return QP_OK;
}

qp_status qp_imat_mul(const qp_imat *A, const qp_imat *B, qp_imat *C)
{
    if (!valid(A) || !valid(B) || !C || A->cols != B->rows) {
        return QP_ERR_USAGE;
    }
    qp_imat t;
    qp_status st = qp_imat_alloc(&t, A->rows, B->cols);
    if (st != QP_OK) {
        return st;
    }
    for (size_t i = 0; i < A->rows; i++) {
        for (size_t j = 0; j < B->cols; j++) {
            long long acc = 0;
            for (size_t k = 0; k < A->cols; k++) {
                if (!addmul(&acc, AT(A, i, k), AT(B, k, j))) {
                    qp_imat_free(&t);
                    return QP_ERR_NUMERIC;
                }
            }
            AT(&t, i, j) = acc;
        }
    }
    *C = t;
    return QP_OK;
}

qp_status qp_imat_transpose(const qp_imat *A, qp_imat *T)
{
    if (!valid(A) || !T) {
        return QP_ERR_USAGE;
    }
    qp_imat t;
    qp_status st = qp_imat_alloc(&t, A->cols, A->rows);
    if (st != QP_OK) {
        return st;
    }
    for (size_t i = 0; i < A->rows; i++) {
        for (size_t j = 0; j < A->cols; j++) {
            AT(&t, j, i) = AT(A, i, j);
        }
    }
    *T = t;
    return QP_OK;
}

/* ---- Smith form ---- */

/* Position of a non-zero entry of least magnitude in the block [t.., t..]; 0 if the block is 0. */
static int least_entry(const qp_imat *s, size_t t, size_t *pi, size_t *pj)
{
    int found = 0;
    for (size_t i = t; i < s->rows; i++) {
        for (size_t j = t; j < s->cols; j++) {
            long long v = AT(s, i, j);
            if (v && (!found || mag(v) < mag(AT(s, *pi, *pj)))) {
                *pi = i, *pj = j, found = 1;
            }
        }
    }
    return found;
}

/* Clears row t and column t of s outside the pivot (t, t) by Euclid steps: rows of s and l and
 * columns of s and r. Whenever a remainder survives, the least one becomes the pivot, so the
 * pivot magnitude decreases strictly and the loop ends. */
static int clear_cross(qp_imat *s, qp_imat *l, qp_imat *r, size_t t)
{
    for (;;) {
        long long p = AT(s, t, t), q;
        for (size_t i = t + 1; i < s->rows; i++) {
            if (!quot(AT(s, i, t), p, &q)) {
                return 0;
            }
            if (q && !(row_submul(s, i, t, q) && row_submul(l, i, t, q))) {
                return 0;
            }
        }
        for (size_t j = t + 1; j < s->cols; j++) {
            if (!quot(AT(s, t, j), p, &q)) {
                return 0;
            }
            if (q && !(col_submul(s, j, t, q) && col_submul(r, j, t, q))) {
                return 0;
            }
        }
        size_t bi = t, bj = t;
        unsigned long long best = 0;
        for (size_t i = t + 1; i < s->rows; i++) {
            if (AT(s, i, t) && (!best || mag(AT(s, i, t)) < best)) {
                best = mag(AT(s, i, t)), bi = i, bj = t;
            }
        }
        for (size_t j = t + 1; j < s->cols; j++) {
            if (AT(s, t, j) && (!best || mag(AT(s, t, j)) < best)) {
                best = mag(AT(s, t, j)), bi = t, bj = j;
            }
        }
        if (!best) {
            return 1;
        }
        row_swap(s, t, bi), row_swap(l, t, bi);
        col_swap(s, t, bj), col_swap(r, t, bj);
    }
}

qp_status qp_imat_smith(const qp_imat *A, qp_imat *L, qp_imat *S, qp_imat *R, size_t *rank)
{
    if (!valid(A) || !L || !S || !R) {
        return QP_ERR_USAGE;
    }
    qp_imat l = {0}, s = {0}, r = {0};
    qp_status st;
    if ((st = copy(A, &s)) != QP_OK || (st = qp_imat_identity(&l, A->rows)) != QP_OK ||
        (st = qp_imat_identity(&r, A->cols)) != QP_OK) {
        goto fail;
    }
    size_t t = 0, n = A->rows < A->cols ? A->rows : A->cols;
    for (; t < n; t++) {
        size_t pi = t, pj = t;
        if (!least_entry(&s, t, &pi, &pj)) {
            break;
        }
        row_swap(&s, t, pi), row_swap(&l, t, pi);
        col_swap(&s, t, pj), col_swap(&r, t, pj);
        if (!clear_cross(&s, &l, &r, t) ||
            (AT(&s, t, t) < 0 && !(row_negate(&s, t) && row_negate(&l, t)))) {
            st = QP_ERR_NUMERIC;
            goto fail;
        }
    }
    *L = l, *S = s, *R = r;
    if (rank) {
        *rank = t;
    }
    return QP_OK;
fail:
    qp_imat_free(&l), qp_imat_free(&s), qp_imat_free(&r);
    return st;
}

/* ---- Hermite normal form (row operations only) ---- */

/* Brings h to Hermite normal form by unimodular row operations, applied to w too when w is not
 * NULL (so that w_after = U w_before with h_after = U h_before). *rank = number of pivots. */
static int hermite(qp_imat *h, qp_imat *w, size_t *rank)
{
    size_t r = 0;
    for (size_t c = 0; c < h->cols && r < h->rows; c++) {
        for (;;) {
            size_t p = SIZE_MAX;
            for (size_t i = r; i < h->rows; i++) {
                if (AT(h, i, c) && (p == SIZE_MAX || mag(AT(h, i, c)) < mag(AT(h, p, c)))) {
                    p = i;
                }
            }
            if (p == SIZE_MAX) {
                break;
            }
            row_swap(h, r, p);
            if (w) {
                row_swap(w, r, p);
            }
            int cleared = 1;
            for (size_t i = r + 1; i < h->rows; i++) {
                long long q;
                if (!quot(AT(h, i, c), AT(h, r, c), &q)) {
                    return 0;
                }
                if (q && !(row_submul(h, i, r, q) && (!w || row_submul(w, i, r, q)))) {
                    return 0;
                }
                cleared = cleared && AT(h, i, c) == 0;
            }
            if (cleared) {
                break;
            }
        }
        if (AT(h, r, c) == 0) {
            continue; /* no pivot in this column */
        }
        if (AT(h, r, c) < 0 && !(row_negate(h, r) && (!w || row_negate(w, r)))) {
            return 0;
        }
        for (size_t i = 0; i < r; i++) {
            long long q = floordiv(AT(h, i, c), AT(h, r, c));
            if (q && !(row_submul(h, i, r, q) && (!w || row_submul(w, i, r, q)))) {
                return 0;
            }
        }
        r++;
    }
    *rank = r;
    return 1;
}

qp_status qp_imat_inverse(const qp_imat *M, qp_imat *Minv)
{
    if (!valid(M) || !Minv || M->rows != M->cols) {
        return QP_ERR_USAGE;
    }
    size_t n = M->rows, rank;
    qp_imat h = {0}, w = {0};
    qp_status st;
    if ((st = copy(M, &h)) != QP_OK || (st = qp_imat_identity(&w, n)) != QP_OK) {
        goto fail;
    }
    /* U M = H with U unimodular; M is unimodular exactly when its Hermite form is the identity,
     * and then U = M^-1. */
    st = QP_ERR_NUMERIC;
    if (!hermite(&h, &w, &rank) || rank != n) {
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        if (AT(&h, i, i) != 1) {
            goto fail;
        }
    }
    qp_imat_free(&h);
    *Minv = w;
    return QP_OK;
fail:
    qp_imat_free(&h), qp_imat_free(&w);
    return st;
}

/* ---- saturation and completion ---- */

qp_status qp_imat_saturate(const qp_imat *A, qp_imat *out)
{
    if (!valid(A) || !out) {
        return QP_ERR_USAGE;
    }
    qp_imat l = {0}, s = {0}, r = {0}, ri = {0}, b = {0};
    size_t k, rk;
    qp_status st;
    /* L A R = S: the rows of A lie in the rational span of the first k rows of R^-1, which are
     * part of a basis of Z^r and hence a basis of the saturated lattice. */
    if ((st = qp_imat_smith(A, &l, &s, &r, &k)) != QP_OK ||
        (st = qp_imat_inverse(&r, &ri)) != QP_OK || (st = qp_imat_alloc(&b, k, A->cols)) != QP_OK) {
        goto done;
    }
    if (k) {
        memcpy(b.a, ri.a, k * A->cols * sizeof *b.a);
    }
    if (!hermite(&b, NULL, &rk) || rk != k) {
        st = QP_ERR_NUMERIC;
        goto done;
    }
    *out = b;
    b = (qp_imat){0};
done:
    qp_imat_free(&l), qp_imat_free(&s), qp_imat_free(&r), qp_imat_free(&ri), qp_imat_free(&b);
    return st;
}

qp_status qp_imat_complete_rows(const qp_imat *rows, size_t r, qp_imat *V)
{
    if (!valid(rows) || !V) {
        return QP_ERR_USAGE;
    }
    size_t b = rows->rows, k;
    if (b == 0) {
        return qp_imat_identity(V, r);
    }
    if (rows->cols != r) {
        return QP_ERR_USAGE;
    }
    if (b > r) {
        return QP_ERR_NUMERIC; /* more rows than dimensions: dependent, not a basis */
    }
    qp_imat l = {0}, s = {0}, rr = {0}, li = {0}, v = {0}, head = {0}, top = {0};
    qp_status st;
    if ((st = qp_imat_smith(rows, &l, &s, &rr, &k)) != QP_OK) {
        goto done;
    }
    st = QP_ERR_NUMERIC;
    if (k != b) {
        goto done;
    }
    for (size_t i = 0; i < b; i++) {
        if (AT(&s, i, i) != 1) {
            goto done;
        }
    }
    /* L rows R = [1 0], so rows = L^-1 (first b rows of R^-1): V = diag(L^-1, 1) R^-1. */
    if ((st = qp_imat_inverse(&l, &li)) != QP_OK || (st = qp_imat_inverse(&rr, &v)) != QP_OK ||
        (st = qp_imat_alloc(&head, b, r)) != QP_OK) {
        goto done;
    }
    memcpy(head.a, v.a, b * r * sizeof *v.a);
    if ((st = qp_imat_mul(&li, &head, &top)) != QP_OK) {
        goto done;
    }
    memcpy(v.a, top.a, b * r * sizeof *v.a);
    if (memcmp(v.a, rows->a, b * r * sizeof *v.a) != 0) {
        st = QP_ERR_NUMERIC; /* cannot happen: the factorisation above is exact */
        goto done;
    }
    *V = v;
    v = (qp_imat){0};
done:
    qp_imat_free(&l), qp_imat_free(&s), qp_imat_free(&rr), qp_imat_free(&li), qp_imat_free(&v);
    qp_imat_free(&head), qp_imat_free(&top);
    return st;
}

/* ---- integer kernel of a real matrix ---- */

/* Closest fraction p/q to x >= 0 with q <= MAX_DENOMINATOR: continued-fraction convergents and
 * the last admissible semiconvergent (the rule of Python's Fraction.limit_denominator). */
static void nearest_fraction(double x, long long *p, long long *q)
{
    long long p0 = 0, q0 = 1, p1 = 1, q1 = 0;
    double y = x;
    for (;;) {
        double a = floor(y);
        if ((double)q0 + a * (double)q1 > MAX_DENOMINATOR) {
            break;
        }
        long long ai = (long long)a;
        long long p2 = p0 + ai * p1, q2 = q0 + ai * q1;
        p0 = p1, q0 = q1, p1 = p2, q1 = q2;
        if (y == a) {
            *p = p1, *q = q1;
            return;
        }
        y = 1.0 / (y - a);
    }
    long long k = (MAX_DENOMINATOR - q0) / q1;
    long long pb = p0 + k * p1, qb = q0 + k * q1;
    if (fabs((double)p1 / (double)q1 - x) <= fabs((double)pb / (double)qb - x)) {
        *p = p1, *q = q1;
    } else {
        *p = pb, *q = qb;
    }
}

/* Integer multiple of the real row x[0..n-1] (entries read as fractions with small denominators);
 * 0 when an entry is not such a fraction or the common denominator overflows. */
static int integer_row(const double *x, size_t n, long long *out)
{
    long long den = 1;
    for (size_t j = 0; j < n; j++) {
        double ax = fabs(x[j]);
        if (!(ax <= MAX_KERNEL_ENTRY)) {
            return 0;
        }
        long long p, q;
        nearest_fraction(ax, &p, &q);
        if (fabs((double)p / (double)q - ax) > RATIONAL_ATOL) {
            return 0;
        }
        long long g = den, h = q;
        while (h) {
            long long t = g % h;
            g = h, h = t;
        }
        if (__builtin_mul_overflow(den / g, q, &den)) {
            return 0;
        }
    }
    for (size_t j = 0; j < n; j++) {
        double v = x[j] * (double)den;
        if (!(fabs(v) < 0x1p62)) {
            return 0;
        }
        out[j] = llround(v);
        if (fabs((double)out[j] / (double)den - x[j]) > RATIONAL_ATOL) {
            return 0;
        }
    }
    return 1;
}

/* Reduced row echelon form of the d x n row-major matrix x with partial pivoting; returns the
 * number of pivots. */
static size_t rref(double *x, size_t d, size_t n)
{
    size_t r = 0;
    for (size_t c = 0; c < n && r < d; c++) {
        size_t p = r;
        for (size_t i = r + 1; i < d; i++) {
            if (fabs(x[i * n + c]) > fabs(x[p * n + c])) {
                p = i;
            }
        }
        if (fabs(x[p * n + c]) < RREF_PIVOT_TOL) {
            continue;
        }
        for (size_t j = 0; j < n; j++) {
            double t = x[r * n + j];
            x[r * n + j] = x[p * n + j];
            x[p * n + j] = t;
        }
        double piv = x[r * n + c];
        for (size_t j = 0; j < n; j++) {
            x[r * n + j] /= piv;
        }
        x[r * n + c] = 1.0;
        for (size_t i = 0; i < d; i++) {
            double f = x[i * n + c];
            if (i != r && f != 0.0) {
                for (size_t j = 0; j < n; j++) {
                    x[i * n + j] -= f * x[r * n + j];
                }
                x[i * n + c] = 0.0;
            }
        }
        r++;
    }
    return r;
}

/* Orthonormal basis of the numerical null space of M / scale as the rows of *basis (d x cols,
 * malloc'd), via the right singular vectors. */
static qp_status null_basis(const double *M, size_t rows, size_t cols, double scale, double tol,
                            double **basis, size_t *d)
{
    if (rows > INT_MAX || cols > INT_MAX || (rows && cols > SIZE_MAX / sizeof(double) / rows) ||
        cols > SIZE_MAX / sizeof(double) / cols) {
        return QP_ERR_NOMEM;
    }
    int m = (int)rows, n = (int)cols, one = 1, lwork = -1, info = 0;
    size_t ns = rows < cols ? rows : cols;
    double *a = malloc(rows * cols * sizeof *a), *s = malloc((ns ? ns : 1) * sizeof *s);
    double *vt = malloc(cols * cols * sizeof *vt), *work = NULL, wq = 0.0, udummy = 0.0;
    qp_status st = QP_ERR_NOMEM;
    if (!a || !s || !vt) {
        goto done;
    }
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < cols; j++) {
            a[i + j * rows] = M[i * cols + j] / scale; /* column-major for LAPACK */
        }
    }
    dgesvd_("N", "A", &m, &n, a, &m, s, &udummy, &one, vt, &n, &wq, &lwork, &info);
    if (info != 0 || !(wq < (double)INT_MAX)) {
        st = QP_ERR_NUMERIC;
        goto done;
    }
    lwork = (int)wq;
    work = malloc((size_t)(lwork > 1 ? lwork : 1) * sizeof *work);
    if (!work) {
        goto done;
    }
    dgesvd_("N", "A", &m, &n, a, &m, s, &udummy, &one, vt, &n, work, &lwork, &info);
    if (info != 0) {
        st = QP_ERR_NUMERIC;
        goto done;
    }
    size_t rank = 0;
    while (rank < ns && s[rank] > tol) {
        rank++; /* singular values come back in decreasing order */
    }
    *d = cols - rank;
    *basis = malloc((*d ? *d : 1) * cols * sizeof **basis);
    if (!*basis) {
        goto done;
    }
    for (size_t i = 0; i < *d; i++) {
        for (size_t j = 0; j < cols; j++) {
            (*basis)[i * cols + j] = vt[(rank + i) + j * cols]; /* row rank+i of V^T */
        }
    }
    st = QP_OK;
done:
    free(a), free(s), free(vt), free(work);
    return st;
}

qp_status qp_imat_int_kernel(const double *M, size_t rows, size_t cols, double tol, qp_imat *K)
{
    if (!K || (!M && rows && cols) || !(tol >= 0.0) || !isfinite(tol)) {
        return QP_ERR_USAGE;
    }
    if (cols && rows > SIZE_MAX / sizeof(double) / cols) {
        return QP_ERR_USAGE;
    }
    double scale = 0.0;
    for (size_t i = 0; i < rows * cols; i++) {
        if (!isfinite(M[i])) {
            return QP_ERR_NUMERIC;
        }
        scale = fmax(scale, fabs(M[i]));
    }
    if (cols == 0) {
        return qp_imat_alloc(K, 0, 0);
    }
    if (rows == 0 || scale == 0.0) {
        return qp_imat_identity(K, cols);
    }
    double *basis = NULL;
    size_t d = 0;
    qp_imat z = {0}, sat = {0}, k = {0};
    qp_status st = null_basis(M, rows, cols, scale, tol, &basis, &d);
    if (st != QP_OK) {
        return st;
    }
    if (d == 0) {
        free(basis);
        return qp_imat_alloc(K, cols, 0);
    }
    st = QP_ERR_NUMERIC;
    if (rref(basis, d, cols) != d) {
        goto done;
    }
    if ((st = qp_imat_alloc(&z, d, cols)) != QP_OK) {
        goto done;
    }
    st = QP_ERR_NUMERIC;
    for (size_t i = 0; i < d; i++) {
        if (!integer_row(basis + i * cols, cols, &AT(&z, i, 0))) {
            goto done;
        }
    }
    if ((st = qp_imat_saturate(&z, &sat)) != QP_OK) {
        goto done;
    }
    if (sat.rows != d) {
        st = QP_ERR_NUMERIC;
        goto done;
    }
    /* The fractions were read entry by entry: check the integer vectors really are null. */
    for (size_t v = 0; v < d; v++) {
        double norm1 = 0.0;
        for (size_t j = 0; j < cols; j++) {
            norm1 += fabs((double)AT(&sat, v, j));
        }
        for (size_t i = 0; i < rows; i++) {
            double acc = 0.0;
            for (size_t j = 0; j < cols; j++) {
                acc += M[i * cols + j] * (double)AT(&sat, v, j);
            }
            if (fabs(acc) > (tol + KERNEL_RESID_RTOL) * scale * norm1) {
                st = QP_ERR_NUMERIC;
                goto done;
            }
        }
    }
    if ((st = qp_imat_transpose(&sat, &k)) != QP_OK) {
        goto done;
    }
    *K = k;
done:
    free(basis);
    qp_imat_free(&z), qp_imat_free(&sat);
    return st;
}
