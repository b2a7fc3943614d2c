#!/usr/bin/python3
"""Oracle for netlists/flux_qubit.cir and netlists/flux_qubit_f046.cir (hand-run; not part of the test suite).

Three-junction flux qubit of docs/physics.md, oracle T14 (scqubits FluxQubit parameters):
  B1 1-0 EJ=1, ECJ=0.016 ; B2 2-0 EJ=1, ECJ=0.016 ; B3 1-2 EJ=0.8, ECJ=0.02 ;
  gate capacitors 1-0 and 2-0 with EC=0.83 ; ng = 0 ; f = 0.5 and 0.46 (all GHz).
T14 (scqubits FluxQubit, ncut=10): E0..3 = -1.186248797, -1.182935873, -1.029845677, -0.979973352 at f=0.5,
E01 = 0.218236518 at f=0.46.

This script is a second source built here with numpy only: node-charge basis n1, n2 in [-ncut, ncut],
node capacitance matrix C from the capacitances C_i = e^2/(2 h EC_i) (SI-2019 e and h),
E_C = (e^2/2) C^-1 in GHz, and
  H = 4 n^T E_C n - EJ1 cos phi1 - EJ2 cos phi2 - EJ3 cos(phi1 - phi2 + 2 pi f),
the flux placed on B3 (the spectrum does not depend on which junction of the loop carries it;
with ng = 0 it is also even in f).  Dense eigvalsh at ncut = 10 (441 states) and 15 (961 states).
Run: /usr/bin/python3 tests/oracles/flux_qubit.py   (about 1 s)
"""
import numpy as np

E, H = 1.602176634e-19, 6.62607015e-34
C_OF_EC = lambda ec: E**2 / (2 * ec * 1e9 * H)            # capacitance in F of EC/h in GHz
EJ1, EJ2, EJ3 = 1.0, 1.0, 0.8
ECJ1, ECJ2, ECJ3, ECG = 0.016, 0.016, 0.02, 0.83


def levels(f, ncut, k=4):
    c1 = C_OF_EC(ECJ1) + C_OF_EC(ECG)                      # everything from node 1 to ground
    c2 = C_OF_EC(ECJ2) + C_OF_EC(ECG)
    c3 = C_OF_EC(ECJ3)                                     # node 1 to node 2
    Cm = np.array([[c1 + c3, -c3], [-c3, c2 + c3]])
    ECm = E**2 / 2 * np.linalg.inv(Cm) / H / 1e9           # GHz
    n = np.diag(np.arange(-ncut, ncut + 1, dtype=float))
    I = np.eye(len(n))
    up = np.eye(len(n), k=-1)                              # e^{i phi}|n> = |n+1>
    n1, n2 = np.kron(n, I), np.kron(I, n)
    u1, u2 = np.kron(up, I), np.kron(I, up)
    Hm = 4 * (ECm[0, 0] * n1 @ n1 + 2 * ECm[0, 1] * n1 @ n2 + ECm[1, 1] * n2 @ n2).astype(complex)
    Hm -= EJ1 * 0.5 * (u1 + u1.T) + EJ2 * 0.5 * (u2 + u2.T)
    u3 = np.exp(2j * np.pi * f) * u1 @ u2.T                # e^{i(phi1 - phi2 + 2 pi f)}
    Hm -= EJ3 * 0.5 * (u3 + u3.conj().T)
    return np.linalg.eigvalsh(Hm)[:k]


if __name__ == '__main__':
    for f in (0.5, 0.46):
        e10, e15 = levels(f, 10), levels(f, 15)
        print('f = %g' % f)
        print('  ncut=10 levels:', ', '.join('%.12f' % x for x in e10), '  E01 = %.12f' % (e10[1] - e10[0]))
        print('  ncut=15 levels:', ', '.join('%.12f' % x for x in e15), '  E01 = %.12f' % (e15[1] - e15[0]))
        print('  max |ncut=10 - ncut=15| = %.1e' % np.abs(e10 - e15).max())
    # the decks' expected values: T14 at f = 0.5, the f = 0.46 levels of flux_qubit_f046.cir and T14's E01
    t14 = np.array([-1.186248797, -1.182935873, -1.029845677, -0.979973352])
    d046 = np.array([-1.357037299475, -1.138800781333, -1.086075907799, -1.015329828763])
    e05, e046 = levels(0.5, 10), levels(0.46, 10)
    print('ncut=10 vs decks: f = 0.5 levels %.1e (E01 %.1e), f = 0.46 levels %.1e (E01 %.1e)'
          % (np.abs(e05 - t14).max(), abs(e05[1] - e05[0] - 0.003312923),
             np.abs(e046 - d046).max(), abs(e046[1] - e046[0] - 0.218236518)))
