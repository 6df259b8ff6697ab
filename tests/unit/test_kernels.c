// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Layer kernels (core/kern_*.c) and packing (core/fc_pack.c,
 * core/conv_pack.c) against a naive dense reference: the dense weight
 * matrix is rebuilt from the edge list, and every output is recomputed
 * from the unstaged input.
 *
 *  - int8: every implementation must equal the reference EXACTLY (so the
 *    scalar, AVX2, AVX-512 and VNNI kernels are also equal to each other).
 *  - f32: |y - ref| <= 1e-4 * (sum |w * x| + |bias|) + 1e-6, with ref in
 *    double (a reordering of the float sum stays far inside this).
 *
 * Every kernel table this CPU runs is tested (scalar, AVX2, AVX-512,
 * AVX-512 VNNI, AVX-VNNI); the others are reported as skipped.
 */
#include <math.h>
#include "kernels.h"
#include <spex/engine.h>
#include "fc_pack.h"
#include "conv_pack.h"
#include "spex_test.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static u64 rng_s = 0x9e3779b97f4a7c15ull;

static u32 rnd(void)
{
	rng_s ^= rng_s << 13;
	rng_s ^= rng_s >> 7;
	rng_s ^= rng_s << 17;
	return (u32)(rng_s >> 16);
}

static u32 below(u32 n)
{
	return n ? rnd() % n : 0;
}

static s8 rnd_s8(void)
{
	return (s8)(rnd() & 0xff);
}

static float rnd_f(void)
{
	return (float)((double)(rnd() % 2000001) / 1000000.0 - 1.0);
}

static void *xalloc(size_t n)
{
	void *p = NULL;

	/* exact size (not rounded): ASan sees any overrun of a bound */
	if (posix_memalign(&p, 64, n ? n : 1))
		abort();
	return p;
}

/* The kernel tables under test. */
static const struct spex_kernels *impls[SPEX_TEST_MAX_IMPLS];
static int n_impls;

static void init_impls(void)
{
	if (n_impls)
		return;
	SPEX_TEST_PICK_IMPLS(impls, n_impls);
}

static u32 bitlen(u64 v)
{
	u32 n = 0;

	while (v) {
		n++;
		v >>= 1;
	}
	return n;
}

/* A shift that maps accumulators of magnitude ~maxabs to ~+-100. */
static s32 pick_shift(u64 maxabs)
{
	s32 sh = 31 + (s32)bitlen(maxabs) - 7;

	if (sh < 1)
		sh = 1;
	if (sh > 62)
		sh = 62;
	return sh;
}

/* ------------------------------------------------------------------ */
/* Edge lists                                                         */
/* ------------------------------------------------------------------ */

enum pat {
	P_DENSE,	/* left = m */
	P_WINDOW0,	/* clash-free, zero starts: (r d + m) % p */
	P_CF1,		/* spex_pattern_fill, CF1 seeded starts */
	P_CF2,		/* CF2 seeded starts (BANKED if runs are long) */
	P_CF2_DITHER,
	P_CF3,
	P_RANDOM,	/* structured random (GATHER) */
	P_SHUFFLED,	/* a window per row, edges in random order */
	P_NPAT
};

static const char *const pat_name[] = {
	"dense", "window0", "cf1", "cf2", "cf2-dither", "cf3", "random",
	"shuffled",
};

struct fc_case {
	u32 n_in, n_out, d_in, z;
	enum pat pat;
	u32 *left;
};

static int fill_pattern(struct fc_case *c, u32 type, u32 starts, u32 dither,
			u32 seed)
{
	struct spex_pattern_desc pd;
	size_t ws;
	void *work;
	int st;

	memset(&pd, 0, sizeof(pd));
	pd.type = type;
	pd.starts = starts;
	pd.dither = dither;
	pd.z = type >= SPX_PAT_CF1 ? c->z : 0;
	pd.seed = seed;
	st = spex_pattern_check(&pd, c->n_in, c->n_out, c->d_in);
	if (st)
		return st;
	ws = spex_pattern_work_size(&pd, c->n_in, c->n_out, c->d_in);
	work = malloc(ws + 1);
	st = spex_pattern_fill(&pd, c->n_in, c->n_out, c->d_in, c->left, work);
	free(work);
	return st;
}

/* Random shapes that every pattern type accepts: d_in | n_in, z | d_in. */
static void make_case(struct fc_case *c, enum pat pat, u32 max_in)
{
	u32 k, r, m, i;
	int st;

	for (;;) {
		c->n_in = 1 + below(max_in);
		c->d_in = 1 + below(c->n_in);
		if (pat == P_DENSE)
			c->d_in = c->n_in;
		if (pat >= P_CF1 && pat <= P_CF3)
			/* a divisor of n_in */
			while (c->n_in % c->d_in)
				c->d_in--;
		/* n_out * d_in % n_in == 0 */
		k = c->n_in / spex_gcd(c->n_in, c->d_in);
		c->n_out = k * (1 + below(k > 64 ? 2 : 64 / k + 1));
		if (c->n_out > 300)
			c->n_out = k;
		/* banks: a divisor of spex_gcd(n_in, d_in), prefer runs >= 4 */
		c->z = 1 + below(8);
		while (c->d_in % c->z || c->n_in % c->z)
			c->z--;
		break;
	}
	c->pat = pat;
	c->left = malloc((size_t)c->n_out * c->d_in * sizeof(u32) + 4);
	switch (pat) {
	case P_DENSE:
		for (r = 0; r < c->n_out; r++)
			for (m = 0; m < c->d_in; m++)
				c->left[r * c->d_in + m] = m;
		break;
	case P_WINDOW0:
	case P_SHUFFLED:
		for (r = 0; r < c->n_out; r++) {
			u32 *row = c->left + (size_t)r * c->d_in;

			for (m = 0; m < c->d_in; m++)
				row[m] = (r * c->d_in + m) % c->n_in;
			if (pat == P_SHUFFLED)
				for (m = c->d_in; m > 1; m--) {
					u32 j = below(m), t = row[m - 1];

					row[m - 1] = row[j];
					row[j] = t;
				}
		}
		break;
	case P_CF1:
		st = fill_pattern(c, SPX_PAT_CF1, SPX_STARTS_SEED, 0, rnd());
		CHECK_EQ(st, SPEX_OK);
		break;
	case P_CF2:
	case P_CF2_DITHER:
		st = fill_pattern(c, SPX_PAT_CF2, SPX_STARTS_SEED,
				  pat == P_CF2_DITHER && c->z > 1, rnd());
		CHECK_EQ(st, SPEX_OK);
		break;
	case P_CF3:
		st = fill_pattern(c, SPX_PAT_CF3, SPX_STARTS_SEED, 0, rnd());
		CHECK_EQ(st, SPEX_OK);
		break;
	case P_RANDOM:
		st = fill_pattern(c, SPX_PAT_RANDOM, SPX_STARTS_ZERO, 0, rnd());
		CHECK_EQ(st, SPEX_OK);
		break;
	default:
		break;
	}
	(void)i;
}

