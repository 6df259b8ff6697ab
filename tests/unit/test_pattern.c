// SPDX-License-Identifier: MIT OR GPL-2.0
/* Pattern generation, parameter checks and conv masks (core/pattern.c). */
#include <spex/engine.h>
#include "spex_test.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

struct gen {
	u32 p, n, d_in;
	struct spex_pattern_desc pd;
	u32 *left;
	int ret;
};

static struct spex_pattern_desc desc(u32 type, u32 starts, u32 dither, u32 z,
				     u32 seed)
{
	struct spex_pattern_desc pd;

	memset(&pd, 0, sizeof(pd));
	pd.type = type;
	pd.starts = starts;
	pd.dither = dither;
	pd.z = z;
	pd.seed = seed;
	return pd;
}

/* Check and fill; returns left (caller frees) or NULL on failure. */
static u32 *make(const struct spex_pattern_desc *pd, u32 p, u32 n, u32 d_in,
		 int *ret)
{
	size_t ws = spex_pattern_work_size(pd, p, n, d_in);
	u32 *left = malloc(((size_t)n * d_in + 1) * sizeof(u32));
	void *work = malloc(ws + 1);

	*ret = spex_pattern_check(pd, p, n, d_in);
	if (*ret == SPEX_OK) {
		/* Dirty workspace: fill must not rely on zeroed memory. */
		memset(work, 0xa5, ws + 1);
		*ret = spex_pattern_fill(pd, p, n, d_in, left, work);
	}
	free(work);
	if (*ret) {
		free(left);
		return NULL;
	}
	return left;
}

/* Exact in-degree (by construction), exact out-degree, no duplicates,
 * every index in range. Returns 0 if all hold. */
static int check_degrees(const u32 *left, u32 p, u32 n, u32 d_in)
{
	u32 d_out = (u32)((u64)n * d_in / p);
	u32 *cnt = calloc(p, sizeof(u32));
	u32 *last = malloc(p * sizeof(u32));
	u32 r, m, i;
	int bad = 0;

	for (i = 0; i < p; i++)
		last[i] = 0xffffffffu;
	for (r = 0; r < n && !bad; r++) {
		for (m = 0; m < d_in; m++) {
			u32 x = left[(size_t)r * d_in + m];

			if (x >= p) {
				bad = 1;
				break;
			}
			if (last[x] == r) {	/* duplicate edge */
				bad = 2;
				break;
			}
			last[x] = r;
			cnt[x]++;
		}
	}
	for (i = 0; i < p && !bad; i++)
		if (cnt[i] != d_out)
			bad = 3;
	free(cnt);
	free(last);
	return bad;
}

/*
 * A reference clash-free generator written straight from the uapi comment
 * and the stream conventions documented in pattern.c.
 */
static void ref_clash_free(const struct spex_pattern_desc *pd, u32 p, u32 n,
			   u32 d_in, u32 *left)
{
	u32 z = pd->z, pz = p / z, d_out = n * d_in / p;
	u32 *perm = malloc(z * sizeof(u32));
	u32 *st = malloc((size_t)d_out * z * sizeof(u32));
	struct spex_rng sr, dr;
	u32 s, b, k, j, i;

	spex_rng_seed(&sr, pd->seed, SPEX_RNG_STREAM_STARTS);
	spex_rng_seed(&dr, pd->seed, SPEX_RNG_STREAM_DITHER);
	/* st[s * z + b] = s[sweep s][bank b] */
	for (s = 0; s < d_out; s++) {
		for (b = 0; b < z; b++) {
			u32 v = 0;

			if (pd->starts == SPX_STARTS_SEED) {
				if (pd->type == SPX_PAT_CF1)
					v = b ? st[s * z] :
						spex_rng_below(&sr, pz);
				else if (pd->type == SPX_PAT_CF2 || s == 0)
					v = spex_rng_below(&sr, pz);
				else
					v = st[b];
			} else if (pd->starts == SPX_STARTS_EXPLICIT) {
				i = pd->type == SPX_PAT_CF1 ? s :
				    pd->type == SPX_PAT_CF2 ? s * z + b : b;
				v = spex_le32(pd->starts_le + 4 * i);
			}
			st[s * z + b] = v;
		}
	}
	for (k = 0; k < n * d_in; k++) {
		s = k / p;
		j = k % p;
		b = j % z;
		if (j == 0 && pd->dither &&
		    (pd->type != SPX_PAT_CF3 || s == 0)) {
			for (i = 0; i < z; i++)
				perm[i] = i;
			for (i = z; i > 1; i--) {
				u32 r = spex_rng_below(&dr, i), t = perm[i - 1];

				perm[i - 1] = perm[r];
				perm[r] = t;
			}
		}
		left[k] = ((st[s * z + b] + j / z) % pz) * z +
			  (pd->dither ? perm[b] : b);
	}
	free(perm);
	free(st);
}

/* Tiny deterministic generator for the test's own choices. */
static u32 tr_state = 2463534242u;
static u32 trand(u32 bound)
{
	tr_state ^= tr_state << 13;
	tr_state ^= tr_state >> 17;
	tr_state ^= tr_state << 5;
	return tr_state % bound;
}

