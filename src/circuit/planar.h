/* Planar embeddings of circuit graphs: the faces (meshes) that `qpsim dual` turns into nodes. */
#ifndef QPSIM_PLANAR_H
#define QPSIM_PLANAR_H

#include "qpsim/diag.h"

#include <stddef.h>

/* Conventions shared by the functions below.
 *
 * The graph is a multigraph with vertices 0 .. nv-1 (nv >= 1) and edges 0 .. ne-1; edge e joins
 * eu[e] and ev[e] (0 <= eu[e], ev[e] < nv, eu[e] != ev[e]: parallel edges are fine, self-loops
 * are not). A dart is an edge with a direction: dart 2e walks edge e from eu[e] to ev[e], dart
 * 2e + 1 from ev[e] to eu[e].
 *
 * Faces are oriented: the boundary walk of a face keeps the face on its left. face_left[e] is the
 * face whose walk contains dart 2e and face_right[e] the face whose walk contains dart 2e + 1, so
 * in a drawing where every bounded face is walked counterclockwise (and `outer`, the unbounded
 * face, clockwise), face_left[e] lies to the left of e walked from eu[e] to ev[e]. The mirror
 * drawing would swap the two; the convention is one orientation for the whole graph. Hence the
 * signed boundary of face f (+1 on edges with face_left == f, -1 on edges with face_right == f,
 * 0 on bridges, which have face_left == face_right) is a cycle, the signed boundaries of all faces
 * sum to zero and any nfaces - 1 of them form a basis of the cycle space.
 *
 * Faces are numbered in order of their smallest dart: face 0 is face_left[0], and so on. The
 * parallel edges joining x < y follow each other around x and y in increasing order, so two
 * consecutive ones e < e' bound a digon that lies to the right of e and to the left of e' walked
 * from x to y. The result depends only on the input (no addresses, no global state); nothing
 * prints. */

/* Faces of a planar embedding of a connected multigraph (conventions above; `root` is a vertex).
 * On QP_OK: face_left[e], face_right[e] (arrays of ne, may be NULL when ne == 0) hold the faces on
 * either side of edge e (equal exactly for a bridge), *nfaces = ne - nv + 2 (Euler's formula) and
 * *outer is a face touching `root`: the one with the longest boundary walk among them (ties:
 * smallest number). A single vertex without edges has one face, numbered 0. Outputs other than
 * bad_edge are written only on success.
 * Returns QP_ERR_INPUT when the graph is not planar; then *bad_edge (if bad_edge is not NULL) is
 * the edge whose addition makes edges 0 .. *bad_edge the shortest non-planar prefix of the edge
 * list, an edge of every Kuratowski subgraph of that prefix. QP_ERR_USAGE for a self-loop or an
 * endpoint out of range (*bad_edge = that edge), a disconnected graph, nv == 0, a root out of
 * range or NULL outputs (*bad_edge = -1). QP_ERR_NOMEM when out of memory. *bad_edge is -1 on
 * QP_OK. QP_ERR_NUMERIC would mean an internal inconsistency (traced faces failing Euler's
 * count), a bug that the tests never hit. */
qp_status qp_planar_faces(size_t nv, size_t ne, const int *eu, const int *ev, int root,
                          int *face_left, int *face_right, size_t *nfaces, int *outer,
                          int *bad_edge);

/* qp_planar_faces that also returns every face's boundary walk: the darts of face f, in walking
 * order starting with its smallest dart, are walk[walk_start[f]] .. walk[walk_start[f + 1] - 1].
 * walk_start has room for ne - nv + 3 entries and walk for 2 ne (caller-owned; written only on
 * success, and only when both are not NULL). Each dart appears exactly once; the walk of a bridge's face contains both its darts.
 * The walk of the face of a single vertex without edges is empty. */
qp_status qp_planar_walks(size_t nv, size_t ne, const int *eu, const int *ev, int root,
                          int *face_left, int *face_right, size_t *nfaces, int *outer,
                          int *bad_edge, size_t *walk_start, int *walk);

/* A Kuratowski obstruction: on QP_OK, *count is 0 when the graph is planar (in_obstruction all 0);
 * otherwise in_obstruction[e] (array of ne) is 1 exactly on the *count edges of a subdivision of
 * K5 or K3,3 (a minimal non-planar subgraph, with no parallel edges), and 0 elsewhere. The graph
 * need not be connected. QP_ERR_USAGE for a self-loop, an endpoint out of range, nv == 0 or NULL
 * outputs; QP_ERR_NOMEM when out of memory. Costs O(count log ne) planarity tests. */
qp_status qp_planar_obstruction(size_t nv, size_t ne, const int *eu, const int *ev,
                                unsigned char *in_obstruction, size_t *count);

#endif