/* Is the CF2/CF3 case one that must come out BANKED? */
static int want_banked(const struct fc_case *c)
{
	return c->z > 1 && c->d_in % c->z == 0 &&
	       c->d_in / c->z >= SPEX_FC_BANKED_MIN_RUN;
}

/* ------------------------------------------------------------------ */
/* FC, int8                                                           */
/* ------------------------------------------------------------------ */

struct fc_i8_ref {
	s8 *x;		/* n_in * batch, [i][b] */
	s8 *w;		/* edge order */
	s32 *bias, *mult, *shift;
	s8 *y;		/* n_out * batch, [o][b] */
};

static void ref_fc_i8(const struct fc_case *c, const struct spex_fc *fc,
		      const struct fc_i8_ref *t, u32 batch)
{
	s32 lo = fc->relu ? fc->out_zp : -128;
	u32 r, m, b;

	for (r = 0; r < c->n_out; r++)
		for (b = 0; b < batch; b++) {
			u32 acc = (u32)t->bias[r];

			for (m = 0; m < c->d_in; m++) {
				size_t e = (size_t)r * c->d_in + m;
				s32 x = t->x[(size_t)c->left[e] * batch + b];

				acc += (u32)(t->w[e] * (x - fc->in_zp));
			}
			t->y[(size_t)r * batch + b] =
				spex_requant_out((s32)acc, t->mult[r],
						 t->shift[r], fc->out_zp, lo);
		}
}

/* One int8 case: pack, check the layout, compare every implementation. */
static void run_fc_i8(struct fc_case *c, u32 batch)
{
	size_t ne = (size_t)c->n_out * c->d_in;
	size_t bound = spex_fc_pack_bound(c->n_in, c->n_out, c->d_in, c->z, 1);
	void *mem = xalloc(bound);
	struct spex_fc fc;
	struct fc_i8_ref t;
	s16 *xs;
	s8 *y;
	u64 maxabs = 1;
	u32 i, r, b, k;
	int st;

	t.x = malloc((size_t)c->n_in * batch);
	t.w = malloc(ne + 1);
	t.bias = malloc(c->n_out * sizeof(s32));
	t.mult = malloc(c->n_out * sizeof(s32));
	t.shift = malloc(c->n_out * sizeof(s32));
	t.y = malloc((size_t)c->n_out * batch);
	y = malloc((size_t)c->n_out * batch);
	for (i = 0; i < c->n_in * batch; i++)
		t.x[i] = rnd_s8();
	for (i = 0; i < ne; i++)
		t.w[i] = rnd_s8();
	if (below(4) == 0)	/* extremes: worst-case magnitudes */
		for (i = 0; i < ne; i++)
			t.w[i] = -128;

	st = spex_fc_pack(&fc, c->n_in, c->n_out, c->d_in, c->z, c->left,
			  t.w, 1, mem);
	CHECK_EQ(st, SPEX_OK);
	if (st)
		goto out;
	CHECK(fc.w8 && !fc.wf);
	CHECK_EQ(fc.n_in, c->n_in);
	CHECK_EQ(fc.nseg * fc.seglen, c->d_in);
	switch (c->pat) {
	case P_DENSE:
	case P_WINDOW0:
	case P_SHUFFLED:
	case P_CF1:
		CHECK_EQ(fc.layout, SPEX_FC_WINDOW);
		break;
	case P_CF2:
	case P_CF2_DITHER:
	case P_CF3:
		if (fc.layout != SPEX_FC_WINDOW)
			CHECK_EQ(fc.layout, want_banked(c) ? SPEX_FC_BANKED :
					    SPEX_FC_GATHER);
		break;
	default:
		break;
	}
	CHECK(fc.xs_len <= c->n_in + c->d_in + SPEX_FC_XS_PAD);
	if (fc.layout == SPEX_FC_GATHER)
		CHECK_EQ(fc.xs_len, c->n_in + SPEX_FC_XS_PAD);

	fc.in_zp = (s32)below(256) - 128;
	fc.out_zp = (s32)below(256) - 128;
	fc.relu = below(2);
	for (r = 0; r < c->n_out; r++) {
		t.bias[r] = (s32)(rnd() % 200001) - 100000;
		t.mult[r] = (s32)((1u << 30) + (rnd() & ((1u << 30) - 1)));
	}
	/* shift from the accumulators' magnitude */
	fc.bias = t.bias;
	fc.mult = t.mult;
	fc.shift = t.shift;
	maxabs = (u64)c->d_in * 128 * 255 / 8 + 100000;
	for (r = 0; r < c->n_out; r++)
		t.shift[r] = pick_shift(maxabs) - (s32)below(4);
	ref_fc_i8(c, &fc, &t, batch);

	xs = malloc((size_t)fc.xs_len * batch * sizeof(s16));
	for (k = 0; k < (u32)n_impls; k++) {
		const struct spex_kernels *K = impls[k];

		if (batch == 1) {
			u32 o, e;

			spex_fc_stage_i8(&fc, t.x, xs);
			memset(y, 0x55, c->n_out);
			/* in random chunks, as the engine may cut a layer */
			for (o = 0; o < c->n_out; o = e) {
				e = o + 1 + below(c->n_out - o);
				K->fc_i8(&fc, xs, y, o, e);
			}
		} else {
			spex_fc_stage_i8_batch(&fc, t.x, xs, batch);
			memset(y, 0x55, (size_t)c->n_out * batch);
			K->fc_i8_batch(&fc, xs, y, batch, 0, c->n_out / 2);
			K->fc_i8_batch(&fc, xs, y, batch, c->n_out / 2,
				       c->n_out);
		}
		for (i = 0; i < c->n_out * batch; i++)
			if (y[i] != t.y[i])
				break;
		CHECK(i == c->n_out * batch,
		      "%s fc_i8 %s %ux%u d_in %u z %u layout %u batch %u: "
		      "y[%u] = %d, want %d", K->name, pat_name[c->pat],
		      c->n_in, c->n_out, c->d_in, c->z, fc.layout, batch, i,
		      i < c->n_out * batch ? y[i] : 0,
		      i < c->n_out * batch ? t.y[i] : 0);
	}
	free(xs);
	(void)b;
out:
	free(t.x);
	free(t.w);
	free(t.bias);
	free(t.mult);
	free(t.shift);
	free(t.y);
	free(y);
	free(mem);
}

