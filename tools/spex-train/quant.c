// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Post-training int8 quantization, the trainer's integer simulation of
 * the .spx int8 arithmetic, the content hash and the export.
 *
 * Scheme (what the format can express):
 *  - input: scale 1/255, zero point -128, so q = pixel - 128 exactly;
 *  - weights: symmetric per output channel, w_scale[o] = max|w_o| / 127;
 *  - bias: s32 in units of in_scale * w_scale[o];
 *  - ReLU outputs: [0, max] over the calibration set -> scale max / 255,
 *    zero point -128 (the fused ReLU clamps at the zero point);
 *  - logits: symmetric, scale max|z| / 127, zero point 0;
 *  - requant multiplier and shift from in_scale * w_scale[o] / out_scale
 *    (spex_quant_multiplier);
 *  - max pooling keeps its input's quantization.
 * The simulation uses the engine's own requant (kernels.h) and exit
 * policy (exit.c), so it is bit-exact with spex_run() by construction;
 * tests/unit/test_train_export.c checks that it is.
 */
#include "train.h"
#include <spex/engine.h>

#include <math.h>

static void out_quant(struct st_layer *l, float range)
{
	if (!(range > 1e-6f))
		range = 1e-6f;
	if (l->relu) {
		l->out_scale = range / 255.0f;
		l->out_zp = -128;
	} else {
		l->out_scale = range / 127.0f;
		l->out_zp = 0;
	}
}

static int quant_params(struct st_layer *l)
{
	u32 o, per = l->kind == ST_FC ? l->d_in : 0, i;

	free(l->wq);
	free(l->bq);
	free(l->mult);
	free(l->shift);
	l->wq = calloc(l->n_w + 1, 1);
	l->bq = calloc(l->out_c, 4);
	l->mult = calloc(l->out_c, 4);
	l->shift = calloc(l->out_c, 4);
	if (!l->wq || !l->bq || !l->mult || !l->shift)
		return -1;
	for (o = 0; o < l->out_c; o++) {
		u32 w0 = l->kind == ST_FC ? o * per : l->tap_start[o * l->d_in];
		u32 w1 = l->kind == ST_FC ? w0 + per :
			 l->tap_start[(o + 1) * l->d_in];
		double mx = 0, ws, bs;

		for (i = w0; i < w1; i++)
			mx = fmax(mx, fabs(l->w[i]));
		ws = mx > 0 ? mx / 127 : 1e-8;
		for (i = w0; i < w1; i++) {
			long q = lround(l->w[i] / ws);

			l->wq[i] = (s8)(q > 127 ? 127 : q < -127 ? -127 : q);
		}
		bs = (double)l->in_scale * ws;
		{
			double bq = round(l->b[o] / bs);

			if (bq > INT32_MAX / 2)
				bq = INT32_MAX / 2;
			if (bq < -(INT32_MAX / 2))
				bq = -(INT32_MAX / 2);
			l->bq[o] = (s32)bq;
		}
		spex_quant_multiplier(bs / l->out_scale, &l->mult[o],
				      &l->shift[o]);
	}
	return 0;
}

