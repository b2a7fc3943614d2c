#!/usr/bin/python3
"""Oracle for the 0-pi qubit at its protected parameters (hand-run, ~20 s; no deck checks it yet).

Parameters (the defaults of scqubits' ZeroPi): EJ = 10, ECJ = 20, EL = 0.04, EC = 0.04 GHz, flux f = 0.23
(flux quanta through the ring), ng = 0.1, no disorder (dEJ = dCJ = 0).

Hamiltonian.  The symmetric 0-pi circuit (Dempster et al., PRB 90, 094518 (2014)): ring 1 -B1- 2 -L1- 3 -B2- 0
-L2- 1 with two identical junctions (EJ, junction charging energy ECJ = e^2/(2 CJ h)), two identical inductors
(EL = (Phi0/2pi)^2/(L h), energy EL/2 x branch phase^2 each) and two identical capacitors C across the
diagonals 1-3 and 2-0 (EC = e^2/(2 C h)).  With the junction phases a = theta + phi, b = phi - theta and the
diagonal-capacitor phases c1 = zeta + theta, c2 = zeta - theta, the Lagrangian separates:
    junctions   -EJ cos a - EJ cos b              = -2 EJ cos(theta) cos(phi)   (flux: phi -> phi - pi f)
    inductors   EL/2 [(zeta - phi)^2 + (zeta + phi)^2] = EL phi^2 + EL zeta^2
    capacitors  CJ (theta'^2 + phi'^2) + C (theta'^2 + zeta'^2) (times (Phi0/2pi)^2; masses 2(CJ + C), 2 CJ, 2 C)
                -> kinetic 2 ECS n_theta^2 + 2 ECJ p_phi^2 + 2 EC p_zeta^2
so, with ECS = (1/EC + 1/ECJ)^-1 (scqubits' ZeroPi.ECS, computed there from its EC and ECJ the same way),
    H = 2 ECS (n_theta - ng)^2 + 2 ECJ p_phi^2 + EL phi^2 - 2 EJ cos(theta) cos(phi - pi f)
        + [2 EC p_zeta^2 + EL zeta^2].
theta is 2pi-periodic: moving theta moves the island {2, 3} (joined by L1, attached to the rest only by a
junction and a capacitor on each side) as a whole, so n_theta counts its Cooper pairs (integer, charge
basis) and ng is the offset charge of that island (node 2 of the deck, in units of 2e).  ECS and the zeta
frequency both follow from EC = the charging energy of ONE diagonal capacitor: ECS combines it with ECJ,
and zeta is the harmonic mode 2 EC p^2 + EL zeta^2 with hbar w_zeta = sqrt(8 EC EL) (= 0.113137085 GHz here),
exactly scqubits' FullZeroPi.E_zeta = sqrt(8 EL EC).  The element values of a deck are thus the
symmetric-form coefficients themselves, no factors of 2: ej=EJ and ec=ECJ on each junction, el=EL on each
inductor, ec=EC on each diagonal capacitor (as in netlists/zero_pi.cir).
Conventions against scqubits 4.3.1 ZeroPi (zeropi.py): its matrix is 2 ECS (n + ng)^2 + ... - 2 EJ cos(theta)
cos(phi - 2 pi flux/2) + EL phi^2 + 2 EJ, i.e. the same flux phase pi f with the same sign, the opposite sign
of ng (the spectrum is even in ng: n -> -n) and a constant +2 EJ (= 20 GHz here) added to every level.  Its
FullZeroPi adds the zeta mode as E_zeta a^dag a, without the zero-point energy E_zeta/2.  The flux sign does
not matter either (phi -> -phi); both sign flips are checked numerically below.  qpsim's levels (as in
netlists/zero_pi.cir) are those of H above: no 2 EJ, zeta with its zero-point energy.

Method.  theta in the charge basis n = -ncut..ncut; phi on a sinc-DVR grid of N points on [-L, L] (spacing h,
T_ii = pi^2/(3h^2), T_ij = 2(-1)^(i-j)/((i-j)^2 h^2); cos(phi - pi f) and phi^2 diagonal).  With n the slow
index the matrix is banded (bandwidth N: dense T blocks on the diagonal, diagonal cos blocks beside), and
H - sigma with sigma below the ground state is positive definite: shift-invert Lanczos (ARPACK) with a banded
Cholesky factorization, then Rayleigh quotients with H; the residual norms |H v - E v| (<= 1e-12) bound the
eigenvalue errors of the discretized problem.  Independent second basis: phi in harmonic-oscillator states
with length s (x = s (a + a^dag)); cos(phi - pi f) from Gauss-Hermite quadrature of a larger oscillator basis
(nbig states), not from a truncated matrix function.

Results (this script, scqubits 4.3.1; 2 cores with another build running; times are wall, in the output):
  truncation convergence, max |E - E_ref| over the 6 levels, E_ref = DVR (ncut 24, L 40, N 201, h 0.4):
    phi grid spacing  h = 1.0 / 0.8 / 0.667 / 0.5 / 0.333      -> 1.6e-05 / 5.9e-08 / 4.8e-11 / 1.5e-13 / 1.1e-13
    phi range         L = 20 / 25 / 30 / 35 / 50 (h 0.4)       -> 7.2e-05 / 4.6e-08 / 4.6e-12 / 3.7e-14 / 2.4e-14
    charges        ncut = 10 / 12 / 15 / 18 / 30                -> 2.5e-05 / 1.7e-07 / 2.3e-11 / 3.3e-14 / 2.0e-14
  oscillator basis for phi, length s = 2.5, nbig = M + 300: M = 150 / 200 / 250 -> 3.3e-12 / 1.1e-12 / 5.1e-13
  oscillator basis at phi's own zero-point length s = (ECJ/(2 EL))^(1/4) = 3.976 (the length an automatic
    oscillator basis picks): M = 200 / 300 / 400 -> 2.0e-07 / 2.6e-10 / 1.4e-12
  sign variants ng -> -ng (scqubits' (n + ng)^2), f -> -f, both: 2.9e-14 / 1.6e-14 / 3.1e-14 (same spectrum)
  residual norms of all eigenpairs <= 1e-12; max Rayleigh-quotient residual of the reference 6.5e-13
  converged (estimated error 5e-13 GHz, i.e. < 1e-12 relative), 6 lowest levels of H without zeta (GHz):
      -3.00186359197  -2.97463877706  -1.88139024101  -1.85835616527  -1.30616515966  -1.02307437939
    + 2 EJ (scqubits ZeroPi convention):
      16.9981364080   17.0253612229   18.1186097590   18.1416438347   18.6938348403   18.9769256206
    with the zeta oscillator, E_i + hbar w_zeta (k + 1/2), 6 lowest, (i, k) (qpsim convention for the deck):
      -2.94529504948 (0,0)  -2.91807023457 (1,0)  -2.83215796449 (0,1)  -2.80493314958 (1,1)
      -2.71902087950 (0,2)  -2.69179606459 (1,2)
    (the 6 lowest levels of the whole circuit are the ground doublet times the 3 lowest zeta states: the zeta
    quantum 0.113 GHz is far below the theta-phi gap E2 - E0 = 1.12 GHz; E2 + w/2 is only the 21st level)
  scqubits 4.3.1 ZeroPi (7-point finite differences for phi, ncut 18, grid [-35, 35]) minus 2 EJ, against the
    levels above: N = 351 (h 0.2) 1.1e-06, N = 701 (h 0.1) 1.7e-08 (ratio 65 ~ 2^6); their h^6 Richardson
    extrapolation (64 E(h/2) - E(h))/63 agrees to 2.0e-10: scqubits agrees within its grid error.

Run: /usr/bin/python3 tests/oracles/zero_pi_protected.py
     (the scqubits cross-check runs when `import scqubits` works, e.g. with PYTHONPATH at a scqubits checkout;
      see bench/scqubits_peer.py; otherwise it is skipped)
"""
import itertools
import sys
import time

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
import scipy.sparse.linalg as sla

