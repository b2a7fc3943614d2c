#!/bin/sh
# One-step set-up for a fresh Debian 12 machine (as root): installs the missing Debian packages,
# configures and builds qpsim, then either installs and runs it or runs every test.
#   sh tools/setup.sh run    build, install under /usr/local (the program, the C library and the
#                            Python package qpsim for Debian's python3), then: qpsim run
#                            netlists/transmon.cir
#   sh tools/setup.sh test   build, then the whole test suite (the Python tests with pytest), also
#                            under ASan+UBSan (the C tests)
set -eu
cd "$(dirname "$0")/.."
mode=${1:-run}

pkgs="build-essential meson ninja-build pkg-config python3 libarpack2-dev libsuitesparse-dev
      libfftw3-dev libopenblas-dev liblapack-dev libcjson-dev libplplot-dev plplot-driver-cairo
      python3-dev python3-numpy python3-matplotlib python3-pytest
      python3-jsonschema openmpi-bin libopenmpi-dev libparpack2-dev"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "tools/setup.sh: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

configure() { # configure() DIR [meson options...]
  dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
}

configure build
meson compile -C build >/dev/null

case "$mode" in
run)
  # `import qpsim` from any folder: the package goes to /usr/local/lib/python3.X/dist-packages
  if ! meson install -C build --no-rebuild >/dev/null; then
    echo "tools/setup.sh: could not install (not root?); for the Python package use" \
      "PYTHONPATH=$(pwd)/build/python" >&2
  fi
  ./build/src/qpsim run netlists/transmon.cir
  ;;
test)
  status=0
  meson test -C build --print-errorlogs || status=1
  # without MPI: keeps the single-process build tested (and Open MPI's own allocations out of
  # LeakSanitizer's report)
  configure build-san -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug \
    -Dmpi=disabled
  meson compile -C build-san >/dev/null
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-san --print-errorlogs || status=1
  exit $status
  ;;
*)
  echo "usage: sh tools/setup.sh run|test" >&2
  exit 2
  ;;
esac