int st_quantize(struct st_net *net, const struct st_data *d, u32 n_calib)
{
	float range[ST_MAX_LAYERS] = { 0 };
	u32 idx[ST_MAX_BATCH], i, b, j;

	if (net->spec.masked_dense)
		return -1;	/* benchmark mode: nothing to export */
	if (n_calib > d->n)
		n_calib = d->n;
	if (!n_calib)
		return -1;
	for (i = 0; i < n_calib; i += ST_MAX_BATCH) {
		u32 bsz = n_calib - i < ST_MAX_BATCH ? n_calib - i : ST_MAX_BATCH;

		for (b = 0; b < bsz; b++)
			idx[b] = i + b;
		st_forward(net, d, idx, bsz);
		for (j = 0; j < net->n_layers; j++) {
			const float *y = net->act[j + 1];
			size_t k, n = (size_t)net->layers[j].n_out * bsz;

			for (k = 0; k < n; k++)
				range[j] = fmaxf(range[j], fabsf(y[k]));
		}
	}
	/* Scales flow from each layer's input: the net input, or the
	 * layer act[src] came from. */
	for (j = 0; j < net->n_layers; j++) {
		struct st_layer *l = &net->layers[j];

		if (l->src == 0) {
			l->in_scale = net->in_scale;
			l->in_zp = net->in_zp;
		} else {
			l->in_scale = net->layers[l->src - 1].out_scale;
			l->in_zp = net->layers[l->src - 1].out_zp;
		}
		if (l->kind == ST_MAXPOOL) {
			l->out_scale = l->in_scale;
			l->out_zp = l->in_zp;
			continue;
		}
		out_quant(l, range[j]);
		if (quant_params(l))
			return -1;
	}
	for (j = 0; j < net->n_exits; j++) {
		struct st_exit *x = &net->exits[j];
		float sc = net->layers[x->first + x->n_layers - 1].out_scale;
		long q = lround((double)sc * 65536.0);

		spex_exp_lut(sc, x->lut);
		x->logit_scale_q16 = q < 1 ? 1 : (u32)q;
	}
	{
		float sc = net->layers[net->n_main - 1].out_scale;
		long q = lround((double)sc * 65536.0);

		spex_exp_lut(sc, net->final_lut);
		net->final_logit_scale_q16 = q < 1 ? 1 : (u32)q;
	}
	net->quantized = 1;
	return 0;
}

void st_input_i8(const struct st_net *net, const u8 *x, s8 *q)
{
	u32 i, dim = net->spec.in_c * net->spec.in_h * net->spec.in_w;

	for (i = 0; i < net->n_in; i++)	/* padding is pixel 0 */
		q[i] = (s8)((s32)(i < dim ? x[i] : 0) + net->in_zp);
}

static void fc_i8(const struct st_layer *l, const s8 *x, s8 *y)
{
	s32 lo = l->relu ? l->out_zp : -128;
	u32 r, m;

	for (r = 0; r < l->n_out; r++) {
		const u32 *left = l->left + (size_t)r * l->d_in;
		const s8 *w = l->wq + (size_t)r * l->d_in;
		u32 acc = (u32)l->bq[r];	/* modulo 2^32, as the engine */

		for (m = 0; m < l->d_in; m++)
			acc += (u32)((s32)w[m] * ((s32)x[left[m]] - l->in_zp));
		y[r] = spex_requant_out((s32)acc, l->mult[r], l->shift[r],
					l->out_zp, lo);
	}
}

static void conv_i8(const struct st_layer *l, const s8 *x, s8 *y)
{
	s32 lo = l->relu ? l->out_zp : -128;
	u32 o, oy, ox, s, t;

	for (o = 0; o < l->out_c; o++)
		for (oy = 0; oy < l->out_h; oy++)
			for (ox = 0; ox < l->out_w; ox++) {
				u32 acc = (u32)l->bq[o];

				for (s = 0; s < l->d_in; s++) {
					u32 ci = l->left[o * l->d_in + s];
					u32 t0 = l->tap_start[o * l->d_in + s];
					u32 t1 = l->tap_start[o * l->d_in + s + 1];

					for (t = t0; t < t1; t++) {
						u32 ky = l->taps[t] / l->k;
						u32 kx = l->taps[t] % l->k;
						s32 iy = (s32)(oy + ky) - (s32)l->pad;
						s32 ix = (s32)(ox + kx) - (s32)l->pad;

						/* padding is a real zero: xs = 0 */
						if (iy < 0 || ix < 0 || iy >= (s32)l->in_h ||
						    ix >= (s32)l->in_w)
							continue;
						acc += (u32)((s32)l->wq[t] *
							((s32)x[((size_t)ci * l->in_h + iy) *
								l->in_w + ix] - l->in_zp));
					}
				}
				y[((size_t)o * l->out_h + oy) * l->out_w + ox] =
					spex_requant_out((s32)acc, l->mult[o],
							 l->shift[o], l->out_zp, lo);
			}
}