/* ------------------------------------------------------------------ */
/* FC, f32                                                            */
/* ------------------------------------------------------------------ */

static void run_fc_f32(struct fc_case *c, u32 batch)
{
	size_t ne = (size_t)c->n_out * c->d_in;
	size_t bound = spex_fc_pack_bound(c->n_in, c->n_out, c->d_in, c->z, 4);
	void *mem = xalloc(bound);
	float *x = malloc((size_t)c->n_in * batch * sizeof(float));
	u8 *wle = malloc(ne * 4 + 1);	/* +1: unaligned, as in a file */
	float *wv = malloc(ne * sizeof(float));
	float *bias = malloc(c->n_out * sizeof(float));
	double *ref = malloc((size_t)c->n_out * batch * sizeof(double));
	double *mag = malloc((size_t)c->n_out * batch * sizeof(double));
	float *y = malloc((size_t)c->n_out * batch * sizeof(float));
	struct spex_fc fc;
	float *xs;
	u32 i, r, m, b, k;
	int st, relu = below(2);

	for (i = 0; i < c->n_in * batch; i++)
		x[i] = rnd_f();
	for (i = 0; i < ne; i++) {
		u32 bits;

		wv[i] = rnd_f();
		memcpy(&bits, &wv[i], 4);
		spex_put_le32(wle + 1 + (size_t)i * 4, bits);
	}
	for (r = 0; r < c->n_out; r++)
		bias[r] = rnd_f();
	st = spex_fc_pack(&fc, c->n_in, c->n_out, c->d_in, c->z, c->left,
			  wle + 1, 4, mem);
	CHECK_EQ(st, SPEX_OK);
	if (st)
		goto out;
	CHECK(fc.wf && !fc.w8);
	fc.biasf = bias;
	fc.relu = relu;
	for (r = 0; r < c->n_out; r++)
		for (b = 0; b < batch; b++) {
			double s = bias[r], a = fabs(bias[r]);

			for (m = 0; m < c->d_in; m++) {
				size_t e = (size_t)r * c->d_in + m;
				double p = (double)wv[e] *
					   x[(size_t)c->left[e] * batch + b];

				s += p;
				a += fabs(p);
			}
			ref[r * batch + b] = relu && s < 0 ? 0 : s;
			mag[r * batch + b] = a;
		}
	xs = malloc((size_t)fc.xs_len * batch * sizeof(float));
	for (k = 0; k < (u32)n_impls; k++) {
		const struct spex_kernels *K = impls[k];
		u32 bad = 0, first = 0;

		if (batch == 1) {
			u32 o, e;

			spex_fc_stage_f32(&fc, x, xs);
			for (o = 0; o < c->n_out; o = e) {
				e = o + 1 + below(c->n_out - o);
				K->fc_f32(&fc, xs, y, o, e);
			}
		} else {
			spex_fc_stage_f32_batch(&fc, x, xs, batch);
			K->fc_f32_batch(&fc, xs, y, batch, 0, c->n_out);
		}
		for (i = 0; i < c->n_out * batch; i++)
			if (!(fabs(y[i] - ref[i]) <= 1e-4 * mag[i] + 1e-6)) {
				if (!bad++)
					first = i;
			}
		CHECK(!bad, "%s fc_f32 %s %ux%u d_in %u z %u layout %u "
		      "batch %u: %u bad, y[%u] = %g want %g", K->name,
		      pat_name[c->pat], c->n_in, c->n_out, c->d_in, c->z,
		      fc.layout, batch, bad, first, y[first], ref[first]);
	}
	free(xs);
out:
	free(x);
	free(wle);
	free(wv);
	free(bias);
	free(ref);
	free(mag);
	free(y);
	free(mem);
}

/* ------------------------------------------------------------------ */
/* FC tests                                                           */
/* ------------------------------------------------------------------ */

