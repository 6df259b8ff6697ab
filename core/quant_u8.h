/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * uint8 sensor input to a model's int8 input, without floating point:
 * pixel p (0..255, the real value p / 255) becomes
 *
 *	q = clamp(zero_point + rne(p / (255 * scale)), -128, 127)
 *
 * with rne the exact quotient rounded to nearest, ties to even. scale is
 * the binary32 of spx_qparam.scale_bits: m * 2^e with a 24-bit m, so the
 * quotient is p * 2^-e / (255 * m), done in 64-bit integers. The module
 * builds a 256-entry table per model at load (bpf_spex_run() with
 * SPEX_KF_IN_U8); userspace uses the same function to compare.
 */
#ifndef SPEX_QUANT_U8_H
#define SPEX_QUANT_U8_H

#include <spex/platform.h>

static inline s8 spex_quant_u8(u8 p, u32 scale_bits, s32 zero_point)
{
	u32 exp = (scale_bits >> 23) & 0xff;
	u64 m = (scale_bits & 0x7fffff) | (exp ? 0x800000u : 0);
	int e = (exp ? (int)exp : 1) - 150;	/* scale = m * 2^e */
	u64 num = p, den = 255 * m, q, r;
	s64 v;

	if (!m || !p || e >= 0) {
		q = 0;				/* e >= 0: quotient <= 1 / m */
	} else if (e < -48) {
		q = 256;			/* >= 2^48 / 2^32: saturates */
	} else {
		num <<= -e;			/* < 2^8 * 2^48 */
		q = spex_div_u64(num, den);
		r = num - q * den;
		if (2 * r > den || (2 * r == den && (q & 1)))
			q++;
	}
	if (q > 256)
		q = 256;
	v = (s64)q + zero_point;
	return (s8)(v < -128 ? -128 : v > 127 ? 127 : v);
}

static inline void spex_quant_u8_table(s8 table[256], u32 scale_bits,
				       s32 zero_point)
{
	int p;

	for (p = 0; p < 256; p++)
		table[p] = spex_quant_u8((u8)p, scale_bits, zero_point);
}

#endif /* SPEX_QUANT_U8_H */
