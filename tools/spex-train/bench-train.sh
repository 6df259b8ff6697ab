#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# Training time per epoch against density: spex-train's sparse passes
# (work = edges x batch) against the same network trained masked-dense,
# the way the papers' reference code trains (dense matrices times a 0/1
# mask, so the work stays that of the dense network).
#
#   tools/spex-train/bench-train.sh SPEX_TRAIN_BINARY [EPOCHS]
#
# Network: Dey et al.'s [800,100,10] on the official MNIST (55,000 training
# images after the validation split),
# batch 64, one thread (-j 1). Prints an rst table (for
# Documentation/performance.rst, section "Training").
set -eu

bin=$1
epochs=${2:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() { # DIN1 DIN2 MASKED -> seconds per epoch
	cat > "$tmp/c.cfg" <<-EOF
	name bench
	input 1 28 28
	pad 800
	fc 100 din=$1 pattern=random
	split
	fc 10 din=$2 pattern=random
	train epochs=$epochs masked_dense=$3
	EOF
	"$bin" -q -j 1 -c "$tmp/c.cfg" --train-only | awk '$1 == "train" { print $7 }'
}

echo "spex-train $epochs epochs of 55,000 MNIST images, [800,100,10], $(nproc) CPUs (1 used)"
echo
echo "======== ======== =============== ================= ================ ============="
echo "density  weights  sparse s/epoch  speed-up vs 100%  masked s/epoch   sparse gain"
echo "======== ======== =============== ================= ================ ============="
base=
for pair in 800:100 400:50 200:20 80:10 40:10; do
	d1=${pair%:*} d2=${pair#*:}
	s=$(run "$d1" "$d2" 0)
	[ -n "$base" ] || base=$s
	if [ "$d1" = 800 ]; then
		m=$s
	else
		m=$(run "$d1" "$d2" 1)
	fi
	awk -v d1="$d1" -v d2="$d2" -v s="$s" -v m="$m" -v b="$base" 'BEGIN {
		w = 100 * d1 + 10 * d2
		printf "%-8s %-8d %-15.3f %-17s %-16.3f %.1fx\n",
		       sprintf("%.1f%%", 100 * w / 81000), w, s,
		       sprintf("%.2fx", b / s), m, m / s }'
done
echo "======== ======== =============== ================= ================ ============="
