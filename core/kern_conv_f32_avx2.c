// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Conv2d, f32, AVX2+FMA (userspace only): spex_kernels.conv_f32. Stride 1
 * is vectorized over output x, 32 outputs of a row at a time, then 8
 * (masked); other strides use the scalar kernel.
 */
#include "kern_avx2.h"
#include "kern_impl.h"

#ifdef SPEX_HAVE_AVX2
#if SPEX_CORE_FLOAT
/* Conv f32, stride 1: 32 outputs of a row at a time, then 8 (masked). */
#define CONV_TAPS(X)							\
	do {								\
		for (s = 0; s < cv->cin_deg; s++) {			\
			const float *xc = xs + cin[s] * plane +		\
					  (size_t)oy * cv->pw + ox;	\
			for (t = ts[s]; t < ts[s + 1]; t++) {		\
				u32 ky = cv->taps[t] / cv->kw;		\
				u32 kx = cv->taps[t] % cv->kw;		\
				const float *p = xc +			\
					(size_t)ky * cv->pw + kx;	\
				v8sf w = bcast(cv->wf[t]);		\
				X;					\
			}						\
		}							\
	} while (0)

static void conv_blk32_f32(const struct spex_conv *cv, const float *xs,
			   float *yo, u32 o, u32 oy, u32 ox)
{
	size_t plane = (size_t)cv->ph * cv->pw;
	const u32 *cin = cv->cin + (size_t)o * cv->cin_deg;
	const u32 *ts = cv->tap_start + (size_t)o * cv->cin_deg;
	v8sf bias = bcast(cv->biasf ? cv->biasf[o] : 0.0f);
	v8sf a0 = {}, a1 = {}, a2 = {}, a3 = {};
	float *out = yo + (size_t)oy * cv->out_w + ox;
	u32 s, t;

	CONV_TAPS(a0 += w * ld_f(p); a1 += w * ld_f(p + 8);
		  a2 += w * ld_f(p + 16); a3 += w * ld_f(p + 24));
	st_f(out, relu_v(a0 + bias, cv->relu));
	st_f(out + 8, relu_v(a1 + bias, cv->relu));
	st_f(out + 16, relu_v(a2 + bias, cv->relu));
	st_f(out + 24, relu_v(a3 + bias, cv->relu));
}

static void conv_blk8_f32(const struct spex_conv *cv, const float *xs,
			  float *yo, u32 o, u32 oy, u32 ox, u32 n)
{
	size_t plane = (size_t)cv->ph * cv->pw;
	const u32 *cin = cv->cin + (size_t)o * cv->cin_deg;
	const u32 *ts = cv->tap_start + (size_t)o * cv->cin_deg;
	v8sf bias = bcast(cv->biasf ? cv->biasf[o] : 0.0f);
	v8si m = tail_mask8(n);
	v8sf a0 = {};
	u32 s, t;

	CONV_TAPS(a0 += w * ld_f_mask(p, m));
	st_f_mask(yo + (size_t)oy * cv->out_w + ox, m,
		  relu_v(a0 + bias, cv->relu));
}
#undef CONV_TAPS

void spex_conv_f32_avx2(const struct spex_conv *cv, const float *xs, float *y,
			u32 o0, u32 o1, u32 y0, u32 y1)
{
	u32 ow = cv->out_w, o, oy, ox;

	if (cv->stride != 1) {
		spex_conv_f32_scalar(cv, xs, y, o0, o1, y0, y1);
		return;
	}
	for (o = o0; o < o1; o++) {
		float *yo = y + (size_t)o * cv->out_h * ow;

		for (oy = y0; oy < y1; oy++) {
			for (ox = 0; ox + 32 <= ow; ox += 32)
				conv_blk32_f32(cv, xs, yo, o, oy, ox);
			for (; ox < ow; ox += 8)
				conv_blk8_f32(cv, xs, yo, o, oy, ox,
					      ow - ox < 8 ? ow - ox : 8);
		}
	}
}
#endif /* SPEX_CORE_FLOAT */

#endif /* SPEX_HAVE_AVX2 */
