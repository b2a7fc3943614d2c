/* Lowest eigenpairs of sparse Hermitian matrices: the entry points, which pick the method. */
#include "qpsim/eig.h"

#include "solve/eig_impl.h"

#include "base/mem.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TOL 1e-12
#define DEFAULT_MAXITER 10000
#define DEFAULT_DENSE_MAX 1500
#define DENSE_ALWAYS 300 /* AUTO: dense at or below this dimension whatever the sparsity */
#define DENSE_FILL 10    /* AUTO between the two: dense when at least 1/DENSE_FILL is stored */
#define DEFAULT_RESID_TOL 1e-6
#define NCV_MIN 20 /* smallest ARPACK basis worth its restarts (bench/eig_notes.md) */

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
static qp_status check_args(qp_eig_solver *s, const double *evals, const double *vecs,
                            qp_eig_method *method)
{
    const qp_eig_opts *o = s->o;
    size_t n = s->n;
    if (!evals || (o->want_vectors && !vecs)) {
        qp_eig_fail(s, "evals is NULL, or vecs is NULL with want_vectors");
        return QP_ERR_USAGE;
    }
    if (n == 0 || n > (size_t)INT_MAX) {
        qp_eig_fail(s, "matrix dimension %zu is out of range (1 .. %d)", n, INT_MAX);
        return QP_ERR_USAGE;
    }
    if (o->nev < 1 || (size_t)o->nev > n) {
        qp_eig_fail(s, "nev = %d must lie in 1 .. n = %zu", o->nev, n);
        return QP_ERR_USAGE;
    }
    if (!(o->tol >= 0.0) || o->maxiter < 1 || !(o->resid_tol > 0.0) ||
        (o->method != QP_EIG_AUTO && o->method != QP_EIG_DENSE && o->method != QP_EIG_LANCZOS &&
         o->method != QP_EIG_SHIFT_INVERT) ||
        (o->have_sigma && !isfinite(o->sigma))) {
        qp_eig_fail(s,
                    "invalid options (tol >= 0, maxiter >= 1, resid_tol > 0, known method, finite "
                    "sigma)");
        return QP_ERR_USAGE;
    }
    *method = o->method;
    if (*method == QP_EIG_AUTO) {
        /* A sparse matrix of 560 states (0-pi at scqubits' truncation, 8 % stored): shift-invert
         * 5 ms, the dense reduction 20 ms; a dense one (dressed couplings) favours LAPACK. */
        int dense = s->D || qp_eig_many_levels(n, o->nev) ||
                    (n <= o->dense_max &&
                     (n <= DENSE_ALWAYS || !s->H || s->H->nnz >= n * n / DENSE_FILL));
        *method = dense ? QP_EIG_DENSE : QP_EIG_SHIFT_INVERT;
    }
    if (*method == QP_EIG_DENSE) {
        if (n > 46340) { /* n^2 must fit LAPACK's 32-bit workspace arithmetic */
            qp_eig_fail(s, "dimension %zu is too large for the dense method", n);
            return QP_ERR_USAGE;
        }
        return QP_OK;
    }
    /* dsaupd needs nev < ncv <= n; znaupd/zneupd need ncv - nev >= 2, hence nev < n - 1. */
    size_t gap = s->cplx ? 2 : 1;
    if ((size_t)o->nev + gap > n) {
        qp_eig_fail(s, "nev = %d must be at most n - %zu = %zu for the sparse (ARPACK) methods%s",
                    o->nev, gap, n - gap, s->cplx ? " on a complex matrix" : "");
        return QP_ERR_USAGE;
    }
    if (o->ncv != 0 && ((size_t)o->ncv < (size_t)o->nev + gap || (size_t)o->ncv > n)) {
        qp_eig_fail(s, "ncv = %d must satisfy nev + %zu <= ncv <= n", o->ncv, gap);
        return QP_ERR_USAGE;
    }
    size_t ncv = o->ncv ? (size_t)o->ncv : 2 * (size_t)o->nev + 1;
    if (!o->ncv && ncv < NCV_MIN) {
        ncv = NCV_MIN;
    }
    s->ncv = (int)(ncv < n ? ncv : n);
    return QP_OK;
}

int qp_eig_many_levels(size_t n, int nev)
{
    return n <= QP_EIG_DENSE_MANY && nev > 0 && 8 * (size_t)nev >= n;
}

/* The ARPACK paths: shift-invert (with AUTO's fallback to Lanczos when the factorization fails)
 * or Lanczos, then Rayleigh-Ritz on the returned basis. */
