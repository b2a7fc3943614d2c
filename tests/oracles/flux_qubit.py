#!/usr/bin/python3
"""Oracle for netlists/flux_qubit.cir and netlists/flux_qubit_f046.cir (hand-run; not part of the test suite).

Three-junction flux qubit of docs/physics.md, oracle T14 (scqubits FluxQubit parameters):
  B1 1-0 EJ=1, ECJ=0.016 ; B2 2-0 EJ=1, ECJ=0.016 ; B3 1-2 EJ=0.8, ECJ=0.02 ;
  gate capacitors 1-0 and 2-0 with EC=0.83 ; ng = 0 ; f = 0.5 and 0.46.
T14 (scqubits FluxQubit, ncut=10): E0..3 = -1.186248797, -1.182935873, -1.029845677, -0.979973352 at f=0.5,
E01 = 0.218236518 at f=0.46.  This script recomputes the levels with the validated prototype
/work/shared/reference/mixed_quantize.py (charge basis, ncut=10 and 15) as a second source.

Run: /usr/bin/python3 tests/oracles/flux_qubit.py
"""
import importlib.util
import numpy as np

spec = importlib.util.spec_from_file_location('mq', '/work/shared/reference/mixed_quantize.py')
mq = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mq)


def circuit(f):
    return (mq.Circuit().add('B', 'B1', 1, 0, 1.0).add('B', 'B2', 2, 0, 1.0).add('B', 'B3', 1, 2, 0.8)
            .add('C', 'CJ1', 1, 0, 0.016).add('C', 'CJ2', 2, 0, 0.016).add('C', 'CJ3', 1, 2, 0.02)
            .add('C', 'Cg1', 1, 0, 0.83).add('C', 'Cg2', 2, 0, 0.83).flux(['B1', 'B3', 'B2'], f))


if __name__ == '__main__':
    for f in (0.5, 0.46):
        e10 = mq.spectrum(circuit(f), 4, ncut=10)
        e15 = mq.spectrum(circuit(f), 4, ncut=15)
        print('f = %g' % f)
        print('  ncut=10 levels:', ', '.join('%.12f' % x for x in e10), '  E01 = %.12f' % (e10[1] - e10[0]))
        print('  ncut=15 levels:', ', '.join('%.12f' % x for x in e15), '  E01 = %.12f' % (e15[1] - e15[0]))
        print('  max |ncut=10 - ncut=15| = %.1e' % np.abs(e10 - e15).max())
