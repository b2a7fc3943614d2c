#!/usr/bin/env python3
"""Transients whose samples cannot show the frequency (TAP; issue 16). A junction under 10 uV
oscillates at V/Phi0 = 4.835978484 GHz (docs/physics.md, T15); the integrator gets its mean
voltage right whatever TSTEP, but the traces sampled every TSTEP must resolve that frequency:
- TSTEP = 150 ps (1.38 samples per period) is refused at the .tran line (it read 1.83 GHz, exit 0);
- TSTEP = TSTOP = 1 ms is refused the same way, and says the second half holds 2 samples;
- a mean voltage over a second half of two samples is the source's (it read 0);
- TSTOP = 1 ns (2.42 periods in the second half) warns how many periods there are and what is
  needed (it said "no oscillation"); TSTEP = 90 ps (2.3 samples per period) warns;
- the bundled AC Josephson decks (1 ps steps, one junction at rest) warn about nothing;
- through a 1 ohm resistor (a junction with dynamics, so the integrator cannot take long steps),
  TSTEP = TSTOP = 1 ms is refused while it runs, once the junction has wound 1000 times inside one
  sample interval (it integrated for 67 s before the refusal).
Arguments: qpsim, the repository root."""
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import taplib

PHI0 = 2.067833848461929e-15  # h/2e, SI 2019 exact
REL = 1e-9                    # the mean voltage of a dc source: the phase advance, to rounding
TRACE_RTOL = 1e-4             # a sampled current against its closed form, relative to Ic


def deck(folder, tran, volts="10uV"):
    path = os.path.join(folder, "t.cir")
    with open(path, "w") as f:
        f.write("V1 1 0 dc %s\nB1 1 0 ic=100nA\n.tran %s\n" % (volts, tran))
    return path


def run(exe, path, *args):
    return subprocess.run([exe, "run", os.path.basename(path), *args], capture_output=True,
                          text=True, timeout=120, cwd=os.path.dirname(path))


def trace_error(exe, deck, out, column, skip, scale, exact):
    """Runs deck with -o out; [] when its CSV column equals exact(t) within TRACE_RTOL * scale at
    every sample after the first `skip` (the sources' switch-on), else what was found."""
    r = run(exe, deck, "-o", out)
    if r.returncode != 0:
        return ["exit %d: %s" % (r.returncode, r.stderr)]
    with open(os.path.join(out, "analysis1_tran.csv")) as f:
        rows = [line.strip().split(",") for line in f]
    col = rows[0].index(column)
    worst = max(abs(float(x[col]) - exact(float(x[0]))) for x in rows[1 + skip:])
    if not worst <= TRACE_RTOL * scale:
        return ["%s off its closed form by %.3g (scale %.3g)" % (column, worst, scale)]
    return []


