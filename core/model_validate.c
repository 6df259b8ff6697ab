// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Validation of a .spx model: META, every layer and every exit decoded
 * into the fixed-size struct spex_model and checked, each layer's shape
 * derived from the one before, and what the build will need added up
 * (arena, temporary edge lists, scratch). Every size is computed with
 * overflow checks; nothing is allocated. model-format.rst lists the
 * checks and their status codes.
 */
#include "model_load.h"

#define META_OFF(f)	((u32)offsetof(struct spx_meta, f))
#define LAYER_OFF(f)	((u32)offsetof(struct spx_layer, f))
#define EXIT_OFF(f)	((u32)offsetof(struct spx_exit, f))

/* A tensor between two layers, with its int8 quantization. */
struct shape {
	u32 c, h, w;
	s32 zp;
	u32 scale_bits;
};

/* A valid int8 scale: positive, finite, normal IEEE-754 binary32 bits. */
static bool scale_ok(u32 bits)
{
	u32 exp = (bits >> 23) & 0xff;

	return !(bits >> 31) && exp != 0 && exp != 0xff;
}

static int check_meta(struct spex_loader *ld, struct spex_model *m)
{
	struct spex_model_desc *mi = &m->desc;
	u32 off = spex_load_off(ld, ld->meta);
	struct spx_meta meta;
	s32 zp;

	spex_load_meta(ld, &meta);
	if (!memchr(meta.name, 0, SPX_NAME_LEN))
		return spex_load_fail(ld, SPEX_E_META, off,
				      "name is not NUL-terminated");
	memcpy(mi->name, meta.name, SPX_NAME_LEN);
	memcpy(mi->hash, meta.content_hash, SPX_HASH_LEN);
	mi->role = spex_le32_to_cpu(meta.role);
	mi->dtype = spex_le32_to_cpu(meta.dtype);
	mi->in_c = spex_le32_to_cpu(meta.in_c);
	mi->in_h = spex_le32_to_cpu(meta.in_h);
	mi->in_w = spex_le32_to_cpu(meta.in_w);
	mi->n_classes = spex_le32_to_cpu(meta.n_classes);
	mi->n_layers = spex_le32_to_cpu(meta.n_layers);
	mi->n_main = spex_le32_to_cpu(meta.n_main);
	mi->n_exits = spex_le32_to_cpu(meta.n_exits);
	mi->input_q.scale_bits = spex_le32_to_cpu(meta.input_q.scale_bits);
	mi->input_q.zero_point = spex_le32_to_cpu(meta.input_q.zero_point);
	m->final_logit_scale_q16 =
		spex_le32_to_cpu(meta.final_logit_scale_q16);

	if (mi->role > SPX_ROLE_TAIL)
		return spex_load_fail(ld, SPEX_E_META, off + META_OFF(role),
				      "unknown role %u", mi->role);
	if (mi->dtype > SPX_DTYPE_F32)
		return spex_load_fail(ld, SPEX_E_META, off + META_OFF(dtype),
				      "unknown dtype %u", mi->dtype);
	if (mi->dtype == SPX_DTYPE_F32 &&
	    (ld->flags & SPEX_LOAD_INT8_ONLY || !SPEX_CORE_FLOAT))
		return spex_load_fail(ld, SPEX_E_DTYPE, off + META_OFF(dtype),
				      "f32 models cannot run here; export int8");
	if (!mi->in_c || !mi->in_h || !mi->in_w ||
	    mi->in_c > SPX_MAX_DIM || mi->in_h > SPX_MAX_DIM ||
	    mi->in_w > SPX_MAX_DIM ||
	    (u64)mi->in_c * mi->in_h * mi->in_w > SPEX_MAX_TENSOR)
		return spex_load_fail(ld, SPEX_E_SHAPE, off + META_OFF(in_c),
				      "input shape %ux%ux%u is empty or too large",
				      mi->in_c, mi->in_h, mi->in_w);
	if (!mi->n_classes || mi->n_classes > SPX_MAX_CLASSES)
		return spex_load_fail(ld, SPEX_E_META, off + META_OFF(n_classes),
				      "n_classes %u, want 1..%u", mi->n_classes,
				      SPX_MAX_CLASSES);
	if (!mi->n_layers || mi->n_layers > SPX_MAX_LAYERS)
		return spex_load_fail(ld, SPEX_E_LIMIT, off + META_OFF(n_layers),
				      "n_layers %u, want 1..%u", mi->n_layers,
				      SPX_MAX_LAYERS);
	if (!mi->n_main || mi->n_main > mi->n_layers)
		return spex_load_fail(ld, SPEX_E_META, off + META_OFF(n_main),
				      "n_main %u, want 1..n_layers (%u)",
				      mi->n_main, mi->n_layers);
	if (mi->n_exits > SPX_MAX_EXITS)
		return spex_load_fail(ld, SPEX_E_LIMIT, off + META_OFF(n_exits),
				      "n_exits %u, at most %u", mi->n_exits,
				      SPX_MAX_EXITS);
	if (!spex_all_zero(meta.reserved, sizeof(meta.reserved)))
		return spex_load_fail(ld, SPEX_E_META, off + META_OFF(reserved),
				      "reserved META bytes set");
	if (mi->dtype == SPX_DTYPE_INT8) {
		zp = (s32)mi->input_q.zero_point;
		if (!scale_ok(mi->input_q.scale_bits) || zp < -128 || zp > 127)
			return spex_load_fail(ld, SPEX_E_QUANT,
					      off + META_OFF(input_q),
					      "input quantization scale 0x%08x zero point %d",
					      mi->input_q.scale_bits, zp);
	}
	if (ld->layers_size != mi->n_layers * sizeof(struct spx_layer))
		return spex_load_fail(ld, SPEX_E_SECTION,
				      spex_load_off(ld, ld->layers),
				      "LAYERS is %u bytes, want %u x %u",
				      ld->layers_size, mi->n_layers,
				      (u32)sizeof(struct spx_layer));
	if (mi->n_exits &&
	    (!ld->exits ||
	     ld->exits_size != mi->n_exits * sizeof(struct spx_exit)))
		return spex_load_fail(ld, SPEX_E_SECTION, off + META_OFF(n_exits),
				      "EXITS must hold %u x %u bytes",
				      mi->n_exits, (u32)sizeof(struct spx_exit));
	if (!mi->n_exits && ld->exits)
		return spex_load_fail(ld, SPEX_E_SECTION,
				      spex_load_off(ld, ld->exits),
				      "EXITS section present but n_exits is 0");
	ld->dtype = mi->dtype;
	ld->elem = mi->dtype == SPX_DTYPE_INT8 ? 1 : 4;
	return SPEX_OK;
}

