#!/usr/bin/python3
"""Oracle for netlists/coupled_lc.cir and netlists/coupled_lc_mutual.cir (hand-run; not in the test suite).

Purely harmonic circuits: H = (1/2) Q^T C^-1 Q + (1/2) Phi^T Lambda Phi with the node capacitance matrix C and
the inverse inductance matrix Lambda (for a mutual inductance K: Lambda = inverse of the branch inductance
matrix [[L1, M], [M, L2]], M = k sqrt(L1 L2)).  Normal modes: w_k^2 = eigenvalues of C^-1 Lambda (closed form,
no basis).  Levels E = sum_k h f_k (n_k + 1/2), f_k = w_k / 2 pi, sorted; in GHz.  numpy only.
  coupled_lc.cir       : L1 = 10 nH, C1 = 100 fF (node 1); L2 = 12 nH, C2 = 80 fF (node 2); Cc = 5 fF (1-2).
  coupled_lc_mutual.cir: same oscillators, no Cc, K between L1 and L2 with k = 0.15.
Run: /usr/bin/python3 tests/oracles/coupled_lc.py
"""
import itertools
import numpy as np

L1, C1, L2, C2 = 10e-9, 100e-15, 12e-9, 80e-15


def levels(Cm, Lbranch, k=8, nmax=12):
    w2 = np.linalg.eigvals(np.linalg.inv(Cm) @ np.linalg.inv(Lbranch))
    f = np.sort(np.sqrt(w2.real)) / (2 * np.pi) / 1e9          # GHz
    E = sorted(f[0] * (a + 0.5) + f[1] * (b + 0.5) for a, b in itertools.product(range(nmax), repeat=2))
    return f, np.array(E[:k])


if __name__ == '__main__':
    Cc = 5e-15
    f, E = levels(np.array([[C1 + Cc, -Cc], [-Cc, C2 + Cc]]), np.diag([L1, L2]))
    print('coupled_lc        : f = %.12f %.12f GHz' % tuple(f))
    print('  levels: [%s]' % ', '.join('%.12f' % x for x in E))
    M = 0.15 * np.sqrt(L1 * L2)
    f, E = levels(np.diag([C1, C2]), np.array([[L1, M], [M, L2]]))
    print('coupled_lc_mutual : f = %.12f %.12f GHz' % tuple(f))
    print('  levels: [%s]' % ', '.join('%.12f' % x for x in E))
