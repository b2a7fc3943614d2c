/* Quantizer flux gauge: where the external flux of the .flux loops goes (onto inductive
 * branches, as offsets of their cosines and quadratic forms; docs/physics.md). */
#include "circuit/quantize_state.h"
#include "qpsim/units.h"

#include "solve/lapack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GAUGE_RESID 1e-9   /* flux left on a loop without inductive branch [rad] */

/* The rows accepted so far, each reduced against the ones before it and scaled to 1 at its
 * pivot: a new row is tested in O(rows x columns), so that completing an nc-chord system costs
 * O(nc^3), not the O(nc^4) of a rank computed afresh per row. */
typedef struct {
    double *b; /* m rows of n */
    int *piv;
    int m, n;
} echelon;

/* Adds row (n values) when it is independent of the rows already in e (pivots under 1e-9 are
 * zero, as in qp_quantize_rank_of); returns 1 when added, 0 when dependent. */
static int echelon_add(echelon *e, const double *row)
{
    double *x = e->b + (size_t)e->m * (size_t)e->n;
    memcpy(x, row, (size_t)e->n * sizeof *x);
    for (int k = 0; k < e->m; k++) {
        double f = x[e->piv[k]];
        if (f != 0.0) {
            const double *bk = e->b + (size_t)k * (size_t)e->n;
            for (int j = 0; j < e->n; j++) {
                x[j] -= f * bk[j];
            }
        }
    }
    int p = 0;
    for (int j = 1; j < e->n; j++) {
        p = fabs(x[j]) > fabs(x[p]) ? j : p;
    }
    if (fabs(x[p]) < 1e-9) {
        return 0;
    }
    double inv = 1.0 / x[p];
    for (int j = 0; j < e->n; j++) {
        x[j] *= inv;
    }
    x[p] = 1.0;
    e->piv[e->m++] = p;
    return 1;
}

/* The square system rows g = rhs (nc x nc, row-major) for the fundamental-loop fluxes g: one row
 * per .flux loop (its chords with their signs, rhs 2 pi f), completed by unit rows of zero flux,
 * chords in no user loop first. A .flux loop dependent on the ones before it is an error. */
static qp_status loop_system(qctx *q, double *rows, double *rhs)
{
    const qp_circuit *c = q->c;
    int nc = (int)q->nc;
    char *used = calloc((size_t)nc, 1);
    echelon e = {qp_quantize_dnew((size_t)nc * (size_t)nc), malloc((size_t)nc * sizeof(int)), 0,
                 nc};
    if (!used || !e.b || !e.piv) {
        free(used), free(e.b), free(e.piv);
        return QP_ERR_NOMEM;
    }
    qp_status st = QP_OK;
    int m = 0;
    for (size_t l = 0; l < c->nloops; l++) {
        const qp_flux_loop *fl = &c->loops[l];
        int dependent = m >= nc; /* nc independent loops already: no room for another */
        if (!dependent) {
            double *row = rows + (size_t)m * (size_t)nc;
            memset(row, 0, (size_t)nc * sizeof *row);
            for (size_t k = 0; k < fl->n; k++) {
                int b = q->elem_branch[fl->branch[k]];
                for (int j = 0; j < nc; j++) {
                    if (q->chords[j] == b) {
                        row[j] += fl->sign[k];
                        used[j] = 1;
                    }
                }
            }
            dependent = !echelon_add(&e, row);
        }
        if (dependent) {
            QERR(q, fl->loc, "this .flux loop is not independent of the loops given before it");
            st = QP_ERR_INPUT;
            break;
        }
        rhs[m++] = 2.0 * QP_PI * fl->f;
    }
    for (int pass = 0; pass < 2 && st == QP_OK; pass++) {
        for (int j = 0; j < nc && m < nc; j++) {
            if (used[j] != pass) {
                continue;
            }
            double *row = rows + (size_t)m * (size_t)nc;
            memset(row, 0, (size_t)nc * sizeof *row);
            row[j] = 1.0;
            if (echelon_add(&e, row)) {
                rhs[m++] = 0.0;
            }
        }
    }
    free(used), free(e.b), free(e.piv);
    return st;
}

/* Solves rows g = rhs (nc x nc, row-major) in place: rhs becomes g (LAPACK dgesv). */
static qp_status solve_loops(int nc, const double *rows, double *rhs)
{
    /* dgesv wants column-major: solve rows^T in column-major = rows in row-major. */
    double *a = qp_quantize_dnew((size_t)nc * (size_t)nc);
    int *ipiv = malloc((size_t)nc * sizeof *ipiv);
    if (!a || !ipiv) {
        free(a), free(ipiv);
        return QP_ERR_NOMEM;
    }
    for (int i = 0; i < nc; i++) {
        for (int j = 0; j < nc; j++) {
            a[(size_t)j * (size_t)nc + (size_t)i] = rows[(size_t)i * (size_t)nc + (size_t)j];
        }
    }
    int one = 1, info = 0;
    dgesv_(&nc, &one, a, &nc, ipiv, rhs, &nc, &info);
    free(a), free(ipiv);
    return info == 0 ? QP_OK : QP_ERR_NUMERIC;
}

