/* Eigenstates, operator matrix elements and wavefunctions (docs/physics.md, "States"). */
#include "qpsim/states.h"

#include "qpsim/eig.h"
#include "operators/ham.h"
#include "base/strbuf.h"
#include "qpsim/units.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define COEF_ZERO 1e-12 /* a mode coefficient of an operator below this counts as absent */

void qp_states_free(qp_states *s)
{
    free(s->E);
    free(s->vec);
    memset(s, 0, sizeof *s);
}

qp_status qp_states_compute(const qp_modes *m, const int *cut, int grid, int nlev, qp_states *out,
                            char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    qp_sparse H = {0};
    qp_eig_info info = {0};
    qp_status st = qp_ham_assemble(m, cut, grid, &H, err, errlen);
    if (st != QP_OK) {
        return st;
    }
    qp_eig_opts o;
    qp_eig_opts_default(&o);
    size_t n = H.n;
    /* as many levels as asked, at most the basis (the dense solver takes all of them; the
     * sparse ones, used above dense_max, need two states to spare) */
    size_t most = n <= o.dense_max ? n : n - 2;
    o.nev = (size_t)nlev < most ? nlev : (int)most;
    o.want_vectors = 1;
    if (n < 2) {
        qp_sparse_free(&H);
        qp_errf(err, errlen, "the basis has %zu state%s: no transitions or wavefunctions to "
                "compute", n, n == 1 ? "" : "s");
        return QP_ERR_INPUT;
    }
    out->dim = H.n;
    out->nlev = o.nev;
    out->E = malloc((size_t)o.nev * sizeof *out->E);
    out->vec = malloc(2 * H.n * (size_t)o.nev * sizeof *out->vec);
    if (!out->E || !out->vec) {
        st = QP_ERR_NOMEM;
    } else {
        st = qp_eig_lowest(&H, &o, out->E, out->vec, &info, err, errlen);
        out->method = info.used;
    }
    qp_sparse_free(&H);
    if (st != QP_OK) {
        qp_states_free(out);
    }
    return st;
}

qp_modes *qp_states_terms_new(const qp_modes *m)
{
    size_t n = m->n ? m->n : 1;
    qp_modes *t = calloc(1, sizeof *t);
    if (!t) {
        return NULL;
    }
    t->n = m->n;
    t->kind = malloc(n * sizeof *t->kind);
    t->Lm = calloc(n * n, sizeof *t->Lm), t->Ac = calloc(n * n, sizeof *t->Ac);
    t->lphi = calloc(n, sizeof *t->lphi), t->lp = calloc(n, sizeof *t->lp);
    t->map = calloc(n * (m->nnodes ? m->nnodes : 1), sizeof *t->map);
    t->nnodes = m->nnodes;
    if (!t->kind || !t->Lm || !t->Ac || !t->lphi || !t->lp || !t->map) {
        qp_modes_free(t);
        return NULL;
    }
    memcpy(t->kind, m->kind, m->n * sizeof *t->kind);
    return t;
}

/* The cosine term of element el (junction or phase-slip), or NULL. */
static const qp_cos_term *cos_of(const qp_modes *m, int el)
{
    for (size_t k = 0; k < m->ncos; k++) {
        if (m->cos[k].elem == el) {
            return &m->cos[k];
        }
    }
    return NULL;
}

