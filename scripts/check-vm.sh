#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The "vm" check suite: build spex.ko and the selftests, then on every
# supported kernel (scripts/list-kernels.sh) boot a QEMU guest, insmod,
# run the selftests, rmmod, and check dmesg for splats (tests/vm/run-guest.sh
# fails the run on BUG, WARNING, Oops, refcount_t, scheduling while atomic,
# Redzone, Poison overwritten, Object padding).
#
#   scripts/check-vm.sh [KVER...]
#
# Counts every kselftest result of every kernel; a guest that fails
# without a failing test (a splat, a panic, a timeout) counts as one
# failure. Ends with "N passed, N failed".
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 1
build=${BUILD:-build}

if ! make -s kmod selftests > "$build/check-vm-build.log" 2>&1; then
	cat "$build/check-vm-build.log"
	echo "vm: build failed"
	echo "0 passed, 1 failed"
	exit 1
fi
if [ $# -gt 0 ]; then
	kernels=("$@")
else
	mapfile -t kernels < <(scripts/list-kernels.sh)
fi
[ ${#kernels[@]} -gt 0 ] || { echo "vm: no kernels"; echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
for k in "${kernels[@]}"; do
	out=$build/vm/$k/selftests
	mkdir -p "$out"
	echo "== vm: $k"
	tests/vm/run-guest.sh --kernel "$k" --out "$out" --timeout 900 \
		--env SPEX_LIB_GUEST="$build" -- \
		tests/selftests/run-in-guest.sh "$build/kmod/$k" "$build/selftests" \
		> "$out/run.log" 2>&1 < /dev/null
	rc=$?
	cat "$out/run.log"
	p=0
	f=0
	while read -r tp tf; do
		p=$((p + tp))
		f=$((f + tf))
	done < <(sed -nE 's/^# Totals: pass:([0-9]+) fail:([0-9]+).*/\1 \2/p' "$out/run.log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "vm: $k: guest exited $rc without a failing test (splat, panic or timeout); logs in $out"
		f=1
	fi
	echo "== vm: $k: $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
