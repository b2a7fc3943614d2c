"""Reduced 0-pi from Python: qpsim's package against scqubits' ZeroPi, in one process (issue 12).

    PYTHONPATH=build/python:/path/to/scqubits /usr/bin/python3 bench/python_zero_pi.py [--repeat N]

bench/zero_pi_reduced.cir without its dispersions (its `.spectrum` fixes ncut 6 and 40 sinc-DVR
points, 1e-9 relative from tests/oracles/zero_pi.py) is solved by `qpsim.Circuit(text).spectrum(6)`;
scqubits' ZeroPi with the same parameters on the grid that reaches the same accuracy (N 321 over
+-8, 6.9e-9 GHz from the deck's check levels; bench/scqubits_peer.py zeropi-reduced measures the
ladder) by `eigenvals(evals_count=6)`, values only as qpsim's. qpsim's timed call reads the deck
text into a new Circuit each time (parse, quantization, solve); each is timed after import and
after one untimed call, best of --repeat; the ratio is qpsim's time over ZeroPi's. Both sets of
levels are compared with the deck's check line (ZeroPi's shifted by -2 EJ + w_zeta/2 as
bench/scqubits_peer.py explains: the zeta oscillator is decoupled and left out by ZeroPi).
"""
import argparse
import re

import numpy as np

from python_sweep import best_of  # the same timer as the sweep bench (bench/ is on the path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--repeat', type=int, default=20)
    ap.add_argument('--no-peer', action='store_true')
    args = ap.parse_args()
    import qpsim
    text = open('bench/zero_pi_reduced.cir').read().replace('basis=grid', 'basis=grid dispersion=no')
    check = np.array([float(v) for v in re.search(r'levels = \[([^\]]*)\]', text).group(1).split(',')])
    qpsim.Circuit(text).spectrum(levels=6)
    # a new circuit each time: parsing, quantization and the solve, no solver state carried over
    tq, Eq = best_of(args.repeat, lambda: qpsim.Circuit(text).spectrum(levels=6))
    dq = np.abs(Eq - check).max()
    print('qpsim %s: reduced 0-pi spectrum(6) %.4f s (best of %d), max |diff| to the deck check %.1e GHz'
          % (qpsim.__version__, tq, args.repeat, dq))
    if args.no_peer:
        return
    import scqubits as scq
    EJ, ECJ, EL, EC, F, NG = 1.0, 0.5, 2.0, 1.0, 0.5, 0.2  # the deck's elements (see its header)
    w = np.sqrt(8 * EC * EL)
    z = scq.ZeroPi(EJ=EJ, EL=EL, ECJ=ECJ, EC=EC, ng=NG, flux=F, grid=scq.Grid1d(-8.0, 8.0, 321), ncut=6,
                   truncated_dim=6)
    z.eigenvals(evals_count=6)
    tp, Ep = best_of(args.repeat, lambda: z.eigenvals(evals_count=6))
    dp = np.abs(np.sort(Ep - 2 * EJ + w / 2) - check).max()
    print('scqubits %s: ZeroPi ncut 6, N 321 eigenvals(6) %.4f s (best of %d), max |diff| to the deck check %.1e GHz'
          % (scq.__version__, tp, args.repeat, dp))
    print('ratio qpsim/scqubits %.3f (%.1fx faster; target 5x)' % (tq / tp, tp / tq))


if __name__ == '__main__':
    main()