/* int8 requantization parameters of n outputs at rq: {s32 mult, shift}. */
static int check_requant(struct spex_loader *ld, const u8 *rq, u32 n,
			 u32 layer)
{
	u32 o;

	for (o = 0; o < n; o++) {
		s32 mult = (s32)spex_le32(rq + 8 * o);
		s32 shift = (s32)spex_le32(rq + 8 * o + 4);

		if (mult < 0 || shift < 1 || shift > 62)
			return spex_load_fail(ld, SPEX_E_QUANT,
					      spex_load_off(ld, rq + 8 * o),
					      "layer %u output %u: multiplier %d shift %d (want mult >= 0, shift 1..62)",
					      layer, o, mult, shift);
	}
	return SPEX_OK;
}

/*
 * Weights, bias and requant of an FC or conv layer: present, in range,
 * of exactly the size the pattern implies.
 */
static int check_params(struct spex_loader *ld, const struct spx_layer *d,
			u32 off, u32 idx, const struct spex_rt_layer *L,
			u64 n_weights)
{
	u32 woff = spex_le32_to_cpu(d->weights_offset);
	u32 wsize = spex_le32_to_cpu(d->weights_size);
	u32 boff = spex_le32_to_cpu(d->bias_offset);
	u32 roff = spex_le32_to_cpu(d->requant_offset);
	const u8 *rq;

	if ((u64)wsize != n_weights * ld->elem)
		return spex_load_fail(ld, SPEX_E_LAYER,
				      off + LAYER_OFF(weights_size),
				      "layer %u: weights_size %u, the pattern needs %llu",
				      idx, wsize,
				      (unsigned long long)(n_weights * ld->elem));
	if (!spex_load_data_ref(ld, woff, wsize, "weights", idx) ||
	    !spex_load_data_ref(ld, boff, (u64)L->out_c * 4, "bias", idx))
		return SPEX_E_RANGE;
	if (ld->dtype == SPX_DTYPE_INT8) {
		rq = spex_load_data_ref(ld, roff, (u64)L->out_c * 8,
					"requant", idx);
		if (!rq)
			return SPEX_E_RANGE;
		return check_requant(ld, rq, L->out_c, idx);
	}
	if (roff)
		return spex_load_fail(ld, SPEX_E_LAYER,
				      off + LAYER_OFF(requant_offset),
				      "layer %u: f32 layers have no requant", idx);
	return SPEX_OK;
}

/*
 * The pattern of an FC or conv junction: p left, n right, d_in each.
 * *temp: the bytes its edge list and generator workspace need.
 */
