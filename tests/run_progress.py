#!/usr/bin/env python3
"""Progress bar (TAP): with stderr on a terminal (a pseudo-terminal here) `qpsim run` draws a
bar with the time left during a sweep and during a transient, and erases it at the end; stdout
is the same as without a terminal. With --json, or with stderr on a pipe, no bar is drawn.
A single large spectrum writes a status line (what it solves, a memory estimate) the same way.
Arguments: qpsim, a swept deck, a transient deck."""
import os
import pty
import subprocess
import sys

import taplib

BAR = b" %, "  # "[####......]  45 %, 3 s left"


def run_tty(args):
    """Runs args with stderr on a pseudo-terminal; returns (exit, stdout, bytes on the pty)."""
    master, slave = pty.openpty()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    out = p.stdout.read()
    p.wait(timeout=600)
    os.close(master)
    return p.returncode, out, seen


def main():
    exe = os.path.abspath(sys.argv[1])
    decks = [os.path.abspath(d) for d in sys.argv[2:]]
    tests = []
    for deck in decks:
        name = os.path.basename(deck)
        rc, out, tty = run_tty([exe, "run", deck])
        plain = subprocess.run([exe, "run", deck], capture_output=True, timeout=600)
        tests.append(("%s: bar on a terminal" % name,
                      rc == 0 and BAR in tty and b"s left" in tty,
                      "exit %d, terminal got %r" % (rc, tty[:200])))
        tests.append(("%s: bar erased at the end" % name,
                      tty.rstrip(b" ").endswith(b"\r") or tty.endswith(b"\r"),
                      "terminal ends with %r" % tty[-40:]))
        tests.append(("%s: same stdout with and without a terminal" % name,
                      out == plain.stdout, "stdout differs"))
        tests.append(("%s: no bar on a pipe" % name,
                      plain.returncode == 0 and BAR not in plain.stderr,
                      "stderr %r" % plain.stderr[:200]))
        rc, out, tty = run_tty([exe, "run", "--json", deck])
        tests.append(("%s: no bar with --json" % name, rc == 0 and BAR not in tty,
                      "terminal got %r" % tty[:200]))
    # A single large spectrum says what it is solving (size and memory estimate) on a terminal,
    # and erases the line at the end: three transmons in the exact product basis at ncut 14
    # (24389 states, above the 20000 from which solves are announced).
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".cir", delete=False) as f:
        f.write("B1 1 0 ej=15\nC1 1 0 ec=0.3\nB2 2 0 ej=12\nC2 2 0 ec=0.28\nB3 3 0 ej=9\n"
                "C3 3 0 ec=0.31\nCC1 1 2 2fF\nCC2 2 3 2fF\n"
                ".spectrum levels=4 ncut=14 method=exact dispersion=no\n")
        big = f.name
    rc, out, tty = run_tty([exe, "run", big])
    plain = subprocess.run([exe, "run", big], capture_output=True, timeout=600)
    os.unlink(big)
    tests.append(("large spectrum: status line on a terminal",
                  rc == 0 and b"spectrum: solving 24389 states" in tty and b"GiB" in tty,
                  "exit %d, terminal got %r" % (rc, tty[:200])))
    tests.append(("large spectrum: status erased at the end", tty.endswith(b"\r"),
                  "terminal ends with %r" % tty[-40:]))
    tests.append(("large spectrum: no status on a pipe",
                  plain.returncode == 0 and b"solving" not in plain.stderr and out == plain.stdout,
                  "stderr %r" % plain.stderr[:200]))
    tap = taplib.Tap(len(tests))
    for label, ok, why in tests:
        tap.result(label, [] if ok else [why])
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
