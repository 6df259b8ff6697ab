// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The scalar reference kernels: the plainest correct form of every layer,
 * the one the SIMD kernels are tested against (int8 bit for bit).
 *
 * int8 sums are kept in u32 so that they wrap (mod 2^32) instead of
 * overflowing; see kernels.h.
 */
#include "kernels.h"

/* Row r's int8 dot product with its inputs, bias included. */
static s32 fc_row_i8(const struct spex_fc *fc, const s16 *xs, u32 r)
{
	const s8 *w = fc->w8 + (size_t)r * fc->d_in;
	u32 acc = fc->bias ? (u32)fc->bias[r] : 0;
	u32 s, i;

	if (fc->layout == SPEX_FC_GATHER) {
		const u32 *idx = fc->idx + (size_t)r * fc->d_in;

		for (i = 0; i < fc->d_in; i++)
			acc += (u32)((s32)w[i] * xs[idx[i]]);
		return (s32)acc;
	}
	for (s = 0; s < fc->nseg; s++) {
		const s16 *x = xs + fc->seg[(size_t)r * fc->nseg + s];

		for (i = 0; i < fc->seglen; i++)
			acc += (u32)((s32)w[i] * x[i]);
		w += fc->seglen;
	}
	return (s32)acc;
}

static void fc_i8(const struct spex_fc *fc, const s16 *xs, s8 *y,
		  u32 o0, u32 o1)
{
	s32 lo = fc->relu ? fc->out_zp : -128;
	u32 r;

	for (r = o0; r < o1; r++)
		y[r] = spex_requant_out(fc_row_i8(fc, xs, r), fc->mult[r],
					fc->shift[r], fc->out_zp, lo);
}

/* Batched: xs is [xs_len][batch], y is [n_out][batch]. */
static void fc_i8_batch(const struct spex_fc *fc, const s16 *xs, s8 *y,
			u32 batch, u32 o0, u32 o1)
{
	s32 lo = fc->relu ? fc->out_zp : -128;
	u32 r, b, s, i;

	for (r = o0; r < o1; r++) {
		const s8 *w0 = fc->w8 + (size_t)r * fc->d_in;

		for (b = 0; b < batch; b++) {
			const s8 *w = w0;
			u32 acc = fc->bias ? (u32)fc->bias[r] : 0;

			if (fc->layout == SPEX_FC_GATHER) {
				const u32 *idx = fc->idx + (size_t)r * fc->d_in;

				for (i = 0; i < fc->d_in; i++)
					acc += (u32)((s32)w[i] *
						xs[(size_t)idx[i] * batch + b]);
			} else {
				for (s = 0; s < fc->nseg; s++) {
					size_t x0 = fc->seg[(size_t)r *
							    fc->nseg + s];

					for (i = 0; i < fc->seglen; i++)
						acc += (u32)((s32)w[i] *
							xs[(x0 + i) * batch + b]);
					w += fc->seglen;
				}
			}
			y[(size_t)r * batch + b] =
				spex_requant_out((s32)acc, fc->mult[r],
						 fc->shift[r], fc->out_zp, lo);
		}
	}
}

/*
 * Conv, int8: for each output channel, accumulate every kept tap of every
 * input channel over the whole output plane, then requantize.
 */
