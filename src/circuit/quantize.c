/* Tree/chord quantization (PHYSICS.md §2.3): one code path for node-flux, loop-charge and mixed
 * JJ + QPS circuits. Steps: branches -> spanning tree -> loop matrix -> flux gauge and offsets
 * -> Smith reduction to canonical pairs -> kernel elimination -> compact directions -> modes. */
#include "qpsim/quantize.h"
#include "circuit/intmat.h"
#include "qpsim/units.h"

#include "solve/lapack.h"
#include "base/uf.h"
#include "base/vec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PINV_RCOND 1e-12   /* relative cut for pseudo-inverses of quadratic forms */
#define KERNEL_TOL 1e-9    /* relative size of a kernel direction of a quadratic form */
#define GAUGE_RESID 1e-9   /* flux left on a loop without inductive branch [rad] */
#define CHECK_TOL 1e-8     /* consistency checks of the mode transform */

typedef struct {
    int ind;    /* 1: inductive (L, B), 0: capacitive (C, Q) */
    char kind;  /* 'C', 'L', 'B', 'Q' */
    int n1, n2;
    double E;   /* EC, EJ or ES [GHz]; L uses the inverse inductance matrix */
    int elem;
    int lidx;   /* index among inductors, or -1 */
} branch;

typedef struct {
    const qp_circuit *c;
    qp_diag *d;
    branch *br;
    size_t nb, nn; /* branches, nodes (with ground) */
    int *tree, *chords; /* branch indices */
    size_t nt, nc;
    long long *Bn; /* nn x nt */
    long long *F;  /* nc x nt */
    double *theta; /* per branch */
    double *ngT;   /* per tree branch */
    int *elem_branch; /* element -> its (inductive, for B) branch */
} qctx;

#define ERR(q, loc, ...)                                                                           \
    qp_diag_add((q)->d, QP_SEV_ERROR, qp_circuit_file((q)->c, loc), (loc).line, (loc).col, __VA_ARGS__)

const char *qp_mode_kind_name(qp_mode_kind k)
{
    static const char *const n[] = {"frozen", "charge", "fluxoid", "oscillator"};
    return n[k];
}

static double *dnew(size_t n)
{
    return calloc(n ? n : 1, sizeof(double));
}

/* ---- steps 1-3: branches, tree, loop matrix ------------------------------------------------ */

/* Energies outside this range make the quadratic forms and kernels meaningless in double
 * precision (an EC of 1e-300 GHz is a typo, not a circuit). */
#define ENERGY_MIN_GHZ 1e-15
#define ENERGY_MAX_GHZ 1e12

static int energy_ok(qctx *q, const qp_element *e, const char *name, double v)
{
    if (v == 0.0 || (v >= ENERGY_MIN_GHZ && v <= ENERGY_MAX_GHZ)) {
        return 1;
    }
    ERR(q, e->loc, "%s of %s is %g GHz, outside the range %g to %g GHz that spectra can handle",
        name, e->name, v, ENERGY_MIN_GHZ, ENERGY_MAX_GHZ);
    return 0;
}

static qp_status collect_branches(qctx *q)
{
    const qp_circuit *c = q->c;
    for (size_t i = 0; i < c->nelem; i++) {
        const qp_element *e = &c->elem[i];
        if (!energy_ok(q, e, "EC", qp_element_ec(e)) || !energy_ok(q, e, "EL", qp_element_el(e)) ||
            !energy_ok(q, e, "EJ", qp_element_ej(e)) || !energy_ok(q, e, "ES", qp_element_es(e))) {
            return QP_ERR_INPUT;
        }
    }
    q->elem_branch = malloc((c->nelem ? c->nelem : 1) * sizeof *q->elem_branch);
    if (!q->elem_branch) {
        return QP_ERR_NOMEM;
    }
    int nl = 0;
    /* Inductive branches first keeps their indices small; order does not change physics. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < c->nelem; i++) {
            const qp_element *e = &c->elem[i];
            branch b = {0, 0, e->n[0], e->n[1], 0.0, (int)i, -1};
            int add = 0;
            if (pass == 0 && e->kind == QP_EL_L) {
                b.ind = 1, b.kind = 'L', b.lidx = nl++, add = 1;
            } else if (pass == 0 && e->kind == QP_EL_B) {
                b.ind = 1, b.kind = 'B', b.E = qp_element_ej(e), add = 1;
            } else if (pass == 1 && e->kind == QP_EL_C) {
                b.kind = 'C', b.E = qp_element_ec(e), add = 1;
            } else if (pass == 1 && e->kind == QP_EL_Q) {
                b.kind = 'Q', b.E = qp_element_es(e), add = 1;
            }
            if (add) {
                q->elem_branch[i] = (int)q->nb;
                if (!QP_PUSH(q->br, q->nb, b)) {
                    return QP_ERR_NOMEM;
                }
            }
            if (pass == 1 && e->kind == QP_EL_B && e->cap > 0.0) {
                branch cb = {0, 'C', e->n[0], e->n[1], qp_element_ec(e), (int)i, -1};
                if (!QP_PUSH(q->br, q->nb, cb)) {
                    return QP_ERR_NOMEM;
                }
            }
            if (pass == 0 && (e->kind == QP_EL_I || e->kind == QP_EL_V)) {
                ERR(q, e->loc, "%s %s: spectra are computed without sources; remove it or use it "
                    "in .tran only", qp_elem_kind_name(e->kind), e->name);
            }
        }
    }
    return QP_OK;
}

static qp_status spanning_tree(qctx *q)
{
    int *p = malloc(q->nn * sizeof *p);
    q->tree = malloc((q->nb ? q->nb : 1) * sizeof *q->tree);
    q->chords = malloc((q->nb ? q->nb : 1) * sizeof *q->chords);
    if (!p || !q->tree || !q->chords) {
        free(p);
        return QP_ERR_NOMEM;
    }
    qp_uf_init(p, q->nn);
    for (size_t i = 0; i < q->nb; i++) { /* inductive branches come first in br */
        if (qp_uf_join(p, q->br[i].n1, q->br[i].n2)) {
            q->tree[q->nt++] = (int)i;
        } else {
            q->chords[q->nc++] = (int)i;
        }
    }
    qp_status st = QP_OK;
    for (size_t n = 1; n < q->nn; n++) {
        if (qp_uf_find(p, (int)n) != 0) {
            qp_loc l = q->c->elem[0].loc;
            ERR(q, l, "node '%s' is connected to ground only through resistors or sources; a "
                "spectrum needs a path of C, L, B or Q elements", q->c->node_names[n]);
            st = QP_ERR_INPUT;
            break;
        }
    }
    free(p);
    return st;
}