static int check_junction(struct spex_loader *ld, const struct spx_layer *d,
			  u32 off, u32 idx, u32 p, u32 n, u32 d_in, u64 *temp)
{
	struct spex_pattern_desc pd;
	u64 edges = (u64)n * d_in;
	int st;

	spex_load_pattern(ld, &d->pattern, &pd);
	if (d->pattern.reserved0)
		return spex_load_fail(ld, SPEX_E_PATTERN,
				      off + LAYER_OFF(pattern.reserved0),
				      "layer %u: reserved pattern byte set", idx);
	if (pd.starts != SPX_STARTS_EXPLICIT && d->pattern.starts_offset)
		return spex_load_fail(ld, SPEX_E_PATTERN,
				      off + LAYER_OFF(pattern.starts_offset),
				      "layer %u: starts_offset set without explicit starts",
				      idx);
	if (pd.starts == SPX_STARTS_EXPLICIT && !pd.starts_le)
		return spex_load_fail(ld, SPEX_E_RANGE,
				      off + LAYER_OFF(pattern.starts_offset),
				      "layer %u: explicit starts outside DATA or misaligned",
				      idx);
	st = spex_pattern_check(&pd, p, n, d_in);
	if (st)
		return spex_load_fail(ld, st, off + LAYER_OFF(pattern),
				      "layer %u: pattern type %u z %u starts %u on %u -> %u with in-degree %u",
				      idx, pd.type, pd.z, pd.starts, p, n, d_in);
	*temp = spex_align64(edges * 4) +
		spex_align64(spex_pattern_work_size(&pd, p, n, d_in));
	return SPEX_OK;
}

void spex_load_conv_shape(const struct spex_rt_layer *L,
			  const struct spx_layer *d,
			  struct spex_conv_shape *sh)
{
	sh->in_c = L->in_c;
	sh->in_h = L->in_h;
	sh->in_w = L->in_w;
	sh->out_c = spex_le32_to_cpu(d->out_c);
	sh->kh = d->kh;
	sh->kw = d->kw;
	sh->stride = d->stride;
	sh->pad = d->pad;
	sh->cin_deg = L->in_degree;
	sh->mask_type = d->mask_type;
	sh->mask_period = d->mask_period;
}

/* What a layer type adds to the totals, found by its own check. */
struct layer_cost {
	u64 n_weights;		/* stored weights */
	u64 bound;		/* packed bytes, at most */
	u64 temp;		/* edge list + workspace bytes */
	u64 stage;		/* staged input elements */
	u64 acc;		/* conv accumulator elements */
};

static int check_fc(struct spex_loader *ld, const struct spx_layer *d,
		    u32 off, u32 idx, const struct shape *in,
		    struct spex_rt_layer *L, struct shape *out,
		    struct layer_cost *c)
{
	u32 in_size = in->c * in->h * in->w;
	int st;

	if (d->kh || d->kw || d->stride || d->pad)
		return spex_load_fail(ld, SPEX_E_LAYER, off + LAYER_OFF(kh),
				      "layer %u: FC takes no window", idx);
	if (!L->out_c || L->out_c > SPX_MAX_DIM)
		return spex_load_fail(ld, SPEX_E_SHAPE, off + LAYER_OFF(out_c),
				      "layer %u: %u outputs, want 1..%u", idx,
				      L->out_c, SPX_MAX_DIM);
	L->fan_in = in_size;
	st = check_junction(ld, d, off, idx, in_size, L->out_c, L->in_degree,
			    &c->temp);
	if (st)
		return st;
	c->n_weights = (u64)L->out_c * L->in_degree;
	out->c = L->out_c;
	out->h = out->w = 1;
	L->macs = c->n_weights;
	L->dense_macs = (u64)L->out_c * in_size;
	c->bound = spex_fc_pack_bound(in_size, L->out_c, L->in_degree, L->z,
				      ld->elem);
	c->stage = (u64)in_size + L->in_degree + SPEX_FC_XS_PAD;
	return SPEX_OK;
}

static int check_conv(struct spex_loader *ld, const struct spx_layer *d,
		      u32 off, u32 idx, const struct shape *in,
		      struct spex_rt_layer *L, struct shape *out,
		      struct layer_cost *c)
{
	u32 kh = d->kh, kw = d->kw, stride = d->stride, pad = d->pad;
	u32 mask_type = d->mask_type, mask_period = d->mask_period;
	struct spex_conv_shape sh;
	u32 ph, pw;
	int st;

