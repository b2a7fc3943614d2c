/* Planar embeddings of circuit graphs, the public side: faces and their walks traced from the
 * rotation system that planar_embed.c builds (block by block, planar_blocks.c), and Kuratowski
 * obstructions found by bisection over the edge list. */
#include "circuit/planar.h"
#include "circuit/planar_impl.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Planarity of the sub-multigraph of the edges with use[e] set. 1, 0, or -1 (out of memory). */
static int planar_subset(size_t nv, size_t ne, const int *eu, const int *ev,
                         const unsigned char *use)
{
    qp_sgraph g;
    int *cls = malloc((ne ? ne : 1) * sizeof *cls), rc = -1;
    if (cls && qp_planar_simplify(nv, ne, eu, ev, use, &g, cls) == 0) {
        rc = qp_planar_embed_simple(&g, NULL);
        qp_planar_sgraph_free(&g);
    }
    free(cls);
    return rc;
}

/* Smallest k in [1, nc] such that the edges marked in `forced` together with cand[0 .. k) are not
 * planar (they must not be for k = nc). `use` (ne bytes) is scratch. 0, or -1 (out of memory). */
static int shortest_nonplanar(size_t nv, size_t ne, const int *eu, const int *ev,
                              const unsigned char *forced, const int *cand, size_t nc,
                              unsigned char *use, size_t *k)
{
    size_t lo = 1, hi = nc;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        memcpy(use, forced, ne);
        for (size_t j = 0; j < mid; j++) {
            use[cand[j]] = 1;
        }
        int r = planar_subset(nv, ne, eu, ev, use);
        if (r < 0) {
            return -1;
        }
        if (r == 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    *k = lo;
    return 0;
}

/* Checks the edge list: QP_ERR_USAGE (with *bad the edge at fault, or -1) or QP_OK. */
static qp_status check_edges(size_t nv, size_t ne, const int *eu, const int *ev, int *bad)
{
    *bad = -1;
    if (nv == 0 || nv > INT_MAX || ne > INT_MAX / 2 || (ne && (!eu || !ev))) {
        return QP_ERR_USAGE;
    }
    for (size_t e = 0; e < ne; e++) {
        if (eu[e] < 0 || (size_t)eu[e] >= nv || ev[e] < 0 || (size_t)ev[e] >= nv ||
            eu[e] == ev[e]) {
            *bad = (int)e;
            return QP_ERR_USAGE;
        }
    }
    return QP_OK;
}

/* The last edge of the shortest non-planar prefix of the (non-planar) edge list. */
static qp_status first_bad_edge(size_t nv, size_t ne, const int *eu, const int *ev, int *bad)
{
    unsigned char *forced = calloc(ne, 1), *use = malloc(ne);
    int *cand = malloc(ne * sizeof *cand);
    qp_status st = QP_ERR_NOMEM;
    size_t k = 0;
    if (forced && use && cand) {
        for (size_t e = 0; e < ne; e++) {
            cand[e] = (int)e;
        }
        if (shortest_nonplanar(nv, ne, eu, ev, forced, cand, ne, use, &k) == 0) {
            *bad = (int)k - 1;
            st = QP_OK;
        }
    }
    free(forced);
    free(use);
    free(cand);
    return st;
}

static int connected(const qp_sgraph *g)
{
    int *stack = malloc(g->n * sizeof *stack);
    unsigned char *seen = calloc(g->n, 1);
    size_t sp = 0, count = 1;
    int rc = -1;
    if (stack && seen) {
        seen[0] = 1;
        stack[sp++] = 0;
        while (sp > 0) {
            int v = stack[--sp];
            for (size_t p = g->start[v]; p < g->start[v + 1]; p++) {
                if (!seen[g->nbr[p]]) {
                    seen[g->nbr[p]] = 1;
                    stack[sp++] = g->nbr[p];
                    count++;
                }
            }
        }
        rc = count == g->n;
    }
    free(stack);
    free(seen);
    return rc;
}

/* Expands the rotation of the simple graph to the darts of the multigraph: at each vertex the
 * parallel edges of a class take its place, in increasing order around the smaller end and
 * decreasing around the larger one. succ[d] is the dart after d around d's tail. */
static int expand_rotation(const qp_sgraph *g, const int *rot, size_t ne, const int *eu,
                           const int *cls, int *succ)
{
    size_t m = g->m;
    size_t *cstart = calloc(m + 1, sizeof *cstart);
    int *cmem = malloc((ne ? ne : 1) * sizeof *cmem);
    int *ring = malloc((ne ? 2 * ne : 1) * sizeof *ring);
    int rc = -1;
    if (!cstart || !cmem || !ring) {
        goto out;
    }
    for (size_t e = 0; e < ne; e++) {
        cstart[cls[e] + 1]++;
    }
    for (size_t c = 0; c < m; c++) {
        cstart[c + 1] += cstart[c];
    }
    for (size_t e = 0; e < ne; e++) { /* members of each class in increasing order */
        cmem[cstart[cls[e]]++] = (int)e;
    }
    for (size_t c = m; c > 0; c--) {
        cstart[c] = cstart[c - 1];
    }
    cstart[0] = 0;
    for (size_t v = 0; v < g->n; v++) {
        size_t len = 0;
        for (size_t p = g->start[v]; p < g->start[v + 1]; p++) {
            int c = rot[p], up = (int)v < g->ea[c] + g->eb[c] - (int)v;
            size_t lo = cstart[c], hi = cstart[c + 1];
            for (size_t q = 0; q < hi - lo; q++) {
                int e = cmem[up ? lo + q : hi - 1 - q];
                ring[len++] = eu[e] == (int)v ? 2 * e : 2 * e + 1;
            }
        }
        for (size_t q = 0; q < len; q++) {
            succ[ring[q]] = ring[(q + 1) % len];
        }
    }
    rc = 0;
out:
    free(cstart);
    free(cmem);
    free(ring);
    return rc;
}

/* Traces the faces of the rotation succ: the walk leaves v along succ[d ^ 1] after arriving along
 * dart d. Faces are numbered by their smallest dart; face[d] is the face of dart d, the walks
 * go to walk/walk_start. Returns the number of faces. */
static size_t trace_faces(size_t ne, const int *succ, int *face, size_t *walk_start, int *walk)
{
    size_t nf = 0, len = 0;
    for (size_t d = 0; d < 2 * ne; d++) {
        face[d] = -1;
    }
    for (size_t d = 0; d < 2 * ne; d++) {
        if (face[d] >= 0) {
            continue;
        }
        walk_start[nf] = len;
        size_t x = d;
        do {
            face[x] = (int)nf;
            walk[len++] = (int)x;
            x = (size_t)succ[x ^ 1];
        } while (x != d);
        nf++;
    }
    walk_start[nf] = len;
    return nf;
}

/* The face through `root` with the longest walk (ties: smallest number). */
static int pick_outer(size_t ne, const int *eu, const int *ev, int root, const int *face,
                      const size_t *walk_start)
{
    int best = -1;
    size_t best_len = 0;
    for (size_t d = 0; d < 2 * ne; d++) {
        int tail = (d & 1) ? ev[d >> 1] : eu[d >> 1];
        if (tail != root) {
            continue;
        }
        int f = face[d];
        size_t len = walk_start[f + 1] - walk_start[f];
        if (best < 0 || len > best_len || (len == best_len && f < best)) {
            best = f;
            best_len = len;
        }
    }
    return best < 0 ? 0 : best;
}

qp_status qp_planar_walks(size_t nv, size_t ne, const int *eu, const int *ev, int root,
                          int *face_left, int *face_right, size_t *nfaces, int *outer,
                          int *bad_edge, size_t *walk_start, int *walk)
{
    int bad = -1, *cls = NULL, *rot = NULL, *succ = NULL, *face = NULL, *wk = NULL;
    size_t *ws = NULL;
    qp_sgraph g = {0};
    qp_status st = check_edges(nv, ne, eu, ev, &bad);
    if (st != QP_OK) {
        goto out;
    }
    if ((ne && (!face_left || !face_right)) || !nfaces || !outer || root < 0 ||
        (size_t)root >= nv) {
        st = QP_ERR_USAGE;
        goto out;
    }
    st = QP_ERR_NOMEM;
    cls = malloc((ne ? ne : 1) * sizeof *cls);
    if (!cls || qp_planar_simplify(nv, ne, eu, ev, NULL, &g, cls) != 0) {
        goto out;
    }
    int r = connected(&g);
    if (r <= 0) {
        st = r < 0 ? QP_ERR_NOMEM : QP_ERR_USAGE;
        goto out;
    }
    rot = malloc((g.m ? 2 * g.m : 1) * sizeof *rot);
    if (!rot || (r = qp_planar_embed_simple(&g, rot)) < 0) {
        goto out;
    }
    if (r == 0) {
        st = bad_edge ? first_bad_edge(nv, ne, eu, ev, &bad) : QP_OK;
        st = st == QP_OK ? QP_ERR_INPUT : st;
        goto out;
    }
    size_t nf_want = ne + 2 - nv; /* >= 1: connected */
    succ = malloc((ne ? 2 * ne : 1) * sizeof *succ);
    face = malloc((ne ? 2 * ne : 1) * sizeof *face);
    wk = malloc((ne ? 2 * ne : 1) * sizeof *wk);
    ws = malloc((2 * ne + 2) * sizeof *ws); /* room for any rotation's faces */
    if (!succ || !face || !wk || !ws || expand_rotation(&g, rot, ne, eu, cls, succ) != 0) {
        goto out;
    }
    size_t nf = trace_faces(ne, succ, face, ws, wk);
    if (ne == 0) { /* a lone vertex: one face with an empty walk */
        nf = 1;
        ws[0] = ws[1] = 0;
    }
    if (nf != nf_want) { /* the rotation is not planar: an internal error, never seen */
        st = QP_ERR_NUMERIC;
        goto out;
    }
    for (size_t e = 0; e < ne; e++) {
        face_left[e] = face[2 * e];
        face_right[e] = face[2 * e + 1];
    }
    *nfaces = nf;
    *outer = pick_outer(ne, eu, ev, root, face, ws);
    if (walk_start && walk) {
        memcpy(walk_start, ws, (nf + 1) * sizeof *ws);
        memcpy(walk, wk, 2 * ne * sizeof *wk);
    }
    st = QP_OK;
out:
    if (bad_edge) {
        *bad_edge = bad;
    }
    free(cls);
    free(rot);
    free(succ);
    free(face);
    free(wk);
    free(ws);
    qp_planar_sgraph_free(&g);
    return st;
}

qp_status qp_planar_faces(size_t nv, size_t ne, const int *eu, const int *ev, int root,
                          int *face_left, int *face_right, size_t *nfaces, int *outer,
                          int *bad_edge)
{
    return qp_planar_walks(nv, ne, eu, ev, root, face_left, face_right, nfaces, outer, bad_edge,
                           NULL, NULL);
}

qp_status qp_planar_obstruction(size_t nv, size_t ne, const int *eu, const int *ev,
                                unsigned char *in_obstruction, size_t *count)
{
    int bad;
    qp_status st = check_edges(nv, ne, eu, ev, &bad);
    if (st != QP_OK || (ne && !in_obstruction) || !count) {
        return QP_ERR_USAGE;
    }
    unsigned char *forced = calloc(ne ? ne : 1, 1), *use = malloc(ne ? ne : 1);
    int *cand = malloc((ne ? ne : 1) * sizeof *cand);
    size_t nc = ne, k = 0, n = 0;
    st = QP_ERR_NOMEM;
    if (!forced || !use || !cand) {
        goto out;
    }
    for (size_t e = 0; e < ne; e++) {
        cand[e] = (int)e;
    }
    int r = planar_subset(nv, ne, eu, ev, NULL);
    if (r < 0) {
        goto out;
    }
    /* Invariant: forced + cand[0 .. nc) is not planar, and each forced edge e was added when the
     * forced edges before it plus the candidates left after it were planar; so no forced edge can
     * be dropped at the end: the forced edges form a minimal non-planar subgraph. */
    int forced_planar = r == 0; /* no edge forced yet: planar, unless the graph is planar */
    while (forced_planar) {
        if (shortest_nonplanar(nv, ne, eu, ev, forced, cand, nc, use, &k) != 0) {
            goto out;
        }
        forced[cand[k - 1]] = 1;
        nc = k - 1;
        n++;
        if ((forced_planar = planar_subset(nv, ne, eu, ev, forced)) < 0) {
            goto out;
        }
    }
    if (ne) {
        memcpy(in_obstruction, forced, ne);
    }
    *count = n;
    st = QP_OK;
out:
    free(forced);
    free(use);
    free(cand);
    return st;
}
