#!/usr/bin/env python3
"""The .coherence contract (TAP): an infinite time (a sweet spot) is null with rate 0, also where a
truncated basis misses the symmetry by more than its rounding (a transmon at ng = 1, or levels 2-0
at ng = 1/2, gave 4e4 s); the rule is a symmetry, so a point 1e-6 off the sweet spot keeps its
small but real rate (against tests/oracles/coherence_sweet_spot.py); a swept temperature is a
list in JSON and a column in the text; a channel named in channels= that cannot be computed is a
positioned error (exit 1), while one that is only a default is left out with a warning."""
import json
import os
import subprocess
import sys
import tempfile

import taplib

ORACLE_RTOL = 1e-6   # the scqubits times of examples/coherence/fluxonium.cir
BOUND_RTOL = 1e-2    # off the sweet spot: qpsim's converged basis leaves ~1e-11 GHz in dE/dng
T1_CAP_15MK = 1.223024302884e-03  # scqubits 4.3.1, fluxonium at f = 0.25 (examples/coherence)
TPHI_NG_OFF = {(1, 0): 1.541705994146e+03, (2, 0): 4.996092684896e+01}  # ng = 0.5 + 1e-6
TPHI_NG_QUARTER = 9.686794573294e-03  # ng = 0.25, 1 -> 0

TRANSMON = "B1 1 0 ej=15\nC1 1 0 ec=0.3\n"
FLUXONIUM = "B1 1 0 ej=8.9\nC1 1 0 ec=2.5\nL1 1 0 el=0.5\n"
SQUID = "B1 1 0 ej=10 ec=1.2\nB2 1 0 ej=5 ec=1.2\nC1 1 0 ec=0.6\n"


def run(exe, folder, name, text, json_out=True):
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    args = [exe, "run", name] + (["--json"] if json_out else [])
    return subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=300)


def result(p):
    if p.returncode != 0:
        raise RuntimeError("exit %d: %s" % (p.returncode, p.stderr.strip()[:300]))
    return json.loads(p.stdout)["analyses"][0]


def channel(a, name):
    return next(c for c in a["channels"] if c["name"] == name)


def sweet_spots(exe, folder):
    """Every symmetry point gives null and rate 0, unswept and swept, charge and flux."""
    problems = []
    decks = {  # name: (deck, channel, index of the point (None: unswept) -> expected null)
        "ng1.cir": (TRANSMON + ".ng 1 1\n.coherence channels=tphi_1_over_f_ng\n",
                    "tphi_1_over_f_ng", {None: True}),
        "ng_half_20.cir": (TRANSMON + ".ng 1 0.5\n.coherence from=2 to=0 "
                           "channels=tphi_1_over_f_ng\n", "tphi_1_over_f_ng", {None: True}),
        "ng_sweep.cir": (".param ng=0\n" + TRANSMON + ".ng 1 {ng}\n.sweep ng 0 1.5 4\n"
                         ".coherence from=2 to=0 channels=tphi_1_over_f_ng\n", "tphi_1_over_f_ng",
                         {0: True, 1: True, 2: True, 3: True}),
        "fluxonium.cir": (".param f=0\n" + FLUXONIUM + ".flux {f}\n.sweep f 0 1 5\n"
                          ".coherence channels=tphi_1_over_f_flux\n", "tphi_1_over_f_flux",
                          {0: True, 1: False, 2: True, 3: False, 4: True}),
        "squid_flux.cir": (".param f=0\n" + SQUID + ".flux {f} B1 B2\n.ng 1 0.1\n"
                           ".sweep f 0 1 5\n.coherence channels=tphi_1_over_f_flux\n",
                           "tphi_1_over_f_flux", {0: True, 1: False, 2: True, 4: True}),
        "squid_ng.cir": (SQUID + ".flux 0.3 B1 B2\n.ng 1 0.5\n.coherence "
                         "channels=tphi_1_over_f_ng\n", "tphi_1_over_f_ng", {None: True}),
        "squid_ng_off.cir": (SQUID + ".flux 0 B1 B2\n.ng 1 0.1\n.coherence "
                             "channels=tphi_1_over_f_ng\n", "tphi_1_over_f_ng", {None: False}),
    }
    for name, (text, ch, want) in decks.items():
        try:
            c = channel(result(run(exe, folder, name, text)), ch)
        except (RuntimeError, StopIteration, ValueError) as e:
            problems.append("%s: %s" % (name, e))
            continue
        for p, null in want.items():
            t = c["time_s"] if p is None else c["time_s"][p]
            r = c["rate_per_s"] if p is None else c["rate_per_s"][p]
            if null and (t is not None or r != 0):
                problems.append("%s point %s: time %r, rate %r (a sweet spot: null, 0)"
                                % (name, p, t, r))
            elif not null and (t is None or not r > 0):
                problems.append("%s point %s: time %r, rate %r (not a sweet spot)"
                                % (name, p, t, r))
    return problems


