// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Batched FC (SpMM), f32, AVX2+FMA (userspace only):
 * spex_kernels.fc_f32_batch. Every edge is a broadcast weight times the
 * batch vector of its input, two rows (8 accumulators) at a time.
 */
#include "kern_avx2.h"
#include "kern_impl.h"

#ifdef SPEX_HAVE_AVX2
#if SPEX_CORE_FLOAT
/*
 * Batched f32, two rows (ra, rb; rb == ra for a lone row) at a time. Each
 * edge: a broadcast weight times the batch vectors of its input row.
 * EDGES(X) expands X(xa, xb, wa, wb) once per edge pair.
 */
#define FCB_EDGES(X)							\
	do {								\
		if (fc->layout == SPEX_FC_GATHER) {			\
			const u32 *ia = fc->idx + (size_t)ra * d;	\
			const u32 *ib = fc->idx + (size_t)rb * d;	\
			for (e = 0; e < d; e++)				\
				X(xs + ia[e] * B + b, xs + ib[e] * B + b, \
				  wa[e], wb[e]);			\
		} else {						\
			for (s = 0; s < nseg; s++) {			\
				const float *xa = xs + fc->seg[(size_t)ra * \
						nseg + s] * B + b;	\
				const float *xb = xs + fc->seg[(size_t)rb * \
						nseg + s] * B + b;	\
				for (i = 0; i < len; i++, xa += B, xb += B) \
					X(xa, xb, wa[i], wb[i]);	\
				wa += len;				\
				wb += len;				\
			}						\
		}							\
	} while (0)

/* 32 batch items [b, b + 32) of rows ra, rb. */
static void fcb_2x32_f32(const struct spex_fc *fc, const float *xs, float *y,
			 size_t B, u32 ra, u32 rb, u32 b)
{
	u32 d = fc->d_in, nseg = fc->nseg, len = fc->seglen, s, i, e;
	const float *wa = fc->wf + (size_t)ra * d;
	const float *wb = fc->wf + (size_t)rb * d;
	v8sf a0 = {}, a1 = {}, a2 = {}, a3 = {};
	v8sf c0 = {}, c1 = {}, c2 = {}, c3 = {};
	v8sf ba = bcast(fc->biasf ? fc->biasf[ra] : 0.0f);
	v8sf bb = bcast(fc->biasf ? fc->biasf[rb] : 0.0f);
	float *ya = y + (size_t)ra * B + b, *yb = y + (size_t)rb * B + b;

#define X32(xa, xb, fa, fb)						\
	do {								\
		const float *_xa = (xa), *_xb = (xb);			\
		v8sf _wa = bcast(fa), _wb = bcast(fb);			\
		a0 += _wa * ld_f(_xa);					\
		a1 += _wa * ld_f(_xa + 8);				\
		a2 += _wa * ld_f(_xa + 16);				\
		a3 += _wa * ld_f(_xa + 24);				\
		c0 += _wb * ld_f(_xb);					\
		c1 += _wb * ld_f(_xb + 8);				\
		c2 += _wb * ld_f(_xb + 16);				\
		c3 += _wb * ld_f(_xb + 24);				\
	} while (0)
	FCB_EDGES(X32);
#undef X32
	st_f(ya, relu_v(a0 + ba, fc->relu));
	st_f(ya + 8, relu_v(a1 + ba, fc->relu));
	st_f(ya + 16, relu_v(a2 + ba, fc->relu));
	st_f(ya + 24, relu_v(a3 + ba, fc->relu));
	st_f(yb, relu_v(c0 + bb, fc->relu));
	st_f(yb + 8, relu_v(c1 + bb, fc->relu));
	st_f(yb + 16, relu_v(c2 + bb, fc->relu));
	st_f(yb + 24, relu_v(c3 + bb, fc->relu));
}

/* Up to 8 batch items [b, b + n) of rows ra, rb (masked). */
static void fcb_2x8_f32(const struct spex_fc *fc, const float *xs, float *y,
			size_t B, u32 ra, u32 rb, u32 b, u32 n)
{
	u32 d = fc->d_in, nseg = fc->nseg, len = fc->seglen, s, i, e;
	const float *wa = fc->wf + (size_t)ra * d;
	const float *wb = fc->wf + (size_t)rb * d;
	v8si m = tail_mask8(n);
	v8sf a0 = {}, c0 = {};
	v8sf ba = bcast(fc->biasf ? fc->biasf[ra] : 0.0f);
	v8sf bb = bcast(fc->biasf ? fc->biasf[rb] : 0.0f);

#define X8(xa, xb, fa, fb)						\
	do {								\
		a0 += bcast(fa) * ld_f_mask((xa), m);			\
		c0 += bcast(fb) * ld_f_mask((xb), m);			\
	} while (0)
	FCB_EDGES(X8);
#undef X8
	st_f_mask(y + (size_t)ra * B + b, m, relu_v(a0 + ba, fc->relu));
	st_f_mask(y + (size_t)rb * B + b, m, relu_v(c0 + bb, fc->relu));
}
#undef FCB_EDGES

void spex_fc_f32_batch_avx2(const struct spex_fc *fc, const float *xs,
			    float *y, u32 batch, u32 o0, u32 o1)
{
	u32 r, b;

	for (r = o0; r < o1; r += 2) {
		u32 rb = r + 1 < o1 ? r + 1 : r;

		for (b = 0; b + 32 <= batch; b += 32)
			fcb_2x32_f32(fc, xs, y, batch, r, rb, b);
		for (; b < batch; b += 8)
			fcb_2x8_f32(fc, xs, y, batch, r, rb, b,
				    batch - b < 8 ? batch - b : 8);
	}
}
#endif /* SPEX_CORE_FLOAT */

#endif /* SPEX_HAVE_AVX2 */
