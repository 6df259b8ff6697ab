// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * FC, f32, scalar reference (userspace only): spex_kernels.fc_f32.
 */
#include "kern_impl.h"

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

void spex_fc_f32_scalar(const struct spex_fc *fc, const float *xs, float *y,
			u32 o0, u32 o1)
{
	u32 r;

	for (r = o0; r < o1; r++) {
		float v = fc_row_f32(fc, xs, r);

		y[r] = fc->relu ? spex_relu1_f32(v) : v;
	}
}
#endif /* SPEX_CORE_FLOAT */
