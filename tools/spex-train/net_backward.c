// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The joint loss (softmax cross-entropy over every exit and the final
 * output) and the batched float backward pass that accumulates gradients.
 */
#include "train.h"
#include "net_conv.h"
#include "softmax.h"

#include <math.h>

static void fc_backward(struct st_layer *l, const float *x, const float *dy,
			float *dx, u32 B)
{
	u32 r, m, b;

	for (r = 0; r < l->n_out; r++) {
		const float *dyr = dy + (size_t)r * B;
		const u32 *left = l->left + (size_t)r * l->d_in;
		const float *wr = l->w + (size_t)r * l->d_in;
		float *gwr = l->gw + (size_t)r * l->d_in;
		float gb = 0;

		for (b = 0; b < B; b++)
			gb += dyr[b];
		l->gb[r] += gb;
		for (m = 0; m < l->d_in; m++) {
			const float *xr = x + (size_t)left[m] * B;
			float g = 0;

			for (b = 0; b < B; b++)
				g += dyr[b] * xr[b];
			gwr[m] += g;
			if (dx) {
				float *dxr = dx + (size_t)left[m] * B;
				float wv = wr[m];

				for (b = 0; b < B; b++)
					dxr[b] += wv * dyr[b];
			}
		}
	}
}

static void conv_backward(struct st_layer *l, const float *x, const float *dy,
			  float *dx, u32 B)
{
	u32 o, s, t, oy, i;
	size_t plane = (size_t)l->out_h * l->out_w * B;

	for (o = 0; o < l->out_c; o++) {
		const float *dyo = dy + o * plane;
		float gb = 0;

		for (i = 0; i < plane; i++)
			gb += dyo[i];
		l->gb[o] += gb;
		for (s = 0; s < l->d_in; s++) {
			u32 ci = l->left[o * l->d_in + s];
			u32 t0 = l->tap_start[o * l->d_in + s];
			u32 t1 = l->tap_start[o * l->d_in + s + 1];

			for (t = t0; t < t1; t++) {
				u32 ky = l->taps[t] / l->k, kx = l->taps[t] % l->k;
				u32 x0, x1;
				float wv = l->w[t], g = 0;

				conv_cols(l, kx, &x0, &x1);
				for (oy = 0; oy < l->out_h; oy++) {
					s32 iy = (s32)(oy + ky) - (s32)l->pad;
					size_t xo, n = (size_t)(x1 - x0) * B;
					const float *dyr;

					if (iy < 0 || iy >= (s32)l->in_h)
						continue;
					xo = (((size_t)ci * l->in_h + iy) * l->in_w +
					      x0 + kx - l->pad) * B;
					dyr = dyo + ((size_t)oy * l->out_w + x0) * B;
					for (i = 0; i < n; i++)
						g += dyr[i] * x[xo + i];
					if (dx)
						for (i = 0; i < n; i++)
							dx[xo + i] += wv * dyr[i];
				}
				l->gw[t] += g;
			}
		}
	}
}

static void pool_backward(const struct st_layer *l, const u32 *arg,
			  const float *dy, float *dx, u32 B)
{
	size_t i, n = (size_t)l->n_out * B;

	for (i = 0; i < n; i++)
		dx[arg[i]] += dy[i];
}

/* Softmax cross-entropy of logits [class][B]; adds weight * dL/dlogit /
 * div to dz (div: the whole batch when B is one shard of it) and returns
 * the mean loss over B; *correct counts right answers. */
static double ce(const float *z, float *dz, const u8 *y, u32 nc, u32 B,
		 u32 div, double weight, u32 *correct)
{
	double loss = 0;
	u32 b, c;

	for (b = 0; b < B; b++) {
		float mx, sum;
		u32 arg;

		sum = st_softmax_col(z, nc, B, b, &mx, &arg);
		loss += log(sum) - (z[(size_t)y[b] * B + b] - mx);
		if (correct && arg == y[b])
			++*correct;
		if (dz)
			for (c = 0; c < nc; c++) {
				float p = expf(z[(size_t)c * B + b] - mx) / sum;

				dz[(size_t)c * B + b] += (float)(weight *
					(p - (c == y[b])) / div);
			}
	}
	return loss / B;
}

double st_loss_backward(struct st_net *net, const struct st_data *d,
			const u32 *idx, u32 bsz, int backward)
{
	u8 y[ST_MAX_BATCH];
	double loss = 0;
	u32 i, b, o;

	st_forward(net, d, idx, bsz);
	for (b = 0; b < bsz; b++)
		y[b] = d->y[idx[b]];
	if (backward)
		for (i = 1; i <= net->n_layers; i++)
			memset(net->dact[i], 0,
			       (size_t)net->layers[i - 1].n_out * bsz * 4);
	net->last_correct = 0;
	for (o = 0; o <= net->n_exits; o++) {
		double wgt = o < net->n_exits ? net->exits[o].weight :
			     net->spec.final_weight;
		u32 li = o < net->n_exits ?
			 net->exits[o].first + net->exits[o].n_layers :
			 net->n_main;

		loss += wgt * ce(net->act[li], backward ? net->dact[li] : NULL,
				 y, net->spec.n_classes, bsz,
				 net->loss_div ? net->loss_div : bsz, wgt,
				 o == net->n_exits ? &net->last_correct : NULL);
	}
	if (!backward)
		return loss;
	for (i = net->n_layers; i-- > 0;) {
		struct st_layer *l = &net->layers[i];
		float *dy = net->dact[i + 1];
		const float *yv = net->act[i + 1];
		float *dx = l->src ? net->dact[l->src] : NULL;
		size_t n = (size_t)l->n_out * bsz, k;

		if (l->relu)
			for (k = 0; k < n; k++)
				if (yv[k] <= 0)
					dy[k] = 0;
		switch (l->kind) {
		case ST_FC:
			fc_backward(l, net->act[l->src], dy, dx, bsz);
			break;
		case ST_CONV:
			conv_backward(l, net->act[l->src], dy, dx, bsz);
			break;
		case ST_MAXPOOL:
			if (dx)
				pool_backward(l, net->argmax[i], dy, dx, bsz);
			break;
		}
	}
	return loss;
}

void st_zero_grad(struct st_net *net)
{
	u32 i;

	for (i = 0; i < net->n_layers; i++) {
		struct st_layer *l = &net->layers[i];

		if (l->kind == ST_MAXPOOL)
			continue;
		memset(l->gw, 0, (size_t)l->n_w * 4);
		memset(l->gb, 0, (size_t)l->out_c * 4);
	}
}
