#!/bin/sh
# Python bench (issue 14): the 401-point fluxonium flux sweep from Python, qpsim's package against
# scqubits' get_spectrum_vs_paramvals on the same points, in the same process
# (bench/python_sweep.py: each timed after import, best of 3). Results in docs/performance.md.
#   SCQUBITS=/path/to/scqubits sh bench/python_sweep.sh [build-dir] [python_sweep.py options]
# (a source checkout whose folder holds the package scqubits/; without SCQUBITS: qpsim alone).
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
[ $# -gt 0 ] && shift
if [ ! -d "$B/python/qpsim" ]; then
  echo "bench/python_sweep.sh: no Python package in $B (meson compile -C $B)" >&2
  exit 2
fi
if [ -n "${SCQUBITS:-}" ]; then
  PYTHONPATH="$B/python:$SCQUBITS" exec /usr/bin/python3 bench/python_sweep.py "$@"
fi
PYTHONPATH="$B/python" exec /usr/bin/python3 bench/python_sweep.py --no-peer "$@"
