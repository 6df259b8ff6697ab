/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * The vector helpers every core/kern_*_avx2.c kernel shares: vector types,
 * loads and masked tails, pmaddwd, horizontal sums and the exact 8-lane
 * requantization with the int8 output steps built on it (also used by
 * the AVX-512 and VNNI kernels, kern_avx512.h). Written with GCC vector
 * extensions and __builtin_ia32_* builtins instead of <immintrin.h>, so
 * the kernels also build freestanding in the kernel (-nostdinc). Include
 * it only from files built with -mavx2 -mfma (the _avx2.c suffix:
 * core/core.mk, Kbuild).
 */
#ifndef SPEX_KERN_AVX2_H
#define SPEX_KERN_AVX2_H

#include "kernels.h"

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

static ALWAYS_INLINE v16hi tail_mask16(u32 n)
{
	/* First n (0..16) lanes all-ones: load at mask16 + 16 - n. */
	static const s16 mask16[32] __attribute__((aligned(64))) = {
		-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	};

	return ld_hi(mask16 + 16 - n);
}

static ALWAYS_INLINE v8si tail_mask8(u32 n)
{
	static const s32 mask8[16] __attribute__((aligned(64))) = {
		-1, -1, -1, -1, -1, -1, -1, -1,
	};

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

/* Row r's int8 output from its raw sum: bias, requantize. */
static ALWAYS_INLINE void out_i8(const struct spex_fc *fc, s8 *y, u32 r,
				 u32 sum, s32 lo)
{
	u32 acc = sum + (fc->bias ? (u32)fc->bias[r] : 0);

	y[r] = spex_requant_out((s32)acc, fc->mult[r], fc->shift[r],
				fc->out_zp, lo);
}

/* Rows r .. r + 7 from their raw sums: bias, requantize, store. */
static ALWAYS_INLINE void out8_i8(const struct spex_fc *fc, s8 *y, u32 r,
				  v8si acc, s32 lo)
{
	if (fc->bias)
		acc += *(const v8si_u *)(fc->bias + r);
	store8_s8(y + r, requant8(acc, *(const v8si_u *)(fc->mult + r),
				  *(const v8si_u *)(fc->shift + r),
				  fc->out_zp, lo));
}

/* Eight rows in lockstep: X(j) once per row j of the eight. */
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
#endif /* SPEX_CORE_FLOAT */

#endif /* SPEX_KERN_AVX2_H */