TEST(test_select)
{
	const struct spex_kernels *k;

	/* the override as libspex and the tools apply it */
	setenv("SPEX_KERNELS", "scalar", 1);
	CHECK(spex_kernels_choose(getenv("SPEX_KERNELS")) ==
	      &spex_kernels_scalar);
	unsetenv("SPEX_KERNELS");
	CHECK(spex_kernels_by_name("scalar") == &spex_kernels_scalar);
	CHECK(spex_kernels_by_name("nope") == NULL);
	CHECK(spex_kernels_by_name("") == NULL);
	CHECK(spex_kernels_by_name(NULL) == NULL);
	k = spex_kernels_by_name("avx2");
#ifdef SPEX_HAVE_AVX2
	CHECK(!k || k == &spex_kernels_avx2);
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		CHECK(k == &spex_kernels_avx2);
#else
	CHECK(!k);
#endif
#ifdef SPEX_HAVE_AVX512
	/* CPUID + XGETBV in core against the compiler's own probe */
	CHECK(!spex_kernels_by_name("avx512") ==
	      !(__builtin_cpu_supports("avx512f") &&
		__builtin_cpu_supports("avx512bw") &&
		__builtin_cpu_supports("avx512vl") &&
		__builtin_cpu_supports("avx512dq")));
	CHECK(!spex_kernels_by_name("avx512vnni") ==
	      !(spex_kernels_by_name("avx512") &&
		__builtin_cpu_supports("avx512vnni")));
	CHECK(!spex_kernels_by_name("avxvnni") ==
	      !(spex_kernels_by_name("avx2") &&
		__builtin_cpu_supports("avxvnni")));
	/* the best is the widest runnable */
	if (spex_kernels_by_name("avx512vnni"))
		CHECK(spex_kernels_best() == &spex_kernels_avx512vnni);
	else if (spex_kernels_by_name("avx512"))
		CHECK(spex_kernels_best() == &spex_kernels_avx512);
	/* an override the CPU cannot run falls back to the best */
	if (!spex_kernels_by_name("avx512"))
		CHECK(spex_kernels_choose("avx512") == spex_kernels_best());
#endif
	init_impls();
	CHECK(n_impls >= 1 && impls[0] == &spex_kernels_scalar);
	for (int i = 0; i < n_impls; i++)
		CHECK(!strcmp(spex_kernels_impl_name(impls[i]),
			      impls[i]->name));
	for (int i = 0; i < n_impls; i++) {
		CHECK(impls[i]->fc_i8 && impls[i]->fc_f32);
		CHECK(impls[i]->conv_i8 && impls[i]->conv_f32);
		CHECK(impls[i]->fc_i8_batch && impls[i]->fc_f32_batch);
	}
}

TEST(test_fc_i8_random)
{
	u32 n, p;

	init_impls();
	for (p = 0; p < P_NPAT; p++)
		for (n = 0; n < 40; n++) {
			struct fc_case c;

			make_case(&c, p, n < 30 ? 80 : 400);
			run_fc_i8(&c, 1);
			free(c.left);
		}
}

TEST(test_fc_f32_random)
{
	u32 n, p;

	init_impls();
	for (p = 0; p < P_NPAT; p++)
		for (n = 0; n < 30; n++) {
			struct fc_case c;

			make_case(&c, p, n < 20 ? 80 : 400);
			run_fc_f32(&c, 1);
			free(c.left);
		}
}

TEST(test_fc_batch)
{
	static const u32 batches[] = { 1, 2, 7, 8, 15, 16, 31, 32, 33, 64, 70 };
	u32 n, p;

	init_impls();
	for (p = 0; p < P_NPAT; p++)
		for (n = 0; n < 12; n++) {
			struct fc_case c;
			u32 batch = batches[below(SPEX_ARRAY_SIZE(batches))];

			make_case(&c, p, 120);
			run_fc_i8(&c, batch);
			run_fc_f32(&c, batch);
			free(c.left);
		}
}

/* Specific shapes: long runs, BANKED at the threshold, big windows. */
TEST(test_fc_shapes)
{
	static const struct {
		u32 n_in, n_out, d_in, z;
		enum pat pat;
		u32 want;
	} cs[] = {
		{ 800, 100, 800, 1, P_DENSE, SPEX_FC_WINDOW },
		{ 800, 100, 40, 8, P_WINDOW0, SPEX_FC_WINDOW },
		{ 800, 100, 40, 8, P_CF2, SPEX_FC_BANKED },
		{ 800, 100, 40, 10, P_CF2, SPEX_FC_BANKED },
		{ 800, 100, 40, 20, P_CF2, SPEX_FC_GATHER },	/* runs of 2 */
		{ 800, 100, 40, 8, P_CF2_DITHER, SPEX_FC_BANKED },
		{ 800, 100, 40, 8, P_CF3, SPEX_FC_BANKED },
		{ 1024, 256, 256, 4, P_CF2, SPEX_FC_BANKED },
		{ 1024, 256, 64, 4, P_CF1, SPEX_FC_WINDOW },
		{ 1024, 256, 1024, 1, P_RANDOM, SPEX_FC_WINDOW }, /* dense */
		{ 1024, 256, 100, 1, P_RANDOM, SPEX_FC_GATHER },
		{ 784, 1000, 98, 7, P_CF2, SPEX_FC_BANKED },
		{ 96, 7, 96, 1, P_SHUFFLED, SPEX_FC_WINDOW },
		{ 33, 33, 17, 1, P_SHUFFLED, SPEX_FC_WINDOW },
		{ 1, 1, 1, 1, P_DENSE, SPEX_FC_WINDOW },
		/* past the VNNI kernels' u8 stage: their fallback */
		{ 16400, 2, 16400, 1, P_DENSE, SPEX_FC_WINDOW },
	};
	u32 i;

	init_impls();
	for (i = 0; i < SPEX_ARRAY_SIZE(cs); i++) {
		struct fc_case c;
		struct spex_fc fc;
		size_t bound;
		void *mem;
		s8 *w;
		int st;

		memset(&c, 0, sizeof(c));
		/* reuse make_case's generators with a fixed shape */
		c.n_in = cs[i].n_in;
		c.n_out = cs[i].n_out;
		c.d_in = cs[i].d_in;
		c.z = cs[i].z;
		c.pat = cs[i].pat;
		c.left = malloc((size_t)c.n_out * c.d_in * sizeof(u32));
		switch (c.pat) {
		case P_DENSE:
		case P_WINDOW0:
		case P_SHUFFLED: {
			u32 r, m;

			for (r = 0; r < c.n_out; r++) {
				u32 *row = c.left + (size_t)r * c.d_in;

				for (m = 0; m < c.d_in; m++)
					row[m] = c.pat == P_DENSE ? m :
						 (r * c.d_in + m) % c.n_in;
				if (c.pat == P_SHUFFLED)
					for (m = c.d_in; m > 1; m--) {
						u32 j = below(m), t = row[m - 1];

						row[m - 1] = row[j];
						row[j] = t;
					}
			}
			break;
		}
		case P_CF1:
			CHECK_EQ(fill_pattern(&c, SPX_PAT_CF1, SPX_STARTS_SEED,
					      0, 7), SPEX_OK);
			break;
		case P_CF2:
		case P_CF2_DITHER:
			CHECK_EQ(fill_pattern(&c, SPX_PAT_CF2, SPX_STARTS_SEED,
					      c.pat == P_CF2_DITHER, 7),
				 SPEX_OK);
			break;
		case P_CF3:
			CHECK_EQ(fill_pattern(&c, SPX_PAT_CF3, SPX_STARTS_SEED,
					      0, 7), SPEX_OK);
			break;
		case P_RANDOM:
			CHECK_EQ(fill_pattern(&c, SPX_PAT_RANDOM,
					      SPX_STARTS_ZERO, 0, 7), SPEX_OK);
			break;
		default:
			break;
		}
		bound = spex_fc_pack_bound(c.n_in, c.n_out, c.d_in, c.z, 1);
		mem = xalloc(bound);
		w = calloc((size_t)c.n_out * c.d_in, 1);
		st = spex_fc_pack(&fc, c.n_in, c.n_out, c.d_in, c.z, c.left, w,
				  1, mem);
		CHECK_EQ(st, SPEX_OK);
		CHECK(fc.layout == cs[i].want, "case %u (%s %ux%u d %u z %u): "
		      "layout %u, want %u", i, pat_name[c.pat], c.n_in,
		      c.n_out, c.d_in, c.z, fc.layout, cs[i].want);
		if (fc.layout == SPEX_FC_BANKED) {
			CHECK_EQ(fc.nseg, c.z);
			CHECK_EQ(fc.seglen, c.d_in / c.z);
		}
		free(mem);
		free(w);
		run_fc_i8(&c, 1);
		run_fc_f32(&c, 1);
		run_fc_i8(&c, 32);
		run_fc_f32(&c, 32);
		free(c.left);
	}
}

