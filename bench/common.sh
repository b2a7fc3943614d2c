# Sourced by the bench scripts after `cd` to the checkout: the build folder B (first argument,
# default build), the program Q, Debian's python PY, a scratch folder T removed on exit, and the
# check that Debian's time (for wall time and peak RSS) is installed.
B=${1:-build}
Q=$B/src/qpsim
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ -x /usr/bin/time ] || { echo "$0: install Debian's 'time' package" >&2; exit 2; }
