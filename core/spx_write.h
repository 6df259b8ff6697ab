/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * The .spx writer (userspace only: it uses libc and float). Trainers,
 * tests and the demo describe a model with these structs and get back a
 * blob that spex_model_load() accepts. The writer does not validate: the
 * loader is the one judge of a model, so write, then load.
 */
#ifndef SPEX_SPX_WRITE_H
#define SPEX_SPX_WRITE_H

#include "spex_platform.h"

struct spex_wpattern {
	u32 type;		/* enum spx_pattern_type */
	u32 starts;		/* enum spx_starts_mode */
	u32 dither;
	u32 z;
	u32 seed;
	const u32 *starts_arr;	/* EXPLICIT */
	u32 n_starts;
};

struct spex_wlayer {
	u32 type;		/* enum spx_layer_type */
	u32 flags;		/* SPX_LF_* */
	u32 out_c;		/* FC/conv */
	u32 kh, kw, stride, pad;/* conv/pool */
	u32 in_degree;		/* FC/conv */
	struct spex_wpattern pattern;
	u32 mask_type, mask_period;
	float out_scale;	/* int8 FC/conv; other layers inherit */
	s32 out_zp;
	const void *weights;	/* s8 or float, edge order */
	size_t weights_bytes;
	const void *bias;	/* out_c x (s32 | float) */
	const s32 *mult;	/* int8: out_c */
	const s32 *shift;	/* int8: out_c */
};

struct spex_wexit {
	u32 after_layer;
	u32 first_layer, n_layers;
	u32 policy;		/* enum spx_exit_policy */
	u32 threshold_q16;
	float logit_scale;	/* int8: scale of the branch logits */
};

struct spex_wmodel {
	char name[SPX_NAME_LEN];
	u8 hash[SPX_HASH_LEN];
	u32 role, dtype;
	u32 in_c, in_h, in_w;
	u32 n_classes;
	float in_scale;		/* int8 */
	s32 in_zp;
	float final_logit_scale;/* int8 FULL/TAIL */
	const struct spex_wlayer *layers;
	u32 n_layers, n_main;
	const struct spex_wexit *exits;
	u32 n_exits;
};

/* Serialize; *blob is malloc'd. Returns 0 or a negative errno. */
int spex_spx_write(const struct spex_wmodel *wm, void **blob, size_t *len);

/* Recompute the CRC after editing a blob (tests, tools). */
void spex_spx_fix_crc(void *blob, size_t len);

/* real ~= mult * 2^-shift with mult in [2^30, 2^31), shift in [1, 62]. */
void spex_quant_multiplier(double real, s32 *mult, s32 *shift);

/* The exit LUT for a logit scale: lut[d] = round(65536 exp(-scale d)). */
void spex_exp_lut(float scale, u32 lut[SPX_EXP_LUT_LEN]);

#endif /* SPEX_SPX_WRITE_H */
