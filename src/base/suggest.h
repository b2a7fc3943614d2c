/* Internal: "did you mean" — the known name nearest to a misspelt one. */
#ifndef QPSIM_SUGGEST_H
#define QPSIM_SUGGEST_H

#include "base/strmap.h"

#include <stddef.h>

/* Collects candidates for one misspelt word; start with qp_suggest_init, offer names, then read
 * qp_suggest_best. Nothing is allocated: names are borrowed and must outlive the search. */
typedef struct {
    const char *word;
    const char *best;
    int dist, ties;
} qp_suggest;

void qp_suggest_init(qp_suggest *s, const char *word);

/* Offers one known name (NULL and word itself are ignored). Letters compare without case: a name
 * that differs only in case is the nearest of all (node names are case-sensitive). */
void qp_suggest_offer(qp_suggest *s, const char *name);

/* Offers every key of m. */
void qp_suggest_offer_map(qp_suggest *s, const qp_strmap *m);

/* The nearest name when it is near enough to be a typo and no other is as near: an edit
 * distance (insertions, deletions, substitutions, swaps of neighbours) of 0 (case only) for
 * words of 1 or 2 characters, at most 1 up to 4 characters, 2 up to 8, 3 beyond; else NULL. */
const char *qp_suggest_best(const qp_suggest *s);

/* " (did you mean 'NAME'?)" for qp_suggest_best into buf, or "" without a suggestion; buf. */
const char *qp_suggest_hint(const qp_suggest *s, char *buf, size_t len);

/* The same hint for word among the keys of m. */
const char *qp_suggest_map_hint(const qp_strmap *m, const char *word, char *buf, size_t len);

#endif
