#!/bin/sh
# Transient benchmark (issue 5): the overdamped RSJ of examples/tran/rsj.cir (150 uA into
# Ic = 100 uA, 1 Ohm, 20 ns, traces sampled every 0.05 ps) at several tolerances; wall time (best
# of 3) without files, with the CSV of the phase only (JoSIM's output), with every file of -o;
# integrator steps, and the error of the simulated frequency against the closed form
# R sqrt(I^2 - Ic^2)/Phi0. With JOSIM=/path/to/josim (built as docs/performance.md says) the same
# circuit runs in JoSIM at several fixed steps, its frequency measured the same way (whole
# periods of the phase in the second half).
#   sh bench/tran.sh [build-dir]
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
Q=$B/src/qpsim
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
best() { # best CMD... : best wall time of 3 runs in seconds
  b=''
  for i in 1 2 3; do
    s=$(python3 -c 'import subprocess,sys,time; t=time.perf_counter(); subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); print("%.4f" % (time.perf_counter()-t))' "$@")
    if [ -z "$b" ] || [ "$(python3 -c "print(int($s < $b))")" = 1 ]; then b=$s; fi
  done
  echo "$b"
}
echo "| program | setting | steps | steps/s | wall, no files (s) | wall with CSV of the phase (s) | with -o: all signals, FFT, PNG (s) | frequency error |"
echo "|---|---|---|---|---|---|---|---|"
for rt in 1e-2 1e-3 1e-4 1e-5 1e-6 1e-7; do
  sed "s/^\.tran 0\.05p 20n.*/.tran 0.05p 20n rtol=$rt/" examples/tran/rsj.cir > "$T/rsj.cir"
  sed "s/^\.tran 0\.05p 20n.*/.tran 0.05p 20n rtol=$rt\n.print phase B1/" examples/tran/rsj.cir > "$T/rsjp.cir"
  w=$(best "$Q" run --json "$T/rsj.cir")
  wp=$(best "$Q" run -o "$T/outp" "$T/rsjp.cir")
  wc=$(best "$Q" run -o "$T/out" "$T/rsj.cir")
  "$Q" run --json "$T/rsj.cir" > "$T/o.json"
  python3 - "$T/o.json" "$rt" "$w" "$wp" "$wc" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["analyses"][0]
f0 = (150e-6 ** 2 - 100e-6 ** 2) ** 0.5 / 2.067833848e-15
e = (a["frequencies"][0]["f_sim_Hz"] - f0) / f0
print("| qpsim | rtol %s | %d | %.2g | %s | %s | %s | %+.1e |" % (sys.argv[2], a["steps"], a["steps"] / float(sys.argv[3]), sys.argv[3], sys.argv[4], sys.argv[5], e))
PY
done
[ -n "${JOSIM:-}" ] || exit 0
for h in 0.05 0.1 0.2 0.5 1; do
  cat > "$T/j.cir" <<JD
* RSJ benchmark
.model jjmod jj(rtype=0, rn=1, cap=0, icrit=100u)
B1 1 0 jjmod area=1
I1 0 1 dc 150u
.tran ${h}p 20n 0 ${h}p
.print phase B1
.end
JD
  w=$(best "$JOSIM" -m -o "$T/j.csv" "$T/j.cir")
  python3 - "$T/j.csv" "$h" "$w" <<'PY'
import csv, math, sys
rows = [r for r in csv.reader(open(sys.argv[1]))][1:]
t = [float(r[0]) for r in rows]; p = [float(r[1]) for r in rows]
half = len(t) // 2
cross = []
for i in range(half + 1, len(t)):
    k0, k1 = math.floor(p[i - 1] / (2 * math.pi)), math.floor(p[i] / (2 * math.pi))
    if k1 > k0:
        x = 2 * math.pi * k1
        cross.append(t[i - 1] + (x - p[i - 1]) / (p[i] - p[i - 1]) * (t[i] - t[i - 1]))
f = (len(cross) - 1) / (cross[-1] - cross[0])
f0 = (150e-6 ** 2 - 100e-6 ** 2) ** 0.5 / 2.067833848e-15
n = round(20 / float(sys.argv[2]) * 1000)
print("| JoSIM | step %s ps | %d | %.2g | | %s | | %+.1e |" % (sys.argv[2], n, n / float(sys.argv[3]), sys.argv[3], (f - f0) / f0))
PY
done
