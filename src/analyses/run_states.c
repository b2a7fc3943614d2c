/* .matrix and .wavefunction: the states of a converged spectrum, then operators or grids. */
#include "analyses/run_impl.h"

#include "base/strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The operators of a .matrix for the hierarchical path: written on whatever modes it solved in;
 * `failed` receives the operator that could not be written (SIZE_MAX: none). */
typedef struct {
    const qp_circuit *c;
    const qp_analysis *an;
    size_t failed;
    int reported; /* the error is already in the diagnostics (groups=) */
} op_source;

static qp_status op_terms(void *ctx, const qp_modes *m, size_t q, qp_modes **terms, char *err,
                          size_t errlen)
{
    op_source *src = ctx;
    qp_status st = qp_states_operator_terms(src->c, m, &src->an->ops[q], terms, err, errlen);
    src->failed = st == QP_OK ? src->failed : q;
    return st;
}

/* Whether the operators of .matrix an are single-valued on the modes m and the grid of a
 * .wavefunction fits: checked before any solve; *at the place of the one that fails. */
static qp_status states_check(const qp_circuit *c, const qp_analysis *an, const qp_modes *m,
                              qp_loc *at, char *err, size_t errlen)
{
    if (an->kind == QP_AN_WAVE) {
        return qp_states_wave_check(m, an->levels, an->points, err, errlen);
    }
    qp_status st = QP_OK;
    for (size_t q = 0; an->kind == QP_AN_MATRIX && q < an->nops && st == QP_OK; q++) {
        qp_modes *t = NULL;
        *at = an->ops[q].loc;
        st = qp_states_operator_terms(c, m, &an->ops[q], &t, err, errlen);
        qp_modes_free(t);
    }
    if (st == QP_OK) {
        *at = an->loc;
    }
    return st;
}

qp_status qp_run_check_states(const qp_circuit *c, const qp_modes *m, qp_diag *d)
{
    qp_status st = QP_OK;
    for (size_t k = 0; k < c->nanalyses; k++) {
        const qp_analysis *an = &c->analyses[k];
        if (an->kind != QP_AN_MATRIX && an->kind != QP_AN_WAVE) {
            continue;
        }
        char err[512] = "";
        qp_loc at = an->loc;
        qp_status s = states_check(c, an, m, &at, err, sizeof err);
        if (s == QP_ERR_NOMEM) {
            return s;
        }
        if (s != QP_OK) {
            qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, at), at.line, at.col, "%s: %s",
                        an->kind == QP_AN_MATRIX ? ".matrix" : ".wavefunction",
                        err[0] ? err : qp_status_str(s));
            st = QP_ERR_INPUT;
        }
    }
    return st;
}

/* The states of analysis `an` (.matrix or .wavefunction) of circuit c: quantization, the
 * operators or grid checked (states_check, *at), a converged spectrum for the cutoffs, the
 * eigenvectors on that basis. A .matrix whose spectrum takes the hierarchical path (method auto
 * or hierarchical; src not NULL) gets its elements from that solve (s->nops, S left empty);
 * otherwise, and for .wavefunction, the states live on the exact product basis. */
