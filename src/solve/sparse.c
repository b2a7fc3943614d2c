/* The eigensolver's sparse matrix (construction, input check, products) and shared kernels. */
#include "solve/eig_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ---------------------------------------------------------------- messages and allocation */

void qp_eig_fail(qp_eig_solver *s, const char *fmt, ...)
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
void *qp_eig_alloc_n(size_t count, size_t size)
{
    if (count == 0) {
        count = 1;
    }
    if (count > SIZE_MAX / size) {
        return NULL;
    }
    return malloc(count * size);
}

size_t qp_eig_mul_sat(size_t a, size_t b)
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
    size_t *byrow = qp_eig_alloc_n(nnz, sizeof *byrow), *order = qp_eig_alloc_n(nnz, sizeof *order);
    m.colptr = calloc(n + 1, sizeof *m.colptr);
    m.rowind = qp_eig_alloc_n(nnz, sizeof *m.rowind);
    m.re = qp_eig_alloc_n(nnz, sizeof *m.re);
    m.im = im ? qp_eig_alloc_n(nnz, sizeof *m.im) : NULL;
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
qp_status qp_eig_check_matrix(qp_eig_solver *s)
{
    const qp_sparse *H = s->H;
    size_t n = H->n;
    if (!H->colptr || (H->nnz > 0 && (!H->rowind || !H->re))) {
        qp_eig_fail(s, "matrix: missing arrays");
        return QP_ERR_USAGE;
    }
    if (H->colptr[0] != 0 || H->colptr[n] != H->nnz) {
        qp_eig_fail(s, "matrix: colptr[0] must be 0 and colptr[n] must be nnz = %zu", H->nnz);
        return QP_ERR_USAGE;
    }
    double norm1 = 0.0, gersh = INFINITY;
    for (size_t j = 0; j < n; j++) {
        if (H->colptr[j + 1] < H->colptr[j]) {
            qp_eig_fail(s, "matrix: colptr decreases at column %zu", j);
            return QP_ERR_USAGE;
        }
        double sum = 0.0, diag = 0.0;
        for (size_t k = H->colptr[j]; k < H->colptr[j + 1]; k++) {
            size_t i = H->rowind[k];
            if (i >= n || (k > H->colptr[j] && i <= H->rowind[k - 1])) {
                qp_eig_fail(
                    s, "matrix: row indices of column %zu are out of range, unsorted or repeated",
                    j);
                return QP_ERR_USAGE;
            }
            double b = H->im ? H->im[k] : 0.0;
            if (!isfinite(H->re[k]) || !isfinite(b)) {
                qp_eig_fail(s, "matrix: H(%zu,%zu) is not finite", i, j);
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
    double htol = QP_EIG_HERMITIAN_RTOL * norm1;
    for (size_t j = 0; j < n; j++) {
        for (size_t k = H->colptr[j]; k < H->colptr[j + 1]; k++) {
            size_t i = H->rowind[k];
            double a = H->re[k], b = H->im ? H->im[k] : 0.0;
            if (i == j) {
                if (fabs(b) > htol) {
                    qp_eig_fail(s,
                                "matrix is not Hermitian: diagonal H(%zu,%zu) = %g%+gi is not real",
                                i, i, a, b);
                    return QP_ERR_USAGE;
                }
                continue;
            }
            size_t p = find_entry(H, j, i);
            double pa = p == SIZE_MAX ? 0.0 : H->re[p];
            double pb = (p == SIZE_MAX || !H->im) ? 0.0 : H->im[p];
            if (hypot(a - pa, b + pb) > htol) {
                qp_eig_fail(s,
                            "matrix is not Hermitian: H(%zu,%zu) = %g%+gi but conj(H(%zu,%zu)) = "
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
void qp_sparse_spmv_c(const qp_sparse *H, double shift, const double *x, double *y)
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

void qp_eig_matvec(const qp_eig_solver *s, double shift, int cplx, const double *x, double *y)
{
    if (s->D) { /* (Hx)_j = sum_i conj(H(i,j)) x_i, down column j as for the sparse matrix */
        size_t n = s->n;
        for (size_t j = 0; j < n; j++) {
            const double *col = s->D + 2 * j * n;
            if (cplx) {
                double yr = shift * x[2 * j], yi = shift * x[2 * j + 1];
                for (size_t i = 0; i < n; i++) {
                    double a = col[2 * i], b = s->cplx ? col[2 * i + 1] : 0.0;
                    yr += a * x[2 * i] + b * x[2 * i + 1];
                    yi += a * x[2 * i + 1] - b * x[2 * i];
                }
                y[2 * j] = yr, y[2 * j + 1] = yi;
            } else {
                double acc = shift * x[j];
                for (size_t i = 0; i < n; i++) {
                    acc += col[2 * i] * x[i];
                }
                y[j] = acc;
            }
        }
        return;
    }
    if (s->H) {
        if (cplx) {
            qp_sparse_spmv_c(s->H, shift, x, y);
        } else {
            qp_sparse_spmv_r(s->H, shift, x, y);
        }
        return;
    }
    s->A->apply(s->A->ctx, !cplx, x, y);
    if (shift != 0.0) {
        qp_eig_daxpy(cplx ? 2 * s->n : s->n, shift, x, y);
    }
}

/* y = (H + shift I) x for real symmetric H and real vectors. */
void qp_sparse_spmv_r(const qp_sparse *H, double shift, const double *x, double *y)
{
    for (size_t j = 0; j < H->n; j++) {
        double acc = shift * x[j];
        for (size_t k = H->colptr[j]; k < H->colptr[j + 1]; k++) {
            acc += H->re[k] * x[H->rowind[k]];
        }
        y[j] = acc;
    }
}

double qp_eig_ddot(size_t len, const double *x, const double *y)
{
    double s = 0.0;
    for (size_t i = 0; i < len; i++) {
        s += x[i] * y[i];
    }
    return s;
}

/* y += a x */
void qp_eig_daxpy(size_t len, double a, const double *x, double *y)
{
    for (size_t i = 0; i < len; i++) {
        y[i] += a * x[i];
    }
}

/* <x, y> = sum conj(x_i) y_i into (*re, *im). */
void qp_eig_zdot(size_t n, const double *x, const double *y, double *re, double *im)
{
    double sr = 0.0, si = 0.0;
    for (size_t i = 0; i < n; i++) {
        sr += x[2 * i] * y[2 * i] + x[2 * i + 1] * y[2 * i + 1];
        si += x[2 * i] * y[2 * i + 1] - x[2 * i + 1] * y[2 * i];
    }
    *re = sr;
    *im = si;
}

double qp_eig_znrm(size_t n, const double *x)
{
    return sqrt(qp_eig_ddot(2 * n, x, x));
}

/* y -= (cr + i ci) x */
void qp_eig_zsub(size_t n, double cr, double ci, const double *x, double *y)
{
    for (size_t i = 0; i < n; i++) {
        y[2 * i] -= cr * x[2 * i] - ci * x[2 * i + 1];
        y[2 * i + 1] -= cr * x[2 * i + 1] + ci * x[2 * i];
    }
}
