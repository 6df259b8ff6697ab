// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Batched FC, f32, scalar reference (userspace only):
 * spex_kernels.fc_f32_batch, fc_f32 once per batch item.
 */
#include "kern_impl.h"

#if SPEX_CORE_FLOAT
void spex_fc_f32_batch_scalar(const struct spex_fc *fc, const float *xs,
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
			y[(size_t)r * batch + b] = fc->relu ? spex_relu1_f32(acc) : acc;
		}
	}
}
#endif /* SPEX_CORE_FLOAT */
