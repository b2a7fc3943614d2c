/* Unit tests: eigensolver paths (dense, Lanczos, shift-invert, auto) against closed forms, and
 * the bisection of the dense values path on tridiagonal matrices. */
#include "qpsim/eig.h"
#include "solve/eig_impl.h"

#include "tap.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#define RTOL_ORACLE 1e-9   /* transmon levels quoted to 11-12 significant digits */
#define RTOL_CLOSED 1e-10  /* closed forms evaluated in double precision */
#define RTOL_AGREE 1e-10   /* two methods on the same matrix */
#define TOL_RESID 1e-10    /* ||H v - lambda v|| / max(1, ||H||_1), recomputed here */
#define TOL_ORTHO 1e-10    /* |<v_i, v_j> - delta_ij| */
#define TOL_OVERLAP 1e-8   /* 1 - |<v, exact eigenvector>| for non-degenerate levels */
#define ULPS_BISECT 8.0    /* tridiagonal bisection, in ulps of its Gershgorin bound: one for its
                              tolerance, a few for the Sturm count's backward error, a few for a
                              closed form's cosine */
#define PI 3.14159265358979323846

/* The test keeps its own COO copy of every matrix, so residuals and orthonormality are checked
 * with a matrix-vector product independent of the library's. */
typedef struct {
    size_t n, k, cap;
    size_t *r, *c;
    double *re, *im;
    int cplx;
} coo;

static void coo_add(coo *m, size_t i, size_t j, double a, double b)
{
    if (m->k == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->r = realloc(m->r, m->cap * sizeof *m->r);
        m->c = realloc(m->c, m->cap * sizeof *m->c);
        m->re = realloc(m->re, m->cap * sizeof *m->re);
        m->im = realloc(m->im, m->cap * sizeof *m->im);
        if (!m->r || !m->c || !m->re || !m->im) {
            abort();
        }
    }
    m->r[m->k] = i;
    m->c[m->k] = j;
    m->re[m->k] = a;
    m->im[m->k] = b;
    m->k++;
}

static void coo_free(coo *m)
{
    free(m->r);
    free(m->c);
    free(m->re);
    free(m->im);
}

static qp_sparse coo_build(const coo *m)
{
    qp_sparse h;
    qp_status st = qp_sparse_from_triplets(m->n, m->k, m->r, m->c, m->re, m->cplx ? m->im : NULL,
                                           &h);
    if (st != QP_OK) {
        abort();
    }
    return h;
}

/* tridiag(-1, 2, -1): eigenvalues 2 - 2 cos(k pi / (n + 1)), vectors sin(j k pi / (n + 1)). */
static coo laplacian(size_t n)
{
    coo m = {.n = n};
    for (size_t i = 0; i < n; i++) {
        coo_add(&m, i, i, 2.0, 0.0);
        if (i + 1 < n) {
            coo_add(&m, i + 1, i, -1.0, 0.0);
            coo_add(&m, i, i + 1, -1.0, 0.0);
        }
    }
    return m;
}

/* Charge-basis transmon 4 EC (q - ng)^2 - EJ/2 (|q><q+1| + h.c.), q in [-qmax, qmax]. */
static coo transmon(int qmax, double ej, double ec, double ng)
{
    coo m = {.n = (size_t)(2 * qmax + 1)};
    for (int q = -qmax; q <= qmax; q++) {
        size_t i = (size_t)(q + qmax);
        coo_add(&m, i, i, 4.0 * ec * (q - ng) * (q - ng), 0.0);
        if (q < qmax) {
            coo_add(&m, i, i + 1, -ej / 2.0, 0.0);
            coo_add(&m, i + 1, i, -ej / 2.0, 0.0);
        }
    }
    return m;
}

/* Ring of N sites with a Peierls phase: -t (e^{ia} |j+1><j| + h.c.); levels -2t cos(2 pi k/N + a).
 * Entries are added in scrambled order to exercise the triplet sort. */
