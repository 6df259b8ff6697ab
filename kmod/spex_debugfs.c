// SPDX-License-Identifier: GPL-2.0
/*
 * Per-model statistics in debugfs:
 *   /sys/kernel/debug/spex/<model id>/stats   jobs exits offloads errors ns
 *   /sys/kernel/debug/spex/<model id>/info    name, shape, sizes, policy
 * debugfs_remove() waits for readers, and unload removes the directory
 * before it drops the registry's reference, so a reader never sees a
 * freed model.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "spex_internal.h"

static struct dentry *spex_dbg_root;

static int spex_stats_show(struct seq_file *s, void *unused)
{
	struct spex_kstats_snap ks;

	spex_kstats_read(s->private, &ks);
	seq_printf(s, "jobs %llu\nexits %llu\noffloads %llu\nerrors %llu\ntotal_ns %llu\n",
		   ks.jobs, ks.exits, ks.offloads, ks.errors, ks.total_ns);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(spex_stats);

static int spex_info_show(struct seq_file *s, void *unused)
{
	struct spex_kmodel *km = s->private;
	const struct spex_model_desc *mi = km->info;
	struct spex_policy pol;
	u32 e;

	spex_kmodel_get_policy(km, &pol);
	seq_printf(s, "name %s\nrole %u\ninput %ux%ux%u\nclasses %u\n",
		   mi->name, mi->role, mi->in_c, mi->in_h, mi->in_w,
		   mi->n_classes);
	seq_printf(s, "layers %u\nmain %u\nexits %u\n", mi->n_layers,
		   mi->n_main, mi->n_exits);
	seq_printf(s, "input_bytes %u\noutput_bytes %u\nweights %llu\nmacs %llu\n",
		   mi->input_bytes, mi->output_bytes,
		   (unsigned long long)mi->weights,
		   (unsigned long long)mi->macs);
	seq_printf(s, "mem_bytes %llu\npool_slots %u\nslot_bytes %zu\n",
		   (unsigned long long)mi->mem_bytes, km->n_slots,
		   km->slot_bytes);
	seq_printf(s, "policy_mode %u\nthresholds", pol.mode);
	for (e = 0; e < mi->n_exits && e < SPX_MAX_EXITS; e++)
		seq_printf(s, " %u", pol.n_thresholds ? pol.threshold_q16[e] :
			   spex_model_exit_threshold(km->model, e));
	seq_puts(s, "\n");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(spex_info);

void spex_debugfs_init(void)
{
	spex_dbg_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
}

void spex_debugfs_exit(void)
{
	debugfs_remove(spex_dbg_root);
}

void spex_debugfs_add(struct spex_kmodel *km)
{
	char name[16];

	snprintf(name, sizeof(name), "%u", km->id);
	km->dbg = debugfs_create_dir(name, spex_dbg_root);
	debugfs_create_file("stats", 0444, km->dbg, km, &spex_stats_fops);
	debugfs_create_file("info", 0444, km->dbg, km, &spex_info_fops);
}

void spex_debugfs_remove(struct spex_kmodel *km)
{
	debugfs_remove(km->dbg);
	km->dbg = NULL;
}
