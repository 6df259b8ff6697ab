// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The training plan a peer trainer replays (tools/spex-train/peer-torch.py,
 * make results): an FC network's layers as dense matrices with their 0/1
 * masks from spex's own pattern generator, the initial weights, the
 * optimizer settings, the training subset and every epoch's sample order.
 */
#include "train.h"

#include <errno.h>
#include <stdio.h>

static int put(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	bad = n && fwrite(p, 1, n, f) != n;
	bad |= fclose(f) != 0;
	return bad ? -1 : 0;
}

int st_plan_write(const struct st_net *net, const u32 *train_idx, u32 n_train,
		  const char *dir, char *err, size_t errlen)
{
	const struct st_spec *s = &net->spec;
	char path[4096], name[64];
	u32 *order = NULL, i, r, m, e;
	FILE *f;
	int rc = -1;

	for (i = 0; i < net->n_layers; i++)
		if (net->layers[i].kind != ST_FC) {
			snprintf(err, errlen, "layer %u is not fc: the plan "
				 "covers FC networks only", i);
			return -1;
		}
	snprintf(path, sizeof(path), "%s/plan.txt", dir);
	f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "name %s\nn_in %u\nn_classes %u\nn_main %u\nn_layers %u\n",
		s->name, net->n_in, s->n_classes, net->n_main, net->n_layers);
	fprintf(f, "train epochs %u batch %u adam %u lr %.17g momentum %.17g "
		"l2 %.17g decay %.17g final_weight %.17g\n", s->epochs, s->batch,
		s->adam, s->lr, s->momentum, s->l2, s->lr_decay, s->final_weight);
	fprintf(f, "n_train %u\n", n_train);
	for (i = 0; i < net->n_layers; i++) {
		const struct st_layer *l = &net->layers[i];

		fprintf(f, "layer %u src %u in %u out %u relu %u branch %u "
			"d_in %u\n", i, l->src, l->n_in, l->n_out, l->relu,
			l->branch, l->d_in);
	}
	for (e = 0; e < net->n_exits; e++)
		fprintf(f, "exit %u out %u weight %.17g\n", e,
			net->exits[e].first + net->exits[e].n_layers,
			net->exits[e].weight);
	if (fclose(f)) {
		snprintf(err, errlen, "%s: write failed", path);
		return -1;
	}
	for (i = 0; i < net->n_layers; i++) {
		const struct st_layer *l = &net->layers[i];
		size_t nn = (size_t)l->n_out * l->n_in;
		float *w = calloc(nn ? nn : 1, 4);
		u8 *mask = calloc(nn ? nn : 1, 1);
		int bad;

		if (!w || !mask) {
			free(w);
			free(mask);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (r = 0; r < l->n_out; r++)
			for (m = 0; m < l->d_in; m++) {
				size_t k = (size_t)r * l->n_in +
					   l->left[(size_t)r * l->d_in + m];

				w[k] = l->w[(size_t)r * l->d_in + m];
				mask[k] = l->mask ? l->mask[(size_t)r * l->d_in + m] : 1;
			}
		snprintf(name, sizeof(name), "w%u.f32", i);
		bad = put(dir, name, w, nn * 4);
		snprintf(name, sizeof(name), "mask%u.u8", i);
		bad |= put(dir, name, mask, nn);
		snprintf(name, sizeof(name), "b%u.f32", i);
		bad |= put(dir, name, l->b, (size_t)l->out_c * 4);
		free(w);
		free(mask);
		if (bad) {
			snprintf(err, errlen, "%s: cannot write layer %u", dir, i);
			return -1;
		}
	}
	/* The training subset (indices into the training file) and the
	 * order st_train() visits it in, epoch by epoch. */
	order = malloc((size_t)(n_train ? n_train : 1) * s->epochs * 4);
	if (!order) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st_epoch_orders(s, n_train, order);
	if (put(dir, "train.u32", train_idx, (size_t)n_train * 4) ||
	    put(dir, "order.u32", order, (size_t)n_train * s->epochs * 4))
		snprintf(err, errlen, "%s: cannot write the order", dir);
	else
		rc = 0;
	free(order);
	return rc;
}
