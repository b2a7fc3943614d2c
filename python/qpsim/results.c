/* qpsim._qpsim: the calls with structured results (matrix elements, wavefunctions, Bloch bands,
 * transients, coherence times) as numpy arrays and dicts. */
#include "module.h"

#include <math.h>
#include <string.h>

/* Sets d[key] = v and drops the reference to v; -1 (v NULL or the set failed). */
static int put(PyObject *d, const char *key, PyObject *v)
{
    int r = v ? PyDict_SetItemString(d, key, v) : -1;
    Py_XDECREF(v);
    return r;
}

/* A new complex128 array of shape dims (nd of them) from real and imaginary parts. */
static PyObject *complex_array(int nd, npy_intp *dims, const double *re, const double *im)
{
    PyObject *a = PyArray_SimpleNew(nd, dims, NPY_CDOUBLE);
    if (!a) {
        return NULL;
    }
    npy_intp n = PyArray_SIZE((PyArrayObject *)a);
    double *z = PyArray_DATA((PyArrayObject *)a);
    for (npy_intp i = 0; i < n; i++) {
        z[2 * i] = re[i];
        z[2 * i + 1] = im ? im[i] : 0.0;
    }
    return a;
}

/* _matrix_elements(op, levels) -> (<i|O|j> as a complex (n, n) array, the n levels). */
PyObject *py_matrix_elements(py_circuit *self, PyObject *args)
{
    const char *op;
    int levels, n = 0;
    if (!py_handle(self) || !PyArg_ParseTuple(args, "si", &op, &levels)) {
        return NULL;
    }
    if (levels > 10000) { /* .matrix's own limit, said before allocating levels^2 values */
        PyErr_SetString(PyExc_ValueError, "levels must be 10000 or fewer");
        return NULL;
    }
    size_t m = levels > 0 ? (size_t)levels : 1;
    double *buf = PyMem_Calloc(m * m * 2 + m, sizeof *buf);
    if (!buf) {
        return PyErr_NoMemory();
    }
    qpsim_status st;
    py_lock(self);
    Py_BEGIN_ALLOW_THREADS
    st = qpsim_matrix_elements(self->c, op, levels, buf, buf + m * m, buf + 2 * m * m, &n);
    Py_END_ALLOW_THREADS
    PyObject *out = NULL;
    if (py_done(self, st) == 0) {
        npy_intp dims[2] = {n, n};
        PyObject *z = complex_array(2, dims, buf, buf + m * m);
        PyObject *E = py_array(buf + 2 * m * m, (size_t)n);
        out = z && E ? PyTuple_Pack(2, z, E) : NULL;
        Py_XDECREF(z);
        Py_XDECREF(E);
    }
    PyMem_Free(buf);
    return out;
}

/* The wavefunctions as a dict: variables (names), grid (arrays), psi (complex, shape (nlev,
 * npts...)), norm, levels. */
static PyObject *wave_dict(const qpsim_wavefunctions *w)
{
    PyObject *d = PyDict_New(), *names = PyList_New(w->nvar), *grid = PyList_New(w->nvar);
    int ok = d && names && grid;
    for (int v = 0; ok && v < w->nvar; v++) {
        PyObject *s = PyUnicode_FromString(w->name[v]), *x = py_array(w->x[v], w->npts[v]);
        ok = s && x;
        PyList_SET_ITEM(names, v, s ? s : Py_NewRef(Py_None));
        PyList_SET_ITEM(grid, v, x ? x : Py_NewRef(Py_None));
    }
    npy_intp dims[3] = {w->nlev, (npy_intp)w->npts[0], (npy_intp)w->npts[1]};
    ok = ok && put(d, "variables", Py_NewRef(names)) == 0 &&
         put(d, "grid", Py_NewRef(grid)) == 0 &&
         put(d, "psi", complex_array(1 + w->nvar, dims, w->re, w->im)) == 0 &&
         put(d, "norm", py_array(w->norm, (size_t)w->nlev)) == 0 &&
         put(d, "levels", py_array(w->E, (size_t)w->nlev)) == 0;
    Py_XDECREF(names);
    Py_XDECREF(grid);
    if (!ok) {
        Py_CLEAR(d);
    }
    return d;
}

