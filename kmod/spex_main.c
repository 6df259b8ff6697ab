// SPDX-License-Identifier: GPL-2.0
/*
 * spex.ko: the edge half of a predefined-sparse split neural network,
 * run in the kernel. /dev/spex takes models (.spx) and jobs by ioctl and
 * io_uring uring_cmd; each job runs the head and its early-exit
 * classifiers on the shared core/ int8 engine and returns exit or
 * offload. See Documentation/kmod.rst.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "spex_compat.h"
#include "spex_internal.h"

#define CREATE_TRACE_POINTS
#include "spex_trace.h"

unsigned int spex_max_models = 64;
module_param_named(max_models, spex_max_models, uint, 0644);
MODULE_PARM_DESC(max_models, "Models loaded at once (default 64)");

unsigned int spex_max_model_bytes = 16 << 20;
module_param_named(max_model_bytes, spex_max_model_bytes, uint, 0644);
MODULE_PARM_DESC(max_model_bytes, "Largest .spx accepted, bytes (default 16 MiB)");

unsigned int spex_max_jobs_per_file = 256;
module_param_named(max_jobs_per_file, spex_max_jobs_per_file, uint, 0644);
MODULE_PARM_DESC(max_jobs_per_file, "Jobs in flight on one open file; more get EBUSY (default 256)");

unsigned int spex_max_jobs_per_user = 1024;
module_param_named(max_jobs_per_user, spex_max_jobs_per_user, uint, 0644);
MODULE_PARM_DESC(max_jobs_per_user, "Jobs in flight of one user, all files; more get EBUSY (default 1024)");

unsigned int spex_max_slots_per_file;
module_param_named(max_slots_per_file, spex_max_slots_per_file, uint, 0644);
MODULE_PARM_DESC(max_slots_per_file, "Scratch slots one open file holds at once; more jobs wait (default 0: no cap)");

unsigned int spex_max_slots_per_user;
module_param_named(max_slots_per_user, spex_max_slots_per_user, uint, 0644);
MODULE_PARM_DESC(max_slots_per_user, "Scratch slots one user holds at once; more jobs wait (default 0: no cap)");

unsigned long spex_max_job_macs = 1UL << 30;
module_param_named(max_job_macs, spex_max_job_macs, ulong, 0644);
MODULE_PARM_DESC(max_job_macs, "Most MACs one job of a model may need; larger models are refused at load (default 2^30, 0: no cap)");

unsigned int spex_max_input_bytes = 1 << 20;
module_param_named(max_input_bytes, spex_max_input_bytes, uint, 0644);
MODULE_PARM_DESC(max_input_bytes, "Largest job input, bytes; more get E2BIG (default 1 MiB)");

unsigned int spex_max_model_mem_mb = 256;
module_param_named(max_model_mem_mb, spex_max_model_mem_mb, uint, 0644);
MODULE_PARM_DESC(max_model_mem_mb, "Runtime memory of one model with its scratch pool, MiB (default 256)");

unsigned int spex_pool_slots;
module_param_named(pool_slots, spex_pool_slots, uint, 0644);
MODULE_PARM_DESC(pool_slots, "Scratch slots per model, jobs running at once on it (default 0: 2 x online CPUs)");

unsigned long spex_fpu_chunk_macs = 1 << 18;
module_param_named(fpu_chunk_macs, spex_fpu_chunk_macs, ulong, 0644);
MODULE_PARM_DESC(fpu_chunk_macs, "Most MACs between two chances to reschedule, and in one kernel_fpu_begin/end section; read clamped to 1024..4194304 (default 262144)");

unsigned long spex_atomic_max_macs = 16384;
module_param_named(atomic_max_macs, spex_atomic_max_macs, ulong, 0644);
MODULE_PARM_DESC(atomic_max_macs, "Most MACs of one job of a model loaded with SPEX_LOAD_F_ATOMIC (default 16384)");

bool spex_simd = true;
module_param_named(simd, spex_simd, bool, 0644);
MODULE_PARM_DESC(simd, "Use the AVX2 kernels when the CPU has them (default Y)");

static int spex_open(struct inode *inode, struct file *file)
{
	struct spex_file *sf;
	int err;

	sf = kzalloc(sizeof(*sf), GFP_KERNEL_ACCOUNT);
	if (!sf)
		return -ENOMEM;
	err = spex_file_init(sf);
	if (err) {
		kfree(sf);
		return err;
	}
	file->private_data = sf;
	return nonseekable_open(inode, file);
}

/* Called once no ioctl runs and no io_uring request holds the file. */
static int spex_release(struct inode *inode, struct file *file)
{
	spex_file_exit(file->private_data);
	kfree(file->private_data);
	return 0;
}

static const struct file_operations spex_fops = {
	.owner		= THIS_MODULE,
	.open		= spex_open,
	.release	= spex_release,
	.unlocked_ioctl	= spex_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.uring_cmd	= spex_uring_cmd,
	.llseek		= noop_llseek,
};

static struct miscdevice spex_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "spex",
	.fops	= &spex_fops,
	.mode	= 0660,
};

static int __init spex_init(void)
{
	int err;

	err = spex_job_init();
	if (err)
		return err;
	spex_debugfs_init();
	err = misc_register(&spex_misc);
	if (err)
		goto err_job;
	spex_kfunc_init();	/* no kfuncs (no module BTF) is not fatal */
	pr_info("/dev/spex ready, abi %u, kernels %s%s\n", SPEX_ABI_VERSION,
		spex_kernels_name(), spex_kfunc_ready() ? ", kfuncs" : "");
	return 0;

err_job:
	spex_debugfs_exit();
	spex_job_exit();
	return err;
}

static void __exit spex_exit(void)
{
	misc_deregister(&spex_misc);
	spex_registry_exit();
	spex_debugfs_exit();
	spex_job_exit();
}

module_init(spex_init);
module_exit(spex_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("spex: predefined-sparse split-network inference with early exit");
MODULE_AUTHOR("spex authors");
