#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# The python suite: every tests/python/test_*.py (the binding in
# lib/python/spex on libspex, and the PyTorch front end) on the backend
# SPEX_TEST_BACKEND names (default user). Ends with "N passed, N failed".
#
#   scripts/check-python.sh [TEST.py...]  (default: every test; BUILD=build)
#   SPEX_TEST_BACKEND=device ...        on /dev/spex (tests/lib/guest.sh)
set -u

BUILD=${BUILD:-build}
export BUILD
PYTHON=${PYTHON:-/usr/bin/python3}
# No __pycache__ in the source tree (the guest shares it).
export PYTHONDONTWRITEBYTECODE=1
. "$(dirname "$0")/count-results.sh"
pass=0
fail=0

[ $# -gt 0 ] || set -- tests/python/test_*.py
for t in "$@"; do
	[ -r "$t" ] || continue
	run_counted "$(basename "$t")" 600 "$PYTHON" "$t"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
