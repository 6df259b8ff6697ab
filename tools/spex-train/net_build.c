// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Building the float network from a spec: patterns, parameters and the
 * activation buffers; st_net_counts() sizes what was built.
 *
 * Activations are feature-major, [feature][batch]: every edge of a sparse
 * layer is one multiply-add across the whole batch, so the inner loops are
 * contiguous and vectorize, and the work is exactly edges x batch. Nothing
 * is ever computed for an edge the pattern does not have (except in the
 * masked-dense benchmark mode, which exists to show what that costs).
 */
#include "train.h"
#include "../common/fail.h"
#include <spex/engine.h>

#include <math.h>

/* The in-degree a layer spec asks for on fan-in p and n outputs. */
static int pick_d_in(const struct st_layer_spec *ls, u32 p, u32 n, u32 *d_in,
		     const char *what, char *err, size_t errlen)
{
	if (ls->d_in) {
		*d_in = ls->d_in;
	} else if (ls->d_out) {
		if ((u64)p * ls->d_out % n)
			return fail(err, errlen, -1,
				    "%s: out-degree %u gives in-degree %u*%u/%u, "
				    "not a whole number", what, ls->d_out, p,
				    ls->d_out, n);
		*d_in = (u32)((u64)p * ls->d_out / n);
	} else if (ls->density > 0) {
		/* The nearest in-degree that keeps the degree identity
		 * p | n * d_in: a multiple of p / gcd(p, n). */
		u64 step = p / spex_gcd(p, n);
		u64 d = (u64)llround(ls->density * p / step) * step;

		if (d < step)
			d = step;
		if (d > p)
			d = p;
		*d_in = (u32)d;
	} else {
		*d_in = p;
	}
	if (!*d_in || *d_in > p)
		return fail(err, errlen, -1, "%s: in-degree %u is not in 1..%u",
			    what, *d_in, p);
	if ((u64)n * *d_in % p)
		return fail(err, errlen, -1,
			    "%s: in-degree %u breaks the degree identity: "
			    "%u inputs x out-degree = %u outputs x %u needs "
			    "%u to divide %llu", what, *d_in, p, n, *d_in, p,
			    (unsigned long long)n * *d_in);
	return 0;
}

static float urand(struct spex_rng *rng)
{
	return (float)(spex_rng_u32(rng) >> 8) * (1.0f / 16777216.0f);
}

static void *zalloc(size_t n)
{
	return calloc(1, n ? n : 1);
}

/* Edges of an FC or conv junction, from the engine's own generator. */
static int make_edges(struct st_layer *l, const char *what, char *err,
		      size_t errlen)
{
	struct spex_pattern_desc pd = {
		.type = l->pat.type, .starts = l->pat.starts,
		.dither = l->pat.dither, .z = l->pat.z, .seed = l->pat.seed,
	};
	u32 n = l->out_c;	/* FC outputs or conv output channels */
	void *work;
	int st;

	st = spex_pattern_check(&pd, l->p, n, l->d_in);
	if (st)
		return fail(err, errlen, -1, "%s: pattern rejected: %s (%s)", what,
			    spex_status_str(st), spex_status_name(st));
	l->left = zalloc((size_t)n * l->d_in * 4);
	work = zalloc(spex_pattern_work_size(&pd, l->p, n, l->d_in));
	if (!l->left || !work) {
		free(work);
		return fail(err, errlen, -1, "%s: out of memory", what);
	}
	st = spex_pattern_fill(&pd, l->p, n, l->d_in, l->left, work);
	free(work);
	if (st)
		return fail(err, errlen, -1, "%s: pattern rejected: %s (%s)", what,
			    spex_status_str(st), spex_status_name(st));
	return 0;
}

