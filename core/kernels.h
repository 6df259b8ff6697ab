/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * The layer-kernel contract inside core/: the runtime form of each layer
 * (what the kernels read), the kernel table type and how one is picked,
 * and the scalar layers every implementation shares (staging, pooling,
 * ReLU). The kernels themselves are one file each,
 * kern_<op>_<dtype>_<isa>.c (kern_impl.h); packing a layer into these
 * structs is fc_pack.h / conv_pack.h.
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

#if SPEX_CORE_FLOAT
/* The f32 ReLU of one value, every scalar path's; NaN maps to 0. */
static inline float spex_relu1_f32(float v)
{
	return v > 0.0f ? v : 0.0f;
}
#endif

/* Trailing staged entries / weight bytes SIMD tails may read. */
#define SPEX_FC_XS_PAD		16
#define SPEX_FC_W_PAD		64

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
 * rows or conv output channels, of those rows [y0, y1)) from an already
 * staged input, so callers
 * can cut a layer into bounded chunks (the kernel module runs each chunk
 * inside one kernel_fpu_begin/end section).
 */
struct spex_kernels {
	const char *name;
	void (*fc_i8)(const struct spex_fc *fc, const s16 *xs, s8 *y,
		      u32 o0, u32 o1);
	void (*fc_f32)(const struct spex_fc *fc, const float *xs, float *y,
		       u32 o0, u32 o1);
	/*
	 * Conv computes output rows [y0, y1) of output channels [o0, o1),
	 * so a caller can cut even one channel into bounded chunks; acc:
	 * out_h * out_w s32 of workspace.
	 */
	void (*conv_i8)(const struct spex_conv *cv, const s16 *xs, s8 *y,
			s32 *acc, u32 o0, u32 o1, u32 y0, u32 y1);
	void (*conv_f32)(const struct spex_conv *cv, const float *xs, float *y,
			 u32 o0, u32 o1, u32 y0, u32 y1);
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

/* Staging (kern_stage.c), shared by every implementation. */
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
 * Pooling (kern_pool.c) and ReLU (kern_relu.c) layers, scalar only:
 * memory-bound.
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

/* The tables (kern_table.c) and how one is picked (kern_select.c):
 * <spex/engine.h>. */

#endif /* SPEX_KERNELS_H */