/* Flux offsets th (nI, zeroed by the caller) on the I-tree branches It: least squares
 * G th = -g[Kc], G = F[Kc, It] (LAPACK dgelss). Flux that no I-tree branch can take lies on a
 * loop of capacitive elements only: a warning. */
static qp_status tree_flux(qctx *q, const double *g, size_t nI, const int *It, size_t nK,
                          const int *Kc, double *th)
{
    if (nK == 0 || nI == 0) {
        return QP_OK;
    }
    int one = 1, info = 0;
    int mm = (int)nK, nn = (int)nI, ldb = (int)(nK > nI ? nK : nI), rank = 0, lwork = -1;
    double wq;
    double rcond = 1e-12;
    double *G = qp_quantize_dnew(nK * nI), *Gc = qp_quantize_dnew(nK * nI);
    double *bl = qp_quantize_dnew((size_t)ldb), *s = qp_quantize_dnew(nK < nI ? nK : nI);
    double *work = NULL;
    qp_status st = QP_OK;
    if (!G || !Gc || !bl || !s) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < nK; i++) {
        for (size_t t = 0; t < nI; t++) {
            G[t * nK + i] = (double)q->F[(size_t)Kc[i] * q->nt + (size_t)It[t]];
        }
        bl[i] = -g[Kc[i]];
    }
    memcpy(Gc, G, nK * nI * sizeof *Gc);
    dgelss_(&mm, &nn, &one, G, &mm, bl, &ldb, s, &rcond, &rank, &wq, &lwork, &info);
    lwork = (int)wq + 1;
    work = qp_quantize_dnew((size_t)lwork);
    if (!work) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    dgelss_(&mm, &nn, &one, G, &mm, bl, &ldb, s, &rcond, &rank, work, &lwork, &info);
    for (size_t t = 0; t < nI; t++) {
        th[t] = bl[t];
    }
    double resid = 0.0;
    for (size_t i = 0; i < nK; i++) {
        double r = g[Kc[i]];
        for (size_t t = 0; t < nI; t++) {
            r += Gc[t * nK + i] * th[t];
        }
        resid = fmax(resid, fabs(remainder(r, 2.0 * QP_PI)));
    }
    if (resid > GAUGE_RESID) {
        const qp_loc at = q->c->loops[0].loc;
        qp_diag_add(q->d, QP_SEV_WARNING, qp_circuit_file(q->c, at), at.line, at.col,
                    "external flux through a loop of capacitive elements only has no effect "
                    "and is ignored");
    }
done:
    free(G), free(Gc), free(bl), free(s), free(work);
    return st;
}

/* External flux: fundamental-loop fluxes from the user's loops, then put on inductive branches. */
qp_status qp_quantize_flux_gauge(qctx *q, size_t nI, const int *It, size_t nK, const int *Kc)
{
    const qp_circuit *c = q->c;
    int nc = (int)q->nc;
    q->theta = qp_quantize_dnew(q->nb);
    if (!q->theta) {
        return QP_ERR_NOMEM;
    }
    if (c->nloops == 0 || nc == 0) {
        return QP_OK;
    }
    double *rows = qp_quantize_dnew((size_t)nc * (size_t)nc);
    double *g = qp_quantize_dnew((size_t)nc); /* fundamental-loop fluxes, one per chord */
    double *th = qp_quantize_dnew(nI);
    qp_status st = rows && g && th ? QP_OK : QP_ERR_NOMEM;
    if (st == QP_OK) {
        st = loop_system(q, rows, g);
    }
    if (st == QP_OK) {
        st = solve_loops(nc, rows, g);
    }
    if (st == QP_OK) {
        st = tree_flux(q, g, nI, It, nK, Kc, th);
    }
    if (st == QP_OK) {
        for (size_t t = 0; t < nI; t++) {
            q->theta[q->tree[It[t]]] = th[t];
        }
        for (int j = 0; j < nc; j++) {
            if (!q->br[q->chords[j]].ind) {
                continue;
            }
            double v = g[j];
            for (size_t t = 0; t < nI; t++) {
                v += (double)q->F[(size_t)j * q->nt + (size_t)It[t]] * th[t];
            }
            q->theta[q->chords[j]] = v;
        }
    }
    free(rows), free(g), free(th);
    return st;
}
