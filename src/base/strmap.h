/* Internal: open-addressing hash map from strings to ints (case-sensitive or not). */
#ifndef QPSIM_STRMAP_H
#define QPSIM_STRMAP_H

#include <stddef.h>

typedef struct {
    const char **keys; /* borrowed: the caller keeps the strings alive */
    int *vals;
    size_t cap, count;
    int nocase;
} qp_strmap;

/* Returns the value stored for key, or -1. */
int qp_strmap_get(const qp_strmap *m, const char *key);
/* Stores key -> val (replacing). Returns 0 when out of memory. */
int qp_strmap_put(qp_strmap *m, const char *key, int val);
void qp_strmap_free(qp_strmap *m);

#endif
