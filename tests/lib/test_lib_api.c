// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Every libspex API call on the user backend (or on the device backend
 * when SPEX_TEST_BACKEND=device, as the guest tests run it): open/close,
 * info, load from memory and file, list, describe, policy, sync and async
 * jobs with user data, queue limits, per-job errors, stats, strerror.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lt.h"
#include "spex_test.h"

static struct lt_split S;
static int backend = SPEX_BACKEND_USER;
static unsigned int open_flags;

static struct spex *open_h(unsigned int depth)
{
	struct spex_open_opts o = { .backend = (u32)backend, .flags = open_flags,
				    .queue_depth = depth };
	struct spex *h = NULL;
	int ret = spex_open(&o, &h);

	CHECK(ret == 0, "spex_open: %s", spex_strerror(ret));
	return h;
}

static u32 load_head(struct spex *h)
{
	u32 id = 0;
	int ret = spex_load_blob(h, S.head_blob, S.head_len, &id, NULL);

	CHECK(ret == 0, "load: %s", spex_strerror(ret));
	return id;
}

TEST(open_close)
{
	struct spex_open_opts o = { 0 };
	struct spex *h = NULL;

	CHECK_EQ(spex_open(NULL, NULL), -EINVAL);
	o.reserved[0] = 1;
	CHECK_EQ(spex_open(&o, &h), -EINVAL);
	CHECK(h == NULL);
	o.reserved[0] = 0;
	o.backend = 7;
	CHECK_EQ(spex_open(&o, &h), -EINVAL);
	o.backend = SPEX_BACKEND_DEVICE;
	o.dev_path = "/nonexistent/spex";
	CHECK_EQ(spex_open(&o, &h), -ENOENT);
	o.queue_depth = 100000;
	o.backend = SPEX_BACKEND_USER;
	CHECK_EQ(spex_open(&o, &h), -EINVAL);

	/* AUTO with a missing device falls back to the engine */
	o.backend = SPEX_BACKEND_AUTO;
	o.queue_depth = 0;
	CHECK_EQ(spex_open(&o, &h), 0);
	CHECK_EQ(spex_backend_of(h), SPEX_BACKEND_USER);
	CHECK(!strcmp(spex_backend_name(spex_backend_of(h)), "user"));
	CHECK_EQ(spex_uses_uring_cmd(h), 0);
	spex_close(h);
	spex_close(NULL);

	h = open_h(0);
	CHECK_EQ(spex_backend_of(h), backend);
	spex_close(h);
}

TEST(info)
{
	struct spex *h = open_h(8);
	struct spex_info in;

	CHECK_EQ(spex_get_info(h, NULL), -EINVAL);
	CHECK_EQ(spex_get_info(h, &in), 0);
	CHECK_EQ(in.abi_version, SPEX_ABI_VERSION);
	CHECK(in.kernels[0] != 0);
	if (backend == SPEX_BACKEND_USER) {
		CHECK_EQ(in.max_jobs_per_file, 8);
		CHECK_EQ(in.n_models, 0);
	}
	spex_close(h);
}

