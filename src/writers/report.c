/* Circuit view as text and JSON (cJSON); returns strings, never prints. */
#include "qpsim/report.h"
#include "base/strbuf.h"
#include "qpsim/units.h"

#include "qp_config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *qp_version(void)
{
    return QP_VERSION;
}

void qp_report_si(char *buf, size_t len, double v, const char *unit)
{
    static const struct {
        double f;
        const char *p;
    } pre[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1.0, ""}, {1e-3, "m"},
               {1e-6, "u"}, {1e-9, "n"}, {1e-12, "p"}, {1e-15, "f"}, {1e-18, "a"}};
    double a = fabs(v);
    if (a == 0.0 || !isfinite(v)) {
        snprintf(buf, len, "%g %s", v, unit);
        return;
    }
    size_t k = 0;
    while (k + 1 < sizeof pre / sizeof pre[0] && a < pre[k].f * 0.9999995) {
        k++;
    }
    snprintf(buf, len, "%.6g %s%s", v / pre[k].f, pre[k].p, unit);
}

static const char *short_kind(qp_elem_kind k)
{
    static const char *const n[] = {"capacitor", "inductor", "junction", "phase-slip",
                                    "mutual",    "resistor", "I source", "V source"};
    return n[k];
}

static void wave_text(qp_strbuf *b, const qp_element *e)
{
    const char *u = e->kind == QP_EL_I ? "A" : "V";
    char x[40], y[40];
    const qp_wave *w = &e->wave;
    qp_report_si(x, sizeof x, w->dc, u);
    switch (w->kind) {
    case QP_WAVE_DC:
        qp_sb_printf(b, "dc %s", x);
        break;
    case QP_WAVE_SIN:
        qp_report_si(x, sizeof x, w->p[1], u);
        qp_report_si(y, sizeof y, w->p[2], "Hz");
        qp_sb_printf(b, "sin: amplitude %s at %s", x, y);
        qp_report_si(x, sizeof x, w->p[0], u);
        qp_sb_printf(b, ", offset %s", x);
        break;
    case QP_WAVE_PWL:
        qp_sb_printf(b, "pwl with %zu points", w->np / 2);
        break;
    case QP_WAVE_PULSE:
        qp_report_si(x, sizeof x, w->p[0], u);
        qp_report_si(y, sizeof y, w->p[1], u);
        qp_sb_printf(b, "pulse %s -> %s", x, y);
        break;
    }
    if (w->kind != QP_WAVE_DC && w->dc != 0.0) {
        qp_report_si(x, sizeof x, w->dc, u);
        qp_sb_printf(b, ", dc %s", x);
    }
}

static void element_text(qp_strbuf *b, const qp_circuit *c, const qp_element *e)
{
    char v1[40], v2[40];
    qp_sb_printf(b, "  %-10s %-10s ", e->name, short_kind(e->kind));
    if (e->kind == QP_EL_K) {
        qp_sb_printf(b, "%s <-> %s   k = %.6g", c->elem[e->lk[0]].name, c->elem[e->lk[1]].name,
                     e->value);
        double l1 = c->elem[e->lk[0]].value, l2 = c->elem[e->lk[1]].value;
        qp_report_si(v1, sizeof v1, e->value * sqrt(l1 * l2), "H");
        qp_sb_printf(b, "   M = %s\n", v1);
        return;
    }
    qp_sb_printf(b, "%s -> %s   ", c->node_names[e->n[0]], c->node_names[e->n[1]]);
    switch (e->kind) {
    case QP_EL_C:
        qp_report_si(v1, sizeof v1, e->value, "F");
        qp_sb_printf(b, "C = %s   EC = %.6g GHz", v1, qp_element_ec(e));
        break;
    case QP_EL_L:
        qp_report_si(v1, sizeof v1, e->value, "H");
        qp_sb_printf(b, "L = %s   EL = %.6g GHz", v1, qp_element_el(e));
        break;
    case QP_EL_B:
        qp_report_si(v1, sizeof v1, e->ic, "A");
        qp_report_si(v2, sizeof v2, e->cap, "F");
        qp_sb_printf(b, "Ic = %s   EJ = %.6g GHz   C = %s", v1, qp_element_ej(e), v2);
        if (e->cap > 0.0) {
            qp_sb_printf(b, "   EC = %.6g GHz", qp_element_ec(e));
        }
        if (e->rn > 0.0) {
            qp_report_si(v1, sizeof v1, e->rn, "Ohm");
            qp_sb_printf(b, "   Rn = %s", v1);
        }
        if (e->model) {
            qp_sb_printf(b, "   model %s", e->model);
            if (e->area != 1.0) {
                qp_sb_printf(b, " x area %.6g", e->area);
            }
        }
        break;
    case QP_EL_Q:
        qp_report_si(v1, sizeof v1, e->vc, "V");
        qp_sb_printf(b, "Vc = %s   ES = %.6g GHz", v1, qp_element_es(e));
        if (e->model) {
            qp_sb_printf(b, "   model %s", e->model);
        }
        break;
    case QP_EL_R:
        qp_report_si(v1, sizeof v1, e->value, "Ohm");
        qp_sb_printf(b, "R = %s", v1);
        break;
    default:
        wave_text(b, e);
        break;
    }
    qp_sb_putc(b, '\n');
}

static const char *analysis_word(qp_analysis_kind k)
{
    return qp_analysis_directive(k);
}

static void analysis_text(qp_strbuf *b, const qp_circuit *c, const qp_analysis *a)
{
    char x[40], y[40], z[40];
    qp_sb_printf(b, "  %-9s ", analysis_word(a->kind));
    switch (a->kind) {
    case QP_AN_SPECTRUM:
        qp_sb_printf(b, "levels=%d", a->levels);
        break;
    case QP_AN_SWEEP:
        qp_sb_printf(b, "%s from %.9g to %.9g, %d points", a->param, a->start, a->stop, a->points);
        break;
    case QP_AN_BANDS:
        qp_sb_printf(b, "%s levels=%d points=%d", c->elem[a->element].name, a->levels, a->points);
        break;
    case QP_AN_TRAN:
        qp_report_si(x, sizeof x, a->tstep, "s");
        qp_report_si(y, sizeof y, a->tstop, "s");
        qp_report_si(z, sizeof z, a->tstart, "s");
        qp_sb_printf(b, "step %s, stop %s, start %s", x, y, z);
        break;
    case QP_AN_MATRIX:
        for (size_t i = 0; i < a->nops; i++) {
            qp_sb_printf(b, "%s ", a->ops[i].name);
        }
        qp_sb_printf(b, "levels=%d", a->levels);
        break;
    case QP_AN_WAVE:
        qp_sb_printf(b, "levels=%d points=%d", a->levels, a->points);
        break;
    }
    qp_sb_printf(b, "   (%s:%d)\n", c->files[a->loc.file], a->loc.line);
}

