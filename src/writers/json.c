/* Writer: the JSON document of a run (cJSON), returned as a string. */
#include "qpsim/report.h"
#include "writers/report_impl.h"
#include "base/strbuf.h"
#include "qpsim/units.h"

#include "qp_config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
                                    "mutual",    "resistor", "isource", "vsource",
                                    "vcvs",      "vccs",     "cccs",    "ccvs",
                                    "tline"};
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
    case QP_EL_E:
    case QP_EL_G:
    case QP_EL_F:
    case QP_EL_H:
    case QP_EL_T: {
        cJSON *m = arr(j, o, e->kind == QP_EL_T ? "nodes2" : "control_nodes");
        if (m) {
            push(j, m, cJSON_CreateString(c->node_names[e->nc[0]]));
            push(j, m, cJSON_CreateString(c->node_names[e->nc[1]]));
        }
        num(j, o, e->kind == QP_EL_T ? "Z0_Ohm" : "gain", e->value);
        if (e->kind == QP_EL_T) {
            num(j, o, "TD_s", e->td);
        }
        break;
    }
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
    str(j, o, "type", qp_analysis_directive(an->kind) + 1);
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
        if (an->fixed) { /* --set fixes its parameter: not run */
            j->fail |= cJSON_AddBoolToObject(o, "fixed", 1) == NULL;
        }
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
    case QP_AN_COHERENCE:
        num(j, o, "from", an->coh.from);
        num(j, o, "to", an->coh.to);
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
    num(j, x, "phase_slips", (double)f->slips);
    num(j, x, f->dual ? "charge_end_C" : "phase_end_rad", f->phase_end);
    num(j, x, "area_per_period", f->area);
    num(j, x, "area_theory", f->area_theory);
}

/* Whether r is a 2-D sweep whose per-point lists are nested (outer x inner). */
static int grid(const qp_result *r)
{
    return r->param2 && r->npoints2 > 0 && r->npoints % r->npoints2 == 0;
}

/* A 2-D sweep's per-point list o[key] (npoints members, the inner parameter fastest) becomes
 * nested: one list per outer value, each with one member per inner value, so that
 * o[key][i][k] belongs to sweep.values[i] and sweep.values2[k]. 1-D lists stay as they are. */
static void nest(jctx *j, cJSON *o, const char *key, const qp_result *r)
{
    cJSON *flat = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    if (!grid(r) || !flat || j->fail) {
        return;
    }
    cJSON *rows = cJSON_CreateArray();
    cJSON *row = NULL;
    for (size_t p = 0; rows && p < r->npoints; p++) {
        if (p % r->npoints2 == 0) {
            row = cJSON_CreateArray();
            push(j, rows, row);
            if (j->fail) {
                break;
            }
        }
        cJSON *x = cJSON_DetachItemFromArray(flat, 0);
        push(j, row, x ? x : cJSON_CreateNull());
    }
    if (!rows || j->fail || !cJSON_ReplaceItemInObjectCaseSensitive(o, key, rows)) {
        cJSON_Delete(rows);
        j->fail = 1;
    }
}

/* "sweep": {"param", "values"[, "param2", "values2"]} of a swept spectrum or transient; a 2-D
 * sweep lists each axis once (values outer, values2 inner) and nests its per-point lists. */
static void sweep_json(jctx *j, cJSON *o, const qp_result *r)
{
    cJSON *sw = obj(j, o, "sweep");
    if (!sw) {
        return;
    }
    str(j, sw, "param", r->param);
    size_t n2 = grid(r) ? r->npoints2 : 1, n1 = r->npoints / n2;
    cJSON *v = cJSON_CreateArray();
    for (size_t i = 0; v && i < n1; i++) {
        push(j, v, cJSON_CreateNumber(r->values[i * n2]));
    }
    j->fail |= !v || !cJSON_AddItemToObject(sw, "values", v);
    if (r->param2) {
        str(j, sw, "param2", r->param2);
        cJSON *v2 = cJSON_CreateDoubleArray(r->values2, (int)n2);
        j->fail |= !v2 || !cJSON_AddItemToObject(sw, "values2", v2);
    }
}