static void pool_i8(const struct st_layer *l, const s8 *x, s8 *y)
{
	u32 c, oy, ox, i, j;

	for (c = 0; c < l->out_c; c++)
		for (oy = 0; oy < l->out_h; oy++)
			for (ox = 0; ox < l->out_w; ox++) {
				s8 best = -128;

				for (i = 0; i < l->pool; i++)
					for (j = 0; j < l->pool; j++) {
						s8 v = x[((size_t)c * l->in_h + oy * l->pool + i) *
							 l->in_w + ox * l->pool + j];

						best = v > best ? v : best;
					}
				y[((size_t)c * l->out_h + oy) * l->out_w + ox] = best;
			}
}

int st_sim_i8(const struct st_net *net, const u8 *x, s8 *bott,
	      s8 exit_q[][SPX_MAX_CLASSES], s8 *final_q)
{
	s8 *buf[ST_MAX_LAYERS + 1];
	size_t total = net->n_in, off = 0;
	s8 *mem;
	u32 j, e;

	for (j = 0; j < net->n_layers; j++)
		total += net->layers[j].n_out;
	mem = malloc(total);
	if (!mem)
		return -1;
	buf[0] = mem;
	off = net->n_in;
	for (j = 0; j < net->n_layers; j++) {
		buf[j + 1] = mem + off;
		off += net->layers[j].n_out;
	}
	st_input_i8(net, x, buf[0]);
	for (j = 0; j < net->n_layers; j++) {
		const struct st_layer *l = &net->layers[j];

		switch (l->kind) {
		case ST_FC:
			fc_i8(l, buf[l->src], buf[j + 1]);
			break;
		case ST_CONV:
			conv_i8(l, buf[l->src], buf[j + 1]);
			break;
		case ST_MAXPOOL:
			pool_i8(l, buf[l->src], buf[j + 1]);
			break;
		}
	}
	if (bott && net->spec.split)
		memcpy(bott, buf[net->spec.split],
		       net->layers[net->spec.split - 1].n_out);
	for (e = 0; exit_q && e < net->n_exits; e++)
		memcpy(exit_q[e], buf[net->exits[e].first + net->exits[e].n_layers],
		       net->spec.n_classes);
	if (final_q)
		memcpy(final_q, buf[net->n_main], net->spec.n_classes);
	free(mem);
	return 0;
}

void st_exit_conf_i8(const struct st_net *net, u32 e, const s8 *q,
		     u32 *class_id, u32 *conf_q16)
{
	const struct st_exit *x = &net->exits[e];
	struct spex_conf c;

	spex_policy_i8(q, net->spec.n_classes, SPX_POLICY_MAX_SOFTMAX, x->lut,
		       x->logit_scale_q16, &c);
	*class_id = c.class_id;
	*conf_q16 = c.confidence_q16;
}

void st_content_hash(const struct st_net *net, u8 hash[SPX_HASH_LEN])
{
	struct spex_sha256_ctx ctx;
	u32 j;

	spex_sha256_init(&ctx);
	spex_sha256_update(&ctx, "spex-train 1", 12);
	spex_sha256_update(&ctx, &net->n_in, 4);
	spex_sha256_update(&ctx, &net->spec.split, 4);
	for (j = 0; j < net->n_layers; j++) {
		const struct st_layer *l = &net->layers[j];
		u32 arch[] = {
			l->kind, l->relu, l->branch, l->src, l->n_in, l->n_out,
			l->out_c, l->d_in, l->pat.type, l->pat.starts,
			l->pat.dither, l->pat.z, l->pat.seed, l->k, l->pad,
			l->mask_type, l->mask_period, l->pool,
		};

		spex_sha256_update(&ctx, arch, sizeof(arch));
		if (l->kind == ST_MAXPOOL)
			continue;
		spex_sha256_update(&ctx, l->w, (size_t)l->n_w * 4);
		spex_sha256_update(&ctx, l->b, (size_t)l->out_c * 4);
	}
	for (j = 0; j < net->n_exits; j++)
		spex_sha256_update(&ctx, &net->exits[j].after, 4);
	spex_sha256_final(&ctx, hash);
}

