// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Early-exit policies. The int8 path is integer-only so the kernel runs it
 * without touching the FPU: softmax terms come from the exit's exp lookup
 * table, lut[d] = round(65536 * exp(-scale * d)) for a logit gap of d
 * quantization steps, and logarithms come from an integer log2.
 *
 * Every policy gives a confidence in Q16 (65536 = 1.0):
 *   MAX_SOFTMAX  p(top-1)
 *   MARGIN       p(top-1) - p(top-2)
 *   ENTROPY      1 - H(p) / ln(n)
 */
#include "model.h"

/* ln(2) in Q16 */
#define LN2_Q16		45426

static u32 msb64(u64 x)
{
	u32 r = 0;

	while (x >>= 1)
		r++;
	return r;
}

/*
 * ln(x / 65536) in Q16, for x >= 1: log2 by repeated squaring of the
 * mantissa (one fraction bit per step), times ln 2.
 */
s64 spex_ln_q16(u64 x)
{
	u32 msb, i;
	u64 m;
	s64 log2_q16, frac = 0;

	if (!x)
		return -((s64)64 << 16);	/* ln(1/65536) is about -11 */
	msb = msb64(x);
	m = msb > 30 ? x >> (msb - 30) : x << (30 - msb); /* [2^30, 2^31) */
	for (i = 1; i <= 16; i++) {
		m = (m * m) >> 30;
		if (m >= (1ull << 31)) {
			m >>= 1;
			frac |= 1 << (16 - i);
		}
	}
	log2_q16 = ((s64)msb - 16) * 65536 + frac;
	return (log2_q16 * LN2_Q16) >> 16;
}

static u32 clamp_q16(s64 v)
{
	if (v < 0)
		return 0;
	if (v > SPX_Q16_ONE)
		return SPX_Q16_ONE;
	return (u32)v;
}

void spex_policy_i8(const s8 *q, u32 n, u32 policy, const u32 *lut,
		    u32 logit_scale_q16, struct spex_conf *c)
{
	s32 qmax = q[0], q2 = -129;
	u64 sum = 0, sum_ed = 0;
	u32 i, arg = 0;

	for (i = 1; i < n; i++) {
		if (q[i] > qmax) {
			q2 = qmax;
			qmax = q[i];
			arg = i;
		} else if (q[i] > q2) {
			q2 = q[i];
		}
	}
	c->class_id = arg;
	if (n == 1) {
		c->confidence_q16 = SPX_Q16_ONE;
		return;
	}
	for (i = 0; i < n; i++) {
		u32 dgap = (u32)(qmax - q[i]);	/* 0..255 */

		sum += lut[dgap];
		sum_ed += (u64)lut[dgap] * dgap;
	}
	/* sum >= lut[0] == 65536: every division below is safe. */
	switch (policy) {
	case SPX_POLICY_MARGIN:
		c->confidence_q16 = (u32)spex_div_u64(
			(u64)(SPX_Q16_ONE - lut[qmax - q2]) << 16, sum);
		break;
	case SPX_POLICY_ENTROPY: {
		u64 mean_d_q16 = spex_div_u64(sum_ed << 16, sum);
		s64 h = spex_ln_q16(sum) +
			(s64)((mean_d_q16 * logit_scale_q16) >> 16);
		s64 ln_n = spex_ln_q16((u64)n << 16);

		c->confidence_q16 = clamp_q16(SPX_Q16_ONE -
			(s64)spex_div_u64((u64)(h < 0 ? 0 : h) << 16, ln_n));
		break;
	}
	default: /* SPX_POLICY_MAX_SOFTMAX */
		c->confidence_q16 = (u32)spex_div_u64((u64)SPX_Q16_ONE << 16,
						      sum);
		break;
	}
}

#if SPEX_CORE_FLOAT
/* Q16 of a probability-like value; NaN (from a model with NaN or infinite
 * weights) counts as no confidence at all. */
static u32 q16_of(double v)
{
	if (!(v > 0))
		return 0;
	if (v >= 1)
		return SPX_Q16_ONE;
	return (u32)(v * 65536 + 0.5);
}

void spex_policy_f32(const float *l, u32 n, u32 policy, struct spex_conf *c)
{
	double max = -INFINITY, sum = 0, h = 0, p2 = 0;
	u32 i, arg = 0;

	for (i = 0; i < n; i++)
		if (l[i] > max) {	/* false for NaN */
			max = l[i];
			arg = i;
		}
	c->class_id = arg;
	if (n == 1) {
		c->confidence_q16 = SPX_Q16_ONE;
		return;
	}
	if (!isfinite(max)) {
		c->confidence_q16 = 0;
		return;
	}
	for (i = 0; i < n; i++)
		sum += exp(l[i] - max);
	for (i = 0; i < n; i++) {
		double p = exp(l[i] - max) / sum;

		if (p > 0)
			h -= p * log(p);
		if (i != arg && p > p2)
			p2 = p;
	}
	switch (policy) {
	case SPX_POLICY_MARGIN:
		c->confidence_q16 = q16_of(1.0 / sum - p2);
		break;
	case SPX_POLICY_ENTROPY:
		c->confidence_q16 = q16_of(1 - h / log(n));
		break;
	default:
		c->confidence_q16 = q16_of(1.0 / sum);
		break;
	}
}
#endif
