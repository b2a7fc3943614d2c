/* Exact integer linear algebra for the quantizer: Smith form, unimodular inverse, saturation,
 * and integer bases of rational kernels of real matrices. */
#include "circuit/intmat.h"
#include "solve/lapack.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DENOMINATOR 1000    /* largest denominator read from a kernel entry */
#define MAX_KERNEL_ENTRY 1e9    /* larger echelon entries are not read as fractions */
#define RATIONAL_ATOL 1e-8      /* allowed |p/q - x| when reading a kernel entry x as p/q */
#define RREF_PIVOT_TOL 1e-9     /* echelon pivots of the orthonormal null basis below this are 0 */
#define KERNEL_RESID_RTOL 1e-7  /* |M k| <= (tol + this) max|M| |k|_1 for each integer vector */
#define SHORTEN_RTOL 1e-9       /* a size-reduction step must shrink |row|^2 by this fraction */
#define MAX_SHORTEN_SWEEPS 100  /* cap on size-reduction sweeps (each kept step shrinks a row) */

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

/* Nearest-integer quotient of a / b (b != 0), so that |a - q b| <= |b| / 2: Euclid steps then
 * shrink remainders fastest, which keeps the transformation matrices small. 0 on overflow. */
static int quot(long long a, long long b, long long *q)
{
    if (b == -1 && a == LLONG_MIN) {
        return 0;
    }
    long long t = a / b, r = a % b;
    if (mag(r) > mag(b) / 2) { /* mag(2r) > mag(b) without overflow, rounding half towards 0 */
        t += ((r < 0) == (b < 0)) ? 1 : -1;
    }
    *q = t;
    return 1;
}

/* Floor of a / b for b > 0. */
static long long floordiv(long long a, long long b)
{
    long long q = a / b;
    return (a % b < 0) ? q - 1 : q;
}

/* ---- row operations ---- */

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

/* ---- size reduction by free rows ---- */

/* Row i -= q row j when no entry overflows; otherwise leaves the row alone and returns 0. */
static int row_submul_if_fits(qp_imat *m, size_t i, size_t j, long long q)
{
    for (size_t c = 0; c < m->cols; c++) {
        long long x = AT(m, i, c);
        if (!submul(&x, q, AT(m, j, c))) {
            return 0;
        }
    }
    return row_submul(m, i, j, q);
}

static double row_dot(const qp_imat *m, size_t i, size_t j)
{
    double d = 0.0;
    for (size_t c = 0; c < m->cols; c++) {
        d += (double)AT(m, i, c) * (double)AT(m, j, c);
    }
    return d;
}

/* Shortens row i by the rounded multiple of row j closest to its projection; 1 if it changed. */
static int shorten_row(qp_imat *w, size_t i, size_t j)
{
    double dij = row_dot(w, i, j), djj = row_dot(w, j, j);
    if (djj == 0.0) {
        return 0;
    }
    double c = nearbyint(dij / djj);
    if (c == 0.0 || !(fabs(c) < 0x1p62)) {
        return 0;
    }
    /* |r_i - c r_j|^2 - |r_i|^2 = c (c djj - 2 dij); demand a clear decrease so that rounding in
     * the doubles cannot make the sweeps cycle. */
    if (!(c * (c * djj - 2.0 * dij) < -SHORTEN_RTOL * row_dot(w, i, i))) {
        return 0;
    }
    return row_submul_if_fits(w, i, j, (long long)c);
}

/* The rows k.. of the transform w correspond to zero rows of the reduced matrix, so adding them
 * to any row of w changes nothing else. Without this the Euclid steps let those kernel rows, and
 * the rows they get mixed into, grow without need. A weak LLL without swaps: each accepted step
 * shortens a row, and steps that would overflow are skipped, so it cannot fail. */
static void reduce_by_free_rows(qp_imat *w, size_t k)
{
    int changed = 1;
    for (int sweep = 0; changed && sweep < MAX_SHORTEN_SWEEPS; sweep++) {
        changed = 0;
        for (size_t i = 0; i < w->rows; i++) {
            for (size_t j = k; j < w->rows; j++) {
                if (j != i && shorten_row(w, i, j)) {
                    changed = 1;
                }
            }
        }
    }
}

/* ---- Smith form ---- */