static int alloc_params(struct st_layer *l, struct spex_rng *rng,
			u32 fan_in_eff)
{
	float lim = sqrtf(6.0f / (float)fan_in_eff);
	u32 i;

	l->w = zalloc((size_t)l->n_w * 4);
	l->gw = zalloc((size_t)l->n_w * 4);
	l->mw = zalloc((size_t)l->n_w * 4);
	l->vw = zalloc((size_t)l->n_w * 4);
	l->b = zalloc((size_t)l->out_c * 4);
	l->gb = zalloc((size_t)l->out_c * 4);
	l->mb = zalloc((size_t)l->out_c * 4);
	l->vb = zalloc((size_t)l->out_c * 4);
	if (!l->w || !l->gw || !l->mw || !l->vw || !l->b || !l->gb ||
	    !l->mb || !l->vb)
		return -1;
	for (i = 0; i < l->n_w; i++)
		l->w[i] = (2 * urand(rng) - 1) * lim;
	if (!l->relu)	/* logits: start small, softmax near uniform */
		for (i = 0; i < l->n_w; i++)
			l->w[i] *= 0.5f;
	return 0;
}

/* Set up the pattern fields of a layer from its spec. */
static void set_pattern(struct st_layer *l, const struct st_layer_spec *ls,
			u32 seed)
{
	if (l->d_in == l->p || ls->pattern == SPX_PAT_DENSE) {
		l->pat.type = SPX_PAT_DENSE;
		return;
	}
	l->pat.type = ls->pattern;
	l->pat.seed = ls->seed ? ls->seed : seed;
	if (ls->pattern >= SPX_PAT_CF1) {
		l->pat.z = ls->z;
		l->pat.starts = ls->starts;
		l->pat.dither = ls->dither;
	}
}

/* Switch an FC layer to masked-dense: dense weights, a 0/1 mask from its
 * sparse edges (the way the papers' reference code trains). */
static int to_masked_dense(struct st_layer *l)
{
	u32 r, m;

	l->mask = zalloc((size_t)l->n_out * l->n_in);
	if (!l->mask)
		return -1;
	for (r = 0; r < l->n_out; r++)
		for (m = 0; m < l->d_in; m++)
			l->mask[(size_t)r * l->n_in + l->left[r * l->d_in + m]] = 1;
	free(l->left);
	l->d_in = l->n_in;
	l->left = zalloc((size_t)l->n_out * l->n_in * 4);
	if (!l->left)
		return -1;
	for (r = 0; r < l->n_out; r++)
		for (m = 0; m < l->n_in; m++)
			l->left[(size_t)r * l->n_in + m] = m;
	l->n_w = l->n_out * l->n_in;
	return 0;
}

