/* .spectrum method=mps: a circuit of charge modes in branch coordinates as a chain, each site in
 * its lowest local states, solved by DMRG with the kept states and the bond dimension grown until
 * the levels settle (docs/physics.md, "Matrix-product states"). */
#include "analyses/spectrum_impl.h"
#include "operators/align.h"
#include "operators/ham.h"
#include "solve/mps.h"
#include "solve/mps_impl.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CUT_START 8     /* first charge cutoff of the local convergence */
#define CUT_STEP 4
#define CUT_MAX 60
#define LOCAL_SHARE 0.01 /* the local levels kept must settle to this share of tol */
#define KEPT_START 6    /* local states kept per site, first step */
#define BOND_START 16   /* bond dimension, first step */
#define GROWTH 1.5      /* both grow by this factor per step */
#define MPO_EPS 1e-13   /* relative singular values dropped in the MPO */
#define MAX_SWEEPS 30
#define MAX_BYTES 4e9   /* refuse a DMRG step estimated above this */

typedef double complex cplx;

/* The one-site Hamiltonian of every slot (its terms that act on it alone), diagonalized: V[s]
 * (d x d, eigenvectors as columns) and e[s] ascending. */
static int local_bases(const qp_kron *K, cplx **V, double **e)
{
    int ok = 1;
    for (size_t s = 0; ok && s < K->nslot; s++) {
        size_t d = K->dims[s];
        cplx *h = calloc(d * d, sizeof *h);
        V[s] = malloc(d * d * sizeof *V[s]), e[s] = malloc(d * sizeof *e[s]);
        ok = h && V[s] && e[s];
        for (size_t q = 0; ok && q < K->nterm; q++) {
            const qp_kron_term *t = &K->t[q];
            if (t->nf != 1 || t->slot[0] != s) {
                continue;
            }
            for (size_t k = 0; k < t->f[0].n; k++) {
                size_t r = t->f[0].row[k], c = t->f[0].col[k];
                cplx v = t->coef * t->f[0].v[k];
                h[r * d + c] += v;
                if (t->herm) {
                    h[c * d + r] += conj(v);
                }
            }
        }
        ok = ok && qp_mps_heig(d, h, e[s], V[s]);
        free(h);
    }
    return ok;
}

/* F' = V^H F V on the m kept states (F sparse, d x d). */
static cplx *kept_factor(const qp_factor *f, size_t d, const cplx *V, size_t m)
{
    cplx *F = calloc(d * d, sizeof *F), *FV = malloc(d * m * sizeof *FV);
    cplx *out = malloc(m * m * sizeof *out);
    if (!F || !FV || !out) {
        free(F), free(FV), free(out);
        return NULL;
    }
    for (size_t k = 0; k < f->n; k++) {
        F[f->row[k] * d + f->col[k]] += f->v[k];
    }
    qp_mps_mm('N', 'N', d, m, d, F, d, V, d, 0.0, FV, m); /* V's first m columns: ld d */
    qp_mps_mm('C', 'N', m, m, d, V, d, FV, m, 0.0, out, m);
    free(F), free(FV);
    return out;
}

/* The MPO of K on the m lowest local states of every slot: each slot's own terms become its
 * local energies, every other term is carried into the kept states. */
static qp_status build_mpo(const qp_kron *K, size_t m, cplx **V, double **e, qp_mpo *M)
{
    size_t n = K->nslot, nt = 0, nfac = 0;
    for (size_t q = 0; q < K->nterm; q++) {
        nfac += K->t[q].nf;
    }
    qp_mpo_term *T = calloc(K->nterm + n + 1, sizeof *T);
    size_t *sites = calloc(nfac + n + 1, sizeof *sites), *d = malloc(n * sizeof *d);
    cplx **F = calloc(nfac + n + 1, sizeof *F);
    cplx cst = K->cst;
    int ok = T && sites && F && d;
    size_t nf = 0;
    for (size_t s = 0; ok && s < n; s++) { /* local energies */
        d[s] = m < K->dims[s] ? m : K->dims[s];
        ok = (F[nf] = calloc(d[s] * d[s], sizeof *F[nf])) != NULL;
        for (size_t i = 0; ok && i < d[s]; i++) {
            F[nf][i * d[s] + i] = e[s][i];
        }
        sites[nf] = s;
        T[nt++] = (qp_mpo_term){1.0, 0, 1, sites + nf, (const cplx *const *)(F + nf)};
        nf++;
    }
    for (size_t q = 0; ok && q < K->nterm; q++) {
        const qp_kron_term *t = &K->t[q];
        if (t->nf == 0) {
            cst += t->herm ? 2.0 * creal(t->coef) : t->coef;
            continue;
        }
        if (t->nf == 1) { /* in the local energies */
            continue;
        }
        T[nt] = (qp_mpo_term){t->coef, t->herm, t->nf, sites + nf, (const cplx *const *)(F + nf)};
        for (size_t k = 0; ok && k < t->nf; k++, nf++) {
            size_t s = t->slot[k];
            sites[nf] = s;
            ok = (F[nf] = kept_factor(&t->f[k], K->dims[s], V[s], d[s])) != NULL;
        }
        nt++;
    }
    if (ok) {
        T[nt++] = (qp_mpo_term){cst, 0, 0, NULL, NULL};
    }
    qp_status st = ok ? qp_mpo_build(n, d, T, nt, MPO_EPS, M) : QP_ERR_NOMEM;
    for (size_t k = 0; F && k < nf; k++) {
        free(F[k]);
    }
    free(T), free(sites), free(F), free(d);
    return st;
}

