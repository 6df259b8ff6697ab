// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Predefined-sparse connection patterns (the generator <spex/engine.h>
 * declares).
 *
 * Everything here is integer-only and allocation-free; the same parameters
 * give the same edges in the kernel, in libspex and in spex-train.
 *
 * Edge k (0 <= k < E = n * d_in) belongs to right neuron k / d_in and to
 * sweep k / p; since p * d_out = n * d_in there are exactly d_out sweeps.
 *
 * RANDOM (structured random), generated with degree d (normally d_in):
 *   1. Sweeps: for s = 0 .. E/p - 1, edges [s*p, s*p + p) are a Fisher-Yates
 *      shuffle of the identity 0 .. p-1 (for i = p-1 down to 1: swap a[i]
 *      with a[below(i + 1)]), drawn from stream SPEX_RNG_STREAM_EDGES.
 *      Every left neuron is thus read exactly once per sweep: out-degree
 *      d_out exactly. A row that lies within one sweep has no duplicate.
 *   2. Repair: only a row straddling a sweep boundary B = s*p (s >= 1,
 *      B % d != 0) can read a neuron twice, once in its tail (before B) and
 *      once in its head (from B). For each such row in ascending order, its
 *      head positions i are visited in ascending order; if left[i] is
 *      already in the row (tail, or head before i), it is swapped with
 *      left[c], c in the whole rows of sweep s after this row,
 *      [lo, hi) = [row end, floor((B + p) / d) * d), whose value is not
 *      yet in the row: up to 32 tries c = lo + below(hi - lo), then the
 *      first good c scanning up from the last try, wrapping in [lo, hi).
 *      The swap stays inside sweep s, so the sweep remains a permutation
 *      (out-degrees unchanged), and the row receiving x is whole inside
 *      sweep s, where x occurred only at i: no new duplicate. Each repair
 *      removes one duplicate, so there are at most d - 1 per row.
 *      A good c exists whenever 2 * d <= p + 1: with a tail of a entries
 *      and a trailing straddler part of t < d entries, [lo, hi) holds
 *      p - (d - a) - t distinct values of which at most a - 1 are in the
 *      row's tail (x, one of the tail values, sits at i), leaving at least
 *      p - 2d + 2 >= 1 candidates.
 *   3. If 2 * d_in > p + 1, steps 1-2 instead build the complement pattern
 *      (degree p - d_in, which satisfies the bound), and row r reads every
 *      left neuron its complement row does not.
 *   4. Every row is then listed in ascending order (this also checks it
 *      for duplicates).
 *
 * Clash-free CF1/CF2/CF3 follow the uapi header: edge k at position
 * j = k % p of sweep k / p reads t[j] * z + v[j], t[j] = (s[sweep][b] +
 * j / z) % (p / z), b = j % z, v[j] = b or perm[sweep][b].
 *   - SEED starts come from stream SPEX_RNG_STREAM_STARTS, each
 *     below(p / z): CF1 draws one per sweep (sweep order), CF2 z per sweep
 *     (sweep-major, bank order), CF3 z once (bank order).
 *   - Dither permutations come from stream SPEX_RNG_STREAM_DITHER, each a
 *     Fisher-Yates shuffle of the identity 0 .. z-1 as above: CF1 and CF2
 *     draw a fresh one per sweep (sweep order), CF3 draws one for all.
 *   - EXPLICIT starts: s[sweep] (CF1), s[sweep * z + b] (CF2), s[b] (CF3).
 */
#include <spex/engine.h>

/* ------------------------------------------------------------------ */
/* PCG32                                                              */
/* ------------------------------------------------------------------ */

#define PCG_MULT	6364136223846793005ULL

u32 spex_rng_u32(struct spex_rng *rng)
{
	u64 old = rng->state;
	u32 xorshifted, rot;

	rng->state = old * PCG_MULT + rng->inc;
	xorshifted = (u32)(((old >> 18) ^ old) >> 27);
	rot = (u32)(old >> 59);
	return (xorshifted >> rot) | (xorshifted << ((0u - rot) & 31));
}

