# SPDX-License-Identifier: MIT OR GPL-2.0
#
# The kernel loop that the guest check suites (bpf, edge) share. Sourced
# (POSIX sh) after scripts/count-results.sh:
#
#   guest_suite TIMEOUT SCRIPT [ARG...]
#
# On every supported kernel (scripts/list-kernels.sh, or the kernels named
# in $SPEX_SUITE_KERNELS) it boots a QEMU guest (tests/vm/run-guest.sh)
# and runs "SCRIPT KMOD_DIR ARG..." there, KMOD_DIR being that kernel's
# $BUILD/kmod/KVER, and adds the run's "N passed, N failed" line to $pass
# and $fail. One failure is counted for a kernel without spex.ko, a run
# without that line, and a guest that exits non-zero without a failing
# test (a splat in dmesg, a panic, a timeout). Needs $repo and $BUILD
# (absolute).

guest_suite() {
	_gs_timeout=$1
	_gs_script=$2
	shift 2
	_gs_log=$(mktemp)
	for _gs_k in ${SPEX_SUITE_KERNELS:-$(cd "$repo" && scripts/list-kernels.sh)}; do
		if [ ! -e "$BUILD/kmod/$_gs_k/spex.ko" ]; then
			echo "not ok - $_gs_k: no $BUILD/kmod/$_gs_k/spex.ko (make kmod)"
			fail=$((fail + 1))
			continue
		fi
		echo "# ==== guest $_gs_k"
		(cd "$repo" && tests/vm/run-guest.sh --kernel "$_gs_k" \
			--timeout "$_gs_timeout" -- \
			"$_gs_script" "$BUILD/kmod/$_gs_k" "$@") > "$_gs_log" 2>&1
		_gs_rc=$?
		cat "$_gs_log"
		if count_results "$_gs_log"; then
			pass=$((pass + p))
			fail=$((fail + f))
		else
			fail=$((fail + 1))
		fi
		if [ "$_gs_rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "not ok - $_gs_k: guest run exited $_gs_rc (a splat in dmesg, a panic or a timeout)"
			fail=$((fail + 1))
		fi
	done
	rm -f "$_gs_log"
}