	if (!kh || !kw || kh > SPX_MAX_KERNEL || kw > SPX_MAX_KERNEL ||
	    !stride || stride > SPX_MAX_KERNEL || pad >= kh || pad >= kw)
		return spex_load_fail(ld, SPEX_E_LAYER, off + LAYER_OFF(kh),
				      "layer %u: conv window %ux%u stride %u pad %u",
				      idx, kh, kw, stride, pad);
	if (!L->out_c || L->out_c > SPX_MAX_DIM)
		return spex_load_fail(ld, SPEX_E_SHAPE, off + LAYER_OFF(out_c),
				      "layer %u: %u out channels", idx,
				      L->out_c);
	ph = in->h + 2 * pad;
	pw = in->w + 2 * pad;
	if (ph < kh || pw < kw)
		return spex_load_fail(ld, SPEX_E_SHAPE, off + LAYER_OFF(kh),
				      "layer %u: %ux%u window on a %ux%u input",
				      idx, kh, kw, ph, pw);
	if (mask_type == SPX_MASK_FULL && mask_period)
		return spex_load_fail(ld, SPEX_E_LAYER,
				      off + LAYER_OFF(mask_period),
				      "layer %u: full mask takes no period", idx);
	st = spex_mask_check(mask_type, mask_period, kh, kw);
	if (st)
		return spex_load_fail(ld, st, off + LAYER_OFF(mask_type),
				      "layer %u: mask type %u period %u on %ux%u",
				      idx, mask_type, mask_period, kh, kw);
	L->fan_in = in->c;
	st = check_junction(ld, d, off, idx, in->c, L->out_c, L->in_degree,
			    &c->temp);
	if (st)
		return st;
	out->c = L->out_c;
	out->h = (ph - kh) / stride + 1;
	out->w = (pw - kw) / stride + 1;
	c->n_weights = spex_mask_count(mask_type, mask_period, kh, kw,
				       L->out_c, L->in_degree);
	L->macs = c->n_weights * out->h * out->w;
	L->dense_macs = (u64)L->out_c * in->c * kh * kw * out->h * out->w;
	L->u.conv.kh = kh;
	L->u.conv.kw = kw;
	L->u.conv.stride = stride;
	L->u.conv.pad = pad;
	L->u.conv.ph = ph;
	L->u.conv.pw = pw;
	spex_load_conv_shape(L, d, &sh);
	c->bound = spex_conv_pack_bound(&sh, ld->elem);
	c->stage = (u64)in->c * ph * pw + SPEX_FC_XS_PAD;
	c->acc = (u64)out->h * out->w;
	return SPEX_OK;
}

static int check_pool(struct spex_loader *ld, const struct spx_layer *d,
		      u32 off, u32 idx, const struct shape *in,
		      struct spex_rt_layer *L, struct shape *out)
{
	u32 k = d->kh, stride = d->stride;

	if (!k || k != d->kw || k > SPX_MAX_KERNEL || !stride ||
	    stride > SPX_MAX_KERNEL || d->pad)
		return spex_load_fail(ld, SPEX_E_LAYER, off + LAYER_OFF(kh),
				      "layer %u: pool window %ux%u stride %u pad %u (square, no padding)",
				      idx, k, d->kw, stride, d->pad);
	if (in->h < k || in->w < k)
		return spex_load_fail(ld, SPEX_E_SHAPE, off + LAYER_OFF(kh),
				      "layer %u: %ux%u pool on a %ux%u input",
				      idx, k, k, in->h, in->w);
	out->c = in->c;
	out->h = (in->h - k) / stride + 1;
	out->w = (in->w - k) / stride + 1;
	L->u.pool.c = in->c;
	L->u.pool.in_h = in->h;
	L->u.pool.in_w = in->w;
	L->u.pool.out_h = out->h;
	L->u.pool.out_w = out->w;
	L->u.pool.k = k;
	L->u.pool.stride = stride;
	return SPEX_OK;
}

/* Output quantization: int8 layers that do not rescale keep their input's. */
static int check_out_quant(struct spex_loader *ld, u32 off, u32 idx,
			   u32 type, bool has_params, const struct shape *in,
			   u32 out_scale, s32 out_zp)
{
	if (ld->dtype == SPX_DTYPE_INT8) {
		if (has_params) {
			if (!scale_ok(out_scale) || out_zp < -128 || out_zp > 127)
				return spex_load_fail(ld, SPEX_E_QUANT,
						      off + LAYER_OFF(out_q),
						      "layer %u: output scale 0x%08x zero point %d",
						      idx, out_scale, out_zp);
		} else if (out_scale != in->scale_bits || out_zp != in->zp) {
			return spex_load_fail(ld, SPEX_E_QUANT,
					      off + LAYER_OFF(out_q),
					      "layer %u: type %u must keep its input quantization",
					      idx, type);
		}
	} else if (out_scale || out_zp) {
		return spex_load_fail(ld, SPEX_E_QUANT, off + LAYER_OFF(out_q),
				      "layer %u: f32 layers have no quantization",
				      idx);
	}
	return SPEX_OK;
}