/* _wavefunctions(levels, points) -> dict. */
PyObject *py_wavefunctions(py_circuit *self, PyObject *args)
{
    int levels, points;
    if (!py_handle(self) || !PyArg_ParseTuple(args, "ii", &levels, &points)) {
        return NULL;
    }
    qpsim_wavefunctions *w = NULL;
    qpsim_status st;
    py_lock(self);
    Py_BEGIN_ALLOW_THREADS
    st = qpsim_wavefunctions_compute(self->c, levels, points, &w);
    Py_END_ALLOW_THREADS
    PyObject *out = py_done(self, st) == 0 ? wave_dict(w) : NULL;
    qpsim_wavefunctions_free(w);
    return out;
}

/* _bands(element or None, levels, points) -> dict. */
PyObject *py_bands(py_circuit *self, PyObject *args)
{
    const char *element;
    int levels, points;
    if (!py_handle(self) || !PyArg_ParseTuple(args, "zii", &element, &levels, &points)) {
        return NULL;
    }
    qpsim_bands *b = NULL;
    qpsim_status st;
    py_lock(self);
    Py_BEGIN_ALLOW_THREADS
    st = qpsim_bands_compute(self->c, element, levels, points, &b);
    Py_END_ALLOW_THREADS
    if (py_done(self, st) < 0) {
        return NULL;
    }
    PyObject *d = PyDict_New();
    int ok = d && put(d, "element", PyUnicode_FromString(b->element)) == 0 &&
             put(d, "variable", PyUnicode_FromString(b->dual ? "f" : "q")) == 0 &&
             put(d, "q", py_array(b->q, (size_t)b->nq)) == 0 &&
             put(d, "levels", py_table(b->E, b->nq, b->nlev)) == 0 &&
             put(d, "widths", py_array(b->width, (size_t)b->nlev)) == 0 &&
             put(d, "gaps", py_array(b->gap, (size_t)(b->nlev - 1))) == 0 &&
             put(d, "es_eff_GHz", PyFloat_FromDouble(b->es_eff)) == 0 &&
             put(d, "slope_max_GHz", PyFloat_FromDouble(b->slope_max)) == 0 &&
             put(d, b->dual ? "el_prime_GHz" : "ec_GHz",
                 PyFloat_FromDouble(b->dual ? 4.0 * b->ec : b->ec)) == 0 &&
             put(d, b->dual ? "es_GHz" : "ej_GHz", PyFloat_FromDouble(b->ej)) == 0 &&
             put(d, "ncut", PyLong_FromLong(b->ncut)) == 0;
    qpsim_bands_free(b);
    if (!ok) {
        Py_CLEAR(d);
    }
    return d;
}

/* One frequency report as a dict (the JSON's names). */
static PyObject *freq_dict(const qpsim_tran_freq *f)
{
    PyObject *d = PyDict_New();
    int ok = d && put(d, "element", PyUnicode_FromString(f->element)) == 0 &&
             put(d, "law", PyUnicode_FromString(f->dual ? "I/2e" : "V/Phi0")) == 0 &&
             put(d, "f_sim_Hz", PyFloat_FromDouble(f->f_sim)) == 0 &&
             put(d, "f_fft_Hz", PyFloat_FromDouble(f->f_fft)) == 0 &&
             put(d, "f_theory_Hz", PyFloat_FromDouble(f->f_theory)) == 0 &&
             put(d, "mean_V", PyFloat_FromDouble(f->mean_v)) == 0 &&
             put(d, "mean_I", PyFloat_FromDouble(f->mean_i)) == 0 &&
             put(d, "periods", PyLong_FromLong(f->periods)) == 0;
    if (!ok) {
        Py_CLEAR(d);
    }
    return d;
}

