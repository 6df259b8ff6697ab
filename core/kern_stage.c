// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Staging: gather a layer's input into the order its kernel reads (FC:
 * the WINDOW/BANKED copy or GATHER's x - zp; conv: x - zp, zero-padded),
 * one input or a feature-major batch. Scalar and memory-bound, shared by
 * every kernel implementation.
 */
#include "kernels.h"

/* ---------------------------------------------------------------- */
/* FC staging                                                        */
/* ---------------------------------------------------------------- */

/*
 * dst[i] = src[i] - zp for i < n. In userspace 16 at a time with generic
 * vectors (SSE2 on x86-64); the kernel build stays scalar, as staging runs
 * outside kernel_fpu_begin/end there.
 */
static void s8_to_s16(const s8 *src, s16 *dst, size_t n, s32 zp)
{
	size_t i = 0;

#ifndef __KERNEL__
	typedef s8 v16s8 __attribute__((vector_size(16)));
	typedef s16 v16s16 __attribute__((vector_size(32)));
	v16s16 vzp = (v16s16){} + (s16)zp;

	for (; i + 16 <= n; i += 16) {
		v16s8 a;
		v16s16 b;

		memcpy(&a, src + i, 16);
		b = __builtin_convertvector(a, v16s16) - vzp;
		memcpy(dst + i, &b, 32);
	}
#endif
	for (; i < n; i++)
		dst[i] = (s16)(src[i] - zp);
}

/* buf[i] = buf[i - period] for period <= i < total (elements of size es). */
static void repeat_tail(void *buf, size_t es, size_t period, size_t total)
{
	u8 *b = buf;
	size_t i, len;

	for (i = period; i < total; i += len) {
		len = total - i < period ? total - i : period;
		memcpy(b + i * es, b + (i - period) * es, len * es);
	}
}

void spex_fc_stage_i8(const struct spex_fc *fc, const s8 *x, s16 *xs)
{
	s32 zp = fc->in_zp;
	u32 n = fc->n_in, i;

	if (!fc->xs_src) {
		s8_to_s16(x, xs, n, zp);
		memset(xs + n, 0, (size_t)(fc->xs_len - n) * sizeof(*xs));
		return;
	}
	if (fc->layout == SPEX_FC_WINDOW) {	/* xs_src[i] == i % n_in */
		s8_to_s16(x, xs, n < fc->xs_len ? n : fc->xs_len, zp);
		repeat_tail(xs, sizeof(*xs), n, fc->xs_len);
		return;
	}
	for (i = 0; i < fc->xs_len; i++)
		xs[i] = (s16)(x[fc->xs_src[i]] - zp);
}

void spex_fc_stage_i8_batch(const struct spex_fc *fc, const s8 *x, s16 *xs,
			    u32 batch)
{
	size_t B = batch, n = fc->n_in, len = fc->xs_len;
	s32 zp = fc->in_zp;
	u32 i;

	if (!fc->xs_src) {
		s8_to_s16(x, xs, n * B, zp);
		memset(xs + n * B, 0, (len - n) * B * sizeof(*xs));
		return;
	}
	if (fc->layout == SPEX_FC_WINDOW) {
		s8_to_s16(x, xs, (n < len ? n : len) * B, zp);
		repeat_tail(xs, sizeof(*xs), n * B, len * B);
		return;
	}
	for (i = 0; i < len; i++)
		s8_to_s16(x + (size_t)fc->xs_src[i] * B, xs + i * B, B, zp);
}

/* ---------------------------------------------------------------- */
/* Conv staging: subtract the zero point, pad with real zeros         */
/* ---------------------------------------------------------------- */

void spex_conv_stage_i8(const struct spex_conv *cv, const s8 *x, s16 *xs)
{
	s32 zp = cv->in_zp;
	u32 c, yy, xx;

	for (c = 0; c < cv->in_c; c++) {
		for (yy = 0; yy < cv->ph; yy++) {
			s16 *d = xs + ((size_t)c * cv->ph + yy) * cv->pw;
			const s8 *srow;

			if (yy < cv->pad || yy >= cv->pad + cv->in_h) {
				for (xx = 0; xx < cv->pw; xx++)
					d[xx] = 0;
				continue;
			}
			srow = x + ((size_t)c * cv->in_h + yy - cv->pad) *
			       cv->in_w;
			for (xx = 0; xx < cv->pad; xx++)
				d[xx] = 0;
			for (xx = 0; xx < cv->in_w; xx++)
				d[cv->pad + xx] = (s16)(srow[xx] - zp);
			for (xx = cv->pad + cv->in_w; xx < cv->pw; xx++)
				d[xx] = 0;
		}
	}
}

#if SPEX_CORE_FLOAT
void spex_fc_stage_f32(const struct spex_fc *fc, const float *x, float *xs)
{
	spex_fc_stage_f32_batch(fc, x, xs, 1);
}

void spex_fc_stage_f32_batch(const struct spex_fc *fc, const float *x,
			     float *xs, u32 batch)
{
	size_t B = batch, n = fc->n_in, len = fc->xs_len;
	u32 i;

	if (!fc->xs_src) {
		memcpy(xs, x, n * B * sizeof(*xs));
		memset(xs + n * B, 0, (len - n) * B * sizeof(*xs));
		return;
	}
	if (fc->layout == SPEX_FC_WINDOW) {	/* xs_src[i] == i % n_in */
		memcpy(xs, x, (n < len ? n : len) * B * sizeof(*xs));
		repeat_tail(xs, sizeof(*xs), n * B, len * B);
		return;
	}
	if (B == 1) {
		for (i = 0; i < len; i++)
			xs[i] = x[fc->xs_src[i]];
		return;
	}
	for (i = 0; i < len; i++)
		memcpy(xs + i * B, x + (size_t)fc->xs_src[i] * B,
		       B * sizeof(*xs));
}

void spex_conv_stage_f32(const struct spex_conv *cv, const float *x,
			 float *xs)
{
	u32 c, yy, xx;

	for (c = 0; c < cv->in_c; c++) {
		for (yy = 0; yy < cv->ph; yy++) {
			float *d = xs + ((size_t)c * cv->ph + yy) * cv->pw;
			const float *srow;

			if (yy < cv->pad || yy >= cv->pad + cv->in_h) {
				for (xx = 0; xx < cv->pw; xx++)
					d[xx] = 0.0f;
				continue;
			}
			srow = x + ((size_t)c * cv->in_h + yy - cv->pad) *
			       cv->in_w;
			for (xx = 0; xx < cv->pad; xx++)
				d[xx] = 0.0f;
			memcpy(d + cv->pad, srow, (size_t)cv->in_w * sizeof(*d));
			for (xx = cv->pad + cv->in_w; xx < cv->pw; xx++)
				d[xx] = 0.0f;
		}
	}
}
#endif
