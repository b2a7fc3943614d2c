/* Writers: computed analyses as CSV tables (returned as strings). */
#include "qpsim/report.h"
#include "writers/report_impl.h"
#include "base/strbuf.h"
#include "qpsim/units.h"

#include "qp_config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A swept transient: per point the mean bias and the frequencies of every junction. */
static void csv_iv(qp_strbuf *b, const qp_circuit *c, const qp_result *r)
{
    qp_sb_puts(b, r->param);
    if (r->param2) {
        qp_sb_printf(b, ",%s", r->param2);
    }
    for (size_t e = 0; e < r->tran.nfreq; e++) {
        const char *nm = c->elem[r->tran.iv[e].element].name;
        qp_sb_printf(b, ",mean_V(%s)_V,mean_I(%s)_A,f_sim(%s)_Hz,f_theory(%s)_Hz", nm, nm, nm,
                     nm);
    }
    qp_sb_putc(b, '\n');
    for (size_t p = 0; p < r->npoints; p++) {
        qp_sb_printf(b, "%.17g", r->values[p]);
        if (r->param2) {
            qp_sb_printf(b, ",%.17g", r->values2[p]);
        }
        for (size_t e = 0; e < r->tran.nfreq; e++) {
            const qp_tran_freq *f = &r->tran.iv[p * r->tran.nfreq + e];
            qp_sb_printf(b, ",%.17g,%.17g,%.17g,%.17g", f->mean_v, f->mean_i, f->f_sim,
                         f->f_theory);
        }
        qp_sb_putc(b, '\n');
    }
}

/* An unswept transient: its traces, time first. */
static void csv_traces(qp_strbuf *b, const qp_circuit *c, const qp_result *r)
{
    (void)c;
    const qp_tran_result *t = &r->tran.run;
    qp_sb_puts(b, "time"); /* seconds; JoSIM names its time column so */
    for (size_t i = 0; i < t->ncol; i++) {
        qp_sb_printf(b, ",%s", t->col[i]);
    }
    qp_sb_putc(b, '\n');
    for (size_t k = 0; k < t->nt; k++) {
        const double *row = t->data + k * (t->ncol + 1);
        qp_sb_putg(b, row[0], 15);
        for (size_t i = 0; i < t->ncol; i++) {
            qp_sb_putc(b, ',');
            qp_sb_putg(b, row[i + 1], 10);
        }
        qp_sb_putc(b, '\n');
    }
}

/* Matrix elements, one row per operator and pair of levels (and sweep point). */
static void csv_matrix(qp_strbuf *b, const qp_circuit *c, const qp_result *r)
{
    const qp_analysis *an = &c->analyses[r->analysis];
    size_t L = (size_t)r->spec.nlev;
    if (r->param) {
        qp_sb_printf(b, "%s,", r->param);
        if (r->param2) {
            qp_sb_printf(b, "%s,", r->param2);
        }
    }
    qp_sb_puts(b, "operator,unit,i,j,re,im,abs\n");
    for (size_t p = 0; p < r->npoints; p++) {
        for (size_t q = 0; q < r->spec.nops; q++) {
            const double *re = r->spec.mre + (p * r->spec.nops + q) * L * L;
            const double *im = r->spec.mim + (p * r->spec.nops + q) * L * L;
            for (size_t i = 0; i < L; i++) {
                for (size_t jj = 0; jj < L; jj++) {
                    if (r->param) {
                        qp_sb_printf(b, "%.17g,", r->values[p]);
                        if (r->param2) {
                            qp_sb_printf(b, "%.17g,", r->values2[p]);
                        }
                    }
                    double x = re[i * L + jj], y = im[i * L + jj];
                    qp_sb_printf(b, "%s,%s,%zu,%zu,%.17g,%.17g,%.17g\n", an->ops[q].name,
                                 qp_states_operator_unit(an->ops[q].kind), i, jj, x, y,
                                 hypot(x, y));
                }
            }
        }
    }
}

/* Wavefunctions on their grid, real and imaginary part per level. */
static void csv_wave(qp_strbuf *b, const qp_circuit *c, const qp_result *r)
{
    const qp_wavefunctions *w = &r->spec.wave;
    char name[64];
    for (size_t v = 0; v < w->nvar; v++) {
        qp_report_wave_var_name(name, sizeof name, c, w, v);
        qp_sb_printf(b, "%s%s", v ? "," : "", name);
    }
    for (int k = 0; k < w->nlev; k++) {
        qp_sb_printf(b, ",re_psi%d,im_psi%d", k, k);
    }
    qp_sb_putc(b, '\n');
    size_t np = w->npts[0] * w->npts[1];
    for (size_t p1 = 0; p1 < w->npts[0]; p1++) {
        for (size_t p2 = 0; p2 < w->npts[1]; p2++) {
            qp_sb_putg(b, w->x[0][p1], 15);
            if (w->nvar == 2) {
                qp_sb_putc(b, ',');
                qp_sb_putg(b, w->x[1][p2], 15);
            }
            for (int k = 0; k < w->nlev; k++) {
                size_t at = (size_t)k * np + p1 * w->npts[1] + p2;
                qp_sb_putc(b, ',');
                qp_sb_putg(b, w->re[at], 15);
                qp_sb_putc(b, ',');
                qp_sb_putg(b, w->im[at], 15);
            }
            qp_sb_putc(b, '\n');
        }
    }
}

