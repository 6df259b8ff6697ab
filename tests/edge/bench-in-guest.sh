#!/bin/bash
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# Inside the guest (make bench-edge, scripts/bench-edge.sh): frames/s and
# round-trip latency of the same MNIST frames from a sensor netns through
#   xdp-native, xdp-generic, tc   the edge datapath (spex_edge.bpf.c and
#                                 the bpf_spex_run() kfunc)
#   echo                          a bare XDP_TX echo (spex_echo.bpf.c):
#                                 the datapath's own limit
#   user-device, user-user        the best userspace pipeline: recvmmsg ->
#                                 libspex (device / userspace backend) ->
#                                 sendmmsg (edge_sensor userd)
# The head's policy is force-local, so every frame is answered at the
# edge in every set-up. Throughput: a window of 32 frames in flight;
# latency: one at a time. Best of SPEX_BENCH_ROUNDS short runs (the host
# is shared; interference only slows a run down). Emulated (QEMU TCG):
# ratios only.
#
#   tests/edge/bench-in-guest.sh KODIR BUILD MODELDIR
set -u

kodir=$1
build=$2
mdir=$3
n=${SPEX_BENCH_FRAMES:-2000}
nl=${SPEX_BENCH_LAT_FRAMES:-400}
rounds=${SPEX_BENCH_ROUNDS:-3}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/edge-net.sh"
edge=$build/rel/bin/spex-edge
spexctl=$build/rel/bin/spexctl
sensor=$build/edge/edge_sensor
images=$mdir/test-images-idx3-ubyte
work=$(mktemp -d)

insmod "$kodir/spex.ko" || exit 1
id=$("$spexctl" --json load --atomic "$mdir/head.spx" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
"$spexctl" policy "$id" --mode local > /dev/null || exit 1
edge_net_up || exit 1
# native XDP_TX on veth needs an XDP program on the receiving peer
in_ns sensor "$sensor" xdp pass --iface veth-s || exit 1
in_ns sensor ping -c 1 -W 2 10.77.0.2 > /dev/null

# measure NAME [send options]: throughput and latency lines
measure() {
	local name=$1
	shift
	in_ns sensor "$sensor" send --dst 10.77.0.2 --images "$images" -n "$n" \
		--head "$mdir/head.spx" --model "$id" --window 32 \
		--timeout-ms 3000 "$@" > /dev/null 2> "$work/tput"
	in_ns sensor "$sensor" send --dst 10.77.0.2 --images "$images" -n "$nl" \
		--head "$mdir/head.spx" --model "$id" --window 1 \
		--timeout-ms 3000 --rtt "$work/rtt" "$@" > /dev/null 2> "$work/lat"
	echo "run $name $(cat "$work/tput") rtt $(sort -n "$work/rtt" | tr '\n' ' ')" >> "$work/runs"
	echo "# $name: $(cat "$work/tput")"	# progress, on the console
}

for r in $(seq "$rounds"); do
	for cfg in xdp-native xdp-generic tc echo user-device user-user; do
		pid=
		case $cfg in
		xdp-*|tc)
			in_ns edge "$edge" attach -i veth-e -m "$id" \
				--mode "${cfg#xdp-}" > /dev/null || continue
			measure "$cfg"
			in_ns edge "$edge" detach > /dev/null ;;
		echo)
			in_ns edge "$sensor" xdp echo --iface veth-e || continue
			measure "$cfg" --echo
			in_ns edge "$sensor" xdp off --iface veth-e ;;
		user-device)
			$edge_ns "$sensor" userd --model "$id" --local 2> /dev/null &
			pid=$! ;;
		user-user)
			$edge_ns "$sensor" userd --user --head "$mdir/head.spx" \
				--local 2> /dev/null &
			pid=$! ;;
		esac
		if [ -n "$pid" ]; then
			sleep 0.5
			measure "$cfg"
			kill -TERM "$pid"
			wait "$pid"
		fi
	done
done
python3 "$here/bench_summary.py" < "$work/runs"
in_ns sensor "$sensor" xdp off --iface veth-s
edge_net_down
for _ in $(seq 50); do rmmod spex 2> /dev/null && break; sleep 0.2; done
rm -rf "$work"
