/* The distributed Lanczos: PARPACK's reverse communication over a communicator, with the halo
 * exchange of the rows each process reads from its neighbours (docs/scale.md). */
#include "solve/pareig.h"

#include "base/lock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
}

#if !QP_HAVE_PARPACK

int qp_eig_have_dist(void)
{
    return 0;
}

qp_status qp_eig_lowest_dist(const qp_eig_dist *D, const qp_eig_opts *o, double *evals,
                             qp_eig_info *info, char *err, size_t errlen)
{
    (void)D, (void)o, (void)evals, (void)info;
    fail(err, errlen, "this qpsim was built without MPI and PARPACK (docs/scale.md)");
    return QP_ERR_USAGE;
}

#else

#include <arpack/parpack.h>
#include <complex.h>
#include <math.h>
#include <mpi.h>
#include <stdint.h>

#define SHIFT_NORMS 2.0 /* Lanczos on A + 2 ||A||_1 I, as the single-process path */
#define NCV_MIN 20
#define LCG_SEED 0x853c49e6748fea9bULL /* the single-process start vector's */

int qp_eig_have_dist(void)
{
    return 1;
}

/* Every process's owned and extended rows, and the requests of one halo exchange. */
typedef struct {
    MPI_Comm comm;
    int rank, size, w;   /* w: doubles per entry */
    uint64_t *rows;      /* per process: lo, hi, elo, ehi */
    MPI_Request *req;
} halo;

static int halo_init(halo *h, const qp_eig_dist *D, int cplx)
{
    h->comm = MPI_Comm_f2c((MPI_Fint)D->fcomm);
    MPI_Comm_rank(h->comm, &h->rank);
    MPI_Comm_size(h->comm, &h->size);
    h->w = cplx ? 2 : 1;
    h->rows = malloc(4 * (size_t)h->size * sizeof *h->rows);
    h->req = malloc(2 * (size_t)h->size * sizeof *h->req);
    uint64_t mine[4] = {D->lo, D->hi, D->elo, D->ehi};
    if (!h->rows || !h->req) {
        return 0;
    }
    return MPI_Allgather(mine, 4, MPI_UINT64_T, h->rows, 4, MPI_UINT64_T, h->comm) ==
           MPI_SUCCESS;
}

/* xe (the extended rows) receives the rows of other processes that it holds; the caller has
 * put its own rows in place. 0 when MPI failed. */
static int halo_exchange(const halo *h, double *xe)
{
    const uint64_t *me = h->rows + 4 * (size_t)h->rank;
    int nreq = 0;
    for (int q = 0; q < h->size; q++) {
        const uint64_t *o = h->rows + 4 * (size_t)q;
        if (q == h->rank) {
            continue;
        }
        uint64_t a = me[2] > o[0] ? me[2] : o[0], b = me[3] < o[1] ? me[3] : o[1];
        if (a < b) { /* my extended rows owned by q */
            MPI_Irecv(xe + h->w * (a - me[2]), (int)(h->w * (b - a)), MPI_DOUBLE, q, 0, h->comm,
                      &h->req[nreq++]);
        }
        a = me[0] > o[2] ? me[0] : o[2], b = me[1] < o[3] ? me[1] : o[3];
        if (a < b) { /* my own rows in q's extended ones */
            MPI_Isend(xe + h->w * (a - me[2]), (int)(h->w * (b - a)), MPI_DOUBLE, q, 0, h->comm,
                      &h->req[nreq++]);
        }
    }
    return MPI_Waitall(nreq, h->req, MPI_STATUSES_IGNORE) == MPI_SUCCESS;
}

/* The reverse-communication state of one run. */
typedef struct {
    int cplx;
    a_int nloc, nev, ncv, lworkl, ido, info, iparam[11], ipntr[14];
    double *resid, *v, *workd, *workl, *d, *workev, *rwork, *xe, *ye;
    a_int *select;
} run_state;

static void run_free(run_state *a)
{
    free(a->resid), free(a->v), free(a->workd), free(a->workl), free(a->d);
    free(a->workev), free(a->rwork), free(a->xe), free(a->ye), free(a->select);
}

