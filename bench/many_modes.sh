#!/bin/sh
# Many-mode benchmark (issue 12): qpsim against its peers measured in the same run, as ratios.
#   sh bench/many_modes.sh [build-dir]                 (default build)
#   SCQUBITS=/path/to/scqubits sh bench/many_modes.sh  (adds the scqubits rows: a source checkout
#                                                      whose folder holds the package scqubits/)
# Needs Debian's time and python3-scipy (bench/eigsh_chain.py). Each row is the fastest of REPEAT
# runs (default 3) of the whole process (/usr/bin/time), peak RSS the largest. The peers' times are
# their own: eigsh_chain.py builds and solves the matrix (no import time); scqubits_peer.py times
# only the sweep or eigensolve (no import time), which favours the peer.
set -eu
cd "$(dirname "$0")/.."
. bench/common.sh
REPEAT=${REPEAT:-3}

. bench/chain.sh

best() { # best CMD...: fastest wall seconds and largest RSS (MiB) of REPEAT runs -> "wall rss"
  # (wall from date's nanoseconds: /usr/bin/time rounds to 10 ms, too coarse for 0.013 s)
  w='' r=0 i=0
  while [ "$i" -lt "$REPEAT" ]; do
    t0=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$T/t" "$@" > "$T/out" 2>&1 || { echo "failed: $*" >&2; tail -3 "$T/out" >&2; }
    t1=$(date +%s%N)
    wi=$(awk "BEGIN{printf \"%.3f\", ($t1 - $t0) / 1e9}")
    read -r ri < "$T/t"
    if [ -z "$w" ] || awk "BEGIN{exit !($wi < $w)}"; then w=$wi; fi
    ri=$((ri / 1024)); [ "$ri" -gt "$r" ] && r=$ri
    i=$((i + 1))
  done
  echo "$w $r"
}

peer_time() { # peer_time CMD...: the smallest "wall X s" / "total=Xs" a peer prints over REPEAT runs
  i=0 w=''
  while [ "$i" -lt "$REPEAT" ]; do
    "$@" > "$T/peer" 2>&1 || { echo "peer failed: $*" >&2; tail -3 "$T/peer" >&2; return 0; }
    x=$(grep -v '^#' "$T/peer" | grep -o 'total=[0-9.]*s\|wall [0-9.]* s\|esys [0-9.]* s' | tail -1 | tr -dc '0-9.')
    if [ -z "$w" ] || awk "BEGIN{exit !($x < $w)}"; then w=$x; fi
    i=$((i + 1))
  done
  echo "$w"
}

row() { printf '| %-44s | %8s s | %6s MiB | %s |\n' "$1" "$2" "$3" "$4"; }

echo "| case | qpsim wall | peak RSS | peer, ratio, check |"
echo "|---|---|---|---|"
chain "$T/chain4.cir" 4; chain "$T/chain5.cir" 5; chain "$T/chain6.cir" 6
set -- $(best "$Q" run "$T/chain4.cir"); q=$1 r=$2
p=$(peer_time $PY bench/eigsh_chain.py 4 10)
row "chain of 4 transmons, automatic" "$q" "$r" "scipy eigsh at ncut 10: $p s, qpsim/peer $(awk "BEGIN{printf \"%.3f\", $q / $p}")"
for n in 5 6; do
  set -- $(best "$Q" run "$T/chain$n.cir"); q=$1 r=$2
  "$Q" run --json "$T/chain$n.cir" > "$T/c.json"
  check=$($PY - "$T/c.json" "$n" <<'PY'
import json, sys
want = {5: [-60.7168913009, -55.3192794357, -55.2434605004, -55.1450844743, -55.0613656336, -55.0264727429],
        6: [-72.8764222906, -67.4872120248, -67.4321811337, -67.3541643066, -67.2726364361, -67.2105162389]}
a = json.load(open(sys.argv[1]))['analyses'][0]
n = int(sys.argv[2])
dev = max(abs(x - y) / abs(y) for x, y in zip(a['levels'], want[n]))
print('%s, %d kept product states; max rel. dev. from tests/oracles/transmon_chain.py %.1e'
      % (a['method'], a['dim'], dev))
PY
)
  row "chain of $n transmons, automatic" "$q" "$r" "$check"
