// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * ReLU layers, int8 (clamp at the zero point) and f32: scalar,
 * memory-bound, shared by every kernel implementation.
 */
#include "kernels.h"

void spex_relu_i8(const s8 *x, s8 *y, u32 n, s32 zp)
{
	u32 i;

	for (i = 0; i < n; i++)
		y[i] = x[i] < zp ? (s8)zp : x[i];
}

#if SPEX_CORE_FLOAT
/* NaN maps to 0. */
void spex_relu_f32(const float *x, float *y, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		y[i] = spex_relu1_f32(x[i]);
}
#endif
