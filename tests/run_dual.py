#!/usr/bin/env python3
"""Duality round trip (TAP): for every deck in the given folders, `qpsim dual` either refuses it
with well-formed `file:line:col: error:` messages (non-planar circuits, mutual inductances,
bridges, sources without a spectrum...) or writes a dual deck D. When the deck asks for a
spectrum, the deck, its dual D and the dual of the dual must have the same levels: docs/duality.md, a
check that needs no reference numbers. Tolerance: 2e-7 GHz + 1e-8 |E| (levels of each deck are
converged to 1e-8 GHz by default; oscillator bases converge more slowly than lattice ones).
A deck with an unswept .coherence and its dual must give the same times channel by channel, the
channels mapped (capacitive <-> inductive, ng <-> flux, cc <-> es; rtol 1e-5): the dual carries
the quality factors, numbers or the default frequency-dependent form of the original channel
(`qind=capacitive` on the dual of a capacitor, `qcap=inductive` on the dual of an inductor)."""
import json
import os
import re
import subprocess
import sys
import tempfile

import taplib

DIAG = re.compile(r"^\S.*?:\d+:\d+: (error|note|warning): .+$")


def levels(exe, path):
    r = subprocess.run([exe, "run", "--json", path], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        return None, r.stderr.strip()
    doc = json.loads(r.stdout)
    spectra = [a for a in doc["analyses"] if a["type"] == "spectrum"]
    if spectra and "sweep" in spectra[0]:
        return None, "swept"  # the dual carries no .sweep (parameters are evaluated away)
    return (spectra[0]["levels"] if spectra else []), ""


DUAL_CHANNEL = {"t1_capacitive": "t1_inductive", "t1_inductive": "t1_capacitive",
                "tphi_1_over_f_ng": "tphi_1_over_f_flux", "tphi_1_over_f_flux": "tphi_1_over_f_ng",
                "tphi_1_over_f_cc": "tphi_1_over_f_es", "tphi_1_over_f_es": "tphi_1_over_f_cc",
                "t1_resistor": "t1_resistor"}


def times(exe, path):
    r = subprocess.run([exe, "run", "--json", path], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        return None
    coh = [a for a in json.loads(r.stdout)["analyses"] if a["type"] == "coherence"]
    if not coh or isinstance(coh[0]["f_GHz"], list):
        return {}
    return {c["name"]: c["time_s"] for c in coh[0]["channels"]}


def coherence_problems(exe, path, dual_path):
    t0, t1 = times(exe, path), times(exe, dual_path)
    if not t0:
        return []
    if t1 is None:
        return ["the dual's .coherence fails"]
    out = []
    for name, t in t0.items():
        other = DUAL_CHANNEL.get(name)
        if other is None:
            continue
        u = t1.get(other)
        same = (t is None and u is None) or (t is not None and u is not None
                                              and abs(t - u) <= 1e-5 * abs(t))
        if not same:
            out.append("coherence: %s %s but the dual's %s %s" % (name, t, other, u))
    return out


def close(a, b):
    return len(a) == len(b) and all(abs(x - y) <= 2e-7 + 1e-8 * abs(x) for x, y in zip(a, b))


def main():
    exe = os.path.abspath(sys.argv[1])
    decks = []
    for d in sys.argv[2:]:
        decks += sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".cir"))
    tap = taplib.Tap(len(decks))
    tmp = tempfile.mkdtemp()
    for i, path in enumerate(decks, 1):
        label = os.path.relpath(path)
        r = subprocess.run([exe, "dual", path], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            bad = [l for l in r.stderr.splitlines() if l and not DIAG.match(l)]
            if r.returncode == 1 and not bad and not r.stdout:
                first = r.stderr.splitlines()[0] if r.stderr else ""
                tap.skip(label, "no dual: " + first.split("error: ")[-1][:90])
            else:
                tap.fail("%s: dual failed badly (exit %d): %s"
                         % (label, r.returncode, r.stderr[:300]))
            continue
        d1 = os.path.join(tmp, "d%d.cir" % i)
        d2 = os.path.join(tmp, "dd%d.cir" % i)
        open(d1, "w").write(r.stdout)
        r2 = subprocess.run([exe, "dual", d1], capture_output=True, text=True, timeout=60)
        open(d2, "w").write(r2.stdout)
        problems = []
        if r2.returncode != 0:
            problems.append("dual of the dual failed: " + r2.stderr.strip()[:300])
        # Only decks with a spectrum are run (time-domain decks would only cost time here).
        has_spectrum = re.search(r"^\s*\.spectrum\b", open(path).read(), re.I | re.M)
        e0, err0 = levels(exe, path) if has_spectrum else ([], "")
        e1, err1 = levels(exe, d1) if has_spectrum else ([], "")
        e2, err2 = levels(exe, d2) if has_spectrum and r2.returncode == 0 else ([], "")
        if e0 is None or not e0:
            # Swept decks and decks without a spectrum (e.g. time-domain decks): the duals must read.
            c = subprocess.run([exe, "check", d1], capture_output=True, text=True, timeout=60)
            if c.returncode != 0:
                problems.append("dual deck does not read: " + c.stderr.strip()[:300])
        else:
            if e1 is None:
                problems.append("dual deck fails: " + err1[:300])
            elif not close(e0, e1):
                problems.append("levels differ:\ndeck %s\ndual %s" % (e0, e1))
            if r2.returncode == 0 and (e2 is None or not close(e0, e2)):
                problems.append("dual of the dual differs: %s" % (e2 if e2 is not None else err2))
        if re.search(r"^\s*\.coherence\b", open(path).read(), re.I | re.M):
            problems += coherence_problems(exe, path, d1)
        tap.result(label, problems, note=" (%d levels)" % len(e0 or []))
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