static int is_diagonal(const qp_imat *s)
{
    for (size_t i = 0; i < s->rows; i++) {
        for (size_t j = 0; j < s->cols; j++) {
            if (i != j && AT(s, i, j)) {
                return 0;
            }
        }
    }
    return 1;
}

static void transpose_into(const qp_imat *a, qp_imat *t)
{
    for (size_t i = 0; i < a->rows; i++) {
        for (size_t j = 0; j < a->cols; j++) {
            AT(t, j, i) = AT(a, i, j);
        }
    }
}

/* Alternates row and column Hermite forms until the matrix is diagonal. Each Hermite pass keeps
 * the entries reduced below their pivots, and the transforms are shortened by their free rows
 * after each pass; this keeps L and R far smaller than pivoting on single entries does. The loop
 * ends: the leading pivot can only shrink, and once it divides its row and column the same
 * argument applies to the trailing block. Column passes work on the transposes S^T and R^T. */
qp_status qp_imat_smith(const qp_imat *A, qp_imat *L, qp_imat *S, qp_imat *R, size_t *rank)
{
    if (!valid(A) || !L || !S || !R) {
        return QP_ERR_USAGE;
    }
    qp_imat l = {0}, s = {0}, st_ = {0}, rt = {0}, r = {0};
    size_t k = 0;
    qp_status st;
    if ((st = copy(A, &s)) != QP_OK || (st = qp_imat_identity(&l, A->rows)) != QP_OK ||
        (st = qp_imat_identity(&rt, A->cols)) != QP_OK ||
        (st = qp_imat_alloc(&st_, A->cols, A->rows)) != QP_OK) {
        goto done;
    }
    for (;;) {
        if (!hermite(&s, &l, &k)) {
            st = QP_ERR_NUMERIC;
            goto done;
        }
        reduce_by_free_rows(&l, k);
        if (is_diagonal(&s)) {
            break;
        }
        transpose_into(&s, &st_);
        if (!hermite(&st_, &rt, &k)) {
            st = QP_ERR_NUMERIC;
            goto done;
        }
        reduce_by_free_rows(&rt, k);
        transpose_into(&st_, &s);
        if (is_diagonal(&s)) {
            break;
        }
    }
    if ((st = qp_imat_transpose(&rt, &r)) != QP_OK) {
        goto done;
    }
    *L = l, *S = s, *R = r;
    l = s = r = (qp_imat){0};
    if (rank) {
        *rank = k;
    }
done:
    qp_imat_free(&l), qp_imat_free(&s), qp_imat_free(&st_), qp_imat_free(&rt), qp_imat_free(&r);
    return st;
}

/* ---- inverse ---- */

/* Exact inverse by residues: M^-1 modulo three primes near 2^31, Chinese remaindering into the
 * symmetric range (|x| < 2^92), then the exact check M X = 1. Unlike elimination over the
 * integers, no intermediate grows: the answer is found whenever it fits a long long. */
__extension__ typedef __int128 wide;

static const long long INV_PRIMES[3] = {2147483647LL, 2147483629LL, 2147483587LL};

static long long mod_p(long long a, long long p)
{
    long long r = a % p;
    return r < 0 ? r + p : r;
}

static long long pow_mod(long long b, long long e, long long p)
{
    long long r = 1;
    b = mod_p(b, p);
    for (; e; e >>= 1) {
        if (e & 1) {
            r = r * b % p;
        }
        b = b * b % p;
    }
    return r;
}

/* x = M^-1 mod p (n x n, row-major) by Gauss-Jordan on [M | 1] held in `aug` (n x 2n);
 * 0 when M is singular modulo p. */
static int inverse_mod(const qp_imat *M, long long p, long long *aug, long long *x)
{
    size_t n = M->rows, w = 2 * n;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            aug[i * w + j] = mod_p(AT(M, i, j), p);
            aug[i * w + n + j] = i == j;
        }
    }
    for (size_t c = 0; c < n; c++) {
        size_t r = c;
        while (r < n && aug[r * w + c] == 0) {
            r++;
        }
        if (r == n) {
            return 0;
        }
        for (size_t j = 0; j < w; j++) {
            long long t = aug[r * w + j];
            aug[r * w + j] = aug[c * w + j];
            aug[c * w + j] = t;
        }
        long long inv = pow_mod(aug[c * w + c], p - 2, p);
        for (size_t j = 0; j < w; j++) {
            aug[c * w + j] = aug[c * w + j] * inv % p;
        }
        for (size_t i = 0; i < n; i++) {
            long long f = aug[i * w + c];
            if (i != c && f) {
                for (size_t j = 0; j < w; j++) {
                    aug[i * w + j] = mod_p(aug[i * w + j] - f * aug[c * w + j] % p, p);
                }
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            x[i * n + j] = aug[i * w + n + j];
        }
    }
    return 1;
}

