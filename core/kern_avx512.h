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

/*
 * Row blocking for the batched kernels: four rows at a time, rows with
 * the same run starts together, so that they share every input load.
 * The first row's nearest twin (within SPEX_GROUP_AHEAD) gives a period
 * P; a block is r, then r + P, r + 2P, ... that really have r's runs,
 * filled up with the next rows not yet done. In passes of
 * SPEX_GROUP_ROWS rows (a bitmap on the stack).
 */
#define SPEX_GROUP_ROWS		1024
#define SPEX_GROUP_AHEAD	64

static ALWAYS_INLINE int same_runs(const struct spex_fc *fc, u32 ra, u32 rb)
{
	const u32 *a = fc->seg + (size_t)ra * fc->nseg;
	const u32 *b = fc->seg + (size_t)rb * fc->nseg;
	u32 s;

	for (s = 0; s < fc->nseg; s++)
		if (a[s] != b[s])
			return 0;
	return 1;
}

static ALWAYS_INLINE int all_same_runs(const struct spex_fc *fc,
				       const u32 *r)
{
	return same_runs(fc, r[0], r[1]) && same_runs(fc, r[0], r[2]) &&
	       same_runs(fc, r[0], r[3]);
}

static inline u32 group_period(const struct spex_fc *fc, u32 o0, u32 o1)
{
	u32 q;

	if (fc->layout == SPEX_FC_GATHER)
		return 0;
	for (q = o0 + 1; q < o1 && q <= o0 + SPEX_GROUP_AHEAD; q++)
		if (same_runs(fc, o0, q))
			return q - o0;
	return 0;
}

#define GROUP_BIT(d, g, q)	((d)[((q) - (g)) / 64] >> (((q) - (g)) % 64) & 1)
#define GROUP_SET(d, g, q)	((d)[((q) - (g)) / 64] |= 1ull << (((q) - (g)) % 64))

/*
 * The block that starts at row r of the pass [g, e) into rr[0..3]
 * (repeats of r fill a short block); 0 if r is already done.
 */
static inline int group_block(const struct spex_fc *fc, u64 *done, u32 g,
			      u32 e, u32 r, u32 period, u32 *rr)
{
	u32 q, n = 1;

	if (GROUP_BIT(done, g, r))
		return 0;
	GROUP_SET(done, g, r);
	rr[0] = r;
	for (q = r + period; period && q < e && n < 4; q += period)
		if (!GROUP_BIT(done, g, q) && same_runs(fc, r, q)) {
			GROUP_SET(done, g, q);
			rr[n++] = q;
		}
	for (q = r + 1; q < e && n < 4; q++)
		if (!GROUP_BIT(done, g, q)) {
			GROUP_SET(done, g, q);
			rr[n++] = q;
		}
	for (; n < 4; n++)
		rr[n] = r;
	return 1;
}

/* for each block rr of rows [o0, o1): BODY */
#define FOR_EACH_ROW_BLOCK(fc, o0, o1, rr, BODY)			\
	do {								\
		u64 _done[SPEX_GROUP_ROWS / 64];			\
		u32 _p = group_period(fc, o0, o1), _g, _r;		\
		for (_g = (o0); _g < (o1); _g += SPEX_GROUP_ROWS) {	\
			u32 _e = (o1) - _g < SPEX_GROUP_ROWS ? (o1) :	\
				 _g + SPEX_GROUP_ROWS;			\
			memset(_done, 0, sizeof(_done));		\
			for (_r = _g; _r < _e; _r++)			\
				if (group_block(fc, _done, _g, _e, _r, _p, rr)) \
					BODY;				\
		}							\
	} while (0)

/*
 * One row's outputs for 32 batch items, from its raw sums in item order
 * (items 0..15 in lo16, 16..31 in hi16), with bias already adjusted by
 * the caller: requantize and store the items m selects (the batched
 * int8 kernels).
 */
static ALWAYS_INLINE void out32_i8(const struct spex_fc *fc, s8 *y, u32 r,
				   __m512i lo16, __m512i hi16, s32 bias,
				   __mmask32 m, s32 lo)
{
	v8si vb = (v8si){} + bias;
	v8si vm = (v8si){} + fc->mult[r], vs = (v8si){} + fc->shift[r];
	v8si q[4] = {
		(v8si)_mm512_castsi512_si256(lo16),
		(v8si)_mm512_extracti64x4_epi64(lo16, 1),
		(v8si)_mm512_castsi512_si256(hi16),
		(v8si)_mm512_extracti64x4_epi64(hi16, 1),
	};
	s8 out[32];
	u32 k;

	for (k = 0; k < 4; k++)
		store8_s8(out + 8 * k, requant8((v8si)((v8su)q[k] + (v8su)vb),
						vm, vs, fc->out_zp, lo));
	_mm256_mask_storeu_epi8(y, m, _mm256_loadu_si256((const void *)out));
}

#endif /* SPEX_KERN_AVX512_H */
