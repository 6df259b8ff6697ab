#!/bin/bash
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# The main job in the kernel (make demo, through scripts/demo-kernel.sh):
# where frames arrive. Run as root where spex.ko can be loaded (on the
# host, or in the QEMU guest where the host cannot):
#   1. insmod spex.ko (unless loaded) and spexctl load --atomic the head,
#   2. a sensor netns and an edge netns joined by a veth pair; spex-serve
#      with the tail in the edge netns,
#   3. spex-edge attach: native XDP on the edge's veth, running the head
#      through the bpf_spex_run() kfunc; spex-edge forward for offloads,
#   4. stream the MNIST test set from the sensor netns as sensor frames,
#      every frame answered once: exits from XDP, offloads by spex-serve,
#   5. print accuracy, exit rate, bytes offloaded, the spex-trace
#      histogram and `bpftool map dump` of the datapath's counters.
#
#   tools/demo/edge-demo.sh BUILD MODELDIR [KO]
set -u

build=$1
. "$(dirname "$0")/../../scripts/edge-net.sh"
mdir=$2
ko=${3:-}
bin=$build/rel/bin
sensor=$build/edge/edge_sensor
images=$mdir/test-images-idx3-ubyte
labels=$mdir/test-labels-idx1-ubyte
work=$(mktemp -d)
pids=()
say()	{ printf '\n== %s\n' "$*"; }
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	in_ns edge "$bin/spex-edge" detach > /dev/null 2>&1
	in_ns sensor "$sensor" xdp off --iface veth-s 2>/dev/null
	edge_net_down
	rm -rf "$work"
}
trap cleanup EXIT

say "kernel $(uname -r): spex.ko"
if [ ! -e /dev/spex ]; then
	insmod "$ko" || { echo "demo: insmod $ko failed" >&2; exit 1; }
	echo "  insmod $ko"
fi
id=$("$bin/spexctl" --json load --atomic "$mdir/head.spx" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
[ -n "$id" ] || { echo "demo: spexctl load --atomic failed" >&2; exit 1; }
echo "  spexctl load --atomic $mdir/head.spx: model $id"

say "network: sensor netns <-> veth <-> edge netns"
edge_net_up || { echo "demo: cannot set up the sensor/edge netns" >&2; exit 1; }
# a veth peer needs an XDP program before native XDP_TX frames reach it
in_ns sensor "$sensor" xdp pass --iface veth-s
in_ns sensor ping -c 1 -W 2 10.77.0.2 > /dev/null
echo "  sensor 10.77.0.1 (veth-s)  edge 10.77.0.2 (veth-e)"

say "tail server: spex-serve in the edge netns"
$edge_ns "$bin/spex-serve" -l 127.0.0.1 -p 0 --port-file "$work/port" -q \
	"$mdir/tail.spx" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
echo "  listening on 127.0.0.1:$port"

say "datapath: spex-edge attach (native XDP, the head in bpf_spex_run())"
in_ns edge "$bin/spex-edge" attach -i veth-e -m "$id" --mode native \
	--tail "127.0.0.1:$port" | sed 's/^/  /' || exit 1
$edge_ns "$bin/spex-edge" forward -q &
pids+=($!)
"$bin/spex-trace" hist -m "$id" > "$work/trace" 2>&1 &
tpid=$!
for _ in $(seq 100); do [ -e /sys/fs/bpf/spex/stats ] && break; sleep 0.1; done

n=$(($(stat -c %s "$images") / 784))
say "stream: $n MNIST test images as sensor frames from the sensor netns"
in_ns sensor "$sensor" send --dst 10.77.0.2 --images "$images" \
	--head "$mdir/head.spx" --model "$id" --window 16 --timeout-ms 5000 \
	> "$work/answers" 2> "$work/send"
sed 's/^/  /' "$work/send"
kill -INT "$tpid"
wait "$tpid"

say "results"
in_ns edge "$bin/spex-edge" stats --json > "$work/stats"
python3 - "$work/answers" "$labels" "$work/stats" <<'PY'
import json, sys
ans = [l.split() for l in open(sys.argv[1]) if l.strip()]
lab = open(sys.argv[2], "rb").read()[8:]
st = json.load(open(sys.argv[3]))
n = len(ans)
right = sum(1 for a in ans if int(a[3]) == lab[int(a[0])])
ex = sum(1 for a in ans if int(a[2]) & 0x1)
tail = sum(1 for a in ans if int(a[2]) & 0x4)
fb = sum(1 for a in ans if int(a[2]) & 0x8)
print("  answered  %d frames, each once" % n)
print("  accuracy  %.2f%% (%d of %d)" % (100.0 * right / max(n, 1), right, n))
print("  exit rate %.1f%%: %d answered from XDP; %d by the tail, %d fallback"
      % (100.0 * ex / max(n, 1), ex, tail, fb))
print("  bytes offloaded %d (%d bottlenecks) instead of %d bytes of images"
      % (st["offload_bytes"], st["offloads"], 784 * n))
PY

say "spex-trace hist (the module's jobs: the kfunc's from XDP)"
sed 's/^/  /' "$work/trace"
say "bpftool map dump pinned /sys/fs/bpf/spex/edge/counters"
bpftool map dump pinned /sys/fs/bpf/spex/edge/counters | sed 's/^/  /'
say "spex-edge stats"
in_ns edge "$bin/spex-edge" stats | sed 's/^/  /'
