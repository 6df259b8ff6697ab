// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The .spx writer. Userspace only (Kbuild never builds this file).
 */
#ifndef __KERNEL__
#include <spex/engine.h>

/* A growing little-endian byte buffer. */
struct wbuf {
	u8 *p;
	size_t len, cap;
	bool oom;
};

static size_t wb_reserve(struct wbuf *b, size_t n)
{
	size_t at = b->len;

	if (b->oom)
		return 0;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		u8 *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return 0;
		}
		memset(p + b->cap, 0, cap - b->cap);
		b->p = p;
		b->cap = cap;
	}
	b->len += n;
	return at;
}

/* Append n bytes (or zeros) at an SPX_ALIGN boundary; returns offset. */
static size_t wb_put(struct wbuf *b, const void *src, size_t n)
{
	size_t at;

	wb_reserve(b, SPEX_ALIGN_UP(b->len, SPX_ALIGN) - b->len);
	at = wb_reserve(b, n);
	if (!b->oom && src && n)
		memcpy(b->p + at, src, n);
	return at;
}

static u32 f32_bits(float f)
{
	u32 u;

	memcpy(&u, &f, 4);
	return u;
}

static size_t put_u32s(struct wbuf *b, const u32 *v, u32 n)
{
	size_t at = wb_put(b, NULL, (size_t)n * 4);
	u32 i;

	for (i = 0; !b->oom && i < n; i++)
		spex_put_le32(b->p + at + 4 * i, v[i]);
	return at;
}

void spex_exp_lut(float scale, u32 lut[SPX_EXP_LUT_LEN])
{
	u32 d;

	for (d = 0; d < SPX_EXP_LUT_LEN; d++)
		lut[d] = (u32)lround(65536.0 * exp(-(double)scale * d));
	lut[0] = SPX_Q16_ONE;
}

static u32 scale_q16(float scale)
{
	long v = lround((double)scale * 65536.0);

	return v < 1 ? 1 : (u32)v;
}

void spex_quant_multiplier(double real, s32 *mult, s32 *shift)
{
	int e;
	double m;
	long long q;

	if (!(real > 0)) {
		*mult = 0;
		*shift = 1;
		return;
	}
	m = frexp(real, &e);		/* real = m * 2^e, m in [0.5, 1) */
	q = llround(m * (double)(1ll << 31));
	if (q == (1ll << 31)) {
		q /= 2;
		e++;
	}
	*shift = 31 - e;
	if (*shift > 62) {		/* tiny: shift the mantissa down */
		q >>= (*shift - 62);
		*shift = 62;
	}
	if (*shift < 1) {		/* huge: saturate */
		q = 0x7fffffff;
		*shift = 1;
	}
	*mult = (s32)q;
}

void spex_spx_fix_crc(void *blob, size_t len)
{
	u8 *b = blob;

	spex_put_le32(b + 28, 0);
	spex_put_le32(b + 28, spex_crc32(0, b, len));
}

struct wq {
	u32 scale_bits;
	s32 zp;
};

