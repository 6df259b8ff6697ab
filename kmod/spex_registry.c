// SPDX-License-Identifier: GPL-2.0
/*
 * The model registry: ids to loaded models, their references, scratch
 * pools and policies.
 *
 * Lookups are lock-free (RCU + kref_get_unless_zero); load and unload
 * serialize on spex_reg_lock. Unload unlinks the model first, so new jobs
 * get ENOENT at once, then waits until the jobs in flight (and in-kernel
 * users) have put their references; the last put frees the model.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "spex_internal.h"

/* id -> struct spex_kmodel; ids count up (cyclic), so a stale id fails */
static DEFINE_XARRAY_ALLOC1(spex_models);
/* spex_reg_lock protects spex_next_id, spex_n_models, spex_models writes */
static DEFINE_MUTEX(spex_reg_lock);
static u32 spex_next_id;
static u32 spex_n_models;

#define SPEX_SLOT_ALIGN		64

static void spex_kmodel_release(struct kref *ref)
{
	struct spex_kmodel *km = container_of(ref, struct spex_kmodel, ref);

	kvfree(km->pool);
	kfree(km->free_slots);
	spex_atomic_free(km);
	spex_model_free(km->model);
	/* A waiting unloader frees km itself, after its wait returns. */
	if (atomic_xchg(&km->unload_waiting, 0))
		complete(&km->unloaded);
	else
		kfree_rcu(km, rcu);
}

struct spex_kmodel *spex_kmodel_get(u32 id)
{
	struct spex_kmodel *km;

	rcu_read_lock();
	km = xa_load(&spex_models, id);
	if (km && !kref_get_unless_zero(&km->ref))
		km = NULL;
	rcu_read_unlock();
	return km;
}
EXPORT_SYMBOL_GPL(spex_kmodel_get);

/* No reference: valid until the caller's RCU read-side section ends. */
struct spex_kmodel *spex_registry_find_rcu(u32 id)
{
	return xa_load(&spex_models, id);
}

void spex_kmodel_put(struct spex_kmodel *km)
{
	if (km)
		kref_put(&km->ref, spex_kmodel_release);
}
EXPORT_SYMBOL_GPL(spex_kmodel_put);

u32 spex_kmodel_id(const struct spex_kmodel *km)
{
	return km->id;
}
EXPORT_SYMBOL_GPL(spex_kmodel_id);

void spex_kmodel_io_bytes(const struct spex_kmodel *km, u32 *input_bytes,
			  u32 *output_bytes)
{
	if (input_bytes)
		*input_bytes = km->info->input_bytes;
	if (output_bytes)
		*output_bytes = km->info->output_bytes;
}
EXPORT_SYMBOL_GPL(spex_kmodel_io_bytes);

/* Any context: atomic jobs read the policy from softirq or hardirq. */
void spex_kmodel_get_policy(struct spex_kmodel *km, struct spex_policy *p)
{
	unsigned long irqf;

	spin_lock_irqsave(&km->policy_lock, irqf);
	*p = km->policy;
	spin_unlock_irqrestore(&km->policy_lock, irqf);
}

int spex_kmodel_set_policy(struct spex_kmodel *km,
			   const struct spex_policy *p)
{
	int st = spex_policy_check(km->model, p);
	unsigned long irqf;

	if (st != SPEX_OK)
		return st;
	spin_lock_irqsave(&km->policy_lock, irqf);
	km->policy = *p;
	spin_unlock_irqrestore(&km->policy_lock, irqf);
	return SPEX_OK;
}

/* A free scratch slot; sleeps for one unless nonblock (then NULL). */
void *spex_pool_get(struct spex_kmodel *km, bool nonblock)
{
	void *slot = NULL;

	for (;;) {
		spin_lock(&km->pool_lock);
		if (km->n_free)
			slot = km->free_slots[--km->n_free];
		spin_unlock(&km->pool_lock);
		if (slot || nonblock)
			return slot;
		if (wait_event_killable(km->pool_wq, READ_ONCE(km->n_free)))
			return ERR_PTR(-EINTR);
	}
}

