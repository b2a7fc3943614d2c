#!/usr/bin/python3
"""scqubits as a peer of qpsim: the same circuits, solved and timed by scqubits, at stated accuracy.

scqubits is not vendored: this script imports it from the environment.  Run it with Debian's python3 (the
one with numpy/scipy) and PYTHONPATH pointing at a scqubits source checkout, from the repository root:
    PYTHONPATH=/path/to/scqubits /usr/bin/python3 bench/scqubits_peer.py fluxonium-sweep
    PYTHONPATH=/path/to/scqubits /usr/bin/python3 bench/scqubits_peer.py zeropi-reduced
    PYTHONPATH=/path/to/scqubits /usr/bin/python3 bench/scqubits_peer.py zeropi-protected
(/path/to/scqubits is the directory that holds the package directory scqubits/; a plain checkout has no
scqubits/version.py, which setuptools_scm writes on install: without it scqubits warns and reports its version
as '???'.)  scqubits imports numpy, scipy, matplotlib, sympy, qutip, dill, tqdm, typing_extensions, cycler,
threadpoolctl: Debian's python3-numpy python3-scipy python3-matplotlib python3-sympy python3-qutip python3-dill
python3-tqdm python3-typing-extensions python3-cycler python3-threadpoolctl.  pathos is needed only for
num_cpus > 1 (not used here).  Measured with scqubits 4.3.1 (tag v4.3.1, commit 1dfb8b6e).

Each subcommand prints one result line (wall time and levels; lines starting with '#' are details):
  fluxonium-sweep   scqubits.Fluxonium with the parameters of netlists/fluxonium.cir, get_spectrum_vs_paramvals
                    over 401 flux values 0..1 (the .sweep f 0 1 401 of examples/fluxonium_flux_sweep.cir),
                    evals_count=6, at the smallest oscillator cutoff whose 6 levels are within 1e-8 GHz of a
                    cutoff-400 reference at flux 0.5 and at flux 0 (scanned first; --cutoff skips the scan).
  zeropi-reduced    scqubits.ZeroPi with the parameters of bench/zero_pi_reduced.cir at the deck's truncation (ncut
                    and a 40-point phi grid over qpsim's range) and on finer grids; esys and eigenvals timed for
                    6 levels; levels turned into the deck's (zeta oscillator added, scqubits' +2 EJ removed) and
                    compared with the deck's `* check:` levels.
  fluxonium-coherence  scqubits.Fluxonium over 201 fluxes: get_spectrum_vs_paramvals with eigenstates, then
                    every channel of examples/coherence/fluxonium_flux_sweep.cir and t1/t2_effective per point.
  zeropi-protected  scqubits.ZeroPi at EJ=10, ECJ=20, EL=0.04, EC=0.04, flux=0.23, ng=0.1 (its defaults),
                    ncut and the phi grid increased until the 6 lowest levels change by less than --tol
                    (1e-8 GHz); each truncation's levels, time and error against tests/oracles/zero_pi_protected.py.
Timings are single runs (--repeat N: best of N) and depend on the BLAS threads (--threads N limits them
through threadpoolctl; default: the library's own setting, printed).

Results (scqubits 4.3.1, Debian numpy 1.24.2 / scipy 1.10.1 / OpenBLAS, 2-core VM, --repeat 3, wall):
  fluxonium-sweep   6 levels within 1e-8 GHz from cutoff 75 (flux 0.5) and 76 (flux 0); whole sweep at cutoff
                    76 within 2.0e-8 of cutoff 150.  401 points at cutoff 76: 1.07 s with 2 BLAS threads, 1.44 s
                    with 1 (cutoff 110, scqubits' default: 4.1 s with 1).  Levels at flux 0.5 agree with the
                    deck's expected levels to 4.3e-9.
  zeropi-reduced    ZeroPi levels - 2 EJ + sqrt(8 EC EL)(k + 1/2) against the deck's check levels (here 2 EJ =
                    w_zeta/2 = 2 GHz, so ZeroPi's raw levels ARE the deck's 6 levels, all with k = 0):
                      ncut 6, N 40 over +-6.665 (deck truncation, dim 520)  esys 0.011 s  6.2e-4 GHz (rel 9.8e-5)
                      ncut 6, N 161 over +-8  (h 0.1,   dim 2093)           esys 0.035 s  4.4e-7
                      ncut 6, N 321 over +-8  (h 0.05,  dim 4173)           esys 0.046 s  6.9e-9 (rel 1.1e-9)
                      ncut 6, N 1281 over +-8 (h 0.0125, dim 16653)         esys 0.18 s   3.8e-12
                    (qpsim's 40-point sinc-DVR gives 1e-9 relative; ZeroPi's 7-point finite differences need
                    ~320 points for the same, and converge to the deck's check levels.)
  zeropi-protected  ZeroPi eigenvals, error against the oracle:
                      ncut 30 [-19, 19] N 200 (create() defaults)  dim 12200   0.49 s  2.6e-4 GHz
                      ncut 18 [-35, 35] N 351  (h 0.2)             dim 12987   0.39 s  1.1e-6
                      ncut 18 [-35, 35] N 701  (h 0.1)             dim 25937   0.90 s  1.7e-8
                      ncut 21 [-35, 35] N 1401 (h 0.05)            dim 60243   2.7 s   2.7e-10
                      ncut 24 [-40, 40] N 3201 (h 0.025)           dim 156849  8.6 s   1.1e-11
                    (--stencil 9: N 701 7.7e-11 in 1.4 s.)  The oracle's sinc-DVR reaches 5e-11 with ncut 24,
                    N 121 on [-40, 40] (dim 5929) in 0.2 s.
"""
import argparse
import itertools
import os
import re
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K = 6