static int run_init(run_state *a, const qp_eig_dist *D, int cplx, int nev, int ncv)
{
    size_t nloc = D->hi - D->lo, next = D->ehi - D->elo, w = cplx ? 2 : 1, m = (size_t)ncv;
    memset(a, 0, sizeof *a);
    a->cplx = cplx;
    a->nloc = (a_int)nloc;
    a->nev = nev;
    a->ncv = ncv;
    a->lworkl = cplx ? ncv * (3 * ncv + 5) : ncv * (ncv + 8);
    a->info = 1; /* resid holds the start vector */
    a->resid = malloc((nloc ? nloc : 1) * w * sizeof(double));
    a->v = malloc((nloc ? nloc : 1) * w * m * sizeof(double));
    a->workd = malloc((nloc ? nloc : 1) * 3 * w * sizeof(double));
    a->workl = malloc((size_t)a->lworkl * w * sizeof(double));
    a->d = malloc(2 * (m + 1) * sizeof(double));
    a->workev = malloc(4 * m * sizeof(double));
    a->rwork = malloc(m * sizeof(double));
    a->xe = calloc((next ? next : 1) * w, sizeof(double));
    a->ye = malloc((next ? next : 1) * w * sizeof(double));
    a->select = calloc(m, sizeof *a->select);
    return a->resid && a->v && a->workd && a->workl && a->d && a->workev && a->rwork && a->xe &&
           a->ye && a->select;
}

/* Row i of the global start vector for every i in [lo, hi): the single-process LCG sequence,
 * advanced past the rows before lo (two values per row when complex). */
static void start_vector(double *v, size_t lo, size_t hi, int cplx)
{
    uint64_t s = LCG_SEED;
    for (size_t i = 0; i < (cplx ? 2 * lo : lo); i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    }
    for (size_t i = 0; i < (cplx ? 2 : 1) * (hi - lo); i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        v[i] = (double)(s >> 11) * 0x1.0p-53 - 0.5;
    }
}

static void aupd(MPI_Fint fc, run_state *a, double tol)
{
    if (a->cplx) {
        pznaupd_c(fc, &a->ido, "I", a->nloc, "SR", a->nev, tol, (double _Complex *)a->resid,
                  a->ncv, (double _Complex *)a->v, a->nloc, a->iparam, a->ipntr,
                  (double _Complex *)a->workd, (double _Complex *)a->workl, a->lworkl,
                  (double _Complex *)a->rwork, &a->info);
    } else {
        pdsaupd_c(fc, &a->ido, "I", a->nloc, "SA", a->nev, tol, a->resid, a->ncv, a->v, a->nloc,
                  a->iparam, a->ipntr, a->workd, a->workl, a->lworkl, &a->info);
    }
}

static void eupd(MPI_Fint fc, run_state *a, double tol)
{
    if (a->cplx) {
        pzneupd_c(fc, 0, "A", a->select, (double _Complex *)a->d, (double _Complex *)a->v,
                  a->nloc, 0.0, (double _Complex *)a->workev, "I", a->nloc, "SR", a->nev, tol,
                  (double _Complex *)a->resid, a->ncv, (double _Complex *)a->v, a->nloc,
                  a->iparam, a->ipntr, (double _Complex *)a->workd, (double _Complex *)a->workl,
                  a->lworkl, (double _Complex *)a->rwork, &a->info);
    } else {
        pdseupd_c(fc, 0, "A", a->select, a->d, a->v, a->nloc, 0.0, "I", a->nloc, "SA", a->nev,
                  tol, a->resid, a->ncv, a->v, a->nloc, a->iparam, a->ipntr, a->workd, a->workl,
                  a->lworkl, &a->info);
    }
}

/* y = (A + shift) x on this process's rows, through the extended rows and the halo. */
static int matvec(const qp_eig_dist *D, const halo *h, run_state *a, double shift,
                  const double *x, double *y)
{
    size_t w = (size_t)h->w, off = w * (D->lo - D->elo), n = w * (D->hi - D->lo);
    memcpy(a->xe + off, x, n * sizeof *x);
    if (!halo_exchange(h, a->xe)) {
        return 0;
    }
    D->A->apply(D->A->ctx, !a->cplx, a->xe, a->ye);
    for (size_t i = 0; i < n; i++) {
        y[i] = a->ye[off + i] + shift * x[i];
    }
    return 1;
}

static int cmp_double(const void *p, const void *q)
{
    double a = *(const double *)p, b = *(const double *)q;
    return (a > b) - (a < b);
}

