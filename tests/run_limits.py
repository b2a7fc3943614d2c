#!/usr/bin/env python3
"""Limits of the analyses that depend on this machine (TAP; docs/netlist.md section 14.1): a
product basis whose Lanczos vectors pass 3/4 of the physical memory is refused from its
estimate, at once, with the budget named and exit 3. (The limits that are the same everywhere
have their fixtures in tests/errors.)"""
import os
import re
import subprocess
import sys
import tempfile

import taplib

# Three coupled transmons at ncut = 2000: 4001^3 = 6.4e10 states, 3.7e4 GiB of vectors.
BIG = ("B1 1 0 ej=15\nC1 1 0 ec=0.3\nB2 2 0 ej=15\nC2 2 0 ec=0.3\nCC 1 2 2fF\n"
       "B3 3 0 ej=15\nC3 3 0 ec=0.3\nCC2 2 3 2fF\n.spectrum method=exact ncut=2000\n")
WANT = (r"\S*big.cir:9:1: error: the product basis of 64048012001 states needs [0-9.e+]+ GiB "
        r"even without storing the Hamiltonian \(more than the [0-9.e+]+ GiB budget: 3/4 of "
        r"this machine's memory\); use \.spectrum method=hierarchical, or smaller cutoffs\n")


def main():
    exe = os.path.abspath(sys.argv[1])
    tap = taplib.Tap(1)
    with tempfile.TemporaryDirectory() as tmp:
        deck = os.path.join(tmp, "big.cir")
        with open(deck, "w", encoding="utf-8") as f:
            f.write(BIG)
        p = subprocess.run([exe, "run", deck], capture_output=True, text=True, timeout=120)
    tap.result("a product basis past the memory budget: refused from its estimate (exit 3)",
               [] if p.returncode == 3 and re.fullmatch(WANT, p.stderr) and not p.stdout
               else ["exit %d: %r" % (p.returncode, p.stderr)])
    return tap.exit_code()


if __name__ == "__main__":
    sys.exit(main())
