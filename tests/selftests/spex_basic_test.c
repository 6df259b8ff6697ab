// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/spex basics: GET_INFO, LOAD/UNLOAD, LIST, MODEL_INFO, SET_POLICY,
 * who may do what, and the debugfs statistics.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "spex_st.h"

FIXTURE(dev) {
	int fd;
	struct st_model m;
};

FIXTURE_SETUP(dev)
{
	if (!st_have_spex())
		SKIP(return, "no " SPEX_DEV " (spex.ko not loaded)");
	self->fd = st_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, st_model_build(&self->m, ST_MNIST, 1));
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd > 0)
		close(self->fd);
	st_model_free(&self->m);
}

TEST_F(dev, get_info)
{
	struct spex_info info = {};

	ASSERT_EQ(0, ioctl(self->fd, SPEX_IOC_GET_INFO, &info));
	EXPECT_EQ(SPEX_ABI_VERSION, info.abi_version);
	EXPECT_TRUE(info.features & SPEX_F_URING_CMD);
	EXPECT_TRUE(info.features & SPEX_F_LOAD_DIAG);
	EXPECT_EQ(0, info.features & ~SPEX_F_ALL);
	EXPECT_LT(0, info.max_models);
	EXPECT_LT(0, info.max_model_bytes);
	EXPECT_LT(0, info.max_jobs_per_file);
	EXPECT_LT(0, info.max_input_bytes);
	EXPECT_NE(0, info.kernels[0]);
	TH_LOG("kernels %s, features 0x%llx", info.kernels,
	       (unsigned long long)info.features);
}

/*
 * GET_INFO reads flags and reserved, so it is _IOWR; the _IOR number a
 * libspex built before that fix sends must still work, and the same way.
 */
TEST_F(dev, get_info_both_numbers)
{
	struct spex_info now = {}, old = {}, bad = { .flags = 1 };

	EXPECT_EQ(_IOC_READ | _IOC_WRITE, _IOC_DIR(SPEX_IOC_GET_INFO));
	EXPECT_EQ(_IOC_READ, _IOC_DIR(SPEX_IOC_GET_INFO_OLD));
	EXPECT_EQ(_IOC_NR(SPEX_IOC_GET_INFO), _IOC_NR(SPEX_IOC_GET_INFO_OLD));
	EXPECT_EQ(_IOC_SIZE(SPEX_IOC_GET_INFO),
		  _IOC_SIZE(SPEX_IOC_GET_INFO_OLD));
	ASSERT_EQ(0, ioctl(self->fd, SPEX_IOC_GET_INFO, &now));
	ASSERT_EQ(0, ioctl(self->fd, SPEX_IOC_GET_INFO_OLD, &old));
	EXPECT_EQ(0, memcmp(&now, &old, sizeof(now)));
	EXPECT_EQ(SPEX_ABI_VERSION, old.abi_version);
	EXPECT_EQ(-1, ioctl(self->fd, SPEX_IOC_GET_INFO_OLD, &bad));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, load_info_unload)
{
	struct spex_layer_desc layers[SPX_MAX_LAYERS];
	struct spex_model_desc d = {};
	u32 id = 0, e;

	ASSERT_EQ(0, st_load(self->fd, &self->m, &id));
	ASSERT_LT(0, id);

	d.model_id = id;
	d.layers = (uintptr_t)layers;
	d.layers_cap = SPX_MAX_LAYERS;
	ASSERT_EQ(0, ioctl(self->fd, SPEX_IOC_MODEL_INFO, &d));
	EXPECT_EQ(0, strcmp(d.name, self->m.info->name));
	EXPECT_EQ(0, memcmp(d.hash, self->m.info->hash, SPX_HASH_LEN));
	EXPECT_EQ(self->m.info->n_layers, d.n_layers);
	EXPECT_EQ(self->m.info->n_exits, d.n_exits);
	EXPECT_EQ(self->m.info->input_bytes, d.input_bytes);
	EXPECT_EQ(self->m.info->output_bytes, d.output_bytes);
	EXPECT_EQ(self->m.info->macs, d.macs);
	EXPECT_EQ(self->m.info->weights, d.weights);
	EXPECT_EQ(self->m.info->file_bytes, d.file_bytes);
	EXPECT_EQ(self->m.mg.len, d.file_bytes);
	EXPECT_LE(self->m.info->mem_bytes, d.mem_bytes);
	EXPECT_EQ(SPEX_MODE_AUTO, d.policy.mode);
	EXPECT_EQ(d.n_exits, d.policy.n_thresholds);
	for (e = 0; e < d.n_exits; e++)
		EXPECT_EQ(spex_model_exit_threshold(self->m.um, e),
			  d.policy.threshold_q16[e]);
	for (e = 0; e < d.n_layers; e++) {
		struct spex_layer_desc li;

		ASSERT_EQ(SPEX_OK, spex_layer_describe(self->m.um, e, &li));
		EXPECT_EQ(li.type, layers[e].type);
		EXPECT_EQ(li.macs, layers[e].macs);
		EXPECT_EQ(li.in_degree, layers[e].in_degree);
		if (li.fan_in)
			EXPECT_EQ((u64)li.in_degree * 1000000 / li.fan_in,
				  layers[e].density_ppm);
	}
	/* The first FC layer is sparse: 112 of 784 inputs. */
	EXPECT_EQ(142857, layers[0].density_ppm);
	EXPECT_EQ(0, d.jobs);

	ASSERT_EQ(0, st_unload(self->fd, id));
	EXPECT_EQ(-ENOENT, st_unload(self->fd, id));
	EXPECT_EQ(-1, ioctl(self->fd, SPEX_IOC_MODEL_INFO, &d));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(dev, list_models)
{
	u32 ids[3], got[8], i, j;
	struct spex_list ls = {};

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, st_load(self->fd, &self->m, &ids[i]));
	EXPECT_NE(ids[0], ids[1]);
	EXPECT_NE(ids[1], ids[2]);

	ASSERT_EQ(0, ioctl(self->fd, SPEX_IOC_LIST_MODELS, &ls));
	EXPECT_LE(3, ls.count);
	memset(&ls, 0, sizeof(ls));
	ls.ids = (uintptr_t)got;
	ls.capacity = 8;
	ASSERT_EQ(0, ioctl(self->fd, SPEX_IOC_LIST_MODELS, &ls));
	for (i = 0; i < 3; i++) {
		bool found = false;

		for (j = 0; j < ls.count && j < 8; j++)
			found |= got[j] == ids[i];
		EXPECT_TRUE(found);
	}
	for (j = 1; j < ls.count && j < 8; j++)
		EXPECT_LT(got[j - 1], got[j]);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, st_unload(self->fd, ids[i]));
}