def near_sweet_spot(exe, folder):
    """1e-6 off the sweet spot (far above the rule's 1e-12) the real rate stays; so at ng = 1/4."""
    problems = []
    cases = [((1, 0), 0.5 + 1e-6, TPHI_NG_OFF[(1, 0)]), ((2, 0), 0.5 + 1e-6, TPHI_NG_OFF[(2, 0)]),
             ((1, 0), 0.25, TPHI_NG_QUARTER)]
    for (i, j), ng, want in cases:
        deck = TRANSMON + ".ng 1 %.17g\n.coherence from=%d to=%d channels=tphi_1_over_f_ng\n" % (
            ng, i, j)
        try:
            t = channel(result(run(exe, folder, "near.cir", deck)), "tphi_1_over_f_ng")["time_s"]
        except (RuntimeError, StopIteration, ValueError) as e:
            problems.append("ng %.7g: %s" % (ng, e))
            continue
        if t is None or abs(t - want) > BOUND_RTOL * want:
            problems.append("ng %.7g, %d -> %d: Tphi %r s, oracle %.6g s" % (ng, i, j, t, want))
    return problems


def swept_temperature(exe, folder):
    """temp_K is a list over the sweep and each point's time is at its own temperature."""
    deck = (".param T=0.015\n" + FLUXONIUM + ".flux 0.25\n.temp {T}\n"
            ".coherence channels=t1_capacitive\n.sweep T 0.01 0.02 3\n")
    problems = []
    try:
        a = result(run(exe, folder, "temp.cir", deck))
        t = channel(a, "t1_capacitive")["time_s"]
    except (RuntimeError, StopIteration, ValueError) as e:
        return ["temp.cir: %s" % e]
    if a["temp_K"] != [0.01, 0.015, 0.02]:
        problems.append("temp_K %r, want [0.01, 0.015, 0.02]" % (a["temp_K"],))
    if abs(t[1] - T1_CAP_15MK) > ORACLE_RTOL * T1_CAP_15MK:
        problems.append("T1 capacitive at 15 mK %r s, scqubits %.12g s" % (t[1], T1_CAP_15MK))
    if not t[0] > t[1] > t[2]:
        problems.append("T1 capacitive %r does not fall as the temperature rises" % (t,))
    text = run(exe, folder, "temp.cir", deck, json_out=False).stdout
    if "at the temperature of each point" not in text or "T [mK]" not in text or " 10 mK" in text:
        problems.append("the text does not give each point's temperature:\n" + text[-600:])
    one = result(run(exe, folder, "temp1.cir", FLUXONIUM + ".flux 0.25\n.temp 15m\n"
                     ".coherence channels=t1_capacitive\n"))
    if one["temp_K"] != 0.015:
        problems.append("unswept temp_K %r, want the number 0.015" % (one["temp_K"],))
    return problems


def named_channel(exe, folder):
    """Named but not computable: error at the name, exit 1, nothing on stdout; unnamed: warning."""
    problems = []
    p = run(exe, folder, "qp.cir", TRANSMON + ".coherence channels=t1_capacitive,"
            "t1_quasiparticle_tunneling\n")
    want = ("qp.cir:3:35: error: .coherence: channel t1_quasiparticle_tunneling cannot be "
            "computed for this circuit (B1: sin(phi/2) moves a charge-basis mode by e")
    if p.returncode != 1 or p.stdout or not p.stderr.startswith(want):
        problems.append("named: exit %d, stdout %r, stderr %r" % (p.returncode, p.stdout[:80],
                                                                   p.stderr))
    p = run(exe, folder, "qp_default.cir", TRANSMON + ".coherence\n")
    if p.returncode != 0 or "warning: .coherence leaves out: B1: sin(phi/2)" not in p.stderr:
        problems.append("default channels: exit %d, stderr %r" % (p.returncode, p.stderr))
    return problems


def main():
    exe = os.path.abspath(sys.argv[1])
    tap = taplib.Tap(4)
    with tempfile.TemporaryDirectory() as folder:
        tap.result("sweet spots of ng and flux are null with rate 0", sweet_spots(exe, folder))
        tap.result("1e-6 off a sweet spot the real rate stays (oracle)",
                   near_sweet_spot(exe, folder))
        tap.result("a swept temperature is a list and a column", swept_temperature(exe, folder))
        tap.result("a named channel that cannot be computed is a positioned error",
                   named_channel(exe, folder))
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