char *qp_report_circuit_text(const qp_circuit *c)
{
    qp_strbuf b = {0};
    if (c->title) {
        qp_sb_printf(&b, "title: %s\n", c->title);
    }
    qp_sb_printf(&b, "nodes (%zu, ground included): 0 (ground)", c->nnodes);
    for (size_t i = 1; i < c->nnodes; i++) {
        qp_sb_printf(&b, ", %s", c->node_names[i]);
    }
    qp_sb_printf(&b, "\nelements (%zu):\n", c->nelem);
    for (size_t i = 0; i < c->nelem; i++) {
        element_text(&b, c, &c->elem[i]);
    }
    if (c->nloops) {
        qp_sb_printf(&b, "flux loops (%zu), f = Phi_ext/Phi0 along the listed orientation:\n",
                     c->nloops);
        for (size_t i = 0; i < c->nloops; i++) {
            const qp_flux_loop *fl = &c->loops[i];
            qp_sb_printf(&b, "  loop %zu: f = %.9g   ", i + 1, fl->f);
            for (size_t k = 0; k < fl->n; k++) {
                qp_sb_printf(&b, "%s%c%s", k ? " " : "", fl->sign[k] > 0 ? '+' : '-',
                             c->elem[fl->branch[k]].name);
            }
            qp_sb_puts(&b, fl->implicit ? "   (found automatically)\n" : "\n");
        }
    }
    if (c->noffsets) {
        qp_sb_printf(&b, "offset charges (%zu), in units of 2e:\n", c->noffsets);
        for (size_t i = 0; i < c->noffsets; i++) {
            qp_sb_printf(&b, "  node %s: ng = %.9g\n", c->node_names[c->offsets[i].node],
                         c->offsets[i].ng);
        }
    }
    if (c->nparams) {
        qp_sb_printf(&b, "parameters (%zu):\n", c->nparams);
        for (size_t i = 0; i < c->nparams; i++) {
            qp_sb_printf(&b, "  %s = %.9g\n", c->params[i].name, c->params[i].value);
        }
    }
    qp_sb_printf(&b, "analyses (%zu):\n", c->nanalyses);
    for (size_t i = 0; i < c->nanalyses; i++) {
        analysis_text(&b, c, &c->analyses[i]);
    }
    return qp_sb_take(&b);
}

/* cJSON calls that can fail are collected through this flag. */
typedef struct {
    int fail;
} jctx;

static cJSON *num(jctx *j, cJSON *o, const char *k, double v)
{
    cJSON *r = cJSON_AddNumberToObject(o, k, isfinite(v) ? v : 0.0);
    j->fail |= r == NULL;
    return r;
}

static cJSON *str(jctx *j, cJSON *o, const char *k, const char *v)
{
    cJSON *r = cJSON_AddStringToObject(o, k, v);
    j->fail |= r == NULL;
    return r;
}

static cJSON *arr(jctx *j, cJSON *o, const char *k)
{
    cJSON *r = cJSON_AddArrayToObject(o, k);
    j->fail |= r == NULL;
    return r;
}

static cJSON *obj(jctx *j, cJSON *o, const char *k)
{
    cJSON *r = cJSON_AddObjectToObject(o, k);
    j->fail |= r == NULL;
    return r;
}

static void push(jctx *j, cJSON *a, cJSON *item)
{
    if (!item || !cJSON_AddItemToArray(a, item)) {
        cJSON_Delete(item);
        j->fail = 1;
    }
}

static const char *json_kind(qp_elem_kind k)
{
    static const char *const n[] = {"capacitor", "inductor", "jj", "qps",
                                    "mutual",    "resistor", "isource", "vsource"};
    return n[k];
}

static void element_json(jctx *j, cJSON *a, const qp_circuit *c, const qp_element *e)
{
    cJSON *o = cJSON_CreateObject();
    push(j, a, o);
    if (j->fail) {
        return;
    }
    str(j, o, "name", e->name);
    str(j, o, "type", json_kind(e->kind));
    str(j, o, "file", c->files[e->loc.file]);
    num(j, o, "line", e->loc.line);
    if (e->kind == QP_EL_K) {
        cJSON *l = arr(j, o, "inductors");
        if (l) {
            push(j, l, cJSON_CreateString(c->elem[e->lk[0]].name));
            push(j, l, cJSON_CreateString(c->elem[e->lk[1]].name));
        }
        num(j, o, "k", e->value);
        num(j, o, "M_H", e->value * sqrt(c->elem[e->lk[0]].value * c->elem[e->lk[1]].value));
        return;
    }
    cJSON *n = arr(j, o, "nodes");
    if (n) {
        push(j, n, cJSON_CreateString(c->node_names[e->n[0]]));
        push(j, n, cJSON_CreateString(c->node_names[e->n[1]]));
    }
    switch (e->kind) {
    case QP_EL_C:
        num(j, o, "C_F", e->value);
        num(j, o, "EC_GHz", qp_element_ec(e));
        break;
    case QP_EL_L:
        num(j, o, "L_H", e->value);
        num(j, o, "EL_GHz", qp_element_el(e));
        break;
    case QP_EL_B:
        num(j, o, "Ic_A", e->ic);
        num(j, o, "EJ_GHz", qp_element_ej(e));
        num(j, o, "C_F", e->cap);
        if (e->cap > 0.0) {
            num(j, o, "EC_GHz", qp_element_ec(e));
        }
        if (e->rn > 0.0) {
            num(j, o, "Rn_Ohm", e->rn);
        }
        num(j, o, "area", e->area);
        if (e->model) {
            str(j, o, "model", e->model);
        }
        break;
    case QP_EL_Q:
        num(j, o, "Vc_V", e->vc);
        num(j, o, "ES_GHz", qp_element_es(e));
        if (e->model) {
            str(j, o, "model", e->model);
        }
        break;
    case QP_EL_R:
        num(j, o, "R_Ohm", e->value);
        break;
    default: {
        static const char *const wk[] = {"dc", "sin", "pwl", "pulse"};
        cJSON *w = obj(j, o, "waveform");
        if (w) {
            str(j, w, "kind", wk[e->wave.kind]);
            num(j, w, "dc", e->wave.dc);
            if (e->wave.np) {
                cJSON *p = cJSON_CreateDoubleArray(e->wave.p, (int)e->wave.np);
                j->fail |= !p || !cJSON_AddItemToObject(w, "args", p);
            }
        }
        str(j, o, "unit", e->kind == QP_EL_I ? "A" : "V");
        break;
    }
    }
}

static void analysis_json(jctx *j, cJSON *a, const qp_circuit *c, const qp_analysis *an)
{
    cJSON *o = cJSON_CreateObject();
    push(j, a, o);
    if (j->fail) {
        return;
    }
    str(j, o, "type", analysis_word(an->kind) + 1);
    num(j, o, "line", an->loc.line);
    switch (an->kind) {
    case QP_AN_SPECTRUM:
        num(j, o, "levels", an->levels);
        break;
    case QP_AN_SWEEP:
        str(j, o, "param", an->param);
        num(j, o, "start", an->start);
        num(j, o, "stop", an->stop);
        num(j, o, "points", an->points);
        break;
    case QP_AN_BANDS:
        str(j, o, "element", c->elem[an->element].name);
        num(j, o, "levels", an->levels);
        num(j, o, "points", an->points);
        break;
    case QP_AN_TRAN:
        num(j, o, "tstep_s", an->tstep);
        num(j, o, "tstop_s", an->tstop);
        num(j, o, "tstart_s", an->tstart);
        break;
    case QP_AN_MATRIX: {
        cJSON *ops = arr(j, o, "operators");
        for (size_t i = 0; ops && i < an->nops; i++) {
            push(j, ops, cJSON_CreateString(an->ops[i].name));
        }
        num(j, o, "levels", an->levels);
        break;
    }
    case QP_AN_WAVE:
        num(j, o, "levels", an->levels);
        num(j, o, "points", an->points);
        break;
    }
}

