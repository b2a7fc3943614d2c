/* Analyses driver: every analysis of a deck in order, each by its runner; Bloch bands and
 * transients here, spectra in run_spectrum.c, states in run_states.c, sweeps in sweep.c. */
#include "analyses/run_impl.h"
#include "circuit/shunt.h"

#include "base/strbuf.h"
#include "qpsim/units.h"
#include "base/vec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* .bands: EC from the junction's capacitance plus the capacitors between the same two nodes; for
 * a phase-slip junction the loop inductance is that of the inductors between the same nodes (in
 * parallel), and the bands are those of EL'(m - f)^2 - ES cos(2 pi q), i.e. EC -> EL'/4, EJ -> ES. */
static qp_status run_bands(const qp_runner *R, size_t k, qp_result *r)
{
    const qp_circuit *c = R->job->c;
    qp_diag *d = R->d;
    const qp_analysis *an = &c->analyses[k];
    const qp_element *el = &c->elem[an->element];
    if (R->sweep) { /* not repeated per point (yet): said, not silently left at one point */
        qp_diag_add(d, QP_SEV_WARNING, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                    ".bands is computed once, at the nominal parameter values (it is not swept)");
    }
    /* capacitance [F] or inverse inductance [1/H] across the element */
    double sum = el->kind == QP_EL_B ? qp_shunt_capacitance(c, (size_t)an->element)
                                     : qp_shunt_inverse_inductance(c, (size_t)an->element);
    if (!(sum > 0.0)) {
        qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                    el->kind == QP_EL_B
                        ? ".bands %s: the junction has no capacitance (give it c= or a capacitor "
                          "between the same two nodes)"
                        : ".bands %s: no inductor between the same two nodes closes the "
                          "phase-slip junction's loop",
                    el->name);
        return QP_ERR_INPUT;
    }
    r->band.element = an->element;
    r->band.dual = el->kind == QP_EL_Q;
    double ec, ej;
    if (r->band.dual) {
        ec = 2.0 * QP_PI * QP_PI * qp_units_el_from_l(1.0 / sum) / 4.0; /* EL'/4 */
        ej = qp_element_es(el);
    } else {
        ec = qp_units_ec_from_c(sum);
        ej = qp_element_ej(el);
    }
    char err[256] = "";
    qp_status st =
        qp_bands_compute(ec, ej, an->levels, an->points, &r->band.table, err, sizeof err);
    if (st != QP_OK) {
        qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                    ".bands %s: %s", el->name, err[0] ? err : qp_status_str(st));
        /* EJ/EC out of range is the deck's (exit 1); the rest a numerical failure (exit 3) */
        return st == QP_ERR_NOMEM ? st : st == QP_ERR_USAGE ? QP_ERR_INPUT : QP_ERR_NUMERIC;
    }
    /* dE/dQ with E = h E[GHz] 1e9 and Q = 2e q; dual: dE/dPhi with Phi = Phi0 f */
    double joule = QP_H * QP_GHZ * r->band.table.slope_max;
    r->band.slope_si = r->band.dual ? joule / QP_PHI0 : joule / (2.0 * QP_QE);
    return QP_OK;
}

/* .tran: one run with traces, or (with a .sweep) one run per point keeping the frequency and
 * mean-bias reports: the I-V curve. */
static qp_status tran_point(const qp_circuit *c, size_t k, int keep, const qp_settings *s,
                            qp_tran_result *tr, qp_diag *d, const char *where)
{
    const qp_analysis *an = &c->analyses[k];
    char err[512] = "";
    qp_status st = qp_tran_run(c, an, keep, s ? s->progress : NULL, s ? s->progress_ctx : NULL,
                               tr, err, sizeof err);
    char warn[512] = "";
    if (st == QP_OK) { /* an aliased frequency is refused; a weak one is warned about */
        st = qp_tran_resolution(c, an, tr, err, sizeof err, warn, sizeof warn);
    }
    if (warn[0]) {
        qp_diag_add(d, QP_SEV_WARNING, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                    ".tran%s%s: %s", where[0] ? " " : "", where, warn);
    }
    if (st != QP_OK) {
        qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                    ".tran%s%s: %s", where[0] ? " " : "", where, err[0] ? err : qp_status_str(st));
    }
    return st;
}

