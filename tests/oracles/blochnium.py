#!/usr/bin/python3
"""Oracle for netlists/blochnium.cir (hand-run; the deck is checked by the test suite).

Fluxonium circuit in the blochnium regime (docs/physics.md, oracle T16): H = 4 EC n^2 - EJ cos phi + (EL/2) phi^2 with
EC = 1, EJ = 2, EL = 5e-4 GHz, f = 0.  T16 gives E0 = -0.4297833536, E01 = 0.0499713632.
Two independent numpy/scipy computations here:
  (a) sinc-DVR grid (Colbert-Miller) on |phi| <= L;
  (b) harmonic-oscillator basis of 4 EC n^2 + (EL/2) phi^2 with N states, cos phi from the eigen-decomposition
      of the truncated phi operator (exact matrix function of the truncated operator).
Run: /usr/bin/python3 tests/oracles/blochnium.py
"""
import numpy as np
from scipy import linalg as sla

EC, EJ, EL, K = 1.0, 2.0, 5e-4, 4


def grid(L, npts):
    x = np.linspace(-L, L, npts)
    h = x[1] - x[0]
    i = np.arange(npts)
    d = i[:, None] - i[None, :]
    T = np.where(d == 0, np.pi**2 / 3, 2.0 * (-1.0)**d / np.where(d == 0, 1, d)**2) / h**2
    H = 4 * EC * T + np.diag(-EJ * np.cos(x) + 0.5 * EL * x**2)     # 4 EC n^2 = -4 EC d^2/dphi^2
    return sla.eigh(H, eigvals_only=True, subset_by_index=[0, K - 1])


def ho(N):
    zp = (8 * EC / EL) ** 0.25 / np.sqrt(2)        # phi = zp (a + a^+)
    a = np.diag(np.sqrt(np.arange(1, N)), 1)
    phi = zp * (a + a.T)
    w, U = np.linalg.eigh(phi)
    cos = (U * np.cos(w)) @ U.T
    wq = np.sqrt(8 * EC * EL)
    H = np.diag(wq * (np.arange(N) + 0.5)) - EJ * cos
    return sla.eigh(H, eigvals_only=True, subset_by_index=[0, K - 1])


if __name__ == '__main__':
    res = {}
    for name, fn in (('grid L=40pi  n=2401', lambda: grid(40 * np.pi, 2401)),
                     ('grid L=50pi  n=3601', lambda: grid(50 * np.pi, 3601)),
                     ('HO   N=1500', lambda: ho(1500)),
                     ('HO   N=2000', lambda: ho(2000))):
        e = fn()
        res[name] = e
        print('%-20s levels [%s]  E01 = %.12f' % (name, ', '.join('%.12f' % x for x in e), e[1] - e[0]))
    vals = np.array(list(res.values()))
    print('max spread over the four computations: %.1e' % np.ptp(vals, axis=0).max())
