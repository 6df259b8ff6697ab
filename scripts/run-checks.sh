#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# Run the named test suites and add up their closing lines.
#
#   scripts/run-checks.sh SUITE...
#
# A suite is a program that ends its output with "N passed, N failed":
#   unit     every unit-test binary, release and ASan+UBSan builds
#   other    scripts/check-SUITE.sh
# A suite that exits non-zero without reporting a failure counts as one
# failure, so a crash can never pass. The last line is the total.
set -u

BUILD=${BUILD:-build}
. "$(dirname "$0")/count-results.sh"
total_pass=0
total_fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_one() {
	label=$1
	shift
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	count_results "$log"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "== $label: exited $rc without a failure count; counted as 1 failure"
		f=1
	fi
	echo "== $label: $p passed, $f failed"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}

for suite in "$@"; do
	case "$suite" in
	unit)
		for flavour in rel san; do
			for t in "$BUILD/$flavour/tests"/test_*; do
				[ -x "$t" ] || continue
				run_one "$flavour/$(basename "$t")" "$t"
			done
		done
		;;
	*)
		run_one "$suite" "scripts/check-$suite.sh"
		;;
	esac
done

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
