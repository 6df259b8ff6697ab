// SPDX-License-Identifier: GPL-2.0
/*
 * The job path: every job, from the ioctl, uring_cmd, the in-kernel API
 * or the atomic entries (spex_atomic.c), has its lengths checked once (spex_kjob_admit()), runs the core
 * engine in a scratch slot of its model's pool, and is traced and counted
 * once (spex_kjob_end()).
 *
 * Every job's work is cut into chunks of at most fpu_chunk_macs
 * multiply-accumulates (the engine cuts FC layers by rows, conv layers by
 * channels and, within a channel, by output rows; one FC row or one conv
 * output row is the smallest chunk), and the task may be rescheduled
 * after each. With AVX2 each chunk is one kernel_fpu_begin/end section;
 * without AVX2, with simd=N, SPEX_JOB_F_SCALAR, or when the FPU is not
 * usable here, the scalar kernels run with no FPU section but the same
 * chunks: both give bit-identical results.
 *
 * A job from userspace holds a scratch slot only while it computes: its
 * input is copied in before it takes one, its output copied out after it
 * gave it back, so a buffer that faults slowly (FUSE, userfaultfd) parks
 * no slot.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <asm/cpufeature.h>

#include "spex_compat.h"
#include "spex_internal.h"
#include "spex_trace.h"

static const struct spex_kernels *spex_simd_kernels;	/* NULL: none */
static struct workqueue_struct *spex_wq;		/* spex_submit_async */
static atomic64_t spex_job_seq[SPEX_ENTRY_COUNT];	/* per enum spex_entry */

int spex_job_init(void)
{
#ifdef SPEX_HAVE_AVX2
	/* what kern_*_avx2.o is compiled for: -mavx -mavx2 -mfma */
	if (boot_cpu_has(X86_FEATURE_AVX) && boot_cpu_has(X86_FEATURE_AVX2) &&
	    boot_cpu_has(X86_FEATURE_FMA) &&
	    cpu_has_xfeatures(XFEATURE_MASK_SSE | XFEATURE_MASK_YMM, NULL))
		spex_simd_kernels = &spex_kernels_avx2;
#endif
	spex_wq = alloc_workqueue("spex", WQ_UNBOUND, 0);
	return spex_wq ? 0 : -ENOMEM;
}

void spex_job_exit(void)
{
	destroy_workqueue(spex_wq);
}

/*
 * The vector kernels the CPU supports, NULL when it has none or the simd
 * parameter is off. Detected once in spex_job_init(); every entry point
 * (ioctl, uring_cmd, in-kernel, atomic, kfunc) asks here.
 */
const struct spex_kernels *spex_simd_kernels_usable(void)
{
	return READ_ONCE(spex_simd) ? spex_simd_kernels : NULL;
}

const char *spex_kernels_name(void)
{
	const struct spex_kernels *k = spex_simd_kernels_usable();

	return spex_kernels_impl_name(k ? k : &spex_kernels_scalar);
}

/*
 * Softirqs stay off during an FPU section: on 6.1, kernel_fpu_begin()
 * only disables preemption, and a softirq run at irq exit inside the
 * section was seen to clobber the vector registers (wrong AVX2 results
 * under QEMU). Later kernels disable softirqs in kernel_fpu_begin()
 * themselves; nesting is harmless there.
 */
static void spex_fpu_begin(void *priv)
{
	local_bh_disable();
	kernel_fpu_begin();
}

static void spex_fpu_end(void *priv)
{
	kernel_fpu_end();
	local_bh_enable();
	cond_resched();
}

/* After each chunk of a scalar job. */
static void spex_chunk_end(void *priv)
{
	cond_resched();
}

static void spex_layer_done(void *priv, const struct spex_layer_event *ev)
{
	struct spex_kjob *j = priv;
	u64 now = ktime_get_ns();

	trace_spex_layer(j->km->id, j->id, ev->layer, ev->branch, ev->type,
			 ev->macs, ev->weight_bytes, ev->act_bytes,
			 now - j->t_layer);
	j->t_layer = now;
}

