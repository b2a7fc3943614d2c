#!/usr/bin/python3
"""Oracle for netlists/tunable_transmon.cir (hand-run; not part of the test suite).

Asymmetric SQUID transmon: B1 1-0 EJ1 = 12 GHz (junction EC 1.2 GHz), B2 1-0 EJ2 = 4 GHz (junction
EC 3.6 GHz), shunt C1 1-0 EC = 0.4 GHz, ng = 0.2, loop flux f = 0, 0.25, 0.5 (the .sweep of the deck).
A loop of two junctions without inductance is exactly one junction with
EJ_eff(f) = sqrt(EJ1^2 + EJ2^2 + 2 EJ1 EJ2 cos 2 pi f) (docs/physics.md, oracle T12; the phase offset of the
effective cosine is removed by the unitary exp(i theta n)), and the island charging energy is that of the
total capacitance, 1/EC = 1/1.2 + 1/3.6 + 1/0.4.  Levels: eigenvalues of
4 EC (n - ng)^2 - EJ_eff cos phi in the charge basis, |n| <= 40 (tridiagonal, converged to machine
precision; ncut = 30 gives the same numbers).  numpy only; no other source needed.
Run: /usr/bin/python3 tests/oracles/tunable_transmon.py
"""
import numpy as np

EJ1, EJ2, ECJ1, ECJ2, ECS, NG = 12.0, 4.0, 1.2, 3.6, 0.4, 0.2
EC = 1.0 / (1.0 / ECJ1 + 1.0 / ECJ2 + 1.0 / ECS)


def levels(f, ncut=40, k=4):
    ej = np.sqrt(EJ1**2 + EJ2**2 + 2 * EJ1 * EJ2 * np.cos(2 * np.pi * f))
    n = np.arange(-ncut, ncut + 1, dtype=float)
    H = np.diag(4 * EC * (n - NG)**2) - 0.5 * ej * (np.eye(len(n), k=1) + np.eye(len(n), k=-1))
    return ej, np.linalg.eigvalsh(H)[:k]


if __name__ == '__main__':
    print('EC_total = %.12f GHz' % EC)
    for f in (0.0, 0.25, 0.5):
        ej, e = levels(f)
        d = np.abs(e - levels(f, ncut=30)[1]).max()
        print('f = %-5g EJ_eff = %.12f  levels: [%s]   (|ncut40 - ncut30| = %.1e)'
              % (f, ej, ', '.join('%.12f' % x for x in e), d))
