"""Spectra and sweeps from Python against the command line's JSON (another path through the
engine: a process, the deck's own directives, JSON text) and against closed forms."""
import math
import os
import re

import numpy as np
import pytest

import qpsim

# The command line and the package converge the same levels with the same settings: they agree
# to rounding. Against closed forms and published values, the convergence tolerance of the
# automatic cutoffs (1e-8 GHz) or the decks' own stated tolerances apply.
SAME_PATH_ATOL = 1e-12  # GHz
CONVERGED_ATOL = 1e-7   # GHz: two independently converged runs (each within 1e-8 of exact)
PUBLISHED_RTOL = 1e-9   # the fluxonium levels quoted to 9-10 digits in netlists/fluxonium.cir

DECKS = ["netlists/fluxonium.cir", "netlists/transmon.cir", "netlists/squid_transmon.cir",
         "netlists/phase_slip_loop.cir", "netlists/dual_fluxonium.cir", "netlists/lc.cir",
         "netlists/coupled_transmons.cir", "netlists/flux_qubit.cir"]


def spectrum_of(doc):
    return next(a for a in doc["analyses"] if a["type"] == "spectrum")


@pytest.mark.parametrize("deck", DECKS)
def test_spectrum_equals_cli(deck, root, cli_json):
    path = os.path.join(root, deck)
    want = np.array(spectrum_of(cli_json("run", path))["levels"])
    got = qpsim.Circuit.from_file(path).spectrum(levels=len(want))
    assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == want.shape
    assert np.abs(got - want).max() <= SAME_PATH_ATOL


def test_fluxonium_published_levels(root):
    """netlists/fluxonium.cir's expected levels (an independent computation, quoted there)."""
    path = os.path.join(root, "netlists", "fluxonium.cir")
    text = open(path).read()
    want = [float(x) for x in re.search(r"expected levels \(GHz\): (.*)", text).group(1).split()]
    got = qpsim.Circuit.from_file(path).spectrum(levels=5)
    np.testing.assert_allclose(got, want, rtol=PUBLISHED_RTOL)


def test_text_equals_file(root):
    """The text positionally, as netlist_text= (the contract's name) and as text= (the earlier
    name): the same circuit as the file."""
    path = os.path.join(root, "netlists", "fluxonium.cir")
    a = qpsim.Circuit.from_file(path).spectrum(6)
    text = open(path).read()
    for b in (qpsim.Circuit(text), qpsim.Circuit(netlist_text=text, params=None),
              qpsim.Circuit(text=text)):
        assert np.array_equal(a, b.spectrum(6))


LC = """* LC oscillator: w = sqrt(8 EC EL)
.param el=0.5 ec=2.5
C1 1 0 ec={ec}
L1 1 0 el={el}
"""


@pytest.mark.parametrize("el", [0.1, 0.5, 3.0])
def test_lc_closed_form_with_params(el):
    c = qpsim.Circuit(LC, params={"el": el, "EC": "1.5"})
    w = math.sqrt(8 * 1.5 * el)
    np.testing.assert_allclose(c.spectrum(levels=5), w * (np.arange(5) + 0.5), rtol=1e-12)


def test_params_equal_cli_set(tmp_path, cli_json):
    """params= is --set: a number, and a value string in the netlist's syntax."""
    deck = tmp_path / "fl.cir"
    deck.write_text(".param f=0 ej=8.9\nB1 1 0 ej={ej}\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n"
                    ".flux {f}\n.spectrum levels=5\n")
    want = np.array(spectrum_of(cli_json("run", deck, "--set", "f=0.3", "--set",
                                         "ej={17/2}"))["levels"])
    got = qpsim.Circuit.from_file(deck, params={"f": 0.3, "ej": "{17/2}"}).spectrum(5)
    assert np.abs(got - want).max() <= SAME_PATH_ATOL


SWEEP_DECK = "bench/fluxonium_sweep401.cir"


