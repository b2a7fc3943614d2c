/* Unit tests: exact integer matrices (Smith form, inverse, saturation, completion, int kernels). */
#include "circuit/intmat.h"

#include "tap.h"

#include <limits.h>
#include <stdlib.h>

#define KERNEL_TOL 1e-9 /* singular values below this (relative to max|M|) count as zero */
#define NRANDOM 400     /* random matrices per property */

/* ---- helpers ---- */

static unsigned long long rng_next(unsigned long long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static long long rng_int(unsigned long long *s, long long lo, long long hi)
{
    return lo + (long long)(rng_next(s) % (unsigned long long)(hi - lo + 1));
}

static double rng_unit(unsigned long long *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

static qp_imat mk(size_t rows, size_t cols, const long long *v)
{
    qp_imat m = {0};
    if (qp_imat_alloc(&m, rows, cols) == QP_OK && v) {
        for (size_t i = 0; i < rows * cols; i++) {
            m.a[i] = v[i];
        }
    }
    return m;
}

static long long at(const qp_imat *m, size_t i, size_t j)
{
    return m->a[i * m->cols + j];
}

static int equal(const qp_imat *A, const qp_imat *B)
{
    if (A->rows != B->rows || A->cols != B->cols) {
        return 0;
    }
    for (size_t i = 0; i < A->rows * A->cols; i++) {
        if (A->a[i] != B->a[i]) {
            return 0;
        }
    }
    return 1;
}

static int is_identity(const qp_imat *A)
{
    if (A->rows != A->cols) {
        return 0;
    }
    for (size_t i = 0; i < A->rows; i++) {
        for (size_t j = 0; j < A->cols; j++) {
            if (at(A, i, j) != (i == j)) {
                return 0;
            }
        }
    }
    return 1;
}

/* M is unimodular: its exact integer inverse exists and M Minv = Minv M = 1 (so det M = +-1). */
static int unimodular(const qp_imat *M)
{
    qp_imat Mi = {0}, P = {0}, Q = {0};
    int ok = qp_imat_inverse(M, &Mi) == QP_OK && qp_imat_mul(M, &Mi, &P) == QP_OK &&
             qp_imat_mul(&Mi, M, &Q) == QP_OK && is_identity(&P) && is_identity(&Q);
    qp_imat_free(&Mi), qp_imat_free(&P), qp_imat_free(&Q);
    return ok;
}

/* Fraction-free (Bareiss) elimination, independent of the library: rank, and the determinant
 * when square. Entries must be small (all minors fit in a long long). */
static size_t bareiss(const qp_imat *A, long long *det)
{
    size_t m = A->rows, n = A->cols, r = 0;
    size_t cnt = m * n;
    long long *a = malloc((cnt ? cnt : 1) * sizeof *a), prev = 1, sign = 1;
    for (size_t i = 0; i < m * n; i++) {
        a[i] = A->a[i];
    }
    for (size_t c = 0; c < n && r < m; c++) {
        size_t p = r;
        while (p < m && a[p * n + c] == 0) {
            p++;
        }
        if (p == m) {
            continue;
        }
        if (p != r) {
            for (size_t j = 0; j < n; j++) {
                long long t = a[r * n + j];
                a[r * n + j] = a[p * n + j];
                a[p * n + j] = t;
            }
            sign = -sign;
        }
        for (size_t i = r + 1; i < m; i++) {
            for (size_t j = c + 1; j < n; j++) {
                a[i * n + j] = (a[r * n + c] * a[i * n + j] - a[i * n + c] * a[r * n + j]) / prev;
            }
            a[i * n + c] = 0;
        }
        prev = a[r * n + c];
        r++;
    }
    if (det) {
        *det = (m == n && r == n) ? sign * (n ? a[(n - 1) * n + n - 1] : 1) : 0;
    }
    free(a);
    return r;
}

/* Canonical invariant factors from a diagonal without divisibility chain: regroup prime powers
 * by gcd/lcm until d_0 | d_1 | ... (zeros last). */
static void canonical_invariants(long long *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            long long x = d[i], y = d[j];
            if (x == 0 || y == 0) {
                d[i] = x ? x : y;
                d[j] = x ? y : 0;
                continue;
            }
            long long g = x, h = y;
            while (h) {
                long long t = g % h;
                g = h, h = t;
            }
            d[i] = g, d[j] = x / g * y;
        }
    }
}

/* Checks one Smith factorisation; returns 1 when every property holds. */
static int smith_ok(const qp_imat *A, size_t *rank_out)
{
    qp_imat L = {0}, S = {0}, R = {0}, LA = {0}, LAR = {0};
    size_t rank = 0;
    int ok = qp_imat_smith(A, &L, &S, &R, &rank) == QP_OK && qp_imat_mul(&L, A, &LA) == QP_OK &&
             qp_imat_mul(&LA, &R, &LAR) == QP_OK && equal(&LAR, &S);
    ok = ok && L.rows == A->rows && L.cols == A->rows && R.rows == A->cols && R.cols == A->cols;
    for (size_t i = 0; ok && i < S.rows; i++) {
        for (size_t j = 0; j < S.cols; j++) {
            long long v = at(&S, i, j);
            ok = ok && (i == j ? (v >= 0 && (v != 0) == (i < rank)) : v == 0);
        }
    }
    ok = ok && unimodular(&L) && unimodular(&R);
    long long det;
    ok = ok && rank == bareiss(A, &det);
    if (ok && A->rows == A->cols && rank == A->rows) {
        long long prod = 1;
        for (size_t i = 0; i < rank; i++) {
            prod *= at(&S, i, i);
        }
        ok = prod == llabs(det);
    }
    if (rank_out) {
        *rank_out = rank;
    }
    qp_imat_free(&L), qp_imat_free(&S), qp_imat_free(&R), qp_imat_free(&LA), qp_imat_free(&LAR);
    return ok;
}

