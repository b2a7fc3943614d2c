#!/usr/bin/env python3
"""Thermal noise in .tran against the drift formula (TAP).

An overdamped junction (Ic = 1 uA, rn = 1 Ohm, no capacitance) at kT/EJ = 0.1 (T = 2.383704899 K)
biased at x = I/Ic = 0.8, 1.0, 1.2, and its dual (a phase-slip junction ES = EJ in series with
R* = R_Q^2/R, voltage-biased at R_Q I). The mean voltage is Ic R v(x, theta), the mean current of
the dual <V>/R_Q, with v the stationary drift of overdamped Brownian motion in the tilted
washboard (Ivanchenko-Zil'berman / Ambegaokar-Halperin): tests/oracles/rsj_thermal.py computes
it by quadrature and by a Bessel series (agreeing to 2e-9) and checks it against an
Euler-Maruyama run. Each case runs SEEDS decks of 2000/omega_c averaged time (TSTEP =
0.01/omega_c; the scheme's time-step bias is below 1e-4 relative there, measured in the oracle)
and passes when the mean over the seeds lies within 3 standard errors (the spread of the seeds)
of the formula. Also: the same deck and seed give the same numbers twice (reproducible); and the
noise amplitude and the time discretization on an RC circuit (R = 1 kOhm, C = 1 pF, tau = 1 ns,
1 K): with the noise constant over steps D the sampled voltage is an exact AR(1) process whose
stationary variance is (kT/C) tanh(D/2tau)/(D/2tau) (equipartition kT/C as D -> 0): at D = tau/2
that is 2 % below kT/C (over 4e5 tau), at D = tau/20 2e-4 (over 4e4 tau); each within 3
standard errors (batch means)."""
import json
import math
import os
import subprocess
import sys
import tempfile

import taplib

SEEDS = 8
T = "2.383704899K"                    # kT/EJ = 0.1 for Ic = 1 uA
TSTEP, TSTOP = "3.291059785p", "1.3164239u"   # 0.01/omega_c, 4000/omega_c (mean: second half)
V_FORMULA = {0.8: 8.982366561e-08, 1.0: 3.689532458e-07, 1.2: 6.974573596e-07}  # Ic R v, volts
RQ = 6.62607015e-34 / (4 * 1.602176634e-19 ** 2)


def run(exe, deck, tmp, name):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(deck)
    r = subprocess.run([exe, "run", "--json", path], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        return None
    fr = json.loads(r.stdout)["analyses"][0]["frequencies"][0]
    return fr.get("mean_V"), fr.get("mean_I")


def junction(x, seed):
    return ("I1 0 1 dc %guA\nB1 1 0 ic=1uA rn=1\n.temp %s\n.tran %s %s seed=%d\n"
            % (x, T, TSTEP, TSTOP, seed))


def dual(x, seed):
    return ("V1 1 0 dc %.16g\nR1 1 2 %.16g\nQ1 2 0 es=496.6835107766756\n.temp %s\n"
            ".tran %s %s seed=%d\n" % (RQ * x * 1e-6, RQ * RQ, T, TSTEP, TSTOP, seed))


def rc_variance(exe, tmp, step, stop):
    """<V^2>/(kT/C) of the RC node and its standard error (50 batches)."""
    out = os.path.join(tmp, "rc_%s" % step)
    path = os.path.join(tmp, "rc.cir")
    with open(path, "w") as f:
        f.write("R1 1 0 1k\nC1 1 0 1p\n.temp 1K\n.tran %s %s seed=2\n.print V(1)\n"
                % (step, stop))
    r = subprocess.run([exe, "run", path, "-o", out], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        return None
    with open(os.path.join(out, "analysis1_tran.csv")) as f:
        next(f)
        v = [float(line.split(",")[1]) for line in f]
    v = v[len(v) // 100:]  # the start from V = 0 relaxes within a few tau
    kt_c = 1.380649e-23 * 1.0 / 1e-12
    nb = 50
    size = len(v) // nb
    bm = [sum(x * x for x in v[b * size:(b + 1) * size]) / size / kt_c for b in range(nb)]
    mean = sum(bm) / nb
    se = math.sqrt(sum((m - mean) ** 2 for m in bm) / (nb - 1) / nb)
    return mean, se


def check(tap, label, values, want):
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    se = sd / math.sqrt(n)
    ok = abs(mean - want) <= 3.0 * se
    tap.result(label, [] if ok else ["mean %.6g, formula %.6g, %.2f standard errors (SE %.3g)"
                                     % (mean, want, (mean - want) / se, se)],
               note=": mean %.6g vs %.6g (%+.2f%%, %.2f SE; SE %.2f%%)"
               % (mean, want, 100 * (mean / want - 1), (mean - want) / se, 100 * se / want))


def main():
    exe = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp()
    tap = taplib.Tap(7)
    for x in (0.8, 1.0, 1.2):
        vals = [run(exe, junction(x, s), tmp, "j.cir") for s in range(1, SEEDS + 1)]
        if any(v is None or v[0] is None for v in vals):
            tap.fail("junction x=%g: a run failed" % x)
            continue
        check(tap, "overdamped junction at kT/EJ = 0.1, I/Ic = %g: mean V" % x,
              [v[0] for v in vals], V_FORMULA[x])
    vals = [run(exe, dual(1.2, s), tmp, "d.cir") for s in range(1, SEEDS + 1)]
    if any(v is None or v[1] is None for v in vals):
        tap.fail("dual x=1.2: a run failed")
    else:
        check(tap, "its dual (phase slip + R*, kT/ES = 0.1, V = 1.2 R_Q Ic): mean I",
              [v[1] for v in vals], V_FORMULA[1.2] / RQ)
    for step, stop, d in (("0.5n", "400u", 0.5), ("0.05n", "40u", 0.05)):
        got = rc_variance(exe, tmp, step, stop)
        want = math.tanh(d / 2) / (d / 2)
        if got is None:
            tap.fail("RC at D = %g tau: the run failed" % d)
            continue
        mean, se = got
        tap.result("RC at D = %g tau: <V^2> C/kT = tanh(D/2tau)/(D/2tau)" % d,
                   [] if abs(mean - want) <= 3 * se else
                   ["%.5f vs %.5f (%.2f SE)" % (mean, want, (mean - want) / se)],
                   note=": %.5f +- %.5f vs %.5f" % (mean, se, want))
    a, b = run(exe, junction(1.2, 5), tmp, "r1.cir"), run(exe, junction(1.2, 5), tmp, "r2.cir")
    tap.result("same deck and seed twice: identical mean V", [] if a == b and a is not None
               else ["%s vs %s" % (a, b)])
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
