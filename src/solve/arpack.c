/* The ARPACK paths of the eigensolver: plain Lanczos on H and shift-invert with CHOLMOD. */
#include "solve/eig_impl.h"

#include "base/lock.h"
#include "solve/lapack.h"

#include <arpack/arpack.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LANCZOS_SHIFT_NORMS 2.0 /* Lanczos iterates on H + 2 ||H||_1 I (see qp_eig_lanczos) */
#define FILL_MAX_RATIO 60.0     /* AUTO: fill-in of the factor beyond which Lanczos is used */
#define FILL_MAX_BYTES 1.5e9    /* AUTO: factor size beyond which Lanczos is used */
#define ESTIMATE_STEPS 64       /* steps of the short Lanczos run that estimates E0 for sigma */
#define SIGMA_MIN_REL 1e-8      /* least margin of sigma, relative to the bottom of the spectrum */
#define GERSH_ROUNDING 1e3      /* below Gershgorin by this many eps ||H||_1 stays definite */
#define SIGMA_GROWTH 8.0        /* the margin grows by this after each failed factorization */
#define LCG_SEED 0x853c49e6748fea9bULL

/* ---------------------------------------------------------------- ARPACK drivers */

/* Next value of a fixed 64-bit LCG (Knuth's MMIX constants), uniform in [-0.5, 0.5). ARPACK's
 * own random start vector comes from a generator with saved state; ours is the same every call. */
static double lcg_next(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*state >> 11) * 0x1.0p-53 - 0.5;
}

/* The start vector: n real values, or n interleaved complex ones (imaginary parts zero when H is
 * real so that the Lanczos estimate stays real). */
static void start_vector(double *v, size_t n, int interleaved, int cplx)
{
    uint64_t state = LCG_SEED;
    for (size_t i = 0; i < n; i++) {
        if (interleaved) {
            v[2 * i] = lcg_next(&state);
            v[2 * i + 1] = cplx ? lcg_next(&state) : 0.0;
        } else {
            v[i] = lcg_next(&state);
        }
    }
}

/* The operator ARPACK iterates with: H + shift I (mode 1) or (H - sigma I)^-1 (mode 3, fac). */
typedef struct {
    const qp_eig_solver *s;
    double shift;
    qp_eig_factor *fac;
} op_t;

static int op_apply(const op_t *op, int cplx, double *x, double *y)
{
    if (op->fac) {
        return qp_eig_factor_solve(op->fac, x, y);
    }
    qp_eig_matvec(op->s, op->shift, cplx, x, y);
    return 0;
}

/* ARPACK's info codes in words (from the routine headers of arpack-ng 3.8). */
static const char *arpack_info_str(const char *routine, int info)
{
    int eupd = strstr(routine, "eupd") != NULL, cplx = routine[0] == 'z';
    switch (info) {
    case 1:
        return eupd ? "the Schur form could not be reordered by LAPACK ztrsen"
                    : "maximum number of iterations reached";
    case 2:
        return "no shifts could be applied (deprecated code)";
    case 3:
        return "no shifts could be applied during a restart; increase ncv";
    case -1:
        return "N must be positive";
    case -2:
        return "NEV must be positive";
    case -3:
        return "NCV must be greater than NEV and at most N";
    case -4:
        return "the maximum number of iterations must be positive";
    case -5:
        return "WHICH is not valid for this routine";
    case -6:
        return "BMAT must be 'I' or 'G'";
    case -7:
        return "the private work array WORKL is too short";
    case -8:
        return "LAPACK failed on the projected (tridiagonal or Hessenberg) matrix";
    case -9:
        return (eupd && cplx) ? "LAPACK ztrevc failed computing eigenvectors"
                              : "the starting vector is zero";
    case -10:
        return "IPARAM(7) (mode) is not valid";
    case -11:
        return "mode 1 is incompatible with BMAT = 'G'";
    case -12:
        return eupd ? (cplx ? "HOWMNY = 'S' is not implemented"
                            : "NEV and WHICH = 'BE' are incompatible")
                    : "IPARAM(1) must be 0 or 1";
    case -13:
        return eupd ? "HOWMNY must be 'A' or 'P'" : "NEV and WHICH = 'BE' are incompatible";
    case -14:
        return "the iteration found no eigenvalue to sufficient accuracy";
    case -15:
        return cplx ? "the number of converged Ritz values changed between znaupd and zneupd"
                    : "HOWMNY must be 'A' or 'S'";
    case -16:
        return "HOWMNY = 'S' is not implemented";
    case -17:
        return "the number of converged Ritz values changed between dsaupd and dseupd";
    case -9999:
        return "could not build a Lanczos/Arnoldi factorization";
    default:
        return "unknown error";
    }
}

