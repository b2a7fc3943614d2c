"""The matrix-product-state spectrum (.spectrum method=mps) against independent numbers.

1. examples/array_fluxonium.cir (three junctions) with method=mps: its four levels against
   tests/oracles/array_fluxonium.py (a node-charge basis in numpy; the values it printed are in
   the deck's comment and below), TOL_ORACLE GHz absolute.
2. The same deck at six junctions (E_J = 40, E_C = 0.1 GHz, tol 1e-4 GHz; bench/array_deck.py):
   method=mps against method=hierarchical (extended normal modes, another basis and method);
   each stops when a growth step moves the levels by less than tol, so they may differ by
   2 tol.
3. Automatic choice: an array of QP_SPEC_MPS_FROM = 8 junctions (eight charge modes) takes the
   MPS path by itself (fewer modes keep their paths: tests/run_methods.py and the golden decks).
4. method=mps on a circuit that is not a chain of charge modes (an inductor) is an error with
   advice, at the .spectrum line.

    python3 run_mps.py QPSIM EXAMPLES_DIR BENCH_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

import taplib

TOL_ORACLE = 1e-8  # GHz absolute: the "agrees with the exact product solve to 1e-8"
ORACLE = [-103.8926440378, -100.5654348896, -98.3551321033, -98.3551321033]


def run(exe, text, tmp, name):
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    r = subprocess.run([exe, "run", "--json", path], capture_output=True, text=True, timeout=600)
    return r, (json.loads(r.stdout) if r.returncode == 0 else None)


def spectrum(res):
    return [a for a in res["analyses"] if "levels" in a][0]


def main():
    exe, examples, bench = (os.path.abspath(a) for a in sys.argv[1:4])
    sys.path.insert(0, bench)
    import array_deck  # bench/array_deck.py: the decks of docs/performance.md
    tap = taplib.Tap(5)
    with tempfile.TemporaryDirectory() as tmp:
        text = open(os.path.join(examples, "array_fluxonium.cir"), encoding="utf-8").read()
        text = text.replace(".spectrum levels=4", ".spectrum levels=4 method=mps")
        r, res = run(exe, text, tmp, "a3.cir")
        problems = [] if res else ["exit %d: %s" % (r.returncode, r.stderr.strip())]
        if res:
            s = spectrum(res)
            if s.get("method") != "mps":
                problems.append("ran %s" % s.get("method"))
            for k, (x, y) in enumerate(zip(s["levels"], ORACLE)):
                if abs(x - y) > TOL_ORACLE:
                    problems.append("level %d: %.10f against the oracle's %.10f" % (k, x, y))
        tap.result("three junctions: method=mps against the numpy oracle (1e-8 GHz)", problems)

        tol = 1e-4
        out = {}
        for method in ("mps", "hierarchical"):
            r, out[method] = run(exe, array_deck.deck(6, 40, 0.1, tol, method), tmp, method)
            if not out[method]:
                out[method + "_err"] = r.stderr.strip()
        problems = []
        if out["mps"] and out["hierarchical"]:
            a, b = spectrum(out["mps"]), spectrum(out["hierarchical"])
            for k, (x, y) in enumerate(zip(a["levels"], b["levels"])):
                if abs(x - y) > 2 * tol:
                    problems.append("level %d: mps %.8f, hierarchical %.8f" % (k, x, y))
        else:
            problems.append("a run failed: %s" % out)
        tap.result("six junctions: mps against hierarchical within 2 tol", problems)

        r8, res8 = run(exe, array_deck.deck(8, 40, 0.1, 1e-3, "auto", 2), tmp, "a8.cir")
        got = spectrum(res8).get("method") if res8 else "error: " + r8.stderr.strip()
        tap.result("eight junctions, method=auto: mps", [] if got == "mps" else ["ran " + got])
        r7 = subprocess.run([exe, "check", "--json", os.path.join(tmp, "a8.cir")],
                            capture_output=True, text=True, timeout=60)
        n8 = len(json.loads(r7.stdout)["circuit"]["modes"]) if r7.returncode == 0 else 0
        tap.result("eight junctions are eight charge modes", [] if n8 == 8 else ["%d" % n8])

        bad = "L1 1 0 el=0.5\nB1 1 0 ej=8.9\nC1 1 0 ec=2.5\n.spectrum method=mps\n"
        r, res = run(exe, bad, tmp, "bad.cir")
        problems = []
        if r.returncode == 0:
            problems.append("accepted")
        if "bad.cir:4:1: error" not in r.stderr or "method=exact" not in r.stderr:
            problems.append("message: " + r.stderr.strip())
        tap.result("method=mps on a fluxonium with an inductor: an error with advice", problems)
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
