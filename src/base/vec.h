/* Internal: growth of plain arrays kept as (pointer, count) pairs; capacity is implied. */
#ifndef QPSIM_VEC_H
#define QPSIM_VEC_H

#include <stdlib.h>

/* Makes room for element n of an array holding n elements; capacity doubles at powers of two. */
static inline int qp_vec_grow(void **arr, size_t n, size_t elsize)
{
    if (n != 0 && (n < 4 || (n & (n - 1)) != 0)) {
        return 1;
    }
    size_t cap = n == 0 ? 4 : 2 * n;
    void *p = realloc(*arr, cap * elsize);
    if (!p) {
        return 0;
    }
    *arr = p;
    return 1;
}

/* Appends `item` to (arr, n); evaluates to 1 on success, 0 when out of memory. */
#define QP_PUSH(arr, n, item)                                                                      \
    (qp_vec_grow((void **)&(arr), (n), sizeof *(arr)) ? ((arr)[(n)++] = (item), 1) : 0)

#endif
