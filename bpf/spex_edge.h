/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * What bpf/spex_edge.bpf.c and tools/spex-edge share: the counters and
 * the configuration record, as the maps pinned under
 * /sys/fs/bpf/spex/edge/ hold them. Every field is named in the maps'
 * BTF, so `bpftool map dump pinned /sys/fs/bpf/spex/edge/counters`
 * prints each counter by name, per CPU.
 */
#ifndef SPEX_EDGE_H
#define SPEX_EDGE_H

#define SPEX_EDGE_PIN_DIR	"/sys/fs/bpf/spex/edge"
#define SPEX_EDGE_MAX_BNECK	2048	/* largest bottleneck passed up */
#define SPEX_EDGE_MAX_INPUT	4096	/* largest input tensor (frames fit
					 * a 9000-byte jumbo MTU) */

/*
 * map "counters" (per-CPU array, one entry): what happened to each frame
 * the program took for a sensor frame: IPv4 UDP to the configured port,
 * and IPv4 packets whose IP or UDP header is broken. Every such frame
 * adds 1 to frames and exactly 1 to one of exits, finals, offloads or
 * one malformed reason; passed + dropped is the sum of the reasons.
 */
struct spex_edge_counters {
	__u64 frames;		/* IPv4 UDP datagrams to the port */
	__u64 exits;		/* answered from the datapath: an exit */
	__u64 finals;		/* answered from the datapath: FINAL */
	__u64 offloads;		/* passed up to the forwarder */
	__u64 offload_bytes;	/* bottleneck bytes passed up */
	__u64 passed;		/* malformed, passed up to the stack */
	__u64 dropped;		/* malformed, dropped */
	/* malformed, by reason */
	__u64 ip_truncated;	/* IPv4 header beyond the packet, ihl < 5 */
	__u64 ip_options;	/* ihl > 5: options are not parsed */
	__u64 ip_fragment;	/* MF set or a fragment offset */
	__u64 ip_length;	/* tot_len beyond the packet or < headers */
	__u64 udp_truncated;	/* UDP header beyond the packet */
	__u64 udp_length;	/* UDP length not what the IP header says */
	__u64 short_frame;	/* payload shorter than the frame header */
	__u64 bad_magic;
	__u64 bad_version;
	__u64 bad_type;		/* not a REQUEST */
	__u64 bad_length;	/* hdr.len != the model's input_bytes, or
				 * != the payload after the header */
	__u64 bad_format;	/* both or unknown SPEX_EDGE_IN_* flags */
	__u64 unknown_model;	/* model_id (or hash8) not the configured */
	__u64 not_atomic;	/* the kfunc said -EPERM */
	__u64 no_model;		/* the kfunc said -ENOENT (unloaded) */
	__u64 kfunc_error;	/* the kfunc failed otherwise */
	__u64 spoofed;		/* from the wire to the forwarder's port:
				 * always dropped */
	/* not a reason: an answered frame whose resize failed (dropped) */
	__u64 rewrite_error;
};

#define SPEX_EDGE_N_REASONS	17	/* ip_truncated .. spoofed */

/* map "conf" (array, one entry): written by `spex-edge attach`, read by
 * stats, forward and detach. The program itself reads its knobs from
 * const volatile globals set before load. */
struct spex_edge_config {
	__u32 ifindex;
	__u32 mode;		/* enum spex_edge_mode */
	__u32 model_id;
	__u32 input_bytes;	/* the model's */
	__u32 bneck_bytes;	/* the model's output_bytes */
	__u16 port;		/* sensor frames, host order */
	__u16 fwd_port;		/* OFFLOAD frames go up to this port */
	__u32 prog_id;
	__u32 flags;		/* SPEX_EDGE_CF_* */
	__u8  hash8[4];
	/* the tail server (spex-serve), for the forwarder and the next
	 * step, where the kernel sends the bottleneck itself */
	__u8  tail_addr[16];	/* IPv4 in the first 4 bytes, or IPv6 */
	__u16 tail_family;	/* AF_INET, AF_INET6, or 0: none */
	__u16 tail_port;	/* host order */
	__u32 tc_handle;
	__u32 tc_priority;
	__u32 reserved[4];
};

enum spex_edge_mode {
	SPEX_EDGE_MODE_NATIVE	= 1,	/* XDP in the driver */
	SPEX_EDGE_MODE_GENERIC	= 2,	/* XDP on the skb */
	SPEX_EDGE_MODE_TC	= 3,	/* TC ingress, SCHED_CLS */
};

#define SPEX_EDGE_CF_DROP	0x1	/* malformed frames are dropped */
#define SPEX_EDGE_CF_SCALAR	0x2	/* SPEX_KF_SCALAR on every job */
#define SPEX_EDGE_CF_I8		0x4	/* default input format int8 */

/* The per-CPU buffer the kfunc writes into: its struct spex_kf_out, then
 * the bottleneck. */
struct spex_edge_scratch {
	__u32 exit_index;
	__u32 bottleneck_len;
	__u32 layers_run;
	__u32 reserved;
	__u8 data[SPEX_EDGE_MAX_BNECK];
};

#endif /* SPEX_EDGE_H */
