#!/usr/bin/python3
"""Oracle for the chain of N capacitively coupled transmons (hand-run; not part of the test suite).

Circuit (bench/run.sh `chain`): node i = 1..N to ground: B_i EJ = 15 GHz, C_i EC = 0.3 GHz; CC_i = 2 fF
between nodes i-1 and i; no offset charges.  SI-2019 e and h; C_i = e^2 / (2 h EC_i).
Node capacitance matrix Cm (diagonal C_i + coupling caps at node i, off-diagonal -CC), charging matrix
ECm = (e^2/2) Cm^-1 / h (GHz), and in the charge basis
    H = 4 sum_ij ECm_ij n_i n_j - EJ sum_i cos phi_i,      cos phi = (|n><n+1| + h.c.) / 2
      = sum_i [4 ECm_ii n_i^2 - EJ cos phi_i]  +  sum_{i<j} 8 ECm_ij n_i n_j.
ECm is dense (Cm^-1 of a tridiagonal Cm), so every pair i<j is coupled (next neighbours ~30x weaker).
Prints the 6 lowest levels (GHz) of the converged (ncut -> infinity) chain for N = 2..6 by
  (a) hierarchical diagonalization: each transmon alone (its 4 ECm_ii n^2 - EJ cos phi) at ncut 30
      (dense eigh; its low levels are exact to 1e-14 from ncut 15 on), keep its K states with excitation
      E_k - E_0 <= Ecut, write n in that basis, and solve H on the product states whose summed bare
      excitations are <= Ecut.  The kept space is a subspace, so the levels are upper bounds that
      decrease as Ecut grows (K follows Ecut: a state above Ecut could not be used anyway).  Ecut goes
      30, 40, ... GHz until no level moves by 1e-11 GHz; the history is printed.
  (b) for N = 2 and 3 the full product charge basis at ncut 12 and 15 (sparse eigsh, which='SA', tol=0;
      dense LAPACK below 1000 states).
Also the product basis at FIXED ncut = 10 for N = 4 (what `.spectrum ncut=10` diagonalizes), checked
against (a) run with single-transmon ncut 10.
Run: /usr/bin/python3 tests/oracles/transmon_chain.py        (~40 s; Debian's python3-numpy, -scipy)

Results (GHz, 12 significant digits; the script prints them in this form for a C test):
  N=2  [-24.2382961706, -18.7190762851, -18.5507630008, -13.4318889446, -13.3651967897, -12.9650033314]
  N=3  [-36.3978293193, -30.9543485097, -30.7963457048, -30.708696449, -25.7332153816, -25.5676222974]
  N=4  [-48.5573603112, -43.1446888105, -43.0358724621, -42.920010029, -42.8674244395, -37.9217060402]
  N=5  [-60.7168913009, -55.3192794357, -55.2434605004, -55.1450844743, -55.0613656336, -55.0264727429]
  N=6  [-72.8764222906, -67.4872120248, -67.4321811337, -67.3541643066, -67.2726364361, -67.2105162389]
  N=4 at ncut 10: the same 12 digits as N=4 (max |ncut 10 - converged| = 7e-13 GHz).
(a) stops at Ecut = 70 GHz, K = 15, for every N (dimension 125, 744, 3365, 12306, 38506 for N = 2..6;
last step 2.3e-12 GHz or less, the step shrinks 40-500x per 10 GHz).  (a) vs (b): max |diff| 1.3e-13
(N=2), 2.3e-13 (N=3); (b) ncut 12 vs 15 identical to 1e-12.  N=4 product ncut 10 vs (a) with
single-transmon ncut 10: 7e-13.  Run time 40 s on the 2-core VM (N=6 at Ecut 70: 15 s; the N=4 ncut 10
product basis, dim 194481: 13 s).
"""
import time
import numpy as np
import scipy.linalg as sl
import scipy.sparse as sp
import scipy.sparse.linalg as sla

E, H = 1.602176634e-19, 6.62607015e-34                   # SI-2019 exact e (C) and h (J s)
EJ, EC, CC, LEVELS = 15.0, 0.3, 2e-15, 6                  # GHz, GHz, F
TOL = 1e-11                                               # convergence of (a) in GHz


def charging_matrix(n_nodes):
    """ECm = (e^2/2) Cm^-1 / h in GHz for the chain."""
    c = E**2 / (2 * H * EC * 1e9)                         # C from EC = e^2 / (2 C h)
    cm = np.diag(np.full(n_nodes, c))
    for i in range(1, n_nodes):                           # CC between nodes i-1 and i
        cm[i - 1, i - 1] += CC
        cm[i, i] += CC
        cm[i - 1, i] = cm[i, i - 1] = -CC
    return E**2 / 2 * np.linalg.inv(cm) / H / 1e9


def lowest(hm):
    """The LEVELS lowest eigenvalues of a sparse symmetric matrix (dense below 1000 states; LAPACK's
    evr driver: numpy's eigvalsh (evd) is off by up to 1.5e-12 here, eigsh and evr agree to 1e-13)."""
    if hm.shape[0] < 1000:
        return sl.eigh(hm.toarray(), eigvals_only=True, driver='evr', subset_by_index=[0, LEVELS - 1])
    v0 = np.random.default_rng(1).standard_normal(hm.shape[0])   # fixed start: reproducible output
    return np.sort(sla.eigsh(hm, k=LEVELS, which='SA', tol=0, v0=v0)[0])


def transmon(ec, ncut):
    """One transmon 4 ec n^2 - EJ cos phi in the charge basis: its levels and n in its eigenbasis."""
    n = np.arange(-ncut, ncut + 1.0)
    cos = (np.eye(len(n), k=1) + np.eye(len(n), k=-1)) / 2
    w, v = np.linalg.eigh(np.diag(4 * ec * n**2) - EJ * cos)
    return w, v.T @ (n[:, None] * v)