/*
 * Requantization corners through every kernel path (rows in groups of 8,
 * batch in groups of 32): any mult in [0, 2^31), shift in [1, 62], biases
 * anywhere in s32 (the sums wrap), every zero point.
 */
TEST(test_fc_requant_extremes)
{
	u32 n, r, i, k, batch;

	init_impls();
	for (n = 0; n < 300; n++) {
		u32 n_in = 1 + below(40), n_out = 1 + below(40);
		size_t bound = spex_fc_pack_bound(n_in, n_out, n_in, 1, 1);
		void *mem = xalloc(bound);
		u32 *left = malloc((size_t)n_out * n_in * sizeof(u32));
		struct fc_case c = { n_in, n_out, n_in, 1, P_DENSE, left };
		struct fc_i8_ref t;
		struct spex_fc fc;
		s16 *xs;
		s8 *y;

		batch = below(2) ? 1 : 32 + below(3);
		t.x = malloc((size_t)n_in * batch);
		t.w = malloc((size_t)n_out * n_in);
		t.bias = malloc(n_out * 4);
		t.mult = malloc(n_out * 4);
		t.shift = malloc(n_out * 4);
		t.y = malloc((size_t)n_out * batch);
		y = malloc((size_t)n_out * batch);
		for (r = 0; r < n_out; r++)
			for (i = 0; i < n_in; i++)
				left[r * n_in + i] = i;
		for (i = 0; i < n_in * batch; i++)
			t.x[i] = rnd_s8();
		for (i = 0; i < n_out * n_in; i++)
			t.w[i] = rnd_s8();
		for (r = 0; r < n_out; r++) {
			t.bias[r] = (s32)rnd() ^ (s32)(rnd() << 16);
			if (below(2))
				t.bias[r] = (s32)(rnd() % 20001) - 10000;
			t.mult[r] = (s32)((rnd() ^ (rnd() << 16)) & 0x7fffffff);
			t.shift[r] = 1 + (s32)below(62);
			if (below(4) == 0)
				t.shift[r] = below(2) ? 1 : 62;
		}
		CHECK_EQ(spex_fc_pack(&fc, n_in, n_out, n_in, 1, left, t.w, 1,
				      mem), SPEX_OK);
		fc.in_zp = (s32)below(256) - 128;
		fc.out_zp = (s32)below(256) - 128;
		fc.relu = below(2);
		fc.bias = t.bias;
		fc.mult = t.mult;
		fc.shift = t.shift;
		ref_fc_i8(&c, &fc, &t, batch);
		xs = malloc((size_t)fc.xs_len * batch * sizeof(s16));
		for (k = 0; k < (u32)n_impls; k++) {
			if (batch == 1) {
				spex_fc_stage_i8(&fc, t.x, xs);
				impls[k]->fc_i8(&fc, xs, y, 0, n_out);
			} else {
				spex_fc_stage_i8_batch(&fc, t.x, xs, batch);
				impls[k]->fc_i8_batch(&fc, xs, y, batch, 0,
						      n_out);
			}
			for (i = 0; i < n_out * batch; i++)
				if (y[i] != t.y[i])
					break;
			CHECK(i == n_out * batch, "%s requant %ux%u batch %u: "
			      "y[%u] = %d, want %d (mult %d shift %d)",
			      impls[k]->name, n_in, n_out, batch, i,
			      i < n_out * batch ? y[i] : 0,
			      i < n_out * batch ? t.y[i] : 0,
			      i < n_out * batch ? t.mult[i / batch] : 0,
			      i < n_out * batch ? t.shift[i / batch] : 0);
		}
		free(xs);
		free(t.x);
		free(t.w);
		free(t.bias);
		free(t.mult);
		free(t.shift);
		free(t.y);
		free(y);
		free(left);
		free(mem);
	}
}

