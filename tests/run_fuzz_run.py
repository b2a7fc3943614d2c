#!/usr/bin/env python3
"""The whole `run` path under the fuzzer's caps (fuzz/fuzz_run.c), seeded from every deck of the
repository: every .cir and .inc file under git (netlists, examples, tests, bench) and every
```spice block of README.md and docs/*.md, plus tests/fuzz-regress.

  run_fuzz_run.py seeds ROOT DIR               copy the seeds into DIR (fuzz/run.sh uses it)
  run_fuzz_run.py replay EXE ROOT              TAP: each seed through fuzz_run_replay (the
                                               entry point without libFuzzer), one process each:
                                               exit 0, no sanitizer report
  run_fuzz_run.py fuzz EXE ROOT SECONDS        TAP: libFuzzer on the seeds for SECONDS with a
                                               fixed -seed and the dictionary: no finding
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

import taplib

DECK_DIRS = ("netlists", "examples", "tests", "bench")
SPICE = re.compile(r"```spice\n(.*?)```", re.S)
REPORT = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)|"
                    r"runtime error:|==\d+==ERROR")


def seeds(root):
    """(name, bytes) of every deck in the repository, in a fixed order."""
    out = []
    for top in DECK_DIRS:
        for path in sorted(glob.glob(os.path.join(root, top, "**", "*"), recursive=True)):
            if path.endswith((".cir", ".inc")) and os.path.isfile(path):
                with open(path, "rb") as f:
                    out.append((os.path.relpath(path, root), f.read()))
    docs = [os.path.join(root, "README.md")] + sorted(glob.glob(os.path.join(root, "docs", "*.md")))
    for doc in docs:
        with open(doc, encoding="utf-8") as f:
            for i, block in enumerate(SPICE.findall(f.read())):
                out.append(("%s#spice%d" % (os.path.relpath(doc, root), i + 1),
                            block.encode("utf-8")))
    return out


def write_seeds(root, folder):
    os.makedirs(folder, exist_ok=True)
    for name, data in seeds(root):
        with open(os.path.join(folder, name.replace("/", "_").replace("#", "_")), "wb") as f:
            f.write(data)


def replay(exe, root):
    items = seeds(root)
    tap = taplib.Tap(len(items))
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in items:
            path = os.path.join(tmp, "input")
            with open(path, "wb") as f:
                f.write(data)
            problems = []
            try:
                r = subprocess.run([exe, path], capture_output=True, timeout=120,
                                   env=dict(os.environ, TMPDIR=tmp))
                err = r.stderr.decode("utf-8", "replace")
                if r.returncode != 0:
                    problems.append("exit status %d: %s" % (r.returncode, err[-2000:]))
                elif REPORT.search(err):
                    problems.append("sanitizer report: %s" % err[-2000:])
            except subprocess.TimeoutExpired:
                problems.append("did not end within 120 s under the caps")
            tap.result(name, problems)
    return tap.exit_code()


def fuzz(exe, root, seconds):
    tap = taplib.Tap(1)
    with tempfile.TemporaryDirectory() as tmp:
        corpus, crashes = os.path.join(tmp, "corpus"), os.path.join(tmp, "crashes")
        write_seeds(root, corpus)
        os.makedirs(crashes)
        args = [exe, "-seed=1", "-max_total_time=%d" % seconds, "-max_len=4096",
                "-rss_limit_mb=2048", "-timeout=10", "-print_final_stats=1",
                "-dict=" + os.path.join(root, "fuzz", "netlist.dict"),
                "-artifact_prefix=" + crashes + "/", corpus]
        r = subprocess.run(args, capture_output=True, timeout=seconds + 600,
                           env=dict(os.environ, TMPDIR=tmp))
        log = r.stderr.decode("utf-8", "replace")
        found = sorted(os.listdir(crashes))
        problems = []
        if r.returncode != 0 or found:
            problems.append("exit %d, findings %s:\n%s" % (r.returncode, found, log[-4000:]))
            for name in found:  # kept for a regression input
                shutil.copy(os.path.join(crashes, name), os.path.join(os.getcwd(), name))
        runs = re.findall(r"stat::number_of_executed_units: (\d+)", log)
        tap.result("libFuzzer on the run path, %d s, -seed=1: %s runs, no finding"
                   % (seconds, runs[-1] if runs else "?"), problems)
    return tap.exit_code()


def main():
    mode = sys.argv[1]
    if mode == "seeds":
        write_seeds(sys.argv[2], sys.argv[3])
        return 0
    if mode == "replay":
        return replay(os.path.abspath(sys.argv[2]), sys.argv[3])
    return fuzz(os.path.abspath(sys.argv[2]), sys.argv[3], int(sys.argv[4]))


if __name__ == "__main__":
    sys.exit(main())
