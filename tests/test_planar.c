/* Unit tests: planar embeddings (Euler, closed face walks, left/right, outer face), rejection of
 * non-planar graphs with Kuratowski obstructions, and brute force over rotation systems. */
#include "circuit/planar.h"

#include "tap.h"

#include <stdlib.h>
#include <string.h>

#define BRUTE_MAX_SYSTEMS 300000 /* rotation systems enumerated at most per brute-force graph */
#define NBRUTE 1000              /* random tiny graphs compared with the brute force */

/* ---- helpers ---- */

static unsigned long long rng_next(unsigned long long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static size_t rng_below(unsigned long long *s, size_t n)
{
    return (size_t)(rng_next(s) % n);
}

/* A multigraph as an edge list (owned arrays). */
typedef struct {
    size_t nv, ne, cap;
    int *u, *v;
} graph;

static graph g_new(size_t nv)
{
    graph g = {nv, 0, 0, NULL, NULL};
    return g;
}

static void g_free(graph *g)
{
    free(g->u);
    free(g->v);
    g->u = g->v = NULL;
    g->ne = g->cap = 0;
}

static void g_add(graph *g, int a, int b)
{
    if (g->ne == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 16;
        g->u = realloc(g->u, g->cap * sizeof *g->u);
        g->v = realloc(g->v, g->cap * sizeof *g->v);
        if (!g->u || !g->v) {
            abort();
        }
    }
    g->u[g->ne] = a;
    g->v[g->ne++] = b;
}

static graph g_copy(const graph *g)
{
    graph h = g_new(g->nv);
    for (size_t e = 0; e < g->ne; e++) {
        g_add(&h, g->u[e], g->v[e]);
    }
    return h;
}

static int tail(const graph *g, int d)
{
    return (d & 1) ? g->v[d >> 1] : g->u[d >> 1];
}

static int head(const graph *g, int d)
{
    return tail(g, d ^ 1);
}

/* Connectivity of g without edge `skip` (-1: none), by repeated relaxation (small graphs). */
static int connected_without(const graph *g, int skip)
{
    unsigned char *seen = calloc(g->nv, 1);
    size_t count = 1;
    int grew = 1;
    seen[0] = 1;
    while (grew) {
        grew = 0;
        for (size_t e = 0; e < g->ne; e++) {
            if ((int)e != skip && seen[g->u[e]] != seen[g->v[e]]) {
                seen[g->u[e]] = seen[g->v[e]] = 1;
                count++;
                grew = 1;
            }
        }
    }
    free(seen);
    return count == g->nv;
}

/* ---- independent checks of an embedding ---- */

typedef struct {
    qp_status st;
    int bad;
    size_t nf;
    int outer;
    int *fl, *fr, *walk;
    size_t *ws;
} result;

static void res_free(result *r)
{
    free(r->fl);
    free(r->fr);
    free(r->walk);
    free(r->ws);
}

static result embed(const graph *g, int root)
{
    result r = {0};
    size_t ne = g->ne;
    r.fl = malloc((ne + 1) * sizeof *r.fl);
    r.fr = malloc((ne + 1) * sizeof *r.fr);
    r.walk = malloc((2 * ne + 1) * sizeof *r.walk);
    r.ws = malloc((ne + 3) * sizeof *r.ws);
    r.st = qp_planar_walks(g->nv, ne, g->u, g->v, root, r.fl, r.fr, &r.nf, &r.outer, &r.bad, r.ws,
                           r.walk);
    return r;
}

/* Checks everything the header promises about a successful result; returns NULL or what failed. */
static const char *check_embedding(const graph *g, int root, const result *r)
{
    size_t nv = g->nv, ne = g->ne, nf = r->nf;
    static char why[160];
    if (r->st != QP_OK) {
        return "status";
    }
    if (nf != ne + 2 - nv) {
        return "Euler: nfaces != ne - nv + 2";
    }
    if (ne == 0) {
        return r->outer == 0 && r->ws[0] == 0 && r->ws[1] == 0 ? NULL : "lone vertex";
    }
    int *count = calloc(2 * ne, sizeof *count);
    int *sigma = malloc(2 * ne * sizeof *sigma), *net = calloc(nv, sizeof *net);
    unsigned char *dseen = calloc(nf, 1), *fused = calloc(nf, 1);
    const char *bad = NULL;
    for (size_t e = 0; e < ne && !bad; e++) {
        if (r->fl[e] < 0 || (size_t)r->fl[e] >= nf || r->fr[e] < 0 || (size_t)r->fr[e] >= nf) {
            bad = "face number out of range";
        } else {
            fused[r->fl[e]] = fused[r->fr[e]] = 1;
        }
    }
    for (size_t f = 0; f < nf && !bad; f++) {
        bad = fused[f] ? NULL : "a face has no edge";
    }
    /* Walks: every dart once, closed, consecutive darts meet, faces match face_left/right. */
    if (!bad && (r->ws[0] != 0 || r->ws[nf] != 2 * ne)) {
        bad = "walk_start bounds";
    }
    for (size_t f = 0; f < nf && !bad; f++) {
        size_t a = r->ws[f], b = r->ws[f + 1];
        if (b <= a) {
            bad = "empty walk";
            break;
        }
        for (size_t i = a; i < b && !bad; i++) {
            int d = r->walk[i], next = r->walk[i + 1 < b ? i + 1 : a];
            if (d < 0 || (size_t)d >= 2 * ne || count[d]++) {
                bad = "a dart is missing or repeated in the walks";
            } else if (head(g, d) != tail(g, next)) {
                bad = "walk is not a closed walk";
            } else if (((d & 1) ? r->fr[d >> 1] : r->fl[d >> 1]) != (int)f) {
                bad = "walk disagrees with face_left/face_right";
            } else {
                sigma[d ^ 1] = next; /* the rotation at head(d) the walks imply */
            }
        }
    }
    /* The implied rotation at every vertex is one cycle through all its darts, so the walks are
     * the faces of a rotation system; with Euler's count that is a planar embedding. */
    for (size_t x = 0; x < nv && !bad; x++) {
        size_t deg = 0, len = 0;
        int d0 = -1;
        for (size_t d = 0; d < 2 * ne; d++) {
            if (tail(g, (int)d) == (int)x) {
                deg++;
                d0 = d0 < 0 ? (int)d : d0;
            }
        }
        int d = d0;
        do {
            d = sigma[d];
            len++;
        } while (d != d0 && len <= deg);
        if (len != deg) {
            snprintf(why, sizeof why, "rotation at vertex %zu is not a single cycle", x);
            bad = why;
        }
    }
    /* Smallest dart first, faces numbered by smallest dart. */
    for (size_t f = 0; f < nf && !bad; f++) {
        for (size_t i = r->ws[f]; i < r->ws[f + 1]; i++) {
            if (r->walk[i] < r->walk[r->ws[f]]) {
                bad = "walk does not start at its smallest dart";
            }
        }
        if (f > 0 && r->walk[r->ws[f]] < r->walk[r->ws[f - 1]]) {
            bad = "faces not numbered by smallest dart";
        }
    }
    /* From face_left/right alone: each face's signed boundary is balanced (a closed walk). */
    for (size_t f = 0; f < nf && !bad; f++) {
        memset(net, 0, nv * sizeof *net);
        for (size_t e = 0; e < ne; e++) {
            int s = (r->fl[e] == (int)f) - (r->fr[e] == (int)f);
            net[g->u[e]] += s;
            net[g->v[e]] -= s;
        }
        for (size_t x = 0; x < nv; x++) {
            bad = net[x] ? "signed face boundary is not a cycle" : bad;
        }
    }
    /* Bridges (by brute force) are exactly the edges with one face on both sides. */
    for (size_t e = 0; e < ne && !bad; e++) {
        int bridge = !connected_without(g, (int)e);
        if (bridge != (r->fl[e] == r->fr[e])) {
            snprintf(why, sizeof why, "edge %zu: bridge %d but left %d right %d", e, bridge,
                     r->fl[e], r->fr[e]);
            bad = why;
        }
    }
    /* The dual graph is connected (so the face boundaries span the cycle space). */
    if (!bad) {
        int grew = 1;
        size_t reached = 1;
        dseen[r->fl[0]] = 1;
        while (grew) {
            grew = 0;
            for (size_t e = 0; e < ne; e++) {
                if (dseen[r->fl[e]] != dseen[r->fr[e]]) {
                    dseen[r->fl[e]] = dseen[r->fr[e]] = 1;
                    reached++;
                    grew = 1;
                }
            }
        }
        bad = reached == nf ? NULL : "dual graph is not connected";
    }
    /* The outer face touches root and has the longest walk among those that do. */
    if (!bad && (r->outer < 0 || (size_t)r->outer >= nf)) {
        bad = "outer face out of range";
    }
    if (!bad) {
        size_t best = 0, outer_len = r->ws[r->outer + 1] - r->ws[r->outer];
        int touches = 0;
        for (size_t d = 0; d < 2 * ne; d++) {
            if (tail(g, (int)d) == root) {
                int f = (d & 1) ? r->fr[d >> 1] : r->fl[d >> 1];
                size_t len = r->ws[f + 1] - r->ws[f];
                best = len > best ? len : best;
                touches |= f == r->outer;
            }
        }
        bad = !touches ? "outer face does not touch root"
                       : (outer_len != best ? "outer face is not the longest at root" : NULL);
    }
    free(count);
    free(sigma);
    free(net);
    free(dseen);
    free(fused);
    return bad;
}

static int same_result(const result *a, const result *b, size_t ne)
{
    if (a->st != b->st || a->nf != b->nf || a->outer != b->outer || a->bad != b->bad) {
        return 0;
    }
    if (a->st != QP_OK) {
        return 1;
    }
    return memcmp(a->fl, b->fl, ne * sizeof *a->fl) == 0 &&
           memcmp(a->fr, b->fr, ne * sizeof *a->fr) == 0 &&
           memcmp(a->walk, b->walk, 2 * ne * sizeof *a->walk) == 0 &&
           memcmp(a->ws, b->ws, (a->nf + 1) * sizeof *a->ws) == 0;
}

/* Embeds g; checks the result, determinism and that qp_planar_faces agrees with the walks. */
static int embed_ok(const graph *g, int root, const char **why)
{
    result r = embed(g, root), r2 = embed(g, root);
    const char *bad = check_embedding(g, root, &r);
    if (!bad && !same_result(&r, &r2, g->ne)) {
        bad = "not deterministic";
    }
    if (!bad) {
        int *fl = malloc((g->ne + 1) * sizeof *fl), *fr = malloc((g->ne + 1) * sizeof *fr), outer;
        int be = 7;
        size_t nf;
        qp_status st = qp_planar_faces(g->nv, g->ne, g->u, g->v, root, fl, fr, &nf, &outer, &be);
        if (st != QP_OK || nf != r.nf || outer != r.outer || be != -1 ||
            memcmp(fl, r.fl, g->ne * sizeof *fl) || memcmp(fr, r.fr, g->ne * sizeof *fr)) {
            bad = "qp_planar_faces differs from qp_planar_walks";
        }
        free(fl);
        free(fr);
    }
    res_free(&r);
    res_free(&r2);
    if (why) {
        *why = bad;
    }
    return bad == NULL;
}

/* Sorted face lengths of a successful embedding, written to len (room for nfaces). */
static size_t face_lengths(const graph *g, int root, size_t *len)
{
    result r = embed(g, root);
    size_t nf = r.st == QP_OK ? r.nf : 0;
    for (size_t f = 0; f < nf; f++) {
        len[f] = r.ws[f + 1] - r.ws[f];
    }
    for (size_t i = 1; i < nf; i++) { /* insertion sort */
        for (size_t j = i; j > 0 && len[j - 1] > len[j]; j--) {
            size_t t = len[j];
            len[j] = len[j - 1];
            len[j - 1] = t;
        }
    }
    res_free(&r);
    return nf;
}

static int lengths_are(const graph *g, const size_t *want, size_t nwant)
{
    size_t got[64];
    size_t nf = face_lengths(g, 0, got);
    if (nf != nwant) {
        return 0;
    }
    for (size_t f = 0; f < nf; f++) {
        if (got[f] != want[f]) {
            return 0;
        }
    }
    return 1;
}

/* ---- Kuratowski subgraphs ---- */

/* 1 when the marked edges form a subdivision of K5 or K3,3 (and nothing else). */
static int is_kuratowski(const graph *g, const unsigned char *mark)
{
    size_t nv = g->nv, ne = g->ne, nbranch = 0, walked = 0, nmark = 0;
    int *deg = calloc(nv, sizeof *deg), *bidx = malloc(nv * sizeof *bidx), ok = 1;
    unsigned char *used = calloc(ne, 1);
    int pair[6][6] = {{0}};
    for (size_t e = 0; e < ne; e++) {
        if (mark[e]) {
            deg[g->u[e]]++;
            deg[g->v[e]]++;
            nmark++;
        }
    }
    int bdeg = 0;
    for (size_t x = 0; x < nv && ok; x++) {
        bidx[x] = -1;
        if (deg[x] >= 3) {
            ok = nbranch < 6 && (bdeg == 0 || deg[x] == bdeg);
            bdeg = deg[x];
            bidx[x] = (int)nbranch++;
        } else {
            ok = deg[x] == 0 || deg[x] == 2;
        }
    }
    ok = ok && ((nbranch == 5 && bdeg == 4) || (nbranch == 6 && bdeg == 3));
    /* Follow each branch path from its smaller-numbered end. */
    for (size_t e0 = 0; e0 < ne && ok; e0++) {
        if (!mark[e0] || used[e0]) {
            continue;
        }
        int start = bidx[g->u[e0]] >= 0 ? g->u[e0] : (bidx[g->v[e0]] >= 0 ? g->v[e0] : -1);
        if (start < 0) {
            continue; /* interior edge: reached from a branch vertex, or on a stray cycle */
        }
        int x = start, e = (int)e0;
        for (;;) {
            used[e] = 1;
            walked++;
            x = g->u[e] == x ? g->v[e] : g->u[e];
            if (bidx[x] >= 0) {
                break;
            }
            int nxt = -1;
            for (size_t f = 0; f < ne; f++) {
                if (mark[f] && !used[f] && (g->u[f] == x || g->v[f] == x)) {
                    nxt = (int)f;
                }
            }
            if (nxt < 0) {
                ok = 0;
                break;
            }
            e = nxt;
        }
        if (ok) {
            int a = bidx[start], b = bidx[x];
            ok = a != b && !pair[a][b];
            pair[a][b] = pair[b][a] = 1;
        }
    }
    ok = ok && walked == nmark;
    if (ok && nbranch == 5) {
        for (int a = 0; a < 5; a++) {
            for (int b = a + 1; b < 5; b++) {
                ok = ok && pair[a][b];
            }
        }
    } else if (ok) { /* K3,3: the branch graph is 3-regular and bipartite with parts 0's side */
        int side[6], ns = 0;
        for (int a = 0; a < 6; a++) {
            side[a] = !pair[0][a];
            ns += side[a];
        }
        ok = ns == 3;
        for (int a = 0; a < 6; a++) {
            for (int b = 0; b < 6; b++) {
                ok = ok && (pair[a][b] == (side[a] != side[b]));
            }
        }
    }
    free(deg);
    free(bidx);
    free(used);
    return ok;
}

/* Expects g to be rejected; checks bad_edge against the shortest non-planar prefix and the
 * obstruction. Returns NULL or what failed. */
static const char *check_rejected(const graph *g, int root)
{
    result r = embed(g, root);
    const char *bad = NULL;
    unsigned char *mark = malloc(g->ne + 1);
    size_t n = 0;
    if (r.st != QP_ERR_INPUT) {
        bad = "not rejected";
    } else if (r.bad < 0 || (size_t)r.bad >= g->ne) {
        bad = "bad_edge out of range";
    } else if (qp_planar_obstruction(g->nv, g->ne, g->u, g->v, mark, &n) != QP_OK || n == 0) {
        bad = "no obstruction";
    } else if (!is_kuratowski(g, mark)) {
        bad = "obstruction is not a subdivided K5 or K3,3";
    } else {
        size_t nk = 0, np = 0;
        for (size_t e = 0; e < g->ne; e++) {
            nk += mark[e];
        }
        /* Edges 0 .. bad_edge-1 are planar, 0 .. bad_edge are not. */
        int ok1 = qp_planar_obstruction(g->nv, (size_t)r.bad, g->u, g->v, mark, &np) == QP_OK;
        ok1 = ok1 && np == 0;
        int ok2 = qp_planar_obstruction(g->nv, (size_t)r.bad + 1, g->u, g->v, mark, &np) == QP_OK;
        ok2 = ok2 && np > 0 && mark[r.bad] && is_kuratowski(g, mark);
        bad = nk != n ? "obstruction count"
                      : (!ok1 || !ok2 ? "bad_edge is not the prefix edge" : NULL);
    }
    free(mark);
    res_free(&r);
    return bad;
}

/* ---- brute force over rotation systems ---- */

static int next_perm(int *a, size_t n)
{
    if (n < 2) {
        return 0;
    }
    size_t i = n - 1;
    while (i > 0 && a[i - 1] >= a[i]) {
        i--;
    }
    if (i == 0) { /* last order: back to the first, like C++ next_permutation */
        for (size_t l = 0, h = n - 1; l < h; l++, h--) {
            int t = a[l];
            a[l] = a[h];
            a[h] = t;
        }
        return 0;
    }
    size_t j = n - 1;
    while (a[j] <= a[i - 1]) {
        j--;
    }
    int t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
    for (size_t l = i, h = n - 1; l < h; l++, h--) {
        t = a[l];
        a[l] = a[h];
        a[h] = t;
    }
    return 1;
}

/* 1 when some rotation system of the connected graph g has ne - nv + 2 faces (genus 0), 0 when
 * none does, -1 when there are more than BRUTE_MAX_SYSTEMS systems. Graphs with more than
 * 3 nv - 6 distinct adjacent pairs are not planar by Euler's bound and are not enumerated. */
static int brute_planar(const graph *g, int *by_euler)
{
    size_t nv = g->nv, ne = g->ne, total = 1, pairs = 0;
    if (ne == 0) {
        return 1;
    }
    unsigned char adj[8][8] = {{0}};
    for (size_t e = 0; e < ne; e++) {
        pairs += !adj[g->u[e]][g->v[e]];
        adj[g->u[e]][g->v[e]] = adj[g->v[e]][g->u[e]] = 1;
    }
    *by_euler = nv >= 3 && pairs > 3 * nv - 6;
    if (*by_euler) {
        return 0;
    }
    int darts[8][16], perm[8][16], succ[64], seen[64];
    size_t deg[8] = {0};
    for (size_t d = 0; d < 2 * ne; d++) {
        int x = tail(g, (int)d);
        darts[x][deg[x]++] = (int)d;
    }
    for (size_t x = 0; x < nv; x++) {
        for (size_t i = 0; i < deg[x]; i++) {
            perm[x][i] = (int)i;
        }
        for (size_t k = 2; k < deg[x]; k++) { /* (deg - 1)! cyclic orders */
            total *= k;
            if (total > BRUTE_MAX_SYSTEMS) {
                return -1;
            }
        }
    }
    for (;;) {
        for (size_t x = 0; x < nv; x++) {
            for (size_t i = 0; i < deg[x]; i++) {
                succ[darts[x][perm[x][i]]] = darts[x][perm[x][(i + 1) % deg[x]]];
            }
        }
        size_t nf = 0;
        memset(seen, 0, sizeof seen);
        for (size_t d = 0; d < 2 * ne; d++) {
            if (!seen[d]) {
                nf++;
                for (int y = (int)d; !seen[y]; y = succ[y ^ 1]) {
                    seen[y] = 1;
                }
            }
        }
        if (nf == ne + 2 - nv) {
            return 1;
        }
        size_t x = 0; /* odometer over the vertices; position 0 of each order stays fixed */
        while (x < nv && !next_perm(perm[x] + 1, deg[x] ? deg[x] - 1 : 0)) {
            x++; /* wrapped around to the sorted order: carry */
        }
        if (x == nv) {
            return 0;
        }
    }
}

static int has_edge(const graph *g, int a, int b)
{
    for (size_t e = 0; e < g->ne; e++) {
        if ((g->u[e] == a && g->v[e] == b) || (g->u[e] == b && g->v[e] == a)) {
            return 1;
        }
    }
    return 0;
}

/* A random connected multigraph with nv <= 6 vertices (no self-loops). `dense`: 5 or 6 vertices
 * with 8 to 12 adjacent pairs (around the planarity threshold) and sometimes a parallel edge;
 * otherwise sparser, sometimes with several parallel edges. */
static graph random_small(unsigned long long *s, int dense)
{
    size_t nv = dense ? 5 + rng_below(s, 2) : 1 + rng_below(s, 6);
    graph g = g_new(nv);
    for (size_t x = 1; x < nv; x++) { /* random spanning tree */
        g_add(&g, (int)rng_below(s, x), (int)x);
    }
    size_t target = nv == 5 ? 8 + rng_below(s, 3) : 9 + rng_below(s, 4), pairs = nv - 1;
    while (dense && pairs < target) {
        int a = (int)rng_below(s, nv), b = (int)rng_below(s, nv);
        if (a != b && !has_edge(&g, a, b)) {
            g_add(&g, a, b);
            pairs++;
        }
    }
    size_t extra = dense ? (rng_below(s, 4) == 0) : (nv >= 2 ? rng_below(s, nv * nv / 2 + 2) : 0);
    int allow_parallel = dense || rng_below(s, 3) == 0;
    for (size_t k = 0; k < extra && nv >= 2; k++) {
        int a = (int)rng_below(s, nv), b = (int)rng_below(s, nv);
        if (a != b && (allow_parallel || !has_edge(&g, a, b)) && g.ne < 16) {
            g_add(&g, a, b);
        }
    }
    for (size_t e = 0; e < g.ne; e++) { /* shuffle the edge order */
        size_t j = rng_below(s, e + 1);
        int tu = g.u[e], tv = g.v[e];
        g.u[e] = g.u[j];
        g.v[e] = g.v[j];
        g.u[j] = tu;
        g.v[j] = tv;
    }
    return g;
}

/* ---- graph families ---- */

static graph complete(size_t n)
{
    graph g = g_new(n);
    for (size_t a = 0; a < n; a++) {
        for (size_t b = a + 1; b < n; b++) {
            g_add(&g, (int)a, (int)b);
        }
    }
    return g;
}

static graph complete_bipartite(size_t p, size_t q)
{
    graph g = g_new(p + q);
    for (size_t a = 0; a < p; a++) {
        for (size_t b = 0; b < q; b++) {
            g_add(&g, (int)a, (int)(p + b));
        }
    }
    return g;
}

/* Replaces edge e by a path through k new vertices. */
static void subdivide(graph *g, size_t e, size_t k)
{
    int end = g->v[e], prev = (int)g->nv;
    g->v[e] = prev;
    g->nv += k;
    for (size_t i = 1; i < k; i++) {
        g_add(g, prev, prev + 1);
        prev++;
    }
    g_add(g, prev, end);
}

static graph wheel(size_t rim)
{
    graph g = g_new(rim + 1);
    for (size_t i = 0; i < rim; i++) {
        g_add(&g, (int)rim, (int)i);
        g_add(&g, (int)i, (int)((i + 1) % rim));
    }
    return g;
}

static graph grid(size_t w, size_t h)
{
    graph g = g_new(w * h);
    for (size_t y = 0; y < h; y++) {
        for (size_t x = 0; x < w; x++) {
            int v = (int)(y * w + x);
            if (x + 1 < w) {
                g_add(&g, v, v + 1);
            }
            if (y + 1 < h) {
                g_add(&g, v, v + (int)w);
            }
        }
    }
    return g;
}

static graph cube(void)
{
    graph g = g_new(8);
    for (int a = 0; a < 8; a++) {
        for (int bit = 1; bit < 8; bit <<= 1) {
            if (!(a & bit)) {
                g_add(&g, a, a | bit);
            }
        }
    }
    return g;
}

static graph petersen(void)
{
    graph g = g_new(10);
    for (int i = 0; i < 5; i++) {
        g_add(&g, i, (i + 1) % 5);
        g_add(&g, i, i + 5);
        g_add(&g, 5 + i, 5 + (i + 2) % 5);
    }
    return g;
}

/* Random simple triangulation of the sphere with n >= 3 vertices: points inserted into random
 * faces, then random edge flips; labels, edge order and orientations shuffled. */
static graph triangulation(size_t n, unsigned long long *s)
{
    size_t nf = 2, cap = 2 * n;
    int (*tri)[3] = malloc(cap * sizeof *tri);
    unsigned char *adj = calloc(n * n, 1);
    graph g = g_new(n);
    int t0[3] = {0, 1, 2}, t1[3] = {0, 2, 1};
    memcpy(tri[0], t0, sizeof t0);
    memcpy(tri[1], t1, sizeof t1);
    g_add(&g, 0, 1);
    g_add(&g, 1, 2);
    g_add(&g, 2, 0);
    adj[0 * n + 1] = adj[1 * n + 0] = adj[1 * n + 2] = adj[2 * n + 1] = 1;
    adj[0 * n + 2] = adj[2 * n + 0] = 1;
    for (int d = 3; (size_t)d < n; d++) {
        size_t f = rng_below(s, nf);
        int a = tri[f][0], b = tri[f][1], c = tri[f][2];
        int na[3] = {a, b, d}, nb[3] = {b, c, d}, nc[3] = {c, a, d};
        memcpy(tri[f], na, sizeof na);
        memcpy(tri[nf++], nb, sizeof nb);
        memcpy(tri[nf++], nc, sizeof nc);
        g_add(&g, a, d);
        g_add(&g, b, d);
        g_add(&g, c, d);
        adj[a * n + d] = adj[d * n + a] = adj[b * n + d] = adj[d * n + b] = 1;
        adj[c * n + d] = adj[d * n + c] = 1;
    }
    for (size_t k = 0; k < 2 * n; k++) { /* flips (a,b,c) + (b,a,d) -> (a,d,c) + (d,b,c) */
        size_t f1 = rng_below(s, nf), r = rng_below(s, 3), f2 = nf;
        int a = tri[f1][r], b = tri[f1][(r + 1) % 3], c = tri[f1][(r + 2) % 3], d = -1;
        for (size_t f = 0; f < nf; f++) {
            for (int q = 0; q < 3; q++) {
                if (tri[f][q] == b && tri[f][(q + 1) % 3] == a) {
                    f2 = f;
                    d = tri[f][(q + 2) % 3];
                }
            }
        }
        if (f2 == nf || c == d || adj[c * n + d]) {
            continue;
        }
        int n1[3] = {a, d, c}, n2[3] = {d, b, c};
        memcpy(tri[f1], n1, sizeof n1);
        memcpy(tri[f2], n2, sizeof n2);
        for (size_t e = 0; e < g.ne; e++) {
            if ((g.u[e] == a && g.v[e] == b) || (g.u[e] == b && g.v[e] == a)) {
                g.u[e] = c;
                g.v[e] = d;
            }
        }
        adj[a * n + b] = adj[b * n + a] = 0;
        adj[c * n + d] = adj[d * n + c] = 1;
    }
    int *lab = malloc(n * sizeof *lab);
    for (size_t i = 0; i < n; i++) {
        size_t j = rng_below(s, i + 1);
        lab[i] = lab[j];
        lab[j] = (int)i;
    }
    for (size_t e = 0; e < g.ne; e++) {
        size_t j = rng_below(s, e + 1);
        int tu = g.u[e], tv = g.v[e];
        g.u[e] = g.u[j];
        g.v[e] = g.v[j];
        g.u[j] = tu;
        g.v[j] = tv;
    }
    for (size_t e = 0; e < g.ne; e++) {
        int a = lab[g.u[e]], b = lab[g.v[e]], flip = (int)rng_below(s, 2);
        g.u[e] = flip ? b : a;
        g.v[e] = flip ? a : b;
    }
    free(lab);
    free(tri);
    free(adj);
    return g;
}

/* ---- tests ---- */

static void test_small(void)
{
    const char *why = NULL;
    graph g = g_new(1);
    QP_CHECK(embed_ok(&g, 0, &why), "lone vertex: one face (%s)", why ? why : "ok");
    g_free(&g);

    g = g_new(2);
    g_add(&g, 0, 1);
    result r = embed(&g, 1);
    QP_CHECK(embed_ok(&g, 1, &why) && r.nf == 1 && r.fl[0] == 0 && r.fr[0] == 0,
             "single edge: one face on both sides (%s)", why ? why : "ok");
    res_free(&r);
    for (size_t k = 2; k <= 4; k++) {
        g_add(&g, (int)(k % 2), (int)((k + 1) % 2)); /* alternate orientations */
        size_t want[4] = {2, 2, 2, 2};
        QP_CHECK(embed_ok(&g, 0, &why) && lengths_are(&g, want, k),
                 "%zu parallel edges: %zu digons (%s)", k, k, why ? why : "ok");
    }
    /* Digon convention: between consecutive parallel edges e < e' (walked 0 -> 1) the digon is
     * right of e and left of e'. Edges 0 and 2 run 0 -> 1, edges 1 and 3 run 1 -> 0. */
    r = embed(&g, 0);
    int conv = r.st == QP_OK;
    for (int e = 0; e + 1 < 4 && conv; e++) {
        int right_e = g.u[e] == 0 ? r.fr[e] : r.fl[e];
        int left_e2 = g.u[e + 1] == 0 ? r.fl[e + 1] : r.fr[e + 1];
        conv = right_e == left_e2;
    }
    QP_CHECK(conv, "parallel edges: the digon of e < e' is right of e and left of e'");
    res_free(&r);
    g_free(&g);

    g = g_new(3); /* a path: all bridges, one face */
    g_add(&g, 0, 1);
    g_add(&g, 2, 1);
    size_t want_path[1] = {4};
    QP_CHECK(embed_ok(&g, 2, &why) && lengths_are(&g, want_path, 1), "path: one face (%s)",
             why ? why : "ok");
    g_free(&g);
}

static void test_flux_qubit(void)
{
    const char *why = NULL;
    for (int par = 2; par <= 3; par++) {
        graph g = g_new(3);
        for (int side = 0; side < 3; side++) {
            for (int k = 0; k < par; k++) {
                g_add(&g, side, (side + 1) % 3);
            }
        }
        size_t want[8];
        size_t ndig = (size_t)(3 * (par - 1));
        for (size_t i = 0; i < ndig; i++) {
            want[i] = 2;
        }
        want[ndig] = want[ndig + 1] = 3;
        int ok = 1;
        for (int root = 0; root < 3; root++) {
            ok = ok && embed_ok(&g, root, &why);
        }
        QP_CHECK(ok && lengths_are(&g, want, ndig + 2),
                 "triangle with %d parallel branches per side: 2 triangles + %zu digons, every "
                 "root (%s)",
                 par, ndig, why ? why : "ok");
        result r = embed(&g, 0);
        QP_CHECK(r.st == QP_OK && r.ws[r.outer + 1] - r.ws[r.outer] == 3,
                 "flux qubit (%d per side): outer face is a triangle", par);
        res_free(&r);
        g_free(&g);
    }
}

static void test_families(void)
{
    const char *why = NULL;
    graph g = wheel(6);
    size_t wl[7] = {3, 3, 3, 3, 3, 3, 6};
    QP_CHECK(embed_ok(&g, 6, &why) && lengths_are(&g, wl, 7),
             "wheel W6: 6 triangles and the rim (%s)", why ? why : "ok");
    g_free(&g);

    g = grid(4, 4);
    size_t gl[10] = {4, 4, 4, 4, 4, 4, 4, 4, 4, 12};
    QP_CHECK(embed_ok(&g, 5, &why) && lengths_are(&g, gl, 10),
             "4x4 grid: 9 squares and the boundary (%s)", why ? why : "ok");
    result r = embed(&g, 5); /* an inner vertex only touches squares */
    QP_CHECK(r.st == QP_OK && r.ws[r.outer + 1] - r.ws[r.outer] == 4,
             "4x4 grid, root inside: outer is a square touching the root");
    res_free(&r);
    r = embed(&g, 0);
    QP_CHECK(r.st == QP_OK && r.ws[r.outer + 1] - r.ws[r.outer] == 12,
             "4x4 grid, root on the corner: outer is the boundary");
    res_free(&r);
    g_free(&g);

    g = cube();
    size_t cl[6] = {4, 4, 4, 4, 4, 4};
    QP_CHECK(embed_ok(&g, 0, &why) && lengths_are(&g, cl, 6), "cube: 6 squares (%s)",
             why ? why : "ok");
    g_free(&g);

    g = complete(4);
    size_t kl[4] = {3, 3, 3, 3};
    QP_CHECK(embed_ok(&g, 0, &why) && lengths_are(&g, kl, 4), "K4: 4 triangles (%s)",
             why ? why : "ok");
    g_free(&g);

    g = g_new(5); /* bow tie: two triangles sharing vertex 2 */
    int bt[6][2] = {{0, 1}, {1, 2}, {2, 0}, {2, 3}, {3, 4}, {4, 2}};
    for (int e = 0; e < 6; e++) {
        g_add(&g, bt[e][0], bt[e][1]);
    }
    size_t bl[3] = {3, 3, 6};
    int ok = 1;
    for (int root = 0; root < 5; root++) {
        ok = ok && embed_ok(&g, root, &why);
    }
    QP_CHECK(ok && lengths_are(&g, bl, 3), "cut vertex (bow tie): faces 3, 3, 6 (%s)",
             why ? why : "ok");
    g_free(&g);

    g = g_new(6); /* two triangles joined by the bridge 2-3 */
    int br[7][2] = {{0, 1}, {1, 2}, {2, 0}, {3, 2}, {3, 4}, {4, 5}, {5, 3}};
    for (int e = 0; e < 7; e++) {
        g_add(&g, br[e][0], br[e][1]);
    }
    size_t brl[3] = {3, 3, 8};
    ok = 1;
    for (int root = 0; root < 6; root++) {
        ok = ok && embed_ok(&g, root, &why);
    }
    r = embed(&g, 0);
    QP_CHECK(ok && lengths_are(&g, brl, 3) && r.st == QP_OK && r.fl[3] == r.fr[3] &&
                 r.fl[3] == r.outer,
             "bridge: faces 3, 3, 8, the bridge has one face on both sides (%s)", why ? why : "ok");
    res_free(&r);
    g_free(&g);

    g = g_new(7); /* a block tree: K4 at 0, a triangle at 3 with pendant and parallel edges */
    int bk[][2] = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3},
                   {3, 4}, {4, 5}, {5, 3}, {5, 6}, {6, 5}, {4, 3}};
    for (size_t e = 0; e < sizeof bk / sizeof bk[0]; e++) {
        g_add(&g, bk[e][0], bk[e][1]);
    }
    ok = 1;
    for (int root = 0; root < 7; root++) {
        ok = ok && embed_ok(&g, root, &why);
    }
    QP_CHECK(ok, "blocks glued at cut vertices, with parallel edges, every root (%s)",
             why ? why : "ok");
    g_free(&g);
}

