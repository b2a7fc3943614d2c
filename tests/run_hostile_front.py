#!/usr/bin/env python3
"""Hostile input at the front end (issue 16), each a hole an audit found, as TAP: includes of a
FIFO, of a stdin that never ends and of /proc hang or leak no more (regular files only); a file
that is not a netlist is one error that quotes none of it; .end in an included file ends the
deck; a 73-character number is a number; 64 nested parentheses are allowed, as documented;
2^15 parallel capacitors written through 16 levels of subcircuits solve, to the closed-form
transmon levels of their sum; every out-of-memory exit (3) says what ran out. Hostile files are
made here, in a temporary folder, at run time."""
import json
import math
import os
import resource
import subprocess
import sys
import tempfile

import taplib

TIMEOUT = 30  # s: a safety net against the hangs this tests, not a measure of speed
TOL_LEVELS = 1e-8  # GHz: qpsim's own convergence tolerance for the levels


def run(exe, args, cwd, **kw):
    try:
        return subprocess.run([exe] + args, cwd=cwd, capture_output=True, text=True,
                              timeout=TIMEOUT, **kw)
    except subprocess.TimeoutExpired:
        return None


def write(folder, name, text):
    with open(os.path.join(folder, name), "w") as f:
        f.write(text)


def include_tests(exe, tmp, tap):
    os.mkfifo(os.path.join(tmp, "pipe.inc"))
    write(tmp, "fifo.cir", ".include pipe.inc\nB1 1 0 ej=10 c=50f\n.spectrum\n")
    p = run(exe, ["check", "fifo.cir"], tmp)
    want = "fifo.cir:1:10: error: cannot read included file 'pipe.inc': it is a pipe or a " \
           "socket, not a regular file\n"
    tap.result(".include of a FIFO: refused at once, positioned",
               ["hung (no writer: the read blocked)"] if p is None else
               [] if p.returncode == 1 and p.stderr == want and not p.stdout else
               ["exit %d, stderr %r" % (p.returncode, p.stderr)])

    # /dev/stdin with a writer that never closes it: reading would wait for ever.
    write(tmp, "stdin.cir", ".include /dev/stdin\nB1 1 0 ej=10 c=50f\n.spectrum\n")
    r, w = os.pipe()
    try:
        p = run(exe, ["check", "stdin.cir"], tmp, stdin=r)
    finally:
        os.close(r)
        os.close(w)
    tap.result(".include /dev/stdin (an open pipe): refused at once",
               ["hung reading it"] if p is None else
               [] if p.returncode == 1 and "not a regular file" in p.stderr else
               ["exit %d, stderr %r" % (p.returncode, p.stderr)])

    write(tmp, "proc.cir", ".include /proc/self/status\nB1 1 0 ej=10 c=50f\n.spectrum\n")
    p = run(exe, ["check", "proc.cir"], tmp)
    tap.result(".include of a /proc file: refused, nothing of it quoted",
               ["hung"] if p is None else
               [] if p.returncode == 1 and p.stderr.count("\n") == 1 and
               "file of /proc or /sys" in p.stderr and "Name" not in p.stderr else
               ["exit %d, stderr %r" % (p.returncode, p.stderr)])

    # A password file of made-up accounts: one error, no word of it echoed.
    lines = ["%s:x:%d:%d:%s:/home/%s:/bin/sh" % (u, 1000 + i, 1000 + i, u, u)
             for i, u in enumerate(["rosalind", "cx_operator", "boris", "lq_admin", "victor"])]
    write(tmp, "accounts", "\n".join(lines) + "\n")
    write(tmp, "foreign.cir", "B1 1 0 ej=10 c=50f\n.include accounts\n.spectrum\n")
    p = run(exe, ["check", "foreign.cir"], tmp)
    words = {w for line in lines for w in line.replace(":", " ").replace("/", " ").split()}
    leaked = sorted(w for w in words if len(w) > 2 and w in p.stderr) if p else []
    want = "foreign.cir:2:10: error: 'accounts' is not a netlist (its line 1 is neither an " \
           "element nor a directive); nothing of it is read\n"
    tap.result("an included file that is not a netlist: one error, none of it quoted",
               ["hung"] if p is None else
               [] if p.returncode == 1 and p.stderr == want else
               ["exit %d, leaked %s, stderr %r" % (p.returncode, leaked, p.stderr[:400])])

    write(tmp, "stop.inc", "C1 1 0 50f\n.end\n")
    write(tmp, "ends.cir", "B1 1 0 ej=10\n.include stop.inc\nZ9 this line is after .end\n")
    p = run(exe, ["check", "ends.cir"], tmp)
    tap.result(".end in an included file ends the whole deck",
               ["hung"] if p is None else
               [] if p.returncode == 0 and not p.stderr else
               ["exit %d, stderr %r" % (p.returncode, p.stderr)])


def value_tests(exe, tmp, tap):
    num = "80." + "0" * (73 - 4) + "f"  # 73 characters
    write(tmp, "longnum.cir", "B1 1 0 ej=10\nC1 1 0 %s\n.spectrum\n" % num)
    p = run(exe, ["check", "--json", "longnum.cir"], tmp)
    c = None
    if p and p.returncode == 0:
        c = [e for e in json.loads(p.stdout)["circuit"]["elements"] if e["name"] == "C1"][0]
    tap.result("a valid 73-character number is a number (80 fF)",
               [] if c and abs(c["C_F"] - 80e-15) <= 1e-30 else
               ["%s" % (p.stderr if p else "hung")])

    write(tmp, "parens.cir", "B1 1 0 ej=10\nC1 1 0 {%s80f%s}\n.spectrum\n" % ("(" * 64, ")" * 64))
    p = run(exe, ["check", "parens.cir"], tmp)
    tap.result("64 nested parentheses, as documented",
               [] if p and p.returncode == 0 else ["%s" % (p.stderr if p else "hung")])