/* A random unimodular n x n matrix: a product of elementary operations with small multipliers. */
static qp_imat random_unimodular(unsigned long long *s, size_t n, int steps)
{
    qp_imat U = {0};
    qp_imat_identity(&U, n);
    for (int k = 0; n > 1 && k < steps; k++) {
        size_t i = (size_t)rng_int(s, 0, (long long)n - 1);
        size_t j = (size_t)rng_int(s, 0, (long long)n - 2);
        j += j >= i;
        long long q = rng_int(s, -2, 2);
        for (size_t c = 0; c < n; c++) {
            U.a[i * n + c] += q * U.a[j * n + c];
        }
        if (rng_int(s, 0, 3) == 0) {
            for (size_t c = 0; c < n; c++) {
                U.a[i * n + c] = -U.a[i * n + c];
            }
        }
    }
    return U;
}

/* A random connected multigraph: edges (n1[e], n2[e]) over `nodes` nodes, in random order. */
static size_t random_graph(unsigned long long *s, size_t nodes, size_t extra, size_t *n1,
                           size_t *n2)
{
    size_t ne = 0;
    for (size_t v = 1; v < nodes; v++, ne++) {
        n1[ne] = v, n2[ne] = (size_t)rng_int(s, 0, (long long)v - 1);
    }
    for (size_t k = 0; k < extra; k++, ne++) {
        n1[ne] = (size_t)rng_int(s, 0, (long long)nodes - 1);
        n2[ne] = (size_t)rng_int(s, 0, (long long)nodes - 2);
        n2[ne] += n2[ne] >= n1[ne];
    }
    for (size_t e = ne; e > 1; e--) {
        size_t f = (size_t)rng_int(s, 0, (long long)e - 1), t;
        t = n1[e - 1], n1[e - 1] = n1[f], n1[f] = t;
        t = n2[e - 1], n2[e - 1] = n2[f], n2[f] = t;
        if (rng_int(s, 0, 1)) {
            t = n1[f], n1[f] = n2[f], n2[f] = t;
        }
    }
    return ne;
}

static size_t uf_find(size_t *parent, size_t x)
{
    while (parent[x] != x) {
        x = parent[x] = parent[parent[x]];
    }
    return x;
}

/* Fundamental-loop matrix F (chords x tree branches, entries 0, +-1) of a graph: spanning tree by
 * union-find in edge order, node potentials over tree branches by relaxation from node 0. */
static qp_imat loop_matrix(size_t nodes, size_t ne, const size_t *n1, const size_t *n2)
{
    size_t parent[16], tree[32], chord[32], nt = 0, nc = 0;
    for (size_t v = 0; v < nodes; v++) {
        parent[v] = v;
    }
    for (size_t e = 0; e < ne; e++) {
        size_t a = uf_find(parent, n1[e]), b = uf_find(parent, n2[e]);
        if (a != b) {
            parent[a] = b, tree[nt++] = e;
        } else {
            chord[nc++] = e;
        }
    }
    long long pot[16][16] = {{0}};
    int known[16] = {1};
    for (size_t pass = 0; pass < nodes; pass++) {
        for (size_t k = 0; k < nt; k++) {
            size_t e = tree[k];
            if (known[n2[e]] && !known[n1[e]]) { /* phi_n1 = phi_n2 + Phi_k */
                for (size_t j = 0; j < nt; j++) {
                    pot[n1[e]][j] = pot[n2[e]][j] + (j == k);
                }
                known[n1[e]] = 1;
            } else if (known[n1[e]] && !known[n2[e]]) {
                for (size_t j = 0; j < nt; j++) {
                    pot[n2[e]][j] = pot[n1[e]][j] - (j == k);
                }
                known[n2[e]] = 1;
            }
        }
    }
    qp_imat F = mk(nc, nt, NULL);
    for (size_t c = 0; c < nc; c++) {
        for (size_t j = 0; j < nt; j++) {
            F.a[c * nt + j] = pot[n1[chord[c]]][j] - pot[n2[chord[c]]][j];
        }
    }
    return F;
}

/* ---- tests ---- */

static void test_basics(void)
{
    int ok;
    const long long a[] = {1, 2, 3, 4, 5, 6}, b[] = {7, 8, 9, 10, 11, 12};
    const long long ab[] = {58, 64, 139, 154}, at_[] = {1, 4, 2, 5, 3, 6};
    qp_imat A = mk(2, 3, a), B = mk(3, 2, b), C = {0}, T = {0}, I = {0}, W = mk(2, 2, ab),
            WT = mk(3, 2, at_);
    ok = qp_imat_mul(&A, &B, &C) == QP_OK && equal(&C, &W);
    QP_CHECK(ok, "mul 2x3 * 3x2");
    ok = qp_imat_transpose(&A, &T) == QP_OK && equal(&T, &WT);
    QP_CHECK(ok, "transpose");
    ok = qp_imat_identity(&I, 3) == QP_OK && is_identity(&I);
    QP_CHECK(ok, "identity 3");
    qp_imat X = {0};
    ok = qp_imat_mul(&A, &A, &X) == QP_ERR_USAGE && X.a == NULL;
    QP_CHECK(ok, "shape mismatch is a usage error, output untouched");
    qp_imat Z = {0}, E = {0};
    ok = qp_imat_alloc(&Z, 0, 4) == QP_OK && Z.rows == 0 && Z.cols == 4;
    QP_CHECK(ok, "empty 0x4 matrix");
    qp_imat Z2 = mk(4, 0, NULL), ZZ = {0};
    ok = qp_imat_mul(&Z2, &Z, &ZZ) == QP_OK && ZZ.rows == 4 && ZZ.cols == 4 && ZZ.a[15] == 0;
    QP_CHECK(ok, "4x0 * 0x4 is the zero 4x4");
    ok = qp_imat_mul(&Z, &Z2, &E) == QP_OK && E.rows == 0 && E.cols == 0;
    QP_CHECK(ok, "0x4 * 4x0 is 0x0");
    qp_imat_free(&A), qp_imat_free(&B), qp_imat_free(&C), qp_imat_free(&T), qp_imat_free(&I);
    qp_imat_free(&W), qp_imat_free(&WT), qp_imat_free(&Z), qp_imat_free(&Z2), qp_imat_free(&ZZ);
    qp_imat_free(&E);
    qp_imat_free(NULL);
}

