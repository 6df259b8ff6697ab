// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The engine end to end: random models of every layer, pattern and policy
 * kind, run by spex_run() with each kernel implementation and with
 * chunking, against the naive reference network (tests/common/refnet.c).
 * int8 must match exactly; f32 within F32_TOL.
 */
#include "spex_test.h"
#include <spex/engine.h>
#include "kernels.h"	/* white-box: the kernel table's names */
#include "modelgen.h"
#include "refnet.h"
#include <math.h>

#define F32_TOL		1e-4	/* relative, on logits and bottlenecks */
#define INPUTS		40

static const struct spex_kernels *impls[SPEX_TEST_MAX_IMPLS];
static u32 n_impls;

static void pick_impls(void)
{
	if (n_impls)
		return;
	SPEX_TEST_PICK_IMPLS(impls, n_impls);
}

static struct spex_model *load(const struct mg_model *mm)
{
	struct spex_model *m = NULL;
	struct spex_diag d;
	int st = spex_model_load(mm->blob, mm->len, NULL, &m, &d);

	CHECK(st == SPEX_OK, "load: %s", d.msg);
	return m;
}

static bool close_f(float a, float b)
{
	return fabsf(a - b) <= F32_TOL * (1 + fabsf(a) + fabsf(b));
}

/* Run every input through the engine (each implementation, chunked and
 * not) and the reference; count the decisions seen. */
static void compare(const struct mg_model *mm, const struct spex_policy *pol,
		    u32 seed, u32 seen[3])
{
	struct spex_model *m = load(mm);
	const struct spex_model_desc *mi;
	u8 *in, *scratch, *out, *ref_out;
	u32 i, k, c;

	if (!m)
		return;
	pick_impls();
	mi = spex_model_info(m);
	in = malloc(mi->input_bytes);
	scratch = malloc(spex_model_scratch_size(m));
	out = malloc(mi->output_bytes);
	ref_out = malloc(mi->output_bytes);
	for (i = 0; i < INPUTS; i++) {
		struct spex_result want, got;

		mg_input(&mm->wm, seed * 1000 + i, in);
		CHECK(ref_run(&mm->wm, pol, in, ref_out, &want) == 0);
		for (k = 0; k < n_impls; k++) {
			for (c = 0; c < 2; c++) {
				struct spex_exec ex = {
					.kernels = impls[k],
					.chunk_macs = c ? 97 : 0,
				};
				bool f32 = mi->dtype == SPX_DTYPE_F32;
				int st;

				memset(out, 0x5a, mi->output_bytes);
				st = spex_run(m, pol, &ex, scratch, in,
					      mi->input_bytes, out,
					      mi->output_bytes, &got);
				CHECK_EQ(st, SPEX_OK);
				CHECK_EQ(got.status, SPEX_OK);
				/* f32 decisions may flip at a threshold */
				if (f32 && got.decision != want.decision)
					continue;
				CHECK_EQ(got.decision, want.decision);
				CHECK_EQ(got.exit_index, want.exit_index);
				CHECK_EQ(got.flags, want.flags);
				CHECK_EQ(got.layers_run, want.layers_run);
				CHECK_EQ(got.macs, want.macs);
				CHECK_EQ(got.class_id, want.class_id);
				if (!f32)
					CHECK_EQ(got.confidence_q16, want.confidence_q16);
				else
					CHECK(abs((int)got.confidence_q16 - (int)want.confidence_q16) < 8);
				if (got.decision == SPEX_DECISION_EXIT)
					continue;
				CHECK_EQ(got.bottleneck_len,
					 mi->role == SPX_ROLE_HEAD ? mi->output_bytes : 0);
				if (!f32) {
					CHECK(!memcmp(out, ref_out, mi->output_bytes),
					      "%s output differs (input %u)", impls[k]->name, i);
				} else {
					const float *a = (const float *)out, *b = (const float *)ref_out;
					u32 j, bad = 0;

					for (j = 0; j < mi->output_bytes / 4; j++)
						bad += !close_f(a[j], b[j]);
					CHECK(!bad, "%u f32 outputs differ", bad);
				}
			}
		}
		if (want.decision <= SPEX_DECISION_FINAL)
			seen[want.decision]++;
	}
	free(in);
	free(scratch);
	free(out);
	free(ref_out);
	spex_model_free(m);
}

