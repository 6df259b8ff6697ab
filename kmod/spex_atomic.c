// SPDX-License-Identifier: GPL-2.0
/*
 * Atomic-context jobs: models loaded with SPEX_LOAD_F_ATOMIC run from
 * softirq (XDP, TC), with preemption off, or under a spinlock, never
 * sleeping. Such a model owns one scratch slot per possible CPU; a job
 * takes its CPU's slot with softirqs (or preemption) off, so the only
 * way to find it busy is a nested call from a hard interrupt (-EBUSY).
 *
 * The job runs AVX2 under one kernel_fpu_begin/end section when
 * irq_fpu_usable() says so on this call, the integer scalar kernels
 * otherwise; both give bit-identical results. The section is bounded by
 * the model's MAC budget (atomic_max_macs), checked at load.
 *
 * Lifetime: lookups take no reference. The caller holds the RCU read
 * lock (spex_kmodel_find_rcu()); unloading an atomic model waits for a
 * grace period after unlinking it, so a job that found it has ended
 * and its CPU's slot is free before anything is freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bottom_half.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/hardirq.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "spex_compat.h"
#include "spex_internal.h"

/* What an atomic model has on top of a loaded model. */
struct spex_atomic {
	/* nr_cpu_ids slots, each laid out as a pool slot (km->slot_bytes,
	 * in_off, out_off): spex_pool_init() ran first.
	 */
	void *pool;
	u8 *busy;			/* [cpu]: a job runs in its slot */
	s8 u8_table[256];		/* SPEX_KF_IN_U8: pixel -> int8 */
};

int spex_atomic_init(struct spex_kmodel *km, u64 budget,
		     struct spex_diag *diag)
{
	const struct spex_model_desc *info = km->info;
	unsigned long max_macs = READ_ONCE(spex_atomic_max_macs);
	struct spex_diag none;
	struct spex_atomic *at;
	size_t total;

	if (!diag)
		diag = &none;
	if (info->macs > max_macs) {
		diag->status = SPEX_E_BUDGET;
		diag->offset = 0;
		snprintf(diag->msg, sizeof(diag->msg),
			 "atomic: one job needs %llu MACs, atomic_max_macs is %lu",
			 (unsigned long long)info->macs, max_macs);
		return -E2BIG;
	}
	at = kzalloc(sizeof(*at), GFP_KERNEL);
	if (!at)
		goto nomem;
	if (check_mul_overflow(km->slot_bytes, (size_t)nr_cpu_ids, &total) ||
	    total + (size_t)km->n_slots * km->slot_bytes + info->mem_bytes >
	    budget) {
		kfree(at);
		diag->status = SPEX_E_BUDGET;
		diag->offset = 0;
		snprintf(diag->msg, sizeof(diag->msg),
			 "atomic: per-CPU scratch of %u CPUs does not fit",
			 nr_cpu_ids);
		return -E2BIG;
	}
	at->pool = kvzalloc(total, GFP_KERNEL_ACCOUNT);
	at->busy = kcalloc(nr_cpu_ids, sizeof(*at->busy), GFP_KERNEL);
	if (!at->pool || !at->busy) {
		kvfree(at->pool);
		kfree(at->busy);
		kfree(at);
		goto nomem;
	}
	spex_quant_u8_table(at->u8_table, info->input_q.scale_bits,
			    (s32)info->input_q.zero_point);
	km->atomic = at;
	return 0;

nomem:
	diag->status = SPEX_E_NOMEM;
	diag->offset = 0;
	snprintf(diag->msg, sizeof(diag->msg), "atomic: per-CPU scratch");
	return -ENOMEM;
}

/* The last reference is gone: no job can run on km any more. */
void spex_atomic_free(struct spex_kmodel *km)
{
	struct spex_atomic *at = km->atomic;

	if (!at)
		return;
	kvfree(at->pool);
	kfree(at->busy);
	kfree(at);
	km->atomic = NULL;
}

/*
 * km was just unlinked: wait until every job that found it has ended.
 * Jobs run inside an RCU read-side section, so one grace period is
 * enough; the slots are checked anyway, as the contract says.
 */
void spex_atomic_quiesce(struct spex_kmodel *km)
{
	unsigned int cpu;

	if (!km->atomic)
		return;
	synchronize_rcu();
	for_each_possible_cpu(cpu)
		while (READ_ONCE(km->atomic->busy[cpu]))
			usleep_range(100, 1000);
}

