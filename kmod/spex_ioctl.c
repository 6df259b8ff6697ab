// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/spex ioctls. Every argument is copied in once, checked
 * (reserved fields and unknown flags must be zero: EINVAL) and acted on;
 * nothing is read from userspace twice.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "spex_compat.h"
#include "spex_internal.h"

/* Most ids one LIST answers (4 MiB of them). */
#define SPEX_LIST_MAX	(1U << 20)

static bool spex_zero(const void *p, size_t n)
{
	return !memchr_inv(p, 0, n);
}

static int spex_ioc_get_info(void __user *argp)
{
	struct spex_info info;

	if (copy_from_user(&info, argp, sizeof(info)))
		return -EFAULT;
	if (info.flags || !spex_zero(info.reserved, sizeof(info.reserved)))
		return -EINVAL;
	memset(&info, 0, sizeof(info));
	info.abi_version = SPEX_ABI_VERSION;
	info.features = SPEX_F_URING_CMD | SPEX_F_JOB_SCALAR |
			SPEX_F_LOAD_DIAG | SPEX_F_LOAD_ATOMIC |
			SPEX_F_NET_POLICY;
	if (spex_kfunc_ready())
		info.features |= SPEX_F_KFUNC;
	if (spex_have_cqe32_extra())
		info.features |= SPEX_F_CQE32_EXTRA;
	info.max_model_bytes = READ_ONCE(spex_max_model_bytes);
	info.max_models = READ_ONCE(spex_max_models);
	info.max_jobs_per_file = READ_ONCE(spex_max_jobs_per_file);
	info.max_input_bytes = READ_ONCE(spex_max_input_bytes);
	info.n_models = spex_registry_count();
	strscpy(info.kernels, spex_kernels_name(), sizeof(info.kernels));
	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

/* The blob into kernel memory, or a status in diag saying why not. */
static void *spex_load_blob(const struct spex_load *ld, struct spex_diag *d,
			    int *err)
{
	u32 max = min_t(u32, READ_ONCE(spex_max_model_bytes), INT_MAX);
	void *blob;

	*err = 0;
	if (ld->blob_len > max) {
		*err = -EFBIG;
		d->status = SPEX_E_LIMIT;
		snprintf(d->msg, sizeof(d->msg),
			 "SPEX_E_LIMIT: blob_len %u, max_model_bytes %u",
			 ld->blob_len, max);
		return NULL;
	}
	if (spex_registry_count() >= READ_ONCE(spex_max_models)) {
		*err = -ENOSPC;
		d->status = SPEX_E_LIMIT;
		snprintf(d->msg, sizeof(d->msg),
			 "SPEX_E_LIMIT: max_models (%u) models loaded",
			 READ_ONCE(spex_max_models));
		return NULL;
	}
	/* <= INT_MAX: kvmalloc() never warns */
	blob = kvmalloc(ld->blob_len, GFP_KERNEL_ACCOUNT);
	if (!blob) {
		*err = -ENOMEM;
		d->status = SPEX_E_NOMEM;
		snprintf(d->msg, sizeof(d->msg),
			 "SPEX_E_NOMEM: %u bytes for the blob", ld->blob_len);
		return NULL;
	}
	if (copy_from_user(blob, u64_to_user_ptr(ld->blob), ld->blob_len)) {
		kvfree(blob);
		*err = -EFAULT;		/* no diag: the caller's memory */
		return NULL;
	}
	return blob;
}

static int spex_ioc_load(void __user *argp)
{
	struct spex_load ld;
	struct spex_diag diag = {};
	void *blob;
	u32 id = 0;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&ld, argp, sizeof(ld)))
		return -EFAULT;
	if ((ld.flags & ~SPEX_LOAD_F_ALL) || ld.reserved0 || ld.model_id ||
	    ld.status || ld.offset ||
	    !spex_zero(ld.reserved, sizeof(ld.reserved)))
		return -EINVAL;
	if (!ld.blob_len)
		return -EINVAL;

	blob = spex_load_blob(&ld, &diag, &err);
	if (blob) {
		err = spex_registry_load(blob, ld.blob_len, ld.flags, &id,
					 &diag);
		kvfree(blob);
	} else if (err == -EFAULT) {
		return err;
	}

	/* every failure from here on says why: status, offset, msg */
	ld.model_id = id;
	ld.status = err ? diag.status : SPEX_OK;
	ld.offset = err ? diag.offset : 0;
	memset(ld.msg, 0, sizeof(ld.msg));
	if (err)
		strscpy(ld.msg, diag.msg, sizeof(ld.msg));
	if (copy_to_user(argp, &ld, sizeof(ld))) {
		if (!err)
			spex_registry_unload(id);
		return -EFAULT;
	}
	return err;
}