static void run_spec(const struct mg_spec *s, const struct spex_policy *pol,
		     u32 seen[3])
{
	struct mg_model mm;

	CHECK(mg_build(s, &mm) == 0);
	compare(&mm, pol, s->seed, seen);
	mg_free(&mm);
}

static const u32 sparse_patterns[] = {
	SPX_PAT_RANDOM, SPX_PAT_CF1, SPX_PAT_CF2, SPX_PAT_CF3,
};

TEST(mlp_heads_every_pattern)
{
	u32 seen[3] = { 0 }, p, st, dt;

	for (dt = 0; dt < 2; dt++)
		for (p = 0; p < SPEX_ARRAY_SIZE(sparse_patterns); p++)
			for (st = 0; st < 2; st++) {
				struct mg_spec s;

				mg_spec_mnist_head(&s, 100 + p * 10 + st + dt * 100);
				s.dtype = dt;
				s.fc[0].pattern = sparse_patterns[p];
				s.fc[0].starts = st ? SPX_STARTS_SEED : SPX_STARTS_ZERO;
				s.fc[0].dither = st && p >= 1;
				s.fc[1].pattern = sparse_patterns[(p + 1) % 4];
				s.fc[1].z = 4;
				s.exit_hidden[1] = st ? 32 : 0;
				run_spec(&s, NULL, seen);
			}
	/* Random weights still give both outcomes. */
	CHECK(seen[SPEX_DECISION_EXIT] > 0);
	CHECK(seen[SPEX_DECISION_OFFLOAD] > 0);
}

TEST(full_and_tail_models)
{
	u32 seen[3] = { 0 }, dt, role;

	for (dt = 0; dt < 2; dt++)
		for (role = SPX_ROLE_FULL; role <= SPX_ROLE_TAIL; role += 2) {
			struct mg_spec s;

			mg_spec_mnist_head(&s, 300 + dt * 7 + role);
			s.dtype = dt;
			s.role = role;
			s.n_fc = 3;
			s.fc[2] = (struct mg_fc){ .out = 10 };
			if (role == SPX_ROLE_TAIL) {
				s.n_exits = 0;
				s.in_c = 56;
				s.in_h = s.in_w = 1;
				s.fc[0] = (struct mg_fc){ .out = 40, .d_in = 14,
					.pattern = SPX_PAT_CF3, .z = 2, .starts = SPX_STARTS_SEED };
				s.fc[1] = (struct mg_fc){ .out = 40, .d_in = 8,
					.pattern = SPX_PAT_RANDOM };
			} else {
				s.threshold_q16[0] = s.threshold_q16[1] = 60000;
			}
			run_spec(&s, NULL, seen);
		}
	CHECK(seen[SPEX_DECISION_FINAL] > 0);
}

TEST(conv_heads)
{
	u32 seen[3] = { 0 }, dt, v;

	for (dt = 0; dt < 2; dt++)
		for (v = 0; v < 4; v++) {
			struct mg_spec s;

			mg_spec_mnist_head(&s, 500 + v + 10 * dt);
			s.dtype = dt;
			s.in_c = 2;
			s.in_h = s.in_w = 12;
			s.conv_out_c = 8;
			s.conv_k = 3;
			s.conv_stride = v == 3 ? 2 : 1;
			s.conv_cin_deg = v == 0 ? 2 : 1;
			s.conv_pattern = SPX_PAT_RANDOM;
			s.conv_mask = v & 1 ? SPX_MASK_PERIODIC : SPX_MASK_FULL;
			s.conv_period = 8;
			s.avgpool = v == 2;
			s.explicit_relu = v == 1;
			s.fc[0] = (struct mg_fc){ .out = 32, .d_in = v == 3 ? 9 : 36,
				.pattern = SPX_PAT_RANDOM };
			s.fc[1] = (struct mg_fc){ .out = 16, .d_in = 8,
				.pattern = SPX_PAT_CF2, .z = 4, .starts = SPX_STARTS_SEED };
			s.exit_after[0] = 1;	/* after the pool */
			s.exit_after[1] = 3;
			run_spec(&s, NULL, seen);
		}
	CHECK(seen[SPEX_DECISION_EXIT] + seen[SPEX_DECISION_OFFLOAD] > 0);
}

