// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Conv2d, int8, AVX2: spex_kernels.conv_i8. Stride 1 is vectorized over
 * output x, pairing horizontally adjacent taps into one pmaddwd; other
 * strides use the scalar kernel. Bit-exact with kern_conv_i8_scalar.c.
 */
#include "kern_avx2.h"
#include "kern_impl.h"

#ifdef SPEX_HAVE_AVX2
/* One output pixel, all channels and taps (edges of the plane). */
static u32 conv_px_i8(const struct spex_conv *cv, const s16 *xs, u32 o,
		      u32 oy, u32 ox)
{
	size_t plane = (size_t)cv->ph * cv->pw;
	u32 acc = 0, s, t;

	for (s = 0; s < cv->cin_deg; s++) {
		u32 k = o * cv->cin_deg + s;
		const s16 *xc = xs + cv->cin[k] * plane;

		for (t = cv->tap_start[k]; t < cv->tap_start[k + 1]; t++) {
			u32 ky = cv->taps[t] / cv->kw, kx = cv->taps[t] % cv->kw;

			acc += (u32)(cv->w8[t] *
				     xc[(size_t)(oy * cv->stride + ky) *
					cv->pw + ox * cv->stride + kx]);
		}
	}
	return acc;
}

/*
 * Stride 1: 16 outputs (ox .. ox + 15) of row oy at a time. Taps (ky, kx)
 * and (ky, kx + 1) share a pmaddwd: a load at kx gives the even outputs'
 * pair sums, a load at kx + 1 the odd outputs'. A lone tap pairs with 0.
 */
void spex_conv_i8_avx2(const struct spex_conv *cv, const s16 *xs, s8 *y,
		       s32 *acc, u32 o0, u32 o1, u32 y0, u32 y1)
{
	u32 ow = cv->out_w, oh = cv->out_h, pw = cv->pw, kw = cv->kw;
	size_t plane = (size_t)cv->ph * pw;
	size_t total = (size_t)cv->in_c * plane;
	s32 lo = cv->relu ? cv->out_zp : -128;
	u32 o, oy, ox, s, t, k, maxc;

	if (cv->stride != 1) {
		spex_conv_i8_scalar(cv, xs, y, acc, o0, o1, y0, y1);
		return;
	}
	for (o = o0; o < o1; o++) {
		u32 bias = cv->bias ? (u32)cv->bias[o] : 0;
		s8 *yo = y + (size_t)o * oh * ow;
		const u32 *cin = cv->cin + (size_t)o * cv->cin_deg;
		const u32 *ts = cv->tap_start + (size_t)o * cv->cin_deg;

		maxc = 0;
		for (s = 0; s < cv->cin_deg; s++)
			if (cin[s] > maxc)
				maxc = cin[s];
		for (oy = y0; oy < y1; oy++) {
			for (ox = 0; ox < ow; ox += 16) {
				v8su ae = {}, ao = {};
				u32 tmp[16], n = ow - ox < 16 ? ow - ox : 16;
				/* furthest element a vector load may touch */
				size_t far = maxc * plane +
					     (size_t)(oy + cv->kh - 1) * pw +
					     ox + kw + 16;

				if (far > total) {
					for (k = 0; k < n; k++)
						tmp[k] = conv_px_i8(cv, xs, o,
								    oy, ox + k);
					goto store;
				}
				for (s = 0; s < cv->cin_deg; s++) {
					const s16 *xc = xs + cin[s] * plane +
							(size_t)oy * pw + ox;

					for (t = ts[s]; t < ts[s + 1];) {
						u32 tp = cv->taps[t];
						u32 ky = tp / kw, kx = tp % kw;
						u32 w0 = (u16)cv->w8[t], w1 = 0;
						const s16 *p = xc +
							(size_t)ky * pw + kx;
						v16hi wv;

						if (t + 1 < ts[s + 1] &&
						    cv->taps[t + 1] == tp + 1 &&
						    kx + 1 < kw) {
							w1 = (u16)cv->w8[t + 1];
							t += 2;
						} else {
							t++;
						}
						wv = (v16hi)((v8su){} +
							     (w0 | w1 << 16));
						ae += madd(ld_hi(p), wv);
						ao += madd(ld_hi(p + 1), wv);
					}
				}
				for (k = 0; k < 8; k++) {
					tmp[2 * k] = ae[k];
					tmp[2 * k + 1] = ao[k];
				}
store:
				for (k = 0; k < n; k++)
					yo[oy * ow + ox + k] =
						spex_requant_out(
							(s32)(tmp[k] + bias),
							cv->mult[o],
							cv->shift[o],
							cv->out_zp, lo);
			}
		}
	}
}

#endif /* SPEX_HAVE_AVX2 */
