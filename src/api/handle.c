/* C API: the circuit handle (settings, loading, messages) and the calls on the whole deck:
 * check, run, dual. */
#include "api/api_impl.h"
#include "front/file.h"
#include "base/strbuf.h"

#include "qp_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 64 /* the default thread count: one per online CPU up to this (as the CLI) */

_Static_assert((int)QPSIM_ERR_INPUT == (int)QP_ERR_INPUT &&
                   (int)QPSIM_ERR_USAGE == (int)QP_ERR_USAGE &&
                   (int)QPSIM_ERR_NUMERIC == (int)QP_ERR_NUMERIC &&
                   (int)QPSIM_ERR_NOMEM == (int)QP_ERR_NOMEM,
               "the API's statuses are the engine's");
_Static_assert(QPSIM_CHANNELS == QP_CH_COUNT, "one API channel per engine channel");

void qpsim_settings_default(qpsim_settings *s)
{
    if (s) {
        *s = (qpsim_settings){.threads = 0, .blas_serial = 1};
    }
}

const char *qpsim_version(void)
{
    return QP_VERSION;
}

void qpsim_free(void *p)
{
    free(p);
}

qpsim_circuit *qpsim_circuit_new(const qpsim_settings *s)
{
    qpsim_circuit *h = calloc(1, sizeof *h);
    if (!h) {
        return NULL;
    }
    if (s) {
        h->set = *s;
    } else {
        qpsim_settings_default(&h->set);
    }
    if (h->set.threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        h->set.threads = n > 0 ? (int)(n < MAX_THREADS ? n : MAX_THREADS) : 1;
    }
    if (pthread_mutex_init(&h->mu, NULL) != 0) {
        free(h);
        return NULL;
    }
    return h;
}

/* Forgets the loaded circuit. */
static void unload(qpsim_circuit *h)
{
    qp_circuit_free(h->c);
    qp_deck_free(h->deck);
    for (size_t i = 0; i < h->nov; i++) {
        free((char *)h->ov[i].name);
        free((char *)h->ov[i].value);
    }
    free(h->ov);
    free(h->name);
    h->c = NULL;
    h->deck = NULL;
    h->ov = NULL;
    h->nov = 0;
    h->name = NULL;
}

