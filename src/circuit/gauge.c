/* Quantizer flux gauge: where the external flux of the .flux loops goes (onto inductive
 * branches, as offsets of their cosines and quadratic forms; PHYSICS.md §2.3). */
#include "circuit/quantize_impl.h"
#include "qpsim/units.h"

#include "solve/lapack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GAUGE_RESID 1e-9   /* flux left on a loop without inductive branch [rad] */

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
    double *rows = qp_quantize_dnew((size_t)nc * (size_t)nc), *rhs = qp_quantize_dnew((size_t)nc);
    double *g = NULL, *G = NULL, *bl = NULL, *s = NULL, *work = NULL;
    int *ipiv = malloc((size_t)nc * sizeof *ipiv);
    char *used = calloc((size_t)nc, 1);
    qp_status st = QP_OK;
    if (!rows || !rhs || !ipiv || !used) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    int m = 0;
    for (size_t l = 0; l < c->nloops && st == QP_OK; l++) {
        const qp_flux_loop *fl = &c->loops[l];
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
        if (m >= nc || qp_quantize_rank_of(rows, m + 1, nc) < m + 1) {
            QERR(q, fl->loc, "this .flux loop is not independent of the loops given before it");
            st = QP_ERR_INPUT;
            break;
        }
        rhs[m++] = 2.0 * QP_PI * fl->f;
    }
    /* Complete to a square system with unit rows, chords in no user loop first (zero flux). */
    for (int pass = 0; pass < 2 && st == QP_OK; pass++) {
        for (int j = 0; j < nc && m < nc; j++) {
            if (used[j] != pass) {
                continue;
            }
            double *row = rows + (size_t)m * (size_t)nc;
            memset(row, 0, (size_t)nc * sizeof *row);
            row[j] = 1.0;
            if (qp_quantize_rank_of(rows, m + 1, nc) == m + 1) {
                rhs[m++] = 0.0;
            }
        }
    }
    if (st != QP_OK) {
        goto done;
    }
    /* dgesv wants column-major: solve rows^T in column-major = rows in row-major. */
    double *a = qp_quantize_dnew((size_t)nc * (size_t)nc);
    if (!a) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    for (int i = 0; i < nc; i++) {
        for (int j = 0; j < nc; j++) {
            a[(size_t)j * (size_t)nc + (size_t)i] = rows[(size_t)i * (size_t)nc + (size_t)j];
        }
    }
    int one = 1, info = 0;
    dgesv_(&nc, &one, a, &nc, ipiv, rhs, &nc, &info);
    free(a);
    if (info != 0) {
        st = QP_ERR_NUMERIC;
        goto done;
    }
    g = rhs; /* fundamental-loop fluxes */
    /* theta on I-tree branches: least squares G th = -g[Kc], G = F[Kc, It]. */
    double *th = qp_quantize_dnew(nI);
    if (!th) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    if (nK > 0 && nI > 0) {
        int mm = (int)nK, nn = (int)nI, ldb = (int)(nK > nI ? nK : nI), rank = 0, lwork = -1;
        G = qp_quantize_dnew(nK * nI);
        bl = qp_quantize_dnew((size_t)ldb);
        s = qp_quantize_dnew(nK < nI ? nK : nI);
        double wq;
        double rcond = 1e-12;
        if (!G || !bl || !s) {
            free(th);
            st = QP_ERR_NOMEM;
            goto done;
        }
        for (size_t i = 0; i < nK; i++) {
            for (size_t t = 0; t < nI; t++) {
                G[t * nK + i] = (double)q->F[(size_t)Kc[i] * q->nt + (size_t)It[t]];
            }
            bl[i] = -g[Kc[i]];
        }
        double *Gc = qp_quantize_dnew(nK * nI);
        if (!Gc) {
            free(th);
            st = QP_ERR_NOMEM;
            goto done;
        }
        memcpy(Gc, G, nK * nI * sizeof *Gc);
        dgelss_(&mm, &nn, &one, G, &mm, bl, &ldb, s, &rcond, &rank, &wq, &lwork, &info);
        lwork = (int)wq + 1;
        work = qp_quantize_dnew((size_t)lwork);
        if (!work) {
            free(Gc);
            free(th);
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
        free(Gc);
        if (resid > GAUGE_RESID) {
            qp_diag_add(q->d, QP_SEV_WARNING, qp_circuit_file(c, c->loops[0].loc), c->loops[0].loc.line,
                        c->loops[0].loc.col,
                        "external flux through a loop of capacitive elements only has no effect "
                        "and is ignored");
        }
    }
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
    free(th);
done:
    free(rows);
    free(ipiv);
    free(used);
    free(G);
    free(bl);
    free(s);
    free(work);
    if (g != rhs) {
        free(rhs);
    } else {
        free(g);
    }
    return st;
}