/*
 * A job starts: it gets its id (its entry in the top byte, SPEX_JOB_ID())
 * and fires spex_job_start; with ex, the engine will report its layers
 * to spex_layer while that event is on. Returns the start time, for
 * res->ns. Any context but NMI.
 */
u64 spex_kjob_begin(struct spex_kjob *j, struct spex_kmodel *km, u32 entry,
		    size_t in_len, u32 flags, struct spex_exec *ex)
{
	j->km = km;
	j->id = SPEX_JOB_ID(entry, atomic64_inc_return(&spex_job_seq[entry]));
	if (ex && trace_spex_layer_enabled()) {
		ex->layer_done = spex_layer_done;
		ex->priv = j;
	}
	trace_spex_job_start(km->id, j->id, in_len, flags);
	j->t_layer = ktime_get_ns();
	return j->t_layer;
}

/*
 * A job ends, whatever became of it: the one place a job is counted, and
 * its spex_exit_decision and spex_job_end events. res->status says how it
 * went, res->ns is its time in the engine (0 if it never got there).
 */
void spex_kjob_end(struct spex_kjob *j, const struct spex_result *res)
{
	struct spex_kmodel *km = j->km;

	atomic64_add(res->ns, &km->stats.total_ns);
	if (res->status != SPEX_OK)
		atomic64_inc(&km->stats.errors);
	else if (res->decision == SPEX_DECISION_OFFLOAD)
		atomic64_inc(&km->stats.offloads);
	else
		atomic64_inc(&km->stats.exits);

	if (res->status == SPEX_OK)
		trace_spex_exit_decision(km->id, j->id, res->decision,
					 res->exit_index, res->class_id,
					 res->confidence_q16, res->flags);
	trace_spex_job_end(km->id, j->id, res->status, res->decision,
			   res->exit_index, res->class_id, res->confidence_q16,
			   res->bottleneck_len, res->macs, res->weight_bytes,
			   res->act_bytes, res->ns);
}

void spex_kstats_read(const struct spex_kmodel *km,
		      struct spex_kstats_snap *s)
{
	s->exits = atomic64_read(&km->stats.exits);
	s->offloads = atomic64_read(&km->stats.offloads);
	s->errors = atomic64_read(&km->stats.errors);
	s->total_ns = atomic64_read(&km->stats.total_ns);
	s->jobs = s->exits + s->offloads + s->errors;
}

/*
 * The module's one check of a job's lengths against its model, made
 * before any buffer is touched (a scratch slot holds exactly the model's
 * input and output): the input must be input_bytes long, the output hold
 * at least output_bytes. A refused job is a job that failed: it is traced
 * and counted like one, and res says why. Returns an enum spex_status.
 */
int spex_kjob_admit(struct spex_kmodel *km, u32 entry, size_t in_len,
		    size_t out_cap, u32 flags, struct spex_result *res)
{
	struct spex_kjob j;
	int st = SPEX_OK;

	if (in_len != km->info->input_bytes)
		st = SPEX_E_INPUT;
	else if (out_cap < km->info->output_bytes)
		st = SPEX_E_OUTPUT;
	if (st == SPEX_OK)
		return SPEX_OK;

	/* What the engine itself reports for the same refusal. */
	memset(res, 0, sizeof(*res));
	res->exit_index = SPEX_NO_EXIT;
	res->status = st;
	spex_kjob_begin(&j, km, entry, in_len, flags, NULL);
	spex_kjob_end(&j, res);
	return st;
}

/*
 * Run one admitted job on kernel buffers; scratch is a pool slot. Process
 * context only. Returns an enum spex_status and fills res (res->ns
 * included).
 */