/* The converged eigenvalues of the shifted operator, ascending, into evals (nev of them). */
static void take_values(const run_state *a, double shift, double *evals)
{
    int k = a->iparam[4] < a->nev ? a->iparam[4] : a->nev;
    double *e = (double *)a->workev; /* 4 ncv doubles: room for ncv real parts */
    for (int i = 0; i < a->iparam[4] && i < a->ncv; i++) {
        e[i] = (a->cplx ? a->d[2 * i] : a->d[i]) - shift;
    }
    qsort(e, (size_t)(a->iparam[4] < a->ncv ? a->iparam[4] : a->ncv), sizeof *e, cmp_double);
    memcpy(evals, e, (size_t)k * sizeof *e);
}

qp_status qp_eig_lowest_dist(const qp_eig_dist *D, const qp_eig_opts *o, double *evals,
                             qp_eig_info *info, char *err, size_t errlen)
{
    MPI_Comm comm = MPI_Comm_f2c((MPI_Fint)D->fcomm);
    int cplx = D->A ? D->A->cplx : 0, ready = D->A != NULL, all = 0, anycplx = 0;
    MPI_Allreduce(&ready, &all, 1, MPI_INT, MPI_MIN, comm);
    MPI_Allreduce(&cplx, &anycplx, 1, MPI_INT, MPI_MAX, comm);
    uint64_t nloc = D->hi - D->lo, n = 0;
    MPI_Allreduce(&nloc, &n, 1, MPI_UINT64_T, MPI_SUM, comm);
    int nev = o->nev, ncv = 2 * nev + 1 > NCV_MIN ? 2 * nev + 1 : NCV_MIN;
    ncv = (uint64_t)ncv < n ? ncv : (int)n;
    if (!all) {
        fail(err, errlen, "out of memory setting up a process's part of the distributed solve");
        return QP_ERR_NOMEM;
    }
    if (nev < 1 || (uint64_t)nev + 2 > n) {
        fail(err, errlen, "a distributed solve of %d levels needs more than %d states", nev,
             nev + 1);
        return QP_ERR_USAGE;
    }
    halo h = {0};
    run_state a;
    memset(&a, 0, sizeof a);
    int ok = halo_init(&h, D, anycplx) && run_init(&a, D, anycplx, nev, ncv), okall = 0;
    MPI_Allreduce(&ok, &okall, 1, MPI_INT, MPI_MIN, comm);
    qp_status st = QP_ERR_NOMEM;
    double shift = SHIFT_NORMS * (D->A->norm1 > 0.0 ? D->A->norm1 : 1.0);
    MPI_Fint fc = (MPI_Fint)D->fcomm;
    if (!okall) {
        fail(err, errlen, "out of memory for the distributed Lanczos basis (ncv = %d)", ncv);
        goto done;
    }
    start_vector(a.resid, D->lo, D->hi, anycplx);
    a.iparam[0] = 1; /* exact shifts */
    a.iparam[2] = o->maxiter;
    a.iparam[6] = 1;
    qp_lock_arpack(); /* (P)ARPACK keeps its state in Fortran SAVE variables */
    for (;;) {
        aupd(fc, &a, o->tol);
        if (a.ido != -1 && a.ido != 1) {
            break;
        }
        size_t w = anycplx ? 2 : 1;
        if (!matvec(D, &h, &a, shift, a.workd + w * (size_t)(a.ipntr[0] - 1),
                    a.workd + w * (size_t)(a.ipntr[1] - 1))) {
            break; /* (MPI's default handler aborts before this) */
        }
    }
    int conv = a.ido == 99 && a.info == 0 && a.iparam[4] >= a.nev;
    if (conv) {
        eupd(fc, &a, o->tol);
        conv = a.info == 0;
    }
    qp_unlock_arpack();
    if (!conv) {
        st = QP_ERR_NUMERIC;
        fail(err, errlen, "PARPACK %s: info=%d, %d of %d eigenvalues converged", anycplx ?
             "pznaupd" : "pdsaupd", (int)a.info, (int)a.iparam[4], nev);
        goto done;
    }
    take_values(&a, shift, evals);
    if (info) {
        memset(info, 0, sizeof *info);
        info->used = QP_EIG_LANCZOS;
        MPI_Comm_size(comm, &info->processes);
        info->iterations = (int)a.iparam[2];
        info->nconv = (int)a.iparam[4];
    }
    st = QP_OK;
done:
    run_free(&a);
    free(h.rows), free(h.req);
    return st;
}

#endif
