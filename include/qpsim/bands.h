/* Bloch bands of a single junction, 4EC(n - q)^2 - EJ cos(phi) against the quasicharge q
 * (docs/physics.md, closed form 5.4), and of a phase-slip junction in its loop, EL'(m - f)^2 - ES cos(2 pi q)
 * against the loop flux f: the same matrix with 4EC = EL', EJ = ES, q = f (docs/duality.md). */
#ifndef QPSIM_BANDS_H
#define QPSIM_BANDS_H

#include "qpsim/diag.h"

#include <stddef.h>

/* The work of one computation is refused beyond this many state-levels, points x levels x the
 * charge basis (2 ncut + 1): bisection costs about that many steps of 0.3 us (1e6 points of one
 * level at small EJ/EC are 4.5e7, about 13 s), estimated from the starting cutoff before
 * anything is allocated and checked again at the converged one. */
#define QP_BANDS_MAX_WORK 5e7

/* Smooth periodic band as a cosine series: E(q) = c[0] + sum_k c[k] cos(2 pi k q), k < nc. */
typedef struct {
    int nc;
    double *c; /* GHz (owned) */
} qp_band_series;

typedef struct {
    double ec, ej;   /* GHz: the matrix's EC and EJ (for a QPS: EL'/4 and ES) */
    int ncut;        /* charge cutoff used, |n| <= ncut */
    int nq, nlev;
    double *q;       /* nq points in [-1/2, 1/2] (owned) */
    double *E;       /* nq x nlev levels, GHz, row per q (owned) */
    double *width;   /* nlev: max - min over the period (exact extremes at q = 0, 1/2), GHz */
    double *gap;     /* nlev - 1: min over the period of E_{s+1} - E_s, GHz (owned) */
    double es_eff;   /* -c1 of the lowest band: its effective phase-slip energy, GHz */
    double slope_max;/* max over q of dE0/dq, GHz per unit of q */
    qp_band_series e0; /* the lowest band as a cosine series (for the Bloch-band transient) */
} qp_bands;

/* Bands of 4 ec (n - q)^2 - ej cos(phi) (GHz) for nlev >= 1 levels at nq >= 2 points of q from
 * -1/2 to 1/2, for 1e-3 <= ej/ec <= 5e4. The cutoff grows until the levels are converged to
 * machine precision; a band narrower than 1e-4 of its distance to the next ones (tight binding,
 * from EJ/EC of about 15 for the lowest) gets its width from the Floquet discriminant, to
 * relative accuracy however small (2e-119 ec at ej/ec = 1e4), and its levels and series from
 * E = mid -+ (W/2) cos 2 pi q. Returns QP_OK, QP_ERR_USAGE (bad arguments, ej/ec out of that
 * range or more work than QP_BANDS_MAX_WORK: the message in err says which way to go) or
 * QP_ERR_NOMEM / QP_ERR_NUMERIC. */
qp_status qp_bands_compute(double ec, double ej, int nlev, int nq, qp_bands *out, char *err,
                           size_t errlen);
void qp_bands_free(qp_bands *b);

/* E(q) and dE/dq (GHz per unit q) of a band series. */
double qp_band_value(const qp_band_series *s, double q);
double qp_band_slope(const qp_band_series *s, double q);

#endif