/* The integer of least magnitude with residues a[k] modulo INV_PRIMES[k] (Garner); 0 if it does
 * not fit a long long. */
static int crt3(const long long *a, long long *out)
{
    const long long p1 = INV_PRIMES[0], p2 = INV_PRIMES[1], p3 = INV_PRIMES[2];
    long long t2 = mod_p(a[1] - a[0], p2) * pow_mod(p1, p2 - 2, p2) % p2;
    wide x12 = (wide)a[0] + (wide)p1 * t2, p12 = (wide)p1 * p2;
    long long r3 = (long long)(x12 % p3), inv12 = pow_mod((long long)(p12 % p3), p3 - 2, p3);
    long long t3 = mod_p(a[2] - r3, p3) * inv12 % p3;
    wide x = x12 + p12 * t3, prod = p12 * p3;
    if (x > prod / 2) {
        x -= prod;
    }
    if (x < LLONG_MIN || x > LLONG_MAX) {
        return 0;
    }
    *out = (long long)x;
    return 1;
}

/* M X == 1 exactly (128-bit accumulation, overflow-checked). */
static int is_inverse(const qp_imat *M, const qp_imat *X)
{
    size_t n = M->rows;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            wide acc = 0;
            for (size_t k = 0; k < n; k++) {
                if (__builtin_add_overflow(acc, (wide)AT(M, i, k) * AT(X, k, j), &acc)) {
                    return 0;
                }
            }
            if (acc != (i == j)) {
                return 0;
            }
        }
    }
    return 1;
}

qp_status qp_imat_inverse(const qp_imat *M, qp_imat *Minv)
{
    if (!valid(M) || !Minv || M->rows != M->cols) {
        return QP_ERR_USAGE;
    }
    size_t n = M->rows;
    if (n > SIZE_MAX / 2 / sizeof(long long) / (n ? 3 * n : 1)) {
        return QP_ERR_NOMEM;
    }
    qp_imat x = {0};
    long long *aug = malloc((n ? 2 * n * n : 1) * sizeof *aug);
    long long *res = malloc((n ? 3 * n * n : 1) * sizeof *res);
    qp_status st = QP_ERR_NOMEM;
    if (!aug || !res || qp_imat_alloc(&x, n, n) != QP_OK) {
        goto done;
    }
    st = QP_ERR_NUMERIC;
    for (size_t k = 0; k < 3; k++) {
        if (!inverse_mod(M, INV_PRIMES[k], aug, res + k * n * n)) {
            goto done; /* det = 0 modulo a prime: not +-1 */
        }
    }
    for (size_t e = 0; e < n * n; e++) {
        const long long a[3] = {res[e], res[n * n + e], res[2 * n * n + e]};
        if (!crt3(a, &x.a[e])) {
            goto done;
        }
    }
    if (!is_inverse(M, &x)) {
        goto done; /* |det| != 1, or the inverse does not fit a long long */
    }
    *Minv = x;
    x = (qp_imat){0};
    st = QP_OK;
done:
    free(aug), free(res);
    qp_imat_free(&x);
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
    dgesvd_("N", "A", &m, &n, a, &m, s, &udummy, &one, vt, &n, &wq, &lwork, &info, 1, 1);
    if (info != 0 || !(wq < (double)INT_MAX)) {
        st = QP_ERR_NUMERIC;
        goto done;
    }
    lwork = (int)wq;
    work = malloc((size_t)(lwork > 1 ? lwork : 1) * sizeof *work);
    if (!work) {
        goto done;
    }
    dgesvd_("N", "A", &m, &n, a, &m, s, &udummy, &one, vt, &n, work, &lwork, &info, 1, 1);
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
