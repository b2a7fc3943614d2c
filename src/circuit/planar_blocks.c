/* Planarity, part one: the simple graph under a multigraph (parallel edges merged) and its
 * biconnected blocks, the units that planar_embed.c embeds one at a time. */
#include "circuit/planar_impl.h"

#include <stdlib.h>
#include <string.h>

/* ---- simple graphs ---- */

void qp_planar_sgraph_free(qp_sgraph *g)
{
    free(g->ea);
    free(g->eb);
    free(g->start);
    free(g->nbr);
    free(g->adj_e);
    memset(g, 0, sizeof *g);
}

/* Room for n vertices and m edges; the caller fills ea, eb and calls qp_planar_sgraph_link. */
int qp_planar_sgraph_alloc(qp_sgraph *g, size_t n, size_t m)
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
        qp_planar_sgraph_free(g);
        return -1;
    }
    return 0;
}

/* Builds the adjacency arrays from the edge list (counting sort, so edges stay in id order). */
void qp_planar_sgraph_link(qp_sgraph *g)
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

/* A sort key (the unordered pair of an edge's ends) with the edge it belongs to. */
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
int qp_planar_simplify(size_t nv, size_t ne, const int *eu, const int *ev,
                       const unsigned char *use, qp_sgraph *g, int *cls)
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
    if (qp_planar_sgraph_alloc(g, nv, m) != 0) {
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
    qp_planar_sgraph_link(g);
    rc = 0;
out:
    free(k);
    free(rep);
    return rc;
}

/* ---- biconnected blocks ---- */

/* Hopcroft-Tarjan blocks by an iterative depth-first search: blk[e] is the block of edge e,
 * blocks numbered in order of completion; *nblk their number. 0, or -1 when out of memory. */
int qp_planar_blocks(const qp_sgraph *g, int *blk, size_t *nblk)
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