static int spex_ioc_unload(void __user *argp)
{
	struct spex_unload ul;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&ul, argp, sizeof(ul)))
		return -EFAULT;
	if (ul.flags || ul.reserved)
		return -EINVAL;
	return spex_registry_unload(ul.model_id);
}

static int spex_ioc_list(void __user *argp)
{
	struct spex_list ls;
	u32 *ids = NULL;
	u32 cap;
	int err;

	if (copy_from_user(&ls, argp, sizeof(ls)))
		return -EFAULT;
	if (ls.count || !spex_zero(ls.reserved, sizeof(ls.reserved)))
		return -EINVAL;
	if (ls.capacity && !ls.ids)
		return -EINVAL;
	/* bounded whatever max_models says: no allocation warns */
	cap = min3(ls.capacity, READ_ONCE(spex_max_models), SPEX_LIST_MAX);
	if (cap) {
		ids = kvcalloc(cap, sizeof(*ids), GFP_KERNEL_ACCOUNT);
		if (!ids)
			return -ENOMEM;
	}
	spex_registry_list(ids, cap, &ls.count);
	err = 0;
	if (cap && copy_to_user(u64_to_user_ptr(ls.ids), ids,
				min(cap, ls.count) * sizeof(*ids)))
		err = -EFAULT;
	kvfree(ids);
	if (!err && copy_to_user(argp, &ls, sizeof(ls)))
		err = -EFAULT;
	return err;
}

static int spex_ioc_model_info(void __user *argp)
{
	const struct spex_model_desc *mi;
	struct spex_model_desc *d;
	struct spex_kmodel *km;
	struct spex_layer_desc ld;
	struct spex_kstats_snap ks;
	u32 i;
	int err = 0;

	d = kmalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	if (copy_from_user(d, argp, sizeof(*d))) {
		err = -EFAULT;
		goto out;
	}
	if (d->flags || d->reserved0 ||
	    !spex_zero(d->reserved, sizeof(d->reserved)) ||
	    (d->layers_cap && !d->layers)) {
		err = -EINVAL;
		goto out;
	}
	km = spex_kmodel_get(d->model_id);
	if (!km) {
		err = -ENOENT;
		goto out;
	}
	mi = km->info;
	for (i = 0; i < min(d->layers_cap, mi->n_layers); i++) {
		spex_layer_describe(km->model, i, &ld);
		if (copy_to_user(u64_to_user_ptr(d->layers) + i * sizeof(ld),
				 &ld, sizeof(ld))) {
			err = -EFAULT;
			goto out_put;
		}
	}
	/* keeps the request fields, zeroes the rest */
	spex_model_describe(km->model, d);
	/* the pool's scratch slots are part of what the model costs here */
	d->mem_bytes += (u64)km->n_slots * km->slot_bytes;
	spex_kmodel_get_policy(km, &d->policy);
	spex_policy_in_force(km->model, &d->policy);
	spex_kstats_read(km, &ks);
	d->jobs = ks.jobs;
	d->exits = ks.exits;
	d->offloads = ks.offloads;
	d->errors = ks.errors;
	d->total_ns = ks.total_ns;
	if (copy_to_user(argp, d, sizeof(*d)))
		err = -EFAULT;
out_put:
	spex_kmodel_put(km);
out:
	kfree(d);
	return err;
}

static int spex_ioc_set_policy(void __user *argp)
{
	struct spex_set_policy sp;
	struct spex_kmodel *km;
	int st;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&sp, argp, sizeof(sp)))
		return -EFAULT;
	if (sp.flags || sp.reserved)
		return -EINVAL;
	km = spex_kmodel_get(sp.model_id);
	if (!km)
		return -ENOENT;
	st = spex_kmodel_set_policy(km, &sp.policy);
	spex_kmodel_put(km);
	return st == SPEX_OK ? 0 : -spex_status_errno(st);
}

static int spex_ioc_infer(struct spex_file *sf, void __user *argp)
{
	struct spex_job job;
	u64 res2;

	if (copy_from_user(&job, argp, sizeof(job)))
		return -EFAULT;
	return spex_job_user(sf, &job, false, &res2);
}

long spex_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct spex_file *sf = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case SPEX_IOC_INFER:
		return spex_ioc_infer(sf, argp);
	case SPEX_IOC_GET_INFO:
	case SPEX_IOC_GET_INFO_OLD:	/* what libspex used before */
		return spex_ioc_get_info(argp);
	case SPEX_IOC_LOAD_MODEL:
		return spex_ioc_load(argp);
	case SPEX_IOC_UNLOAD_MODEL:
		return spex_ioc_unload(argp);
	case SPEX_IOC_LIST_MODELS:
		return spex_ioc_list(argp);
	case SPEX_IOC_MODEL_INFO:
		return spex_ioc_model_info(argp);
	case SPEX_IOC_SET_POLICY:
		return spex_ioc_set_policy(argp);
	default:
		return -ENOTTY;
	}
}
