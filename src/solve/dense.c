/* The dense path of the eigensolver: LAPACK's MRRR on the full matrix, or for values alone its
 * tridiagonal reduction and bisection. */
#include "solve/eig_impl.h"
#include "solve/lapack.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The matrix (stored dense or sparse) into a, column-major, real or interleaved complex. */
static void copy_full(const qp_eig_solver *s, double *a)
{
    const qp_sparse *H = s->H;
    size_t w = s->cplx ? 2 : 1, nn = s->n * s->n;
    memset(a, 0, nn * w * sizeof *a);
    for (size_t p = 0; s->D && p < nn; p++) {
        a[w * p] = s->D[2 * p];
        if (s->cplx) {
            a[2 * p + 1] = s->D[2 * p + 1];
        }
    }
    for (size_t j = 0; !s->D && j < s->n; j++) {
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
}

/* One dsyevr / zheevr call on the lower triangle of the full matrix, workspace query included:
 * with `vectors` the lowest nev pairs (range 'I', vectors into z, n x nev), else every eigenvalue
 * (jobz 'N', range 'A': dsterf). ev (n) receives the eigenvalues, ascending. */
static qp_status evr(qp_eig_solver *s, int vectors, double *ev, double *z, lp_int *isuppz)
{
    const char *jobz = vectors ? "V" : "N", *range = vectors ? "I" : "A";
    lp_int n = (lp_int)s->n, il = 1, iu = vectors ? s->nev : n, ldz = vectors ? n : 1;
    lp_int m = 0, info = 0, query = -1, lwork, liwork, lrwork, iwq = 0, isz[2] = {0, 0};
    double vl = 0.0, vu = 0.0, abstol = 0.0, wq = 0.0, rwq = 0.0, z1 = 0.0;
    size_t w = s->cplx ? 2 : 1;
    double *zz = vectors ? z : &z1;
    lp_int *sz = vectors ? isuppz : isz;
    const char *name = s->cplx ? "zheevr" : "dsyevr";
    qp_status st = QP_ERR_NOMEM;
    double *a = qp_eig_alloc_n(qp_eig_mul_sat(qp_eig_mul_sat(s->n, s->n), w), sizeof *a);
    double *work = NULL, *rwork = NULL;
    lp_int *iwork = NULL;
    if (!a) {
        qp_eig_fail(s, "out of memory for a dense %zu x %zu matrix", s->n, s->n);
        return st;
    }
    copy_full(s, a);
    if (s->cplx) {
        zheevr_(jobz, range, "L", &n, a, &n, &vl, &vu, &il, &iu, &abstol, &m, ev, zz, &ldz, sz,
                &wq, &query, &rwq, &query, &iwq, &query, &info, 1, 1, 1);
    } else {
        dsyevr_(jobz, range, "L", &n, a, &n, &vl, &vu, &il, &iu, &abstol, &m, ev, zz, &ldz, sz,
                &wq, &query, &iwq, &query, &info, 1, 1, 1);
    }
    lwork = (lp_int)wq;
    lrwork = (lp_int)rwq;
    liwork = iwq;
    work = qp_eig_alloc_n((size_t)lwork * w, sizeof *work);
    rwork = qp_eig_alloc_n((size_t)lrwork, sizeof *rwork);
    iwork = qp_eig_alloc_n((size_t)liwork, sizeof *iwork);
    if (info != 0) {
        st = QP_ERR_NUMERIC;
        qp_eig_fail(s, "LAPACK %s workspace query failed (info=%d)", name, (int)info);
        goto done;
    }
    if (!work || !rwork || !iwork) {
        qp_eig_fail(s, "out of memory for LAPACK workspace");
        goto done;
    }
    if (s->cplx) {
        zheevr_(jobz, range, "L", &n, a, &n, &vl, &vu, &il, &iu, &abstol, &m, ev, zz, &ldz, sz,
                work, &lwork, rwork, &lrwork, iwork, &liwork, &info, 1, 1, 1);
    } else {
        dsyevr_(jobz, range, "L", &n, a, &n, &vl, &vu, &il, &iu, &abstol, &m, ev, zz, &ldz, sz,
                work, &lwork, iwork, &liwork, &info, 1, 1, 1);
    }
    st = info == 0 && m == iu ? QP_OK : QP_ERR_NUMERIC;
    if (st != QP_OK) {
        qp_eig_fail(s, "LAPACK %s failed (info=%d, %d of %d eigenvalues)", name, (int)info,
                    (int)m, (int)iu);
    }
done:
    free(a), free(work), free(rwork), free(iwork);
    return st;
}

/* Every eigenvalue by dsyevr / zheevr (range 'A', no vectors), the lowest nev into vals. */
static qp_status values_evr(qp_eig_solver *s, double *vals)
{
    double *ev = qp_eig_alloc_n(s->n, sizeof *ev);
    qp_status st = ev ? evr(s, 0, ev, NULL, NULL) : QP_ERR_NOMEM;
    if (!ev) {
        qp_eig_fail(s, "out of memory for a dense %zu x %zu matrix", s->n, s->n);
    }
    if (st == QP_OK) {
        memcpy(vals, ev, (size_t)s->nev * sizeof *vals);
    }
    free(ev);
    return st;
}

/* The lowest s->nev eigenvalues: the lower triangle reduced to (d, e) by dsytrd / zhetrd
 * (workspace query included), then qp_eig_tridiag_lowest. tau, d, e and the workspace share one
 * block in dsyevr's order: OpenBLAS's level-2 kernels read a little past the end of a vector
 * (under ASAN a separate tau ending at a page boundary made dsymv fault), and those reads then
 * stay inside the block, as they do inside dsyevr's workspace. */
static qp_status values_bisect(qp_eig_solver *s, double *vals)
{
    lp_int n = (lp_int)s->n, info = 0, query = -1, lwork;
    size_t w = s->cplx ? 2 : 1;
    double wq[2] = {0.0, 0.0}, none[2] = {0.0, 0.0};
    if (s->cplx) {
        zhetrd_("L", &n, none, &n, none, none, none, wq, &query, &info, 1);
    } else {
        dsytrd_("L", &n, none, &n, none, none, none, wq, &query, &info, 1);
    }
    lwork = info == 0 && wq[0] >= 1.0 ? (lp_int)wq[0] : 1;
    size_t len = qp_eig_mul_sat(s->n, w + 2), wlen = qp_eig_mul_sat((size_t)lwork, w);
    double *a = qp_eig_alloc_n(qp_eig_mul_sat(qp_eig_mul_sat(s->n, s->n), w), sizeof *a);
    double *block = qp_eig_alloc_n(len + wlen < len ? SIZE_MAX : len + wlen, sizeof *block);
    if (!a || !block) {
        free(a), free(block);
        qp_eig_fail(s, "out of memory for a dense %zu x %zu matrix", s->n, s->n);
        return QP_ERR_NOMEM;
    }
    double *tau = block, *d = block + s->n * w, *e = d + s->n, *work = e + s->n;
    copy_full(s, a);
    if (s->cplx) {
        zhetrd_("L", &n, a, &n, d, e, tau, work, &lwork, &info, 1);
    } else {
        dsytrd_("L", &n, a, &n, d, e, tau, work, &lwork, &info, 1);
    }
    qp_status st = info == 0 ? QP_OK : QP_ERR_NUMERIC;
    if (st == QP_OK) {
        qp_eig_tridiag_lowest(s->n, d, e, s->nev, vals);
    } else {
        qp_eig_fail(s, "LAPACK %s failed (info=%d)", s->cplx ? "zhetrd" : "dsytrd", (int)info);
    }
    free(a), free(block);
    return st;
}

/* Norms outside these bounds (1-norm, GHz or whatever the caller's unit) go to dsyevr, which
 * scales such a matrix (beyond ~1e-146 and ~1e77 of its largest entry) before reducing it; in
 * between, nothing the bisection squares can overflow or lose itself below the smallest
 * normal double. */
#define VALUES_NORM_MIN 1e-100
#define VALUES_NORM_MAX 1e76

qp_status qp_eig_dense_values(qp_eig_solver *s, double *vals)
{
    qp_status st;
    if (!(s->norm1 >= VALUES_NORM_MIN && s->norm1 <= VALUES_NORM_MAX)) {
        st = values_evr(s, vals);
    } else {
        st = values_bisect(s, vals);
    }
    if (st == QP_OK) {
        s->info.nconv = s->nev;
        s->info.max_residual = NAN; /* not computed: no vectors */
    }
    return st;
}

/* Lowest nev pairs by LAPACK's MRRR (dsyevr / zheevr with range 'I') on the lower triangle of
 * the full matrix. Vectors into V (n x nev, interleaved complex). */
qp_status qp_eig_dense_solve(qp_eig_solver *s, double *vals, double *V)
{
    size_t w = s->cplx ? 2 : 1;
    double *ev = qp_eig_alloc_n(s->n, sizeof *ev);
    double *z = qp_eig_alloc_n(qp_eig_mul_sat(s->n * w, (size_t)s->nev), sizeof *z);
    lp_int *isuppz = qp_eig_alloc_n(2 * (size_t)s->nev, sizeof *isuppz);
    qp_status st = ev && z && isuppz ? evr(s, 1, ev, z, isuppz) : QP_ERR_NOMEM;
    if (!ev || !z || !isuppz) {
        qp_eig_fail(s, "out of memory for a dense %zu x %zu matrix", s->n, s->n);
    }
    if (st == QP_OK) {
        memcpy(vals, ev, (size_t)s->nev * sizeof *vals);
        size_t len = s->n * (size_t)s->nev;
        for (size_t p = 0; p < len; p++) {
            V[2 * p] = s->cplx ? z[2 * p] : z[p];
            V[2 * p + 1] = s->cplx ? z[2 * p + 1] : 0.0;
        }
        s->info.nconv = s->nev;
    }
    free(ev), free(z), free(isuppz);
    return st;
}

qp_status qp_eig_check_dense(qp_eig_solver *s)
{
    size_t n = s->n;
    const double *D = s->D;
    double norm1 = 0.0, gersh = INFINITY;
    for (size_t j = 0; j < n; j++) {
        double sum = 0.0, diag = 0.0;
        for (size_t i = 0; i < n; i++) {
            double a = D[2 * (j * n + i)], b = s->cplx ? D[2 * (j * n + i) + 1] : 0.0;
            if (!isfinite(a) || !isfinite(b)) {
                qp_eig_fail(s, "matrix: H(%zu,%zu) is not finite", i, j);
                return QP_ERR_USAGE;
            }
            if (i == j) {
                diag = a;
            } else {
                sum += s->cplx ? hypot(a, b) : fabs(a);
            }
        }
        norm1 = fmax(norm1, sum + fabs(diag));
        gersh = fmin(gersh, diag - sum);
    }
    double htol = QP_EIG_HERMITIAN_RTOL * norm1;
    for (size_t j = 0; j < n; j++) {
        for (size_t i = j; i < n; i++) { /* H(i,j) against conj(H(j,i)) */
            double a = D[2 * (j * n + i)], b = s->cplx ? D[2 * (j * n + i) + 1] : 0.0;
            double pa = D[2 * (i * n + j)], pb = s->cplx ? D[2 * (i * n + j) + 1] : 0.0;
            if (fabs(a - pa) + fabs(b + pb) > htol) {
                qp_eig_fail(s,
                            "matrix is not Hermitian: H(%zu,%zu) = %g%+gi but conj(H(%zu,%zu)) = "
                            "%g%+gi",
                            i, j, a, b, j, i, pa, -pb + 0.0);
                return QP_ERR_USAGE;
            }
        }
    }
    s->norm1 = norm1;
    s->gersh = n > 0 ? gersh : 0.0;
    return QP_OK;
}
