// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Batched FC (SpMM), int8, AVX2: spex_kernels.fc_i8_batch. Every edge is
 * one weight times the batch vector of its input; bit-exact with
 * kern_fc_i8_batch_scalar.c (and with fc_i8 run once per item).
 */
#include "kern_avx2.h"
#include "kern_impl.h"

#ifdef SPEX_HAVE_AVX2
/*
 * Batched int8: xs is [xs_len][batch] s16. For 16 batch items at a time,
 * pmaddwd with (w, 0) pairs gives the even items' products as s32 and
 * with (0, w) the odd items', so each edge costs one load and two
 * pmaddwd per 16 items, exactly.
 */
void spex_fc_i8_batch_avx2(const struct spex_fc *fc, const s16 *xs, s8 *y,
			   u32 batch, u32 o0, u32 o1)
{
	s32 lo = fc->relu ? fc->out_zp : -128;
	u32 d = fc->d_in, nseg = fc->nseg, len = fc->seglen;
	size_t B = batch;
	u32 r, b, s, i, e, k;

	for (r = o0; r < o1; r++) {
		const s8 *w = fc->w8 + (size_t)r * d;
		u32 bias = fc->bias ? (u32)fc->bias[r] : 0;

		for (b = 0; b + 32 <= batch; b += 32) {
			v8su e0 = {}, od0 = {}, e1 = {}, od1 = {};

			if (fc->layout == SPEX_FC_GATHER) {
				const u32 *idx = fc->idx + (size_t)r * d;

				for (e = 0; e < d; e++) {
					const s16 *x = xs + idx[e] * B + b;
					v8si wl = (v8si){} + (s32)(u16)w[e];
					v16hi we = (v16hi)wl;
					v16hi wo = (v16hi)(wl << 16);
					v16hi x0 = ld_hi(x), x1 = ld_hi(x + 16);

					e0 += madd(x0, we);
					od0 += madd(x0, wo);
					e1 += madd(x1, we);
					od1 += madd(x1, wo);
				}
			} else {
				const s8 *ws = w;

				for (s = 0; s < nseg; s++) {
					const s16 *x = xs + fc->seg[(size_t)r *
							nseg + s] * B + b;

					for (i = 0; i < len; i++, x += B) {
						v8si wl = (v8si){} +
							  (s32)(u16)ws[i];
						v16hi we = (v16hi)wl;
						v16hi wo = (v16hi)(wl << 16);
						v16hi x0 = ld_hi(x);
						v16hi x1 = ld_hi(x + 16);

						e0 += madd(x0, we);
						od0 += madd(x0, wo);
						e1 += madd(x1, we);
						od1 += madd(x1, wo);
					}
					ws += len;
				}
			}
			/* even/odd lanes back to item order, 8 at a time */
			{
				v8si vb = (v8si){} + (s32)bias;
				v8si vm = (v8si){} + fc->mult[r];
				v8si vs = (v8si){} + fc->shift[r];
				s8 *yo = y + (size_t)r * B + b;
				v8si q[4];

				q[0] = __builtin_shufflevector((v8si)e0,
					(v8si)od0, 0, 8, 1, 9, 2, 10, 3, 11);
				q[1] = __builtin_shufflevector((v8si)e0,
					(v8si)od0, 4, 12, 5, 13, 6, 14, 7, 15);
				q[2] = __builtin_shufflevector((v8si)e1,
					(v8si)od1, 0, 8, 1, 9, 2, 10, 3, 11);
				q[3] = __builtin_shufflevector((v8si)e1,
					(v8si)od1, 4, 12, 5, 13, 6, 14, 7, 15);
				for (k = 0; k < 4; k++)
					store8_s8(yo + 8 * k,
						  requant8(q[k] + vb, vm, vs,
							   fc->out_zp, lo));
			}
		}
		/* Leftover items: plain scalar. */
		for (; b < batch; b++) {
			u32 acc = bias;

			if (fc->layout == SPEX_FC_GATHER) {
				const u32 *idx = fc->idx + (size_t)r * d;

				for (e = 0; e < d; e++)
					acc += (u32)(w[e] * xs[idx[e] * B + b]);
			} else {
				const s8 *ws = w;

				for (s = 0; s < nseg; s++) {
					size_t x0 = fc->seg[(size_t)r * nseg +
							    s];

					for (i = 0; i < len; i++)
						acc += (u32)(ws[i] *
							xs[(x0 + i) * B + b]);
					ws += len;
				}
			}
			y[(size_t)r * B + b] =
				spex_requant_out((s32)acc, fc->mult[r],
						 fc->shift[r], fc->out_zp, lo);
		}
	}
}

#endif /* SPEX_HAVE_AVX2 */
