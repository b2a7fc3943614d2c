#!/usr/bin/python3
"""Oracle for examples/array_fluxonium.cir and test_hier's "array of three" (hand-run; not part of
the test suite; ~1 min): a fluxonium whose inductor is an array of three junctions, built here in
the node-charge basis with numpy/scipy, independently of qpsim.

Circuit: B0 1-0 EJ = 8.9 GHz with C0 1-0 (EC = 2.5 GHz); BA1 1-a1, BA2 a1-a2, BA3 a2-0, each
EJ = 40 GHz with its own capacitance (EC = 0.1 GHz); flux f = 0.5 through the loop, put on B0.
H = 4 n^T E_C n - EJ0 cos(phi1 - 2 pi f) - EJa [cos(phi1 - phia1) + cos(phia1 - phia2) + cos(phia2)],
E_C = (e^2/2) C^-1 in GHz (SI-2019 e, h), n the node charges in units of 2e, each in [-ncut, ncut].
Two cutoffs show the convergence. Run: /usr/bin/python3 tests/oracles/array_fluxonium.py
(about 5 minutes). Printed (GHz):
  ncut 18: -103.892644037  -100.565434889   -98.3551320942  -98.3551320776
  ncut 22: -103.8926440378 -100.5654348896  -98.3551321033  -98.3551321033
(the two differ by at most 2.6e-8 GHz, in the fourth level; tests use ncut 22 at 1e-8 GHz).
"""
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

E, H = 1.602176634e-19, 6.62607015e-34
C_OF_EC = lambda ec: E**2 / (2 * ec * 1e9 * H)  # capacitance [F] of EC/h [GHz]
EJ0, EC0, EJA, ECA, F = 8.9, 2.5, 40.0, 0.1, 0.5

C0, CJ = C_OF_EC(EC0), C_OF_EC(ECA)
# nodes 1, a1, a2: C0 at node 1 to ground, CJ between 1-a1, a1-a2 and a2-ground
Cm = np.array([[C0 + CJ, -CJ, 0.0], [-CJ, 2 * CJ, -CJ], [0.0, -CJ, 2 * CJ]])
ECm = E**2 / 2 * np.linalg.inv(Cm) / H / 1e9  # GHz


def levels(ncut, k=4):
    d = 2 * ncut + 1
    n = np.arange(-ncut, ncut + 1, dtype=float)
    I = sp.identity(d, format="csr")
    N = sp.diags(n)
    up = sp.diags(np.ones(d - 1), -1)  # e^{i phi}: n -> n + 1
    ops = lambda a, b, c: sp.kron(sp.kron(a, b), c, format="csr")
    Ns = [ops(N, I, I), ops(I, N, I), ops(I, I, N)]
    Us = [ops(up, I, I), ops(I, up, I), ops(I, I, up)]
    Hm = sp.csr_matrix((d**3, d**3))
    for i in range(3):
        for j in range(3):
            Hm = Hm + 4 * ECm[i, j] * (Ns[i] @ Ns[j])
    def cos_term(U, phase=0.0):  # cos(theta + phase) from e^{i theta} = U
        A = np.exp(1j * phase) * U
        return 0.5 * (A + A.conj().T)
    Hm = Hm - EJ0 * cos_term(Us[0], -2 * np.pi * F)
    Hm = Hm - EJA * cos_term(Us[0] @ Us[1].T)   # phi1 - phia1
    Hm = Hm - EJA * cos_term(Us[1] @ Us[2].T)   # phia1 - phia2
    Hm = Hm - EJA * cos_term(Us[2])             # phia2
    Hm = Hm.real if np.abs(Hm.imag).max() < 1e-14 else Hm
    e = sla.eigsh(Hm.tocsc(), k=k, sigma=-200, which="LM", return_eigenvectors=False)
    return np.sort(e)


if __name__ == "__main__":
    np.set_printoptions(precision=10)
    for ncut in (18, 22):
        print(ncut, levels(ncut))
