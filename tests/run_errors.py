#!/usr/bin/env python3
"""Error-fixture runner (TAP): every tests/errors/*.cir must make qpsim fail with exactly the
messages written in its `* expect:` lines, the exit status of `* expect-exit:` (default 1), and
print nothing on stdout. Optional `* args:` lines add command-line arguments; `* command:` picks
check (default) or run."""
import os
import shlex
import subprocess
import sys

import taplib


def parse(path):
    expect, args, code, command = [], [], 1, "check"
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            s = line.strip()
            if s.startswith("* expect:"):
                expect.append(s[len("* expect:"):].strip())
            elif s.startswith("* expect-exit:"):
                code = int(s.split(":", 1)[1])
            elif s.startswith("* args:"):
                args += shlex.split(s.split(":", 1)[1])
            elif s.startswith("* command:"):
                command = s.split(":", 1)[1].strip()
    return expect, args, code, command


def main():
    exe, folder = os.path.abspath(sys.argv[1]), sys.argv[2]
    files = sorted(f for f in os.listdir(folder) if f.endswith(".cir") and not f.startswith("_"))
    tap = taplib.Tap(len(files))
    for name in files:
        expect, args, code, command = parse(os.path.join(folder, name))
        r = subprocess.run([exe, command, name] + args, cwd=folder, capture_output=True,
                           text=True, timeout=60)
        got = [l for l in r.stderr.splitlines() if l.strip()]
        problems = []
        if not expect:
            problems.append("fixture has no '* expect:' line")
        if r.returncode != code:
            problems.append("exit status %d, expected %d" % (r.returncode, code))
        if got != expect:
            problems.append("stderr differs:\ngot:  %s\nwant: %s"
                            % ("\n      ".join(got), "\n      ".join(expect)))
        if r.stdout:
            problems.append("stdout is not empty: %r" % r.stdout[:200])
        tap.result(name, problems)
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