# converged levels of tests/oracles/zero_pi_protected.py (theta-phi Hamiltonian without scqubits' +2 EJ)
PROTECTED_ORACLE = np.array([-3.00186359197, -2.97463877706, -1.88139024101, -1.85835616527, -1.30616515966,
                             -1.02307437939])


def read_deck(name):
    """elements {name: {'nodes': [..], key: float}}, directives {'.flux': [...], ...}, check lines, comments
    (only what these two decks use: bare numbers in GHz, no units, no .param)"""
    elems, dirs, checks, comments = {}, {}, [], []
    with open(os.path.join(ROOT, name)) as fh:
        for line in fh:
            line = line.strip()
            if line.startswith('* check:'):
                checks.append(line[len('* check:'):].strip())
            elif line.startswith('*'):
                comments.append(line[1:].strip())
            elif line.startswith('.'):
                tok = line.split()
                dirs[tok[0]] = tok[1:]
            elif line:
                tok = line.split()
                e = {'nodes': tok[1:3]}
                e.update((k, float(v)) for k, v in (t.split('=', 1) for t in tok[3:] if '=' in t))
                elems[tok[0]] = e
    return elems, dirs, checks, comments


def numbers(text):
    return np.array([float(v) for v in re.findall(r'-?\d+\.\d+(?:[eE][-+]?\d+)?', text)])


def fmt(v, digits=12):
    return '[' + ', '.join('%.*f' % (digits, x) for x in v) + ']'


def best_of(repeat, fn):
    best, out = None, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return best, out


def blas_threads():
    try:
        import threadpoolctl
        info = threadpoolctl.threadpool_info()
        return ','.join('%s:%s' % (i.get('internal_api'), i.get('num_threads')) for i in info) or '?'
    except ImportError:
        return '?'