static void modes_json(jctx *j, cJSON *o, const qp_circuit *c, const qp_modes *m,
                       const int *cut)
{
    cJSON *ms = arr(j, o, "modes");
    for (size_t i = 0; ms && m && i < m->n; i++) {
        cJSON *x = cJSON_CreateObject();
        push(j, ms, x);
        if (j->fail) {
            return;
        }
        char name[32];
        snprintf(name, sizeof name, "m%zu", i + 1);
        str(j, x, "name", name);
        str(j, x, "kind", m->kind[i] == QP_MODE_CHARGE    ? "periodic"
                          : m->kind[i] == QP_MODE_FLUXOID ? "periodic-charge"
                          : m->kind[i] == QP_MODE_OSC     ? "extended"
                                                          : "frozen");
        str(j, x, "basis", qp_mode_kind_name(m->kind[i]));
        num(j, x, "cutoff", cut ? cut[i] : 0);
        cJSON *mp = obj(j, x, "phases");
        for (size_t n = 1; mp && n < m->nnodes; n++) {
            double v = m->map[i * m->nnodes + n];
            if (fabs(v) > 1e-12) {
                num(j, mp, c->node_names[n], v);
            }
        }
    }
}

static void circuit_json(jctx *j, cJSON *o, const qp_circuit *c, const qp_modes *m,
                         const qp_results *res)
{
    if (c->title) {
        str(j, o, "title", c->title);
    }
    num(j, o, "dim", res ? (double)res->dim : 0.0);
    modes_json(j, o, c, m, res ? res->cut : NULL);
    cJSON *n = arr(j, o, "nodes");
    for (size_t i = 0; n && i < c->nnodes; i++) {
        push(j, n, cJSON_CreateString(c->node_names[i]));
    }
    cJSON *el = arr(j, o, "elements");
    for (size_t i = 0; el && i < c->nelem; i++) {
        element_json(j, el, c, &c->elem[i]);
    }
    cJSON *lo = arr(j, o, "loops");
    for (size_t i = 0; lo && i < c->nloops; i++) {
        const qp_flux_loop *fl = &c->loops[i];
        cJSON *l = cJSON_CreateObject();
        push(j, lo, l);
        if (j->fail) {
            return;
        }
        num(j, l, "f", fl->f);
        cJSON *br = arr(j, l, "branches");
        cJSON *sg = cJSON_CreateIntArray(fl->sign, (int)fl->n);
        j->fail |= !sg || !cJSON_AddItemToObject(l, "signs", sg);
        for (size_t k = 0; br && k < fl->n; k++) {
            push(j, br, cJSON_CreateString(c->elem[fl->branch[k]].name));
        }
        cJSON *im = cJSON_AddBoolToObject(l, "implicit", fl->implicit);
        j->fail |= im == NULL;
    }
    cJSON *of = arr(j, o, "offsets");
    for (size_t i = 0; of && i < c->noffsets; i++) {
        cJSON *x = cJSON_CreateObject();
        push(j, of, x);
        if (j->fail) {
            return;
        }
        str(j, x, "node", c->node_names[c->offsets[i].node]);
        num(j, x, "ng", c->offsets[i].ng);
    }
    cJSON *pa = obj(j, o, "params");
    for (size_t i = 0; pa && i < c->nparams; i++) {
        num(j, pa, c->params[i].name, c->params[i].value);
    }
    cJSON *rq = arr(j, o, "requests");
    for (size_t i = 0; rq && i < c->nanalyses; i++) {
        analysis_json(j, rq, c, &c->analyses[i]);
    }
}

static cJSON *level_row(const double *E, int n)
{
    return cJSON_CreateDoubleArray(E, n);
}

static void bands_json(jctx *j, cJSON *o, const qp_circuit *c, const qp_result *r)
{
    const qp_bands *bd = &r->band.table;
    str(j, o, "element", c->elem[r->band.element].name);
    str(j, o, "unit", "GHz");
    str(j, o, "variable", r->band.dual ? "f" : "q");
    cJSON *q = cJSON_CreateDoubleArray(bd->q, bd->nq);
    j->fail |= !q || !cJSON_AddItemToObject(o, "q", q);
    cJSON *lv = arr(j, o, "levels");
    for (int p = 0; lv && p < bd->nq; p++) {
        push(j, lv, level_row(bd->E + (size_t)p * (size_t)bd->nlev, bd->nlev));
    }
    cJSON *w = cJSON_CreateDoubleArray(bd->width, bd->nlev);
    j->fail |= !w || !cJSON_AddItemToObject(o, "widths", w);
    cJSON *g = cJSON_CreateDoubleArray(bd->gap, bd->nlev - 1);
    j->fail |= !g || !cJSON_AddItemToObject(o, "gaps", g);
    num(j, o, r->band.dual ? "el_prime_GHz" : "ec_GHz", r->band.dual ? 4.0 * bd->ec : bd->ec);
    num(j, o, r->band.dual ? "es_GHz" : "ej_GHz", bd->ej);
    num(j, o, "es_eff_GHz", bd->es_eff);
    num(j, o, "half_width_GHz", 0.5 * bd->width[0]);
    num(j, o, "slope_max_GHz", bd->slope_max);
    num(j, o, r->band.dual ? "i_max_A" : "v_b_V", r->band.slope_si);
    num(j, o, "ncut", bd->ncut);
}

static void freq_json(jctx *j, cJSON *x, const qp_circuit *c, const qp_tran_freq *f)
{
    const qp_element *e = &c->elem[f->element];
    str(j, x, "element", e->name);
    str(j, x, "signal", f->dual ? "voltage" : "supercurrent");
    str(j, x, "law", f->dual ? "I/2e" : "V/Phi0");
    str(j, x, "model", e->kind == QP_EL_Q ? "phase-slip" : f->dual ? "bloch-band" : "rcsj");
    num(j, x, "f_sim_Hz", f->f_sim);
    num(j, x, "f_theory_Hz", f->f_theory);
    num(j, x, "f_fft_Hz", f->f_fft);
    if (f->periods > 0 && f->f_theory > 0.0) { /* left out when there is nothing to compare */
        num(j, x, "rel_diff", (f->f_sim - f->f_theory) / f->f_theory);
    }
    num(j, x, "mean_V", f->mean_v);
    num(j, x, "mean_I", f->mean_i);
    num(j, x, "periods", f->periods);
    num(j, x, "area_per_period", f->area);
    num(j, x, "area_theory", f->area_theory);
}

/* "sweep": {"param", "values"[, "param2", "values2"]} of a swept spectrum or transient. */
static void sweep_json(jctx *j, cJSON *o, const qp_result *r)
{
    cJSON *sw = obj(j, o, "sweep");
    if (!sw) {
        return;
    }
    str(j, sw, "param", r->param);
    cJSON *v = cJSON_CreateDoubleArray(r->values, (int)r->npoints);
    j->fail |= !v || !cJSON_AddItemToObject(sw, "values", v);
    if (r->param2) { /* 2-D: one row per (value, value2) pair, value2 fastest */
        str(j, sw, "param2", r->param2);
        cJSON *v2 = cJSON_CreateDoubleArray(r->values2, (int)r->npoints);
        j->fail |= !v2 || !cJSON_AddItemToObject(sw, "values2", v2);
    }
}

