/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * The helpers every core/kern_*_avx512*.c and *_avxvnni.c kernel shares:
 * 8-row reductions of 512-bit accumulators, the input conversion for
 * vpdpbusd and the int8 output step. These files are userspace only
 * (SPEX_HAVE_AVX512: never in spex.ko, whose tests run under QEMU TCG,
 * which has no AVX-512 or AVX-VNNI), so unlike kern_avx2.h they may use
 * <immintrin.h>. Built with core.mk's AVX512_CFLAGS / AVXVNNI_CFLAGS.
 */
#ifndef SPEX_KERN_AVX512_H
#define SPEX_KERN_AVX512_H

#include <immintrin.h>
#include "kern_avx2.h"

#ifdef __AVX512F__
/* Lane j of the result: the sum of a_j's 16 lanes. */
static ALWAYS_INLINE v8si hsum8_i512(__m512i a0, __m512i a1, __m512i a2,
				     __m512i a3, __m512i a4, __m512i a5,
				     __m512i a6, __m512i a7)
{
#define H(j) ((v8su)_mm512_castsi512_si256(a##j) + \
	      (v8su)_mm512_extracti64x4_epi64(a##j, 1))
	return hsum8_i(H(0), H(1), H(2), H(3), H(4), H(5), H(6), H(7));
#undef H
}

#if SPEX_CORE_FLOAT
static ALWAYS_INLINE v8sf hsum8_f512(__m512 a0, __m512 a1, __m512 a2,
				     __m512 a3, __m512 a4, __m512 a5,
				     __m512 a6, __m512 a7)
{
#define H(j) ((v8sf)_mm512_castps512_ps256(a##j) + \
	      (v8sf)_mm512_extractf32x8_ps(a##j, 1))
	return hsum8_f(H(0), H(1), H(2), H(3), H(4), H(5), H(6), H(7));
#undef H
}
#endif

/* The first n (0..16) lanes of a 16-lane op; (0..32) of a 32-lane one. */
static ALWAYS_INLINE __mmask16 mask16(u32 n)
{
	return (__mmask16)((1u << n) - 1);
}

static ALWAYS_INLINE __mmask32 mask32(u32 n)
{
	return (__mmask32)(n >= 32 ? ~0u : (1u << n) - 1);
}

static ALWAYS_INLINE __mmask64 mask64(u32 n)
{
	return n >= 64 ? ~0ull : (1ull << n) - 1;
}
#endif /* __AVX512F__ */

/*
 * vpdpbusd multiplies u8 by s8, and the staged input is s16 xs = x - zp.
 * With u = x + 128 = xs + c, c = zp + 128 (u and c in [0, 255]):
 *   sum w * xs = sum w * u - c * sum w     (mod 2^32, so exactly)
 * so a VNNI kernel stages u (one byte per input) and subtracts c times
 * the row's weight sum (a second vpdpbusd, against all-ones bytes).
 * The u8 copy lives on the stack; a larger input runs the kernel's
 * non-VNNI sibling instead.
 */
#define SPEX_VNNI_STAGE_MAX	16384

/* u[i] = xs[i] + c for i < n (n a multiple of 16: xs_len is padded). */
static ALWAYS_INLINE void xs_to_u8(const s16 *xs, u8 *u, u32 n, s32 c)
{
	__m256i vc = _mm256_set1_epi16((short)c);
	u32 i;

	for (i = 0; i + 32 <= n; i += 32) {
		__m256i a = _mm256_add_epi16(_mm256_loadu_si256((const void *)(xs + i)), vc);
		__m256i b = _mm256_add_epi16(_mm256_loadu_si256((const void *)(xs + i + 16)), vc);
		__m256i p = _mm256_packus_epi16(a, b);

		_mm256_storeu_si256((void *)(u + i),
				    _mm256_permute4x64_epi64(p, 0xd8));
	}
	for (; i < n; i++)
		u[i] = (u8)(xs[i] + c);
}

/* Row r's int8 output from its raw sum (bias, requantize). */
static ALWAYS_INLINE void out1_i8(const struct spex_fc *fc, s8 *y, u32 r,
				  u32 sum, s32 lo)
{
	u32 acc = sum + (fc->bias ? (u32)fc->bias[r] : 0);

	y[r] = spex_requant_out((s32)acc, fc->mult[r], fc->shift[r],
				fc->out_zp, lo);
}

/* Rows r .. r + 7 from their raw sums: bias, requantize, store. */
static ALWAYS_INLINE void out8v_i8(const struct spex_fc *fc, s8 *y, u32 r,
				   v8si acc, s32 lo)
{
	if (fc->bias)
		acc += *(const v8si_u *)(fc->bias + r);
	store8_s8(y + r, requant8(acc, *(const v8si_u *)(fc->mult + r),
				  *(const v8si_u *)(fc->shift + r),
				  fc->out_zp, lo));
}

#endif /* SPEX_KERN_AVX512_H */
