/* qpsim._qpsim: the Python extension over the C API: the circuit object (loading, check, run,
 * dual, spectrum, sweep), the exceptions, and the module. The GIL is released while qpsim
 * computes. */
#define QPSIM_PY_MAIN
#include "module.h"

#include <stdlib.h>
#include <string.h>

PyObject *py_netlist_error, *py_solver_error, *py_netlist_warning;
PyTypeObject *py_message_type;

void py_lock(py_circuit *self)
{
    if (!PyThread_acquire_lock(self->lock, NOWAIT_LOCK)) {
        Py_BEGIN_ALLOW_THREADS
        PyThread_acquire_lock(self->lock, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    }
}

static void py_unlock(py_circuit *self)
{
    PyThread_release_lock(self->lock);
}

/* The messages of the last call of severity sev as qpsim.Message tuples. */
static PyObject *messages(const qpsim_circuit *c, qpsim_severity sev)
{
    static const char *const names[] = {"error", "warning", "note"};
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list && i < qpsim_message_count(c); i++) {
        const qpsim_message *m = qpsim_message_get(c, i);
        if (m->severity != sev) {
            continue;
        }
        PyObject *t = PyStructSequence_New(py_message_type);
        PyObject *file = m->file ? PyUnicode_DecodeFSDefault(m->file) : Py_NewRef(Py_None);
        PyObject *f[] = {PyUnicode_FromString(names[m->severity]), file,
                         PyLong_FromLong(m->line), PyLong_FromLong(m->col),
                         PyUnicode_FromString(m->message)};
        int ok = t != NULL;
        for (int k = 0; k < 5; k++) {
            ok &= f[k] != NULL;
            if (t && f[k]) {
                PyStructSequence_SetItem(t, k, f[k]); /* steals f[k] */
            } else {
                Py_XDECREF(f[k]);
            }
        }
        if (!ok || PyList_Append(list, t) != 0) {
            Py_CLEAR(list);
        }
        Py_XDECREF(t);
    }
    return list;
}

/* The messages as the command line prints them (the exception's text). */
static PyObject *messages_text(const qpsim_circuit *c)
{
    char *s = NULL;
    if (qpsim_messages_text(c, &s) != QPSIM_OK) {
        return PyErr_NoMemory();
    }
    size_t n = strlen(s);
    PyObject *r = PyUnicode_FromStringAndSize(s, (Py_ssize_t)(n && s[n - 1] == '\n' ? n - 1 : n));
    qpsim_free(s);
    return r;
}

/* A NetlistError with message text carrying the errors errs (qpsim.Message): .errors all of them,
 * .file .line .col .message the first. */
static void raise_netlist(PyObject *errs, PyObject *text)
{
    PyObject *exc = PyObject_CallOneArg(py_netlist_error, text);
    if (!exc) {
        return;
    }
    static const char *const attrs[] = {"file", "line", "col", "message"};
    int ok = PyObject_SetAttrString(exc, "errors", errs) == 0;
    PyObject *first = PyList_GET_SIZE(errs) > 0 ? PyList_GET_ITEM(errs, 0) : NULL;
    for (Py_ssize_t k = 0; ok && k < 4; k++) {
        ok = PyObject_SetAttrString(exc, attrs[k],
                                    first ? PyStructSequence_GetItem(first, k + 1) : Py_None) == 0;
    }
    if (ok) {
        PyErr_SetObject(py_netlist_error, exc);
    }
    Py_DECREF(exc);
}

int py_done(py_circuit *self, qpsim_status st)
{
    PyObject *text = NULL, *errs = NULL;
    int warn = 0;
    for (size_t i = 0; st == QPSIM_OK && i < qpsim_message_count(self->c); i++) {
        warn |= qpsim_message_get(self->c, i)->severity == QPSIM_WARNING;
    }
    if ((st != QPSIM_OK && st != QPSIM_ERR_NOMEM) || warn) {
        text = messages_text(self->c);
        errs = st == QPSIM_ERR_INPUT && text ? messages(self->c, QPSIM_ERROR) : NULL;
    }
    py_unlock(self); /* what follows may run Python code that uses this object */
    int r = -1;
    if (st == QPSIM_ERR_NOMEM) {
        PyErr_NoMemory();
    } else if (!text || (st == QPSIM_ERR_INPUT && !errs)) {
        r = st == QPSIM_OK && !warn ? 0 : -1; /* else: the exception of the failure above */
    } else if (st == QPSIM_OK) {
        const char *t = PyUnicode_AsUTF8(text);
        r = t && PyErr_WarnEx(py_netlist_warning, t, 2) == 0 ? 0 : -1;
    } else if (st == QPSIM_ERR_INPUT) {
        raise_netlist(errs, text);
    } else {
        PyErr_SetObject(st == QPSIM_ERR_NUMERIC ? py_solver_error : PyExc_ValueError, text);
    }
    Py_XDECREF(text);
    Py_XDECREF(errs);
    return r;
}

