#!/usr/bin/python3
"""Independent estimate for long junction arrays (bench/array_deck.py decks; docs/physics.md,
"Matrix-product states"): the array as one superinductance, the fluxonium's single-mode model
with the array's own nonlinearity and the internal modes' zero-point renormalization.

A fluxonium (EJ0 = 8.9, EC0 = 2.5 GHz, f = 0.5) on an array of N junctions (EJ, EC each). The
total array phase phi = sum of the junction phases carries the slow mode; the capacitance
matrix in junction phases is C_J I + C_0 1 1^T, so the uniform mode decouples kinetically from
the N - 1 internal modes, with E_C,eff = 1 / (1/EC0 + 1/(N EC)) (C0 in parallel with the
series array). Its potential is -EJ0 cos(phi - 2 pi f) - N EJ' cos(phi / N) (each junction at
phi/N: the array's quartic term -EJ phi^4 / (24 N^3) included exactly), with
EJ' = EJ exp(-<dtheta^2>/2), <dtheta^2> = (N - 1)/N sqrt(2 EC / EJ) the internal modes'
zero-point spread of one junction phase (self-consistent harmonic renormalization). Neglected:
the internal modes' second-order couplings, ~ EJ/24 (2 EC/EJ) per junction and shared by the
levels (docs/performance.md), and the renormalization's next order, (dtheta^2)^2/8 relative.
Solved on a sinc-DVR phase grid (two grids show convergence). Prints the transitions
E_k - E_0 in GHz, for comparison with the MPS spectrum's. Run:
    /usr/bin/python3 tests/oracles/array_superinductance.py N [EJ EC levels]
"""
import sys

import numpy as np

EJ0, EC0, F = 8.9, 2.5, 0.5


def transitions(n, ej, ec, levels=4, npts=801, half=30.0):
    ecf = 1.0 / (1.0 / EC0 + 1.0 / (n * ec))
    ejr = ej * np.exp(-0.5 * (n - 1) / n * np.sqrt(2.0 * ec / ej))
    x = np.linspace(-half, half, npts)
    h = x[1] - x[0]
    i = np.arange(npts)
    d = i[:, None] - i[None, :]
    with np.errstate(divide="ignore"):
        T = np.where(d == 0, np.pi**2 / 3.0, 2.0 * (-1.0) ** d / np.where(d == 0, 1, d) ** 2)
    T = T / h**2  # -d^2/dphi^2 on the sinc grid
    V = -EJ0 * np.cos(x - 2 * np.pi * F) - n * ejr * np.cos(x / n)
    w = np.linalg.eigvalsh(4.0 * ecf * T + np.diag(V))[:levels]
    return w - w[0]


if __name__ == "__main__":
    a = sys.argv[1:]
    n = int(a[0])
    ej = float(a[1]) if len(a) > 1 else 40.0
    ec = float(a[2]) if len(a) > 2 else 0.1
    lv = int(a[3]) if len(a) > 3 else 4
    for npts in (601, 801):
        print(npts, " ".join("%.7f" % v for v in transitions(n, ej, ec, lv, npts)))
