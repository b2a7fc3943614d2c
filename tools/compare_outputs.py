#!/usr/bin/env python3
"""Records or compares everything qpsim writes for every bundled deck, to show that a change of
the code's layout leaves the outputs byte-identical.

    python3 tools/compare_outputs.py record QPSIM DIR   # run every deck, keep the outputs in DIR
    python3 tools/compare_outputs.py compare QPSIM DIR  # run again, report every byte that differs

For each deck under netlists/ and examples/ it keeps: `check` (text and --json), `dual`, `run`
(without files: transients keep no traces) and `run -o OUT` (stdout, stderr, exit status and
every file written into OUT, the PNGs included).
Exit status 0 when everything matches, 1 when something differs."""
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIMEOUT_S = 900


def decks():
    found = sorted(ROOT.glob("netlists/*.cir")) + sorted(ROOT.glob("examples/**/*.cir"))
    return [d.relative_to(ROOT) for d in found]


def run(args, cwd):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    p = subprocess.run(args, cwd=cwd, capture_output=True, timeout=TIMEOUT_S, env=env,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def outputs(exe, deck, scratch):
    """All outputs of one deck as {name: bytes}."""
    got = {}
    for name, args in (("check", ["check", str(deck)]),
                       ("check_json", ["check", "--json", str(deck)]),
                       ("dual", ["dual", str(deck)]),
                       ("run_plain", ["run", str(deck)])):
        rc, out, err = run([exe] + args, ROOT)
        got[name + ".stdout"] = out
        got[name + ".stderr"] = err
        got[name + ".rc"] = str(rc).encode()
    outdir = scratch / "out"
    if outdir.exists():
        for f in outdir.iterdir():
            f.unlink()
        outdir.rmdir()
    rc, out, err = run([exe, "run", str(deck), "-o", str(outdir)], ROOT)
    got["run.stdout"] = out.replace(str(outdir).encode(), b"OUT")
    got["run.stderr"] = err.replace(str(outdir).encode(), b"OUT")
    got["run.rc"] = str(rc).encode()
    if outdir.exists():
        for f in sorted(outdir.iterdir()):
            got["out/" + f.name] = f.read_bytes()
    return got


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("record", "compare"):
        sys.exit(__doc__)
    mode, exe, store = sys.argv[1], os.path.abspath(sys.argv[2]), pathlib.Path(sys.argv[3])
    scratch = store / ".scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    differ = 0
    for deck in decks():
        got = outputs(exe, deck, scratch)
        keep = store / str(deck).replace("/", "__")
        if mode == "record":
            keep.mkdir(parents=True, exist_ok=True)
            (keep / "out").mkdir(exist_ok=True)
            for name, data in got.items():
                (keep / name).write_bytes(data)
            print("recorded %s (%d outputs)" % (deck, len(got)))
            continue
        want = {str(p.relative_to(keep)): p.read_bytes() for p in keep.rglob("*") if p.is_file()}
        bad = sorted(n for n in set(want) | set(got) if want.get(n) != got.get(n))
        differ += len(bad)
        print("%s %s%s" % ("ok  " if not bad else "DIFF", deck,
                           "" if not bad else ": " + ", ".join(bad)))
    if mode == "compare":
        print("%d outputs differ" % differ)
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