/* Point p >= 1 of a swept transient (a qp_sweep_point_fn): its frequency reports. */
static qp_status tran_sweep_point(const qp_circuit *cp, size_t k, qp_result *r, size_t p,
                                  qp_worker_cache *cache, qp_diag *d, const char *where)
{
    (void)cache;
    qp_tran_result tr = {0};
    qp_status st = tran_point(cp, k, 0, NULL, &tr, d, where);
    if (st == QP_OK && tr.nfreq == r->tran.nfreq) {
        memcpy(r->tran.iv + p * r->tran.nfreq, tr.freq, tr.nfreq * sizeof *tr.freq);
    }
    qp_tran_free(&tr);
    return st;
}

/* Point 0 of a swept transient (a qp_sweep_first_fn): sizes the frequency reports. */
static qp_status tran_sweep_first(const qp_runner *R, const qp_circuit *cp, size_t k,
                                  qp_result *r, const char *where)
{
    qp_tran_result tr = {0};
    qp_status st = tran_point(cp, k, 0, NULL, &tr, R->d, where);
    if (st == QP_OK) {
        r->tran.nfreq = tr.nfreq;
        r->tran.iv = calloc(r->npoints * (tr.nfreq ? tr.nfreq : 1), sizeof *r->tran.iv);
        st = r->tran.iv ? QP_OK : QP_ERR_NOMEM;
    }
    if (st == QP_OK) {
        memcpy(r->tran.iv, tr.freq, tr.nfreq * sizeof *tr.freq);
    }
    qp_tran_free(&tr);
    return st;
}

static void tran_spectra_free(qp_tran_spectra *s)
{
    for (size_t q = 0; s->power && q < s->n; q++) {
        free(s->power[q]);
    }
    free(s->power);
    free(s->col);
    memset(s, 0, sizeof *s);
}

/* The spectra the writers show for an unswept transient with traces: one per junction whose
 * signal (Is, or V of a phase-slip junction) the traces hold, in frequency-report order; when
 * .print keeps none of them, one per column it asks for. None
 * (n = 0) when the traces are too short for qp_tran_spectrum or none is kept; when a spectrum
 * cannot be made (out of memory, a degenerate trace) there are none either, as the writers never
 * showed a partial set: the analysis itself stands. QP_ERR_NOMEM only when the list itself
 * cannot be allocated. */
static qp_status tran_spectra(const qp_circuit *c, const qp_tran_result *t, qp_tran_spectra *s)
{
    memset(s, 0, sizeof *s);
    if (t->nt < 16 || (t->nfreq == 0 && c->nprints == 0)) { /* 16: qp_tran_spectrum's shortest */
        return QP_OK;
    }
    size_t room = t->nfreq > t->ncol ? t->nfreq : t->ncol;
    s->power = calloc(room ? room : 1, sizeof *s->power);
    s->col = calloc(room ? room : 1, sizeof *s->col);
    if (!s->power || !s->col) {
        tran_spectra_free(s);
        return QP_ERR_NOMEM;
    }
    for (size_t e = 0; e < t->nfreq; e++) {
        const qp_tran_freq *f = &t->freq[e];
        char want[600];
        snprintf(want, sizeof want, "%s(%s)", f->dual ? "V" : "Is", c->elem[f->element].name);
        for (size_t i = 0; i < t->ncol; i++) {
            if (strcmp(t->col[i], want) == 0) {
                if (qp_tran_spectrum(t, i, &s->power[s->n], &s->nb, &s->df) != 0) {
                    tran_spectra_free(s);
                    return QP_OK;
                }
                s->col[s->n++] = i;
                break;
            }
        }
    }
    /* .print left out every junction's signal: the spectra of the columns it asked for */
    for (size_t i = 0; s->n == i && c->nprints > 0 && i < t->ncol; i++) {
        if (qp_tran_spectrum(t, i, &s->power[s->n], &s->nb, &s->df) != 0) {
            tran_spectra_free(s);
            return QP_OK;
        }
        s->col[s->n++] = i;
    }
    return QP_OK;
}