static coo ring(size_t n, double t, double a)
{
    coo m = {.n = n, .cplx = 1};
    for (size_t s = 0; s < n; s++) {
        size_t j = (s * 7 + 3) % n; /* n is never a multiple of 7 here */
        size_t jp = (j + 1) % n;
        coo_add(&m, j, jp, -t * cos(a), t * sin(a));
        coo_add(&m, jp, j, -t * cos(a), -t * sin(a));
    }
    return m;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void ring_levels(size_t n, double t, double a, double *out)
{
    for (size_t k = 0; k < n; k++) {
        out[k] = -2.0 * t * cos(2.0 * PI * (double)k / (double)n + a);
    }
    qsort(out, n, sizeof *out, cmp_double);
}

/* Tight-binding chain (hopping -1) with six impurities -W, W = 1..6, far apart: each binds one
 * state at -sqrt(W^2 + 4) (exact for an infinite chain; here corrections are ~e^{-n/10}). */
static coo impurity_chain(size_t n)
{
    coo m = {.n = n};
    for (size_t i = 0; i < n; i++) {
        double d = 0.0;
        for (int w = 1; w <= 6; w++) {
            if (i == (size_t)w * n / 7) {
                d = -w;
            }
        }
        coo_add(&m, i, i, d, 0.0);
        if (i + 1 < n) {
            coo_add(&m, i, i + 1, -1.0, 0.0);
            coo_add(&m, i + 1, i, -1.0, 0.0);
        }
    }
    return m;
}

static const double impurity_levels[6] = {-6.324555320336759, -5.385164807134504,
                                          -4.47213595499958,  -3.605551275463989,
                                          -2.82842712474619,  -2.23606797749979};

/* Independent residual and orthonormality check of returned pairs. */
static void check_pairs(const char *name, const coo *m, const double *ev, const double *v,
                        int nev)
{
    size_t n = m->n;
    double *y = calloc(2 * n, sizeof *y), norm1 = 0.0, worst = 0.0, ortho = 0.0;
    double *colsum = calloc(n, sizeof *colsum);
    for (size_t k = 0; k < m->k; k++) {
        colsum[m->c[k]] += hypot(m->re[k], m->cplx ? m->im[k] : 0.0);
    }
    for (size_t j = 0; j < n; j++) {
        norm1 = fmax(norm1, colsum[j]);
    }
    for (int e = 0; e < nev; e++) {
        const double *x = v + 2 * n * (size_t)e;
        for (size_t i = 0; i < n; i++) {
            y[2 * i] = -ev[e] * x[2 * i];
            y[2 * i + 1] = -ev[e] * x[2 * i + 1];
        }
        for (size_t k = 0; k < m->k; k++) {
            double a = m->re[k], b = m->cplx ? m->im[k] : 0.0;
            size_t i = m->r[k], j = m->c[k];
            y[2 * i] += a * x[2 * j] - b * x[2 * j + 1];
            y[2 * i + 1] += a * x[2 * j + 1] + b * x[2 * j];
        }
        double r = 0.0;
        for (size_t i = 0; i < 2 * n; i++) {
            r += y[i] * y[i];
        }
        worst = fmax(worst, sqrt(r) / fmax(1.0, norm1));
        for (int f = 0; f <= e; f++) {
            const double *u = v + 2 * n * (size_t)f;
            double sr = 0.0, si = 0.0;
            for (size_t i = 0; i < n; i++) {
                sr += u[2 * i] * x[2 * i] + u[2 * i + 1] * x[2 * i + 1];
                si += u[2 * i] * x[2 * i + 1] - u[2 * i + 1] * x[2 * i];
            }
            ortho = fmax(ortho, hypot(sr - (e == f), si));
        }
    }
    QP_CHECK(worst <= TOL_RESID, "%s: residual %.3g <= %g", name, worst, TOL_RESID);
    QP_CHECK(ortho <= TOL_ORTHO, "%s: orthonormality error %.3g <= %g", name, ortho, TOL_ORTHO);
    free(y);
    free(colsum);
}

/* Runs one method; returns its status. */
static qp_status solve(const qp_sparse *h, qp_eig_method method, int nev, double *ev, double *v,
                       qp_eig_info *info, char *err, size_t errlen)
{
    qp_eig_opts o;
    qp_eig_opts_default(&o);
    o.nev = nev;
    o.method = method;
    o.want_vectors = v != NULL;
    return qp_eig_lowest(h, &o, ev, v, info, err, errlen);
}

static const qp_eig_method all_methods[4] = {QP_EIG_DENSE, QP_EIG_LANCZOS, QP_EIG_SHIFT_INVERT,
                                             QP_EIG_AUTO};

/* The full matrix of m, column-major interleaved complex (duplicates summed), for
 * qp_eig_lowest_dense. */
static double *coo_dense(const coo *m)
{
    double *D = calloc(2 * m->n * m->n, sizeof *D);
    for (size_t k = 0; D && k < m->k; k++) {
        D[2 * (m->c[k] * m->n + m->r[k])] += m->re[k];
        D[2 * (m->c[k] * m->n + m->r[k]) + 1] += m->cplx ? m->im[k] : 0.0;
    }
    return D;
}

/* Every method (the dense one only when `dense`, then also on the matrix stored dense) against
 * `want`, with vectors checked. */
static void compare_methods(const char *name, const coo *m, int nev, const double *want,
                            double rtol, int dense)
{
    qp_sparse h = coo_build(m);
    double *ev = malloc((size_t)nev * sizeof *ev);
    double *v = malloc(2 * m->n * (size_t)nev * sizeof *v);
    char err[256], label[128];
    for (int k = 0; k < 4; k++) {
        if (all_methods[k] == QP_EIG_DENSE && !dense) {
            continue;
        }
        qp_eig_info info;
        const char *mn = qp_eig_method_name(all_methods[k]);
        qp_status st = solve(&h, all_methods[k], nev, ev, v, &info, err, sizeof err);
        QP_CHECK(st == QP_OK, "%s/%s: status %d %s", name, mn, st, err);
        if (st != QP_OK) {
            continue;
        }
        QP_CHECK(info.max_residual <= TOL_RESID, "%s/%s: reported residual %.3g", name, mn,
                 info.max_residual);
        for (int i = 0; i < nev; i++) {
            snprintf(label, sizeof label, "%s/%s: E%d", name, mn, i);
            QP_CHECK_REL(ev[i], want[i], rtol, label);
        }
        snprintf(label, sizeof label, "%s/%s", name, mn);
        check_pairs(label, m, ev, v, nev);
    }
    double *D = dense ? coo_dense(m) : NULL;
    if (D) {
        qp_eig_opts o;
        qp_eig_opts_default(&o);
        o.nev = nev;
        o.want_vectors = 1;
        qp_eig_info info;
        qp_status st = qp_eig_lowest_dense(D, m->n, m->cplx, &o, ev, v, &info, err, sizeof err);
        QP_CHECK(st == QP_OK && info.used == QP_EIG_DENSE, "%s/stored dense: status %d %s",
                 name, st, err);
        for (int i = 0; i < nev && st == QP_OK; i++) {
            snprintf(label, sizeof label, "%s/stored dense: E%d", name, i);
            QP_CHECK_REL(ev[i], want[i], rtol, label);
        }
        if (st == QP_OK) {
            snprintf(label, sizeof label, "%s/stored dense", name);
            check_pairs(label, m, ev, v, nev);
        }
        /* values only: every eigenvalue without vectors (no residual: NaN), same closed form */
        o.want_vectors = 0;
        st = qp_eig_lowest_dense(D, m->n, m->cplx, &o, ev, NULL, &info, err, sizeof err);
        QP_CHECK(st == QP_OK && (m->n > 600 || isnan(info.max_residual)),
                 "%s/stored dense, values only: status %d %s", name, st, err);
        for (int i = 0; i < nev && st == QP_OK; i++) {
            snprintf(label, sizeof label, "%s/stored dense, values only: E%d", name, i);
            QP_CHECK_REL(ev[i], want[i], rtol, label);
        }
        free(D);
    }
    qp_sparse_free(&h);
    free(ev);
    free(v);
}

static void test_defaults_and_triplets(void)
{
    qp_status got;
    qp_eig_opts o;
    qp_eig_opts_default(&o);
    QP_CHECK(o.nev == 1 && o.want_vectors == 0 && o.tol == 1e-12 && o.maxiter == 10000 &&
                 o.dense_max == 1500 && o.method == QP_EIG_AUTO && o.resid_tol == 1e-6,
             "opts defaults");

    /* Unsorted triplets with duplicates: (0,0) twice, (2,1) twice, an explicit zero at (1,1). */
    size_t r[] = {2, 0, 1, 2, 0, 1, 1, 0};
    size_t c[] = {1, 0, 2, 1, 0, 1, 0, 1};
    double re[] = {1.0, 2.0, 5.0, 0.5, 3.0, 0.0, 7.0, 7.0};
    double im[] = {0.1, 0.0, 0.0, 0.2, 0.0, 0.0, 1.0, -1.0};
    qp_sparse s;
    got = qp_sparse_from_triplets(3, 8, r, c, re, im, &s);
    QP_CHECK(got == QP_OK, "triplets build");
    size_t want_cp[] = {0, 2, 5, 6}, want_ri[] = {0, 1, 0, 1, 2, 1};
    double want_re[] = {5.0, 7.0, 7.0, 0.0, 1.5, 5.0}, want_im[] = {0.0, 1.0, -1.0, 0.0, 0.3, 0.0};
    int ok = s.n == 3 && s.nnz == 6 && s.im != NULL;
    for (size_t j = 0; ok && j < 4; j++) {
        ok = s.colptr[j] == want_cp[j];
    }
    for (size_t k = 0; ok && k < 6; k++) {
        ok = s.rowind[k] == want_ri[k] && fabs(s.re[k] - want_re[k]) < 1e-15 &&
             fabs(s.im[k] - want_im[k]) < 1e-15;
    }
    QP_CHECK(ok, "triplets: sorted by (column, row), duplicates summed, explicit zero kept");
    qp_sparse_free(&s);
    qp_sparse_free(&s);
    qp_sparse_free(NULL);

    qp_sparse untouched = {.n = 12345};
    size_t bad_r[] = {0, 3};
    got = qp_sparse_from_triplets(3, 2, bad_r, c, re, NULL, &untouched);
    QP_CHECK(got == QP_ERR_USAGE &&
                 untouched.n == 12345,
             "triplets: row index >= n is a usage error and leaves *out alone");
    got = qp_sparse_from_triplets(3, 0, NULL, NULL, NULL, NULL, &s);
    QP_CHECK(got == QP_OK && s.nnz == 0 &&
                 s.im == NULL && s.colptr[3] == 0,
             "triplets: empty matrix");
    qp_sparse_free(&s);
}

static void test_laplacian(void)
{
    enum { N = 100, NEV = 4 };
    coo m = laplacian(N);
    double want[NEV];
    for (int k = 0; k < NEV; k++) {
        want[k] = 2.0 - 2.0 * cos((k + 1) * PI / (N + 1));
    }
    compare_methods("laplacian n=100", &m, NEV, want, RTOL_CLOSED, 1);

    /* Eigenvectors against sin(j k pi/(n+1)), normalized; the sign convention makes the largest
     * component positive, so only |overlap| is compared. */
    qp_sparse h = coo_build(&m);
    double ev[NEV], *v = malloc(2 * N * NEV * sizeof *v);
    qp_eig_info info;
    char err[256];
    qp_status st = solve(&h, QP_EIG_SHIFT_INVERT, NEV, ev, v, &info, err, sizeof err);
    double worst = 0.0, phase_bad = 0.0;
    for (int k = 0; k < NEV && st == QP_OK; k++) {
        double dot = 0.0, big = 0.0, bigval = 0.0;
        for (int j = 0; j < N; j++) {
            double u = sqrt(2.0 / (N + 1)) * sin((j + 1) * (k + 1) * PI / (N + 1));
            dot += u * v[2 * (j + (size_t)k * N)];
            double a = fabs(v[2 * (j + (size_t)k * N)]);
            if (a > big) {
                big = a;
                bigval = v[2 * (j + (size_t)k * N)];
            }
            phase_bad = fmax(phase_bad, fabs(v[2 * (j + (size_t)k * N) + 1]));
        }
        worst = fmax(worst, 1.0 - fabs(dot));
        phase_bad = fmax(phase_bad, bigval > 0.0 ? 0.0 : 1.0);
    }
    QP_CHECK(st == QP_OK && worst <= TOL_OVERLAP, "laplacian: eigenvectors are the sine modes "
                                                  "(1 - |overlap| = %.3g)", worst);
    QP_CHECK(st == QP_OK && phase_bad == 0.0,
             "laplacian: real vectors, largest component positive, imaginary parts exactly 0");

    /* Full spectrum by the dense path: nev = n is allowed there. */
    double *all = malloc(N * sizeof *all), werr = 0.0;
    st = solve(&h, QP_EIG_DENSE, N, all, NULL, &info, err, sizeof err);
    for (int k = 0; k < N && st == QP_OK; k++) {
        werr = fmax(werr, fabs(all[k] - (2.0 - 2.0 * cos((k + 1) * PI / (N + 1)))));
    }
    QP_CHECK(st == QP_OK && werr <= 1e-13, "laplacian: dense nev = n gives the whole spectrum "
                                           "(max error %.3g)", werr);
    free(all);
    free(v);
    qp_sparse_free(&h);
    coo_free(&m);
}

static void test_transmon(void)
{
    qp_status got;
    static const double want[6] = {-12.0770337797, -6.3944640470, -1.0564659589,
                                   3.8925789152,   8.3793970751,  12.2448431287};
    coo m = transmon(30, 15.0, 0.3, 0.25);
    compare_methods("transmon", &m, 6, want, RTOL_ORACLE, 1);

    qp_sparse h = coo_build(&m);
    qp_eig_opts o;
    qp_eig_info info;
    double ev[6];
    char err[256];
    qp_eig_opts_default(&o);
    o.nev = 6;
    got = qp_eig_lowest(&h, &o, ev, NULL, &info, err, sizeof err);
    QP_CHECK(got == QP_OK &&
                 info.used == QP_EIG_DENSE,
             "transmon: auto picks dense for n = 61 <= dense_max");
    o.dense_max = 10;
    got = qp_eig_lowest(&h, &o, ev, NULL, &info, err, sizeof err);
    QP_CHECK(got == QP_OK &&
                 info.used == QP_EIG_SHIFT_INVERT && info.factorizations == 1 &&
                 info.sigma < want[0],
             "transmon: auto picks shift-invert above dense_max (sigma %.6g below E0)",
             info.sigma);

    /* A caller's sigma above E0 is refused by the factorization and lowered automatically. */
    o.method = QP_EIG_SHIFT_INVERT;
    o.have_sigma = 1;
    o.sigma = 100.0;
    qp_status st = qp_eig_lowest(&h, &o, ev, NULL, &info, err, sizeof err);
    QP_CHECK(st == QP_OK && info.factorizations >= 2 && info.sigma < want[0],
             "transmon: sigma = 100 is lowered after %d factorizations (to %.6g)",
             info.factorizations, info.sigma);
    QP_CHECK_REL(ev[5], want[5], RTOL_ORACLE, "transmon: E5 after lowering sigma");
    o.sigma = -13.0;
    st = qp_eig_lowest(&h, &o, ev, NULL, &info, err, sizeof err);
    QP_CHECK(st == QP_OK && info.factorizations == 1 && info.sigma == -13.0,
             "transmon: a valid caller sigma is used as is");
    QP_CHECK_REL(ev[0], want[0], RTOL_ORACLE, "transmon: E0 with caller sigma");
    qp_sparse_free(&h);
    coo_free(&m);
}

static void test_ring(void)
{
    enum { N = 64, NEV = 6 };
    double levels[2000];

    /* Non-degenerate (a = 0.3): also compare vectors with the plane waves. */
    coo m = ring(N, 1.0, 0.3);
    ring_levels(N, 1.0, 0.3, levels);
    compare_methods("ring a=0.3", &m, NEV, levels, RTOL_CLOSED, 1);
    qp_sparse h = coo_build(&m);
    double ev[NEV], *v = malloc(2 * N * NEV * sizeof *v);
    qp_eig_info info;
    char err[256];
    qp_status st = solve(&h, QP_EIG_LANCZOS, NEV, ev, v, &info, err, sizeof err);
    double worst = 0.0;
    for (int e = 0; e < NEV && st == QP_OK; e++) {
        double best = 0.0; /* the plane wave e^{i kappa j} with the matching level */
        for (int k = 0; k < N; k++) {
            if (fabs(-2.0 * cos(2.0 * PI * k / N + 0.3) - ev[e]) > 1e-8) {
                continue;
            }
            double sr = 0.0, si = 0.0, kap = -2.0 * PI * k / N;
            for (int j = 0; j < N; j++) {
                double ur = cos(kap * j) / sqrt(N), ui = sin(kap * j) / sqrt(N);
                double xr = v[2 * (j + (size_t)e * N)], xi = v[2 * (j + (size_t)e * N) + 1];
                sr += ur * xr + ui * xi;
                si += ur * xi - ui * xr;
            }
            best = fmax(best, hypot(sr, si));
        }
        worst = fmax(worst, 1.0 - best);
    }
    QP_CHECK(st == QP_OK && worst <= TOL_OVERLAP,
             "ring a=0.3: eigenvectors are plane waves (1 - |overlap| = %.3g)", worst);
    free(v);
    qp_sparse_free(&h);
    coo_free(&m);

    /* Degenerate pairs (a = 0): +-k share a level; both copies and orthogonal vectors. */
    m = ring(N, 1.0, 0.0);
    ring_levels(N, 1.0, 0.0, levels);
    compare_methods("ring a=0 (degenerate)", &m, 5, levels, RTOL_CLOSED, 1);
    coo_free(&m);

    /* Larger ring through AUTO (n > dense_max: shift-invert with a complex factorization). */
    m = ring(2000, 0.5, 0.1);
    ring_levels(2000, 0.5, 0.1, levels);
    h = coo_build(&m);
    double ev4[4];
    st = solve(&h, QP_EIG_AUTO, 4, ev4, NULL, &info, err, sizeof err);
    QP_CHECK(st == QP_OK && info.used == QP_EIG_SHIFT_INVERT, "ring n=2000: auto -> %s (%s)",
             qp_eig_method_name(info.used), err);
    for (int i = 0; i < 4; i++) {
        QP_CHECK_REL(ev4[i], levels[i], RTOL_CLOSED, "ring n=2000 auto");
    }
    qp_sparse_free(&h);
    coo_free(&m);
}

/* Lx x Ly grid Laplacian (open ends); with `gauge`, every site gets a phase e^{i theta_j} (a
 * unitary diagonal change of basis), which makes the matrix complex with the same levels
 * 4 - 2 cos(k pi/(Lx+1)) - 2 cos(l pi/(Ly+1)). Its 2-D structure makes CHOLMOD's factor
 * supernodal, which the tridiagonal matrices above never are. */
static coo grid2d(size_t lx, size_t ly, int gauge)
{
    coo m = {.n = lx * ly, .cplx = gauge};
    double *th = malloc(m.n * sizeof *th);
    for (size_t j = 0; j < m.n; j++) {
        th[j] = gauge ? 2.0 * PI * (double)((j * 2654435761u) % 1000u) / 1000.0 : 0.0;
    }
    for (size_t x = 0; x < lx; x++) {
        for (size_t y = 0; y < ly; y++) {
            size_t i = x * ly + y;
            coo_add(&m, i, i, 4.0, 0.0);
            size_t nb[2] = {x + 1 < lx ? i + ly : i, y + 1 < ly ? i + 1 : i};
            for (int d = 0; d < 2; d++) {
                if (nb[d] == i) {
                    continue;
                }
                double a = th[i] - th[nb[d]]; /* H(i,j) = -e^{i(th_i - th_j)} */
                coo_add(&m, i, nb[d], -cos(a), -sin(a));
                coo_add(&m, nb[d], i, -cos(a), sin(a));
            }
        }
    }
    free(th);
    return m;
}

static void test_grid2d(void)
{
    enum { LX = 90, LY = 113, NEV = 6 };
    static double want[LX * LY];
    size_t nw = 0;
    for (int k = 1; k <= LX; k++) {
        for (int l = 1; l <= LY; l++) {
            want[nw++] = 4.0 - 2.0 * cos(k * PI / (LX + 1)) - 2.0 * cos(l * PI / (LY + 1));
        }
    }
    qsort(want, nw, sizeof *want, cmp_double);
    for (int gauge = 0; gauge <= 1; gauge++) {
        coo m = grid2d(LX, LY, gauge);
        qp_sparse h = coo_build(&m);
        double ev[NEV], *v = malloc(2 * m.n * NEV * sizeof *v);
        qp_eig_info info;
        char err[256], label[96];
        qp_status st = solve(&h, QP_EIG_AUTO, NEV, ev, v, &info, err, sizeof err);
        QP_CHECK(st == QP_OK && info.used == QP_EIG_SHIFT_INVERT, "grid %dx%d%s: auto -> %s (%s)",
                 LX, LY, gauge ? " gauged" : "", qp_eig_method_name(info.used), err);
        for (int i = 0; i < NEV && st == QP_OK; i++) {
            snprintf(label, sizeof label, "grid%s: E%d", gauge ? " gauged" : "", i);
            QP_CHECK_REL(ev[i], want[i], RTOL_CLOSED, label);
        }
        if (st == QP_OK) {
            check_pairs(gauge ? "grid gauged" : "grid", &m, ev, v, NEV);
        }
        free(v);
        qp_sparse_free(&h);
        coo_free(&m);
    }
}

/* The cache of symbolic analyses: a matrix with a held pattern (other values) reuses the
 * analysis and gives bitwise the levels of an uncached call; nine patterns and eight slots
 * show the least recently used one going first. */
static void test_cache(void)
{
    enum { NEV = 4 };
    qp_eig_cache *cache = qp_eig_cache_new();
    QP_CHECK(cache != NULL, "cache: created");
    int bitwise = 1, reused_ok = 1;
    for (int round = 0; round < 2; round++) {
        for (int q = 0; q < 9; q++) {
            /* round 0 visits patterns 0..8 (8 evicts 0), round 1 visits 8..0: hits for 8..1,
             * a miss for 0 */
            int p = round == 0 ? q : 8 - q;
            /* grid 30 x (40 + p): pattern p; the values change with the round */
            coo m = grid2d(30, (size_t)(40 + p), 0);
            for (size_t t = 0; t < m.k; t++) {
                m.re[t] *= 1.0 + 0.25 * round;
            }
            qp_sparse h = coo_build(&m);
            qp_eig_opts o;
            qp_eig_opts_default(&o);
            o.nev = NEV;
            o.method = QP_EIG_SHIFT_INVERT;
            double a[NEV], b[NEV];
            qp_eig_info ia, ib;
            char err[256];
            qp_status sa = qp_eig_lowest(&h, &o, a, NULL, &ia, err, sizeof err);
            o.cache = cache;
            qp_status sb = qp_eig_lowest(&h, &o, b, NULL, &ib, err, sizeof err);
            bitwise &= sa == QP_OK && sb == QP_OK && memcmp(a, b, sizeof a) == 0;
            int expect = round == 1 && p >= 1;
            reused_ok &= ib.reused_analysis == expect && ia.reused_analysis == 0;
            qp_sparse_free(&h);
            coo_free(&m);
        }
    }
    QP_CHECK(bitwise, "cache: levels with a reused analysis equal the uncached ones bit for bit");
    QP_CHECK(reused_ok, "cache: reuse exactly when the pattern is held (8 slots, LRU)");
    qp_eig_cache_free(cache);
    qp_eig_cache_free(NULL);
}

static void test_impurity(void)
{
    coo m = impurity_chain(1200);
    compare_methods("impurity n=1200", &m, 6, impurity_levels, RTOL_CLOSED, 1);
    coo_free(&m);

    /* 2e5 sites: the dense path would need 320 GB, so Lanczos, shift-invert and auto. */
    enum { NBIG = 200000 };
    m = impurity_chain(NBIG);
    qp_sparse h = coo_build(&m);
    double ev[3][6], *v = malloc(2 * (size_t)NBIG * 6 * sizeof *v);
    static const qp_eig_method big[3] = {QP_EIG_LANCZOS, QP_EIG_SHIFT_INVERT, QP_EIG_AUTO};
    char err[256], label[128];
    for (int k = 0; k < 3; k++) {
        qp_eig_info info;
        qp_status st = solve(&h, big[k], 6, ev[k], k == 1 ? v : NULL, &info, err, sizeof err);
        const char *mn = qp_eig_method_name(big[k]);
        QP_CHECK(st == QP_OK && info.max_residual <= TOL_RESID,
                 "impurity n=2e5/%s: status %d, used %s, %d restarts, residual %.3g %s", mn, st,
                 qp_eig_method_name(info.used), info.iterations, info.max_residual, err);
        for (int i = 0; i < 6; i++) {
            snprintf(label, sizeof label, "impurity n=2e5/%s: E%d closed form", mn, i);
            QP_CHECK_REL(ev[k][i], impurity_levels[i], RTOL_CLOSED, label);
        }
        if (big[k] == QP_EIG_AUTO) {
            QP_CHECK(info.used == QP_EIG_SHIFT_INVERT, "impurity n=2e5: auto -> shift-invert");
        }
    }
    for (int i = 0; i < 6; i++) {
        snprintf(label, sizeof label, "impurity n=2e5: E%d lanczos vs shift-invert", i);
        QP_CHECK_REL(ev[0][i], ev[1][i], RTOL_AGREE, label);
    }
    check_pairs("impurity n=2e5/shift-invert", &m, ev[1], v, 6);
    free(v);
    qp_sparse_free(&h);
    coo_free(&m);
}

/* A dense matrix that is not Hermitian or not finite, or a sparse method asked of it, is a usage
 * error with a message, and evals are left untouched. */
static void test_dense_failures(void)
{
    double D[8] = {1.0, 0.0, 0.5, 0.0, 0.7, 0.0, 2.0, 0.0}; /* 2 x 2, H(1,0) = 0.5, H(0,1) = 0.7 */
    double ev[1] = {42.0};
    char err[256];
    qp_eig_opts o;
    qp_eig_opts_default(&o);
    qp_status st = qp_eig_lowest_dense(D, 2, 0, &o, ev, NULL, NULL, err, sizeof err);
    QP_CHECK(st == QP_ERR_USAGE && strstr(err, "not Hermitian") && ev[0] == 42.0,
             "stored dense: a non-Hermitian matrix is refused (%s)", err);
    D[4] = 0.5;
    D[6] = NAN;
    st = qp_eig_lowest_dense(D, 2, 0, &o, ev, NULL, NULL, err, sizeof err);
    QP_CHECK(st == QP_ERR_USAGE && strstr(err, "not finite") && ev[0] == 42.0,
             "stored dense: a NaN is refused (%s)", err);
    D[6] = 2.0;
    o.method = QP_EIG_LANCZOS;
    st = qp_eig_lowest_dense(D, 2, 0, &o, ev, NULL, NULL, err, sizeof err);
    QP_CHECK(st == QP_ERR_USAGE && ev[0] == 42.0, "stored dense: Lanczos is refused (%s)", err);
    o.method = QP_EIG_AUTO;
    st = qp_eig_lowest_dense(D, 2, 0, &o, ev, NULL, NULL, err, sizeof err);
    QP_CHECK(st == QP_OK && fabs(ev[0] - (1.5 - sqrt(0.5))) <= 1e-14,
             "stored dense: [[1, .5], [.5, 2]] lowest = 3/2 - sqrt(1/2) (%.17g)", ev[0]);
}

static void test_failures(void)
{
    qp_status got;
    coo m = laplacian(2000);
    qp_sparse h = coo_build(&m);
    qp_eig_opts o;
    qp_eig_info info;
    double ev[4];
    char err[256];
    qp_eig_opts_default(&o);
    o.nev = 4;
    o.method = QP_EIG_LANCZOS;
    o.maxiter = 1;
    got = qp_eig_lowest(&h, &o, ev, NULL, &info, err, sizeof err);
    QP_CHECK(got == QP_ERR_NUMERIC &&
                 starts_with(err, "ARPACK dsaupd: maximum number of iterations reached (info=1)"),
             "one restart is not enough: \"%s\"", err);

    /* The residual gate: any pair above resid_tol is an error, never a silent answer. */
    o.maxiter = 10000;
    o.method = QP_EIG_SHIFT_INVERT;
    o.resid_tol = 1e-300;
    got = qp_eig_lowest(&h, &o, ev, NULL, &info, err, sizeof err);
    QP_CHECK(got == QP_ERR_NUMERIC &&
                 starts_with(err, "shift-invert: residual") && info.max_residual > 0.0,
             "residual above resid_tol is reported: \"%s\"", err);
    o.method = QP_EIG_DENSE;
    got = qp_eig_lowest(&h, &o, ev, NULL, &info, err, sizeof err);
    QP_CHECK(got == QP_ERR_NUMERIC,
             "dense results pass the same residual gate: \"%s\"", err);
    qp_sparse_free(&h);
    coo_free(&m);

    m = ring(2000, 1.0, 0.0);
    h = coo_build(&m);
    qp_eig_opts_default(&o);
    o.nev = 4;
    o.method = QP_EIG_LANCZOS;
    o.maxiter = 1;
    got = qp_eig_lowest(&h, &o, ev, NULL, &info, err, sizeof err);
    QP_CHECK(got == QP_ERR_NUMERIC &&
                 starts_with(err, "ARPACK znaupd: maximum number of iterations reached (info=1)"),
             "complex: one restart is not enough: \"%s\"", err);
    qp_sparse_free(&h);
    coo_free(&m);
}

/* An operator product that must never run: the budget test refuses before any vector exists. */
static void apply_never(void *ctx, int real, const double *x, double *y)
{
    (void)real, (void)x, (void)y;
    ++*(int *)ctx;
}

/* A solve whose vectors cannot fit this machine's memory (the largest ARPACK dimension, complex:
 * 34 GB a vector, 1.1 TB for four levels with the work space) is refused from its estimate with
 * a message naming the budget, before anything is allocated (it was an out-of-memory failure
 * without a word at the command line). */
static void test_budget(void)
{
    int calls = 0;
    qp_linop A = {2147483647, 1, 1.0, apply_never, &calls};
    qp_eig_opts o;
    qp_eig_opts_default(&o);
    o.nev = 4;
    double ev[4];
    char err[512] = "";
    qp_status got = qp_eig_lowest_op(&A, &o, ev, NULL, NULL, err, sizeof err);
    QP_CHECK(got == QP_ERR_NUMERIC && strstr(err, "3/4 of this machine's memory") &&
                 strstr(err, "fewer levels") && calls == 0,
             "2^31 - 1 states refused from the estimate: %d \"%s\"", (int)got, err);
}

static void test_usage(void)
{
    qp_status got;
    coo m = transmon(2, 15.0, 0.3, 0.25); /* n = 5 */
    qp_sparse h = coo_build(&m);
    double ev[8], v[2 * 5 * 8];
    char err[256];
    qp_eig_info info;
    got = solve(&h, QP_EIG_LANCZOS, 5, ev, NULL, &info, err, sizeof err);
    QP_CHECK(got == QP_ERR_USAGE,
             "lanczos nev = n: \"%s\"", err);
    got = solve(&h, QP_EIG_SHIFT_INVERT, 5, ev, NULL, &info, err, sizeof err);
    QP_CHECK(got == QP_ERR_USAGE,
             "shift-invert nev = n: \"%s\"", err);
    got = solve(&h, QP_EIG_SHIFT_INVERT, 4, ev, v, &info, err, sizeof err);
    QP_CHECK(got == QP_OK,
             "shift-invert nev = n - 1 works");
    got = solve(&h, QP_EIG_DENSE, 5, ev, v, &info, err, sizeof err);
    QP_CHECK(got == QP_OK,
             "dense nev = n works");
    got = solve(&h, QP_EIG_DENSE, 6, ev, NULL, &info, err, sizeof err);
    QP_CHECK(got == QP_ERR_USAGE,
             "dense nev = n + 1: \"%s\"", err);
    got = solve(&h, QP_EIG_AUTO, 0, ev, NULL, &info, err, sizeof err);
    QP_CHECK(got == QP_ERR_USAGE,
             "nev = 0: \"%s\"", err);
    got = solve(NULL, QP_EIG_AUTO, 1, ev, NULL, &info, err, sizeof err);
    QP_CHECK(got == QP_ERR_USAGE,
             "NULL matrix: \"%s\"", err);
    qp_eig_opts o;
    qp_eig_opts_default(&o);
    o.want_vectors = 1;
    got = qp_eig_lowest(&h, &o, ev, NULL, NULL, NULL, 0);
    QP_CHECK(got == QP_ERR_USAGE,
             "want_vectors without vecs (no err buffer)");
    o.want_vectors = 0;
    o.method = QP_EIG_LANCZOS;
    o.ncv = 1;
    got = qp_eig_lowest(&h, &o, ev, NULL, NULL, err, sizeof err);
    QP_CHECK(got == QP_ERR_USAGE,
             "ncv <= nev: \"%s\"", err);
    o.ncv = 0;
    got = qp_eig_lowest(&h, &o, ev, NULL, NULL, err, 8);
    QP_CHECK(got == QP_OK, "defaults with nev = 1");

    h.re[1] += 1e-3; /* H(1,0) no longer equals H(0,1) */
    got = solve(&h, QP_EIG_DENSE, 1, ev, NULL, &info, err, sizeof err);
    QP_CHECK(got == QP_ERR_USAGE &&
                 starts_with(err, "matrix is not Hermitian: H(1,0)"),
             "non-Hermitian: \"%s\"", err);
    h.re[1] -= 1e-3;
    size_t save = h.rowind[1];
    h.rowind[1] = 0; /* column 0 now lists row 0 twice */
    got = solve(&h, QP_EIG_DENSE, 1, ev, NULL, &info, err, sizeof err);
    QP_CHECK(got == QP_ERR_USAGE,
             "repeated row index: \"%s\"", err);
    h.rowind[1] = save;
    qp_sparse_free(&h);
    coo_free(&m);

    m = ring(5, 1.0, 0.2);
    h = coo_build(&m);
    got = solve(&h, QP_EIG_LANCZOS, 5, ev, NULL, &info, err, sizeof err);
    QP_CHECK(got == QP_ERR_USAGE,
             "complex lanczos nev = n: \"%s\"", err);
    got = solve(&h, QP_EIG_SHIFT_INVERT, 4, ev, NULL, &info, err, sizeof err);
    QP_CHECK(got == QP_ERR_USAGE, "complex shift-invert nev = n - 1 (zneupd needs nev + 2 <= ncv): "
                                  "\"%s\"",
             err);
    got = solve(&h, QP_EIG_SHIFT_INVERT, 3, ev, v, &info, err, sizeof err);
    QP_CHECK(got == QP_OK, "complex shift-invert nev = n - 2 works");
    got = solve(&h, QP_EIG_LANCZOS, 3, ev, v, &info, err, sizeof err);
    QP_CHECK(got == QP_OK, "complex lanczos nev = n - 2 works");
    h.im[0] = -h.im[0];
    got = solve(&h, QP_EIG_DENSE, 1, ev, NULL, &info, err, sizeof err);
    QP_CHECK(got == QP_ERR_USAGE,
             "complex non-Hermitian: \"%s\"", err);
    qp_sparse_free(&h);
    coo_free(&m);
}

/* Two runs of each path give bit-identical values and vectors. */
static void test_determinism(void)
{
    coo ms[2] = {impurity_chain(1200), ring(300, 1.0, 0.7)};
    static const qp_eig_method meth[3] = {QP_EIG_DENSE, QP_EIG_LANCZOS, QP_EIG_SHIFT_INVERT};
    for (int c = 0; c < 2; c++) {
        qp_sparse h = coo_build(&ms[c]);
        size_t len = 2 * ms[c].n * 5;
        double *v1 = malloc(len * sizeof *v1), *v2 = malloc(len * sizeof *v2), e1[5], e2[5];
        for (int k = 0; k < 3; k++) {
            qp_eig_info info;
            char err[256];
            qp_status s1 = solve(&h, meth[k], 5, e1, v1, &info, err, sizeof err);
            qp_status s2 = solve(&h, meth[k], 5, e2, v2, &info, err, sizeof err);
            QP_CHECK(s1 == QP_OK && s2 == QP_OK && memcmp(e1, e2, sizeof e1) == 0 &&
                         memcmp(v1, v2, len * sizeof *v1) == 0,
                     "%s/%s: two runs are bit-identical", c ? "ring" : "impurity",
                     qp_eig_method_name(meth[k]));
        }
        free(v1);
        free(v2);
        qp_sparse_free(&h);
        coo_free(&ms[c]);
    }
}

/* Largest |w[k] - want[k]|, k < m, in ulps of tnorm (the largest |Gershgorin bound|). */
static double ulps_off(const double *w, const double *want, int m, double tnorm)
{
    double worst = 0.0;
    for (int k = 0; k < m; k++) {
        worst = fmax(worst, fabs(w[k] - want[k]) / (DBL_EPSILON * tnorm));
    }
    return worst;
}

/* qp_eig_tridiag_lowest (solve/tridiag.c) against closed forms: a Toeplitz matrix (all 40
 * values: five blocks of eight), the Clement matrix (d = 0, e_i = sqrt(i (n - i)): the integers
 * -(n-1), -(n-3), ..., n-1), the same glued twice (every value exactly double), a diagonal one
 * with repeated entries, and n = 1; the lowest values do not depend on how many are asked. */
static void test_tridiag(void)
{
    enum { N = 40, C = 21 };
    double d[2 * C + 1], e[2 * C + 1], w[2 * C + 1], want[2 * C + 1];
    for (int i = 0; i < N; i++) { /* a = 3, b = -1.3: 3 - 2.6 cos(k pi / 41), ascending */
        d[i] = 3.0, e[i] = -1.3;
        want[i] = 3.0 - 2.6 * cos((i + 1) * PI / (N + 1));
    }
    qp_eig_tridiag_lowest(N, d, e, N, w);
    double off = ulps_off(w, want, N, 5.6);
    QP_CHECK(off <= ULPS_BISECT, "tridiagonal Toeplitz n=40: all 40 values within %.2g ulps", off);

    double tnorm = 0.0;
    for (int i = 0; i < C; i++) {
        d[i] = 0.0;
        e[i] = i + 1 < C ? sqrt((double)((i + 1) * (C - 1 - i))) : 0.0;
        want[i] = -(C - 1) + 2.0 * i;
        tnorm = fmax(tnorm, (i ? e[i - 1] : 0.0) + e[i]);
    }
    qp_eig_tridiag_lowest(C, d, e, C, w);
    off = ulps_off(w, want, C, tnorm);
    QP_CHECK(off <= ULPS_BISECT, "Clement n=21: -20, -18, ..., 20 within %.2g ulps", off);
    double w3[3];
    qp_eig_tridiag_lowest(C, d, e, 3, w3);
    QP_CHECK(memcmp(w3, w, sizeof w3) == 0, "Clement: the lowest 3 asked alone are those of all "
                                            "21, bit for bit");

    /* two Clement blocks joined by e = 0: -20, -20, -18, -18, ... */
    for (int i = 0; i < C; i++) {
        d[C + i] = 0.0;
        e[C + i] = e[i];
    }
    e[C - 1] = 0.0;
    for (int k = 0; k < 2 * C; k++) {
        want[k] = -(C - 1) + 2.0 * (k / 2);
    }
    qp_eig_tridiag_lowest(2 * C, d, e, 2 * C, w);
    off = ulps_off(w, want, 2 * C, tnorm);
    QP_CHECK(off <= ULPS_BISECT, "two Clement blocks: every value twice, within %.2g ulps", off);

    static const double diag[9] = {2.0, -1.0, 2.0, 0.5, -1.0, 2.0, 5.0, -1.0, 0.5};
    static const double sorted[9] = {-1.0, -1.0, -1.0, 0.5, 0.5, 2.0, 2.0, 2.0, 5.0};
    memcpy(d, diag, sizeof diag);
    memset(e, 0, 9 * sizeof *e);
    qp_eig_tridiag_lowest(9, d, e, 9, w);
    off = ulps_off(w, sorted, 9, 5.0);
    QP_CHECK(off <= ULPS_BISECT, "diagonal with repeats: sorted, within %.2g ulps", off);

    d[0] = 4.5;
    qp_eig_tridiag_lowest(1, d, e, 1, w);
    QP_CHECK(fabs(w[0] - 4.5) <= ULPS_BISECT * DBL_EPSILON * 4.5, "n = 1: the entry (%.17g)",
             w[0]);
}

int main(void)
{
    test_defaults_and_triplets();
    test_tridiag();
    test_laplacian();
    test_transmon();
    test_ring();
    test_grid2d();
    test_cache();
    test_impurity();
    test_dense_failures();
    test_failures();
    test_budget();
    test_usage();
    test_determinism();
    return tap_done();
}