void spex_pool_put(struct spex_kmodel *km, void *slot)
{
	spin_lock(&km->pool_lock);
	km->free_slots[km->n_free++] = slot;
	spin_unlock(&km->pool_lock);
	if (wq_has_sleeper(&km->pool_wq))
		wake_up(&km->pool_wq);
}

static int spex_pool_init(struct spex_kmodel *km, u64 budget)
{
	const struct spex_model_desc *info = km->info;
	u32 n = READ_ONCE(spex_pool_slots);
	size_t total;
	u32 i;

	if (!n)
		n = 2 * num_online_cpus();
	n = clamp_t(u32, n, 1, 1024);
	km->in_off = SPEX_ALIGN_UP(spex_model_scratch_size(km->model),
				   (size_t)SPEX_SLOT_ALIGN);
	km->out_off = km->in_off + SPEX_ALIGN_UP((size_t)info->input_bytes,
						 (size_t)SPEX_SLOT_ALIGN);
	km->slot_bytes = km->out_off +
			 SPEX_ALIGN_UP((size_t)info->output_bytes,
				       (size_t)SPEX_SLOT_ALIGN);
	/* budget <= INT_MAX: kvzalloc() never sees a size it warns on */
	if (check_mul_overflow(km->slot_bytes, (size_t)n, &total) ||
	    total + info->mem_bytes > budget)
		return -E2BIG;
	km->pool = kvzalloc(total, GFP_KERNEL_ACCOUNT);
	km->free_slots = kcalloc(n, sizeof(*km->free_slots),
				 GFP_KERNEL_ACCOUNT);
	if (!km->pool || !km->free_slots)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		km->free_slots[i] = (u8 *)km->pool + (size_t)i * km->slot_bytes;
	km->n_slots = n;
	km->n_free = n;
	return 0;
}

/* A refusal after the blob itself was accepted: diag says why. */
static int spex_load_refuse(struct spex_diag *diag, int err, u32 status,
			    const char *fmt, ...)
{
	va_list ap;

	diag->status = status;
	diag->offset = 0;
	va_start(ap, fmt);
	vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
	va_end(ap);
	return err;
}

/*
 * Load a model; on failure diag always holds a status and a reason, the
 * blob's own or the module's (a cap, memory, no id left).
 */
int spex_registry_load(const void *blob, size_t len, u32 flags, u32 *id,
		       struct spex_diag *diag)
{
	/* at most INT_MAX, so no allocation of the model reaches it */
	u64 budget = min_t(u64, (u64)READ_ONCE(spex_max_model_mem_mb) << 20,
			   INT_MAX);
	unsigned long max_macs = READ_ONCE(spex_max_job_macs);
	struct spex_load_opts opts = {
		.budget = budget ? budget : 1,
		.flags = SPEX_LOAD_INT8_ONLY,
	};
	struct spex_kmodel *km;
	int st, err;

	memset(diag, 0, sizeof(*diag));
	km = kzalloc(sizeof(*km), GFP_KERNEL_ACCOUNT);
	if (!km)
		return spex_load_refuse(diag, -ENOMEM, SPEX_E_NOMEM,
					"SPEX_E_NOMEM: model object");
	kref_init(&km->ref);
	spin_lock_init(&km->policy_lock);
	spin_lock_init(&km->pool_lock);
	init_waitqueue_head(&km->pool_wq);
	init_completion(&km->unloaded);
	km->policy.mode = SPEX_MODE_AUTO;	/* the file's thresholds */

	st = spex_model_load(blob, len, &opts, &km->model, diag);
	if (st != SPEX_OK) {
		kfree(km);
		return -spex_status_errno(st);
	}
	km->info = spex_model_info(km->model);

