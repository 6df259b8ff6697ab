// SPDX-License-Identifier: GPL-2.0
/*
 * The datapath's own limit, for make bench-edge: a bare XDP program that
 * sends every IPv4 UDP frame to the configured port straight back
 * (MACs, addresses and ports swapped; the IPv4 checksum stays valid, since
 * a swap does not change a one's complement sum), so the cost of
 * inference in spex_edge.bpf.c shows next to it. The UDP checksum is set
 * to 0 (none): a local sender's frame carries only the pseudo-header sum
 * (checksum offload), which the receiver would reject once XDP_TX has
 * dropped the skb's checksum state. spex_pass is the do-nothing XDP
 * program a veth peer needs before native XDP_TX frames reach it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP	0x0800

const volatile __u16 cfg_port = 7341;

SEC("xdp")
int spex_echo_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct udphdr *udp = (void *)(ip + 1);
	unsigned char mac[6];
	__be32 a;
	__be16 p;

	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_UDP ||
	    udp->dest != bpf_htons(cfg_port))
		return XDP_PASS;
	__builtin_memcpy(mac, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, mac, 6);
	a = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = a;
	p = udp->source;
	udp->source = udp->dest;
	udp->dest = p;
	udp->check = 0;
	return XDP_TX;
}

SEC("xdp")
int spex_pass_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