static void test_nonplanar(void)
{
    struct {
        const char *name;
        graph g;
    } cases[16];
    size_t nc = 0;
    cases[nc].name = "K5";
    cases[nc++].g = complete(5);
    cases[nc].name = "K3,3";
    cases[nc++].g = complete_bipartite(3, 3);
    cases[nc].name = "K6";
    cases[nc++].g = complete(6);
    cases[nc].name = "K4,4";
    cases[nc++].g = complete_bipartite(4, 4);
    cases[nc].name = "Petersen graph";
    cases[nc++].g = petersen();

    graph g = complete(5);
    g_add(&g, 0, 1);
    g_add(&g, 3, 2);
    g_add(&g, 1, 0);
    cases[nc].name = "K5 with parallel edges";
    cases[nc++].g = g;
    g = complete_bipartite(3, 3);
    g_add(&g, 4, 0);
    g_add(&g, 2, 5);
    cases[nc].name = "K3,3 with parallel edges";
    cases[nc++].g = g;
    g = complete(5);
    subdivide(&g, 0, 2);
    subdivide(&g, 4, 1);
    subdivide(&g, 9, 3);
    cases[nc].name = "K5 subdivided";
    cases[nc++].g = g;
    g = complete_bipartite(3, 3);
    for (size_t e = 0; e < 9; e += 2) {
        subdivide(&g, e, 1 + e % 3);
    }
    g_add(&g, 0, 6);
    cases[nc].name = "K3,3 subdivided, with a parallel edge on a subdivided path";
    cases[nc++].g = g;
    g = wheel(5); /* planar wheel first, then K3,3 hanging from the hub at a cut vertex */
    for (int a = 0; a < 3; a++) {
        for (int b = 0; b < 3; b++) {
            g_add(&g, a == 0 ? 5 : 5 + a, 8 + b);
        }
    }
    g.nv = 11;
    cases[nc].name = "wheel and K3,3 sharing a cut vertex";
    cases[nc++].g = g;
    g = complete(5); /* K5 with a pendant path and a planar block */
    g.nv = 9;
    g_add(&g, 4, 5);
    g_add(&g, 5, 6);
    g_add(&g, 6, 7);
    g_add(&g, 7, 8);
    g_add(&g, 8, 5);
    g_add(&g, 6, 8);
    cases[nc].name = "K5 with a planar block attached by a bridge";
    cases[nc++].g = g;

    for (size_t i = 0; i < nc; i++) {
        const char *why = check_rejected(&cases[i].g, 0);
        QP_CHECK(why == NULL,
                 "%s rejected; bad_edge ends the shortest non-planar prefix; "
                 "Kuratowski obstruction (%s)",
                 cases[i].name, why ? why : "ok");
    }
    /* bad_edge lies in the non-planar part when the planar part comes first. */
    result r = embed(&cases[9].g, 0);
    QP_CHECK(r.st == QP_ERR_INPUT && r.bad >= 10, "wheel + K3,3: bad_edge %d is a K3,3 edge",
             r.bad);
    res_free(&r);
    r = embed(&cases[0].g, 0);
    QP_CHECK(r.st == QP_ERR_INPUT && r.bad == 9, "K5: bad_edge is the tenth edge (%d)", r.bad);
    res_free(&r);
    for (size_t i = 0; i < nc; i++) {
        g_free(&cases[i].g);
    }
}