static qp_status loop_matrix(qctx *q)
{
    size_t nt = q->nt;
    q->Bn = calloc(q->nn * (nt ? nt : 1), sizeof *q->Bn);
    q->F = calloc((q->nc ? q->nc : 1) * (nt ? nt : 1), sizeof *q->F);
    char *seen = calloc(q->nn, 1);
    int *queue = malloc(q->nn * sizeof *queue);
    if (!q->Bn || !q->F || !seen || !queue) {
        free(seen);
        free(queue);
        return QP_ERR_NOMEM;
    }
    size_t head = 0, tail = 0;
    queue[tail++] = 0;
    seen[0] = 1;
    while (head < tail) {
        int n = queue[head++];
        for (size_t k = 0; k < nt; k++) {
            const branch *b = &q->br[q->tree[k]];
            int other = -1, sign = 0;
            if (b->n2 == n && !seen[b->n1]) {
                other = b->n1, sign = 1; /* phi_n1 = phi_n2 + Phi_k */
            } else if (b->n1 == n && !seen[b->n2]) {
                other = b->n2, sign = -1;
            }
            if (other >= 0) {
                for (size_t t = 0; t < nt; t++) {
                    q->Bn[(size_t)other * nt + t] = q->Bn[(size_t)n * nt + t];
                }
                q->Bn[(size_t)other * nt + k] += sign;
                seen[other] = 1;
                queue[tail++] = other;
            }
        }
    }
    for (size_t j = 0; j < q->nc; j++) {
        const branch *b = &q->br[q->chords[j]];
        for (size_t t = 0; t < nt; t++) {
            q->F[j * nt + t] = q->Bn[(size_t)b->n1 * nt + t] - q->Bn[(size_t)b->n2 * nt + t];
        }
    }
    free(seen);
    free(queue);
    return QP_OK;
}

/* Rank of the first `m` rows of a (m x n) by Gaussian elimination on a copy. */
static int rank_of(const double *a, int m, int n)
{
    double *w = malloc((size_t)(m ? m : 1) * (size_t)(n ? n : 1) * sizeof *w);
    if (!w) {
        return -1;
    }
    memcpy(w, a, (size_t)m * (size_t)n * sizeof *w);
    int r = 0;
    for (int col = 0; col < n && r < m; col++) {
        int piv = r;
        for (int i = r; i < m; i++) {
            if (fabs(w[i * n + col]) > fabs(w[piv * n + col])) {
                piv = i;
            }
        }
        if (fabs(w[piv * n + col]) < 1e-9) {
            continue;
        }
        for (int k = 0; k < n; k++) {
            double t = w[r * n + k];
            w[r * n + k] = w[piv * n + k];
            w[piv * n + k] = t;
        }
        for (int i = r + 1; i < m; i++) {
            double f = w[i * n + col] / w[r * n + col];
            for (int k = col; k < n; k++) {
                w[i * n + k] -= f * w[r * n + k];
            }
        }
        r++;
    }
    free(w);
    return r;
}

/* External flux: fundamental-loop fluxes from the user's loops, then put on inductive branches. */
static qp_status flux_gauge(qctx *q, size_t nI, const int *It, size_t nK, const int *Kc)
{
    const qp_circuit *c = q->c;
    int nc = (int)q->nc;
    q->theta = dnew(q->nb);
    if (!q->theta) {
        return QP_ERR_NOMEM;
    }
    if (c->nloops == 0 || nc == 0) {
        return QP_OK;
    }
    double *rows = dnew((size_t)nc * (size_t)nc), *rhs = dnew((size_t)nc);
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
        if (m >= nc || rank_of(rows, m + 1, nc) < m + 1) {
            ERR(q, fl->loc, "this .flux loop is not independent of the loops given before it");
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
            if (rank_of(rows, m + 1, nc) == m + 1) {
                rhs[m++] = 0.0;
            }
        }
    }
    if (st != QP_OK) {
        goto done;
    }
    /* dgesv wants column-major: solve rows^T in column-major = rows in row-major. */
    double *a = dnew((size_t)nc * (size_t)nc);
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
    double *th = dnew(nI);
    if (!th) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    if (nK > 0 && nI > 0) {
        int mm = (int)nK, nn = (int)nI, ldb = (int)(nK > nI ? nK : nI), rank = 0, lwork = -1;
        G = dnew(nK * nI);
        bl = dnew((size_t)ldb);
        s = dnew(nK < nI ? nK : nI);
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
        double *Gc = dnew(nK * nI);
        if (!Gc) {
            free(th);
            st = QP_ERR_NOMEM;
            goto done;
        }
        memcpy(Gc, G, nK * nI * sizeof *Gc);
        dgelss_(&mm, &nn, &one, G, &mm, bl, &ldb, s, &rcond, &rank, &wq, &lwork, &info);
        lwork = (int)wq + 1;
        work = dnew((size_t)lwork);
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

/* ---- steps 4-5: terms, canonical pairs, kernel elimination --------------------------------- */

typedef struct {
    char kind;
    double E;
    double *vec; /* over I-tree coordinates (inductive) or K-chord coordinates (capacitive) */
    double sh;
    int elem, lidx;
} term;

/* Small dense helpers, row-major. */
static void matmul(const double *A, const double *B, double *C, size_t m, size_t k, size_t n)
{
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t l = 0; l < k; l++) {
                s += A[i * k + l] * B[l * n + j];
            }
            C[i * n + j] = s;
        }
    }
}

/* Symmetric eigen-decomposition in place: A (n x n) -> eigenvectors in columns of A (row-major
 * storage of the column-major result is its transpose, which is symmetric use-safe), w values. */
static qp_status sym_eig(double *A, size_t n, double *w)
{
    if (n == 0) {
        return QP_OK;
    }
    int nn = (int)n, lwork = -1, info = 0;
    double wq;
    dsyev_("V", "U", &nn, A, &nn, w, &wq, &lwork, &info, 1, 1);
    lwork = (int)wq + 1;
    double *work = dnew((size_t)lwork);
    if (!work) {
        return QP_ERR_NOMEM;
    }
    dsyev_("V", "U", &nn, A, &nn, w, work, &lwork, &info, 1, 1);
    free(work);
    return info == 0 ? QP_OK : QP_ERR_NUMERIC;
}

