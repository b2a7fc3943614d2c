#!/bin/sh
# Builds the libFuzzer target with ASan+UBSan and fuzzes the netlist front end.
# usage: fuzz/run.sh [SECONDS]   (default 300); crashes land in fuzz/crashes/.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-300}
if [ ! -d build-fuzz ]; then
  CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C build-fuzz fuzz/fuzz_netlist >/dev/null
mkdir -p fuzz/corpus-work fuzz/crashes
cp -n netlists/*.cir examples/*.cir tests/*/*.cir fuzz/corpus-work/ 2>/dev/null || true
UBSAN_OPTIONS=halt_on_error=1 ./build-fuzz/fuzz/fuzz_netlist -max_total_time="$secs" -max_len=4096 \
  -rss_limit_mb=2048 -timeout=10 -dict=fuzz/netlist.dict -artifact_prefix=fuzz/crashes/ \
  fuzz/corpus-work fuzz/corpus 2>&1 | tail -n 15
