#!/usr/bin/python3
"""Oracle for netlists/coupled_transmons.cir (hand-run; not part of the test suite).

Two transmons coupled by a capacitor, offset charges on both islands:
  B1 1-0 EJ = 6 GHz, C1 1-0 EC = 0.5 GHz ; B2 2-0 EJ = 4 GHz, C2 2-0 EC = 0.45 GHz ;
  CC 1-2 = 2 fF ; ng(1) = 0.25, ng(2) = 0.1  (units of 2e).
Two independent computations:
  (a) the prototype /work/shared/reference/mixed_quantize.py, charge basis ncut = 15 and 20;
  (b) a direct charge-basis build in this file: node capacitance matrix C (from EC = e^2/2C with the
      SI-2019 e and h), E_C = (e^2/2) C^-1 (as GHz), H = 4 (n - ng)^T E_C (n - ng) - sum EJ_i cos phi_i.
Run: /usr/bin/python3 tests/oracles/coupled_transmons.py
"""
import importlib.util
import numpy as np

E, H = 1.602176634e-19, 6.62607015e-34
EC_GHZ_OF_C = lambda c: E**2 / (2 * c) / H / 1e9         # EC/h in GHz of a capacitance in F
C_OF_EC = lambda ec: E**2 / (2 * ec * 1e9 * H)            # capacitance in F of EC/h in GHz

EJ1, EC1, EJ2, EC2, CC, NG1, NG2 = 6.0, 0.5, 4.0, 0.45, 2e-15, 0.25, 0.1
K = 8


def reference(ncut):
    spec = importlib.util.spec_from_file_location('mq', '/work/shared/reference/mixed_quantize.py')
    mq = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mq)
    c = (mq.Circuit().add('B', 'B1', 1, 0, EJ1).add('C', 'C1', 1, 0, EC1)
         .add('B', 'B2', 2, 0, EJ2).add('C', 'C2', 2, 0, EC2)
         .add('C', 'CC', 1, 2, EC_GHZ_OF_C(CC)).offset(1, NG1).offset(2, NG2))
    return mq.spectrum(c, K, ncut=ncut)


def direct(ncut):
    c1, c2 = C_OF_EC(EC1), C_OF_EC(EC2)
    Cm = np.array([[c1 + CC, -CC], [-CC, c2 + CC]])
    ECm = E**2 / 2 * np.linalg.inv(Cm) / H / 1e9           # GHz
    n = np.arange(-ncut, ncut + 1, dtype=float)
    N = len(n)
    I = np.eye(N)
    n1, n2 = np.kron(np.diag(n - NG1), I), np.kron(I, np.diag(n - NG2))
    cos = 0.5 * (np.eye(N, k=1) + np.eye(N, k=-1))
    Hm = 4 * (ECm[0, 0] * n1 @ n1 + 2 * ECm[0, 1] * n1 @ n2 + ECm[1, 1] * n2 @ n2) \
        - EJ1 * np.kron(cos, I) - EJ2 * np.kron(I, cos)
    return np.linalg.eigvalsh(Hm)[:K]


if __name__ == '__main__':
    np.set_printoptions(precision=12, linewidth=150)
    r15, r20, d20 = reference(15), reference(20), direct(20)
    print('reference ncut=15:', ', '.join('%.12f' % x for x in r15))
    print('reference ncut=20:', ', '.join('%.12f' % x for x in r20))
    print('direct    ncut=20:', ', '.join('%.12f' % x for x in d20))
    print('max |ref15 - ref20| = %.1e ; max |ref20 - direct20| = %.1e'
          % (np.abs(r15 - r20).max(), np.abs(r20 - d20).max()))
    NG2 = -NG2
    print('with ng(2) -> -ng(2) the levels move by up to %.1e (the deck fixes the relative sign)'
          % np.abs(direct(20) - d20).max())