static void tran_json(jctx *j, cJSON *o, const qp_circuit *c, const qp_result *r)
{
    if (r->param) {
        sweep_json(j, o, r);
        /* frequencies of the first point; the I-V rows per element */
        cJSON *fa = arr(j, o, "frequencies");
        for (size_t e = 0; fa && e < r->tran.nfreq; e++) {
            cJSON *x = cJSON_CreateObject();
            push(j, fa, x);
            if (!j->fail) {
                freq_json(j, x, c, &r->tran.iv[e]);
            }
        }
        cJSON *iv = arr(j, o, "iv");
        for (size_t e = 0; iv && e < r->tran.nfreq; e++) {
            cJSON *x = cJSON_CreateObject();
            push(j, iv, x);
            if (j->fail) {
                return;
            }
            str(j, x, "element", c->elem[r->tran.iv[e].element].name);
            static const char *const keys[4] = {"mean_V", "mean_I", "f_sim_Hz", "f_theory_Hz"};
            for (int m = 0; m < 4; m++) {
                cJSON *col = arr(j, x, keys[m]);
                for (size_t p = 0; col && p < r->npoints; p++) {
                    const qp_tran_freq *f = &r->tran.iv[p * r->tran.nfreq + e];
                    double v = m == 0 ? f->mean_v : m == 1 ? f->mean_i : m == 2 ? f->f_sim : f->f_theory;
                    push(j, col, cJSON_CreateNumber(v));
                }
            }
        }
        return;
    }
    const qp_tran_result *t = &r->tran.run;
    cJSON *fa = arr(j, o, "frequencies");
    for (size_t e = 0; fa && e < t->nfreq; e++) {
        cJSON *x = cJSON_CreateObject();
        push(j, fa, x);
        if (!j->fail) {
            freq_json(j, x, c, &t->freq[e]);
        }
    }
    num(j, o, "samples", (double)t->samples);
    num(j, o, "rtol", t->rtol);
    num(j, o, "steps", (double)t->steps);
    num(j, o, "rejected", (double)t->rejected);
    cJSON *cols = arr(j, o, "signals");
    for (size_t i = 0; cols && i < t->ncol; i++) {
        push(j, cols, cJSON_CreateString(t->col[i]));
    }
}

/* "matrix_elements": per operator its name, unit and the nlev x nlev real and imaginary parts
 * of <i|O|j> (row i, column j); swept, one such table per point. */
static void matrix_json(jctx *j, cJSON *o, const qp_circuit *c, const qp_result *r)
{
    const qp_analysis *an = &c->analyses[r->analysis];
    cJSON *me = arr(j, o, "matrix_elements");
    size_t L = (size_t)r->spec.nlev;
    for (size_t q = 0; me && q < r->spec.nops; q++) {
        cJSON *x = cJSON_CreateObject();
        push(j, me, x);
        if (j->fail) {
            return;
        }
        str(j, x, "operator", an->ops[q].name);
        str(j, x, "unit", qp_operator_unit(an->ops[q].kind));
        for (int part = 0; part < 2; part++) {
            cJSON *top = arr(j, x, part ? "im" : "re");
            for (size_t p = 0; top && p < r->npoints; p++) {
                const double *v =
                    (part ? r->spec.mim : r->spec.mre) + (p * r->spec.nops + q) * L * L;
                cJSON *rows = top;
                if (r->param) { /* swept: one table per point */
                    rows = cJSON_CreateArray();
                    push(j, top, rows);
                    if (j->fail) {
                        return;
                    }
                }
                for (size_t i = 0; rows && i < L; i++) {
                    push(j, rows, cJSON_CreateDoubleArray(v + i * L, (int)L));
                }
            }
        }
    }
}

/* "phi(NODE)_rad" for a node's phase, else "phi_m1_rad" or "q_m1_2e" for a mode's variable. */
static void wave_var_name(char *buf, size_t len, const qp_circuit *c, const qp_wavefunctions *w,
                          size_t v)
{
    if (w->node[v] > 0) {
        snprintf(buf, len, "phi(%s)_rad", c->node_names[w->node[v]]);
    } else {
        snprintf(buf, len, "%s_m%d_%s", w->var[v] == 'q' ? "q" : "phi", w->mode[v] + 1,
                 w->var[v] == 'q' ? "2e" : "rad");
    }
}

/* "variables" (name, values) and "psi": per level the real and imaginary parts on the grid,
 * row-major with the last variable fastest. */
static void wave_json(jctx *j, cJSON *o, const qp_circuit *c, const qp_result *r)
{
    const qp_wavefunctions *w = &r->spec.wave;
    cJSON *vs = arr(j, o, "variables");
    for (size_t v = 0; vs && v < w->nvar; v++) {
        cJSON *x = cJSON_CreateObject();
        push(j, vs, x);
        if (j->fail) {
            return;
        }
        char name[64];
        wave_var_name(name, sizeof name, c, w, v);
        str(j, x, "name", name);
        cJSON *vals = cJSON_CreateDoubleArray(w->x[v], (int)w->npts[v]);
        j->fail |= !vals || !cJSON_AddItemToObject(x, "values", vals);
    }
    cJSON *ps = arr(j, o, "psi");
    size_t np = w->npts[0] * w->npts[1];
    for (int k = 0; ps && k < w->nlev; k++) {
        cJSON *x = cJSON_CreateObject();
        push(j, ps, x);
        if (j->fail) {
            return;
        }
        num(j, x, "level", k);
        cJSON *re = cJSON_CreateDoubleArray(w->re + (size_t)k * np, (int)np);
        cJSON *im = cJSON_CreateDoubleArray(w->im + (size_t)k * np, (int)np);
        j->fail |= !re || !cJSON_AddItemToObject(x, "re", re);
        j->fail |= !im || !cJSON_AddItemToObject(x, "im", im);
    }
}

