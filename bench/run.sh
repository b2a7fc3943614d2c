#!/bin/sh
# Spectrum benchmark (issue 3): build + 6 lowest levels for reference circuits at several
# dimensions. Prints one table row per case: wall time, peak memory (from /usr/bin/time -v),
# Hilbert-space dimension and eigensolver. Chains of 5 and 6 transmons (dimension 4.1e6 and 8.6e7)
# are left out: the product basis alone exceeds the 2 GiB budget. Each case runs REPEAT times
# (default 3) and the row shows the fastest wall time (this VM's timings vary by ~10 % from run to
# run) and the largest peak memory. Run by hand on an idle machine:
#   sh bench/run.sh [build-dir]          (default build; needs /usr/bin/time from Debian's time)
#   REPEAT=1 sh bench/run.sh             (one run per case)
set -eu
cd "$(dirname "$0")/.."
. bench/common.sh

transmon() { # transmon NAME NCUT
  printf 'B1 1 0 ej=15\nC1 1 0 ec=0.3\n.ng 1 0.25\n.spectrum levels=6 ncut=%s\n' "$2" > "$T/$1.cir"
}
coupled() { # coupled NAME NCUT: two transmons with a coupling capacitor, offsets on both
  printf 'B1 1 0 ej=15\nC1 1 0 ec=0.3\nB2 2 0 ej=12.5\nC2 2 0 ec=0.28\nCC 1 2 2fF\n' > "$T/$1.cir"
  printf '.ng 1 0.25\n.ng 2 0.1\n.spectrum levels=6 ncut=%s\n' "$2" >> "$T/$1.cir"
}
. bench/chain.sh

REPEAT=${REPEAT:-3}
run() { # run LABEL DECK
  wall='' rss=0 i=0
  while [ "$i" -lt "$REPEAT" ]; do
    /usr/bin/time -v "$Q" run --json "$2" > "$T/out.json" 2> "$T/time.txt" || {
      printf '| %-34s | failed: %s |\n' "$1" "$(grep -m1 -v '^\s' "$T/time.txt" | cut -c1-80)"
      return 0
    }
    w=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$T/time.txt")
    r=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$T/time.txt")
    if [ -z "$wall" ] || [ "$(printf '%s\n%s\n' "$w" "$wall" | sort | head -1)" = "$w" ]; then
      wall=$w
    fi
    [ "$r" -gt "$rss" ] && rss=$r
    i=$((i + 1))
  done
  info=$(python3 -c "import json,sys; a=json.load(open(sys.argv[1]))['analyses'][0]; print(a['dim'], a['eigensolver'], '%.10f' % a['levels'][0])" "$T/out.json")
  printf '| %-34s | %8s | %7s MiB | %s |\n' "$1" "$wall" "$rss" "$info"
}

echo "| case | wall (m:ss) | peak RSS | dim, eigensolver, E0 [GHz] |"
echo "|---|---|---|---|"
transmon t30 30;          run "transmon, ncut 30" "$T/t30.cir"
run "fluxonium (automatic cutoffs)" netlists/fluxonium.cir
[ -f netlists/zero_pi.cir ] && run "0-pi (netlists/zero_pi.cir)" netlists/zero_pi.cir
coupled c1e4 50;          run "coupled transmons, ncut 50 (1.0e4)" "$T/c1e4.cir"
coupled c1e5 158;         run "coupled transmons, ncut 158 (1.0e5)" "$T/c1e5.cir"
coupled c1e6 500;         run "coupled transmons, ncut 500 (1.0e6)" "$T/c1e6.cir"
for n in 2 3 4; do
  chain "$T/chain$n.cir" "$n" ncut=10;   run "chain of $n transmons, ncut 10" "$T/chain$n.cir"
done
