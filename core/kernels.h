/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * Layer kernels: the runtime form of each layer, and the table of kernel
 * implementations (scalar reference, AVX2) picked once at start-up.
 *
 * The loader (model.c) turns a validated .spx layer into one of these
 * structs; the weights are packed in exactly the order the inner loop reads
 * them, so the hot loop does no per-edge index arithmetic beyond one load.
 *
 * int8 arithmetic, bit-exact everywhere:
 *   xs  = x - in_zp                       (s16, staged once per layer)
 *   acc = bias[o] + sum w * xs            (s32; w is s8)
 *   y   = clamp(out_zp + spex_requant(acc, mult[o], shift[o]), lo, 127)
 * with lo = out_zp under a fused ReLU, else -128. acc is summed modulo
 * 2^32 (as u32) in every path, so even a pathological model whose sums
 * overflow gives the same bits everywhere and no undefined behaviour.
 */
#ifndef SPEX_KERNELS_H
#define SPEX_KERNELS_H

#include <spex/engine.h>

static inline s8 spex_clamp_s8(s32 v, s32 lo)
{
	if (v < lo)
		v = lo;
	if (v > 127)
		v = 127;
	return (s8)v;
}

/* How an FC layer's rows find their inputs (chosen by the loader). */
enum spex_fc_layout {
	/*
	 * Every row reads one contiguous window of the staged input:
	 * row r reads xs[seg[r] .. seg[r] + d_in). Dense layers, and
	 * clash-free patterns whose banks share their starts without dither
	 * (zero starts, CF1). xs_src handles the wrap-around.
	 */
	SPEX_FC_WINDOW = 0,
	/*
	 * Clash-free with d_in % z == 0: the input is staged bank-major with
	 * each bank padded by its first seglen entries, and row r reads nseg
	 * (== z) runs of seglen (== d_in / z) at xs + seg[r * nseg + s].
	 */
	SPEX_FC_BANKED = 1,
	/* Anything else: row r reads xs[idx[r * d_in + e]], xs == x - zp
	 * (each row's idx ascending). */
	SPEX_FC_GATHER = 2,
};

struct spex_fc {
	u32 n_in, n_out, d_in;
	u32 layout;		/* enum spex_fc_layout */
	/* Staging: xs[i] = x[xs_src[i]] (- in_zp), i < xs_len.
	 * xs_src is NULL for GATHER: xs[i] = x[i] (- in_zp) for i < n_in,
	 * then 0. Every layout's xs_len ends with SPEX_FC_XS_PAD entries
	 * that SIMD code may read (and ignore): size the staging buffer by
	 * xs_len, which is at most n_in + d_in + SPEX_FC_XS_PAD.
	 * WINDOW: xs_src[i] == i % n_in. */
	u32 xs_len;
	const u32 *xs_src;
	u32 nseg, seglen;	/* nseg * seglen == d_in (WINDOW: 1, d_in) */
	const u32 *seg;		/* WINDOW/BANKED: n_out * nseg run starts */
	const u32 *idx;		/* GATHER: n_out * d_in input indices */
	/* Weights in read order: row r's d_in weights at w + r * d_in,
	 * followed by SPEX_FC_W_PAD zero bytes (SIMD tail over-read). */
	const s8 *w8;		/* int8 models */
	const float *wf;	/* f32 models */
	const s32 *bias;	/* int8: n_out, scaled in_scale * w_scale[o] */
	const float *biasf;	/* f32 */
	const s32 *mult;	/* int8 requant, per output */
	const s32 *shift;
	s32 in_zp, out_zp;
	u32 relu;		/* fused ReLU */
};

/*
 * Conv2d over CHW tensors. Output channel o reads cin_deg input channels
 * cin[o * cin_deg + s]; for each (o, s) the kept kernel taps are
 * taps[tap_start[o * cin_deg + s] .. tap_start[o * cin_deg + s + 1]),
 * each ky * kw + kx, and the weights of output o are contiguous in
 * (s, tap) order from w + tap_start[o * cin_deg].
 *
 * The input is staged once per layer, zero-padded by pad on every side:
 * xs[c][y][x] of shape in_c x ph x pw, ph = in_h + 2 pad, pw = in_w + 2 pad
 * (int8: s16 x - in_zp, so padding is a real zero).
 */
struct spex_conv {
	u32 in_c, in_h, in_w;
	u32 out_c, out_h, out_w;
	u32 kh, kw, stride, pad;
	u32 ph, pw;		/* padded input plane */
	u32 cin_deg;
	const u32 *cin;
	const u32 *tap_start;	/* out_c * cin_deg + 1 entries */
	const u8 *taps;
	const s8 *w8;
	const float *wf;
	const s32 *bias;
	const float *biasf;
	const s32 *mult;
	const s32 *shift;
	s32 in_zp, out_zp;
	u32 relu;
};

/* Max or average pooling, no padding; shapes as for conv. */
struct spex_pool {
	u32 c, in_h, in_w, out_h, out_w;
	u32 k, stride;
};

/*
 * A kernel implementation. Every function computes outputs [o0, o1) (FC
 * rows or conv output channels) from an already staged input, so callers
 * can cut a layer into bounded chunks (the kernel module runs each chunk
 * inside one kernel_fpu_begin/end section).
 */
