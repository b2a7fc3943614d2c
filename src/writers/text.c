/* Writers: the circuit, its modes and the computed analyses as text tables, returned as strings. */
#include "qpsim/report.h"
#include "writers/report_impl.h"
#include "base/strbuf.h"
#include "qpsim/units.h"

#include "qp_config.h"

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
                                    "mutual",    "resistor", "I source", "V source",
                                    "VCVS",      "VCCS",     "CCCS",     "CCVS",
                                    "T line"};
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
        }
        if (e->area != 1.0) {
            qp_sb_printf(b, "%s area %.6g", e->model ? " x" : "  ", e->area);
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
    case QP_EL_E:
    case QP_EL_G:
    case QP_EL_F:
    case QP_EL_H:
        qp_sb_printf(b, "control %s -> %s   gain = %.6g%s", c->node_names[e->nc[0]],
                     c->node_names[e->nc[1]], e->value,
                     e->kind == QP_EL_G ? " S" : e->kind == QP_EL_H ? " Ohm" : "");
        break;
    case QP_EL_T:
        qp_report_si(v1, sizeof v1, e->value, "Ohm");
        qp_report_si(v2, sizeof v2, e->td, "s");
        qp_sb_printf(b, "port 2 %s -> %s   Z0 = %s   TD = %s", c->node_names[e->nc[0]],
                     c->node_names[e->nc[1]], v1, v2);
        break;
    default:
        wave_text(b, e);
        break;
    }
    qp_sb_putc(b, '\n');
}

