// SPDX-License-Identifier: GPL-2.0
/*
 * spex-trace, kernel side: counters, latency histograms (by outcome and
 * by entry point: the job id's top byte) and per-layer time per model,
 * from the spex module's tracepoints (kmod/spex_trace.h).
 * It only counts; spex-trace derives energy from the counters.
 * spex_job_end carries everything a job cost, so one program run per job
 * counts it; spex_layer (only with --layers) adds time per layer. Every
 * handler exists twice: tp_btf/ (typed arguments from
 * the module's BTF) and raw_tp/ (the same TP_PROTO arguments as u64s,
 * for a module built without BTF); the loader autoloads one set.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "spex_trace_maps.h"
#include "bits.bpf.h"
#include "maps.bpf.h"

/* Set by spex-trace before load. */
const volatile __u32 targ_model = 0;		/* 0: every model */
/*
 * The energy coefficients spex-trace prices the counters with
 * (Documentation/tracing.rst). No program reads them: they are recorded
 * here so the pinned config map tells a bpftool reader of the counters
 * (say, after --keep) what spex-trace derived its energy with.
 */
const volatile __u64 e_mac_fj = 300;		/* per multiply-accumulate */
const volatile __u64 e_mem_fj = 1250;		/* per byte moved */
const volatile __u64 e_tx_fj = 2265360000ULL;	/* per byte offloaded */
const volatile __u64 p_active_uw = 0;		/* uW x ns = fJ */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SPEX_TRACE_MAX_MODELS);
	__type(key, __u32);
	__type(value, struct spex_trace_stats);
} spex_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SPEX_TRACE_MAX_LAYERS);
	__type(key, struct spex_trace_layer_key);
	__type(value, struct spex_trace_layer);
} spex_layers SEC(".maps");

static const struct spex_trace_stats zero_stats;
static const struct spex_trace_layer zero_layer;

static __always_inline bool skip_model(__u32 model_id)
{
	return targ_model && model_id != targ_model;
}

static __always_inline int on_job_end(__u32 model_id, __u64 job_id,
				      int status,
				      __u32 decision, __u32 exit_index,
				      __u32 bottleneck_len, __u64 macs,
				      __u64 weight_bytes, __u64 act_bytes,
				      __u64 ns)
{
	__u64 entry = job_id >> SPEX_TRACE_ENTRY_SHIFT;
	struct spex_trace_stats *st;
	__u64 outcome, slot;

	if (skip_model(model_id))
		return 0;
	st = spex_lookup_or_init(&spex_stats, &model_id, &zero_stats);
	if (!st)
		return 0;

	__sync_fetch_and_add(&st->jobs, 1);
	if (status) {
		__sync_fetch_and_add(&st->errors, 1);
		outcome = SPEX_TRACE_ERROR;
	} else if (decision == SPEX_TRACE_OFFLOAD) {
		__sync_fetch_and_add(&st->offloads, 1);
		outcome = SPEX_TRACE_OFFLOAD;
		__sync_fetch_and_add(&st->offload_bytes, bottleneck_len);
	} else if (decision == SPEX_TRACE_FINAL) {
		__sync_fetch_and_add(&st->finals, 1);
		outcome = SPEX_TRACE_FINAL;
	} else {
		__sync_fetch_and_add(&st->exits, 1);
		outcome = SPEX_TRACE_EXIT;
		if (exit_index < SPEX_TRACE_MAX_EXITS) {
			/* clang may test the bound on a copy the verifier
			 * cannot tie to exit_index; the opaque mask bounds
			 * the index it uses. */
			asm volatile("" : "+r"(exit_index));
			__sync_fetch_and_add(&st->exit_at[exit_index &
					     (SPEX_TRACE_MAX_EXITS - 1)], 1);
		}
	}
	__sync_fetch_and_add(&st->macs, macs);
	__sync_fetch_and_add(&st->weight_bytes, weight_bytes);
	__sync_fetch_and_add(&st->act_bytes, act_bytes);
	__sync_fetch_and_add(&st->ns, ns);

	/* Opaque, then clamped: see spex_slot(). */
	asm volatile("" : "+r"(outcome));
	if (outcome >= SPEX_TRACE_N_OUTCOMES)
		outcome = SPEX_TRACE_ERROR;
	slot = spex_slot(ns / 1000, SPEX_TRACE_MAX_SLOTS);
	__sync_fetch_and_add(&st->hist_us[outcome][slot], 1);

	asm volatile("" : "+r"(entry));
	if (entry >= SPEX_TRACE_N_ENTRIES)
		entry = SPEX_TRACE_ENTRY_OTHER;
	__sync_fetch_and_add(&st->entry_jobs[entry], 1);
	__sync_fetch_and_add(&st->entry_hist_us[entry][slot], 1);
	return 0;
}

static __always_inline int on_layer(__u32 model_id, __u32 layer,
				    __u32 branch, __u32 type, __u64 macs,
				    __u64 weight_bytes, __u64 act_bytes,
				    __u64 ns)
{
	struct spex_trace_layer_key key = {
		.model_id = model_id,
		.layer = layer,
		.branch = branch,
	};
	struct spex_trace_layer *l;

	if (skip_model(model_id))
		return 0;
	l = spex_lookup_or_init(&spex_layers, &key, &zero_layer);
	if (!l)
		return 0;
	l->type = type;
	__sync_fetch_and_add(&l->count, 1);
	__sync_fetch_and_add(&l->ns, ns);
	__sync_fetch_and_add(&l->macs, macs);
	__sync_fetch_and_add(&l->weight_bytes, weight_bytes);
	__sync_fetch_and_add(&l->act_bytes, act_bytes);
	return 0;
}

SEC("tp_btf/spex_job_end")
int BPF_PROG(spex_end_btf, u32 model_id, u64 job_id, int status,
	     u32 decision, u32 exit_index, u32 class_id, u32 confidence_q16,
	     u32 bottleneck_len, u64 macs, u64 weight_bytes, u64 act_bytes,
	     u64 ns)
{
	return on_job_end(model_id, job_id, status, decision, exit_index,
			  bottleneck_len, macs, weight_bytes, act_bytes, ns);
}

SEC("raw_tp/spex_job_end")
int BPF_PROG(spex_end_raw, u32 model_id, u64 job_id, int status,
	     u32 decision, u32 exit_index, u32 class_id, u32 confidence_q16,
	     u32 bottleneck_len, u64 macs, u64 weight_bytes, u64 act_bytes,
	     u64 ns)
{
	return on_job_end(model_id, job_id, status, decision, exit_index,
			  bottleneck_len, macs, weight_bytes, act_bytes, ns);
}

SEC("tp_btf/spex_layer")
int BPF_PROG(spex_layer_btf, u32 model_id, u64 job_id, u32 layer,
	     u32 branch, u32 type, u64 macs, u64 weight_bytes, u64 act_bytes,
	     u64 ns)
{
	return on_layer(model_id, layer, branch, type, macs, weight_bytes,
			act_bytes, ns);
}

SEC("raw_tp/spex_layer")
int BPF_PROG(spex_layer_raw, u32 model_id, u64 job_id, u32 layer,
	     u32 branch, u32 type, u64 macs, u64 weight_bytes, u64 act_bytes,
	     u64 ns)
{
	return on_layer(model_id, layer, branch, type, macs, weight_bytes,
			act_bytes, ns);
}

char LICENSE[] SEC("license") = "GPL";