/* Bloch bands: the levels against the quasicharge (or the loop flux). */
static void csv_bands(qp_strbuf *b, const qp_circuit *c, const qp_result *r)
{
    (void)c;
    const qp_bands *bd = &r->band.table;
    qp_sb_puts(b, r->band.dual ? "f" : "q");
    for (int k = 0; k < bd->nlev; k++) {
        qp_sb_printf(b, ",E%d_GHz", k);
    }
    qp_sb_putc(b, '\n');
    for (int p = 0; p < bd->nq; p++) {
        qp_sb_printf(b, "%.17g", bd->q[p]);
        for (int k = 0; k < bd->nlev; k++) {
            qp_sb_printf(b, ",%.17g", bd->E[(size_t)p * (size_t)bd->nlev + (size_t)k]);
        }
        qp_sb_putc(b, '\n');
    }
}

/* A spectrum: levels against the swept parameters, or one level per row. */
static void csv_spectrum(qp_strbuf *b, const qp_circuit *c, const qp_result *r)
{
    (void)c;
    if (r->param) {
        qp_sb_puts(b, r->param);
        if (r->param2) {
            qp_sb_printf(b, ",%s", r->param2);
        }
        for (int k = 0; k < r->spec.nlev; k++) {
            qp_sb_printf(b, ",E%d_GHz", k);
        }
        qp_sb_putc(b, '\n');
        for (size_t p = 0; p < r->npoints; p++) {
            qp_sb_printf(b, "%.17g", r->values[p]);
            if (r->param2) {
                qp_sb_printf(b, ",%.17g", r->values2[p]);
            }
            for (int k = 0; k < r->spec.nlev; k++) {
                qp_sb_printf(b, ",%.17g", r->spec.levels[p * (size_t)r->spec.nlev + (size_t)k]);
            }
            qp_sb_putc(b, '\n');
        }
    } else {
        qp_sb_puts(b, "level,E_GHz,E_minus_E0_GHz\n");
        for (int k = 0; k < r->spec.nlev; k++) {
            qp_sb_printf(b, "%d,%.17g,%.17g\n", k, r->spec.levels[k],
                         r->spec.levels[k] - r->spec.levels[0]);
        }
    }
}

/* .coherence: one row per point: the swept value, f, T1, T2 and every channel's time [s]
 * ("inf" where the channel has no effect). */
static void csv_coherence(qp_strbuf *b, const qp_result *r)
{
    const qp_coherence_out *h = &r->coh;
    if (r->param) {
        qp_sb_printf(b, "%s,", r->param);
    }
    if (r->param2) {
        qp_sb_printf(b, "%s,", r->param2);
    }
    qp_sb_puts(b, "f_GHz,T1_s,T2_s");
    for (int ch = 0; ch < QP_CH_COUNT; ch++) {
        if (h->present >> ch & 1u) {
            qp_sb_printf(b, ",%s_s", qp_channel_name((qp_channel)ch));
        }
    }
    qp_sb_putc(b, '\n');
    for (size_t p = 0; p < r->npoints; p++) {
        if (r->param) {
            qp_sb_printf(b, "%.17g,", r->values[p]);
        }
        if (r->param2) {
            qp_sb_printf(b, "%.17g,", r->values2[p]);
        }
        qp_sb_printf(b, "%.17g", fabs(h->f[p]));
        const double t[2] = {h->t1[p], h->t2[p]};
        for (int k = 0; k < 2; k++) {
            qp_sb_printf(b, isfinite(t[k]) ? ",%.17g" : ",inf", t[k]);
        }
        for (int ch = 0; ch < QP_CH_COUNT; ch++) {
            double rate = h->rate[p * QP_CH_COUNT + (size_t)ch];
            if (h->present >> ch & 1u) {
                qp_sb_printf(b, rate > 0.0 ? ",%.17g" : ",inf", rate > 0.0 ? 1.0 / rate : 0.0);
            }
        }
        qp_sb_putc(b, '\n');
    }
}

char *qp_report_csv(const qp_circuit *c, const qp_result *r)
{
    if (!r->computed) {
        return NULL;
    }
    qp_strbuf b = {0};
    switch (r->kind) {
    case QP_AN_TRAN:
        (r->param ? csv_iv : csv_traces)(&b, c, r);
        break;
    case QP_AN_MATRIX:
        csv_matrix(&b, c, r);
        break;
    case QP_AN_WAVE:
        csv_wave(&b, c, r);
        break;
    case QP_AN_BANDS:
        csv_bands(&b, c, r);
        break;
    case QP_AN_COHERENCE:
        csv_coherence(&b, r);
        break;
    default:
        csv_spectrum(&b, c, r);
        break;
    }
    return qp_sb_take(&b);
}
