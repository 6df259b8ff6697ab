// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * FC, f32, AVX-512F (userspace only): spex_kernels.fc_f32. The AVX2
 * kernel's scheme at twice the width: eight WINDOW/BANKED rows in
 * lockstep, 16 edges per FMA, masked run tails; GATHER rows use
 * vgatherdps, 16 edges per gather. Sums are reordered against the scalar
 * kernel, so results agree within rounding (tests/unit/test_kernels.c
 * states the tolerance).
 */
#include "kern_avx512.h"
#include "kern_impl.h"

#if defined(SPEX_HAVE_AVX512) && SPEX_CORE_FLOAT
/* Eight rows r .. r + 7 in lockstep; lane j: row r + j's sum. */
static v8sf fc8_runs_f32(const struct spex_fc *fc, const float *xs, u32 r)
{
	u32 nseg = fc->nseg, len = fc->seglen, d = fc->d_in, s, i;
	const float *w = fc->wf + (size_t)r * d;
	const u32 *seg = fc->seg + (size_t)r * nseg;
	const __m512 z = _mm512_setzero_ps();
#define DECL(j)	__m512 a##j = z;
	ROWS8(DECL)
#undef DECL

	for (s = 0; s < nseg; s++, w += len) {
#define XP(j)	const float *x##j = xs + seg[j * nseg + s];
		ROWS8(XP)
#undef XP
		for (i = 0; i + 16 <= len; i += 16) {
#define ROW(j)	a##j = _mm512_fmadd_ps(_mm512_loadu_ps(x##j + i),	\
			_mm512_loadu_ps(w + j * (size_t)d + i), a##j);
			ROWS8(ROW)
#undef ROW
		}
		if (i < len) {
			__mmask16 m = mask16(len - i);
#define ROW(j)	a##j = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x##j + i), \
			_mm512_maskz_loadu_ps(m, w + j * (size_t)d + i), a##j);
			ROWS8(ROW)
#undef ROW
		}
	}
	return hsum8_f512(a0, a1, a2, a3, a4, a5, a6, a7);
}

static float fc1_runs_f32(const struct spex_fc *fc, const float *xs, u32 r)
{
	u32 nseg = fc->nseg, len = fc->seglen, s, i;
	const float *w = fc->wf + (size_t)r * fc->d_in;
	const u32 *seg = fc->seg + (size_t)r * nseg;
	__m512 a = _mm512_setzero_ps();

	for (s = 0; s < nseg; s++, w += len) {
		const float *x = xs + seg[s];

		for (i = 0; i < len; i += 16) {
			__mmask16 m = mask16(len - i < 16 ? len - i : 16);

			a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + i),
					    _mm512_maskz_loadu_ps(m, w + i), a);
		}
	}
	return _mm512_reduce_add_ps(a);
}

/* GATHER: 16 inputs per vgatherdps, then one FMA. */
static float fc1_gather_f32(const struct spex_fc *fc, const float *xs, u32 r)
{
	u32 d = fc->d_in, e;
	const float *w = fc->wf + (size_t)r * d;
	const u32 *idx = fc->idx + (size_t)r * d;
	__m512 a = _mm512_setzero_ps(), b = a;

	for (e = 0; e + 32 <= d; e += 32) {
		__m512i i0 = _mm512_loadu_si512(idx + e);
		__m512i i1 = _mm512_loadu_si512(idx + e + 16);

		a = _mm512_fmadd_ps(_mm512_i32gather_ps(i0, xs, 4),
				    _mm512_loadu_ps(w + e), a);
		b = _mm512_fmadd_ps(_mm512_i32gather_ps(i1, xs, 4),
				    _mm512_loadu_ps(w + e + 16), b);
	}
	for (; e < d; e += 16) {
		__mmask16 m = mask16(d - e < 16 ? d - e : 16);
		__m512i ix = _mm512_maskz_loadu_epi32(m, idx + e);

		a = _mm512_fmadd_ps(_mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, ix,
							     xs, 4),
				    _mm512_maskz_loadu_ps(m, w + e), a);
	}
	return _mm512_reduce_add_ps(_mm512_add_ps(a, b));
}

static ALWAYS_INLINE void out_f32(const struct spex_fc *fc, float *y, u32 r,
				  float v)
{
	v += fc->biasf ? fc->biasf[r] : 0.0f;
	y[r] = fc->relu && !(v > 0.0f) ? 0.0f : v;
}

void spex_fc_f32_avx512(const struct spex_fc *fc, const float *xs, float *y,
			u32 o0, u32 o1)
{
	u32 r = o0;

	if (fc->layout == SPEX_FC_GATHER) {
		for (; r < o1; r++)
			out_f32(fc, y, r, fc1_gather_f32(fc, xs, r));
		return;
	}
	for (; r + 8 <= o1; r += 8) {
		v8sf v = fc8_runs_f32(fc, xs, r);

		if (fc->biasf)
			v += ld_f(fc->biasf + r);
		st_f(y + r, relu_v(v, fc->relu));
	}
	for (; r < o1; r++)
		out_f32(fc, y, r, fc1_runs_f32(fc, xs, r));
}
#endif /* SPEX_HAVE_AVX512 && SPEX_CORE_FLOAT */