def transmon_levels(ec, ej, n):
    """The lowest n levels of 4 EC m^2 - EJ cos(phi) in the charge basis m = -30..30: the
    tridiagonal matrix, eigenvalues by Sturm-sequence bisection (independent of qpsim)."""
    d = [4.0 * ec * m * m for m in range(-30, 31)]
    off = -ej / 2.0

    def below(x):
        count, q = 0, d[0] - x
        count += q < 0
        for di in d[1:]:
            q = di - x - off * off / (q if q != 0.0 else 1e-300)
            count += q < 0
        return count

    out = []
    for k in range(n):
        lo, hi = -ej - 1.0, d[-1] + ej + 1.0
        while hi - lo > 1e-12:
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if below(mid) <= k else (lo, mid)
        out.append(0.5 * (lo + hi))
    return out


def parallel_test(exe, tmp, tap):
    levels = 16  # 2^15 = 32768 capacitors of 80 fF / 32768 at the leaves
    lines = []
    for i in range(levels):
        lines.append(".subckt p%d a" % i)
        lines.append("X1 a p%d\nX2 a p%d" % (i + 1, i + 1) if i + 1 < levels else
                     "C1 a 0 {80f/32768}")
        lines.append(".ends")
    lines.append("X0 1 p0\nB1 1 0 ej=10\n.spectrum levels=4")
    write(tmp, "parallel.cir", "\n".join(lines) + "\n")
    p = run(exe, ["run", "--json", "parallel.cir"], tmp)
    got = json.loads(p.stdout)["analyses"][0]["levels"] if p and p.returncode == 0 else None
    qe, h = 1.602176634e-19, 6.62607015e-34
    want = transmon_levels(qe * qe / (2.0 * 80e-15) / h / 1e9, 10.0, 4)
    worst = max(abs(a - b) for a, b in zip(got, want)) if got else math.inf
    tap.result("32768 parallel capacitors through 16 levels of subcircuits: the closed-form "
               "transmon of their sum",
               [] if worst <= TOL_LEVELS else
               ["worst %.3g GHz; exit %s: %s" % (worst, p.returncode if p else "hung",
                                                  p.stderr[:300] if p else "")],
               note=" (%.2g GHz)" % worst)


def oom_test(exe, tmp, tap):
    """Under shrinking address-space limits every run ends in 0, or in 3 with a message that
    says what ran out, stdout empty; at least one limit must hit the out-of-memory path."""
    lines = []
    for i in range(17):  # 2^16 capacitors: about 60 MB to flatten
        lines.append(".subckt p%d a" % i)
        lines.append("X1 a p%d\nX2 a p%d" % (i + 1, i + 1) if i < 16 else "C1 a 0 {80f/65536}")
        lines.append(".ends")
    lines.append("X0 1 p0\nB1 1 0 ej=10\n.spectrum levels=4")
    write(tmp, "big.cir", "\n".join(lines) + "\n")
    problems, hit, tried = [], 0, 0
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")  # no BLAS thread waiting for its buffer
    for mb in range(60, 170, 10):
        for cmd in ("check", "run"):
            lim = mb << 20

            def limit(lim=lim):
                resource.setrlimit(resource.RLIMIT_AS, (lim, lim))

            p = run(exe, [cmd, "big.cir"], tmp, preexec_fn=limit, env=env)
            if p is None:
                problems.append("%s at %d MB: hung" % (cmd, mb))
                continue
            if p.returncode == 127:  # the loader could not map the libraries: not reached
                continue
            tried += 1
            if p.returncode == 3:
                hit += 1
                if "out of memory while" not in p.stderr or p.stdout:
                    problems.append("%s at %d MB: exit 3, stderr %r, %d bytes on stdout"
                                    % (cmd, mb, p.stderr, len(p.stdout)))
            elif p.returncode != 0:
                problems.append("%s at %d MB: exit %d, stderr %r"
                                % (cmd, mb, p.returncode, p.stderr[:200]))
    if tried and not hit:
        problems.append("no limit reached the out-of-memory path")
    tap.result("out of memory: exit 3 with a message saying what ran out", problems,
               note=" (%d of %d runs out of memory)" % (hit, tried))


def main():
    exe = os.path.abspath(sys.argv[1])
    tap = taplib.Tap(9)
    with tempfile.TemporaryDirectory() as tmp:
        include_tests(exe, tmp, tap)
        value_tests(exe, tmp, tap)
        parallel_test(exe, tmp, tap)
        if len(sys.argv) > 2 and sys.argv[2] == "sanitized":
            # AddressSanitizer reserves terabytes of shadow address space at start-up, so no
            # address-space limit leaves it room to run: the plain build runs this test
            tap.skip("out of memory: exit 3 with a message saying what ran out",
                     "an address-space limit cannot run under AddressSanitizer")
        else:
            oom_test(exe, tmp, tap)
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