/* Minimises w^T M w s + 2 s v^T w + c0 over the coordinates `drop` (s = 1/2 if half): the
 * Schur complement on `keep` written to A (nk x nk), a (nk), and the new constant. */
static qp_status eliminate(const double *M, const double *v, double c0, size_t n, size_t nk,
                           int half, double *A, double *a, double *cout)
{
    size_t nz = n - nk; /* keep = [0, nk), drop = [nk, n) */
    for (size_t i = 0; i < nk; i++) {
        a[i] = v[i];
        for (size_t j = 0; j < nk; j++) {
            A[i * nk + j] = M[i * n + j];
        }
    }
    *cout = c0;
    if (nz == 0) {
        return QP_OK;
    }
    double *U = dnew(nz * nz), *w = dnew(nz), *P = dnew(nz * nz);
    if (!U || !w || !P) {
        free(U), free(w), free(P);
        return QP_ERR_NOMEM;
    }
    for (size_t i = 0; i < nz; i++) {
        for (size_t j = 0; j < nz; j++) {
            U[i * nz + j] = M[(nk + i) * n + nk + j];
        }
    }
    qp_status st = sym_eig(U, nz, w);
    if (st == QP_OK) {
        double wmax = 0.0;
        for (size_t i = 0; i < nz; i++) {
            wmax = fmax(wmax, fabs(w[i]));
        }
        /* dsyev returns column-major eigenvectors: element (row r, vector k) is U[k*nz + r]. */
        for (size_t i = 0; i < nz; i++) {
            for (size_t j = 0; j < nz; j++) {
                double s = 0.0;
                for (size_t k = 0; k < nz; k++) {
                    if (fabs(w[k]) > PINV_RCOND * wmax) {
                        s += U[k * nz + i] * U[k * nz + j] / w[k];
                    }
                }
                P[i * nz + j] = s;
            }
        }
        for (size_t i = 0; i < nk; i++) {
            for (size_t j = 0; j < nk; j++) {
                double s = 0.0;
                for (size_t k = 0; k < nz; k++) {
                    for (size_t l = 0; l < nz; l++) {
                        s += M[(nk + k) * n + i] * P[k * nz + l] * M[(nk + l) * n + j];
                    }
                }
                A[i * nk + j] -= s;
            }
            double s = 0.0;
            for (size_t k = 0; k < nz; k++) {
                for (size_t l = 0; l < nz; l++) {
                    s += M[(nk + k) * n + i] * P[k * nz + l] * v[nk + l];
                }
            }
            a[i] -= s;
        }
        double s = 0.0;
        for (size_t k = 0; k < nz; k++) {
            for (size_t l = 0; l < nz; l++) {
                s += v[nk + k] * P[k * nz + l] * v[nk + l];
            }
        }
        *cout = c0 - (half ? 0.5 : 1.0) * s;
    }
    free(U), free(w), free(P);
    return st;
}

/* Inverse inductance matrix of the inductors (with mutual couplings) in GHz: (Phi0/2pi)^2 L^-1. */
static qp_status inductive_matrix(qctx *q, size_t nl, double *EL)
{
    const qp_circuit *c = q->c;
    int n = (int)nl;
    if (n == 0) {
        return QP_OK;
    }
    double *Lm = dnew(nl * nl);
    int *ipiv = malloc(nl * sizeof *ipiv);
    if (!Lm || !ipiv) {
        free(Lm), free(ipiv);
        return QP_ERR_NOMEM;
    }
    int *lof = malloc(c->nelem * sizeof *lof); /* element -> inductor index */
    if (!lof) {
        free(Lm), free(ipiv);
        return QP_ERR_NOMEM;
    }
    for (size_t b = 0; b < q->nb; b++) {
        if (q->br[b].kind == 'L') {
            lof[q->br[b].elem] = q->br[b].lidx;
            Lm[(size_t)q->br[b].lidx * nl + (size_t)q->br[b].lidx] = c->elem[q->br[b].elem].value;
        }
    }
    const qp_element *firstk = NULL;
    for (size_t i = 0; i < c->nelem; i++) {
        const qp_element *e = &c->elem[i];
        if (e->kind == QP_EL_K) {
            int a = lof[e->lk[0]], b = lof[e->lk[1]];
            double m = e->value * sqrt(c->elem[e->lk[0]].value * c->elem[e->lk[1]].value);
            Lm[(size_t)a * nl + (size_t)b] += m;
            Lm[(size_t)b * nl + (size_t)a] += m;
            firstk = firstk ? firstk : e;
        }
    }
    free(lof);
    double *chol = dnew(nl * nl);
    int info = 0;
    qp_status st = QP_OK;
    if (!chol) {
        st = QP_ERR_NOMEM;
    } else {
        memcpy(chol, Lm, nl * nl * sizeof *chol);
        dpotrf_("L", &n, chol, &n, &info, 1);
        if (info != 0) {
            ERR(q, firstk ? firstk->loc : c->elem[0].loc,
                "the inductance matrix with its mutual couplings is not positive definite: the "
                "K couplings are too strong together");
            st = QP_ERR_INPUT;
        }
    }
    if (st == QP_OK) {
        double f = QP_PHI0 / (2.0 * QP_PI);
        f = f * f / QP_H / QP_GHZ;
        for (size_t i = 0; i < nl; i++) {
            for (size_t j = 0; j < nl; j++) {
                EL[i * nl + j] = i == j ? f : 0.0;
            }
        }
        int nrhs = n;
        dgesv_(&n, &nrhs, Lm, &n, ipiv, EL, &n, &info); /* symmetric: layout does not matter */
        st = info == 0 ? QP_OK : QP_ERR_NUMERIC;
    }
    free(chol);
    free(Lm);
    free(ipiv);
    return st;
}

/* Names the place that makes a circuit singular: for a phase-slip element the loop of capacitive
 * branches it closes, for a junction its node(s) without capacitance. */
