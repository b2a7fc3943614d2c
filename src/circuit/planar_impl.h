/* Internal: the simple graphs, biconnected blocks and planar rotation systems shared by the
 * planarity files (planar_blocks.c, planar_embed.c) and the public walks in planar.c. */
#ifndef QPSIM_CIRCUIT_PLANAR_IMPL_H
#define QPSIM_CIRCUIT_PLANAR_IMPL_H

#include <stddef.h>

/* An undirected graph without parallel edges. Edge i joins ea[i] and eb[i]; the neighbours of v
 * are nbr[start[v] .. start[v + 1]) reached through the edges adj_e[...], in order of edge id.
 * Dart 2i walks edge i from ea[i] to eb[i], dart 2i + 1 back. The struct owns its arrays. */
typedef struct {
    size_t n, m;
    int *ea, *eb;
    size_t *start;
    int *nbr, *adj_e;
} qp_sgraph;

/* Frees the arrays of *g and zeroes it (a zeroed graph is fine). */
void qp_planar_sgraph_free(qp_sgraph *g);

/* Room for n vertices and m edges; the caller fills ea, eb and calls qp_planar_sgraph_link.
 * 0, or -1 when out of memory (then *g is zeroed). */
int qp_planar_sgraph_alloc(qp_sgraph *g, size_t n, size_t m);

/* Builds the adjacency arrays from the edge list (counting sort, so edges stay in id order). */
void qp_planar_sgraph_link(qp_sgraph *g);

/* The simple graph underlying the edges e of a multigraph with use[e] set (all when use is NULL):
 * one edge per class of parallel edges, numbered in order of the class's first member and
 * oriented like it. cls[e] (ne entries, caller-owned) is the class of e, -1 when unused. *g is
 * created by the call (free it with qp_planar_sgraph_free). 0, or -1 when out of memory. */
int qp_planar_simplify(size_t nv, size_t ne, const int *eu, const int *ev,
                       const unsigned char *use, qp_sgraph *g, int *cls);

/* Hopcroft-Tarjan blocks by an iterative depth-first search: blk[e] (g->m entries,
 * caller-owned) is the block of edge e, blocks numbered in order of completion; *nblk their
 * number. 0, or -1 when out of memory. */
int qp_planar_blocks(const qp_sgraph *g, int *blk, size_t *nblk);

/* Planarity of a simple graph (any number of components). With rot not NULL (2 g->m entries,
 * caller-owned), also a planar rotation system: rot[g->start[v] .. g->start[v + 1]) lists v's
 * edges in rotation order, each block's edges contiguous (blocks meeting at a cut vertex are
 * spliced one after the other, which keeps the embedding planar). 1 planar, 0 not, -1 when out
 * of memory. */
int qp_planar_embed_simple(const qp_sgraph *g, int *rot);

#endif
