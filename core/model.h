/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * The runtime form of a loaded model, private to core/ (model.c builds it,
 * engine.c runs it). Everything lives in one allocation, the arena.
 */
#ifndef SPEX_MODEL_H
#define SPEX_MODEL_H

#include <spex/engine.h>
#include "kernels.h"

/* Every tensor of a model is at most this many elements. */
#define SPEX_MAX_TENSOR		(1u << 24)

struct spex_rt_layer {
	u32 type;		/* enum spx_layer_type */
	u32 flags;		/* SPX_LF_* */
	u32 branch;		/* 0: main path; e + 1: exit e */
	u32 in_c, in_h, in_w;
	u32 out_c, out_h, out_w;
	u32 in_size, out_size;	/* elements */
	s32 in_zp, out_zp;	/* int8 */
	u32 fan_in, in_degree, pattern, z;
	union {
		struct spex_fc fc;
		struct spex_conv conv;
		struct spex_pool pool;
	} u;
	/* per run of this layer, for the job's operation counts */
	u64 weights, macs, dense_macs, weight_bytes, act_bytes;
};

struct spex_rt_exit {
	u32 after_layer;
	u32 first_layer, n_layers;
	u32 policy;
	u32 threshold_q16;
	u32 logit_scale_q16;
	u32 lut[SPX_EXP_LUT_LEN];	/* int8 only */
};

struct spex_model {
	struct spex_model_desc desc;	/* the model part, as MODEL_INFO gives it */
	u32 n_layers;
	struct spex_rt_layer layers[SPX_MAX_LAYERS];
	struct spex_rt_exit exits[SPX_MAX_EXITS];
	u32 final_logit_scale_q16;
	u32 final_lut[SPX_EXP_LUT_LEN];	/* int8 FULL/TAIL */
	/* scratch layout, byte offsets into the caller's scratch */
	size_t act_bytes;	/* one activation buffer */
	size_t stage_bytes;	/* the staged input of a layer */
	size_t acc_bytes;	/* conv s32 accumulators */
	size_t scratch_bytes;
	size_t arena_bytes;
	void *arena;		/* packed weights, indices, biases */
};

/* ln(x / 65536) in Q16 for x >= 1, integer only. */
s64 spex_ln_q16(u64 x);

#define SPEX_SCRATCH_ALIGN	64

#endif /* SPEX_MODEL_H */