static void result_json(jctx *j, cJSON *a, const qp_circuit *c, const qp_result *r,
                        char *const *node_name)
{
    cJSON *o = cJSON_CreateObject();
    push(j, a, o);
    if (j->fail) {
        return;
    }
    str(j, o, "type", qp_analysis_directive(r->kind) + 1);
    if (!r->computed) {
        cJSON *b = cJSON_AddBoolToObject(o, "computed", 0);
        j->fail |= b == NULL;
        return;
    }
    if (r->kind == QP_AN_BANDS) {
        bands_json(j, o, c, r);
        return;
    }
    if (r->kind == QP_AN_TRAN) {
        tran_json(j, o, c, r);
        return;
    }
    str(j, o, "unit", "GHz");
    if (r->param) {
        sweep_json(j, o, r);
        cJSON *lv = arr(j, o, "levels");
        for (size_t p = 0; lv && p < r->npoints; p++) {
            push(j, lv, level_row(r->spec.levels + p * (size_t)r->spec.nlev, r->spec.nlev));
        }
    } else {
        cJSON *lv = level_row(r->spec.levels, r->spec.nlev);
        j->fail |= !lv || !cJSON_AddItemToObject(o, "levels", lv);
        cJSON *tr = arr(j, o, "transitions");
        for (int k = 0; tr && k < r->spec.nlev; k++) {
            push(j, tr, cJSON_CreateNumber(r->spec.levels[k] - r->spec.levels[0]));
        }
        if (r->spec.nlev > 1) {
            num(j, o, "f01", r->spec.levels[1] - r->spec.levels[0]);
        }
        if (r->spec.nlev > 2) {
            const double *E = r->spec.levels;
            num(j, o, "anharmonicity", E[2] - 2.0 * E[1] + E[0]);
        }
        cJSON *cd = NULL, *fd = NULL;
        for (size_t k = 0; k < r->spec.ndisp; k++) {
            int island = r->spec.disp_node[k] > 0;
            cJSON **target = island ? &cd : &fd;
            if (!*target) {
                *target = arr(j, o, island ? "charge_dispersion" : "flux_dispersion");
            }
            cJSON *x = cJSON_CreateObject();
            push(j, *target, x);
            if (j->fail) {
                return;
            }
            if (island) {
                str(j, x, "node", node_name[r->spec.disp_node[k]]);
            } else {
                num(j, x, "loop", -r->spec.disp_node[k]);
            }
            cJSON *e =
                cJSON_CreateDoubleArray(r->spec.disp + k * (size_t)r->spec.nlev, r->spec.nlev);
            j->fail |= !e || !cJSON_AddItemToObject(x, "eps", e);
        }
    }
    num(j, o, "dim", (double)r->spec.dim[r->npoints - 1]);
    cJSON *cu = cJSON_CreateIntArray(r->spec.cut, (int)r->spec.nmodes);
    j->fail |= !cu || !cJSON_AddItemToObject(o, "cutoffs", cu);
    cJSON *cv = obj(j, o, "convergence");
    if (cv) {
        num(j, cv, "tol_GHz", r->spec.tol);
        cJSON *b = cJSON_AddBoolToObject(cv, "checked", r->spec.checked);
        j->fail |= b == NULL;
        if (r->spec.checked) {
            double dmax = 0.0;
            for (size_t p = 0; p < r->npoints; p++) {
                dmax = fmax(dmax, r->spec.delta[p]);
            }
            num(j, cv, "delta_GHz", dmax);
        }
    }
    str(j, o, "eigensolver", qp_eig_method_name(r->spec.method));
    if (r->kind == QP_AN_MATRIX) {
        matrix_json(j, o, c, r);
    } else if (r->kind == QP_AN_WAVE) {
        wave_json(j, o, c, r);
    }
}

char *qp_report_json(const qp_circuit *c, const char *netlist_path, const qp_modes *m,
                     const qp_results *res)
{
    jctx j = {0};
    cJSON *root = cJSON_CreateObject();
    if (!root) {
        return NULL;
    }
    str(&j, root, "qpsim", QP_VERSION);
    str(&j, root, "netlist", netlist_path);
    cJSON *co = obj(&j, root, "circuit");
    if (co) {
        circuit_json(&j, co, c, m, res);
    }
    cJSON *an = arr(&j, root, "analyses");
    for (size_t i = 0; an && res && i < res->n; i++) {
        result_json(&j, an, c, &res->r[i], c->node_names);
    }
    char *s = j.fail ? NULL : cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}

static void mode_phases(qp_strbuf *b, const qp_circuit *c, const qp_modes *m, size_t i)
{
    int first = 1;
    for (size_t n = 1; n < m->nnodes; n++) {
        double v = m->map[i * m->nnodes + n];
        if (fabs(v) <= 1e-12) {
            continue;
        }
        const char *sign = v < 0 ? "-" : first ? "" : "+";
        double a = fabs(v);
        if (fabs(a - 1.0) < 1e-12) {
            qp_sb_printf(b, " %s phi(%s)", sign, c->node_names[n]);
        } else {
            qp_sb_printf(b, " %s %.6g phi(%s)", sign, a, c->node_names[n]);
        }
        first = 0;
    }
    if (first) {
        qp_sb_puts(b, " (no node phase: a loop variable)");
    }
}

char *qp_report_modes_text(const qp_circuit *c, const qp_modes *m, const int *cut)
{
    qp_strbuf b = {0};
    qp_sb_printf(&b, "modes (%zu", m->n);
    if (m->eliminated_loops || m->eliminated_cuts) {
        qp_sb_printf(&b, "; eliminated: %zu capacitor-only loop%s, %zu capacitance-free cut set%s",
                     m->eliminated_loops, m->eliminated_loops == 1 ? "" : "s",
                     m->eliminated_cuts, m->eliminated_cuts == 1 ? "" : "s");
    }
    qp_sb_puts(&b, "):\n");
    for (size_t i = 0; i < m->n; i++) {
        qp_sb_printf(&b, "  m%-3zu %-10s", i + 1, qp_mode_kind_name(m->kind[i]));
        if (cut && m->kind[i] == QP_MODE_CHARGE) {
            qp_sb_printf(&b, " ncut=%-5d", cut[i]);
        } else if (cut && m->kind[i] == QP_MODE_FLUXOID) {
            qp_sb_printf(&b, " mcut=%-5d", cut[i]);
        } else if (cut && m->kind[i] == QP_MODE_OSC) {
            qp_sb_printf(&b, " nho=%-6d", cut[i]);
        } else {
            qp_sb_puts(&b, "           ");
        }
        qp_sb_puts(&b, " flux =");
        mode_phases(&b, c, m, i);
        qp_sb_putc(&b, '\n');
    }
    return qp_sb_take(&b);
}

/* Bands: the summary and a table of at most ~21 rows (every point goes to the CSV). */
static void bands_text(qp_strbuf *b, const qp_circuit *c, const qp_result *r, const char *file)
{
    const qp_bands *bd = &r->band.table;
    const char *v = r->band.dual ? "f" : "q";
    char si[64];
    qp_sb_printf(b, "\nbands of %s (%s:%d), GHz, against %s (%s); %s, %s = %.10g GHz, %s = %.10g GHz, "
                 "ncut %d\n", c->elem[r->band.element].name, file, r->loc.line, v,
                 r->band.dual ? "loop flux in Phi0" : "quasicharge in 2e",
                 r->band.dual ? "EL'(m - f)^2 - ES cos(2 pi q)" : "4EC(n - q)^2 - EJ cos(phi)",
                 r->band.dual ? "EL'" : "EC", r->band.dual ? 4.0 * bd->ec : bd->ec,
                 r->band.dual ? "ES" : "EJ", bd->ej, bd->ncut);
    qp_sb_printf(b, "  %10s", v);
    for (int k = 0; k < bd->nlev; k++) {
        qp_sb_printf(b, "  %16s%-2d", "E", k);
    }
    qp_sb_putc(b, '\n');
    int stride = bd->nq > 21 ? (bd->nq - 1) / 20 : 1;
    for (int p = 0; p < bd->nq; p += stride) {
        qp_sb_printf(b, "  %10.6f", bd->q[p]);
        for (int k = 0; k < bd->nlev; k++) {
            qp_sb_printf(b, "  %18.10f", bd->E[(size_t)p * (size_t)bd->nlev + (size_t)k]);
        }
        qp_sb_putc(b, '\n');
        if (p + stride >= bd->nq && p != bd->nq - 1) {
            p = bd->nq - 1 - stride; /* always show the last point */
        }
    }
    qp_sb_puts(b, "  widths (max - min) [GHz]:");
    for (int k = 0; k < bd->nlev; k++) {
        qp_sb_printf(b, " %.10g", bd->width[k]);
    }
    qp_sb_putc(b, '\n');
    if (bd->nlev > 1) {
        qp_sb_puts(b, "  gaps (min of E_{s+1} - E_s) [GHz]:");
        for (int k = 0; k + 1 < bd->nlev; k++) {
            qp_sb_printf(b, " %.10g", bd->gap[k]);
        }
        qp_sb_putc(b, '\n');
    }
    qp_sb_printf(b, "  lowest band: ES_eff = -c1 = %.10g GHz (W0/2 = %.10g GHz)\n", bd->es_eff,
                 0.5 * bd->width[0]);
    qp_report_si(si, sizeof si, r->band.slope_si, r->band.dual ? "A" : "V");
    if (r->band.dual) {
        qp_sb_printf(b, "  largest current of the lowest band, max dE0/dPhi = %s\n", si);
    } else {
        qp_sb_printf(b, "  Coulomb-blockade voltage V_B = max dE0/dQ = %s (%.6g EC/2e)\n", si,
                     bd->slope_max / bd->ec);
    }
}