void spex_rng_seed(struct spex_rng *rng, u64 seed, u64 stream)
{
	rng->state = 0;
	rng->inc = (stream << 1) | 1;
	spex_rng_u32(rng);
	rng->state += seed;
	spex_rng_u32(rng);
}

/* Lemire's nearly-divisionless method: unbiased, one u32 modulo at most. */
u32 spex_rng_below(struct spex_rng *rng, u32 bound)
{
	u64 m;
	u32 l, t;

	if (unlikely(bound == 0))
		return 0;
	m = (u64)spex_rng_u32(rng) * bound;
	l = (u32)m;
	if (unlikely(l < bound)) {
		t = (0u - bound) % bound;
		while (l < t) {
			m = (u64)spex_rng_u32(rng) * bound;
			l = (u32)m;
		}
	}
	return (u32)(m >> 32);
}

/* a[0 .. len) = a Fisher-Yates shuffle of 0 .. len-1. */
static void shuffle_identity(struct spex_rng *rng, u32 *a, u32 len)
{
	u32 i, j, tmp;

	for (i = 0; i < len; i++)
		a[i] = i;
	for (i = len; i > 1; i--) {
		j = spex_rng_below(rng, i);
		tmp = a[i - 1];
		a[i - 1] = a[j];
		a[j] = tmp;
	}
}

/* ------------------------------------------------------------------ */
/* Bitmaps of p bits in the workspace                                 */
/* ------------------------------------------------------------------ */

#define SPEX_BPL	(8 * sizeof(unsigned long))

static inline size_t bm_words(u32 bits)
{
	return ((size_t)bits + SPEX_BPL - 1) / SPEX_BPL;
}

/* The workspace bitmap of p bits plus its summary (see sum_set()). */
static inline size_t bm_total_words(u32 p)
{
	return bm_words(p) + bm_words((u32)bm_words(p));
}

static inline int bm_test(const unsigned long *bm, u32 i)
{
	return (bm[i / SPEX_BPL] >> (i % SPEX_BPL)) & 1;
}

static inline void bm_set(unsigned long *bm, u32 i)
{
	bm[i / SPEX_BPL] |= 1UL << (i % SPEX_BPL);
}

static inline void bm_clear(unsigned long *bm, u32 i)
{
	bm[i / SPEX_BPL] &= ~(1UL << (i % SPEX_BPL));
}

/*
 * Write the clear bits below p of bm in ascending order to out, at most
 * max of them (returns how many, or max + 1 if there are more), and zero
 * bm.
 */
static u32 bm_drain_clear(unsigned long *bm, u32 p, u32 *out, u32 max)
{
	size_t w, nw = bm_words(p);
	u32 cnt = 0;
	unsigned long bits;

	for (w = 0; w < nw; w++) {
		bits = ~bm[w];
		bm[w] = 0;
		if (w == nw - 1 && p % SPEX_BPL)
			bits &= (1UL << (p % SPEX_BPL)) - 1;
		while (bits) {
			if (cnt == max)
				return cnt + 1;	/* too many: caller fails */
			out[cnt++] = (u32)(w * SPEX_BPL) +
				     (u32)__builtin_ctzl(bits);
			bits &= bits - 1;
		}
	}
	return cnt;
}

/*
 * Sparse rows: a summary bitmap with one bit per word of bm lets
 * sum_drain() visit only the words that hold set bits, so listing a row
 * costs O(d + p / BPL^2) instead of O(p / BPL).
 */
static inline void sum_set(unsigned long *bm, unsigned long *sum, u32 i)
{
	bm_set(bm, i);
	bm_set(sum, (u32)(i / SPEX_BPL));
}

/* Write the set bits of bm ascending to out (at most max; returns how
 * many, or max + 1 if there are more) and zero bm and sum. */
