// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * FC, int8, AVX-512BW (userspace only): spex_kernels.fc_i8 with 512-bit
 * vpmaddwd, 32 edges per instruction: the AVX2 kernel's scheme (eight
 * WINDOW/BANKED rows in lockstep, one reduction, vectorized exact
 * requantization) at twice the width, with masked loads for run tails.
 * GATHER rows use vpgatherdd on the s16 input (dword at 2 * idx, low half
 * sign-extended), 16 edges per gather. Runs of 16 or fewer run the AVX2
 * kernel: one 16-lane vpmaddwd fits them exactly, and half of every
 * 32-lane one would be masked off.
 *
 * Bit-exact with kern_fc_i8_scalar.c: s32 products are exact and sums
 * wrap mod 2^32 in both; requantization is spex_requant_out()'s.
 */
#include "kern_avx512.h"
#include "kern_impl.h"

#ifdef SPEX_HAVE_AVX512
static ALWAYS_INLINE __m512i ld_w32(const s8 *p, __mmask32 m)
{
	return _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, p));
}

/* Eight rows r .. r + 7 in lockstep; lane j: row r + j's sum. */
static v8si fc8_runs_i8(const struct spex_fc *fc, const s16 *xs, u32 r)
{
	u32 nseg = fc->nseg, len = fc->seglen, d = fc->d_in, s, i;
	const s8 *w = fc->w8 + (size_t)r * d;
	const u32 *seg = fc->seg + (size_t)r * nseg;
	const __m512i z = _mm512_setzero_si512();
#define DECL(j)	__m512i a##j = z;
	ROWS8(DECL)
#undef DECL

	for (s = 0; s < nseg; s++, w += len) {
#define XP(j)	const s16 *x##j = xs + seg[j * nseg + s];
		ROWS8(XP)
#undef XP
		for (i = 0; i < len; i += 32) {
			__mmask32 m = mask32(len - i);
#define ROW(j)	a##j = _mm512_add_epi32(a##j, _mm512_madd_epi16(	\
			_mm512_maskz_loadu_epi16(m, x##j + i),		\
			ld_w32(w + j * (size_t)d + i, m)));
			ROWS8(ROW)
#undef ROW
		}
	}
	return hsum8_i512(a0, a1, a2, a3, a4, a5, a6, a7);
}

static u32 fc1_runs_i8(const struct spex_fc *fc, const s16 *xs, u32 r)
{
	u32 nseg = fc->nseg, len = fc->seglen, s, i;
	const s8 *w = fc->w8 + (size_t)r * fc->d_in;
	const u32 *seg = fc->seg + (size_t)r * nseg;
	__m512i a = _mm512_setzero_si512();

	for (s = 0; s < nseg; s++, w += len) {
		const s16 *x = xs + seg[s];

		for (i = 0; i < len; i += 32) {
			__mmask32 m = mask32(len - i);

			a = _mm512_add_epi32(a, _mm512_madd_epi16(
				_mm512_maskz_loadu_epi16(m, x + i),
				ld_w32(w + i, m)));
		}
	}
	return (u32)_mm512_reduce_add_epi32(a);
}

/* GATHER: 16 inputs per vpgatherdd, times the weights (vpmulld). */
static u32 fc1_gather_i8(const struct spex_fc *fc, const s16 *xs, u32 r)
{
	u32 d = fc->d_in, e;
	const s8 *w = fc->w8 + (size_t)r * d;
	const u32 *idx = fc->idx + (size_t)r * d;
	__m512i a = _mm512_setzero_si512();

	for (e = 0; e < d; e += 16) {
		__mmask16 m = mask16(d - e < 16 ? d - e : 16);
		__m512i ix = _mm512_maskz_loadu_epi32(m, idx + e);
		__m512i xv = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(),
							 m, ix, xs, 2);
		__m512i wv = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, w + e));

		xv = _mm512_srai_epi32(_mm512_slli_epi32(xv, 16), 16);
		a = _mm512_add_epi32(a, _mm512_mullo_epi32(xv, wv));
	}
	return (u32)_mm512_reduce_add_epi32(a);
}

void spex_fc_i8_avx512(const struct spex_fc *fc, const s16 *xs, s8 *y,
		       u32 o0, u32 o1)
{
	s32 lo = fc->relu ? fc->out_zp : -128;
	u32 r = o0, sums[8], j;

	if (fc->layout != SPEX_FC_GATHER && fc->seglen <= 16) {
		spex_fc_i8_avx2(fc, xs, y, o0, o1);
		return;
	}
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
#endif /* SPEX_HAVE_AVX512 */
