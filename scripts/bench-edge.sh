#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# make bench-edge: tests/edge/bench-in-guest.sh in a QEMU guest on every
# supported kernel, with the demo's trained MNIST head (as
# scripts/check-edge.sh). Emulated (TCG): read the ratios, not the
# absolute numbers. Expects `make all kmod` done. SPEX_BENCH_FRAMES,
# SPEX_BENCH_LAT_FRAMES and SPEX_BENCH_ROUNDS size the runs.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$repo/$BUILD ;; esac
cache=${SPEX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spex}
model=${SPEX_DEMO_DIR:-$cache/demo-model}
if [ ! -s "$model/head.spx" ]; then
	(cd "$repo" && scripts/get-datasets.sh mnist > /dev/null &&
	 "$BUILD/rel/bin/spex-train" -o "$model" --reuse > /dev/null)
fi
mdir=$BUILD/edge/model
mkdir -p "$mdir"
cp "$model/head.spx" "$model/tail.spx" "$model/test-images-idx3-ubyte" "$mdir/"
for k in $(cd "$repo" && scripts/list-kernels.sh); do
	echo "  BENCH   edge $k"
	(cd "$repo" && tests/vm/run-guest.sh --kernel "$k" --timeout 1200 \
		--env "SPEX_BENCH_FRAMES=${SPEX_BENCH_FRAMES:-2000}" \
		--env "SPEX_BENCH_LAT_FRAMES=${SPEX_BENCH_LAT_FRAMES:-400}" \
		--env "SPEX_BENCH_ROUNDS=${SPEX_BENCH_ROUNDS:-3}" -- \
		"$repo/tests/edge/bench-in-guest.sh" "$BUILD/kmod/$k" "$BUILD" \
		"$mdir") | grep -E '^#'
done