static u32 sum_drain(unsigned long *bm, unsigned long *sum, u32 p, u32 *out,
		     u32 max)
{
	size_t sw, nsw = bm_words((u32)bm_words(p)), w;
	unsigned long sbits, bits;
	u32 cnt = 0;

	for (sw = 0; sw < nsw; sw++) {
		sbits = sum[sw];
		sum[sw] = 0;
		while (sbits) {
			w = sw * SPEX_BPL + (size_t)__builtin_ctzl(sbits);
			sbits &= sbits - 1;
			bits = bm[w];
			bm[w] = 0;
			while (bits) {
				if (cnt == max)
					return cnt + 1;
				out[cnt++] = (u32)(w * SPEX_BPL) +
					     (u32)__builtin_ctzl(bits);
				bits &= bits - 1;
			}
		}
	}
	return cnt;
}

/* ------------------------------------------------------------------ */
/* Parameter checks                                                   */
/* ------------------------------------------------------------------ */

static inline int is_clash_free(u32 type)
{
	return type == SPX_PAT_CF1 || type == SPX_PAT_CF2 ||
	       type == SPX_PAT_CF3;
}

/* E = n * d_in; 0 with *ok = 0 if it does not fit in u32. */
static u32 n_edges(u32 n, u32 d_in, int *ok)
{
	u64 e = (u64)n * d_in;

	*ok = e <= 0xffffffffULL;
	return *ok ? (u32)e : 0;
}

u32 spex_pattern_n_starts(const struct spex_pattern_desc *pd, u32 p, u32 n,
			  u32 d_in)
{
	u32 e, d_out;
	u64 cnt;
	int ok;

	if (pd->starts != SPX_STARTS_EXPLICIT || p == 0)
		return 0;
	e = n_edges(n, d_in, &ok);
	if (!ok)
		return 0;
	d_out = e / p;
	switch (pd->type) {
	case SPX_PAT_CF1:
		return d_out;
	case SPX_PAT_CF2:
		cnt = (u64)d_out * pd->z;
		return cnt > 0xffffffffULL ? 0xffffffffu : (u32)cnt;
	case SPX_PAT_CF3:
		return pd->z;
	default:
		return 0;
	}
}

/*
 * The checks run in this order, the first failure deciding the status:
 *   SPEX_E_PATTERN	unknown type or starts mode, dither not 0/1, and for
 *			DENSE/RANDOM: z != 0, dither, or starts other than ZERO
 *   SPEX_E_DEGREE	d_in == 0 or d_in > p (also p == 0)
 *   SPEX_E_SHAPE	n == 0
 *   SPEX_E_OVERFLOW	n * d_in does not fit in u32
 *   SPEX_E_DEGREE	p does not divide n * d_in (no integer d_out);
 *			DENSE with d_in != p
 *   SPEX_E_PATTERN_Z	clash-free with z == 0 or p % z != 0
 *   SPEX_E_PATTERN_DIN	clash-free with p % d_in != 0
 *   SPEX_E_PATTERN	EXPLICIT starts: fewer than needed, or one >= p / z
 */
int spex_pattern_check(const struct spex_pattern_desc *pd, u32 p, u32 n,
		       u32 d_in)
{
	u32 e, need, pz, i;
	int ok;

	if (pd->type > SPX_PAT_CF3 || pd->starts > SPX_STARTS_EXPLICIT ||
	    pd->dither > 1)
		return SPEX_E_PATTERN;
	if (!is_clash_free(pd->type) &&
	    (pd->z != 0 || pd->dither || pd->starts != SPX_STARTS_ZERO))
		return SPEX_E_PATTERN;
	if (d_in == 0 || d_in > p)
		return SPEX_E_DEGREE;
	if (n == 0)
		return SPEX_E_SHAPE;
	e = n_edges(n, d_in, &ok);
	if (!ok)
		return SPEX_E_OVERFLOW;
	if (e % p != 0)
		return SPEX_E_DEGREE;
	if (pd->type == SPX_PAT_DENSE && d_in != p)
		return SPEX_E_DEGREE;
	if (!is_clash_free(pd->type))
		return SPEX_OK;

	if (pd->z == 0 || p % pd->z != 0)
		return SPEX_E_PATTERN_Z;
	if (p % d_in != 0)
		return SPEX_E_PATTERN_DIN;
	if (pd->starts == SPX_STARTS_EXPLICIT) {
		need = spex_pattern_n_starts(pd, p, n, d_in);
		if (!pd->starts_le || pd->n_starts < need)
			return SPEX_E_PATTERN;
		pz = p / pd->z;
		for (i = 0; i < need; i++)
			if (spex_le32(pd->starts_le + 4 * (size_t)i) >= pz)
				return SPEX_E_PATTERN;
	}
	return SPEX_OK;
}

