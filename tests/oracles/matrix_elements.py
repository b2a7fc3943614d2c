#!/usr/bin/python3
"""Oracle for the .matrix / .wavefunction tests (hand-run; not part of the test suite).

Independent numpy computations (no qpsim code, no prototype):
  (a) netlists/coupled_transmons.cir: |<i|n1|j>|, |<i|n2|j>| for i, j < 4 in the product charge
      basis of the two islands (node capacitance matrix, E_C = (e^2/2) C^-1, ncut = 20); the
      node charges are the basis integers n1, n2 (scqubits' n_operator convention).
  (b) netlists/fluxonium.cir (EJ 8.9, EC 2.5, EL 0.5 GHz, f = 1/2): |<i|phi_J|j>| and
      |<i|n|j>| for i, j < 4 in an oscillator basis of 400 states built from matrices (cos by
      diagonalising the truncated position operator of 800 states), H = 4EC n^2 + EL/2 phi^2
      - EJ cos(phi - 2 pi f); the junction phase phi_J = phi - 2 pi f is the cosine's argument.
Matrix elements are printed as magnitudes: their phases depend on the eigenvector phases.
Run: /usr/bin/python3 tests/oracles/matrix_elements.py
"""
import numpy as np

E, H = 1.602176634e-19, 6.62607015e-34
C_OF_EC = lambda ec: E**2 / (2 * ec * 1e9 * H)


def coupled_transmons(ncut=20, k=4):
    EJ1, EC1, EJ2, EC2, CC, NG1, NG2 = 6.0, 0.5, 4.0, 0.45, 2e-15, 0.25, 0.1
    c1, c2 = C_OF_EC(EC1), C_OF_EC(EC2)
    Cm = np.array([[c1 + CC, -CC], [-CC, c2 + CC]])
    ECm = E**2 / 2 * np.linalg.inv(Cm) / H / 1e9
    n = np.arange(-ncut, ncut + 1, dtype=float)
    I = np.eye(len(n))
    N1, N2 = np.kron(np.diag(n), I), np.kron(I, np.diag(n))
    d1, d2 = N1 - NG1 * np.eye(len(N1)), N2 - NG2 * np.eye(len(N1))
    cos = 0.5 * (np.eye(len(n), k=1) + np.eye(len(n), k=-1))
    Hm = 4 * (ECm[0, 0] * d1 @ d1 + 2 * ECm[0, 1] * d1 @ d2 + ECm[1, 1] * d2 @ d2) \
        - EJ1 * np.kron(cos, I) - EJ2 * np.kron(I, cos)
    w, v = np.linalg.eigh(Hm)
    v = v[:, :k]
    return w[:k], np.abs(v.T @ N1 @ v), np.abs(v.T @ N2 @ v)


def fluxonium(nbig=800, nho=400, k=4):
    EJ, EC, EL, f = 8.9, 2.5, 0.5, 0.5
    zp = (2 * EC / EL) ** 0.25            # phi = zp (a + a^dag) / sqrt(2) ... see below
    # H = 4EC n^2 + EL/2 phi^2: oscillator with phi = l (a + a^dag)/sqrt(2), l^2 = sqrt(8EC/EL)
    l = (8 * EC / EL) ** 0.25
    a = np.diag(np.sqrt(np.arange(1, nbig)), 1)
    X = l * (a + a.T) / np.sqrt(2)
    w, U = np.linalg.eigh(X)
    cosX = (U * np.cos(w - 2 * np.pi * f)) @ U.T
    a, X, cosX = a[:nho, :nho], X[:nho, :nho], cosX[:nho, :nho]
    P = 1j * (a.T - a) / (np.sqrt(2) * l)   # n = -i d/dphi
    Hm = 4 * EC * (P @ P).real + EL / 2 * X @ X - EJ * cosX
    ev, v = np.linalg.eigh(Hm)
    v = v[:, :k]
    phiJ = X - 2 * np.pi * f * np.eye(nho)
    del zp
    return ev[:k], np.abs(v.T @ phiJ @ v), np.abs(v.conj().T @ P @ v), np.diag(v.T @ cosX @ v)


if __name__ == '__main__':
    np.set_printoptions(precision=10, linewidth=150, suppress=True)
    for nc in (15, 20):
        e, n1, n2 = coupled_transmons(nc)
        print('coupled transmons ncut=%d levels' % nc, e)
        print('|<i|n1|j>|\n', n1)
        print('|<i|n2|j>|\n', n2)
    for nb, nh in ((600, 300), (800, 400)):
        e, ph, n, cd = fluxonium(nb, nh)
        print('fluxonium %d/%d levels' % (nb, nh), e)
        print('|<i|phi_J|j>|\n', ph)
        print('|<i|n|j>|\n', n)
        print('<k|cos phi_J|k>', cd)
