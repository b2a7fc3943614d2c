#!/usr/bin/env python3
"""JoSIM's own test decks run through qpsim unchanged, against JoSIM's results (TAP).

The decks in tests/josim/ are copies of JoSIM's test/ folder (MIT licence,
tests/josim/LICENSE.JoSIM), not edited. tests/oracles/josim_decks.json holds what JoSIM 2.7
computed for each (tests/oracles/josim_decks.py, run with a JoSIM built from source, made it):
per junction the whole-run count of 2 pi phase slips and the mean voltage over the second half
of the run; per column the deck prints, its mean over the second half.

Checks, per deck that qpsim runs (a deck of an element qpsim does not have must fail with a
positioned error naming it):
  - every junction's phase-slip count equals JoSIM's exactly (JSON frequencies.phase_slips);
  - every junction's mean voltage over the whole run, Phi0/2pi phi(TSTOP)/TSTOP (JSON
    frequencies.phase_end_rad), agrees within MEAN_V_TOL of the larger of |JoSIM's| and
    MEAN_V_FLOOR. Why not closer: JoSIM integrates with a fixed step (its TSTEP) and switches
    the junction's conductance by the previous step's voltage; qpsim's integrator controls its
    local error (rtol 1e-5). Measured: 2.2e-3 on the junction deck (its phase still rings at
    TSTOP), 2e-7 on the JTL and DC-to-SFQ decks. With rtype=0 in place of JoSIM's subgap model
    the junction deck slips 17 times instead of 36: the check sees the physics;
  - the CSV under -o has the columns JoSIM writes, by the same names (JoSIM's V(3,0) is V(3)),
    and each column's mean over the second half agrees with JoSIM's within COL_TOL of the
    larger of |JoSIM's| and the column's scale (its largest magnitude over the run): a
    column that averages to nearly zero is compared against its swing, not its mean.
    Measured: 2e-2 on the mutual-inductance deck (JoSIM's 0.1 ms fixed step is 1/63 of the
    159 Hz period, and qpsim switches its source on over that first step), 3.2e-3 or less on
    the others (capacitor and inductor: I = C dV/dt differenced on the samples).
"""
import csv
import json
import math
import os
import subprocess
import sys
import tempfile

import taplib

PHI0 = 2.067833848e-15
MEAN_V_TOL = 0.01
MEAN_V_FLOOR = 1e-6   # V: a junction at rest (mean voltage of order 0) is compared to 1 uV
# rad: a junction that does not slip has a mean voltage that is only its final (ringing) phase
# over TSTOP; that phase is compared within REST_PHASE_TOL (a slip is 2 pi, and the count is
# compared exactly). Measured: 0.095 rad on X0.B2 of ex_mitll_dff_wr, whose phase qpsim gives
# the same to 1e-7 rad at rtol 1e-4 and 1e-6 (JoSIM: fixed 0.25 ps trapezoidal steps).
REST_PHASE_TOL = 0.2
COL_TOL = 0.03

# Decks qpsim cannot run, and the element its error must name (JoSIM elements qpsim lacks).
UNSUPPORTED = {}