static void to_wlayer(const struct st_layer *l, struct spex_wlayer *wl)
{
	memset(wl, 0, sizeof(*wl));
	wl->out_scale = l->out_scale;
	wl->out_zp = l->out_zp;
	switch (l->kind) {
	case ST_MAXPOOL:
		wl->type = SPX_LAYER_MAXPOOL;
		wl->kh = wl->kw = wl->stride = l->pool;
		return;
	case ST_FC:
		wl->type = SPX_LAYER_FC;
		wl->out_c = l->n_out;
		break;
	case ST_CONV:
		wl->type = SPX_LAYER_CONV2D;
		wl->out_c = l->out_c;
		wl->kh = wl->kw = l->k;
		wl->stride = 1;
		wl->pad = l->pad;
		wl->mask_type = l->mask_type;
		wl->mask_period = l->mask_period;
		break;
	}
	wl->flags = l->relu ? SPX_LF_RELU : 0;
	wl->in_degree = l->d_in;
	wl->pattern.type = l->pat.type;
	wl->pattern.starts = l->pat.starts;
	wl->pattern.dither = l->pat.dither;
	wl->pattern.z = l->pat.z;
	wl->pattern.seed = l->pat.type == SPX_PAT_DENSE ? 0 : l->pat.seed;
	wl->weights = l->wq;
	wl->weights_bytes = l->n_w;
	wl->bias = l->bq;
	wl->mult = l->mult;
	wl->shift = l->shift;
}

int st_export(const struct st_net *net, u32 role, void **blob, size_t *len)
{
	struct spex_wlayer wl[ST_MAX_LAYERS];
	struct spex_wexit wx[ST_MAX_EXITS];
	struct spex_wmodel wm;
	u32 split = net->spec.split, j, n = 0, m0, m1, e;
	bool exits;

	if (!net->quantized)
		return -EINVAL;
	if (role != SPX_ROLE_FULL && !split)
		return -EINVAL;
	memset(&wm, 0, sizeof(wm));
	memset(wx, 0, sizeof(wx));
	snprintf(wm.name, sizeof(wm.name), "%s", net->spec.name);
	st_content_hash(net, wm.hash);
	wm.role = role;
	wm.dtype = SPX_DTYPE_INT8;
	wm.n_classes = net->spec.n_classes;
	m0 = role == SPX_ROLE_TAIL ? split : 0;
	m1 = role == SPX_ROLE_HEAD ? split : net->n_main;
	exits = role != SPX_ROLE_TAIL;
	if (m0) {
		const struct st_layer *b = &net->layers[m0 - 1];

		wm.in_c = b->out_c;
		wm.in_h = b->out_h;
		wm.in_w = b->out_w;
		wm.in_scale = b->out_scale;
		wm.in_zp = b->out_zp;
	} else {
		wm.in_c = net->in_c;
		wm.in_h = net->in_h;
		wm.in_w = net->in_w;
		wm.in_scale = net->in_scale;
		wm.in_zp = net->in_zp;
	}
	for (j = m0; j < m1; j++)
		to_wlayer(&net->layers[j], &wl[n++]);
	wm.n_main = n;
	if (role != SPX_ROLE_HEAD)
		wm.final_logit_scale = net->layers[net->n_main - 1].out_scale;
	for (e = 0; exits && e < net->n_exits; e++) {
		const struct st_exit *x = &net->exits[e];
		double thr = x->threshold * 65536.0;

		wx[e].after_layer = x->after;
		wx[e].first_layer = n;
		wx[e].n_layers = x->n_layers;
		wx[e].policy = SPX_POLICY_MAX_SOFTMAX;
		wx[e].threshold_q16 = thr >= 65536 ? 65536 :
				      thr <= 0 ? 0 : (u32)lround(thr);
		wx[e].logit_scale = net->layers[x->first + x->n_layers - 1].out_scale;
		for (j = 0; j < x->n_layers; j++)
			to_wlayer(&net->layers[x->first + j], &wl[n++]);
	}
	wm.layers = wl;
	wm.n_layers = n;
	wm.exits = wx;
	wm.n_exits = exits ? net->n_exits : 0;
	return spex_spx_write(&wm, blob, len);
}