static qp_status run_tran(const qp_runner *R, size_t k, qp_result *r)
{
    const qp_circuit *c = R->job->c;
    qp_diag *d = R->d;
    const qp_settings *s = qp_context_settings(R->ctx);
    if (!R->sweep) {
        r->npoints = 1;
        qp_status st = tran_point(c, k, s->keep_traces, s, &r->tran.run, d, "");
        return st == QP_OK ? tran_spectra(c, &r->tran.run, &r->tran.spectra) : st;
    }
    return qp_sweep_run(R, k, r, tran_sweep_first, NULL, tran_sweep_point);
}

static void result_free(qp_result *r)
{
    free(r->param), free(r->values), free(r->spec.levels), free(r->spec.delta), free(r->spec.dim);
    free(r->param2), free(r->values2);
    free(r->spec.cut), free(r->spec.disp_node), free(r->spec.disp);
    free(r->spec.group), free(r->spec.kept), free(r->spec.sweep_cut);
    qp_bands_free(&r->band.table);
    qp_tran_free(&r->tran.run);
    free(r->tran.iv);
    tran_spectra_free(&r->tran.spectra);
    free(r->spec.mre), free(r->spec.mim);
    free(r->spec.lab_group), free(r->spec.lab_anh), free(r->spec.label);
    free(r->spec.lab_weight), free(r->spec.lab_anharm), free(r->spec.lab_chi);
    free(r->coh.temp), free(r->coh.f), free(r->coh.rate), free(r->coh.t1), free(r->coh.t2);
    qp_states_wave_free(&r->spec.wave);
}

/* The sweep plan of c: its one or two .sweep directives. */
static qp_status make_plan(const qp_circuit *c, qp_sweep_plan *plan, qp_diag *d)
{
    *plan = (qp_sweep_plan){{NULL, NULL}, 0, 1};
    for (size_t k = 0; k < c->nanalyses; k++) {
        const qp_analysis *an = &c->analyses[k];
        if (an->kind != QP_AN_SWEEP || an->fixed) { /* fixed: its parameter is set (--set) */
            continue;
        }
        if (plan->n == 2) {
            qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                        "at most two .sweep directives (a 2-D sweep) per deck");
            return QP_ERR_INPUT;
        }
        if (plan->n == 1 && qp_ieq(plan->sw[0]->param, an->param)) {
            qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                        "'%s' is swept twice", an->param);
            return QP_ERR_INPUT;
        }
        if ((double)plan->points * an->points > QP_SWEEP2_MAX_POINTS) { /* elaboration says it */
            qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                        "the 2-D sweep would have %.3g points (at most %.0e)",
                        (double)plan->points * an->points, QP_SWEEP2_MAX_POINTS);
            return QP_ERR_INPUT;
        }
        plan->sw[plan->n++] = an;
        plan->points *= (size_t)an->points;
    }
    return QP_OK;
}

/* A bounded run (qp_settings cap_*): what the deck asks, refused at its place before anything is
 * computed when it passes a cap. The caps on the states and on a transient's unknowns and steps
 * are applied where those are known (qp_context_active). */
