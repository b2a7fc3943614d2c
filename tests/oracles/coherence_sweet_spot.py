#!/usr/bin/python3
"""Oracle for tests/run_coherence.py (hand-run; not part of the test suite): Tphi of 1/f charge
noise of a transmon (EJ 15, EC 0.3 GHz) just off its sweet spot.

Levels and states of 4 EC (n - ng)^2 - EJ cos phi in the charge basis |n - round(ng)| <= 40
(converged to machine precision, and symmetric about the sweet spot so that the truncation cannot
fake a slope); dE_ij/dng by Hellmann-Feynman, <i|8 EC (ng - n)|i> - <j|8 EC (ng - n)|j>; the rate
2 pi A |dE| sqrt(2 |ln(omega_low t_exp)|) with qpsim's defaults A = 1e-4, omega_low = 2 pi rad/s,
t_exp = 10 us. numpy only.
Run: /usr/bin/python3 tests/oracles/coherence_sweet_spot.py
"""
import math

import numpy as np

EJ, EC = 15.0, 0.3


def slope(ng, i, j, ncut=40):
    n = np.arange(round(ng) - ncut, round(ng) + ncut + 1)
    h = np.diag(4 * EC * (n - ng) ** 2) - 0.5 * EJ * (np.eye(n.size, k=1) + np.eye(n.size, k=-1))
    _, v = np.linalg.eigh(h)
    d = [(v[:, k] ** 2 * 8 * EC * (ng - n)).sum() for k in (i, j)]
    return d[0] - d[1]


FAC = 2 * math.pi * 1e-4 * 1e9 * math.sqrt(2 * abs(math.log(2 * math.pi * 1e-5)))
for ng, i, j in ((0.25, 1, 0), (0.5 + 1e-6, 1, 0), (0.5 + 1e-6, 2, 0)):
    print("ng = %.7g, %d -> %d: dE/dng = %.12e GHz, Tphi = %.12e s"
          % (ng, i, j, slope(ng, i, j), 1 / (FAC * abs(slope(ng, i, j)))))
