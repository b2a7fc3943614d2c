#!/usr/bin/python3
"""Python bench (issue 14): the 401-point fluxonium flux sweep of bench/fluxonium_sweep401.cir from
Python, qpsim's package against scqubits' Fluxonium.get_spectrum_vs_paramvals, in the same process
on the same points, each timed after import with time.perf_counter, best of --repeat (3).

Run it through bench/python_sweep.sh, or from the repository root with both packages importable:
    PYTHONPATH=build/python:/path/to/scqubits /usr/bin/python3 bench/python_sweep.py
(/path/to/scqubits holds the package folder scqubits/; Debian's python3 has numpy and scipy).

Equal accuracy: qpsim converges its levels to 1e-8 GHz by itself (checkpoint cutoffs along the
sweep); scqubits gets --cutoff 76, the smallest oscillator cutoff whose 6 levels lie within 1e-8 GHz
of a cutoff-400 reference at flux 0.5 and at flux 0 (bench/scqubits_peer.py fluxonium-sweep scans
for it). Both are compared, untimed, with scqubits at cutoff 150 over the whole sweep.

BLAS: both use the process's BLAS as it is (Debian's OpenBLAS), with its default threads unless
OPENBLAS_NUM_THREADS is set; the line printed says which. The circuit's threads (--threads, 0: one
per CPU) are qpsim's own sweep workers."""
import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DECK = os.path.join(ROOT, "bench", "fluxonium_sweep401.cir")
LEVELS = 6


def best_of(repeat, fn):
    best, out = None, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return best, out


def blas_threads():
    try:
        import threadpoolctl
        info = threadpoolctl.threadpool_info()
        return ",".join("%s:%s" % (i.get("internal_api"), i.get("num_threads"))
                        for i in info) or "?"
    except ImportError:
        return os.environ.get("OPENBLAS_NUM_THREADS", "default")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="qpsim's sweep threads (0: per CPU)")
    ap.add_argument("--cutoff", type=int, default=76, help="scqubits' oscillator cutoff")
    ap.add_argument("--no-peer", action="store_true", help="qpsim alone (no scqubits)")
    args = ap.parse_args()

    import qpsim
    c = qpsim.Circuit.from_file(DECK, threads=args.threads)
    el = {e["name"]: e for e in c.check()["elements"]}
    EJ, EC, EL = el["B1"]["EJ_GHz"], el["C1"]["EC_GHz"], el["L1"]["EL_GHz"]
    flux = np.linspace(0.0, 1.0, 401)  # the deck's .sweep f 0 1 401
    tq, Eq = best_of(args.repeat, lambda: c.sweep("f", flux, levels=LEVELS))
    print("qpsim %s: Circuit.sweep('f', 401 values, levels=%d), threads %s: %.4f s (best of %d, "
          "%.3f ms/point)" % (qpsim.__version__, LEVELS, args.threads or os.cpu_count(), tq,
                              args.repeat, 1e3 * tq / len(flux)))
    if args.no_peer:
        return 0
    import scqubits as scq
    scq.settings.PROGRESSBAR_DISABLED = True
    q = scq.Fluxonium(EJ=EJ, EC=EC, EL=EL, flux=0.5, cutoff=args.cutoff)
    ts, spec = best_of(args.repeat, lambda: q.get_spectrum_vs_paramvals(
        "flux", flux, evals_count=LEVELS, num_cpus=1))
    Es = spec.energy_table
    ref = scq.Fluxonium(EJ=EJ, EC=EC, EL=EL, flux=0.5, cutoff=150).get_spectrum_vs_paramvals(
        "flux", flux, evals_count=LEVELS, num_cpus=1).energy_table
    print("scqubits %s: Fluxonium(EJ=%g, EC=%g, EL=%g, cutoff=%d)"
          ".get_spectrum_vs_paramvals('flux', 401 values, evals_count=%d): %.4f s (best of %d); "
          "BLAS threads %s"
          % (scq.__version__, EJ, EC, EL, args.cutoff, LEVELS, ts, args.repeat, blas_threads()))
    print("accuracy against scqubits at cutoff 150 over the 401 points: qpsim %.1e GHz, scqubits "
          "%.1e GHz" % (np.abs(Eq - ref).max(), np.abs(Es - ref).max()))
    print("ratio scqubits/qpsim: %.1fx (target 20x)" % (ts / tq))
    return 0


if __name__ == "__main__":
    sys.exit(main())