static qp_status arpack_fail(qp_eig_solver *s, const char *routine, int info, int nconv)
{
    if (info == 0) {
        qp_eig_fail(s, "ARPACK %s: only %d of %d eigenvalues converged", routine, nconv, s->nev);
    } else if (info == 1 && strstr(routine, "aupd")) {
        qp_eig_fail(s, "ARPACK %s: %s (info=1); %d of %d eigenvalues converged within maxiter = %d",
                    routine, arpack_info_str(routine, info), nconv, s->nev, s->maxiter);
    } else {
        qp_eig_fail(s, "ARPACK %s: %s (info=%d)", routine, arpack_info_str(routine, info), info);
    }
    return QP_ERR_NUMERIC;
}

/* The arrays and the reverse-communication state of one ARPACK run. A real run (dsaupd/dseupd)
 * holds real vectors and its Ritz vectors in z; a complex run (znaupd/zneupd) holds interleaved
 * complex vectors and needs workev and rwork. */
typedef struct {
    int cplx;
    a_int n, nev, ncv, lworkl, ido, info, iparam[11], ipntr[14];
    const char *which;
    double tol;
    double *resid, *v, *workd, *workl, *d, *z, *workev, *rwork;
    a_int *select;
} arpack_state;

static void state_free(arpack_state *a)
{
    free(a->resid);
    free(a->v);
    free(a->workd);
    free(a->workl);
    free(a->d);
    free(a->z);
    free(a->workev);
    free(a->rwork);
    free(a->select);
}

/* Sizes from ARPACK's headers: lworkl >= ncv (ncv + 8) for dsaupd, 3 ncv^2 + 5 ncv for znaupd.
 * Returns 0 when out of memory (the caller still calls state_free). */
static int state_init(arpack_state *a, const qp_eig_solver *s, int mode)
{
    size_t n = s->n, ncv = (size_t)s->ncv, w = s->cplx ? 2 : 1; /* doubles per scalar */
    memset(a, 0, sizeof *a);
    a->cplx = s->cplx;
    a->n = (a_int)s->n;
    a->nev = s->nev;
    a->ncv = s->ncv;
    a->lworkl = s->cplx ? a->ncv * (3 * a->ncv + 5) : a->ncv * (a->ncv + 8);
    a->info = 1; /* resid holds the start vector */
    a->which = mode != 1 ? "LM" : s->cplx ? "SR" : "SA";
    a->tol = s->tol;
    a->resid = qp_eig_alloc_n(qp_eig_mul_sat(n, w), sizeof *a->resid);
    a->v = qp_eig_alloc_n(qp_eig_mul_sat(n, w * ncv), sizeof *a->v);
    a->workd = qp_eig_alloc_n(qp_eig_mul_sat(n, 3 * w), sizeof *a->workd);
    a->workl = qp_eig_alloc_n(w * (size_t)a->lworkl, sizeof *a->workl);
    a->d = qp_eig_alloc_n(s->cplx ? 2 * (ncv + 1) : ncv, sizeof *a->d);
    a->select = calloc(ncv, sizeof *a->select);
    if (s->cplx) {
        a->workev = qp_eig_alloc_n(4 * ncv, sizeof *a->workev);
        a->rwork = qp_eig_alloc_n(ncv, sizeof *a->rwork);
    } else {
        a->z = qp_eig_alloc_n(qp_eig_mul_sat(n, (size_t)s->nev), sizeof *a->z);
    }
    return a->resid && a->v && a->workd && a->workl && a->d && a->select &&
           (s->cplx ? a->workev && a->rwork : a->z != NULL);
}