TEST(load_list_describe_unload)
{
	struct spex *h = open_h(8);
	struct spex_layer_desc ld[16];
	struct spex_model_desc d;
	struct spex_load_error err;
	const struct spex_model_desc *mi = spex_model_info(S.head_m);
	u32 id1, id2 = 0, ids[8];
	char *path = lt_write_tmp(S.head_blob, S.head_len, "head.spx");
	int n, ret;

	id1 = load_head(h);
	CHECK(id1 > 0);
	ret = spex_load_file(h, path, &id2, &err);
	CHECK(ret == 0, "%s", spex_strerror(ret));
	CHECK(id2 > id1);
	CHECK_EQ(spex_load_file(h, "/nonexistent.spx", &id2, &err), -ENOENT);

	n = spex_list_models(h, ids, 8);
	CHECK(n >= 2);
	CHECK_EQ(spex_list_models(h, NULL, 0), n);
	for (int i = 1; i < n && i < 8; i++)
		CHECK(ids[i - 1] < ids[i]);

	CHECK_EQ(spex_describe_model(h, id1, &d, ld, 16), 0);
	CHECK_EQ(d.model_id, id1);
	CHECK_EQ(d.role, SPX_ROLE_HEAD);
	CHECK_EQ(d.input_bytes, mi->input_bytes);
	CHECK_EQ(d.output_bytes, mi->output_bytes);
	CHECK_EQ(d.n_layers, mi->n_layers);
	CHECK_EQ(d.n_exits, 2);
	CHECK_EQ(d.policy.n_thresholds, 2);
	CHECK_EQ(d.policy.threshold_q16[0], 30000);
	CHECK(!memcmp(d.hash, mi->hash, SPX_HASH_LEN));
	CHECK(!strcmp(d.name, mi->name));
	CHECK_EQ(ld[0].type, SPX_LAYER_FC);
	CHECK_EQ(ld[0].in_degree, 16);
	CHECK_EQ(ld[0].density_ppm, 250000);
	CHECK_EQ(spex_describe_model(h, 999999, &d, NULL, 0), -ENOENT);

	CHECK_EQ(spex_unload_model(h, id2), 0);
	CHECK_EQ(spex_unload_model(h, id2), -ENOENT);
	CHECK_EQ(spex_list_models(h, ids, 8), n - 1);
	CHECK_EQ(spex_unload_model(h, id1), 0);
	unlink(path);
	free(path);
	spex_close(h);
}

TEST(load_errors)
{
	struct spex *h = open_h(8);
	struct spex_load_error err;
	u8 *bad = malloc(S.head_len);
	u32 id = 0;
	int ret;

	memcpy(bad, S.head_blob, S.head_len);
	bad[0] ^= 0xff;				/* magic */
	ret = spex_load_blob(h, bad, S.head_len, &id, &err);
	CHECK(ret < 0);
	CHECK_EQ(err.status, SPEX_E_MAGIC);
	CHECK(err.msg[0] != 0);
	memcpy(bad, S.head_blob, S.head_len);
	bad[S.head_len - 1] ^= 0x55;		/* crc */
	ret = spex_load_blob(h, bad, S.head_len, &id, &err);
	CHECK(ret < 0);
	CHECK_EQ(err.status, SPEX_E_CRC);
	CHECK_EQ(spex_load_blob(h, NULL, 10, &id, NULL), -EINVAL);
	CHECK_EQ(spex_load_blob(h, S.head_blob, S.head_len, NULL, NULL), -EINVAL);
	free(bad);
	spex_close(h);
}

/* The library's sync answer is the engine's, bottleneck included. */
TEST(sync_infer_matches_engine)
{
	struct spex *h = open_h(8);
	u32 id = load_head(h);
	s8 in[256];
	u8 out[256], want_out[256];
	int offloads = 0, exits = 0;

	for (u32 i = 0; i < 64; i++) {
		struct spex_result want;
		struct spex_completion c;
		struct spex_req r = {
			.model_id = id, .input = in, .input_len = S.in_bytes,
			.output = out, .output_len = sizeof(out),
			.user_data = 1000 + i,
		};

		lt_input(&S, i, in);
		lt_run_head(&S, NULL, in, &want, want_out);
		CHECK_EQ(spex_infer(h, &r, &c), 0);
		CHECK_EQ(c.user_data, 1000 + i);
		CHECK_EQ(c.result.decision, want.decision);
		CHECK_EQ(c.result.class_id, want.class_id);
		CHECK_EQ(c.result.confidence_q16, want.confidence_q16);
		CHECK_EQ(c.result.exit_index, want.exit_index);
		CHECK_EQ(c.result.layers_run, want.layers_run);
		CHECK_EQ(c.result.macs, want.macs);
		if (want.decision == SPEX_DECISION_OFFLOAD) {
			offloads++;
			CHECK_EQ(c.origin, SPEX_ORIGIN_BOTTLENECK);
			CHECK_EQ(c.result.bottleneck_len, S.bneck_bytes);
			CHECK(!memcmp(out, want_out, S.bneck_bytes));
		} else {
			exits++;
			CHECK_EQ(c.origin, SPEX_ORIGIN_LOCAL);
		}
		/* and with the library's own output buffer */
		r.output = NULL;
		r.output_len = 0;
		CHECK_EQ(spex_infer(h, &r, &c), 0);
		CHECK_EQ(c.result.class_id, want.class_id);
	}
	CHECK(offloads > 0 && exits > 0, "offloads %d exits %d", offloads, exits);
	CHECK_EQ(spex_in_flight(h), 0);
	spex_close(h);
}

