#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel-module benchmark (make bench-kmod): on every supported kernel,
# boot the QEMU guest, insmod spex.ko and run build/selftests/spex_bench.
# Results go to build/bench/kmod-KVER.txt. Under TCG every number is
# emulated: compare the rows of one run with each other, nothing else.
#
#   scripts/bench-vm.sh [SECONDS_PER_CELL]
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
build=${BUILD:-build}
secs=${1:-0.5}
mkdir -p "$build/bench"
for k in $(scripts/list-kernels.sh); do
	out=$build/bench/kmod-$k.txt
	tests/vm/run-guest.sh --kernel "$k" --out "$build/vm/$k/bench" --timeout 600 -- \
		bash -c "insmod $build/kmod/$k/spex.ko && $build/selftests/spex_bench $secs" \
		< /dev/null | grep -v '^run-guest:' > "$out"
	echo "== $k ($(grep -q ' (kvm) ' "$build/vm/$k/bench/console.log" 2>/dev/null && echo kvm || echo emulated))"
	cat "$out"
done
