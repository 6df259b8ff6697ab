// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * FC, int8, scalar reference: spex_kernels.fc_i8, the plainest correct
 * form, which every SIMD fc_i8 must equal bit for bit. Sums are kept in
 * u32 so that they wrap (mod 2^32) instead of overflowing; see kernels.h.
 */
#include "kern_impl.h"

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

void spex_fc_i8_scalar(const struct spex_fc *fc, const s16 *xs, s8 *y,
		       u32 o0, u32 o1)
{
	s32 lo = fc->relu ? fc->out_zp : -128;
	u32 r;

	for (r = o0; r < o1; r++)
		y[r] = spex_requant_out(fc_row_i8(fc, xs, r), fc->mult[r],
					fc->shift[r], fc->out_zp, lo);
}