PyObject *py_array(const double *v, size_t n)
{
    npy_intp dim = (npy_intp)n;
    PyObject *a = PyArray_SimpleNew(1, &dim, NPY_DOUBLE);
    if (a && n) {
        memcpy(PyArray_DATA((PyArrayObject *)a), v, n * sizeof *v);
    }
    return a;
}

PyObject *py_table(const double *v, npy_intp rows, npy_intp cols)
{
    npy_intp dims[2] = {rows, cols};
    PyObject *a = PyArray_SimpleNew(2, dims, NPY_DOUBLE);
    if (a && rows * cols > 0) {
        memcpy(PyArray_DATA((PyArrayObject *)a), v, (size_t)(rows * cols) * sizeof *v);
    }
    return a;
}

static int circuit_init(py_circuit *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"threads", "blas_serial", NULL};
    int threads = 0, blas_serial = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|ip", kwlist, &threads, &blas_serial)) {
        return -1;
    }
    if (threads < 0) {
        PyErr_SetString(PyExc_ValueError, "threads must be 0 (one per CPU) or more");
        return -1;
    }
    if (self->c) {
        PyErr_SetString(PyExc_RuntimeError, "the circuit is already made");
        return -1;
    }
    qpsim_settings s;
    qpsim_settings_default(&s);
    s.threads = threads;
    s.blas_serial = blas_serial;
    self->c = qpsim_circuit_new(&s);
    self->lock = self->c ? PyThread_allocate_lock() : NULL;
    if (!self->c || !self->lock) { /* no half-made object: every method then refuses it */
        qpsim_circuit_free(self->c);
        self->c = NULL;
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void circuit_dealloc(py_circuit *self)
{
    qpsim_circuit_free(self->c);
    if (self->lock) {
        PyThread_free_lock(self->lock);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

qpsim_circuit *py_handle(py_circuit *self)
{
    if (!self->c) {
        PyErr_SetString(PyExc_RuntimeError, "qpsim circuit used before __init__");
    }
    return self->c;
}

/* _load(name, text_or_None, [(name, value), ...]): loads text, or the file `name` when text is
 * None. */
static PyObject *circuit_load(py_circuit *self, PyObject *args)
{
    const char *name, *text;
    PyObject *list;
    if (!py_handle(self) || !PyArg_ParseTuple(args, "szO!", &name, &text, &PyList_Type, &list)) {
        return NULL;
    }
    PyObject *items = PySequence_Tuple(list); /* holds the strings while the GIL is released */
    Py_ssize_t n = items ? PyTuple_GET_SIZE(items) : 0;
    qpsim_param *p = items ? PyMem_Calloc((size_t)(n ? n : 1), sizeof *p) : NULL;
    if (!p) {
        Py_XDECREF(items);
        return items ? PyErr_NoMemory() : NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *it = PyTuple_GET_ITEM(items, i);
        if (!PyTuple_Check(it) || !PyArg_ParseTuple(it, "ss", &p[i].name, &p[i].value)) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_TypeError, "parameters must be (name, value) string pairs");
            }
            PyMem_Free(p);
            Py_DECREF(items);
            return NULL;
        }
    }
    qpsim_status st;
    py_lock(self);
    Py_BEGIN_ALLOW_THREADS
    st = text ? qpsim_load_text(self->c, name, text, p, (size_t)n)
              : qpsim_load_file(self->c, name, p, (size_t)n);
    Py_END_ALLOW_THREADS
    int r = py_done(self, st);
    PyMem_Free(p);
    Py_DECREF(items);
    if (r < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

typedef qpsim_status (*string_call)(qpsim_circuit *c, char **out);

/* A call with a string result, as a str. */
static PyObject *string_result(py_circuit *self, string_call fn)
{
    if (!py_handle(self)) {
        return NULL;
    }
    char *s = NULL;
    qpsim_status st;
    py_lock(self);
    Py_BEGIN_ALLOW_THREADS
    st = fn(self->c, &s);
    Py_END_ALLOW_THREADS
    int r = py_done(self, st);
    PyObject *out = r == 0 ? PyUnicode_FromString(s) : NULL;
    qpsim_free(s);
    return out;
}

static PyObject *circuit_check_text(py_circuit *self, PyObject *unused)
{
    (void)unused;
    return string_result(self, qpsim_check_text);
}

static PyObject *circuit_check_json(py_circuit *self, PyObject *unused)
{
    (void)unused;
    return string_result(self, qpsim_check_json);
}

static PyObject *circuit_run_json(py_circuit *self, PyObject *unused)
{
    (void)unused;
    return string_result(self, qpsim_run_json);
}

static PyObject *circuit_dual(py_circuit *self, PyObject *unused)
{
    (void)unused;
    return string_result(self, qpsim_dual);
}

/* spectrum(levels): the lowest levels [GHz] as a float64 array. */
static PyObject *circuit_spectrum(py_circuit *self, PyObject *args)
{
    int levels, n = 0;
    if (!py_handle(self) || !PyArg_ParseTuple(args, "i", &levels)) {
        return NULL;
    }
    npy_intp dim = levels > 0 ? levels : 0;
    PyArrayObject *a = (PyArrayObject *)PyArray_SimpleNew(1, &dim, NPY_DOUBLE);
    if (!a) {
        return NULL;
    }
    double *E = PyArray_DATA(a);
    qpsim_status st;
    py_lock(self);
    Py_BEGIN_ALLOW_THREADS
    st = qpsim_spectrum(self->c, levels, E, &n);
    Py_END_ALLOW_THREADS
    int r = py_done(self, st);
    if (r < 0) {
        Py_DECREF(a);
        return NULL;
    }
    if (n == levels) {
        return (PyObject *)a;
    }
    PyObject *b = py_array(E, (size_t)n); /* a basis smaller than asked */
    Py_DECREF(a);
    return b;
}

/* sweep(name, values, levels): levels at every value, shape (len(values), n). */
static PyObject *circuit_sweep(py_circuit *self, PyObject *args)
{
    const char *name;
    PyObject *obj;
    int levels, n = 0;
    if (!py_handle(self) || !PyArg_ParseTuple(args, "sOi", &name, &obj, &levels)) {
        return NULL;
    }
    /* a copy: the caller's array is read without the GIL, while other threads may write it */
    PyArrayObject *v = (PyArrayObject *)PyArray_FROM_OTF(obj, NPY_DOUBLE,
                                                         NPY_ARRAY_IN_ARRAY | NPY_ARRAY_ENSURECOPY);
    if (!v) {
        return NULL;
    }
    if (PyArray_NDIM(v) != 1) {
        Py_DECREF(v);
        PyErr_SetString(PyExc_ValueError, "sweep values must be a 1-D sequence of numbers");
        return NULL;
    }
    npy_intp dims[2] = {PyArray_DIM(v, 0), levels > 0 ? levels : 0};
    PyArrayObject *a = (PyArrayObject *)PyArray_SimpleNew(2, dims, NPY_DOUBLE);
    if (!a) {
        Py_DECREF(v);
        return NULL;
    }
    const double *x = PyArray_DATA(v);
    double *E = PyArray_DATA(a);
    qpsim_status st;
    py_lock(self);
    Py_BEGIN_ALLOW_THREADS
    st = qpsim_sweep(self->c, name, x, (size_t)dims[0], levels, E, &n);
    Py_END_ALLOW_THREADS
    int r = py_done(self, st);
    Py_DECREF(v);
    if (r < 0 || n == levels) {
        if (r < 0) {
            Py_CLEAR(a);
        }
        return (PyObject *)a;
    }
    PyObject *b = py_table(E, dims[0], n); /* a basis smaller than asked: the rows are packed */
    Py_DECREF(a);
    return b;
}

static PyMethodDef circuit_methods[] = {
    {"_load", (PyCFunction)circuit_load, METH_VARARGS,
     "_load(name, text or None, [(param, value), ...]): load netlist text, or the file name"},
    {"check_text", (PyCFunction)circuit_check_text, METH_NOARGS,
     "the circuit view of `qpsim check` (str)"},
    {"check_json", (PyCFunction)circuit_check_json, METH_NOARGS,
     "the \"circuit\" member of `qpsim check --json` (str)"},
    {"run_json", (PyCFunction)circuit_run_json, METH_NOARGS,
     "the document of `qpsim run --json` (str)"},
    {"dual", (PyCFunction)circuit_dual, METH_NOARGS, "the dual netlist, as `qpsim dual` (str)"},
    {"_spectrum", (PyCFunction)circuit_spectrum, METH_VARARGS, "_spectrum(levels)"},
    {"_sweep", (PyCFunction)circuit_sweep, METH_VARARGS, "_sweep(name, values, levels)"},
    {"_matrix_elements", (PyCFunction)py_matrix_elements, METH_VARARGS,
     "_matrix_elements(op, levels) -> (complex array, levels)"},
    {"_wavefunctions", (PyCFunction)py_wavefunctions, METH_VARARGS,
     "_wavefunctions(levels, points) -> dict"},
    {"_bands", (PyCFunction)py_bands, METH_VARARGS, "_bands(element or None, levels, points)"},
    {"_tran", (PyCFunction)py_tran, METH_VARARGS, "_tran(tstep, tstop) -> dict"},
    {"_coherence", (PyCFunction)py_coherence, METH_VARARGS, "_coherence(from, to) -> dict"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject circuit_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "qpsim._qpsim.CircuitBase",
    .tp_doc = "A loaded netlist (the C API's circuit handle); use qpsim.Circuit.",
    .tp_basicsize = sizeof(py_circuit),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)circuit_init,
    .tp_dealloc = (destructor)circuit_dealloc,
    .tp_methods = circuit_methods,
};

static PyStructSequence_Field message_fields[] = {
    {"severity", "'error', 'warning' or 'note'"},
    {"file", "the file, or None: no place in a file"},
    {"line", "1-based; 0 without a place"},
    {"col", "1-based; 0 without a place"},
    {"message", "the text"},
    {NULL, NULL},
};

static PyStructSequence_Desc message_desc = {
    "qpsim.Message", "One message of qpsim, as `FILE:LINE:COL: error: message`.", message_fields,
    5};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "qpsim._qpsim",
    "The C extension of qpsim (use the package qpsim).", -1, NULL, NULL, NULL, NULL, NULL};

/* Adds obj to m under name, taking a new reference; -1 on failure. */
static int add(PyObject *m, const char *name, PyObject *obj)
{
    Py_XINCREF(obj);
    if (!obj || PyModule_AddObject(m, name, obj) < 0) {
        Py_XDECREF(obj);
        return -1;
    }
    return 0;
}

PyMODINIT_FUNC PyInit__qpsim(void);
PyMODINIT_FUNC PyInit__qpsim(void)
{
    import_array();
    if (PyType_Ready(&circuit_type) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module_def);
    if (!m) {
        return NULL;
    }
    if (!py_netlist_error) {
        py_netlist_error = PyErr_NewExceptionWithDoc(
            "qpsim.NetlistError", "A bad netlist: .file, .line, .col, .message of the first "
            "error, .errors all of them (qpsim.Message).", PyExc_ValueError, NULL);
        py_solver_error = PyErr_NewExceptionWithDoc(
            "qpsim.SolverError", "A numerical failure (no convergence, a basis too large).",
            PyExc_RuntimeError, NULL);
        py_netlist_warning = PyErr_NewExceptionWithDoc(
            "qpsim.NetlistWarning", "A warning about the netlist or the computation.",
            PyExc_UserWarning, NULL);
        py_message_type = PyStructSequence_NewType(&message_desc);
    }
    if (add(m, "CircuitBase", (PyObject *)&circuit_type) < 0 ||
        add(m, "NetlistError", py_netlist_error) < 0 ||
        add(m, "SolverError", py_solver_error) < 0 ||
        add(m, "NetlistWarning", py_netlist_warning) < 0 ||
        add(m, "Message", (PyObject *)py_message_type) < 0 ||
        PyModule_AddStringConstant(m, "version", qpsim_version()) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