/* A random divisor of x. */
static u32 rand_divisor(u32 x)
{
	u32 div[64], nd = 0, i;

	for (i = 1; i <= x && nd < 64; i++)
		if (x % i == 0)
			div[nd++] = i;
	return div[trand(nd)];
}

/* ------------------------------------------------------------------ */
/* PRNG                                                               */
/* ------------------------------------------------------------------ */

TEST(rng_matches_pcg32_reference)
{
	/* pcg32-demo: pcg32_srandom_r(&rng, 42u, 54u) */
	static const u32 want[6] = { 0xa15c02b7u, 0x7b47f409u, 0xba1d3330u,
				     0x83d2f293u, 0xbfa4784bu, 0xcbed606eu };
	struct spex_rng rng;
	int i;

	spex_rng_seed(&rng, 42, 54);
	for (i = 0; i < 6; i++)
		CHECK_EQ(spex_rng_u32(&rng), want[i]);
}

TEST(rng_below_in_range_and_roughly_uniform)
{
	struct spex_rng rng;
	u32 hist[7] = { 0 }, i, v;

	spex_rng_seed(&rng, 1, 2);
	for (i = 0; i < 70000; i++) {
		v = spex_rng_below(&rng, 7);
		CHECK(v < 7, "-");
		hist[v < 7 ? v : 0]++;
	}
	for (i = 0; i < 7; i++)
		CHECK(hist[i] > 9400 && hist[i] < 10600, "hist[%u] = %u", i,
		      hist[i]);
	for (i = 0; i < 1000; i++) {
		CHECK_EQ(spex_rng_below(&rng, 1), 0);
		CHECK(spex_rng_below(&rng, 0x80000001u) < 0x80000001u, "-");
		CHECK(spex_rng_below(&rng, 0xffffffffu) < 0xffffffffu, "-");
	}
}

/* ------------------------------------------------------------------ */
/* Degrees and duplicates                                             */
/* ------------------------------------------------------------------ */

static void degrees_case(u32 type, u32 starts, u32 dither, u32 z, u32 seed,
			 u32 p, u32 n, u32 d_in)
{
	struct spex_pattern_desc pd = desc(type, starts, dither, z, seed);
	int ret, bad;
	u32 *left = make(&pd, p, n, d_in, &ret);

	CHECK_EQ(ret, SPEX_OK);
	if (!left) {
		fprintf(stderr, "  type %u p %u n %u d_in %u z %u\n", type, p,
			n, d_in, z);
		return;
	}
	bad = check_degrees(left, p, n, d_in);
	CHECK(!bad, "type %u starts %u dither %u p %u n %u d_in %u z %u: %d",
	      type, starts, dither, p, n, d_in, z, bad);
	free(left);
}

TEST(dense_reads_everything_in_order)
{
	struct spex_pattern_desc pd = desc(SPX_PAT_DENSE, 0, 0, 0, 0);
	int ret;
	u32 *left = make(&pd, 5, 3, 5, &ret), r, m;

	CHECK_EQ(ret, SPEX_OK);
	for (r = 0; left && r < 3; r++)
		for (m = 0; m < 5; m++)
			CHECK_EQ(left[r * 5 + m], m);
	free(left);
}

TEST(random_exact_degrees_no_duplicates)
{
	u32 it, p, d_in, n, step;

	/* Edge cases first. */
	degrees_case(SPX_PAT_RANDOM, 0, 0, 0, 1, 1, 1, 1);
	degrees_case(SPX_PAT_RANDOM, 0, 0, 0, 1, 10, 10, 10);	/* d_in = p */
	degrees_case(SPX_PAT_RANDOM, 0, 0, 0, 1, 10, 10, 1);	/* d_in = 1 */
	degrees_case(SPX_PAT_RANDOM, 0, 0, 0, 1, 10, 4, 5);	/* n < p */
	degrees_case(SPX_PAT_RANDOM, 0, 0, 0, 1, 10, 30, 3);	/* n > p */
	degrees_case(SPX_PAT_RANDOM, 0, 0, 0, 1, 7, 7, 3);	/* repair */
	degrees_case(SPX_PAT_RANDOM, 0, 0, 0, 1, 7, 7, 4);	/* complement */
	degrees_case(SPX_PAT_RANDOM, 0, 0, 0, 1, 800, 40, 40);	/* paper */
	degrees_case(SPX_PAT_RANDOM, 0, 0, 0, 1, 40, 40, 9);
	degrees_case(SPX_PAT_RANDOM, 0, 0, 0, 1, 40, 10, 40);
	for (it = 0; it < 600; it++) {
		p = 1 + trand(it < 500 ? 64 : 300);
		d_in = 1 + trand(p);
		step = p / spex_gcd(p, d_in);	/* n must be a multiple */
		n = step * (1 + trand(it < 500 ? 6 : 2));
		degrees_case(SPX_PAT_RANDOM, 0, 0, 0, trand(1000), p, n, d_in);
	}
}