void qpsim_circuit_free(qpsim_circuit *h)
{
    if (!h) {
        return;
    }
    unload(h);
    qp_context_free(h->ctx[0]);
    qp_context_free(h->ctx[1]);
    qp_diag_clear(&h->diag);
    free(h->msg);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

void qp_api_begin(qpsim_circuit *h)
{
    pthread_mutex_lock(&h->mu);
    qp_api_blas_enter(h);
    qp_diag_clear(&h->diag);
    free(h->msg);
    h->msg = NULL;
}

qpsim_status qp_api_end(qpsim_circuit *h, qpsim_status st)
{
    qp_diag *d = &h->diag;
    qp_diag_sort(d);
    h->msg = calloc(d->count ? d->count : 1, sizeof *h->msg);
    if (!h->msg || d->nomem) {
        st = QPSIM_ERR_NOMEM;
    }
    for (size_t i = 0; h->msg && i < d->count; i++) {
        const qp_diag_entry *x = &d->items[i];
        h->msg[i] = (qpsim_message){x->sev == QP_SEV_ERROR     ? QPSIM_ERROR
                                    : x->sev == QP_SEV_WARNING ? QPSIM_WARNING
                                                               : QPSIM_NOTE,
                                    x->file, x->file ? x->line : 0, x->file ? x->col : 0,
                                    x->msg};
    }
    qp_api_blas_leave(h);
    pthread_mutex_unlock(&h->mu);
    return st;
}

qpsim_status qp_api_status(qp_status st)
{
    return st == QP_ERR_IO ? QPSIM_ERR_INPUT : (qpsim_status)st;
}

qpsim_status qp_api_usage(qpsim_circuit *h, const char *fmt, ...)
{
    qp_strbuf b = {0};
    va_list ap;
    va_start(ap, fmt);
    qp_sb_vprintf(&b, fmt, ap);
    va_end(ap);
    char *s = qp_sb_take(&b);
    qp_diag_add(&h->diag, QP_SEV_ERROR, NULL, 0, 0, "%s", s ? s : "bad argument");
    free(s);
    return QPSIM_ERR_USAGE;
}

qp_context *qp_api_context(qpsim_circuit *h, int keep_traces)
{
    if (!h->ctx[keep_traces]) {
        qp_settings s;
        qp_settings_default(&s);
        s.threads = h->set.threads;
        s.keep_traces = keep_traces;
        s.thread_init = qp_api_omp_off;
        if (qp_context_create(&s, &h->ctx[keep_traces]) != QP_OK) {
            h->ctx[keep_traces] = NULL;
        }
    }
    return h->ctx[keep_traces];
}

size_t qpsim_message_count(const qpsim_circuit *h)
{
    return h && h->msg ? h->diag.count : 0;
}

const qpsim_message *qpsim_message_get(const qpsim_circuit *h, size_t i)
{
    return i < qpsim_message_count(h) ? &h->msg[i] : NULL;
}

qpsim_status qpsim_messages_text(const qpsim_circuit *h, char **out)
{
    if (!out) {
        return QPSIM_ERR_USAGE;
    }
    *out = h ? qp_diag_format(&h->diag) : NULL;
    return *out ? QPSIM_OK : h ? QPSIM_ERR_NOMEM : QPSIM_ERR_USAGE;
}

/* Copies the overrides into h: QPSIM_ERR_USAGE (reported) for a missing name or value. */
static qpsim_status copy_params(qpsim_circuit *h, const qpsim_param *p, size_t n)
{
    if (n && !p) {
        return qp_api_usage(h, "%zu parameter overrides announced but none given", n);
    }
    h->ov = calloc(n ? n : 1, sizeof *h->ov);
    if (!h->ov) {
        return QPSIM_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (!p[i].name || !p[i].value || !p[i].name[0]) {
            return qp_api_usage(h, "parameter override %zu has no name or no value", i + 1);
        }
        h->ov[i].name = qp_strdup(p[i].name);
        h->ov[i].value = qp_strdup(p[i].value);
        h->nov = i + 1;
        if (!h->ov[i].name || !h->ov[i].value) {
            return QPSIM_ERR_NOMEM;
        }
    }
    return QPSIM_OK;
}

/* Parses (from path, or from text when it is not NULL) and elaborates, as the command line does:
 * even after syntax errors, to report every error of the deck at once. */
static qpsim_status load(qpsim_circuit *h, const char *name, const char *text,
                         const qpsim_param *p, size_t n)
{
    unload(h);
    h->name = qp_strdup(name);
    qpsim_status st = h->name ? copy_params(h, p, n) : QPSIM_ERR_NOMEM;
    if (st != QPSIM_OK) {
        unload(h);
        return st;
    }
    qp_netlist_opts opts = {qp_file_read, NULL};
    qp_status s = text ? qp_netlist_parse_text(name, text, strlen(text), &opts, &h->deck, &h->diag)
                       : qp_netlist_parse_file(name, &opts, &h->deck, &h->diag);
    if (s == QP_ERR_IO) {
        s = QP_ERR_INPUT;
    }
    if (h->deck) {
        qp_status s2 = qp_circuit_elaborate(h->deck, h->ov, h->nov, &h->c, &h->diag);
        if (s == QP_OK || s2 == QP_ERR_USAGE || s2 == QP_ERR_NOMEM) {
            s = s2;
        }
    }
    if (s != QP_OK) {
        unload(h);
    }
    return qp_api_status(s);
}

qpsim_status qpsim_load_file(qpsim_circuit *h, const char *path, const qpsim_param *params,
                             size_t nparams)
{
    if (!h) {
        return QPSIM_ERR_USAGE;
    }
    qp_api_begin(h);
    qpsim_status st = path ? load(h, path, NULL, params, nparams)
                           : qp_api_usage(h, "no netlist path given");
    return qp_api_end(h, st);
}

qpsim_status qpsim_load_text(qpsim_circuit *h, const char *name, const char *text,
                             const qpsim_param *params, size_t nparams)
{
    if (!h) {
        return QPSIM_ERR_USAGE;
    }
    qp_api_begin(h);
    qpsim_status st = text ? load(h, name ? name : "<string>", text, params, nparams)
                           : qp_api_usage(h, "no netlist text given");
    return qp_api_end(h, st);
}

qpsim_status qp_api_loaded(qpsim_circuit *h)
{
    return h->c ? QPSIM_OK
                : qp_api_usage(h, "no circuit is loaded (a load failed or none was made)");
}

/* The common start of a call on the loaded circuit with a string result: the handle locked, *out
 * emptied. QPSIM_OK, or the status to end the call with. */
static qpsim_status begin_loaded(qpsim_circuit *h, char **out)
{
    qp_api_begin(h);
    if (!out) {
        return qp_api_usage(h, "no place for the result given");
    }
    *out = NULL;
    return qp_api_loaded(h);
}

/* check: text or JSON of the circuit with its modes, when it can be quantized. */
static qpsim_status check(qpsim_circuit *h, char **out, int json)
{
    if (!h) {
        return QPSIM_ERR_USAGE;
    }
    qpsim_status st = begin_loaded(h, out);
    if (st == QPSIM_OK) {
        qp_diag qd = {0};
        qp_modes *m = NULL;
        qp_status qs = qp_quantize(h->c, &m, &qd);
        /* .matrix operators and .wavefunction grids, as the command line's check */
        qp_status os = m ? qp_run_check_states(h->c, m, &h->diag) : QP_OK;
        const char *why = qs != QP_OK && qd.count > 0 ? qd.items[0].msg : NULL;
        if (qs == QP_ERR_NOMEM || os != QP_OK) {
            st = qp_api_status(qs == QP_ERR_NOMEM ? qs : os);
        } else {
            *out = json ? qp_report_json_circuit(h->c, m, NULL)
                        : qp_report_check_text(h->c, m, why);
            st = *out ? QPSIM_OK : QPSIM_ERR_NOMEM;
        }
        qp_modes_free(m);
        qp_diag_clear(&qd);
    }
    return qp_api_end(h, st);
}

qpsim_status qpsim_check_text(qpsim_circuit *h, char **out)
{
    return check(h, out, 0);
}

qpsim_status qpsim_check_json(qpsim_circuit *h, char **out)
{
    return check(h, out, 1);
}

qpsim_status qpsim_run_json(qpsim_circuit *h, char **out)
{
    if (!h) {
        return QPSIM_ERR_USAGE;
    }
    qpsim_status st = begin_loaded(h, out);
    qp_context *ctx = st == QPSIM_OK ? qp_api_context(h, 0) : NULL;
    if (st == QPSIM_OK && !ctx) {
        st = QPSIM_ERR_NOMEM;
    }
    if (st == QPSIM_OK) {
        qp_results res = {0};
        qp_job job = {h->deck, h->ov, h->nov, h->c};
        st = qp_api_status(qp_run(ctx, &job, &res, &h->diag));
        if (st == QPSIM_OK) {
            *out = qp_report_json(h->c, h->name, res.modes, &res);
            st = *out ? QPSIM_OK : QPSIM_ERR_NOMEM;
        }
        qp_results_free(&res);
    }
    return qp_api_end(h, st);
}

qpsim_status qpsim_dual(qpsim_circuit *h, char **out)
{
    if (!h) {
        return QPSIM_ERR_USAGE;
    }
    qpsim_status st = begin_loaded(h, out);
    if (st == QPSIM_OK) {
        st = qp_api_status(qp_dual_netlist(h->c, h->name, out, &h->diag));
    }
    return qp_api_end(h, st);
}
