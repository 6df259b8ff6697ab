/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-kernel API of spex.ko: run inference jobs from another driver (a
 * sensor or network driver that already holds the data) without a trip
 * through userspace. Same models, same engine, same results as the
 * /dev/spex ioctl and uring_cmd paths.
 *
 *	struct spex_kmodel *m = spex_kmodel_get(id);
 *	if (!m)
 *		return -ENOENT;
 *	err = spex_submit(m, in, in_len, out, out_cap, 0, &res);
 *	spex_kmodel_put(m);
 *
 * Every function but the atomic ones at the end may sleep: call them from
 * process context (a workqueue, a threaded irq handler), never with a
 * spinlock held. A reference from
 * spex_kmodel_get() keeps the model alive; SPEX_IOC_UNLOAD_MODEL waits
 * until it is put, so hold it only as long as the jobs that need it.
 */
#ifndef _LINUX_SPEX_H
#define _LINUX_SPEX_H

#include <linux/types.h>
#include <linux/workqueue.h>
#include <uapi/linux/spex.h>

struct spex_kmodel;

/* A referenced model by id, or NULL when no such model is loaded. */
struct spex_kmodel *spex_kmodel_get(u32 model_id);
void spex_kmodel_put(struct spex_kmodel *m);

/* A model's id, and a job's input size and minimum output size. */
u32 spex_kmodel_id(const struct spex_kmodel *m);
void spex_kmodel_io_bytes(const struct spex_kmodel *m, u32 *input_bytes,
			  u32 *output_bytes);

/*
 * Run one job now. input: exactly input_bytes; output: at least
 * output_bytes, receives the bottleneck (OFFLOAD) or logits (FINAL).
 * flags: SPEX_JOB_F_*. Returns 0 and fills *res, or -errno (res->status
 * then says why when the engine refused the job).
 */
int spex_submit(struct spex_kmodel *m, const void *input, size_t in_len,
		void *output, size_t out_cap, u32 flags,
		struct spex_result *res);

/*
 * An asynchronous job. Fill the fields above the line, call
 * spex_submit_async(); done() runs later, in process context on spex's
 * workqueue, with error (0 or -errno) and result set. The request, its
 * buffers and the model reference must stay valid until done() runs.
 */
struct spex_request {
	struct spex_kmodel *model;
	const void *input;
	size_t input_len;
	void *output;
	size_t output_cap;
	u32 flags;
	void (*done)(struct spex_request *req);
	void *priv;
	/* ---- set by spex ---- */
	int error;
	struct spex_result result;
	struct work_struct work;
};

int spex_submit_async(struct spex_request *req);

/*
 * Atomic context: models loaded with SPEX_LOAD_F_ATOMIC run from softirq
 * (a NAPI poll, XDP, TC), with preemption off or under a spinlock, never
 * sleeping, on one scratch slot per CPU. No reference is taken:
 *
 *	rcu_read_lock();
 *	m = spex_kmodel_find_rcu(id);
 *	if (m && spex_kmodel_is_atomic(m))
 *		err = spex_submit_atomic(m, in, in_len, out, out_cap,
 *					 SPEX_KF_IN_U8, &res);
 *	rcu_read_unlock();
 *
 * The model stays valid until rcu_read_unlock(); unloading it waits for
 * a grace period. flags: SPEX_KF_* (uint8 input, scalar kernels). Returns
 * 0 and fills *res as spex_submit() does (out gets the bottleneck on
 * OFFLOAD, output_bytes of logits on FINAL), or -errno: -EPERM (not atomic), -EINVAL
 * (flags, in_len), -ENOSPC (out_cap), -EBUSY (this CPU's slot is in use:
 * a nested call from a hard interrupt, or NMI), or the engine's status.
 */
struct spex_kmodel *spex_kmodel_find_rcu(u32 model_id);
bool spex_kmodel_is_atomic(const struct spex_kmodel *m);
int spex_submit_atomic(struct spex_kmodel *m, const void *input,
		       size_t in_len, void *output, size_t out_cap, u32 flags,
		       struct spex_result *res);

#endif /* _LINUX_SPEX_H */
