// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Staging (the gather of a layer's input into the order its kernel reads),
 * pooling, ReLU, and the choice of kernel implementation. All scalar: these
 * are memory-bound and shared by every implementation.
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

/* ---------------------------------------------------------------- */
/* Pooling (no padding) and ReLU                                     */
/* ---------------------------------------------------------------- */

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

void spex_relu_i8(const s8 *x, s8 *y, u32 n, s32 zp)
{
	u32 i;

	for (i = 0; i < n; i++)
		y[i] = x[i] < zp ? (s8)zp : x[i];
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

/* NaN maps to 0. */
void spex_relu_f32(const float *x, float *y, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
#endif

/* ---------------------------------------------------------------- */
/* Choosing an implementation                                        */
/* ---------------------------------------------------------------- */

static int name_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

#ifdef SPEX_HAVE_AVX2
static int avx2_runnable(void)
{
#ifdef __KERNEL__
	/* The module checks boot_cpu_has(AVX2, FMA) before it uses it. */
	return 1;
#else
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
}
#endif

const struct spex_kernels *spex_kernels_by_name(const char *name)
{
	if (!name)
		return NULL;
	if (name_eq(name, spex_kernels_scalar.name))
		return &spex_kernels_scalar;
#ifdef SPEX_HAVE_AVX2
	if (name_eq(name, spex_kernels_avx2.name))
		return avx2_runnable() ? &spex_kernels_avx2 : NULL;
#endif
	return NULL;
}

#ifdef __KERNEL__
/* The module makes its own choice (boot_cpu_has) and passes it in. */
const struct spex_kernels *spex_kernels_best(void)
{
	return &spex_kernels_scalar;
}
#else
const struct spex_kernels *spex_kernels_best(void)
{
	static const struct spex_kernels *best;
	const struct spex_kernels *k = __atomic_load_n(&best, __ATOMIC_ACQUIRE);
	const char *env;

	if (k)
		return k;
	env = getenv("SPEX_KERNELS");
	if (env && *env)
		k = spex_kernels_by_name(env);
#ifdef SPEX_HAVE_AVX2
	if (!k && avx2_runnable())
		k = &spex_kernels_avx2;
#endif
	if (!k)
		k = &spex_kernels_scalar;
	__atomic_store_n(&best, k, __ATOMIC_RELEASE);
	return k;
}
#endif
