#!/usr/bin/python3
"""Oracle for tests/run_labels.py (hand-run; its numbers are kept there): bare-state labels, the
dispersive shift chi and the ZZ of coupled circuits, by exact diagonalization in numpy.

Independent of qpsim's quantizer: the node capacitance matrix C of each circuit (SI-2019 e and h,
EC = e^2/2C), H = (1/2) Q^T C^-1 Q + Phi^2/2L - sum EJ cos phi, each transmon in the charge basis
(n in [-NCUT, NCUT], offset 0), the resonator in NFOCK Fock states of its own oscillator
(f_r = sqrt(C^-1_rr / L)/2 pi, Q_r = i Q_zpf (a^+ - a), Q_zpf^2 = hbar w_r / 2 C^-1_rr), the
transmon charge Q = 2e n, the coupling C^-1_qr Q_q Q_r.  Each mode's bare states are the
eigenstates of its own terms; a level's label is the product of bare states with the largest
|<bare|level>|^2 (scqubits' HilbertSpace lookup).  chi_ab = E(1a1b) - E(1a0b) - E(0a1b) + E(00);
the anharmonicity of mode a from the dressed levels, E(2a) - 2 E(1a) + E(0).
Also the Koch et al. (2007) closed form, Phys. Rev. A 76, 042319, Eqs. (3.8)-(3.12): chi_ij =
g_ij^2 / (w_ij - w_r), chi_Koch = chi_01 - chi_12 / 2, with g_ij the coupling times the transmon's
charge matrix element <i|n|j> and w_ij its bare transitions (its anharmonicity enters through
w_12); the qubit frequency moves by 2 chi_Koch per photon, so chi (above) = 2 chi_Koch.
  transmon_resonator.cir: B1 1-0 EJ = 20 GHz, C1 1-0 EC = 0.25 GHz, CG 1-2 = 2 fF, LR 2-0 = 5.6 nH,
                          CR 2-0 = 80 fF.
  two_transmons.cir     : B1 1-0 EJ = 20, C1 EC = 0.25; B2 2-0 EJ = 16, C2 EC = 0.22 (GHz);
                          CC 1-2 = 3 fF.
Run: /usr/bin/python3 tests/oracles/labels_dispersive.py   (a few seconds)
"""
import numpy as np

E, H = 1.602176634e-19, 6.62607015e-34
HBAR = H / (2 * np.pi)
C_OF_EC = lambda ec: E**2 / (2 * ec * 1e9 * H)       # capacitance in F of EC/h in GHz
NCUT, NFOCK = 20, 40


def transmon(ec, ej):
    """Charge-basis H (GHz) and the charge operator n."""
    n = np.arange(-NCUT, NCUT + 1, dtype=float)
    cos = 0.5 * (np.eye(len(n), k=1) + np.eye(len(n), k=-1))
    return 4 * ec * np.diag(n**2) - ej * cos, np.diag(n)


def labels(Hfull, bare, k):
    """Lowest k levels, each with its label (tuple) and weight, and the bare bases given."""
    w, v = np.linalg.eigh(Hfull)
    U = bare[0]
    for u in bare[1:]:
        U = np.kron(U, u)
    c = U.conj().T @ v[:, :k]
    dims = [u.shape[1] for u in bare]
    out = []
    for j in range(k):
        p = np.abs(c[:, j])**2
        a = int(np.argmax(p))
        out.append((w[j], tuple(int(x) for x in np.unravel_index(a, dims)), p[a]))
    return out


def shift(levels, a, b):
    find = {lab: e for e, lab, wt in levels if wt > 0.5}
    e = lambda x: find[x]
    one = lambda *i: tuple(1 if q in i else 0 for q in range(2))
    return e(one(a, b)) - e(one(a)) - e(one(b)) + e(one())


def anharmonicity(levels, a):
    find = {lab: e for e, lab, wt in levels if wt > 0.5}
    lab = lambda k: tuple(k if q == a else 0 for q in range(2))
    return find[lab(2)] - 2 * find[lab(1)] + find[lab(0)]


