/* Process-wide locks for the few library calls that are not reentrant (internal header). */
#ifndef QPSIM_LOCK_H
#define QPSIM_LOCK_H

/* FFTW's planner (fftw_plan_*, fftw_destroy_plan) must not run in two threads at once;
 * executing plans may. */
void qp_lock_fftw(void);
void qp_unlock_fftw(void);

/* ARPACK keeps its reverse-communication state in Fortran SAVE variables: one ARPACK iteration
 * (a whole dsaupd/znaupd loop) at a time. */
void qp_lock_arpack(void);
void qp_unlock_arpack(void);

#endif