qp_status qp_states_operator_terms(const qp_circuit *c, const qp_modes *m, const qp_operator *op,
                                   qp_modes **terms, char *err, size_t errlen)
{
    *terms = NULL;
    qp_modes *t = qp_states_terms_new(m);
    if (!t) {
        return QP_ERR_NOMEM;
    }
    const qp_cos_term *ct = NULL;
    if (op->kind != QP_OP_CHARGE) {
        ct = cos_of(m, op->index);
        if (!ct) { /* an element the quantization dropped (e.g. EJ = 0) */
            qp_errf(err, errlen, "%s: %s has no term in the Hamiltonian", op->name,
                    c->elem[op->index].name);
            qp_modes_free(t);
            return QP_ERR_INPUT;
        }
    }
    switch (op->kind) {
    case QP_OP_CHARGE:
        for (size_t i = 0; i < m->n; i++) {
            double a = m->map[i * m->nnodes + (size_t)op->index];
            if (fabs(a) <= COEF_ZERO || m->kind[i] == QP_MODE_FROZEN) {
                continue;
            }
            if (m->kind[i] == QP_MODE_FLUXOID) {
                qp_errf(err, errlen, "%s involves mode m%zu, whose charge is periodic (fluxoid "
                        "basis): the node charge is not single-valued there", op->name, i + 1);
                qp_modes_free(t);
                return QP_ERR_INPUT;
            }
            t->lp[i] = a;
        }
        break;
    case QP_OP_PHASE:
    case QP_OP_QCHARGE: {
        qp_mode_kind compact = op->kind == QP_OP_PHASE ? QP_MODE_CHARGE : QP_MODE_FLUXOID;
        for (size_t i = 0; i < m->n; i++) {
            if (fabs(ct->c[i]) <= COEF_ZERO || m->kind[i] == QP_MODE_FROZEN) {
                continue;
            }
            if (m->kind[i] == compact) {
                qp_errf(err, errlen, "%s involves mode m%zu, a %s: it is only defined modulo "
                        "%s there; ask for cos(%s) and sin(%s)", op->name, i + 1,
                        compact == QP_MODE_CHARGE ? "periodic phase (charge basis)"
                                                  : "periodic charge (fluxoid basis)",
                        compact == QP_MODE_CHARGE ? "2 pi" : "2e", c->elem[op->index].name,
                        c->elem[op->index].name);
                qp_modes_free(t);
                return QP_ERR_INPUT;
            }
            if (op->kind == QP_OP_PHASE) {
                t->lphi[i] = ct->c[i];
            } else {
                t->lp[i] = ct->c[i];
            }
        }
        t->cst = ct->shift;
        break;
    }
    case QP_OP_COS:
    case QP_OP_SIN: {
        /* the Hamiltonian's term is -E cos(arg): E = -1 gives cos(arg); sin(x) = cos(x - pi/2)
         * (a phase-slip term's argument is 2 pi (c.P + shift)) */
        t->cos = calloc(1, sizeof *t->cos);
        double *cc = malloc((m->n ? m->n : 1) * sizeof *cc);
        if (!t->cos || !cc) {
            free(cc);
            qp_modes_free(t);
            return QP_ERR_NOMEM;
        }
        memcpy(cc, ct->c, m->n * sizeof *cc);
        t->cos[0] = *ct;
        t->cos[0].c = cc;
        t->cos[0].E = -1.0;
        if (op->kind == QP_OP_SIN) {
            t->cos[0].shift -= ct->is_qps ? 0.25 : 0.5 * QP_PI;
        }
        t->ncos = 1;
        break;
    }
    }
    *terms = t;
    return QP_OK;
}

const char *qp_states_operator_unit(qp_op_kind k)
{
    return k == QP_OP_PHASE ? "rad" : (k == QP_OP_COS || k == QP_OP_SIN) ? "1" : "2e";
}

/* y = O x for a CSC matrix holding both triangles; x, y complex. */
static void spmv(const qp_sparse *O, const double complex *x, double complex *y)
{
    memset(y, 0, O->n * sizeof *y);
    for (size_t j = 0; j < O->n; j++) {
        for (size_t k = O->colptr[j]; k < O->colptr[j + 1]; k++) {
            double complex v = O->re[k] + (O->im ? I * O->im[k] : 0.0);
            y[O->rowind[k]] += v * x[j];
        }
    }
}

