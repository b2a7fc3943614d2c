#!/usr/bin/python3
"""Tutorial step 5 from Python: Bloch bands of a small junction against its quasicharge q, for
EJ/EC = 1 and 5 (netlists/bloch_bands.cir's B1 and B2), with the band widths and the effective
phase-slip energy of the lowest band.
    python3 examples/python/bloch_bands.py [OUTDIR]               -> OUTDIR/bloch_bands.png"""
import os
import sys

import matplotlib.pyplot as plt

import qpsim

HERE = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(out, exist_ok=True)

c = qpsim.Circuit.from_file(os.path.join(HERE, "..", "..", "netlists", "bloch_bands.cir"))
fig, axes = plt.subplots(1, 2, figsize=(8, 4))
for ax, (element, title) in zip(axes, [("B1", "EJ/EC = 1"), ("B2", "EJ/EC = 5")]):
    b = c.bands(element, levels=3, points=201)
    print("%s (%s): EC = %.6g GHz, widths %s GHz, ES_eff = %.10g GHz"
          % (element, title, b["ec_GHz"], " ".join("%.10g" % w for w in b["widths"]),
             b["es_eff_GHz"]))
    for k in range(3):
        ax.plot(b["q"], b["levels"][:, k], label="band %d" % k)
    ax.set_title("%s, %s" % (element, title))
    ax.set_xlabel("quasicharge q [2e]")
axes[0].set_ylabel("E [GHz]")
axes[0].legend(fontsize="small")
fig.tight_layout()
path = os.path.join(out, "bloch_bands.png")
fig.savefig(path, dpi=100)
print("wrote", path)
