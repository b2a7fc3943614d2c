"""The exact and hierarchical paths agree on every bundled deck small enough for both.

For each deck of the given folders with a .spectrum, no .sweep and two or more modes, two copies
are run with `method=exact` and `method=hierarchical` added to every .spectrum line (dispersions
off: they are extra spectra of the same kind), and their levels compared. Each path stops when a
growth step moves the levels by less than the deck's tol, so they may differ by about twice that:
the tolerance is 2 tol + 1e-10 relative (levels of tens of GHz carry rounding of that order).
A path that fails or runs past LIMIT seconds is skipped with the reason (the exact product basis
of some decks is too large or too slow: that is what the hierarchical path is for), but at least
one deck must be compared.

    python3 run_methods.py QPSIM FOLDER...
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import taplib

LIMIT = 20  # seconds per run (the exact path on the protected 0-pi takes minutes: skipped)
DEFAULT_TOL = 1e-8  # GHz, .spectrum's default


def modes(exe, path):
    r = subprocess.run([exe, "check", "--json", path], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return 0
    return len(json.loads(r.stdout).get("circuit", {}).get("modes", []))


def variant(text, method):
    out = []
    for line in text.splitlines():
        if line.strip().lower().startswith(".spectrum"):
            line = line + " method=%s dispersion=no" % method
        out.append(line)
    return "\n".join(out) + "\n"


def run(exe, path):
    try:
        r = subprocess.run([exe, "run", "--json", path], capture_output=True, text=True,
                           timeout=LIMIT)
    except subprocess.TimeoutExpired:
        return None, "past %d s" % LIMIT
    if r.returncode != 0:
        return None, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "exit %d" % r.returncode
    return json.loads(r.stdout), ""


def main():
    exe = os.path.abspath(sys.argv[1])
    decks = []
    for folder in sys.argv[2:]:
        for path in sorted(glob.glob(os.path.join(folder, "*.cir"))):
            text = open(path, encoding="utf-8").read()
            lines = [l.strip().lower() for l in text.splitlines()]
            if any(l.startswith(".spectrum") for l in lines) and \
                    not any(l.startswith(".sweep") for l in lines) and modes(exe, path) >= 2:
                decks.append(path)
    tap = taplib.Tap(len(decks) + 1)
    compared = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in decks:
            # includes resolve beside the deck: its folder's other files go beside the copies
            for other in glob.glob(os.path.join(os.path.dirname(path), "*")):
                if os.path.isfile(other) and not other.endswith(".cir"):
                    shutil.copy(other, tmp)
            name = os.path.relpath(path, os.path.dirname(os.path.dirname(path)))
            text = open(path, encoding="utf-8").read()
            res = {}
            why = ""
            for method in ("exact", "hierarchical"):
                p = os.path.join(tmp, method + "_" + os.path.basename(path))
                with open(p, "w", encoding="utf-8") as f:
                    f.write(variant(text, method))
                res[method], why = run(exe, p)
                if res[method] is None:
                    why = "%s: %s" % (method, why)
                    break
            if res.get("exact") is None or res.get("hierarchical") is None:
                tap.skip(name, why)
                continue
            problems = []
            for a, b in zip(res["exact"]["analyses"], res["hierarchical"]["analyses"]):
                if "levels" not in a or "levels" not in b:
                    continue
                tol = a.get("convergence", {}).get("tol_GHz", DEFAULT_TOL)
                if b.get("method") != "hierarchical":
                    problems.append("the hierarchical copy ran %s" % b.get("method"))
                if len(a["levels"]) != len(b["levels"]):
                    problems.append("%d levels against %d" % (len(a["levels"]), len(b["levels"])))
                for k, (x, y) in enumerate(zip(a["levels"], b["levels"])):
                    if abs(x - y) > 2 * tol + 1e-10 * abs(x):
                        problems.append("level %d: exact %.12g, hierarchical %.12g (tol %g)"
                                        % (k, x, y, tol))
            compared += not problems
            tap.result(name, problems)
    tap.result("at least one deck compared", [] if compared else ["no deck was compared"],
               note=" (%d)" % compared)
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
