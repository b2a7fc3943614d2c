#!/usr/bin/env python3
"""Command-line spellings and derived numbers (TAP), each a rough edge a new user hit (issue 15):
`qpsim run -h` is help, not an error; `-j1`, `-j 2` and `--threads=2` are the thread count (the
numbers equal those of `--threads 1`); `-j0` is a command-line error (exit 2); the anharmonicity
f12 - f01 is reported for a circuit of one mode and not for two coupled ones, where it means
nothing (two coupled LC resonators gave -4.5 GHz)."""
import json
import os
import subprocess
import sys

import taplib


def run(exe, *args):
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=300)


def main():
    exe, root = os.path.abspath(sys.argv[1]), sys.argv[2]
    transmon = os.path.join(root, "netlists", "transmon.cir")
    coupled = os.path.join(root, "netlists", "coupled_lc.cir")
    tap = taplib.Tap(6)
    p = run(exe, "run", "-h")
    tap.result("run -h prints the usage, exit 0",
               [] if p.returncode == 0 and p.stdout.startswith("usage:") and not p.stderr
               else ["exit %d, stdout %r, stderr %r" % (p.returncode, p.stdout[:60], p.stderr)])
    want = run(exe, "run", "--json", transmon, "--threads", "1")
    for spelling in (["-j1"], ["-j", "2"], ["--threads=2"]):
        p = run(exe, "run", "--json", transmon, *spelling)
        same = p.returncode == 0 and want.returncode == 0 and \
            json.loads(p.stdout)["analyses"] == json.loads(want.stdout)["analyses"]
        tap.result("%s: the numbers of --threads 1" % " ".join(spelling),
                   [] if same else ["exit %d: %s" % (p.returncode, p.stderr.strip())])
    p = run(exe, "run", transmon, "-j0")
    tap.result("-j0 is a command-line error (exit 2)",
               [] if p.returncode == 2 and "number of threads" in p.stderr
               else ["exit %d: %s" % (p.returncode, p.stderr.strip())])
    one = json.loads(want.stdout)["analyses"][0]
    p = run(exe, "run", "--json", coupled)
    two = json.loads(p.stdout)["analyses"][0] if p.returncode == 0 else {}
    text = run(exe, "run", coupled).stdout
    problems = []
    if "anharmonicity" not in one:
        problems.append("the transmon (one mode) lost its anharmonicity")
    if not two or "anharmonicity" in two or "anharmonicity" in text:
        problems.append("two coupled resonators report an anharmonicity (exit %d)" % p.returncode)
    tap.result("anharmonicity for one mode only", problems)
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
