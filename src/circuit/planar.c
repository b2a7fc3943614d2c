/* Planar embeddings of circuit graphs: Demoucron-Malgrange-Pertuiset path addition on each
 * biconnected block, blocks glued at cut vertices, faces traced from the rotation system, and
 * Kuratowski obstructions found by bisection over the edge list. */
#include "circuit/planar.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- simple graphs ---- */

/* An undirected graph without parallel edges. Edge i joins ea[i] and eb[i]; the neighbours of v
 * are nbr[start[v] .. start[v + 1]) reached through the edges adj_e[...], in order of edge id.
 * Dart 2i walks edge i from ea[i] to eb[i], dart 2i + 1 back. */
typedef struct {
    size_t n, m;
    int *ea, *eb;
    size_t *start;
    int *nbr, *adj_e;
} sgraph;

static void sgraph_free(sgraph *g)
{
    free(g->ea);
    free(g->eb);
    free(g->start);
    free(g->nbr);
    free(g->adj_e);
    memset(g, 0, sizeof *g);
}

/* Room for n vertices and m edges; the caller fills ea, eb and calls sgraph_link. */
static int sgraph_alloc(sgraph *g, size_t n, size_t m)
{
    memset(g, 0, sizeof *g);
    g->n = n;
    g->m = m;
    g->ea = malloc((m ? m : 1) * sizeof *g->ea);
    g->eb = malloc((m ? m : 1) * sizeof *g->eb);
    g->start = malloc((n + 1) * sizeof *g->start);
    g->nbr = malloc((m ? 2 * m : 1) * sizeof *g->nbr);
    g->adj_e = malloc((m ? 2 * m : 1) * sizeof *g->adj_e);
    if (!g->ea || !g->eb || !g->start || !g->nbr || !g->adj_e) {
        sgraph_free(g);
        return -1;
    }
    return 0;
}

/* Builds the adjacency arrays from the edge list (counting sort, so edges stay in id order). */
static void sgraph_link(sgraph *g)
{
    memset(g->start, 0, (g->n + 1) * sizeof *g->start);
    for (size_t e = 0; e < g->m; e++) {
        g->start[g->ea[e] + 1]++;
        g->start[g->eb[e] + 1]++;
    }
    for (size_t v = 0; v < g->n; v++) {
        g->start[v + 1] += g->start[v];
    }
    for (size_t e = 0; e < g->m; e++) {
        size_t p = g->start[g->ea[e]]++, q = g->start[g->eb[e]]++;
        g->nbr[p] = g->eb[e];
        g->adj_e[p] = (int)e;
        g->nbr[q] = g->ea[e];
        g->adj_e[q] = (int)e;
    }
    for (size_t v = g->n; v > 0; v--) { /* each start[v] now holds the end of v: shift back */
        g->start[v] = g->start[v - 1];
    }
    g->start[0] = 0;
}

/* The dart of edge e that leaves v. */
static int dart_from(const sgraph *g, int e, int v)
{
    return g->ea[e] == v ? 2 * e : 2 * e + 1;
}

static int other_end(const sgraph *g, int e, int v)
{
    return g->ea[e] == v ? g->eb[e] : g->ea[e];
}

/* The edge joining u and v (which must be adjacent). */
static int edge_between(const sgraph *g, int u, int v)
{
    for (size_t p = g->start[u]; p < g->start[u + 1]; p++) {
        if (g->nbr[p] == v) {
            return g->adj_e[p];
        }
    }
    return -1;
}

typedef struct {
    long long key;
    int idx;
} keyed;

