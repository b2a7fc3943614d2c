#!/usr/bin/python3
"""Tutorial step 2 from Python: the fluxonium (EJ = 8.9, EC = 2.5, EL = 0.5 GHz) swept over one flux
quantum in 401 points, its transitions plotted with matplotlib.
    python3 examples/python/fluxonium_flux_sweep.py [OUTDIR]      -> OUTDIR/fluxonium_flux_sweep.png
The deck is examples/fluxonium_flux_sweep.cir (its .param f is the flux in units of Phi0)."""
import os
import sys

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

import qpsim

HERE = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(out, exist_ok=True)

c = qpsim.Circuit.from_file(os.path.join(HERE, "..", "fluxonium_flux_sweep.cir"))
flux = np.linspace(0.0, 1.0, 401)
E = c.sweep("f", flux, levels=6)          # GHz, shape (401, 6)
f01 = E[:, 1] - E[:, 0]
print("f01 at half flux: %.9f GHz; at zero flux: %.9f GHz" % (f01[200], f01[0]))

fig, ax = plt.subplots(figsize=(6, 4))
for k in range(1, 6):
    ax.plot(flux, E[:, k] - E[:, 0], label="E%d - E0" % k)
ax.set_xlabel("external flux f = Phi_ext / Phi0")
ax.set_ylabel("transition frequency [GHz]")
ax.set_title("fluxonium EJ = 8.9, EC = 2.5, EL = 0.5 GHz")
ax.legend(fontsize="small")
fig.tight_layout()
path = os.path.join(out, "fluxonium_flux_sweep.png")
fig.savefig(path, dpi=100)
print("wrote", path, "(matplotlib backend %s)" % matplotlib.get_backend())
