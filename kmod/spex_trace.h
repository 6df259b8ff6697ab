/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spex tracepoints: one spex_job_start and one spex_job_end per job, one
 * spex_layer event per computed layer, one spex_exit_decision per
 * successful job. The names carry the spex_ prefix because raw_tp attach
 * names are global. The bpf programs (bpf/) attach to spex_job_end and
 * spex_layer; keep the fields stable.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM spex

#if !defined(_SPEX_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _SPEX_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(spex_job_start,
	TP_PROTO(u32 model_id, u64 job_id, u32 in_bytes, u32 flags),
	TP_ARGS(model_id, job_id, in_bytes, flags),
	TP_STRUCT__entry(
		__field(u32, model_id)
		__field(u64, job_id)
		__field(u32, in_bytes)
		__field(u32, flags)
	),
	TP_fast_assign(
		__entry->model_id = model_id;
		__entry->job_id = job_id;
		__entry->in_bytes = in_bytes;
		__entry->flags = flags;
	),
	TP_printk("model=%u job=%llu in_bytes=%u flags=0x%x",
		  __entry->model_id, __entry->job_id, __entry->in_bytes,
		  __entry->flags)
);

TRACE_EVENT(spex_layer,
	TP_PROTO(u32 model_id, u64 job_id, u32 layer, u32 branch, u32 type,
		 u64 macs, u64 weight_bytes, u64 act_bytes, u64 ns),
	TP_ARGS(model_id, job_id, layer, branch, type, macs, weight_bytes,
		act_bytes, ns),
	TP_STRUCT__entry(
		__field(u32, model_id)
		__field(u64, job_id)
		__field(u32, layer)
		__field(u32, branch)
		__field(u32, type)
		__field(u64, macs)
		__field(u64, weight_bytes)
		__field(u64, act_bytes)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->model_id = model_id;
		__entry->job_id = job_id;
		__entry->layer = layer;
		__entry->branch = branch;
		__entry->type = type;
		__entry->macs = macs;
		__entry->weight_bytes = weight_bytes;
		__entry->act_bytes = act_bytes;
		__entry->ns = ns;
	),
	TP_printk("model=%u job=%llu layer=%u branch=%u type=%u macs=%llu weight_bytes=%llu act_bytes=%llu ns=%llu",
		  __entry->model_id, __entry->job_id, __entry->layer,
		  __entry->branch, __entry->type, __entry->macs,
		  __entry->weight_bytes, __entry->act_bytes, __entry->ns)
);

TRACE_EVENT(spex_exit_decision,
	TP_PROTO(u32 model_id, u64 job_id, u32 decision, u32 exit_index,
		 u32 class_id, u32 confidence_q16, u32 flags),
	TP_ARGS(model_id, job_id, decision, exit_index, class_id,
		confidence_q16, flags),
	TP_STRUCT__entry(
		__field(u32, model_id)
		__field(u64, job_id)
		__field(u32, decision)
		__field(u32, exit_index)
		__field(u32, class_id)
		__field(u32, confidence_q16)
		__field(u32, flags)
	),
	TP_fast_assign(
		__entry->model_id = model_id;
		__entry->job_id = job_id;
		__entry->decision = decision;
		__entry->exit_index = exit_index;
		__entry->class_id = class_id;
		__entry->confidence_q16 = confidence_q16;
		__entry->flags = flags;
	),
	TP_printk("model=%u job=%llu decision=%s exit=%d class=%u confidence_q16=%u flags=0x%x",
		  __entry->model_id, __entry->job_id,
		  __print_symbolic(__entry->decision,
				   { SPEX_DECISION_EXIT, "exit" },
				   { SPEX_DECISION_OFFLOAD, "offload" },
				   { SPEX_DECISION_FINAL, "final" }),
		  (int)__entry->exit_index, __entry->class_id,
		  __entry->confidence_q16, __entry->flags)
);

/*
 * Everything a job cost, in one event: a bpf program on spex_job_end
 * alone can count outcomes, exits by index, bytes offloaded and the work
 * energy is derived from. A job refused for its lengths ends here too,
 * with its status. exit_index is the exit taken (EXIT), the last exit
 * tried (OFFLOAD), or -1; bottleneck_len is what an OFFLOAD wrote, 0 otherwise. At most 12
 * arguments: bpf_trace_run12() is the largest raw tracepoint.
 */
TRACE_EVENT(spex_job_end,
	TP_PROTO(u32 model_id, u64 job_id, int status, u32 decision,
		 u32 exit_index, u32 class_id, u32 confidence_q16,
		 u32 bottleneck_len, u64 macs, u64 weight_bytes, u64 act_bytes,
		 u64 ns),
	TP_ARGS(model_id, job_id, status, decision, exit_index, class_id,
		confidence_q16, bottleneck_len, macs, weight_bytes, act_bytes,
		ns),
	TP_STRUCT__entry(
		__field(u32, model_id)
		__field(u64, job_id)
		__field(int, status)
		__field(u32, decision)
		__field(u32, exit_index)
		__field(u32, class_id)
		__field(u32, confidence_q16)
		__field(u32, bottleneck_len)
		__field(u64, macs)
		__field(u64, weight_bytes)
		__field(u64, act_bytes)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->model_id = model_id;
		__entry->job_id = job_id;
		__entry->status = status;
		__entry->decision = decision;
		__entry->exit_index = exit_index;
		__entry->class_id = class_id;
		__entry->confidence_q16 = confidence_q16;
		__entry->bottleneck_len = bottleneck_len;
		__entry->macs = macs;
		__entry->weight_bytes = weight_bytes;
		__entry->act_bytes = act_bytes;
		__entry->ns = ns;
	),
	TP_printk("model=%u job=%llu status=%d decision=%u exit=%d class=%u confidence_q16=%u bottleneck_len=%u macs=%llu weight_bytes=%llu act_bytes=%llu ns=%llu",
		  __entry->model_id, __entry->job_id, __entry->status,
		  __entry->decision, (int)__entry->exit_index,
		  __entry->class_id, __entry->confidence_q16,
		  __entry->bottleneck_len, __entry->macs,
		  __entry->weight_bytes, __entry->act_bytes, __entry->ns)
);

#endif /* _SPEX_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE spex_trace
#include <trace/define_trace.h>
