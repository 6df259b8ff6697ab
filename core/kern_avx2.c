// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * AVX2 (+FMA) layer kernels, written with GCC vector extensions and
 * __builtin_ia32_* builtins instead of <immintrin.h>, so the file also
 * builds freestanding in the kernel (-nostdinc). Built with -mavx2 -mfma;
 * only run where the CPU has both (spex_kernels_best / boot_cpu_has).
 *
 * Design (measured on AMD EPYC Zen 3, AVX2, no AVX-512; see
 * Documentation/performance.rst):
 *  - WINDOW and BANKED rows are a few contiguous runs of the staged input,
 *    so each 8 (f32) or 16 (int8) edges cost one unaligned load of
 *    inputs, one of weights and one FMA / pmaddwd. Eight rows run in
 *    lockstep (same run lengths): eight independent accumulators, one
 *    horizontal reduction into one vector of eight row sums, then bias,
 *    requantization (vectorized, exact) or ReLU on the whole vector.
 *    Run tails are masked (int8: over-reading into SPEX_FC_XS_PAD / the
 *    weights' SPEX_FC_W_PAD, the extra lanes multiplied by zero).
 *  - GATHER rows pay one load per edge, whatever we do: 8 scalar loads
 *    assembled into a vector beat vgatherdps/vpgatherdd by ~1.5x here.
 *  - Batched FC: every edge is a broadcast weight times the batch vector
 *    of its input, two rows (8 accumulators) at a time.
 *  - Conv, stride 1: vectorized over output x; int8 pairs horizontally
 *    adjacent taps into one pmaddwd. Other strides use the scalar code.
 *
 * int8 is bit-exact with kern_scalar.c: s32 products are exact and sums
 * wrap mod 2^32 in both; requantization is the shared spex_requant_out().
 */
#include "kernels.h"

#ifdef SPEX_HAVE_AVX2

typedef short v16hi __attribute__((vector_size(32)));
typedef signed char v16qi __attribute__((vector_size(16)));
typedef char v16qc __attribute__((vector_size(16)));	/* gcc builtins' */
typedef int v8si __attribute__((vector_size(32)));
typedef unsigned int v8su __attribute__((vector_size(32)));

typedef v16hi v16hi_u __attribute__((aligned(1), may_alias));
typedef v16qi v16qi_u __attribute__((aligned(1), may_alias));
typedef v8si v8si_u __attribute__((aligned(1), may_alias));
typedef v8su v8su_u __attribute__((aligned(1), may_alias));

#define ALWAYS_INLINE	inline __attribute__((always_inline))

static ALWAYS_INLINE v16hi ld_hi(const s16 *p)
{
	return *(const v16hi_u *)p;
}

/*
 * 16 s8 weights sign-extended to s16 (one vpmovsxbw); 8 to s32 (one
 * vpmovsxbd). gcc 12 turns __builtin_convertvector into four shuffles
 * here, hence the builtins.
 */
static ALWAYS_INLINE v16hi ld_w8(const s8 *p)
{
#ifdef __clang__
	return __builtin_convertvector(*(const v16qi_u *)p, v16hi);
#else
	return __builtin_ia32_pmovsxbw256((v16qc)*(const v16qi_u *)p);
#endif
}

typedef long long v2di __attribute__((vector_size(16)));
typedef signed char v8qi __attribute__((vector_size(8)));
typedef v8qi v8qi_u __attribute__((aligned(1), may_alias));

static ALWAYS_INLINE v8si ld_w8x8(const s8 *p)
{
#ifdef __clang__
	return __builtin_convertvector(*(const v8qi_u *)p, v8si);
#else
	long long q;

	memcpy(&q, p, 8);
	return __builtin_ia32_pmovsxbd256((v16qc)(v2di){ q, 0 });
#endif
}

static ALWAYS_INLINE v8su madd(v16hi a, v16hi b)
{
	return (v8su)__builtin_ia32_pmaddwd256(a, b);
}

/* First n (0..16) lanes all-ones: load at mask16 + 16 - n. */
static const s16 mask16[32] __attribute__((aligned(64))) = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

static const s32 mask8[16] __attribute__((aligned(64))) = {
	-1, -1, -1, -1, -1, -1, -1, -1,
};

static ALWAYS_INLINE v16hi tail_mask16(u32 n)
{
	return ld_hi(mask16 + 16 - n);
}

static ALWAYS_INLINE v8si tail_mask8(u32 n)
{
	return *(const v8si_u *)(mask8 + 8 - n);
}

static ALWAYS_INLINE u32 hsum1_i(v8su a)
{
	return a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
}

/*
 * spex_requant_out() on 8 lanes, bit-exact: s64 products (vpmuldq on the
 * even and the odd lanes), round by adding 2^(shift-1), arithmetic shift
 * right by shift (logical shift of the sign-flipped value), truncate to
 * s32, clamp to [lo - zp, 127 - zp] (the same as clamping zp + v to
 * [lo, 127] in s64), add zp.
 */
typedef long long v4di __attribute__((vector_size(32)));
typedef unsigned long long v4du __attribute__((vector_size(32)));

static ALWAYS_INLINE v8si requant8(v8si acc, v8si mult, v8si shift, s32 zp,
				   s32 lo)
{
	v4du lo32 = (v4du){} + 0xffffffffull, one = (v4du){} + 1;
	v4du she = (v4du)shift & lo32, sho = (v4du)shift >> 32;
	v4di pe = __builtin_ia32_pmuldq256(acc, mult);
	v4di po = __builtin_ia32_pmuldq256((v8si)((v4du)acc >> 32),
					   (v8si)((v4du)mult >> 32));
	v4di me, mo;
	v8si r, m, vlo = (v8si){} + (lo - zp), vhi = (v8si){} + (127 - zp);

	pe += (v4di)(one << (she - 1));
	po += (v4di)(one << (sho - 1));
	me = (v4di)(pe < (v4di){});
	mo = (v4di)(po < (v4di){});
	pe = (v4di)((v4du)(pe ^ me) >> she) ^ me;
	po = (v4di)((v4du)(po ^ mo) >> sho) ^ mo;
	r = (v8si)(((v4du)pe & lo32) | ((v4du)po << 32));
	m = r < vlo;
	r = (r & ~m) | (vlo & m);
	m = r > vhi;
	r = (r & ~m) | (vhi & m);
	return r + zp;
}

/* Store 8 lanes already in [-128, 127] as s8 (saturating packs). */
static ALWAYS_INLINE void store8_s8(s8 *y, v8si v)
{
	v16hi p = __builtin_ia32_packssdw256(v, v);
	v8si q = (v8si)__builtin_ia32_packsswb256(p, p);
	s32 lo = q[0], hi = q[4];

	memcpy(y, &lo, 4);
	memcpy(y + 4, &hi, 4);
}

/* ---------------------------------------------------------------- */
/* FC int8                                                           */
/* ---------------------------------------------------------------- */

#define ROWS8(X)	X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

/* Lane j of the result: the sum of a_j's lanes (8 accumulators). */
static ALWAYS_INLINE v8si hsum8_i(v8su a0, v8su a1, v8su a2, v8su a3,
				  v8su a4, v8su a5, v8su a6, v8su a7)
{
	v8si t0 = __builtin_ia32_phaddd256((v8si)a0, (v8si)a1);
	v8si t1 = __builtin_ia32_phaddd256((v8si)a2, (v8si)a3);
	v8si t2 = __builtin_ia32_phaddd256((v8si)a4, (v8si)a5);
	v8si t3 = __builtin_ia32_phaddd256((v8si)a6, (v8si)a7);
	v8si u0 = __builtin_ia32_phaddd256(t0, t1);
	v8si u1 = __builtin_ia32_phaddd256(t2, t3);

	return (v8si)((v8su)__builtin_shufflevector(u0, u1, 0, 1, 2, 3, 8, 9,
						    10, 11) +
		      (v8su)__builtin_shufflevector(u0, u1, 4, 5, 6, 7, 12, 13,
						    14, 15));
}

/* Eight rows r .. r + 7 in lockstep; lane j: row r + j's sum. */
static v8si fc8_runs_i8(const struct spex_fc *fc, const s16 *xs, u32 r)
{
	u32 nseg = fc->nseg, len = fc->seglen, d = fc->d_in, s, i;
	const s8 *w = fc->w8 + (size_t)r * d;
	const u32 *seg = fc->seg + (size_t)r * nseg;
#define DECL(j)	v8su a##j = {};
	ROWS8(DECL)
#undef DECL

	if (nseg == 1 && seg[0] == seg[1] && seg[0] == seg[2] &&
	    seg[0] == seg[3] && seg[0] == seg[4] && seg[0] == seg[5] &&
	    seg[0] == seg[6] && seg[0] == seg[7]) {
		/* Dense-like: the eight rows read the same inputs. */
		const s16 *x = xs + seg[0];

		for (i = 0; i + 16 <= len; i += 16) {
			v16hi xv = ld_hi(x + i);
#define ROW(j)	a##j += madd(xv, ld_w8(w + j * (size_t)d + i));
			ROWS8(ROW)
#undef ROW
		}
		if (i < len) {
			v16hi xv = ld_hi(x + i) & tail_mask16(len - i);
#define ROW(j)	a##j += madd(xv, ld_w8(w + j * (size_t)d + i));
			ROWS8(ROW)
#undef ROW
		}
		return hsum8_i(a0, a1, a2, a3, a4, a5, a6, a7);
	}
	for (s = 0; s < nseg; s++, w += len) {
#define XP(j)	const s16 *x##j = xs + seg[j * nseg + s];
		ROWS8(XP)
#undef XP
		for (i = 0; i + 16 <= len; i += 16) {
#define ROW(j)	a##j += madd(ld_hi(x##j + i), ld_w8(w + j * (size_t)d + i));
			ROWS8(ROW)
#undef ROW
		}
		if (i < len) {
			v16hi m = tail_mask16(len - i);
#define ROW(j)	a##j += madd(ld_hi(x##j + i) & m, ld_w8(w + j * (size_t)d + i));
			ROWS8(ROW)
#undef ROW
		}
	}
	return hsum8_i(a0, a1, a2, a3, a4, a5, a6, a7);
}

static u32 fc1_runs_i8(const struct spex_fc *fc, const s16 *xs, u32 r)
{
	u32 nseg = fc->nseg, len = fc->seglen, s, i;
	const s8 *w = fc->w8 + (size_t)r * fc->d_in;
	const u32 *seg = fc->seg + (size_t)r * nseg;
	v8su a = {}, b = {};

	for (s = 0; s < nseg; s++) {
		const s16 *x = xs + seg[s];

		for (i = 0; i + 32 <= len; i += 32) {
			a += madd(ld_hi(x + i), ld_w8(w + i));
			b += madd(ld_hi(x + i + 16), ld_w8(w + i + 16));
		}
		for (; i + 16 <= len; i += 16)
			a += madd(ld_hi(x + i), ld_w8(w + i));
		if (i < len)
			b += madd(ld_hi(x + i) & tail_mask16(len - i),
				  ld_w8(w + i));
		w += len;
	}
	return hsum1_i(a + b);
}

#ifndef SPEX_GATHER_HW
#define SPEX_GATHER_HW 0
#endif

#if SPEX_GATHER_HW
/*
 * GATHER with vpgatherdd: 8 dwords at xs + 2 * idx (each holds xs[idx] in
 * its low half; reading xs[idx + 1] too is why xs has SPEX_FC_XS_PAD),
 * sign-extended, times the sign-extended weights.
 */
static u32 fc1_gather_i8(const struct spex_fc *fc, const s16 *xs, u32 r)
{
	u32 d = fc->d_in, e;
	const s8 *w = fc->w8 + (size_t)r * d;
	const u32 *idx = fc->idx + (size_t)r * d;
	v8si all = tail_mask8(8);
	v8su a = {}, b = {};
	u32 acc = 0;

	for (e = 0; e + 16 <= d; e += 16) {
		v8si g0 = __builtin_ia32_gathersiv8si((v8si){},
				(const int *)xs, *(const v8si_u *)(idx + e),
				all, 2);
		v8si g1 = __builtin_ia32_gathersiv8si((v8si){},
				(const int *)xs, *(const v8si_u *)(idx + e + 8),
				all, 2);
		v8si w0 = ld_w8x8(w + e);
		v8si w1 = ld_w8x8(w + e + 8);

		a += (v8su)(((g0 << 16) >> 16) * w0);
		b += (v8su)(((g1 << 16) >> 16) * w1);
	}
	for (; e < d; e++)
		acc += (u32)(w[e] * xs[idx[e]]);
	return hsum1_i(a + b) + acc;
}
#else
/*
 * GATHER: 8 scalar loads (sign-extending) assembled into a vector, times
 * the sign-extended weights (vpmulld): measured faster here than both
 * vpgatherdd and a plain scalar loop.
 */
static u32 fc1_gather_i8(const struct spex_fc *fc, const s16 *xs, u32 r)
{
	u32 d = fc->d_in, e;
	const s8 *w = fc->w8 + (size_t)r * d;
	const u32 *idx = fc->idx + (size_t)r * d;
	v8su a = {}, b = {};
	u32 acc = 0;

	for (e = 0; e + 16 <= d; e += 16) {
		const u32 *ix = idx + e;
		v8si x0 = { xs[ix[0]], xs[ix[1]], xs[ix[2]], xs[ix[3]],
			    xs[ix[4]], xs[ix[5]], xs[ix[6]], xs[ix[7]] };
		v8si x1 = { xs[ix[8]], xs[ix[9]], xs[ix[10]], xs[ix[11]],
			    xs[ix[12]], xs[ix[13]], xs[ix[14]], xs[ix[15]] };
		v8si w0 = ld_w8x8(w + e);
		v8si w1 = ld_w8x8(w + e + 8);

		a += (v8su)x0 * (v8su)w0;
		b += (v8su)x1 * (v8su)w1;
	}
	for (; e < d; e++)
		acc += (u32)(w[e] * xs[idx[e]]);
	return hsum1_i(a + b) + acc;
}
#endif

static ALWAYS_INLINE void out_i8(const struct spex_fc *fc, s8 *y, u32 r,
				 u32 sum, s32 lo)
{
	u32 acc = sum + (fc->bias ? (u32)fc->bias[r] : 0);

	y[r] = spex_requant_out((s32)acc, fc->mult[r], fc->shift[r],
				fc->out_zp, lo);
}

/* Rows r .. r + 7 from their sums: bias, requantize, store. */
static ALWAYS_INLINE void out8_i8(const struct spex_fc *fc, s8 *y, u32 r,
				  v8si acc, s32 lo)
{
	if (fc->bias)
		acc += *(const v8si_u *)(fc->bias + r);
	store8_s8(y + r, requant8(acc, *(const v8si_u *)(fc->mult + r),
				  *(const v8si_u *)(fc->shift + r),
				  fc->out_zp, lo));
}

static void fc_i8(const struct spex_fc *fc, const s16 *xs, s8 *y,
		  u32 o0, u32 o1)
{
	s32 lo = fc->relu ? fc->out_zp : -128;
	u32 r = o0, sums[8], j;

	if (fc->layout == SPEX_FC_GATHER) {
		for (; r + 8 <= o1; r += 8) {
			for (j = 0; j < 8; j++)
				sums[j] = fc1_gather_i8(fc, xs, r + j);
			out8_i8(fc, y, r, *(const v8si_u *)sums, lo);
		}
		for (; r < o1; r++)
			out_i8(fc, y, r, fc1_gather_i8(fc, xs, r), lo);
		return;
	}
	for (; r + 8 <= o1; r += 8)
		out8_i8(fc, y, r, fc8_runs_i8(fc, xs, r), lo);
	for (; r < o1; r++)
		out_i8(fc, y, r, fc1_runs_i8(fc, xs, r), lo);
}

/*
 * Batched int8: xs is [xs_len][batch] s16. For 16 batch items at a time,
 * pmaddwd with (w, 0) pairs gives the even items' products as s32 and
 * with (0, w) the odd items', so each edge costs one load and two
 * pmaddwd per 16 items, exactly.
 */
static void fc_i8_batch(const struct spex_fc *fc, const s16 *xs, s8 *y,
			u32 batch, u32 o0, u32 o1)
{
	s32 lo = fc->relu ? fc->out_zp : -128;
	u32 d = fc->d_in, nseg = fc->nseg, len = fc->seglen;
	size_t B = batch;
	u32 r, b, s, i, e, k;

	for (r = o0; r < o1; r++) {
		const s8 *w = fc->w8 + (size_t)r * d;
		u32 bias = fc->bias ? (u32)fc->bias[r] : 0;

		for (b = 0; b + 32 <= batch; b += 32) {
			v8su e0 = {}, od0 = {}, e1 = {}, od1 = {};

			if (fc->layout == SPEX_FC_GATHER) {
				const u32 *idx = fc->idx + (size_t)r * d;

				for (e = 0; e < d; e++) {
					const s16 *x = xs + idx[e] * B + b;
					v8si wl = (v8si){} + (s32)(u16)w[e];
					v16hi we = (v16hi)wl;
					v16hi wo = (v16hi)(wl << 16);
					v16hi x0 = ld_hi(x), x1 = ld_hi(x + 16);

					e0 += madd(x0, we);
					od0 += madd(x0, wo);
					e1 += madd(x1, we);
					od1 += madd(x1, wo);
				}
			} else {
				const s8 *ws = w;

				for (s = 0; s < nseg; s++) {
					const s16 *x = xs + fc->seg[(size_t)r *
							nseg + s] * B + b;

					for (i = 0; i < len; i++, x += B) {
						v8si wl = (v8si){} +
							  (s32)(u16)ws[i];
						v16hi we = (v16hi)wl;
						v16hi wo = (v16hi)(wl << 16);
						v16hi x0 = ld_hi(x);
						v16hi x1 = ld_hi(x + 16);

						e0 += madd(x0, we);
						od0 += madd(x0, wo);
						e1 += madd(x1, we);
						od1 += madd(x1, wo);
					}
					ws += len;
				}
			}
			/* even/odd lanes back to item order, 8 at a time */
			{
				v8si vb = (v8si){} + (s32)bias;
				v8si vm = (v8si){} + fc->mult[r];
				v8si vs = (v8si){} + fc->shift[r];
				s8 *yo = y + (size_t)r * B + b;
				v8si q[4];

				q[0] = __builtin_shufflevector((v8si)e0,
					(v8si)od0, 0, 8, 1, 9, 2, 10, 3, 11);
				q[1] = __builtin_shufflevector((v8si)e0,
					(v8si)od0, 4, 12, 5, 13, 6, 14, 7, 15);
				q[2] = __builtin_shufflevector((v8si)e1,
					(v8si)od1, 0, 8, 1, 9, 2, 10, 3, 11);
				q[3] = __builtin_shufflevector((v8si)e1,
					(v8si)od1, 4, 12, 5, 13, 6, 14, 7, 15);
				for (k = 0; k < 4; k++)
					store8_s8(yo + 8 * k,
						  requant8(q[k] + vb, vm, vs,
							   fc->out_zp, lo));
			}
		}
		/* Leftover items: plain scalar. */
		for (; b < batch; b++) {
			u32 acc = bias;

			if (fc->layout == SPEX_FC_GATHER) {
				const u32 *idx = fc->idx + (size_t)r * d;

				for (e = 0; e < d; e++)
					acc += (u32)(w[e] * xs[idx[e] * B + b]);
			} else {
				const s8 *ws = w;

				for (s = 0; s < nseg; s++) {
					size_t x0 = fc->seg[(size_t)r * nseg +
							    s];

					for (i = 0; i < len; i++)
						acc += (u32)(ws[i] *
							xs[(x0 + i) * B + b]);
					ws += len;
				}
			}
			y[(size_t)r * B + b] =
				spex_requant_out((s32)acc, fc->mult[r],
						 fc->shift[r], fc->out_zp, lo);
		}
	}
}

/* ---------------------------------------------------------------- */
/* Conv int8                                                         */
/* ---------------------------------------------------------------- */

/* One output pixel, all channels and taps (edges of the plane). */
static u32 conv_px_i8(const struct spex_conv *cv, const s16 *xs, u32 o,
		      u32 oy, u32 ox)
{
	size_t plane = (size_t)cv->ph * cv->pw;
	u32 acc = 0, s, t;

	for (s = 0; s < cv->cin_deg; s++) {
		u32 k = o * cv->cin_deg + s;
		const s16 *xc = xs + cv->cin[k] * plane;

		for (t = cv->tap_start[k]; t < cv->tap_start[k + 1]; t++) {
			u32 ky = cv->taps[t] / cv->kw, kx = cv->taps[t] % cv->kw;

			acc += (u32)(cv->w8[t] *
				     xc[(size_t)(oy * cv->stride + ky) *
					cv->pw + ox * cv->stride + kx]);
		}
	}
	return acc;
}

/*
 * Stride 1: 16 outputs (ox .. ox + 15) of row oy at a time. Taps (ky, kx)
 * and (ky, kx + 1) share a pmaddwd: a load at kx gives the even outputs'
 * pair sums, a load at kx + 1 the odd outputs'. A lone tap pairs with 0.
 */
static void conv_i8(const struct spex_conv *cv, const s16 *xs, s8 *y,
		    s32 *acc, u32 o0, u32 o1)
{
	u32 ow = cv->out_w, oh = cv->out_h, pw = cv->pw, kw = cv->kw;
	size_t plane = (size_t)cv->ph * pw;
	size_t total = (size_t)cv->in_c * plane;
	s32 lo = cv->relu ? cv->out_zp : -128;
	u32 o, oy, ox, s, t, k, maxc;

	if (cv->stride != 1) {
		spex_kernels_scalar.conv_i8(cv, xs, y, acc, o0, o1);
		return;
	}
	for (o = o0; o < o1; o++) {
		u32 bias = cv->bias ? (u32)cv->bias[o] : 0;
		s8 *yo = y + (size_t)o * oh * ow;
		const u32 *cin = cv->cin + (size_t)o * cv->cin_deg;
		const u32 *ts = cv->tap_start + (size_t)o * cv->cin_deg;

		maxc = 0;
		for (s = 0; s < cv->cin_deg; s++)
			if (cin[s] > maxc)
				maxc = cin[s];
		for (oy = 0; oy < oh; oy++) {
			for (ox = 0; ox < ow; ox += 16) {
				v8su ae = {}, ao = {};
				u32 tmp[16], n = ow - ox < 16 ? ow - ox : 16;
				/* furthest element a vector load may touch */
				size_t far = maxc * plane +
					     (size_t)(oy + cv->kh - 1) * pw +
					     ox + kw + 16;

				if (far > total) {
					for (k = 0; k < n; k++)
						tmp[k] = conv_px_i8(cv, xs, o,
								    oy, ox + k);
					goto store;
				}
				for (s = 0; s < cv->cin_deg; s++) {
					const s16 *xc = xs + cin[s] * plane +
							(size_t)oy * pw + ox;

					for (t = ts[s]; t < ts[s + 1];) {
						u32 tp = cv->taps[t];
						u32 ky = tp / kw, kx = tp % kw;
						u32 w0 = (u16)cv->w8[t], w1 = 0;
						const s16 *p = xc +
							(size_t)ky * pw + kx;
						v16hi wv;

						if (t + 1 < ts[s + 1] &&
						    cv->taps[t + 1] == tp + 1 &&
						    kx + 1 < kw) {
							w1 = (u16)cv->w8[t + 1];
							t += 2;
						} else {
							t++;
						}
						wv = (v16hi)((v8su){} +
							     (w0 | w1 << 16));
						ae += madd(ld_hi(p), wv);
						ao += madd(ld_hi(p + 1), wv);
					}
				}
				for (k = 0; k < 8; k++) {
					tmp[2 * k] = ae[k];
					tmp[2 * k + 1] = ao[k];
				}
store:
				for (k = 0; k < n; k++)
					yo[oy * ow + ox + k] =
						spex_requant_out(
							(s32)(tmp[k] + bias),
							cv->mult[o],
							cv->shift[o],
							cv->out_zp, lo);
			}
		}
	}
}

/* ---------------------------------------------------------------- */
/* Float kernels (userspace only)                                    */
/* ---------------------------------------------------------------- */

#if SPEX_CORE_FLOAT
typedef float v8sf __attribute__((vector_size(32)));
typedef v8sf v8sf_u __attribute__((aligned(1), may_alias));

static ALWAYS_INLINE v8sf ld_f(const float *p)
{
	return *(const v8sf_u *)p;
}

static ALWAYS_INLINE v8sf ld_f_mask(const float *p, v8si m)
{
	return __builtin_ia32_maskloadps256((const v8sf *)p, m);
}

static ALWAYS_INLINE void st_f(float *p, v8sf v)
{
	*(v8sf_u *)p = v;
}

static ALWAYS_INLINE void st_f_mask(float *p, v8si m, v8sf v)
{
	__builtin_ia32_maskstoreps256((v8sf *)p, m, v);
}

static ALWAYS_INLINE v8sf relu_v(v8sf v, u32 relu)
{
	return relu ? (v8sf)((v8si)v & (v8si)(v > (v8sf){})) : v;
}

static ALWAYS_INLINE v8sf bcast(float f)
{
	return (v8sf){} + f;
}

/* Lane j of the result: the sum of a_j's lanes. */
static ALWAYS_INLINE v8sf hsum8_f(v8sf a0, v8sf a1, v8sf a2, v8sf a3,
				  v8sf a4, v8sf a5, v8sf a6, v8sf a7)
{
	v8sf t0 = __builtin_ia32_haddps256(a0, a1);
	v8sf t1 = __builtin_ia32_haddps256(a2, a3);
	v8sf t2 = __builtin_ia32_haddps256(a4, a5);
	v8sf t3 = __builtin_ia32_haddps256(a6, a7);
	v8sf u0 = __builtin_ia32_haddps256(t0, t1);
	v8sf u1 = __builtin_ia32_haddps256(t2, t3);

	return __builtin_shufflevector(u0, u1, 0, 1, 2, 3, 8, 9, 10, 11) +
	       __builtin_shufflevector(u0, u1, 4, 5, 6, 7, 12, 13, 14, 15);
}

static ALWAYS_INLINE float hsum1_f(v8sf a)
{
	return ((a[0] + a[4]) + (a[1] + a[5])) +
	       ((a[2] + a[6]) + (a[3] + a[7]));
}

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

#if SPEX_GATHER_HW
/* GATHER with vgatherdps, 16 edges per step in two chains. */
static float fc1_gather_f32(const struct spex_fc *fc, const float *xs, u32 r)
{
	u32 d = fc->d_in, e;
	const float *w = fc->wf + (size_t)r * d;
	const u32 *idx = fc->idx + (size_t)r * d;
	v8sf all = (v8sf)tail_mask8(8);
	v8sf a = {}, b = {};
	float tail = 0.0f;

	for (e = 0; e + 16 <= d; e += 16) {
		v8sf g0 = __builtin_ia32_gathersiv8sf((v8sf){}, xs,
				*(const v8si_u *)(idx + e), all, 4);
		v8sf g1 = __builtin_ia32_gathersiv8sf((v8sf){}, xs,
				*(const v8si_u *)(idx + e + 8), all, 4);

		a += g0 * ld_f(w + e);
		b += g1 * ld_f(w + e + 8);
	}
	for (; e < d; e++)
		tail += w[e] * xs[idx[e]];
	return hsum1_f(a + b) + tail;
}
#else
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
#endif

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

static void fc_f32(const struct spex_fc *fc, const float *xs, float *y,
		   u32 o0, u32 o1)
{
	u32 r = o0, j;

	if (fc->layout == SPEX_FC_GATHER) {
		for (; r < o1; r++)
			out_f32(fc, y, r, fc1_gather_f32(fc, xs, r));
		return;
	}
	for (; r + 8 <= o1; r += 8)
		out8_f32(fc, y, r, fc8_runs_f32(fc, xs, r));
	for (; r < o1; r++)
		out_f32(fc, y, r, fc1_runs_f32(fc, xs, r));
	(void)j;
}

/*
 * Batched f32, two rows (ra, rb; rb == ra for a lone row) at a time. Each
 * edge: a broadcast weight times the batch vectors of its input row.
 * EDGES(X) expands X(xa, xb, wa, wb) once per edge pair.
 */
#define FCB_EDGES(X)							\
	do {								\
		if (fc->layout == SPEX_FC_GATHER) {			\
			const u32 *ia = fc->idx + (size_t)ra * d;	\
			const u32 *ib = fc->idx + (size_t)rb * d;	\
			for (e = 0; e < d; e++)				\
				X(xs + ia[e] * B + b, xs + ib[e] * B + b, \
				  wa[e], wb[e]);			\
		} else {						\
			for (s = 0; s < nseg; s++) {			\
				const float *xa = xs + fc->seg[(size_t)ra * \
						nseg + s] * B + b;	\
				const float *xb = xs + fc->seg[(size_t)rb * \
						nseg + s] * B + b;	\
				for (i = 0; i < len; i++, xa += B, xb += B) \
					X(xa, xb, wa[i], wb[i]);	\
				wa += len;				\
				wb += len;				\
			}						\
		}							\
	} while (0)

/* 32 batch items [b, b + 32) of rows ra, rb. */
static void fcb_2x32_f32(const struct spex_fc *fc, const float *xs, float *y,
			 size_t B, u32 ra, u32 rb, u32 b)
{
	u32 d = fc->d_in, nseg = fc->nseg, len = fc->seglen, s, i, e;
	const float *wa = fc->wf + (size_t)ra * d;
	const float *wb = fc->wf + (size_t)rb * d;
	v8sf a0 = {}, a1 = {}, a2 = {}, a3 = {};
	v8sf c0 = {}, c1 = {}, c2 = {}, c3 = {};
	v8sf ba = bcast(fc->biasf ? fc->biasf[ra] : 0.0f);
	v8sf bb = bcast(fc->biasf ? fc->biasf[rb] : 0.0f);
	float *ya = y + (size_t)ra * B + b, *yb = y + (size_t)rb * B + b;

#define X32(xa, xb, fa, fb)						\
	do {								\
		const float *_xa = (xa), *_xb = (xb);			\
		v8sf _wa = bcast(fa), _wb = bcast(fb);			\
		a0 += _wa * ld_f(_xa);					\
		a1 += _wa * ld_f(_xa + 8);				\
		a2 += _wa * ld_f(_xa + 16);				\
		a3 += _wa * ld_f(_xa + 24);				\
		c0 += _wb * ld_f(_xb);					\
		c1 += _wb * ld_f(_xb + 8);				\
		c2 += _wb * ld_f(_xb + 16);				\
		c3 += _wb * ld_f(_xb + 24);				\
	} while (0)
	FCB_EDGES(X32);
#undef X32
	st_f(ya, relu_v(a0 + ba, fc->relu));
	st_f(ya + 8, relu_v(a1 + ba, fc->relu));
	st_f(ya + 16, relu_v(a2 + ba, fc->relu));
	st_f(ya + 24, relu_v(a3 + ba, fc->relu));
	st_f(yb, relu_v(c0 + bb, fc->relu));
	st_f(yb + 8, relu_v(c1 + bb, fc->relu));
	st_f(yb + 16, relu_v(c2 + bb, fc->relu));
	st_f(yb + 24, relu_v(c3 + bb, fc->relu));
}

/* Up to 8 batch items [b, b + n) of rows ra, rb (masked). */
static void fcb_2x8_f32(const struct spex_fc *fc, const float *xs, float *y,
			size_t B, u32 ra, u32 rb, u32 b, u32 n)
{
	u32 d = fc->d_in, nseg = fc->nseg, len = fc->seglen, s, i, e;
	const float *wa = fc->wf + (size_t)ra * d;
	const float *wb = fc->wf + (size_t)rb * d;
	v8si m = tail_mask8(n);
	v8sf a0 = {}, c0 = {};
	v8sf ba = bcast(fc->biasf ? fc->biasf[ra] : 0.0f);
	v8sf bb = bcast(fc->biasf ? fc->biasf[rb] : 0.0f);

#define X8(xa, xb, fa, fb)						\
	do {								\
		a0 += bcast(fa) * ld_f_mask((xa), m);			\
		c0 += bcast(fb) * ld_f_mask((xb), m);			\
	} while (0)
	FCB_EDGES(X8);
#undef X8
	st_f_mask(y + (size_t)ra * B + b, m, relu_v(a0 + ba, fc->relu));
	st_f_mask(y + (size_t)rb * B + b, m, relu_v(c0 + bb, fc->relu));
}
#undef FCB_EDGES

static void fc_f32_batch(const struct spex_fc *fc, const float *xs,
			 float *y, u32 batch, u32 o0, u32 o1)
{
	u32 r, b;

	for (r = o0; r < o1; r += 2) {
		u32 rb = r + 1 < o1 ? r + 1 : r;

		for (b = 0; b + 32 <= batch; b += 32)
			fcb_2x32_f32(fc, xs, y, batch, r, rb, b);
		for (; b < batch; b += 8)
			fcb_2x8_f32(fc, xs, y, batch, r, rb, b,
				    batch - b < 8 ? batch - b : 8);
	}
}

/* Conv f32, stride 1: 32 outputs of a row at a time, then 8 (masked). */
#define CONV_TAPS(X)							\
	do {								\
		for (s = 0; s < cv->cin_deg; s++) {			\
			const float *xc = xs + cin[s] * plane +		\
					  (size_t)oy * cv->pw + ox;	\
			for (t = ts[s]; t < ts[s + 1]; t++) {		\
				u32 ky = cv->taps[t] / cv->kw;		\
				u32 kx = cv->taps[t] % cv->kw;		\
				const float *p = xc +			\
					(size_t)ky * cv->pw + kx;	\
				v8sf w = bcast(cv->wf[t]);		\
				X;					\
			}						\
		}							\
	} while (0)

static void conv_blk32_f32(const struct spex_conv *cv, const float *xs,
			   float *yo, u32 o, u32 oy, u32 ox)
{
	size_t plane = (size_t)cv->ph * cv->pw;
	const u32 *cin = cv->cin + (size_t)o * cv->cin_deg;
	const u32 *ts = cv->tap_start + (size_t)o * cv->cin_deg;
	v8sf bias = bcast(cv->biasf ? cv->biasf[o] : 0.0f);
	v8sf a0 = {}, a1 = {}, a2 = {}, a3 = {};
	float *out = yo + (size_t)oy * cv->out_w + ox;
	u32 s, t;

	CONV_TAPS(a0 += w * ld_f(p); a1 += w * ld_f(p + 8);
		  a2 += w * ld_f(p + 16); a3 += w * ld_f(p + 24));
	st_f(out, relu_v(a0 + bias, cv->relu));
	st_f(out + 8, relu_v(a1 + bias, cv->relu));
	st_f(out + 16, relu_v(a2 + bias, cv->relu));
	st_f(out + 24, relu_v(a3 + bias, cv->relu));
}

static void conv_blk8_f32(const struct spex_conv *cv, const float *xs,
			  float *yo, u32 o, u32 oy, u32 ox, u32 n)
{
	size_t plane = (size_t)cv->ph * cv->pw;
	const u32 *cin = cv->cin + (size_t)o * cv->cin_deg;
	const u32 *ts = cv->tap_start + (size_t)o * cv->cin_deg;
	v8sf bias = bcast(cv->biasf ? cv->biasf[o] : 0.0f);
	v8si m = tail_mask8(n);
	v8sf a0 = {};
	u32 s, t;

	CONV_TAPS(a0 += w * ld_f_mask(p, m));
	st_f_mask(yo + (size_t)oy * cv->out_w + ox, m,
		  relu_v(a0 + bias, cv->relu));
}
#undef CONV_TAPS

static void conv_f32(const struct spex_conv *cv, const float *xs, float *y,
		     u32 o0, u32 o1)
{
	u32 ow = cv->out_w, o, oy, ox;

	if (cv->stride != 1) {
		spex_kernels_scalar.conv_f32(cv, xs, y, o0, o1);
		return;
	}
	for (o = o0; o < o1; o++) {
		float *yo = y + (size_t)o * cv->out_h * ow;

		for (oy = 0; oy < cv->out_h; oy++) {
			for (ox = 0; ox + 32 <= ow; ox += 32)
				conv_blk32_f32(cv, xs, yo, o, oy, ox);
			for (; ox < ow; ox += 8)
				conv_blk8_f32(cv, xs, yo, o, oy, ox,
					      ow - ox < 8 ? ow - ox : 8);
		}
	}
}
#endif /* SPEX_CORE_FLOAT */

const struct spex_kernels spex_kernels_avx2 = {
	.name		= "avx2",
	.fc_i8		= fc_i8,
	.conv_i8	= conv_i8,
	.fc_i8_batch	= fc_i8_batch,
#if SPEX_CORE_FLOAT
	.fc_f32		= fc_f32,
	.conv_f32	= conv_f32,
	.fc_f32_batch	= fc_f32_batch,
#endif
};

#endif /* SPEX_HAVE_AVX2 */