TEST(policy)
{
	struct spex *h = open_h(8);
	u32 id = load_head(h);
	struct spex_policy pol = { .mode = SPEX_MODE_FORCE_LOCAL };
	struct spex_model_desc d;
	struct spex_completion c;
	s8 in[256];
	struct spex_req r = { .model_id = id, .input = in,
			      .input_len = S.in_bytes };

	CHECK_EQ(spex_set_model_policy(h, id, NULL), -EINVAL);
	CHECK_EQ(spex_set_model_policy(h, id, &pol), 0);
	for (u32 i = 0; i < 16; i++) {
		struct spex_result want;

		lt_input(&S, i, in);
		lt_run_head(&S, &pol, in, &want, NULL);
		CHECK_EQ(spex_infer(h, &r, &c), 0);
		CHECK_EQ(c.result.decision, SPEX_DECISION_EXIT);
		CHECK_EQ(c.result.class_id, want.class_id);
		CHECK_EQ(c.result.flags, want.flags);
	}
	pol.mode = SPEX_MODE_FORCE_OFFLOAD;
	CHECK_EQ(spex_set_model_policy(h, id, &pol), 0);
	CHECK_EQ(spex_infer(h, &r, &c), 0);
	CHECK_EQ(c.result.decision, SPEX_DECISION_OFFLOAD);
	CHECK(c.result.flags & SPEX_RF_FORCED);
	CHECK_EQ(spex_describe_model(h, id, &d, NULL, 0), 0);
	CHECK_EQ(d.policy.mode, SPEX_MODE_FORCE_OFFLOAD);

	pol.mode = 9;				/* unknown mode */
	CHECK_EQ(spex_set_model_policy(h, id, &pol), -EINVAL);
	pol.mode = SPEX_MODE_AUTO;
	pol.n_thresholds = 2;
	pol.threshold_q16[0] = SPX_Q16_ONE + 1;	/* above 1.0 */
	CHECK_EQ(spex_set_model_policy(h, id, &pol), -EINVAL);
	pol.threshold_q16[0] = 0;		/* always exit at exit 0 */
	CHECK_EQ(spex_set_model_policy(h, id, &pol), 0);
	CHECK_EQ(spex_infer(h, &r, &c), 0);
	CHECK_EQ(c.result.decision, SPEX_DECISION_EXIT);
	CHECK_EQ(c.result.exit_index, 0);
	CHECK_EQ(spex_set_model_policy(h, 999999, &pol), -ENOENT);
	spex_close(h);
}

/* Many jobs in flight, submitted in odd-sized batches, reaped in odd-sized
 * batches: each user_data exactly once, each with its own input's answer. */
