#!/usr/bin/python3
"""Oracle for examples/duality/phase_slip_qubit_sweep.cir (hand-run; not part of the test suite).

Phase-slip wire ES = 1 GHz closed by an inductor with EL' = Phi0^2/2L = 2 pi^2 EL = 40 GHz (the deck's
el = 40/(2 pi^2)), flux f swept 0.4 .. 0.6 in 5 points.  Fluxoid basis m in [-mcut, mcut] built here
with numpy only (docs/physics.md "Bases"; docs/duality.md section 1):
  H = EL' (m - f)^2 - (ES/2) (|m><m+1| + h.c.)      (the -ES cos 2 pi q of the wire hops m by one),
dense eigvalsh at mcut = 20 and 30; prints the three lowest levels per f and compares with the deck.
Run: /usr/bin/python3 tests/oracles/phase_slip_qubit_sweep.py   (well under 1 s)
"""
import numpy as np

ELP, ES, K = 40.0, 1.0, 3
FS = (0.4, 0.45, 0.5, 0.55, 0.6)
DECK = np.array([[6.365403866018, 14.428282904043, 78.401827558773],
                 [8.035167156063, 12.158567094319, 84.101686962924],
                 [9.496894489645, 10.49685542901, 90.00154300936],
                 [8.03516715606, 12.15856709432, 84.101686962939],
                 [6.365403866007, 14.428282904068, 78.40182755877]])


def levels(f, mcut):
    m = np.arange(-mcut, mcut + 1, dtype=float)
    hop = np.eye(len(m), k=1) + np.eye(len(m), k=-1)
    return np.linalg.eigvalsh(np.diag(ELP * (m - f)**2) - 0.5 * ES * hop)[:K]


if __name__ == '__main__':
    rows = []
    for f in FS:
        e20, e30 = levels(f, 20), levels(f, 30)
        rows.append(e30)
        print('f = %-5g mcut=30: %s   |mcut=20 - mcut=30| = %.1e'
              % (f, ', '.join('%.12f' % x for x in e30), np.abs(e20 - e30).max()))
    rows = np.array(rows)
    print('E01 at f = 0.5: %.10f (T7: 0.9999609394)' % (rows[2, 1] - rows[2, 0]))
    print('max |mcut=30 - deck| = %.1e (relative %.1e)'
          % (np.abs(rows - DECK).max(), np.abs((rows - DECK) / DECK).max()))
