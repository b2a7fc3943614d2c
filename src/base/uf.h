/* Internal: union-find over the integers 0..n-1 (graph connectivity for the checks, the
 * quantizer's spanning tree and the dual's faces). */
#ifndef QPSIM_BASE_UF_H
#define QPSIM_BASE_UF_H

#include <stddef.h>

/* Every element its own set: parent[i] = i for i < n. */
void qp_uf_init(int *parent, size_t n);

/* The root of x's set (path halving). The root of a set is always its smallest element, so
 * ground (node 0) is the root of whatever it is joined to. */
int qp_uf_find(int *parent, int x);

/* Joins the sets of a and b; returns 1 when they were apart, 0 when already one set. */
int qp_uf_join(int *parent, int a, int b);

#endif
