/* Unit tests: the FFT module (solve/fft.c) against a direct DFT and closed forms: a tone's
 * coefficients, the Hann window's three bins, Parseval, FFTW's fast lengths, plans in threads. */
#include "solve/fft.h"

#include "tap.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846
#define TOL_DFT 1e-12      /* FFT against the direct sum, relative to sum |x_j| */
#define RTOL_TONE 1e-12    /* a tone's coefficient against A n / 2 (or the Hann bins) */
#define TOL_LEAK 1e-10     /* other bins of an on-bin tone, relative to A n */
#define RTOL_PARSEVAL 1e-12

static double rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) * 0x1.0p-53 - 0.5;
}

/* max_k |FFT_k - DFT_k| / sum |x|, the DFT summed directly (angles reduced mod n exactly). */
static double dft_error(const qp_fft *f)
{
    size_t n = f->n;
    double scale = 0.0, worst = 0.0;
    for (size_t j = 0; j < n; j++) {
        scale += fabs(f->in[j]);
    }
    for (size_t k = 0; k <= n / 2; k++) {
        double re = 0.0, im = 0.0;
        for (size_t j = 0; j < n; j++) {
            double a = 2.0 * PI * (double)((j * k) % n) / (double)n;
            re += f->in[j] * cos(a);
            im -= f->in[j] * sin(a);
        }
        worst = fmax(worst, hypot(f->out[k][0] - re, f->out[k][1] - im));
    }
    return worst / scale;
}

/* One plan, two signals, even and odd lengths: the plan is reused and leaves its input alone. */
static void test_direct(void)
{
    static const size_t lens[] = {210, 99};
    uint64_t s = 7;
    for (size_t l = 0; l < 2; l++) {
        qp_fft f;
        int ok = qp_fft_init(&f, lens[l]) == 0;
        QP_CHECK(ok && f.n == lens[l], "plan of length %zu", lens[l]);
        if (!ok) {
            continue;
        }
        for (int round = 0; round < 2; round++) {
            for (size_t j = 0; j < f.n; j++) {
                f.in[j] = rnd(&s);
            }
            double first = f.in[0], last = f.in[f.n - 1];
            qp_fft_run(&f);
            double e = dft_error(&f);
            QP_CHECK(e <= TOL_DFT && f.in[0] == first && f.in[f.n - 1] == last,
                     "n = %zu, signal %d: FFT = direct DFT (%.2g), input kept", f.n, round + 1,
                     e);
        }
        qp_fft_free(&f);
        QP_CHECK(f.plan == NULL && f.in == NULL && f.n == 0, "n = %zu: freed and emptied",
                 lens[l]);
    }
    qp_fft f;
    int r = qp_fft_init(&f, 0);
    QP_CHECK(r == -1 && f.plan == NULL, "length 0 refused");
    qp_fft_free(&f);
}

/* x_j = A cos(2 pi k0 j / n + ph): X_k0 = (A n / 2) e^(i ph), every other bin 0; after the
 * (periodic) Hann window X_k0 = A n / 4 e^(i ph) and X_k0+-1 = -A n / 8 e^(i ph). */
static void test_tone(void)
{
    enum { N = 360, K0 = 37 };
    const double A = 1.7, ph = 0.6;
    qp_fft f;
    if (qp_fft_init(&f, N) != 0) {
        QP_CHECK(0, "tone: plan");
        return;
    }
    for (int hann = 0; hann < 2; hann++) {
        for (size_t j = 0; j < N; j++) {
            f.in[j] = A * cos(2.0 * PI * (double)((j * K0) % N) / N + ph);
        }
        if (hann) {
            qp_fft_hann(f.in, N);
        }
        qp_fft_run(&f);
        double c0 = hann ? A * N / 4.0 : A * N / 2.0, c1 = hann ? -A * N / 8.0 : 0.0;
        double leak = 0.0;
        for (size_t k = 0; k <= N / 2; k++) {
            double want = k == K0 ? c0 : (k == K0 - 1 || k == K0 + 1 ? c1 : 0.0);
            leak = fmax(leak, hypot(f.out[k][0] - want * cos(ph), f.out[k][1] - want * sin(ph)));
        }
        QP_CHECK_REL(hypot(f.out[K0][0], f.out[K0][1]), c0, RTOL_TONE,
                     hann ? "Hann tone: |X_k0| = A n / 4" : "tone: |X_k0| = A n / 2");
        QP_CHECK_REL(atan2(f.out[K0][1], f.out[K0][0]), ph, RTOL_TONE, "tone: phase of X_k0");
        QP_CHECK(leak <= TOL_LEAK * A * N, "%s: every bin as the closed form (%.2g of A n)",
                 hann ? "Hann tone" : "tone", leak / (A * N));
    }
    qp_fft_free(&f);
    /* the window removes the mean: a constant becomes zero */
    double c[16];
    for (int j = 0; j < 16; j++) {
        c[j] = 2.5;
    }
    qp_fft_hann(c, 16);
    double most = 0.0;
    for (int j = 0; j < 16; j++) {
        most = fmax(most, fabs(c[j]));
    }
    QP_CHECK(most == 0.0, "Hann: a constant is removed exactly");
}

