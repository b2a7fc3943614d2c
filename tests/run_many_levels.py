#!/usr/bin/env python3
"""Many levels of a moderate basis (issue 16): two coupled transmons at ncut 20 (1681 product
states). The hierarchical path must not call a truncated product basis "the whole one": with
every group state kept but the sums of their energies still cut (1473 of 1681 states), it
stopped at its first solve and printed "converged: levels changed by inf GHz". Now it compares
two solves, and all 400 levels equal the exact product basis (method=exact) to 1e-8 GHz, the
deck's tol. 1000 levels of 1681 states take dense LAPACK, not Lanczos (39 s before, 4 s now;
the solver's name is in the JSON)."""
import json
import math
import os
import subprocess
import sys
import tempfile

import taplib

DECK = """* two coupled transmons
B1 1 0 ej=15 ec=0.3
B2 2 0 ej=14 ec=0.31
Cc 1 2 5f
.spectrum levels={levels} ncut=20{extra}
"""
TOL = 1e-8  # GHz: the deck's tol (the default)


def spectrum(exe, tmp, levels, extra=""):
    path = os.path.join(tmp, "two_%d%s.cir" % (levels, extra.strip().replace("=", "_")))
    with open(path, "w", encoding="utf-8") as f:
        f.write(DECK.format(levels=levels, extra=extra))
    p = subprocess.run([exe, "run", "--json", path], capture_output=True, text=True,
                       timeout=600)
    if p.returncode != 0:
        return None, "exit %d: %s" % (p.returncode, p.stderr.strip()[:200])
    return json.loads(p.stdout)["analyses"][0], ""


def main():
    exe = os.path.abspath(sys.argv[1])
    tap = taplib.Tap(2)
    with tempfile.TemporaryDirectory() as tmp:
        hier, why = spectrum(exe, tmp, 400)
        exact, why2 = spectrum(exe, tmp, 400, " method=exact")
        problems = [w for w in (why, why2) if w]
        if not problems:
            conv = hier["convergence"]
            if hier.get("method") != "hierarchical":
                problems.append("auto took %r, not the hierarchical path" % hier.get("method"))
            if not (conv["checked"] and math.isfinite(conv["delta_GHz"])
                    and conv["delta_GHz"] <= TOL):
                problems.append("convergence %r" % conv)
            diff = max(abs(a - b) for a, b in zip(hier["levels"], exact["levels"]))
            if len(hier["levels"]) != 400 or diff > TOL:
                problems.append("%d levels, %.3g GHz from method=exact" % (len(hier["levels"]),
                                                                           diff))
        tap.result("400 levels: hierarchical compares two solves and equals exact to 1e-8 GHz",
                   problems)
        many, why = spectrum(exe, tmp, 1000)
        problems = [why] if why else []
        if many and (many.get("eigensolver") != "dense" or len(many["levels"]) != 1000):
            problems.append("%s eigensolver, %d levels" % (many.get("eigensolver"),
                                                            len(many["levels"])))
        if many and exact:
            diff = max(abs(a - b) for a, b in zip(many["levels"], exact["levels"]))
            if diff > TOL:
                problems.append("the lowest 400 of 1000 levels are %.3g GHz from levels=400"
                                % diff)
        tap.result("1000 of 1681 levels: dense LAPACK, the lowest 400 as above", problems)
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