static void freq_text(qp_strbuf *b, const qp_circuit *c, const qp_tran_freq *f)
{
    char a[64], m[64], ar[64];
    const qp_element *e = &c->elem[f->element];
    qp_report_si(a, sizeof a, f->dual ? f->mean_i : f->mean_v, f->dual ? "A" : "V");
    qp_sb_printf(b, "  %-10s %-10s", e->name,
                 e->kind == QP_EL_Q ? "phase-slip" : f->dual ? "bloch-band" : "rcsj");
    if (f->periods == 0) {
        qp_sb_printf(b, " no oscillation in the second half (mean %s = %s)\n",
                     f->dual ? "I" : "V", a);
        return;
    }
    qp_sb_printf(b, " f_sim = %.10g Hz   %s = %.10g Hz   rel. diff %+.2e   (FFT %.8g Hz; mean %s "
                 "= %s, %d period%s)\n", f->f_sim, f->dual ? "I/2e" : "V/Phi0", f->f_theory,
                 f->f_theory > 0.0 ? (f->f_sim - f->f_theory) / f->f_theory : 0.0, f->f_fft,
                 f->dual ? "I" : "V", a, f->periods, f->periods == 1 ? "" : "s");
    qp_report_si(ar, sizeof ar, f->area, f->dual ? "C" : "V s");
    qp_report_si(m, sizeof m, f->area_theory, f->dual ? "C" : "V s");
    qp_sb_printf(b, "  %-21s %s per period = %s (%s = %s)\n", "", f->dual ? "integral I dt" :
                 "integral V dt", ar, f->dual ? "2e" : "Phi0", m);
}

static void tran_text(qp_strbuf *b, const qp_circuit *c, const qp_result *r, const char *file)
{
    if (r->param) {
        qp_sb_printf(b, "\ntran (%s:%d) swept over %s: mean voltage of junctions, mean current of "
                     "phase-slip and Bloch-band junctions, over the second half of each run\n",
                     file, r->loc.line, r->param);
        qp_sb_printf(b, "  %-14s", r->param);
        if (r->param2) {
            qp_sb_printf(b, "  %-14s", r->param2);
        }
        for (size_t e = 0; e < r->tran.nfreq; e++) {
            const qp_tran_freq *f = &r->tran.iv[e];
            char h[80];
            snprintf(h, sizeof h, "%s(%s) [%s]", f->dual ? "I" : "V", c->elem[f->element].name,
                     f->dual ? "A" : "V");
            qp_sb_printf(b, "  %18s  %16s", h, "f_sim [Hz]");
        }
        qp_sb_putc(b, '\n');
        for (size_t p = 0; p < r->npoints; p++) {
            qp_sb_printf(b, "  %-14.9g", r->values[p]);
            if (r->param2) {
                qp_sb_printf(b, "  %-14.9g", r->values2[p]);
            }
            for (size_t e = 0; e < r->tran.nfreq; e++) {
                const qp_tran_freq *f = &r->tran.iv[p * r->tran.nfreq + e];
                qp_sb_printf(b, "  %18.10g  %16.10g", f->dual ? f->mean_i : f->mean_v, f->f_sim);
            }
            qp_sb_putc(b, '\n');
        }
        return;
    }
    const qp_tran_result *t = &r->tran.run;
    qp_sb_printf(b, "\ntran (%s:%d): %zu samples, %zu steps (%zu rejected), rtol %.1e; frequencies "
                 "over the second half\n", file, r->loc.line, t->samples, t->steps, t->rejected,
                 t->rtol);
    for (size_t e = 0; e < t->nfreq; e++) {
        freq_text(b, c, &t->freq[e]);
    }
}

/* Swept: per operator |<i|O|j>| of the first levels (i <= j < 4) against the parameter(s);
 * every element of every point is in the JSON and the CSV. */
static void matrix_sweep_text(qp_strbuf *b, const qp_circuit *c, const qp_result *r)
{
    const qp_analysis *an = &c->analyses[r->analysis];
    size_t L = (size_t)r->spec.nlev, S = L < 4 ? L : 4;
    for (size_t q = 0; q < r->spec.nops; q++) {
        qp_sb_printf(b, "  |<i|%s|j>| [%s] (all elements in the JSON and the CSV)\n  %-14s",
                     an->ops[q].name, qp_operator_unit(an->ops[q].kind), r->param);
        if (r->param2) {
            qp_sb_printf(b, "  %-14s", r->param2);
        }
        for (size_t i = 0; i < S; i++) {
            for (size_t jj = i; jj < S; jj++) {
                qp_sb_printf(b, "  %6s<%zu|%zu>", "", i, jj);
            }
        }
        qp_sb_putc(b, '\n');
        for (size_t p = 0; p < r->npoints; p++) {
            const double *re = r->spec.mre + (p * r->spec.nops + q) * L * L;
            const double *im = r->spec.mim + (p * r->spec.nops + q) * L * L;
            qp_sb_printf(b, "  %-14.9g", r->values[p]);
            if (r->param2) {
                qp_sb_printf(b, "  %-14.9g", r->values2[p]);
            }
            for (size_t i = 0; i < S; i++) {
                for (size_t jj = i; jj < S; jj++) {
                    qp_sb_printf(b, "  %12.8f", hypot(re[i * L + jj], im[i * L + jj]));
                }
            }
            qp_sb_putc(b, '\n');
        }
    }
}

