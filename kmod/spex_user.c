// SPDX-License-Identifier: GPL-2.0
/*
 * Fair sharing between the users of /dev/spex: the caps on what one open
 * file and one user may hold at once, jobs in flight and scratch slots
 * (module parameters max_jobs_per_file, max_jobs_per_user,
 * max_slots_per_file, max_slots_per_user; 0 means no cap for the slot
 * caps). Each open file takes a reference on its opener's struct
 * spex_user, found by uid in a small hash table, so a job only touches
 * atomics. A job that finds its caller at a slot cap waits on
 * spex_slot_wq, woken whenever a slot is released.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "spex_internal.h"

struct spex_user {
	struct hlist_node node;
	kuid_t uid;
	u32 refs;			/* open files; under spex_users_lock */
	atomic_t jobs;			/* jobs in flight */
	atomic_t slots;			/* scratch slots held */
};

static DEFINE_HASHTABLE(spex_users, 6);
static DEFINE_SPINLOCK(spex_users_lock);
static DECLARE_WAIT_QUEUE_HEAD(spex_slot_wq);

/* The opener's accounting, created on first use. Process context. */
int spex_file_init(struct spex_file *sf)
{
	kuid_t uid = current_uid();
	struct spex_user *u, *fresh;

	atomic_set(&sf->inflight, 0);
	atomic_set(&sf->slots, 0);
	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	if (!fresh)
		return -ENOMEM;
	spin_lock(&spex_users_lock);
	hash_for_each_possible(spex_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			break;
	if (!u) {
		u = fresh;
		fresh = NULL;
		u->uid = uid;
		hash_add(spex_users, &u->node, __kuid_val(uid));
	}
	u->refs++;
	spin_unlock(&spex_users_lock);
	kfree(fresh);
	sf->user = u;
	return 0;
}

void spex_file_exit(struct spex_file *sf)
{
	struct spex_user *u = sf->user;

	spin_lock(&spex_users_lock);
	if (--u->refs == 0)
		hash_del(&u->node);
	else
		u = NULL;
	spin_unlock(&spex_users_lock);
	kfree(u);
}

/* Take one of cap on c; false (and nothing taken) at the cap. */
static bool spex_take(atomic_t *c, unsigned int cap)
{
	if (atomic_inc_return(c) <= cap)
		return true;
	atomic_dec(c);
	return false;
}

/* A job starts on sf: -EBUSY at the file's or the user's cap. */
int spex_file_job_begin(struct spex_file *sf)
{
	if (!spex_take(&sf->inflight, READ_ONCE(spex_max_jobs_per_file)))
		return -EBUSY;
	if (!spex_take(&sf->user->jobs, READ_ONCE(spex_max_jobs_per_user))) {
		atomic_dec(&sf->inflight);
		return -EBUSY;
	}
	return 0;
}

void spex_file_job_end(struct spex_file *sf)
{
	atomic_dec(&sf->user->jobs);
	atomic_dec(&sf->inflight);
}

static unsigned int spex_slot_cap(unsigned int v)
{
	return v ? v : UINT_MAX;
}

/* Reserve a slot under sf's caps; false at a cap. */
static bool spex_slot_reserve(struct spex_file *sf)
{
	if (!spex_take(&sf->slots,
		       spex_slot_cap(READ_ONCE(spex_max_slots_per_file))))
		return false;
	if (!spex_take(&sf->user->slots,
		       spex_slot_cap(READ_ONCE(spex_max_slots_per_user)))) {
		atomic_dec(&sf->slots);
		return false;
	}
	return true;
}

static void spex_slot_unreserve(struct spex_file *sf)
{
	atomic_dec(&sf->user->slots);
	atomic_dec(&sf->slots);
}

/*
 * A scratch slot of km for a job of sf (NULL: an in-kernel caller, no
 * caps). Waits for one, killably, unless nonblock: then NULL. Returns
 * the slot, NULL or ERR_PTR(-EINTR).
 */
void *spex_slot_get(struct spex_kmodel *km, struct spex_file *sf,
		    bool nonblock)
{
	void *slot;

	for (;;) {
		if (!sf || spex_slot_reserve(sf)) {
			slot = spex_pool_get(km, nonblock);
			if (slot && !IS_ERR(slot))
				return slot;
			if (sf)
				spex_slot_unreserve(sf);
			return slot;
		}
		if (nonblock)
			return NULL;
		if (wait_event_killable(spex_slot_wq,
					atomic_read(&sf->slots) <
					spex_slot_cap(READ_ONCE(spex_max_slots_per_file)) &&
					atomic_read(&sf->user->slots) <
					spex_slot_cap(READ_ONCE(spex_max_slots_per_user))))
			return ERR_PTR(-EINTR);
	}
}

void spex_slot_put(struct spex_kmodel *km, struct spex_file *sf, void *slot)
{
	spex_pool_put(km, slot);
	if (sf) {
		spex_slot_unreserve(sf);
		if (wq_has_sleeper(&spex_slot_wq))
			wake_up(&spex_slot_wq);
	}
}
