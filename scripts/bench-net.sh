#!/bin/bash
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# The offload decision under shaped links (make bench-net). The host's
# kernel may lack netem, so the script boots a QEMU guest (Debian's
# kernel, TCG: emulated CPU, real netem) and reruns itself inside it.
# There, spex-serve runs the demo model's tail in its own
# netns behind a veth pair; netem on both ends gives the round trip
# (half each way) and, on the edge's side, the loss. For every link the
# policies (a) confidence, (b) deadline and (c) adaptive run the same
# labelled inputs at a fixed rate through libspex (tests/lib/bench_net.c),
# and each prints one JSON line. The table and the plot for
# Documentation/offload-decision.rst come from those lines.
#
#   scripts/bench-net.sh    (BUILD=build; SPEX_BENCH_NET_COUNT=1000 inputs,
#                            SPEX_BENCH_NET_RATE=300 inputs/s)
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$repo/$BUILD ;; esac
cd "$repo"
if [ -z "${SPEX_VM:-}" ]; then
	"$repo/scripts/deps.sh" vm train >/dev/null
	cache=${SPEX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spex}
	model=${SPEX_DEMO_DIR:-$cache/demo-model}
	if [ ! -s "$model/head.spx" ]; then
		scripts/get-datasets.sh mnist > /dev/null
		"$BUILD/rel/bin/spex-train" -o "$model" --reuse > /dev/null
	fi
	mdir=$BUILD/bench-net/model
	mkdir -p "$mdir"
	cp "$model/head.spx" "$model/tail.spx" "$model/test-images-idx3-ubyte" \
		"$model/test-labels-idx1-ubyte" "$mdir/"
	k=$(scripts/list-kernels.sh | tail -n 1)
	echo "  BENCH   net $k (emulated CPU, netem links)"
	exec tests/vm/run-guest.sh --kernel "$k" --timeout 1800 \
		--env "BUILD=$BUILD" --env "SPEX_DEMO_DIR=$mdir" \
		--env "SPEX_BENCH_NET_COUNT=${SPEX_BENCH_NET_COUNT:-1000}" \
		--env "SPEX_BENCH_NET_RATE=${SPEX_BENCH_NET_RATE:-300}" -- \
		"$repo/scripts/bench-net.sh"
fi
bench=$BUILD/lib/bench_net
serve=$BUILD/rel/bin/spex-serve
model=$SPEX_DEMO_DIR
count=${SPEX_BENCH_NET_COUNT:-1000}
rate=${SPEX_BENCH_NET_RATE:-300}	# inputs/s
deadline=30				# ms
budget=6				# kB/s, policy (c) only
out=$BUILD/bench-net
[ -x "$bench" ] && [ -x "$serve" ] || { echo "bench-net: build first (make $bench $serve)" >&2; exit 1; }
mkdir -p "$out"

ns=spexnet$$
ip netns add "$ns"
spid=
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	ip link del "sn$$a" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
ip link add "sn$$a" type veth peer name "sn$$b"
ip link set "sn$$b" netns "$ns"
ip addr add 10.77.0.1/24 dev "sn$$a"
ip link set "sn$$a" up
ip -n "$ns" addr add 10.77.0.2/24 dev "sn$$b"
ip -n "$ns" link set "sn$$b" up
ip -n "$ns" link set lo up

rm -f "$out/port"
ip netns exec "$ns" "$serve" -q -l 10.77.0.2 -p 0 --port-file "$out/port" \
	"$model/tail.spx" &
spid=$!
for _ in $(seq 300); do [ -s "$out/port" ] && break; sleep 0.01; done
port=$(cat "$out/port")

: > "$out/results.jsonl"
for rtt in 0.2 5 20 50; do
	half=$(awk "BEGIN { print $rtt / 2 }")
	for loss in 0 5; do
		tc qdisc replace dev "sn$$a" root netem delay "${half}ms" loss "${loss}%"
		tc -n "$ns" qdisc replace dev "sn$$b" root netem delay "${half}ms"
		for pol in confidence deadline adaptive; do
			line=$("$bench" "$model/head.spx" 10.77.0.2 "$port" \
				"$model/test-images-idx3-ubyte" \
				"$model/test-labels-idx1-ubyte" "$pol" "$deadline" \
				"$rate" "$count" "$budget")
			echo "{\"rtt_ms\":$rtt,\"loss_pct\":$loss,${line#\{}" |
				tee -a "$out/results.jsonl"
		done
	done
done

# The table (reStructuredText) and the plot (SVG, gnuplot).
python3 - "$out/results.jsonl" "$out" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
pol = {"confidence": "(a)", "deadline": "(b)", "adaptive": "(c)"}
w = "=========  ====  ======  ========  ======  =======  =====\n"
t = [w, "RTT (ms)   loss  policy  accuracy  missed  B/input  local\n", w]
for r in rows:
    t.append("%-9s  %-4s  %-6s  %8.4f  %6.4f  %7.1f  %5.3f\n" % (
        r["rtt_ms"], "%d%%" % r["loss_pct"], pol[r["policy"]], r["accuracy"],
        r["miss_rate"], r["bytes_per_input"], r["local_share"]))
t.append(w)
open(sys.argv[2] + "/table.rst", "w").write("".join(t))
with open(sys.argv[2] + "/plot.dat", "w") as f:
    for p in pol:
        f.write("# %s\n" % p)
        for r in rows:
            if r["policy"] == p:
                f.write("%s %d %.4f %.4f\n" % (r["rtt_ms"], r["loss_pct"],
                                             r["miss_rate"], r["accuracy"]))
        f.write("\n\n")
EOF
gnuplot <<EOF
set terminal svg size 720,400 dynamic font "sans,11"
set output "$out/offload-network.svg"
set multiplot layout 1,2
set logscale x
set xlabel "RTT (ms)"
set key top left
set title "deadline-miss rate (deadline ${deadline} ms)"
set yrange [0:*]
plot for [i=0:2] "$out/plot.dat" index i using 1:(\$2==0?\$3:1/0) with linespoints \
	title word("(a) (b) (c)", i+1)." loss 0", \
     for [i=0:2] "$out/plot.dat" index i using 1:(\$2==5?\$3:1/0) with linespoints dt 2 \
	title word("(a) (b) (c)", i+1)." loss 5%"
set title "accuracy"
set yrange [*:*]
plot for [i=0:2] "$out/plot.dat" index i using 1:(\$2==0?\$4:1/0) with linespoints \
	title word("(a) (b) (c)", i+1)." loss 0", \
     for [i=0:2] "$out/plot.dat" index i using 1:(\$2==5?\$4:1/0) with linespoints dt 2 \
	title word("(a) (b) (c)", i+1)." loss 5%"
unset multiplot
EOF
cat "$out/table.rst"
echo "bench-net: $out/results.jsonl, table.rst, offload-network.svg"