size_t spex_pattern_work_size(const struct spex_pattern_desc *pd, u32 p,
			      u32 n, u32 d_in)
{
	size_t sz;

	(void)n;
	(void)d_in;
	/* a bitmap of p bits, and its summary (a bit per word) */
	sz = bm_total_words(p) * sizeof(unsigned long);

	/* clash-free: a bank permutation and the starts of one sweep */
	if (is_clash_free(pd->type))
		sz += 2 * (size_t)pd->z * sizeof(u32);
	return sz;
}

/* ------------------------------------------------------------------ */
/* Generation                                                         */
/* ------------------------------------------------------------------ */

#define REPAIR_TRIES	32

/*
 * Steps 1 and 2 of RANDOM (see the top of the file) for degree d, 1 <= d,
 * 2 * d <= p + 1, n * d % p == 0: left[0 .. n * d). bm is clear on entry
 * and on a successful return.
 */
static int random_sweeps(u32 p, u32 n, u32 d, u32 seed, u32 *left,
			 unsigned long *bm)
{
	struct spex_rng rng;
	u32 e = n * d, sweeps = e / p;
	u32 s, b, rs, re, lo, hi, span, i, c, x, y, k;

	spex_rng_seed(&rng, seed, SPEX_RNG_STREAM_EDGES);
	for (s = 0; s < sweeps; s++)
		shuffle_identity(&rng, left + (size_t)s * p, p);

	if (p % d == 0)
		return SPEX_OK;		/* no row straddles a sweep boundary */

	for (s = 1; s < sweeps; s++) {
		b = s * p;
		if (b % d == 0)
			continue;
		rs = b / d * d;
		re = rs + d;
		lo = re;
		hi = (b + p) / d * d;
		span = hi > lo ? hi - lo : 0;

		for (i = rs; i < b; i++)
			bm_set(bm, left[i]);
		for (i = b; i < re; i++) {
			x = left[i];
			if (!bm_test(bm, x)) {
				bm_set(bm, x);
				continue;
			}
			if (unlikely(span == 0))
				return SPEX_E_DUP_EDGE;
			c = lo;
			for (k = 0; k < REPAIR_TRIES; k++) {
				c = lo + spex_rng_below(&rng, span);
				if (!bm_test(bm, left[c]))
					goto found;
			}
			for (k = 0; k < span; k++) {
				if (++c == hi)
					c = lo;
				if (!bm_test(bm, left[c]))
					goto found;
			}
			return SPEX_E_DUP_EDGE;	/* unreachable, see above */
found:
			y = left[c];
			left[c] = x;
			left[i] = y;
			bm_set(bm, y);
		}
		for (i = rs; i < re; i++)
			bm_clear(bm, left[i]);
	}
	return SPEX_OK;
}

