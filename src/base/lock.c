/* Process-wide locks (see lock.h). */
#include "base/lock.h"

#include <pthread.h>

static pthread_mutex_t fftw_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t arpack_mu = PTHREAD_MUTEX_INITIALIZER;

void qp_lock_fftw(void)
{
    pthread_mutex_lock(&fftw_mu);
}

void qp_unlock_fftw(void)
{
    pthread_mutex_unlock(&fftw_mu);
}

void qp_lock_arpack(void)
{
    pthread_mutex_lock(&arpack_mu);
}

void qp_unlock_arpack(void)
{
    pthread_mutex_unlock(&arpack_mu);
}
