#!/usr/bin/python3
"""Oracle for bench/zero_pi_reduced.cir (hand-run; the deck is checked by the test suite; takes ~1.5 min).

0-pi circuit: ring 1 -B1- 2 -L1- 3 -B2- 0 -L2- 1 (two junctions EJ with capacitance EC_J, two inductors EL),
big capacitors EC across the diagonals 1-3 and 2-0.  Parameters of the deck: EJ = 1, ECJ = 0.5, EL = 2,
EC = 1 GHz, flux f = 0.5 through the ring, offset ng = 0.2 on node 2.
(The usual scqubits values EJ = 10, ECJ = 20, EL = 0.04, EC = 0.04 need far more than the prototype's
6000 dense states in its harmonic-oscillator basis; see the deck comment.)

(a) Prototype /work/shared/reference/mixed_quantize.py (loaded by path): its quantize() and normal_modes()
    unchanged; the matrix is built by a copy of its build_hamiltonian() that takes one cutoff per mode
    (charge mode: ncut; oscillator modes: own nho each) so that the decoupled zeta mode needs few states,
    then dense eigvalsh.  The elements are handed to the prototype in the order L1 L2 B1 B2 ... (same
    circuit; with this order its spanning tree gives well-conditioned coordinates).  Two cutoff sets
    below the 6000-state limit:  (ncut, nho_phi, nho_zeta) = (6, 40, 8) [4160] and (7, 44, 9) [5940].
(b) Independent check, symmetric 0-pi in (theta, phi, zeta) variables (Dempster et al. 2014; the form of
    scqubits ZeroPi with ECS = (1/EC + 1/ECJ)^-1):
      H = 2 ECS (n_theta - ng_theta)^2 + 2 ECJ p_phi^2 + EL phi^2 - 2 EJ cos(theta) cos(phi + pi f)
          + [2 EC p_zeta^2 + EL zeta^2],
    theta 2pi-periodic (charge basis), ng_theta = ng(2) + ng(3) (up to sign), phi on a sinc-DVR grid,
    zeta harmonic with hbar w = sqrt(8 EC EL); levels = E_theta_phi(i) + w (k + 1/2), sorted.
Run: /usr/bin/python3 tests/oracles/zero_pi.py
"""
import importlib.util
import itertools
import time
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

EJ, ECJ, EL, EC, F, NG2, K = 1.0, 0.5, 2.0, 1.0, 0.5, 0.2, 6

spec = importlib.util.spec_from_file_location('mq', '/work/shared/reference/mixed_quantize.py')
mq = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mq)


def circuit():
    return (mq.Circuit().add('L', 'L1', 2, 3, EL).add('L', 'L2', 0, 1, EL)
            .add('B', 'B1', 1, 2, EJ).add('B', 'B2', 3, 0, EJ)
            .add('C', 'CJ1', 1, 2, ECJ).add('C', 'CJ2', 3, 0, ECJ)
            .add('C', 'C1', 1, 3, EC).add('C', 'C2', 2, 0, EC)
            .flux(['B1', 'L1', 'B2', 'L2'], F).offset(2, NG2))


def build(modes, cuts):
    """mq.build_hamiltonian with cuts[i] = cutoff of mode i (ncut for charge modes, nho for oscillators)"""
    types = modes['types']
    ops = [mq.mode_operators(t, i, modes, cuts[i], cuts[i], cuts[i]) for i, t in enumerate(types)]
    dims = [o['dim'] for o in ops]
    D = int(np.prod(dims))
    eye = [np.eye(d) for d in dims]

    def emb(i, op, j=None, op2=None):
        lst = list(eye)
        lst[i] = op
        if j is not None:
            lst[j] = op2 if j != i else op @ op2
        return mq._kron(lst)
    H = modes['const'] * np.eye(D, dtype=complex)
    n = len(types)
    for i in range(n):
        for j in range(n):
            if abs(modes['Lm'][i, j]) > 1e-12:
                H += 0.5 * modes['Lm'][i, j] * (emb(i, ops[i]['phi'] @ ops[i]['phi']) if i == j
                                                 else emb(i, ops[i]['phi'], j, ops[j]['phi']))
            if abs(modes['Ac'][i, j]) > 1e-12:
                H += modes['Ac'][i, j] * (emb(i, ops[i]['p'] @ ops[i]['p']) if i == j
                                          else emb(i, ops[i]['p'], j, ops[j]['p']))
        if abs(modes['lphi'][i]) > 1e-12:
            H += modes['lphi'][i] * emb(i, ops[i]['phi'])
        if abs(modes['lp'][i]) > 1e-12:
            H += modes['lp'][i] * emb(i, ops[i]['p'])

    def coef(t, v):
        if t == 'C':
            return float(v)
        assert abs(v - round(v)) < 1e-9
        return int(round(v))
    for E, c, sh, _ in modes['jj']:
        U = np.exp(1j * sh) * mq._kron([ops[i]['eiphi'](coef(types[i], c[i])) for i in range(n)])
        H -= 0.5 * E * (U + U.conj().T)
    for E, d, sh, _ in modes['qps']:
        U = np.exp(2j * np.pi * sh) * mq._kron([ops[i]['eip'](coef(types[i], d[i])) for i in range(n)])
        H -= 0.5 * E * (U + U.conj().T)
    assert np.abs(H - H.conj().T).max() < 1e-8
    return H


def reference(ncut, nho_phi, nho_zeta):
    modes = mq.normal_modes(mq.quantize(circuit()))
    assert modes['types'] == ['A', 'C', 'C']
    # the zeta mode is the oscillator that appears in no junction cosine
    zeta = [i for i in (1, 2) if all(abs(c[i]) < 1e-12 for _, c, _, _ in modes['jj'])]
    assert len(zeta) == 1
    cuts = [ncut, nho_phi, nho_phi]
    cuts[zeta[0]] = nho_zeta
    return np.linalg.eigvalsh(build(modes, cuts))[:K], cuts


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
    res = []
    for cut in ((6, 40, 8), (7, 44, 9)):
        t = time.time()
        e, cuts = reference(*cut)
        res.append(e)
        print('reference (ncut, nho_phi, nho_zeta) = %s, dim %d, %.0f s:\n  [%s]'
              % (cut, (2 * cut[0] + 1) * cut[1] * cut[2], time.time() - t, fmt(e)))
    print('  max difference between the two cutoff sets: %.1e' % np.abs(res[0] - res[1]).max())
    own1, e1, w = theta_phi_zeta()
    own2, _, _ = theta_phi_zeta(ncut=18, nphi=801, L=50.0)
    print('theta-phi-zeta model: [%s]   (grid change %.1e; zeta quantum %.9f, theta-phi levels [%s])'
          % (fmt(own1), np.abs(own1 - own2).max(), w, fmt(e1)))
    print('  max |reference - model| = %.1e' % np.abs(res[1] - own1).max())