TEST(random_tight_degrees_many_seeds)
{
	/* Around the repair bound 2 * d_in <= p + 1 and its complement, odd
	 * and even p, where the repair has the fewest candidates. */
	static const u32 cfg[][3] = {	/* p, n, d_in */
		{ 9, 9, 5 }, { 9, 9, 4 }, { 9, 9, 6 }, { 11, 11, 6 },
		{ 13, 13, 7 }, { 13, 13, 6 }, { 10, 10, 6 }, { 10, 10, 4 },
		{ 31, 31, 16 }, { 31, 31, 15 }, { 31, 31, 17 }, { 5, 5, 3 },
		{ 3, 3, 2 }, { 6, 3, 4 }, { 50, 50, 26 }, { 64, 64, 33 },
	};
	u32 i, seed;

	for (i = 0; i < SPEX_ARRAY_SIZE(cfg); i++)
		for (seed = 0; seed < 200; seed++)
			degrees_case(SPX_PAT_RANDOM, 0, 0, 0, seed, cfg[i][0],
				     cfg[i][1], cfg[i][2]);
}

TEST(random_rows_ascending)
{
	struct spex_pattern_desc pd = desc(SPX_PAT_RANDOM, 0, 0, 0, 7);
	static const u32 cfg[][3] = { { 100, 30, 10 }, { 100, 10, 90 },
				      { 37, 37, 20 }, { 4096, 512, 8 },
				      { 2001, 2001, 7 } };
	u32 i, r, m;
	int ret;

	for (i = 0; i < SPEX_ARRAY_SIZE(cfg); i++) {
		u32 p = cfg[i][0], n = cfg[i][1], d = cfg[i][2];
		u32 *left = make(&pd, p, n, d, &ret);

		CHECK_EQ(ret, SPEX_OK);
		for (r = 0; left && r < n; r++)
			for (m = 1; m < d; m++)
				CHECK(left[r * d + m - 1] < left[r * d + m], "-");
		free(left);
	}
}

TEST(clash_free_exact_degrees_no_duplicates)
{
	static const u32 types[] = { SPX_PAT_CF1, SPX_PAT_CF2, SPX_PAT_CF3 };
	u32 it, t, st, dith, p, d_in, z, n;

	for (t = 0; t < 3; t++) {
		for (st = 0; st < 2; st++) {
			for (dith = 0; dith < 2; dith++) {
				/* z = 1, z = p, d_in = p, d_in = 1, n < p, n > p */
				degrees_case(types[t], st, dith, 1, 3, 12, 12, 4);
				degrees_case(types[t], st, dith, 12, 3, 12, 12, 4);
				degrees_case(types[t], st, dith, 4, 3, 12, 5, 12);
				degrees_case(types[t], st, dith, 4, 3, 12, 24, 1);
				degrees_case(types[t], st, dith, 4, 3, 12, 3, 4);
				degrees_case(types[t], st, dith, 6, 3, 12, 40, 6);
				degrees_case(types[t], st, dith, 8, 3, 800, 40, 40);
			}
		}
	}
	for (it = 0; it < 400; it++) {
		p = 1 + trand(96);
		z = rand_divisor(p);
		d_in = rand_divisor(p);
		n = p / d_in * (1 + trand(5));
		degrees_case(types[trand(3)], trand(2), trand(2), z, trand(99),
			     p, n, d_in);
	}
}

/* ------------------------------------------------------------------ */
/* Clash-free structure                                               */
/* ------------------------------------------------------------------ */

TEST(clash_free_groups_of_z_hit_distinct_banks)
{
	static const u32 types[] = { SPX_PAT_CF1, SPX_PAT_CF2, SPX_PAT_CF3 };
	u32 it, p, z, d_in, n, k, b, g;
	int ret;

	for (it = 0; it < 300; it++) {
		struct spex_pattern_desc pd;
		u32 *left;

		p = 1 + trand(96);
		z = rand_divisor(p);
		d_in = rand_divisor(p);
		n = p / d_in * (1 + trand(4));
		pd = desc(types[it % 3], trand(2), trand(2), z, it);
		left = make(&pd, p, n, d_in, &ret);
		CHECK_EQ(ret, SPEX_OK);
		if (!left)
			continue;
		/* Groups of z aligned at multiples of z within a sweep
		 * (p % z == 0, so at multiples of z overall). */
		for (g = 0; g < n * d_in; g += z) {
			u32 seen = 0;
			u8 hit[96] = { 0 };

			for (k = g; k < g + z; k++) {
				b = left[k] % z;
				if (!hit[b]) {
					hit[b] = 1;
					seen++;
				}
			}
			CHECK_EQ(seen, z);
		}
		free(left);
	}
}

TEST(zero_starts_no_dither_give_windows)
{
	static const u32 types[] = { SPX_PAT_CF1, SPX_PAT_CF2, SPX_PAT_CF3 };
	static const u32 cfg[][4] = {	/* p, n, d_in, z */
		{ 12, 12, 4, 4 }, { 12, 30, 6, 3 }, { 16, 8, 16, 16 },
		{ 10, 20, 1, 1 }, { 800, 40, 40, 8 }, { 9, 3, 9, 3 },
	};
	u32 t, i, r, m;
	int ret;

	for (t = 0; t < 3; t++) {
		for (i = 0; i < SPEX_ARRAY_SIZE(cfg); i++) {
			u32 p = cfg[i][0], n = cfg[i][1], d = cfg[i][2];
			struct spex_pattern_desc pd =
				desc(types[t], SPX_STARTS_ZERO, 0, cfg[i][3], 5);
			u32 *left = make(&pd, p, n, d, &ret);

			CHECK_EQ(ret, SPEX_OK);
			for (r = 0; left && r < n; r++)
				for (m = 0; m < d; m++)
					CHECK_EQ(left[r * d + m], (r * d + m) % p);
			free(left);
		}
	}
}

