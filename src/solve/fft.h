/* Real-to-complex FFTs (internal header): the one place that uses FFTW. A qp_fft is a plan for
 * one length with its own aligned buffers, made once and run as often as its owner likes. */
#ifndef QPSIM_SOLVE_FFT_H
#define QPSIM_SOLVE_FFT_H

#include <stddef.h>

struct fftw_plan_s;

typedef struct {
    size_t n;                 /* transform length */
    double *in;               /* n real samples, written by the caller (owned, fftw_malloc'd) */
    double (*out)[2];         /* n/2 + 1 coefficients (re, im) after qp_fft_run (owned) */
    struct fftw_plan_s *plan; /* FFTW_ESTIMATE, out of place */
} qp_fft;

/* Allocates the buffers of a length-n transform and plans it (under qp_lock_fftw: the planner is
 * not reentrant). Returns 0, or -1 (n == 0, out of memory, no plan) with *f left empty. */
int qp_fft_init(qp_fft *f, size_t n);

/* out[k] = sum_j in[j] exp(-2 pi i j k / n) for k = 0 .. n/2 (unnormalized); in is left
 * unchanged. Plans of different qp_fft objects may run in several threads at once. */
void qp_fft_run(qp_fft *f);

/* Frees the plan (under qp_lock_fftw) and the buffers; *f becomes empty. Safe on an empty or
 * zeroed qp_fft. */
void qp_fft_free(qp_fft *f);

/* Removes the mean of x[0 .. n-1], then applies the periodic Hann window
 * 0.5 - 0.5 cos(2 pi i / n), in place (n >= 1). */
void qp_fft_hann(double *x, size_t n);

/* One-sided power spectrum of n real samples into power[n/2 + 1]: power[k] = |X_k|^2 / n,
 * doubled for 0 < k < n/2, so that sum_k power[k] = sum_i x_i^2 (Parseval). Bin k is the
 * frequency k / (n dt). 0, or -1 when n == 0 or out of memory. */
int qp_power_spectrum(const double *x, size_t n, double *power);

/* The largest length <= n whose prime factors are 2, 3, 5 and 7 (FFTW's fast sizes: 200001
 * samples = 3 x 163 x 409 take 20 times longer than 200000); n when n < 1. */
size_t qp_fft_len(size_t n);

#endif