static int build_layer(struct st_net *net, struct st_layer *l,
		       const struct st_layer_spec *ls, u32 c, u32 h, u32 w,
		       u32 relu, struct spex_rng *rng, const char *what,
		       char *err, size_t errlen)
{
	u32 i, o, s;

	l->kind = ls->kind;
	l->relu = relu;
	l->in_c = c;
	l->in_h = h;
	l->in_w = w;
	l->n_in = c * h * w;
	switch (ls->kind) {
	case ST_FC:
		if (!ls->out || ls->out > SPX_MAX_DIM)
			return fail(err, errlen, -1, "%s: %u outputs (1..%u)", what,
				    ls->out, SPX_MAX_DIM);
		l->out_c = ls->out;
		l->out_h = l->out_w = 1;
		l->p = l->n_in;
		if (pick_d_in(ls, l->p, ls->out, &l->d_in, what, err, errlen))
			return -1;
		set_pattern(l, ls, spex_rng_u32(rng));
		if (make_edges(l, what, err, errlen))
			return -1;
		l->n_w = l->out_c * l->d_in;
		l->n_out = l->out_c;
		i = l->d_in;	/* the fan-in the initialization sees */
		if (net->spec.masked_dense && l->d_in < l->p &&
		    to_masked_dense(l))
			return fail(err, errlen, -1, "%s: out of memory", what);
		if (alloc_params(l, rng, i))
			return fail(err, errlen, -1, "%s: out of memory", what);
		if (l->mask)
			for (i = 0; i < l->n_w; i++)
				l->w[i] *= l->mask[i];
		return 0;
	case ST_CONV: {
		u8 taps[SPX_MAX_KERNEL * SPX_MAX_KERNEL];
		int st;

		if (!ls->out || ls->out > 4096)
			return fail(err, errlen, -1, "%s: %u channels (1..4096)",
				    what, ls->out);
		if (!ls->k || ls->k > SPX_MAX_KERNEL || ls->pad >= ls->k ||
		    h + 2 * ls->pad < ls->k || w + 2 * ls->pad < ls->k)
			return fail(err, errlen, -1,
				    "%s: kernel %u, pad %u do not fit a %ux%u "
				    "input (kernel 1..%u, pad < kernel)", what,
				    ls->k, ls->pad, h, w, SPX_MAX_KERNEL);
		st = spex_mask_check(ls->mask_type, ls->mask_period, ls->k,
				     ls->k);
		if (st)
			return fail(err, errlen, -1, "%s: kernel mask rejected: %s",
				    what, spex_status_str(st));
		l->out_c = ls->out;
		l->k = ls->k;
		l->pad = ls->pad;
		l->mask_type = ls->mask_type;
		l->mask_period = ls->mask_period;
		l->out_h = h + 2 * ls->pad - ls->k + 1;
		l->out_w = w + 2 * ls->pad - ls->k + 1;
		l->p = c;
		if (pick_d_in(ls, c, ls->out, &l->d_in, what, err, errlen))
			return -1;
		set_pattern(l, ls, spex_rng_u32(rng));
		if (make_edges(l, what, err, errlen))
			return -1;
		l->tap_start = zalloc(((size_t)l->out_c * l->d_in + 1) * 4);
		l->taps = zalloc((size_t)l->out_c * l->d_in * l->k * l->k);
		if (!l->tap_start || !l->taps)
			return fail(err, errlen, -1, "%s: out of memory", what);
		l->n_w = 0;
		for (o = 0; o < l->out_c; o++)
			for (s = 0; s < l->d_in; s++) {
				u32 nt = spex_mask_elems(l->mask_type,
							 l->mask_period, l->k,
							 l->k, o, s, taps);

				l->tap_start[o * l->d_in + s] = l->n_w;
				memcpy(l->taps + l->n_w, taps, nt);
				l->n_w += nt;
			}
		l->tap_start[l->out_c * l->d_in] = l->n_w;
		l->n_out = l->out_c * l->out_h * l->out_w;
		if (alloc_params(l, rng, l->n_w / l->out_c))
			return fail(err, errlen, -1, "%s: out of memory", what);
		return 0;
	}
	case ST_MAXPOOL:
		if (ls->pool < 2 || ls->pool > SPX_MAX_KERNEL || h < ls->pool ||
		    w < ls->pool)
			return fail(err, errlen, -1,
				    "%s: pool %u does not fit a %ux%u input", what,
				    ls->pool, h, w);
		l->pool = ls->pool;
		l->out_c = c;
		l->out_h = (h - ls->pool) / ls->pool + 1;
		l->out_w = (w - ls->pool) / ls->pool + 1;
		l->n_out = l->out_c * l->out_h * l->out_w;
		return 0;
	}
	return fail(err, errlen, -1, "%s: unknown layer kind", what);
}