TEST(policies)
{
	struct spex_policy pol;
	u32 seen[3] = { 0 };
	struct mg_spec s;

	mg_spec_mnist_head(&s, 700);
	/* always exit at the first exit */
	memset(&pol, 0, sizeof(pol));
	pol.n_thresholds = 2;
	memset(seen, 0, sizeof(seen));
	run_spec(&s, &pol, seen);
	CHECK_EQ(seen[SPEX_DECISION_EXIT], INPUTS);
	/* never exit */
	pol.threshold_q16[0] = pol.threshold_q16[1] = SPX_Q16_ONE;
	memset(seen, 0, sizeof(seen));
	run_spec(&s, &pol, seen);
	CHECK_EQ(seen[SPEX_DECISION_OFFLOAD], INPUTS);
	/* forced */
	memset(&pol, 0, sizeof(pol));
	pol.mode = SPEX_MODE_FORCE_OFFLOAD;
	memset(seen, 0, sizeof(seen));
	run_spec(&s, &pol, seen);
	CHECK_EQ(seen[SPEX_DECISION_OFFLOAD], INPUTS);
	pol.mode = SPEX_MODE_FORCE_LOCAL;
	memset(seen, 0, sizeof(seen));
	run_spec(&s, &pol, seen);
	CHECK_EQ(seen[SPEX_DECISION_EXIT], INPUTS);
}

/* Layers past a taken exit are not computed, and the counts say so. */
TEST(early_termination)
{
	struct spex_policy pol = { .n_thresholds = 2 };
	struct spex_result always, never;
	struct spex_model *m;
	struct mg_model mm;
	struct mg_spec s;
	u8 in[784], out[64], *scratch;

	mg_spec_mnist_head(&s, 800);
	CHECK(mg_build(&s, &mm) == 0);
	m = load(&mm);
	if (!m)
		return;
	scratch = malloc(spex_model_scratch_size(m));
	mg_input(&mm.wm, 1, in);
	CHECK_EQ(spex_run(m, &pol, NULL, scratch, in, sizeof(in), out,
			  sizeof(out), &always), SPEX_OK);
	pol.mode = SPEX_MODE_FORCE_OFFLOAD;
	CHECK_EQ(spex_run(m, &pol, NULL, scratch, in, sizeof(in), out,
			  sizeof(out), &never), SPEX_OK);
	CHECK_EQ(always.decision, SPEX_DECISION_EXIT);
	CHECK_EQ(always.exit_index, 0);
	/* layer 0 + exit 0's one-layer branch */
	CHECK_EQ(always.layers_run, 2);
	CHECK_EQ(always.macs, 112ull * 112 + 112ull * 10);
	CHECK_EQ(never.layers_run, mm.wm.n_layers);
	CHECK(never.macs > always.macs);
	CHECK(never.weight_bytes > always.weight_bytes);
	CHECK(never.act_bytes > always.act_bytes);
	free(scratch);
	spex_model_free(m);
	mg_free(&mm);
}

