#!/bin/sh
# Strong scaling under mpirun (docs/scale.md): the same deck on 1 and 2 processes in the same
# run, wall time (the median of several runs for the short sweeps) and peak RSS per process
# (/usr/bin/time's maximum over mpirun's children), the ratio also after subtracting each
# process count's start-up (mpirun and MPI_Init alone), and the largest level difference. One thread per process (-j1), so that the
# processes are the only parallelism.
#   sh bench/mpi.sh [build-dir]            both cases
#   CASES=sweep sh bench/mpi.sh            only the fluxonium sweeps (seconds)
#   CASES=chain sh bench/mpi.sh            only the five-transmon chain (minutes, ~2 GiB)
# As root, Open MPI needs OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 (set here).
set -eu
cd "$(dirname "$0")/.."
. bench/common.sh
CASES=${CASES:-sweep chain}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
command -v mpirun >/dev/null || { echo "bench/mpi.sh: install openmpi-bin" >&2; exit 2; }

. bench/chain.sh

one() { # one NP DECK OUT: "wall rss_mib" of mpirun -np NP qpsim run --json -j1 DECK > OUT
  # (DECK --version: qpsim --version)
  t0=$(date +%s%N)
  if [ "$2" = --version ]; then set -- "$1" "$2" "$3" --version; else set -- "$1" "$2" "$3" run --json -j1 "$2"; fi
  n=$1 out=$3
  shift 3
  /usr/bin/time -f '%M' -o "$T/t" mpirun --oversubscribe -np "$n" "$Q" "$@" > "$out"
  t1=$(date +%s%N)
  read -r r < "$T/t"
  echo "$(awk "BEGIN{printf \"%.3f\", ($t1 - $t0) / 1e9}") $((r / 1024))"
}

# The launcher's own cost: mpirun starting N processes that start MPI and end (qpsim --version
# does nothing else); the median of five, per process count.
startup() {
  for i in 1 2 3 4 5; do one "$1" --version "$T/v.txt"; done | cut -d' ' -f1 | sort -n | sed -n 3p
}

best() { # best REPS NP DECK OUT: "wall rss" of the median-wall run of REPS runs on NP processes
  for i in $(seq "$1"); do one "$2" "$3" "$4"; done | sort -n | sed -n "$((($1 + 1) / 2))p"
}

row() { # row REPS LABEL DECK
  r=$1
  shift
  set -- "$1" "$2" $(best "$r" 1 "$2" "$T/one.json") $(best "$r" 2 "$2" "$T/two.json")
  diff=$($PY -c "
import json, sys
flat = lambda v: [y for x in v for y in flat(x)] if isinstance(v, list) else [v]
a, b = (flat(json.load(open(p))['analyses'][0]['levels']) for p in sys.argv[1:])
print('%.1e' % max(abs(x - y) for x, y in zip(a, b)) if len(a) == len(b) else 'sizes differ')" "$T/one.json" "$T/two.json")
  ratio=$(awk "BEGIN{printf \"%.2f\", $5 / $3}")
  # the same without the start-up (each process count's own)
  work=$(awk "BEGIN{a = $3 - $S1; b = $5 - $S2; if (a > 0.005) printf \"%.2f\", b / a; else print \"-\"}")
  printf '| %-40s | %7s s | %7s s | %5s | %5s | %6s MiB | %6s MiB | %s |\n' "$1" "$3" "$5" \
    "$ratio" "$work" "$4" "$6" "$diff"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
S1=$(startup 1) S2=$(startup 2)
echo "start-up (mpirun -np N qpsim --version, median of 5): $S1 s on 1 process, $S2 s on 2"
echo "| case | 1 process | 2 processes | ratio | ratio after start-up | RSS 1 | RSS 2 (per process) | max level diff [GHz] |"
echo "|---|---|---|---|---|---|---|---|"
for c in $CASES; do
  case $c in
  sweep)
    row 5 "fluxonium, 401-point flux sweep" bench/fluxonium_sweep401.cir
    # the same with ten times the points: the part that is shared grows, the rest does not
    sed 's/^\.sweep f 0 1 401/.sweep f 0 1 4001/; /^\* check/d' bench/fluxonium_sweep401.cir > "$T/f4001.cir"
    row 3 "fluxonium, 4001-point flux sweep" "$T/f4001.cir" ;;
  chain)
    chain "$T/chain5.cir" 5 "ncut=10 method=distributed"
    row 1 "chain of 5 transmons, ncut 10 (4.1e6)" "$T/chain5.cir" ;;
  esac
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