# ---------------------------------------------------------------------------------------------------------
def fluxonium_sweep(scq, args):
    # netlists/fluxonium.cir: B1 ej=EJ, C1 ec=EC, L1 el=EL between node 1 and ground, .flux F (loop B1-L1).
    # qpsim's element energies are in GHz with ec = e^2/(2 C h), el = (Phi0/2pi)^2/(L h), ej = Ic Phi0/(2pi h),
    # and its fluxonium is 4 EC n^2 + EL/2 phi^2 - EJ cos(phi - 2pi F): the same definitions as scqubits'
    # Fluxonium(EJ, EC, EL, flux) = 4 EC n^2 + EL/2 phi^2 - EJ cos(phi + 2pi flux), so the values pass
    # unchanged, flux = F (the sign of the flux term does not change the spectrum: phi -> -phi).
    el, dirs, _, comments = read_deck('netlists/fluxonium.cir')
    EJ, EC, EL, F = el['B1']['ej'], el['C1']['ec'], el['L1']['el'], float(dirs['.flux'][0])
    expected = numbers(next(c for c in comments if c.startswith('expected levels')).split(':', 1)[1])
    # examples/fluxonium_flux_sweep.cir sweeps the same circuit with `.sweep f 0 1 401`
    flux = np.linspace(0.0, 1.0, 401)

    def levels(cutoff, f):
        return scq.Fluxonium(EJ=EJ, EC=EC, EL=EL, flux=f, cutoff=cutoff).eigenvals(evals_count=K)

    if args.cutoff:
        cutoff, scan = args.cutoff, 'given'
    else:
        need = []
        for f in (F, 0.0):
            ref = levels(400, f)
            ok = {c: np.abs(levels(c, f) - ref).max() <= args.tol for c in range(60, 251)}
            c = next(c for c in sorted(ok) if all(ok[d] for d in ok if d >= c))
            need.append(c)
            print('# flux %.2f: cutoff %d is the smallest from which every cutoff up to 250 gives the %d levels '
                  'within %.0e GHz of cutoff 400; at it: max |diff| %.1e'
                  % (f, c, K, args.tol, np.abs(levels(c, f) - ref).max()))
        cutoff, scan = max(need), 'scan: %d at flux %.2f, %d at flux 0' % (need[0], F, need[1])
    q = scq.Fluxonium(EJ=EJ, EC=EC, EL=EL, flux=F, cutoff=cutoff)
    dt, spec = best_of(args.repeat, lambda: q.get_spectrum_vs_paramvals('flux', flux, evals_count=K,
                                                                        num_cpus=1))
    E = spec.energy_table
    if not args.cutoff:   # accuracy over the whole sweep (not timed): against cutoff 150
        ref = scq.Fluxonium(EJ=EJ, EC=EC, EL=EL, flux=F, cutoff=150).get_spectrum_vs_paramvals(
            'flux', flux, evals_count=K, num_cpus=1).energy_table
        print('# whole sweep at cutoff %d: max |diff| to cutoff 150 over the %d points %.1e GHz'
              % (cutoff, len(flux), np.abs(E - ref).max()))
    i05 = int(np.argmin(np.abs(flux - F)))
    print('fluxonium-sweep scqubits %s: Fluxonium EJ=%g EC=%g EL=%g, flux 0..1 in %d points, cutoff %d (%s), '
          'evals_count=%d, BLAS %s: wall %.3f s (%.2f ms/point); levels flux=%g: %s (deck: max |diff| %.1e over '
          'its %d levels); flux=0: %s; flux=1: %s'
          % (scq.__version__, EJ, EC, EL, len(flux), cutoff, scan, K, blas_threads(), dt, 1e3 * dt / len(flux),
             flux[i05], fmt(E[i05]), np.abs(E[i05][:len(expected)] - expected).max(), len(expected), fmt(E[0]),
             fmt(E[-1])))


def fluxonium_coherence(scq, args):
    # examples/coherence/fluxonium_flux_sweep.cir over 201 fluxes 0..1 (the bench's deck): every channel
    # qpsim reports for it, the way plot_coherence_vs_paramvals computes them: one spectrum sweep with
    # eigenvectors, then each channel's time at every point from that esys; T1 and T2 summed from those
    # times as t1_effective/t2_effective do. Timed: the sweep and the channels, not the import.
    EJ, EC, EL, cutoff = 8.9, 2.5, 0.5, args.cutoff or 110
    flux = np.linspace(0.0, 1.0, 201)
    chans = ['t1_capacitive', 't1_inductive', 't1_quasiparticle_tunneling', 'tphi_1_over_f_flux',
             'tphi_1_over_f_cc']
    scq.settings.T1_DEFAULT_WARNING = False
    q = scq.Fluxonium(EJ=EJ, EC=EC, EL=EL, flux=0.0, cutoff=cutoff)

    def run():
        spec = q.get_spectrum_vs_paramvals('flux', flux, evals_count=2, get_eigenstates=True, num_cpus=1)
        out = {c: [] for c in chans + ['t1_effective', 't2_effective']}
        for k, f in enumerate(flux):
            q.flux = f
            esys = (spec.energy_table[k], spec.state_table[k])
            for c in chans:
                out[c].append(getattr(q, c)(esys=esys))
            g1 = sum(1.0 / out[c][-1] for c in chans[:3])   # as t1/t2_effective sum them, without
            gp = sum(1.0 / out[c][-1] for c in chans[3:])   # computing every channel a second time
            out['t1_effective'].append(1.0 / g1)
            out['t2_effective'].append(1.0 / (gp + 0.5 * g1))
        return out

    dt, out = best_of(args.repeat, run)
    k25 = int(np.argmin(np.abs(flux - 0.25)))
    print('fluxonium-coherence scqubits %s: Fluxonium EJ=%g EC=%g EL=%g cutoff %d, flux 0..1 in %d points, '
          'channels %s + t1/t2_effective, BLAS %s: wall %.3f s; at flux %.3f (ns): %s'
          % (scq.__version__, EJ, EC, EL, cutoff, len(flux), ','.join(chans), blas_threads(), dt, flux[k25],
             ' '.join('%s=%.10g' % (c, out[c][k25]) for c in chans)))


