// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The naive reference network; see refnet.h.
 */
#include "refnet.h"
#include <spex/engine.h>
#include <math.h>

struct tensor {
	u32 c, h, w;
	s32 zp;
	double *v;		/* int8 values as integers, or f32 values */
};

static u32 tsize(const struct tensor *t)
{
	return t->c * t->h * t->w;
}

static s32 ref_requant(s64 acc, s32 mult, s32 shift)
{
	/* round(acc * mult / 2^shift), ties toward +inf */
	s64 num = acc * mult;
	s64 q = num >> shift;		/* floor */
	s64 rem = num - q * ((s64)1 << shift);

	if (rem * 2 >= ((s64)1 << shift))
		q++;
	return (s32)q;
}

static s32 clamp8(s32 v, s32 lo)
{
	return v < lo ? lo : v > 127 ? 127 : v;
}

static u32 *edges(const struct spex_wlayer *l, u32 p, u32 n)
{
	struct spex_pattern_desc pd = {
		.type = l->pattern.type, .starts = l->pattern.starts,
		.dither = l->pattern.dither, .z = l->pattern.z,
		.seed = l->pattern.seed,
	};
	u32 *left = calloc((size_t)n * l->in_degree, 4);
	u8 *starts = NULL;
	void *work;
	u32 i;

	if (l->pattern.starts == SPX_STARTS_EXPLICIT) {
		starts = calloc(l->pattern.n_starts + 1, 4);
		for (i = 0; i < l->pattern.n_starts; i++)
			spex_put_le32(starts + 4 * i, l->pattern.starts_arr[i]);
		pd.starts_le = starts;
		pd.n_starts = l->pattern.n_starts;
	}
	work = calloc(1, spex_pattern_work_size(&pd, p, n, l->in_degree) + 1);
	if (spex_pattern_check(&pd, p, n, l->in_degree) ||
	    spex_pattern_fill(&pd, p, n, l->in_degree, left, work)) {
		free(left);
		left = NULL;
	}
	free(work);
	free(starts);
	return left;
}

static double wval(const struct spex_wlayer *l, u32 dtype, u64 i)
{
	return dtype == SPX_DTYPE_INT8 ? ((const s8 *)l->weights)[i] :
					 ((const float *)l->weights)[i];
}

static double output(const struct spex_wlayer *l, u32 dtype, u32 o, double acc)
{
	if (dtype == SPX_DTYPE_INT8) {
		s64 a = (s64)acc + ((const s32 *)l->bias)[o];
		s32 v = l->out_zp + ref_requant((s32)a, l->mult[o], l->shift[o]);

		return clamp8(v, l->flags & SPX_LF_RELU ? l->out_zp : -128);
	}
	acc = (float)(acc + ((const float *)l->bias)[o]);
	if (l->flags & SPX_LF_RELU && acc < 0)
		acc = 0;
	return acc;
}

static int layer(const struct spex_wlayer *l, u32 dtype, const struct tensor *x,
		 struct tensor *y, u64 *macs)
{
	u32 in = tsize(x), o, m, oy, ox, c;
	bool q = dtype == SPX_DTYPE_INT8;

