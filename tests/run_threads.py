#!/usr/bin/env python3
"""Sweeps and dispersions on several threads (TAP): `qpsim run --json --threads N` must print
exactly the JSON of `--threads 1` (issue 6: results identical to a serial run), for every deck
given (swept decks, and decks whose dispersion spectra run on the workers), and a failing sweep
point must give the same diagnostics and exit status either way."""
import os
import subprocess
import sys
import tempfile

import taplib


def run(exe, path, threads):
    r = subprocess.run([exe, "run", "--json", "--threads", str(threads), path],
                       capture_output=True, text=True, timeout=900)
    return r.returncode, r.stdout, r.stderr


def main():
    exe = os.path.abspath(sys.argv[1])
    decks = [os.path.abspath(p) for p in sys.argv[2:]]
    # a sweep whose later points fail (EJ < 0 is refused): same messages serial and parallel
    tmp = tempfile.mkdtemp()
    bad = os.path.join(tmp, "bad_sweep.cir")
    with open(bad, "w") as f:
        f.write(".param ej=1\nB1 1 0 ej={ej}\nC1 1 0 ec=1\n.spectrum levels=2\n"
                ".sweep ej 3 -3 7\n")
    decks.append(bad)
    tap = taplib.Tap(len(decks))
    for path in decks:
        ref = run(exe, path, 1)
        problems = []
        for t in (2, 3):
            got = run(exe, path, t)
            if got != ref:
                problems.append("--threads %d differs from --threads 1 (exit %d vs %d)"
                                % (t, got[0], ref[0]))
        if path == bad and ref[0] == 0:
            problems.append("the failing sweep did not fail")
        label = os.path.relpath(path) if path != bad else "failing sweep point"
        tap.result(label, problems, note=" (exit %d)" % ref[0])
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