int spex_kjob_run(struct spex_kmodel *km, const void *in, size_t in_len,
		  void *out, size_t out_cap, void *scratch, u32 flags,
		  struct spex_result *res)
{
	struct spex_exec ex = { .kernels = &spex_kernels_scalar };
	const struct spex_kernels *simd;
	struct spex_policy pol;
	struct spex_kjob j;
	u64 t0;
	int st;

	might_sleep();
	spex_kmodel_get_policy(km, &pol);
	ex.chunk_macs = clamp(READ_ONCE(spex_fpu_chunk_macs),
			      SPEX_FPU_CHUNK_MIN, SPEX_FPU_CHUNK_MAX);
	ex.simd_end = spex_chunk_end;
	simd = spex_simd_kernels_usable();
	if (simd && !(flags & SPEX_JOB_F_SCALAR) && may_use_simd()) {
		ex.kernels = simd;
		ex.simd_begin = spex_fpu_begin;
		ex.simd_end = spex_fpu_end;
	}

	t0 = spex_kjob_begin(&j, km, SPEX_ENTRY_DEV, in_len, flags, &ex);
	st = spex_run(km->model, &pol, &ex, scratch, in, in_len, out, out_cap,
		      res);
	res->ns = ktime_get_ns() - t0;
	res->status = st;
	spex_kjob_end(&j, res);
	return st;
}

/* Bytes of the output a successful job wrote. */
u32 spex_kjob_out_len(const struct spex_kmodel *km,
		      const struct spex_result *res)
{
	if (res->decision == SPEX_DECISION_OFFLOAD)
		return min(res->bottleneck_len, km->info->output_bytes);
	if (res->decision == SPEX_DECISION_FINAL)
		return km->info->output_bytes;
	return 0;
}

static bool spex_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/*
 * The argument checks that need no model: EINVAL, and E2BIG for an input
 * over the module's max_input_bytes limit.
 */
static int spex_job_check(const struct spex_job *job)
{
	u64 rlen = job->result ? sizeof(struct spex_result) : 0;

	if (job->reserved[0] || job->reserved[1] || job->reserved[2])
		return -EINVAL;
	if (job->flags & ~SPEX_JOB_F_ALL)
		return -EINVAL;
	if (!job->model_id)
		return -EINVAL;
	if (job->input_len > READ_ONCE(spex_max_input_bytes))
		return -E2BIG;
	if (spex_overlap(job->input, job->input_len, job->output,
			 job->output_len) ||
	    spex_overlap(job->input, job->input_len, job->result, rlen) ||
	    spex_overlap(job->output, job->output_len, job->result, rlen))
		return -EINVAL;
	return 0;
}

/* The whole result to userspace if the job asked; ret unless that faults. */
static int spex_job_put_result(const struct spex_job *job,
			       const struct spex_result *res, int ret)
{
	if (job->result && copy_to_user(u64_to_user_ptr(job->result), res,
					sizeof(*res)))
		return -EFAULT;
	return ret;
}

/*
 * A job from userspace (ioctl or uring_cmd). Returns the SPEX_RES_* word,
 * or -errno; *res2 gets the CQE32 extra word.
 *
 * Neither a scratch slot nor the model's reference is held while user
 * memory is copied: the input is copied into the job's own buffer first
 * (with the model looked up before, for its sizes, and again after; an
 * unload in between gives ENOENT), the output copied out last. So a
 * buffer that faults forever (userfaultfd, FUSE) blocks neither other
 * jobs nor an unload.
 */
