#!/usr/bin/env python3
"""Prints a fluxonium deck whose inductor is an array of N junctions (as
examples/array_fluxonium.cir, which is N = 3): usage array_deck.py N [EJ EC tol method levels]."""
import sys


def deck(n, ej=40.0, ec=0.1, tol=1e-4, method="auto", levels=4):
    lines = [f"* fluxonium, array of {n} junctions (EJ = {ej}, EC = {ec} GHz each), f = 0.5",
             "B0 1 0 ej=8.9", "C0 1 0 ec=2.5"]
    nodes = ["1"] + [f"a{k}" for k in range(1, n)] + ["0"]
    for k in range(n):
        lines.append(f"BA{k + 1} {nodes[k]} {nodes[k + 1]} ej={ej} ec={ec}")
    lines.append(".flux 0.5")
    lines.append(f".spectrum levels={levels} tol={tol} method={method}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    a = sys.argv[1:]
    n = int(a[0])
    ej = float(a[1]) if len(a) > 1 else 40.0
    ec = float(a[2]) if len(a) > 2 else 0.1
    tol = float(a[3]) if len(a) > 3 else 1e-4
    method = a[4] if len(a) > 4 else "auto"
    levels = int(a[5]) if len(a) > 5 else 4
    sys.stdout.write(deck(n, ej, ec, tol, method, levels))