	if (max_macs && km->info->macs > max_macs) {
		err = spex_load_refuse(diag, -E2BIG, SPEX_E_LIMIT,
				       "SPEX_E_LIMIT: a job needs up to %llu MACs, max_job_macs is %lu",
				       (unsigned long long)km->info->macs,
				       max_macs);
		goto fail;
	}
	err = spex_pool_init(km, opts.budget);
	if (err) {
		spex_load_refuse(diag, err, err == -E2BIG ? SPEX_E_BUDGET :
				 SPEX_E_NOMEM,
				 "%s: scratch pool does not fit",
				 err == -E2BIG ? "SPEX_E_BUDGET" :
				 "SPEX_E_NOMEM");
		goto fail;
	}
	if (flags & SPEX_LOAD_F_ATOMIC) {
		err = spex_atomic_init(km, opts.budget, diag);
		if (err)
			goto fail;
	}

	mutex_lock(&spex_reg_lock);
	if (spex_n_models >= READ_ONCE(spex_max_models)) {
		err = -ENOSPC;
	} else {
		err = xa_alloc_cyclic(&spex_models, &km->id, km,
				      XA_LIMIT(1, INT_MAX), &spex_next_id,
				      GFP_KERNEL);
		if (err >= 0) {
			err = 0;
			spex_n_models++;
			spex_debugfs_add(km);
		}
	}
	mutex_unlock(&spex_reg_lock);
	if (err == -ENOSPC)
		spex_load_refuse(diag, err, SPEX_E_LIMIT,
				 "SPEX_E_LIMIT: max_models (%u) models loaded",
				 READ_ONCE(spex_max_models));
	else if (err)
		spex_load_refuse(diag, err, err == -ENOMEM ? SPEX_E_NOMEM :
				 SPEX_E_LIMIT, "%s: no model id (%d)",
				 err == -ENOMEM ? "SPEX_E_NOMEM" :
				 "SPEX_E_LIMIT", err);
	if (err)
		goto fail;
	*id = km->id;
	pr_debug("model %u '%s' loaded\n", km->id, km->info->name);
	return 0;

fail:
	spex_kmodel_put(km);
	return err;
}

/* Unlink and drop the registry's reference; under spex_reg_lock. */
static struct spex_kmodel *spex_registry_unlink(u32 id)
{
	struct spex_kmodel *km;

	lockdep_assert_held(&spex_reg_lock);
	km = xa_erase(&spex_models, id);
	if (km) {
		spex_n_models--;
		spex_debugfs_remove(km);
	}
	return km;
}

int spex_registry_unload(u32 id)
{
	struct spex_kmodel *km;

	mutex_lock(&spex_reg_lock);
	km = spex_registry_unlink(id);
	mutex_unlock(&spex_reg_lock);
	if (!km)
		return -ENOENT;

	spex_atomic_quiesce(km);	/* atomic jobs hold no reference */
	atomic_set(&km->unload_waiting, 1);
	spex_kmodel_put(km);	/* the registry's reference */
	if (wait_for_completion_killable(&km->unloaded)) {
		/*
		 * Fatal signal: leave the freeing to the last put, unless
		 * it is already under way (then it completes at once).
		 */
		if (atomic_xchg(&km->unload_waiting, 0))
			return 0;
		wait_for_completion(&km->unloaded);
	}
	kfree_rcu(km, rcu);
	return 0;
}

int spex_registry_list(u32 *ids, u32 cap, u32 *count)
{
	struct spex_kmodel *km;
	unsigned long id;
	u32 n = 0;

	mutex_lock(&spex_reg_lock);
	xa_for_each(&spex_models, id, km) {
		if (n < cap)
			ids[n] = id;
		n++;
	}
	mutex_unlock(&spex_reg_lock);
	*count = n;
	return 0;
}

u32 spex_registry_count(void)
{
	return READ_ONCE(spex_n_models);
}

/* Module exit: no file is open and no module uses the API any more. */
void spex_registry_exit(void)
{
	struct spex_kmodel *km;
	unsigned long id;

	mutex_lock(&spex_reg_lock);
	xa_for_each(&spex_models, id, km) {
		spex_registry_unlink(id);
		spex_kmodel_put(km);
	}
	mutex_unlock(&spex_reg_lock);
	xa_destroy(&spex_models);
	rcu_barrier();	/* kfree_rcu callbacks before the module goes */
}