TEST(clash_free_matches_reference_formula)
{
	/* Every type x starts mode x dither against the uapi formula and
	 * the documented draw order of the streams. */
	static const u32 types[] = { SPX_PAT_CF1, SPX_PAT_CF2, SPX_PAT_CF3 };
	u8 starts_le[4 * 512];
	u32 it, p, z, d_in, n, i, pz;
	int ret;

	for (it = 0; it < 300; it++) {
		struct spex_pattern_desc pd;
		u32 *left, *ref;

		p = 1 + trand(60);
		z = rand_divisor(p);
		d_in = rand_divisor(p);
		n = p / d_in * (1 + trand(4));
		pz = p / z;
		pd = desc(types[it % 3], (it / 3) % 3, (it / 9) % 2, z,
			  trand(1u << 30));
		for (i = 0; i < 512; i++)
			spex_put_le32(starts_le + 4 * i, trand(pz));
		pd.starts_le = starts_le;
		pd.n_starts = 512;
		CHECK(spex_pattern_n_starts(&pd, p, n, d_in) <= 512, "-");
		left = make(&pd, p, n, d_in, &ret);
		CHECK_EQ(ret, SPEX_OK);
		if (!left)
			continue;
		ref = malloc((size_t)n * d_in * sizeof(u32));
		ref_clash_free(&pd, p, n, d_in, ref);
		CHECK(memcmp(left, ref, (size_t)n * d_in * sizeof(u32)) == 0,
		      "type %u starts %u dither %u p %u n %u d %u z %u",
		      pd.type, pd.starts, pd.dither, p, n, d_in, z);
		free(ref);
		free(left);
	}
}

TEST(explicit_starts_read_correctly)
{
	/* p = 12, z = 4 -> p/z = 3 addresses; d_in = 6, n = 6 -> d_out = 3. */
	u8 buf[4 * 12 + 1];
	u32 vals[12], i, k, j, b, s;
	struct spex_pattern_desc pd;
	u32 *left;
	int ret;

	for (i = 0; i < 12; i++)
		vals[i] = (i * 7 + 1) % 3;
	/* Unaligned on purpose. */
	for (i = 0; i < 12; i++)
		spex_put_le32(buf + 1 + 4 * i, vals[i]);

	/* CF1: s[sweep]; bank b of sweep s reads ((s0 + j/z) % 3) * 4 + b */
	pd = desc(SPX_PAT_CF1, SPX_STARTS_EXPLICIT, 0, 4, 0);
	pd.starts_le = buf + 1;
	pd.n_starts = 3;
	CHECK_EQ(spex_pattern_n_starts(&pd, 12, 6, 6), 3);
	left = make(&pd, 12, 6, 6, &ret);
	CHECK_EQ(ret, SPEX_OK);
	for (k = 0; left && k < 36; k++) {
		s = k / 12, j = k % 12, b = j % 4;
		CHECK_EQ(left[k], ((vals[s] + j / 4) % 3) * 4 + b);
	}
	free(left);

	/* CF2: s[sweep * z + b] */
	pd.type = SPX_PAT_CF2;
	pd.n_starts = 12;
	CHECK_EQ(spex_pattern_n_starts(&pd, 12, 6, 6), 12);
	left = make(&pd, 12, 6, 6, &ret);
	CHECK_EQ(ret, SPEX_OK);
	for (k = 0; left && k < 36; k++) {
		s = k / 12, j = k % 12, b = j % 4;
		CHECK_EQ(left[k], ((vals[s * 4 + b] + j / 4) % 3) * 4 + b);
	}
	free(left);

	/* CF3: s[b], every sweep */
	pd.type = SPX_PAT_CF3;
	pd.n_starts = 4;
	CHECK_EQ(spex_pattern_n_starts(&pd, 12, 6, 6), 4);
	left = make(&pd, 12, 6, 6, &ret);
	CHECK_EQ(ret, SPEX_OK);
	for (k = 0; left && k < 36; k++) {
		j = k % 12, b = j % 4;
		CHECK_EQ(left[k], ((vals[b] + j / 4) % 3) * 4 + b);
	}
	free(left);

	/* Too few values, and a value out of range. */
	pd.n_starts = 3;
	CHECK_EQ(spex_pattern_check(&pd, 12, 6, 6), SPEX_E_PATTERN);
	pd.n_starts = 4;
	spex_put_le32(buf + 1 + 4 * 2, 3);
	CHECK_EQ(spex_pattern_check(&pd, 12, 6, 6), SPEX_E_PATTERN);
	pd.starts_le = NULL;
	CHECK_EQ(spex_pattern_check(&pd, 12, 6, 6), SPEX_E_PATTERN);
}

