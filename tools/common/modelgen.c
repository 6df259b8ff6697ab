// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Random well-formed models; see modelgen.h.
 */
#include "modelgen.h"
#include <spex/engine.h>
#include <math.h>

static void *own(struct mg_model *m, size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (p && m->n_owned < SPEX_ARRAY_SIZE(m->owned))
		m->owned[m->n_owned++] = p;
	else {
		free(p);
		p = NULL;
	}
	return p;
}

/* The typical spread of an int8 accumulator over d_in edges: weights
 * uniform in [-64, 64] (sd 37), staged inputs of sd about 74. */
static double acc_sd(u32 d_in)
{
	return sqrt((double)d_in) * 37.0 * 74.0;
}

/* Fill an FC or conv layer's weights, bias and requant. n_w weights,
 * d_in edges per output accumulate. */
static int fill_params(struct mg_model *m, struct spex_wlayer *l, u32 dtype,
		       u64 n_w, u32 per_out, struct spex_rng *rng)
{
	u32 o;
	u64 i;

	if (dtype == SPX_DTYPE_INT8) {
		s8 *w = own(m, n_w);
		s32 *b = own(m, (size_t)l->out_c * 4);
		s32 *mult = own(m, (size_t)l->out_c * 4);
		s32 *shift = own(m, (size_t)l->out_c * 4);

		if (!w || !b || !mult || !shift)
			return -ENOMEM;
		for (i = 0; i < n_w; i++)
			w[i] = (s8)((s32)spex_rng_below(rng, 129) - 64);
		for (o = 0; o < l->out_c; o++) {
			/* Output sd about 40 steps, varying per channel. */
			double real = (30.0 + spex_rng_below(rng, 21)) /
				      acc_sd(per_out);

			b[o] = (s32)spex_rng_below(rng, 2001) - 1000;
			spex_quant_multiplier(real, &mult[o], &shift[o]);
		}
		l->weights = w;
		l->weights_bytes = n_w;
		l->bias = b;
		l->mult = mult;
		l->shift = shift;
		l->out_scale = 0.05f;
		l->out_zp = (s32)spex_rng_below(rng, 21) - 10;
	} else {
		float *w = own(m, n_w * 4);
		float *b = own(m, (size_t)l->out_c * 4);
		float sc = (float)(1.7 / sqrt((double)per_out));

		if (!w || !b)
			return -ENOMEM;
		for (i = 0; i < n_w; i++)
			w[i] = sc * ((float)spex_rng_below(rng, 2001) / 1000.0f - 1.0f);
		for (o = 0; o < l->out_c; o++)
			b[o] = (float)spex_rng_below(rng, 201) / 1000.0f - 0.1f;
		l->weights = w;
		l->weights_bytes = n_w * 4;
		l->bias = b;
	}
	return 0;
}

static int add_fc(struct mg_model *m, u32 *n, u32 fan_in, const struct mg_fc *f,
		  u32 relu, u32 dtype, struct spex_rng *rng)
{
	struct spex_wlayer *l = &m->layers[(*n)++];
	u32 d_in = f->d_in ? f->d_in : fan_in;

	memset(l, 0, sizeof(*l));
	l->type = SPX_LAYER_FC;
	l->flags = relu ? SPX_LF_RELU : 0;
	l->out_c = f->out;
	l->in_degree = d_in;
	if (f->d_in && f->d_in != fan_in) {
		bool cf = f->pattern >= SPX_PAT_CF1;

		l->pattern.type = f->pattern;
		l->pattern.z = cf ? f->z : 0;
		l->pattern.starts = cf ? f->starts : 0;
		l->pattern.dither = cf ? f->dither : 0;
		l->pattern.seed = spex_rng_u32(rng);
	} else {
		l->pattern.type = SPX_PAT_DENSE;
	}
	return fill_params(m, l, dtype, (u64)f->out * d_in, d_in, rng);
}