TEST(test_fc_pack_errors)
{
	u32 left[8] = { 0, 1, 2, 3, 0, 1, 2, 3 };
	s8 w[8] = { 0 };
	struct spex_fc fc;
	size_t bound = spex_fc_pack_bound(4, 2, 4, 1, 1);
	void *mem = xalloc(bound);

	CHECK_EQ(spex_fc_pack(&fc, 4, 2, 4, 1, left, w, 1, mem), SPEX_OK);
	CHECK_EQ(spex_fc_pack(&fc, 4, 2, 5, 1, left, w, 1, mem),
		 SPEX_E_SHAPE);
	CHECK_EQ(spex_fc_pack(&fc, 0, 2, 0, 1, left, w, 1, mem),
		 SPEX_E_SHAPE);
	CHECK_EQ(spex_fc_pack(&fc, 4, 2, 4, 1, left, w, 2, mem),
		 SPEX_E_SHAPE);
	left[5] = 4;
	CHECK_EQ(spex_fc_pack(&fc, 4, 2, 4, 1, left, w, 1, mem),
		 SPEX_E_PATTERN);
	left[5] = 0;
	CHECK_EQ(spex_fc_pack(&fc, 4, 2, 4, 1, left, w, 1, mem),
		 SPEX_E_DUP_EDGE);
	free(mem);
	CHECK(spex_fc_pack_bound(0xffffffffu, 0xffffffffu, 0xffffffffu, 1,
				 4) == SIZE_MAX);
	CHECK(spex_fc_pack_bound(65536, 65536, 65536, 1, 4) < SIZE_MAX);
}

/* ------------------------------------------------------------------ */
/* Conv                                                               */
/* ------------------------------------------------------------------ */

struct conv_case {
	struct spex_conv_shape sh;
	u32 *cin;
	u32 oh, ow;
};

static void make_conv(struct conv_case *c, int big)
{
	struct spex_conv_shape *sh = &c->sh;
	u32 o, s;

	memset(sh, 0, sizeof(*sh));
	sh->in_c = 1 + below(big ? 8 : 5);
	sh->out_c = 1 + below(big ? 8 : 5);
	sh->kh = 1 + below(5);
	sh->kw = 1 + below(5);
	sh->stride = below(3) ? 1 : 1 + below(3);
	sh->pad = below(3) ? below(sh->kh < sh->kw ? sh->kh : sh->kw) : 0;
	sh->in_h = sh->kh + below(big ? 30 : 12);
	sh->in_w = sh->kw + below(big ? 40 : 20);
	sh->cin_deg = 1 + below(sh->in_c);
	sh->mask_type = sh->kh >= 2 && sh->kw >= 2 && below(2) ?
			SPX_MASK_PERIODIC : SPX_MASK_FULL;
	sh->mask_period = sh->mask_type ? 1 + below(9) : 0;
	c->oh = (sh->in_h + 2 * sh->pad - sh->kh) / sh->stride + 1;
	c->ow = (sh->in_w + 2 * sh->pad - sh->kw) / sh->stride + 1;
	c->cin = malloc((size_t)sh->out_c * sh->cin_deg * sizeof(u32));
	/* distinct channels per output, a rotating window */
	for (o = 0; o < sh->out_c; o++) {
		u32 b = below(sh->in_c);

		for (s = 0; s < sh->cin_deg; s++)
			c->cin[o * sh->cin_deg + s] = (b + s) % sh->in_c;
	}
}

/* Reference conv over the unpadded input, returns acc or f64 sum. */
static void ref_conv(const struct conv_case *c, const s8 *x8,
		     const float *xf, const void *w, u32 o, u32 oy, u32 ox,
		     s32 in_zp, u32 *acc, double *sum, double *mag)
{
	const struct spex_conv_shape *sh = &c->sh;
	u8 el[SPX_MAX_KERNEL * SPX_MAX_KERNEL];
	size_t t = 0;
	u32 oo, s, i, n;

	*acc = 0;
	*sum = 0;
	*mag = 0;
	/* weights of earlier outputs come first in file order */
	for (oo = 0; oo < o; oo++)
		for (s = 0; s < sh->cin_deg; s++)
			t += spex_mask_elems(sh->mask_type, sh->mask_period,
					     sh->kh, sh->kw, oo, s, el);
	for (s = 0; s < sh->cin_deg; s++) {
		u32 ch = c->cin[o * sh->cin_deg + s];

		n = spex_mask_elems(sh->mask_type, sh->mask_period, sh->kh,
				    sh->kw, o, s, el);
		for (i = 0; i < n; i++, t++) {
			s32 yy = (s32)(oy * sh->stride + el[i] / sh->kw) -
				 (s32)sh->pad;
			s32 xx = (s32)(ox * sh->stride + el[i] % sh->kw) -
				 (s32)sh->pad;
			size_t xi;

			if (yy < 0 || xx < 0 || yy >= (s32)sh->in_h ||
			    xx >= (s32)sh->in_w)
				continue;
			xi = ((size_t)ch * sh->in_h + yy) * sh->in_w + xx;
			if (x8) {
				*acc += (u32)(((const s8 *)w)[t] *
					      (x8[xi] - in_zp));
			} else {
				double p = (double)((const float *)w)[t] *
					   xf[xi];

				*sum += p;
				*mag += fabs(p);
			}
		}
	}
}