def read_csv(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    head = rows[0]
    return head, [[float(x) for x in r] for r in rows[1:]]


def check_deck(qpsim, deck, ref):
    name = os.path.basename(deck)[:-4]
    problems = []
    with tempfile.TemporaryDirectory() as out:
        p = subprocess.run([qpsim, "run", deck, "--json", "-o", os.path.join(out, "o")],
                           capture_output=True, text=True)
        if name in UNSUPPORTED:
            where, what = UNSUPPORTED[name]
            want = "%s.cir:%s: error: unknown element letter %s" % (name, where, what)
            if p.returncode == 0 or want not in p.stderr:
                problems.append("expected the positioned error '%s', got exit %d: %s"
                                % (want, p.returncode, p.stderr[:400]))
            return problems, " (unsupported element: positioned error)"
        if p.returncode != 0:
            return ["qpsim exit %d: %s" % (p.returncode, p.stderr[:600])], ""
        res = json.loads(p.stdout)
        freqs = {}
        tstop = ref["tstop"]
        for a in res["analyses"]:
            for f in a.get("frequencies", []):
                freqs[f["element"].upper()] = f
        for jj, want in sorted(ref.get("junctions", {}).items()):
            # JoSIM names B01|X03 what qpsim names X03.B01
            parts = jj.split("|")
            qname = ".".join(reversed(parts)).upper()
            got = freqs.get(qname)
            if got is None:
                problems.append("%s: no frequency report for %s" % (jj, qname))
                continue
            if got["phase_slips"] != want["slips"]:
                problems.append("%s: %d phase slips, JoSIM %d" % (jj, got["phase_slips"],
                                                                  want["slips"]))
            mean_v = PHI0 / (2 * math.pi) * got["phase_end_rad"] / tstop
            scale = max(abs(want["mean_V"]), MEAN_V_FLOOR)
            at_rest = want["slips"] == 0 and abs(
                got["phase_end_rad"] - want["phase_end"]) <= REST_PHASE_TOL
            if abs(mean_v - want["mean_V"]) > MEAN_V_TOL * scale and not at_rest:
                problems.append("%s: mean voltage %.6g V, JoSIM %.6g V (tolerance %.3g V)"
                                % (jj, mean_v, want["mean_V"], MEAN_V_TOL * scale))
        csvs = [f for f in os.listdir(os.path.join(out, "o")) if f.endswith("_tran.csv")]
        if not csvs:
            return problems + ["no transient CSV under -o"], ""
        head, rows = read_csv(os.path.join(out, "o", csvs[0]))
        want_cols = [c for c, _ in ref["columns"]]
        if [h.upper() for h in head[1:]] != [c.upper() for c in want_cols]:
            problems.append("columns %s, JoSIM %s" % (head[1:], want_cols))
            return problems, ""
        h = len(rows) // 2
        for k, (c, ref_mean) in enumerate(ref["columns"]):
            col = [r[k + 1] for r in rows]
            mean = sum(col[h:]) / (len(col) - h)
            scale = max(abs(ref_mean), max(abs(x) for x in col))
            if abs(mean - ref_mean) > COL_TOL * scale:
                problems.append("%s: mean %.6g over the second half, JoSIM %.6g (scale %.3g)"
                                % (c, mean, ref_mean, scale))
    njj = len(ref.get("junctions", {}))
    return problems, " (%d junctions, %d columns)" % (njj, len(ref["columns"]))


# JoSIM's forms one at a time (each failed before they were accepted): a deck, what its run must
# show. RSJ: an overdamped junction biased above Ic, 100 ps (its phase runs).
RSJ = "B1 1 0 ic=100u rn=1\nI1 0 1 dc 150u\n"


def run(qpsim, text, *args):
    with tempfile.TemporaryDirectory() as d:
        deck = os.path.join(d, "deck.cir")
        with open(deck, "w") as f:
            f.write(text)
        out = os.path.join(d, "o")
        p = subprocess.run([qpsim, "run", deck, "--json", "-o", out] + list(args),
                           capture_output=True, text=True)
        files = sorted(os.listdir(out)) if os.path.isdir(out) else []
        res = json.loads(p.stdout) if p.returncode == 0 and p.stdout else None
        if res is not None and "analysis1_tran.csv" in files:
            res["csv"] = read_csv(os.path.join(out, "analysis1_tran.csv"))
        return p.returncode, p.stderr.replace(deck, "deck.cir"), res, files


def form_checks(plots):
    def tran4(q):  # JoSIM's fourth value: the print step (output spacing)
        rc, err, res, _ = run(q, RSJ + ".tran 0.25p 100p 0 2p\n")
        if rc != 0:
            return ["exit %d: %s" % (rc, err)]
        n = res["analyses"][0]["samples"]
        return [] if n == 51 else ["%d samples, expected 51 (every 2 ps)" % n]

    def temp(q):
        rc, err, _, _ = run(q, RSJ + ".temp 4.2\n.tran 1p 100p\n")
        return [] if rc == 0 else ["exit %d: %s" % (rc, err)]

    def options(q):  # rtol= used, any other option warned about where it is written
        rc, err, res, _ = run(q, RSJ + ".options rtol=1e-6 maxdata=3\n.tran 1p 100p\n")
        if rc != 0:
            return ["exit %d: %s" % (rc, err)]
        probs = []
        if res["analyses"][0]["rtol"] != 1e-6:
            probs.append("rtol %g, .options said 1e-6" % res["analyses"][0]["rtol"])
        if "deck.cir:3:20: warning: option 'maxdata'" not in err:
            probs.append("no positioned warning for maxdata: " + err)
        return probs

    def phase_node(q):  # B01 1 0 5 jj1: the third node is WRspice's phase node
        rc, err, res, _ = run(q, "B01 1 0 5 jj1\nI1 0 1 dc 150u\n"
                              ".model jj1 jj(icrit=100u, rn=1)\n.tran 1p 100p\n")
        if rc != 0:
            return ["exit %d: %s" % (rc, err)]
        if "deck.cir:1:9: warning: phase node '5' of B01" not in err:
            return ["no positioned warning for the phase node: " + err]
        return []

    def rtype(q):  # a junction held at V by a source: its current is V/r0 below the gap
        # (rtype=1, JoSIM's default when r0 is given), V/rn above it and with rtype=0; its
        # supercurrent (Ic = 1 nA) averages out. Means of I(B1) over the second half, 1 %.
        base = ("V1 1 0 dc %s\nB1 1 0 jj1\n.model jj1 jj(icrit=1n, rn=10, %s)\n"
                ".tran 0.1p 100p\n.print I(B1)\n")
        probs = []
        for v, keys, want in (("1mV", "rtype=1, r0=1000, vg=2.8mV", 1e-6),
                              ("1mV", "r0=1000", 1e-6),
                              ("1mV", "rtype=0, r0=1000, vg=2.8mV", 1e-4),
                              ("5mV", "rtype=1, r0=1000, vg=2.8mV", 5e-4)):
            rc, err, res, _ = run(q, base % (v, keys))
            if rc != 0:
                return ["exit %d: %s" % (rc, err)]
            head, rows = res["csv"]
            h = len(rows) // 2
            mean = sum(r[1] for r in rows[h:]) / (len(rows) - h)
            if abs(mean - want) > 0.01 * want:
                probs.append("V = %s, %s: mean I(B1) %.4g A, expected %.4g A" % (v, keys, mean,
                                                                               want))
        return probs

    def unused_key(q):  # a JoSIM key without meaning here is warned about, not silently dropped
        rc, err, _, _ = run(q, "B1 1 0 jj1\nI1 0 1 dc 150u\n"
                            ".model jj1 jj(icrit=100u, rn=1, phi=pi)\n.tran 1p 100p\n")
        if rc != 0:
            return ["exit %d: %s" % (rc, err)]
        return [] if "deck.cir:3:33: warning: 'phi' of model jj1" in err else [
            "no positioned warning for phi=: " + err]

    def print_outputs(q):  # .print without the junction's supercurrent: still picture and FFT
        rc, err, _, files = run(q, RSJ + ".tran 1p 100p\n.print V(1) P(B1)\n")
        want = ["analysis1_tran.csv", "analysis1_tran_fft.csv"]
        want += ["analysis1_tran.png"] if plots else []
        missing = [f for f in want if f not in files]
        return ["exit %d: %s" % (rc, err)] if rc else (
            ["missing under -o: %s (got %s)" % (missing, files)] if missing else [])

    def iv(q):
        rc, err, _, _ = run(q, RSJ + ".tran 1p 100p\n.iv jj1 300u iv.csv\n")
        if rc != 0:
            return ["exit %d: %s" % (rc, err)]
        return [] if "deck.cir:4:1: warning: .iv" in err else ["no warning for .iv: " + err]

    def pipe_names(q):  # JoSIM's B01|X1 for qpsim's X1.B01, the column as written
        rc, err, res, _ = run(q, ".subckt CELL a\nB01 a 0 jj1\n.model jj1 jj(icrit=100u, rn=1)\n"
                              ".ends\nX1 CELL 1\nI1 0 1 dc 150u\n.tran 1p 100p\n"
                              ".print phase B01|X1\n.print P(X1.B01) devv B01|X1\n")
        if rc != 0:
            return ["exit %d: %s" % (rc, err)]
        head, rows = res["csv"]
        if head != ["time", "P(B01|X1)", "P(X1.B01)", "V(B01|X1)"]:
            return ["columns %s" % head]
        return [] if rows[-1][1] == rows[-1][2] != 0 else ["P(B01|X1) is not P(X1.B01)"]

    def matched_line(q):
        # a source of internal resistance Z0 into a line of Z0 ended in Z0: no reflection, so
        # V(2) = V1(t)/2 and V(3) = V1(t - TD)/2 exactly (the line's closed form, independent of
        # the integrator), here a smooth sin(2 pi 10 GHz t) past its switch-on, TD = 37 ps.
        # Tolerance 1e-4 of the amplitude (the delayed wave is read from the dense output).
        rc, err, res, _ = run(q, "V1 1 0 sin(0 1 10g)\nR1 1 2 50\nT1 2 0 3 0 Z0=50 TD=37p\n"
                              "R2 3 0 50\n.tran 0.5p 200p\n.print V(2) V(3)\n")
        if rc != 0:
            return ["exit %d: %s" % (rc, err)]
        head, rows = res["csv"]
        worst = 0.0
        for r in rows:
            t = r[0]
            if t < 5e-12 or t < 37e-12 + 5e-12:
                continue
            worst = max(worst, abs(r[1] - 0.5 * math.sin(2 * math.pi * 1e10 * t)),
                        abs(r[2] - 0.5 * math.sin(2 * math.pi * 1e10 * (t - 37e-12))))
        return [] if worst < 1e-4 else ["worst |V - closed form| %.3g V" % worst]

    return [("matched transmission line: V(3) = V1(t - TD)/2", matched_line),
            ("four-argument .tran", tran4), ("JoSIM's names B01|X1 in .print", pipe_names), (".temp", temp), (".options", options),
            ("phase node B01 1 0 5 jj1", phase_node), ("JoSIM-only model key warned", unused_key),
            ("rtype=1: subgap r0 below vg, rn above", rtype),
            (".print V(1) P(B1) with -o: picture and FFT CSV", print_outputs),
            (".iv accepted with a warning", iv)]


# Decks too slow for the sanitized build (CI runs both builds within its time), with the reason.
# None since session 10: the flip-flop, once 4 minutes plain and about 40 under the sanitizers,
# takes 4 s plain and 8 s sanitized (decoupled Radau solves with factors kept across steps).
PLAIN_ONLY = {}


def main():
    qpsim, decks, oracle, plots = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "plots"
    sanitized = len(sys.argv) > 5 and sys.argv[5] == "sanitized"
    with open(oracle) as f:
        refs = json.load(f)["decks"]
    names = sorted(set(refs) | set(UNSUPPORTED))
    forms = form_checks(plots)
    tap = taplib.Tap(len(names) + len(forms))
    for name in names:
        if sanitized and name in PLAIN_ONLY:
            tap.skip(name, "%s; the plain build runs it" % PLAIN_ONLY[name])
            continue
        problems, note = check_deck(qpsim, os.path.join(decks, name + ".cir"), refs.get(name))
        tap.result(name, problems, note)
    for label, check in forms:
        tap.result(label, check(qpsim))
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