int mg_build(const struct mg_spec *s, struct mg_model *m)
{
	struct spex_wmodel *wm = &m->wm;
	struct spex_rng rng;
	u32 n = 0, e, i, fan_in, out_size[SPX_MAX_LAYERS];
	int ret;

	memset(m, 0, sizeof(*m));
	spex_rng_seed(&rng, s->seed, 7);
	snprintf(wm->name, sizeof(wm->name), "mg-%u", s->seed);
	for (i = 0; i < SPX_HASH_LEN; i++)
		wm->hash[i] = (u8)spex_rng_u32(&rng);
	wm->role = s->role;
	wm->dtype = s->dtype;
	wm->in_c = s->in_c;
	wm->in_h = s->in_h;
	wm->in_w = s->in_w;
	wm->n_classes = s->n_classes;
	wm->in_scale = 1.0f / 255;
	wm->in_zp = -128;
	wm->final_logit_scale = s->logit_scale;
	fan_in = s->in_c * s->in_h * s->in_w;

	if (s->conv_out_c) {
		struct spex_wlayer *l = &m->layers[n++];
		u32 pad = s->conv_k / 2;
		u32 period = s->conv_mask == SPX_MASK_PERIODIC ? s->conv_period : 0;
		u32 oh = (s->in_h + 2 * pad - s->conv_k) / s->conv_stride + 1;
		u32 ow = (s->in_w + 2 * pad - s->conv_k) / s->conv_stride + 1;
		/* the weights the layer stores: the kept taps (specs are valid) */
		u64 nw = spex_mask_count(s->conv_mask, period, s->conv_k,
					 s->conv_k, s->conv_out_c,
					 s->conv_cin_deg);

		l->type = SPX_LAYER_CONV2D;
		l->flags = SPX_LF_RELU;
		l->out_c = s->conv_out_c;
		l->kh = l->kw = s->conv_k;
		l->stride = s->conv_stride;
		l->pad = pad;
		l->in_degree = s->conv_cin_deg;
		l->mask_type = s->conv_mask;
		l->mask_period = period;
		l->pattern.type = s->conv_cin_deg == s->in_c ? SPX_PAT_DENSE :
				  s->conv_pattern;
		l->pattern.seed = spex_rng_u32(&rng);
		ret = fill_params(m, l, s->dtype, nw,
				  (u32)(nw / s->conv_out_c), &rng);
		if (ret)
			goto err;
		out_size[n - 1] = s->conv_out_c * oh * ow;
		l = &m->layers[n++];
		l->type = s->avgpool ? SPX_LAYER_AVGPOOL : SPX_LAYER_MAXPOOL;
		l->kh = l->kw = 2;
		l->stride = 2;
		oh /= 2;
		ow /= 2;
		out_size[n - 1] = s->conv_out_c * oh * ow;
		l = &m->layers[n++];
		l->type = SPX_LAYER_FLATTEN;
		fan_in = s->conv_out_c * oh * ow;
		out_size[n - 1] = fan_in;
	}
	for (i = 0; i < s->n_fc; i++) {
		bool last = i + 1 == s->n_fc;
		u32 relu = !(last && s->role != SPX_ROLE_HEAD);

		if (i == 0 && s->explicit_relu && !last)
			relu = 0;
		ret = add_fc(m, &n, fan_in, &s->fc[i], relu, s->dtype, &rng);
		if (ret)
			goto err;
		fan_in = s->fc[i].out;
		out_size[n - 1] = fan_in;
		if (i == 0 && s->explicit_relu && !last) {
			m->layers[n].type = SPX_LAYER_RELU;
			out_size[n] = fan_in;
			n++;
		}
	}
	wm->n_main = n;

	for (e = 0; e < s->n_exits; e++) {
		struct spex_wexit *x = &m->exits[e];
		u32 after = s->exit_after[e];
		u32 in = after < n ? out_size[after] : 1;
		struct mg_fc head = { .out = s->n_classes };

		x->after_layer = after;
		x->first_layer = n;
		x->policy = s->policy[e];
		x->threshold_q16 = s->threshold_q16[e];
		x->logit_scale = s->logit_scale;
		if (s->exit_hidden[e]) {
			struct mg_fc hid = {
				.out = s->exit_hidden[e], .d_in = in / 4 ? in / 4 : 1,
				.pattern = SPX_PAT_RANDOM,
			};

			/* the degree identity needs out * d_in % in == 0 */
			while ((u64)hid.out * hid.d_in % in)
				hid.d_in++;
			ret = add_fc(m, &n, in, &hid, 1, s->dtype, &rng);
			if (ret)
				goto err;
			in = hid.out;
		}
		ret = add_fc(m, &n, in, &head, 0, s->dtype, &rng);
		if (ret)
			goto err;
		x->n_layers = n - x->first_layer;
	}
	wm->layers = m->layers;
	wm->n_layers = n;
	wm->exits = m->exits;
	wm->n_exits = s->n_exits;
	ret = spex_spx_write(wm, &m->blob, &m->len);
	if (ret)
		goto err;
	return 0;
err:
	mg_free(m);
	return ret;
}