int st_net_build(struct st_net *net, const struct st_spec *s, char *err,
		 size_t errlen)
{
	struct spex_rng rng;
	u32 c, h, w, i, e, n;
	char what[48];

	memset(net, 0, sizeof(*net));
	net->spec = *s;
	spex_rng_seed(&rng, s->seed, 0x7e57);
	if (!s->n_layers)
		return fail(err, errlen, -1, "the network has no layers");
	if (!s->in_c || !s->in_h || !s->in_w)
		return fail(err, errlen, -1, "the input shape is not set");
	if (s->n_classes < 2 || s->n_classes > SPX_MAX_CLASSES)
		return fail(err, errlen, -1, "%u classes (2..%u)", s->n_classes,
			    SPX_MAX_CLASSES);
	c = s->in_c;
	h = s->in_h;
	w = s->in_w;
	if (s->pad_to) {
		if (s->pad_to < c * h * w)
			return fail(err, errlen, -1,
				    "pad %u is smaller than the input (%u)",
				    s->pad_to, c * h * w);
		if (s->layers[0].kind != ST_FC)
			return fail(err, errlen, -1,
				    "input padding needs an FC first layer");
		c = 1;
		h = 1;
		w = s->pad_to;
	}
	net->in_c = c;
	net->in_h = h;
	net->in_w = w;
	net->n_in = c * h * w;
	net->in_scale = 1.0f / 255;
	net->in_zp = -128;
	if (s->split >= s->n_layers)
		return fail(err, errlen, -1,
			    "split after layer %u leaves no tail (%u layers)",
			    s->split, s->n_layers);
	if (s->n_exits && !s->split)
		return fail(err, errlen, -1, "exits need a split (they run on the head)");

	for (i = 0; i < s->n_layers; i++) {
		struct st_layer *l = &net->layers[i];
		bool last = i + 1 == s->n_layers;

		snprintf(what, sizeof(what), "layer %u", i);
		if (last && s->layers[i].kind != ST_FC)
			return fail(err, errlen, -1, "%s: the last layer must be fc",
				    what);
		if (last && s->layers[i].out != s->n_classes)
			return fail(err, errlen, -1,
				    "%s: the last layer has %u outputs, the "
				    "dataset %u classes", what, s->layers[i].out,
				    s->n_classes);
		if (build_layer(net, l, &s->layers[i], c, h, w, !last, &rng,
				what, err, errlen))
			return -1;
		l->src = i;
		c = l->out_c;
		h = l->out_h;
		w = l->out_w;
	}
	if (s->split && net->layers[s->split - 1].kind == ST_MAXPOOL)
		return fail(err, errlen, -1,
			    "the split layer must be fc or conv (its output "
			    "is the quantized bottleneck)");
	net->n_main = s->n_layers;
	n = s->n_layers;
	for (e = 0; e < s->n_exits; e++) {
		const struct st_exit_spec *xs = &s->exits[e];
		struct st_exit *x = &net->exits[e];
		struct st_layer *a;

		if (xs->after >= s->split)
			return fail(err, errlen, -1,
				    "exit %u: after layer %u is not on the head "
				    "(layers 0..%u)", e, xs->after, s->split - 1);
		if (e && xs->after < s->exits[e - 1].after)
			return fail(err, errlen, -1,
				    "exit %u: exits must be in layer order", e);
		a = &net->layers[xs->after];
		x->after = xs->after;
		x->first = n;
		x->weight = xs->weight;
		x->threshold = xs->threshold;
		c = a->out_c;
		h = a->out_h;
		w = a->out_w;
		if (xs->hidden) {
			struct st_layer_spec hs = {
				.kind = ST_FC, .out = xs->hidden,
				.density = xs->hidden_density,
				.pattern = xs->hidden_density > 0 &&
					   xs->hidden_density < 1 ?
					   SPX_PAT_RANDOM : SPX_PAT_DENSE,
			};

			snprintf(what, sizeof(what), "exit %u hidden", e);
			if (n >= ST_MAX_LAYERS ||
			    build_layer(net, &net->layers[n], &hs, c, h, w, 1,
					&rng, what, err, errlen))
				return n >= ST_MAX_LAYERS ?
				       fail(err, errlen, -1, "too many layers") : -1;
			net->layers[n].src = x->after + 1;
			net->layers[n].branch = e + 1;
			c = xs->hidden;
			h = w = 1;
			n++;
		}
		{
			struct st_layer_spec os = {
				.kind = ST_FC, .out = s->n_classes,
				.pattern = SPX_PAT_DENSE,
			};

			snprintf(what, sizeof(what), "exit %u", e);
			if (n >= ST_MAX_LAYERS ||
			    build_layer(net, &net->layers[n], &os, c, h, w, 0,
					&rng, what, err, errlen))
				return n >= ST_MAX_LAYERS ?
				       fail(err, errlen, -1, "too many layers") : -1;
			net->layers[n].src = n == x->first ? x->after + 1 : n;
			net->layers[n].branch = e + 1;
			n++;
		}
		x->n_layers = n - x->first;
	}
	net->n_exits = s->n_exits;
	net->n_layers = n;

	/* Work buffers for the largest batch. */
	net->act[0] = zalloc((size_t)net->n_in * ST_MAX_BATCH * 4);
	if (!net->act[0])
		return fail(err, errlen, -1, "out of memory");
	for (i = 0; i < n; i++) {
		struct st_layer *l = &net->layers[i];

		net->act[i + 1] = zalloc((size_t)l->n_out * ST_MAX_BATCH * 4);
		net->dact[i + 1] = zalloc((size_t)l->n_out * ST_MAX_BATCH * 4);
		if (!net->act[i + 1] || !net->dact[i + 1])
			return fail(err, errlen, -1, "out of memory");
		if (l->kind == ST_MAXPOOL) {
			net->argmax[i] = zalloc((size_t)l->n_out * ST_MAX_BATCH * 4);
			if (!net->argmax[i])
				return fail(err, errlen, -1, "out of memory");
		}
	}
	return 0;
}