/*
 * Decode and check layer idx with input shape in; fills L and its output
 * shape, and adds its memory to the loader's totals.
 */
static int check_layer(struct spex_loader *ld, u32 idx, u32 branch,
		       const struct shape *in, struct spex_rt_layer *L,
		       struct shape *out)
{
	u32 off = spex_load_off(ld, ld->layers) +
		  idx * (u32)sizeof(struct spx_layer);
	u32 in_size = in->c * in->h * in->w;
	struct layer_cost c = { 0 };
	struct spx_layer d;
	u32 type, flags, out_scale;
	bool has_params;
	s32 out_zp;
	int st;

	spex_load_layer(ld, idx, &d);
	type = spex_le16_to_cpu(d.type);
	flags = spex_le16_to_cpu(d.flags);
	out_scale = spex_le32_to_cpu(d.out_q.scale_bits);
	out_zp = (s32)spex_le32_to_cpu(d.out_q.zero_point);
	has_params = type == SPX_LAYER_FC || type == SPX_LAYER_CONV2D;

	memset(L, 0, sizeof(*L));
	L->type = type;
	L->flags = flags;
	L->branch = branch;
	L->in_c = in->c;
	L->in_h = in->h;
	L->in_w = in->w;
	L->in_size = in_size;
	L->in_zp = in->zp;
	L->out_c = spex_le32_to_cpu(d.out_c);
	L->in_degree = spex_le32_to_cpu(d.in_degree);
	L->pattern = d.pattern.type;
	L->z = spex_le32_to_cpu(d.pattern.z);

	if (type < SPX_LAYER_FC || type > SPX_LAYER_FLATTEN)
		return spex_load_fail(ld, SPEX_E_LAYER, off,
				      "layer %u: unknown type %u", idx, type);
	if (flags & ~SPX_LF_RELU || (flags && !has_params))
		return spex_load_fail(ld, SPEX_E_LAYER, off + LAYER_OFF(flags),
				      "layer %u: flags 0x%x not valid for type %u",
				      idx, flags, type);
	if (d.reserved0 || !spex_all_zero(d.reserved, sizeof(d.reserved)))
		return spex_load_fail(ld, SPEX_E_LAYER,
				      off + LAYER_OFF(reserved),
				      "layer %u: reserved fields set", idx);
	/* no in-degree, pattern, mask, weights, bias or requant */
	if (!has_params &&
	    (d.out_c ||
	     !spex_all_zero(&d.in_degree,
			    LAYER_OFF(out_q) - LAYER_OFF(in_degree)) ||
	     !spex_all_zero(&d.weights_offset,
			    LAYER_OFF(reserved) - LAYER_OFF(weights_offset))))
		return spex_load_fail(ld, SPEX_E_LAYER,
				      off + LAYER_OFF(in_degree),
				      "layer %u: type %u takes no pattern or parameters",
				      idx, type);
	if (type != SPX_LAYER_CONV2D && (d.mask_type || d.mask_period))
		return spex_load_fail(ld, SPEX_E_LAYER,
				      off + LAYER_OFF(mask_type),
				      "layer %u: kernel mask on a non-conv layer",
				      idx);

	switch (type) {
	case SPX_LAYER_FC:
		st = check_fc(ld, &d, off, idx, in, L, out, &c);
		break;
	case SPX_LAYER_CONV2D:
		st = check_conv(ld, &d, off, idx, in, L, out, &c);
		break;
	case SPX_LAYER_MAXPOOL:
	case SPX_LAYER_AVGPOOL:
		st = check_pool(ld, &d, off, idx, in, L, out);
		break;
	default:		/* RELU, FLATTEN */
		st = SPEX_OK;
		if (d.kh || d.kw || d.stride || d.pad)
			return spex_load_fail(ld, SPEX_E_LAYER,
					      off + LAYER_OFF(kh),
					      "layer %u: type %u takes no window",
					      idx, type);
		*out = *in;
		if (type == SPX_LAYER_FLATTEN) {
			out->c = in_size;
			out->h = out->w = 1;
		}
		break;
	}
	if (st)
		return st;
	if ((u64)out->c * out->h * out->w > SPEX_MAX_TENSOR)
		return spex_load_fail(ld, SPEX_E_SHAPE, off + LAYER_OFF(out_c),
				      "layer %u: output tensor too large", idx);

