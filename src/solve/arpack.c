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
    const qp_sparse *H;
    double shift;
    qp_eig_factor *fac;
} op_t;

static int op_apply(const op_t *op, int cplx, double *x, double *y)
{
    if (op->fac) {
        return qp_eig_factor_solve(op->fac, x, y);
    }
    if (cplx) {
        qp_sparse_spmv_c(op->H, op->shift, x, y);
    } else {
        qp_sparse_spmv_r(op->H, op->shift, x, y);
    }
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

/* dsaupd/dseupd on a real operator: mode 1 "SA" or mode 3 "LM". The k <= nev Ritz vectors go to
 * V as interleaved complex columns with zero imaginary parts. */
static qp_status arpack_real(qp_eig_solver *s, const op_t *op, int mode, double sigma, double *V,
                             int *k)
{
    a_int n = (a_int)s->n, nev = s->nev, ncv = s->ncv, ido = 0, info = 1;
    a_int lworkl = ncv * (ncv + 8), iparam[11] = {0}, ipntr[14] = {0};
    const char *which = mode == 1 ? "SA" : "LM";
    qp_status st = QP_ERR_NOMEM;
    double *resid = qp_eig_alloc_n(s->n, sizeof *resid);
    double *v = qp_eig_alloc_n(qp_eig_mul_sat(s->n, (size_t)ncv), sizeof *v);
    double *workd = qp_eig_alloc_n(qp_eig_mul_sat(s->n, 3), sizeof *workd);
    double *workl = qp_eig_alloc_n((size_t)lworkl, sizeof *workl);
    double *d = qp_eig_alloc_n((size_t)ncv, sizeof *d);
    double *z = qp_eig_alloc_n(qp_eig_mul_sat(s->n, (size_t)nev), sizeof *z);
    a_int *select = calloc((size_t)ncv, sizeof *select);
    if (!resid || !v || !workd || !workl || !d || !z || !select) {
        qp_eig_fail(s, "out of memory for the ARPACK basis (n = %zu, ncv = %d)", s->n, (int)ncv);
        goto done;
    }
    start_vector(resid, s->n, 0, 0);
    iparam[0] = 1; /* exact shifts */
    iparam[2] = s->maxiter;
    iparam[3] = 1;
    iparam[6] = mode;
    for (;;) {
        dsaupd_c(&ido, "I", n, which, nev, s->tol, resid, ncv, v, n, iparam, ipntr, workd, workl,
                 lworkl, &info);
        if (ido != -1 && ido != 1) {
            break;
        }
        if (op_apply(op, 0, workd + ipntr[0] - 1, workd + ipntr[1] - 1) != 0) {
            st = QP_ERR_NUMERIC;
            qp_eig_fail(s, "CHOLMOD solve failed (%s)", qp_eig_cholmod_status(op->fac->c.status));
            goto done;
        }
    }
    s->info.iterations = iparam[2];
    s->info.nconv = iparam[4];
    if (ido != 99) {
        st = QP_ERR_NUMERIC;
        qp_eig_fail(s, "ARPACK dsaupd: unexpected request ido=%d", (int)ido);
        goto done;
    }
    if (info != 0 || iparam[4] < nev) {
        st = arpack_fail(s, "dsaupd", info, iparam[4]);
        goto done;
    }
    dseupd_c(1, "A", select, d, z, n, sigma, "I", n, which, nev, s->tol, resid, ncv, v, n, iparam,
             ipntr, workd, workl, lworkl, &info);
    if (info != 0) {
        st = arpack_fail(s, "dseupd", info, iparam[4]);
        goto done;
    }
    *k = iparam[4] < nev ? iparam[4] : nev;
    for (size_t p = 0; p < s->n * (size_t)*k; p++) {
        V[2 * p] = z[p];
        V[2 * p + 1] = 0.0;
    }
    st = QP_OK;
done:
    free(resid);
    free(v);
    free(workd);
    free(workl);
    free(d);
    free(z);
    free(select);
    return st;
}

/* znaupd/zneupd on a complex operator: mode 1 "SR" or mode 3 "LM".
 * Why not the real embedding [[A, -B], [B, A]] with dsaupd: it doubles every eigenvalue, and a
 * single-vector Krylov space holds only one vector of each eigenspace in exact arithmetic, so the
 * second copies appear only through rounding. "Ask for 2 nev and de-duplicate" then either
 * converges slowly or returns the next distinct levels as if they were copies, and nothing tells
 * the two cases apart. It also costs the same memory as complex storage. znaupd on a Hermitian
 * operator is Arnoldi with full reorthogonalization, which numerically is Lanczos (the
 * Hessenberg matrix is tridiagonal up to rounding). It needed 7-8 restarts where dsaupd needed 7
 * on the gauge-equivalent real chain (bench/eig_notes.md). The ~1e-15 imaginary parts
 * of its Ritz values never reach the caller: the eigenvalues come from the Hermitian
 * Rayleigh-Ritz step (zheev), which makes them real by construction.
 * zneupd is asked for Schur vectors (HOWMNY = 'P'): for a Hermitian operator they are an
 * orthonormal eigenbasis of the wanted invariant subspace, whereas its Ritz vectors come from
 * ztrevc back-substitution, which loses orthogonality inside (near-)degenerate clusters. */
static qp_status arpack_cplx(qp_eig_solver *s, const op_t *op, int mode, double sigma, double *V,
                             int *k)
{
    a_int n = (a_int)s->n, nev = s->nev, ncv = s->ncv, ido = 0, info = 1;
    a_int lworkl = ncv * (3 * ncv + 5), iparam[11] = {0}, ipntr[14] = {0};
    const char *which = mode == 1 ? "SR" : "LM";
    double _Complex zsigma = sigma;
    qp_status st = QP_ERR_NOMEM;
    double *resid = qp_eig_alloc_n(qp_eig_mul_sat(s->n, 2), sizeof *resid);
    double *v = qp_eig_alloc_n(qp_eig_mul_sat(s->n, 2 * (size_t)ncv), sizeof *v);
    double *workd = qp_eig_alloc_n(qp_eig_mul_sat(s->n, 6), sizeof *workd);
    double *workl = qp_eig_alloc_n(2 * (size_t)lworkl, sizeof *workl);
    double *d = qp_eig_alloc_n(2 * ((size_t)ncv + 1), sizeof *d);
    double *workev = qp_eig_alloc_n(4 * (size_t)ncv, sizeof *workev);
    double *rwork = qp_eig_alloc_n((size_t)ncv, sizeof *rwork);
    a_int *select = calloc((size_t)ncv, sizeof *select);
    if (!resid || !v || !workd || !workl || !d || !workev || !rwork || !select) {
        qp_eig_fail(s, "out of memory for the ARPACK basis (n = %zu, ncv = %d)", s->n, (int)ncv);
        goto done;
    }
    start_vector(resid, s->n, 1, 1);
    iparam[0] = 1;
    iparam[2] = s->maxiter;
    iparam[3] = 1;
    iparam[6] = mode;
    for (;;) {
        znaupd_c(&ido, "I", n, which, nev, s->tol, (double _Complex *)resid, ncv,
                 (double _Complex *)v, n, iparam, ipntr, (double _Complex *)workd,
                 (double _Complex *)workl, lworkl, rwork, &info);
        if (ido != -1 && ido != 1) {
            break;
        }
        double *x = workd + 2 * (size_t)(ipntr[0] - 1), *y = workd + 2 * (size_t)(ipntr[1] - 1);
        if (op_apply(op, 1, x, y) != 0) {
            st = QP_ERR_NUMERIC;
            qp_eig_fail(s, "CHOLMOD solve failed (%s)", qp_eig_cholmod_status(op->fac->c.status));
            goto done;
        }
    }
    s->info.iterations = iparam[2];
    s->info.nconv = iparam[4];
    if (ido != 99) {
        st = QP_ERR_NUMERIC;
        qp_eig_fail(s, "ARPACK znaupd: unexpected request ido=%d", (int)ido);
        goto done;
    }
    if (info != 0 || iparam[4] < nev) {
        st = arpack_fail(s, "znaupd", info, iparam[4]);
        goto done;
    }
    /* Z is not referenced for HOWMNY = 'P'; V stands in for it. */
    zneupd_c(1, "P", select, (double _Complex *)d, (double _Complex *)v, n, zsigma,
             (double _Complex *)workev, "I", n, which, nev, s->tol, (double _Complex *)resid, ncv,
             (double _Complex *)v, n, iparam, ipntr, (double _Complex *)workd,
             (double _Complex *)workl, lworkl, rwork, &info);
    if (info != 0) {
        st = arpack_fail(s, "zneupd", info, iparam[4]);
        goto done;
    }
    *k = iparam[4] < nev ? iparam[4] : nev;
    memcpy(V, v, 2 * s->n * (size_t)*k * sizeof *V);
    st = QP_OK;
done:
    free(resid);
    free(v);
    free(workd);
    free(workl);
    free(d);
    free(workev);
    free(rwork);
    free(select);
    return st;
}

static qp_status arpack_run(qp_eig_solver *s, const op_t *op, int mode, double sigma, double *V,
                            int *k)
{
    qp_lock_arpack(); /* ARPACK is not reentrant (Fortran SAVE state) */
    qp_status st = s->cplx ? arpack_cplx(s, op, mode, sigma, V, k)
                           : arpack_real(s, op, mode, sigma, V, k);
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
    op_t op = {s->H, LANCZOS_SHIFT_NORMS * (s->norm1 > 0.0 ? s->norm1 : 1.0), NULL};
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
        if (s->cplx) {
            qp_sparse_spmv_c(s->H, 0.0, v, w);
        } else {
            qp_sparse_spmv_r(s->H, 0.0, v, w);
        }
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
        op_t op = {s->H, 0.0, &f};
        st = arpack_run(s, &op, 3, sigma, V, k);
    }
    qp_eig_factor_free(&f);
    return st;
}
