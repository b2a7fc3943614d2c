/* The qpsim._qpsim extension: what its two files share (the circuit object, its lock, the
 * exceptions, turning a failed call into one). Uses only the C API of qpsim/qpsim.h. */
#ifndef QPSIM_PY_MODULE_H
#define QPSIM_PY_MODULE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL qpsim_py_ARRAY_API
#ifndef QPSIM_PY_MAIN
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include "qpsim/qpsim.h"

/* A loaded circuit. `lock` keeps one call and the reading of its messages together when
 * several Python threads share the object; it is taken with the GIL released (so a thread
 * that waits for it never holds the GIL the holder needs). */
typedef struct {
    PyObject_HEAD
    qpsim_circuit *c;
    PyThread_type_lock lock;
} py_circuit;

/* The module's exceptions and message type (set when the module is made). */
extern PyObject *py_netlist_error, *py_solver_error, *py_netlist_warning;
extern PyTypeObject *py_message_type;

/* The object's handle, or NULL with RuntimeError when its __init__ did not run. */
qpsim_circuit *py_handle(py_circuit *self);

/* Takes the object's lock (with the GIL released while it waits). */
void py_lock(py_circuit *self);

/* Ends a call that returned st: reads what it needs of the call's messages, releases the lock,
 * then gives 0 for QPSIM_OK (after issuing the call's warnings as one qpsim.NetlistWarning,
 * attributed to the caller of the package's method; -1
 * when a warning filter raised it) or -1 with the exception of the status set: NetlistError
 * (bad input), ValueError (bad argument), SolverError (numerical failure), MemoryError. */
int py_done(py_circuit *self, qpsim_status st);

/* The computing methods of results.c (the lock and the GIL handled there). */
PyObject *py_matrix_elements(py_circuit *self, PyObject *args);
PyObject *py_wavefunctions(py_circuit *self, PyObject *args);
PyObject *py_bands(py_circuit *self, PyObject *args);
PyObject *py_tran(py_circuit *self, PyObject *args);
PyObject *py_coherence(py_circuit *self, PyObject *args);

/* A new 1-D float64 array holding a copy of n values, or a 2-D one of rows x cols values
 * (row-major); NULL with an exception set. */
PyObject *py_array(const double *v, size_t n);
PyObject *py_table(const double *v, npy_intp rows, npy_intp cols);

#endif