static void test_usage(void)
{
    int u[3] = {0, 1, 2}, v[3] = {1, 1, 0}, fl[3], fr[3], outer = 5, bad = 5;
    size_t nf = 9;
    qp_status st = qp_planar_faces(3, 3, u, v, 0, fl, fr, &nf, &outer, &bad);
    QP_CHECK(st == QP_ERR_USAGE && bad == 1 && nf == 9 && outer == 5,
             "self-loop: QP_ERR_USAGE, bad_edge 1, outputs untouched");
    int u2[2] = {0, 2}, v2[2] = {1, 3};
    st = qp_planar_faces(4, 2, u2, v2, 0, fl, fr, &nf, &outer, &bad);
    QP_CHECK(st == QP_ERR_USAGE && bad == -1, "disconnected graph: QP_ERR_USAGE");
    st = qp_planar_faces(3, 1, u2, v2, 0, fl, fr, &nf, &outer, &bad);
    QP_CHECK(st == QP_ERR_USAGE, "isolated vertex: QP_ERR_USAGE");
    int v3[2] = {1, 4};
    st = qp_planar_faces(4, 2, u2, v3, 0, fl, fr, &nf, &outer, &bad);
    QP_CHECK(st == QP_ERR_USAGE && bad == 1, "endpoint out of range: QP_ERR_USAGE, bad_edge 1");
    st = qp_planar_faces(2, 1, u2, v2, 2, fl, fr, &nf, &outer, &bad);
    QP_CHECK(st == QP_ERR_USAGE, "root out of range: QP_ERR_USAGE");
    st = qp_planar_faces(0, 0, NULL, NULL, 0, NULL, NULL, &nf, &outer, &bad);
    QP_CHECK(st == QP_ERR_USAGE, "no vertices: QP_ERR_USAGE");
    st = qp_planar_faces(2, 1, u2, v2, 0, NULL, fr, &nf, &outer, NULL);
    QP_CHECK(st == QP_ERR_USAGE, "NULL face_left: QP_ERR_USAGE");
    size_t n = 9;
    unsigned char mark[3];
    st = qp_planar_obstruction(3, 3, u, v, mark, &n);
    QP_CHECK(st == QP_ERR_USAGE && n == 9, "obstruction of a self-loop: QP_ERR_USAGE");
    st = qp_planar_obstruction(4, 2, u2, v2, mark, &n);
    QP_CHECK(st == QP_OK && n == 0 && !mark[0] && !mark[1],
             "obstruction of a planar disconnected graph: none");
}

