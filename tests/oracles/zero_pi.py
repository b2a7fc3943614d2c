#!/usr/bin/python3
"""Oracle for bench/zero_pi_reduced.cir (hand-run; the deck is checked by the test suite; takes ~1.5 min).

0-pi circuit: ring 1 -B1- 2 -L1- 3 -B2- 0 -L2- 1 (two junctions EJ with capacitance EC_J, two inductors EL),
big capacitors EC across the diagonals 1-3 and 2-0.  Parameters of the deck: EJ = 1, ECJ = 0.5, EL = 2,
EC = 1 GHz, flux f = 0.5 through the ring, offset ng = 0.2 on node 2.

Symmetric 0-pi in (theta, phi, zeta) variables (Dempster et al. 2014; the form of scqubits ZeroPi with
ECS = (1/EC + 1/ECJ)^-1), numpy/scipy only:
  H = 2 ECS (n_theta - ng_theta)^2 + 2 ECJ p_phi^2 + EL phi^2 - 2 EJ cos(theta) cos(phi + pi f)
      + [2 EC p_zeta^2 + EL zeta^2],
theta 2pi-periodic (charge basis), ng_theta = ng(2) + ng(3) (up to sign), phi on a sinc-DVR grid,
zeta harmonic with hbar w = sqrt(8 EC EL); levels = E_theta_phi(i) + w (k + 1/2), sorted.
Two grids (ncut, nphi, range) = (14, 601, +-40) and (18, 801, +-50), sparse shift-invert eigsh.
Run: /usr/bin/python3 tests/oracles/zero_pi.py
"""
import itertools
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

EJ, ECJ, EL, EC, F, NG2, K = 1.0, 0.5, 2.0, 1.0, 0.5, 0.2, 6
DECK = np.array([3.292734360671, 3.665414332191, 4.223430880065, 5.339174648401, 6.289188996677,
                 6.292057896835])


def theta_phi_zeta(ncut=14, nphi=601, L=40.0):
    ECS = 1.0 / (1.0 / EC + 1.0 / ECJ)
    n = np.arange(-ncut, ncut + 1)
    x = np.linspace(-L, L, nphi)
    h = x[1] - x[0]
    d = np.arange(nphi)[:, None] - np.arange(nphi)[None, :]
    T = np.where(d == 0, np.pi**2 / 3, 2.0 * (-1.0)**d / np.where(d == 0, 1, d)**2) / h**2
    Hphi = sp.csr_matrix(2 * ECJ * T + np.diag(EL * x**2))
    cosphi = sp.diags(np.cos(x + np.pi * F))
    H = (sp.kron(sp.diags(2 * ECS * (n - NG2)**2), sp.eye(nphi)) + sp.kron(sp.eye(len(n)), Hphi)
         - EJ * sp.kron(sp.eye(len(n), k=1) + sp.eye(len(n), k=-1), cosphi))
    e = np.sort(sla.eigsh(sp.csc_matrix(H), k=K, sigma=-2 * EJ - 1, which='LM', tol=1e-14,
                          return_eigenvectors=False))
    w = np.sqrt(8 * EC * EL)
    return np.array(sorted(a + w * (k + 0.5) for a, k in itertools.product(e, range(K)))[:K]), e, w


if __name__ == '__main__':
    fmt = lambda v: ', '.join('%.12f' % x for x in v)
    own1, e1, w = theta_phi_zeta()
    own2, _, _ = theta_phi_zeta(ncut=18, nphi=801, L=50.0)
    print('theta-phi-zeta model: [%s]\n  grid change %.1e; zeta quantum %.9f, theta-phi levels [%s]'
          % (fmt(own1), np.abs(own1 - own2).max(), w, fmt(e1)))
    print('  max |model - deck| = %.1e (relative %.1e)'
          % (np.abs(own1 - DECK).max(), np.abs((own1 - DECK) / DECK).max()))
