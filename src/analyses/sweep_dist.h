/* Internal: the points of a sweep split over the processes of a run (qpsim/dist.h) and the
 * exchange of what each computed. */
#ifndef QPSIM_ANALYSES_SWEEP_DIST_H
#define QPSIM_ANALYSES_SWEEP_DIST_H

#include "qpsim/dist.h"
#include "qpsim/run.h"

/* The process that computes point p (1 <= p < n) of an n-point sweep: the last point on process 0
 * (it keeps what the report says of the last point), the others in turn from process 0; 0
 * without dist. */
int qp_dist_owner(const qp_dist *dist, size_t p, size_t n);

/* Points 1 .. n-1 that this process computes (all of them without dist), increasing: a new array
 * of *npts entries (the caller frees it), or NULL when out of memory. */
size_t *qp_sweep_dist_points(const qp_dist *dist, size_t n, size_t *npts);

/* Collective over dist's processes, after each computed its points of r (a swept .spectrum or
 * .tran) with their statuses in st[] (npoints entries): every process receives the others'
 * points, their levels or frequency reports and their statuses, bit for bit. QP_ERR_NOMEM, or
 * QP_ERR_NUMERIC when the exchange failed; r and st are then partly exchanged. */
qp_status qp_sweep_dist_share(const qp_dist *dist, qp_result *r, qp_status *st);

/* Collective, in place of qp_sweep_dist_share on a process that stops before it (point 0 or a
 * checkpoint failed, or memory ran out): the others' qp_sweep_dist_share then returns
 * QP_ERR_NOMEM instead of waiting for this process. Every exchange starts with a check that
 * every process is ready, which this answers "no". */
void qp_sweep_dist_abstain(const qp_dist *dist);

/* Independent items 0 .. n-1 other than sweep points (the extra spectra of the dispersions)
 * dealt in turn: whether this process computes item i (always, without dist or alone). */
int qp_dist_mine(const qp_dist *dist, size_t i);

/* Collective, after each process computed its items (qp_dist_mine): item i's `rec` bytes at
 * buf + i rec and its status st[i] sent from the process that computed it to every other, bit
 * for bit. A process without buf or st (out of memory earlier) still calls it, so that every
 * process returns QP_ERR_NOMEM instead of waiting for it; QP_ERR_NUMERIC when the exchange
 * failed. */
qp_status qp_dist_share_items(const qp_dist *dist, size_t n, unsigned char *buf, size_t rec,
                              qp_status *st);

#endif
