// SPDX-License-Identifier: GPL-2.0
/*
 * spex-edge, kernel side: decide at the driver. Sensor frames
 * (include/uapi/linux/spex_edge.h) arriving over IPv4/UDP on the
 * configured port run the head through spex.ko's bpf_spex_run() kfunc,
 * in XDP (native or generic) or at TC ingress (SCHED_CLS):
 *   EXIT/FINAL  the answer goes straight back to the sender as a RESULT
 *               frame (addresses and ports swapped, checksums computed):
 *               XDP_TX, or a TC redirect to the same device's egress;
 *   OFFLOAD     the frame is rewritten in place into an OFFLOAD frame
 *               (best local guess + bottleneck) and passed up to the
 *               forwarder's UDP port (`spex-edge forward`);
 *   malformed   passed up or dropped, as configured, counted per reason.
 * Every frame is counted once in the pinned per-CPU "counters" map.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include <linux/spex_edge.h>
#include "spex_edge.h"
#include "spex_kfunc.bpf.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "spex_edge.bpf.c reads the little-endian frame header natively"
#endif

#define ETH_P_IP	0x0800
#define IP_MF		0x2000
#define IP_OFFSET	0x1fff
#define ETH_HLEN	14
#define IP_HLEN		20
#define UDP_HLEN	8
#define PAY_OFF		(ETH_HLEN + IP_HLEN + UDP_HLEN)
#define IN_OFF		(PAY_OFF + SPEX_EDGE_HDR_LEN)
#define TC_ACT_OK	0
#define TC_ACT_SHOT	2
#define EPERM		1
#define ENOENT		2

/* Set by spex-edge before load (from the model's MODEL_INFO). */
const volatile __u16 cfg_port = SPEX_EDGE_PORT;
const volatile __u16 cfg_fwd_port = SPEX_EDGE_PORT + 1;
const volatile __u32 cfg_model_id = 0;
const volatile __u32 cfg_input_bytes = 784;
const volatile __u32 cfg_bneck_bytes = 56;
const volatile __u32 cfg_hash8 = 0;		/* as read from the frame */
const volatile __u32 cfg_flags = 0;		/* SPEX_EDGE_CF_* */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct spex_edge_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct spex_edge_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct spex_edge_scratch);
} scratch SEC(".maps");

enum edge_action {
	ACT_NOT_OURS,		/* some other traffic: untouched */
	ACT_ANSWER,		/* RESULT written: send it back */
	ACT_OFFLOAD,		/* OFFLOAD written: store the bottleneck,
				 * pass up */
	ACT_MALFORMED,		/* counted: pass or drop per cfg_flags */
	ACT_DROP,		/* counted: always dropped (spoofed) */
};

/* What edge_frame() leaves for the program-type specific part. */
struct edge_job {
	__u32 new_len;		/* frame length after the rewrite */
	struct spex_edge_scratch *out;
};

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* One's complement sum of n 16-bit words at p, in memory order (the
 * checksum then lands in memory order too, RFC 1071). */
static __always_inline __u32 csum_words(const __u16 *p, int n, __u32 sum)
{
#pragma unroll
	for (int i = 0; i < n; i++)
		sum += p[i];
	return sum;
}

static __always_inline void swap_addrs(struct ethhdr *eth, struct iphdr *ip,
				       struct udphdr *udp)
{
	unsigned char mac[6];
	__be32 a = ip->saddr;
	__be16 p = udp->source;

	__builtin_memcpy(mac, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, mac, 6);
	ip->saddr = ip->daddr;
	ip->daddr = a;
	udp->source = udp->dest;
	udp->dest = p;
}

/* New lengths, TTL and IPv4 header checksum for a payload of pay bytes. */
static __always_inline void fix_ip(struct iphdr *ip, struct udphdr *udp,
				   __u32 pay)
{
	ip->tot_len = bpf_htons(IP_HLEN + UDP_HLEN + pay);
	ip->ttl = 64;
	ip->check = 0;
	ip->check = csum_fold(csum_words((const __u16 *)ip, IP_HLEN / 2, 0));
	udp->len = bpf_htons(UDP_HLEN + pay);
	udp->check = 0;
}

/*
 * Parse, decide and rewrite the frame in [data, data_end). Counts the
 * frame once. On ACT_ANSWER the RESULT frame is complete up to the
 * resize; on ACT_OFFLOAD everything but the bottleneck copy and resize.
 */
