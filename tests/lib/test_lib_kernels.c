// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * SPEX_KERNELS on the user backend: libspex reads it once per process,
 * reports the kernels it names in spex_info and runs jobs with them (core
 * reads no environment; the choice comes in through spex_exec.kernels).
 * Always the user backend, also in the guest.
 */
#include <stdlib.h>
#include <string.h>

#include "lt.h"
#include "spex_test.h"

static struct lt_split S;

static struct spex *open_user(void)
{
	struct spex_open_opts o = { .backend = SPEX_BACKEND_USER,
				    .queue_depth = 8 };
	struct spex *h = NULL;

	CHECK_EQ(spex_open(&o, &h), 0);
	return h;
}

TEST(scalar_override_reported_and_run)
{
	struct spex *h = open_user();
	struct spex_info in;
	u32 id = 0;
	s8 x[256];
	u8 out[256], want_out[256];

	CHECK_EQ(spex_get_info(h, &in), 0);
	CHECK(!strcmp(in.kernels, "scalar"), "kernels '%s'", in.kernels);
	CHECK_EQ(spex_load_blob(h, S.head_blob, S.head_len, &id, NULL), 0);
	for (u32 i = 0; i < 16; i++) {
		struct spex_result want;
		struct spex_completion c;
		struct spex_req r = {
			.model_id = id, .input = x, .input_len = S.in_bytes,
			.output = out, .output_len = sizeof(out),
		};

		lt_input(&S, i, x);
		lt_run_head(&S, NULL, x, &want, want_out);
		CHECK_EQ(spex_infer(h, &r, &c), 0);
		CHECK_EQ(c.result.decision, want.decision);
		CHECK_EQ(c.result.class_id, want.class_id);
		CHECK_EQ(c.result.confidence_q16, want.confidence_q16);
		if (want.decision == SPEX_DECISION_OFFLOAD)
			CHECK(!memcmp(out, want_out, S.bneck_bytes));
	}
	spex_close(h);

	/* read once: a later change does not move a running process */
	unsetenv("SPEX_KERNELS");
	h = open_user();
	CHECK_EQ(spex_get_info(h, &in), 0);
	CHECK(!strcmp(in.kernels, "scalar"), "kernels '%s'", in.kernels);
	spex_close(h);
}

static void setup(void) __attribute__((constructor));
static void setup(void)
{
	setenv("SPEX_KERNELS", "scalar", 1);
	if (lt_split_build(&S, 42)) {
		fprintf(stderr, "cannot build the test models\n");
		exit(1);
	}
}

TEST_MAIN(T(scalar_override_reported_and_run))