static void free_bases(size_t n, cplx **V, double **e)
{
    for (size_t s = 0; s < n; s++) {
        free(V ? V[s] : NULL), free(e ? e[s] : NULL);
    }
    free(V), free(e);
}

/* The terms at charge cutoff c on every mode and the local bases. */
static qp_status terms_at(const qp_modes *br, int c, int *cut, qp_kron *K, cplx ***V, double ***e)
{
    size_t n = br->n;
    for (size_t i = 0; i < n; i++) {
        cut[i] = c;
    }
    qp_status st = qp_ham_terms(br, br, cut, 0, NULL, K);
    if (st == QP_ERR_NUMERIC && K->dims) { /* a product too large to index: not needed here */
        st = QP_OK;
    }
    *V = calloc(n, sizeof **V), *e = calloc(n, sizeof **e);
    if (st == QP_OK && (!*V || !*e || !local_bases(K, *V, *e))) {
        st = QP_ERR_NOMEM;
    }
    return st;
}

/* The charge cutoff: fixed, or grown until the lowest `nloc` local levels of every site change
 * less than LOCAL_SHARE * tol. */
static qp_status choose_cut(const qp_modes *br, const qp_spectrum_opts *o, size_t nloc, int *c)
{
    size_t n = br->n;
    int *cut = malloc(n * sizeof *cut);
    double *prev = malloc(n * nloc * sizeof *prev);
    qp_status st = cut && prev ? QP_OK : QP_ERR_NOMEM;
    *c = o->cut_charge > 0 ? o->cut_charge : CUT_START;
    for (int first = 1; st == QP_OK && o->cut_charge <= 0 && *c <= CUT_MAX; first = 0) {
        qp_kron K;
        cplx **V = NULL;
        double **e = NULL, change = 0.0;
        st = terms_at(br, *c, cut, &K, &V, &e);
        for (size_t s = 0; st == QP_OK && s < n; s++) {
            for (size_t i = 0; i < nloc && i < K.dims[s]; i++) {
                change = fmax(change, first ? INFINITY : fabs(e[s][i] - prev[s * nloc + i]));
                prev[s * nloc + i] = e[s][i];
            }
        }
        free_bases(n, V, e);
        qp_kron_free(&K);
        if (st != QP_OK || change <= LOCAL_SHARE * o->tol) {
            break;
        }
        *c += CUT_STEP;
    }
    *c = *c > CUT_MAX ? CUT_MAX : *c;
    free(cut), free(prev);
    return st;
}

/* One DMRG at m kept local states and bond D: E (k values), *info, the two-site block size. A
 * step estimated above MAX_BYTES or o->max_dim block states is refused before it allocates
 * (QP_ERR_NUMERIC with the estimate in err; *block is set). */
static qp_status solve_step(const qp_kron *K, cplx **V, double **e, size_t mk, size_t D, int k,
                            const qp_spectrum_opts *o, double *E, qp_dmrg_info *info,
                            size_t *block, char *err, size_t errlen)
{
    qp_mpo M;
    qp_status st = build_mpo(K, mk, V, e, &M);
    if (st != QP_OK) {
        return st;
    }
    *block = qp_dmrg_block(&M, D);
    double bytes = qp_dmrg_bytes(&M, D, k);
    if (bytes > MAX_BYTES || *block > o->max_dim) {
        snprintf(err, errlen,
                 "mps: %zu kept local states and bond %zu need a two-site block of %zu states "
                 "and about %.1f GiB",
                 mk, D, *block, bytes / 1073741824.0);
        qp_mpo_free(&M);
        return QP_ERR_NUMERIC;
    }
    if (o->status && *block >= QP_SPEC_STATUS_FROM) {
        char line[160];
        snprintf(line, sizeof line, "mps: %zu sites, %zu kept local states, bond %zu (%.2f GiB)",
                 K->nslot, mk, D, bytes / 1073741824.0);
        o->status(o->status_ctx, line);
    }
    qp_dmrg_opts d = {k, D, MAX_SWEEPS, 0.1 * o->tol, fmin(1e-4, 1e-2 * sqrt(o->tol))};
    st = qp_dmrg_lowest(&M, &d, E, info, err, errlen);
    qp_mpo_free(&M);
    return st;
}