/* One reverse-communication call: dsaupd or znaupd. */
static void state_aupd(arpack_state *a)
{
    if (a->cplx) {
        znaupd_c(&a->ido, "I", a->n, a->which, a->nev, a->tol, (double _Complex *)a->resid, a->ncv,
                 (double _Complex *)a->v, a->n, a->iparam, a->ipntr, (double _Complex *)a->workd,
                 (double _Complex *)a->workl, a->lworkl, a->rwork, &a->info);
    } else {
        dsaupd_c(&a->ido, "I", a->n, a->which, a->nev, a->tol, a->resid, a->ncv, a->v, a->n,
                 a->iparam, a->ipntr, a->workd, a->workl, a->lworkl, &a->info);
    }
}

/* The wanted vectors after convergence: dseupd's Ritz vectors into z, or zneupd's Schur vectors
 * into v (its Z is not referenced for HOWMNY = 'P'; v stands in for it). */
static void state_eupd(arpack_state *a, double sigma)
{
    if (a->cplx) {
        double _Complex zsigma = sigma;
        zneupd_c(1, "P", a->select, (double _Complex *)a->d, (double _Complex *)a->v, a->n, zsigma,
                 (double _Complex *)a->workev, "I", a->n, a->which, a->nev, a->tol,
                 (double _Complex *)a->resid, a->ncv, (double _Complex *)a->v, a->n, a->iparam,
                 a->ipntr, (double _Complex *)a->workd, (double _Complex *)a->workl, a->lworkl,
                 a->rwork, &a->info);
    } else {
        dseupd_c(1, "A", a->select, a->d, a->z, a->n, sigma, "I", a->n, a->which, a->nev, a->tol,
                 a->resid, a->ncv, a->v, a->n, a->iparam, a->ipntr, a->workd, a->workl, a->lworkl,
                 &a->info);
    }
}

/* ARPACK on op: dsaupd/dseupd for real H, znaupd/zneupd for complex H, in mode 1 ("SA" / "SR")
 * or mode 3 ("LM"). The k <= nev wanted vectors go to V as interleaved complex columns (with zero
 * imaginary parts for real H).
 * Why not the real embedding [[A, -B], [B, A]] with dsaupd for complex H: it doubles every
 * eigenvalue, and a single-vector Krylov space holds only one vector of each eigenspace in exact
 * arithmetic, so the second copies appear only through rounding. "Ask for 2 nev and
 * de-duplicate" then either converges slowly or returns the next distinct levels as if they were
 * copies, and nothing tells the two cases apart. It also costs the same memory as complex
 * storage. znaupd on a Hermitian operator is Arnoldi with full reorthogonalization, which
 * numerically is Lanczos (the Hessenberg matrix is tridiagonal up to rounding). It needed 7-8
 * restarts where dsaupd needed 7 on the gauge-equivalent real chain (bench/eig_notes.md). The
 * ~1e-15 imaginary parts of its Ritz values never reach the caller: the eigenvalues come from the
 * Hermitian Rayleigh-Ritz step (zheev), which makes them real by construction.
 * zneupd is asked for Schur vectors (HOWMNY = 'P'): for a Hermitian operator they are an
 * orthonormal eigenbasis of the wanted invariant subspace, whereas its Ritz vectors come from
 * ztrevc back-substitution, which loses orthogonality inside (near-)degenerate clusters. */