int spex_job_user(struct spex_file *sf, const struct spex_job *job,
		  bool nonblock, u64 *res2)
{
	struct spex_result res = {};
	struct spex_kmodel *km;
	size_t in_len = job->input_len, out_cap;
	u8 *buf = NULL;
	void *slot;
	u32 out_len;
	int st, ret;

	ret = spex_job_check(job);
	if (ret)
		return ret;
	ret = spex_file_job_begin(sf);
	if (ret)
		return ret;
	km = spex_kmodel_get(job->model_id);
	if (!km) {
		ret = -ENOENT;
		goto out_end;
	}
	st = spex_kjob_admit(km, SPEX_ENTRY_DEV, in_len, job->output_len,
			     job->flags, &res);
	out_cap = km->info->output_bytes;
	spex_kmodel_put(km);
	if (st != SPEX_OK) {
		ret = spex_job_put_result(job, &res, -spex_status_errno(st));
		goto out_end;
	}
	/* Both are the model's sizes, far below kvmalloc's INT_MAX. */
	if (in_len + out_cap > INT_MAX) {
		ret = -E2BIG;
		goto out_end;
	}
	buf = kvmalloc(in_len + out_cap, GFP_KERNEL_ACCOUNT);
	if (!buf) {
		ret = -ENOMEM;
		goto out_end;
	}
	if (copy_from_user(buf, u64_to_user_ptr(job->input), in_len)) {
		ret = -EFAULT;
		goto out_end;
	}

	/* Ids are never reused soon (cyclic over 2^31): the same model. */
	km = spex_kmodel_get(job->model_id);
	if (!km) {
		ret = -ENOENT;
		goto out_end;
	}
	slot = spex_slot_get(km, sf, nonblock);
	if (IS_ERR_OR_NULL(slot)) {
		spex_kmodel_put(km);
		ret = slot ? PTR_ERR(slot) : -EAGAIN;
		goto out_end;
	}
	st = spex_kjob_run(km, buf, in_len, buf + in_len, out_cap, slot,
			   job->flags, &res);
	spex_slot_put(km, sf, slot);
	out_len = st == SPEX_OK ? spex_kjob_out_len(km, &res) : 0;
	spex_kmodel_put(km);
	if (st != SPEX_OK) {
		ret = spex_job_put_result(job, &res, -spex_status_errno(st));
		goto out_end;
	}
	if (out_len && copy_to_user(u64_to_user_ptr(job->output),
				    buf + in_len, out_len)) {
		ret = -EFAULT;
		goto out_end;
	}
	ret = SPEX_RES_PACK(res.decision, res.flags & SPEX_RF_FORCED,
			    res.flags & SPEX_RF_LOW_CONF ? 1 : 0,
			    res.class_id, res.confidence_q16);
	*res2 = SPEX_RES2_PACK(res.exit_index, res.layers_run, out_len);
	ret = spex_job_put_result(job, &res, ret);
out_end:
	kvfree(buf);
	spex_file_job_end(sf);
	return ret;
}

int spex_submit(struct spex_kmodel *km, const void *input, size_t in_len,
		void *output, size_t out_cap, u32 flags,
		struct spex_result *res)
{
	void *slot;
	int st;

	memset(res, 0, sizeof(*res));
	if (flags & ~SPEX_JOB_F_ALL)
		return -EINVAL;
	st = spex_kjob_admit(km, SPEX_ENTRY_DEV, in_len, out_cap, flags, res);
	if (st != SPEX_OK)
		return -spex_status_errno(st);
	slot = spex_slot_get(km, NULL, false);
	if (IS_ERR(slot))
		return PTR_ERR(slot);
	st = spex_kjob_run(km, input, in_len, output, out_cap, slot, flags,
			   res);
	spex_slot_put(km, NULL, slot);
	return st == SPEX_OK ? 0 : -spex_status_errno(st);
}
EXPORT_SYMBOL_GPL(spex_submit);

static void spex_async_work(struct work_struct *work)
{
	struct spex_request *req = container_of(work, struct spex_request,
						work);

	req->error = spex_submit(req->model, req->input, req->input_len,
				 req->output, req->output_cap, req->flags,
				 &req->result);
	req->done(req);
}

int spex_submit_async(struct spex_request *req)
{
	if (!req->model || !req->done)
		return -EINVAL;
	req->error = 0;
	INIT_WORK(&req->work, spex_async_work);
	queue_work(spex_wq, &req->work);
	return 0;
}
EXPORT_SYMBOL_GPL(spex_submit_async);