static qp_status within_caps(const qp_circuit *c, const qp_sweep_plan *plan, const qp_settings *s,
                             qp_diag *d)
{
    size_t errors = d->errors;
    if (s->cap_points && plan->points > s->cap_points) {
        const qp_analysis *last = plan->sw[plan->n - 1];
        qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, last->loc), last->loc.line,
                    last->loc.col, "%zu sweep points pass this run's cap of %zu", plan->points,
                    s->cap_points);
    }
    for (size_t k = 0; k < c->nanalyses; k++) {
        const qp_analysis *an = &c->analyses[k];
        const char *what = qp_analysis_directive(an->kind), *file = qp_circuit_file(c, an->loc);
        int levels = an->kind != QP_AN_SWEEP && an->kind != QP_AN_TRAN;
        int points = an->kind == QP_AN_BANDS || an->kind == QP_AN_WAVE;
        double samples = an->kind == QP_AN_TRAN ? (an->tstop - an->tstart) / an->tstep + 1.0 : 0;
        if (levels && s->cap_levels && (size_t)an->levels > s->cap_levels) {
            qp_diag_add(d, QP_SEV_ERROR, file, an->loc.line, an->loc.col,
                        "%s: %d levels pass this run's cap of %zu", what, an->levels,
                        s->cap_levels);
        } else if (points && s->cap_grid && (size_t)an->points > s->cap_grid) {
            qp_diag_add(d, QP_SEV_ERROR, file, an->loc.line, an->loc.col,
                        "%s: %d points pass this run's cap of %zu", what, an->points,
                        s->cap_grid);
        } else if (s->cap_samples && samples > (double)s->cap_samples) {
            qp_diag_add(d, QP_SEV_ERROR, file, an->loc.line, an->loc.col,
                        "%s: %.3g samples pass this run's cap of %zu", what, samples,
                        s->cap_samples);
        }
    }
    return d->errors > errors ? QP_ERR_INPUT : QP_OK;
}

qp_status qp_run(qp_context *ctx, const qp_job *job, qp_results *out, qp_diag *d)
{
    memset(out, 0, sizeof *out);
    const qp_circuit *c = job->c;
    qp_sweep_plan plan;
    if (make_plan(c, &plan, d) != QP_OK) {
        return QP_ERR_INPUT;
    }
    qp_runner R = {ctx, job, plan.n ? &plan : NULL, out, d};
    qp_status st = within_caps(c, &plan, qp_context_settings(ctx), d);
    const qp_settings *before = qp_context_activate(qp_context_settings(ctx));
    for (size_t k = 0; k < c->nanalyses && st == QP_OK; k++) {
        const qp_analysis *an = &c->analyses[k];
        if (an->kind == QP_AN_SWEEP) {
            continue;
        }
        qp_result r = {0};
        r.kind = an->kind;
        r.analysis = k;
        r.loc = an->loc;
        size_t errors = d->errors;
        if (an->kind == QP_AN_SPECTRUM) {
            r.computed = 1;
            st = qp_run_spectrum(&R, k, &r);
        } else if (an->kind == QP_AN_BANDS) {
            r.computed = 1;
            st = run_bands(&R, k, &r);
        } else if (an->kind == QP_AN_TRAN) {
            r.computed = 1;
            st = run_tran(&R, k, &r);
        } else if (an->kind == QP_AN_MATRIX || an->kind == QP_AN_WAVE ||
                   an->kind == QP_AN_COHERENCE) {
            r.computed = 1;
            st = qp_run_states(&R, k, &r);
        }
        qp_context_drop_caches(ctx);
        if (!QP_PUSH(out->r, out->n, r)) { /* on success the results own r's arrays */
            result_free(&r);
            st = QP_ERR_NOMEM;
        }
        if (st == QP_ERR_NOMEM && d->errors == errors) { /* every failure says what failed */
            qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                        "out of memory while computing %s", qp_analysis_directive(an->kind));
        }
    }
    if (st != QP_OK) {
        qp_results_free(out);
    }
    qp_context_activate(before);
    return st;
}

qp_status qp_run_analyses(const qp_deck *deck, const qp_override *ov, size_t nov,
                          const qp_circuit *c, qp_results *out, qp_diag *d)
{
    memset(out, 0, sizeof *out);
    qp_context *ctx = NULL;
    if (qp_context_create(NULL, &ctx) != QP_OK) {
        return QP_ERR_NOMEM;
    }
    qp_job job = {deck, ov, nov, c};
    qp_status st = qp_run(ctx, &job, out, d);
    qp_context_free(ctx);
    return st;
}

void qp_results_free(qp_results *res)
{
    for (size_t i = 0; i < res->n; i++) {
        result_free(&res->r[i]);
    }
    free(res->r);
    qp_modes_free(res->modes);
    free(res->cut);
    memset(res, 0, sizeof *res);
}