TEST(bad_jobs)
{
	struct spex_policy pol = { 0 };
	struct spex_result r;
	struct spex_model *m;
	struct mg_model mm;
	struct mg_spec s;
	u8 in[784], out[64], *scratch;

	mg_spec_mnist_head(&s, 900);
	CHECK(mg_build(&s, &mm) == 0);
	m = load(&mm);
	if (!m)
		return;
	scratch = malloc(spex_model_scratch_size(m));
	memset(in, 0, sizeof(in));
	CHECK_EQ(spex_run(m, NULL, NULL, scratch, in, 783, out, sizeof(out), &r),
		 SPEX_E_INPUT);
	CHECK_EQ(r.status, SPEX_E_INPUT);
	CHECK_EQ(spex_run(m, NULL, NULL, scratch, NULL, 784, out, sizeof(out), &r),
		 SPEX_E_INPUT);
	CHECK_EQ(spex_run(m, NULL, NULL, scratch, in, 784, out, 55, &r),
		 SPEX_E_OUTPUT);
	pol.mode = 3;
	CHECK_EQ(spex_run(m, &pol, NULL, scratch, in, 784, out, 64, &r),
		 SPEX_E_POLICY);
	pol.mode = 0;
	pol.n_thresholds = 1;	/* the model has two exits */
	CHECK_EQ(spex_policy_check(m, &pol), SPEX_E_POLICY);
	pol.n_thresholds = 2;
	pol.threshold_q16[1] = SPX_Q16_ONE + 1;
	CHECK_EQ(spex_policy_check(m, &pol), SPEX_E_POLICY);
	pol.threshold_q16[1] = 0;
	pol.threshold_q16[5] = 1;	/* beyond n_thresholds */
	CHECK_EQ(spex_policy_check(m, &pol), SPEX_E_POLICY);
	pol.threshold_q16[5] = 0;
	pol.deadline_us = 1;	/* a deadline needs a net mode */
	CHECK_EQ(spex_policy_check(m, &pol), SPEX_E_POLICY);
	pol.net_mode = SPEX_NET_DEADLINE;
	CHECK_EQ(spex_policy_check(m, &pol), SPEX_OK);
	pol.rttvar_k = SPEX_NET_MAX_K + 1;
	CHECK_EQ(spex_policy_check(m, &pol), SPEX_E_POLICY);
	pol.rttvar_k = 0;
	pol.deadline_us = 0;	/* ... and a net mode a deadline */
	CHECK_EQ(spex_policy_check(m, &pol), SPEX_E_POLICY);
	pol.deadline_us = SPEX_NET_MAX_DEADLINE_US + 1;
	CHECK_EQ(spex_policy_check(m, &pol), SPEX_E_POLICY);
	pol.deadline_us = 30000;
	pol.net_mode = SPEX_NET_ADAPTIVE + 1;
	CHECK_EQ(spex_policy_check(m, &pol), SPEX_E_POLICY);
	pol.net_mode = SPEX_NET_CONFIDENCE;
	pol.rttvar_k = 4;	/* CONFIDENCE keeps the net fields 0 */
	pol.deadline_us = 0;
	CHECK_EQ(spex_policy_check(m, &pol), SPEX_E_POLICY);
	pol.rttvar_k = 0;
	CHECK_EQ(spex_policy_check(m, &pol), SPEX_OK);
	/* out may be NULL: the decision without the tensor */
	CHECK_EQ(spex_run(m, NULL, NULL, scratch, in, 784, NULL, 0, &r), SPEX_OK);
	CHECK_EQ(r.bottleneck_len, 0);
	free(scratch);
	spex_model_free(m);
	mg_free(&mm);
}

/*
 * Every kernel call of a chunked job stays within chunk_macs, even inside
 * one conv channel (cut by rows), unless one FC row or one conv output
 * row alone is bigger. A kernel table wrapping the scalar one measures
 * each call; the section hooks check that each call has its own section.
 */
static u64 bound_chunk, bound_worst, bound_calls, bound_open;
static bool bound_ok = true;

static void bound_note(u64 macs, u64 unit)
{
	bound_calls++;
	if (macs > bound_worst)
		bound_worst = macs;
	if (bound_chunk == ~0ull)	/* unchunked: no sections */
		return;
	if ((macs > bound_chunk && macs > unit) || bound_open != 1) {
		if (bound_ok)
			fprintf(stderr, "# %llu MACs (unit %llu), %llu open\n",
				(unsigned long long)macs,
				(unsigned long long)unit,
				(unsigned long long)bound_open);
		bound_ok = false;
	}
}

static void bound_fc_i8(const struct spex_fc *fc, const s16 *xs, s8 *y,
			u32 o0, u32 o1)
{
	bound_note((u64)(o1 - o0) * fc->d_in, fc->d_in);
	spex_kernels_scalar.fc_i8(fc, xs, y, o0, o1);
}

