// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Pooling layers, max and average (no padding), int8 and f32: scalar,
 * memory-bound, shared by every kernel implementation.
 */
#include "kernels.h"

void spex_maxpool_i8(const struct spex_pool *pl, const s8 *x, s8 *y)
{
	u32 c, oy, ox, ky, kx;

	for (c = 0; c < pl->c; c++) {
		const s8 *xc = x + (size_t)c * pl->in_h * pl->in_w;

		for (oy = 0; oy < pl->out_h; oy++) {
			for (ox = 0; ox < pl->out_w; ox++) {
				s8 m = -128;

				for (ky = 0; ky < pl->k; ky++) {
					const s8 *row = xc +
						(size_t)(oy * pl->stride + ky) *
						pl->in_w + ox * pl->stride;

					for (kx = 0; kx < pl->k; kx++)
						if (row[kx] > m)
							m = row[kx];
				}
				*y++ = m;
			}
		}
	}
}

/*
 * Average of the raw int8 values (the output keeps the input's scale and
 * zero point), rounded half away from zero.
 */
void spex_avgpool_i8(const struct spex_pool *pl, const s8 *x, s8 *y)
{
	s32 n = (s32)(pl->k * pl->k);
	u32 c, oy, ox, ky, kx;

	for (c = 0; c < pl->c; c++) {
		const s8 *xc = x + (size_t)c * pl->in_h * pl->in_w;

		for (oy = 0; oy < pl->out_h; oy++) {
			for (ox = 0; ox < pl->out_w; ox++) {
				s32 sum = 0;

				for (ky = 0; ky < pl->k; ky++) {
					const s8 *row = xc +
						(size_t)(oy * pl->stride + ky) *
						pl->in_w + ox * pl->stride;

					for (kx = 0; kx < pl->k; kx++)
						sum += row[kx];
				}
				if (sum >= 0)
					*y++ = (s8)((sum + n / 2) / n);
				else
					*y++ = (s8)-((-sum + n / 2) / n);
			}
		}
	}
}

#if SPEX_CORE_FLOAT
void spex_maxpool_f32(const struct spex_pool *pl, const float *x, float *y)
{
	u32 c, oy, ox, ky, kx;

	for (c = 0; c < pl->c; c++) {
		const float *xc = x + (size_t)c * pl->in_h * pl->in_w;

		for (oy = 0; oy < pl->out_h; oy++) {
			for (ox = 0; ox < pl->out_w; ox++) {
				const float *w0 = xc +
					(size_t)oy * pl->stride * pl->in_w +
					ox * pl->stride;
				float m = w0[0];

				for (ky = 0; ky < pl->k; ky++) {
					const float *row = w0 +
						(size_t)ky * pl->in_w;

					for (kx = 0; kx < pl->k; kx++)
						if (row[kx] > m)
							m = row[kx];
				}
				*y++ = m;
			}
		}
	}
}

void spex_avgpool_f32(const struct spex_pool *pl, const float *x, float *y)
{
	float inv = 1.0f / (float)(pl->k * pl->k);
	u32 c, oy, ox, ky, kx;

	for (c = 0; c < pl->c; c++) {
		const float *xc = x + (size_t)c * pl->in_h * pl->in_w;

		for (oy = 0; oy < pl->out_h; oy++) {
			for (ox = 0; ox < pl->out_w; ox++) {
				float sum = 0.0f;

				for (ky = 0; ky < pl->k; ky++) {
					const float *row = xc +
						(size_t)(oy * pl->stride + ky) *
						pl->in_w + ox * pl->stride;

					for (kx = 0; kx < pl->k; kx++)
						sum += row[kx];
				}
				*y++ = sum * inv;
			}
		}
	}
}

#endif