EJ, ECJ, EL, EC, F, NG, K = 10.0, 20.0, 0.04, 0.04, 0.23, 0.1, 6
ECS = 1.0 / (1.0 / EC + 1.0 / ECJ)
WZETA = np.sqrt(8.0 * EC * EL)
SIGMA = -3.2   # below the ground state (~ -3.0019); H - SIGMA must be positive definite (Cholesky checks it)


def banded_dvr(ncut, L, N, ng=NG, f=F):
    """lower band storage ab[d, i] = H[i + d, i] of H in (charge n) x (sinc-DVR phi), n the slow index"""
    x = np.linspace(-L, L, N)
    h = x[1] - x[0]
    d = np.arange(N)
    t = 2 * ECJ * np.where(d == 0, np.pi**2 / 3, 2.0 * (-1.0)**d / np.where(d == 0, 1, d)**2) / h**2
    n = np.arange(-ncut, ncut + 1)
    nt = len(n)
    ab = np.zeros((N + 1, nt * N))
    for k in range(N):
        blk = np.zeros(N)
        blk[:N - k] = t[k]
        ab[k] = np.tile(blk, nt)
    ab[0] += np.repeat(2 * ECS * (n - ng)**2, N) + np.tile(EL * x**2, nt)
    ab[N, :(nt - 1) * N] = np.tile(-EJ * np.cos(x - np.pi * f), nt - 1)
    return ab