def hierarchical(n_nodes, ecut, ncut=30):
    """(a): levels on the product of single-transmon states with summed excitation <= ecut."""
    ecm = charging_matrix(n_nodes)
    bare, nop = [], []                                    # kept levels and n of each transmon
    for i in range(n_nodes):
        w, nm = transmon(ecm[i, i], ncut)
        k = np.count_nonzero(w - w[0] <= ecut)
        bare.append(w[:k])
        nop.append(nm[:k, :k])
    ks = [len(w) for w in bare]
    # product states (one row of idx each: the level of every transmon), grown node by node
    idx, exc = np.zeros((1, 0), int), np.zeros(1)
    for w in bare:
        tot = exc[:, None] + (w - w[0])[None, :]
        r, k = np.nonzero(tot <= ecut)
        idx, exc = np.column_stack([idx[r], k]), tot[r, k]
    stride = np.cumprod([1] + ks[:-1])                    # state code = sum_i idx_i stride_i
    code = idx @ stride
    order = np.argsort(code)
    idx, code = idx[order], code[order]
    dim = len(code)
    # diagonal: sum of bare levels; coupling 8 ECm_ij n_i n_j: from state s to the state t that differs
    # in levels i, j only (t_i = a, t_j = b), element 8 ECm_ij n_i[s_i, a] n_j[s_j, b] if t is kept
    rows, cols = [np.arange(dim)], [np.arange(dim)]
    vals = [sum(bare[i][idx[:, i]] for i in range(n_nodes))]
    for i in range(n_nodes):
        for j in range(i + 1, n_nodes):
            si, sj = idx[:, i], idx[:, j]
            for a in range(ks[i]):
                for b in range(ks[j]):
                    if bare[i][a] - bare[i][0] + bare[j][b] - bare[j][0] > ecut:
                        continue
                    t = code + (a - si) * stride[i] + (b - sj) * stride[j]
                    pos = np.minimum(np.searchsorted(code, t), dim - 1)
                    ok = code[pos] == t
                    rows.append(np.nonzero(ok)[0])
                    cols.append(pos[ok])
                    vals.append(8 * ecm[i, j] * nop[i][si[ok], a] * nop[j][sj[ok], b])
    hm = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                       shape=(dim, dim))
    return lowest(hm), ks[0], dim


def converged(n_nodes, ncut=30):
    """(a) with Ecut = 30, 40, ... GHz until no level moves by TOL; prints the history."""
    prev = None
    for ecut in range(30, 200, 10):
        t = time.time()
        lev, k, dim = hierarchical(n_nodes, ecut, ncut)
        step = np.inf if prev is None else np.abs(lev - prev).max()
        print('  Ecut %3d  K %2d  dim %6d  %5.1fs  %s  max|step| %.1e'
              % (ecut, k, dim, time.time() - t, ' '.join('%.12f' % x for x in lev), step))
        if step < TOL:
            return lev
        prev = lev
    raise RuntimeError('not converged')


def product(n_nodes, ncut):
    """Full product charge basis at ncut: H as a sparse CSR matrix (node 0 = slowest index)."""
    ecm, d = charging_matrix(n_nodes), 2 * ncut + 1
    n = np.arange(-ncut, ncut + 1.0)
    one = lambda m: np.ones(d**m)
    ni = [np.kron(np.kron(one(i), n), one(n_nodes - 1 - i)) for i in range(n_nodes)]   # n_i diagonals
    diag = sum(4 * ecm[i, j] * ni[i] * ni[j] for i in range(n_nodes) for j in range(n_nodes))
    cos = sp.diags([np.full(d - 1, 0.5)] * 2, [-1, 1])
    hm = sp.diags(diag)
    for i in range(n_nodes):                                                          # - EJ cos phi_i
        hm = hm - EJ * sp.kron(sp.kron(sp.identity(d**i), cos), sp.identity(d**(n_nodes - 1 - i)))
    return hm.tocsr()


def show(label, lev):
    print('%s = [%s]' % (label, ', '.join('%.12g' % x for x in lev)))


if __name__ == '__main__':
    t0 = time.time()
    final = {}
    for nn in range(2, 7):
        print('N = %d, (a) hierarchical, single-transmon ncut 30:' % nn)
        final[nn] = converged(nn)
        if nn <= 3:
            for ncut in (12, 15):
                t = time.time()
                lev = lowest(product(nn, ncut))
                print('  (b) product ncut %d, dim %d, %.1fs: %s  max|(a) - (b)| %.1e'
                      % (ncut, (2 * ncut + 1)**nn, time.time() - t, ' '.join('%.12f' % x for x in lev),
                         np.abs(lev - final[nn]).max()))
    print('N = 4 at fixed ncut 10, (a) with single-transmon ncut 10:')
    a10 = converged(4, ncut=10)
    t = time.time()
    p10 = lowest(product(4, 10))
    print('  product ncut 10, dim %d, %.1fs: %s' % (21**4, time.time() - t, ' '.join('%.12f' % x for x in p10)))
    print('  max|product - (a) ncut 10| %.1e ; max|product ncut 10 - converged| %.1e'
          % (np.abs(p10 - a10).max(), np.abs(p10 - final[4]).max()))
    print('\nConverged levels (GHz), ncut -> infinity:')
    for nn in range(2, 7):
        show('E_N%d' % nn, final[nn])
    print('N = 4, product basis at ncut 10:')
    show('E_N4_ncut10', p10)
    print('total %.0f s' % (time.time() - t0))