void st_net_free(struct st_net *net)
{
	u32 i;

	for (i = 0; i < ST_MAX_LAYERS; i++) {
		struct st_layer *l = &net->layers[i];

		free(l->left);
		free(l->tap_start);
		free(l->taps);
		free(l->w);
		free(l->b);
		free(l->gw);
		free(l->gb);
		free(l->mw);
		free(l->vw);
		free(l->mb);
		free(l->vb);
		free(l->mask);
		free(l->wq);
		free(l->bq);
		free(l->mult);
		free(l->shift);
		free(net->argmax[i]);
	}
	for (i = 0; i <= ST_MAX_LAYERS; i++) {
		free(net->act[i]);
		free(net->dact[i]);
	}
	memset(net, 0, sizeof(*net));
}

void st_net_counts(const struct st_net *net, struct st_counts *c)
{
	u32 i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < net->n_layers; i++) {
		const struct st_layer *l = &net->layers[i];
		u64 w, dw, macs, dmacs, plane = (u64)l->out_h * l->out_w;
		bool head = i < net->spec.split || l->branch;

		if (l->kind == ST_MAXPOOL)
			continue;
		if (l->kind == ST_FC) {
			w = l->mask ? (u64)l->out_c * (l->n_w / l->out_c) : l->n_w;
			if (l->mask) {
				u64 k;

				for (w = 0, k = 0; k < l->n_w; k++)
					w += l->mask[k];
			}
			dw = (u64)l->n_out * l->n_in;
			macs = w;
			dmacs = dw;
		} else {
			w = l->n_w;
			dw = (u64)l->out_c * l->in_c * l->k * l->k;
			macs = w * plane;	/* padding taps count, as in the engine */
			dmacs = dw * plane;
		}
		c->weights += w;
		c->dense_weights += dw;
		if (l->branch)
			c->exit_macs += macs;
		else if (head)
			c->head_macs += macs;
		else
			c->tail_macs += macs;
		if (!l->branch) {
			if (head)
				c->dense_head_macs += dmacs;
			else
				c->dense_tail_macs += dmacs;
		}
		/* forward, weight gradient, input gradient (not for layer 0) */
		c->train_macs += macs * (i == 0 ? 2 : 3);
		c->dense_train_macs += dmacs * (i == 0 ? 2 : 3);
	}
	if (net->spec.split)
		c->bottleneck = net->layers[net->spec.split - 1].n_out;
}