static qp_status states_at(const qp_circuit *c, const qp_analysis *an, qp_modes **m,
                           qp_spectrum *s, qp_states *S, double *tol, qp_loc *at, op_source *src,
                           char *err,                            size_t errlen, qp_diag *d)
{
    memset(s, 0, sizeof *s);
    memset(S, 0, sizeof *S);
    qp_spectrum_opts o;
    qp_run_spectrum_opts(an, NULL, &o);
    *tol = o.tol;
    qp_status st = qp_quantize(c, m, d);
    if (st != QP_OK) {
        return st;
    }
    st = states_check(c, an, *m, at, err, errlen); /* before any solve */
    if (st == QP_OK && src && an->kind == QP_AN_MATRIX && o.method != QP_SPEC_EXACT) {
        o.nops = an->nops;
        o.op_terms = op_terms;
        o.op_ctx = src;
        int *group = calloc((*m)->n ? (*m)->n : 1, sizeof *group);
        st = group ? qp_run_spectrum_groups(c, an, *m, group, d) : QP_ERR_NOMEM;
        src->reported = st == QP_ERR_INPUT;
        o.groups = an->ngmodes ? group : NULL;
        if (st == QP_OK) {
            st = qp_spectrum_compute(*m, &o, s, err, errlen);
        }
        free(group);
        if (st != QP_OK || s->hier) {
            return st;
        }
        if (!s->aligned) { /* the exact product basis of the quantizer's modes: reused */
            return qp_states_compute(*m, s->cut, an->grid, an->levels, S, err, errlen);
        }
        qp_spectrum_clear(s);
    }
    o.method = QP_SPEC_EXACT; /* the states live on the product basis */
    o.nops = 0;
    if (st == QP_OK) {
        st = qp_spectrum_compute(*m, &o, s, err, errlen);
    }
    if (st == QP_OK) {
        st = qp_states_compute(*m, s->cut, an->grid, an->levels, S, err, errlen);
    }
    return st;
}

/* Matrix elements of every operator of `an` on the states S into mre/mim (nops x L x L); *at
 * receives the place of the operator that failed. */
static qp_status matrix_at(const qp_circuit *c, const qp_analysis *an, const qp_modes *m,
                           const int *cut, const qp_states *S, double *mre, double *mim,
                           qp_loc *at, char *err, size_t errlen)
{
    size_t L = (size_t)S->nlev;
    qp_status st = QP_OK;
    for (size_t q = 0; q < an->nops && st == QP_OK; q++) {
        qp_modes *t = NULL;
        *at = an->ops[q].loc;
        st = qp_states_operator_terms(c, m, &an->ops[q], &t, err, errlen);
        if (st == QP_OK) {
            st = qp_states_matrix_elements(m, cut, an->grid, t, S, mre + q * L * L, mim + q * L * L,
                                           err, errlen);
        }
        qp_modes_free(t);
    }
    return st;
}

/* .coherence at point p of r (npoints set): sizes r->coh at p = 0, then the times of the
 * transition and its temperature; channels left out are a warning at the directive (the first
 * point only); a channel named in channels= that fails puts *at at its name. */
static qp_status coherence_at(const qp_circuit *c, const qp_analysis *an, const qp_modes *m,
                              const int *cut, const qp_states *S, qp_result *r, size_t p,
                              qp_loc *at, char *err, size_t errlen, qp_diag *d)
{
    qp_coherence_out *o = &r->coh;
    if (p == 0) {
        o->from = an->coh.from, o->to = an->coh.to;
        o->temp = calloc(r->npoints, sizeof *o->temp);
        o->f = calloc(r->npoints, sizeof *o->f);
        o->rate = calloc(r->npoints * QP_CH_COUNT, sizeof *o->rate);
        o->t1 = calloc(r->npoints, sizeof *o->t1);
        o->t2 = calloc(r->npoints, sizeof *o->t2);
        if (!o->temp || !o->f || !o->rate || !o->t1 || !o->t2) {
            return QP_ERR_NOMEM;
        }
    }
    qp_coherence x;
    char note[512];
    qp_states Sx = *S; /* the unswept path has moved the levels into r */
    Sx.E = Sx.E ? Sx.E : r->spec.levels + p * (size_t)S->nlev;
    qp_status st = qp_coherence_compute(c, m, cut, an->grid, &Sx, &an->coh, &x, note,
                                        sizeof note, err, errlen, d);
    if (st != QP_OK) {
        *at = x.failed >= 0 ? an->coh.chloc[x.failed] : *at;
        return st;
    }
    if (p == 0 && note[0]) {
        qp_diag_add(d, QP_SEV_WARNING, qp_circuit_file(c, an->loc), an->loc.line, an->loc.col,
                    ".coherence leaves out: %s", note);
    }
    if (p > 0 && x.present != o->present) {
        qp_errf(err, errlen, "the channels that apply changed along the sweep");
        return QP_ERR_NUMERIC;
    }
    if (p == 0) { /* the same at every point; written once, as the others run in parallel */
        o->present = x.present;
    }
    o->temp[p] = x.temp; /* a swept .temp or temp= changes it */
    o->f[p] = x.f;
    o->t1[p] = x.t1;
    o->t2[p] = x.t2;
    memcpy(o->rate + p * QP_CH_COUNT, x.rate, sizeof x.rate);
    return QP_OK;
}