static qp_status arpack_solve(qp_eig_solver *s, const op_t *op, int mode, double sigma, double *V,
                              int *k)
{
    const char *aupd = s->cplx ? "znaupd" : "dsaupd", *eupd = s->cplx ? "zneupd" : "dseupd";
    size_t w = s->cplx ? 2 : 1; /* doubles per scalar */
    qp_status st = QP_ERR_NOMEM;
    arpack_state a;
    if (!state_init(&a, s, mode)) {
        qp_eig_fail(s, "out of memory for the ARPACK basis (n = %zu, ncv = %d)", s->n, (int)a.ncv);
        goto done;
    }
    start_vector(a.resid, s->n, s->cplx, s->cplx);
    a.iparam[0] = 1; /* exact shifts */
    a.iparam[2] = s->maxiter;
    a.iparam[3] = 1;
    a.iparam[6] = mode;
    for (;;) {
        state_aupd(&a);
        if (a.ido != -1 && a.ido != 1) {
            break;
        }
        double *x = a.workd + w * (size_t)(a.ipntr[0] - 1);
        double *y = a.workd + w * (size_t)(a.ipntr[1] - 1);
        if (op_apply(op, s->cplx, x, y) != 0) {
            st = QP_ERR_NUMERIC;
            qp_eig_fail(s, "CHOLMOD solve failed (%s)", qp_eig_cholmod_status(op->fac->c.status));
            goto done;
        }
    }
    s->info.iterations = a.iparam[2];
    s->info.nconv = a.iparam[4];
    if (a.ido != 99) {
        st = QP_ERR_NUMERIC;
        qp_eig_fail(s, "ARPACK %s: unexpected request ido=%d", aupd, (int)a.ido);
        goto done;
    }
    if (a.info != 0 || a.iparam[4] < a.nev) {
        st = arpack_fail(s, aupd, a.info, a.iparam[4]);
        goto done;
    }
    state_eupd(&a, sigma);
    if (a.info != 0) {
        st = arpack_fail(s, eupd, a.info, a.iparam[4]);
        goto done;
    }
    *k = a.iparam[4] < a.nev ? a.iparam[4] : a.nev;
    size_t len = s->n * (size_t)*k;
    if (s->cplx) {
        memcpy(V, a.v, 2 * len * sizeof *V);
    } else {
        for (size_t p = 0; p < len; p++) {
            V[2 * p] = a.z[p];
            V[2 * p + 1] = 0.0;
        }
    }
    st = QP_OK;
done:
    state_free(&a);
    return st;
}

static qp_status arpack_run(qp_eig_solver *s, const op_t *op, int mode, double sigma, double *V,
                            int *k)
{
    qp_lock_arpack(); /* ARPACK is not reentrant (Fortran SAVE state) */
    qp_status st = arpack_solve(s, op, mode, sigma, V, k);
    qp_unlock_arpack();
    return st;
}

/* ---------------------------------------------------------------- plain Lanczos */

/* ARPACK accepts a Ritz value theta when its error bound is <= tol * max(eps^(2/3), |theta|),
 * i.e. relative to theta itself. Levels near zero (a Laplacian's 1e-10 ground state) would then
 * need an absolute accuracy of ~1e-23 and never converge. Iterating on H + 2||H||_1 I leaves the
 * Krylov spaces, the order of the wanted values and the vectors unchanged but moves the spectrum
 * into [||H||_1, 3||H||_1], so tol becomes relative to the scale of H, like the residual test. */
qp_status qp_eig_lanczos(qp_eig_solver *s, double *V, int *k)
{
    op_t op = {s, LANCZOS_SHIFT_NORMS * (s->norm1 > 0.0 ? s->norm1 : 1.0), NULL};
    s->info.used = QP_EIG_LANCZOS;
    return arpack_run(s, &op, 1, 0.0, V, k);
}

/* ---------------------------------------------------------------- shift-invert */