TEST(dither_permutes_banks)
{
	/* With dither, some sweep differs from the undithered pattern, and
	 * every sweep is still a permutation of the inputs. */
	struct spex_pattern_desc a = desc(SPX_PAT_CF2, SPX_STARTS_SEED, 0, 8, 9);
	struct spex_pattern_desc b = a;
	u32 *la, *lb;
	int ra, rb;

	b.dither = 1;
	la = make(&a, 64, 64, 8, &ra);
	lb = make(&b, 64, 64, 8, &rb);
	CHECK_EQ(ra, SPEX_OK);
	CHECK_EQ(rb, SPEX_OK);
	if (la && lb) {
		CHECK(memcmp(la, lb, 64 * 8 * sizeof(u32)) != 0, "-");
		CHECK_EQ(check_degrees(lb, 64, 64, 8), 0);
	}
	free(la);
	free(lb);
}

/* ------------------------------------------------------------------ */
/* Determinism                                                        */
/* ------------------------------------------------------------------ */

static int same(const struct spex_pattern_desc *a,
		const struct spex_pattern_desc *b, u32 p, u32 n, u32 d)
{
	int ra, rb, eq;
	u32 *la = make(a, p, n, d, &ra), *lb = make(b, p, n, d, &rb);

	CHECK(la && lb, "-");
	eq = la && lb && !memcmp(la, lb, (size_t)n * d * sizeof(u32));
	free(la);
	free(lb);
	return eq;
}

TEST(deterministic_from_seed)
{
	struct spex_pattern_desc a, b;
	static const u32 types[] = { SPX_PAT_CF1, SPX_PAT_CF2, SPX_PAT_CF3 };
	u32 t;

	a = desc(SPX_PAT_RANDOM, 0, 0, 0, 1234);
	b = a;
	CHECK(same(&a, &b, 100, 50, 14), "-");
	CHECK(same(&a, &b, 100, 10, 90), "-");
	b.seed = 1235;
	CHECK(!same(&a, &b, 100, 50, 14), "-");
	CHECK(!same(&a, &b, 100, 10, 90), "-");

	for (t = 0; t < 3; t++) {
		a = desc(types[t], SPX_STARTS_SEED, 0, 4, 77);
		b = a;
		CHECK(same(&a, &b, 64, 64, 16), "-");
		b.seed = 78;
		CHECK(!same(&a, &b, 64, 64, 16), "-");
		/* dither alone is also seed-driven */
		a = desc(types[t], SPX_STARTS_ZERO, 1, 8, 77);
		b = a;
		CHECK(same(&a, &b, 64, 64, 16), "-");
		b.seed = 78;
		CHECK(!same(&a, &b, 64, 64, 16), "-");
	}
}

TEST(seeded_starts_in_range_and_spread)
{
	/* CF3 with seeded starts: bank b's first edge in sweep 0 is at
	 * position j = b, address s[b]. Over many seeds each address in
	 * [0, p/z) shows up. */
	u32 hist[5] = { 0 }, seed, b, addr;
	int ret;

	for (seed = 0; seed < 200; seed++) {
		struct spex_pattern_desc pd =
			desc(SPX_PAT_CF3, SPX_STARTS_SEED, 0, 4, seed);
		u32 *left = make(&pd, 20, 20, 20, &ret);

		CHECK_EQ(ret, SPEX_OK);
		for (b = 0; left && b < 4; b++) {
			CHECK_EQ(left[b] % 4, b);
			addr = left[b] / 4;
			CHECK(addr < 5, "-");
			hist[addr < 5 ? addr : 0]++;
		}
		free(left);
	}
	for (b = 0; b < 5; b++)
		CHECK(hist[b] > 100, "addr %u: %u", b, hist[b]);
}

/* ------------------------------------------------------------------ */
/* Parameter checks                                                   */
/* ------------------------------------------------------------------ */