qp_status qp_states_matrix_elements(const qp_modes *m, const int *cut, int grid,
                                    const qp_modes *terms, const qp_states *s, double *re,
                                    double *im, char *err, size_t errlen)
{
    qp_sparse O = {0};
    qp_status st = qp_ham_assemble_terms(m, terms, cut, grid, &O, err, errlen);
    if (st != QP_OK) {
        return st;
    }
    if (O.n != s->dim) {
        qp_sparse_free(&O);
        qp_errf(err, errlen, "operator and states have different bases (%zu, %zu states)", O.n,
                s->dim);
        return QP_ERR_USAGE;
    }
    size_t n = s->dim, L = (size_t)s->nlev;
    double complex *v = malloc(n * L * sizeof *v), *ov = malloc(n * sizeof *ov);
    if (!v || !ov) {
        free(v), free(ov);
        qp_sparse_free(&O);
        return QP_ERR_NOMEM;
    }
    for (size_t k = 0; k < n * L; k++) {
        v[k] = s->vec[2 * k] + I * s->vec[2 * k + 1];
    }
    for (size_t j = 0; j < L; j++) {
        spmv(&O, v + j * n, ov);
        for (size_t i = 0; i < L; i++) {
            double complex acc = 0.0;
            for (size_t r = 0; r < n; r++) {
                acc += conj(v[i * n + r]) * ov[r];
            }
            re[i * L + j] = creal(acc);
            im[i * L + j] = cimag(acc);
        }
    }
    free(v), free(ov);
    qp_sparse_free(&O);
    return QP_OK;
}

void qp_states_wave_free(qp_wavefunctions *w)
{
    free(w->x[0]), free(w->x[1]), free(w->re), free(w->im), free(w->norm);
    memset(w, 0, sizeof *w);
}

/* Basis functions of mode i at the grid points: B[p * d + k] = <x_p | k>, with the variable x =
 * Phi_i / s (s = 1: the mode's own variable; otherwise the phase of the one node it is s times)
 * and the factor sqrt|s| that keeps the norm. Charge basis: e^{i n phi}/sqrt(2 pi) over one period;
 * fluxoid basis: e^{-2 pi i m q} on q in [-1/2, 1/2] (Phi = 2 pi m acts as i d/dq); oscillator
 * states: e^{i p0 Phi} times Hermite functions of (Phi - x0) / (sqrt2 zp) (Phi = x0 + zp (a + a^dag),
 * P = p0 + ..., placed as qp_ham_basis_geom says); phase grid: e^{i p0 Phi} times the sinc
 * functions of the grid points (band-limited interpolation). The range of an extended mode
 * covers the classical turning point of the highest wanted level of the bare oscillator plus
 * three of its lengths around the minimum of its quadratic potential, -lphi_i / Lm_ii (which an
 * external flux moves away from 0), or the whole grid. */
static void basis_table(const qp_modes *m, size_t i, int cut, int grid, int nlev, double s,
                        size_t P, double *x, double complex *B)
{
    size_t d = qp_ham_mode_dim(m->kind[i], cut);
    double as = fabs(s), amp = sqrt(as), lo, hi;
    qp_osc_geom g = {1.0, 0.0, 0.0};
    if (m->kind[i] == QP_MODE_OSC) {
        qp_ham_basis_geom(m, i, &g);
    }
    double h = grid ? qp_ham_grid_step(d, g.zp) : 0.0, c = 0.5 * (double)(d - 1);
    double l = sqrt(2.0) * g.zp;
    if (m->kind[i] == QP_MODE_CHARGE) {
        lo = -QP_PI, hi = QP_PI;
    } else if (m->kind[i] == QP_MODE_FLUXOID) {
        lo = -0.5, hi = 0.5;
    } else if (grid) {
        lo = g.x0 - c * h, hi = g.x0 + c * h;
    } else {
        double R = sqrt(2.0) * qp_ham_osc_zpf(m, i) * (sqrt(2.0 * nlev + 1.0) + 3.0);
        lo = g.x0 - R, hi = g.x0 + R;
    }
    for (size_t p = 0; p < P; p++) {
        /* the node's phase ascending: x = u / s over [lo, hi] of u */
        double u = s > 0.0 ? lo + (hi - lo) * (double)p / (double)(P - 1)
                           : hi - (hi - lo) * (double)p / (double)(P - 1);
        x[p] = u / s;
        double complex *b = B + p * d;
        if (m->kind[i] == QP_MODE_CHARGE || m->kind[i] == QP_MODE_FLUXOID) {
            for (size_t k = 0; k < d; k++) {
                double n = (double)k - (double)cut;
                b[k] = amp * (m->kind[i] == QP_MODE_FLUXOID ? cexp(-2.0 * QP_PI * I * n * u)
                                                            : cexp(I * n * u) / sqrt(2.0 * QP_PI));
            }
        } else if (grid) {
            double complex ph = cexp(I * g.p0 * u);
            for (size_t k = 0; k < d; k++) {
                double v = (u - g.x0 - ((double)k - c) * h) / h;
                b[k] = amp * ph * (fabs(v) < 1e-12 ? 1.0 : sin(QP_PI * v) / (QP_PI * v)) / sqrt(h);
            }
        } else {
            double complex ph = cexp(I * g.p0 * u);
            double xi = (u - g.x0) / l;
            double h0 = amp * pow(QP_PI, -0.25) / sqrt(l) * exp(-0.5 * xi * xi);
            double h1 = 0.0;
            for (size_t k = 0; k < d; k++) { /* normalized Hermite functions, stable recurrence */
                b[k] = ph * h0;
                double h2 = sqrt(2.0 / (double)(k + 1)) * xi * h0 -
                            sqrt((double)k / (double)(k + 1)) * h1;
                h1 = h0;
                h0 = h2;
            }
        }
    }
}

