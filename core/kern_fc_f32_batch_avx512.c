// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Batched FC (SpMM), f32, AVX-512F (userspace only):
 * spex_kernels.fc_f32_batch, register-blocked 4 rows x 32 batch items
 * (eight zmm accumulators). Each weight is broadcast once and serves 32
 * items; rows whose runs start at the same inputs (dense-like WINDOW
 * rows, and the rows of different sweeps of a clash-free pattern with
 * zero starts, which read the same window) also share every input load
 * across the four rows, so one load of a batch vector feeds four FMAs:
 * the first row's nearest twin gives a period P, and rows r, r + P,
 * r + 2P, r + 3P that really have the same runs are blocked together
 * (others fill up with the next rows in order). Batch tails are masked. Results agree
 * with the scalar kernel within rounding (test_kernels.c).
 */
#include "kern_avx512.h"
#include "kern_impl.h"

#if defined(SPEX_HAVE_AVX512) && SPEX_CORE_FLOAT
#define ROWS4(X)	X(0) X(1) X(2) X(3)

/* Rows r0..r3 (repeats allowed), items [b, b + 32) under m0, m1. */
static void fcb_4x32(const struct spex_fc *fc, const float *xs, float *y,
		     size_t B, const u32 *r, u32 b, __mmask16 m0,
		     __mmask16 m1)
{
	u32 d = fc->d_in, nseg = fc->nseg, len = fc->seglen, s, i, e;
	const __m512 z = _mm512_setzero_ps();
#define DECL(j)	const float *w##j = fc->wf + (size_t)r[j] * d;	\
		__m512 a##j = z, c##j = z;
	ROWS4(DECL)
#undef DECL
#define FMA2(j, x0, x1)	{						\
		__m512 wv = _mm512_set1_ps(w##j[i]);			\
		a##j = _mm512_fmadd_ps(wv, x0, a##j);			\
		c##j = _mm512_fmadd_ps(wv, x1, c##j);			\
	}

	if (fc->layout == SPEX_FC_GATHER) {
#define IX(j)	const u32 *ix##j = fc->idx + (size_t)r[j] * d;
		ROWS4(IX)
#undef IX
		for (e = 0; e < d; e++) {
			i = e;
#define ROW(j)	{							\
		const float *x = xs + ix##j[e] * B + b;			\
		FMA2(j, _mm512_maskz_loadu_ps(m0, x),			\
		     _mm512_maskz_loadu_ps(m1, x + 16))			\
	}
			ROWS4(ROW)
#undef ROW
		}
	} else if (all_same_runs(fc, r)) {
		for (s = 0; s < nseg; s++) {
			const float *x = xs + fc->seg[(size_t)r[0] * nseg + s] *
					 B + b;

			for (i = 0; i < len; i++, x += B) {
				__m512 x0 = _mm512_maskz_loadu_ps(m0, x);
				__m512 x1 = _mm512_maskz_loadu_ps(m1, x + 16);
#define ROW(j)	FMA2(j, x0, x1)
				ROWS4(ROW)
#undef ROW
			}
#define ADV(j)	w##j += len;
			ROWS4(ADV)
#undef ADV
		}
	} else {
		for (s = 0; s < nseg; s++) {
#define XP(j)	const float *x##j = xs + fc->seg[(size_t)r[j] * nseg + s] * B + b;
			ROWS4(XP)
#undef XP
			for (i = 0; i < len; i++) {
#define ROW(j)	FMA2(j, _mm512_maskz_loadu_ps(m0, x##j + i * B),	\
		     _mm512_maskz_loadu_ps(m1, x##j + i * B + 16))
				ROWS4(ROW)
#undef ROW
			}
#define ADV(j)	w##j += len;
			ROWS4(ADV)
#undef ADV
		}
	}
#undef FMA2
#define OUT(j)	{							\
		__m512 bv = _mm512_set1_ps(fc->biasf ? fc->biasf[r[j]] : 0.0f); \
		float *yo = y + (size_t)r[j] * B + b;			\
		a##j = _mm512_add_ps(a##j, bv);				\
		c##j = _mm512_add_ps(c##j, bv);				\
		if (fc->relu) {						\
			a##j = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(	\
				a##j, z, _CMP_GT_OQ), a##j);		\
			c##j = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(	\
				c##j, z, _CMP_GT_OQ), c##j);		\
		}							\
		_mm512_mask_storeu_ps(yo, m0, a##j);			\
		_mm512_mask_storeu_ps(yo + 16, m1, c##j);		\
	}
	ROWS4(OUT)
#undef OUT
}

void spex_fc_f32_batch_avx512(const struct spex_fc *fc, const float *xs,
			      float *y, u32 batch, u32 o0, u32 o1)
{
	u32 b, rr[4];

	FOR_EACH_ROW_BLOCK(fc, o0, o1, rr, {
		for (b = 0; b < batch; b += 32) {
			u32 k = batch - b < 32 ? batch - b : 32;

			fcb_4x32(fc, xs, y, batch, rr, b,
				 mask16(k < 16 ? k : 16),
				 mask16(k > 16 ? k - 16 : 0));
		}
	});
}
#endif /* SPEX_HAVE_AVX512 && SPEX_CORE_FLOAT */
