// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Build of a validated model: regenerate each FC and conv layer's pattern
 * into the temporary edge list and pack its weights, bias and requant
 * parameters into the arena, in the layout the kernels read (struct
 * spex_fc / spex_conv). Validation has already sized everything here, so
 * nothing can run out of room.
 */
#include "model_load.h"

struct arena {
	u8 *base;
	size_t used;
};

static void *arena_take(struct arena *a, u64 bytes)
{
	void *p = a->base + a->used;

	a->used += spex_align64(bytes);
	return p;
}

/* Copy n little-endian s32 values, stride bytes apart, into host order. */
static s32 *copy_s32(struct arena *a, const u8 *src, u32 n, u32 stride)
{
	s32 *dst = arena_take(a, (u64)n * 4);
	u32 i;

	for (i = 0; i < n; i++)
		dst[i] = (s32)spex_le32(src + (size_t)i * stride);
	return dst;
}

static int build_layer(struct spex_loader *ld, struct spex_model *m, u32 idx,
		       struct arena *a, u8 *temp)
{
	struct spex_rt_layer *L = &m->layers[idx];
	u32 off = spex_load_off(ld, ld->layers) +
		  idx * (u32)sizeof(struct spx_layer);
	u32 n = L->out_c, p = L->fan_in, d_in = L->in_degree;
	u32 *left = (u32 *)temp;
	void *work = temp + spex_align64((u64)n * d_in * 4);
	s32 *b32, *mult = NULL, *shift = NULL;
	struct spex_pattern_desc pd;
	const u8 *w, *bias, *rq;
	struct spx_layer d;
	void *mem;
	int st;

	spex_load_layer(ld, idx, &d);
	w = ld->data + spex_le32_to_cpu(d.weights_offset);
	bias = ld->data + spex_le32_to_cpu(d.bias_offset);
	rq = ld->data + spex_le32_to_cpu(d.requant_offset);
	spex_load_pattern(ld, &d.pattern, &pd);
	st = spex_pattern_fill(&pd, p, n, d_in, left, work);
	if (st)
		return spex_load_fail(ld, st,
				      off + (u32)offsetof(struct spx_layer, pattern),
				      "layer %u: pattern has a duplicate edge",
				      idx);

	b32 = copy_s32(a, bias, n, 4);
	if (ld->dtype == SPX_DTYPE_INT8) {
		mult = copy_s32(a, rq, n, 8);
		shift = copy_s32(a, rq + 4, n, 8);
	}

	if (L->type == SPX_LAYER_FC) {
		struct spex_fc *fc = &L->u.fc;

		mem = arena_take(a, spex_fc_pack_bound(p, n, d_in, L->z,
							ld->elem));
		st = spex_fc_pack(fc, p, n, d_in, L->z, left, w, ld->elem,
				  mem);
		if (st)
			return spex_load_fail(ld, st, off,
					      "layer %u: cannot pack", idx);
		fc->bias = b32;
		fc->biasf = (const float *)b32;
		fc->mult = mult;
		fc->shift = shift;
		fc->in_zp = L->in_zp;
		fc->out_zp = L->out_zp;
		fc->relu = !!(L->flags & SPX_LF_RELU);
	} else {
		struct spex_conv *cv = &L->u.conv;
		struct spex_conv_shape sh;

		spex_load_conv_shape(L, &d, &sh);
		mem = arena_take(a, spex_conv_pack_bound(&sh, ld->elem));
		st = spex_conv_pack(cv, &sh, left, w, ld->elem, mem);
		if (st)
			return spex_load_fail(ld, st, off,
					      "layer %u: cannot pack", idx);
		cv->bias = b32;
		cv->biasf = (const float *)b32;
		cv->mult = mult;
		cv->shift = shift;
		cv->in_zp = L->in_zp;
		cv->out_zp = L->out_zp;
		cv->relu = !!(L->flags & SPX_LF_RELU);
	}
	return SPEX_OK;
}

int spex_load_build(struct spex_loader *ld, struct spex_model *m,
		    u8 *arena, u8 *temp)
{
	struct arena a = { arena, 0 };
	u32 i;
	int st;

	for (i = 0; i < m->desc.n_layers; i++) {
		u32 t = m->layers[i].type;

		if (t != SPX_LAYER_FC && t != SPX_LAYER_CONV2D)
			continue;
		st = build_layer(ld, m, i, &a, temp);
		if (st)
			return st;
	}
	return SPEX_OK;
}