TEST_F(dev, load_diag)
{
	struct spex_load ld;
	u8 *bad = malloc(self->m.mg.len);
	u32 id;

	ASSERT_NE(NULL, bad);
	memcpy(bad, self->m.mg.blob, self->m.mg.len);
	bad[self->m.mg.len / 2] ^= 0x40;	/* CRC no longer matches */
	EXPECT_EQ(-EBADMSG, st_load_blob(self->fd, bad, self->m.mg.len, &id,
					 &ld));
	EXPECT_EQ(SPEX_E_CRC, ld.status);
	EXPECT_EQ(0, id);
	EXPECT_NE(0, ld.msg[0]);
	TH_LOG("rejected: status %u offset %u: %s", ld.status, ld.offset,
	       ld.msg);

	memcpy(bad, self->m.mg.blob, self->m.mg.len);
	bad[0] = 'X';
	EXPECT_EQ(-EINVAL, st_load_blob(self->fd, bad, self->m.mg.len, &id,
					&ld));
	EXPECT_EQ(SPEX_E_MAGIC, ld.status);
	EXPECT_EQ(0, ld.offset);
	free(bad);
}

TEST_F(dev, set_policy)
{
	struct spex_model_desc d = {};
	struct spex_policy pol = { .mode = SPEX_MODE_FORCE_OFFLOAD };
	u32 id;

	ASSERT_EQ(0, st_load(self->fd, &self->m, &id));
	ASSERT_EQ(0, st_set_policy(self->fd, id, &pol));
	d.model_id = id;
	ASSERT_EQ(0, ioctl(self->fd, SPEX_IOC_MODEL_INFO, &d));
	EXPECT_EQ(SPEX_MODE_FORCE_OFFLOAD, d.policy.mode);

	pol.mode = SPEX_MODE_AUTO;
	pol.n_thresholds = 2;
	pol.threshold_q16[0] = 1000;
	pol.threshold_q16[1] = 2000;
	ASSERT_EQ(0, st_set_policy(self->fd, id, &pol));
	ASSERT_EQ(0, ioctl(self->fd, SPEX_IOC_MODEL_INFO, &d));
	EXPECT_EQ(2, d.policy.n_thresholds);
	EXPECT_EQ(1000, d.policy.threshold_q16[0]);
	EXPECT_EQ(2000, d.policy.threshold_q16[1]);

	pol.mode = 7;
	EXPECT_EQ(-EINVAL, st_set_policy(self->fd, id, &pol));
	pol.mode = SPEX_MODE_AUTO;
	pol.threshold_q16[0] = SPX_Q16_ONE + 1;
	EXPECT_EQ(-EINVAL, st_set_policy(self->fd, id, &pol));
	EXPECT_EQ(0, st_unload(self->fd, id));
}

