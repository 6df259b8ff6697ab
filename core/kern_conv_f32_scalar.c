// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Conv2d, f32, scalar reference (userspace only): spex_kernels.conv_f32.
 */
#include "kern_impl.h"

#if SPEX_CORE_FLOAT
void spex_conv_f32_scalar(const struct spex_conv *cv, const float *xs, float *y,
			  u32 o0, u32 o1, u32 y0, u32 y1)
{
	u32 npix = cv->out_h * cv->out_w;
	u32 p0 = y0 * cv->out_w, p1 = y1 * cv->out_w;
	size_t plane = (size_t)cv->ph * cv->pw;
	u32 o, s, t, oy, ox, i;

	for (o = o0; o < o1; o++) {
		float *a = y + (size_t)o * npix;
		float b = cv->biasf ? cv->biasf[o] : 0.0f;

		for (i = p0; i < p1; i++)
			a[i] = 0.0f;
		for (s = 0; s < cv->cin_deg; s++) {
			u32 k = o * cv->cin_deg + s;
			const float *xc = xs + cv->cin[k] * plane;

			for (t = cv->tap_start[k]; t < cv->tap_start[k + 1];
			     t++) {
				u32 ky = cv->taps[t] / cv->kw;
				u32 kx = cv->taps[t] % cv->kw;
				float w = cv->wf[t];

				for (oy = y0; oy < y1; oy++) {
					const float *row = xc +
						(size_t)(oy * cv->stride + ky) *
						cv->pw + kx;
					float *ar = a + oy * cv->out_w;

					for (ox = 0; ox < cv->out_w; ox++)
						ar[ox] += w * row[ox * cv->stride];
				}
			}
		}
		for (i = p0; i < p1; i++) {
			float v = a[i] + b;

			a[i] = cv->relu ? spex_relu1_f32(v) : v;
		}
	}
}
#endif /* SPEX_CORE_FLOAT */
