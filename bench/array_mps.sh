#!/bin/sh
# Junction-array fluxonium as a matrix-product state (docs/performance.md, "Junction arrays"):
# six junctions (mps and hierarchical, tol 1e-4 GHz) and twenty (bench/array_fluxonium20.cir,
# tol 1e-3 GHz), time and memory by /usr/bin/time -v, then twenty's f01 against the
# superinductance estimate (tests/oracles/array_superinductance.py) within 5e-3 GHz
# (docs/physics.md, "Matrix-product states"). Run from the source root with a built build/:
#     sh bench/array_mps.sh   (alone on the machine: the timings are the point)
set -e
QPSIM=${QPSIM:-build/src/qpsim}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for m in mps hierarchical; do
    /usr/bin/python3 bench/array_deck.py 6 40 0.1 1e-4 $m 4 > "$T/a6_$m.cir"
    echo "== six junctions, method=$m"
    /usr/bin/time -v "$QPSIM" run "$T/a6_$m.cir" 2> "$T/time" | grep -E "converged|mps:|f01"
    grep -E "Elapsed|Maximum resident" "$T/time"
done
echo "== twenty junctions (bench/array_fluxonium20.cir)"
/usr/bin/time -v "$QPSIM" run --json bench/array_fluxonium20.cir > "$T/a20.json" 2> "$T/time"
grep -E "Elapsed|Maximum resident" "$T/time"
/usr/bin/python3 - "$T/a20.json" <<'PY'
import json, subprocess, sys
s = [a for a in json.load(open(sys.argv[1]))["analyses"] if "levels" in a][0]
f01 = s["levels"][1] - s["levels"][0]
est = subprocess.run(["/usr/bin/python3", "tests/oracles/array_superinductance.py", "20",
                      "40", "0.1", "2"], capture_output=True, text=True, check=True)
ref = float(est.stdout.split()[-1])
print("f01 %.7f GHz (%s), estimate %.7f, difference %.2g (tolerance 5e-3)"
      % (f01, s.get("method"), ref, f01 - ref))
sys.exit(0 if abs(f01 - ref) <= 5e-3 else 1)
PY