/* Diagonals of the Smith normal form (unique for a matrix) from a second implementation,
 * written independently in numpy during development (same matrices). */
static void test_smith_python(void)
{
    static const struct {
        size_t m, n;
        long long a[20];
        size_t rank;
        long long diag[4];
    } cases[] = {
        {3, 3, {2, 4, 4, -6, 6, 12, 10, -4, -16}, 3, {2, 6, 12}},
        {4, 5, {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 12, 3, 10, 6, 8}, 3, {1, 1, 1, 0}},
        {2, 2, {6, 0, 0, 4}, 2, {4, 6}},
        {3, 4, {1, -1, 0, 1, 0, 1, -1, 1, 1, 0, -1, 0}, 3, {1, 1, 2}},
        {2, 3, {4, 6, 10, 6, 9, 15}, 1, {1, 0}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        qp_imat A = mk(cases[k].m, cases[k].n, cases[k].a), L = {0}, S = {0}, R = {0};
        size_t rank = 0, nd = cases[k].m < cases[k].n ? cases[k].m : cases[k].n;
        int ok = qp_imat_smith(&A, &L, &S, &R, &rank) == QP_OK && rank == cases[k].rank;
        long long got[4] = {0}, want[4] = {0};
        int raw_same = 1;
        for (size_t i = 0; ok && i < nd; i++) {
            got[i] = at(&S, i, i), want[i] = cases[k].diag[i];
            raw_same = raw_same && got[i] == want[i];
        }
        canonical_invariants(got, nd);
        canonical_invariants(want, nd);
        for (size_t i = 0; i < nd; i++) {
            ok = ok && got[i] == want[i];
        }
        ok = ok && smith_ok(&A, NULL);
        QP_CHECK(ok, "python smith case %zu: rank %zu, invariants agree%s",
                 k, cases[k].rank, raw_same ? " (same raw diagonal)" : "");
        qp_imat_free(&A), qp_imat_free(&L), qp_imat_free(&S), qp_imat_free(&R);
    }
}

static void test_smith_random(void)
{
    int ok;
    unsigned long long s = 0x9E3779B97F4A7C15ULL;
    int bad = 0, deficient = 0;
    for (int k = 0; k < NRANDOM; k++) {
        size_t m = (size_t)rng_int(&s, 1, 6), n = (size_t)rng_int(&s, 1, 6);
        qp_imat A = mk(m, n, NULL);
        if (k % 3 == 0) { /* low rank: product of m x t and t x n */
            size_t t = (size_t)rng_int(&s, 1, 3);
            long long u[36], v[36];
            for (size_t i = 0; i < m * t; i++) {
                u[i] = rng_int(&s, -3, 3);
            }
            for (size_t i = 0; i < t * n; i++) {
                v[i] = rng_int(&s, -3, 3);
            }
            for (size_t i = 0; i < m; i++) {
                for (size_t j = 0; j < n; j++) {
                    for (size_t q = 0; q < t; q++) {
                        A.a[i * n + j] += u[i * t + q] * v[q * n + j];
                    }
                }
            }
        } else {
            for (size_t i = 0; i < m * n; i++) {
                A.a[i] = rng_int(&s, -9, 9);
            }
        }
        size_t rank;
        bad += !smith_ok(&A, &rank);
        deficient += rank < (m < n ? m : n);
        qp_imat_free(&A);
    }
    QP_CHECK(bad == 0 && deficient > 50,
             "%d random matrices (%d rank-deficient): L A R = S exactly, S diagonal >= 0 with rank "
             "non-zero entries first, L and R unimodular, rank and |det| as Bareiss (%d bad)",
             NRANDOM, deficient, bad);

    qp_imat Z = mk(3, 2, NULL), E = mk(0, 3, NULL);
    size_t rank = 99;
    ok = smith_ok(&Z, &rank) && rank == 0;
    QP_CHECK(ok, "zero 3x2 matrix: rank 0");
    ok = smith_ok(&E, &rank) && rank == 0;
    QP_CHECK(ok, "empty 0x3 matrix: rank 0");
    qp_imat_free(&Z), qp_imat_free(&E);
}

/* Graph loop matrices are totally unimodular: every non-zero Smith entry is 1, also for the
 * sub-blocks (a random split into "capacitive chords" x "inductive tree branches"). */
static void test_smith_graphs(void)
{
    int ok;
    unsigned long long s = 12345;
    int bad = 0, graphs = 0, big = 0;
    for (int k = 0; k < NRANDOM; k++) {
        size_t n1[32], n2[32], nodes = (size_t)rng_int(&s, 2, 8);
        size_t ne = random_graph(&s, nodes, (size_t)rng_int(&s, 1, 8), n1, n2);
        qp_imat F = loop_matrix(nodes, ne, n1, n2);
        size_t rows[32], cols[32], nr = 0, nc = 0;
        for (size_t i = 0; i < F.rows; i++) {
            if (rng_int(&s, 0, 2)) {
                rows[nr++] = i;
            }
        }
        for (size_t j = 0; j < F.cols; j++) {
            if (rng_int(&s, 0, 2)) {
                cols[nc++] = j;
            }
        }
        qp_imat G = mk(nr, nc, NULL);
        for (size_t i = 0; i < nr; i++) {
            for (size_t j = 0; j < nc; j++) {
                G.a[i * nc + j] = at(&F, rows[i], cols[j]);
            }
        }
        for (int which = 0; which < 2; which++) {
            const qp_imat *A = which ? &G : &F;
            qp_imat L = {0}, S = {0}, R = {0};
            size_t rank = 0;
            ok = smith_ok(A, NULL) && qp_imat_smith(A, &L, &S, &R, &rank) == QP_OK;
            for (size_t i = 0; ok && i < rank; i++) {
                ok = at(&S, i, i) == 1;
            }
            bad += !ok;
            for (size_t i = 0; ok && i < L.rows * L.cols + R.rows * R.cols; i++) {
                long long v = i < L.rows * L.cols ? L.a[i] : R.a[i - L.rows * L.cols];
                big += v < -1 || v > 1;
            }
            qp_imat_free(&L), qp_imat_free(&S), qp_imat_free(&R);
        }
        graphs++;
        qp_imat_free(&F), qp_imat_free(&G);
    }
    QP_CHECK(bad == 0, "%d random graph loop matrices and sub-blocks: Smith entries all 1 (%d bad)",
             graphs, bad);
    QP_CHECK(big == 0, "... and L, R have entries in {0, +-1} (%d entries larger)", big);

    /* Fluxonium loop: JJ and C in parallel at node 1, L from 1 to 0 (tree B1, chords C1 L1). */
    const long long f[] = {1, 1};
    qp_imat F = mk(2, 1, f), L = {0}, S = {0}, R = {0};
    size_t rank = 0;
    ok = qp_imat_smith(&F, &L, &S, &R, &rank) == QP_OK && rank == 1 && at(&S, 0, 0) == 1 &&
         at(&S, 1, 0) == 0 && smith_ok(&F, NULL);
    QP_CHECK(ok, "fluxonium loop matrix (1;1): S = (1;0)");
    qp_imat_free(&F), qp_imat_free(&L), qp_imat_free(&S), qp_imat_free(&R);
}

static void test_inverse(void)
{
    int ok;
    unsigned long long s = 777;
    int bad = 0;
    for (int k = 0; k < NRANDOM; k++) {
        size_t n = (size_t)rng_int(&s, 1, 7);
        qp_imat U = random_unimodular(&s, n, 3 * (int)n), Ui = {0}, Uii = {0};
        bad += !(unimodular(&U) && qp_imat_inverse(&U, &Ui) == QP_OK &&
                 qp_imat_inverse(&Ui, &Uii) == QP_OK && equal(&U, &Uii));
        qp_imat_free(&U), qp_imat_free(&Ui), qp_imat_free(&Uii);
    }
    QP_CHECK(bad == 0, "%d random unimodular matrices: M Minv = Minv M = 1, (Minv)inv = M (%d bad)",
             NRANDOM, bad);

    const long long d2[] = {2, 0, 0, 1}, sing[] = {1, 2, 2, 4}, det3[] = {2, 1, 1, 2};
    const long long big[] = {(1LL << 31) + 1, 1LL << 31, 1LL << 31, (1LL << 31) - 1};
    qp_imat A = mk(2, 2, d2), B = mk(2, 2, sing), C = mk(2, 2, det3), D = mk(2, 3, NULL),
            E = mk(0, 0, NULL), G = mk(2, 2, big), X = {0};
    ok = qp_imat_inverse(&A, &X) == QP_ERR_NUMERIC && !X.a;
    QP_CHECK(ok, "det 2: QP_ERR_NUMERIC");
    ok = qp_imat_inverse(&B, &X) == QP_ERR_NUMERIC && !X.a;
    QP_CHECK(ok, "singular: QP_ERR_NUMERIC");
    ok = qp_imat_inverse(&C, &X) == QP_ERR_NUMERIC && !X.a;
    QP_CHECK(ok, "det 3: QP_ERR_NUMERIC");
    ok = qp_imat_inverse(&D, &X) == QP_ERR_USAGE && !X.a;
    QP_CHECK(ok, "non-square: QP_ERR_USAGE");
    ok = qp_imat_inverse(&E, &X) == QP_OK && X.rows == 0;
    QP_CHECK(ok, "0x0 inverse");
    qp_imat_free(&X);
    ok = unimodular(&G);
    QP_CHECK(ok, "det -1 with entries near 2^31: exact inverse");
    qp_imat_free(&A), qp_imat_free(&B), qp_imat_free(&C), qp_imat_free(&D), qp_imat_free(&E);
    qp_imat_free(&G);
}

/* out is a saturated basis of the rational row space of A: same rank, rows in A's span, Smith
 * entries of out all 1, Hermite normal form. */
static int saturate_ok(const qp_imat *A, const qp_imat *out)
{
    size_t k = out->rows, r = A->cols;
    if (out->cols != r || k != bareiss(A, NULL)) {
        return 0;
    }
    qp_imat stack = mk(A->rows + k, r, NULL), L = {0}, S = {0}, R = {0};
    for (size_t i = 0; i < A->rows * r; i++) {
        stack.a[i] = A->a[i];
    }
    for (size_t i = 0; i < k * r; i++) {
        stack.a[A->rows * r + i] = out->a[i];
    }
    size_t rank = 0;
    int ok = bareiss(&stack, NULL) == k && qp_imat_smith(out, &L, &S, &R, &rank) == QP_OK &&
             rank == k;
    for (size_t i = 0; ok && i < k; i++) {
        ok = at(&S, i, i) == 1;
    }
    size_t lead = 0; /* Hermite form: pivots move right, positive, entries above in [0, pivot) */
    for (size_t i = 0; ok && i < k; i++) {
        while (lead < r && at(out, i, lead) == 0) {
            lead++;
        }
        ok = lead < r && at(out, i, lead) > 0;
        for (size_t q = 0; ok && q < i; q++) {
            ok = at(out, q, lead) >= 0 && at(out, q, lead) < at(out, i, lead);
        }
        for (size_t q = i + 1; ok && q < k; q++) {
            ok = at(out, q, lead) == 0;
        }
    }
    qp_imat_free(&stack), qp_imat_free(&L), qp_imat_free(&S), qp_imat_free(&R);
    return ok;
}

static void test_saturate(void)
{
    int ok;
    const long long a[] = {2, 2}, one1[] = {1, 1};
    qp_imat A = mk(1, 2, a), W = mk(1, 2, one1), out = {0};
    /* by hand: saturating the lattice of [[2, 2]] in Z^2 gives [[1, 1]] */
    ok = qp_imat_saturate(&A, &out) == QP_OK && equal(&out, &W);
    QP_CHECK(ok, "saturate 2*(1,1) -> (1,1)");
    qp_imat_free(&A), qp_imat_free(&W), qp_imat_free(&out);

    const long long b[] = {2, 4, 6, 1, 2, 3}, wb[] = {1, 2, 3};
    A = mk(2, 3, b), W = mk(1, 3, wb);
    ok = qp_imat_saturate(&A, &out) == QP_OK && equal(&out, &W);
    QP_CHECK(ok, "(2,4,6),(1,2,3) -> (1,2,3)");
    qp_imat_free(&A), qp_imat_free(&W), qp_imat_free(&out);

    const long long c[] = {2, 0, 0, 2}, wc[] = {1, 0, 0, 1};
    A = mk(2, 2, c), W = mk(2, 2, wc);
    ok = qp_imat_saturate(&A, &out) == QP_OK && equal(&out, &W);
    QP_CHECK(ok, "2 * 1 -> 1");
    qp_imat_free(&A), qp_imat_free(&W), qp_imat_free(&out);

    const long long d[] = {3, -6, 9, 0, 2, 4, -2, 8};
    A = mk(2, 4, d);
    ok = qp_imat_saturate(&A, &out) == QP_OK && saturate_ok(&A, &out) && out.rows == 2;
    QP_CHECK(ok, "rows 3(1,-2,3,0), 2(1,2,-1,4): saturated Hermite basis of rank 2");
    qp_imat_free(&A), qp_imat_free(&out);

    A = mk(2, 3, NULL);
    ok = qp_imat_saturate(&A, &out) == QP_OK && out.rows == 0 && out.cols == 3;
    QP_CHECK(ok, "zero rows: empty 0x3 basis");
    qp_imat_free(&A), qp_imat_free(&out);

    unsigned long long s = 4242;
    int bad = 0;
    for (int k = 0; k < NRANDOM; k++) {
        size_t m = (size_t)rng_int(&s, 1, 5), r = (size_t)rng_int(&s, 1, 5);
        A = mk(m, r, NULL);
        long long f = rng_int(&s, 1, 4); /* a common factor makes the lattice unsaturated */
        for (size_t i = 0; i < m * r; i++) {
            A.a[i] = f * rng_int(&s, -4, 4);
        }
        bad += !(qp_imat_saturate(&A, &out) == QP_OK && saturate_ok(&A, &out));
        qp_imat_free(&A), qp_imat_free(&out);
    }
    QP_CHECK(bad == 0, "%d random row sets: saturated Hermite basis of the same rational span "
             "(%d bad)", NRANDOM, bad);
}

static int completion_ok(const qp_imat *rows, size_t r)
{
    qp_imat V = {0};
    int ok = qp_imat_complete_rows(rows, r, &V) == QP_OK && V.rows == r && V.cols == r &&
             unimodular(&V);
    for (size_t i = 0; ok && i < rows->rows * r; i++) {
        ok = V.a[i] == rows->a[i];
    }
    qp_imat_free(&V);
    return ok;
}

static void test_complete_rows(void)
{
    int ok;
    const long long a[] = {1, 2, 3}, b[] = {1, 0, 2, -1, 0, 1, 1, 1}, c[] = {2, 2},
                    d[] = {1, 1, 2, 2}, e[] = {3, 5};
    qp_imat A = mk(1, 3, a), B = mk(2, 4, b), C = mk(1, 2, c), D = mk(2, 2, d), E = mk(1, 2, e),
            Z = mk(0, 0, NULL), V = {0};
    ok = completion_ok(&A, 3);
    QP_CHECK(ok, "(1,2,3) completed to a unimodular 3x3");
    ok = completion_ok(&B, 4);
    QP_CHECK(ok, "(1,0,2,-1),(0,1,1,1) completed to a unimodular 4x4");
    ok = completion_ok(&E, 2);
    QP_CHECK(ok, "(3,5) completed to a unimodular 2x2");
    ok = qp_imat_complete_rows(&C, 2, &V) == QP_ERR_NUMERIC && !V.a;
    QP_CHECK(ok, "(2,2) is not saturated: QP_ERR_NUMERIC");
    ok = qp_imat_complete_rows(&D, 2, &V) == QP_ERR_NUMERIC && !V.a;
    QP_CHECK(ok, "dependent rows: QP_ERR_NUMERIC");
    ok = qp_imat_complete_rows(&A, 4, &V) == QP_ERR_USAGE && !V.a;
    QP_CHECK(ok, "r != cols: QP_ERR_USAGE");
    ok = qp_imat_complete_rows(&Z, 3, &V) == QP_OK && is_identity(&V) && V.rows == 3;
    QP_CHECK(ok, "no rows: identity");
    qp_imat_free(&A), qp_imat_free(&B), qp_imat_free(&C), qp_imat_free(&D), qp_imat_free(&E);
    qp_imat_free(&Z), qp_imat_free(&V);

    unsigned long long s = 99;
    int bad = 0;
    for (int k = 0; k < NRANDOM; k++) {
        size_t r = (size_t)rng_int(&s, 1, 6), nb = (size_t)rng_int(&s, 0, (long long)r);
        qp_imat U = random_unimodular(&s, r, 4 * (int)r), W = random_unimodular(&s, nb, 6);
        qp_imat head = mk(nb, r, U.a), rows = {0};
        bad += !(qp_imat_mul(&W, &head, &rows) == QP_OK && completion_ok(&rows, r));
        qp_imat_free(&U), qp_imat_free(&W), qp_imat_free(&head), qp_imat_free(&rows);
    }
    QP_CHECK(bad == 0, "%d random saturated row sets completed to unimodular matrices (%d bad)",
             NRANDOM, bad);
}

/* K equals the given integer basis up to a change of basis: same saturated lattice. */
static int kernel_is(const double *M, size_t rows, size_t cols, const long long *basis, size_t k)
{
    qp_imat K = {0}, KT = {0}, B = mk(k, cols, basis), sat = {0};
    int ok = qp_imat_int_kernel(M, rows, cols, KERNEL_TOL, &K) == QP_OK && K.rows == cols &&
             K.cols == k && qp_imat_transpose(&K, &KT) == QP_OK &&
             qp_imat_saturate(&B, &sat) == QP_OK && equal(&sat, &KT);
    if (!ok && K.a) {
        printf("#   got kernel %zux%zu:", K.rows, K.cols);
        for (size_t i = 0; i < K.rows * K.cols; i++) {
            printf(" %lld", K.a[i]);
        }
        printf("\n");
    }
    qp_imat_free(&K), qp_imat_free(&KT), qp_imat_free(&B), qp_imat_free(&sat);
    return ok;
}

static void test_kernel(void)
{
    int ok;
    /* by hand: the integer kernel of 0.37 [[2,-1,0],[3,0,-1]] is (1,2,3)^T */
    const double m1[] = {0.74, -0.37, 0.0, 1.11, 0.0, -0.37};
    const long long k1[] = {1, 2, 3};
    ok = kernel_is(m1, 2, 3, k1, 1);
    QP_CHECK(ok, "kernel of 0.37 [[2,-1,0],[3,0,-1]] is (1,2,3)");

    /* Node-flux inductive form of a fluxonium-like chain: junctions to ground at nodes 1, 2, 3,
     * EL1 = 0.5 between 1 and 2, EL2 = 0.3 between 2 and 3: only the common mode is free. */
    const double m2[] = {0.5, -0.5, 0.0, -0.5, 0.8, -0.3, 0.0, -0.3, 0.3};
    const long long k2[] = {1, 1, 1};
    ok = kernel_is(m2, 3, 3, k2, 1);
    QP_CHECK(ok, "inductive form EL 0.5, 0.3 in a chain: kernel (1,1,1)");

    /* Lm of the same circuit after the kernel reduction, by hand: diag(0, 0.5, 0.3); its integer
     * kernel is (1,0,0). */
    const double m3[] = {0, 0, 0, 0, 0.5, 0, 0, 0, 0.3};
    const long long k3[] = {1, 0, 0};
    ok = kernel_is(m3, 3, 3, k3, 1);
    QP_CHECK(ok, "reduced Lm diag(0, 0.5, 0.3): kernel (1,0,0)");

    /* Two-dimensional kernel (1,0,2,-1), (0,1,1,1) hidden behind irrational weights. */
    const double s2 = 1.4142135623730951, q1[] = {2, 1, -1, 0}, q2[] = {1, -1, 0, 1};
    double m4[12];
    for (size_t j = 0; j < 4; j++) {
        m4[j] = s2 * q1[j], m4[4 + j] = 0.7 * q2[j], m4[8 + j] = 1.3 * (q1[j] + q2[j]);
    }
    const long long k4[] = {1, 0, 2, -1, 0, 1, 1, 1};
    ok = kernel_is(m4, 3, 4, k4, 2);
    QP_CHECK(ok, "rank-2 real matrix: kernel (1,0,2,-1), (0,1,1,1)");

    const double m5[] = {1.0, -0.5}, m6[] = {3 * 3.14159, 7 * 3.14159}, m7[] = {1.0, -999.0};
    const long long k5[] = {1, 2}, k6[] = {7, -3}, k7[] = {999, 1};
    ok = kernel_is(m5, 1, 2, k5, 1);
    QP_CHECK(ok, "kernel of (1, -1/2) is (1,2)");
    ok = kernel_is(m6, 1, 2, k6, 1);
    QP_CHECK(ok, "kernel of pi (3, 7) is (7,-3)");
    ok = kernel_is(m7, 1, 2, k7, 1);
    QP_CHECK(ok, "kernel of (1, -999) is (999,1): denominator 999");

    qp_imat K = {0};
    const double m8[] = {1.0, -1001.0}, m9[] = {1.0, -s2}, m10[] = {1.0, NAN};
    ok = qp_imat_int_kernel(m8, 1, 2, KERNEL_TOL, &K) == QP_ERR_NUMERIC && !K.a;
    QP_CHECK(ok, "kernel (1001,1) needs denominator 1001: QP_ERR_NUMERIC");
    ok = qp_imat_int_kernel(m9, 1, 2, KERNEL_TOL, &K) == QP_ERR_NUMERIC && !K.a;
    QP_CHECK(ok, "irrational kernel (sqrt2, 1): QP_ERR_NUMERIC");
    ok = qp_imat_int_kernel(m10, 1, 2, KERNEL_TOL, &K) == QP_ERR_NUMERIC && !K.a;
    QP_CHECK(ok, "NaN entry: QP_ERR_NUMERIC");
    ok = qp_imat_int_kernel(m5, 1, 2, -1.0, &K) == QP_ERR_USAGE && !K.a;
    QP_CHECK(ok, "negative tolerance: QP_ERR_USAGE");

    const double m11[] = {1.0, 0.0, 0.0, 1e-12};
    const long long k11[] = {0, 1};
    ok = kernel_is(m11, 2, 2, k11, 1);
    QP_CHECK(ok, "diag(1, 1e-12) with tol 1e-9: kernel (0,1)");
    ok = qp_imat_int_kernel(m11, 2, 2, 1e-14, &K) == QP_OK && K.rows == 2 && K.cols == 0;
    QP_CHECK(ok, "diag(1, 1e-12) with tol 1e-14: no kernel (2x0)");
    qp_imat_free(&K);

    const double zero[6] = {0};
    const long long eye3[] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    ok = kernel_is(zero, 2, 3, eye3, 3);
    QP_CHECK(ok, "zero matrix: kernel is everything");
    ok = kernel_is(NULL, 0, 3, eye3, 3);
    QP_CHECK(ok, "no rows: kernel is everything");
    const double m12[] = {2.0, 1.0, 1.0, 3.0};
    ok = qp_imat_int_kernel(m12, 2, 2, KERNEL_TOL, &K) == QP_OK && K.rows == 2 && K.cols == 0;
    QP_CHECK(ok, "non-singular: empty kernel");
    qp_imat_free(&K);
}

/* Random real matrices M = W C (W diagonal, irrational-looking positive weights; C small integer,
 * often rank-deficient): ker M = ker C, whose saturated basis is also given exactly by the last
 * columns of R in the Smith form L C R = S. */
static void test_kernel_random(void)
{
    unsigned long long s = 5150;
    int bad = 0, nontrivial = 0;
    for (int k = 0; k < NRANDOM; k++) {
        size_t m = (size_t)rng_int(&s, 1, 5), r = (size_t)rng_int(&s, 1, 5);
        qp_imat C = mk(m, r, NULL), L = {0}, S = {0}, R = {0};
        double M[25];
        for (size_t i = 0; i < m; i++) {
            double w = 0.1 + 10.0 * rng_unit(&s);
            for (size_t j = 0; j < r; j++) {
                C.a[i * r + j] = rng_int(&s, -2, 2);
                M[i * r + j] = w * (double)C.a[i * r + j];
            }
        }
        size_t rank = 0;
        int ok = qp_imat_smith(&C, &L, &S, &R, &rank) == QP_OK;
        long long basis[25];
        for (size_t v = rank; ok && v < r; v++) {
            for (size_t j = 0; j < r; j++) {
                basis[(v - rank) * r + j] = at(&R, j, v);
            }
        }
        ok = ok && kernel_is(M, m, r, basis, r - rank);
        bad += !ok;
        nontrivial += rank < r;
        qp_imat_free(&C), qp_imat_free(&L), qp_imat_free(&S), qp_imat_free(&R);
    }
    QP_CHECK(bad == 0 && nontrivial > NRANDOM / 4,
             "%d random W C (%d with a kernel): int_kernel = exact kernel lattice (%d bad)",
             NRANDOM, nontrivial, bad);
}

/* Weighted graph Laplacians: kernel = indicator vectors of the connected components. */
static void test_kernel_laplacian(void)
{
    int ok;
    unsigned long long s = 31337;
    int bad = 0;
    for (int k = 0; k < 200; k++) {
        size_t n1[32], n2[32], nodes = (size_t)rng_int(&s, 2, 9);
        size_t ne = random_graph(&s, nodes, (size_t)rng_int(&s, 0, 6), n1, n2);
        double lap[100] = {0};
        for (size_t e = 0; e < ne; e++) {
            double w = 0.05 + 20.0 * rng_unit(&s);
            lap[n1[e] * nodes + n1[e]] += w, lap[n2[e] * nodes + n2[e]] += w;
            lap[n1[e] * nodes + n2[e]] -= w, lap[n2[e] * nodes + n1[e]] -= w;
        }
        long long ones[9];
        for (size_t v = 0; v < nodes; v++) {
            ones[v] = 1;
        }
        bad += !kernel_is(lap, nodes, nodes, ones, 1);
        /* grounding node 0 (dropping its row and column) leaves no kernel */
        double red[64];
        for (size_t i = 1; i < nodes; i++) {
            for (size_t j = 1; j < nodes; j++) {
                red[(i - 1) * (nodes - 1) + j - 1] = lap[i * nodes + j];
            }
        }
        qp_imat K = {0};
        bad += !(qp_imat_int_kernel(red, nodes - 1, nodes - 1, KERNEL_TOL, &K) == QP_OK &&
                 K.cols == 0);
        qp_imat_free(&K);
    }
    QP_CHECK(bad == 0, "200 random weighted Laplacians: kernel (1,...,1); grounded: none (%d bad)",
             bad);

    /* Two components {0, 2} and {1, 3, 4}: the kernel is their two indicator vectors. */
    double lap[25] = {0};
    const size_t e1[] = {0, 1, 3}, e2[] = {2, 3, 4};
    const double w[] = {0.3, 2.5, 0.7};
    for (size_t e = 0; e < 3; e++) {
        lap[e1[e] * 5 + e1[e]] += w[e], lap[e2[e] * 5 + e2[e]] += w[e];
        lap[e1[e] * 5 + e2[e]] -= w[e], lap[e2[e] * 5 + e1[e]] -= w[e];
    }
    const long long ind[] = {1, 0, 1, 0, 0, 0, 1, 0, 1, 1};
    ok = kernel_is(lap, 5, 5, ind, 2);
    QP_CHECK(ok, "two-component Laplacian: kernel = indicator vectors");
    qp_imat K = {0};
    ok = qp_imat_int_kernel(lap, 5, 5, KERNEL_TOL, &K) == QP_OK && K.cols == 2 &&
         at(&K, 0, 0) == 1 && at(&K, 2, 0) == 1 && at(&K, 1, 1) == 1 && at(&K, 3, 1) == 1 &&
         at(&K, 4, 1) == 1 && at(&K, 1, 0) == 0 && at(&K, 0, 1) == 0;
    QP_CHECK(ok, "returned as Hermite columns: component of node 0 first");
    qp_imat_free(&K);
}

static void test_overflow(void)
{
    int ok;
    const long long a[] = {LLONG_MAX, 1}, b[] = {1, 1}, c[] = {1LL << 62}, two[] = {2};
    const long long minv[] = {LLONG_MIN}, minrow[] = {LLONG_MIN, 1};
    qp_imat A = mk(1, 2, a), B = mk(2, 1, b), C = mk(1, 1, c), T = mk(1, 1, two), X = {0};
    ok = qp_imat_mul(&A, &B, &X) == QP_ERR_NUMERIC && !X.a;
    QP_CHECK(ok, "mul: sum overflow reported");
    ok = qp_imat_mul(&C, &T, &X) == QP_ERR_NUMERIC && !X.a;
    QP_CHECK(ok, "mul: product overflow reported");
    qp_imat M = mk(1, 1, minv), N = mk(1, 2, minrow), L = {0}, S = {0}, R = {0};
    ok = qp_imat_smith(&M, &L, &S, &R, NULL) == QP_ERR_NUMERIC && !S.a;
    QP_CHECK(ok, "smith of (LLONG_MIN): |entry| does not fit, QP_ERR_NUMERIC");
    ok = qp_imat_smith(&N, &L, &S, &R, NULL) == QP_ERR_NUMERIC && !S.a;
    QP_CHECK(ok, "smith of (LLONG_MIN, 1): R entry -LLONG_MIN does not fit, QP_ERR_NUMERIC");
    qp_imat_free(&A), qp_imat_free(&B), qp_imat_free(&C), qp_imat_free(&T), qp_imat_free(&M);
    qp_imat_free(&N);

    /* Huge random entries: every call either succeeds with an exact answer or reports overflow. */
    unsigned long long s = 2024;
    int bad = 0, numeric = 0, okcount = 0;
    for (int k = 0; k < 200; k++) {
        size_t m = (size_t)rng_int(&s, 1, 4), n = (size_t)rng_int(&s, 1, 4);
        qp_imat H = mk(m, n, NULL), out = {0};
        for (size_t i = 0; i < m * n; i++) {
            H.a[i] = (long long)(rng_next(&s) >> rng_int(&s, 1, 40)) * (rng_int(&s, 0, 1) ? 1 : -1);
        }
        qp_status st = qp_imat_smith(&H, &L, &S, &R, NULL);
        if (st == QP_OK) {
            qp_imat LA = {0}, LAR = {0};
            if (qp_imat_mul(&L, &H, &LA) == QP_OK && qp_imat_mul(&LA, &R, &LAR) == QP_OK) {
                bad += !equal(&LAR, &S);
            }
            okcount++;
            qp_imat_free(&LA), qp_imat_free(&LAR);
        } else {
            bad += st != QP_ERR_NUMERIC || S.a != NULL;
            numeric++;
        }
        qp_imat_free(&L), qp_imat_free(&S), qp_imat_free(&R);
        st = qp_imat_saturate(&H, &out);
        bad += !(st == QP_OK || (st == QP_ERR_NUMERIC && !out.a));
        qp_imat_free(&out);
        if (m == n) {
            st = qp_imat_inverse(&H, &out);
            bad += st != QP_ERR_NUMERIC || out.a != NULL; /* never unimodular here */
        }
        qp_imat_free(&H);
    }
    QP_CHECK(bad == 0 && numeric > 0,
             "200 matrices with entries up to 2^62: %d exact, %d overflow reported (%d bad)",
             okcount, numeric, bad);
}

int main(void)
{
    test_basics();
    test_smith_python();
    test_smith_random();
    test_smith_graphs();
    test_inverse();
    test_saturate();
    test_complete_rows();
    test_kernel();
    test_kernel_random();
    test_kernel_laplacian();
    test_overflow();
    return tap_done();
}
