""".matrix on the hierarchical path agrees with the exact product basis.

Two circuits, each run with its .matrix as written (method auto: hierarchical, which the JSON
must say) and with method=exact added:
- three capacitively coupled transmons (distinct EJ/EC, an offset on q1): hierarchical in the
  quantizer's modes, and again with groups=1+2/3;
- examples/array_fluxonium.cir (a fluxonium whose inductor is three junctions, E_J/E_C = 400):
  hierarchical in extended normal modes, where n(1) and cos(BA1) must be rewritten on the new
  coordinates (levels 0 and 1 only: levels 2 and 3 are a degenerate pair, whose elements depend
  on the basis chosen inside the pair).
A state is defined up to its phase, and the two paths fix it differently (largest component real
in different bases), so off-diagonal elements are compared in magnitude, diagonal ones as they
are. Tolerances: levels 2 tol + 1e-10 relative (each path stops within tol, as run_methods.py);
elements ELEM_TOL absolute (the states themselves are converged to about sqrt(tol x the level
spacing) ~ 1e-4 of their norm at tol 1e-8 and ~5 GHz gaps; the measured differences are below
1e-7, so 1e-5 leaves room without hiding an error of a wrong coordinate, which shows at the
percent level).

    python3 run_matrix_hier.py QPSIM EXAMPLES_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

import taplib

ELEM_TOL = 1e-5  # absolute, in the operator's unit (2e, or 1 for cos)
TOL = 1e-8       # GHz, the decks' tol (the default)

TRANSMONS = """* three transmons in a chain
B1 q1 0 ej=15 ec=0.3
B2 q2 0 ej=12 ec=0.25
B3 q3 0 ej=18 ec=0.28
C12 q1 q2 3fF
C23 q2 q3 2.5fF
.ng q1 0.1
.matrix n(q1) n(q3) cos(B2) levels=4%s
"""


def run(exe, text, tmp, name):
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    r = subprocess.run([exe, "run", "--json", path], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        return None, "exit %d: %s" % (r.returncode, r.stderr.strip())
    return json.loads(r.stdout)["analyses"][-1], ""


def compare(hier, exact, nlev):
    problems = []
    if hier.get("method") != "hierarchical":
        problems.append("the default path was %r, not hierarchical" % hier.get("method"))
    if exact.get("method") != "exact":
        problems.append("method=exact ran %r" % exact.get("method"))
    for k in range(nlev):
        a, b = hier["levels"][k], exact["levels"][k]
        if abs(a - b) > 2 * TOL + 1e-10 * abs(b):
            problems.append("level %d: %.12f against %.12f" % (k, a, b))
    worst = 0.0
    for mh, mx in zip(hier["matrix_elements"], exact["matrix_elements"]):
        for i in range(nlev):
            for j in range(nlev):
                zh = complex(mh["re"][i][j], mh["im"][i][j])
                zx = complex(mx["re"][i][j], mx["im"][i][j])
                d = abs(zh - zx) if i == j else abs(abs(zh) - abs(zx))
                worst = max(worst, d)
                if d > ELEM_TOL:
                    problems.append("<%d|%s|%d>: %s against %s" % (i, mh["operator"], j, zh, zx))
    return problems, worst


def main():
    exe, examples = os.path.abspath(sys.argv[1]), sys.argv[2]
    tap = taplib.Tap(3)
    with tempfile.TemporaryDirectory() as tmp:
        exact, err = run(exe, TRANSMONS % " method=exact", tmp, "x.cir")
        for label, extra in (("three transmons, automatic", ""),
                             ("three transmons, groups=1+2/3", " method=hierarchical groups=1+2/3")):
            hier, err2 = run(exe, TRANSMONS % extra, tmp, "h.cir")
            if hier is None or exact is None:
                tap.fail(label, [err or err2])
                continue
            problems, worst = compare(hier, exact, 4)
            tap.result(label + ": .matrix equals method=exact", problems,
                       " (max diff %.1e, %d kept states against %d)" % (worst, hier["dim"],
                                                                        exact["dim"]))
        text = open(os.path.join(examples, "array_fluxonium.cir"), encoding="utf-8").read()
        text += ".matrix n(1) cos(BA1) levels=2%s\n"
        hier, err = run(exe, text % "", tmp, "ah.cir")
        exact, err2 = run(exe, text % " method=exact", tmp, "ax.cir")
        label = "array fluxonium in extended coordinates: .matrix equals method=exact"
        if hier is None or exact is None:
            tap.fail(label, [err or err2])
        else:
            problems, worst = compare(hier, exact, 2)
            if not hier.get("extended"):
                problems.append("not solved in extended coordinates")
            tap.result(label, problems, " (max diff %.1e, %d kept states against %d)"
                       % (worst, hier["dim"], exact["dim"]))
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
