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

#define MAX_PARTS 8

/* The pieces of point p's part of r that the per-point functions write: their addresses and
 * lengths in bytes; returns how many (at most MAX_PARTS). */
static int point_parts(qp_result *r, size_t p, unsigned char *part[MAX_PARTS],
                       size_t len[MAX_PARTS])
{
    int n = 0;
#define PART(array, count)                                                                     \
    do {                                                                                       \
        part[n] = (unsigned char *)((array) + p * (count));                                    \
        len[n++] = (count) * sizeof *(array);                                                  \
    } while (0)
    if (r->kind == QP_AN_TRAN) {
        PART(r->tran.iv, r->tran.nfreq);
        return n;
    }
    size_t L = (size_t)r->spec.nlev;
    PART(r->spec.levels, L);
    PART(r->spec.delta, 1);
    PART(r->spec.dim, 1);
    if (r->kind == QP_AN_MATRIX) { /* the elements of every operator between the levels */
        PART(r->spec.mre, r->spec.nops * L * L);
        PART(r->spec.mim, r->spec.nops * L * L);
    } else if (r->kind == QP_AN_COHERENCE) {
        PART(r->coh.temp, 1);
        PART(r->coh.f, 1);
        PART(r->coh.rate, (size_t)QP_CH_COUNT);
        PART(r->coh.t1, 1);
        PART(r->coh.t2, 1);
    }
#undef PART
    return n;
}

/* Collective: whether every process is ready (ok set) for the exchange that follows, so that one
 * that could not allocate its buffers does not leave the others waiting in that exchange. Up to
 * 1024 processes on the stack; above, a process that cannot allocate the answer's few bytes
 * fails without taking part (the one case that can still leave the others waiting). */
static int all_ready(const qp_dist *dist, int ok)
{
    int64_t mine = ok, stack[1024];
    size_t size = (size_t)dist->size;
    int64_t *all = size <= 1024 ? stack : malloc(size * sizeof *all);
    if (!all || dist->allgather(dist->ctx, &mine, sizeof mine, all) != 0) {
        if (all != stack) {
            free(all);
        }
        return 0;
    }
    int every = 1;
    for (size_t q = 0; q < size; q++) {
        every &= all[q] != 0;
    }
    if (all != stack) {
        free(all);
    }
    return every;
}

/* One point as a record: its status, then its parts; `out` set copies into rec, else from it. */
static void point_record(qp_result *r, size_t p, qp_status *st, unsigned char *rec, int out)
{
    unsigned char *part[MAX_PARTS];
    size_t len[MAX_PARTS];
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
    unsigned char *part[MAX_PARTS];
    size_t len[MAX_PARTS], rec = sizeof(int64_t);
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
    qp_status rc = all_ready(dist, pts && send && recv && st) ? QP_OK : QP_ERR_NOMEM;
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

void qp_sweep_dist_abstain(const qp_dist *dist)
{
    (void)all_ready(dist, 0);
}

int qp_dist_mine(const qp_dist *dist, size_t i)
{
    return !dist || dist->size <= 1 || (int)(i % (size_t)dist->size) == dist->rank;
}

qp_status qp_dist_share_items(const qp_dist *dist, size_t n, unsigned char *buf, size_t rec,
                              qp_status *st)
{
    if (!dist || dist->size <= 1) {
        return QP_OK;
    }
    size_t size = (size_t)dist->size, most = (n + size - 1) / size, one = sizeof(int64_t) + rec;
    size_t m1 = most ? most : 1;
    if (one < rec || one > SIZE_MAX / m1 / size) {
        return QP_ERR_NOMEM;
    }
    unsigned char *send = calloc(m1, one), *recv = calloc(size * m1, one);
    qp_status rc = all_ready(dist, send && recv && buf && st) ? QP_OK : QP_ERR_NOMEM;
    for (size_t i = (size_t)dist->rank, t = 0; rc == QP_OK && i < n; i += size, t++) {
        int64_t s = (int64_t)st[i];
        memcpy(send + t * one, &s, sizeof s);
        memcpy(send + t * one + sizeof s, buf + i * rec, rec);
    }
    if (rc == QP_OK && dist->allgather(dist->ctx, send, most * one, recv) != 0) {
        rc = QP_ERR_NUMERIC;
    }
    for (size_t i = 0; rc == QP_OK && i < n; i++) {
        size_t q = i % size;
        if ((int)q != dist->rank) {
            const unsigned char *from = recv + (q * most + i / size) * one;
            int64_t s;
            memcpy(&s, from, sizeof s);
            st[i] = (qp_status)s;
            memcpy(buf + i * rec, from + sizeof s, rec);
        }
    }
    free(recv);
    free(send);
    return rc;
}
