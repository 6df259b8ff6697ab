/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * One column of float logits [class][B]: its argmax and the softmax
 * denominator, shared by the loss (net_backward.c) and the evaluation
 * (train.c), so both see the same numbers.
 */
#ifndef SPEX_TRAIN_SOFTMAX_H
#define SPEX_TRAIN_SOFTMAX_H

#include "train.h"

#include <math.h>

/* Returns sum over c of exp(z[c][b] - *max); *max and *arg of column b. */
static inline float st_softmax_col(const float *z, u32 nc, u32 B, u32 b,
				   float *max, u32 *arg)
{
	float mx = z[b], sum = 0;
	u32 a = 0, c;

	for (c = 1; c < nc; c++)
		if (z[(size_t)c * B + b] > mx) {
			mx = z[(size_t)c * B + b];
			a = c;
		}
	for (c = 0; c < nc; c++)
		sum += expf(z[(size_t)c * B + b] - mx);
	*max = mx;
	*arg = a;
	return sum;
}

#endif /* SPEX_TRAIN_SOFTMAX_H */
