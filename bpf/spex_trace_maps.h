/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * The maps pinned under /sys/fs/bpf/spex/: their keys and values, shared
 * by bpf/spex_trace.bpf.c and tools/spex-trace. Every field is named in
 * the maps' BTF, so `bpftool map dump pinned` prints them. Units are in
 * the names: _ns, _bytes. The maps hold counts only; spex-trace derives
 * energy from them (tools/spex-trace/energy.c).
 */
#ifndef SPEX_TRACE_MAPS_H
#define SPEX_TRACE_MAPS_H

#define SPEX_TRACE_PIN_DIR	"/sys/fs/bpf/spex"
#define SPEX_TRACE_MAX_MODELS	256
#define SPEX_TRACE_MAX_LAYERS	4096	/* model x layer entries */
#define SPEX_TRACE_MAX_EXITS	8	/* SPX_MAX_EXITS */
#define SPEX_TRACE_MAX_SLOTS	27	/* log2 us: the last is >= 2^26 us */

/* Histograms are split by outcome: the job's decision, or an error. */
enum spex_trace_outcome {
	SPEX_TRACE_EXIT		= 0,	/* SPEX_DECISION_EXIT */
	SPEX_TRACE_OFFLOAD	= 1,	/* SPEX_DECISION_OFFLOAD */
	SPEX_TRACE_FINAL	= 2,	/* SPEX_DECISION_FINAL */
	SPEX_TRACE_ERROR	= 3,	/* status != SPEX_OK */
	SPEX_TRACE_N_OUTCOMES
};

/*
 * Where a job entered the module: the top byte of its job id (kmod's
 * enum spex_entry, Documentation/kmod.rst). Anything else counts as
 * SPEX_TRACE_ENTRY_OTHER.
 */
#define SPEX_TRACE_ENTRY_SHIFT	56
enum spex_trace_entry {
	SPEX_TRACE_ENTRY_DEV	= 0,	/* ioctl, uring_cmd, spex_submit() */
	SPEX_TRACE_ENTRY_ATOMIC	= 1,	/* spex_submit_atomic() */
	SPEX_TRACE_ENTRY_KFUNC	= 2,	/* bpf_spex_run(): XDP, TC */
	SPEX_TRACE_ENTRY_OTHER	= 3,
	SPEX_TRACE_N_ENTRIES
};

/* map "spex_stats": model_id -> per-model counters and histograms. */
struct spex_trace_stats {
	__u64 jobs;			/* spex_job_end events */
	__u64 exits;			/* decision EXIT */
	__u64 offloads;			/* decision OFFLOAD */
	__u64 finals;			/* decision FINAL */
	__u64 errors;			/* status != 0 */
	__u64 exit_at[SPEX_TRACE_MAX_EXITS]; /* EXIT, by exit_index */
	__u64 offload_bytes;		/* OFFLOAD: bottleneck_len */
	__u64 macs;			/* spex_job_end macs */
	__u64 weight_bytes;		/* spex_job_end weight_bytes */
	__u64 act_bytes;		/* spex_job_end act_bytes */
	__u64 ns;			/* spex_job_end ns: time in the engine */
	/* Job latency (engine time) in log2 microseconds, by outcome: slot
	 * 0 is < 2 us, slot s is [2^s, 2^(s+1)) us, the last the rest. In
	 * this value, not a map of its own, so a job costs one lookup. */
	__u64 hist_us[SPEX_TRACE_N_OUTCOMES][SPEX_TRACE_MAX_SLOTS];
	/* The same jobs by entry point: their count and latency. */
	__u64 entry_jobs[SPEX_TRACE_N_ENTRIES];
	__u64 entry_hist_us[SPEX_TRACE_N_ENTRIES][SPEX_TRACE_MAX_SLOTS];
};

/* map "spex_layers": time and work per layer. */
struct spex_trace_layer_key {
	__u32 model_id;
	__u16 layer;			/* index among all the model's layers */
	__u16 branch;			/* 0: main path; e + 1: exit e */
};

struct spex_trace_layer {
	__u64 count;
	__u64 ns;
	__u64 macs;
	__u64 weight_bytes;
	__u64 act_bytes;
	__u32 type;			/* enum spx_layer_type */
	__u32 pad;
};

#endif /* SPEX_TRACE_MAPS_H */
