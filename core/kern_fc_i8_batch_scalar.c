// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Batched FC, int8, scalar reference: spex_kernels.fc_i8_batch, fc_i8
 * once per batch item on feature-major data (u32 sums wrap mod 2^32).
 */
#include "kern_impl.h"

/* Batched: xs is [xs_len][batch], y is [n_out][batch]. */
void spex_fc_i8_batch_scalar(const struct spex_fc *fc, const s16 *xs, s8 *y,
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
