#!/bin/sh
# Builds the libFuzzer targets with ASan+UBSan and fuzzes one of them from the repository's decks.
# usage: fuzz/run.sh [SECONDS] [TARGET]   (default 300 s, fuzz_run: the whole run path;
#        fuzz_netlist: the front end). Crashes land in fuzz/crashes/ (docs/reliability.md).
set -eu
cd "$(dirname "$0")/.."
secs=${1:-300}
target=${2:-fuzz_run}
if [ ! -d build-fuzz ]; then
  CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized -Dpython=disabled >/dev/null
fi
ninja -C build-fuzz "fuzz/$target" >/dev/null
mkdir -p fuzz/corpus-work fuzz/crashes
python3 tests/run_fuzz_run.py seeds . fuzz/corpus-work
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
  LSAN_OPTIONS=suppressions=tests/lsan.supp:print_suppressions=0 \
  "./build-fuzz/fuzz/$target" -max_total_time="$secs" -max_len=4096 -rss_limit_mb=2048 \
  -timeout=10 -dict=fuzz/netlist.dict -artifact_prefix=fuzz/crashes/ -print_final_stats=1 \
  fuzz/corpus-work fuzz/corpus 2>&1 | tail -n 25