	st = check_out_quant(ld, off, idx, type, has_params, in, out_scale,
			     out_zp);
	if (st)
		return st;
	out->zp = out_zp;
	out->scale_bits = out_scale;
	L->out_c = out->c;
	L->out_h = out->h;
	L->out_w = out->w;
	L->out_size = out->c * out->h * out->w;
	L->out_zp = out_zp;
	L->weights = c.n_weights;

	if (has_params) {
		st = check_params(ld, &d, off, idx, L, c.n_weights);
		if (st)
			return st;
		if (c.bound == (u64)SIZE_MAX)
			return spex_load_fail(ld, SPEX_E_OVERFLOW, off,
					      "layer %u: packed size overflows",
					      idx);
		/* packed weights/indices + bias + mult + shift */
		if (!spex_add_u64(&ld->arena, spex_align64(c.bound)) ||
		    !spex_add_u64(&ld->arena,
				  3 * spex_align64((u64)L->out_c * 4)))
			return spex_load_fail(ld, SPEX_E_OVERFLOW, off,
					      "layer %u: model size overflows",
					      idx);
		L->weight_bytes = c.n_weights * ld->elem + (u64)L->out_c *
				  (ld->dtype == SPX_DTYPE_INT8 ? 12 : 4);
	}
	/* Flatten is free: the engine passes the same buffer on. */
	if (type != SPX_LAYER_FLATTEN)
		L->act_bytes = ((u64)in_size + L->out_size) * ld->elem;
	if (c.temp > ld->temp)
		ld->temp = c.temp;
	if (c.stage > ld->stage_max)
		ld->stage_max = c.stage;
	if (c.acc > ld->acc_max)
		ld->acc_max = c.acc;
	if (L->out_size > ld->act_max)
		ld->act_max = L->out_size;
	return SPEX_OK;
}

/*
 * An exit's or the final classifier's exp LUT. int8: it lies in DATA,
 * lut[0] == 1.0, never rising, scale non-zero; it is copied to lut.
 * f32: there is none, so its offset and scale must be 0 (else fail with
 * f32_status at f32_off). what names the owner in messages.
 */
static int take_lut(struct spex_loader *ld, u32 lut_off, u32 scale_q16,
		    u32 *out, int f32_status, u32 f32_off, const char *what)
{
	const u8 *lut;
	u32 i, prev;

	if (ld->dtype != SPX_DTYPE_INT8) {
		if (lut_off || scale_q16)
			return spex_load_fail(ld, f32_status, f32_off,
					      "%s: f32 models take no exp LUT",
					      what);
		return SPEX_OK;
	}
	if (lut_off % SPX_ALIGN ||
	    (u64)lut_off + SPX_EXP_LUT_LEN * 4 > ld->data_size)
		return spex_load_fail(ld, SPEX_E_RANGE,
				      spex_load_off(ld, ld->data),
				      "%s: exp LUT at DATA+%u outside DATA or misaligned",
				      what, lut_off);
	lut = ld->data + lut_off;
	if (spex_le32(lut) != SPX_Q16_ONE)
		return spex_load_fail(ld, SPEX_E_EXIT, spex_load_off(ld, lut),
				      "%s: exp LUT[0] is %u, want 65536", what,
				      spex_le32(lut));
	prev = SPX_Q16_ONE;
	for (i = 1; i < SPX_EXP_LUT_LEN; i++) {
		u32 v = spex_le32(lut + 4 * i);

		if (v > prev)
			return spex_load_fail(ld, SPEX_E_EXIT,
					      spex_load_off(ld, lut + 4 * i),
					      "%s: exp LUT rises at %u", what, i);
		prev = v;
	}
	if (!scale_q16)
		return spex_load_fail(ld, SPEX_E_EXIT, spex_load_off(ld, lut),
				      "%s: logit scale is 0", what);
	for (i = 0; i < SPX_EXP_LUT_LEN; i++)
		out[i] = spex_le32(lut + 4 * i);
	return SPEX_OK;
}

