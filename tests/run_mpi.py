#!/usr/bin/env python3
"""qpsim under mpirun (TAP), docs/scale.md: `mpirun -np N qpsim run --json DECK` must print the
JSON of a single process for N = 1 and 2 (sweeps: the same text; distributed spectra: the same
levels to the deck's tolerance), a failing sweep point the same messages and exit status, and -o
the same files, written once. Skipped when the build has no MPI (argument "none")."""
import json
import os
import subprocess
import sys
import tempfile

import taplib

# Open MPI refuses root without these; two ranks on a machine of fewer cores need oversubscribe.
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")


def run(cmd, timeout=600):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=ENV)
    return r.returncode, r.stdout, r.stderr


def mpi(mpirun, n, exe, args, timeout=600):
    return run([mpirun, "--oversubscribe", "-np", str(n), exe] + args, timeout)


def levels_close(a, b, atol):
    """Every level of every analysis of JSON texts a and b within atol (GHz)."""
    x, y = json.loads(a)["analyses"], json.loads(b)["analyses"]
    if len(x) != len(y):
        return False
    for p, q in zip(x, y):
        lp, lq = p.get("levels", []), q.get("levels", [])
        if len(lp) != len(lq):
            return False
        if any(abs(u - v) > atol for u, v in zip(lp, lq)):
            return False
    return True


def main():
    exe, mpirun = os.path.abspath(sys.argv[1]), sys.argv[2]
    decks = [os.path.abspath(p) for p in sys.argv[3:]]
    tap = taplib.Tap(len(decks) + 3)
    if mpirun == "none":
        for d in decks + ["failing sweep", "-o on 2 processes", "bad -o on 2 processes"]:
            tap.skip(os.path.basename(d), "built without MPI")
        return tap.exit_code()
    for path in decks:
        # a deck whose name says "distributed" is compared by levels (to 1e-8 GHz); "large"
        # ones (minutes) run on 2 processes only
        name = os.path.basename(path)
        exact = "distributed" not in name
        ref = run([exe, "run", "--json", path], timeout=1500)
        problems = [] if ref[0] == 0 else ["single process failed: " + ref[2]]
        for n in (2,) if "large" in name else (1, 2):
            got = mpi(mpirun, n, exe, ["run", "--json", path], timeout=1500)
            if got[0] != 0:
                problems.append("%d processes: exit %d: %s" % (n, got[0], got[2]))
            elif exact and got[1] != ref[1]:
                problems.append("%d processes: the JSON differs from one process's" % n)
            elif not exact and not levels_close(got[1], ref[1], 1e-8):
                problems.append("%d processes: levels differ beyond 1e-8 GHz" % n)
            elif not exact and n == 2 and [(a.get("method"), a.get("processes")) for a in
                                           json.loads(got[1])["analyses"]] != [("distributed", 2)]:
                problems.append("2 processes: the JSON does not say method distributed on 2")
        tap.result(os.path.basename(path), problems)
    tmp = tempfile.mkdtemp()
    bad = os.path.join(tmp, "bad_sweep.cir")
    with open(bad, "w") as f:  # c = 0 is point 4 of 9: process 1's on two processes
        f.write(".param c=100f\nL1 1 0 10nH\nC1 1 0 {c}\n.spectrum levels=2\n"
                ".sweep c 100f -100f 9\n")
    ref = run([exe, "run", bad])
    got = mpi(mpirun, 2, exe, ["run", bad])
    problems = []
    if ref[0] == 0 or got[0] != ref[0]:
        problems.append("exit %d on 2 processes, %d on one" % (got[0], ref[0]))
    if not ref[2] or got[2].count(ref[2]) != 1:
        problems.append("messages on 2 processes:\n%s\none process:\n%s" % (got[2], ref[2]))
    tap.result("failing sweep point of process 1: same messages and exit status", problems)
    one, two = os.path.join(tmp, "one"), os.path.join(tmp, "two")
    ref = run([exe, "run", decks[0], "-o", one])
    got = mpi(mpirun, 2, exe, ["run", decks[0], "-o", two])
    problems = []
    if ref[0] != 0 or got[0] != 0:
        problems.append("exit %d / %d" % (ref[0], got[0]))
    elif sorted(os.listdir(one)) != sorted(os.listdir(two)):
        problems.append("files %s vs %s" % (sorted(os.listdir(two)), sorted(os.listdir(one))))
    else:
        for name in os.listdir(one):
            if name.endswith((".json", ".csv")):
                with open(os.path.join(one, name)) as a, open(os.path.join(two, name)) as b:
                    if a.read() != b.read():
                        problems.append(name + " differs")
    tap.result("-o DIR on 2 processes: the single process's files", problems)
    # process 0 refuses the folder before running: the others must stop too, not wait for it
    blocker = os.path.join(tmp, "file")
    open(blocker, "w").close()
    ref = run([exe, "run", decks[0], "-o", os.path.join(blocker, "sub")])
    try:
        got = mpi(mpirun, 2, exe, ["run", decks[0], "-o", os.path.join(blocker, "sub")])
        problems = [] if got[0] == ref[0] != 0 and ref[2] in got[2] else [
            "exit %d vs %d; messages:\n%s" % (got[0], ref[0], got[2])]
    except subprocess.TimeoutExpired:
        problems = ["2 processes hung"]
    tap.result("an -o that process 0 refuses: every process stops, same message", problems)
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
