/* Real-to-complex FFTs by FFTW: plans per length with their buffers, the Hann window, the
 * one-sided power spectrum and FFTW's fast lengths. */
#include "solve/fft.h"

#include "base/lock.h"

#include <fftw3.h>

#include <math.h>
#include <string.h>

#define PI 3.14159265358979323846

int qp_fft_init(qp_fft *f, size_t n)
{
    memset(f, 0, sizeof *f);
    if (n == 0) {
        return -1;
    }
    f->n = n;
    f->in = fftw_malloc(n * sizeof *f->in);
    f->out = fftw_malloc((n / 2 + 1) * sizeof *f->out);
    if (f->in && f->out) {
        /* FFTW_ESTIMATE neither measures nor touches the buffers: the same plan for the same
         * length every time, so the numbers do not depend on which object ran them */
        qp_lock_fftw();
        f->plan = fftw_plan_dft_r2c_1d((int)n, f->in, f->out, FFTW_ESTIMATE);
        qp_unlock_fftw();
    }
    if (!f->plan) {
        qp_fft_free(f);
        return -1;
    }
    return 0;
}

void qp_fft_run(qp_fft *f)
{
    fftw_execute(f->plan);
}

void qp_fft_free(qp_fft *f)
{
    if (f->plan) {
        qp_lock_fftw();
        fftw_destroy_plan(f->plan);
        qp_unlock_fftw();
    }
    fftw_free(f->in);
    fftw_free(f->out);
    memset(f, 0, sizeof *f);
}

void qp_fft_hann(double *x, size_t n)
{
    double mean = 0.0;
    for (size_t i = 0; i < n; i++) {
        mean += x[i];
    }
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        x[i] = (x[i] - mean) * (0.5 - 0.5 * cos(2.0 * PI * (double)i / (double)n));
    }
}

int qp_power_spectrum(const double *x, size_t n, double *power)
{
    qp_fft f;
    if (qp_fft_init(&f, n) != 0) {
        return -1;
    }
    memcpy(f.in, x, n * sizeof *f.in);
    qp_fft_run(&f);
    for (size_t k = 0; k <= n / 2; k++) {
        double a = (f.out[k][0] * f.out[k][0] + f.out[k][1] * f.out[k][1]) / (double)n;
        power[k] = (k == 0 || 2 * k == n) ? a : 2.0 * a; /* one-sided */
    }
    qp_fft_free(&f);
    return 0;
}

size_t qp_fft_len(size_t n)
{
    size_t best = 1;
    for (size_t p2 = 1; p2 <= n; p2 *= 2) {
        for (size_t p3 = p2; p3 <= n; p3 *= 3) {
            for (size_t p5 = p3; p5 <= n; p5 *= 5) {
                for (size_t p7 = p5; p7 <= n; p7 *= 7) {
                    best = p7 > best ? p7 : best;
                }
            }
        }
    }
    return n < 1 ? n : best;
}