/* Exit e's own fields; its branch layers are checked by the caller. */
static int check_exit(struct spex_loader *ld, struct spex_model *m, u32 e,
		      u32 next)
{
	const struct spex_model_desc *mi = &m->desc;
	u32 off = spex_load_off(ld, ld->exits) + e * (u32)sizeof(struct spx_exit);
	struct spex_rt_exit *x = &m->exits[e];
	struct spx_exit d;
	u32 lut_off;

	spex_load_exit(ld, e, &d);
	x->after_layer = spex_le32_to_cpu(d.after_layer);
	x->first_layer = spex_le32_to_cpu(d.first_layer);
	x->n_layers = spex_le32_to_cpu(d.n_layers);
	x->policy = spex_le32_to_cpu(d.policy);
	x->threshold_q16 = spex_le32_to_cpu(d.threshold_q16);
	lut_off = spex_le32_to_cpu(d.lut_offset);
	x->logit_scale_q16 = spex_le32_to_cpu(d.logit_scale_q16);

	if (!spex_all_zero(d.reserved, sizeof(d.reserved)))
		return spex_load_fail(ld, SPEX_E_EXIT, off + EXIT_OFF(reserved),
				      "exit %u: reserved fields set", e);
	if (x->first_layer != next || !x->n_layers ||
	    x->n_layers > mi->n_layers - next)
		return spex_load_fail(ld, SPEX_E_EXIT,
				      off + EXIT_OFF(first_layer),
				      "exit %u: branch layers %u+%u, want to start at %u within %u layers",
				      e, x->first_layer, x->n_layers, next,
				      mi->n_layers);
	if (x->policy > SPX_POLICY_MARGIN)
		return spex_load_fail(ld, SPEX_E_EXIT, off + EXIT_OFF(policy),
				      "exit %u: unknown policy %u", e,
				      x->policy);
	if (x->threshold_q16 > SPX_Q16_ONE)
		return spex_load_fail(ld, SPEX_E_EXIT,
				      off + EXIT_OFF(threshold_q16),
				      "exit %u: threshold %u above 1.0 (65536)",
				      e, x->threshold_q16);
	return take_lut(ld, lut_off, x->logit_scale_q16, x->lut, SPEX_E_EXIT,
			off + EXIT_OFF(lut_offset), "exit");
}

static int check_exits(struct spex_loader *ld, struct spex_model *m)
{
	const struct spex_model_desc *mi = &m->desc;
	u32 next = mi->n_main, prev_after = 0, e, i;
	int st;

	/* Order first: a misordered exit must not be reported as whatever
	 * its branch trips over. */
	for (e = 0; e < mi->n_exits; e++) {
		struct spx_exit d;
		u32 after;

		spex_load_exit(ld, e, &d);
		after = spex_le32_to_cpu(d.after_layer);
		if (after >= mi->n_main || after < prev_after)
			return spex_load_fail(ld, SPEX_E_EXIT,
					      spex_load_off(ld, ld->exits) +
					      e * (u32)sizeof(d),
					      "exit %u: after_layer %u (main path has %u layers; exits in order)",
					      e, after, mi->n_main);
		prev_after = after;
	}
	for (e = 0; e < mi->n_exits; e++) {
		const struct spex_rt_exit *x = &m->exits[e];
		const struct spex_rt_layer *at;
		struct spx_layer after;
		struct shape s;

		st = check_exit(ld, m, e, next);
		if (st)
			return st;
		at = &m->layers[x->after_layer];
		spex_load_layer(ld, x->after_layer, &after);
		s.c = at->out_c;
		s.h = at->out_h;
		s.w = at->out_w;
		s.zp = at->out_zp;
		s.scale_bits = spex_le32_to_cpu(after.out_q.scale_bits);
		for (i = x->first_layer; i < x->first_layer + x->n_layers; i++) {
			struct shape o;

			st = check_layer(ld, i, e + 1, &s, &m->layers[i], &o);
			if (st)
				return st;
			s = o;
		}
		if (s.c * s.h * s.w != mi->n_classes)
			return spex_load_fail(ld, SPEX_E_EXIT,
					      spex_load_off(ld, ld->exits) +
					      e * (u32)sizeof(struct spx_exit),
					      "exit %u: branch gives %u outputs, want n_classes %u",
					      e, s.c * s.h * s.w, mi->n_classes);
		next += x->n_layers;
	}
	if (next != mi->n_layers)
		return spex_load_fail(ld, SPEX_E_EXIT,
				      spex_load_off(ld, ld->layers),
				      "layers %u..%u belong to no exit branch",
				      next, mi->n_layers - 1);
	return SPEX_OK;
}