static int fill_random(const struct spex_pattern_desc *pd, u32 p, u32 n,
		       u32 d_in, u32 *left, unsigned long *bm)
{
	unsigned long *sum = bm + bm_words(p);
	u32 r, m, x, d, got;
	u32 *row;
	int ret;

	if ((u64)2 * d_in <= (u64)p + 1) {
		ret = random_sweeps(p, n, d_in, pd->seed, left, bm);
		if (ret)
			return ret;
		/* Step 4: sort each row, checking for duplicates. */
		for (r = 0; r < n; r++) {
			row = left + (size_t)r * d_in;
			for (m = 0; m < d_in; m++) {
				x = row[m];
				if (x >= p || bm_test(bm, x))
					return SPEX_E_DUP_EDGE;
				sum_set(bm, sum, x);
			}
			if (sum_drain(bm, sum, p, row, d_in) != d_in)
				return SPEX_E_DUP_EDGE;
			spex_yield();
		}
		return SPEX_OK;
	}

	/* Step 3: the complement, built in place at the front of left. */
	d = p - d_in;
	if (d) {
		ret = random_sweeps(p, n, d, pd->seed, left, bm);
		if (ret)
			return ret;
	}
	/* Expand from the last row down: row r of the output never overlaps
	 * complement rows below r, and complement row r is read first. */
	for (r = n; r-- > 0;) {
		row = left + (size_t)r * d;
		for (m = 0; m < d; m++) {
			x = row[m];
			if (x >= p || bm_test(bm, x))
				return SPEX_E_DUP_EDGE;
			bm_set(bm, x);
		}
		got = bm_drain_clear(bm, p, left + (size_t)r * d_in, d_in);
		if (got != d_in)
			return SPEX_E_DUP_EDGE;
	}
	return SPEX_OK;
}

static void fill_clash_free(const struct spex_pattern_desc *pd, u32 p,
			    u32 d_out, u32 *left, u32 *perm, u32 *st)
{
	struct spex_rng srng, drng;
	u32 z = pd->z, pz = p / z;
	u32 s, b, q, t, base;
	u32 *out;
	int per_sweep = pd->type != SPX_PAT_CF3;

	spex_rng_seed(&srng, pd->seed, SPEX_RNG_STREAM_STARTS);
	spex_rng_seed(&drng, pd->seed, SPEX_RNG_STREAM_DITHER);

	for (b = 0; b < z; b++) {
		perm[b] = b;
		st[b] = 0;
	}
	for (s = 0; s < d_out; s++) {
		/* This sweep's starts. */
		if (pd->starts == SPX_STARTS_SEED) {
			if (pd->type == SPX_PAT_CF1) {
				t = spex_rng_below(&srng, pz);
				for (b = 0; b < z; b++)
					st[b] = t;
			} else if (per_sweep || s == 0) {
				for (b = 0; b < z; b++)
					st[b] = spex_rng_below(&srng, pz);
			}
		} else if (pd->starts == SPX_STARTS_EXPLICIT) {
			base = pd->type == SPX_PAT_CF1 ? s :
			       pd->type == SPX_PAT_CF2 ? s * z : 0;
			for (b = 0; b < z; b++) {
				t = pd->type == SPX_PAT_CF1 ? base : base + b;
				st[b] = spex_le32(pd->starts_le + 4 * (size_t)t);
			}
		}
		/* This sweep's bank permutation. */
		if (pd->dither && (per_sweep || s == 0))
			shuffle_identity(&drng, perm, z);

		out = left + (size_t)s * p;
		for (q = 0; q < pz; q++) {
			for (b = 0; b < z; b++) {
				t = st[b] + q;
				if (t >= pz)
					t -= pz;
				*out++ = t * z + perm[b];
			}
		}
	}
}

