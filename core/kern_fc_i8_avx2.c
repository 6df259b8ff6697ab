// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * FC, int8, AVX2: spex_kernels.fc_i8 (one input, rows [o0, o1)).
 *
 * WINDOW and BANKED rows are a few contiguous runs of the staged input,
 * so each 16 edges cost one unaligned load of inputs, one of weights and
 * one pmaddwd. Eight rows run in lockstep (same run lengths): eight
 * independent accumulators, one horizontal reduction into one vector of
 * eight row sums, then bias and the vectorized, exact requantization on
 * the whole vector. Run tails are masked (over-reading into
 * SPEX_FC_XS_PAD / the weights' SPEX_FC_W_PAD, the extra lanes multiplied
 * by zero). GATHER rows pay one load per edge whatever we do: 8 scalar
 * loads assembled into a vector beat vpgatherdd by ~1.5x (AMD EPYC Zen 3;
 * Documentation/performance.rst).
 *
 * Bit-exact with kern_fc_i8_scalar.c: s32 products are exact and sums
 * wrap mod 2^32 in both; requantization is spex_requant_out()'s.
 */
#include "kern_avx2.h"
#include "kern_impl.h"

#ifdef SPEX_HAVE_AVX2
/* Eight rows r .. r + 7 in lockstep; lane j: row r + j's sum. */
static v8si fc8_runs_i8(const struct spex_fc *fc, const s16 *xs, u32 r)
{
	u32 nseg = fc->nseg, len = fc->seglen, d = fc->d_in, s, i;
	const s8 *w = fc->w8 + (size_t)r * d;
	const u32 *seg = fc->seg + (size_t)r * nseg;
#define DECL(j)	v8su a##j = {};
	ROWS8(DECL)
#undef DECL

	if (nseg == 1 && seg[0] == seg[1] && seg[0] == seg[2] &&
	    seg[0] == seg[3] && seg[0] == seg[4] && seg[0] == seg[5] &&
	    seg[0] == seg[6] && seg[0] == seg[7]) {
		/* Dense-like: the eight rows read the same inputs. */
		const s16 *x = xs + seg[0];

		for (i = 0; i + 16 <= len; i += 16) {
			v16hi xv = ld_hi(x + i);
#define ROW(j)	a##j += madd(xv, ld_w8(w + j * (size_t)d + i));
			ROWS8(ROW)
#undef ROW
		}
		if (i < len) {
			v16hi xv = ld_hi(x + i) & tail_mask16(len - i);
#define ROW(j)	a##j += madd(xv, ld_w8(w + j * (size_t)d + i));
			ROWS8(ROW)
#undef ROW
		}
		return hsum8_i(a0, a1, a2, a3, a4, a5, a6, a7);
	}
	for (s = 0; s < nseg; s++, w += len) {
#define XP(j)	const s16 *x##j = xs + seg[j * nseg + s];
		ROWS8(XP)
#undef XP
		for (i = 0; i + 16 <= len; i += 16) {
#define ROW(j)	a##j += madd(ld_hi(x##j + i), ld_w8(w + j * (size_t)d + i));
			ROWS8(ROW)
#undef ROW
		}
		if (i < len) {
			v16hi m = tail_mask16(len - i);
#define ROW(j)	a##j += madd(ld_hi(x##j + i) & m, ld_w8(w + j * (size_t)d + i));
			ROWS8(ROW)
#undef ROW
		}
	}
	return hsum8_i(a0, a1, a2, a3, a4, a5, a6, a7);
}

static u32 fc1_runs_i8(const struct spex_fc *fc, const s16 *xs, u32 r)
{
	u32 nseg = fc->nseg, len = fc->seglen, s, i;
	const s8 *w = fc->w8 + (size_t)r * fc->d_in;
	const u32 *seg = fc->seg + (size_t)r * nseg;
	v8su a = {}, b = {};

	for (s = 0; s < nseg; s++) {
		const s16 *x = xs + seg[s];

		for (i = 0; i + 32 <= len; i += 32) {
			a += madd(ld_hi(x + i), ld_w8(w + i));
			b += madd(ld_hi(x + i + 16), ld_w8(w + i + 16));
		}
		for (; i + 16 <= len; i += 16)
			a += madd(ld_hi(x + i), ld_w8(w + i));
		if (i < len)
			b += madd(ld_hi(x + i) & tail_mask16(len - i),
				  ld_w8(w + i));
		w += len;
	}
	return hsum1_i(a + b);
}


/*
 * GATHER: 8 scalar loads (sign-extending) assembled into a vector, times
 * the sign-extended weights (vpmulld): measured faster here than both
 * vpgatherdd and a plain scalar loop.
 */
static u32 fc1_gather_i8(const struct spex_fc *fc, const s16 *xs, u32 r)
{
	u32 d = fc->d_in, e;
	const s8 *w = fc->w8 + (size_t)r * d;
	const u32 *idx = fc->idx + (size_t)r * d;
	v8su a = {}, b = {};
	u32 acc = 0;

	for (e = 0; e + 16 <= d; e += 16) {
		const u32 *ix = idx + e;
		v8si x0 = { xs[ix[0]], xs[ix[1]], xs[ix[2]], xs[ix[3]],
			    xs[ix[4]], xs[ix[5]], xs[ix[6]], xs[ix[7]] };
		v8si x1 = { xs[ix[8]], xs[ix[9]], xs[ix[10]], xs[ix[11]],
			    xs[ix[12]], xs[ix[13]], xs[ix[14]], xs[ix[15]] };
		v8si w0 = ld_w8x8(w + e);
		v8si w1 = ld_w8x8(w + e + 8);

		a += (v8su)x0 * (v8su)w0;
		b += (v8su)x1 * (v8su)w1;
	}
	for (; e < d; e++)
		acc += (u32)(w[e] * xs[idx[e]]);
	return hsum1_i(a + b) + acc;
}

void spex_fc_i8_avx2(const struct spex_fc *fc, const s16 *xs, s8 *y,
		     u32 o0, u32 o1)
{
	s32 lo = fc->relu ? fc->out_zp : -128;
	u32 r = o0, sums[8], j;

	if (fc->layout == SPEX_FC_GATHER) {
		for (; r + 8 <= o1; r += 8) {
			for (j = 0; j < 8; j++)
				sums[j] = fc1_gather_i8(fc, xs, r + j);
			out8_i8(fc, y, r, *(const v8si_u *)sums, lo);
		}
		for (; r < o1; r++)
			out_i8(fc, y, r, fc1_gather_i8(fc, xs, r), lo);
		return;
	}
	for (; r + 8 <= o1; r += 8)
		out8_i8(fc, y, r, fc8_runs_i8(fc, xs, r), lo);
	for (; r < o1; r++)
		out_i8(fc, y, r, fc1_runs_i8(fc, xs, r), lo);
}

#endif /* SPEX_HAVE_AVX2 */
