/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spex.ko internals: the loaded-model object, the per-file state and the
 * functions the parts of the module share.
 */
#ifndef SPEX_INTERNAL_H
#define SPEX_INTERNAL_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/spex.h>

#include <spex/engine.h>

/* Module parameters (spex_main.c); read with READ_ONCE, may change. */
extern unsigned int spex_max_models;
extern unsigned int spex_max_model_bytes;
extern unsigned int spex_max_jobs_per_file;
extern unsigned int spex_max_jobs_per_user;
extern unsigned int spex_max_slots_per_file;
extern unsigned int spex_max_slots_per_user;
extern unsigned long spex_max_job_macs;
extern unsigned int spex_max_input_bytes;
extern unsigned int spex_max_model_mem_mb;
extern unsigned int spex_pool_slots;
extern unsigned long spex_fpu_chunk_macs;
/* fpu_chunk_macs is read clamped to this range (spex_job.c). */
#define SPEX_FPU_CHUNK_MIN	1024UL
#define SPEX_FPU_CHUNK_MAX	(1UL << 22)
extern bool spex_simd;
extern unsigned long spex_atomic_max_macs;

/*
 * Per-model counters, shown in debugfs and by MODEL_INFO. They are counted
 * in one place, spex_kjob_end(), and read in one, spex_kstats_read(). A
 * job ends as an exit (or a final answer), an offload or an error, so the
 * job count is their sum and errors can never exceed it.
 */
struct spex_kstats {
	atomic64_t exits;			/* EXIT and FINAL decisions */
	atomic64_t offloads;
	atomic64_t errors;
	atomic64_t total_ns;			/* engine time */
};

/* A reading of struct spex_kstats. */
struct spex_kstats_snap {
	u64 jobs, exits, offloads, errors, total_ns;
};

/*
 * A loaded model. Immutable after load except for the policy, the
 * counters and the scratch pool. Lifetime: ref counts the registry's
 * reference plus one per job or in-kernel user; RCU protects lookups.
 */
struct spex_kmodel {
	struct kref ref;
	u32 id;
	struct spex_model *model;		/* core engine's model */
	const struct spex_model_desc *info;

	spinlock_t policy_lock;			/* protects policy */
	struct spex_policy policy;

	/*
	 * Scratch pool: n_slots buffers of slot_bytes, each the engine's
	 * scratch for one job, then room for its input and output (in_off,
	 * out_off), which atomic jobs use (spex_atomic.c; a job from
	 * userspace has its own copy). A job holds a slot only while it
	 * computes, never across a copy from or to userspace. pool_lock
	 * protects free_slots and n_free; pool_wq waits for a free slot.
	 */
	spinlock_t pool_lock;
	void **free_slots;
	u32 n_free;
	u32 n_slots;
	size_t slot_bytes;
	size_t in_off, out_off;			/* within a slot */
	void *pool;
	wait_queue_head_t pool_wq;

	struct spex_kstats stats;
	struct dentry *dbg;
	struct spex_atomic *atomic;		/* SPEX_LOAD_F_ATOMIC, or NULL */

	/* Unload: set while an unloader waits for the last reference. */
	atomic_t unload_waiting;
	struct completion unloaded;
	struct rcu_head rcu;
};

struct spex_user;

/* Per open file of /dev/spex. */
struct spex_file {
	atomic_t inflight;			/* jobs running on this file */
	atomic_t slots;				/* scratch slots it holds */
	struct spex_user *user;			/* its opener's (spex_user.c) */
};

/*
 * Where a job entered; job ids carry it in their top byte, so the
 * tracepoints say it without a field of their own.
 */
enum spex_entry {
	SPEX_ENTRY_DEV		= 0,	/* ioctl, uring_cmd, spex_submit() */
	SPEX_ENTRY_ATOMIC	= 1,	/* spex_submit_atomic() */
	SPEX_ENTRY_KFUNC	= 2,	/* bpf_spex_run() */
	SPEX_ENTRY_COUNT
};

