// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The batched float forward pass: FC, conv and max-pool over
 * [feature][batch] activations, touching only the edges that exist.
 */
#include "train.h"
#include "net_conv.h"

#include <math.h>

static void fc_forward(const struct st_layer *l, const float *x, float *y,
		       u32 B)
{
	u32 r, m, b;

	for (r = 0; r < l->n_out; r++) {
		float *yr = y + (size_t)r * B;
		const u32 *left = l->left + (size_t)r * l->d_in;
		const float *wr = l->w + (size_t)r * l->d_in;

		for (b = 0; b < B; b++)
			yr[b] = l->b[r];
		for (m = 0; m < l->d_in; m++) {
			const float *xr = x + (size_t)left[m] * B;
			float wv = wr[m];

			for (b = 0; b < B; b++)
				yr[b] += wv * xr[b];
		}
		if (l->relu)
			for (b = 0; b < B; b++)
				yr[b] = yr[b] > 0 ? yr[b] : 0;
	}
}

static void conv_forward(const struct st_layer *l, const float *x, float *y,
			 u32 B)
{
	u32 o, s, t, oy, i;
	size_t plane = (size_t)l->out_h * l->out_w * B;

	for (o = 0; o < l->out_c; o++) {
		float *yo = y + o * plane;

		for (i = 0; i < plane; i++)
			yo[i] = l->b[o];
		for (s = 0; s < l->d_in; s++) {
			u32 ci = l->left[o * l->d_in + s];
			u32 t0 = l->tap_start[o * l->d_in + s];
			u32 t1 = l->tap_start[o * l->d_in + s + 1];

			for (t = t0; t < t1; t++) {
				u32 ky = l->taps[t] / l->k, kx = l->taps[t] % l->k;
				u32 x0, x1;
				float wv = l->w[t];

				conv_cols(l, kx, &x0, &x1);
				for (oy = 0; oy < l->out_h; oy++) {
					s32 iy = (s32)(oy + ky) - (s32)l->pad;
					const float *xr;
					float *yr;
					size_t n = (size_t)(x1 - x0) * B;

					if (iy < 0 || iy >= (s32)l->in_h)
						continue;
					xr = x + (((size_t)ci * l->in_h + iy) * l->in_w +
						  x0 + kx - l->pad) * B;
					yr = yo + ((size_t)oy * l->out_w + x0) * B;
					for (i = 0; i < n; i++)
						yr[i] += wv * xr[i];
				}
			}
		}
		if (l->relu)
			for (i = 0; i < plane; i++)
				yo[i] = yo[i] > 0 ? yo[i] : 0;
	}
}

static void pool_forward(const struct st_layer *l, const float *x, float *y,
			 u32 *arg, u32 B)
{
	u32 c, oy, ox, b, i, j;

	for (c = 0; c < l->out_c; c++)
		for (oy = 0; oy < l->out_h; oy++)
			for (ox = 0; ox < l->out_w; ox++) {
				size_t oi = (((size_t)c * l->out_h + oy) * l->out_w + ox) * B;

				for (b = 0; b < B; b++) {
					float best = -INFINITY;
					u32 bi = 0;

					for (i = 0; i < l->pool; i++)
						for (j = 0; j < l->pool; j++) {
							size_t iy = oy * l->pool + i;
							size_t ix = ox * l->pool + j;
							size_t ii = ((c * l->in_h + iy) *
								     l->in_w + ix) * B + b;

							if (x[ii] > best) {
								best = x[ii];
								bi = (u32)ii;
							}
						}
					y[oi + b] = best;
					arg[oi + b] = bi;
				}
			}
}

static void load_batch(struct st_net *net, const struct st_data *d,
		       const u32 *idx, u32 B)
{
	float *x = net->act[0];
	u32 i, b;

	memset(x, 0, (size_t)net->n_in * B * 4);	/* the zero padding */
	for (b = 0; b < B; b++) {
		const u8 *px = d->x + (size_t)idx[b] * d->dim;

		for (i = 0; i < d->dim; i++)
			x[(size_t)i * B + b] = px[i] * (1.0f / 255);
	}
}

void st_forward(struct st_net *net, const struct st_data *d, const u32 *idx,
		u32 bsz)
{
	u32 i;

	load_batch(net, d, idx, bsz);
	for (i = 0; i < net->n_layers; i++) {
		const struct st_layer *l = &net->layers[i];
		const float *x = net->act[l->src];
		float *y = net->act[i + 1];

		switch (l->kind) {
		case ST_FC:
			fc_forward(l, x, y, bsz);
			break;
		case ST_CONV:
			conv_forward(l, x, y, bsz);
			break;
		case ST_MAXPOOL:
			pool_forward(l, x, y, net->argmax[i], bsz);
			break;
		}
	}
}

const float *st_logits(const struct st_net *net, u32 o)
{
	if (o < net->n_exits) {
		const struct st_exit *x = &net->exits[o];

		return net->act[x->first + x->n_layers];
	}
	return net->act[net->n_main];
}