static void run_conv(struct conv_case *c)
{
	const struct spex_conv_shape *sh = &c->sh;
	u64 nw = spex_conv_weight_count(sh);
	size_t b1 = spex_conv_pack_bound(sh, 1);
	size_t b4 = spex_conv_pack_bound(sh, 4);
	void *m1 = xalloc(b1), *m4 = xalloc(b4);
	size_t nin = (size_t)sh->in_c * sh->in_h * sh->in_w;
	size_t nout = (size_t)sh->out_c * c->oh * c->ow;
	s8 *x8 = malloc(nin), *w8 = malloc(nw + 1), *y8 = malloc(nout);
	s8 *r8 = malloc(nout);
	float *xf = malloc(nin * 4), *wf = malloc(nw * 4 + 4);
	float *yf = malloc(nout * 4), *bf = malloc(sh->out_c * 4);
	u8 *wle = malloc(nw * 4 + 4);
	double *rf = malloc(nout * 8), *mg = malloc(nout * 8);
	s32 *bias = malloc(sh->out_c * 4), *mult = malloc(sh->out_c * 4);
	s32 *shift = malloc(sh->out_c * 4);
	struct spex_conv cv8, cv4;
	s16 *xs8;
	float *xsf;
	s32 *acc;
	u32 o, oy, ox, k;
	size_t i;
	int relu = below(2);

	CHECK(nw > 0);
	for (i = 0; i < nin; i++) {
		x8[i] = rnd_s8();
		xf[i] = rnd_f();
	}
	for (i = 0; i < nw; i++) {
		u32 bits;

		w8[i] = rnd_s8();
		wf[i] = rnd_f();
		memcpy(&bits, &wf[i], 4);
		spex_put_le32(wle + 1 + i * 4, bits);
	}
	CHECK_EQ(spex_conv_pack(&cv8, sh, c->cin, w8, 1, m1), SPEX_OK);
	CHECK_EQ(spex_conv_pack(&cv4, sh, c->cin, wle + 1, 4, m4), SPEX_OK);
	CHECK_EQ(cv8.out_h, c->oh);
	CHECK_EQ(cv8.out_w, c->ow);
	CHECK_EQ(cv8.tap_start[sh->out_c * sh->cin_deg], nw);
	cv8.in_zp = (s32)below(256) - 128;
	cv8.out_zp = (s32)below(256) - 128;
	cv8.relu = relu;
	cv4.relu = relu;
	for (o = 0; o < sh->out_c; o++) {
		bias[o] = (s32)(rnd() % 20001) - 10000;
		mult[o] = (s32)((1u << 30) + (rnd() & ((1u << 30) - 1)));
		shift[o] = pick_shift((u64)nw / sh->out_c * 255 * 128 / 8 +
				      10000);
		bf[o] = rnd_f();
	}
	cv8.bias = bias;
	cv8.mult = mult;
	cv8.shift = shift;
	cv4.biasf = bf;
	for (o = 0; o < sh->out_c; o++)
		for (oy = 0; oy < c->oh; oy++)
			for (ox = 0; ox < c->ow; ox++) {
				size_t yi = ((size_t)o * c->oh + oy) * c->ow + ox;
				u32 a;
				double s, mag;

				ref_conv(c, x8, NULL, w8, o, oy, ox, cv8.in_zp,
					 &a, &s, &mag);
				r8[yi] = spex_requant_out((s32)(a + bias[o]),
							  mult[o], shift[o],
							  cv8.out_zp,
							  relu ? cv8.out_zp :
								 -128);
				ref_conv(c, NULL, xf, wf, o, oy, ox, 0, &a,
					 &s, &mag);
				s += bf[o];
				rf[yi] = relu && s < 0 ? 0 : s;
				mg[yi] = mag + fabs(bf[o]);
			}
	/* exact-size staging buffers: ASan catches any SIMD over-read */
	xs8 = malloc((size_t)cv8.in_c * cv8.ph * cv8.pw * sizeof(s16));
	xsf = malloc((size_t)cv4.in_c * cv4.ph * cv4.pw * sizeof(float));
	acc = malloc((size_t)c->oh * c->ow * sizeof(s32));
	spex_conv_stage_i8(&cv8, x8, xs8);
	spex_conv_stage_f32(&cv4, xf, xsf);
	for (k = 0; k < (u32)n_impls; k++) {
		const struct spex_kernels *K = impls[k];
		u32 bad = 0, first = 0, split = below(sh->out_c + 1);
		u32 sh_oh = cv8.out_h, ysplit = below(sh_oh + 1);

		memset(y8, 0x55, nout);
		/* channels [0, split) whole, the rest cut by rows at ysplit */
		K->conv_i8(&cv8, xs8, y8, acc, 0, split, 0, sh_oh);
		K->conv_i8(&cv8, xs8, y8, acc, split, sh->out_c, 0, ysplit);
		K->conv_i8(&cv8, xs8, y8, acc, split, sh->out_c, ysplit,
			   sh_oh);
		for (i = 0; i < nout; i++)
			if (y8[i] != r8[i])
				break;
		CHECK(i == nout, "%s conv_i8 c %u->%u deg %u k %ux%u s %u p %u "
		      "in %ux%u mask %u/%u: y[%zu] = %d want %d", K->name,
		      sh->in_c, sh->out_c, sh->cin_deg, sh->kh, sh->kw,
		      sh->stride, sh->pad, sh->in_h, sh->in_w, sh->mask_type,
		      sh->mask_period, i, i < nout ? y8[i] : 0,
		      i < nout ? r8[i] : 0);
		K->conv_f32(&cv4, xsf, yf, 0, split, 0, sh_oh);
		K->conv_f32(&cv4, xsf, yf, split, sh->out_c, 0, ysplit);
		K->conv_f32(&cv4, xsf, yf, split, sh->out_c, ysplit, sh_oh);
		for (i = 0; i < nout; i++)
			if (!(fabs(yf[i] - rf[i]) <= 1e-4 * mg[i] + 1e-6))
				if (!bad++)
					first = (u32)i;
		CHECK(!bad, "%s conv_f32 k %ux%u s %u p %u: %u bad, y[%u] = %g "
		      "want %g", K->name, sh->kh, sh->kw, sh->stride, sh->pad,
		      bad, first, yf[first], rf[first]);
	}
	free(xs8);
	free(xsf);
	free(acc);
	free(m1);
	free(m4);
	free(x8);
	free(w8);
	free(y8);
	free(r8);
	free(xf);
	free(wf);
	free(yf);
	free(bf);
	free(wle);
	free(rf);
	free(mg);
	free(bias);
	free(mult);
	free(shift);
}

TEST(test_conv_random)
{
	u32 n;

	init_impls();
	for (n = 0; n < 300; n++) {
		struct conv_case c;

		make_conv(&c, n >= 250);
		run_conv(&c);
		free(c.cin);
	}
}

