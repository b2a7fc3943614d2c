/* Unit tests: "did you mean" (base/suggest.c) picks the unique nearest known name within the
 * distance allowed for the word's length, and nothing when none or several are as near. */
#include "base/suggest.h"

#include "tap.h"

#include <string.h>

/* The suggestion for word among the NULL-terminated names, or "" for none. */
static const char *best(const char *word, const char *const *names)
{
    qp_suggest s;
    qp_suggest_init(&s, word);
    for (size_t i = 0; names[i]; i++) {
        qp_suggest_offer(&s, names[i]);
    }
    const char *b = qp_suggest_best(&s);
    return b ? b : "";
}

int main(void)
{
    const char *const keys[] = {"levels", "tol", "ncut", "mcut", "nho", "basis", NULL};
    QP_CHECK_STR(best("levls", keys), "levels", "one letter left out");
    QP_CHECK_STR(best("lveels", keys), "levels", "two neighbours swapped: one edit");
    QP_CHECK_STR(best("LEVELS2", keys), "levels", "case ignored, one letter added");
    QP_CHECK_STR(best("ncat", keys), "ncut", "one letter replaced in four");
    QP_CHECK_STR(best("xcut", keys), "", "ncut and mcut as near: no suggestion");
    QP_CHECK_STR(best("lxvxls", keys), "levels", "two edits in six letters");
    QP_CHECK_STR(best("lxvxxs", keys), "", "three edits in six letters: too far");
    const char *const nodes[] = {"island", "1", "2", "top", NULL};
    QP_CHECK_STR(best("Island", nodes), "island", "a name in another case is the nearest");
    QP_CHECK_STR(best("3", nodes), "", "one-character names: only another case counts");
    QP_CHECK_STR(best("tpo", nodes), "top", "three letters, one swap");
    QP_CHECK_STR(best("", nodes), "", "an empty word gets nothing");
    const char *const twice[] = {"ej", "EJ", NULL};
    QP_CHECK_STR(best("Ej", twice), "ej", "one name offered twice in two cases is no tie");
    char longw[200];
    memset(longw, 'a', sizeof longw - 1);
    longw[sizeof longw - 1] = '\0';
    const char *const longs[] = {longw + 1, NULL};
    QP_CHECK_STR(best(longw, longs), "", "words past 63 characters get nothing");
    qp_suggest s;
    char hint[64];
    qp_suggest_init(&s, "jj_smal");
    qp_suggest_offer(&s, "jj_small");
    QP_CHECK_STR(qp_suggest_hint(&s, hint, sizeof hint), " (did you mean 'jj_small'?)",
                 "the hint's text");
    qp_suggest_init(&s, "zzz");
    qp_suggest_offer(&s, "jj_small");
    QP_CHECK_STR(qp_suggest_hint(&s, hint, sizeof hint), "", "no hint: empty");
    return tap_done();
}
