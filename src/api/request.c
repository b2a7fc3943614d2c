/* C API: requests, the loaded deck with one written analysis directive in place of the deck's
 * own (built from tokens, not text), elaborated and run by the engine. */
#include "api/api_impl.h"
#include "base/strbuf.h"
#include "base/vec.h"

#include <stdlib.h>
#include <string.h>

/* The directives that ask for an analysis: a request drops the deck's own. */
static const char *const analysis_words[] = {".spectrum", ".sweep", ".bands", ".tran",
                                             ".matrix", ".wavefunction", ".coherence"};

static int is_analysis(const qp_directive *dv)
{
    for (size_t i = 0; i < sizeof analysis_words / sizeof *analysis_words; i++) {
        if (qp_ieq(dv->word->text, analysis_words[i])) {
            return 1;
        }
    }
    return 0;
}

const qp_directive *qp_api_find(const qpsim_circuit *h, const char *word)
{
    for (size_t i = 0; h->deck && i < h->deck->ndirs; i++) {
        if (qp_ieq(h->deck->dirs[i].word->text, word)) {
            return &h->deck->dirs[i];
        }
    }
    return NULL;
}

/* A word token with a copy of text and no place in a file, owned by g; NULL: out of memory. */
static qp_token *new_token(qp_api_dir *g, const char *text)
{
    qp_token *t = calloc(1, sizeof *t);
    char *s = qp_strdup(text);
    if (!t || !s || !QP_PUSH(g->own, g->nown, t)) {
        free(t), free(s);
        return NULL;
    }
    *t = (qp_token){QP_TOK_WORD, s, strlen(s), {-1, 0, 0}};
    return t;
}

static int keep_key(const char *key, const char *const *keep, size_t nkeep)
{
    for (size_t i = 0; i < nkeep; i++) {
        if (qp_ieq(key, keep[i])) {
            return 1;
        }
    }
    return 0;
}

qp_api_dir *qp_api_dir_add(qp_api_req *q, const char *word, const qp_directive *tmpl,
                           const char *const *keep, size_t nkeep, int args)
{
    if (q->ngen == (int)(sizeof q->gen / sizeof *q->gen)) {
        return NULL; /* no request writes more */
    }
    qp_api_dir *g = &q->gen[q->ngen++];
    const qp_token *w = new_token(g, word);
    if (!w) {
        return NULL;
    }
    g->dv.word = w;
    g->dv.loc = w->loc;
    for (size_t i = 0; tmpl && i < tmpl->nkv; i++) {
        if (keep_key(tmpl->kv[i].key->text, keep, nkeep) &&
            !QP_PUSH(g->dv.kv, g->dv.nkv, tmpl->kv[i])) {
            return NULL;
        }
    }
    for (size_t i = 0; tmpl && args && i < tmpl->nargs; i++) {
        if (!QP_PUSH(g->dv.args, g->dv.nargs, tmpl->args[i])) {
            return NULL;
        }
    }
    return g;
}

int qp_api_dir_key(qp_api_dir *g, const char *key, const char *value)
{
    const qp_token *v = new_token(g, value);
    if (!v) {
        return 0;
    }
    for (size_t i = 0; i < g->dv.nkv; i++) {
        if (qp_ieq(g->dv.kv[i].key->text, key)) {
            g->dv.kv[i].val = v;
            return 1;
        }
    }
    const qp_token *k = new_token(g, key);
    return k && QP_PUSH(g->dv.kv, g->dv.nkv, ((qp_kv){k, v}));
}

int qp_api_dir_arg(qp_api_dir *g, const char *text)
{
    const qp_token *t = new_token(g, text);
    return t && QP_PUSH(g->dv.args, g->dv.nargs, t);
}

int qp_api_dir_set_arg(qp_api_dir *g, size_t i, const char *text)
{
    const qp_token *t = i < g->dv.nargs ? new_token(g, text) : NULL;
    if (t) {
        g->dv.args[i] = t;
    }
    return t != NULL;
}

qpsim_status qp_api_dir_lex(qpsim_circuit *h, qp_api_dir *g, const char *text)
{
    qp_diag d = {0};
    qp_status st = qp_lex(text, strlen(text), -1, NULL, &g->lexed, &d);
    int bad = d.errors > 0 || g->lexed.count != 1;
    qp_diag_clear(&d);
    if (st != QP_OK) {
        return QPSIM_ERR_NOMEM;
    }
    if (bad) {
        return qp_api_usage(h, "'%s' is not one item of a directive line", text);
    }
    const qp_stmt *s = &g->lexed.items[0];
    for (size_t i = 0; i < s->ntok; i++) {
        if (!QP_PUSH(g->dv.args, g->dv.nargs, &s->tok[i])) {
            return QPSIM_ERR_NOMEM;
        }
    }
    return QPSIM_OK;
}

/* The view of the loaded deck: its directives but its analyses (and its .print lines unless a
 * transient keeps traces), then the written ones. 0 when out of memory. */
