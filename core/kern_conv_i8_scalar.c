// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Conv2d, int8, scalar reference: spex_kernels.conv_i8, which every SIMD
 * conv_i8 must equal bit for bit (u32 sums wrap mod 2^32).
 */
#include "kern_impl.h"

/*
 * Conv, int8: for each output channel, accumulate every kept tap of every
 * input channel over output rows [y0, y1), then requantize them.
 */
void spex_conv_i8_scalar(const struct spex_conv *cv, const s16 *xs, s8 *y,
			 s32 *acc, u32 o0, u32 o1, u32 y0, u32 y1)
{
	u32 npix = cv->out_h * cv->out_w;
	u32 p0 = y0 * cv->out_w, p1 = y1 * cv->out_w;
	size_t plane = (size_t)cv->ph * cv->pw;
	s32 lo = cv->relu ? cv->out_zp : -128;
	u32 o, s, t, oy, ox, i;

	for (o = o0; o < o1; o++) {
		u32 *a = (u32 *)acc;
		u32 b = cv->bias ? (u32)cv->bias[o] : 0;

		for (i = p0; i < p1; i++)
			a[i] = b;
		for (s = 0; s < cv->cin_deg; s++) {
			u32 k = o * cv->cin_deg + s;
			const s16 *xc = xs + cv->cin[k] * plane;

			for (t = cv->tap_start[k]; t < cv->tap_start[k + 1];
			     t++) {
				u32 ky = cv->taps[t] / cv->kw;
				u32 kx = cv->taps[t] % cv->kw;
				s32 w = cv->w8[t];

				for (oy = y0; oy < y1; oy++) {
					const s16 *row = xc +
						(size_t)(oy * cv->stride + ky) *
						cv->pw + kx;
					u32 *ar = a + oy * cv->out_w;

					for (ox = 0; ox < cv->out_w; ox++)
						ar[ox] += (u32)(w *
							row[ox * cv->stride]);
				}
			}
		}
		for (i = p0; i < p1; i++)
			y[(size_t)o * npix + i] =
				spex_requant_out((s32)a[i], cv->mult[o],
						 cv->shift[o], cv->out_zp, lo);
	}
}
