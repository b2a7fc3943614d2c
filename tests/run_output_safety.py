#!/usr/bin/env python3
"""Files under -o DIR are written safely (TAP; issue 16): a symlink planted in the folder at an
output's name is replaced, never followed (the file it points to is unchanged, a link to /dev/full
does not fail the run); a write that fails (a full disk, simulated by RLIMIT_FSIZE in the child:
write() then fails with EFBIG) is exit 3 with the path and the reason, and leaves the folder exactly
as it was — no truncated CSV, no PNG cut short, no temporary file, the previous run's files intact.
A run into a folder holding an earlier run removes the files that run wrote (its manifest,
DIR/.qpsim-manifest, lists them) and nothing else: not the user's files, not a name a forged
manifest points outside the folder, at a hidden file, a folder or a symlink.
Arguments: plots|noplots, qpsim, transmon.cir, ac_josephson.cir."""
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile

import taplib


def run(exe, deck, out, fsize=None):
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    return subprocess.run([exe, "run", deck, "-o", out], capture_output=True, text=True,
                          timeout=300, preexec_fn=limit if fsize else None)


def snapshot(folder):
    """Every entry of the folder: name -> ('link', target) or ('file', bytes)."""
    snap = {}
    for name in sorted(os.listdir(folder)):
        p = os.path.join(folder, name)
        snap[name] = ("link", os.readlink(p)) if os.path.islink(p) else \
            ("file", open(p, "rb").read())
    return snap


def failed_write(exe, deck, fsize, victim):
    """A run whose write of `victim` fails over a folder holding an earlier run's files."""
    out = tempfile.mkdtemp()
    r = run(exe, deck, out)
    if r.returncode != 0:
        return ["the first run failed: exit %d: %s" % (r.returncode, r.stderr[:300])]
    before = snapshot(out)
    r = run(exe, deck, out, fsize)
    problems = []
    path = os.path.join(out, victim)
    if r.returncode != 3:
        problems.append("exit %d, expected 3 (stderr %r)" % (r.returncode, r.stderr[:300]))
    if "'%s'" % path not in r.stderr or os.strerror(27) not in r.stderr:  # EFBIG
        problems.append("stderr does not name %s and %r: %r" % (path, os.strerror(27), r.stderr))
    after = snapshot(out)
    if after != before:
        changed = sorted(set(after) ^ set(before)) + \
            [n for n in before if n in after and after[n] != before[n]]
        problems.append("the folder changed: %s" % ", ".join(changed))
    return problems


def main():
    plots = sys.argv[1] == "plots"
    exe = os.path.abspath(sys.argv[2])
    transmon, josephson = (os.path.abspath(p) for p in sys.argv[3:5])
    tap = taplib.Tap(6)

    # 1. planted symlinks: one to a file outside the folder, one to /dev/full
    out = tempfile.mkdtemp()
    outside = os.path.join(tempfile.mkdtemp(), "outside.txt")
    with open(outside, "w") as f:
        f.write("not qpsim's\n")
    os.symlink(outside, os.path.join(out, "qpsim.json"))
    os.symlink("/dev/full", os.path.join(out, "analysis1_spectrum.csv"))
    r = run(exe, transmon, out)
    problems = []
    if r.returncode != 0:
        problems.append("exit %d: %s" % (r.returncode, r.stderr[:300]))
    if open(outside).read() != "not qpsim's\n":
        problems.append("the file outside the folder was overwritten through the symlink")
    for name in ("qpsim.json", "analysis1_spectrum.csv"):
        p = os.path.join(out, name)
        if os.path.islink(p) or not os.path.isfile(p):
            problems.append("%s is still a symlink, not qpsim's file" % name)
    if not problems:
        try:
            json.load(open(os.path.join(out, "qpsim.json")))
        except ValueError as e:
            problems.append("qpsim.json: %s" % e)
        if not open(os.path.join(out, "analysis1_spectrum.csv")).read().startswith("level"):
            problems.append("analysis1_spectrum.csv has no header")
    tap.result("a symlink planted at an output's name is replaced, not followed", problems)

    # 2. a CSV cut by a full disk (the transient's trace is megabytes; the JSON fits)
    tap.result("a failed CSV write: exit 3, path and reason, the folder unchanged",
               failed_write(exe, josephson, 64 << 10, "analysis1_tran.csv"))

    # 3. the PNG (27 kB) cut at 16 kB while the JSON and CSV fit
    if plots:
        tap.result("a failed PNG write: exit 3, path and reason, the folder unchanged",
                   failed_write(exe, transmon, 16 << 10, "analysis1_spectrum.png"))
    else:
        tap.skip("a failed PNG write", "built without PLplot")

    # 4. a fresh folder: the failed run leaves no file (nor a temporary one) behind
    out = tempfile.mkdtemp()
    r = run(exe, josephson, out, 64 << 10)
    left = os.listdir(out)
    tap.result("a failed run into an empty folder leaves it empty",
               [] if r.returncode == 3 and not left
               else ["exit %d, left %s" % (r.returncode, left)])

    # 5. runs never mix: the transient's files go when the transmon runs into the same folder
    tap.result("a second run removes the first run's files, keeps the user's",
               second_run(exe, josephson, transmon))

    # 6. a forged manifest reaches nothing outside the plain regular files of the folder
    tap.result("a forged manifest removes nothing outside the folder, hidden, a folder or a link",
               forged_manifest(exe, transmon))
    return tap.exit_code()