static void describe_singular(const qctx *q, int elem, int is_qps, char *out, size_t len)
{
    const qp_circuit *c = q->c;
    const qp_element *e = &c->elem[elem];
    size_t used = 0;
    out[0] = '\0';
    if (!is_qps) {
        for (int s = 0; s < 2; s++) {
            int node = e->n[s], cap = 0;
            for (size_t b = 0; b < q->nb && node != 0; b++) {
                cap |= !q->br[b].ind && (q->br[b].n1 == node || q->br[b].n2 == node);
            }
            if (node != 0 && !cap && used < len) {
                used += (size_t)snprintf(out + used, len - used, "%snode '%s'",
                                         used ? " and " : "at ", c->node_names[node]);
            }
        }
        if (!used) {
            snprintf(out, len, "in a cut set without capacitance");
        } else if (used < len) {
            snprintf(out + used, len - used, ", which has no capacitance");
        }
        return;
    }
    /* Breadth-first search over the other capacitive branches from n- back to n+. */
    int *from = malloc(q->nn * sizeof *from), *queue = malloc(q->nn * sizeof *queue);
    if (!from || !queue) {
        free(from), free(queue);
        return;
    }
    for (size_t i = 0; i < q->nn; i++) {
        from[i] = -2;
    }
    size_t head = 0, tail = 0;
    queue[tail++] = e->n[1];
    from[e->n[1]] = -1;
    while (head < tail && from[e->n[0]] == -2) {
        int n = queue[head++];
        for (size_t b = 0; b < q->nb; b++) {
            const branch *br = &q->br[b];
            int other = br->n1 == n ? br->n2 : br->n2 == n ? br->n1 : -1;
            if (br->ind || br->elem == elem || other < 0 || from[other] != -2) {
                continue;
            }
            from[other] = (int)b;
            queue[tail++] = other;
        }
    }
    used = (size_t)snprintf(out, len, "%s", e->name);
    for (int n = e->n[0]; from[n] >= 0 && used < len;) {
        const branch *br = &q->br[from[n]];
        used += (size_t)snprintf(out + used, len - used, ", %s", c->elem[br->elem].name);
        n = br->n1 == n ? br->n2 : br->n1;
    }
    free(from), free(queue);
}

typedef struct {
    size_t r;
    double *Lm, *lphi, *Ac, *lp, cst;
    qp_cos_term *cos;
    size_t ncos;
    qp_imat Rinv; /* Phi' = Rinv Phi over I-tree branch fluxes */
    size_t elim_loops, elim_cuts;
} reduced;

static void free_terms(term *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(t[i].vec);
    }
    free(t);
}

static qp_status add_term(term **t, size_t *n, char kind, double E, size_t len, double sh,
                          int elem, int lidx, double **vec)
{
    term x = {kind, E, dnew(len), sh, elem, lidx};
    if (!x.vec || !QP_PUSH(*t, *n, x)) {
        free(x.vec);
        return QP_ERR_NOMEM;
    }
    *vec = x.vec;
    return QP_OK;
}