TEST(invalid_parameters_get_specific_codes)
{
	static const u8 s_ok[4 * 4] = { 0 };
	static const struct {
		u32 type, starts, dither, z, p, n, d_in;
		u32 n_starts;		/* EXPLICIT: values available */
		int want;
		const char *what;
	} c[] = {
		{ 5, 0, 0, 0, 8, 8, 2, 0, SPEX_E_PATTERN, "unknown type" },
		{ 255, 0, 0, 0, 8, 8, 2, 0, SPEX_E_PATTERN, "type 255" },
		{ SPX_PAT_CF1, 3, 0, 2, 8, 8, 2, 0, SPEX_E_PATTERN,
		  "unknown starts" },
		{ SPX_PAT_CF1, 0, 2, 2, 8, 8, 2, 0, SPEX_E_PATTERN,
		  "dither 2" },
		{ SPX_PAT_RANDOM, 0, 1, 0, 8, 8, 2, 0, SPEX_E_PATTERN,
		  "dither without clash-free" },
		{ SPX_PAT_DENSE, 0, 1, 0, 8, 8, 8, 0, SPEX_E_PATTERN,
		  "dense dither" },
		{ SPX_PAT_RANDOM, 0, 0, 2, 8, 8, 2, 0, SPEX_E_PATTERN,
		  "random z != 0" },
		{ SPX_PAT_DENSE, 0, 0, 1, 8, 8, 8, 0, SPEX_E_PATTERN,
		  "dense z != 0" },
		{ SPX_PAT_RANDOM, SPX_STARTS_SEED, 0, 0, 8, 8, 2, 0,
		  SPEX_E_PATTERN, "random with starts" },
		{ SPX_PAT_RANDOM, 0, 0, 0, 8, 8, 0, 0, SPEX_E_DEGREE,
		  "d_in 0" },
		{ SPX_PAT_RANDOM, 0, 0, 0, 8, 8, 9, 0, SPEX_E_DEGREE,
		  "d_in > p" },
		{ SPX_PAT_RANDOM, 0, 0, 0, 0, 8, 1, 0, SPEX_E_DEGREE, "p 0" },
		{ SPX_PAT_RANDOM, 0, 0, 0, 8, 0, 2, 0, SPEX_E_SHAPE, "n 0" },
		{ SPX_PAT_RANDOM, 0, 0, 0, 8, 3, 2, 0, SPEX_E_DEGREE,
		  "no integer d_out" },
		{ SPX_PAT_RANDOM, 0, 0, 0, 65536, 65537, 65536, 0,
		  SPEX_E_OVERFLOW, "n * d_in overflows" },
		{ SPX_PAT_RANDOM, 0, 0, 0, 0xffffffffu, 0xffffffffu, 2, 0,
		  SPEX_E_OVERFLOW, "n * d_in overflows (big n)" },
		{ SPX_PAT_DENSE, 0, 0, 0, 8, 8, 4, 0, SPEX_E_DEGREE,
		  "dense d_in != p" },
		{ SPX_PAT_CF1, 0, 0, 0, 8, 8, 2, 0, SPEX_E_PATTERN_Z, "z 0" },
		{ SPX_PAT_CF2, 0, 0, 3, 8, 8, 2, 0, SPEX_E_PATTERN_Z,
		  "p % z" },
		{ SPX_PAT_CF3, 0, 0, 16, 8, 8, 2, 0, SPEX_E_PATTERN_Z,
		  "z > p" },
		{ SPX_PAT_CF1, 0, 0, 2, 8, 3, 6, 0, SPEX_E_DEGREE,
		  "cf no integer d_out" },
		{ SPX_PAT_CF1, 0, 0, 2, 12, 2, 6, 0, SPEX_OK, "cf ok" },
		{ SPX_PAT_CF1, 0, 0, 5, 12, 3, 5, 0, SPEX_E_DEGREE,
		  "degree before z and d_in" },
		{ SPX_PAT_CF1, 0, 0, 5, 12, 12, 5, 0, SPEX_E_PATTERN_Z,
		  "z before d_in" },
		{ SPX_PAT_CF1, 0, 0, 2, 12, 12, 5, 0, SPEX_E_PATTERN_DIN,
		  "12 % 5" },
		{ SPX_PAT_CF2, 0, 0, 2, 12, 3, 8, 0, SPEX_E_PATTERN_DIN,
		  "p % d_in" },
		{ SPX_PAT_CF1, SPX_STARTS_EXPLICIT, 0, 2, 8, 8, 2, 1,
		  SPEX_E_PATTERN, "CF1 too few starts (1 of 2)" },
		{ SPX_PAT_CF1, SPX_STARTS_EXPLICIT, 0, 2, 8, 8, 2, 2, SPEX_OK,
		  "CF1 enough starts" },
		{ SPX_PAT_CF2, SPX_STARTS_EXPLICIT, 0, 2, 8, 8, 2, 3,
		  SPEX_E_PATTERN, "CF2 too few starts (3 of 4)" },
		{ SPX_PAT_CF3, SPX_STARTS_EXPLICIT, 1, 4, 8, 8, 2, 3,
		  SPEX_E_PATTERN, "CF3 too few starts (3 of 4)" },
		{ SPX_PAT_CF3, SPX_STARTS_EXPLICIT, 1, 4, 8, 8, 2, 4, SPEX_OK,
		  "CF3 enough starts" },
		{ SPX_PAT_RANDOM, 0, 0, 0, 8, 4, 2, 0, SPEX_OK, "random ok" },
		{ SPX_PAT_DENSE, 0, 0, 0, 8, 3, 8, 0, SPEX_OK, "dense ok" },
	};
	u32 i;

	for (i = 0; i < SPEX_ARRAY_SIZE(c); i++) {
		struct spex_pattern_desc pd =
			desc(c[i].type, c[i].starts, c[i].dither, c[i].z, 1);
		int got;

		pd.starts_le = c[i].n_starts ? s_ok : NULL;
		pd.n_starts = c[i].n_starts;
		got = spex_pattern_check(&pd, c[i].p, c[i].n, c[i].d_in);
		CHECK(got == c[i].want, "%s: got %d want %d", c[i].what, got,
		      c[i].want);
	}
}

TEST(explicit_start_out_of_range)
{
	/* p = 8, z = 2: addresses 0..3; 4 is out of range. */
	u8 buf[16];
	u32 v;

	for (v = 0; v <= 5; v++) {
		struct spex_pattern_desc pd =
			desc(SPX_PAT_CF2, SPX_STARTS_EXPLICIT, 0, 2, 0);

		memset(buf, 0, sizeof(buf));
		spex_put_le32(buf + 12, v);	/* the last of 4 needed */
		pd.starts_le = buf;
		pd.n_starts = 4;
		CHECK_EQ(spex_pattern_check(&pd, 8, 8, 2),
			 v < 4 ? SPEX_OK : SPEX_E_PATTERN);
	}
}