int spex_pattern_fill(const struct spex_pattern_desc *pd, u32 p, u32 n,
		      u32 d_in, u32 *left, void *work)
{
	unsigned long *bm = work;
	u32 e, r, m, x, i;
	u32 *row;
	int ret;

	ret = spex_pattern_check(pd, p, n, d_in);
	if (ret)
		return ret;
	memset(work, 0, bm_total_words(p) * sizeof(unsigned long));
	e = n * d_in;

	switch (pd->type) {
	case SPX_PAT_DENSE:
		for (r = 0; r < n; r++)
			for (m = 0; m < p; m++)
				left[(size_t)r * p + m] = m;
		break;
	case SPX_PAT_RANDOM:
		/* Sorted with its duplicate check built in. */
		return fill_random(pd, p, n, d_in, left, bm);
	default: {
		u32 *perm = (u32 *)(bm + bm_total_words(p));

		fill_clash_free(pd, p, e / p, left, perm, perm + pd->z);
		break;
	}
	}

	/* Defence in depth: no row reads a left neuron twice. */
	for (r = 0; r < n; r++) {
		row = left + (size_t)r * d_in;
		for (m = 0; m < d_in; m++) {
			x = row[m];
			if (x >= p || bm_test(bm, x)) {
				for (i = 0; i < m; i++)
					bm_clear(bm, row[i]);
				return SPEX_E_DUP_EDGE;
			}
			bm_set(bm, x);
		}
		for (m = 0; m < d_in; m++)
			bm_clear(bm, row[m]);
		spex_yield();
	}
	return SPEX_OK;
}

/* ------------------------------------------------------------------ */
/* Conv kernel-element masks                                          */
/* ------------------------------------------------------------------ */

int spex_mask_check(u32 mask_type, u32 period, u32 kh, u32 kw)
{
	if (kh == 0 || kw == 0 || kh > SPX_MAX_KERNEL || kw > SPX_MAX_KERNEL)
		return SPEX_E_SHAPE;
	switch (mask_type) {
	case SPX_MASK_FULL:
		return SPEX_OK;
	case SPX_MASK_PERIODIC:
		if (period == 0 || period > 255 || kh < 2 || kw < 2)
			return SPEX_E_PATTERN;
		return SPEX_OK;
	default:
		return SPEX_E_PATTERN;
	}
}

/* The periodic pattern class c = (o + s + 1) % period, without overflow. */
static inline u32 mask_class(u32 period, u32 o, u32 s)
{
	u32 a = o % period, b = s % period;

	/* (a + b + 1) % period with a, b < period */
	if (b >= period - 1 - a)
		return b - (period - 1 - a);
	return a + b + 1;
}

u32 spex_mask_elems(u32 mask_type, u32 period, u32 kh, u32 kw, u32 o, u32 s,
		    u8 *elems)
{
	u32 c, y0, x0, y, x, cnt = 0;

	if (mask_type == SPX_MASK_PERIODIC && period && kh >= 2 && kw >= 2) {
		c = mask_class(period, o, s);
		if (c < 4) {
			y0 = c & 2 ? kh - 2 : 0;
			x0 = c & 1 ? kw - 2 : 0;
			for (y = y0; y < y0 + 2; y++)
				for (x = x0; x < x0 + 2; x++)
					elems[cnt++] = (u8)(y * kw + x);
			return cnt;
		}
	}
	for (y = 0; y < kh; y++)
		for (x = 0; x < kw; x++)
			elems[cnt++] = (u8)(y * kw + x);
	return cnt;
}

u64 spex_mask_count(u32 mask_type, u32 period, u32 kh, u32 kw, u32 out_c,
		    u32 cin_deg)
{
	u64 full = (u64)kh * kw, pairs = (u64)out_c * cin_deg, corner = 0;
	u32 k, o, a, q, rem, end;

	if (mask_type != SPX_MASK_PERIODIC || !period || period > 255 ||
	    kh < 2 || kw < 2)
		return pairs * full;
	k = period < 4 ? period : 4;	/* classes 0 .. k-1 are corners */
	q = cin_deg / period;
	rem = cin_deg % period;
	for (o = 0; o < out_c; o++) {
		/* s = 0 .. cin_deg-1 gives classes a, a+1, ... mod period:
		 * q whole periods, then rem classes from a. */
		a = (o % period + 1) % period;
		corner += (u64)q * k;
		end = a + rem;		/* < 2 * period, no overflow */
		if (end <= period) {
			if (a < k)
				corner += (end < k ? end : k) - a;
		} else {
			if (a < k)
				corner += k - a;
			end -= period;
			corner += end < k ? end : k;
		}
	}
	return corner * 4 + (pairs - corner) * full;
}