static qp_status sparse_solve(qp_eig_solver *s, qp_eig_method method, double *vals, double *V)
{
    int k = 0, fact_failed = 0;
    qp_status st = QP_OK;
    if (method == QP_EIG_SHIFT_INVERT) {
        st = qp_eig_shift_invert(s, V, &k, &fact_failed);
    }
    if (method == QP_EIG_LANCZOS || (fact_failed && s->o->method == QP_EIG_AUTO)) {
        char why[160] = "";
        if (fact_failed && s->err && s->errlen) {
            snprintf(why, sizeof why, "%s", s->err);
            s->err[0] = '\0';
        }
        s->info.fell_back = fact_failed;
        st = qp_eig_lanczos(s, V, &k);
        if (st != QP_OK && why[0] && strlen(s->err) + 1 < s->errlen) {
            size_t used = strlen(s->err);
            snprintf(s->err + used, s->errlen - used, " (fallback after: %s)", why);
        }
    }
    if (st == QP_OK && k < s->nev) {
        st = QP_ERR_NUMERIC;
        qp_eig_fail(s, "ARPACK converged only %d of %d eigenvalues", k, s->nev);
    }
    return st == QP_OK ? qp_eig_rayleigh_ritz(s, V, k, vals) : st;
}

/* Dense problems up to this size asked for values only get all of them without vectors
 * (qp_eig_dense_values); beyond it the lowest nev pairs with their residual test. */
#define DENSE_VALUES_MAX 600

/* Residuals and phases of the pairs every method returns; fails when the worst residual exceeds
 * resid_tol. */
static qp_status check_pairs(qp_eig_solver *s, double *V, const double *vals)
{
    int worst_j = 0;
    qp_status st = qp_eig_residuals(s, V, vals, &worst_j);
    double worst = s->info.max_residual, limit = s->o->resid_tol;
    if (st == QP_OK && !(worst <= limit)) {
        qp_eig_fail(s, "%s: residual %.3g of eigenpair %d (lambda = %.17g) exceeds %.3g",
                    qp_eig_method_name(s->info.used), worst, worst_j, vals[worst_j], limit);
        st = QP_ERR_NUMERIC;
    }
    return st;
}

/* Whether the solve's vectors fit qp_mem_budget(), estimated before any is allocated: the nev
 * result vectors (complex) and the caller's copy, and for ARPACK its basis of ncv vectors, the
 * start and three work vectors and dseupd's nev Ritz vectors; the dense methods hold two n x n
 * complex matrices. (The matrix itself and a factor are the caller's and CHOLMOD's.) */
static qp_status within_budget(qp_eig_solver *s, qp_eig_method method)
{
    double n = (double)s->n, nev = s->nev, w = s->cplx ? 2.0 : 1.0;
    double doubles = method == QP_EIG_DENSE
                         ? 4.0 * n * n + 4.0 * n * nev
                         : n * (4.0 * nev + w * ((double)s->ncv + 4.0) + (s->cplx ? 0.0 : nev));
    double need = 8.0 * doubles, budget = (double)qp_mem_budget();
    if (need <= budget) {
        return QP_OK;
    }
    qp_eig_fail(s, "%d eigenvectors of %zu states need %.3g GiB with the %s eigensolver's work "
                "space (more than the %.3g GiB budget: 3/4 of this machine's memory); ask for "
                "fewer levels or a smaller basis", s->nev, s->n, need / 1073741824.0,
                qp_eig_method_name(method), budget / 1073741824.0);
    return QP_ERR_NUMERIC;
}