def test_sweep_equals_cli_sweep(root, cli_json):
    """The 401-point fluxonium flux sweep: the same engine sweep, the same numbers."""
    path = os.path.join(root, SWEEP_DECK)
    a = spectrum_of(cli_json("run", path))
    values, want = np.array(a["sweep"]["values"]), np.array(a["levels"])
    c = qpsim.Circuit.from_file(path)
    got = c.sweep("f", values, levels=want.shape[1])
    assert got.shape == (401, 6)
    assert np.abs(got - want).max() <= SAME_PATH_ATOL
    # and the deck's published levels at f = 1/2 (index 200)
    np.testing.assert_allclose(got[200, :5], [-0.630011458, -0.266590091, 8.756337508,
                                              11.698810543, 16.672522106], rtol=PUBLISHED_RTOL)


def test_sweep_values_in_any_spacing(root):
    """Values not evenly spaced: each row equals the spectrum computed alone at that value."""
    c = qpsim.Circuit(".param f=0\nB1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n.flux {f}\n")
    values = [0.0, 0.1, 0.13, 0.31, 0.5]
    rows = c.sweep("F", values, levels=4)
    for v, row in zip(values, rows):
        alone = qpsim.Circuit(".param f=0\nB1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n"
                              ".flux {f}\n", params={"f": v}).spectrum(4)
        assert np.abs(row - alone).max() <= CONVERGED_ATOL


def test_sweep_threads_same_numbers(root):
    path = os.path.join(root, SWEEP_DECK)
    f = np.linspace(0, 1, 101)
    one = qpsim.Circuit.from_file(path, threads=1).sweep("f", f, 6)
    two = qpsim.Circuit.from_file(path, threads=2).sweep("f", f, 6)
    assert np.array_equal(one, two)


def test_sweep_accepts_sequences():
    c = qpsim.Circuit(LC)
    a = c.sweep("el", [0.5, 2], levels=2)
    b = c.sweep("el", np.array([0.5, 2.0], dtype=np.float32), levels=2)
    t = c.sweep("el", (0.5, 2), levels=2)
    w = np.sqrt(8 * 2.5 * np.array([0.5, 2.0]))
    np.testing.assert_allclose(a, np.outer(w, [0.5, 1.5]), rtol=1e-12)
    assert np.array_equal(a, b) and np.array_equal(a, t)


FLUXONIUM_EL = ".param el=0.5\nB1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el={el}\n.flux 0.5\n"


def test_sweep_shuffled_values_equal_single_points():
    """Values in no order: the engine converges the basis at the ends and the middle of a sweep
    and reuses it between, so the package sweeps them sorted and returns the rows in the caller's
    order; each row equals the spectrum computed alone (an inductive energy from 0.02 to 2 GHz
    needs very different bases)."""
    c = qpsim.Circuit(FLUXONIUM_EL)
    values = [2.0, 0.02, 1.0, 0.05, 2.0, 0.3]
    rows = c.sweep("el", values, levels=4)
    for v, row in zip(values, rows):
        alone = qpsim.Circuit(FLUXONIUM_EL, params={"el": v}).spectrum(4)
        assert np.abs(row - alone).max() <= CONVERGED_ATOL, (v, row, alone)
    ordered = c.sweep("el", sorted(values), levels=4)
    back = ordered[np.argsort(np.argsort(values, kind="stable"), kind="stable")]
    assert np.abs(rows - back).max() <= SAME_PATH_ATOL


def test_sweep_after_fork(root):
    """A child of fork() (multiprocessing's default on Linux) inherits a handle whose worker
    threads stayed in the parent: its sweep must not hang and must give the parent's numbers."""
    path = os.path.join(root, SWEEP_DECK)
    f = np.linspace(0, 1, 41)
    c = qpsim.Circuit.from_file(path, threads=2)
    want = c.sweep("f", f, 4)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, leave without running the parent's cleanups
        try:
            os.write(w, c.sweep("f", f, 4).tobytes())
        finally:
            os._exit(0)
    os.close(w)
    data = b""
    import select
    import time
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([r], [], [], 1.0)
        if ready:
            chunk = os.read(r, 1 << 16)
            if not chunk:
                break
            data += chunk
    os.close(r)
    done, _ = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    got = np.frombuffer(data, dtype=np.float64)
    assert got.size == want.size, "the child's sweep did not finish within 60 s"
    assert np.array_equal(got.reshape(want.shape), want)