done
# array fluxonium (three junctions): extended normal modes against the exact charge basis
set -- $(best "$Q" run examples/array_fluxonium.cir); q=$1 r=$2
sed 's/levels=4/levels=4 method=exact/' examples/array_fluxonium.cir > "$T/ax.cir"
set -- $(REPEAT=1 best "$Q" run "$T/ax.cir"); qx=$1
"$Q" run --json examples/array_fluxonium.cir > "$T/a.json"; "$Q" run --json "$T/ax.cir" > "$T/ax.json"
dev=$($PY -c "import json,sys; a,b=(json.load(open(f))['analyses'][0]['levels'] for f in sys.argv[1:]); print('%.1e' % max(abs(x-y) for x,y in zip(a,b)))" "$T/a.json" "$T/ax.json")
row "examples/array_fluxonium.cir (3-junction array)" "$q" "$r" "method=exact (charge basis) $qx s, ratio $(awk "BEGIN{printf \"%.4f\", $q / $qx}"); max diff $dev GHz (target 1e-8)"
set -- $(best "$Q" run examples/mutual_inductance.cir); row "examples/mutual_inductance.cir" "$1" "$2" "target < 2 s"
set -- $(best "$Q" run bench/fluxonium_sweep401.cir); q=$1 r=$2
if [ -n "${SCQUBITS:-}" ]; then
  p=$(PYTHONPATH=$SCQUBITS peer_time $PY bench/scqubits_peer.py fluxonium-sweep --cutoff 76)
  row "fluxonium, 401-point flux sweep" "$q" "$r" "scqubits Fluxonium sweep at equal accuracy: $p s, qpsim/peer $(awk "BEGIN{printf \"%.3f\", $q / $p}")"
else
  row "fluxonium, 401-point flux sweep" "$q" "$r" "(SCQUBITS unset: no peer)"
fi
set -- $(best "$Q" run netlists/zero_pi.cir); q=$1 r=$2
"$Q" run --json netlists/zero_pi.cir > "$T/z.json"
check=$($PY - "$T/z.json" <<'PY'
import json, sys
want = [-2.94529504948, -2.91807023457, -2.83215796449, -2.80493314958, -2.71902087950, -2.69179606459]
a = json.load(open(sys.argv[1]))['analyses'][0]
print('max rel. dev. from tests/oracles/zero_pi_protected.py %.1e (target 1e-7), with dispersions'
      % max(abs(x - y) / abs(y) for x, y in zip(a['levels'], want)))
PY
)
row "netlists/zero_pi.cir (protected 0-pi, automatic)" "$q" "$r" "$check; target < 60 s"
sed 's/basis=grid/basis=grid dispersion=no/' bench/zero_pi_reduced.cir > "$T/zp.cir"
set -- $(best "$Q" run "$T/zp.cir"); q=$1 r=$2
if [ -n "${SCQUBITS:-}" ]; then # ZeroPi at the grid that matches the deck's 1e-9 (N 321), esys only
  p=$(PYTHONPATH=$SCQUBITS $PY bench/scqubits_peer.py zeropi-reduced 2>/dev/null | grep 'N=321' | grep -o 'esys [0-9.]* s' | tr -dc '0-9.')
  row "bench/zero_pi_reduced.cir (reduced, no dispersions)" "$q" "$r" "scqubits ZeroPi esys at equal accuracy (N 321): $p s, qpsim/peer $(awk "BEGIN{printf \"%.3f\", $q / $p}")"
  # the same two solves in one Python process (bench/python_zero_pi.py): no program start for either
  if [ -d "$B/python/qpsim" ]; then
    o=$(PYTHONPATH="$B/python:$SCQUBITS" $PY bench/python_zero_pi.py 2>/dev/null)
    tq=$(echo "$o" | sed -n 's/^qpsim.* \([0-9.]*\) s (best.*/\1/p')
    tp=$(echo "$o" | sed -n 's/^scqubits.* \([0-9.]*\) s (best.*/\1/p')
    row "reduced 0-pi from Python (bench/python_zero_pi.py)" "$tq" "-" "scqubits ZeroPi eigenvals at equal accuracy (N 321) in the same process: $tp s, qpsim/peer $(awk "BEGIN{printf \"%.3f\", $tq / $tp}") (target 0.2)"
  fi
else
  row "bench/zero_pi_reduced.cir (reduced, no dispersions)" "$q" "$r" "(SCQUBITS unset: no peer)"
fi
slow=0 worst=''
for f in netlists/*.cir examples/*.cir examples/*/*.cir; do
  /usr/bin/time -f '%e' -o "$T/t" "$Q" run "$f" > /dev/null 2>&1 || true
  w=$(cat "$T/t" | tail -1)
  if awk "BEGIN{exit !($w > $slow)}"; then slow=$w worst=$f; fi
done
row "slowest bundled deck ($worst)" "$slow" "-" "target < 10 s"