# ---------------------------------------------------------------------------------------------------------
def with_zeta(E, w, k=K):
    """k lowest E_i + w (m + 1/2), the zeta oscillator added to the theta-phi levels"""
    return np.array(sorted(e + w * (m + 0.5) for e, m in itertools.product(E, range(k)))[:k])


def zeropi_reduced(scq, args):
    # bench/zero_pi_reduced.cir: ring 1 -B1- 2 -L1- 3 -B2- 0 -L2- 1, junctions ej=EJ ec=ECJ, inductors el=EL,
    # capacitors ec=EC across the diagonals 1-3 and 2-0, .flux F around the ring, .ng 2 NG.  The element
    # values are the coefficients of scqubits' symmetric form (tests/oracles/zero_pi_protected.py derives it):
    # 2 ECS (n - ng)^2 + 2 ECJ p^2 + EL phi^2 - 2 EJ cos(theta) cos(phi - pi F), ECS = (1/EC + 1/ECJ)^-1 as
    # ZeroPi computes it from EC and ECJ, plus the decoupled zeta oscillator sqrt(8 EC EL) (k + 1/2), which
    # ZeroPi leaves out; ZeroPi adds the constant 2 EJ.  So deck levels = sorted(E_ZeroPi - 2 EJ + w (k + 1/2)).
    el, dirs, checks, _ = read_deck('bench/zero_pi_reduced.cir')
    assert el['B1']['ej'] == el['B2']['ej'] and el['B1']['ec'] == el['B2']['ec']
    assert el['L1']['el'] == el['L2']['el'] and el['C1']['ec'] == el['C2']['ec']
    EJ, ECJ, EL, EC = el['B1']['ej'], el['B1']['ec'], el['L1']['el'], el['C1']['ec']
    F, NG = float(dirs['.flux'][0]), float(dirs['.ng'][1])
    opts = dict(t.split('=', 1) for t in dirs['.spectrum'] if '=' in t)
    ncut, npts = int(opts['ncut']), int(opts['nho'])
    check = numbers(next(c for c in checks if c.startswith('analyses[0].levels')).split('=', 1)[1].split(']')[0])
    w = np.sqrt(8 * EC * EL)
    # qpsim's phase grid (docs/physics.md): N points over +-sqrt(pi/2) phi_zpf sqrt(2N); for phi in the
    # symmetric form, 2 ECJ p^2 + EL phi^2 = 4 (ECJ/2) p^2 + (2 EL)/2 phi^2, phi_zpf = (ECJ/(2 EL))^(1/4).
    # (qpsim's own mode coordinate may be scaled differently; the range in units of phi_zpf is the same.)
    R = np.sqrt(np.pi / 2) * (ECJ / (2 * EL))**0.25 * np.sqrt(2 * npts)
    print('# deck: EJ=%g ECJ=%g EL=%g EC=%g (ECS=%.12g) flux=%g ng=%g; qpsim truncation ncut=%d, %d grid points '
          'over +-%.3f; zeta quantum sqrt(8 EC EL)=%g; deck check levels %s'
          % (EJ, ECJ, EL, EC, 1 / (1 / EC + 1 / ECJ), F, NG, ncut, npts, R, w, fmt(check)))
    ladder = [(ncut, R, npts, 'deck truncation')] + [(ncut, 8.0, n, '') for n in (81, 161, 321, 641, 1281)]
    for nc, L, N, label in ladder:
        q = scq.ZeroPi(EJ=EJ, EL=EL, ECJ=ECJ, EC=EC, ng=NG, flux=F, grid=scq.Grid1d(-L, L, N), ncut=nc,
                       truncated_dim=K)
        assert abs(q.ECS - 1 / (1 / EC + 1 / ECJ)) < 1e-15
        t_es, (E, _) = best_of(args.repeat, lambda: q.eigensys(evals_count=K))
        t_ev, E2 = best_of(args.repeat, lambda: q.eigenvals(evals_count=K))
        deck = with_zeta(E - 2 * EJ, w)
        # the 6 theta-phi levels suffice for the 6 lowest deck levels when the next one lies above them
        enough = E[-1] - 2 * EJ + w / 2 >= deck[-1]
        print('zeropi-reduced scqubits %s: ZeroPi ncut=%d grid [-%.3f, %.3f] N=%d (h=%.4f, stencil %d) dim %d%s: '
              'esys %.3f s, eigenvals %.3f s; ZeroPi levels %s; deck levels %s; max |diff| to the deck check %.1e '
              '(rel %.1e)%s'
              % (scq.__version__, nc, L, L, N, 2 * L / (N - 1), scq.settings.STENCIL, q.hilbertdim(),
                 ' (%s)' % label if label else '', t_es, t_ev, fmt(E2), fmt(deck), np.abs(deck - check).max(),
                 np.abs((deck - check) / check).max(), '' if enough else ' (WARNING: need more ZeroPi levels)'))