/* Reports a failed .matrix / .wavefunction computation at `at`; the status for the caller. */
static qp_status states_error(const qp_circuit *c, qp_loc at, const char *what,
                              const char *where, qp_status st, const char *err, qp_diag *d)
{
    if (st == QP_ERR_NOMEM) {
        return st;
    }
    qp_diag_add(d, QP_SEV_ERROR, qp_circuit_file(c, at), at.line, at.col, "%s%s%s: %s", what,
                where[0] ? " " : "", where, err[0] ? err : qp_status_str(st));
    return st == QP_ERR_INPUT ? QP_ERR_INPUT : QP_ERR_NUMERIC;
}

/* Point 0 of a swept .matrix or .coherence sizes r from its states S (L levels, the
 * operators of ap). */
static qp_status matrix_sweep_size(qp_result *r, const qp_analysis *ap, const qp_modes *m,
                                   const qp_spectrum *s, const qp_states *S, double tol)
{
    size_t L = (size_t)S->nlev, per = ap->nops * L * L;
    r->spec.nlev = S->nlev;
    r->spec.nops = ap->nops;
    r->spec.nmodes = m->n;
    r->spec.checked = s->checked;
    r->spec.tol = tol;
    r->spec.method = S->method;
    r->spec.levels = calloc(r->npoints * L, sizeof *r->spec.levels);
    r->spec.delta = calloc(r->npoints, sizeof *r->spec.delta);
    r->spec.dim = calloc(r->npoints, sizeof *r->spec.dim);
    r->spec.mre = calloc(r->npoints * per + 1, sizeof *r->spec.mre);
    r->spec.mim = calloc(r->npoints * per + 1, sizeof *r->spec.mim);
    if (!r->spec.levels || !r->spec.delta || !r->spec.dim || !r->spec.mre || !r->spec.mim) {
        return QP_ERR_NOMEM;
    }
    return QP_OK;
}

/* Point p of a swept .matrix or .coherence, cp the deck elaborated at that point: its levels and
 * matrix elements or times into r. Point 0 sizes r and runs first; the others run after it on
 * any worker or process (each writes only its own slots, and the last point its cutoffs). */
static qp_status matrix_point(const qp_circuit *cp, size_t k, qp_result *r, size_t p, qp_diag *d,
                              const char *where)
{
    const qp_analysis *ap = &cp->analyses[k];
    qp_modes *m = NULL;
    qp_spectrum s;
    double tol = 0.0;
    qp_states S;
    char err[512] = "";
    qp_loc at = ap->loc;
    qp_status st = states_at(cp, ap, &m, &s, &S, &tol, &at, NULL, err, sizeof err, d);
    if (st == QP_OK && p == 0) {
        st = matrix_sweep_size(r, ap, m, &s, &S, tol);
    } else if (st == QP_OK && S.nlev != r->spec.nlev) {
        qp_errf(err, sizeof err, "the basis holds %d levels here, %d at the first point",
                S.nlev, r->spec.nlev);
        st = QP_ERR_NUMERIC;
    }
    size_t L = (size_t)r->spec.nlev, per = ap->nops * L * L;
    if (st == QP_OK) {
        memcpy(r->spec.levels + p * L, S.E, L * sizeof *S.E);
        r->spec.delta[p] = s.delta;
        r->spec.dim[p] = S.dim;
        st = ap->kind == QP_AN_COHERENCE
                 ? coherence_at(cp, ap, m, s.cut, &S, r, p, &at, err, sizeof err, d)
                 : matrix_at(cp, ap, m, s.cut, &S, r->spec.mre + p * per, r->spec.mim + p * per,
                             &at, err, sizeof err);
    }
    if (st == QP_OK && (p == 0 || p + 1 == r->npoints)) { /* the cutoffs of the last point */
        free(r->spec.cut);
        r->spec.cut = s.cut;
        s.cut = NULL;
    }
    if (st != QP_OK && m) { /* (quantization reports its own errors) */
        st = states_error(cp, at, ap->kind == QP_AN_COHERENCE ? ".coherence" : ".matrix", where,
                          st, err, d);
    }
    qp_states_free(&S);
    qp_spectrum_clear(&s);
    qp_modes_free(m);
    return st;
}

