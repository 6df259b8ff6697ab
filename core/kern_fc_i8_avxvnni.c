// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * FC, int8, AVX-VNNI (userspace only): spex_kernels.fc_i8 with the VEX
 * form of vpdpbusd on 256-bit vectors, 32 edges per instruction, for CPUs
 * with AVX-VNNI but no AVX-512 (and for testing it where both exist).
 * The same u8 staging and weight-sum correction as the AVX-512 VNNI
 * kernel (kern_avx512.h); run tails zero the weights with a byte mask
 * (the over-read input bytes then count for nothing). Bit-exact with
 * kern_fc_i8_scalar.c. GATHER layers, long inputs and out-of-range zero
 * points run the AVX2 kernel.
 */
#include "kern_avx512.h"
#include "kern_impl.h"

#ifdef SPEX_HAVE_AVX512
/* The first n (0..32) bytes all-ones. */
static ALWAYS_INLINE __m256i bmask(u32 n)
{
	static const u8 m[64] __attribute__((aligned(64))) = {
		255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
		255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
		255, 255, 255, 255, 255, 255, 255, 255,
	};

	return _mm256_loadu_si256((const void *)(m + 32 - n));
}

/* Eight rows r .. r + 7 in lockstep; lane j: row r + j's raw sum. */
static v8si fc8_vnni(const struct spex_fc *fc, const u8 *u, u32 r, s32 c)
{
	u32 nseg = fc->nseg, len = fc->seglen, d = fc->d_in, s, i;
	const s8 *w = fc->w8 + (size_t)r * d;
	const u32 *seg = fc->seg + (size_t)r * nseg;
	const __m256i ones = _mm256_set1_epi8(1), vc = _mm256_set1_epi32(c);
	const __m256i z = _mm256_setzero_si256();
#define DECL(j)	__m256i a##j = z, s##j = z;
	ROWS8(DECL)
#undef DECL

	for (s = 0; s < nseg; s++, w += len) {
#define XP(j)	const u8 *x##j = u + seg[j * nseg + s];
		ROWS8(XP)
#undef XP
		for (i = 0; i < len; i += 32) {
			__m256i m = bmask(len - i < 32 ? len - i : 32);
#define ROW(j)								\
			{						\
				__m256i wv = _mm256_and_si256(m,	\
					_mm256_loadu_si256((const void *)(w + j * (size_t)d + i))); \
				a##j = _mm256_dpbusd_avx_epi32(a##j,	\
					_mm256_loadu_si256((const void *)(x##j + i)), wv); \
				s##j = _mm256_dpbusd_avx_epi32(s##j, ones, wv); \
			}
			ROWS8(ROW)
#undef ROW
		}
	}
#define FIX(j)	a##j = _mm256_sub_epi32(a##j, _mm256_mullo_epi32(s##j, vc));
	ROWS8(FIX)
#undef FIX
	return hsum8_i((v8su)a0, (v8su)a1, (v8su)a2, (v8su)a3, (v8su)a4,
		       (v8su)a5, (v8su)a6, (v8su)a7);
}

static u32 fc1_vnni(const struct spex_fc *fc, const u8 *u, u32 r, s32 c)
{
	u32 nseg = fc->nseg, len = fc->seglen, s, i;
	const s8 *w = fc->w8 + (size_t)r * fc->d_in;
	const u32 *seg = fc->seg + (size_t)r * nseg;
	const __m256i ones = _mm256_set1_epi8(1);
	__m256i a = _mm256_setzero_si256(), sw = a;

	for (s = 0; s < nseg; s++, w += len) {
		const u8 *x = u + seg[s];

		for (i = 0; i < len; i += 32) {
			__m256i wv = _mm256_and_si256(
				bmask(len - i < 32 ? len - i : 32),
				_mm256_loadu_si256((const void *)(w + i)));

			a = _mm256_dpbusd_avx_epi32(a,
				_mm256_loadu_si256((const void *)(x + i)), wv);
			sw = _mm256_dpbusd_avx_epi32(sw, ones, wv);
		}
	}
	a = _mm256_sub_epi32(a, _mm256_mullo_epi32(sw, _mm256_set1_epi32(c)));
	return hsum1_i((v8su)a);
}

void spex_fc_i8_avxvnni(const struct spex_fc *fc, const s16 *xs, s8 *y,
			u32 o0, u32 o1)
{
	s32 lo = fc->relu ? fc->out_zp : -128, c = fc->in_zp + 128;
	/* + 32: full-vector loads past a run's end stay in the buffer */
	u8 u[SPEX_VNNI_STAGE_MAX + 32] __attribute__((aligned(64)));
	u32 r = o0;

	if (fc->layout == SPEX_FC_GATHER ||
	    fc->xs_len > SPEX_VNNI_STAGE_MAX || c < 0 || c > 255) {
		spex_fc_i8_avx2(fc, xs, y, o0, o1);
		return;
	}
	xs_to_u8(xs, u, fc->xs_len, c);
	memset(u + fc->xs_len, 0, 32);
	for (; r + 8 <= o1; r += 8)
		out8_i8(fc, y, r, fc8_vnni(fc, u, r, c), lo);
	for (; r < o1; r++)
		out_i8(fc, y, r, fc1_vnni(fc, u, r, c), lo);
}
#endif /* SPEX_HAVE_AVX512 */