/* Cheap estimate of the bottom of the spectrum: ESTIMATE_STEPS steps of Lanczos from the fixed
 * start vector, without reorthogonalization (three vectors of memory). The lowest Ritz value
 * theta0 >= E0 is an upper bound even in floating point; res0 = beta_m |s_m0| bounds its distance
 * to some eigenvalue, and spread = theta_(nev-1) - theta0 is a rough width of the wanted levels
 * (ghost copies only make it smaller). */
static qp_status estimate_bottom(qp_eig_solver *s, double *theta0, double *res0, double *spread)
{
    size_t n = s->n, len = s->cplx ? 2 * n : n; /* real vectors for real H */
    lp_int m = (lp_int)(n < ESTIMATE_STEPS ? n : ESTIMATE_STEPS), info = 0;
    qp_status st = QP_ERR_NOMEM;
    double *v = qp_eig_alloc_n(len, sizeof *v), *vp = calloc(len, sizeof *vp);
    double *w = qp_eig_alloc_n(len, sizeof *w);
    double *alpha = qp_eig_alloc_n((size_t)m, sizeof *alpha);
    double *beta = qp_eig_alloc_n((size_t)m, sizeof *beta);
    double *z = qp_eig_alloc_n((size_t)m * (size_t)m, sizeof *z);
    double *work = qp_eig_alloc_n(2 * (size_t)m, sizeof *work);
    if (!v || !vp || !w || !alpha || !beta || !z || !work) {
        qp_eig_fail(s, "out of memory for the Lanczos estimate");
        goto done;
    }
    /* For complex vectors the real dot product over 2n doubles is Re <x, y>; alpha = <v, Hv> is
     * real for Hermitian H, and the local reorthogonalization only needs to be approximate. */
    start_vector(v, n, s->cplx, s->cplx);
    double nv = sqrt(qp_eig_ddot(len, v, v)), scale = s->norm1 > 0.0 ? s->norm1 : 1.0;
    for (size_t i = 0; i < len; i++) {
        v[i] /= nv;
    }
    lp_int steps = m;
    for (lp_int j = 0; j < m; j++) {
        qp_eig_matvec(s, 0.0, s->cplx, v, w);
        if (j > 0) {
            qp_eig_daxpy(len, -beta[j - 1], vp, w);
        }
        alpha[j] = qp_eig_ddot(len, v, w);
        qp_eig_daxpy(len, -alpha[j], v, w);
        double c = qp_eig_ddot(len, v, w); /* one local reorthogonalization against v */
        qp_eig_daxpy(len, -c, v, w);
        alpha[j] += c;
        beta[j] = sqrt(qp_eig_ddot(len, w, w));
        if (beta[j] <= DBL_EPSILON * scale) { /* invariant subspace: the Ritz values are exact */
            steps = j + 1;
            beta[j] = 0.0;
            break;
        }
        double *t = vp;
        vp = v;
        v = t;
        for (size_t i = 0; i < len; i++) {
            v[i] = w[i] / beta[j];
        }
    }
    double blast = beta[steps - 1];
    dstev_("V", &steps, alpha, beta, z, &steps, work, &info, 1);
    if (info != 0) {
        st = QP_ERR_NUMERIC;
        qp_eig_fail(s, "LAPACK dstev failed on the Lanczos estimate (info=%d)", (int)info);
        goto done;
    }
    *theta0 = alpha[0];
    *res0 = blast * fabs(z[steps - 1]);
    *spread = alpha[(s->nev < steps ? s->nev : steps) - 1] - alpha[0];
    st = QP_OK;
done:
    free(v);
    free(vp);
    free(w);
    free(alpha);
    free(beta);
    free(z);
    free(work);
    return st;
}