/* The common body: s holds the matrix or operator, its size and the options. */
static qp_status lowest(qp_eig_solver *s, double *evals, double *vecs, qp_eig_info *info)
{
    const qp_eig_opts *o = s->o;
    double *V = NULL, *vals = NULL;
    qp_eig_method method = QP_EIG_AUTO;
    s->nev = o->nev;
    s->tol = o->tol;
    s->maxiter = o->maxiter;
    qp_status st = check_args(s, evals, vecs, &method);
    if (st == QP_OK && s->D && method != QP_EIG_DENSE) {
        qp_eig_fail(s, "a dense matrix is solved only by the dense method, not %s",
                    qp_eig_method_name(method));
        st = QP_ERR_USAGE;
    } else if (st == QP_OK && s->D) {
        st = qp_eig_check_dense(s);
    } else if (st == QP_OK && s->H) {
        st = qp_eig_check_matrix(s);
    } else if (st == QP_OK && method != QP_EIG_LANCZOS) {
        qp_eig_fail(s, "an operator without a matrix is solved only by Lanczos, not %s",
                    qp_eig_method_name(method));
        st = QP_ERR_USAGE;
    }
    if (st != QP_OK) {
        goto done;
    }
    s->info.used = method;
    st = within_budget(s, method);
    if (st != QP_OK) {
        goto done;
    }
    V = qp_eig_alloc_n(qp_eig_mul_sat(2 * s->n, (size_t)s->nev), sizeof *V);
    vals = qp_eig_alloc_n((size_t)s->nev, sizeof *vals);
    if (!V || !vals) {
        qp_eig_fail(s, "out of memory for %d vectors of dimension %zu", s->nev, s->n);
        st = QP_ERR_NOMEM;
        goto done;
    }
    if (method == QP_EIG_DENSE && !o->want_vectors && s->n <= DENSE_VALUES_MAX) {
        st = qp_eig_dense_values(s, vals); /* backward stable: no vectors, no residuals */
    } else {
        st = method == QP_EIG_DENSE ? qp_eig_dense_solve(s, vals, V)
                                    : sparse_solve(s, method, vals, V);
        st = st == QP_OK ? check_pairs(s, V, vals) : st;
    }
    if (st == QP_OK) {
        memcpy(evals, vals, (size_t)s->nev * sizeof *evals);
        if (o->want_vectors) {
            memcpy(vecs, V, 2 * s->n * (size_t)s->nev * sizeof *vecs);
        }
    }
done:
    free(V);
    free(vals);
    if (info) {
        *info = s->info;
    }
    return st;
}

/* The entry points' common start: options (defaults when o is NULL), an empty message, and the
 * refusal of a NULL matrix (matrix != 0 says one was given). */
static qp_status entry(qp_eig_solver *s, const qp_eig_opts *o, qp_eig_opts *defaults,
                       int matrix, qp_eig_info *info, char *err, size_t errlen)
{
    if (!o) {
        qp_eig_opts_default(defaults);
        o = defaults;
    }
    if (err && errlen) {
        err[0] = '\0';
    }
    s->o = o, s->err = err, s->errlen = errlen;
    s->info.used = o->method;
    if (!matrix) {
        qp_eig_fail(s, "matrix is NULL");
        if (info) {
            *info = s->info;
        }
        return QP_ERR_USAGE;
    }
    return QP_OK;
}

qp_status qp_eig_lowest(const qp_sparse *H, const qp_eig_opts *o, double *evals, double *vecs,
                        qp_eig_info *info, char *err, size_t errlen)
{
    qp_eig_opts defaults;
    qp_eig_solver s = {.H = H};
    qp_status st = entry(&s, o, &defaults, H != NULL, info, err, errlen);
    if (st != QP_OK) {
        return st;
    }
    s.n = H->n;
    s.cplx = H->im != NULL;
    return lowest(&s, evals, vecs, info);
}

qp_status qp_eig_lowest_op(const qp_linop *A, const qp_eig_opts *o, double *evals, double *vecs,
                           qp_eig_info *info, char *err, size_t errlen)
{
    qp_eig_opts use;
    if (o) {
        use = *o;
    } else {
        qp_eig_opts_default(&use);
    }
    if (use.method == QP_EIG_AUTO) {
        use.method = QP_EIG_LANCZOS;
    }
    if (err && errlen) {
        err[0] = '\0';
    }
    qp_eig_solver s = {.A = A, .o = &use, .err = err, .errlen = errlen};
    s.info.used = use.method;
    if (!A || !A->apply || !(A->norm1 >= 0.0) || !isfinite(A->norm1)) {
        qp_eig_fail(&s, "operator is NULL, has no product, or no finite norm bound");
        if (info) {
            *info = s.info;
        }
        return QP_ERR_USAGE;
    }
    s.n = A->n;
    s.cplx = A->cplx;
    s.norm1 = A->norm1;
    return lowest(&s, evals, vecs, info);
}

qp_status qp_eig_lowest_dense(const double *D, size_t n, int cplx, const qp_eig_opts *o,
                              double *evals, double *vecs, qp_eig_info *info, char *err,
                              size_t errlen)
{
    qp_eig_opts defaults;
    qp_eig_solver s = {.D = D};
    qp_status st = entry(&s, o, &defaults, D != NULL, info, err, errlen);
    if (st != QP_OK) {
        return st;
    }
    s.n = n;
    s.cplx = cplx != 0;
    return lowest(&s, evals, vecs, info);
}