static void analysis_text(qp_strbuf *b, const qp_circuit *c, const qp_analysis *a)
{
    char x[40], y[40], z[40];
    qp_sb_printf(b, "  %-9s ", qp_analysis_directive(a->kind));
    switch (a->kind) {
    case QP_AN_SPECTRUM:
        qp_sb_printf(b, "levels=%d", a->levels);
        break;
    case QP_AN_SWEEP:
        qp_sb_printf(b, "%s from %.9g to %.9g, %d points%s", a->param, a->start, a->stop, a->points,
                     a->fixed ? " (not run: --set fixes it)" : "");
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
    case QP_AN_COHERENCE:
        qp_sb_printf(b, "from=%d to=%d", a->coh.from, a->coh.to);
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

char *qp_report_check_text(const qp_circuit *c, const qp_modes *m, const char *why)
{
    qp_strbuf b = {0};
    char *t = qp_report_circuit_text(c);
    char *mt = m ? qp_report_modes_text(c, m, NULL) : NULL;
    qp_sb_puts(&b, t ? t : "");
    if (mt) {
        qp_sb_puts(&b, mt);
    } else if (!m && why) {
        qp_sb_printf(&b, "modes: none (%s)\n", why);
    }
    free(t), free(mt);
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
    if (f->periods == 0 && f->f_theory > 0.0) { /* moving, but no whole period was counted */
        qp_sb_printf(b, " no period counted in the second half (mean %s = %s, %s = %.10g Hz)\n",
                     f->dual ? "I" : "V", a, f->dual ? "I/2e" : "V/Phi0", f->f_theory);
        return;
    }
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
    if (c->temp > 0.0) {
        qp_sb_printf(b, "  thermal noise at %.6g K (seed %llu): Johnson-Nyquist currents of every R "
                     "and junction rn=, constant over each TSTEP\n", c->temp,
                     c->analyses[r->analysis].seed);
    }
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
                     an->ops[q].name, qp_states_operator_unit(an->ops[q].kind), r->param);
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
/* A time in readable units, or "inf" (no effect: a sweet spot, a selection rule). */
static void time_text(char *buf, size_t len, double t)
{
    if (isfinite(t)) {
        qp_report_si(buf, len, t, "s");
    } else {
        snprintf(buf, len, "inf");
    }
}

/* .coherence: one table of channel times (unswept), or one row per sweep point. */
static void coherence_text(qp_strbuf *b, const qp_result *r)
{
    const qp_coherence_out *h = &r->coh;
    char x[40];
    int same = 1; /* one temperature at every point: in the title, else a column */
    for (size_t p = 1; p < r->npoints; p++) {
        same &= h->temp[p] == h->temp[0];
    }
    if (same) {
        qp_sb_printf(b, "  coherence of the transition %d -> %d at %.4g mK (times; rates add up)\n",
                     h->from, h->to, h->temp[0] * 1e3);
    } else {
        qp_sb_printf(b, "  coherence of the transition %d -> %d at the temperature of each point "
                     "(times; rates add up)\n", h->from, h->to);
    }
    if (!r->param) {
        qp_sb_puts(b, "    channel                         time            rate [1/s]\n");
        for (int ch = 0; ch < QP_CH_COUNT; ch++) {
            if (h->present >> ch & 1u) {
                double rate = h->rate[ch];
                time_text(x, sizeof x, rate > 0.0 ? 1.0 / rate : INFINITY);
                qp_sb_printf(b, "    %-30s  %-14s  %.6g\n", qp_channel_name((qp_channel)ch), x,
                             rate);
            }
        }
        time_text(x, sizeof x, h->t1[0]);
        qp_sb_printf(b, "  T1 = %s", x);
        time_text(x, sizeof x, h->t2[0]);
        qp_sb_printf(b, "   T2 = %s\n", x);
        return;
    }
    qp_sb_printf(b, "  %-14s", r->param);
    if (r->param2) {
        qp_sb_printf(b, "  %-14s", r->param2);
    }
    if (!same) {
        qp_sb_printf(b, "  %-10s", "T [mK]");
    }
    qp_sb_printf(b, "  %-14s  %-12s  %-12s", "f [GHz]", "T1", "T2");
    for (int ch = 0; ch < QP_CH_COUNT; ch++) {
        if (h->present >> ch & 1u) {
            qp_sb_printf(b, "  %-26s", qp_channel_name((qp_channel)ch));
        }
    }
    qp_sb_putc(b, '\n');
    for (size_t p = 0; p < r->npoints; p++) {
        qp_sb_printf(b, "  %-14.9g", r->values[p]);
        if (r->param2) {
            qp_sb_printf(b, "  %-14.9g", r->values2[p]);
        }
        if (!same) {
            qp_sb_printf(b, "  %-10.4g", h->temp[p] * 1e3);
        }
        qp_sb_printf(b, "  %-14.10f", fabs(h->f[p]));
        time_text(x, sizeof x, h->t1[p]);
        qp_sb_printf(b, "  %-12s", x);
        time_text(x, sizeof x, h->t2[p]);
        qp_sb_printf(b, "  %-12s", x);
        for (int ch = 0; ch < QP_CH_COUNT; ch++) {
            if (h->present >> ch & 1u) {
                double rate = h->rate[p * QP_CH_COUNT + (size_t)ch];
                time_text(x, sizeof x, rate > 0.0 ? 1.0 / rate : INFINITY);
                qp_sb_printf(b, "  %-26s", x);
            }
        }
        qp_sb_putc(b, '\n');
    }
}

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
        qp_sb_printf(b, "  <i|%s|j> [%s]%s\n  %5s", an->ops[q].name,
                     qp_states_operator_unit(an->ops[q].kind), cplx ? ", re + im i" : "", "i\\j");
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

/* What grew in the convergence check of a spectrum. */
static const char *grew_text(const qp_result *r)
{
    return r->spec.hier ? "kept states" : r->spec.mps ? "kept local states and bond" : "basis";
}

/* The end of the convergence line (size and solver); for a matrix-product-state spectrum also
 * what it kept. */
static void solver_text(qp_strbuf *b, const qp_result *r)
{
    if (!r->spec.mps && r->spec.processes > 1) {
        qp_sb_printf(b, "; dim %zu, %s eigensolver (PARPACK) on %d processes\n",
                     r->spec.dim[r->npoints - 1], qp_eig_method_name(r->spec.method),
                     r->spec.processes);
        return;
    }
    if (!r->spec.mps) {
        qp_sb_printf(b, "; dim %zu, %s eigensolver\n", r->spec.dim[r->npoints - 1],
                     qp_eig_method_name(r->spec.method));
        return;
    }
    qp_sb_printf(b, "; two-site block %zu, DMRG (block Davidson)\n", r->spec.dim[r->npoints - 1]);
    qp_sb_printf(b, "  mps: %zu sites in branch coordinates (junction phases), ncut %d, %d kept "
                    "local states, bond %zu, %d sweep pairs, discarded weight %.2g\n",
                 r->spec.nmodes, r->spec.cut ? r->spec.cut[0] : 0, r->spec.mps_kept,
                 r->spec.mps_bond, r->spec.mps_sweeps, r->spec.mps_discarded);
}

/* The hierarchy of a hierarchical spectrum: the groups (modes as `check` lists them, or in
 * junction-aligned coordinates), the states kept in each, and the energy cutoff. */
/* The level table of an unswept spectrum, with each level's bare-state label and its weight
 * when the spectrum has labels. */
static void levels_text(qp_strbuf *b, const qp_spectrum_out *s)
{
    char name[128];
    qp_sb_puts(b, "  level          E [GHz]      E - E0 [GHz]");
    if (s->nlab > 0) {
        qp_sb_puts(b, "  bare state (");
        for (size_t a = 0; a < s->nlab; a++) {
            qp_report_part_name(name, sizeof name, s, a);
            qp_sb_printf(b, "%s%s", a ? ", " : "", name);
        }
        qp_sb_puts(b, ")  weight");
    }
    qp_sb_putc(b, '\n');
    for (int k = 0; k < s->nlev; k++) {
        qp_sb_printf(b, "  %5d  %16.10f  %16.10f", k, s->levels[k], s->levels[k] - s->levels[0]);
        for (size_t a = 0; a < s->nlab; a++) {
            qp_sb_printf(b, "%s%d", a ? ", " : "  (", s->label[(size_t)k * s->nlab + a]);
        }
        if (s->nlab > 0) {
            qp_sb_printf(b, ")  %.4f", s->lab_weight[k]);
        }
        qp_sb_putc(b, '\n');
    }
}

/* What the labels give: anharmonicities of qubit-like modes, chi and ZZ (docs/physics.md). */
static void labels_text(qp_strbuf *b, const qp_spectrum_out *s)
{
    char na[128], nb[128];
    for (size_t a = 0; a < s->nlab; a++) {
        if (isfinite(s->lab_anharm[a])) {
            qp_report_part_name(na, sizeof na, s, a);
            qp_sb_printf(b, "  anharmonicity of %s, E(2) - 2 E(1) + E(0) = %.10f GHz\n", na,
                         s->lab_anharm[a]);
        }
    }
    for (size_t a = 0; a < s->nlab; a++) {
        for (size_t c = a + 1; c < s->nlab; c++) {
            double v = s->lab_chi[a * s->nlab + c];
            if (isfinite(v)) {
                qp_report_part_name(na, sizeof na, s, a);
                qp_report_part_name(nb, sizeof nb, s, c);
                qp_sb_printf(b, "  %s(%s, %s) = E(11) - E(10) - E(01) + E(00) = %.10f GHz\n",
                             s->lab_anh[a] && s->lab_anh[c] ? "ZZ" : "chi", na, nb, v);
            }
        }
    }
}

static void hier_text(qp_strbuf *b, const qp_result *r)
{
    qp_sb_printf(b, "  hierarchical: %zu groups", r->spec.ngroups);
    for (size_t g = 0; g < r->spec.ngroups; g++) {
        qp_sb_puts(b, g ? " " : " (");
        int first = 1;
        for (size_t i = 0; i < r->spec.nmodes; i++) {
            if (r->spec.group[i] == (int)g) {
                qp_sb_printf(b, "%sm%zu", first ? "" : "+", i + 1);
                first = 0;
            }
        }
    }
    qp_sb_puts(b, "), kept states");
    for (size_t g = 0; g < r->spec.ngroups; g++) {
        qp_sb_printf(b, " %d", r->spec.kept[g]);
    }
    qp_sb_printf(b, "; %zu product states with summed excitation energy below %.4g GHz\n",
                 r->spec.dim[r->npoints - 1], r->spec.ecut);
}

/* Wavefunctions: the grid and, per level, the norm on the grid by the trapezoidal rule (1 when
 * the range holds the state and the grid resolves it). */
static void wavefunction_text(qp_strbuf *b, const qp_circuit *c, const qp_result *r)
{
    const qp_wavefunctions *w = &r->spec.wave;
    qp_sb_puts(b, "  wavefunctions on");
    for (size_t v = 0; v < w->nvar; v++) {
        char name[64];
        qp_report_wave_var_name(name, sizeof name, c, w, v);
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
                         qp_analysis_directive(r->kind), file, r->loc.line);
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
                     r->kind == QP_AN_MATRIX      ? "matrix elements: levels"
                     : r->kind == QP_AN_WAVE      ? "wavefunctions: levels"
                     : r->kind == QP_AN_COHERENCE ? "coherence: levels"
                                                  : "spectrum",
                     file, r->loc.line);
        if (r->spec.checked) {
            double dmax = 0.0;
            for (size_t p = 0; p < r->npoints; p++) {
                dmax = fmax(dmax, r->spec.delta[p]);
            }
            qp_sb_printf(&b, ", converged: levels changed by %.2g GHz (tol %.2g) when the %s grew",
                         dmax, r->spec.tol, grew_text(r));
            if (r->spec.sweep_cut) {
                qp_sb_puts(&b, " at the first, middle and last points (the others reuse their "
                               "largest basis)");
            }
        } else {
            qp_sb_puts(&b, ", fixed cutoffs (convergence not checked)");
        }
        solver_text(&b, r);
        if (r->spec.hier) {
            hier_text(&b, r);
        }
        if (r->spec.aligned & QP_COORD_ALIGNED) {
            qp_sb_puts(&b, "  oscillator modes in junction-aligned coordinates (each junction "
                           "phase one mode): cutoffs and groups refer to those\n");
        }
        if (r->spec.aligned & QP_COORD_EXTENDED) {
            qp_sb_printf(&b, "  junction phase slips neglected (largest band width %.2g GHz, "
                             "below 1%% of tol): charge modes solved as extended normal modes, "
                             "softest first; cutoffs and groups refer to those, offsets have no "
                             "effect\n", r->spec.slip);
        }
        if (r->spec.aligned & QP_COORD_SHEARED) {
            qp_sb_puts(&b, "  charge (or fluxoid) modes sheared off the oscillators they are strongly "
                           "coupled to: cutoffs and groups refer to those coordinates\n");
        }
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
            } else if (r->kind == QP_AN_COHERENCE) {
                coherence_text(&b, r);
            }
            continue;
        }
        levels_text(&b, &r->spec);
        if (r->spec.nlev > 1) {
            qp_sb_printf(&b, "  f01 = %.10f GHz", r->spec.levels[1] - r->spec.levels[0]);
        }
        if (r->spec.nlev > 2 && r->spec.nmodes == 1) { /* meaningless across several modes */
            qp_sb_printf(&b, "   anharmonicity f12 - f01 = %.10f GHz",
                         r->spec.levels[2] - 2.0 * r->spec.levels[1] + r->spec.levels[0]);
        }
        qp_sb_putc(&b, '\n');
        labels_text(&b, &r->spec);
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
        } else if (r->kind == QP_AN_COHERENCE) {
            coherence_text(&b, r);
        }
    }
    return qp_sb_take(&b);
}
