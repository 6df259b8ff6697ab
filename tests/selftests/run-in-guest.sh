#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the test guest (tests/vm/run-guest.sh): load spex.ko and the
# companion module, run the selftests, unload both.
#
#   tests/selftests/run-in-guest.sh KODIR BINDIR [TEST...]
#
# KODIR holds this kernel's spex.ko and spex_kapi_test.ko, BINDIR the
# selftest programs; TEST names a subset (default: every *_test). Each
# program prints kselftest TAP ending in "# Totals: ..."; module load and
# unload are reported as TAP lines of their own. Exit status: 0 when
# everything passed.
set -u

kodir=$1
bindir=$2
shift 2
rc=0

step() {	# step NAME COMMAND...: one TAP line for a set-up step
	local name=$1
	shift
	if "$@"; then
		echo "ok - $name"
		echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
	else
		echo "not ok - $name"
		echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
		rc=1
	fi
}

step "insmod spex.ko" insmod "$kodir/spex.ko"
step "insmod spex_kapi_test.ko" insmod "$kodir/spex_kapi_test.ko"
grep -q spex /proc/modules || exit 1

if [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=()
	for t in "$bindir"/*_test; do
		[ -x "$t" ] && tests+=("$(basename "$t")")
	done
fi
for t in "${tests[@]}"; do
	echo "# ==== $t ($(uname -r))"
	"$bindir/$t" || rc=1
done

# libspex on the device backend (tests/lib/guest.sh), while spex.ko is
# loaded: its "N passed, N failed" becomes a Totals line like the rest.
if [ -n "${SPEX_LIB_GUEST:-}" ]; then
	echo "# ==== libspex device backend ($(uname -r))"
	out=$(tests/lib/guest.sh "$SPEX_LIB_GUEST" 2>&1)
	lrc=$?
	echo "$out"
	. "$(dirname "$0")/../../scripts/count-results.sh"
	if count_results - <<EOF
$out
EOF
	then
		lp=$p lf=$f
	else
		lp=0 lf=1
	fi
	[ "$lrc" -ne 0 ] && [ "$lf" -eq 0 ] && lf=1
	echo "# Totals: pass:$lp fail:$lf xfail:0 xpass:0 skip:0 error:0"
	[ "$lf" -eq 0 ] || rc=1
fi

step "rmmod spex_kapi_test" rmmod spex_kapi_test
step "rmmod spex" rmmod spex
exit $rc
