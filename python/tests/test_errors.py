"""Errors from Python: every error fixture of tests/errors (the exact messages the command line
must print, with their places) raised as NetlistError, ValueError or SolverError with the same
text, places and count; bad arguments as ValueError or TypeError, never a crash."""
import os
import shlex
import warnings

import numpy as np
import pytest

import qpsim

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "tests", "errors")


def fixture(name):
    """(expected lines, params, exit status, command) of an error fixture."""
    expect, args, code, command = [], [], 1, "check"
    for line in open(os.path.join(FIXTURES, name), encoding="utf-8", errors="replace"):
        s = line.strip()
        if s.startswith("* expect:"):
            expect.append(s[len("* expect:"):].strip())
        elif s.startswith("* expect-exit:"):
            code = int(s.split(":", 1)[1])
        elif s.startswith("* args:"):
            args += shlex.split(s.split(":", 1)[1])
        elif s.startswith("* command:"):
            command = s.split(":", 1)[1].strip()
    params = dict(a.split("=", 1) for a in args if a != "--set")
    return expect, params, code, command


NAMES = sorted(f for f in os.listdir(FIXTURES) if f.endswith(".cir") and not f.startswith("_"))


@pytest.mark.parametrize("name", NAMES)
def test_error_fixture(name, monkeypatch):
    expect, params, code, command = fixture(name)
    monkeypatch.chdir(FIXTURES)  # the fixtures name their files relative to their folder
    kind = {1: qpsim.NetlistError, 2: ValueError, 3: qpsim.SolverError}[code]
    shown = []  # the warnings of a load that succeeds, which the command line prints first
    with warnings.catch_warnings(record=True) as caught, pytest.raises(kind) as e:
        warnings.simplefilter("always")
        c = qpsim.Circuit.from_file(name, params=params)  # `check` and `run` fail here...
        shown = [str(w.message) for w in caught if w.category is qpsim.NetlistWarning]
        if command == "run":
            c.run()  # ... or `run` here
        else:
            c.check()  # ... or check's own stage, on the modes (.matrix operators)
    assert command == "run" or not shown
    got = "\n".join(shown + [str(e.value)]).splitlines()
    assert got == expect
    if code == 1:
        errors = [x for x in expect if ": error: " in x]
        assert len(e.value.errors) == len(errors)
        first = errors[0]
        where, message = first.split(": error: ", 1)
        assert e.value.message == message
        if where.startswith("qpsim"):  # an error without a place
            assert (e.value.file, e.value.line, e.value.col) == (None, 0, 0)
        else:
            file, line, col = where.rsplit(":", 2)
            assert (e.value.file, e.value.line, e.value.col) == (file, int(line), int(col))
        assert isinstance(e.value, ValueError)
        assert all(isinstance(m, qpsim.Message) and m.severity == "error"
                   for m in e.value.errors)
    else:
        assert not isinstance(e.value, qpsim.NetlistError)


def test_netlist_error_places():
    text = "* three errors at once\nC1 1 0 5nH\nB1 1 0 ej=5g\n.param a={b} b={a}\n"
    with pytest.raises(qpsim.NetlistError) as e:
        qpsim.Circuit(text, name="bad.cir")
    assert (e.value.file, e.value.line, e.value.col) == ("bad.cir", 2, 10)
    assert e.value.message == "'5nH' is an inductance, but a capacitance (F) is expected here"
    assert [(m.file, m.line, m.col) for m in e.value.errors] == [("bad.cir", 2, 10),
                                                                 ("bad.cir", 3, 12),
                                                                 ("bad.cir", 4, 17)]
    assert str(e.value).splitlines()[2] == "bad.cir:4:17: error: parameter cycle: a -> b -> a"


def test_missing_file(tmp_path):
    with pytest.raises(qpsim.NetlistError) as e:
        qpsim.Circuit.from_file(tmp_path / "none.cir")
    assert "none.cir" in e.value.message and "No such file" in e.value.message


def test_solver_error():
    deck = "".join("B%d %d 0 ej=15\nC%d %d 0 ec=0.3\n" % (i, i, i, i) for i in range(1, 7))
    deck += "".join("CC%d %d %d 2fF\n" % (i, i - 1, i) for i in range(2, 7))
    c = qpsim.Circuit(deck + ".spectrum method=exact\n")
    with pytest.raises(qpsim.SolverError, match="85766121 states"):
        c.spectrum(6)
    assert issubclass(qpsim.SolverError, RuntimeError)


