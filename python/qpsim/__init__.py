"""qpsim: simulator of superconducting quantum circuits, from Python.

    import qpsim
    c = qpsim.Circuit.from_file("fluxonium.cir", params={"f": 0.25})
    c.spectrum(levels=6)                  # numpy array, GHz (absolute)
    c.sweep("f", numpy.linspace(0, 1, 401), levels=6)   # shape (401, 6)

A Circuit is a netlist loaded by libqpsim (its C API, docs/api.md): every call runs the engine
in-process with the GIL released, and returns numpy arrays and plain dicts. A bad netlist raises
NetlistError (a ValueError) with the place of each error; a numerical failure raises
SolverError; a bad argument raises ValueError or TypeError. docs/python.md has every call.
"""
import json as _json
import numbers as _numbers
import os as _os

from ._qpsim import CircuitBase as _CircuitBase
from ._qpsim import Message, NetlistError, NetlistWarning, SolverError
from ._qpsim import version as __version__

__all__ = ["Circuit", "NetlistError", "SolverError", "NetlistWarning", "Message"]


def _param_text(name, value):
    """A parameter value as netlist text: numbers exactly (repr round-trips a float), strings as
    written ("80f", "{2*x}")."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, _numbers.Real):
        raise TypeError("params[%r]: a number or a netlist value string, not %s"
                        % (name, type(value).__name__))
    return repr(float(value))


def _params(params):
    if params is None:
        return []
    if not hasattr(params, "items"):
        raise TypeError("params must be a dict {name: value}, not %s" % type(params).__name__)
    out = []
    for name, value in params.items():
        if not isinstance(name, str):
            raise TypeError("params: parameter names are strings, not %s" % type(name).__name__)
        out.append((name, _param_text(name, value)))
    return out


def _levels(levels, what="levels"):
    if isinstance(levels, bool) or not isinstance(levels, _numbers.Integral):
        raise TypeError("%s must be an integer, not %s" % (what, type(levels).__name__))
    return int(levels)


class Circuit(_CircuitBase):
    """A netlist loaded and elaborated: Circuit(netlist_text, params={...}) or
    Circuit.from_file(path, params={...}). `text=` is accepted for netlist_text (earlier
    versions named it so). params overrides top-level .param values (numbers, or
    strings in the netlist's value syntax), as `qpsim run --set` does. threads: sweep points on
    this many threads (0: one per CPU; the numbers do not depend on it). blas_serial: OpenBLAS
    on one thread while qpsim computes (process-wide, restored afterwards; docs/python.md)."""

    def __init__(self, netlist_text=None, params=None, *, text=None, name="<string>", threads=0,
                 blas_serial=True):
        if (netlist_text is None) == (text is None):
            raise TypeError("Circuit(netlist_text): give the netlist text once (positionally, "
                            "or as netlist_text=)")
        text = netlist_text if text is None else text
        if not isinstance(text, str):
            raise TypeError("Circuit(netlist_text): the netlist text is a str, not %s; use "
                            "Circuit.from_file(path) for a file" % type(text).__name__)
        super().__init__(threads=threads, blas_serial=blas_serial)
        self._load(name, text, _params(params))

    @classmethod
    def from_file(cls, path, params=None, *, threads=0, blas_serial=True):
        """The netlist at path (with its .include files)."""
        self = cls.__new__(cls)
        _CircuitBase.__init__(self, threads=threads, blas_serial=blas_serial)
        self._load(_os.fsdecode(_os.fspath(path)), None, _params(params))
        return self

    def __repr__(self):
        return self.check_text()

    def check(self):
        """The circuit as `qpsim check --json` shows it (its "circuit" member): dict. Raises
        NetlistError where `qpsim check` fails (a .matrix operator not single-valued on the
        modes, a .wavefunction that cannot be drawn)."""
        return _json.loads(self.check_json())

    def run(self):
        """Every analysis of the deck, as `qpsim run --json` writes it: dict."""
        return _json.loads(self.run_json())

    def spectrum(self, levels=6):
        """The lowest levels eigenvalues, GHz (absolute), at the deck's parameter values."""
        return self._spectrum(_levels(levels))

    def sweep(self, name, values, levels=6):
        """The lowest levels at each value of the top-level .param name: array of shape
        (len(values), levels), GHz. One engine sweep: the basis converged at the first, middle and
        last values and reused between them (give the values in order), the points on the
        circuit's threads."""
        if not isinstance(name, str):
            raise TypeError("sweep: the parameter name is a str, not %s" % type(name).__name__)
        return self._sweep(name, values, _levels(levels))

    def matrix_elements(self, op, levels=4):
        """<i|op|j> between the lowest levels states: complex array (levels, levels). op is one
        operator of .matrix: "n(1)", "phi(B1)", "q(Q1)", "cos(B1)", "sin(B1)"."""
        if not isinstance(op, str):
            raise TypeError("matrix_elements: the operator is a str such as 'phi(B1)'")
        return self._matrix_elements(op, _levels(levels))[0]

    def wavefunction(self, k=0, points=0):
        """State k on a grid of the circuit's one or two variables: dict with "variables" (names,
        e.g. "phi(1)_rad"), "grid" (one array per variable), "psi" (complex, shape of the grid),
        "norm" (the integral of |psi|^2 on the grid) and "energy_GHz". The grid is the one
        .wavefunction draws for the lowest max(k + 1, its levels=) states (levels= of the deck's
        .wavefunction, else 3); points: per variable (0: the deck's points=, else 201)."""
        k = _levels(k, "k")
        if k < 0:
            raise ValueError("wavefunction: k is a level index, 0 or more (got %d)" % k)
        points = _levels(points, "points")
        w = self._wavefunctions(0, points)
        if w["psi"].shape[0] <= k:
            w = self._wavefunctions(k + 1, points)
        if w["psi"].shape[0] <= k:
            raise ValueError("wavefunction: the basis holds only %d levels" % w["psi"].shape[0])
        return {"variables": w["variables"], "grid": w["grid"], "psi": w["psi"][k],
                "norm": float(w["norm"][k]), "energy_GHz": float(w["levels"][k])}

    def bands(self, element=None, levels=0, points=0):
        """Bloch bands of a junction against its quasicharge q (or of a phase-slip junction against
        its loop flux f), one period from -1/2 to 1/2: dict with "q", "levels" (shape (points,
        levels), GHz), "widths", "gaps", "es_eff_GHz", ... element None: the deck's .bands;
        levels, points 0: the deck's values, else 3 and 101."""
        if element is not None and not isinstance(element, str):
            raise TypeError("bands: the element is a name such as 'B1'")
        return self._bands(element, _levels(levels), _levels(points, "points"))

    def tran(self, tstep=0.0, tstop=0.0):
        """The deck's .tran (TSTEP and TSTOP replaced when given, in seconds): dict with "t" (s),
        "signals" {name: array} (.print chooses them), "frequencies" (one report per junction:
        f_sim_Hz, f_theory_Hz, law, ...), "steps", "rejected"."""
        return self._tran(float(tstep), float(tstop))

    def coherence(self, transition=None):
        """T1 and Tphi of a transition (from, to) (None: the deck's .coherence, else (1, 0)): dict
        with "f_GHz", "temp_K", "channels" {name: {"time_s", "rate_per_s"}}, "t1_s", "t2_s"
        (inf where a rate is 0), with the deck's .coherence settings."""
        if transition is None:
            return self._coherence(-1, -1)
        i, j = transition
        i, j = _levels(i, "transition"), _levels(j, "transition")
        if i < 0 or j < 0:
            raise ValueError("coherence: levels are 0 or more (got %d, %d)" % (i, j))
        return self._coherence(i, j)
