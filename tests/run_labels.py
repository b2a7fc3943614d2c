#!/usr/bin/env python3
"""Bare-state labels of coupled levels, chi, ZZ and per-mode anharmonicity (TAP; issue 15).

Independent numbers: tests/oracles/labels_dispersive.py (exact diagonalization in numpy of the
same circuits built from their capacitance matrices, labels by overlap with each mode's own
eigenstates) and the closed form of Koch et al. (2007) for a transmon and a resonator; for two
coupled LC resonators, normal modes (no anharmonicity, chi = 0 exactly). Also: swept spectra
carry their transitions in JSON; the hierarchical path labels its levels by the groups' kept
states with the same result; a spectrum solved in changed coordinates (whose modes are not those
`qpsim check` lists) says why it has no labels instead of inventing them.

    python3 run_labels.py QPSIM ROOT
"""
import json
import os
import subprocess
import sys
import tempfile

import taplib

# From tests/oracles/labels_dispersive.py (NCUT = 20, NFOCK = 40).
TR_LABELS = [[0, 0], [1, 0], [0, 1], [2, 0], [1, 1], [0, 2], [3, 0], [2, 1]]
TR_WEIGHTS = [0.999962, 0.996652, 0.996652, 0.995448, 0.988860, 0.993360, 0.995246, 0.986263]
TR_CHI = -1.8234264260e-03          # GHz, exact diagonalization
TR_CHI_KOCH = -0.001867377727       # GHz, 2 chi_Koch with the transmon's own levels
TR_ANH = -2.6827876755e-01          # GHz, E(20) - 2 E(10) + E(00)
TT_LABELS = [[0, 0], [0, 1], [1, 0], [0, 2], [1, 1], [2, 0], [0, 3], [1, 2]]
TT_ZZ = -1.0105321229e-02           # GHz
TT_ANH = [-2.6095201816e-01, -2.3284285061e-01]  # GHz, each transmon's, dressed

# Both sides converge every level to 1e-8 GHz (qpsim's default tol; the oracle's basis is far
# larger than needed): a combination of four levels agrees to a few 1e-8.
SHIFT_TOL = 1e-7                    # GHz
WEIGHT_TOL = 1e-5                   # the oracle prints six digits
# Koch's closed form keeps second order in g/Delta within the rotating-wave approximation: the
# counter-rotating terms (each chi_ij ~10 % from g_ij^2 / (w_ij + w_r) here, largely cancelling
# in chi) and fourth-order terms ((g/Delta)^2 ~ 0.4 %) are left out: 2.4 % here.
KOCH_REL = 0.05


def run(exe, *args):
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=300)


def spectrum(exe, deck):
    p = run(exe, "run", "--json", deck)
    if p.returncode != 0:
        return {}, p
    return json.loads(p.stdout)["analyses"][0], p


def close(a, b, tol):
    return a is not None and abs(a - b) <= tol


def pair(s, key):
    v = s.get(key) or [{}]
    return v[0].get("value") if v[0].get("parts") == ["m1", "m2"] else None


