// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * FC, int8, AVX-512 VNNI (userspace only): spex_kernels.fc_i8 with
 * vpdpbusd, 64 edges per instruction. The staged s16 input is turned into
 * u8 (u = xs + in_zp + 128) on the stack once per call and each row's
 * sum is corrected by (in_zp + 128) times its weight sum
 * (kern_avx512.h), which is exact mod 2^32: bit-exact with
 * kern_fc_i8_scalar.c. Eight WINDOW/BANKED rows run in lockstep as in the
 * AVX2 kernel; run tails are masked byte loads. GATHER layers, inputs
 * longer than SPEX_VNNI_STAGE_MAX and a zero point outside the s8 range
 * run the AVX-512BW kernel instead, and so do runs shorter than
 * SPEX_VNNI_MIN_RUN: a 64-byte vector mostly masked off, plus the u8
 * staging, lose to narrower vectors there (Documentation/performance.rst).
 */
#include "kern_avx512.h"
#include "kern_impl.h"

#ifdef SPEX_HAVE_AVX512
#define SPEX_VNNI_MIN_RUN	48

/* Eight rows r .. r + 7 in lockstep; lane j: row r + j's raw sum. */
static v8si fc8_vnni(const struct spex_fc *fc, const u8 *u, u32 r, s32 c)
{
	u32 nseg = fc->nseg, len = fc->seglen, d = fc->d_in, s, i;
	const s8 *w = fc->w8 + (size_t)r * d;
	const u32 *seg = fc->seg + (size_t)r * nseg;
	const __m512i ones = _mm512_set1_epi8(1), vc = _mm512_set1_epi32(c);
	const __m512i z = _mm512_setzero_si512();
#define DECL(j)	__m512i a##j = z, s##j = z;
	ROWS8(DECL)
#undef DECL

	for (s = 0; s < nseg; s++, w += len) {
#define XP(j)	const u8 *x##j = u + seg[j * nseg + s];
		ROWS8(XP)
#undef XP
		for (i = 0; i < len; i += 64) {
			__mmask64 m = mask64(len - i);
#define ROW(j)								\
			{						\
				__m512i wv = _mm512_maskz_loadu_epi8(m,	\
					w + j * (size_t)d + i);		\
				a##j = _mm512_dpbusd_epi32(a##j,	\
					_mm512_maskz_loadu_epi8(m, x##j + i), wv); \
				s##j = _mm512_dpbusd_epi32(s##j, ones, wv); \
			}
			ROWS8(ROW)
#undef ROW
		}
	}
#define FIX(j)	a##j = _mm512_sub_epi32(a##j, _mm512_mullo_epi32(s##j, vc));
	ROWS8(FIX)
#undef FIX
	return hsum8_i512(a0, a1, a2, a3, a4, a5, a6, a7);
}

static u32 fc1_vnni(const struct spex_fc *fc, const u8 *u, u32 r, s32 c)
{
	u32 nseg = fc->nseg, len = fc->seglen, s, i;
	const s8 *w = fc->w8 + (size_t)r * fc->d_in;
	const u32 *seg = fc->seg + (size_t)r * nseg;
	const __m512i ones = _mm512_set1_epi8(1);
	__m512i a = _mm512_setzero_si512(), sw = a;

	for (s = 0; s < nseg; s++, w += len) {
		const u8 *x = u + seg[s];

		for (i = 0; i < len; i += 64) {
			__mmask64 m = mask64(len - i);
			__m512i wv = _mm512_maskz_loadu_epi8(m, w + i);

			a = _mm512_dpbusd_epi32(a,
				_mm512_maskz_loadu_epi8(m, x + i), wv);
			sw = _mm512_dpbusd_epi32(sw, ones, wv);
		}
	}
	a = _mm512_sub_epi32(a, _mm512_mullo_epi32(sw, _mm512_set1_epi32(c)));
	return (u32)_mm512_reduce_add_epi32(a);
}

void spex_fc_i8_avx512vnni(const struct spex_fc *fc, const s16 *xs, s8 *y,
			   u32 o0, u32 o1)
{
	s32 lo = fc->relu ? fc->out_zp : -128, c = fc->in_zp + 128;
	u8 u[SPEX_VNNI_STAGE_MAX] __attribute__((aligned(64)));
	u32 r = o0;

	if (fc->layout == SPEX_FC_GATHER || fc->xs_len > sizeof(u) ||
	    fc->seglen < SPEX_VNNI_MIN_RUN || c < 0 || c > 255) {
		spex_fc_i8_avx512(fc, xs, y, o0, o1);
		return;
	}
	xs_to_u8(xs, u, fc->xs_len, c);
	for (; r + 8 <= o1; r += 8)
		out8_i8(fc, y, r, fc8_vnni(fc, u, r, c), lo);
	for (; r < o1; r++)
		out_i8(fc, y, r, fc1_vnni(fc, u, r, c), lo);
}
#endif /* SPEX_HAVE_AVX512 */
