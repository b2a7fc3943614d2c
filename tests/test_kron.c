/* Unit tests: the matrix-free Hamiltonian (operators/kron.c). The same term list two ways:
 * applied factor by factor without storing the product, against the expanded sparse matrix's own
 * product (computed here from the CSC arrays; the terms themselves are checked against closed
 * forms in test_ham.c); and the
 * lowest levels of the operator by matrix-free Lanczos (qp_eig_lowest_op) against dense LAPACK
 * on the assembled matrix. Circuits cover every basis: charge (coupled transmons with offsets:
 * complex), oscillator (fluxonium at a flux: a complex displacement), the phase grid, fluxoid
 * (a phase-slip junction with a loop inductor) and two oscillators coupled by a mutual
 * inductance. */
#include "qpsim/engine.h"
#include "operators/ham.h"
#include "operators/kron.h"

#include "tap.h"
#include "util.h"

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define TOL_APPLY 1e-13 /* |K x - H x| / (||H||_1 ||x||_inf): same sums in another order */
#define TOL_LEVEL 1e-9  /* |E_lanczos - E_dense| / ||H||_1: ARPACK tol 1e-12 on the shifted H */

typedef struct {
    const char *name, *deck;
    int cut[4];
    int grid;
} deck_case;

static const deck_case cases[] = {
    {"three coupled transmons, offsets",
     "B1 1 0 ej=15\nC1 1 0 ec=0.3\nB2 2 0 ej=12\nC2 2 0 ec=0.28\nB3 3 0 ej=9\nC3 3 0 ec=0.31\n"
     "CC1 1 2 2fF\nCC2 2 3 3fF\n.ng 1 0.25\n.ng 3 0.1\n",
     {5, 4, 6, 0}, 0},
    {"fluxonium at f = 0.3",
     "B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n.flux 0.3\n", {60, 0, 0, 0}, 0},
    {"fluxonium on a phase grid",
     "B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n.flux 0.5\n", {80, 0, 0, 0}, 1},
    {"phase-slip junction and loop inductor",
     "Q1 0 1 es=8.9\nL1 1 2 el=0.5\nC1 2 0 ec=2.5\n.ng 1 0.3\n", {30, 0, 0, 0}, 0},
    {"0-pi ring: cosines over three modes (three factors per term)",
     "B1 1 2 ej=1 ec=0.5\nL1 2 3 el=2\nB2 3 0 ej=1 ec=0.5\nL2 0 1 el=2\nC1 1 3 ec=1\n"
     "C2 2 0 ec=1\n.flux 0.5 B1 L1 B2 L2\n.ng 2 0.2\n",
     {3, 8, 6, 0}, 0},
    {"rf SQUIDs coupled by a mutual inductance",
     "L1 a1 0 1nH\nB1 a1 0 ej=40 c=30f\nL2 a2 0 1.2nH\nB2 a2 0 ej=35 c=30f\nK12 L1 L2 0.02\n"
     ".flux 0.48 L1 B1\n.flux 0.5 L2 B2\n",
     {30, 25, 0, 0}, 0},
};

/* y = H x from the CSC arrays (both triangles stored). */
static void spmv(const qp_sparse *H, const double complex *x, double complex *y)
{
    for (size_t i = 0; i < H->n; i++) {
        y[i] = 0.0;
    }
    for (size_t j = 0; j < H->n; j++) {
        for (size_t k = H->colptr[j]; k < H->colptr[j + 1]; k++) {
            double complex h = H->re[k] + I * (H->im ? H->im[k] : 0.0);
            y[H->rowind[k]] += h * x[j];
        }
    }
}

static double norm1(const qp_sparse *H)
{
    double best = 0.0;
    for (size_t j = 0; j < H->n; j++) {
        double sum = 0.0;
        for (size_t k = H->colptr[j]; k < H->colptr[j + 1]; k++) {
            sum += cabs(H->re[k] + I * (H->im ? H->im[k] : 0.0));
        }
        best = fmax(best, sum);
    }
    return best;
}