void mg_free(struct mg_model *m)
{
	u32 i;

	for (i = 0; i < m->n_owned; i++)
		free(m->owned[i]);
	m->n_owned = 0;
	free(m->blob);
	m->blob = NULL;
}

void mg_input(const struct spex_wmodel *wm, u32 seed, void *buf)
{
	u32 n = wm->in_c * wm->in_h * wm->in_w, i;
	struct spex_rng rng;

	spex_rng_seed(&rng, seed, 11);
	for (i = 0; i < n; i++) {
		u32 r = spex_rng_u32(&rng);

		if (wm->dtype == SPX_DTYPE_INT8)
			((s8 *)buf)[i] = (s8)r;
		else
			((float *)buf)[i] = (float)(r % 2001) / 1000.0f - 1.0f;
	}
}

void mg_spec_mnist_head(struct mg_spec *s, u32 seed)
{
	memset(s, 0, sizeof(*s));
	s->dtype = SPX_DTYPE_INT8;
	s->role = SPX_ROLE_HEAD;
	s->in_c = 1;
	s->in_h = 28;
	s->in_w = 28;
	s->n_classes = 10;
	s->n_fc = 2;
	s->fc[0] = (struct mg_fc){ .out = 112, .d_in = 112, .pattern = SPX_PAT_CF3,
				   .z = 8, .starts = SPX_STARTS_SEED };
	s->fc[1] = (struct mg_fc){ .out = 56, .d_in = 28, .pattern = SPX_PAT_RANDOM };
	s->n_exits = 2;
	s->exit_after[0] = 0;
	s->exit_after[1] = 1;
	s->policy[0] = SPX_POLICY_MAX_SOFTMAX;
	s->policy[1] = SPX_POLICY_ENTROPY;
	s->threshold_q16[0] = 52429;	/* 0.8 */
	s->threshold_q16[1] = 32768;	/* 0.5 */
	s->logit_scale = 0.04f;
	s->seed = seed;
}

void mg_spec_tiny_head(struct mg_spec *s, u32 seed)
{
	memset(s, 0, sizeof(*s));
	s->dtype = SPX_DTYPE_INT8;
	s->role = SPX_ROLE_HEAD;
	s->in_c = 16;
	s->in_h = 1;
	s->in_w = 1;
	s->n_classes = 4;
	s->n_fc = 1;
	s->fc[0] = (struct mg_fc){ .out = 16, .d_in = 4, .pattern = SPX_PAT_CF2,
				   .z = 4, .starts = SPX_STARTS_SEED };
	s->n_exits = 1;
	s->exit_after[0] = 0;
	s->policy[0] = SPX_POLICY_MAX_SOFTMAX;
	s->threshold_q16[0] = 45875;	/* 0.7 */
	s->logit_scale = 0.05f;
	s->seed = seed;
}