struct spex_kernels {
	const char *name;
	void (*fc_i8)(const struct spex_fc *fc, const s16 *xs, s8 *y,
		      u32 o0, u32 o1);
	void (*fc_f32)(const struct spex_fc *fc, const float *xs, float *y,
		       u32 o0, u32 o1);
	/* acc: out_h * out_w s32 of workspace */
	void (*conv_i8)(const struct spex_conv *cv, const s16 *xs, s8 *y,
			s32 *acc, u32 o0, u32 o1);
	void (*conv_f32)(const struct spex_conv *cv, const float *xs, float *y,
			 u32 o0, u32 o1);
	/*
	 * Batched FC (SpMM) over `batch` inputs, feature-major: xs is
	 * [xs_len][batch] as staged by spex_fc_stage_*_batch(), y is
	 * [n_out][batch] (row o's outputs at y + o * batch), so one layer's
	 * output is the next one's input without a transpose. Every edge
	 * does one vector operation across the batch. Results equal `batch`
	 * calls of fc_i8 (exactly) / fc_f32 (up to rounding).
	 */
	void (*fc_i8_batch)(const struct spex_fc *fc, const s16 *xs, s8 *y,
			    u32 batch, u32 o0, u32 o1);
	void (*fc_f32_batch)(const struct spex_fc *fc, const float *xs,
			     float *y, u32 batch, u32 o0, u32 o1);
};

/* Staging, shared by every implementation (memory-bound, scalar). */
void spex_fc_stage_i8(const struct spex_fc *fc, const s8 *x, s16 *xs);
void spex_conv_stage_i8(const struct spex_conv *cv, const s8 *x, s16 *xs);
#if SPEX_CORE_FLOAT
void spex_fc_stage_f32(const struct spex_fc *fc, const float *x, float *xs);
void spex_conv_stage_f32(const struct spex_conv *cv, const float *x,
			 float *xs);
#endif

/* Batched staging: x is [n_in][batch], xs is [xs_len][batch]. */
void spex_fc_stage_i8_batch(const struct spex_fc *fc, const s8 *x, s16 *xs,
			    u32 batch);
#if SPEX_CORE_FLOAT
void spex_fc_stage_f32_batch(const struct spex_fc *fc, const float *x,
			     float *xs, u32 batch);
#endif

/*
 * Elementwise and pooling layers (scalar only: memory-bound).
 * spex_avgpool_i8 averages the raw int8 values (input and output share
 * scale and zero point) and rounds half away from zero: (sum + k*k/2) /
 * (k*k) for sum >= 0, -((-sum + k*k/2) / (k*k)) otherwise.
 */
void spex_maxpool_i8(const struct spex_pool *pl, const s8 *x, s8 *y);
void spex_avgpool_i8(const struct spex_pool *pl, const s8 *x, s8 *y);
void spex_relu_i8(const s8 *x, s8 *y, u32 n, s32 zp);
#if SPEX_CORE_FLOAT
void spex_maxpool_f32(const struct spex_pool *pl, const float *x, float *y);
void spex_avgpool_f32(const struct spex_pool *pl, const float *x, float *y);
void spex_relu_f32(const float *x, float *y, u32 n);
#endif

/* ------------------------------------------------------------------ */
/* Packing: from a pattern's edge list to the runtime structs above    */
/* ------------------------------------------------------------------ */

/* Trailing staged entries / weight bytes SIMD tails may read. */
#define SPEX_FC_XS_PAD		16
#define SPEX_FC_W_PAD		64
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

/* The conv geometry spex_conv_pack() fills in (valid if out_h/out_w > 0). */
struct spex_conv_shape {
	u32 in_c, in_h, in_w;
	u32 out_c;
	u32 kh, kw, stride, pad;
	u32 cin_deg;		/* input channels per output channel */
	u32 mask_type;		/* enum spx_mask_type */
	u32 mask_period;
};

/*
 * Weights a conv layer stores: sum over (o, s) of its kept taps (the
 * .spx weights_size is this times the element size). 0 if the mask is
 * invalid (spex_mask_check fails).
 */
u64 spex_conv_weight_count(const struct spex_conv_shape *sh);

/* As spex_fc_pack_bound(); SIZE_MAX on overflow. */
size_t spex_conv_pack_bound(const struct spex_conv_shape *sh,
			    u32 elem_size);

/*
 * Build cv: cin[o * cin_deg + s] from the channel edge list, taps and
 * tap_start from spex_mask_elems(), the weights in file order (o, s, tap)
 * copied to aligned storage (elem_size 1: s8 -> w8; 4: LE f32 -> wf).
 * Computes out_h = (in_h + 2 pad - kh) / stride + 1 (likewise out_w),
 * ph, pw. bias/mult/shift/zp/relu are zeroed for the caller.
 * Returns SPEX_OK, SPEX_E_SHAPE, SPEX_E_PATTERN (channel out of range) or
 * SPEX_E_LAYER (bad mask).
 */
int spex_conv_pack(struct spex_conv *cv, const struct spex_conv_shape *sh,
		   const u32 *cin, const void *w_file, u32 elem_size,
		   void *mem);

#endif /* SPEX_KERNELS_H */