static qp_status matrix_sweep_first(const qp_runner *R, const qp_circuit *cp, size_t k,
                                    qp_result *r, const char *where)
{
    return matrix_point(cp, k, r, 0, R->d, where);
}

static qp_status matrix_sweep_point(const qp_circuit *cp, size_t k, qp_result *r, size_t p,
                                    qp_worker_cache *cache, qp_diag *d, const char *where)
{
    (void)cache; /* the states are solved on the exact basis, which keeps no cache */
    return matrix_point(cp, k, r, p, d, where);
}

/* The levels, matrix elements and hierarchy of a hierarchical .matrix solve s moved into r. */
static qp_status take_hier(qp_result *r, qp_spectrum *s, double tol)
{
    r->npoints = 1;
    r->spec.nlev = s->nlev;
    r->spec.levels = s->E;
    r->spec.nmodes = s->nmodes;
    r->spec.cut = s->cut;
    r->spec.checked = s->checked;
    r->spec.tol = tol;
    r->spec.method = s->info.used;
    r->spec.hier = s->hier;
    r->spec.ngroups = s->ngroups;
    r->spec.group = s->group;
    r->spec.kept = s->kept;
    r->spec.ecut = s->ecut;
    r->spec.aligned = s->aligned;
    r->spec.slip = s->slip;
    r->spec.nops = s->nops;
    r->spec.mre = s->mre;
    r->spec.mim = s->mim;
    s->E = NULL, s->cut = NULL, s->group = s->kept = NULL, s->mre = s->mim = NULL;
    r->spec.delta = calloc(1, sizeof *r->spec.delta);
    r->spec.dim = calloc(1, sizeof *r->spec.dim);
    if (!r->spec.delta || !r->spec.dim) {
        return QP_ERR_NOMEM;
    }
    r->spec.delta[0] = s->delta;
    r->spec.dim[0] = s->dim;
    return QP_OK;
}

/* .matrix and .wavefunction: the cutoffs of a converged spectrum, the states on that basis,
 * then the operators or the wavefunctions. Under a .sweep, .matrix repeats per point and
 * .wavefunction is computed once at the nominal values (with a warning). */