static int cmp_keyed(const void *x, const void *y)
{
    const keyed *a = x, *b = y;
    if (a->key != b->key) {
        return a->key < b->key ? -1 : 1;
    }
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* The simple graph underlying the edges e of a multigraph with use[e] set (all when use is NULL):
 * one edge per class of parallel edges, numbered in order of the class's first member and
 * oriented like it. cls[e] is the class of e, -1 when unused. */
static int simplify(size_t nv, size_t ne, const int *eu, const int *ev, const unsigned char *use,
                    sgraph *g, int *cls)
{
    keyed *k = malloc((ne ? ne : 1) * sizeof *k);
    int *rep = malloc((ne ? ne : 1) * sizeof *rep);
    int rc = -1;
    if (!k || !rep) {
        goto out;
    }
    size_t nk = 0, m = 0;
    for (size_t e = 0; e < ne; e++) {
        if (!use || use[e]) {
            int lo = eu[e] < ev[e] ? eu[e] : ev[e], hi = eu[e] < ev[e] ? ev[e] : eu[e];
            k[nk].key = (long long)lo * (long long)nv + hi;
            k[nk++].idx = (int)e;
        }
    }
    qsort(k, nk, sizeof *k, cmp_keyed);
    for (size_t i = 0; i < nk; i++) {
        int same = i > 0 && k[i].key == k[i - 1].key;
        rep[k[i].idx] = same ? rep[k[i - 1].idx] : k[i].idx;
        m += !same;
    }
    if (sgraph_alloc(g, nv, m) != 0) {
        goto out;
    }
    int id = 0;
    for (size_t e = 0; e < ne; e++) {
        if (use && !use[e]) {
            cls[e] = -1;
        } else if (rep[e] == (int)e) {
            g->ea[id] = eu[e];
            g->eb[id] = ev[e];
            cls[e] = id++;
        } else {
            cls[e] = cls[rep[e]]; /* rep[e] < e: already numbered */
        }
    }
    sgraph_link(g);
    rc = 0;
out:
    free(k);
    free(rep);
    return rc;
}

/* ---- biconnected blocks ---- */

/* Hopcroft-Tarjan blocks by an iterative depth-first search: blk[e] is the block of edge e,
 * blocks numbered in order of completion; *nblk their number. 0, or -1 when out of memory. */
static int find_blocks(const sgraph *g, int *blk, size_t *nblk)
{
    size_t n = g->n, m = g->m, nb = 0, esp = 0;
    int *disc = malloc((n ? n : 1) * sizeof *disc), *low = malloc((n ? n : 1) * sizeof *low);
    int *pe = malloc((n ? n : 1) * sizeof *pe), *vs = malloc((n ? n : 1) * sizeof *vs);
    int *es = malloc((m ? m : 1) * sizeof *es);
    size_t *it = malloc((n ? n : 1) * sizeof *it);
    int rc = -1, t = 0;
    if (!disc || !low || !pe || !vs || !es || !it) {
        goto out;
    }
    for (size_t v = 0; v < n; v++) {
        disc[v] = -1;
    }
    for (size_t r = 0; r < n; r++) {
        if (disc[r] >= 0) {
            continue;
        }
        size_t sp = 0;
        vs[sp++] = (int)r;
        disc[r] = low[r] = t++;
        pe[r] = -1;
        it[r] = g->start[r];
        while (sp > 0) {
            int v = vs[sp - 1];
            if (it[v] < g->start[v + 1]) {
                size_t p = it[v]++;
                int w = g->nbr[p], e = g->adj_e[p];
                if (e == pe[v]) {
                    continue;
                }
                if (disc[w] < 0) { /* tree edge */
                    es[esp++] = e;
                    pe[w] = e;
                    disc[w] = low[w] = t++;
                    it[w] = g->start[w];
                    vs[sp++] = w;
                } else if (disc[w] < disc[v]) { /* back edge, seen from its lower end */
                    es[esp++] = e;
                    low[v] = disc[w] < low[v] ? disc[w] : low[v];
                }
                continue;
            }
            sp--;
            if (sp == 0) {
                continue;
            }
            int u = vs[sp - 1];
            low[u] = low[v] < low[u] ? low[v] : low[u];
            if (low[v] >= disc[u]) { /* u separates v's subtree: its edges form a block */
                int e;
                do {
                    e = es[--esp];
                    blk[e] = (int)nb;
                } while (e != pe[v]);
                nb++;
            }
        }
    }
    *nblk = nb;
    rc = 0;
out:
    free(disc);
    free(low);
    free(pe);
    free(vs);
    free(es);
    free(it);
    return rc;
}

/* ---- path addition on one biconnected block ---- */

/* Working state of Demoucron-Malgrange-Pertuiset on a biconnected simple graph g with n >= 3.
 * The embedded subgraph H is kept as its faces: each face is a simple cycle of vertices, walked
 * with the face on the left (so every embedded edge is walked once each way over all faces). */
typedef struct {
    const sgraph *g;
    size_t n, m;
    unsigned char *in_h, *emb; /* vertex / edge already embedded */
    int **fv;                  /* fv[f][0 .. flen[f]): the walk of face f */
    size_t *flen, nf, fmax;
    unsigned char *has; /* has[f * n + v]: v lies on face f */
    size_t *vf_start;   /* faces through v: vf[vf_start[v] .. vf_start[v + 1]) */
    int *vf;
    int *comp;      /* component of G - H holding a vertex not in H */
    int *frag_edge; /* fragment i: the chord frag_edge[i] >= 0, or component -1 - frag_edge[i] */
    size_t *att_start, nfrag; /* attachments of fragment i: att[att_start[i] .. att_start[i+1]) */
    int *att;
    int *queue, *pedge; /* breadth-first search queue and parent edges */
    size_t *seen, stamp;
    int *path, *pathe; /* vertices path[0 .. k] joined by the edges pathe[0 .. k) */
} dmp;

static void dmp_free(dmp *s)
{
    for (size_t f = 0; s->fv && f < s->nf; f++) {
        free(s->fv[f]);
    }
    free(s->in_h);
    free(s->emb);
    free(s->fv);
    free(s->flen);
    free(s->has);
    free(s->vf_start);
    free(s->vf);
    free(s->comp);
    free(s->frag_edge);
    free(s->att_start);
    free(s->att);
    free(s->queue);
    free(s->pedge);
    free(s->seen);
    free(s->path);
    free(s->pathe);
}

static int dmp_alloc(dmp *s, const sgraph *g)
{
    size_t n = g->n, m = g->m;
    memset(s, 0, sizeof *s);
    s->g = g;
    s->n = n;
    s->m = m;
    s->fmax = m - n + 2; /* faces of the finished embedding (Euler) */
    if (n > SIZE_MAX / s->fmax) {
        return -1;
    }
    s->in_h = calloc(n, 1);
    s->emb = calloc(m, 1);
    s->fv = calloc(s->fmax, sizeof *s->fv);
    s->flen = calloc(s->fmax, sizeof *s->flen);
    s->has = calloc(s->fmax * n, 1);
    s->vf_start = malloc((n + 1) * sizeof *s->vf_start);
    s->vf = malloc(2 * m * sizeof *s->vf);
    s->comp = malloc(n * sizeof *s->comp);
    s->frag_edge = malloc(m * sizeof *s->frag_edge);
    s->att_start = malloc((m + 1) * sizeof *s->att_start);
    s->att = malloc(2 * m * sizeof *s->att);
    s->queue = malloc(n * sizeof *s->queue);
    s->pedge = malloc(n * sizeof *s->pedge);
    s->seen = calloc(n, sizeof *s->seen);
    s->path = malloc((n + 1) * sizeof *s->path);
    s->pathe = malloc(n * sizeof *s->pathe);
    if (!s->in_h || !s->emb || !s->fv || !s->flen || !s->has || !s->vf_start || !s->vf ||
        !s->comp || !s->frag_edge || !s->att_start || !s->att || !s->queue || !s->pedge ||
        !s->seen || !s->path || !s->pathe) {
        return -1;
    }
    return 0;
}

/* Stores the walk w[0 .. len) as face f (taking ownership of w) and records its vertices. */
static void set_face(dmp *s, size_t f, int *w, size_t len)
{
    unsigned char *row = s->has + f * s->n;
    if (s->fv[f]) {
        for (size_t t = 0; t < s->flen[f]; t++) {
            row[s->fv[f][t]] = 0;
        }
        free(s->fv[f]);
    }
    s->fv[f] = w;
    s->flen[f] = len;
    for (size_t t = 0; t < len; t++) {
        row[w[t]] = 1;
    }
}

/* Embeds the path s->path[0 .. k] (ends on H, interior new) into face f, splitting it in two: the
 * old face keeps the part of its walk from path[0] to path[k] and returns along the path; the new
 * face walks on from path[k] to path[0] and then along the path. 0, or -1 when out of memory. */
static int split_face(dmp *s, size_t f, size_t k)
{
    const int *old = s->fv[f];
    size_t len = s->flen[f], i = 0, j = 0;
    for (size_t t = 0; t < len; t++) {
        i = old[t] == s->path[0] ? t : i;
        j = old[t] == s->path[k] ? t : j;
    }
    size_t arc1 = (j + len - i) % len + 1, arc2 = (i + len - j) % len + 1;
    int *w1 = malloc((arc1 + k - 1) * sizeof *w1), *w2 = malloc((arc2 + k - 1) * sizeof *w2);
    if (!w1 || !w2) {
        free(w1);
        free(w2);
        return -1;
    }
    for (size_t t = 0; t < arc1; t++) {
        w1[t] = old[(i + t) % len];
    }
    for (size_t t = 0; t < arc2; t++) {
        w2[t] = old[(j + t) % len];
    }
    for (size_t q = 1; q < k; q++) {
        w1[arc1 + q - 1] = s->path[k - q];
        w2[arc2 + q - 1] = s->path[q];
        s->in_h[s->path[q]] = 1;
    }
    for (size_t q = 0; q < k; q++) {
        s->emb[s->pathe[q]] = 1;
    }
    set_face(s, f, w1, arc1 + k - 1);
    set_face(s, s->nf++, w2, arc2 + k - 1);
    return 0;
}

/* The first face: a cycle through edge 0, closed by a shortest path that avoids it. */
static int first_cycle(dmp *s)
{
    const sgraph *g = s->g;
    int a = g->ea[0], b = g->eb[0];
    size_t qh = 0, qt = 0;
    s->stamp++;
    s->seen[a] = s->stamp;
    s->queue[qt++] = a;
    while (qh < qt && s->seen[b] != s->stamp) {
        int x = s->queue[qh++];
        for (size_t p = g->start[x]; p < g->start[x + 1]; p++) {
            int w = g->nbr[p];
            if (g->adj_e[p] != 0 && s->seen[w] != s->stamp) {
                s->seen[w] = s->stamp;
                s->pedge[w] = g->adj_e[p];
                s->queue[qt++] = w;
            }
        }
    }
    if (s->seen[b] != s->stamp) {
        return -1; /* not biconnected: cannot happen for a block */
    }
    size_t len = 1;
    for (int x = b; x != a; x = other_end(g, s->pedge[x], x)) {
        len++;
    }
    int *w1 = malloc(len * sizeof *w1), *w2 = malloc(len * sizeof *w2);
    if (!w1 || !w2) {
        free(w1);
        free(w2);
        return -1;
    }
    size_t t = len;
    for (int x = b;; x = other_end(g, s->pedge[x], x)) {
        w1[--t] = x; /* w1 runs a .. b, closed by edge 0 */
        w2[len - 1 - t] = x;
        s->in_h[x] = 1;
        if (x == a) {
            break;
        }
        s->emb[s->pedge[x]] = 1;
    }
    s->emb[0] = 1;
    set_face(s, 0, w1, len);
    set_face(s, 1, w2, len);
    s->nf = 2;
    return (int)len; /* edges embedded */
}

/* The fragments of G relative to H: the components of G - V(H) with their attaching edges, then
 * the chords (edges not in H between vertices of H). */
static void find_fragments(dmp *s)
{
    const sgraph *g = s->g;
    size_t natt = 0, ncomp = 0;
    s->nfrag = 0;
    s->att_start[0] = 0;
    for (size_t v = 0; v < s->n; v++) {
        s->comp[v] = -1;
    }
    for (size_t v = 0; v < s->n; v++) {
        if (s->in_h[v] || s->comp[v] >= 0) {
            continue;
        }
        size_t qh = 0, qt = 0;
        int c = (int)ncomp++;
        s->stamp++;
        s->comp[v] = c;
        s->queue[qt++] = (int)v;
        while (qh < qt) {
            int x = s->queue[qh++];
            for (size_t p = g->start[x]; p < g->start[x + 1]; p++) {
                int w = g->nbr[p];
                if (s->in_h[w] && s->seen[w] != s->stamp) {
                    s->seen[w] = s->stamp;
                    s->att[natt++] = w;
                } else if (!s->in_h[w] && s->comp[w] < 0) {
                    s->comp[w] = c;
                    s->queue[qt++] = w;
                }
            }
        }
        s->frag_edge[s->nfrag] = -1 - c;
        s->att_start[++s->nfrag] = natt;
    }
    for (size_t e = 0; e < s->m; e++) {
        if (!s->emb[e] && s->in_h[g->ea[e]] && s->in_h[g->eb[e]]) {
            s->frag_edge[s->nfrag] = (int)e;
            s->att[natt++] = g->ea[e];
            s->att[natt++] = g->eb[e];
            s->att_start[++s->nfrag] = natt;
        }
    }
}

/* Lists the faces through each vertex. */
static void index_faces(dmp *s)
{
    memset(s->vf_start, 0, (s->n + 1) * sizeof *s->vf_start);
    for (size_t f = 0; f < s->nf; f++) {
        for (size_t t = 0; t < s->flen[f]; t++) {
            s->vf_start[s->fv[f][t] + 1]++;
        }
    }
    for (size_t v = 0; v < s->n; v++) {
        s->vf_start[v + 1] += s->vf_start[v];
    }
    for (size_t f = 0; f < s->nf; f++) {
        for (size_t t = 0; t < s->flen[f]; t++) {
            s->vf[s->vf_start[s->fv[f][t]]++] = (int)f;
        }
    }
    for (size_t v = s->n; v > 0; v--) {
        s->vf_start[v] = s->vf_start[v - 1];
    }
    s->vf_start[0] = 0;
}

/* Counts (up to 2) the faces of H holding every attachment of fragment i; *first is the first. */
static int admissible(const dmp *s, size_t i, size_t *first)
{
    const int *a = s->att + s->att_start[i];
    size_t na = s->att_start[i + 1] - s->att_start[i], best = 0;
    for (size_t q = 1; q < na; q++) { /* scan the faces of the attachment with fewest faces */
        size_t dq = s->vf_start[a[q] + 1] - s->vf_start[a[q]];
        best = dq < s->vf_start[a[best] + 1] - s->vf_start[a[best]] ? q : best;
    }
    int count = 0;
    for (size_t p = s->vf_start[a[best]]; p < s->vf_start[a[best] + 1] && count < 2; p++) {
        size_t f = (size_t)s->vf[p], q = 0;
        while (q < na && s->has[f * s->n + a[q]]) {
            q++;
        }
        if (q == na) {
            *first = count++ ? *first : f;
        }
    }
    return count;
}

/* The fragment to embed next and its face: the first fragment that fits a single face, else the
 * first fragment and its first admissible face. 0 when some fragment fits no face (then the
 * block is not planar), 1 otherwise. */
static int choose(const dmp *s, size_t *frag, size_t *face)
{
    for (size_t i = 0; i < s->nfrag; i++) {
        size_t f = 0;
        int c = admissible(s, i, &f);
        if (c == 0) {
            return 0;
        }
        if (c == 1 || i == 0) {
            *frag = i;
            *face = f;
        }
        if (c == 1) {
            break;
        }
    }
    return 1;
}

/* A path of fragment i between two different attachments, into s->path; returns its length k. */
static size_t fragment_path(dmp *s, size_t i)
{
    const sgraph *g = s->g;
    int fe = s->frag_edge[i];
    if (fe >= 0) {
        s->path[0] = g->ea[fe];
        s->path[1] = g->eb[fe];
        s->pathe[0] = fe;
        return 1;
    }
    int c = -1 - fe, a = s->att[s->att_start[i]], x = -1, eax = -1, y = -1, b = -1, eyb = -1;
    for (size_t p = g->start[a]; p < g->start[a + 1] && x < 0; p++) {
        if (!s->in_h[g->nbr[p]] && s->comp[g->nbr[p]] == c) {
            x = g->nbr[p];
            eax = g->adj_e[p];
        }
    }
    size_t qh = 0, qt = 0;
    s->stamp++;
    s->seen[x] = s->stamp;
    s->queue[qt++] = x;
    while (qh < qt && b < 0) { /* breadth-first from x to a vertex next to another attachment */
        int z = s->queue[qh++];
        for (size_t p = g->start[z]; p < g->start[z + 1] && b < 0; p++) {
            int w = g->nbr[p];
            if (s->in_h[w] && w != a) {
                y = z;
                b = w;
                eyb = g->adj_e[p];
            } else if (!s->in_h[w] && s->seen[w] != s->stamp) {
                s->seen[w] = s->stamp;
                s->pedge[w] = g->adj_e[p];
                s->queue[qt++] = w;
            }
        }
    }
    size_t cnt = 1;
    for (int z = y; z != x; z = other_end(g, s->pedge[z], z)) {
        cnt++;
    }
    s->path[0] = a;
    s->pathe[0] = eax;
    int z = y;
    for (size_t j = cnt; j >= 1; j--) {
        s->path[j] = z;
        if (j > 1) {
            s->pathe[j - 1] = s->pedge[z];
            z = other_end(g, s->pedge[z], z);
        }
    }
    s->path[cnt + 1] = b;
    s->pathe[cnt] = eyb;
    return cnt + 1;
}

/* The rotation read off the faces: succ[d] is the dart after d (both leaving the same vertex v)
 * when the walk of a face arrives at v along d's edge and leaves along succ[d]. */
static void rotation_from_faces(const dmp *s, int *succ)
{
    const sgraph *g = s->g;
    for (size_t f = 0; f < s->nf; f++) {
        size_t len = s->flen[f];
        const int *w = s->fv[f];
        for (size_t t = 0; t < len; t++) {
            int u = w[(t + len - 1) % len], v = w[t], x = w[(t + 1) % len];
            succ[dart_from(g, edge_between(g, v, u), v)] = dart_from(g, edge_between(g, v, x), v);
        }
    }
}

/* Planarity of a biconnected simple graph with n >= 3; when planar and succ is not NULL, the
 * rotation of a planar embedding (see rotation_from_faces, 2m darts). 1 planar, 0 not, -1 when
 * out of memory. */
static int embed_block(const sgraph *g, int *succ)
{
    if (g->m > 3 * g->n - 6) {
        return 0; /* more edges than a simple planar graph can have */
    }
    dmp s;
    int rc = -1;
    if (dmp_alloc(&s, g) != 0) {
        goto out;
    }
    int first = first_cycle(&s);
    if (first < 0) {
        goto out;
    }
    size_t done = (size_t)first;
    while (done < g->m) {
        size_t frag = 0, face = 0;
        find_fragments(&s);
        index_faces(&s);
        if (!choose(&s, &frag, &face)) {
            rc = 0;
            goto out;
        }
        size_t k = fragment_path(&s, frag);
        if (split_face(&s, face, k) != 0) {
            goto out;
        }
        done += k;
    }
    if (succ) {
        rotation_from_faces(&s, succ);
    }
    rc = 1;
out:
    dmp_free(&s);
    return rc;
}

/* ---- whole graphs ---- */

/* Rotation of block b's edges at every vertex of the block, appended to rot at fill[v]. */
static int embed_one(const sgraph *g, const int *bedge, size_t cnt, int *loc, int *gv, int *rot,
                     size_t *fill)
{
    if (cnt == 1) { /* a bridge */
        if (rot) {
            rot[fill[g->ea[bedge[0]]]++] = bedge[0];
            rot[fill[g->eb[bedge[0]]]++] = bedge[0];
        }
        return 1;
    }
    size_t nloc = 0;
    for (size_t i = 0; i < cnt; i++) {
        int ends[2] = {g->ea[bedge[i]], g->eb[bedge[i]]};
        for (int q = 0; q < 2; q++) {
            if (loc[ends[q]] < 0) {
                loc[ends[q]] = (int)nloc;
                gv[nloc++] = ends[q];
            }
        }
    }
    sgraph lg;
    int *succ = NULL, rc = -1;
    if (sgraph_alloc(&lg, nloc, cnt) != 0) {
        goto out_loc;
    }
    for (size_t i = 0; i < cnt; i++) {
        lg.ea[i] = loc[g->ea[bedge[i]]];
        lg.eb[i] = loc[g->eb[bedge[i]]];
    }
    sgraph_link(&lg);
    if (rot && !(succ = malloc(2 * cnt * sizeof *succ))) {
        goto out;
    }
    rc = embed_block(&lg, succ);
    for (size_t x = 0; rc == 1 && rot && x < nloc; x++) {
        int d0 = dart_from(&lg, lg.adj_e[lg.start[x]], (int)x), d = d0;
        size_t deg = lg.start[x + 1] - lg.start[x];
        for (size_t t = 0; t < deg; t++) { /* the rotation at x is one cycle of its darts */
            rot[fill[gv[x]]++] = bedge[d >> 1];
            d = succ[d];
        }
    }
out:
    free(succ);
    sgraph_free(&lg);
out_loc:
    for (size_t x = 0; x < nloc; x++) {
        loc[gv[x]] = -1;
    }
    return rc;
}

/* Planarity of a simple graph (any number of components). With rot not NULL, also a planar
 * rotation system: rot[g->start[v] .. g->start[v + 1]) lists v's edges in rotation order, each
 * block's edges contiguous (blocks meeting at a cut vertex are spliced one after the other, which
 * keeps the embedding planar). 1 planar, 0 not, -1 when out of memory. */
static int embed_simple(const sgraph *g, int *rot)
{
    size_t n = g->n, m = g->m, nb = 0;
    int *blk = malloc((m ? m : 1) * sizeof *blk), *bedge = malloc((m ? m : 1) * sizeof *bedge);
    int *loc = malloc((n ? n : 1) * sizeof *loc), *gv = malloc((n ? n : 1) * sizeof *gv);
    size_t *bstart = NULL, *fill = malloc((n ? n : 1) * sizeof *fill);
    int rc = -1;
    if (!blk || !bedge || !loc || !gv || !fill || find_blocks(g, blk, &nb) != 0) {
        goto out;
    }
    if (!(bstart = calloc(nb + 2, sizeof *bstart))) {
        goto out;
    }
    for (size_t e = 0; e < m; e++) { /* edges grouped by block, in id order */
        bstart[blk[e] + 2]++;
    }
    for (size_t b = 0; b < nb; b++) {
        bstart[b + 2] += bstart[b + 1];
    }
    for (size_t e = 0; e < m; e++) {
        bedge[bstart[blk[e] + 1]++] = (int)e;
    }
    for (size_t v = 0; v < n; v++) {
        loc[v] = -1;
        fill[v] = g->start[v];
    }
    rc = 1;
    for (size_t b = 0; b < nb && rc == 1; b++) {
        rc = embed_one(g, bedge + bstart[b], bstart[b + 1] - bstart[b], loc, gv, rot, fill);
    }
out:
    free(blk);
    free(bedge);
    free(loc);
    free(gv);
    free(bstart);
    free(fill);
    return rc;
}

/* Planarity of the sub-multigraph of the edges with use[e] set. 1, 0, or -1 (out of memory). */
static int planar_subset(size_t nv, size_t ne, const int *eu, const int *ev,
                         const unsigned char *use)
{
    sgraph g;
    int *cls = malloc((ne ? ne : 1) * sizeof *cls), rc = -1;
    if (cls && simplify(nv, ne, eu, ev, use, &g, cls) == 0) {
        rc = embed_simple(&g, NULL);
        sgraph_free(&g);
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

static int connected(const sgraph *g)
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
static int expand_rotation(const sgraph *g, const int *rot, size_t ne, const int *eu,
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
    sgraph g = {0};
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
    if (!cls || simplify(nv, ne, eu, ev, NULL, &g, cls) != 0) {
        goto out;
    }
    int r = connected(&g);
    if (r <= 0) {
        st = r < 0 ? QP_ERR_NOMEM : QP_ERR_USAGE;
        goto out;
    }
    rot = malloc((g.m ? 2 * g.m : 1) * sizeof *rot);
    if (!rot || (r = embed_simple(&g, rot)) < 0) {
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
    sgraph_free(&g);
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