FLUX = ".param f=0.5\nB1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n.flux {f}\n"


@pytest.mark.parametrize("call, exc", [
    (lambda c: c.spectrum(0), ValueError),
    (lambda c: c.spectrum(-2), ValueError),
    (lambda c: c.spectrum(10001), ValueError),
    (lambda c: c.spectrum("3"), TypeError),
    (lambda c: c.spectrum(2.5), TypeError),
    (lambda c: c.sweep("nope", [0, 1]), ValueError),
    (lambda c: c.sweep("f", []), ValueError),
    (lambda c: c.sweep("f", [[0, 1], [2, 3]]), ValueError),
    (lambda c: c.sweep("f", [0, float("nan")]), ValueError),
    (lambda c: c.sweep("f", ["a", "b"]), ValueError),
    (lambda c: c.sweep(3, [0, 1]), TypeError),
    (lambda c: c.matrix_elements("phi(B9)"), ValueError),
    (lambda c: c.matrix_elements("phi(B1) levels=9"), ValueError),
    (lambda c: c.matrix_elements("n(1)\n.include x"), ValueError),
    (lambda c: c.matrix_elements(None), TypeError),
    (lambda c: c.wavefunction(-1), ValueError),
    (lambda c: c.wavefunction(0, points=1), ValueError),
    (lambda c: c.bands(), ValueError),
    (lambda c: c.bands("C1"), ValueError),
    (lambda c: c.bands("Z7"), ValueError),
    (lambda c: c.tran(), ValueError),
    (lambda c: c.tran(1e-12, "x"), ValueError),
    (lambda c: c.coherence((1, 1)), ValueError),
    (lambda c: c.coherence((0, -1)), ValueError),
    (lambda c: c.coherence((0, 1, 2)), ValueError),
])
def test_bad_arguments(call, exc):
    c = qpsim.Circuit(FLUX)
    with pytest.raises(exc):
        call(c)
    assert np.isfinite(c.spectrum(2)).all()  # the circuit still works


@pytest.mark.parametrize("args, kw, exc", [
    ((FLUX,), {"params": {"nope": 1}}, ValueError),
    ((FLUX,), {"params": {"f": "8.0.1"}}, ValueError),
    ((FLUX,), {"params": {"f": None}}, TypeError),
    ((FLUX,), {"params": {"f": True}}, TypeError),
    ((FLUX,), {"params": [("f", 1)]}, TypeError),
    ((FLUX,), {"threads": -1}, ValueError),
    ((42,), {}, TypeError),
    ((), {}, TypeError),
    ((FLUX,), {"text": FLUX}, TypeError),
    ((b"B1 1 0 ej=1\n",), {}, TypeError),
    (("C1 1 0 1f\x00",), {}, ValueError),
])
def test_bad_construction(args, kw, exc):
    with pytest.raises(exc):
        qpsim.Circuit(*args, **kw)


def test_unknown_parameter_message():
    with pytest.raises(ValueError, match="no top-level .param named 'nope'"):
        qpsim.Circuit(FLUX, params={"nope": 1})
    with pytest.raises(ValueError, match="'nope' is not a top-level .param"):
        qpsim.Circuit(FLUX).sweep("nope", [0.0])


def test_warning_is_issued():
    with pytest.warns(qpsim.NetlistWarning, match="M = milli"):
        qpsim.Circuit("R1 1 0 1MOhm\nC1 1 0 1f\nL1 1 0 1n\n")


def test_object_without_init():
    """An object whose __init__ did not run (copy.copy, a subclass that forgot it) raises."""
    b = qpsim.Circuit.__new__(qpsim.Circuit)
    for call in [lambda: b.spectrum(2), lambda: b.sweep("f", [0.0]), lambda: repr(b),
                 lambda: b.matrix_elements("n(1)"), lambda: b.wavefunction(0),
                 lambda: b.bands("B1"), lambda: b.tran(1e-12, 1e-9), lambda: b.coherence(),
                 lambda: b.run(), lambda: b.dual()]:
        with pytest.raises(RuntimeError, match="before __init__"):
            call()
