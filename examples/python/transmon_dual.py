#!/usr/bin/python3
"""Tutorial step 4 from Python: a transmon (EJ = 15, EC = 0.3 GHz, ng = 0.25) and its charge-phase
dual, the phase-slip wire in a superinductor loop that `qpsim dual` writes: the same levels, and
the transmon's charge dispersion against the dual's flux dispersion.
    python3 examples/python/transmon_dual.py [OUTDIR]             -> OUTDIR/transmon_dual.png"""
import os
import sys

import matplotlib.pyplot as plt
import numpy as np

import qpsim

out = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(out, exist_ok=True)

transmon = qpsim.Circuit(""".param ng=0.25
B1 1 0 ej=15
C1 1 0 ec=0.3
.ng 1 {ng}
""", name="transmon.cir")
dual_text = transmon.dual()
print(dual_text)
dual = qpsim.Circuit(dual_text, name="dual_transmon.cir")
print("transmon levels [GHz]:", transmon.spectrum(4))
print("dual levels     [GHz]:", dual.spectrum(4))
print("largest difference: %.1e GHz" % np.abs(transmon.spectrum(4) - dual.spectrum(4)).max())

# the transmon against its offset charge, and the dual made at every 5th offset: its loop flux
# f = ng carries the offset
TRANSMON = ".param ng=0\nB1 1 0 ej=15\nC1 1 0 ec=0.3\n.ng 1 {ng}\n"
ng = np.linspace(0.0, 1.0, 101)
E = qpsim.Circuit(TRANSMON).sweep("ng", ng, levels=3)
D = np.array([qpsim.Circuit(qpsim.Circuit(TRANSMON, params={"ng": x}).dual()).spectrum(3)
              for x in ng[::5]])
print("transmon against its duals over ng: largest difference %.1e GHz"
      % np.abs(E[::5] - D).max())
fig, ax = plt.subplots(figsize=(6, 4))
for k in range(3):
    ax.plot(ng, E[:, k] - E[0, 0], label="transmon E%d" % k)
    ax.plot(ng[::5], D[:, k] - E[0, 0], "o", markersize=3, label="dual E%d" % k)
ax.set_xlabel("ng (transmon, units of 2e) = f (dual, units of Phi0)")
ax.set_ylabel("E - E0(0) [GHz]")
ax.legend(fontsize="small")
fig.tight_layout()
path = os.path.join(out, "transmon_dual.png")
fig.savefig(path, dpi=100)
print("wrote", path)