/* Matrix elements as one table per operator: re + i im of <i|O|j>, rows i, columns j. */
static void matrix_text(qp_strbuf *b, const qp_circuit *c, const qp_result *r)
{
    if (r->param) {
        matrix_sweep_text(b, c, r);
        return;
    }
    const qp_analysis *an = &c->analyses[r->analysis];
    size_t L = (size_t)r->spec.nlev;
    for (size_t q = 0; q < r->spec.nops; q++) {
        const double *re = r->spec.mre + q * L * L, *im = r->spec.mim + q * L * L;
        double big = 0.0, bigim = 0.0;
        for (size_t i = 0; i < L * L; i++) {
            big = fmax(big, hypot(re[i], im[i]));
            bigim = fmax(bigim, fabs(im[i]));
        }
        int cplx = bigim > 1e-12 * fmax(big, 1e-300);
        qp_sb_printf(b, "  <i|%s|j> [%s]%s\n  %5s", an->ops[q].name, qp_operator_unit(an->ops[q].kind),
                     cplx ? ", re + im i" : "", "i\\j");
        for (size_t jj = 0; jj < L; jj++) {
            qp_sb_printf(b, cplx ? "  %25zu" : "  %13zu", jj);
        }
        qp_sb_putc(b, '\n');
        for (size_t i = 0; i < L; i++) {
            qp_sb_printf(b, "  %5zu", i);
            for (size_t jj = 0; jj < L; jj++) {
                double x = fabs(re[i * L + jj]) < 1e-13 * big ? 0.0 : re[i * L + jj];
                double y = fabs(im[i * L + jj]) < 1e-13 * big ? 0.0 : im[i * L + jj];
                if (cplx) {
                    qp_sb_printf(b, "  %12.8f %+11.8fi", x, y);
                } else {
                    qp_sb_printf(b, "  %13.9f", x);
                }
            }
            qp_sb_putc(b, '\n');
        }
    }
}

/* Wavefunctions: the grid and, per level, the norm on the grid by the trapezoidal rule (1 when
 * the range holds the state and the grid resolves it). */
static void wavefunction_text(qp_strbuf *b, const qp_circuit *c, const qp_result *r)
{
    const qp_wavefunctions *w = &r->spec.wave;
    qp_sb_puts(b, "  wavefunctions on");
    for (size_t v = 0; v < w->nvar; v++) {
        char name[64];
        wave_var_name(name, sizeof name, c, w, v);
        size_t n = w->npts[v];
        qp_sb_printf(b, "%s %zu points of %s from %.6g to %.6g", v ? " x" : "", n, name,
                     w->x[v][0], w->x[v][n - 1]);
    }
    qp_sb_puts(b, " (CSV and picture with -o DIR)\n  level   norm on the grid\n");
    for (int k = 0; k < w->nlev; k++) {
        qp_sb_printf(b, "  %5d   %.6f\n", k, w->norm[k]);
    }
}

char *qp_report_results_text(const qp_circuit *c, const qp_results *res)
{
    qp_strbuf b = {0};
    for (size_t i = 0; i < res->n; i++) {
        const qp_result *r = &res->r[i];
        const char *file = c->files[r->loc.file];
        if (!r->computed) {
            qp_sb_printf(&b, "\n%s (%s:%d): not computed by this version\n",
                         analysis_word(r->kind), file, r->loc.line);
            continue;
        }
        if (r->kind == QP_AN_BANDS) {
            bands_text(&b, c, r, file);
            continue;
        }
        if (r->kind == QP_AN_TRAN) {
            tran_text(&b, c, r, file);
            continue;
        }
        qp_sb_printf(&b, "\n%s (%s:%d), GHz",
                     r->kind == QP_AN_MATRIX ? "matrix elements: levels"
                     : r->kind == QP_AN_WAVE ? "wavefunctions: levels"
                                             : "spectrum",
                     file, r->loc.line);
        if (r->spec.checked) {
            double dmax = 0.0;
            for (size_t p = 0; p < r->npoints; p++) {
                dmax = fmax(dmax, r->spec.delta[p]);
            }
            qp_sb_printf(&b, ", converged: levels changed by %.2g GHz (tol %.2g) when the basis "
                         "grew", dmax, r->spec.tol);
        } else {
            qp_sb_puts(&b, ", fixed cutoffs (convergence not checked)");
        }
        qp_sb_printf(&b, "; dim %zu, %s eigensolver\n", r->spec.dim[r->npoints - 1],
                     qp_eig_method_name(r->spec.method));
        if (r->param) {
            qp_sb_printf(&b, "  %-14s", r->param);
            if (r->param2) {
                qp_sb_printf(&b, "  %-14s", r->param2);
            }
            for (int k = 0; k < r->spec.nlev; k++) {
                qp_sb_printf(&b, "  %16s%-2d", "E", k);
            }
            qp_sb_putc(&b, '\n');
            for (size_t p = 0; p < r->npoints; p++) {
                qp_sb_printf(&b, "  %-14.9g", r->values[p]);
                if (r->param2) {
                    qp_sb_printf(&b, "  %-14.9g", r->values2[p]);
                }
                for (int k = 0; k < r->spec.nlev; k++) {
                    qp_sb_printf(&b, "  %18.10f",
                                 r->spec.levels[p * (size_t)r->spec.nlev + (size_t)k]);
                }
                qp_sb_putc(&b, '\n');
            }
            if (r->kind == QP_AN_MATRIX) {
                matrix_text(&b, c, r);
            }
            continue;
        }
        qp_sb_puts(&b, "  level          E [GHz]      E - E0 [GHz]\n");
        for (int k = 0; k < r->spec.nlev; k++) {
            qp_sb_printf(&b, "  %5d  %16.10f  %16.10f\n", k, r->spec.levels[k],
                         r->spec.levels[k] - r->spec.levels[0]);
        }
        if (r->spec.nlev > 1) {
            qp_sb_printf(&b, "  f01 = %.10f GHz", r->spec.levels[1] - r->spec.levels[0]);
        }
        if (r->spec.nlev > 2) {
            qp_sb_printf(&b, "   anharmonicity f12 - f01 = %.10f GHz",
                         r->spec.levels[2] - 2.0 * r->spec.levels[1] + r->spec.levels[0]);
        }
        qp_sb_putc(&b, '\n');
        for (size_t k = 0; k < r->spec.ndisp; k++) {
            if (r->spec.disp_node[k] > 0) {
                qp_sb_printf(&b, "  charge dispersion of island %s, E_m(ng=1/2) - E_m(ng=0) [GHz]:",
                             c->node_names[r->spec.disp_node[k]]);
            } else {
                qp_sb_printf(&b, "  flux dispersion of loop %d, E_m(f=1/2) - E_m(f=0) [GHz]:",
                             -r->spec.disp_node[k]);
            }
            for (int m = 0; m < r->spec.nlev; m++) {
                qp_sb_printf(&b, " %.6g", r->spec.disp[k * (size_t)r->spec.nlev + (size_t)m]);
            }
            qp_sb_putc(&b, '\n');
        }
        if (r->kind == QP_AN_MATRIX) {
            matrix_text(&b, c, r);
        } else if (r->kind == QP_AN_WAVE) {
            wavefunction_text(&b, c, r);
        }
    }
    return qp_sb_take(&b);
}

char *qp_report_fft_csv(const qp_circuit *c, const qp_result *r)
{
    (void)c;
    const qp_tran_spectra *sp = &r->tran.spectra;
    if (!r->computed || r->kind != QP_AN_TRAN || r->param || sp->n == 0) {
        return NULL;
    }
    qp_strbuf b = {0};
    qp_sb_puts(&b, "f_Hz");
    for (size_t q = 0; q < sp->n; q++) {
        qp_sb_printf(&b, ",power_%s", r->tran.run.col[sp->col[q]]);
    }
    qp_sb_putc(&b, '\n');
    for (size_t k = 0; k < sp->nb; k++) {
        qp_sb_putg(&b, (double)k * sp->df, 10);
        for (size_t q = 0; q < sp->n; q++) {
            qp_sb_putc(&b, ',');
            qp_sb_putg(&b, sp->power[q][k], 6);
        }
        qp_sb_putc(&b, '\n');
    }
    return qp_sb_take(&b);
}

