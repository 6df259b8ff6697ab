// SPDX-License-Identifier: GPL-2.0
/*
 * BPF kfuncs: bpf_spex_run() runs one job of an atomic model on bytes an
 * XDP or TC (SCHED_CLS) program points at, packet data or a map value.
 * The contract is in include/uapi/linux/spex.h ("BPF kfunc"); this file
 * checks ctl and the pointers and hands the job to spex_atomic.c, whose
 * job path checks the lengths.
 *
 * Registration needs the module's BTF (kmod/kmod.mk adds it with pahole
 * and resolve_btfids). Without it the module still loads, without
 * SPEX_F_KFUNC; programs that call the kfunc then fail to load. While a
 * loaded program uses the kfunc, it holds a reference on spex.ko, so
 * rmmod is refused (EBUSY) until the program is gone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/module.h>
#include <linux/rcupdate.h>

#include "spex_internal.h"

/* 6.1 has no __bpf_kfunc; __used noinline keep the function and its BTF. */
#ifndef __bpf_kfunc
#define __bpf_kfunc
#endif

static bool spex_kfunc_ok;

/* The kfunc's work, and a check of every argument. */
static int spex_kf_run(u64 ctl, u8 *in, u32 in_sz, u8 *out, u32 out_sz)
{
	u32 id = lower_32_bits(ctl), flags = upper_32_bits(ctl);
	struct spex_kf_out *o = (struct spex_kf_out *)out;
	struct spex_result res;
	struct spex_kmodel *km;
	int ret;

	if ((flags & ~SPEX_KF_ALL) || !id || !in || !out)
		return -EINVAL;
	rcu_read_lock();
	km = spex_kmodel_find_rcu(id);
	if (!km) {
		ret = -ENOENT;
		goto out;
	}
	if (!spex_kmodel_is_atomic(km)) {
		ret = -EPERM;
		goto out;
	}
	/* The job path checks the lengths: the header takes out's start. */
	ret = spex_atomic_run(km, in, in_sz, out + SPEX_KF_OUT_HDR,
			      out_sz > SPEX_KF_OUT_HDR ?
			      out_sz - SPEX_KF_OUT_HDR : 0, flags,
			      SPEX_ENTRY_KFUNC, &res);
	if (ret)
		goto out;
	o->exit_index = res.exit_index;
	o->bottleneck_len = spex_kjob_out_len(km, &res);
	o->layers_run = res.layers_run;
	o->reserved = 0;
	ret = SPEX_RES_PACK(res.decision, res.flags & SPEX_RF_FORCED,
			    res.flags & SPEX_RF_LOW_CONF ? 1 : 0,
			    res.class_id, res.confidence_q16);
out:
	rcu_read_unlock();
	return ret;
}

int bpf_spex_run(u64 ctl, u8 *in, u32 in__sz, u8 *out, u32 out__sz);
__bpf_kfunc __used noinline int bpf_spex_run(u64 ctl, u8 *in, u32 in__sz,
					     u8 *out, u32 out__sz)
{
	return spex_kf_run(ctl, in, in__sz, out, out__sz);
}

#ifdef SPEX_HAVE_BTF_KFUNCS_START
BTF_KFUNCS_START(spex_kfunc_ids)
BTF_ID_FLAGS(func, bpf_spex_run)
BTF_KFUNCS_END(spex_kfunc_ids)
#else
BTF_SET8_START(spex_kfunc_ids)
BTF_ID_FLAGS(func, bpf_spex_run)
BTF_SET8_END(spex_kfunc_ids)
#endif

/* One set, registered once per program type. */
static const struct btf_kfunc_id_set spex_kfunc_set = {
	.owner	= THIS_MODULE,
	.set	= &spex_kfunc_ids,
};

/*
 * Both kernels return 0 without registering anything when the module has
 * no BTF (only a "missing module BTF" line in the log), so look first. A
 * .BTF that the kernel refused (Debian allows the mismatch) still passes
 * here: the selftests check /sys/kernel/btf/spex and a program load.
 */
int spex_kfunc_init(void)
{
	int err;

#ifdef CONFIG_DEBUG_INFO_BTF_MODULES
	if (!THIS_MODULE->btf_data_size) {
		pr_notice("no module BTF: no kfuncs\n");
		return -ENOENT;
	}
#else
	return -EOPNOTSUPP;
#endif
	err = register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &spex_kfunc_set);
	if (!err)
		err = register_btf_kfunc_id_set(BPF_PROG_TYPE_SCHED_CLS,
						&spex_kfunc_set);
	if (err) {
		pr_notice("no kfuncs (module BTF missing?): %d\n", err);
		return err;
	}
	spex_kfunc_ok = true;
	return 0;
}

bool spex_kfunc_ready(void)
{
	return spex_kfunc_ok;
}
