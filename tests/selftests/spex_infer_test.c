// SPDX-License-Identifier: GPL-2.0
/*
 * Inference through the kernel is bit-identical to the userspace engine:
 * hundreds of random inputs across several models, by ioctl, by single
 * and batched uring_cmd (many SQEs in one io_uring_enter), with scalar
 * and default kernels, and through the in-kernel API (companion module).
 * Decisions follow the policy; an offload returns the bottleneck.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "spex_st.h"
#include "../kapi/spex_kapi_test.h"

#define N_INPUTS	200
#define BATCH		64

FIXTURE(infer) {
	int fd;
	struct st_model m;
	u32 id;
	u32 in_len, out_len;
	u8 *in;			/* N_INPUTS inputs */
	u8 *want_out;		/* userspace outputs */
	struct spex_result *want;
	u8 *out;
	struct spex_result *res;
};

FIXTURE_VARIANT(infer) {
	enum st_model_kind kind;
	u32 seed;
};

FIXTURE_VARIANT_ADD(infer, tiny) { .kind = ST_TINY, .seed = 11 };
FIXTURE_VARIANT_ADD(infer, mnist) { .kind = ST_MNIST, .seed = 12 };
FIXTURE_VARIANT_ADD(infer, conv) { .kind = ST_CONV, .seed = 13 };
FIXTURE_VARIANT_ADD(infer, dense) { .kind = ST_DENSE, .seed = 14 };

/* The userspace engine's answers for every input under a policy. */
static void compute_want(struct __test_metadata *_metadata,
			 FIXTURE_DATA(infer) *self,
			 const struct spex_policy *pol)
{
	u32 i;

	memset(self->want_out, 0, (size_t)N_INPUTS * self->out_len);
	for (i = 0; i < N_INPUTS; i++)
		ASSERT_EQ(SPEX_OK, st_user_run(&self->m, pol,
					       self->in + i * self->in_len,
					       self->want_out + i * self->out_len,
					       &self->want[i]));
}

/* Output bytes that carry meaning for result i. */
static u32 out_bytes(FIXTURE_DATA(infer) *self, u32 i)
{
	return self->want[i].decision == SPEX_DECISION_OFFLOAD ?
	       self->want[i].bottleneck_len : 0;
}

static int check_one(FIXTURE_DATA(infer) *self, u32 i, int word)
{
	u32 n = out_bytes(self, i);

	if (word != st_res_word(&self->want[i]))
		return 1;
	if (!st_res_equal(&self->res[i], &self->want[i]))
		return 2;
	if (n && memcmp(self->out + i * self->out_len,
			self->want_out + i * self->out_len, n))
		return 3;
	return 0;
}

FIXTURE_SETUP(infer)
{
	if (!st_have_spex())
		SKIP(return, "no " SPEX_DEV);
	self->fd = st_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, st_model_build(&self->m, variant->kind, variant->seed));
	ASSERT_EQ(0, st_load(self->fd, &self->m, &self->id));
	self->in_len = self->m.info->input_bytes;
	self->out_len = self->m.info->output_bytes;
	self->in = malloc((size_t)N_INPUTS * self->in_len);
	self->want_out = calloc(N_INPUTS, self->out_len);
	self->out = calloc(N_INPUTS, self->out_len);
	self->want = calloc(N_INPUTS, sizeof(*self->want));
	self->res = calloc(N_INPUTS, sizeof(*self->res));
	ASSERT_TRUE(self->in && self->want_out && self->out && self->want &&
		    self->res);
	for (u32 i = 0; i < N_INPUTS; i++)
		st_input(&self->m, variant->seed * 1000 + i,
			 self->in + i * self->in_len);
	compute_want(_metadata, self, NULL);
}

FIXTURE_TEARDOWN(infer)
{
	if (self->fd > 0) {
		st_unload(self->fd, self->id);
		close(self->fd);
	}
	free(self->in);
	free(self->want_out);
	free(self->out);
	free(self->want);
	free(self->res);
	st_model_free(&self->m);
}

static void run_ioctl(struct __test_metadata *_metadata,
		      FIXTURE_DATA(infer) *self, u32 flags)
{
	int word, bad = 0;
	u32 i;

	for (i = 0; i < N_INPUTS; i++) {
		word = st_infer(self->fd, self->id, self->in + i * self->in_len,
				self->in_len, self->out + i * self->out_len,
				self->out_len, &self->res[i], flags);
		ASSERT_LE(0, word);
		if (check_one(self, i, word) && bad++ < 5)
			TH_LOG("input %u differs (%d)", i,
			       check_one(self, i, word));
	}
	EXPECT_EQ(0, bad);
}

TEST_F(infer, ioctl)
{
	run_ioctl(_metadata, self, 0);
}

TEST_F(infer, ioctl_scalar)
{
	run_ioctl(_metadata, self, SPEX_JOB_F_SCALAR);
}

