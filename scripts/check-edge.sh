#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# The "edge" check suite (make check): the edge datapath
# (bpf/spex_edge.bpf.c through spex.ko's kfunc, tools/spex-edge) in a QEMU
# guest on every supported kernel (scripts/list-kernels.sh):
# tests/edge/run-in-guest.sh. The model is the demo's trained MNIST
# head/tail (scripts/demo.sh trains it once, cached) and the images are
# real MNIST test images. Ends with "N passed, N failed". Expects
# `make all kmod` done (make check builds both first).
#   SPEX_EDGE_N   frames per run (default 300)
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/count-results.sh"
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$repo/$BUILD ;; esac
cache=${SPEX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spex}
model=${SPEX_DEMO_DIR:-$cache/demo-model}
pass=0
fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# The trained head and tail, and the test images, where the guest sees
# them (it shares only the repository).
if [ ! -s "$model/head.spx" ]; then
	(cd "$repo" && scripts/get-datasets.sh mnist > /dev/null &&
	 "$BUILD/rel/bin/spex-train" -o "$model" --reuse > /dev/null) ||
		{ echo "not ok - no trained model in $model"; echo "0 passed, 1 failed"; exit 1; }
fi
mdir=$BUILD/edge/model
mkdir -p "$mdir"
cp "$model/head.spx" "$model/tail.spx" "$model/test-images-idx3-ubyte" "$mdir/"

for k in $(cd "$repo" && scripts/list-kernels.sh); do
	if [ ! -e "$BUILD/kmod/$k/spex.ko" ]; then
		echo "not ok - $k: no $BUILD/kmod/$k/spex.ko (make kmod)"
		fail=$((fail + 1))
		continue
	fi
	echo "# ==== guest $k"
	(cd "$repo" && tests/vm/run-guest.sh --kernel "$k" --timeout 900 -- \
		"$repo/tests/edge/run-in-guest.sh" "$BUILD/kmod/$k" "$BUILD" \
		"$mdir" "${SPEX_EDGE_N:-300}") > "$log" 2>&1
	rc=$?
	cat "$log"
	if count_results "$log"; then
		pass=$((pass + p))
		fail=$((fail + f))
	else
		fail=$((fail + 1))
	fi
	if [ "$rc" -ne 0 ] && ! grep -q 'passed, [1-9][0-9]* failed' "$log"; then
		echo "not ok - $k: guest run exited $rc (a splat in dmesg, or a timeout)"
		fail=$((fail + 1))
	fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
