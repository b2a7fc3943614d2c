#!/usr/bin/env python3
"""Fuzz regression runner (TAP): every input the fuzzer once broke qpsim with must now end with
exit status 0 or 1, a well-formed error message (or none), no sanitizer report and within the
time limit. Inputs are fed through `qpsim check`; their .include lines point into this folder."""
import os
import re
import subprocess
import sys

import taplib

DIAG = re.compile(r"^(\S.*?:\d+:\d+: (error|warning|note): .+|qpsim: (error|note): .+)$")


def main():
    exe, folder = os.path.abspath(sys.argv[1]), sys.argv[2]
    files = sorted(f for f in os.listdir(folder) if not f.startswith("."))
    tap = taplib.Tap(len(files))
    for name in files:
        problems = []
        try:
            r = subprocess.run([exe, "check", name], cwd=folder, capture_output=True,
                               timeout=60)
            err = r.stderr.decode("utf-8", "replace")
            if r.returncode not in (0, 1):
                problems.append("exit status %d" % r.returncode)
            bad = [l for l in err.splitlines() if l and not DIAG.match(l)]
            if bad:
                problems.append("unexpected stderr line: %r" % bad[0][:300])
        except subprocess.TimeoutExpired:
            problems.append("timed out")
        tap.result(name, problems)
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
