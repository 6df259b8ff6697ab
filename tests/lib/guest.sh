#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# libspex on the device backend, inside the QEMU guest (tests/vm/), with
# spex.ko already loaded so /dev/spex exists: the API tests and the
# offload tests (spex-serve runs in the guest, on 127.0.0.1) with
# SPEX_TEST_BACKEND=device, once through io_uring uring_cmd and once
# forced to the ioctl, then the spexctl smoke test, which uses the device
# for load/list/policy/stats/unload, and the Python binding's suite on
# the device. Ends with "N passed, N failed".
#
#   tests/lib/guest.sh [BUILD]
#
# From the host, e.g. after the selftests in the same guest boot:
#   tests/vm/run-guest.sh --kernel 6.12 -- /bin/sh -c \
#     'insmod build/kmod/KVER/spex.ko && tests/lib/guest.sh build'
set -u

B=${1:-build}
. "$(dirname "$0")/../../scripts/count-results.sh"
export SPEX_SERVE="$B/rel/bin/spex-serve"
pass=0
fail=0

if [ ! -e /dev/spex ]; then
	echo "not ok - /dev/spex is missing (load spex.ko first)"
	echo "0 passed, 1 failed"
	exit 1
fi
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up 2>/dev/null

run() {	# run LABEL ENV... -- PROGRAM
	label=$1
	shift
	echo "# $label"
	out=$(env "$@" 2>&1)
	rc=$?
	echo "$out"
	if ! count_results - <<EOF
$out
EOF
	then
		p=$(echo "$out" | grep -c '^ok ')
		f=$(echo "$out" | grep -c '^not ok ')
	fi
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	pass=$((pass + p))
	fail=$((fail + f))
}

for t in "$B"/lib/tests/test_lib_*; do
	name=$(basename "$t")
	run "$name (device, uring_cmd)" SPEX_TEST_BACKEND=device "$t"
	run "$name (device, ioctl)" SPEX_TEST_BACKEND=device \
		SPEX_TEST_NO_URING=1 "$t"
done
run "spexctl-smoke (device)" tests/lib/spexctl-smoke.sh "$B"
# The Python binding (tests/python/test_binding.py) on the device.
run "python (device, uring_cmd)" SPEX_TEST_BACKEND=device BUILD="$B" \
	scripts/check-python.sh tests/python/test_binding.py
run "python (device, ioctl)" SPEX_TEST_BACKEND=device SPEX_TEST_NO_URING=1 \
	BUILD="$B" scripts/check-python.sh tests/python/test_binding.py

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