static void tran_json(jctx *j, cJSON *o, const qp_circuit *c, const qp_result *r)
{
    if (c->temp > 0.0) { /* thermal noise: its temperature and random stream */
        num(j, o, "temp_K", c->temp);
        num(j, o, "seed", (double)c->analyses[r->analysis].seed);
    }
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
                nest(j, x, keys[m], r);
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
        str(j, x, "unit", qp_states_operator_unit(an->ops[q].kind));
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
            nest(j, x, part ? "im" : "re", r);
        }
    }
}

/* "phi(NODE)_rad" for a node's phase, else "phi_m1_rad" or "q_m1_2e" for a mode's variable. */
void qp_report_wave_var_name(char *buf, size_t len, const qp_circuit *c, const qp_wavefunctions *w,
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
        qp_report_wave_var_name(name, sizeof name, c, w, v);
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

/* "hierarchical": {"groups": [[1], [2, 3]], "kept": [...], "ecut_GHz": x, "product_states": n} */
static void hier_json(jctx *j, cJSON *o, const qp_result *r)
{
    cJSON *h = obj(j, o, "hierarchical");
    cJSON *gs = h ? cJSON_AddArrayToObject(h, "groups") : NULL;
    j->fail |= h && !gs;
    for (size_t g = 0; gs && g < r->spec.ngroups; g++) {
        cJSON *one = cJSON_CreateArray();
        j->fail |= !one || !cJSON_AddItemToArray(gs, one);
        for (size_t i = 0; one && i < r->spec.nmodes; i++) {
            if (r->spec.group[i] == (int)g) {
                cJSON *x = cJSON_CreateNumber((double)(i + 1));
                j->fail |= !x || !cJSON_AddItemToArray(one, x);
            }
        }
    }
    if (h) {
        cJSON *k = cJSON_CreateIntArray(r->spec.kept, (int)r->spec.ngroups);
        j->fail |= !k || !cJSON_AddItemToObject(h, "kept", k);
        num(j, h, "ecut_GHz", r->spec.ecut);
        num(j, h, "product_states", (double)r->spec.dim[r->npoints - 1]);
    }
}

/* A time [s] (null when infinite) or a list of them over the sweep. */
static cJSON *time_value(const double *t, size_t stride, size_t np, int swept)
{
    if (!swept) {
        return isfinite(t[0]) ? cJSON_CreateNumber(t[0]) : cJSON_CreateNull();
    }
    cJSON *a = cJSON_CreateArray();
    for (size_t p = 0; a && p < np; p++) {
        double v = t[p * stride];
        cJSON *x = isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
        if (!x || !cJSON_AddItemToArray(a, x)) {
            cJSON_Delete(x);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

static void add_value(jctx *j, cJSON *o, const char *k, cJSON *v)
{
    j->fail |= !v || !cJSON_AddItemToObject(o, k, v);
}

/* .coherence: from, to, f_GHz, temp_K, channels [{name, time_s, rate_per_s}], t1_s, t2_s; under
 * a sweep each number (temp_K too) is a list over the points; an infinite time is null with
 * rate 0. */
static void coherence_json(jctx *j, cJSON *o, const qp_result *r)
{
    const qp_coherence_out *h = &r->coh;
    size_t np = r->npoints;
    int sw = r->param != NULL;
    num(j, o, "from", h->from);
    num(j, o, "to", h->to);
    if (sw) { /* the temperature too: a sweep may set .temp or temp= */
        add_value(j, o, "temp_K", cJSON_CreateDoubleArray(h->temp, (int)np));
        add_value(j, o, "f_GHz", cJSON_CreateDoubleArray(h->f, (int)np));
    } else {
        num(j, o, "temp_K", h->temp[0]);
        num(j, o, "f_GHz", h->f[0]);
    }
    cJSON *chs = arr(j, o, "channels");
    double *t = malloc((np ? np : 1) * sizeof *t);
    j->fail |= t == NULL;
    for (int ch = 0; chs && t && ch < QP_CH_COUNT; ch++) {
        if (!(h->present >> ch & 1u)) {
            continue;
        }
        cJSON *x = cJSON_CreateObject();
        push(j, chs, x);
        if (j->fail) {
            break;
        }
        str(j, x, "name", qp_channel_name((qp_channel)ch));
        for (size_t p = 0; p < np; p++) {
            double rate = h->rate[p * QP_CH_COUNT + (size_t)ch];
            t[p] = rate > 0.0 ? 1.0 / rate : INFINITY;
        }
        add_value(j, x, "time_s", time_value(t, 1, np, sw));
        if (sw) {
            cJSON *rt = cJSON_CreateArray();
            for (size_t p = 0; rt && p < np; p++) {
                push(j, rt, cJSON_CreateNumber(h->rate[p * QP_CH_COUNT + (size_t)ch]));
            }
            add_value(j, x, "rate_per_s", rt);
        } else {
            num(j, x, "rate_per_s", h->rate[ch]);
        }
        nest(j, x, "time_s", r);
        nest(j, x, "rate_per_s", r);
    }
    free(t);
    add_value(j, o, "t1_s", time_value(h->t1, 1, np, sw));
    add_value(j, o, "t2_s", time_value(h->t2, 1, np, sw));
    nest(j, o, "temp_K", r);
    nest(j, o, "f_GHz", r);
    nest(j, o, "t1_s", r);
    nest(j, o, "t2_s", r);
}

void qp_report_part_name(char *buf, size_t len, const qp_spectrum_out *s, size_t a)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->nmodes && at < len; i++) {
        if (s->lab_group[i] == (int)a) {
            int w = snprintf(buf + at, len - at, "%sm%zu", at ? "+" : "", i + 1);
            at += w > 0 ? (size_t)w : 0;
        }
    }
}

/* Pairs of parts with a finite value v[a np + b], a < b: those with a harmonic part (zz 0) or
 * those of two qubit-like parts (zz 1), as [{"parts": [A, B], "value": v}]; nothing when none. */
static void pairs_json(jctx *j, cJSON *o, const char *key, const qp_spectrum_out *s, int zz)
{
    cJSON *list = NULL;
    for (size_t a = 0; a < s->nlab; a++) {
        for (size_t b = a + 1; b < s->nlab; b++) {
            double v = s->lab_chi[a * s->nlab + b];
            if (!isfinite(v) || (s->lab_anh[a] && s->lab_anh[b]) != zz) {
                continue;
            }
            list = list ? list : arr(j, o, key);
            cJSON *x = cJSON_CreateObject();
            push(j, list, x);
            cJSON *pa = j->fail ? NULL : arr(j, x, "parts");
            if (!pa) {
                return;
            }
            char name[128];
            qp_report_part_name(name, sizeof name, s, a);
            push(j, pa, cJSON_CreateString(name));
            qp_report_part_name(name, sizeof name, s, b);
            push(j, pa, cJSON_CreateString(name));
            num(j, x, "value", v);
        }
    }
}

/* The bare-state labels of the levels and what they give (docs/json.md). */
static void labels_json(jctx *j, cJSON *o, const qp_spectrum_out *s)
{
    cJSON *parts = arr(j, o, "label_parts"), *lab = arr(j, o, "labels");
    cJSON *w = cJSON_CreateDoubleArray(s->lab_weight, s->nlev);
    j->fail |= !w || !cJSON_AddItemToObject(o, "label_weights", w);
    char name[128];
    for (size_t a = 0; parts && a < s->nlab; a++) {
        qp_report_part_name(name, sizeof name, s, a);
        push(j, parts, cJSON_CreateString(name));
    }
    for (int k = 0; lab && k < s->nlev; k++) {
        push(j, lab, cJSON_CreateIntArray(s->label + (size_t)k * s->nlab, (int)s->nlab));
    }
    cJSON *an = NULL;
    for (size_t a = 0; a < s->nlab && !j->fail; a++) {
        if (!isfinite(s->lab_anharm[a])) {
            continue;
        }
        an = an ? an : arr(j, o, "anharmonicities");
        cJSON *x = cJSON_CreateObject();
        push(j, an, x);
        if (!j->fail) {
            qp_report_part_name(name, sizeof name, s, a);
            str(j, x, "part", name);
            num(j, x, "value", s->lab_anharm[a]);
        }
    }
    pairs_json(j, o, "chi", s, 0);
    pairs_json(j, o, "zz", s, 1);
}

/* The "method" of a spectrum-like result: how its levels were solved. */
static const char *method_name(const qp_result *r)
{
    if (r->spec.hier || r->spec.mps) {
        return r->spec.hier ? "hierarchical" : "mps";
    }
    return r->spec.processes > 1 ? "distributed" : "exact"; /* PARPACK over the processes */
}

/* The energies of point p above its ground level. */
static cJSON *transition_row(const double *E, int n)
{
    cJSON *t = cJSON_CreateArray();
    for (int k = 0; t && k < n; k++) {
        cJSON *x = cJSON_CreateNumber(E[k] - E[0]);
        if (!x || !cJSON_AddItemToArray(t, x)) {
            cJSON_Delete(x);
            cJSON_Delete(t);
            return NULL;
        }
    }
    return t;
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
        nest(j, o, "levels", r);
        cJSON *tr = arr(j, o, "transitions"); /* per point, as the levels */
        for (size_t p = 0; tr && p < r->npoints; p++) {
            push(j, tr, transition_row(r->spec.levels + p * (size_t)r->spec.nlev, r->spec.nlev));
        }
        nest(j, o, "transitions", r);
    } else {
        cJSON *lv = level_row(r->spec.levels, r->spec.nlev);
        j->fail |= !lv || !cJSON_AddItemToObject(o, "levels", lv);
        cJSON *tr = transition_row(r->spec.levels, r->spec.nlev);
        j->fail |= !tr || !cJSON_AddItemToObject(o, "transitions", tr);
        if (r->spec.nlev > 1) {
            num(j, o, "f01", r->spec.levels[1] - r->spec.levels[0]);
        }
        if (r->spec.nlev > 2 && r->spec.nmodes == 1) { /* only where it means something */
            const double *E = r->spec.levels;
            num(j, o, "anharmonicity", E[2] - 2.0 * E[1] + E[0]);
        }
        if (r->spec.nlab > 0) {
            labels_json(j, o, &r->spec);
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
    /* a sweep that reuses its basis: the cutoffs of the points between the checkpoints */
    cJSON *cu = cJSON_CreateIntArray(r->spec.sweep_cut ? r->spec.sweep_cut : r->spec.cut,
                                     (int)r->spec.nmodes);
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
            cJSON *ru = cJSON_AddBoolToObject(cv, "reused_basis", r->spec.sweep_cut != NULL);
            j->fail |= ru == NULL;
        }
    }
    str(j, o, "eigensolver", qp_eig_method_name(r->spec.method));
    str(j, o, "method", method_name(r));
    if (r->spec.processes > 1) {
        num(j, o, "processes", r->spec.processes);
    }
    if (r->spec.mps) { /* "mps": {"kept": m, "bond": D, "sweeps": n, "discarded": w} */
        cJSON *mp = obj(j, o, "mps");
        num(j, mp, "kept", r->spec.mps_kept);
        num(j, mp, "bond", (double)r->spec.mps_bond);
        num(j, mp, "sweeps", r->spec.mps_sweeps);
        num(j, mp, "discarded", r->spec.mps_discarded);
    }
    cJSON *al = cJSON_AddBoolToObject(o, "aligned", (r->spec.aligned & QP_COORD_ALIGNED) != 0);
    cJSON *sh = cJSON_AddBoolToObject(o, "sheared", (r->spec.aligned & QP_COORD_SHEARED) != 0);
    cJSON *ex = cJSON_AddBoolToObject(o, "extended", (r->spec.aligned & QP_COORD_EXTENDED) != 0);
    j->fail |= al == NULL || sh == NULL || ex == NULL;
    if (r->spec.aligned & QP_COORD_EXTENDED) {
        num(j, o, "slip_width_GHz", r->spec.slip);
    }
    if (r->spec.hier) {
        hier_json(j, o, r);
    }
    if (r->kind == QP_AN_MATRIX) {
        matrix_json(j, o, c, r);
    } else if (r->kind == QP_AN_WAVE) {
        wave_json(j, o, c, r);
    } else if (r->kind == QP_AN_COHERENCE) {
        coherence_json(j, o, r);
    }
}

char *qp_report_json_circuit(const qp_circuit *c, const qp_modes *m, const qp_results *res)
{
    jctx j = {0};
    cJSON *co = cJSON_CreateObject();
    if (!co) {
        return NULL;
    }
    circuit_json(&j, co, c, m, res);
    char *s = j.fail ? NULL : cJSON_Print(co);
    cJSON_Delete(co);
    return s;
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
