// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * FC, f32, AVX2+FMA (userspace only): spex_kernels.fc_f32. As the int8
 * kernel: eight WINDOW/BANKED rows in lockstep, 8 edges per FMA, masked
 * tails; GATHER rows assemble 8 scalar loads into a vector.
 */
#include "kern_avx2.h"
#include "kern_impl.h"

#ifdef SPEX_HAVE_AVX2
#if SPEX_CORE_FLOAT
/* Eight rows r .. r + 7 in lockstep; lane j: row r + j's sum. */
static v8sf fc8_runs_f32(const struct spex_fc *fc, const float *xs, u32 r)
{
	u32 nseg = fc->nseg, len = fc->seglen, d = fc->d_in, s, i;
	const float *w = fc->wf + (size_t)r * d;
	const u32 *seg = fc->seg + (size_t)r * nseg;
#define DECL(j)	v8sf a##j = {};
	ROWS8(DECL)
#undef DECL

	if (nseg == 1 && seg[0] == seg[1] && seg[0] == seg[2] &&
	    seg[0] == seg[3] && seg[0] == seg[4] && seg[0] == seg[5] &&
	    seg[0] == seg[6] && seg[0] == seg[7]) {
		const float *x = xs + seg[0];

		for (i = 0; i + 8 <= len; i += 8) {
			v8sf xv = ld_f(x + i);
#define ROW(j)	a##j += xv * ld_f(w + j * (size_t)d + i);
			ROWS8(ROW)
#undef ROW
		}
		if (i < len) {
			v8si m = tail_mask8(len - i);
			v8sf xv = ld_f_mask(x + i, m);
#define ROW(j)	a##j += xv * ld_f_mask(w + j * (size_t)d + i, m);
			ROWS8(ROW)
#undef ROW
		}
		return hsum8_f(a0, a1, a2, a3, a4, a5, a6, a7);
	}
	for (s = 0; s < nseg; s++, w += len) {
#define XP(j)	const float *x##j = xs + seg[j * nseg + s];
		ROWS8(XP)
#undef XP
		for (i = 0; i + 8 <= len; i += 8) {
#define ROW(j)	a##j += ld_f(x##j + i) * ld_f(w + j * (size_t)d + i);
			ROWS8(ROW)
#undef ROW
		}
		if (i < len) {
			v8si m = tail_mask8(len - i);
#define ROW(j)	a##j += ld_f_mask(x##j + i, m) * \
		ld_f_mask(w + j * (size_t)d + i, m);
			ROWS8(ROW)
#undef ROW
		}
	}
	return hsum8_f(a0, a1, a2, a3, a4, a5, a6, a7);
}

static float fc1_runs_f32(const struct spex_fc *fc, const float *xs, u32 r)
{
	u32 nseg = fc->nseg, len = fc->seglen, s, i;
	const float *w = fc->wf + (size_t)r * fc->d_in;
	const u32 *seg = fc->seg + (size_t)r * nseg;
	v8sf a = {}, b = {};

	for (s = 0; s < nseg; s++) {
		const float *x = xs + seg[s];

		for (i = 0; i + 16 <= len; i += 16) {
			a += ld_f(x + i) * ld_f(w + i);
			b += ld_f(x + i + 8) * ld_f(w + i + 8);
		}
		for (; i < len; i += 8) {
			v8si m = tail_mask8(len - i < 8 ? len - i : 8);

			a += ld_f_mask(x + i, m) * ld_f_mask(w + i, m);
		}
		w += len;
	}
	return hsum1_f(a + b);
}


/* GATHER: 8 scalar loads assembled into a vector, then one FMA. */
static float fc1_gather_f32(const struct spex_fc *fc, const float *xs, u32 r)
{
	u32 d = fc->d_in, e;
	const float *w = fc->wf + (size_t)r * d;
	const u32 *idx = fc->idx + (size_t)r * d;
	v8sf a = {}, b = {};
	float tail = 0.0f;

	for (e = 0; e + 16 <= d; e += 16) {
		const u32 *ix = idx + e;
		v8sf xa = { xs[ix[0]], xs[ix[1]], xs[ix[2]], xs[ix[3]],
			    xs[ix[4]], xs[ix[5]], xs[ix[6]], xs[ix[7]] };
		v8sf xb = { xs[ix[8]], xs[ix[9]], xs[ix[10]], xs[ix[11]],
			    xs[ix[12]], xs[ix[13]], xs[ix[14]], xs[ix[15]] };

		a += xa * ld_f(w + e);
		b += xb * ld_f(w + e + 8);
	}
	if (e + 8 <= d) {
		const u32 *ix = idx + e;
		v8sf xa = { xs[ix[0]], xs[ix[1]], xs[ix[2]], xs[ix[3]],
			    xs[ix[4]], xs[ix[5]], xs[ix[6]], xs[ix[7]] };

		a += xa * ld_f(w + e);
		e += 8;
	}
	for (; e < d; e++)
		tail += w[e] * xs[idx[e]];
	return hsum1_f(a + b) + tail;
}

static ALWAYS_INLINE void out_f32(const struct spex_fc *fc, float *y, u32 r,
				  float v)
{
	v += fc->biasf ? fc->biasf[r] : 0.0f;
	y[r] = fc->relu && !(v > 0.0f) ? 0.0f : v;
}

/* Rows r .. r + 7: bias, ReLU, store. */
static ALWAYS_INLINE void out8_f32(const struct spex_fc *fc, float *y, u32 r,
				   v8sf v)
{
	if (fc->biasf)
		v += ld_f(fc->biasf + r);
	st_f(y + r, relu_v(v, fc->relu));
}

void spex_fc_f32_avx2(const struct spex_fc *fc, const float *xs, float *y,
		      u32 o0, u32 o1)
{
	u32 r = o0;

	if (fc->layout == SPEX_FC_GATHER) {
		for (; r < o1; r++)
			out_f32(fc, y, r, fc1_gather_f32(fc, xs, r));
		return;
	}
	for (; r + 8 <= o1; r += 8)
		out8_f32(fc, y, r, fc8_runs_f32(fc, xs, r));
	for (; r < o1; r++)
		out_f32(fc, y, r, fc1_runs_f32(fc, xs, r));
}
#endif /* SPEX_CORE_FLOAT */

#endif /* SPEX_HAVE_AVX2 */