#define SPEX_JOB_ID_SHIFT	56
#define SPEX_JOB_ID(entry, seq)	\
	(((u64)(entry) << SPEX_JOB_ID_SHIFT) | \
	 ((seq) & ((1ULL << SPEX_JOB_ID_SHIFT) - 1)))

/* spex_user.c: caps per open file and per user */
int spex_file_init(struct spex_file *sf);
void spex_file_exit(struct spex_file *sf);
int spex_file_job_begin(struct spex_file *sf);
void spex_file_job_end(struct spex_file *sf);
void *spex_slot_get(struct spex_kmodel *km, struct spex_file *sf,
		    bool nonblock);
void spex_slot_put(struct spex_kmodel *km, struct spex_file *sf, void *slot);

/* spex_registry.c */
int spex_registry_load(const void *blob, size_t len, u32 flags, u32 *id,
		       struct spex_diag *diag);
struct spex_kmodel *spex_registry_find_rcu(u32 id);
int spex_registry_unload(u32 id);
int spex_registry_list(u32 *ids, u32 cap, u32 *count);
u32 spex_registry_count(void);
void spex_registry_exit(void);
void spex_kmodel_get_policy(struct spex_kmodel *km, struct spex_policy *p);
int spex_kmodel_set_policy(struct spex_kmodel *km,
			   const struct spex_policy *p);
void *spex_pool_get(struct spex_kmodel *km, bool nonblock);
void spex_pool_put(struct spex_kmodel *km, void *slot);

/*
 * One job on its way through the module (spex_job.c), on its caller's
 * stack. Every entry goes the same way: spex_kjob_admit() checks the
 * lengths, then spex_kjob_begin() and spex_kjob_end() bracket the engine
 * and trace the job and count it: spex_kjob_run() in process context,
 * spex_atomic.c's job with softirqs or preemption off.
 */
struct spex_kjob {
	struct spex_kmodel *km;
	u64 id;					/* job_id in the tracepoints */
	u64 t_layer;				/* ktime of the last layer end */
};

/* spex_job.c */
int spex_job_init(void);
void spex_job_exit(void);
const struct spex_kernels *spex_simd_kernels_usable(void);
const char *spex_kernels_name(void);
int spex_kjob_admit(struct spex_kmodel *km, u32 entry, size_t in_len,
		    size_t out_cap, u32 flags, struct spex_result *res);
u64 spex_kjob_begin(struct spex_kjob *j, struct spex_kmodel *km, u32 entry,
		    size_t in_len, u32 flags, struct spex_exec *ex);
void spex_kjob_end(struct spex_kjob *j, const struct spex_result *res);
u32 spex_kjob_out_len(const struct spex_kmodel *km,
		      const struct spex_result *res);
int spex_kjob_run(struct spex_kmodel *km, const void *in, size_t in_len,
		  void *out, size_t out_cap, void *scratch, u32 flags,
		  struct spex_result *res);
int spex_job_user(struct spex_file *sf, const struct spex_job *job,
		  bool nonblock, u64 *res2);
void spex_kstats_read(const struct spex_kmodel *km,
		      struct spex_kstats_snap *s);

struct io_uring_cmd;

/* spex_ioctl.c, spex_uring.c */
long spex_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
int spex_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags);

/* spex_atomic.c */
int spex_atomic_init(struct spex_kmodel *km, u64 budget,
		     struct spex_diag *diag);
void spex_atomic_free(struct spex_kmodel *km);
void spex_atomic_quiesce(struct spex_kmodel *km);
int spex_atomic_run(struct spex_kmodel *km, const void *in, size_t in_len,
		    void *out, size_t out_cap, u32 flags, u32 entry,
		    struct spex_result *res);

/* spex_kfunc.c */
int spex_kfunc_init(void);
bool spex_kfunc_ready(void);

/* spex_debugfs.c */
void spex_debugfs_init(void);
void spex_debugfs_exit(void);
void spex_debugfs_add(struct spex_kmodel *km);
void spex_debugfs_remove(struct spex_kmodel *km);

#endif /* SPEX_INTERNAL_H */