static void conv_i8(const struct spex_conv *cv, const s16 *xs, s8 *y,
		    s32 *acc, u32 o0, u32 o1)
{
	u32 npix = cv->out_h * cv->out_w;
	size_t plane = (size_t)cv->ph * cv->pw;
	s32 lo = cv->relu ? cv->out_zp : -128;
	u32 o, s, t, oy, ox, i;

	for (o = o0; o < o1; o++) {
		u32 *a = (u32 *)acc;
		u32 b = cv->bias ? (u32)cv->bias[o] : 0;

		for (i = 0; i < npix; i++)
			a[i] = b;
		for (s = 0; s < cv->cin_deg; s++) {
			u32 k = o * cv->cin_deg + s;
			const s16 *xc = xs + cv->cin[k] * plane;

			for (t = cv->tap_start[k]; t < cv->tap_start[k + 1];
			     t++) {
				u32 ky = cv->taps[t] / cv->kw;
				u32 kx = cv->taps[t] % cv->kw;
				s32 w = cv->w8[t];

				for (oy = 0; oy < cv->out_h; oy++) {
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
		for (i = 0; i < npix; i++)
			y[(size_t)o * npix + i] =
				spex_requant_out((s32)a[i], cv->mult[o],
						 cv->shift[o], cv->out_zp, lo);
	}
}

#if SPEX_CORE_FLOAT
static float fc_row_f32(const struct spex_fc *fc, const float *xs, u32 r)
{
	const float *w = fc->wf + (size_t)r * fc->d_in;
	float acc = 0.0f;
	u32 s, i;

	if (fc->layout == SPEX_FC_GATHER) {
		const u32 *idx = fc->idx + (size_t)r * fc->d_in;

		for (i = 0; i < fc->d_in; i++)
			acc += w[i] * xs[idx[i]];
	} else {
		for (s = 0; s < fc->nseg; s++) {
			const float *x = xs + fc->seg[(size_t)r * fc->nseg + s];

			for (i = 0; i < fc->seglen; i++)
				acc += w[i] * x[i];
			w += fc->seglen;
		}
	}
	return acc + (fc->biasf ? fc->biasf[r] : 0.0f);
}

static inline float relu_f(float v)
{
	return v > 0.0f ? v : 0.0f;
}

static void fc_f32(const struct spex_fc *fc, const float *xs, float *y,
		   u32 o0, u32 o1)
{
	u32 r;

	for (r = o0; r < o1; r++) {
		float v = fc_row_f32(fc, xs, r);

		y[r] = fc->relu ? relu_f(v) : v;
	}
}

static void fc_f32_batch(const struct spex_fc *fc, const float *xs,
			 float *y, u32 batch, u32 o0, u32 o1)
{
	u32 r, b, s, i;

	for (r = o0; r < o1; r++) {
		const float *w0 = fc->wf + (size_t)r * fc->d_in;

		for (b = 0; b < batch; b++) {
			const float *w = w0;
			float acc = 0.0f;

			if (fc->layout == SPEX_FC_GATHER) {
				const u32 *idx = fc->idx + (size_t)r * fc->d_in;

				for (i = 0; i < fc->d_in; i++)
					acc += w[i] *
					       xs[(size_t)idx[i] * batch + b];
			} else {
				for (s = 0; s < fc->nseg; s++) {
					size_t x0 = fc->seg[(size_t)r *
							    fc->nseg + s];

					for (i = 0; i < fc->seglen; i++)
						acc += w[i] *
						       xs[(x0 + i) * batch + b];
					w += fc->seglen;
				}
			}
			acc += fc->biasf ? fc->biasf[r] : 0.0f;
			y[(size_t)r * batch + b] = fc->relu ? relu_f(acc) : acc;
		}
	}
}

static void conv_f32(const struct spex_conv *cv, const float *xs, float *y,
		     u32 o0, u32 o1)
{
	u32 npix = cv->out_h * cv->out_w;
	size_t plane = (size_t)cv->ph * cv->pw;
	u32 o, s, t, oy, ox, i;

	for (o = o0; o < o1; o++) {
		float *a = y + (size_t)o * npix;
		float b = cv->biasf ? cv->biasf[o] : 0.0f;

		for (i = 0; i < npix; i++)
			a[i] = 0.0f;
		for (s = 0; s < cv->cin_deg; s++) {
			u32 k = o * cv->cin_deg + s;
			const float *xc = xs + cv->cin[k] * plane;

			for (t = cv->tap_start[k]; t < cv->tap_start[k + 1];
			     t++) {
				u32 ky = cv->taps[t] / cv->kw;
				u32 kx = cv->taps[t] % cv->kw;
				float w = cv->wf[t];

				for (oy = 0; oy < cv->out_h; oy++) {
					const float *row = xc +
						(size_t)(oy * cv->stride + ky) *
						cv->pw + kx;
					float *ar = a + oy * cv->out_w;

					for (ox = 0; ox < cv->out_w; ox++)
						ar[ox] += w * row[ox * cv->stride];
				}
			}
		}
		for (i = 0; i < npix; i++) {
			float v = a[i] + b;

			a[i] = cv->relu ? relu_f(v) : v;
		}
	}
}
#endif /* SPEX_CORE_FLOAT */

const struct spex_kernels spex_kernels_scalar = {
	.name		= "scalar",
	.fc_i8		= fc_i8,
	.conv_i8	= conv_i8,
	.fc_i8_batch	= fc_i8_batch,
#if SPEX_CORE_FLOAT
	.fc_f32		= fc_f32,
	.conv_f32	= conv_f32,
	.fc_f32_batch	= fc_f32_batch,
#endif
};