int spex_spx_write(const struct spex_wmodel *wm, void **blob, size_t *len)
{
	struct wbuf data = { 0 }, out = { 0 };
	u8 meta[152] = { 0 };
	u8 *layers = NULL, *exits = NULL;
	struct wq q_main, *q_out = NULL;
	size_t final_lut = 0;
	u32 i, e;
	int ret = -ENOMEM;

	*blob = NULL;
	*len = 0;
	if (wm->n_layers > SPX_MAX_LAYERS || wm->n_exits > SPX_MAX_EXITS)
		return -EINVAL;
	layers = calloc(wm->n_layers ? wm->n_layers : 1, 80);
	exits = calloc(wm->n_exits ? wm->n_exits : 1, 48);
	q_out = calloc(wm->n_layers ? wm->n_layers : 1, sizeof(*q_out));
	if (!layers || !exits || !q_out)
		goto out;

	/* Each layer's output quantization: FC/conv set their own, the
	 * others keep their input's. Branches start from their exit's
	 * main-path layer. */
	q_main.scale_bits = wm->dtype == SPX_DTYPE_INT8 ? f32_bits(wm->in_scale) : 0;
	q_main.zp = wm->dtype == SPX_DTYPE_INT8 ? wm->in_zp : 0;
	for (i = 0; i < wm->n_layers; i++) {
		const struct spex_wlayer *l = &wm->layers[i];
		struct wq in = q_main;

		if (i >= wm->n_main) {
			for (e = 0; e < wm->n_exits; e++) {
				const struct spex_wexit *x = &wm->exits[e];

				if (i == x->first_layer && x->after_layer < wm->n_layers)
					in = q_out[x->after_layer];
				else if (i > x->first_layer &&
					 i < x->first_layer + x->n_layers)
					in = q_out[i - 1];
			}
		} else if (i > 0) {
			in = q_out[i - 1];
		}
		if ((l->type == SPX_LAYER_FC || l->type == SPX_LAYER_CONV2D) &&
		    wm->dtype == SPX_DTYPE_INT8) {
			q_out[i].scale_bits = f32_bits(l->out_scale);
			q_out[i].zp = l->out_zp;
		} else {
			q_out[i] = in;
		}
	}

	for (i = 0; i < wm->n_layers; i++) {
		const struct spex_wlayer *l = &wm->layers[i];
		u8 *d = layers + 80 * i;
		bool params = l->type == SPX_LAYER_FC ||
			      l->type == SPX_LAYER_CONV2D;

		spex_put_le16(d, (u16)l->type);
		spex_put_le16(d + 2, (u16)l->flags);
		spex_put_le32(d + 4, l->out_c);
		d[8] = (u8)l->kh;
		d[9] = (u8)l->kw;
		d[10] = (u8)l->stride;
		d[11] = (u8)l->pad;
		spex_put_le32(d + 12, l->in_degree);
		d[16] = (u8)l->pattern.type;
		d[17] = (u8)l->pattern.starts;
		d[18] = (u8)l->pattern.dither;
		spex_put_le32(d + 20, l->pattern.z);
		spex_put_le32(d + 24, l->pattern.seed);
		if (l->pattern.starts == SPX_STARTS_EXPLICIT)
			spex_put_le32(d + 28, (u32)put_u32s(&data,
					l->pattern.starts_arr, l->pattern.n_starts));
		d[32] = (u8)l->mask_type;
		d[33] = (u8)l->mask_period;
		spex_put_le32(d + 36, q_out[i].scale_bits);
		spex_put_le32(d + 40, (u32)q_out[i].zp);
		if (!params)
			continue;
		spex_put_le32(d + 44, (u32)wb_put(&data, l->weights,
						  l->weights_bytes));
		spex_put_le32(d + 48, (u32)l->weights_bytes);
		if (wm->dtype == SPX_DTYPE_INT8) {
			size_t at = put_u32s(&data, (const u32 *)l->bias, l->out_c);

			spex_put_le32(d + 52, (u32)at);
			at = wb_put(&data, NULL, (size_t)l->out_c * 8);
			for (e = 0; !data.oom && e < l->out_c; e++) {
				spex_put_le32(data.p + at + 8 * e, (u32)l->mult[e]);
				spex_put_le32(data.p + at + 8 * e + 4,
					      (u32)l->shift[e]);
			}
			spex_put_le32(d + 56, (u32)at);
		} else {
			spex_put_le32(d + 52, (u32)wb_put(&data, l->bias,
						(size_t)l->out_c * 4));
		}
	}

	for (e = 0; e < wm->n_exits; e++) {
		const struct spex_wexit *x = &wm->exits[e];
		u8 *d = exits + 48 * e;

		spex_put_le32(d, x->after_layer);
		spex_put_le32(d + 4, x->first_layer);
		spex_put_le32(d + 8, x->n_layers);
		spex_put_le32(d + 12, x->policy);
		spex_put_le32(d + 16, x->threshold_q16);
		if (wm->dtype == SPX_DTYPE_INT8) {
			u32 lut[SPX_EXP_LUT_LEN];

			spex_exp_lut(x->logit_scale, lut);
			spex_put_le32(d + 20, (u32)put_u32s(&data, lut,
							    SPX_EXP_LUT_LEN));
			spex_put_le32(d + 24, scale_q16(x->logit_scale));
		}
	}

	memcpy(meta, wm->name, SPX_NAME_LEN);
	meta[SPX_NAME_LEN - 1] = 0;
	memcpy(meta + 32, wm->hash, SPX_HASH_LEN);
	spex_put_le32(meta + 64, wm->role);
	spex_put_le32(meta + 68, wm->dtype);
	spex_put_le32(meta + 72, wm->in_c);
	spex_put_le32(meta + 76, wm->in_h);
	spex_put_le32(meta + 80, wm->in_w);
	spex_put_le32(meta + 84, wm->n_classes);
	spex_put_le32(meta + 88, wm->n_layers);
	spex_put_le32(meta + 92, wm->n_main);
	spex_put_le32(meta + 96, wm->n_exits);
	if (wm->dtype == SPX_DTYPE_INT8) {
		spex_put_le32(meta + 100, f32_bits(wm->in_scale));
		spex_put_le32(meta + 104, (u32)wm->in_zp);
		if (wm->role != SPX_ROLE_HEAD) {
			u32 lut[SPX_EXP_LUT_LEN];

			spex_exp_lut(wm->final_logit_scale, lut);
			final_lut = put_u32s(&data, lut, SPX_EXP_LUT_LEN);
			spex_put_le32(meta + 108, (u32)final_lut);
			spex_put_le32(meta + 112,
				      scale_q16(wm->final_logit_scale));
		}
	}
	if (data.oom)
		goto out;

	{
		u32 nsec = wm->n_exits ? 4 : 3, s = 0;
		size_t table, at;
		struct { u32 type; const void *p; size_t n; } sec[4] = {
			{ SPX_SEC_META, meta, sizeof(meta) },
			{ SPX_SEC_LAYERS, layers, (size_t)80 * wm->n_layers },
			{ SPX_SEC_DATA, data.p, data.len },
			{ SPX_SEC_EXITS, exits, (size_t)48 * wm->n_exits },
		};

		wb_reserve(&out, 64);
		table = wb_put(&out, NULL, (size_t)16 * nsec);
		for (s = 0; s < nsec; s++) {
			at = wb_put(&out, sec[s].p, sec[s].n);
			if (out.oom)
				goto out;
			spex_put_le32(out.p + table + 16 * s, sec[s].type);
			spex_put_le32(out.p + table + 16 * s + 4, (u32)at);
			spex_put_le32(out.p + table + 16 * s + 8, (u32)sec[s].n);
		}
		if (out.oom)
			goto out;
		spex_put_le32(out.p, SPX_MAGIC);
		spex_put_le16(out.p + 4, SPX_VERSION_MAJOR);
		spex_put_le16(out.p + 6, SPX_VERSION_MINOR);
		spex_put_le32(out.p + 8, 64);
		spex_put_le32(out.p + 12, (u32)out.len);
		spex_put_le32(out.p + 16, nsec);
		spex_put_le32(out.p + 20, (u32)table);
		spex_spx_fix_crc(out.p, out.len);
	}
	*blob = out.p;
	*len = out.len;
	out.p = NULL;
	ret = 0;
out:
	free(out.p);
	free(data.p);
	free(layers);
	free(exits);
	free(q_out);
	return ret;
}
#endif /* !__KERNEL__ */