/* nobody may open /dev/spex (0660 root) and, with a root-opened file,
 * may run jobs but not load, unload or set a policy. */
TEST_F(dev, unprivileged)
{
	u32 id;
	pid_t pid;
	int status;

	ASSERT_EQ(0, st_load(self->fd, &self->m, &id));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct spex_policy pol = { .mode = SPEX_MODE_FORCE_LOCAL };
		u8 in[784], out[64];
		int fails = 0;

		if (setgid(65534) || setuid(65534))
			_exit(100);
		if (open(SPEX_DEV, O_RDWR) >= 0 || errno != EACCES)
			fails |= 1;
		if (st_load(self->fd, &self->m, NULL) != -EPERM)
			fails |= 2;
		if (st_unload(self->fd, id) != -EPERM)
			fails |= 4;
		if (st_set_policy(self->fd, id, &pol) != -EPERM)
			fails |= 8;
		st_input(&self->m, 5, in);
		if (st_infer(self->fd, id, in, sizeof(in), out, sizeof(out),
			     NULL, 0) < 0)
			fails |= 16;
		_exit(fails);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, st_unload(self->fd, id));
}

static long long dbg_stat(u32 id, const char *key)
{
	char path[96], name[32];
	long long v, found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/spex/%u/stats", id);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%31s %lld", name, &v) == 2)
		if (!strcmp(name, key))
			found = v;
	fclose(f);
	return found;
}

TEST_F(dev, stats)
{
	struct spex_model_desc d = {};
	u8 in[784], out[64];
	int i, r, exits = 0, offloads = 0;
	u32 id;

	ASSERT_EQ(0, st_load(self->fd, &self->m, &id));
	for (i = 0; i < 20; i++) {
		st_input(&self->m, i, in);
		r = st_infer(self->fd, id, in, sizeof(in), out, sizeof(out),
			     NULL, 0);
		ASSERT_LE(0, r);
		if (SPEX_RES_DECISION(r) == SPEX_DECISION_OFFLOAD)
			offloads++;
		else
			exits++;
	}
	/* Refused for its length: a job that failed, counted as one. */
	EXPECT_EQ(-EINVAL, st_infer(self->fd, id, in, 3, out, sizeof(out),
				    NULL, 0));
	d.model_id = id;
	ASSERT_EQ(0, ioctl(self->fd, SPEX_IOC_MODEL_INFO, &d));
	EXPECT_EQ(21, d.jobs);
	EXPECT_EQ(exits, d.exits);
	EXPECT_EQ(offloads, d.offloads);
	EXPECT_EQ(1, d.errors);
	/* Every job ends as an exit, an offload or an error, never two. */
	EXPECT_EQ(d.jobs, d.exits + d.offloads + d.errors);
	EXPECT_LE(d.errors, d.jobs);
	EXPECT_EQ(21, dbg_stat(id, "jobs"));
	EXPECT_EQ(exits, dbg_stat(id, "exits"));
	EXPECT_EQ(offloads, dbg_stat(id, "offloads"));
	EXPECT_EQ(1, dbg_stat(id, "errors"));
	EXPECT_LT(0, dbg_stat(id, "total_ns"));
	EXPECT_EQ(0, st_unload(self->fd, id));
	EXPECT_EQ(-1, dbg_stat(id, "jobs"));
}

/* Jobs refused for their lengths alone: errors never exceeds jobs. */
TEST_F(dev, stats_refused_jobs)
{
	struct spex_model_desc d = {};
	u8 in[784], out[64];
	u32 id;

	ASSERT_EQ(0, st_load(self->fd, &self->m, &id));
	st_input(&self->m, 0, in);
	EXPECT_EQ(-EINVAL, st_infer(self->fd, id, in, sizeof(in) - 1, out,
				    sizeof(out), NULL, 0));
	EXPECT_EQ(-ENOSPC, st_infer(self->fd, id, in, sizeof(in), out, 1,
				    NULL, 0));
	d.model_id = id;
	ASSERT_EQ(0, ioctl(self->fd, SPEX_IOC_MODEL_INFO, &d));
	EXPECT_EQ(2, d.jobs);
	EXPECT_EQ(2, d.errors);
	EXPECT_EQ(0, d.exits + d.offloads);
	EXPECT_EQ(0, d.total_ns);
	EXPECT_LE(d.errors, d.jobs);
	EXPECT_EQ(2, dbg_stat(id, "jobs"));
	EXPECT_EQ(2, dbg_stat(id, "errors"));
	EXPECT_EQ(0, st_unload(self->fd, id));
}

TEST_HARNESS_MAIN