/* The node whose phase mode i is a multiple of (*s times), or 0: the one node with a nonzero
 * entry in the mode map (not for fluxoid modes, whose variable is a charge). */
static int mode_node(const qp_modes *m, size_t i, double *s)
{
    int node = 0;
    *s = 1.0;
    if (m->kind[i] == QP_MODE_FLUXOID || !m->map) {
        return 0;
    }
    for (size_t k = 1; k < m->nnodes; k++) {
        double a = m->map[i * m->nnodes + k];
        if (fabs(a) > COEF_ZERO) {
            if (node) {
                *s = 1.0;
                return 0;
            }
            node = (int)k;
            *s = a;
        }
    }
    return node;
}

qp_status qp_states_wave_check(const qp_modes *m, int nlev, int points, char *err,
                               size_t errlen)
{
    size_t nv = 0;
    for (size_t i = 0; i < m->n; i++) {
        nv += m->kind[i] != QP_MODE_FROZEN;
    }
    if (nv == 0) {
        qp_errf(err, errlen, "the circuit has no mode to draw a wavefunction of");
        return QP_ERR_INPUT;
    }
    if (nv > 2) {
        qp_errf(err, errlen, "wavefunctions are written for circuits with one or two modes "
                "that are not frozen; this one has %zu (see 'qpsim check'): ask .matrix "
                "for matrix elements instead", nv);
        return QP_ERR_INPUT;
    }
    double values = (double)nlev * points * (nv == 2 ? points : 1);
    if (values > QP_WAVE_MAX_VALUES) {
        qp_errf(err, errlen, "%d levels on %d%s points are more than %d values: lower points= "
                "or levels=", nlev, points, nv == 2 ? " x the same" : "", QP_WAVE_MAX_VALUES);
        return QP_ERR_INPUT;
    }
    return QP_OK;
}

