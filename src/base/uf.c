/* Union-find over small integer sets: one implementation for every graph stage. */
#include "base/uf.h"

void qp_uf_init(int *parent, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        parent[i] = (int)i;
    }
}

int qp_uf_find(int *parent, int x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

int qp_uf_join(int *parent, int a, int b)
{
    a = qp_uf_find(parent, a);
    b = qp_uf_find(parent, b);
    if (a == b) {
        return 0;
    }
    parent[a < b ? b : a] = a < b ? a : b;
    return 1;
}