TEST(async_user_data)
{
	enum { N = 300 };
	struct spex *h = open_h(32);
	u32 id = load_head(h);
	static s8 in[N][64];
	static u8 out[N][64];
	static struct spex_result want[N];
	static int seen[N];
	struct spex_completion c[16];
	u32 next = 0, done = 0;

	memset(seen, 0, sizeof(seen));
	for (u32 i = 0; i < N; i++) {
		lt_input(&S, 7 * i + 1, in[i]);
		lt_run_head(&S, NULL, in[i], &want[i], NULL);
	}
	while (done < N) {
		struct spex_req r[7];
		unsigned int k = 0;
		int n;

		while (next + k < N && k < 7) {
			u32 i = next + k;

			r[k] = (struct spex_req){
				.model_id = id, .input = in[i],
				.input_len = S.in_bytes, .output = out[i],
				.output_len = sizeof(out[i]),
				.user_data = 0xABC0000000ull + i,
			};
			k++;
		}
		if (k) {
			n = spex_submit(h, r, k);
			CHECK(n > 0 || n == -EBUSY, "submit %d", n);
			if (n > 0)
				next += (u32)n;
		}
		n = spex_reap(h, c, 5, next < N ? 0 : 1, -1);
		CHECK(n >= 0);
		for (int q = 0; q < n; q++) {
			u64 i = c[q].user_data - 0xABC0000000ull;

			CHECK(i < N);
			if (i >= N)
				continue;
			seen[i]++;
			CHECK_EQ(c[q].res, 0);
			CHECK_EQ(c[q].result.class_id, want[i].class_id);
			CHECK_EQ(c[q].result.decision, want[i].decision);
			done++;
		}
		if (n < 0)
			break;
	}
	for (u32 i = 0; i < N; i++)
		CHECK_EQ(seen[i], 1);
	CHECK_EQ(spex_in_flight(h), 0);
	spex_close(h);
}

