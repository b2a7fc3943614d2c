#!/usr/bin/python3
# Hand-run, NOT part of the test suite: regenerates the oracle of
# examples/duality/phase_slip_qubit_sweep.cir with the independent Python prototype of the
# quantizer (path given explicitly; it is not shipped with qpsim). Prints the levels at
# mcut = 20 and 30; the deck's rtol 1e-9 is far above their 2e-11 difference.
import sys
sys.path.insert(0, '/work/shared/reference')
from mixed_quantize import Circuit, spectrum  # noqa: E402
import numpy as np  # noqa: E402

np.set_printoptions(precision=12)
for f in (0.4, 0.45, 0.5, 0.55, 0.6):
    for mcut in (20, 30):
        c = Circuit().add('L', 'L1', 1, 0, 40 / (2 * np.pi ** 2)).add('Q', 'Q1', 1, 0, 1.0)
        c.flux(['L1', 'Q1'], f)
        print(f, mcut, spectrum(c, k=3, mcut=mcut))
