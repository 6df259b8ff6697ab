#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# The libspex suite: every tests/lib program (API on the user backend,
# offload through spex-serve and fault injection, all on 127.0.0.1),
# then spexctl smoke tests. Ends with "N passed, N failed".
#
#   scripts/check-lib.sh            (BUILD=build by default)
#   SPEX_TEST_BACKEND=device ...    run the API tests on /dev/spex
set -u

BUILD=${BUILD:-build}
. "$(dirname "$0")/count-results.sh"
export SPEX_SERVE=${SPEX_SERVE:-$BUILD/rel/bin/spex-serve}
pass=0
fail=0

for t in "$BUILD"/lib/tests/test_*; do
	[ -x "$t" ] || continue
	run_counted "$(basename "$t")" 120 "$t"
done

if [ -x tests/lib/spexctl-smoke.sh ]; then
	echo "# spexctl-smoke"
	out=$(timeout 120 tests/lib/spexctl-smoke.sh "$BUILD" 2>&1)
	rc=$?
	echo "$out"
	p=$(echo "$out" | grep -c '^ok ')
	f=$(echo "$out" | grep -c '^not ok ')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