static __always_inline enum edge_action
edge_frame(void *data, void *data_end, __u16 r_flag, struct edge_job *job)
{
	struct spex_edge_counters *c;
	struct spex_edge_result *res;
	struct spex_edge_hdr *hdr;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	struct iphdr *ip;
	__u32 key = 0, ihl, tot, pay_len, kf, pkt_len;
	__u16 fmt, dport;
	int r;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return ACT_NOT_OURS;
	c = bpf_map_lookup_elem(&counters, &key);
	if (!c)
		return ACT_NOT_OURS;
	pkt_len = data_end - data;

#define MALFORMED(reason) ({ c->frames++; c->reason++;			\
		if (cfg_flags & SPEX_EDGE_CF_DROP) c->dropped++;	\
		else c->passed++;					\
		ACT_MALFORMED; })

	ip = data + ETH_HLEN;
	if ((void *)(ip + 1) > data_end || ip->ihl < 5)
		return MALFORMED(ip_truncated);
	ihl = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (tot < ihl || tot > pkt_len - ETH_HLEN)
		return MALFORMED(ip_length);
	if (ip->protocol != IPPROTO_UDP)
		return ACT_NOT_OURS;
	if (ip->frag_off & bpf_htons(IP_OFFSET))
		return ACT_NOT_OURS;	/* no ports: not recognisably ours */
	udp = (void *)ip + (ihl & 0x3c);
	if ((void *)(udp + 1) > data_end || tot < ihl + UDP_HLEN)
		return MALFORMED(udp_truncated);
	dport = bpf_ntohs(udp->dest);
	if (dport == cfg_fwd_port) {
		c->frames++;
		c->spoofed++;
		c->dropped++;
		return ACT_DROP;
	}
	if (dport != cfg_port)
		return ACT_NOT_OURS;
	if (ip->frag_off & bpf_htons(IP_MF))
		return MALFORMED(ip_fragment);
	if (ihl != IP_HLEN)
		return MALFORMED(ip_options);
	if (bpf_ntohs(udp->len) != tot - IP_HLEN)
		return MALFORMED(udp_length);
	pay_len = tot - IP_HLEN - UDP_HLEN;

	/* from here the offsets are constants: ihl is 5 */
	hdr = data + PAY_OFF;
	if (pay_len < SPEX_EDGE_HDR_LEN || (void *)(hdr + 1) > data_end)
		return MALFORMED(short_frame);
	if (hdr->magic != SPEX_EDGE_MAGIC)
		return MALFORMED(bad_magic);
	if (hdr->version != SPEX_EDGE_VERSION)
		return MALFORMED(bad_version);
	if (hdr->type != SPEX_EDGE_REQUEST)
		return MALFORMED(bad_type);
	fmt = hdr->flags;
	if ((fmt & ~SPEX_EDGE_IN_MASK) || fmt == SPEX_EDGE_IN_MASK)
		return MALFORMED(bad_format);
	if (!fmt)
		fmt = (cfg_flags & SPEX_EDGE_CF_I8) ? SPEX_EDGE_IN_I8 :
						      SPEX_EDGE_IN_U8;
	if (hdr->model_id ? hdr->model_id != cfg_model_id :
			    *(__u32 *)hdr->hash8 != cfg_hash8)
		return MALFORMED(unknown_model);
	if (hdr->len != cfg_input_bytes ||
	    pay_len != SPEX_EDGE_HDR_LEN + cfg_input_bytes)
		return MALFORMED(bad_length);
	if (data + IN_OFF + cfg_input_bytes > data_end)
		return MALFORMED(bad_length);	/* tot_len checked: unreachable */

	job->out = bpf_map_lookup_elem(&scratch, &key);
	if (!job->out)
		return MALFORMED(kfunc_error);
	kf = (fmt == SPEX_EDGE_IN_U8 ? SPEX_KF_IN_U8 : 0) |
	     (cfg_flags & SPEX_EDGE_CF_SCALAR ? SPEX_KF_SCALAR : 0);
	r = bpf_spex_run(SPEX_KF_CTL(cfg_model_id, kf), data + IN_OFF,
			 cfg_input_bytes, (__u8 *)job->out,
			 sizeof(struct spex_edge_scratch));
	if (r == -EPERM)
		return MALFORMED(not_atomic);
	if (r == -ENOENT)
		return MALFORMED(no_model);
	if (r < 0)
		return MALFORMED(kfunc_error);
	if (SPEX_RES_DECISION(r) == SPEX_DECISION_OFFLOAD &&
	    job->out->bottleneck_len != cfg_bneck_bytes)
		return MALFORMED(kfunc_error);

	/* the answer, in place of the input (the kfunc is done with it) */
	res = (void *)(hdr + 1);
	if ((void *)(res + 1) > data_end)
		return MALFORMED(bad_length);	/* input_bytes >= 16: unreachable */
	res->class_id = SPEX_RES_CLASS(r);
	res->confidence_q16 = SPEX_RES_CONF(r);
	res->exit_index = job->out->exit_index > 0xfe ? 0xff :
			  job->out->exit_index;
	res->decision = SPEX_RES_DECISION(r);
	res->status = 0;
	res->flags = r_flag | (SPEX_RES_LOW_CONF(r) ? SPEX_EDGE_R_LOW_CONF : 0);
	eth = data;
	ip = data + ETH_HLEN;
	udp = data + ETH_HLEN + IP_HLEN;
	if ((void *)(udp + 1) > data_end)
		return MALFORMED(bad_length);	/* unreachable */
	c->frames++;

	if (SPEX_RES_DECISION(r) == SPEX_DECISION_OFFLOAD) {
		hdr->type = SPEX_EDGE_OFFLOAD;
		hdr->len = sizeof(*res) + cfg_bneck_bytes;
		hdr->flags = res->flags;
		udp->dest = bpf_htons(cfg_fwd_port);
		/* IPv4 UDP without a checksum (0): the bottleneck is
		 * copied after this, and the frame stays on this host */
		fix_ip(ip, udp, SPEX_EDGE_RESULT_LEN + cfg_bneck_bytes);
		job->new_len = PAY_OFF + SPEX_EDGE_RESULT_LEN + cfg_bneck_bytes;
		c->offloads++;
		c->offload_bytes += cfg_bneck_bytes;
		return ACT_OFFLOAD;
	}
	res->flags |= SPEX_RES_DECISION(r) == SPEX_DECISION_EXIT ?
		      SPEX_EDGE_R_EXIT : SPEX_EDGE_R_FINAL;
	hdr->type = SPEX_EDGE_RESULT;
	hdr->len = sizeof(*res);
	hdr->flags = res->flags;
	swap_addrs(eth, ip, udp);
	fix_ip(ip, udp, SPEX_EDGE_RESULT_LEN);
	{
		__u32 sum = (ip->saddr & 0xffff) + (ip->saddr >> 16) +
			    (ip->daddr & 0xffff) + (ip->daddr >> 16) +
			    bpf_htons(IPPROTO_UDP) + udp->len;

		sum = csum_words((const __u16 *)udp,
				 (UDP_HLEN + SPEX_EDGE_RESULT_LEN) / 2, sum);
		udp->check = csum_fold(sum) ?: 0xffff;
	}
	job->new_len = PAY_OFF + SPEX_EDGE_RESULT_LEN;
	if (SPEX_RES_DECISION(r) == SPEX_DECISION_EXIT)
		c->exits++;
	else
		c->finals++;
	return ACT_ANSWER;
