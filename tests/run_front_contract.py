#!/usr/bin/env python3
"""The command line against the contract's words on parameters and sweeps (TAP): `--set` of a
swept parameter fixes it (the .sweep is not run, a note says so; a 2-D sweep keeps its other
axis); `.sweep` START and STOP read units as `--set` does (`10GHz` is 10, as `--set e=10GHz`);
`.bands` under a sweep is computed once and says so; `area=` scales a junction's own ic= and c=. The numbers
are compared with the Cooper-pair box levels netlists/cpb_sweep.cir quotes (an exact
diagonalization, 10 digits) and with unswept runs at the same values."""
import json
import os
import subprocess
import sys
import tempfile

import taplib

QUOTED_ATOL = 1e-9   # GHz: the deck quotes 10 decimals
SAME_ATOL = 1e-9     # GHz: the same circuit by two paths (a sweep point, a --set run)
AREA_RTOL = 1e-12    # a written value times the area: rounding only

# netlists/cpb_sweep.cir: EJ = 1, EC = 2 GHz at ng = 0, 0.25, 0.5
CPB = [[-0.0620787910, 7.9895861573, 8.0516581693, 32.0041638021],
       [0.4178984130, 4.5487380565, 12.5119332145, 24.5055569774],
       [1.4848576520, 2.4838822565, 18.0073297341, 18.0083051031]]


def run(exe, *args, cwd=None):
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def run_json(exe, *args, cwd=None):
    p = run(exe, "run", "--json", *args, cwd=cwd)
    if p.returncode != 0:
        return None, ["exit %d: %s" % (p.returncode, p.stderr[:400])], p
    return json.loads(p.stdout), [], p


def close(got, want, atol, what):
    if len(got) != len(want) or any(abs(a - b) > atol for a, b in zip(got, want)):
        return ["%s: %r, expected %r (atol %g)" % (what, got, want, atol)]
    return []


def set_fixes_sweep(exe, root):
    deck = os.path.join(root, "netlists", "cpb_sweep.cir")
    doc, problems, p = run_json(exe, deck, "--set", "ng=0.25")
    if doc is None:
        return problems
    sp = [a for a in doc["analyses"] if a["type"] == "spectrum"]
    if len(sp) != 1 or "sweep" in sp[0]:
        return ["expected one unswept spectrum, got %r" % sp]
    problems += close(sp[0]["levels"], CPB[1], QUOTED_ATOL, "levels at --set ng=0.25")
    if "cpb_sweep.cir:9:1: note: 'ng' is set to 0.25 by --set" not in p.stderr:
        problems.append("no note at the .sweep line: %r" % p.stderr)
    chk = run(exe, "check", "--json", deck, "--set", "ng=0.25")
    req = [a for a in json.loads(chk.stdout)["circuit"]["requests"] if a["type"] == "sweep"]
    if len(req) != 1 or req[0].get("fixed") is not True:
        problems.append("check --json does not mark the sweep fixed: %r" % req)
    return problems


def set_fixes_one_axis(exe, tmp):
    deck = os.path.join(tmp, "grid.cir")
    with open(deck, "w") as f:
        f.write(".param ej=1 ng=0\nB1 1 0 ej={ej}\nC1 1 0 ec=2\n.ng 1 {ng}\n"
                ".sweep ej 1 3 2\n.sweep ng 0 0.5 3\n.spectrum levels=4\n")
    doc, problems, p = run_json(exe, deck, "--set", "ej=1")
    if doc is None:
        return problems
    sp = doc["analyses"][0]
    sw = sp.get("sweep", {})
    if sw.get("param") != "ng" or "param2" in sw or sw.get("values") != [0, 0.25, 0.5]:
        return ["expected a 1-D sweep of ng, got %r" % sw]
    for i in range(3):
        problems += close(sp["levels"][i], CPB[i], QUOTED_ATOL, "row %d" % i)
    if "grid.cir:5:1: note: 'ej' is set to 1 by --set" not in p.stderr:
        problems.append("no note at the fixed .sweep: %r" % p.stderr)
    return problems


def sweep_units(exe, tmp):
    deck = os.path.join(tmp, "units.cir")
    with open(deck, "w") as f:
        f.write(".param e=15\nB1 1 0 ej={e}\nC1 1 0 ec=0.3\n.sweep e 10GHz 20GHz 2\n"
                ".spectrum levels=2\n")
    chk = run(exe, "check", "--json", deck)
    problems = []
    sw = [a for a in json.loads(chk.stdout)["circuit"]["requests"] if a["type"] == "sweep"]
    if sw[0]["start"] != 10 or sw[0]["stop"] != 20:
        problems.append("start/stop %r %r, expected 10 20 (GHz)" % (sw[0]["start"],
                                                                     sw[0]["stop"]))
    doc, pr, _ = run_json(exe, deck)
    if doc is None:
        return problems + pr
    for i, v in enumerate(["10GHz", "20GHz"]):
        one, pr, _ = run_json(exe, deck, "--set", "e=" + v)
        if one is None:
            return problems + pr
        problems += close(doc["analyses"][0]["levels"][i], one["analyses"][0]["levels"],
                          SAME_ATOL, "sweep point %d against --set e=%s" % (i, v))
    # a quantity of its own per end is refused
    with open(deck, "w") as f:
        f.write(".param e=15\nB1 1 0 ej={e}\nC1 1 0 ec=0.3\n.sweep e 10GHz 20fF 2\n"
                ".spectrum levels=2\n")
    p = run(exe, "check", deck)
    if p.returncode != 1 or "units.cir:4:16: error:" not in p.stderr:
        problems.append("mixed quantities: exit %d, %r" % (p.returncode, p.stderr))
    return problems