static qp_status reduce(qctx *q, reduced *out)
{
    const qp_circuit *c = q->c;
    size_t nI = 0, nK = 0, nl = 0;
    int *It = malloc((q->nt ? q->nt : 1) * sizeof *It);
    int *Kt = malloc((q->nt ? q->nt : 1) * sizeof *Kt);
    int *Ic = malloc((q->nc ? q->nc : 1) * sizeof *Ic);
    int *Kc = malloc((q->nc ? q->nc : 1) * sizeof *Kc);
    size_t nKt = 0, nIc = 0;
    term *terms = NULL;
    size_t nterms = 0;
    qp_imat G = {0}, L = {0}, S = {0}, R = {0};
    double *ELm = NULL, *Lq = NULL, *lq = NULL, *Mq = NULL, *mq = NULL, *ngp = NULL;
    qp_status st = QP_OK;
    if (!It || !Kt || !Ic || !Kc) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    for (size_t k = 0; k < q->nt; k++) {
        if (q->br[q->tree[k]].ind) {
            It[nI++] = (int)k;
        } else {
            Kt[nKt++] = (int)k;
        }
    }
    for (size_t j = 0; j < q->nc; j++) {
        if (q->br[q->chords[j]].ind) {
            Ic[nIc++] = (int)j;
        } else {
            Kc[nK++] = (int)j;
        }
    }
    for (size_t b = 0; b < q->nb; b++) {
        nl += q->br[b].kind == 'L';
    }
    if (nI == 0 || nK == 0) {
        ERR(q, c->elem[0].loc, "the circuit has no quantum degree of freedom: a spectrum needs "
            "both an inductive (L or B) and a capacitive (C, junction capacitance or Q) element "
            "in a loop");
        st = QP_ERR_INPUT;
        goto done;
    }
    if ((st = flux_gauge(q, nI, It, nK, Kc)) != QP_OK) {
        goto done;
    }
    q->ngT = dnew(q->nt);
    if (!q->ngT) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    for (size_t o = 0; o < c->noffsets; o++) {
        for (size_t t = 0; t < q->nt; t++) {
            q->ngT[t] += c->offsets[o].ng * (double)q->Bn[(size_t)c->offsets[o].node * q->nt + t];
        }
    }
    /* Terms over (Phi of I-tree branches, q of K-chords). */
    double *v;
    for (size_t a = 0; a < nI && st == QP_OK; a++) {
        const branch *b = &q->br[q->tree[It[a]]];
        if ((st = add_term(&terms, &nterms, b->kind, b->E, nI, q->theta[q->tree[It[a]]], b->elem,
                           b->lidx, &v)) == QP_OK) {
            v[a] = 1.0;
        }
    }
    for (size_t j = 0; j < nIc && st == QP_OK; j++) {
        const branch *b = &q->br[q->chords[Ic[j]]];
        if ((st = add_term(&terms, &nterms, b->kind, b->E, nI, q->theta[q->chords[Ic[j]]],
                           b->elem, b->lidx, &v)) == QP_OK) {
            for (size_t a = 0; a < nI; a++) {
                v[a] = (double)q->F[(size_t)Ic[j] * q->nt + (size_t)It[a]];
            }
        }
    }
    for (size_t a = 0; a < nK && st == QP_OK; a++) {
        const branch *b = &q->br[q->chords[Kc[a]]];
        if ((st = add_term(&terms, &nterms, b->kind, b->E, nK, 0.0, b->elem, -1, &v)) == QP_OK) {
            v[a] = 1.0;
        }
    }
    for (size_t k = 0; k < nKt && st == QP_OK; k++) {
        const branch *b = &q->br[q->tree[Kt[k]]];
        /* KCL on the K-tree branch's cut set, the island's integer charge set to zero. */
        if ((st = add_term(&terms, &nterms, b->kind, b->E, nK, -q->ngT[Kt[k]], b->elem, -1,
                           &v)) == QP_OK) {
            for (size_t a = 0; a < nK; a++) {
                v[a] = -(double)q->F[(size_t)Kc[a] * q->nt + (size_t)Kt[k]];
            }
        }
    }
    if (st != QP_OK) {
        goto done;
    }
    /* Canonical pairs from the Smith form of the kinetic form G = F[Kc, It]. */
    size_t r;
    if ((st = qp_imat_alloc(&G, nK, nI)) != QP_OK) {
        goto done;
    }
    for (size_t i = 0; i < nK; i++) {
        for (size_t t = 0; t < nI; t++) {
            G.a[i * nI + t] = q->F[(size_t)Kc[i] * q->nt + (size_t)It[t]];
        }
    }
    if ((st = qp_imat_smith(&G, &L, &S, &R, &r)) != QP_OK) {
        goto done;
    }
    for (size_t i = 0; i < r; i++) {
        if (S.a[i * S.cols + i] != 1) {
            st = QP_ERR_NUMERIC; /* cannot happen for a graph: F is totally unimodular */
            goto done;
        }
    }
    if (r == 0) {
        ERR(q, c->elem[0].loc, "the circuit has no quantum degree of freedom: no loop holds both "
            "an inductive and a capacitive element");
        st = QP_ERR_INPUT;
        goto done;
    }
    out->r = r;
    ELm = dnew(nl * nl);
    Lq = dnew(nI * nI), lq = dnew(nI), Mq = dnew(nK * nK), mq = dnew(nK);
    out->Lm = dnew(r * r), out->lphi = dnew(r), out->Ac = dnew(r * r), out->lp = dnew(r);
    ngp = dnew(r);
    if (!ELm || !Lq || !lq || !Mq || !mq || !out->Lm || !out->lphi || !out->Ac || !out->lp ||
        !ngp) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    if ((st = inductive_matrix(q, nl, ELm)) != QP_OK) {
        goto done;
    }
    double cL = 0.0, cC = 0.0;
    /* Transform every term's vector: inductive c' = R^T c, capacitive d' = L d. */
    for (size_t k = 0; k < nterms; k++) {
        term *t = &terms[k];
        int ind = t->kind == 'L' || t->kind == 'B';
        size_t n = ind ? nI : nK;
        double *w = dnew(n);
        if (!w) {
            st = QP_ERR_NOMEM;
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            double s = 0.0;
            for (size_t j = 0; j < n; j++) {
                s += (double)(ind ? R.a[j * R.cols + i] : L.a[i * L.cols + j]) * t->vec[j];
            }
            w[i] = s;
        }
        free(t->vec);
        t->vec = w;
    }
    for (size_t k = 0; k < nterms && st == QP_OK; k++) {
        const term *t = &terms[k];
        if (t->kind == 'L') {
            for (size_t k2 = 0; k2 < nterms; k2++) {
                const term *u = &terms[k2];
                if (u->kind != 'L') {
                    continue;
                }
                double e = ELm[(size_t)t->lidx * nl + (size_t)u->lidx];
                for (size_t i = 0; i < nI; i++) {
                    lq[i] += e * u->sh * t->vec[i];
                    for (size_t j = 0; j < nI; j++) {
                        Lq[i * nI + j] += e * t->vec[i] * u->vec[j];
                    }
                }
                cL += 0.5 * e * t->sh * u->sh;
            }
        } else if (t->kind == 'C') {
            for (size_t i = 0; i < nK; i++) {
                mq[i] += 4.0 * t->E * t->sh * t->vec[i];
                for (size_t j = 0; j < nK; j++) {
                    Mq[i * nK + j] += 4.0 * t->E * t->vec[i] * t->vec[j];
                }
            }
            cC += 4.0 * t->E * t->sh * t->sh;
        } else if (t->E != 0.0) {
            int is_qps = t->kind == 'Q';
            size_t n = is_qps ? nK : nI;
            for (size_t i = r; i < n; i++) {
                if (t->vec[i] != 0.0) {
                    const qp_element *e = &c->elem[t->elem];
                    char where[256];
                    describe_singular(q, t->elem, is_qps, where, sizeof where);
                    if (is_qps) {
                        ERR(q, e->loc, "phase-slip element %s lies in a loop of capacitive "
                            "elements only (%s): its charge is fixed by a nonlinear constraint; "
                            "add a small inductance in series with %s to make the circuit well "
                            "posed", e->name, where, e->name);
                    } else {
                        ERR(q, e->loc, "Josephson junction %s sits %s: its phase is fixed by a "
                            "nonlinear constraint; give it a capacitance (c= on %s, or a "
                            "capacitor across it)", e->name, where, e->name);
                    }
                    st = QP_ERR_INPUT;
                    break;
                }
            }
            if (st != QP_OK) {
                break;
            }
            qp_cos_term ct = {is_qps, t->E, dnew(r), t->sh, t->elem};
            if (!ct.c || !QP_PUSH(out->cos, out->ncos, ct)) {
                free(ct.c);
                st = QP_ERR_NOMEM;
                break;
            }
            memcpy(ct.c, t->vec, r * sizeof *ct.c);
        }
    }
    if (st != QP_OK) {
        goto done;
    }
    double cl2, cc2;
    if ((st = eliminate(Lq, lq, cL, nI, r, 1, out->Lm, out->lphi, &cl2)) != QP_OK ||
        (st = eliminate(Mq, mq, cC, nK, r, 0, out->Ac, out->lp, &cc2)) != QP_OK) {
        goto done;
    }
    out->elim_cuts = nI - r;
    out->elim_loops = nK - r;
    /* Charges through canonical momenta: q'_x = P - ngp, ngp = (R^T ngI)[:r]. */
    for (size_t i = 0; i < r; i++) {
        for (size_t t = 0; t < nI; t++) {
            ngp[i] += (double)R.a[t * R.cols + i] * q->ngT[It[t]];
        }
    }
    double *ax = out->lp; /* holds a_x from the elimination */
    double cst = cl2 + cc2;
    for (size_t i = 0; i < r; i++) {
        double Ang = 0.0;
        for (size_t j = 0; j < r; j++) {
            Ang += out->Ac[i * r + j] * ngp[j];
        }
        cst += ngp[i] * Ang - 2.0 * ax[i] * ngp[i];
        ax[i] = 2.0 * (ax[i] - Ang);
    }
    out->cst = cst;
    for (size_t k = 0; k < out->ncos; k++) {
        if (out->cos[k].is_qps) {
            for (size_t i = 0; i < r; i++) {
                out->cos[k].shift -= out->cos[k].c[i] * ngp[i];
            }
        }
    }
    st = qp_imat_inverse(&R, &out->Rinv);
done:
    free(It), free(Kt), free(Ic), free(Kc);
    free_terms(terms, nterms);
    qp_imat_free(&G), qp_imat_free(&L), qp_imat_free(&S), qp_imat_free(&R);
    free(ELm), free(Lq), free(lq), free(Mq), free(mq), free(ngp);
    return st;
}