def main():
    exe, root = os.path.abspath(sys.argv[1]), sys.argv[2]
    tap = taplib.Tap(8)
    tr = os.path.join(root, "examples", "transmon_resonator.cir")
    s, p = spectrum(exe, tr)
    problems = []
    if s.get("label_parts") != ["m1", "m2"] or s.get("labels") != TR_LABELS:
        problems.append("parts %r labels %r (exit %d %s)" % (
            s.get("label_parts"), s.get("labels"), p.returncode, p.stderr.strip()))
    w = s.get("label_weights", [])
    if len(w) != len(TR_WEIGHTS) or any(abs(a - b) > WEIGHT_TOL for a, b in zip(w, TR_WEIGHTS)):
        problems.append("weights %r, oracle %r" % (w, TR_WEIGHTS))
    tap.result("transmon + resonator: labels and weights of the numpy oracle", problems)
    chi = pair(s, "chi")
    anh = s.get("anharmonicities", [])
    ok = close(chi, TR_CHI, SHIFT_TOL) and len(anh) == 1 and anh[0].get("part") == "m1" and \
        close(anh[0].get("value"), TR_ANH, SHIFT_TOL) and "zz" not in s
    tap.result("transmon + resonator: chi and the transmon's anharmonicity of the numpy oracle",
               [] if ok else ["chi %r (oracle %r), anharmonicities %r (oracle %r)" % (
                   chi, TR_CHI, anh, TR_ANH)])
    tap.result("transmon + resonator: chi of Koch et al.'s dispersive closed form",
               [] if chi is not None and abs(chi / TR_CHI_KOCH - 1) <= KOCH_REL
               else ["chi %r, closed form %r" % (chi, TR_CHI_KOCH)])

    s, p = spectrum(exe, os.path.join(root, "netlists", "two_transmons_zz.cir"))
    zz = pair(s, "zz")
    problems = [] if s.get("labels") == TT_LABELS else ["labels %r" % s.get("labels")]
    if not close(zz, TT_ZZ, SHIFT_TOL) or "chi" in s:
        problems.append("zz %r (oracle %r), chi %r" % (zz, TT_ZZ, s.get("chi")))
    anh = s.get("anharmonicities", [])
    if [x.get("part") for x in anh] != ["m1", "m2"] or \
            not all(close(x.get("value"), w, SHIFT_TOL) for x, w in zip(anh, TT_ANH)):
        problems.append("anharmonicities %r, oracle %r" % (anh, TT_ANH))
    text = run(exe, "run", os.path.join(root, "netlists", "two_transmons_zz.cir")).stdout
    if "ZZ(m1, m2) = E(11) - E(10) - E(01) + E(00) = -0.0101053" not in text:
        problems.append("text: %r" % text[-400:])
    tap.result("two transmons: labels and ZZ of the numpy oracle", problems)

    lc = os.path.join(root, "netlists", "coupled_lc.cir")
    s, p = spectrum(exe, lc)
    text = run(exe, "run", lc).stdout
    problems = []
    if s.get("labels", [])[:6] != [[0, 0], [1, 0], [0, 1], [2, 0], [1, 1], [0, 2]] or \
            any(abs(x - 1) > 1e-9 for x in s.get("label_weights", [0])):
        problems.append("labels %r weights %r" % (s.get("labels"), s.get("label_weights")))
    if "anharmonicity" in s or "anharmonicities" in s or "anharmonicity" in text:
        problems.append("an anharmonicity is reported for two harmonic modes")
    if not close(pair(s, "chi"), 0.0, 1e-9) or "bare state (m1, m2)" not in text:
        problems.append("chi %r (normal modes: 0); text %r" % (pair(s, "chi"), text[-300:]))
    tap.result("two coupled LC resonators: labels, chi = 0, no anharmonicity", problems)

    s, p = spectrum(exe, os.path.join(root, "examples", "param_sweep.cir"))
    lv, tr_ = s.get("levels", []), s.get("transitions")
    ok = tr_ is not None and len(tr_) == len(lv) == 11 and all(
        len(t) == len(l) and all(abs(a - (b - l[0])) <= 1e-12 for a, b in zip(t, l))
        for t, l in zip(tr_, lv))
    tap.result("a swept spectrum carries its transitions, per point as its levels",
               [] if ok else ["transitions %r" % (tr_,)])

    with tempfile.TemporaryDirectory() as tmp:
        deck = os.path.join(tmp, "hier.cir")
        with open(os.path.join(root, "netlists", "two_transmons_zz.cir")) as f:
            text = f.read().replace(".spectrum levels=8", ".spectrum levels=8 method=hierarchical")
        with open(deck, "w") as f:
            f.write(text)
        s, p = spectrum(exe, deck)
    zz = pair(s, "zz")
    ok = s.get("method") == "hierarchical" and s.get("labels") == TT_LABELS and \
        close(zz, TT_ZZ, 2 * SHIFT_TOL)
    tap.result("hierarchical path: labels from the groups' kept states, the oracle's ZZ",
               [] if ok else ["method %r labels %r zz %r: %s" % (
                   s.get("method"), s.get("labels"), zz, p.stderr.strip())])

    s, p = spectrum(exe, os.path.join(root, "examples", "mutual_inductance.cir"))
    ok = s.get("aligned") is True and "labels" not in s and \
        "levels not labelled by bare states" in p.stderr and "changed coordinates" in p.stderr
    tap.result("changed coordinates: no labels, a note says why",
               [] if ok else ["aligned %r, stderr %r" % (s.get("aligned"), p.stderr)])
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