static void bound_conv_i8(const struct spex_conv *cv, const s16 *xs, s8 *y,
			  s32 *acc, u32 o0, u32 o1, u32 y0, u32 y1)
{
	u64 taps = cv->tap_start[o1 * cv->cin_deg] -
		   cv->tap_start[o0 * cv->cin_deg];
	u64 row = 0;
	u32 o;

	for (o = o0; o < o1; o++) {
		u64 t = cv->tap_start[(o + 1) * cv->cin_deg] -
			cv->tap_start[o * cv->cin_deg];

		if (t * cv->out_w > row)
			row = t * cv->out_w;
	}
	bound_note(taps * (y1 - y0) * cv->out_w, row);
	spex_kernels_scalar.conv_i8(cv, xs, y, acc, o0, o1, y0, y1);
}

static void bound_begin(void *priv)
{
	(void)priv;
	bound_open++;
}

static void bound_end(void *priv)
{
	(void)priv;
	bound_open--;
}

TEST(chunks_bounded)
{
	struct spex_kernels k = spex_kernels_scalar;
	static const u64 chunks[] = { 50, 97, 300, 5000 };
	u32 c, v;

	k.fc_i8 = bound_fc_i8;
	k.conv_i8 = bound_conv_i8;
	for (v = 0; v < 2; v++)
		for (c = 0; c < SPEX_ARRAY_SIZE(chunks); c++) {
			struct spex_exec ex = {
				.kernels = &k,
				.chunk_macs = chunks[c],
				.simd_begin = bound_begin,
				.simd_end = bound_end,
			};
			struct spex_result r, want;
			struct mg_spec s;
			struct mg_model mm;
			struct spex_model *m;
			u8 *in, *scratch, *out, *out2;

			mg_spec_mnist_head(&s, 700 + v);
			s.in_c = 2;
			s.in_h = s.in_w = 16;
			s.conv_out_c = 4;
			s.conv_k = 3;
			s.conv_stride = v ? 2 : 1;
			s.conv_cin_deg = 2;
			s.conv_pattern = SPX_PAT_RANDOM;
			s.conv_mask = SPX_MASK_FULL;
			s.fc[0] = (struct mg_fc){ .out = 32, .d_in = 32,
				.pattern = SPX_PAT_RANDOM };
			s.fc[1] = (struct mg_fc){ .out = 16, .d_in = 8,
				.pattern = SPX_PAT_RANDOM };
			CHECK(mg_build(&s, &mm) == 0);
			m = load(&mm);
			if (!m) {
				mg_free(&mm);
				continue;
			}
			in = malloc(spex_model_info(m)->input_bytes);
			scratch = malloc(spex_model_scratch_size(m));
			out = malloc(spex_model_info(m)->output_bytes);
			out2 = malloc(spex_model_info(m)->output_bytes);
			mg_input(&mm.wm, 7, in);
			bound_chunk = chunks[c];
			bound_worst = bound_calls = bound_open = 0;
			bound_ok = true;
			CHECK_EQ(spex_run(m, NULL, &ex, scratch, in,
					  spex_model_info(m)->input_bytes, out,
					  spex_model_info(m)->output_bytes, &r),
				 SPEX_OK);
			CHECK(bound_ok, "chunk %llu: a call of %llu MACs",
			      (unsigned long long)chunks[c],
			      (unsigned long long)bound_worst);
			CHECK_EQ(bound_open, 0);
			/* a small chunk cuts: more calls than layers */
			CHECK(chunks[c] > 300 || bound_calls > r.layers_run,
			      "%llu calls",
			      (unsigned long long)bound_calls);
			ex.chunk_macs = 0;
			ex.simd_begin = ex.simd_end = NULL;
			bound_chunk = ~0ull;
			CHECK_EQ(spex_run(m, NULL, &ex, scratch, in,
					  spex_model_info(m)->input_bytes, out2,
					  spex_model_info(m)->output_bytes,
					  &want), SPEX_OK);
			CHECK_EQ(r.decision, want.decision);
			CHECK_EQ(r.macs, want.macs);
			if (r.decision == SPEX_DECISION_OFFLOAD)
				CHECK(!memcmp(out, out2,
					      spex_model_info(m)->output_bytes));
			free(in);
			free(scratch);
			free(out);
			free(out2);
			spex_model_free(m);
			mg_free(&mm);
		}
}

TEST_MAIN(T(mlp_heads_every_pattern), T(full_and_tail_models), T(conv_heads),
	  T(policies), T(early_termination), T(bad_jobs), T(chunks_bounded))
