# SPDX-License-Identifier: MIT OR GPL-2.0
#
# The two-host network of the edge datapath's guest runs (the edge suite,
# bench-edge, the demo). Sourced (bash), inside the guest, as root:
#
#   edge_net_up     a "sensor" netns (10.77.0.1 on veth-s) and an "edge"
#                   netns (10.77.0.2 on veth-e) joined by a veth pair,
#                   links up; 0, or non-zero at the first step that failed
#   edge_net_down   remove both netns (quiet; safe to call twice)
#   in_ns NS CMD... run CMD in netns NS
#   $edge_ns        a command prefix for the edge netns, for what runs in
#                   the background: $! is then the program's own pid

EDGE_NET_SENSOR_IP=10.77.0.1
EDGE_NET_EDGE_IP=10.77.0.2
edge_ns="nsenter --net=/run/netns/edge"

in_ns() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

edge_net_up() {
	ip netns add sensor &&
	ip netns add edge &&
	ip link add veth-s netns sensor type veth peer name veth-e netns edge &&
	in_ns sensor ip addr add "$EDGE_NET_SENSOR_IP/24" dev veth-s &&
	in_ns edge ip addr add "$EDGE_NET_EDGE_IP/24" dev veth-e &&
	in_ns sensor ip link set lo up &&
	in_ns edge ip link set lo up &&
	in_ns sensor ip link set veth-s up &&
	in_ns edge ip link set veth-e up
}

edge_net_down() {
	ip netns del sensor 2>/dev/null
	ip netns del edge 2>/dev/null
	return 0
}
