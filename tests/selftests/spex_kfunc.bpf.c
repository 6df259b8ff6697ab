// SPDX-License-Identifier: GPL-2.0
/*
 * The kfunc selftest's BPF side (tests/selftests/spex_kfunc_test.c drives
 * it with BPF_PROG_TEST_RUN): bpf_spex_run() from XDP and from TC, on a
 * map value (any sizes the test sets, for the bad-argument cases) and on
 * packet data (the input, then the output area, after a constant-size
 * bounds check, as a datapath program does). Every run counts its result.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "spex_kfunc.bpf.h"

#define KF_BUF_IN	1024
#define KF_BUF_OUT	1024
#define KF_PKT_IN	784			/* the mnist head's input */
#define KF_PKT_OUT	(SPEX_KF_OUT_HDR + 64)	/* its 56-byte bottleneck */
#define KF_E_SETUP	(-10000)		/* the program's own refusal */
#define KF_TC_ACT_OK	0

struct kf_buf {
	__u8 in[KF_BUF_IN];
	__u8 out[KF_BUF_OUT];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kf_buf);
} kf_bufs SEC(".maps");

/* Set by the test before a run. */
__u64 kf_ctl;
__u32 kf_in_sz;
__u32 kf_out_sz;

/* Results: the last return value, and every run counted by outcome. */
__s32 kf_ret;
__u64 kf_runs, kf_ok, kf_enoent, kf_other;

static __always_inline void kf_count(int r)
{
	kf_ret = r;
	__sync_fetch_and_add(&kf_runs, 1);
	if (r >= 0)
		__sync_fetch_and_add(&kf_ok, 1);
	else if (r == -2)	/* ENOENT */
		__sync_fetch_and_add(&kf_enoent, 1);
	else
		__sync_fetch_and_add(&kf_other, 1);
}

static __always_inline void kf_on_map(void)
{
	__u32 key = 0, in_sz = kf_in_sz, out_sz = kf_out_sz;
	struct kf_buf *b = bpf_map_lookup_elem(&kf_bufs, &key);

	if (!b)
		return;
	if (in_sz < 1 || in_sz > KF_BUF_IN || out_sz < 1 ||
	    out_sz > KF_BUF_OUT) {
		kf_ret = KF_E_SETUP;
		return;
	}
	kf_count(bpf_spex_run(kf_ctl, b->in, in_sz, b->out, out_sz));
}

static __always_inline void kf_on_packet(__u8 *data, __u8 *end)
{
	if (data + KF_PKT_IN + KF_PKT_OUT > end) {
		kf_ret = KF_E_SETUP;
		return;
	}
	kf_count(bpf_spex_run(kf_ctl, data, KF_PKT_IN, data + KF_PKT_IN,
			      KF_PKT_OUT));
}

SEC("xdp")
int kf_xdp_map(struct xdp_md *ctx)
{
	kf_on_map();
	return XDP_PASS;
}

SEC("tc")
int kf_tc_map(struct __sk_buff *skb)
{
	kf_on_map();
	return KF_TC_ACT_OK;
}

SEC("xdp")
int kf_xdp_pkt(struct xdp_md *ctx)
{
	kf_on_packet((__u8 *)(long)ctx->data, (__u8 *)(long)ctx->data_end);
	return XDP_PASS;
}

SEC("tc")
int kf_tc_pkt(struct __sk_buff *skb)
{
	kf_on_packet((__u8 *)(long)skb->data, (__u8 *)(long)skb->data_end);
	return KF_TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
