/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * FC packing (fc_pack.c): from a pattern's edge list to a struct spex_fc,
 * the weights in the order the FC kernels read them, and the bounds a
 * caller sizes its memory by before the edges exist.
 */
#ifndef SPEX_FC_PACK_H
#define SPEX_FC_PACK_H

#include "kernels.h"

/*
 * BANKED is chosen only when each run is at least this long; shorter runs
 * go GATHER (measured with spex-bench: see Documentation/performance.rst).
 */
#define SPEX_FC_BANKED_MIN_RUN	4

/*
 * Staged-input elements (spex_fc.xs_len) an FC layer may need, for any
 * layout, known before packing: size the staging buffer by this.
 */
static inline u64 spex_fc_xs_max(u32 n_in, u32 d_in)
{
	return (u64)n_in + d_in + SPEX_FC_XS_PAD;
}

/*
 * Upper bound on the bytes spex_fc_pack() uses for any layout, including
 * its internal alignment; SIZE_MAX if that overflows size_t.
 * elem_size: 1 (int8 weights) or 4 (f32).
 */
size_t spex_fc_pack_bound(u32 n_in, u32 n_out, u32 d_in, u32 z,
			  u32 elem_size);

/*
 * Build fc from an edge list: left[r * d_in + m] is the input read by edge
 * m of output r (spex_pattern_fill order), w_edges the weights in the same
 * order (elem_size 1: s8; 4: little-endian f32, possibly unaligned). The
 * layout is detected from the edges:
 *  - WINDOW if every row r reads (base_r + m) % n_in, m = 0 .. d_in - 1;
 *  - BANKED if z > 1, d_in % z == 0, n_in % z == 0, d_in / z >=
 *    SPEX_FC_BANKED_MIN_RUN and every row's edges m = s + z * i
 *    (i = 0 .. d_in/z - 1) read one bank (left % z) at consecutive
 *    addresses (left / z) modulo n_in / z (clash-free types 1-3);
 *  - GATHER otherwise (each row's indices sorted ascending).
 * Fills n_in, n_out, d_in, layout, xs_len, xs_src, nseg, seglen, seg, idx
 * and w8 (elem_size 1) or wf (4); everything else is zeroed for the caller
 * (bias, biasf, mult, shift, zp, relu). mem: spex_fc_pack_bound() bytes,
 * 64-byte aligned; fc points into it afterwards.
 * Returns SPEX_OK, SPEX_E_SHAPE (zero or inconsistent sizes, d_in > n_in,
 * bad elem_size), SPEX_E_PATTERN (an edge outside [0, n_in)).
 */
int spex_fc_pack(struct spex_fc *fc, u32 n_in, u32 n_out, u32 d_in, u32 z,
		 const u32 *left, const void *w_edges, u32 elem_size,
		 void *mem);

#endif /* SPEX_FC_PACK_H */