static void test_triangulations(void)
{
    unsigned long long s = 77;
    size_t sizes[] = {3, 4, 5, 8, 13, 30, 60, 100, 150, 200};
    int bad = 0, tri_ok = 0, cases = 0;
    const char *why = NULL;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (int rep = 0; rep < 3; rep++) {
            size_t n = sizes[i];
            graph g = triangulation(n, &s);
            const char *w = NULL;
            int root = (int)rng_below(&s, n);
            cases++;
            if (!embed_ok(&g, root, &w)) {
                bad++;
                why = w;
                g_free(&g);
                continue;
            }
            result r = embed(&g, root); /* simple triangulation: every face a triangle */
            int all3 = 1;
            for (size_t f = 0; f < r.nf; f++) {
                all3 &= r.ws[f + 1] - r.ws[f] == 3;
            }
            tri_ok += all3 && r.nf == 2 * n - 4;
            res_free(&r);
            g_free(&g);
        }
    }
    QP_CHECK(bad == 0, "%d random triangulations (3..200 vertices) embedded and checked (%s)",
             cases, why ? why : "ok");
    QP_CHECK(tri_ok == cases, "random triangulations: every face a triangle (%d of %d)", tri_ok,
             cases);

    /* With random parallel edges, and thinned out to sparse graphs with cut vertices/bridges. */
    bad = 0;
    cases = 0;
    int bridges = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (int rep = 0; rep < 3; rep++) {
            size_t n = sizes[i];
            graph g = triangulation(n, &s), h = g_new(n);
            for (size_t e = 0; e < g.ne; e++) { /* drop 2/3 of the edges, keeping connected */
                if (rng_below(&s, 3) == 0 || !connected_without(&g, (int)e)) {
                    g_add(&h, g.u[e], g.v[e]);
                    if (rng_below(&s, 8) == 0) {
                        g_add(&h, g.v[e], g.u[e]);
                    }
                } else {
                    g.v[e] = g.u[e]; /* a self-loop: gone for later connectivity checks */
                }
            }
            const char *w = NULL;
            cases++;
            if (!embed_ok(&h, (int)rng_below(&s, n), &w)) {
                bad++;
                why = w;
            }
            for (size_t e = 0; e < h.ne; e++) {
                bridges += !connected_without(&h, (int)e);
            }
            g_free(&g);
            g_free(&h);
        }
    }
    QP_CHECK(bad == 0 && bridges > 0,
             "%d thinned triangulations with parallel edges (%d bridges) embedded (%s)", cases,
             bridges, why ? why : "ok");

    /* One edge more than 3n - 6: rejected, with a Kuratowski obstruction. */
    bad = 0;
    cases = 0;
    size_t big[] = {5, 6, 9, 20, 40, 80};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        for (int rep = 0; rep < 2; rep++) {
            size_t n = big[i];
            graph g = triangulation(n, &s);
            int a, b, dup;
            do {
                a = (int)rng_below(&s, n);
                b = (int)rng_below(&s, n);
                dup = a == b;
                for (size_t e = 0; e < g.ne; e++) {
                    dup |= (g.u[e] == a && g.v[e] == b) || (g.u[e] == b && g.v[e] == a);
                }
            } while (dup);
            g_add(&g, a, b);
            size_t j = rng_below(&s, g.ne); /* move the extra edge to a random place */
            int tu = g.u[j], tv = g.v[j];
            g.u[j] = a;
            g.v[j] = b;
            g.u[g.ne - 1] = tu;
            g.v[g.ne - 1] = tv;
            const char *w = check_rejected(&g, 0);
            cases++;
            if (w) {
                bad++;
                why = w;
            }
            g_free(&g);
        }
    }
    QP_CHECK(bad == 0,
             "%d triangulations plus one edge (5..80 vertices) rejected with obstructions (%s)",
             cases, why ? why : "ok");
}