/* ---- step 6: compact directions and the unimodular change to mode types -------------------- */

static qp_status imat_to_double(const qp_imat *A, double *out)
{
    for (size_t i = 0; i < A->rows * A->cols; i++) {
        out[i] = (double)A->a[i];
    }
    return QP_OK;
}

/* Builds V (r x r unimodular) and the mode kinds; see PHYSICS.md §2.3 step 6. */
static qp_status choose_modes(const reduced *red, qp_imat *V, qp_mode_kind *kind)
{
    size_t r = red->r;
    qp_imat KA = {0}, KB = {0}, Sab = {0}, KBt = {0}, Ls = {0}, D = {0}, Rs = {0}, t1 = {0};
    qp_imat V0 = {0}, CA = {0}, L2 = {0}, Ly = {0}, Sy = {0}, Ry = {0}, T = {0}, Y = {0};
    size_t k = 0;
    qp_status st;
    if ((st = qp_imat_int_kernel(red->Lm, r, r, KERNEL_TOL, &KA)) != QP_OK ||
        (st = qp_imat_int_kernel(red->Ac, r, r, KERNEL_TOL, &KB)) != QP_OK) {
        goto done;
    }
    size_t a = KA.cols, b = KB.cols;
    if (a && b) {
        size_t rank;
        if ((st = qp_imat_transpose(&KB, &KBt)) != QP_OK ||
            (st = qp_imat_mul(&KBt, &KA, &Sab)) != QP_OK ||
            (st = qp_imat_smith(&Sab, &Ls, &D, &Rs, &rank)) != QP_OK) {
            goto done;
        }
        for (size_t i = 0; i < rank; i++) {
            long long v = D.a[i * D.cols + i];
            if (v > 1) {
                st = QP_ERR_NUMERIC; /* compact directions pairing with index > 1 */
                goto done;
            }
            k += v == 1;
        }
        qp_imat Lst = {0};
        if ((st = qp_imat_transpose(&Ls, &Lst)) != QP_OK) {
            goto done;
        }
        st = qp_imat_mul(&KB, &Lst, &t1);
        qp_imat_free(&Lst);
        if (st != QP_OK) {
            goto done;
        }
        qp_imat_free(&KB);
        KB = t1;
        t1 = (qp_imat){0};
        if ((st = qp_imat_mul(&KA, &Rs, &t1)) != QP_OK) {
            goto done;
        }
        qp_imat_free(&KA);
        KA = t1;
        t1 = (qp_imat){0};
    }
    qp_imat_free(&KBt);
    if ((st = qp_imat_transpose(&KB, &KBt)) != QP_OK ||
        (st = qp_imat_complete_rows(&KBt, r, &V0)) != QP_OK ||
        (st = qp_imat_mul(&V0, &KA, &CA)) != QP_OK) {
        goto done;
    }
    size_t rb = r - b;
    if ((st = qp_imat_identity(&Y, rb)) != QP_OK) {
        goto done;
    }
    if (a > k) {
        if ((st = qp_imat_alloc(&L2, rb, a - k)) != QP_OK) {
            goto done;
        }
        for (size_t i = 0; i < rb; i++) {
            for (size_t j = 0; j < a - k; j++) {
                L2.a[i * (a - k) + j] = CA.a[(b + i) * a + k + j];
            }
        }
        if ((st = qp_imat_smith(&L2, &Ly, &Sy, &Ry, &(size_t){0})) != QP_OK) {
            goto done;
        }
        qp_imat Dm = {0};
        if ((st = qp_imat_identity(&Dm, rb)) != QP_OK) {
            goto done;
        }
        for (size_t i = 0; i < a - k; i++) {
            for (size_t j = 0; j < a - k; j++) {
                Dm.a[i * rb + j] = Ry.a[i * Ry.cols + j];
            }
        }
        qp_imat_free(&Y);
        st = qp_imat_mul(&Dm, &Ly, &Y);
        qp_imat_free(&Dm);
        if (st != QP_OK) {
            goto done;
        }
    }
    /* T = [[1, 0], [Z, Y]] with Z[:, :k] = -Y L1, L1 = CA[b:, :k]. */
    if ((st = qp_imat_identity(&T, r)) != QP_OK) {
        goto done;
    }
    for (size_t i = 0; i < rb; i++) {
        for (size_t j = 0; j < rb; j++) {
            T.a[(b + i) * r + b + j] = Y.a[i * rb + j];
        }
        for (size_t j = 0; j < k; j++) {
            long long s = 0;
            for (size_t l = 0; l < rb; l++) {
                s += Y.a[i * rb + l] * CA.a[(b + l) * a + j];
            }
            T.a[(b + i) * r + j] = -s;
        }
    }
    if ((st = qp_imat_mul(&T, &V0, V)) != QP_OK) {
        goto done;
    }
    for (size_t i = 0; i < r; i++) {
        kind[i] = i < k           ? QP_MODE_FROZEN
                  : i < b         ? QP_MODE_FLUXOID
                  : i < b + a - k ? QP_MODE_CHARGE
                                  : QP_MODE_OSC;
    }
done:
    qp_imat_free(&KA), qp_imat_free(&KB), qp_imat_free(&Sab), qp_imat_free(&KBt);
    qp_imat_free(&Ls), qp_imat_free(&D), qp_imat_free(&Rs), qp_imat_free(&t1);
    qp_imat_free(&V0), qp_imat_free(&CA), qp_imat_free(&L2), qp_imat_free(&Ly);
    qp_imat_free(&Sy), qp_imat_free(&Ry), qp_imat_free(&T), qp_imat_free(&Y);
    return st;
}