/* The end of the main path: a HEAD's bottleneck or a final classifier. */
static int check_split(struct spex_loader *ld, struct spex_model *m,
		       const struct shape *s)
{
	struct spex_model_desc *mi = &m->desc;
	u32 off = spex_load_off(ld, ld->meta);
	u32 n_out = s->c * s->h * s->w;
	struct spx_meta meta;
	u32 final_lut;
	int st;

	spex_load_meta(ld, &meta);
	final_lut = spex_le32_to_cpu(meta.final_lut_offset);
	if (mi->role == SPX_ROLE_HEAD) {
		if (final_lut || m->final_logit_scale_q16)
			return spex_load_fail(ld, SPEX_E_SPLIT,
					      off + META_OFF(final_lut_offset),
					      "a HEAD model has no final classifier");
		mi->output_bytes = n_out * ld->elem;
		return SPEX_OK;
	}
	if (mi->role == SPX_ROLE_TAIL && mi->n_exits)
		return spex_load_fail(ld, SPEX_E_SPLIT, off + META_OFF(n_exits),
				      "a TAIL model has no early exits");
	if (n_out != mi->n_classes)
		return spex_load_fail(ld, SPEX_E_SPLIT, off + META_OFF(n_classes),
				      "the last layer gives %u outputs, want n_classes %u",
				      n_out, mi->n_classes);
	st = take_lut(ld, final_lut, m->final_logit_scale_q16, m->final_lut,
		      SPEX_E_SPLIT, off + META_OFF(final_lut_offset),
		      "final classifier");
	if (st)
		return st;
	mi->output_bytes = mi->n_classes * ld->elem;
	return SPEX_OK;
}

/* A layer's DATA references: weights, bias, requant (size 0: none). */
static void layer_refs(const struct spex_loader *ld,
		       const struct spex_model *m, u32 i, u32 off[3],
		       u64 size[3])
{
	const struct spex_rt_layer *L = &m->layers[i];
	struct spx_layer d;

	size[0] = size[1] = size[2] = 0;
	if (L->type != SPX_LAYER_FC && L->type != SPX_LAYER_CONV2D)
		return;
	spex_load_layer(ld, i, &d);
	off[0] = spex_le32_to_cpu(d.weights_offset);
	size[0] = spex_le32_to_cpu(d.weights_size);
	off[1] = spex_le32_to_cpu(d.bias_offset);
	size[1] = (u64)L->out_c * 4;
	off[2] = spex_le32_to_cpu(d.requant_offset);
	size[2] = ld->dtype == SPX_DTYPE_INT8 ? (u64)L->out_c * 8 : 0;
}

/*
 * No two layer references share a DATA byte: each weight is counted once
 * (file_bytes - weight bytes never goes negative) and no layer's
 * parameters are another's. At most 64 layers of 3 references: the
 * pairwise check is cheap.
 */
static int check_aliases(struct spex_loader *ld, const struct spex_model *m)
{
	static const char *const what[3] = { "weights", "bias", "requant" };
	u32 n = m->desc.n_layers, i, j, a, b;

	for (i = 0; i < n; i++) {
		u32 oi[3], oj[3];
		u64 si[3], sj[3];

		layer_refs(ld, m, i, oi, si);
		for (j = i; j < n; j++) {
			layer_refs(ld, m, j, oj, sj);
			for (a = 0; a < 3; a++)
				for (b = j == i ? a + 1 : 0; b < 3; b++)
					if (si[a] && sj[b] &&
					    oi[a] < oj[b] + sj[b] &&
					    oj[b] < oi[a] + si[a])
						return spex_load_fail(ld,
							SPEX_E_RANGE,
							spex_load_off(ld, ld->layers) +
							j * (u32)sizeof(struct spx_layer),
							"layer %u: %s at DATA+%u overlaps layer %u's %s at DATA+%u",
							j, what[b], oj[b], i,
							what[a], oi[a]);
		}
	}
	return SPEX_OK;
}

int spex_load_validate(struct spex_loader *ld, struct spex_model *m)
{
	struct spex_model_desc *mi = &m->desc;
	struct shape s;
	u32 i;
	int st;

	st = check_meta(ld, m);
	if (st)
		return st;

	s.c = mi->in_c;
	s.h = mi->in_h;
	s.w = mi->in_w;
	s.zp = (s32)mi->input_q.zero_point;
	s.scale_bits = mi->input_q.scale_bits;
	if (ld->dtype != SPX_DTYPE_INT8)
		s.zp = s.scale_bits = 0;
	ld->act_max = (u64)s.c * s.h * s.w;
	for (i = 0; i < mi->n_main; i++) {
		struct shape o;

		st = check_layer(ld, i, 0, &s, &m->layers[i], &o);
		if (st)
			return st;
		s = o;
	}
	mi->out_c = s.c;
	mi->out_h = s.h;
	mi->out_w = s.w;
	mi->output_q.scale_bits = s.scale_bits;
	mi->output_q.zero_point = (u32)s.zp;
	st = check_exits(ld, m);
	if (st)
		return st;
	st = check_split(ld, m, &s);
	if (st)
		return st;
	st = check_aliases(ld, m);
	if (st)
		return st;
	mi->input_bytes = mi->in_c * mi->in_h * mi->in_w * ld->elem;
	return SPEX_OK;
}
