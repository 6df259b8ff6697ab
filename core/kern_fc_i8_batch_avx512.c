// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Batched FC (SpMM), int8, AVX-512BW (userspace only):
 * spex_kernels.fc_i8_batch, register-blocked 4 rows x 32 batch items.
 * For 32 items, vpmaddwd with (w, 0) pairs gives the even items' exact
 * s32 products and with (0, w) the odd items', so each weight serves 32
 * items with two instructions; rows with the same run starts are blocked
 * together (kern_avx512.h) and share every input load. Batch tails are masked. Bit-exact with
 * kern_fc_i8_batch_scalar.c (sums mod 2^32, spex_requant_out's rounding).
 */
#include "kern_avx512.h"
#include "kern_impl.h"

#ifdef SPEX_HAVE_AVX512
#define ROWS4(X)	X(0) X(1) X(2) X(3)

/* Even/odd item sums back to item order; bias, requantize, store n. */
static ALWAYS_INLINE void out32(const struct spex_fc *fc, s8 *y, u32 r,
				__m512i ev, __m512i od, __mmask32 m, s32 lo)
{
	const __m512i i0 = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4,
					    19, 3, 18, 2, 17, 1, 16, 0);
	const __m512i i1 = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12,
					    27, 11, 26, 10, 25, 9, 24, 8);
	out32_i8(fc, y, r, _mm512_permutex2var_epi32(ev, i0, od),
		 _mm512_permutex2var_epi32(ev, i1, od),
		 fc->bias ? fc->bias[r] : 0, m, lo);
}

/* Rows r0..r3 (repeats allowed), items [b, b + 32) under m. */
static void fcb_4x32(const struct spex_fc *fc, const s16 *xs, s8 *y,
		     size_t B, const u32 *r, u32 b, __mmask32 m, s32 lo)
{
	u32 d = fc->d_in, nseg = fc->nseg, len = fc->seglen, s, i, e;
	const __m512i z = _mm512_setzero_si512();
#define DECL(j)	const s8 *w##j = fc->w8 + (size_t)r[j] * d;	\
		__m512i e##j = z, o##j = z;
	ROWS4(DECL)
#undef DECL
#define MAC(j, xv)	{						\
		__m512i we = _mm512_set1_epi32((s32)(u16)w##j[i]);	\
		e##j = _mm512_add_epi32(e##j, _mm512_madd_epi16(xv, we)); \
		o##j = _mm512_add_epi32(o##j, _mm512_madd_epi16(xv,	\
					_mm512_slli_epi32(we, 16)));	\
	}

	if (fc->layout == SPEX_FC_GATHER) {
#define IX(j)	const u32 *ix##j = fc->idx + (size_t)r[j] * d;
		ROWS4(IX)
#undef IX
		for (e = 0; e < d; e++) {
			i = e;
#define ROW(j)	MAC(j, _mm512_maskz_loadu_epi16(m, xs + ix##j[e] * B + b))
			ROWS4(ROW)
#undef ROW
		}
	} else if (all_same_runs(fc, r)) {
		for (s = 0; s < nseg; s++) {
			const s16 *x = xs + fc->seg[(size_t)r[0] * nseg + s] *
				       B + b;

			for (i = 0; i < len; i++, x += B) {
				__m512i xv = _mm512_maskz_loadu_epi16(m, x);
#define ROW(j)	MAC(j, xv)
				ROWS4(ROW)
#undef ROW
			}
#define ADV(j)	w##j += len;
			ROWS4(ADV)
#undef ADV
		}
	} else {
		for (s = 0; s < nseg; s++) {
#define XP(j)	const s16 *x##j = xs + fc->seg[(size_t)r[j] * nseg + s] * B + b;
			ROWS4(XP)
#undef XP
			for (i = 0; i < len; i++) {
#define ROW(j)	MAC(j, _mm512_maskz_loadu_epi16(m, x##j + i * B))
				ROWS4(ROW)
#undef ROW
			}
#define ADV(j)	w##j += len;
			ROWS4(ADV)
#undef ADV
		}
	}
#undef MAC
#define OUT(j)	out32(fc, y + (size_t)r[j] * B + b, r[j], e##j, o##j, m, lo);
	ROWS4(OUT)
#undef OUT
}

void spex_fc_i8_batch_avx512(const struct spex_fc *fc, const s16 *xs, s8 *y,
			     u32 batch, u32 o0, u32 o1)
{
	s32 lo = fc->relu ? fc->out_zp : -128;
	u32 b, rr[4];

	FOR_EACH_ROW_BLOCK(fc, o0, o1, rr, {
		for (b = 0; b < batch; b += 32)
			fcb_4x32(fc, xs, y, batch, rr, b,
				 mask32(batch - b), lo);
	});
}
#endif /* SPEX_HAVE_AVX512 */
