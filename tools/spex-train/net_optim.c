// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The optimisers: one Adam or SGD-with-momentum step over every
 * parameter (masked-dense layers update only their pattern's weights).
 */
#include "train.h"

#include <math.h>

static void adam(float *w, float *g, float *m, float *v, size_t n, double lr,
		 double l2, double c1, double c2, const u8 *mask)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float gi = g[i] + (float)l2 * w[i];

		if (mask && !mask[i])
			continue;
		m[i] = 0.9f * m[i] + 0.1f * gi;
		v[i] = 0.999f * v[i] + 0.001f * gi * gi;
		w[i] -= (float)(lr * (m[i] / c1) / (sqrt(v[i] / c2) + 1e-8));
	}
}

static void sgd(float *w, float *g, float *m, size_t n, double lr, double l2,
		double mom, const u8 *mask)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float gi = g[i] + (float)l2 * w[i];

		if (mask && !mask[i])
			continue;
		m[i] = (float)mom * m[i] + gi;
		w[i] -= (float)lr * m[i];
	}
}

void st_opt_step(struct st_net *net, double lr)
{
	const struct st_spec *s = &net->spec;
	double c1, c2;
	u32 i;

	net->step++;
	c1 = 1 - pow(0.9, (double)net->step);
	c2 = 1 - pow(0.999, (double)net->step);
	for (i = 0; i < net->n_layers; i++) {
		struct st_layer *l = &net->layers[i];

		if (l->kind == ST_MAXPOOL)
			continue;
		if (s->adam) {
			adam(l->w, l->gw, l->mw, l->vw, l->n_w, lr, s->l2, c1, c2,
			     l->mask);
			adam(l->b, l->gb, l->mb, l->vb, l->out_c, lr, 0, c1, c2,
			     NULL);
		} else {
			sgd(l->w, l->gw, l->mw, l->n_w, lr, s->l2, s->momentum,
			    l->mask);
			sgd(l->b, l->gb, l->mb, l->out_c, lr, 0, s->momentum,
			    NULL);
		}
	}
}
