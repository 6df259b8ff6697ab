#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# libspex end to end on the device backend, inside the QEMU guest
# (make bench-lib-vm): spex.ko loaded, spex-serve in the guest on
# loopback, then bench_lib with SPEX_TEST_BACKEND=device and, for a side
# by side in the same guest, on the userspace engine. Every number is
# emulated (TCG) and labelled so.
set -eu

BUILD=${BUILD:-build}
for k in $(scripts/list-kernels.sh); do
	echo "== $k (emulated in QEMU)"
	tests/vm/run-guest.sh --kernel "$k" --out "$BUILD/vm/$k/bench-lib" \
		--timeout 900 -- /bin/sh -c "
			ip link set lo up 2>/dev/null
			insmod $BUILD/kmod/$k/spex.ko || exit 1
			export SPEX_SERVE=$BUILD/rel/bin/spex-serve
			echo '-- device backend'
			SPEX_TEST_BACKEND=device $BUILD/lib/bench_lib || exit 1
			echo '-- userspace backend, same guest'
			$BUILD/lib/bench_lib || exit 1
			rmmod spex" < /dev/null
done