/* The traces as a dict: t, signals {name: array}, frequencies [dict], steps, rejected. */
static PyObject *tran_dict(const qpsim_tran *t)
{
    PyObject *d = PyDict_New(), *sig = PyDict_New(), *fr = PyList_New((Py_ssize_t)t->nfreq);
    size_t w = t->ncol + 1;
    int ok = d && sig && fr;
    for (size_t k = 0; ok && k <= t->ncol; k++) { /* column 0: the time */
        npy_intp dim = (npy_intp)t->nt;
        PyObject *a = PyArray_SimpleNew(1, &dim, NPY_DOUBLE);
        double *x = a ? PyArray_DATA((PyArrayObject *)a) : NULL;
        for (size_t i = 0; x && i < t->nt; i++) {
            x[i] = t->data[i * w + k];
        }
        ok = k == 0 ? put(d, "t", a) == 0 : put(sig, t->names[k - 1], a) == 0;
    }
    for (size_t i = 0; ok && i < t->nfreq; i++) {
        PyObject *f = freq_dict(&t->freq[i]);
        ok = f != NULL;
        PyList_SET_ITEM(fr, (Py_ssize_t)i, f ? f : Py_NewRef(Py_None));
    }
    ok = ok && put(d, "signals", Py_NewRef(sig)) == 0 &&
         put(d, "frequencies", Py_NewRef(fr)) == 0 &&
         put(d, "steps", PyLong_FromSize_t(t->steps)) == 0 &&
         put(d, "rejected", PyLong_FromSize_t(t->rejected)) == 0;
    Py_XDECREF(sig);
    Py_XDECREF(fr);
    if (!ok) {
        Py_CLEAR(d);
    }
    return d;
}

/* _tran(tstep, tstop) -> dict (0: the deck's). */
PyObject *py_tran(py_circuit *self, PyObject *args)
{
    double tstep, tstop;
    if (!py_handle(self) || !PyArg_ParseTuple(args, "dd", &tstep, &tstop)) {
        return NULL;
    }
    qpsim_tran *t = NULL;
    qpsim_status st;
    py_lock(self);
    Py_BEGIN_ALLOW_THREADS
    st = qpsim_tran_compute(self->c, tstep, tstop, &t);
    Py_END_ALLOW_THREADS
    PyObject *out = py_done(self, st) == 0 ? tran_dict(t) : NULL;
    qpsim_tran_free(t);
    return out;
}

/* _coherence(from, to) -> dict: from, to, f_GHz, temp_K, channels {name: {time_s, rate_per_s}}
 * of the channels computed, t1_s, t2_s (inf for an infinite time). */
PyObject *py_coherence(py_circuit *self, PyObject *args)
{
    int from, to;
    if (!py_handle(self) || !PyArg_ParseTuple(args, "ii", &from, &to)) {
        return NULL;
    }
    qpsim_coherence co;
    qpsim_status st;
    py_lock(self);
    Py_BEGIN_ALLOW_THREADS
    st = qpsim_coherence_compute(self->c, from, to, &co);
    Py_END_ALLOW_THREADS
    if (py_done(self, st) < 0) {
        return NULL;
    }
    PyObject *d = PyDict_New(), *ch = PyDict_New();
    int ok = d && ch;
    for (int k = 0; ok && k < QPSIM_CHANNELS; k++) {
        if (co.present & (1u << k)) {
            PyObject *x = PyDict_New();
            ok = x && put(x, "time_s", PyFloat_FromDouble(co.time[k])) == 0 &&
                 put(x, "rate_per_s", PyFloat_FromDouble(co.rate[k])) == 0 &&
                 PyDict_SetItemString(ch, qpsim_channel_name(k), x) == 0;
            Py_XDECREF(x);
        }
    }
    ok = ok && put(d, "from", PyLong_FromLong(co.from)) == 0 &&
         put(d, "to", PyLong_FromLong(co.to)) == 0 &&
         put(d, "f_GHz", PyFloat_FromDouble(co.f)) == 0 &&
         put(d, "temp_K", PyFloat_FromDouble(co.temp)) == 0 &&
         put(d, "channels", Py_NewRef(ch)) == 0 &&
         put(d, "t1_s", PyFloat_FromDouble(co.t1)) == 0 &&
         put(d, "t2_s", PyFloat_FromDouble(co.t2)) == 0;
    Py_XDECREF(ch);
    if (!ok) {
        Py_CLEAR(d);
    }
    return d;
}