qp_status qp_run_states(const qp_runner *R, size_t k, qp_result *r)
{
    const qp_circuit *c = R->job->c;
    qp_results *res = R->res;
    qp_diag *d = R->d;
    const qp_analysis *an = &c->analyses[k];
    const char *file = qp_circuit_file(c, an->loc);
    const char *what = an->kind == QP_AN_MATRIX      ? ".matrix"
                       : an->kind == QP_AN_COHERENCE ? ".coherence"
                                                     : ".wavefunction";
    if (R->sweep && (an->kind == QP_AN_MATRIX || an->kind == QP_AN_COHERENCE)) {
        /* every point on its own, on the workers and processes: sweep.c */
        return qp_sweep_run(R, k, r, matrix_sweep_first, NULL, matrix_sweep_point);
    }
    if (R->sweep) {
        qp_diag_add(d, QP_SEV_WARNING, file, an->loc.line, an->loc.col,
                    "%s is computed once, at the nominal parameter values (it is not swept)",
                    what);
    }
    qp_modes *m = NULL;
    qp_spectrum s;
    qp_states S;
    char err[512] = "";
    qp_loc at = an->loc;
    double tol = 0.0;
    op_source src = {c, an, SIZE_MAX, 0};
    qp_status st = states_at(c, an, &m, &s, &S, &tol, &at, &src, err, sizeof err, d);
    if (st != QP_OK && src.failed != SIZE_MAX) {
        at = an->ops[src.failed].loc; /* an operator the hierarchical path could not write */
    }
    if (st == QP_OK && s.nops) { /* hierarchical: levels and elements from that solve */
        st = take_hier(r, &s, tol);
    } else if (st == QP_OK) {
        r->npoints = 1;
        r->spec.nlev = S.nlev;
        r->spec.levels = S.E;
        S.E = NULL;
        r->spec.nmodes = m->n;
        r->spec.cut = s.cut;
        s.cut = NULL;
        r->spec.checked = s.checked;
        r->spec.tol = tol;
        r->spec.method = S.method;
        r->spec.delta = calloc(1, sizeof *r->spec.delta);
        r->spec.dim = calloc(1, sizeof *r->spec.dim);
        if (!r->spec.delta || !r->spec.dim) {
            st = QP_ERR_NOMEM;
        } else {
            r->spec.delta[0] = s.delta;
            r->spec.dim[0] = S.dim;
        }
    }
    if (st == QP_OK && an->kind == QP_AN_MATRIX && r->spec.mre) {
        /* the hierarchical solve computed them */
    } else if (st == QP_OK && an->kind == QP_AN_MATRIX) {
        size_t L = (size_t)S.nlev;
        r->spec.nops = an->nops;
        r->spec.mre = calloc(an->nops * L * L, sizeof *r->spec.mre);
        r->spec.mim = calloc(an->nops * L * L, sizeof *r->spec.mim);
        st = r->spec.mre && r->spec.mim ? QP_OK : QP_ERR_NOMEM;
        if (st == QP_OK) {
            st = matrix_at(c, an, m, r->spec.cut, &S, r->spec.mre, r->spec.mim, &at, err,
                           sizeof err);
        }
    } else if (st == QP_OK && an->kind == QP_AN_COHERENCE) {
        st = coherence_at(c, an, m, r->spec.cut, &S, r, 0, &at, err, sizeof err, d);
    } else if (st == QP_OK) {
        st = qp_states_wave_compute(m, r->spec.cut, an->grid, &S, an->points, &r->spec.wave, err,
                                    sizeof err);
        for (int lv = 0; st == QP_OK && lv < r->spec.wave.nlev; lv++) {
            if (!(r->spec.wave.norm[lv] > 0.99)) {
                qp_diag_add(d, QP_SEV_WARNING, file, an->loc.line, an->loc.col,
                            ".wavefunction: the grid holds %.3g of level %d's probability (the "
                            "state reaches beyond the drawn range, or more points= are needed "
                            "to resolve it)", r->spec.wave.norm[lv], lv);
                break;
            }
        }
    }
    if (st != QP_OK && m && !src.reported) {
        st = states_error(c, at, what, "", st, err, d);
    }
    if (st == QP_OK && !res->modes && r->spec.aligned) { /* cutoffs of other coordinates */
        res->modes = m;
        m = NULL;
    }
    if (st == QP_OK && !res->modes) { /* the circuit's modes for the report */
        res->cut = malloc((m->n ? m->n : 1) * sizeof *res->cut);
        if (res->cut) {
            memcpy(res->cut, r->spec.cut, m->n * sizeof *res->cut);
            res->dim = r->spec.dim[0];
            res->modes = m;
            m = NULL;
        }
    }
    qp_states_free(&S);
    qp_spectrum_clear(&s);
    qp_modes_free(m);
    return st;
}