def sweep_keeps_units(exe, tmp):
    """A parameter without a unit swept in one: each point keeps the unit, so a use of another
    quantity is the error --set gives (it was 10 F from 10GHz), and a use of the same quantity
    gets the values a sweep in bare numbers gives."""
    problems = []
    bad = os.path.join(tmp, "unit_mismatch.cir")
    with open(bad, "w") as f:
        f.write(".param c=64f\nC1 1 0 {c}\nB1 1 0 ej=15\n.sweep c 10GHz 20GHz 3\n"
                ".spectrum levels=2\n")
    p = run(exe, "run", bad)
    with open(bad.replace(".cir", "_set.cir"), "w") as f:
        f.write(".param c=64f\nC1 1 0 {c}\nB1 1 0 ej=15\n.spectrum levels=2\n")
    ref = run(exe, "run", bad.replace(".cir", "_set.cir"), "--set", "c=10GHz")
    want = "is an energy, but a capacitance (F) is expected here"
    if p.returncode != 1 or want not in p.stderr or "sweep point at c = 10" not in p.stderr:
        problems.append("energy ends into a capacitance: exit %d, %r" % (p.returncode, p.stderr))
    if ref.returncode != 1 or want not in ref.stderr:
        problems.append("--set c=10GHz: exit %d, %r" % (ref.returncode, ref.stderr))
    docs = []
    for ends in ("50fF 70fF", "50f 70f", "5e-14 7e-14"):
        path = os.path.join(tmp, "cap.cir")
        with open(path, "w") as f:
            f.write(".param c=64f\nC1 1 0 {c}\nB1 1 0 ej=15\n.sweep c %s 3\n"
                    ".spectrum levels=2\n" % ends)
        doc, pr, _ = run_json(exe, path)
        problems += pr
        docs.append(doc)
    for doc, ends in zip(docs[1:], ("50f 70f", "5e-14 7e-14")):
        if doc and docs[0]:
            for a, b in zip(docs[0]["analyses"][0]["levels"], doc["analyses"][0]["levels"]):
                problems += close(a, b, SAME_ATOL, "levels with ends 50fF 70fF against " + ends)
    return problems


def area_scales_line_values(exe, tmp):
    """area= scales Ic and C written on the line (B1, B2), the model's (B3), and area=1 is
    silent; the expected values are the written ones times the area."""
    deck = os.path.join(tmp, "area.cir")
    with open(deck, "w") as f:
        f.write(".model m jj(icrit=30n, cap=2f)\n"
                "B1 1 0 ic=30n c=2f area=2\nB2 2 0 ej=15 ec=0.3 area=2 rn=1k\n"
                "B3 3 0 m area=0.5\nB4 4 0 ic=30n c=2f area=1\nC1 1 0 50f\n")
    p = run(exe, "check", "--json", deck)
    if p.returncode != 0:
        return ["exit %d: %s" % (p.returncode, p.stderr)]
    problems = ["unexpected message: %s" % p.stderr] if p.stderr else []
    el = {e["name"]: e for e in json.loads(p.stdout)["circuit"]["elements"]}
    want = [("B1", "Ic_A", 60e-9), ("B1", "C_F", 4e-15), ("B2", "EJ_GHz", 30.0),
            ("B2", "EC_GHz", 0.15), ("B2", "Rn_Ohm", 500.0), ("B3", "Ic_A", 15e-9),
            ("B3", "C_F", 1e-15), ("B4", "Ic_A", 30e-9), ("B4", "C_F", 2e-15)]
    for name, key, v in want:
        if abs(el[name][key] - v) > AREA_RTOL * abs(v):
            problems.append("%s %s = %r, expected %r" % (name, key, el[name][key], v))
    return problems


def bands_under_sweep(exe, tmp):
    """.bands under .sweep is computed once at the nominal value, and says so (it was silent):
    its widths equal those of the unswept deck at ej = 3."""
    deck = os.path.join(tmp, "m2.cir")
    body = ".param ej=3\nB1 1 0 ej={ej}\nC1 1 0 ec=1\n%s.bands B1 levels=2 points=5\n"
    with open(deck, "w") as f:
        f.write(body % ".sweep ej 1 5 2\n")
    doc, problems, p = run_json(exe, deck)
    if doc is None:
        return problems
    want = "m2.cir:5:1: warning: .bands is computed once, at the nominal parameter values"
    if want not in p.stderr:
        problems.append("no warning at the .bands line: %r" % p.stderr)
    with open(deck, "w") as f:
        f.write(body % "")
    one, pr, _ = run_json(exe, deck)
    if one is None:
        return problems + pr
    problems += close(doc["analyses"][0]["widths"], one["analyses"][0]["widths"], SAME_ATOL,
                      "widths against the unswept deck")
    return problems


def main():
    exe, root = os.path.abspath(sys.argv[1]), sys.argv[2]
    tests = [("--set of a swept parameter fixes it (cpb_sweep.cir --set ng=0.25)",
              lambda t: set_fixes_sweep(exe, root)),
             ("--set of one axis of a 2-D sweep keeps the other", lambda t: set_fixes_one_axis(exe, t)),
             (".sweep e 10GHz 20GHz reads GHz as --set does", lambda t: sweep_units(exe, t)),
             ("a unitless parameter swept in a unit keeps it at every point",
              lambda t: sweep_keeps_units(exe, t)),
             ("area= scales the line's ic/c/ej/ec/rn and the model's; area=1 is silent",
              lambda t: area_scales_line_values(exe, t)),
             (".bands under .sweep: computed once at the nominal values, with a warning",
              lambda t: bands_under_sweep(exe, t))]
    tap = taplib.Tap(len(tests))
    with tempfile.TemporaryDirectory() as tmp:
        for label, fn in tests:
            tap.result(label, fn(tmp))
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