def second_run(exe, first, second):
    out = tempfile.mkdtemp()
    with open(os.path.join(out, "notes.txt"), "w") as f:
        f.write("the user's\n")
    problems = []
    r1 = run(exe, first, out)
    names1 = set(os.listdir(out))
    r2 = run(exe, second, out)
    names2 = set(os.listdir(out))
    if r1.returncode or r2.returncode:
        return ["exit %d, %d: %s" % (r1.returncode, r2.returncode, (r1.stderr + r2.stderr)[:300])]
    if "analysis1_tran.csv" not in names1:
        problems.append("the first run wrote no analysis1_tran.csv: %s" % sorted(names1))
    stale = sorted(n for n in names2 if n.startswith("analysis1_tran"))
    if stale:
        problems.append("the first run's files are still there: %s" % stale)
    if "notes.txt" not in names2 or open(os.path.join(out, "notes.txt")).read() != "the user's\n":
        problems.append("the user's notes.txt was removed or changed")
    if "analysis1_spectrum.csv" not in names2:
        problems.append("the second run's CSV is missing: %s" % sorted(names2))
    listed = open(os.path.join(out, ".qpsim-manifest")).read().splitlines()[1:] \
        if os.path.exists(os.path.join(out, ".qpsim-manifest")) else []
    if sorted(listed) != sorted(n for n in names2 if n not in ("notes.txt", ".qpsim-manifest")):
        problems.append("the manifest lists %s, the folder holds %s" % (listed, sorted(names2)))
    return problems


def forged_manifest(exe, deck):
    root = tempfile.mkdtemp()
    out = os.path.join(root, "out")
    os.mkdir(out)
    r = run(exe, deck, out)
    if r.returncode:
        return ["exit %d: %s" % (r.returncode, r.stderr[:300])]
    if not os.path.isfile(os.path.join(out, ".qpsim-manifest")):
        return ["the run wrote no .qpsim-manifest"]
    head = open(os.path.join(out, ".qpsim-manifest")).readline()
    keep = {os.path.join(root, "escape.txt"): "file", os.path.join(out, ".hidden"): "file",
            os.path.join(out, "sub"): "dir", os.path.join(out, "lnk"): "link"}
    for p, kind in keep.items():
        if kind == "file":
            open(p, "w").write("x\n")
        elif kind == "dir":
            os.mkdir(p)
        else:
            os.symlink(os.path.join(root, "escape.txt"), p)
    with open(os.path.join(out, ".qpsim-manifest"), "w") as f:
        f.write(head + "../escape.txt\n.hidden\nsub\nlnk\n%s/escape.txt\n" % root)
    r = run(exe, deck, out)
    if r.returncode:
        return ["exit %d: %s" % (r.returncode, r.stderr[:300])]
    return ["%s was removed" % p for p in keep if not os.path.lexists(p)]


if __name__ == "__main__":
    sys.exit(main())