/* batch SQEs per io_uring_enter; cqe32 also checks big_cqe[0]. */
static void run_uring(struct __test_metadata *_metadata,
		      FIXTURE_DATA(infer) *self, u32 batch, bool cqe32)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct spex_job job;
	int seen[N_INPUTS] = {};
	int bad = 0;
	u32 i, b, k;

	ASSERT_EQ(0, st_ring_init(&ring, BATCH, cqe32));
	for (i = 0; i < N_INPUTS; i += batch) {
		b = N_INPUTS - i < batch ? N_INPUTS - i : batch;
		for (k = i; k < i + b; k++) {
			st_job(&job, self->id, self->in + k * self->in_len,
			       self->in_len, self->out + k * self->out_len,
			       self->out_len, &self->res[k], 0);
			ASSERT_NE(NULL, st_prep_infer(&ring, self->fd, &job, k));
		}
		ASSERT_EQ((int)b, io_uring_submit_and_wait(&ring, b));
		for (k = 0; k < b; k++) {
			u64 ud;

			ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
			ud = io_uring_cqe_get_data64(cqe);
			ASSERT_GT(N_INPUTS, ud);
			seen[ud]++;
			ASSERT_LE(0, cqe->res);
			if (check_one(self, ud, cqe->res) && bad++ < 5)
				TH_LOG("input %llu differs (%d)",
				       (unsigned long long)ud,
				       check_one(self, ud, cqe->res));
			if (cqe32) {
				u64 x = cqe->big_cqe[0];

				EXPECT_EQ(self->want[ud].exit_index & 0xff,
					  SPEX_RES2_EXIT(x));
				EXPECT_EQ(self->want[ud].layers_run,
					  SPEX_RES2_LAYERS(x));
				EXPECT_EQ(out_bytes(self, ud),
					  SPEX_RES2_BOTTLENECK(x));
			}
			io_uring_cqe_seen(&ring, cqe);
		}
	}
	for (i = 0; i < N_INPUTS; i++)
		EXPECT_EQ(1, seen[i]);
	EXPECT_EQ(0, bad);
	io_uring_queue_exit(&ring);
}

TEST_F(infer, uring_single)
{
	run_uring(_metadata, self, 1, false);
}

TEST_F(infer, uring_batch)
{
	run_uring(_metadata, self, BATCH, false);
}

TEST_F(infer, uring_batch_cqe32)
{
	struct spex_info info = {};

	ASSERT_EQ(0, ioctl(self->fd, SPEX_IOC_GET_INFO, &info));
	if (!(info.features & SPEX_F_CQE32_EXTRA))
		SKIP(return, "no SPEX_F_CQE32_EXTRA");
	run_uring(_metadata, self, 8, true);
}

static void run_kapi(struct __test_metadata *_metadata,
		     FIXTURE_DATA(infer) *self, u32 mode)
{
	struct spex_kapi_run r = {
		.model_id = self->id, .count = N_INPUTS,
		.in_len = self->in_len, .out_len = self->out_len,
		.mode = mode,
	};
	s32 err[N_INPUTS];
	int fd, bad = 0;
	u32 i;

	fd = open(SPEX_KAPI_DEV, O_RDWR);
	if (fd < 0)
		SKIP(return, "no " SPEX_KAPI_DEV);
	r.inputs = (uintptr_t)self->in;
	r.outputs = (uintptr_t)self->out;
	r.results = (uintptr_t)self->res;
	r.errors = (uintptr_t)err;
	ASSERT_EQ(0, ioctl(fd, SPEX_KAPI_IOC_RUN, &r));
	close(fd);
	for (i = 0; i < N_INPUTS; i++) {
		ASSERT_EQ(0, err[i]);
		if (check_one(self, i, st_res_word(&self->res[i])) &&
		    bad++ < 5)
			TH_LOG("input %u differs", i);
	}
	EXPECT_EQ(0, bad);
}

TEST_F(infer, kapi_sync)
{
	run_kapi(_metadata, self, SPEX_KAPI_SYNC);
}

TEST_F(infer, kapi_async)
{
	run_kapi(_metadata, self, SPEX_KAPI_ASYNC);
}

/* Every policy mode, set by SET_POLICY, gives what the userspace engine
 * gives under the same policy; forced offload returns the bottleneck. */
TEST_F(infer, policy)
{
	struct spex_policy pols[5] = {
		{ .mode = SPEX_MODE_FORCE_OFFLOAD },
		{ .mode = SPEX_MODE_FORCE_LOCAL },
		{ .mode = SPEX_MODE_AUTO, .n_thresholds = 1 },	/* 0: exit */
		{ .mode = SPEX_MODE_AUTO },
		{ .mode = SPEX_MODE_AUTO },
	};
	u32 n_exits = self->m.info->n_exits, p, i, e;

	pols[2].n_thresholds = n_exits;
	pols[3].n_thresholds = n_exits;		/* 1.0: hardly ever exits */
	for (e = 0; e < n_exits; e++)
		pols[3].threshold_q16[e] = SPX_Q16_ONE;
	for (p = 0; p < 5; p++) {
		int n_off = 0, n_exit = 0;

		ASSERT_EQ(0, st_set_policy(self->fd, self->id, &pols[p]));
		compute_want(_metadata, self, &pols[p]);
		run_ioctl(_metadata, self, 0);
		for (i = 0; i < N_INPUTS; i++) {
			if (self->res[i].decision == SPEX_DECISION_OFFLOAD)
				n_off++;
			else
				n_exit++;
		}
		switch (p) {
		case 0:
			EXPECT_EQ(N_INPUTS, n_off);
			for (i = 0; i < N_INPUTS; i++) {
				EXPECT_EQ(self->out_len,
					  self->res[i].bottleneck_len);
			}
			break;
		case 1:
			EXPECT_EQ(N_INPUTS, n_exit);
			break;
		case 2:
			EXPECT_EQ(N_INPUTS, n_exit);
			for (i = 0; i < N_INPUTS; i++)
				EXPECT_EQ(0, self->res[i].exit_index);
			break;
		}
		TH_LOG("policy %u: %d exits, %d offloads", p, n_exit, n_off);
	}
}

TEST_HARNESS_MAIN
