/* "Did you mean": the nearest known name to a misspelt one, by edit distance. */
#include "base/suggest.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define WORD_MAX 64 /* longer words get no suggestion (and no quadratic table) */

/* Optimal-string-alignment distance without case, or WORD_MAX when over limit. */
static int distance(const char *a, const char *b, int limit)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la >= WORD_MAX || lb >= WORD_MAX || (la > lb ? la - lb : lb - la) > (size_t)limit) {
        return WORD_MAX;
    }
    int d[WORD_MAX + 1][WORD_MAX + 1];
    for (size_t i = 0; i <= la; i++) {
        d[i][0] = (int)i;
    }
    for (size_t j = 0; j <= lb; j++) {
        d[0][j] = (int)j;
    }
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            int v = d[i - 1][j - 1] + (ca != cb);
            v = d[i - 1][j] + 1 < v ? d[i - 1][j] + 1 : v;
            v = d[i][j - 1] + 1 < v ? d[i][j - 1] + 1 : v;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < v) {
                v = d[i - 2][j - 2] + 1;
            }
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

/* The largest distance still taken for a typo of a word of n characters. */
static int limit_for(size_t n)
{
    return n == 0 ? -1 : n <= 2 ? 0 : n <= 4 ? 1 : n <= 8 ? 2 : 3;
}

void qp_suggest_init(qp_suggest *s, const char *word)
{
    s->word = word;
    s->best = NULL;
    s->dist = WORD_MAX;
    s->ties = 0;
}

void qp_suggest_offer(qp_suggest *s, const char *name)
{
    if (!name || !s->word || strcmp(name, s->word) == 0) {
        return;
    }
    int lim = limit_for(strlen(s->word));
    if (lim < 0) {
        return;
    }
    int dd = distance(s->word, name, lim);
    if (dd > lim || dd > s->dist) {
        return;
    }
    if (dd == s->dist) {
        s->ties += strcasecmp(s->best, name) != 0; /* the same name offered twice is no tie */
        return;
    }
    s->best = name;
    s->dist = dd;
    s->ties = 0;
}

void qp_suggest_offer_map(qp_suggest *s, const qp_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        qp_suggest_offer(s, m->keys[i]);
    }
}

const char *qp_suggest_best(const qp_suggest *s)
{
    return s->ties == 0 ? s->best : NULL;
}

const char *qp_suggest_hint(const qp_suggest *s, char *buf, size_t len)
{
    const char *b = qp_suggest_best(s);
    if (len > 0) {
        buf[0] = '\0';
    }
    if (b) {
        snprintf(buf, len, " (did you mean '%s'?)", b);
    }
    return buf;
}

const char *qp_suggest_map_hint(const qp_strmap *m, const char *word, char *buf, size_t len)
{
    qp_suggest s;
    qp_suggest_init(&s, word);
    qp_suggest_offer_map(&s, m);
    return qp_suggest_hint(&s, buf, len);
}
