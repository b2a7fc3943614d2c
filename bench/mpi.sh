#!/bin/sh
# Strong scaling under mpirun (docs/scale.md): the same deck on 1 and 2 processes in the same
# run, wall time and peak RSS per process (/usr/bin/time's maximum over mpirun's children), and
# the largest level difference between the two. One thread per process (-j1), so that the
# processes are the only parallelism.
#   sh bench/mpi.sh [build-dir]            both cases
#   CASES=sweep sh bench/mpi.sh            only the fluxonium sweeps (seconds)
#   CASES=chain sh bench/mpi.sh            only the five-transmon chain (minutes, ~2 GiB)
# As root, Open MPI needs OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 (set here).
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
Q=$B/src/qpsim
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
CASES=${CASES:-sweep chain}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[ -x /usr/bin/time ] || { echo "bench/mpi.sh: install Debian's 'time' package" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "bench/mpi.sh: install openmpi-bin" >&2; exit 2; }

. bench/chain.sh

one() { # one NP DECK OUT: "wall rss_mib" of mpirun -np NP qpsim run --json -j1 DECK > OUT
  t0=$(date +%s%N)
  /usr/bin/time -f '%M' -o "$T/t" mpirun --oversubscribe -np "$1" "$Q" run --json -j1 "$2" > "$3"
  t1=$(date +%s%N)
  read -r r < "$T/t"
  echo "$(awk "BEGIN{printf \"%.2f\", ($t1 - $t0) / 1e9}") $((r / 1024))"
}

row() { # row LABEL DECK
  set -- "$1" "$2" $(one 1 "$2" "$T/one.json") $(one 2 "$2" "$T/two.json")
  diff=$($PY -c "
import json, sys
flat = lambda v: [y for x in v for y in flat(x)] if isinstance(v, list) else [v]
a, b = (flat(json.load(open(p))['analyses'][0]['levels']) for p in sys.argv[1:])
print('%.1e' % max(abs(x - y) for x, y in zip(a, b)) if len(a) == len(b) else 'sizes differ')" "$T/one.json" "$T/two.json")
  ratio=$(awk "BEGIN{printf \"%.2f\", $5 / $3}")
  printf '| %-40s | %7s s | %7s s | %5s | %6s MiB | %6s MiB | %s |\n' "$1" "$3" "$5" "$ratio" \
    "$4" "$6" "$diff"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "| case | 1 process | 2 processes | ratio | RSS 1 | RSS 2 (per process) | max level diff [GHz] |"
echo "|---|---|---|---|---|---|---|"
for c in $CASES; do
  case $c in
  sweep)
    row "fluxonium, 401-point flux sweep" bench/fluxonium_sweep401.cir
    # the same with ten times the points: the part that is shared grows, the rest does not
    sed 's/^\.sweep f 0 1 401/.sweep f 0 1 4001/; /^\* check/d' bench/fluxonium_sweep401.cir > "$T/f4001.cir"
    row "fluxonium, 4001-point flux sweep" "$T/f4001.cir" ;;
  chain)
    chain "$T/chain5.cir" 5 "ncut=10 method=distributed"
    row "chain of 5 transmons, ncut 10 (4.1e6)" "$T/chain5.cir" ;;
  esac
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