/* Applies Phi' = Vi Phi'', P' = V^T P'' (Vi = V^-1) to every form and term. */
static qp_status transform(reduced *red, const double *Vd, const double *Vid, qp_modes *m)
{
    size_t r = red->r;
    double *tmp = dnew(r * r), *Vit = dnew(r * r), *Vt = dnew(r * r);
    if (!tmp || !Vit || !Vt) {
        free(tmp), free(Vit), free(Vt);
        return QP_ERR_NOMEM;
    }
    for (size_t i = 0; i < r; i++) {
        for (size_t j = 0; j < r; j++) {
            Vit[i * r + j] = Vid[j * r + i];
            Vt[i * r + j] = Vd[j * r + i];
        }
    }
    matmul(Vit, red->Lm, tmp, r, r, r);
    matmul(tmp, Vid, m->Lm, r, r, r);
    matmul(Vit, red->lphi, m->lphi, r, r, 1);
    matmul(Vd, red->Ac, tmp, r, r, r);
    matmul(tmp, Vt, m->Ac, r, r, r);
    matmul(Vd, red->lp, m->lp, r, r, 1);
    for (size_t k = 0; k < red->ncos; k++) {
        qp_cos_term *t = &red->cos[k];
        matmul(t->is_qps ? Vd : Vit, t->c, tmp, r, r, 1);
        memcpy(t->c, tmp, r * sizeof *tmp);
    }
    free(tmp), free(Vit), free(Vt);
    return QP_OK;
}

/* Normal-mode point transform of the oscillator block (PHYSICS.md §2.3 step 6, last sentence):
 * Phi_C = T Phi~, P_C = T^-T P~ with T^-1 Ac T^-T = 1 and T^T Lm T diagonal. */
static qp_status normal_modes(qp_modes *m, double *Tfull)
{
    size_t n = m->n, nc = 0;
    size_t *C = malloc((n ? n : 1) * sizeof *C);
    if (!C) {
        return QP_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        Tfull[i * n + i] = 1.0;
        if (m->kind[i] == QP_MODE_OSC) {
            C[nc++] = i;
        }
    }
    qp_status st = QP_OK;
    double *S = dnew(nc * nc), *W = dnew(nc * nc), *w = dnew(nc), *T = dnew(n * n);
    double *Ti = dnew(n * n), *tmp = dnew(n * n), *Tt = dnew(n * n), *Tit = dnew(n * n);
    if (!S || !W || !w || !T || !Ti || !tmp || !Tt || !Tit) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    if (nc == 0) {
        goto done;
    }
    /* Cholesky Ac_CC = S S^T (lower S), column-major dpotrf on a symmetric copy. */
    for (size_t i = 0; i < nc; i++) {
        for (size_t j = 0; j < nc; j++) {
            S[j * nc + i] = m->Ac[C[i] * n + C[j]];
        }
    }
    int nn = (int)nc, info = 0;
    dpotrf_("L", &nn, S, &nn, &info, 1);
    if (info != 0) {
        st = QP_ERR_NUMERIC;
        goto done;
    }
    double *Sr = dnew(nc * nc); /* row-major lower S */
    if (!Sr) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < nc; i++) {
        for (size_t j = 0; j <= i; j++) {
            Sr[i * nc + j] = S[j * nc + i];
        }
    }
    /* W = S^T Lm_CC S */
    for (size_t i = 0; i < nc; i++) {
        for (size_t j = 0; j < nc; j++) {
            double s = 0.0;
            for (size_t k = 0; k < nc; k++) {
                for (size_t l = 0; l < nc; l++) {
                    s += Sr[k * nc + i] * m->Lm[C[k] * n + C[l]] * Sr[l * nc + j];
                }
            }
            W[i * nc + j] = s;
        }
    }
    if ((st = sym_eig(W, nc, w)) != QP_OK) {
        free(Sr);
        goto done;
    }
    /* T_CC = S Q, Q's column k is W[k*nc + :]. */
    memcpy(T, Tfull, n * n * sizeof *T);
    for (size_t i = 0; i < nc; i++) {
        for (size_t k = 0; k < nc; k++) {
            double s = 0.0;
            for (size_t l = 0; l < nc; l++) {
                s += Sr[i * nc + l] * W[k * nc + l];
            }
            T[C[i] * n + C[k]] = s;
        }
    }
    free(Sr);
    /* Ti = inverse of T: identity outside the block; block inverse = Q^T S^-1 via solve. */
    memcpy(Ti, T, n * n * sizeof *Ti);
    {
        double *A = dnew(nc * nc), *B = dnew(nc * nc);
        int *ipiv = malloc(nc * sizeof *ipiv);
        if (!A || !B || !ipiv) {
            free(A), free(B), free(ipiv);
            st = QP_ERR_NOMEM;
            goto done;
        }
        for (size_t i = 0; i < nc; i++) {
            for (size_t j = 0; j < nc; j++) {
                A[j * nc + i] = T[C[i] * n + C[j]];
                B[j * nc + i] = i == j;
            }
        }
        dgesv_(&nn, &nn, A, &nn, ipiv, B, &nn, &info);
        for (size_t i = 0; i < nc; i++) {
            for (size_t j = 0; j < nc; j++) {
                Ti[C[i] * n + C[j]] = B[j * nc + i];
            }
        }
        free(A), free(B), free(ipiv);
        if (info != 0) {
            st = QP_ERR_NUMERIC;
            goto done;
        }
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            Tt[i * n + j] = T[j * n + i];
            Tit[i * n + j] = Ti[j * n + i];
        }
    }
    double *v = dnew(n);
    if (!v) {
        st = QP_ERR_NOMEM;
        goto done;
    }
    matmul(Tt, m->Lm, tmp, n, n, n);
    matmul(tmp, T, m->Lm, n, n, n);
    matmul(Tt, m->lphi, v, n, n, 1);
    memcpy(m->lphi, v, n * sizeof *v);
    matmul(Ti, m->Ac, tmp, n, n, n);
    matmul(tmp, Tit, m->Ac, n, n, n);
    matmul(Ti, m->lp, v, n, n, 1);
    memcpy(m->lp, v, n * sizeof *v);
    for (size_t k = 0; k < m->ncos; k++) {
        qp_cos_term *t = &m->cos[k];
        matmul(t->is_qps ? Ti : Tt, t->c, v, n, n, 1);
        memcpy(t->c, v, n * sizeof *v);
    }
    free(v);
    memcpy(Tfull, Ti, n * n * sizeof *Ti); /* the map needs Phi~ = Ti Phi'' */
done:
    free(C), free(S), free(W), free(w), free(T), free(Ti), free(tmp), free(Tt), free(Tit);
    return st;
}

