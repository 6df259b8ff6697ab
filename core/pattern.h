/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * Predefined-sparse connection patterns, regenerated from a few numbers.
 *
 * A junction joins p left neurons (the fan-in) to n right neurons; every
 * right neuron reads exactly d_in left neurons and every left neuron feeds
 * exactly d_out = n * d_in / p right neurons. The same parameters give the
 * same edges in the kernel and in userspace: the PRNG is our own and uses
 * only integer arithmetic.
 */
#ifndef SPEX_PATTERN_H
#define SPEX_PATTERN_H

#include "spex_platform.h"

/* PCG32 (O'Neill): small, fast, portable, and good enough for patterns. */
struct spex_rng {
	u64 state;
	u64 inc;
};

/* pcg32_srandom_r(): state from seed, increment 2 * stream + 1. */
void spex_rng_seed(struct spex_rng *rng, u64 seed, u64 stream);
u32 spex_rng_u32(struct spex_rng *rng);
/* Uniform in [0, bound), unbiased; bound > 0. */
u32 spex_rng_below(struct spex_rng *rng, u32 bound);

/*
 * The PRNG streams of a pattern: spex_rng_seed(rng, pattern.seed, stream).
 * Each purpose has its own stream so that, e.g., changing the start mode
 * does not change the dither.
 */
#define SPEX_RNG_STREAM_EDGES	1	/* RANDOM: the sweep shuffles + repair */
#define SPEX_RNG_STREAM_STARTS	2	/* clash-free SEED starts */
#define SPEX_RNG_STREAM_DITHER	3	/* clash-free bank permutations */

/*
 * Greatest common divisor. The degree identity p * d_out == n * d_in has
 * an integer d_out exactly when d_in is a multiple of p / gcd(p, n), so
 * tools use it to pick valid in-degrees.
 */
static inline u32 spex_gcd(u32 a, u32 b)
{
	while (b) {
		u32 t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* The decoded form of struct spx_pattern. */
struct spex_pattern_desc {
	u32 type;		/* enum spx_pattern_type */
	u32 starts;		/* enum spx_starts_mode */
	u32 dither;		/* 0 or 1 */
	u32 z;			/* clash-free banks */
	u32 seed;
	const u8 *starts_le;	/* EXPLICIT: little-endian u32s, maybe unaligned */
	u32 n_starts;		/* how many u32s are readable at starts_le */
};

/* How many explicit start values the pattern needs (0 unless EXPLICIT). */
u32 spex_pattern_n_starts(const struct spex_pattern_desc *pd, u32 p, u32 n,
			  u32 d_in);

/*
 * Check the parameters arithmetically, allocating nothing: the degree
 * identity, d_in <= p, p % z, p % d_in for clash-free, start addresses in
 * range, a known type/starts mode, z == 0 unless clash-free, dither only
 * for clash-free. Returns an enum spex_status.
 */
int spex_pattern_check(const struct spex_pattern_desc *pd, u32 p, u32 n,
		       u32 d_in);

/* Bytes of workspace spex_pattern_fill() needs (may be 0). */
size_t spex_pattern_work_size(const struct spex_pattern_desc *pd, u32 p,
			      u32 n, u32 d_in);

/*
 * Generate the edges: left[r * d_in + m] is the left neuron read by edge m
 * of right neuron r, in the pattern's own edge order (for clash-free, edge
 * k = r * d_in + m as in Dey et al.). Call only after spex_pattern_check()
 * succeeded. Returns SPEX_OK, or SPEX_E_DUP_EDGE if some right neuron
 * would read one left neuron twice.
 */
int spex_pattern_fill(const struct spex_pattern_desc *pd, u32 p, u32 n,
		      u32 d_in, u32 *left, void *work);

/*
 * Kernel-element mask of a conv layer for output channel o and its s-th
 * input-channel slot. Writes the kept elements (ky * kw + kx, ascending)
 * to elems and returns how many. elems must hold kh * kw entries.
 */
u32 spex_mask_elems(u32 mask_type, u32 period, u32 kh, u32 kw, u32 o, u32 s,
		    u8 *elems);

/*
 * Check mask parameters: known type, kernel 1 .. SPX_MAX_KERNEL a side
 * (else SPEX_E_SHAPE); periodic: period 1 .. 255 (the u8 of the format)
 * and a kernel of at least 2x2 (else SPEX_E_PATTERN).
 */
int spex_mask_check(u32 mask_type, u32 period, u32 kh, u32 kw);

/*
 * Kept taps over every (o, s) pair, o < out_c, s < cin_deg: the number of
 * weights of a conv layer. Parameters must pass spex_mask_check().
 */
u64 spex_mask_count(u32 mask_type, u32 period, u32 kh, u32 kw, u32 out_c,
		    u32 cin_deg);

#endif /* SPEX_PATTERN_H */