def banded_ho(ncut, M, s, nbig, ng=NG, f=F):
    """same, phi in M oscillator states of length s; <m|cos(phi - pi f)|m'> by Gauss-Hermite quadrature on nbig
    nodes (eigenvalues of the nbig-state position matrix)"""
    xg, V = la.eigh_tridiagonal(np.zeros(nbig), s * np.sqrt(np.arange(1, nbig)))
    C = (V[:M] * np.cos(xg - np.pi * f)) @ V[:M].T
    n = np.arange(-ncut, ncut + 1)
    nt = len(n)
    m = np.arange(M)
    ab = np.zeros((2 * M, nt * M))
    ab[0] = np.tile((2 * m + 1) * (2 * ECJ / (4 * s * s) + EL * s * s), nt) + np.repeat(2 * ECS * (n - ng)**2, M)
    o2 = np.zeros(M)
    o2[:M - 2] = np.sqrt((m[:M - 2] + 1) * (m[:M - 2] + 2)) * (EL * s * s - 2 * ECJ / (4 * s * s))
    ab[2] = np.tile(o2, nt)
    for dd in range(1, 2 * M):   # block (n+1, n): entry (j, j') at offset M + j - j'
        jp = np.arange(max(0, M - dd), min(M, 2 * M - dd))
        vals = -EJ * C[jp + dd - M, jp]
        for a in range(nt - 1):
            ab[dd, a * M + jp] = vals
    return ab


def lowest(ab, k=K, sigma=SIGMA):
    """k lowest eigenvalues of the banded symmetric matrix, and the residual norms of their vectors"""
    D = ab.shape[1]
    shifted = ab.copy()
    shifted[0] -= sigma
    cb = la.cholesky_banded(shifted, lower=True)
    op = sla.LinearOperator((D, D), matvec=lambda v: la.cho_solve_banded((cb, True), v), dtype=float)
    _, V = sla.eigsh(op, k=k, which='LA', tol=1e-14, v0=np.ones(D))
    lo = sp.diags([ab[j, :D - j] for j in range(ab.shape[0])], [-j for j in range(ab.shape[0])], format='csr')
    H = lo + lo.T - sp.diags(ab[0])
    HV = H @ V
    E = np.einsum('ij,ij->j', V, HV) / np.einsum('ij,ij->j', V, V)
    res = np.linalg.norm(HV - V * E, axis=0) / np.linalg.norm(V, axis=0)
    o = np.argsort(E)
    return E[o], res[o].max()


def with_zeta(E, k=K):
    """k lowest E_i + w_zeta (m + 1/2), with their (i, m)"""
    return sorted((e + WZETA * (m + 0.5), i, m) for (i, e), m in itertools.product(enumerate(E), range(k)))[:k]


def timed(fn, *a, **kw):
    t = time.time()
    E, r = lowest(fn(*a, **kw))
    return E, r, time.time() - t


def scqubits_check(ref):
    try:
        import scqubits as scq
    except ImportError:
        print('scqubits cross-check: skipped (import scqubits failed; set PYTHONPATH to a scqubits checkout)')
        return
    scq.settings.PROGRESSBAR_DISABLED = True
    print('scqubits %s ZeroPi cross-check (7-point finite differences for phi, ncut 18, grid [-35, 35]), '
          'levels - 2 EJ against the converged levels:' % scq.__version__)
    got = []
    for N in (351, 701):
        q = scq.ZeroPi(EJ=EJ, EL=EL, ECJ=ECJ, EC=EC, ng=NG, flux=F, grid=scq.Grid1d(-35.0, 35.0, N), ncut=18,
                       truncated_dim=K)
        assert abs(q.ECS - ECS) < 1e-15
        t = time.time()
        E = q.eigenvals(evals_count=K) - 2 * EJ
        got.append(E)
        print('  N = %d (h = %.3f, dim %d, %.1f s): max |diff| %.1e   [%s]'
              % (N, 70.0 / (N - 1), q.hilbertdim(), time.time() - t, np.abs(E - ref).max(),
                 ' '.join('%#.12g' % v for v in E)))
    rich = (64 * got[1] - got[0]) / 63
    print('  Richardson h^6 extrapolation of the two: max |diff| %.1e' % np.abs(rich - ref).max())