# ---------------------------------------------------------------------------------------------------------
def zeropi_protected(scq, args):
    EJ, ECJ, EL, EC, F, NG = 10.0, 20.0, 0.04, 0.04, 0.23, 0.1
    print('# ZeroPi EJ=%g ECJ=%g EL=%g EC=%g (ECS=(1/EC+1/ECJ)^-1=%.12g) flux=%g ng=%g dEJ=dCJ=0; levels include '
          'ZeroPi\'s +2 EJ = %g GHz; oracle (tests/oracles/zero_pi_protected.py, +2 EJ): %s'
          % (EJ, ECJ, EL, EC, 1 / (1 / EC + 1 / ECJ), F, NG, 2 * EJ, fmt(PROTECTED_ORACLE + 2 * EJ, 11)))
    # first ZeroPi.create()'s defaults (ncut 30, grid [-19, 19] x 200), then ncut, range and points up
    ladder = [(30, 19.0, 200), (15, 30.0, 151), (18, 35.0, 351), (18, 35.0, 701), (21, 35.0, 1401),
              (24, 40.0, 3201)]
    prev = None
    for nc, L, N in ladder:
        q = scq.ZeroPi(EJ=EJ, EL=EL, ECJ=ECJ, EC=EC, ng=NG, flux=F, grid=scq.Grid1d(-L, L, N), ncut=nc,
                       truncated_dim=K)
        dt, E = best_of(args.repeat, lambda: q.eigenvals(evals_count=K))
        change = np.abs(E - prev).max() if prev is not None else float('nan')
        print('zeropi-protected scqubits %s: ZeroPi ncut=%d grid [-%g, %g] N=%d (h=%.4f, stencil %d) dim %d: '
              'eigenvals %.3f s; levels %s; max change from previous %.1e; max |diff| to oracle %.1e'
              % (scq.__version__, nc, L, L, N, 2 * L / (N - 1), scq.settings.STENCIL, q.hilbertdim(), dt, fmt(E),
                 change, np.abs(E - 2 * EJ - PROTECTED_ORACLE).max()))
        sys.stdout.flush()
        if prev is not None and change < args.tol:
            print('# converged: the change from the previous truncation is below %.0e GHz' % args.tol)
            break
        prev = E


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('what', choices=['fluxonium-sweep', 'zeropi-reduced', 'zeropi-protected',
                                     'fluxonium-coherence'])
    ap.add_argument('--cutoff', type=int, help='fluxonium-sweep: oscillator cutoff (default: scan for --tol)')
    ap.add_argument('--tol', type=float, default=1e-8, help='convergence tolerance, GHz (default 1e-8)')
    ap.add_argument('--repeat', type=int, default=1, help='time each step N times, keep the fastest')
    ap.add_argument('--stencil', type=int, choices=[3, 5, 7, 9], help="scqubits.settings.STENCIL (default 7)")
    ap.add_argument('--threads', type=int, help='limit the BLAS threads (threadpoolctl)')
    args = ap.parse_args()
    import scqubits as scq
    scq.settings.PROGRESSBAR_DISABLED = True
    if args.stencil:
        scq.settings.STENCIL = args.stencil
    fn = {'fluxonium-sweep': fluxonium_sweep, 'zeropi-reduced': zeropi_reduced,
          'zeropi-protected': zeropi_protected, 'fluxonium-coherence': fluxonium_coherence}[args.what]
    if args.threads:
        import threadpoolctl
        with threadpoolctl.threadpool_limits(args.threads):
            fn(scq, args)
    else:
        fn(scq, args)


if __name__ == '__main__':
    main()
