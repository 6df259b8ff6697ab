#!/bin/bash
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# Smoke test of the VM harness on every supported kernel
# (scripts/list-kernels.sh): build tests/vm/smoke/hello.ko against that
# kernel's headers, boot it, insmod/check/rmmod inside the guest, and fail on
# any kernel splat. Ends with "N passed, N failed".
#
#   tests/vm/smoke.sh [KVER...]      extra options via SPEX_VM_* variables
set -eu

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${SPEX_BUILD_DIR:-$repo/build}

if [ $# -gt 0 ]; then
	kernels=("$@")
else
	mapfile -t kernels < <("$repo/scripts/list-kernels.sh")
fi
[ ${#kernels[@]} -gt 0 ] || { echo "smoke: no kernels"; echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
for k in "${kernels[@]}"; do
	# One build directory per kernel: M= builds of two kernels in one
	# directory would overwrite each other's objects.
	dir=$build/vm/$k/smoke
	mkdir -p "$dir"
	cp "$here/smoke/hello.c" "$here/smoke/Kbuild" "$dir/"
	if ! make -C "/lib/modules/$k/build" M="$dir" modules > "$dir/build.log" 2>&1 < /dev/null; then
		echo "smoke: FAIL $k: module build failed:"
		sed 's/^/  | /' "$dir/build.log"
		failed=$((failed + 1))
		continue
	fi
	if "$here/run-guest.sh" --kernel "$k" --out "$dir" --share "$repo" \
		-- "$here/smoke/guest.sh" "$dir" < /dev/null; then
		echo "smoke: ok $k"
		passed=$((passed + 1))
	else
		echo "smoke: FAIL $k (exit $?; logs in $dir)"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
