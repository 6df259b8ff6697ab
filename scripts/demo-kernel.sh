#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# make demo: the main job where frames arrive, in the kernel
# (tools/demo/edge-demo.sh). Fetches MNIST and trains the head/tail once
# (cached, as scripts/demo.sh), then:
#   - where this host has /dev/spex or can insmod build/kmod/$(uname -r)/
#     spex.ko, runs the demo here (as root);
#   - otherwise (no module loading here, as on the build machine) boots
#     the QEMU guest (tests/vm/run-guest.sh) with the newest supported
#     kernel and runs it there.
# make demo-user is the userspace-only demo (scripts/demo.sh).
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$repo/$BUILD ;; esac
cache=${SPEX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spex}
out=${SPEX_DEMO_DIR:-$cache/demo-model}

printf '\n== dataset and model (cached in %s)\n' "$out"
(cd "$repo" && scripts/get-datasets.sh mnist)
mkdir -p "$out"
"$BUILD/rel/bin/spex-train" -o "$out" --reuse | tail -n 3
# the guest sees only the repository
mdir=$BUILD/edge/model
mkdir -p "$mdir"
cp "$out/head.spx" "$out/tail.spx" "$out/test-images-idx3-ubyte" \
	"$out/test-labels-idx1-ubyte" "$mdir/"

ko=$BUILD/kmod/$(uname -r)/spex.ko
if [ -e /dev/spex ] || { [ -e "$ko" ] && insmod "$ko" 2>/dev/null; }; then
	printf '\n== this host runs spex.ko: the demo runs here\n'
	exec "$repo/tools/demo/edge-demo.sh" "$BUILD" "$mdir"
fi
k=$(cd "$repo" && scripts/list-kernels.sh | tail -n 1)
printf '\n== this host cannot load modules: booting the QEMU guest (%s, TCG)\n' "$k"
cd "$repo"
exec tests/vm/run-guest.sh --kernel "$k" --timeout 1200 -- \
	"$repo/tools/demo/edge-demo.sh" "$BUILD" "$mdir" "$BUILD/kmod/$k/spex.ko"