def transmon_resonator():
    ej, c1, cg, L, cr = 20.0, C_OF_EC(0.25), 2e-15, 5.6e-9, 80e-15
    Ci = np.linalg.inv(np.array([[c1 + cg, -cg], [-cg, cr + cg]]))
    ecq = E**2 * Ci[0, 0] / 2 / H / 1e9
    Hq, nq = transmon(ecq, ej)
    wr = np.sqrt(Ci[1, 1] / L)
    fr = wr / 2 / np.pi / 1e9
    a = np.diag(np.sqrt(np.arange(1, NFOCK)), 1)
    qzpf = np.sqrt(HBAR * wr / (2 * Ci[1, 1]))
    Qr = 1j * qzpf * (a.T - a)
    Hr = fr * np.diag(np.arange(NFOCK, dtype=float))
    Hc = Ci[0, 1] * np.kron(2 * E * nq, Qr) / H / 1e9
    Hfull = np.kron(Hq, np.eye(NFOCK)) + np.kron(np.eye(len(Hq)), Hr) + Hc
    eq, uq = np.linalg.eigh(Hq)
    lv = labels(Hfull, [uq, np.eye(NFOCK)], 8)
    chi = shift(lv, 0, 1)
    # Koch: g_ij = (coupling per unit n of the transmon, per unit (a^+ - a) of the resonator)
    gunit = abs(Ci[0, 1] * 2 * E * qzpf / H / 1e9)
    nel = lambda i, j: abs(uq[:, i] @ nq @ uq[:, j])
    g01, g12 = gunit * nel(0, 1), gunit * nel(1, 2)
    w01, w12 = eq[1] - eq[0], eq[2] - eq[1]
    chik = g01**2 / (w01 - fr) - g12**2 / (w12 - fr) / 2
    return lv, chi, dict(f_r=fr, f01=w01, alpha=w12 - w01, g01=g01, g12=g12, chi_koch=chik,
                         chi_closed=2 * chik)


def two_transmons():
    c1, c2, cc = C_OF_EC(0.25), C_OF_EC(0.22), 3e-15
    Ci = np.linalg.inv(np.array([[c1 + cc, -cc], [-cc, c2 + cc]]))
    ec = lambda i, j: E**2 * Ci[i, j] / 2 / H / 1e9
    H1, n1 = transmon(ec(0, 0), 20.0)
    H2, n2 = transmon(ec(1, 1), 16.0)
    N = len(H1)
    Hfull = np.kron(H1, np.eye(N)) + np.kron(np.eye(N), H2) + 8 * ec(0, 1) * np.kron(n1, n2)
    _, u1 = np.linalg.eigh(H1)
    _, u2 = np.linalg.eigh(H2)
    lv = labels(Hfull, [u1[:, :10], u2[:, :10]], 8)
    return lv, shift(lv, 0, 1)


if __name__ == '__main__':
    lv, chi, k = transmon_resonator()
    print('transmon_resonator: levels (E, label, weight):')
    for e, lab, wt in lv:
        print('  %.10f %s %.6f' % (e, lab, wt))
    print('  chi = %.10e GHz, anharmonicity of the transmon (dressed) = %.10e GHz'
          % (chi, anharmonicity(lv, 0)))
    print('  ' + ', '.join('%s = %.10g' % kv for kv in k.items()))
    print('  chi / chi_closed - 1 = %.3g' % (chi / k['chi_closed'] - 1))
    lv, zz = two_transmons()
    print('two_transmons: levels (E, label, weight):')
    for e, lab, wt in lv:
        print('  %.10f %s %.6f' % (e, lab, wt))
    print('  ZZ = %.10e GHz, anharmonicities (dressed) %.10e %.10e GHz'
          % (zz, anharmonicity(lv, 0), anharmonicity(lv, 1)))