static void check_case(const deck_case *dc)
{
    qp_circuit *c = NULL;
    qp_modes *m = NULL;
    char *msgs = NULL;
    qp_diag d = {0};
    qp_status st = elaborate_text(dc->deck, NULL, NULL, 0, &c, &msgs);
    if (st == QP_OK) {
        st = qp_quantize(c, &m, &d);
    }
    QP_CHECK(st == QP_OK, "%s: builds (%s)", dc->name, msgs ? msgs : "");
    free(msgs);
    qp_diag_clear(&d);
    if (st != QP_OK) {
        qp_circuit_free(c);
        return;
    }
    qp_kron K;
    qp_sparse H = {0};
    char err[256] = "";
    st = qp_ham_terms(m, m, dc->cut, dc->grid, NULL, &K);
    qp_status st2 = qp_ham_assemble(m, dc->cut, dc->grid, &H, err, sizeof err);
    QP_CHECK(st == QP_OK && st2 == QP_OK && K.dim == H.n, "%s: terms and matrix (dim %zu)",
             dc->name, H.n);
    if (st == QP_OK && st2 == QP_OK && K.dim == H.n) {
        size_t n = H.n;
        double complex *x = malloc(n * sizeof *x), *y1 = malloc(n * sizeof *y1);
        double complex *y2 = malloc(n * sizeof *y2), *w = malloc(2 * n * sizeof *w);
        for (size_t i = 0; i < n; i++) {
            x[i] = sin(0.37 * (double)i + 0.1) + I * cos(1.3 * (double)i);
        }
        qp_kron_apply(&K, x, y1, w);
        spmv(&H, x, y2);
        double worst = 0.0, nrm = norm1(&H);
        for (size_t i = 0; i < n; i++) {
            worst = fmax(worst, cabs(y1[i] - y2[i]));
        }
        QP_CHECK(worst <= TOL_APPLY * nrm, "%s: K x = H x (max diff %.3g, ||H||_1 %.3g)",
                 dc->name, worst, nrm);
        QP_CHECK(qp_kron_norm_bound(&K) >= nrm * (1.0 - 1e-12),
                 "%s: the norm bound %.6g covers ||H||_1 = %.6g", dc->name,
                 qp_kron_norm_bound(&K), nrm);
        /* Levels: matrix-free Lanczos against dense LAPACK on the matrix. */
        qp_eig_opts eo;
        qp_eig_opts_default(&eo);
        eo.nev = 4;
        double Ed[4], El[4];
        eo.method = QP_EIG_DENSE;
        st = qp_eig_lowest(&H, &eo, Ed, NULL, NULL, err, sizeof err);
        qp_kron_op op;
        qp_linop A;
        eo.method = QP_EIG_AUTO;
        st2 = qp_kron_linop(&K, &op, &A);
        double maxre = 0.0, maxim = 0.0; /* duplicates summed: the stored matrix's own parts */
        for (size_t k = 0; k < H.nnz; k++) {
            maxre = fmax(maxre, fabs(H.re[k]));
            maxim = fmax(maxim, H.im ? fabs(H.im[k]) : 0.0);
        }
        QP_CHECK(st2 != QP_OK || A.cplx == (maxim > 1e-12 * maxre),
                 "%s: real exactly when the matrix is (probe %d, max |Im H| %.3g)", dc->name,
                 A.cplx, maxim);
        if (st2 == QP_OK) { /* the operator's own products (diagonal terms summed first) */
            A.apply(A.ctx, 0, (const double *)x, (double *)y1);
            double dz = 0.0, dr = 0.0;
            for (size_t i = 0; i < n; i++) {
                dz = fmax(dz, cabs(y1[i] - y2[i]));
            }
            if (!A.cplx) { /* real vectors: the real arithmetic path */
                double *xr = malloc(n * sizeof *xr), *yr = malloc(n * sizeof *yr);
                for (size_t i = 0; xr && yr && i < n; i++) {
                    xr[i] = creal(x[i]);
                    x[i] = xr[i];
                }
                if (xr && yr) {
                    A.apply(A.ctx, 1, xr, yr);
                    spmv(&H, x, y2);
                    for (size_t i = 0; i < n; i++) {
                        dr = fmax(dr, fabs(yr[i] - creal(y2[i])));
                    }
                } else {
                    dr = INFINITY;
                }
                free(xr), free(yr);
            }
            QP_CHECK(dz <= TOL_APPLY * nrm && dr <= TOL_APPLY * nrm,
                     "%s: the Lanczos operator's products = H x (complex %.3g, real %.3g)",
                     dc->name, dz, dr);
            st2 = qp_eig_lowest_op(&A, &eo, El, NULL, NULL, err, sizeof err);
        }
        qp_kron_op_free(&op);
        QP_CHECK(st == QP_OK && st2 == QP_OK, "%s: both solves (%s)", dc->name, err);
        double dev = 0.0;
        for (int k = 0; k < 4 && st == QP_OK && st2 == QP_OK; k++) {
            dev = fmax(dev, fabs(El[k] - Ed[k]));
        }
        QP_CHECK(st == QP_OK && st2 == QP_OK && dev <= TOL_LEVEL * nrm,
                 "%s: matrix-free levels = dense levels (max diff %.3g GHz, E0 = %.10g)",
                 dc->name, dev, Ed[0]);
        free(x), free(y1), free(y2), free(w);
    }
    qp_sparse_free(&H);
    qp_kron_free(&K);
    qp_modes_free(m);
    qp_circuit_free(c);
}