	y->zp = x->zp;
	switch (l->type) {
	case SPX_LAYER_FC: {
		u32 *left = edges(l, in, l->out_c);

		if (!left)
			return -1;
		y->c = l->out_c;
		y->h = y->w = 1;
		y->zp = q ? l->out_zp : 0;
		y->v = calloc(l->out_c, sizeof(double));
		for (o = 0; o < l->out_c; o++) {
			double acc = 0;

			for (m = 0; m < l->in_degree; m++) {
				u64 k = (u64)o * l->in_degree + m;

				acc += wval(l, dtype, k) * (x->v[left[k]] - x->zp);
			}
			y->v[o] = output(l, dtype, o, acc);
		}
		*macs += (u64)l->out_c * l->in_degree;
		free(left);
		return 0;
	}
	case SPX_LAYER_CONV2D: {
		u32 *cin = edges(l, x->c, l->out_c);
		u8 taps[SPX_MAX_KERNEL * SPX_MAX_KERNEL];
		u64 wi = 0;
		u32 s, t;

		if (!cin)
			return -1;
		y->c = l->out_c;
		y->h = (x->h + 2 * l->pad - l->kh) / l->stride + 1;
		y->w = (x->w + 2 * l->pad - l->kw) / l->stride + 1;
		y->zp = q ? l->out_zp : 0;
		y->v = calloc(tsize(y), sizeof(double));
		for (o = 0; o < l->out_c; o++) {
			u64 w0 = wi;

			for (oy = 0; oy < y->h; oy++)
				for (ox = 0; ox < y->w; ox++) {
					double acc = 0;

					wi = w0;
					for (s = 0; s < l->in_degree; s++) {
						u32 ci = cin[o * l->in_degree + s];
						u32 nt = spex_mask_elems(l->mask_type, l->mask_period,
									 l->kh, l->kw, o, s, taps);

						for (t = 0; t < nt; t++, wi++) {
							s32 iy = (s32)(oy * l->stride + taps[t] / l->kw) - (s32)l->pad;
							s32 ix = (s32)(ox * l->stride + taps[t] % l->kw) - (s32)l->pad;

							++*macs;	/* padding taps count too */
							if (iy < 0 || ix < 0 || iy >= (s32)x->h || ix >= (s32)x->w)
								continue;
							acc += wval(l, dtype, wi) *
							       (x->v[(ci * x->h + iy) * x->w + ix] - x->zp);
						}
					}
					y->v[(o * y->h + oy) * y->w + ox] = output(l, dtype, o, acc);
				}
		}
		free(cin);
		return 0;
	}
	case SPX_LAYER_MAXPOOL:
	case SPX_LAYER_AVGPOOL:
		y->c = x->c;
		y->h = (x->h - l->kh) / l->stride + 1;
		y->w = (x->w - l->kw) / l->stride + 1;
		y->v = calloc(tsize(y), sizeof(double));
		for (c = 0; c < x->c; c++)
			for (oy = 0; oy < y->h; oy++)
				for (ox = 0; ox < y->w; ox++) {
					double best = -INFINITY, sum = 0;
					u32 i, j;

					for (i = 0; i < l->kh; i++)
						for (j = 0; j < l->kw; j++) {
							double v = x->v[(c * x->h + oy * l->stride + i) *
									x->w + ox * l->stride + j];

							best = v > best ? v : best;
							sum += v;
						}
					if (l->type == SPX_LAYER_MAXPOOL) {
						y->v[(c * y->h + oy) * y->w + ox] = best;
					} else if (q) {
						/* round half away from zero */
						s64 k2 = l->kh * l->kw, si = (s64)sum;
						s64 r = si >= 0 ? (si + k2 / 2) / k2 :
								  -((-si + k2 / 2) / k2);

						y->v[(c * y->h + oy) * y->w + ox] = (double)r;
					} else {
						y->v[(c * y->h + oy) * y->w + ox] =
							(float)(sum / (l->kh * l->kw));
					}
				}
		return 0;
	case SPX_LAYER_RELU:
		*y = *x;
		y->v = calloc(in, sizeof(double));
		for (m = 0; m < in; m++)
			y->v[m] = x->v[m] < (q ? x->zp : 0) ? (q ? x->zp : 0) : x->v[m];
		return 0;
	case SPX_LAYER_FLATTEN:
		*y = *x;
		y->c = in;
		y->h = y->w = 1;
		y->v = calloc(in, sizeof(double));
		memcpy(y->v, x->v, in * sizeof(double));
		return 0;
	}
	return -1;
}

static void store(const struct tensor *t, u32 dtype, void *out)
{
	u32 i;

	for (i = 0; i < tsize(t); i++) {
		if (dtype == SPX_DTYPE_INT8)
			((s8 *)out)[i] = (s8)t->v[i];
		else
			((float *)out)[i] = (float)t->v[i];
	}
}