TEST(fill_refuses_invalid_parameters)
{
	struct spex_pattern_desc pd = desc(SPX_PAT_CF1, 0, 0, 3, 0);
	u32 left[64];
	unsigned long work[8];

	CHECK_EQ(spex_pattern_fill(&pd, 8, 8, 2, left, work),
		 SPEX_E_PATTERN_Z);
}

/* ------------------------------------------------------------------ */
/* Conv masks                                                         */
/* ------------------------------------------------------------------ */

TEST(mask_check_codes)
{
	CHECK_EQ(spex_mask_check(SPX_MASK_FULL, 0, 3, 3), SPEX_OK);
	CHECK_EQ(spex_mask_check(SPX_MASK_FULL, 0, 1, 1), SPEX_OK);
	CHECK_EQ(spex_mask_check(SPX_MASK_PERIODIC, 8, 3, 3), SPEX_OK);
	CHECK_EQ(spex_mask_check(SPX_MASK_PERIODIC, 1, 2, 2), SPEX_OK);
	CHECK_EQ(spex_mask_check(SPX_MASK_PERIODIC, 0, 3, 3), SPEX_E_PATTERN);
	CHECK_EQ(spex_mask_check(SPX_MASK_PERIODIC, 256, 3, 3), SPEX_E_PATTERN);
	CHECK_EQ(spex_mask_check(SPX_MASK_PERIODIC, 8, 1, 3), SPEX_E_PATTERN);
	CHECK_EQ(spex_mask_check(SPX_MASK_PERIODIC, 8, 3, 1), SPEX_E_PATTERN);
	CHECK_EQ(spex_mask_check(2, 8, 3, 3), SPEX_E_PATTERN);
	CHECK_EQ(spex_mask_check(SPX_MASK_FULL, 0, 0, 3), SPEX_E_SHAPE);
	CHECK_EQ(spex_mask_check(SPX_MASK_FULL, 0, 3, SPX_MAX_KERNEL + 1),
		 SPEX_E_SHAPE);
}

static int elems_eq(const u8 *e, u32 n, const u8 *want, u32 wn)
{
	return n == wn && !memcmp(e, want, n);
}

TEST(mask_corner_blocks_3x3_and_5x5)
{
	static const u8 c3[4][4] = { { 0, 1, 3, 4 }, { 1, 2, 4, 5 },
				     { 3, 4, 6, 7 }, { 4, 5, 7, 8 } };
	static const u8 c5[4][4] = { { 0, 1, 5, 6 }, { 3, 4, 8, 9 },
				     { 15, 16, 20, 21 }, { 18, 19, 23, 24 } };
	/* 2x3: top-right of a 2-row, 3-column kernel */
	static const u8 c23[4][4] = { { 0, 1, 3, 4 }, { 1, 2, 4, 5 },
				      { 0, 1, 3, 4 }, { 1, 2, 4, 5 } };
	u8 e[SPX_MAX_KERNEL * SPX_MAX_KERNEL];
	u32 c, n, i;

	/* o + s + 1 = c selects corner c (period 8). */
	for (c = 0; c < 4; c++) {
		n = spex_mask_elems(SPX_MASK_PERIODIC, 8, 3, 3, c + 7, 0, e);
		CHECK(elems_eq(e, n, c3[c], 4), "3x3 corner %u", c);
		n = spex_mask_elems(SPX_MASK_PERIODIC, 8, 5, 5, 0, c + 15, e);
		CHECK(elems_eq(e, n, c5[c], 4), "5x5 corner %u", c);
		n = spex_mask_elems(SPX_MASK_PERIODIC, 8, 2, 3, 3, c + 4, e);
		CHECK(elems_eq(e, n, c23[c], 4), "2x3 corner %u", c);
	}
	/* c = 4 .. 7: the full kernel, ascending. */
	for (c = 4; c < 8; c++) {
		n = spex_mask_elems(SPX_MASK_PERIODIC, 8, 3, 3, 1, c - 2, e);
		CHECK_EQ(n, 9);
		for (i = 0; i < n; i++)
			CHECK_EQ(e[i], i);
		n = spex_mask_elems(SPX_MASK_PERIODIC, 8, 5, 5, c - 1, 0, e);
		CHECK_EQ(n, 25);
		for (i = 0; i < n; i++)
			CHECK_EQ(e[i], i);
	}
	/* FULL keeps everything. */
	n = spex_mask_elems(SPX_MASK_FULL, 0, 3, 5, 0, 0, e);
	CHECK_EQ(n, 15);
	for (i = 0; i < n; i++)
		CHECK_EQ(e[i], i);
}