def main():
    exe, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    folder = tempfile.mkdtemp()
    tap = taplib.Tap(1 + 9)

    r = run(exe, deck(folder, "150p 50n"), "--json")
    want = "t.cir:3:1: error: .tran: TSTEP = 150 ps gives 1.38 samples per period of the " \
           "4.836 GHz predicted for B1 (V/Phi0 of its mean voltage): below 2 (Nyquist)"
    tap.result("TSTEP = 150 ps on 4.836 GHz: refused at the .tran line, exit 1",
               [] if r.returncode == 1 and r.stderr.startswith(want) and "TSTEP < 103.4 ps"
               in r.stderr and not r.stdout
               else ["exit %d, stderr %r, stdout %r" % (r.returncode, r.stderr, r.stdout[:80])])

    # the steps follow the junction's oscillation (at most a fraction of a period each), so the
    # run meets 1000 windings inside its one sample interval and stops there, naming the TSTEP
    # that would resolve it (before, steps of microseconds reached TSTOP and the analysis
    # refused the two samples of its second half)
    r = run(exe, deck(folder, "1m 1m"))
    problems = [] if r.returncode == 1 and "error: .tran: TSTEP = 0.001 s cannot resolve B1" \
        in r.stderr and "inside one sample interval" in r.stderr and "use TSTEP <" \
        in r.stderr else ["exit %d, stderr %r" % (r.returncode, r.stderr)]
    tap.result("TSTEP = TSTOP = 1 ms: refused while running, the TSTEP to use named", problems)

    # 10 nV: 4.8 MHz, far below the Nyquist limit of 10 ns samples; the source has ramped up
    # over the first TSTEP, so the second half (20-30 ns) sees 10 nV
    r = run(exe, deck(folder, "10n 30n", "10nV"), "--json")
    problems = []
    if r.returncode != 0:
        problems.append("exit %d: %s" % (r.returncode, r.stderr))
    else:
        fr = json.loads(r.stdout)["analyses"][0]["frequencies"][0]
        if abs(fr["mean_V"] - 1e-8) > REL * 1e-8:
            problems.append("mean_V = %r, the source gives 1e-8 V" % fr["mean_V"])
        if abs(fr["f_theory_Hz"] - 1e-8 / PHI0) > REL * 1e-8 / PHI0:
            problems.append("f_theory = %r Hz, V/Phi0 = %r Hz" % (fr["f_theory_Hz"], 1e-8 / PHI0))
        if "holds 2 samples: a frequency needs 8 or more" not in r.stderr:
            problems.append("no warning about the 2 samples: %r" % r.stderr)
    tap.result("mean V over a two-sample second half is the source's 10 nV", problems)

    r = run(exe, deck(folder, "1p 1n"))
    problems = [] if r.returncode == 0 and "t.cir:3:1: warning: .tran: the second half of the " \
        "run (500 ps) holds 2.42 periods of the 4.836 GHz predicted for B1 (V/Phi0 of its mean " \
        "voltage): a frequency needs 4 or more (TSTOP >= 1.655 ns)" in r.stderr and \
        "no oscillation" not in r.stdout \
        else ["exit %d, stderr %r, stdout %r" % (r.returncode, r.stderr, r.stdout[-200:])]
    tap.result("TSTOP = 1 ns: 2.42 periods in the second half are named, not 'no oscillation'",
               problems)

    r = run(exe, deck(folder, "90p 50n"))
    problems = [] if r.returncode == 0 and "warning: .tran: TSTEP = 90 ps gives only 2.3 " \
        "samples per period of the 4.836 GHz" in r.stderr \
        else ["exit %d, stderr %r" % (r.returncode, r.stderr)]
    tap.result("TSTEP = 90 ps (2.3 samples per period): warned", problems)

    path = os.path.join(folder, "r.cir")
    with open(path, "w") as f:
        f.write("V1 1 0 dc 10uV\nR1 1 2 1\nB1 2 0 ic=100nA\n.tran 1m 1m\n")
    r = run(exe, path)
    problems = [] if r.returncode == 1 and r.stderr.startswith(
        "r.cir:4:1: error: .tran: TSTEP = 0.001 s cannot resolve B1: between t = ") and \
        re.search(r"inside one sample interval, it made 10\d\d periods", r.stderr) and \
        not r.stdout \
        else ["exit %d, stderr %r" % (r.returncode, r.stderr)]
    tap.result("TSTEP = 1 ms through a resistor: refused while running, at 1000 windings",
               problems)

    for rel in ("netlists/ac_josephson.cir", "examples/tran/ac_josephson_capacitive.cir"):
        r = run(exe, os.path.join(root, rel), "--json")
        tap.result("%s: no warning (a junction at rest is not a cut oscillation)" % rel,
                   [] if r.returncode == 0 and not r.stderr
                   else ["exit %d, stderr %r" % (r.returncode, r.stderr)])
    # A current between steps: V1 (10 uV, switched on linearly over the first 1 ps TSTEP) across
    # B1 (Ic = 100 nA, C = 10 fF) carries I(V1) = -Ic sin(2 pi V (t - 0.5 ps) / Phi0) once the
    # ramp is over (C dV/dt = 0). The phase is a state and always was right; the source current
    # is algebraic, drawn between step ends from the step's polynomial, and steps over two
    # Josephson periods drew it wrong by more than Ic (docs/physics.md, transients).
    problems = trace_error(exe, os.path.join(root, "examples/tran/ac_josephson_capacitive.cir"),
                           os.path.join(folder, "acjc"), "I(V1)", 11, 100e-9,
                           lambda t: -100e-9 * math.sin(2 * math.pi * 10e-6 * (t - 0.5e-12) / PHI0))
    tap.result("I(V1) of a voltage-biased junction = -Ic sin(phi(t)) at every sample", problems)

    # A sine source's node between steps: V(2) of examples/sources_tran.cir is the source VS =
    # sin(0 10uV 5GHz 0 0 90) itself (after its 1 ps switch-on); steps of a whole period drew it
    # 1.6e-3 of its amplitude off before the steps were bounded by the sine's period.
    problems = trace_error(exe, os.path.join(root, "examples/sources_tran.cir"),
                           os.path.join(folder, "src"), "V(2)", 3, 10e-6,
                           lambda t: 10e-6 * math.cos(2 * math.pi * 5e9 * t))
    tap.result("V(2) = the 5 GHz sine source at every sample", problems)
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