static void check_structure(const qp_modes *m, qp_status *st)
{
    size_t n = m->n;
    double scale = 1.0;
    for (size_t i = 0; i < n * n; i++) {
        scale = fmax(scale, fmax(fabs(m->Lm[i]), fabs(m->Ac[i])));
    }
    for (size_t i = 0; i < n; i++) {
        int needs_no_phi = m->kind[i] == QP_MODE_CHARGE || m->kind[i] == QP_MODE_FROZEN;
        int needs_no_p = m->kind[i] == QP_MODE_FLUXOID || m->kind[i] == QP_MODE_FROZEN;
        for (size_t j = 0; j < n; j++) {
            if ((needs_no_phi && fabs(m->Lm[i * n + j]) > CHECK_TOL * scale) ||
                (needs_no_p && fabs(m->Ac[i * n + j]) > CHECK_TOL * scale)) {
                *st = QP_ERR_NUMERIC;
            }
        }
        if ((needs_no_phi && fabs(m->lphi[i]) > CHECK_TOL * scale) ||
            (needs_no_p && fabs(m->lp[i]) > CHECK_TOL * scale)) {
            *st = QP_ERR_NUMERIC;
        }
        for (size_t k = 0; k < m->ncos && m->kind[i] != QP_MODE_OSC; k++) {
            double c = m->cos[k].c[i];
            if (fabs(c - nearbyint(c)) > CHECK_TOL) {
                *st = QP_ERR_NUMERIC; /* lattice modes need integer coefficients */
            }
            m->cos[k].c[i] = nearbyint(c);
        }
    }
}

void qp_modes_free(qp_modes *m)
{
    if (!m) {
        return;
    }
    free(m->kind), free(m->Lm), free(m->lphi), free(m->Ac), free(m->lp), free(m->map);
    for (size_t k = 0; k < m->ncos; k++) {
        free(m->cos[k].c);
    }
    free(m->cos);
    free(m);
}

qp_status qp_quantize(const qp_circuit *c, qp_modes **out, qp_diag *d)
{
    *out = NULL;
    qctx q = {0};
    q.c = c;
    q.d = d;
    q.nn = c->nnodes;
    reduced red = {0};
    qp_imat V = {0}, Vi = {0};
    qp_modes *m = calloc(1, sizeof *m);
    double *Vd = NULL, *Vid = NULL, *Tn = NULL;
    size_t errors0 = d->errors;
    if (c->nelem == 0) { /* an elaborated circuit never is empty; keep the library safe anyway */
        free(m);
        qp_diag_add(d, QP_SEV_ERROR, NULL, 0, 0, "the circuit has no elements");
        return QP_ERR_INPUT;
    }
    qp_status st = m ? collect_branches(&q) : QP_ERR_NOMEM;
    if (st == QP_OK && d->errors > errors0) {
        st = QP_ERR_INPUT;
    }
    if (st == QP_OK) {
        st = spanning_tree(&q);
    }
    if (st == QP_OK) {
        st = loop_matrix(&q);
    }
    if (st == QP_OK) {
        st = reduce(&q, &red);
    }
    size_t r = red.r;
    if (st == QP_OK) {
        m->n = r;
        m->kind = calloc(r, sizeof *m->kind);
        m->Lm = dnew(r * r), m->lphi = dnew(r), m->Ac = dnew(r * r), m->lp = dnew(r);
        Vd = dnew(r * r), Vid = dnew(r * r), Tn = dnew(r * r);
        if (!m->kind || !m->Lm || !m->lphi || !m->Ac || !m->lp || !Vd || !Vid || !Tn) {
            st = QP_ERR_NOMEM;
        }
    }
    if (st == QP_OK) {
        st = choose_modes(&red, &V, m->kind);
    }
    if (st == QP_OK) {
        st = qp_imat_inverse(&V, &Vi);
    }
    if (st == QP_OK) {
        imat_to_double(&V, Vd);
        imat_to_double(&Vi, Vid);
        st = transform(&red, Vd, Vid, m);
    }
    if (st == QP_OK) {
        m->cst = red.cst;
        m->cos = red.cos, m->ncos = red.ncos;
        red.cos = NULL, red.ncos = 0;
        m->eliminated_loops = red.elim_loops;
        m->eliminated_cuts = red.elim_cuts;
        check_structure(m, &st);
    }
    if (st == QP_OK) {
        st = normal_modes(m, Tn);
    }
    if (st == QP_OK) {
        /* Mode map: Phi~ = Tn V (Rinv Phi_It)[:r]; Phi_It are branch fluxes of I-tree branches. */
        size_t nI = red.Rinv.rows;
        double *A = dnew(r * nI), *B = dnew(r * nI);
        m->nnodes = c->nnodes;
        m->map = dnew(r * c->nnodes);
        if (!A || !B || !m->map) {
            st = QP_ERR_NOMEM;
        } else {
            for (size_t i = 0; i < r; i++) {
                for (size_t t = 0; t < nI; t++) {
                    A[i * nI + t] = (double)red.Rinv.a[i * nI + t];
                }
            }
            matmul(Vd, A, B, r, r, nI);
            matmul(Tn, B, A, r, r, nI);
            size_t t = 0;
            for (size_t k = 0; k < q.nt; k++) {
                const branch *b = &q.br[q.tree[k]];
                if (!b->ind) {
                    continue;
                }
                for (size_t i = 0; i < r; i++) {
                    m->map[i * c->nnodes + (size_t)b->n1] += A[i * nI + t];
                    m->map[i * c->nnodes + (size_t)b->n2] -= A[i * nI + t];
                }
                t++;
            }
        }
        free(A), free(B);
    }
    if (st == QP_ERR_NUMERIC && d->errors == errors0) {
        qp_diag_add(d, QP_SEV_ERROR, NULL, 0, 0,
                    "quantization failed: an internal consistency check of the mode transform "
                    "did not hold (please report this circuit)");
    }
    free(q.br), free(q.tree), free(q.chords), free(q.Bn), free(q.F), free(q.theta), free(q.ngT);
    free(q.elem_branch);
    free(red.Lm), free(red.lphi), free(red.Ac), free(red.lp);
    for (size_t k = 0; k < red.ncos; k++) {
        free(red.cos[k].c);
    }
    free(red.cos);
    qp_imat_free(&red.Rinv), qp_imat_free(&V), qp_imat_free(&Vi);
    free(Vd), free(Vid), free(Tn);
    if (st != QP_OK) {
        qp_modes_free(m);
        return st;
    }
    *out = m;
    return QP_OK;
}
