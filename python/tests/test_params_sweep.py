"""params= of a swept parameter, as `qpsim run --set` (the same elaboration): it fixes the deck's
.sweep, while an explicit Circuit.sweep of that parameter still sweeps it. Numbers against the
levels netlists/cpb_sweep.cir quotes (exact diagonalization, 10 decimals)."""
import os

import numpy as np

import qpsim

QUOTED_ATOL = 1e-9  # GHz: the deck quotes 10 decimals
CPB = [[-0.0620787910, 7.9895861573, 8.0516581693, 32.0041638021],
       [0.4178984130, 4.5487380565, 12.5119332145, 24.5055569774],
       [1.4848576520, 2.4838822565, 18.0073297341, 18.0083051031]]


def test_params_fix_the_decks_sweep(root):
    c = qpsim.Circuit.from_file(os.path.join(root, "netlists", "cpb_sweep.cir"),
                                params={"ng": 0.25})
    doc = c.run()
    sp = [a for a in doc["analyses"] if a["type"] == "spectrum"]
    assert len(sp) == 1 and "sweep" not in sp[0]
    np.testing.assert_allclose(sp[0]["levels"], CPB[1], rtol=0, atol=QUOTED_ATOL)


def test_explicit_sweep_overrides_params(root):
    c = qpsim.Circuit.from_file(os.path.join(root, "netlists", "cpb_sweep.cir"),
                                params={"ng": 0.25})
    E = c.sweep("ng", [0.0, 0.25, 0.5], levels=4)
    np.testing.assert_allclose(E, CPB, rtol=0, atol=QUOTED_ATOL)
