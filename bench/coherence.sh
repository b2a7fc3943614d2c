#!/bin/sh
# Coherence benchmark (issue 13): a 201-point fluxonium flux sweep of T1 and T2 with every channel
# (examples/coherence/fluxonium_flux_sweep.cir at 201 points) against scqubits computing the same
# channels from one get_spectrum_vs_paramvals with eigenstates (bench/scqubits_peer.py
# fluxonium-coherence; its own timing, without the import, which favours the peer).
#   SCQUBITS=/path/to/scqubits sh bench/coherence.sh [build-dir]
set -eu
cd "$(dirname "$0")/.."
Q=${1:-build}/src/qpsim
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
sed 's/^.sweep f 0 0.5 11/.sweep f 0 1 201/; /^\* check/d' examples/coherence/fluxonium_flux_sweep.cir > "$T/c.cir"
best='' i=0
while [ "$i" -lt 3 ]; do
  t0=$(date +%s%N); "$Q" run "$T/c.cir" > "$T/out"; t1=$(date +%s%N)
  w=$(awk "BEGIN{printf \"%.3f\", ($t1 - $t0) / 1e9}")
  if [ -z "$best" ] || awk "BEGIN{exit !($w < $best)}"; then best=$w; fi
  i=$((i + 1))
done
echo "qpsim: 201-point fluxonium T1/T2 sweep, every channel: $best s (best of 3, whole process)"
if [ -n "${SCQUBITS:-}" ]; then
  p=$(PYTHONPATH=$SCQUBITS /usr/bin/python3 bench/scqubits_peer.py fluxonium-coherence | grep -o 'wall [0-9.]* s' | tr -dc '0-9.')
  echo "scqubits: $p s; qpsim/peer $(awk "BEGIN{printf \"%.4f\", $best / $p}") (target <= 0.05)"
fi