static void conf(const struct spex_wmodel *wm, const struct tensor *t,
		 u32 policy, float scale, struct spex_conf *c)
{
	u32 n = tsize(t);

	if (wm->dtype == SPX_DTYPE_INT8) {
		s8 q[SPX_MAX_CLASSES];
		u32 lut[SPX_EXP_LUT_LEN];

		store(t, wm->dtype, q);
		spex_exp_lut(scale, lut);
		spex_policy_i8(q, n, policy, lut,
			       (u32)lround((double)scale * 65536.0), c);
	} else {
		float f[SPX_MAX_CLASSES];

		store(t, wm->dtype, f);
		spex_policy_f32(f, n, policy, c);
	}
}

int ref_run(const struct spex_wmodel *wm, const struct spex_policy *pol,
	    const void *input, void *out, struct spex_result *res)
{
	struct tensor act[SPX_MAX_LAYERS + 1];
	u32 i, e = 0, k, n_in = wm->in_c * wm->in_h * wm->in_w;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	memset(act, 0, sizeof(act));
	res->exit_index = SPEX_NO_EXIT;
	act[0].c = wm->in_c;
	act[0].h = wm->in_h;
	act[0].w = wm->in_w;
	act[0].zp = wm->dtype == SPX_DTYPE_INT8 ? wm->in_zp : 0;
	act[0].v = calloc(n_in, sizeof(double));
	for (i = 0; i < n_in; i++)
		act[0].v[i] = wm->dtype == SPX_DTYPE_INT8 ?
			      ((const s8 *)input)[i] : ((const float *)input)[i];

	for (i = 0; i < wm->n_main; i++) {
		if (layer(&wm->layers[i], wm->dtype, &act[i], &act[i + 1], &res->macs))
			goto out;
		res->layers_run++;
		for (; e < wm->n_exits && wm->exits[e].after_layer == i; e++) {
			const struct spex_wexit *x = &wm->exits[e];
			struct tensor b = act[i + 1], nb;
			struct spex_conf c;
			u32 thr = pol && pol->n_thresholds ? pol->threshold_q16[e] :
				  x->threshold_q16;

			b.v = NULL;
			for (k = 0; k < x->n_layers; k++) {
				const struct tensor *src = k ? &b : &act[i + 1];

				if (layer(&wm->layers[x->first_layer + k], wm->dtype,
					  src, &nb, &res->macs))
					goto out;
				free(b.v);
				b = nb;
				res->layers_run++;
			}
			conf(wm, &b, x->policy, x->logit_scale, &c);
			free(b.v);
			res->exit_index = e;
			res->class_id = c.class_id;
			res->confidence_q16 = c.confidence_q16;
			if ((!pol || pol->mode != SPEX_MODE_FORCE_OFFLOAD) &&
			    c.confidence_q16 >= thr) {
				res->decision = SPEX_DECISION_EXIT;
				ret = 0;
				goto out;
			}
		}
		if (pol && pol->mode == SPEX_MODE_FORCE_LOCAL &&
		    wm->role == SPX_ROLE_HEAD && e == wm->n_exits) {
			res->decision = SPEX_DECISION_EXIT;
			res->flags = SPEX_RF_FORCED | SPEX_RF_LOW_CONF;
			ret = 0;
			goto out;
		}
	}
	if (wm->role == SPX_ROLE_HEAD) {
		res->decision = SPEX_DECISION_OFFLOAD;
		if (pol && pol->mode == SPEX_MODE_FORCE_OFFLOAD)
			res->flags = SPEX_RF_FORCED;
		res->bottleneck_len = tsize(&act[i]) *
				      (wm->dtype == SPX_DTYPE_INT8 ? 1 : 4);
	} else {
		struct spex_conf c;

		conf(wm, &act[i], SPX_POLICY_MAX_SOFTMAX, wm->final_logit_scale, &c);
		res->decision = SPEX_DECISION_FINAL;
		res->exit_index = SPEX_NO_EXIT;
		res->class_id = c.class_id;
		res->confidence_q16 = c.confidence_q16;
	}
	if (out)
		store(&act[i], wm->dtype, out);
	ret = 0;
out:
	for (i = 0; i <= wm->n_main; i++)
		free(act[i].v);
	return ret;
}
