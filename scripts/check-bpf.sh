#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# The "bpf" check suite (make check): spex-trace and the bpf programs.
#   - tests/bpf/test_powercap on the host (the measured-energy path
#     against a fake powercap tree);
#   - tests/bpf/run-in-guest.sh in a QEMU guest on every supported kernel
#     (scripts/guest-suite.sh), with that kernel's spex.ko.
# Ends with "N passed, N failed". Expects `make all kmod` done (make check
# builds both first).
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$repo/$BUILD ;; esac
bin=$BUILD/bpf/tests
trace=$BUILD/rel/bin/spex-trace
pass=0
fail=0

. "$repo/scripts/count-results.sh"
. "$repo/scripts/guest-suite.sh"

add() {	# add LOG: add up its last "N passed, N failed" line
	if ! count_results "$1"; then
		fail=$((fail + 1))
		return
	fi
	pass=$((pass + p))
	fail=$((fail + f))
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT

"$bin/test_powercap" > "$log" 2>&1
cat "$log"
add "$log"

guest_suite 600 "$repo/tests/bpf/run-in-guest.sh" "$bin" "$trace"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