static size_t grow(size_t x, size_t cap)
{
    size_t y = (size_t)ceil((double)x * GROWTH);
    return y > cap ? cap : y;
}

/* The (m, D) loop at the chosen cutoff: both grow until no wanted level changes by more than
 * tol, or nothing can grow (the exact chain at this cutoff). */
static qp_status converge(const qp_modes *br, const qp_spectrum_opts *o, int c,
                          qp_spectrum *out, char *err, size_t errlen)
{
    size_t n = br->n, L = (size_t)o->levels, dmax = 0;
    int k = o->levels + 1, *cut = malloc(n * sizeof *cut);
    qp_kron K;
    cplx **V = NULL;
    double **e = NULL, *E = malloc((size_t)k * sizeof *E), *prev = malloc(L * sizeof *prev);
    qp_status st = cut && E && prev ? terms_at(br, c, cut, &K, &V, &e) : QP_ERR_NOMEM;
    for (size_t s = 0; st == QP_OK && s < n; s++) {
        dmax = K.dims[s] > dmax ? K.dims[s] : dmax;
    }
    size_t mk = KEPT_START < dmax ? KEPT_START : dmax, D = BOND_START, block = 0, pblock = 0;
    double last = INFINITY;
    qp_dmrg_info info = {0};
    for (int have = 0; st == QP_OK; have = 1) {
        char why[200] = "";
        st = solve_step(&K, V, e, mk, D, k, o, E, &info, &block, why, sizeof why);
        if (st == QP_ERR_NUMERIC && have) {
            snprintf(err, errlen, "%s; the levels changed by %.2g GHz at %zu kept states, "
                     "bond %zu (tol %.2g): raise tol, or fix ncut", why, last, (size_t)out->mps_kept,
                     out->mps_bond, o->tol);
        } else if (st != QP_OK) {
            snprintf(err, errlen, "%s", why);
        }
        if (st != QP_OK) {
            break;
        }
        out->steps++;
        if (have) {
            last = 0.0;
            for (size_t j = 0; j < L; j++) {
                last = fmax(last, fabs(E[j] - prev[j]));
            }
        }
        memcpy(prev, E, L * sizeof *E);
        out->mps_kept = (int)mk, out->mps_bond = info.bond, out->mps_sweeps = info.sweeps;
        out->mps_discarded = info.discarded, out->dim = block;
        /* D grows only while its truncation could move the levels by tol/10 (discarded
         * weight times the level scale), or when m cannot grow any more */
        size_t mn = grow(mk, dmax);
        int dgrow = mn == mk || info.discarded * fabs(E[0]) > 0.1 * o->tol;
        size_t Dn = dgrow ? grow(D, SIZE_MAX / 4) : D;
        if ((have && last <= o->tol) || (mn == mk && pblock == block)) {
            break; /* settled, or the exact chain at this cutoff (nothing grew) */
        }
        pblock = block;
        mk = mn, D = Dn;
    }
    if (st == QP_OK) {
        out->E = prev, prev = NULL;
        out->nlev = o->levels;
        out->delta = isfinite(last) ? last : 0.0;
        out->checked = isfinite(last);
        for (size_t i = 0; i < n; i++) {
            out->cut[i] = c;
        }
    }
    if (V) {
        free_bases(n, V, e);
        qp_kron_free(&K);
    }
    free(cut), free(E), free(prev);
    return st;
}

qp_status qp_mps_spectrum(const qp_modes *m, const qp_spectrum_opts *o, qp_spectrum *out,
                          char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    qp_modes *br = NULL;
    qp_status st = qp_align_branch(m, &br);
    if (st == QP_OK && !br) {
        snprintf(err, errlen, "method=mps needs a circuit of charge modes only (junctions and "
                 "capacitors, no inductors) whose junction phases make integer coordinates; use "
                 "method=exact or method=hierarchical");
        return QP_ERR_USAGE;
    }
    out->nmodes = m->n;
    out->cut = calloc(m->n, sizeof *out->cut);
    st = st == QP_OK && !out->cut ? QP_ERR_NOMEM : st;
    int c = 0;
    if (st == QP_OK) {
        st = choose_cut(br, o, 16, &c);
    }
    if (st == QP_OK) {
        st = converge(br, o, c, out, err, errlen);
    }
    if (st == QP_OK) {
        out->mps = 1;
        out->aligned = QP_COORD_BRANCH;
    } else {
        qp_spectrum_clear(out);
    }
    qp_modes_free(br);
    return st;
}

int qp_mps_applies(const qp_modes *m)
{
    qp_modes *br = NULL;
    if (m->n < QP_SPEC_MPS_FROM || qp_align_branch(m, &br) != QP_OK || !br) {
        return 0;
    }
    qp_modes_free(br);
    return 1;
}