#undef MALFORMED
}

/* The resize failed after the frame was counted as answered. */
static __always_inline void rewrite_failed(void)
{
	struct spex_edge_counters *c;
	__u32 key = 0;

	c = bpf_map_lookup_elem(&counters, &key);
	if (c)
		c->rewrite_error++;
}

SEC("xdp")
int spex_edge_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct edge_job job = {};
	int delta;

	switch (edge_frame(data, data_end, SPEX_EDGE_R_XDP, &job)) {
	case ACT_ANSWER:
		delta = (int)job.new_len - (int)(data_end - data);
		if (delta && bpf_xdp_adjust_tail(ctx, delta)) {
			rewrite_failed();
			return XDP_DROP;
		}
		return XDP_TX;
	case ACT_OFFLOAD:
		if (bpf_xdp_store_bytes(ctx, PAY_OFF + SPEX_EDGE_RESULT_LEN,
					job.out->data, cfg_bneck_bytes)) {
			rewrite_failed();
			return XDP_DROP;
		}
		delta = (int)job.new_len - (int)(data_end - data);
		if (delta && bpf_xdp_adjust_tail(ctx, delta)) {
			rewrite_failed();
			return XDP_DROP;
		}
		return XDP_PASS;
	case ACT_MALFORMED:
		return (cfg_flags & SPEX_EDGE_CF_DROP) ? XDP_DROP : XDP_PASS;
	case ACT_DROP:
		return XDP_DROP;
	default:
		return XDP_PASS;
	}
}

SEC("tc")
int spex_edge_tc(struct __sk_buff *skb)
{
	struct edge_job job = {};
	void *data, *data_end;

	/* the frame must be linear for direct access and the kfunc */
	if (skb->len <= IN_OFF + SPEX_EDGE_MAX_INPUT)
		bpf_skb_pull_data(skb, skb->len);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;

	switch (edge_frame(data, data_end, SPEX_EDGE_R_TC, &job)) {
	case ACT_ANSWER:
		if (bpf_skb_change_tail(skb, job.new_len, 0)) {
			rewrite_failed();
			return TC_ACT_SHOT;
		}
		return bpf_redirect(skb->ifindex, 0);
	case ACT_OFFLOAD:
		if (bpf_skb_store_bytes(skb, PAY_OFF + SPEX_EDGE_RESULT_LEN,
					job.out->data, cfg_bneck_bytes, 0) ||
		    bpf_skb_change_tail(skb, job.new_len, 0)) {
			rewrite_failed();
			return TC_ACT_SHOT;
		}
		return TC_ACT_OK;
	case ACT_MALFORMED:
		return (cfg_flags & SPEX_EDGE_CF_DROP) ? TC_ACT_SHOT : TC_ACT_OK;
	case ACT_DROP:
		return TC_ACT_SHOT;
	default:
		return TC_ACT_OK;
	}
}

char LICENSE[] SEC("license") = "GPL";
