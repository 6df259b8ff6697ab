#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# The "bpf" check suite (make check): spex-trace and the bpf programs.
#   - tests/bpf/test_powercap on the host (the measured-energy path
#     against a fake powercap tree);
#   - tests/bpf/run-in-guest.sh in a QEMU guest on every supported kernel
#     (scripts/list-kernels.sh), with that kernel's spex.ko.
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

for k in $(cd "$repo" && scripts/list-kernels.sh); do
	if [ ! -e "$BUILD/kmod/$k/spex.ko" ]; then
		echo "not ok - $k: no $BUILD/kmod/$k/spex.ko (make kmod)"
		fail=$((fail + 1))
		continue
	fi
	echo "# ==== guest $k"
	(cd "$repo" && tests/vm/run-guest.sh --kernel "$k" --timeout 600 -- \
		"$repo/tests/bpf/run-in-guest.sh" "$BUILD/kmod/$k" "$bin" "$trace") \
		> "$log" 2>&1
	rc=$?
	cat "$log"
	add "$log"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $k: guest run exited $rc"
		fail=$((fail + 1))
	fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