/* ARPACK mode 3 on (H - sigma I)^-1 with "LM": once sigma lies below E0 (certified by the
 * Cholesky factorization succeeding, Sylvester's law of inertia), the largest 1/(lambda - sigma)
 * belong to the lowest lambda. How sigma is chosen:
 *  - a caller's sigma (o->have_sigma, e.g. the previous sweep point) is tried first;
 *  - otherwise, and whenever that fails, theta0 - margin from estimate_bottom(), with
 *    margin = max(2 res0, spread / 2, 1e-8 * local) and local = max(|theta0|, spread, res0):
 *    just below E0, so the wanted levels stay well apart after inversion (a shift far below a
 *    tight cluster makes the 1/(lambda - sigma) nearly equal and ARPACK slow), with room for the
 *    estimate's error. The scale is that of the bottom of the spectrum, not ||H||_1, which for a
 *    charge basis with a large cutoff is 1e9 times larger than the level spacings;
 *  - never below the Gershgorin bound g minus max(1e-8 |g|, 1000 eps ||H||_1), where H - sigma I
 *    is strictly diagonally dominant, so positive definite by construction and in rounding;
 *  - when CHOLMOD reports "not positive definite" (E0 < sigma, or rounding at a very small
 *    margin) the margin grows eightfold and the same symbolic analysis is refactorized.
 * *fact_failed tells AUTO to fall back to plain Lanczos. */
qp_status qp_eig_shift_invert(qp_eig_solver *s, double *V, int *k, int *fact_failed)
{
    qp_eig_factor f;
    s->info.used = QP_EIG_SHIFT_INVERT;
    *fact_failed = 1;
    qp_status st = qp_eig_factor_init(s, &f);
    if (st == QP_OK && s->o->method == QP_EIG_AUTO) {
        /* Product bases of three or more coupled modes factor with heavy fill-in (measured: four
         * coupled transmons at n = 1.9e5 need 4.3 GiB and 137 s in shift-invert, 0.12 GiB and 15 s
         * in plain Lanczos): AUTO takes Lanczos when the factor would be that dense. */
        double lnz = f.c.lnz, nnz = (double)s->H->nnz;
        if (lnz > FILL_MAX_RATIO * nnz || lnz * sizeof(double) > FILL_MAX_BYTES) {
            qp_eig_fail(s, "the Cholesky factor would hold %.3g entries (%.0f per entry of H)", lnz,
                        lnz / nnz);
            qp_eig_factor_free(&f);
            return QP_ERR_NUMERIC;
        }
    }
    double sigma = s->o->sigma;
    int r = 1;
    if (st == QP_OK && s->o->have_sigma) {
        s->info.factorizations++;
        r = qp_eig_factor_shift(&f, sigma);
    }
    if (st == QP_OK && r == 1) {
        double theta0 = 0.0, res0 = 0.0, spread = 0.0;
        st = estimate_bottom(s, &theta0, &res0, &spread);
        double tiny = s->norm1 > 0.0 ? DBL_EPSILON * s->norm1 : 1.0;
        double local = fmax(fmax(fabs(theta0), spread), fmax(res0, tiny));
        double margin = fmax(fmax(2.0 * res0, 0.5 * spread), SIGMA_MIN_REL * local);
        double lowest = s->gersh - fmax(SIGMA_MIN_REL * fmax(fabs(s->gersh), tiny),
                                        GERSH_ROUNDING * DBL_EPSILON * s->norm1);
        while (st == QP_OK) {
            sigma = fmax(theta0 - margin, lowest);
            s->info.factorizations++;
            r = qp_eig_factor_shift(&f, sigma);
            if (r != 1 || sigma <= lowest) {
                break;
            }
            margin *= SIGMA_GROWTH;
        }
    }
    if (st == QP_OK && r != 0) {
        st = f.c.status == CHOLMOD_OUT_OF_MEMORY ? QP_ERR_NOMEM : QP_ERR_NUMERIC;
        qp_eig_fail(s, "CHOLMOD could not factorize H - sigma I at sigma = %.17g (%s)", sigma,
                    qp_eig_cholmod_status(f.c.status));
    }
    if (st == QP_OK) {
        *fact_failed = 0;
        s->info.sigma = sigma;
        op_t op = {s, 0.0, &f};
        st = arpack_run(s, &op, 3, sigma, V, k);
    }
    qp_eig_factor_free(&f);
    return st;
}