/* A product basis too large to index (fourteen charge modes of 41 states: 41^14 > 2^64) still
 * gets its complete term list, which a hierarchical solve dresses group by group: the same
 * terms, slot by slot, as at a small cutoff, with only the factors' sizes grown. */
static void check_unindexable(void)
{
    char deck[2048] = "B0 1 0 ej=8.9\nC0 1 0 ec=2.5\n";
    for (int j = 1; j <= 14; j++) {
        char line[96];
        snprintf(line, sizeof line, "BA%d %s%d %s%d ej=40 ec=0.1\n", j, j == 1 ? "" : "a",
                 j == 1 ? 1 : j - 1, j == 14 ? "" : "a", j == 14 ? 0 : j);
        strcat(deck, line);
    }
    strcat(deck, ".flux 0.5\n");
    qp_modes *m = modes_from_text(deck, NULL);
    QP_CHECK(m && m->n == 14, "14-junction array: 14 modes");
    if (m && m->n == 14) {
        int big[14], small[14];
        for (int i = 0; i < 14; i++) {
            big[i] = 20, small[i] = 1;
        }
        qp_kron Kb, Ks;
        qp_status sb = qp_ham_terms(m, m, big, 0, NULL, &Kb);
        qp_status ss = qp_ham_terms(m, m, small, 0, NULL, &Ks);
        QP_CHECK(sb == QP_ERR_NUMERIC && Kb.dim == 0 && ss == QP_OK && Ks.dim == 4782969,
                 "41^14 states: too large to index (status %d, dim %zu); 3^14 indexed (%zu)",
                 sb, Kb.dim, Ks.dim);
        int same = sb == QP_ERR_NUMERIC && ss == QP_OK && Kb.nterm == Ks.nterm &&
                   Kb.nterm > 0 && Kb.cst == Ks.cst;
        for (size_t k = 0; same && k < Kb.nterm; k++) {
            const qp_kron_term *a = &Kb.t[k], *b = &Ks.t[k];
            same = a->coef == b->coef && a->herm == b->herm && a->nf == b->nf;
            for (size_t j = 0; same && j < a->nf; j++) {
                same = a->slot[j] == b->slot[j] && Kb.dims[a->slot[j]] == 41;
            }
        }
        QP_CHECK(same, "the unindexable product keeps every term (%zu), slot for slot",
                 Kb.nterm);
        qp_kron_free(&Kb);
        qp_kron_free(&Ks);
    }
    qp_modes_free(m);
}

int main(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check_case(&cases[i]);
    }
    check_unindexable();
    /* An operator without a matrix is refused by the methods that need one. */
    qp_linop A = {4, 0, 1.0, NULL, NULL};
    double E[1];
    char err[128] = "";
    QP_CHECK(qp_eig_lowest_op(&A, NULL, E, NULL, NULL, err, sizeof err) == QP_ERR_USAGE,
             "an operator without a product is a usage error (%s)", err);
    /* ... and the methods that need the matrix are refused for one that has a product */
    qp_kron K;
    size_t dims[1] = {8};
    qp_kron_op op;
    qp_linop B;
    if (qp_kron_init(&K, 1, dims) == QP_OK && qp_kron_linop(&K, &op, &B) == QP_OK) {
        qp_eig_opts eo;
        qp_eig_opts_default(&eo);
        eo.method = QP_EIG_DENSE;
        QP_CHECK(qp_eig_lowest_op(&B, &eo, E, NULL, NULL, err, sizeof err) == QP_ERR_USAGE,
                 "dense on an operator without a matrix is refused (%s)", err);
        eo.method = QP_EIG_SHIFT_INVERT;
        QP_CHECK(qp_eig_lowest_op(&B, &eo, E, NULL, NULL, err, sizeof err) == QP_ERR_USAGE,
                 "shift-invert on an operator without a matrix is refused (%s)", err);
        qp_kron_op_free(&op);
    }
    qp_kron_free(&K);
    return tap_done();
}