static int make_view(const qpsim_circuit *h, qp_api_req *q, int keep_traces)
{
    const qp_deck *dk = h->deck;
    q->view = *dk;
    q->view.dirs = calloc(dk->ndirs + (size_t)q->ngen + 1, sizeof *q->view.dirs);
    q->view.ndirs = 0;
    if (!q->view.dirs) {
        return 0;
    }
    for (size_t i = 0; i < dk->ndirs; i++) {
        const qp_directive *dv = &dk->dirs[i];
        if (!is_analysis(dv) && (keep_traces || !qp_ieq(dv->word->text, ".print"))) {
            q->view.dirs[q->view.ndirs++] = *dv;
        }
    }
    for (int i = 0; i < q->ngen; i++) {
        q->view.dirs[q->view.ndirs++] = q->gen[i].dv;
    }
    return 1;
}

/* The status of a request that failed with st: bad input is the deck's when an error has a
 * place in it, else the arguments'. */
static qpsim_status request_status(qp_status st, int placed)
{
    if (st == QP_ERR_INPUT || st == QP_ERR_USAGE) {
        return placed ? QPSIM_ERR_INPUT : QPSIM_ERR_USAGE;
    }
    return qp_api_status(st);
}

/* Gives the elaborated .sweep of q its values. */
static qp_status set_values(qp_circuit *c, const double *values, size_t n)
{
    for (size_t k = 0; k < c->nanalyses; k++) {
        qp_analysis *an = &c->analyses[k];
        if (an->kind == QP_AN_SWEEP && (size_t)an->points == n) {
            an->values = malloc(n * sizeof *an->values);
            if (!an->values) {
                return QP_ERR_NOMEM;
            }
            memcpy(an->values, values, n * sizeof *an->values);
        }
    }
    return QP_OK;
}

/* Whether a .sweep written by request q sweeps parameter `name`. */
static int swept_by(const qp_api_req *q, const char *name)
{
    for (int i = 0; i < q->ngen; i++) {
        const qp_directive *dv = &q->gen[i].dv;
        if (qp_ieq(dv->word->text, ".sweep") && dv->nargs > 0 &&
            qp_ieq(dv->args[0]->text, name)) {
            return 1;
        }
    }
    return 0;
}

qpsim_status qp_api_run(qpsim_circuit *h, qp_api_req *q, int keep_traces, const double *values,
                        size_t npoints)
{
    qp_context *ctx = qp_api_context(h, keep_traces);
    if (!ctx || !make_view(h, q, keep_traces)) {
        return QPSIM_ERR_NOMEM;
    }
    /* a written sweep sweeps its parameter even when the load's params set it (there --set
     * would fix a deck's own .sweep): that override is left out */
    qp_override *ov = calloc(h->nov ? h->nov : 1, sizeof *ov);
    size_t nov = 0;
    if (!ov) {
        return QPSIM_ERR_NOMEM;
    }
    for (size_t i = 0; i < h->nov; i++) {
        if (!values || !swept_by(q, h->ov[i].name)) {
            ov[nov++] = h->ov[i];
        }
    }
    qp_diag d0 = {0};
    qp_status st = qp_circuit_elaborate(&q->view, ov, nov, &q->c, &d0);
    int placed = qp_diag_merge_errors(&h->diag, &d0); /* warnings: reported at the load */
    qp_diag_clear(&d0);
    if (st == QP_OK && values) {
        st = set_values(q->c, values, npoints);
    }
    if (st != QP_OK) {
        free(ov);
        return request_status(st, placed);
    }
    qp_diag d1 = {0};
    qp_job job = {&q->view, ov, nov, q->c};
    st = qp_run(ctx, &job, &q->res, &d1);
    free(ov);
    placed = 0;
    for (size_t e = 0; e < d1.count; e++) { /* every message of the run is new */
        const qp_diag_entry *x = &d1.items[e];
        qp_diag_add(&h->diag, x->sev, x->file, x->line, x->col, "%s", x->msg);
        placed |= x->sev == QP_SEV_ERROR && x->file != NULL;
    }
    qp_diag_clear(&d1);
    if (st == QP_OK && q->res.n != 1) { /* the written directive is the one analysis */
        qp_diag_add(&h->diag, QP_SEV_ERROR, NULL, 0, 0, "the request computed %zu analyses",
                    q->res.n);
        return QPSIM_ERR_NUMERIC;
    }
    return st == QP_OK ? QPSIM_OK : request_status(st, placed);
}

void qp_api_req_free(qp_api_req *q)
{
    qp_results_free(&q->res);
    qp_circuit_free(q->c);
    free(q->view.dirs);
    for (int i = 0; i < q->ngen; i++) {
        qp_api_dir *g = &q->gen[i];
        for (size_t k = 0; k < g->nown; k++) {
            free(g->own[k]->text);
            free(g->own[k]);
        }
        free(g->own);
        free(g->dv.args);
        free(g->dv.kv);
        qp_stmt_list_free(&g->lexed);
    }
    memset(q, 0, sizeof *q);
}
