#!/bin/bash
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# Inside the test guest (tests/vm/run-guest.sh): the edge datapath end to
# end. A sensor netns and an edge netns joined by a veth pair; spex.ko
# runs the head from XDP (generic and native) and TC through
# bpf_spex_run(); spex-serve (in the edge netns) answers what the
# forwarder (spex-edge forward) offloads. The sensor sends real MNIST
# test images; every frame must get exactly one answer, bit-identical to
# the userspace engine's on the same inputs (tests/edge/check_edge.py),
# and the malformed-frame cases must each be counted under their reason.
#
#   tests/edge/run-in-guest.sh KODIR BUILD MODELDIR [N]
#
# MODELDIR holds head.spx, tail.spx and test-images-idx3-ubyte. Ends with
# "N passed, N failed".
set -u

kodir=$1
build=$2
mdir=$3
n=${4:-300}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/edge-net.sh"
edge=$build/rel/bin/spex-edge
spexctl=$build/rel/bin/spexctl
serve=$build/rel/bin/spex-serve
sensor=$build/edge/edge_sensor
images=$mdir/test-images-idx3-ubyte
work=$(mktemp -d)
pass=0
fail=0
pids=()

ok()	{ echo "ok - $*"; pass=$((pass + 1)); }
notok()	{ echo "not ok - $*"; fail=$((fail + 1)); }
check()	{ local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	in_ns edge "$edge" detach > /dev/null 2>&1
	edge_net_down
}
finish() {
	cleanup
	rmmod spex 2>/dev/null
	echo "edge ($(uname -r)): $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}
# add LOG: count a TAP log's ok / not ok lines into the totals
add() {
	cat "$1"
	pass=$((pass + $(grep -c '^ok ' "$1")))
	fail=$((fail + $(grep -c '^not ok ' "$1")))
}
stat() {	# stat FIELD: one counter, summed over CPUs
	in_ns edge "$edge" stats --json | python3 -c \
		"import json,sys; print(json.load(sys.stdin)['$1'])"
}

check "insmod spex.ko" insmod "$kodir/spex.ko"
[ -e /dev/spex ] || finish
check "/sys/kernel/btf/spex exists (module BTF: the kfunc resolves)" \
	[ -e /sys/kernel/btf/spex ]
atomic=$("$spexctl" --json load --atomic "$mdir/head.spx" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
plain=$("$spexctl" --json load "$mdir/head.spx" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
check "spexctl load --atomic head.spx (model ${atomic:-none})" [ -n "$atomic" ]
[ -n "$atomic" ] || finish

# ---- topology ----------------------------------------------------------
edge_net_up
emac=$(in_ns edge ip -br link show veth-e | awk '{ print $3 }')
in_ns sensor ping -c 1 -W 2 10.77.0.2 > /dev/null 2>&1
check "veth pair sensor <-> edge is up" [ $? -eq 0 ]

$edge_ns "$serve" -l 127.0.0.1 -p 0 --port-file "$work/port" -q "$mdir/tail.spx" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
tport=$(cat "$work/port" 2>/dev/null)
check "spex-serve listens in the edge netns (port ${tport:-none})" [ -n "$tport" ]
[ -n "$tport" ] || finish

for fmt in u8 i8; do
	in_ns edge "$sensor" ref --head "$mdir/head.spx" --images "$images" \
		-n "$n" --format $fmt --tail "127.0.0.1:$tport" > "$work/ref.$fmt"
done
check "userspace engine reference on $n MNIST images" \
	[ "$(wc -l < "$work/ref.u8")" -eq "$n" ]

# run_mode NAME ATTACH_ARGS... -- SEND_ARGS...: attach, forward, send the
# images, check the answers, the counters and the malformed cases, detach.
run_mode() {
	local name=$1 fmt=u8 aargs=() sargs=() fwd log=$work/$1
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do aargs+=("$1"); shift; done
	shift
	sargs=("$@")
	for a in "${sargs[@]}"; do [ "$a" = i8 ] && fmt=i8; done
	echo "# ==== $name"
	if ! in_ns edge "$edge" attach -i veth-e -m "$atomic" \
		--tail "127.0.0.1:$tport" "${aargs[@]}" > "$log.attach" 2>&1; then
		notok "$name: attach ($(cat "$log.attach"))"
		return
	fi
	ok "$name: $(cat "$log.attach")"
	$edge_ns "$edge" forward --dump "$log.dump" 2> "$log.fwd" &
	fwd=$!
	sleep 0.5
	in_ns sensor "$sensor" send --dst 10.77.0.2 --images "$images" -n "$n" \
		--head "$mdir/head.spx" --model "$atomic" --capture veth-s \
		--timeout-ms 5000 "${sargs[@]}" > "$log.ans" 2> "$log.send"
	rc=$?
	check "$name: every frame answered exactly once, checksums right ($(cat "$log.send"))" \
		[ $rc -eq 0 ]
	kill -TERM "$fwd"
	wait "$fwd"
	rc=$?
	check "$name: the forwarder exits 0 on SIGTERM ($(tail -n 1 "$log.fwd"))" [ $rc -eq 0 ]
	python3 "$here/check_edge.py" --name "$name" --ref "$work/ref.$fmt" \
		--answers "$log.ans" --dump "$log.dump" --n "$n" \
		--stats <(in_ns edge "$edge" stats --json) > "$log.check"
	add "$log.check"
	bpftool map dump pinned /sys/fs/bpf/spex/edge/counters > "$log.bpftool" 2>&1
	check "$name: bpftool map dump shows the counters by name" \
		grep -q '"exits"' "$log.bpftool"
	in_ns sensor "$sensor" bad --iface veth-s --dst-mac "$emac" \
		--src 10.77.0.1 --dst 10.77.0.2 --model "$atomic" \
		--head "$mdir/head.spx" \
		$(printf '%s\n' "${aargs[@]}" | grep -qx drop && echo --drop) \
		> "$log.bad" 2>&1
	sed -i "s/^\(not \)\{0,1\}ok - /&$name: /" "$log.bad"
	add "$log.bad"
	[ "$(grep -c '^ok ' "$log.bad")" -ge 20 ] ||
		notok "$name: fewer than 20 malformed cases passed"
	in_ns edge "$edge" detach > /dev/null
	check "$name: detach removes the pins" [ ! -e /sys/fs/bpf/spex/edge ]
	check "$name: no XDP program left on veth-e" \
		sh -c "! nsenter --net=/run/netns/edge ip link show veth-e | grep -q xdp"
}

run_mode generic --mode generic -- --format u8
in_ns sensor "$sensor" xdp pass --iface veth-s
check "native: a do-nothing XDP program on the sensor's veth (XDP_TX needs it)" [ $? -eq 0 ]
run_mode native --mode native --malformed drop -- --format u8
in_ns sensor "$sensor" xdp off --iface veth-s
run_mode tc --mode tc -- --format u8
run_mode generic-i8-by-hash-scalar --mode generic --scalar -- --format i8 --by-hash

# ---- the atomic mark, unload and rmmod while attached --------------------
echo "# ==== atomic mark, unload, rmmod"
in_ns edge "$edge" attach -i veth-e -m "$plain" --mode generic > /dev/null 2>&1
in_ns sensor "$sensor" send --dst 10.77.0.2 --images "$images" -n 3 \
	--head "$mdir/head.spx" --model "$plain" --timeout-ms 500 > /dev/null 2>&1
check "a model loaded without --atomic: the kfunc refuses, counted not_atomic" \
	[ "$(stat not_atomic)" = 3 ]
in_ns edge "$edge" detach > /dev/null
in_ns edge "$edge" attach -i veth-e -m "$atomic" --mode generic > /dev/null 2>&1
rmmod spex 2> "$work/rmmod.err"
check "rmmod spex is refused while the program is attached" [ -e /dev/spex ]
"$spexctl" unload "$atomic" > /dev/null
check "spexctl unload of the attached model" [ $? -eq 0 ]
in_ns sensor "$sensor" send --dst 10.77.0.2 --images "$images" -n 3 \
	--head "$mdir/head.spx" --model "$atomic" --timeout-ms 500 > /dev/null 2>&1
check "frames after the unload: counted no_model" [ "$(stat no_model)" = 3 ]
in_ns edge "$edge" detach > /dev/null
check "detach" [ ! -e /sys/fs/bpf/spex/edge ]
cleanup
# the detached program is freed after an RCU grace period
for _ in $(seq 50); do rmmod spex 2> /dev/null && break; sleep 0.2; done
check "rmmod spex once detached" [ ! -e /dev/spex ]
rm -rf "$work"
echo "edge ($(uname -r)): $pass passed, $fail failed"
[ "$fail" -eq 0 ]