TEST(test_conv_pack_errors)
{
	struct spex_conv_shape sh = {
		.in_c = 2, .in_h = 4, .in_w = 4, .out_c = 2, .kh = 3, .kw = 3,
		.stride = 1, .pad = 0, .cin_deg = 1,
	};
	u32 cin[2] = { 0, 1 };
	s8 w[18] = { 0 };
	struct spex_conv cv;
	void *mem = xalloc(spex_conv_pack_bound(&sh, 1));

	CHECK_EQ(spex_conv_weight_count(&sh), 18);
	CHECK_EQ(spex_conv_pack(&cv, &sh, cin, w, 1, mem), SPEX_OK);
	CHECK_EQ(cv.out_h, 2);
	cin[1] = 2;
	CHECK_EQ(spex_conv_pack(&cv, &sh, cin, w, 1, mem), SPEX_E_PATTERN);
	cin[1] = 1;
	sh.in_h = 1;	/* smaller than the kernel */
	CHECK_EQ(spex_conv_pack(&cv, &sh, cin, w, 1, mem), SPEX_E_SHAPE);
	CHECK_EQ(spex_conv_weight_count(&sh), 0);
	sh.in_h = 4;
	sh.mask_type = SPX_MASK_PERIODIC;
	sh.mask_period = 0;
	CHECK_EQ(spex_conv_pack(&cv, &sh, cin, w, 1, mem), SPEX_E_LAYER);
	sh.mask_period = 8;
	/* c = (o + s + 1) % 8: o=0 -> 1 (corner, 4 taps), o=1 -> 2 (4) */
	CHECK_EQ(spex_conv_weight_count(&sh), 8);
	free(mem);
	sh.in_c = sh.out_c = 0xffffffffu;
	CHECK(spex_conv_pack_bound(&sh, 4) > 0);
}

/* ------------------------------------------------------------------ */
/* Pooling and ReLU                                                   */
/* ------------------------------------------------------------------ */

TEST(test_pool_relu)
{
	u32 n;

	for (n = 0; n < 200; n++) {
		struct spex_pool pl;
		size_t nin, nout, i;
		s8 *x8, *y8, *z8;
		float *xf, *yf, *zf;
		u32 c, oy, ox, ky, kx;

		pl.c = 1 + below(4);
		pl.k = 1 + below(4);
		pl.stride = 1 + below(3);
		pl.in_h = pl.k + below(10);
		pl.in_w = pl.k + below(10);
		pl.out_h = (pl.in_h - pl.k) / pl.stride + 1;
		pl.out_w = (pl.in_w - pl.k) / pl.stride + 1;
		nin = (size_t)pl.c * pl.in_h * pl.in_w;
		nout = (size_t)pl.c * pl.out_h * pl.out_w;
		x8 = malloc(nin);
		y8 = malloc(nout);
		z8 = malloc(nout);
		xf = malloc(nin * 4);
		yf = malloc(nout * 4);
		zf = malloc(nout * 4);
		for (i = 0; i < nin; i++) {
			x8[i] = n % 3 == 0 ? (s8)(below(2) ? 127 : -128) :
					     rnd_s8();
			xf[i] = rnd_f();
		}
		spex_maxpool_i8(&pl, x8, y8);
		spex_maxpool_f32(&pl, xf, yf);
		for (c = 0; c < pl.c; c++)
			for (oy = 0; oy < pl.out_h; oy++)
				for (ox = 0; ox < pl.out_w; ox++) {
					size_t yi = ((size_t)c * pl.out_h + oy) *
						    pl.out_w + ox;
					s32 m8 = -1000, sum = 0;
					float mf = -1e30f;
					double sf = 0;

					for (ky = 0; ky < pl.k; ky++)
						for (kx = 0; kx < pl.k; kx++) {
							size_t xi = ((size_t)c *
								pl.in_h + oy *
								pl.stride + ky) *
								pl.in_w + ox *
								pl.stride + kx;

							if (x8[xi] > m8)
								m8 = x8[xi];
							if (xf[xi] > mf)
								mf = xf[xi];
							sum += x8[xi];
							sf += xf[xi];
						}
					CHECK_EQ(y8[yi], m8);
					CHECK(yf[yi] == mf);
					/* half away from zero, via doubles */
					z8[yi] = (s8)lround((double)sum /
							    (pl.k * pl.k));
					zf[yi] = (float)(sf / (pl.k * pl.k));
				}
		spex_avgpool_i8(&pl, x8, y8);
		spex_avgpool_f32(&pl, xf, yf);
		for (i = 0; i < nout; i++) {
			CHECK_EQ(y8[i], z8[i]);
			CHECK(fabs(yf[i] - zf[i]) <= 1e-5, "%g %g", yf[i],
			      zf[i]);
		}
		/* relu: y = max(x, zp) */
		{
			s32 zp = (s32)below(256) - 128;

			spex_relu_i8(x8, z8, (u32)(nout < nin ? nout : nin),
				     zp);
			for (i = 0; i < (nout < nin ? nout : nin); i++)
				CHECK_EQ(z8[i], x8[i] < zp ? zp : x8[i]);
			spex_relu_f32(xf, zf, (u32)(nout < nin ? nout : nin));
			for (i = 0; i < (nout < nin ? nout : nin); i++)
				CHECK(zf[i] == (xf[i] > 0 ? xf[i] : 0));
		}
		free(x8);
		free(y8);
		free(z8);
		free(xf);
		free(yf);
		free(zf);
	}
	/* the rounding rule, spelled out: 2x2 windows */
	{
		struct spex_pool pl = { 1, 2, 2, 1, 1, 2, 2 };
		s8 a[4] = { 1, 1, 0, 0 }, b[4] = { -1, -1, 0, 0 }, y;
		s8 c4[4] = { 1, 0, 0, 0 }, d4[4] = { -128, -128, -128, -128 };

		spex_avgpool_i8(&pl, a, &y);
		CHECK_EQ(y, 1);		/* 0.5 -> 1 */
		spex_avgpool_i8(&pl, b, &y);
		CHECK_EQ(y, -1);	/* -0.5 -> -1 */
		spex_avgpool_i8(&pl, c4, &y);
		CHECK_EQ(y, 0);		/* 0.25 -> 0 */
		spex_avgpool_i8(&pl, d4, &y);
		CHECK_EQ(y, -128);
	}
}

TEST_MAIN(T(test_select), T(test_fc_pack_errors), T(test_fc_requant_extremes), T(test_fc_shapes),
	  T(test_fc_i8_random), T(test_fc_f32_random), T(test_fc_batch),
	  T(test_conv_random), T(test_conv_pack_errors), T(test_pool_relu))
