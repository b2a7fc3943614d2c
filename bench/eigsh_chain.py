#!/usr/bin/python3
"""Peer for the `chain` rows of bench/run.sh: the same chain of N transmons (EJ = 15 GHz, EC = 0.3 GHz,
2 fF between neighbours, no offsets) in the product charge basis at fixed ncut, solved by SciPy.

Measures (wall clock, one run): build = the (2 ncut + 1)^N sparse CSR Hamiltonian from Kronecker
products; solve = scipy.sparse.linalg.eigsh(H, k=6, which='SA') with its default tol (0: machine
precision; ARPACK Lanczos, random start vector).  Prints one line:
  eigsh N=4 ncut=10 dim=194481 build=X.XXs solve=Y.YYs total=Z.ZZs E=[...]
Needs Debian's python3-numpy and python3-scipy:
  /usr/bin/python3 bench/eigsh_chain.py [N [ncut]]          (default N = 4, ncut = 10)
"""
import sys
import time
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

E, H = 1.602176634e-19, 6.62607015e-34                   # SI-2019 exact e (C) and h (J s)
EJ, EC, CC = 15.0, 0.3, 2e-15                             # GHz, GHz, F


def hamiltonian(n_nodes, ncut):
    """H = 4 sum_ij ECm_ij n_i n_j - EJ sum_i cos phi_i (GHz), node 0 the slowest index."""
    c = E**2 / (2 * H * EC * 1e9)                         # C from EC = e^2 / (2 C h)
    cm = np.diag(np.full(n_nodes, c))                     # node capacitance matrix
    for i in range(1, n_nodes):
        cm[i - 1, i - 1] += CC
        cm[i, i] += CC
        cm[i - 1, i] = cm[i, i - 1] = -CC
    ecm = E**2 / 2 * np.linalg.inv(cm) / H / 1e9          # charging matrix in GHz
    d = 2 * ncut + 1
    n = np.arange(-ncut, ncut + 1.0)
    # n_i on the whole space (a diagonal): 1 x .. x n x .. x 1
    ni = [np.kron(np.kron(np.ones(d**i), n), np.ones(d**(n_nodes - 1 - i))) for i in range(n_nodes)]
    diag = sum(4 * ecm[i, j] * ni[i] * ni[j] for i in range(n_nodes) for j in range(n_nodes))
    cos = sp.diags([np.full(d - 1, 0.5)] * 2, [-1, 1])   # cos phi = (|n><n+1| + h.c.) / 2
    hm = sp.diags(diag)
    for i in range(n_nodes):                              # - EJ (1 x .. x cos phi x .. x 1)
        hm = hm - EJ * sp.kron(sp.kron(sp.identity(d**i), cos), sp.identity(d**(n_nodes - 1 - i)))
    return hm.tocsr()


if __name__ == '__main__':
    n_nodes = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    ncut = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    t0 = time.perf_counter()
    hm = hamiltonian(n_nodes, ncut)
    t1 = time.perf_counter()
    lev = np.sort(sla.eigsh(hm, k=6, which='SA')[0])
    t2 = time.perf_counter()
    print('eigsh N=%d ncut=%d dim=%d build=%.2fs solve=%.2fs total=%.2fs E=[%s]'
          % (n_nodes, ncut, hm.shape[0], t1 - t0, t2 - t1, t2 - t0, ', '.join('%.10f' % x for x in lev)))
