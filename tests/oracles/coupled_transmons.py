#!/usr/bin/python3
"""Oracle for netlists/coupled_transmons.cir (hand-run; not part of the test suite).

Two transmons coupled by a capacitor, offset charges on both islands:
  B1 1-0 EJ = 6 GHz, C1 1-0 EC = 0.5 GHz ; B2 2-0 EJ = 4 GHz, C2 2-0 EC = 0.45 GHz ;
  CC 1-2 = 2 fF ; ng(1) = 0.25, ng(2) = 0.1  (units of 2e).
A direct charge-basis build with numpy only: node capacitance matrix C (from EC = e^2/2C with the
SI-2019 e and h), E_C = (e^2/2) C^-1 (as GHz), H = 4 (n - ng)^T E_C (n - ng) - sum EJ_i cos phi_i,
dense eigvalsh at ncut = 15 and 20 (961 and 1681 states).  Also prints how far the levels move when
ng(2) changes sign (the deck comment quotes it).
Run: /usr/bin/python3 tests/oracles/coupled_transmons.py   (about 8 s)
"""
import numpy as np

E, H = 1.602176634e-19, 6.62607015e-34
C_OF_EC = lambda ec: E**2 / (2 * ec * 1e9 * H)            # capacitance in F of EC/h in GHz

EJ1, EC1, EJ2, EC2, CC, NG1, NG2 = 6.0, 0.5, 4.0, 0.45, 2e-15, 0.25, 0.1
K = 8
DECK = np.array([-5.996980793419, -2.747724663356, -1.753472776233, -0.563476571886,
                 1.461952045724, 1.794896563933, 2.834285879471, 3.663236292995])


def direct(ncut, ng2=NG2):
    c1, c2 = C_OF_EC(EC1), C_OF_EC(EC2)
    Cm = np.array([[c1 + CC, -CC], [-CC, c2 + CC]])
    ECm = E**2 / 2 * np.linalg.inv(Cm) / H / 1e9           # GHz
    n = np.arange(-ncut, ncut + 1, dtype=float)
    N = len(n)
    I = np.eye(N)
    n1, n2 = np.kron(np.diag(n - NG1), I), np.kron(I, np.diag(n - ng2))
    cos = 0.5 * (np.eye(N, k=1) + np.eye(N, k=-1))
    Hm = 4 * (ECm[0, 0] * n1 @ n1 + 2 * ECm[0, 1] * n1 @ n2 + ECm[1, 1] * n2 @ n2) \
        - EJ1 * np.kron(cos, I) - EJ2 * np.kron(I, cos)
    return np.linalg.eigvalsh(Hm)[:K]


if __name__ == '__main__':
    d15, d20 = direct(15), direct(20)
    print('direct ncut=15:', ', '.join('%.12f' % x for x in d15))
    print('direct ncut=20:', ', '.join('%.12f' % x for x in d20))
    print('max |ncut=15 - ncut=20| = %.1e ; max |ncut=20 - deck| = %.1e (relative %.1e)'
          % (np.abs(d15 - d20).max(), np.abs(d20 - DECK).max(), np.abs((d20 - DECK) / DECK).max()))
    print('with ng(2) -> -ng(2) the levels move by up to %.1e (the deck fixes the relative sign)'
          % np.abs(direct(20, -NG2) - d20).max())
