// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Batched FC (SpMM), int8, AVX-512 VNNI (userspace only):
 * spex_kernels.fc_i8_batch with vpdpbusd, 64 MACs per instruction.
 *
 * vpdpbusd sums four u8 x s8 products per s32 lane, so each lane must see
 * four consecutive inputs of one batch item. Once per block of 32 items
 * the staged input is re-laid as quads: Q[f] holds, for every item b,
 * the bytes u(f..f+3, b), u = xs + in_zp + 128 (kern_avx512.h), in 128
 * bytes (two zmm). A WINDOW/BANKED row then reads, for every four edges
 * of a run starting at f, the two vectors Q[f + i] against one broadcast
 * quad of its weights: each weight load serves 32 items, and four rows
 * are register-blocked (eight accumulators), rows with the same run
 * starts together so that they share the quad loads (kern_avx512.h). Each row subtracts
 * (in_zp + 128) times its weight sum, which is exact mod 2^32:
 * bit-exact with kern_fc_i8_batch_scalar.c.
 *
 * The quads take 160 bytes per staged input, too much for the stack, so
 * they are malloc'ed per call (userspace only); GATHER layers, a failed
 * allocation and out-of-range zero points run the AVX-512BW kernel.
 */
#include <stdlib.h>
#include "kern_avx512.h"
#include "kern_impl.h"

#ifdef SPEX_HAVE_AVX512
#define QB		32	/* batch items per quad block */
#define ROWS4(X)	X(0) X(1) X(2) X(3)

/* U: xs_len + 3 rows of QB bytes (3 zero rows); Q: xs_len quads rows. */
static void stage_quads(const struct spex_fc *fc, const s16 *xs, size_t B,
			u32 b0, u32 n, s32 c, u8 *U, u8 *Q)
{
	const __mmask32 m = mask32(n);
	const __m512i vc = _mm512_set1_epi16((short)c);
	u32 f, h, L = fc->xs_len;

	for (f = 0; f < L; f++) {
		__m512i v = _mm512_maskz_loadu_epi16(m, xs + f * B + b0);

		_mm256_storeu_si256((void *)(U + (size_t)f * QB),
				    _mm512_cvtepi16_epi8(_mm512_add_epi16(v, vc)));
	}
	memset(U + (size_t)L * QB, 0, 3 * QB);
	for (f = 0; f < L; f++)
		for (h = 0; h < 2; h++) {
			const u8 *u = U + (size_t)f * QB + 16 * h;
			__m128i r0 = _mm_loadu_si128((const void *)u);
			__m128i r1 = _mm_loadu_si128((const void *)(u + QB));
			__m128i r2 = _mm_loadu_si128((const void *)(u + 2 * QB));
			__m128i r3 = _mm_loadu_si128((const void *)(u + 3 * QB));
			__m128i al = _mm_unpacklo_epi8(r0, r1);
			__m128i ah = _mm_unpackhi_epi8(r0, r1);
			__m128i cl = _mm_unpacklo_epi8(r2, r3);
			__m128i ch = _mm_unpackhi_epi8(r2, r3);
			u8 *q = Q + (size_t)f * 4 * QB + 64 * h;

			_mm_storeu_si128((void *)q, _mm_unpacklo_epi16(al, cl));
			_mm_storeu_si128((void *)(q + 16),
					 _mm_unpackhi_epi16(al, cl));
			_mm_storeu_si128((void *)(q + 32),
					 _mm_unpacklo_epi16(ah, ch));
			_mm_storeu_si128((void *)(q + 48),
					 _mm_unpackhi_epi16(ah, ch));
		}
}

/* The row's weight sum, mod 2^32 as every sum here. */
static s32 wsum(const s8 *w, u32 d)
{
	const __m512i ones = _mm512_set1_epi8(1);
	__m512i a = _mm512_setzero_si512();
	u32 i;

	for (i = 0; i < d; i += 64)
		a = _mm512_dpbusd_epi32(a, ones,
			_mm512_maskz_loadu_epi8(mask64(d - i), w + i));
	return _mm512_reduce_add_epi32(a);
}

/* Four weights from w (the first n of them, n 1..4) as a broadcast. */
static ALWAYS_INLINE __m512i wquad(const s8 *w, u32 n)
{
	u32 q;

	memcpy(&q, w, 4);	/* over-reads into SPEX_FC_W_PAD at most */
	if (n < 4)
		q &= (1u << (8 * n)) - 1;
	return _mm512_set1_epi32((s32)q);
}