/* A loaded model by id, without a reference; caller in an RCU section. */
struct spex_kmodel *spex_kmodel_find_rcu(u32 id)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_any_held(), "needs rcu_read_lock()");
	return spex_registry_find_rcu(id);
}
EXPORT_SYMBOL_GPL(spex_kmodel_find_rcu);

bool spex_kmodel_is_atomic(const struct spex_kmodel *km)
{
	return km->atomic;
}
EXPORT_SYMBOL_GPL(spex_kmodel_is_atomic);

/* The job itself, on this CPU's slot, with softirqs or preemption off. */
static int spex_atomic_job(struct spex_kmodel *km, void *slot,
			   const void *in, size_t in_len, void *out,
			   u32 flags, u32 entry, struct spex_result *res)
{
	struct spex_atomic *at = km->atomic;
	struct spex_exec ex = { .kernels = &spex_kernels_scalar };
	u8 *x = (u8 *)slot + km->in_off;
	struct spex_policy pol;
	struct spex_kjob j;
	const struct spex_kernels *simd = spex_simd_kernels_usable();
	size_t i;
	u32 n;
	u64 t0;
	int st;

	if (flags & SPEX_KF_IN_U8) {
		const u8 *p = in;

		for (i = 0; i < in_len; i++)
			x[i] = (u8)at->u8_table[p[i]];
	} else {
		memcpy(x, in, in_len);
	}
	spex_kmodel_get_policy(km, &pol);

	/* irq_fpu_usable() WARNs in NMI; spex_submit_atomic() refused it. */
	if (simd && !(flags & SPEX_KF_SCALAR) && !in_hardirq() &&
	    !irqs_disabled() && irq_fpu_usable())
		ex.kernels = simd;
	else
		simd = NULL;

	t0 = spex_kjob_begin(&j, km, entry, in_len, flags, &ex);
	if (simd)
		kernel_fpu_begin();
	st = spex_run(km->model, &pol, &ex, slot, x, in_len,
		      (u8 *)slot + km->out_off, km->info->output_bytes, res);
	if (simd)
		kernel_fpu_end();
	res->ns = ktime_get_ns() - t0;
	res->status = st;
	if (st == SPEX_OK) {
		n = spex_kjob_out_len(km, res);
		memcpy(out, (u8 *)slot + km->out_off, n);
	}

	spex_kjob_end(&j, res);
	return st == SPEX_OK ? 0 : -spex_status_errno(st);
}

int spex_atomic_run(struct spex_kmodel *km, const void *in, size_t in_len,
		    void *out, size_t out_cap, u32 flags, u32 entry,
		    struct spex_result *res)
{
	struct spex_atomic *at = km->atomic;
	unsigned int cpu;
	bool bh;
	int st, ret;

	memset(res, 0, sizeof(*res));
	if (flags & ~SPEX_KF_ALL || entry >= SPEX_ENTRY_COUNT)
		return -EINVAL;
	if (!at)
		return -EPERM;
	if (in_nmi())
		return -EBUSY;
	st = spex_kjob_admit(km, entry, in_len, out_cap, flags, res);
	if (st != SPEX_OK)
		return -spex_status_errno(st);

	/* Softirqs off where that is allowed, else preemption off. */
	bh = !in_hardirq() && !irqs_disabled();
	if (bh)
		local_bh_disable();
	else
		preempt_disable();
	cpu = smp_processor_id();
	if (READ_ONCE(at->busy[cpu])) {
		ret = -EBUSY;
	} else {
		WRITE_ONCE(at->busy[cpu], 1);
		barrier();
		ret = spex_atomic_job(km, (u8 *)at->pool +
				      (size_t)cpu * km->slot_bytes,
				      in, in_len, out, flags, entry, res);
		barrier();
		WRITE_ONCE(at->busy[cpu], 0);
	}
	if (bh)
		local_bh_enable();
	else
		preempt_enable();
	return ret;
}

int spex_submit_atomic(struct spex_kmodel *km, const void *input,
		       size_t in_len, void *output, size_t out_cap, u32 flags,
		       struct spex_result *res)
{
	return spex_atomic_run(km, input, in_len, output, out_cap, flags,
			       SPEX_ENTRY_ATOMIC, res);
}
EXPORT_SYMBOL_GPL(spex_submit_atomic);
