/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * Conv geometry shared by the forward and backward passes.
 */
#ifndef SPEX_TRAIN_NET_CONV_H
#define SPEX_TRAIN_NET_CONV_H

#include "train.h"

/* The valid output columns [*x0, *x1) for a tap at column offset kx. */
static inline void conv_cols(const struct st_layer *l, u32 kx, u32 *x0, u32 *x1)
{
	s32 lo = (s32)l->pad - (s32)kx;	/* ix = ox + kx - pad >= 0 */
	s32 hi = (s32)l->in_w + (s32)l->pad - (s32)kx; /* ix < in_w */

	*x0 = lo > 0 ? (u32)lo : 0;
	*x1 = hi < (s32)l->out_w ? (hi > 0 ? (u32)hi : 0) : l->out_w;
	if (*x1 < *x0)
		*x1 = *x0;
}

#endif /* SPEX_TRAIN_NET_CONV_H */