TEST(mask_periodic_cycles)
{
	/* The mask depends only on (o + s + 1) % period. */
	u8 e1[25], e2[25];
	u32 period, o, s, n1, n2;

	for (period = 1; period <= 9; period++) {
		for (o = 0; o < 20; o++) {
			for (s = 0; s < 20; s++) {
				n1 = spex_mask_elems(SPX_MASK_PERIODIC, period,
						     3, 3, o, s, e1);
				n2 = spex_mask_elems(SPX_MASK_PERIODIC, period,
						     3, 3, 0,
						     (o + s) % period, e2);
				CHECK(elems_eq(e1, n1, e2, n2), "-");
				n2 = spex_mask_elems(SPX_MASK_PERIODIC, period,
						     3, 3, o + period, s, e2);
				CHECK(elems_eq(e1, n1, e2, n2), "-");
				CHECK_EQ(n1, (o + s + 1) % period < 4 ? 4 : 9);
			}
		}
	}
	/* No overflow near the top of u32. */
	n1 = spex_mask_elems(SPX_MASK_PERIODIC, 8, 3, 3, 0xffffffffu,
			     0xffffffffu, e1);
	/* (2^32 - 1) % 8 = 7; 7 + 7 + 1 = 15; 15 % 8 = 7 -> full */
	CHECK_EQ(n1, 9);
	n1 = spex_mask_elems(SPX_MASK_PERIODIC, 255, 3, 3, 0xffffffffu,
			     0xffffffffu, e1);
	/* (2^32 - 1) % 255 = 0 -> class 1 -> corner */
	CHECK_EQ(n1, 4);
}

static u64 mask_sum(u32 type, u32 period, u32 kh, u32 kw, u32 out_c,
		    u32 cin)
{
	u8 e[SPX_MAX_KERNEL * SPX_MAX_KERNEL];
	u64 sum = 0;
	u32 o, s;

	for (o = 0; o < out_c; o++)
		for (s = 0; s < cin; s++)
			sum += spex_mask_elems(type, period, kh, kw, o, s, e);
	return sum;
}

TEST(mask_count_matches_elems)
{
	static const u32 shapes[][2] = { { 3, 3 }, { 5, 5 }, { 2, 2 },
					 { 3, 5 }, { 1, 1 } };
	u32 type, period, si, oc, cin, kh, kw;

	for (type = 0; type < 2; type++) {
		for (period = 1; period <= 10; period++) {
			for (si = 0; si < SPEX_ARRAY_SIZE(shapes); si++) {
				kh = shapes[si][0];
				kw = shapes[si][1];
				if (spex_mask_check(type, period, kh, kw))
					continue;
				for (oc = 1; oc <= 13; oc += 3)
					for (cin = 1; cin <= 23; cin += 2)
						CHECK_EQ(spex_mask_count(type,
							period, kh, kw, oc, cin),
							mask_sum(type, period,
							kh, kw, oc, cin));
			}
		}
	}
	/* pSConv: 8 classes, 4 corners of 4 taps and 4 full 3x3: 8 pairs
	 * hold 4 * 4 + 4 * 9 = 52 taps. */
	CHECK_EQ(spex_mask_count(SPX_MASK_PERIODIC, 8, 3, 3, 8, 8),
		 8 * 52);
	CHECK_EQ(spex_mask_count(SPX_MASK_FULL, 0, 3, 3, 65536, 65536),
		 9ull * 65536 * 65536);
}

/* ------------------------------------------------------------------ */
/* Larger layers                                                      */
/* ------------------------------------------------------------------ */

TEST(large_layers_exact)
{
	/* 1024 x 1024 at a few densities, every type. */
	static const u32 dins[] = { 51, 256, 300, 700, 1000 };
	u32 i;

	for (i = 0; i < SPEX_ARRAY_SIZE(dins); i++)
		degrees_case(SPX_PAT_RANDOM, 0, 0, 0, 42, 1024, 1024, dins[i]);
	/* sparse rows (sorted by heapsort), with and without repair */
	degrees_case(SPX_PAT_RANDOM, 0, 0, 0, 42, 4096, 512, 8);
	degrees_case(SPX_PAT_RANDOM, 0, 0, 0, 42, 2001, 2001, 7);
	degrees_case(SPX_PAT_RANDOM, 0, 0, 0, 42, 3000, 1000, 6);
	degrees_case(SPX_PAT_CF1, SPX_STARTS_SEED, 1, 32, 1, 1024, 1024, 64);
	degrees_case(SPX_PAT_CF2, SPX_STARTS_SEED, 1, 32, 1, 1024, 1024, 256);
	degrees_case(SPX_PAT_CF3, SPX_STARTS_SEED, 1, 1024, 1, 1024, 512, 1024);
}

TEST_MAIN(T(rng_matches_pcg32_reference),
	  T(rng_below_in_range_and_roughly_uniform),
	  T(dense_reads_everything_in_order),
	  T(random_exact_degrees_no_duplicates),
	  T(random_tight_degrees_many_seeds),
	  T(random_rows_ascending),
	  T(clash_free_exact_degrees_no_duplicates),
	  T(clash_free_groups_of_z_hit_distinct_banks),
	  T(zero_starts_no_dither_give_windows),
	  T(clash_free_matches_reference_formula),
	  T(explicit_starts_read_correctly),
	  T(dither_permutes_banks),
	  T(deterministic_from_seed),
	  T(seeded_starts_in_range_and_spread),
	  T(invalid_parameters_get_specific_codes),
	  T(explicit_start_out_of_range),
	  T(fill_refuses_invalid_parameters),
	  T(mask_check_codes),
	  T(mask_corner_blocks_3x3_and_5x5),
	  T(mask_periodic_cycles),
	  T(mask_count_matches_elems),
	  T(large_layers_exact))
