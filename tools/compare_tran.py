#!/usr/bin/env python3
"""Records or compares the transients of every bundled deck with a .tran, number by number, to
show how far a change of the integrator moves its results (tools/compare_outputs.py asks for
identical bytes, which a change of rounding breaks).

    python3 tools/compare_tran.py record QPSIM DIR [SKIP_DECK ...]
    python3 tools/compare_tran.py compare QPSIM DIR [SKIP_DECK ...]

record keeps `run DECK --json -o OUT` of each deck (examples/, netlists/, tests/golden/,
tests/josim/) under DIR; compare runs QPSIM again and prints per deck: the steps and rejections
before -> after, every junction whose periods or slip count changed, the largest change of a
final phase (rad, absolute), the largest relative change of a frequency or mean voltage, and
per trace CSV the column that moved most, relative to its swing (largest magnitude).
The numbers are for a reader to judge (docs/performance.md): nothing is asserted."""
import csv
import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def decks():
    found = []
    for folder in ("examples", "netlists", "tests/golden", "tests/josim"):
        for d in sorted((ROOT / folder).glob("**/*.cir")):
            if any(line.lower().startswith(".tran") for line in d.read_text().splitlines()):
                found.append(str(d.relative_to(ROOT)))
    return found


def run(exe, deck, out):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    return subprocess.run([exe, "run", deck, "--json", "-o", str(out)], cwd=ROOT,
                          capture_output=True, text=True, env=env)


def read_csv(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    return rows[0], [[float(v) for v in r] for r in rows[1:]]


def compare_json(a, b):
    notes, dphase, drel = [], (0.0, ""), (0.0, "")
    for aa, ab in zip(a["analyses"], b["analyses"]):
        if "steps" in aa:
            notes.append("steps %s->%s rejected %s->%s" % (aa["steps"], ab.get("steps"),
                                                          aa.get("rejected"), ab.get("rejected")))
        for x, y in zip(aa.get("frequencies", []), ab.get("frequencies", [])):
            for k in ("periods", "phase_slips"):
                if x.get(k) != y.get(k):
                    notes.append("%s %s %s->%s" % (x["element"], k, x.get(k), y.get(k)))
            if "phase_end_rad" in x:
                d = abs(x["phase_end_rad"] - y["phase_end_rad"])
                dphase = max(dphase, (d, x["element"]))
            for k in ("f_sim_Hz", "f_theory_Hz", "mean_V", "mean_I"):
                if x.get(k):
                    d = abs(x[k] - y[k]) / abs(x[k])
                    drel = max(drel, (d, "%s %s" % (x["element"], k)))
    notes.append("phase %.1e rad (%s), freq/mean %.1e (%s)" % (dphase + drel))
    return notes


def compare_csv(old, new):
    worst = (0.0, "")
    for f in sorted(old.glob("*.csv")):
        if f.name.endswith("_fft.csv") or not (new / f.name).exists():
            continue
        ha, ra = read_csv(f)
        hb, rb = read_csv(new / f.name)
        if ha != hb or len(ra) != len(rb):
            return "%s: columns or rows differ" % f.name
        for j in range(1, len(ha)):
            swing = max(abs(r[j]) for r in ra) or 1.0
            d = max(abs(x[j] - y[j]) for x, y in zip(ra, rb)) / swing
            worst = max(worst, (d, "%s %s" % (f.name, ha[j])))
    return "traces %.1e (%s)" % worst


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("record", "compare"):
        sys.exit(__doc__)
    mode, exe, where, skip = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3]), sys.argv[4:]
    for deck in decks():
        if deck in skip:
            continue
        name = deck.replace("/", "_")[:-4]
        out = where / ("old" if mode == "record" else "new") / name
        out.parent.mkdir(parents=True, exist_ok=True)
        p = run(exe, deck, out)
        if mode == "record" or p.returncode != 0:
            print("%-45s exit %d" % (deck, p.returncode))
            continue
        old = where / "old" / name
        notes = compare_json(json.loads((old / "qpsim.json").read_text()), json.loads(p.stdout))
        print("%-45s %s; %s" % (deck, "; ".join(notes), compare_csv(old, out)))


if __name__ == "__main__":
    main()