def main():
    fmt = lambda v: '  '.join('%#.12g' % x for x in v)
    t0 = time.time()
    ref_cut = (24, 40.0, 201)
    ref, r, dt = timed(banded_dvr, *ref_cut)
    print('reference: charge basis ncut %d x sinc-DVR phi on [-%g, %g], N %d (h %.3f), dim %d, %.1f s, '
          'max residual %.1e' % (ref_cut[0], ref_cut[1], ref_cut[1], ref_cut[2], 2 * ref_cut[1] / (ref_cut[2] - 1),
                                 (2 * ref_cut[0] + 1) * ref_cut[2], dt, r))
    print('convergence history (max |E - E_ref| over the %d levels):' % K)
    worst = 0.0
    hist = [('h', [(24, 40.0, N) for N in (81, 101, 121, 161, 241)], lambda c: 'h %.3f' % (2 * c[1] / (c[2] - 1))),
            ('L', [(24, L, int(round(2 * L / 0.4)) + 1) for L in (20.0, 25.0, 30.0, 35.0, 50.0)],
             lambda c: 'L %g (h 0.4)' % c[1]),
            ('ncut', [(nc, 40.0, 201) for nc in (10, 12, 15, 18, 30)], lambda c: 'ncut %d' % c[0])]
    for _, cuts, lab in hist:
        for c in cuts:
            E, r, dt = timed(banded_dvr, *c)
            print('  DVR %-14s dim %6d  %5.1f s  %.1e   (residual %.0e)'
                  % (lab(c), (2 * c[0] + 1) * c[2], dt, np.abs(E - ref).max(), r))
        worst = max(worst, np.abs(E - ref).max())   # the largest truncation of each ladder (finer than ref)
    print('independent basis: phi in oscillator states (cos by Gauss-Hermite quadrature), ncut 24:')
    for s, M in ((2.5, 150), (2.5, 200), (2.5, 250), ((ECJ / (2 * EL))**0.25, 200), ((ECJ / (2 * EL))**0.25, 300),
                 ((ECJ / (2 * EL))**0.25, 400)):
        E, r, dt = timed(banded_ho, 24, M, s, M + 300)
        print('  s %.3f M %3d  dim %6d  %5.1f s  %.1e   (residual %.0e)'
              % (s, M, 49 * M, dt, np.abs(E - ref).max(), r))
        if (s, M) == (2.5, 250):
            worst = max(worst, np.abs(E - ref).max())
    print('sign conventions (same spectrum expected):')
    for lab, ng, f in (('ng -> -ng (scqubits: (n + ng)^2)', -NG, F), ('f -> -f', NG, -F), ('both', -NG, -F)):
        E, r, dt = timed(banded_dvr, *ref_cut, ng=ng, f=f)
        print('  %-34s %.1e' % (lab, np.abs(E - ref).max()))
    print('converged (estimated error %.1e GHz), 6 lowest levels of 2 ECS (n - ng)^2 + 2 ECJ p^2 + EL phi^2 '
          '- 2 EJ cos(theta) cos(phi - pi f), GHz:\n  %s' % (worst, fmt(ref)))
    print('+ 2 EJ (scqubits ZeroPi convention):\n  %s' % fmt(ref + 2 * EJ))
    z = with_zeta(ref)
    print('with the zeta oscillator, hbar w_zeta = sqrt(8 EC EL) = %.12g GHz, E_i + w (k + 1/2), (i, k):\n  %s'
          % (WZETA, '  '.join('%#.12g (%d,%d)' % v for v in z)))
    print('oracle time %.1f s' % (time.time() - t0))
    scqubits_check(ref)


if __name__ == '__main__':
    sys.exit(main())