qp_status qp_states_wave_compute(const qp_modes *m, const int *cut, int grid,
                                 const qp_states *s, int points, qp_wavefunctions *out,
                                 char *err, size_t errlen)
{
    qp_status chk = qp_states_wave_check(m, s->nlev, points, err, errlen);
    if (chk != QP_OK) {
        memset(out, 0, sizeof *out);
        return chk;
    }
    memset(out, 0, sizeof *out);
    size_t nv = 0, stride[2] = {1, 1}, d[2] = {1, 1};
    for (size_t i = 0; i < m->n; i++) {
        if (m->kind[i] == QP_MODE_FROZEN) {
            continue;
        }
        out->mode[nv] = (int)i;
        out->var[nv] = m->kind[i] == QP_MODE_FLUXOID ? 'q' : 'p';
        out->node[nv] = mode_node(m, i, &out->scale[nv]);
        d[nv] = qp_ham_mode_dim(m->kind[i], cut[i]);
        size_t st = 1;
        for (size_t j = i + 1; j < m->n; j++) { /* mode 0 is the slowest index */
            st *= qp_ham_mode_dim(m->kind[j], cut[j]);
        }
        stride[nv] = st;
        nv++;
    }
    size_t P = (size_t)points, L = (size_t)s->nlev;
    size_t P2 = nv == 2 ? P : 1;
    out->nvar = nv;
    out->nlev = s->nlev;
    out->npts[0] = P;
    out->npts[1] = P2;
    out->x[0] = malloc(P * sizeof *out->x[0]);
    out->x[1] = nv == 2 ? malloc(P * sizeof *out->x[1]) : NULL;
    out->re = malloc(L * P * P2 * sizeof *out->re);
    out->im = malloc(L * P * P2 * sizeof *out->im);
    out->norm = malloc(L * sizeof *out->norm);
    double complex *B0 = malloc(P * d[0] * sizeof *B0);
    double complex *B1 = malloc(P2 * d[1] * sizeof *B1);
    double complex *T = malloc(P2 * d[0] * sizeof *T);
    if (!out->x[0] || (nv == 2 && !out->x[1]) || !out->re || !out->im || !out->norm || !B0 ||
        !B1 || !T) {
        free(B0), free(B1), free(T);
        qp_states_wave_free(out);
        return QP_ERR_NOMEM;
    }
    basis_table(m, (size_t)out->mode[0], cut[out->mode[0]], grid, s->nlev, out->scale[0], P,
                out->x[0], B0);
    if (nv == 2) {
        basis_table(m, (size_t)out->mode[1], cut[out->mode[1]], grid, s->nlev, out->scale[1], P,
                    out->x[1], B1);
    } else {
        B1[0] = 1.0;
    }
    for (size_t k = 0; k < L; k++) {
        const double *v = s->vec + 2 * k * s->dim;
        /* T[p2][a] = sum_b c[a, b] B1[p2][b], then psi[p1][p2] = sum_a B0[p1][a] T[p2][a] */
        for (size_t p2 = 0; p2 < P2; p2++) {
            for (size_t a = 0; a < d[0]; a++) {
                double complex acc = 0.0;
                for (size_t b = 0; b < d[1]; b++) {
                    size_t r = a * stride[0] + (nv == 2 ? b * stride[1] : 0);
                    acc += (v[2 * r] + I * v[2 * r + 1]) * B1[p2 * d[1] + b];
                }
                T[p2 * d[0] + a] = acc;
            }
        }
        for (size_t p1 = 0; p1 < P; p1++) {
            for (size_t p2 = 0; p2 < P2; p2++) {
                double complex acc = 0.0;
                for (size_t a = 0; a < d[0]; a++) {
                    acc += B0[p1 * d[0] + a] * T[p2 * d[0] + a];
                }
                out->re[(k * P + p1) * P2 + p2] = creal(acc);
                out->im[(k * P + p1) * P2 + p2] = cimag(acc);
            }
        }
        /* the norm on the grid, trapezoidal rule */
        double sum = 0.0, c0 = (out->x[0][P - 1] - out->x[0][0]) / (double)(P - 1);
        double c1 = nv == 2 ? (out->x[1][P - 1] - out->x[1][0]) / (double)(P - 1) : 1.0;
        for (size_t p1 = 0; p1 < P; p1++) {
            for (size_t p2 = 0; p2 < P2; p2++) {
                size_t at = (k * P + p1) * P2 + p2;
                double wt = ((p1 == 0 || p1 + 1 == P) ? 0.5 : 1.0) *
                            (nv == 2 && (p2 == 0 || p2 + 1 == P2) ? 0.5 : 1.0);
                sum += wt * (out->re[at] * out->re[at] + out->im[at] * out->im[at]);
            }
        }
        out->norm[k] = sum * c0 * c1;
    }
    free(B0), free(B1), free(T);
    return QP_OK;
}
