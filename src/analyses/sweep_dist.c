/* Sweep points over several processes: which process computes which point, and one all-gather of
 * the per-point parts of the result (levels, last change, dimension; or frequency reports). */
#include "analyses/sweep_dist.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int qp_dist_owner(const qp_dist *dist, size_t p, size_t n)
{
    if (!dist || dist->size <= 1 || p == 0 || p + 1 >= n) {
        return 0;
    }
    return (int)((p - 1) % (size_t)dist->size);
}

size_t *qp_sweep_dist_points(const qp_dist *dist, size_t n, size_t *npts)
{
    size_t *pts = malloc((n ? n : 1) * sizeof *pts), m = 0;
    if (!pts) {
        return NULL;
    }
    int me = dist ? dist->rank : 0;
    for (size_t p = 1; p < n; p++) {
        if (qp_dist_owner(dist, p, n) == me) {
            pts[m++] = p;
        }
    }
    *npts = m;
    return pts;
}

/* The pieces of point p's part of r that the per-point functions write: their addresses and
 * lengths in bytes; returns how many (at most 3). */
static int point_parts(qp_result *r, size_t p, unsigned char *part[3], size_t len[3])
{
    if (r->kind == QP_AN_TRAN) {
        part[0] = (unsigned char *)(r->tran.iv + p * r->tran.nfreq);
        len[0] = r->tran.nfreq * sizeof *r->tran.iv;
        return 1;
    }
    size_t L = (size_t)r->spec.nlev;
    part[0] = (unsigned char *)(r->spec.levels + p * L);
    len[0] = L * sizeof *r->spec.levels;
    part[1] = (unsigned char *)(r->spec.delta + p);
    len[1] = sizeof *r->spec.delta;
    part[2] = (unsigned char *)(r->spec.dim + p);
    len[2] = sizeof *r->spec.dim;
    return 3;
}

/* One point as a record: its status, then its parts; `out` set copies into rec, else from it. */
static void point_record(qp_result *r, size_t p, qp_status *st, unsigned char *rec, int out)
{
    unsigned char *part[3];
    size_t len[3];
    int np = point_parts(r, p, part, len);
    int64_t s = (int64_t)*st;
    if (out) {
        memcpy(rec, &s, sizeof s);
    } else {
        memcpy(&s, rec, sizeof s);
        *st = (qp_status)s;
    }
    rec += sizeof s;
    for (int i = 0; i < np; i++) {
        if (out) {
            memcpy(rec, part[i], len[i]);
        } else {
            memcpy(part[i], rec, len[i]);
        }
        rec += len[i];
    }
}

qp_status qp_sweep_dist_share(const qp_dist *dist, qp_result *r, qp_status *st)
{
    size_t n = r->npoints, size = (size_t)dist->size;
    unsigned char *part[3];
    size_t len[3], rec = sizeof(int64_t);
    int np = point_parts(r, 0, part, len);
    for (int i = 0; i < np; i++) {
        rec += len[i];
    }
    /* every process sends the same block: room for the most points any of them has */
    size_t most = (n - 1 + size - 1) / size + 1;
    if (most > SIZE_MAX / rec / size) {
        return QP_ERR_NOMEM;
    }
    size_t npts = 0;
    size_t *pts = qp_sweep_dist_points(dist, n, &npts);
    unsigned char *send = calloc(most, rec), *recv = calloc(size * most, rec);
    qp_status rc = pts && send && recv ? QP_OK : QP_ERR_NOMEM;
    for (size_t i = 0; rc == QP_OK && i < npts; i++) {
        point_record(r, pts[i], &st[pts[i]], send + i * rec, 1);
    }
    if (rc == QP_OK && dist->allgather(dist->ctx, send, most * rec, recv) != 0) {
        rc = QP_ERR_NUMERIC;
    }
    size_t *seen = rc == QP_OK ? calloc(size, sizeof *seen) : NULL;
    rc = rc == QP_OK && !seen ? QP_ERR_NOMEM : rc;
    for (size_t p = 1; rc == QP_OK && p < n; p++) {
        size_t q = (size_t)qp_dist_owner(dist, p, n), i = seen[q]++;
        if ((int)q != dist->rank) {
            point_record(r, p, &st[p], recv + (q * most + i) * rec, 0);
        }
    }
    free(seen);
    free(recv);
    free(send);
    free(pts);
    return rc;
}
