#!/usr/bin/env python3
"""Command-line spellings and derived numbers (TAP), each a rough edge a new user hit (issue 15):
`qpsim --help` says what each command does and `qpsim COMMAND --help` (or `qpsim help COMMAND`)
lists its options; a misspelt command gets the nearest one; `qpsim run -h` is help, not an error; `-j1`, `-j 2` and `--threads=2` are the thread count (the
numbers equal those of `--threads 1`); `-j0` is a command-line error (exit 2); the anharmonicity
f12 - f01 is reported for a circuit of one mode and not for two coupled ones, where it means
nothing (two coupled LC resonators gave -4.5 GHz); automatic dispersions are skipped, with a note,
for a hierarchical spectrum (examples/mutual_inductance.cir spent 4 s of its 4 s in them) and
computed when asked with dispersion=yes."""
import json
import os
import subprocess
import sys
import tempfile

import taplib


def run(exe, *args):
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=300)


def help_overview(exe):
    p = run(exe, "--help")
    problems = [] if p.returncode == 0 and not p.stderr else ["exit %d, stderr %r" % (
        p.returncode, p.stderr)]
    for want in ("commands:", "  run FILE.cir", "  check FILE.cir", "  dual FILE.cir",
                 "  help [COMMAND]", "exit status:", "docs/netlist.md"):
        if want not in p.stdout:
            problems.append("qpsim --help does not say %r" % want)
    if run(exe, "-h").stdout != p.stdout or run(exe, "help").stdout != p.stdout:
        problems.append("-h or help differs from --help")
    return problems


def help_commands(exe):
    problems = []
    options = {"run": ("--json", "--set NAME=VALUE", "-o DIR", "--threads N, -jN", "--help"),
               "check": ("--json", "--set NAME=VALUE", "--help"), "dual": ("--help",)}
    for cmd, opts in options.items():
        p = run(exe, cmd, "--help")
        if p.returncode != 0 or p.stderr or not p.stdout.startswith("usage: qpsim " + cmd):
            problems.append("%s --help: exit %d, stdout %r" % (cmd, p.returncode, p.stdout[:60]))
        problems += ["%s --help does not list %s" % (cmd, o) for o in opts if o not in p.stdout]
        if run(exe, "help", cmd).stdout != p.stdout or run(exe, cmd, "-h").stdout != p.stdout:
            problems.append("help %s or %s -h differs from %s --help" % (cmd, cmd, cmd))
    return problems


def main():
    exe, root = os.path.abspath(sys.argv[1]), sys.argv[2]
    transmon = os.path.join(root, "netlists", "transmon.cir")
    coupled = os.path.join(root, "netlists", "coupled_lc.cir")
    tap = taplib.Tap(10)
    tap.result("--help says what each command does", help_overview(exe))
    tap.result("COMMAND --help lists its options; help COMMAND is the same", help_commands(exe))
    p = run(exe, "rnu", transmon)
    tap.result("a misspelt command: exit 2 with the nearest one",
               [] if p.returncode == 2 and "unknown command 'rnu' (did you mean 'run'?)" in p.stderr
               else ["exit %d, stderr %r" % (p.returncode, p.stderr[:200])])
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
    mutual = os.path.join(root, "examples", "mutual_inductance.cir")
    p = run(exe, "run", "--json", mutual)
    auto = json.loads(p.stdout)["analyses"][0] if p.returncode == 0 else {}
    problems = []
    if auto.get("method") != "hierarchical" or "flux_dispersion" in auto:
        problems.append("automatic: method %r, dispersions %s (exit %d)" % (
            auto.get("method"), "flux_dispersion" in auto, p.returncode))
    if "note: dispersions not computed" not in p.stderr:
        problems.append("no note on stderr: %r" % p.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        asked = os.path.join(tmp, "asked.cir")
        with open(mutual, encoding="utf-8") as f:
            text = f.read().replace(".spectrum levels=6", ".spectrum levels=6 dispersion=yes")
        with open(asked, "w", encoding="utf-8") as f:
            f.write(text)
        p = run(exe, "run", "--json", asked)
        yes = json.loads(p.stdout)["analyses"][0] if p.returncode == 0 else {}
        if len(yes.get("flux_dispersion", [])) != 2:
            problems.append("dispersion=yes: %r (exit %d)" % (yes.get("flux_dispersion"),
                                                               p.returncode))
    tap.result("hierarchical spectrum: dispersions only when asked", problems)
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