/* 32 items of row r from the two sum vectors: correct, requantize, store. */
static ALWAYS_INLINE void out32(const struct spex_fc *fc, s8 *y, u32 r,
				__m512i lo16, __m512i hi16, s32 corr,
				__mmask32 m, s32 lo)
{
	out32_i8(fc, y, r, lo16, hi16,
		 (s32)((u32)(fc->bias ? fc->bias[r] : 0) - (u32)corr), m, lo);
}

/* Rows r[0..3] (repeats allowed), one quad block at items b. */
static void fcq_4x32(const struct spex_fc *fc, const u8 *Q, s8 *y, size_t B,
		     const u32 *r, u32 b, __mmask32 m, s32 c, s32 lo)
{
	u32 d = fc->d_in, nseg = fc->nseg, len = fc->seglen, s, i;
	const __m512i z = _mm512_setzero_si512();
#define DECL(j)	const s8 *w##j = fc->w8 + (size_t)r[j] * d;		\
		__m512i a##j = z, h##j = z;
	ROWS4(DECL)
#undef DECL

	if (all_same_runs(fc, r)) {
		/* one quad load serves the four rows */
		for (s = 0; s < nseg; s++) {
			const u8 *qs = Q + (size_t)fc->seg[(size_t)r[0] * nseg + s] *
				       4 * QB;

			for (i = 0; i < len; i += 4) {
				u32 n = len - i < 4 ? len - i : 4;
				__m512i x0 = _mm512_loadu_si512(qs + (size_t)i * 4 * QB);
				__m512i x1 = _mm512_loadu_si512(qs + (size_t)i * 4 * QB + 64);
#define ROW(j)	{							\
		__m512i wv = wquad(w##j + i, n);			\
		a##j = _mm512_dpbusd_epi32(a##j, x0, wv);		\
		h##j = _mm512_dpbusd_epi32(h##j, x1, wv);		\
	}
				ROWS4(ROW)
#undef ROW
			}
#define ADV(j)	w##j += len;
			ROWS4(ADV)
#undef ADV
		}
		goto out;
	}
	for (s = 0; s < nseg; s++) {
#define QP(j)	const u8 *q##j = Q + (size_t)fc->seg[(size_t)r[j] * nseg + s] * 4 * QB;
		ROWS4(QP)
#undef QP
		for (i = 0; i < len; i += 4) {
			u32 n = len - i < 4 ? len - i : 4;
#define ROW(j)	{							\
		__m512i wv = wquad(w##j + i, n);			\
		const u8 *qq = q##j + (size_t)i * 4 * QB;		\
		a##j = _mm512_dpbusd_epi32(a##j, _mm512_loadu_si512(qq), wv); \
		h##j = _mm512_dpbusd_epi32(h##j,			\
				_mm512_loadu_si512(qq + 64), wv);	\
	}
			ROWS4(ROW)
#undef ROW
		}
#define ADV(j)	w##j += len;
		ROWS4(ADV)
#undef ADV
	}
out:
#define OUT(j)	out32(fc, y + (size_t)r[j] * B + b, r[j], a##j, h##j,	\
		      (s32)((u32)c * (u32)wsum(fc->w8 + (size_t)r[j] * d, d)), \
		      m, lo);
	ROWS4(OUT)
#undef OUT
}

void spex_fc_i8_batch_avx512vnni(const struct spex_fc *fc, const s16 *xs,
				 s8 *y, u32 batch, u32 o0, u32 o1)
{
	s32 lo = fc->relu ? fc->out_zp : -128, c = fc->in_zp + 128;
	size_t L = fc->xs_len;
	u32 b, rr[4];
	u8 *U, *Q;

	if (fc->layout == SPEX_FC_GATHER || c < 0 || c > 255 ||
	    !(U = malloc((L + 3) * QB + L * 4 * QB))) {
		spex_fc_i8_batch_avx512(fc, xs, y, batch, o0, o1);
		return;
	}
	Q = U + (L + 3) * QB;
	for (b = 0; b < batch; b += QB) {
		u32 n = batch - b < QB ? batch - b : QB;

		stage_quads(fc, xs, batch, b, n, c, U, Q);
		FOR_EACH_ROW_BLOCK(fc, o0, o1, rr,
			fcq_4x32(fc, Q, y, batch, rr, b, mask32(n), c, lo));
	}
	free(U);
}
#endif /* SPEX_HAVE_AVX512 */
