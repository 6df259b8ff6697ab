#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# The "edge" check suite (make check): the edge datapath
# (bpf/spex_edge.bpf.c through spex.ko's kfunc, tools/spex-edge) in a QEMU
# guest on every supported kernel (scripts/guest-suite.sh):
# tests/edge/run-in-guest.sh. The model is the demo's trained MNIST
# head/tail (scripts/demo.sh trains it once, cached) and the images are
# real MNIST test images. Ends with "N passed, N failed". Expects
# `make all kmod` done (make check builds both first).
#   SPEX_EDGE_N   frames per run (default 300)
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/count-results.sh"
. "$repo/scripts/guest-suite.sh"
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$repo/$BUILD ;; esac
cache=${SPEX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spex}
model=${SPEX_DEMO_DIR:-$cache/demo-model}
pass=0
fail=0

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

guest_suite 900 "$repo/tests/edge/run-in-guest.sh" "$BUILD" "$mdir" \
	"${SPEX_EDGE_N:-300}"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
