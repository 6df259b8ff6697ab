/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * Conv packing (conv_pack.c): from a conv layer's channel edges, kernel
 * mask and file-order weights to a struct spex_conv, and the counts and
 * bounds a loader checks and sizes memory by first.
 */
#ifndef SPEX_CONV_PACK_H
#define SPEX_CONV_PACK_H

#include "kernels.h"

/* The conv geometry spex_conv_pack() fills in (valid if out_h/out_w > 0). */
struct spex_conv_shape {
	u32 in_c, in_h, in_w;
	u32 out_c;
	u32 kh, kw, stride, pad;
	u32 cin_deg;		/* input channels per output channel */
	u32 mask_type;		/* enum spx_mask_type */
	u32 mask_period;
};

/*
 * Weights a conv layer stores: sum over (o, s) of its kept taps (the
 * .spx weights_size is this times the element size). 0 if the mask is
 * invalid (spex_mask_check fails).
 */
u64 spex_conv_weight_count(const struct spex_conv_shape *sh);

/*
 * Upper bound on the bytes spex_conv_pack() uses, as spex_fc_pack_bound();
 * SIZE_MAX on overflow.
 */
size_t spex_conv_pack_bound(const struct spex_conv_shape *sh,
			    u32 elem_size);

/*
 * Build cv: cin[o * cin_deg + s] from the channel edge list, taps and
 * tap_start from spex_mask_elems(), the weights in file order (o, s, tap)
 * copied to aligned storage (elem_size 1: s8 -> w8; 4: LE f32 -> wf).
 * Computes out_h = (in_h + 2 pad - kh) / stride + 1 (likewise out_w),
 * ph, pw. bias/mult/shift/zp/relu are zeroed for the caller.
 * Returns SPEX_OK, SPEX_E_SHAPE, SPEX_E_PATTERN (channel out of range) or
 * SPEX_E_LAYER (bad mask).
 */
int spex_conv_pack(struct spex_conv *cv, const struct spex_conv_shape *sh,
		   const u32 *cin, const void *w_file, u32 elem_size,
		   void *mem);

#endif /* SPEX_CONV_PACK_H */
