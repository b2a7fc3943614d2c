/* Hash map for node, element, model and parameter names. */
#include "base/strmap.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static uint64_t hash(const char *s, int nocase)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        h ^= nocase ? (unsigned char)tolower(c) : c;
        h *= 1099511628211ULL;
    }
    return h;
}

static int same(const char *a, const char *b, int nocase)
{
    return nocase ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

int qp_strmap_get(const qp_strmap *m, const char *key)
{
    if (m->cap == 0) {
        return -1;
    }
    size_t i = (size_t)hash(key, m->nocase) & (m->cap - 1);
    while (m->keys[i]) {
        if (same(m->keys[i], key, m->nocase)) {
            return m->vals[i];
        }
        i = (i + 1) & (m->cap - 1);
    }
    return -1;
}

static int rehash(qp_strmap *m, size_t cap)
{
    const char **keys = calloc(cap, sizeof *keys);
    int *vals = calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return 0;
    }
    for (size_t k = 0; k < m->cap; k++) {
        if (m->keys[k]) {
            size_t i = (size_t)hash(m->keys[k], m->nocase) & (cap - 1);
            while (keys[i]) {
                i = (i + 1) & (cap - 1);
            }
            keys[i] = m->keys[k];
            vals[i] = m->vals[k];
        }
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return 1;
}

int qp_strmap_put(qp_strmap *m, const char *key, int val)
{
    if (2 * (m->count + 1) > m->cap && !rehash(m, m->cap ? 2 * m->cap : 16)) {
        return 0;
    }
    size_t i = (size_t)hash(key, m->nocase) & (m->cap - 1);
    while (m->keys[i]) {
        if (same(m->keys[i], key, m->nocase)) {
            m->vals[i] = val;
            return 1;
        }
        i = (i + 1) & (m->cap - 1);
    }
    m->keys[i] = key;
    m->vals[i] = val;
    m->count++;
    return 1;
}

void qp_strmap_free(qp_strmap *m)
{
    free(m->keys);
    free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
    m->cap = m->count = 0;
}