static void test_brute_force(void)
{
    unsigned long long s = 4242;
    int agree = 0, disagree = 0, skipped = 0, nonplanar = 0, badobs = 0, bademb = 0, euler = 0;
    const char *why = NULL;
    for (int k = 0; k < NBRUTE; k++) {
        graph g = random_small(&s, k % 2);
        int by_euler = 0, want = brute_planar(&g, &by_euler);
        euler += by_euler;
        if (want < 0) {
            skipped++;
            g_free(&g);
            continue;
        }
        int root = (int)rng_below(&s, g.nv);
        result r = embed(&g, root);
        int got = r.st == QP_OK ? 1 : (r.st == QP_ERR_INPUT ? 0 : -1);
        if (got == want) {
            agree++;
        } else {
            disagree++;
        }
        if (got == 1) {
            const char *w = NULL;
            if (!embed_ok(&g, root, &w)) {
                bademb++;
                why = w;
            }
        } else if (got == 0) {
            nonplanar++;
            const char *w = check_rejected(&g, root);
            if (w) {
                badobs++;
                why = w;
            }
        }
        res_free(&r);
        g_free(&g);
    }
    QP_CHECK(disagree == 0 && nonplanar - euler >= 20,
             "%d random graphs (<= 6 vertices) agree with brute force over rotation systems "
             "(%d non-planar, %d of them by Euler's bound; %d disagree; %d skipped: too many "
             "systems)",
             agree, nonplanar, euler, disagree, skipped);
    QP_CHECK(bademb == 0 && badobs == 0,
             "random tiny graphs: embeddings and obstructions check out (%s)", why ? why : "ok");
}

static void test_determinism(void)
{
    unsigned long long s = 99;
    graph g = triangulation(50, &s);
    g_add(&g, g.u[3], g.v[3]);
    result a = embed(&g, 7);
    graph h = g_copy(&g);
    result b = embed(&h, 7);
    QP_CHECK(a.st == QP_OK && same_result(&a, &b, g.ne),
             "same input, same faces (50-vertex triangulation, two calls, copied input)");
    res_free(&a);
    res_free(&b);
    g_free(&g);
    g_free(&h);
}

int main(void)
{
    test_small();
    test_flux_qubit();
    test_families();
    test_nonplanar();
    test_usage();
    test_triangulations();
    test_brute_force();
    test_determinism();
    return tap_done();
}