/* The power spectrum: Parseval on even and odd lengths; a tone at f0 = k0 / (n dt) peaks in bin
 * k0 with power A^2 n / 2. */
static void test_power(void)
{
    static const size_t lens[] = {1000, 999};
    uint64_t s = 99;
    for (size_t l = 0; l < 2; l++) {
        size_t n = lens[l];
        double *x = malloc(n * sizeof *x), *p = malloc((n / 2 + 1) * sizeof *p);
        double e_time = 0.0, e_freq = 0.0;
        for (size_t j = 0; j < n; j++) {
            x[j] = rnd(&s);
            e_time += x[j] * x[j];
        }
        int r = qp_power_spectrum(x, n, p);
        for (size_t k = 0; r == 0 && k <= n / 2; k++) {
            e_freq += p[k];
        }
        QP_CHECK(r == 0, "power spectrum of %zu samples", n);
        QP_CHECK_REL(e_freq, e_time, RTOL_PARSEVAL, n % 2 ? "Parseval, odd n" : "Parseval, even n");
        const double A = 0.8, dt = 1e-12, k0 = 123.0, f0 = k0 / ((double)n * dt);
        for (size_t j = 0; j < n; j++) {
            x[j] = A * sin(2.0 * PI * f0 * (double)j * dt);
        }
        qp_power_spectrum(x, n, p);
        size_t best = 0;
        for (size_t k = 1; k <= n / 2; k++) {
            best = p[k] > p[best] ? k : best;
        }
        QP_CHECK_REL((double)best / ((double)n * dt), f0, 1e-15, "tone: peak at f0 = k0 / (n dt)");
        QP_CHECK_REL(p[best], A * A * (double)n / 2.0, RTOL_TONE, "tone: peak power A^2 n / 2");
        free(x);
        free(p);
    }
    int r = qp_power_spectrum(NULL, 0, NULL);
    QP_CHECK(r == -1, "power spectrum of nothing refused");
}

static int smooth7(size_t m)
{
    static const size_t pr[4] = {2, 3, 5, 7};
    for (int i = 0; i < 4; i++) {
        while (m % pr[i] == 0) {
            m /= pr[i];
        }
    }
    return m == 1;
}

static void test_len(void)
{
    int ok = 1;
    for (size_t n = 1; n <= 3000 && ok; n++) {
        size_t want = n;
        while (!smooth7(want)) {
            want--;
        }
        ok = qp_fft_len(n) == want;
        if (!ok) {
            printf("# qp_fft_len(%zu) = %zu, want %zu\n", n, qp_fft_len(n), want);
        }
    }
    QP_CHECK(ok, "fast lengths 1 .. 3000: the largest 7-smooth number <= n (trial division)");
    QP_CHECK(qp_fft_len(200001) == 200000 && qp_fft_len(0) == 0, "fast lengths: 200001, 0");
}

/* Plans made, run and destroyed in two threads at once (the sweeps do): every result equal to
 * the one of the main thread. */
typedef struct {
    size_t n;
    const double *want; /* n/2 + 1 complex */
    int bad;
} job;

static void *worker(void *arg)
{
    job *jb = arg;
    for (int it = 0; it < 100; it++) {
        qp_fft f;
        if (qp_fft_init(&f, jb->n) != 0) {
            jb->bad++;
            continue;
        }
        for (size_t j = 0; j < f.n; j++) {
            f.in[j] = sin(0.1 * (double)j) + 0.01 * (double)j;
        }
        qp_fft_run(&f);
        jb->bad += memcmp(f.out, jb->want, (f.n / 2 + 1) * sizeof *f.out) != 0;
        qp_fft_free(&f);
    }
    return NULL;
}

static void test_threads(void)
{
    static const size_t lens[2] = {384, 1000};
    double *want[2] = {NULL, NULL};
    job jobs[2];
    pthread_t th[2];
    int started = 0;
    for (int i = 0; i < 2; i++) {
        qp_fft f;
        if (qp_fft_init(&f, lens[i]) != 0) {
            break;
        }
        for (size_t j = 0; j < f.n; j++) {
            f.in[j] = sin(0.1 * (double)j) + 0.01 * (double)j;
        }
        qp_fft_run(&f);
        want[i] = malloc((f.n / 2 + 1) * 2 * sizeof *want[i]);
        memcpy(want[i], f.out, (f.n / 2 + 1) * 2 * sizeof *want[i]);
        qp_fft_free(&f);
        jobs[i] = (job){lens[i], want[i], 0};
    }
    for (int i = 0; i < 2 && want[1]; i++) {
        started += pthread_create(&th[i], NULL, worker, &jobs[i]) == 0;
    }
    for (int i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
    }
    QP_CHECK(started == 2 && jobs[0].bad == 0 && jobs[1].bad == 0,
             "two threads planning and running at once: 200 transforms equal to the reference");
    free(want[0]);
    free(want[1]);
}

int main(void)
{
    test_direct();
    test_tone();
    test_power();
    test_len();
    test_threads();
    return tap_done();
}
