/* Planarity, part two: Demoucron-Malgrange-Pertuiset path addition on each biconnected block,
 * and the blocks' rotations glued at the cut vertices into one planar rotation system. */
#include "circuit/planar_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The dart of edge e that leaves v. */
static int dart_from(const qp_sgraph *g, int e, int v)
{
    return g->ea[e] == v ? 2 * e : 2 * e + 1;
}

static int other_end(const qp_sgraph *g, int e, int v)
{
    return g->ea[e] == v ? g->eb[e] : g->ea[e];
}

/* The edge joining u and v (which must be adjacent). */
static int edge_between(const qp_sgraph *g, int u, int v)
{
    for (size_t p = g->start[u]; p < g->start[u + 1]; p++) {
        if (g->nbr[p] == v) {
            return g->adj_e[p];
        }
    }
    return -1;
}

/* ---- path addition on one biconnected block ---- */

/* Working state of Demoucron-Malgrange-Pertuiset on a biconnected simple graph g with n >= 3.
 * The embedded subgraph H is kept as its faces: each face is a simple cycle of vertices, walked
 * with the face on the left (so every embedded edge is walked once each way over all faces). */
typedef struct {
    const qp_sgraph *g;
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

static int dmp_alloc(dmp *s, const qp_sgraph *g)
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
    const qp_sgraph *g = s->g;
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
    const qp_sgraph *g = s->g;
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
    const qp_sgraph *g = s->g;
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
    const qp_sgraph *g = s->g;
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
static int embed_block(const qp_sgraph *g, int *succ)
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
static int embed_one(const qp_sgraph *g, const int *bedge, size_t cnt, int *loc, int *gv, int *rot,
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
    qp_sgraph lg;
    int *succ = NULL, rc = -1;
    if (qp_planar_sgraph_alloc(&lg, nloc, cnt) != 0) {
        goto out_loc;
    }
    for (size_t i = 0; i < cnt; i++) {
        lg.ea[i] = loc[g->ea[bedge[i]]];
        lg.eb[i] = loc[g->eb[bedge[i]]];
    }
    qp_planar_sgraph_link(&lg);
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
    qp_planar_sgraph_free(&lg);
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
int qp_planar_embed_simple(const qp_sgraph *g, int *rot)
{
    size_t n = g->n, m = g->m, nb = 0;
    int *blk = malloc((m ? m : 1) * sizeof *blk), *bedge = malloc((m ? m : 1) * sizeof *bedge);
    int *loc = malloc((n ? n : 1) * sizeof *loc), *gv = malloc((n ? n : 1) * sizeof *gv);
    size_t *bstart = NULL, *fill = malloc((n ? n : 1) * sizeof *fill);
    int rc = -1;
    if (!blk || !bedge || !loc || !gv || !fill || qp_planar_blocks(g, blk, &nb) != 0) {
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