char *qp_report_csv(const qp_circuit *c, const qp_result *r)
{
    if (!r->computed) {
        return NULL;
    }
    qp_strbuf b = {0};
    if (r->kind == QP_AN_TRAN && r->param) {
        qp_sb_puts(&b, r->param);
        if (r->param2) {
            qp_sb_printf(&b, ",%s", r->param2);
        }
        for (size_t e = 0; e < r->tran.nfreq; e++) {
            const char *nm = c->elem[r->tran.iv[e].element].name;
            qp_sb_printf(&b, ",mean_V(%s)_V,mean_I(%s)_A,f_sim(%s)_Hz,f_theory(%s)_Hz", nm, nm, nm,
                         nm);
        }
        qp_sb_putc(&b, '\n');
        for (size_t p = 0; p < r->npoints; p++) {
            qp_sb_printf(&b, "%.17g", r->values[p]);
            if (r->param2) {
                qp_sb_printf(&b, ",%.17g", r->values2[p]);
            }
            for (size_t e = 0; e < r->tran.nfreq; e++) {
                const qp_tran_freq *f = &r->tran.iv[p * r->tran.nfreq + e];
                qp_sb_printf(&b, ",%.17g,%.17g,%.17g,%.17g", f->mean_v, f->mean_i, f->f_sim,
                             f->f_theory);
            }
            qp_sb_putc(&b, '\n');
        }
        return qp_sb_take(&b);
    }
    if (r->kind == QP_AN_TRAN) {
        const qp_tran_result *t = &r->tran.run;
        qp_sb_puts(&b, "t_s");
        for (size_t i = 0; i < t->ncol; i++) {
            qp_sb_printf(&b, ",%s", t->col[i]);
        }
        qp_sb_putc(&b, '\n');
        for (size_t k = 0; k < t->nt; k++) {
            const double *row = t->data + k * (t->ncol + 1);
            qp_sb_putg(&b, row[0], 15);
            for (size_t i = 0; i < t->ncol; i++) {
                qp_sb_putc(&b, ',');
                qp_sb_putg(&b, row[i + 1], 10);
            }
            qp_sb_putc(&b, '\n');
        }
        return qp_sb_take(&b);
    }
    if (r->kind == QP_AN_MATRIX) {
        const qp_analysis *an = &c->analyses[r->analysis];
        size_t L = (size_t)r->spec.nlev;
        if (r->param) {
            qp_sb_printf(&b, "%s,", r->param);
            if (r->param2) {
                qp_sb_printf(&b, "%s,", r->param2);
            }
        }
        qp_sb_puts(&b, "operator,unit,i,j,re,im,abs\n");
        for (size_t p = 0; p < r->npoints; p++) {
            for (size_t q = 0; q < r->spec.nops; q++) {
                const double *re = r->spec.mre + (p * r->spec.nops + q) * L * L;
                const double *im = r->spec.mim + (p * r->spec.nops + q) * L * L;
                for (size_t i = 0; i < L; i++) {
                    for (size_t jj = 0; jj < L; jj++) {
                        if (r->param) {
                            qp_sb_printf(&b, "%.17g,", r->values[p]);
                            if (r->param2) {
                                qp_sb_printf(&b, "%.17g,", r->values2[p]);
                            }
                        }
                        double x = re[i * L + jj], y = im[i * L + jj];
                        qp_sb_printf(&b, "%s,%s,%zu,%zu,%.17g,%.17g,%.17g\n", an->ops[q].name,
                                     qp_operator_unit(an->ops[q].kind), i, jj, x, y, hypot(x, y));
                    }
                }
            }
        }
        return qp_sb_take(&b);
    }
    if (r->kind == QP_AN_WAVE) {
        const qp_wavefunctions *w = &r->spec.wave;
        char name[64];
        for (size_t v = 0; v < w->nvar; v++) {
            wave_var_name(name, sizeof name, c, w, v);
            qp_sb_printf(&b, "%s%s", v ? "," : "", name);
        }
        for (int k = 0; k < w->nlev; k++) {
            qp_sb_printf(&b, ",re_psi%d,im_psi%d", k, k);
        }
        qp_sb_putc(&b, '\n');
        size_t np = w->npts[0] * w->npts[1];
        for (size_t p1 = 0; p1 < w->npts[0]; p1++) {
            for (size_t p2 = 0; p2 < w->npts[1]; p2++) {
                qp_sb_putg(&b, w->x[0][p1], 15);
                if (w->nvar == 2) {
                    qp_sb_putc(&b, ',');
                    qp_sb_putg(&b, w->x[1][p2], 15);
                }
                for (int k = 0; k < w->nlev; k++) {
                    size_t at = (size_t)k * np + p1 * w->npts[1] + p2;
                    qp_sb_putc(&b, ',');
                    qp_sb_putg(&b, w->re[at], 15);
                    qp_sb_putc(&b, ',');
                    qp_sb_putg(&b, w->im[at], 15);
                }
                qp_sb_putc(&b, '\n');
            }
        }
        return qp_sb_take(&b);
    }
    if (r->kind == QP_AN_BANDS) {
        const qp_bands *bd = &r->band.table;
        qp_sb_puts(&b, r->band.dual ? "f" : "q");
        for (int k = 0; k < bd->nlev; k++) {
            qp_sb_printf(&b, ",E%d_GHz", k);
        }
        qp_sb_putc(&b, '\n');
        for (int p = 0; p < bd->nq; p++) {
            qp_sb_printf(&b, "%.17g", bd->q[p]);
            for (int k = 0; k < bd->nlev; k++) {
                qp_sb_printf(&b, ",%.17g", bd->E[(size_t)p * (size_t)bd->nlev + (size_t)k]);
            }
            qp_sb_putc(&b, '\n');
        }
        return qp_sb_take(&b);
    }
    if (r->param) {
        qp_sb_puts(&b, r->param);
        if (r->param2) {
            qp_sb_printf(&b, ",%s", r->param2);
        }
        for (int k = 0; k < r->spec.nlev; k++) {
            qp_sb_printf(&b, ",E%d_GHz", k);
        }
        qp_sb_putc(&b, '\n');
        for (size_t p = 0; p < r->npoints; p++) {
            qp_sb_printf(&b, "%.17g", r->values[p]);
            if (r->param2) {
                qp_sb_printf(&b, ",%.17g", r->values2[p]);
            }
            for (int k = 0; k < r->spec.nlev; k++) {
                qp_sb_printf(&b, ",%.17g", r->spec.levels[p * (size_t)r->spec.nlev + (size_t)k]);
            }
            qp_sb_putc(&b, '\n');
        }
    } else {
        qp_sb_puts(&b, "level,E_GHz,E_minus_E0_GHz\n");
        for (int k = 0; k < r->spec.nlev; k++) {
            qp_sb_printf(&b, "%d,%.17g,%.17g\n", k, r->spec.levels[k],
                         r->spec.levels[k] - r->spec.levels[0]);
        }
    }
    return qp_sb_take(&b);
}
