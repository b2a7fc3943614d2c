#!/usr/bin/env python3
"""Files under -o DIR (TAP): `qpsim run DECK -o DIR` must write qpsim.json (parseable, same
analyses as --json), one CSV per computed analysis with a header and one row per point, and, when
qpsim was built with PLplot (first argument "plots"), a PNG picture per spectrum (level diagram),
swept spectrum, band set, transient, I-V curve, matrix-element table, wavefunction set and swept
coherence (T1, T2 and the channels against the parameter)."""
import csv
import json
import os
import subprocess
import sys
import tempfile

import taplib

EXPECT = {  # deck -> [(csv name, png name or None, rows)]
    "cpb_sweep.cir": [("analysis1_spectrum_sweep.csv", "analysis1_sweep.png", 3)],
    "bloch_bands.cir": [("analysis1_bands.csv", "analysis1_bands.png", 11),
                        ("analysis4_bands.csv", "analysis4_bands.png", 5)],
    "ac_josephson.cir": [("analysis1_tran.csv", "analysis1_tran.png", 50001),
                         ("analysis1_tran_fft.csv", None, 12501)],
    "shapiro.cir": [("analysis1_tran_iv.csv", "analysis1_tran_iv.png", 21)],
    "transmon.cir": [("analysis1_spectrum.csv", "analysis1_spectrum.png", 6)],
    "sweep_2d.cir": [("analysis1_spectrum_sweep.csv", "analysis1_sweep.png", 6)],
    "matrix_flux_sweep.cir": [("analysis1_matrix_sweep.csv", "analysis1_matrix.png", 160)],
    "matrix_elements.cir": [("analysis1_matrix.csv", "analysis1_matrix.png", 48),
                            ("analysis2_wavefunction.csv", "analysis2_wavefunction.png", 401)],
    "fluxonium_flux_sweep.cir": [("analysis1_coherence_sweep.csv", "analysis1_coherence.png", 11)],
    "fluxonium.cir": [("analysis1_coherence.csv", None, 1)],
}


def main():
    plots = sys.argv[1] == "plots"
    exe = os.path.abspath(sys.argv[2])
    decks = [os.path.abspath(p) for p in sys.argv[3:]]
    tap = taplib.Tap(len(decks))
    for path in decks:
        name = os.path.basename(path)
        out = tempfile.mkdtemp()
        r = subprocess.run([exe, "run", path, "-o", out], capture_output=True, text=True,
                           timeout=600)
        problems = []
        if r.returncode != 0:
            problems.append("exit %d: %s" % (r.returncode, r.stderr[:300]))
        else:
            try:
                doc = json.load(open(os.path.join(out, "qpsim.json")))
                if not doc["analyses"]:
                    problems.append("qpsim.json has no analyses")
            except (OSError, ValueError, KeyError) as e:
                problems.append("qpsim.json: %s" % e)
            for csv_name, png, rows in EXPECT.get(name, []):
                p = os.path.join(out, csv_name)
                try:
                    table = list(csv.reader(open(p)))
                    if len(table) != rows + 1 or len(table[0]) < 2:
                        problems.append("%s: %d lines, expected a header and %d rows"
                                        % (csv_name, len(table), rows))
                except OSError as e:
                    problems.append("%s: %s" % (csv_name, e))
                if png and plots:
                    try:
                        head = open(os.path.join(out, png), "rb").read(8)
                        if head != b"\x89PNG\r\n\x1a\n":
                            problems.append("%s is not a PNG file" % png)
                    except OSError as e:
                        problems.append("%s: %s" % (png, e))
        if name == "ac_josephson.cir" and not problems:
            # the spectrum's largest bin lies within one bin (40 MHz) of V/Phi0 = 4.835978484 GHz
            rows = list(csv.reader(open(os.path.join(out, "analysis1_tran_fft.csv"))))[1:]
            peak = max(rows, key=lambda r: float(r[1]))
            if abs(float(peak[0]) - 4.835978484e9) > 1.0 / 25e-9:
                problems.append("FFT CSV peak at %s Hz, expected 4.836 GHz" % peak[0])
        if name == "matrix_elements.cir" and not problems:
            # each wavefunction column pair integrates to 1 (trapezoidal rule on the CSV grid)
            rows = [[float(x) for x in r] for r in list(csv.reader(open(
                os.path.join(out, "analysis2_wavefunction.csv"))))[1:]]
            dx = rows[1][0] - rows[0][0]
            for k in range(3):
                rho = [r[1 + 2 * k] ** 2 + r[2 + 2 * k] ** 2 for r in rows]
                norm = dx * (sum(rho) - 0.5 * (rho[0] + rho[-1]))
                if abs(norm - 1.0) > 1e-6:
                    problems.append("psi%d integrates to %.9f on the CSV grid" % (k, norm))
        tap.result(name, problems)
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
