/* C API: OpenBLAS on one thread while qpsim computes, as the command line sets it, restored when
 * the last call that asked for it ends (the setting is the process's, shared with numpy). */
#include "api/api_impl.h"

#include "qp_config.h"

#include <pthread.h>
#if QP_HAVE_OPENMP
#include <omp.h>
#endif

#if QP_HAVE_OPENBLAS
int openblas_get_num_threads(void);
void openblas_set_num_threads(int n);
#endif

static pthread_mutex_t blas_mu = PTHREAD_MUTEX_INITIALIZER;
static int blas_calls; /* calls computing with one BLAS thread now */
static int blas_saved; /* the process's thread count before the first of them */

void qp_api_omp_off(void)
{
#if QP_HAVE_OPENMP
    omp_set_max_active_levels(0);
#endif
}

void qp_api_blas_enter(qpsim_circuit *h)
{
#if QP_HAVE_OPENMP
    h->omp_saved = omp_get_max_active_levels();
    omp_set_max_active_levels(0);
#endif
#if QP_HAVE_OPENBLAS
    if (h->set.blas_serial) {
        pthread_mutex_lock(&blas_mu);
        if (blas_calls++ == 0) {
            blas_saved = openblas_get_num_threads();
            if (blas_saved != 1) {
                openblas_set_num_threads(1);
            }
        }
        pthread_mutex_unlock(&blas_mu);
    }
#endif
    (void)h;
}

void qp_api_blas_leave(qpsim_circuit *h)
{
#if QP_HAVE_OPENMP
    omp_set_max_active_levels(h->omp_saved);
#endif
#if QP_HAVE_OPENBLAS
    if (h->set.blas_serial) {
        pthread_mutex_lock(&blas_mu);
        /* restored only if nobody changed it meanwhile (numpy, threadpoolctl) */
        if (--blas_calls == 0 && blas_saved != 1 && openblas_get_num_threads() == 1) {
            openblas_set_num_threads(blas_saved);
        }
        pthread_mutex_unlock(&blas_mu);
    }
#endif
    (void)h;
}