TEST(queue_limit)
{
	struct spex *h = open_h(4);
	u32 id = load_head(h);
	struct spex_completion c[8];
	struct spex_req r[10];
	s8 in[64];

	lt_input(&S, 3, in);
	for (int i = 0; i < 10; i++)
		r[i] = (struct spex_req){ .model_id = id, .input = in,
					  .input_len = S.in_bytes,
					  .user_data = (u64)i };
	CHECK_EQ(spex_submit(h, r, 10), 4);
	CHECK_EQ(spex_in_flight(h), 4);
	CHECK_EQ(spex_submit(h, r, 1), -EBUSY);
	CHECK_EQ(spex_submit(h, r, 0), 0);
	CHECK_EQ(spex_submit(h, NULL, 1), -EINVAL);
	CHECK_EQ(spex_reap(h, c, 8, 4, -1), 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(c[i].user_data, i);	/* inline: in order here */
	CHECK_EQ(spex_in_flight(h), 0);
	CHECK_EQ(spex_reap(h, c, 8, 1, 0), 0);	/* nothing: no wait */
	CHECK_EQ(spex_reap(h, c, 8, 1, -1), 0);	/* nothing in flight */
	spex_close(h);
}

TEST(job_errors_complete_once)
{
	struct spex *h = open_h(8);
	u32 id = load_head(h);
	struct spex_completion c[8];
	s8 in[64];
	u8 small[2];
	struct spex_req r[4] = {
		{ .model_id = 999999, .input = in, .input_len = S.in_bytes,
		  .user_data = 1 },
		{ .model_id = id, .input = in, .input_len = S.in_bytes - 1,
		  .user_data = 2 },
		{ .model_id = id, .input = in, .input_len = S.in_bytes,
		  .output = small, .output_len = sizeof(small), .user_data = 3 },
		{ .model_id = id, .input = in, .input_len = S.in_bytes,
		  .user_data = 4 },
	};
	struct spex_handle_stats st;
	int n, seen = 0;

	lt_input(&S, 5, in);
	CHECK_EQ(spex_submit(h, r, 4), 4);
	n = lt_reap_all(h, c, 4);
	CHECK_EQ(n, 4);
	for (int i = 0; i < n; i++) {
		seen |= 1 << c[i].user_data;
		if (c[i].user_data == 4) {
			CHECK_EQ(c[i].res, 0);
		} else {
			CHECK(c[i].res < 0, "job %llu", (unsigned long long)c[i].user_data);
			CHECK_EQ(c[i].origin, SPEX_ORIGIN_ERROR);
		}
		if (c[i].user_data == 1)
			CHECK_EQ(c[i].res, -ENOENT);
		if (c[i].user_data == 2)
			CHECK_EQ(c[i].res, -EINVAL);
	}
	CHECK_EQ(seen, 0x1e);
	CHECK_EQ(spex_get_stats(h, &st), 0);
	CHECK_EQ(st.submitted, 4);
	CHECK_EQ(st.completed, 4);
	CHECK_EQ(st.errors, 3);
	CHECK_EQ(spex_get_stats(h, NULL), -EINVAL);

	/* a job on a model unloaded meanwhile fails cleanly */
	CHECK_EQ(spex_unload_model(h, id), 0);
	CHECK_EQ(spex_infer(h, &r[3], &c[0]), -ENOENT);
	spex_close(h);
}

/* spex_infer() leaves the async jobs' completions for spex_reap(). */
TEST(sync_among_async)
{
	struct spex *h = open_h(8);
	u32 id = load_head(h);
	struct spex_completion c[8], one;
	s8 in[64];
	struct spex_req r[3];

	lt_input(&S, 9, in);
	for (int i = 0; i < 3; i++)
		r[i] = (struct spex_req){ .model_id = id, .input = in,
					  .input_len = S.in_bytes,
					  .user_data = 50 + (u64)i };
	CHECK_EQ(spex_submit(h, r, 3), 3);
	r[0].user_data = 77;
	CHECK_EQ(spex_infer(h, &r[0], &one), 0);
	CHECK_EQ(one.user_data, 77);
	CHECK_EQ(spex_in_flight(h), 3);
	CHECK_EQ(lt_reap_all(h, c, 3), 3);
	for (int i = 0; i < 3; i++)
		CHECK(c[i].user_data >= 50 && c[i].user_data <= 52);
	spex_close(h);
}

TEST(strerror_messages)
{
	CHECK(!strcmp(spex_strerror(0), "success"));
	CHECK(strstr(spex_strerror(-ESTALE), "hash") != NULL);
	CHECK(strstr(spex_strerror(-ENOENT), "No such") != NULL);
	CHECK(!strcmp(spex_strerror(SPEX_STATUS_ERR(SPEX_E_CRC)),
		      spex_status_str(SPEX_E_CRC)));
	CHECK(spex_strerror(-99999) != NULL);
	CHECK(spex_strerror(SPEX_STATUS_ERR(9999)) != NULL);
}

TEST(offload_opts_checked)
{
	struct spex *h = open_h(8);
	u32 id = load_head(h), tid = 0;
	struct spex_offload_opts o = { .host = "127.0.0.1", .port = 1 };

	CHECK_EQ(spex_load_blob(h, S.tail_blob, S.tail_len, &tid, NULL), 0);
	CHECK_EQ(spex_set_offload(h, tid, &o), -EINVAL);	/* not a head */
	CHECK_EQ(spex_set_offload(h, 999999, &o), -ENOENT);
	o.port = 0;
	CHECK_EQ(spex_set_offload(h, id, &o), -EINVAL);
	o.port = 1;
	o.reserved[2] = 1;
	CHECK_EQ(spex_set_offload(h, id, &o), -EINVAL);
	o.reserved[2] = 0;
	o.host = "not a host name.invalid";
	CHECK(spex_set_offload(h, id, &o) < 0);
	o.host = "127.0.0.1";
	CHECK_EQ(spex_set_offload(h, id, &o), 0);
	CHECK_EQ(spex_set_offload(h, id, NULL), 0);		/* off again */
	spex_close(h);
}

static void setup(void) __attribute__((constructor));
static void setup(void)
{
	const char *b = getenv("SPEX_TEST_BACKEND");

	if (b && !strcmp(b, "device"))
		backend = SPEX_BACKEND_DEVICE;
	if (getenv("SPEX_TEST_NO_URING"))
		open_flags = SPEX_OPEN_NO_URING;
	if (lt_split_build(&S, 42)) {
		fprintf(stderr, "cannot build the test models\n");
		exit(1);
	}
}

TEST_MAIN(T(open_close), T(info), T(load_list_describe_unload),
	  T(load_errors), T(sync_infer_matches_engine), T(policy),
	  T(async_user_data), T(queue_limit), T(job_errors_complete_once),
	  T(sync_among_async), T(strerror_messages), T(offload_opts_checked))
