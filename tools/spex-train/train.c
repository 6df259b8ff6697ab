// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The training loop, evaluation and data splits.
 */
#include "train.h"
#include <spex/engine.h>
#include "../common/clock.h"
#include "softmax.h"

#include <math.h>

static void shuffle(u32 *a, u32 n, struct spex_rng *rng)
{
	u32 i, j, t;

	for (i = n; i-- > 1;) {
		j = spex_rng_below(rng, i + 1);
		t = a[i];
		a[i] = a[j];
		a[j] = t;
	}
}

void st_split(u32 n, u32 seed, u32 n_val, u32 n_test, u32 **train,
	      u32 *n_train, u32 **val, u32 **test)
{
	struct spex_rng rng;
	u32 *perm = malloc((size_t)(n ? n : 1) * 4), i;

	spex_rng_seed(&rng, seed, 0x5b11);
	for (i = 0; i < n; i++)
		perm[i] = i;
	shuffle(perm, n, &rng);
	*n_train = n - n_val - n_test;
	*test = malloc((size_t)(n_test ? n_test : 1) * 4);
	*val = malloc((size_t)(n_val ? n_val : 1) * 4);
	*train = malloc((size_t)(*n_train ? *n_train : 1) * 4);
	memcpy(*test, perm, (size_t)n_test * 4);
	memcpy(*val, perm + n_test, (size_t)n_val * 4);
	memcpy(*train, perm + n_test + n_val, (size_t)*n_train * 4);
	free(perm);
}

int st_data_subset(const struct st_data *d, const u32 *idx, u32 n,
		   struct st_data *out)
{
	u8 *x = malloc((size_t)(n ? n : 1) * d->dim);
	u8 *y = malloc(n ? n : 1);
	u32 i;

	if (!x || !y) {
		free(x);
		free(y);
		return -1;
	}
	for (i = 0; i < n; i++) {
		memcpy(x + (size_t)i * d->dim, d->x + (size_t)idx[i] * d->dim,
		       d->dim);
		y[i] = d->y[idx[i]];
	}
	out->n = n;
	out->dim = d->dim;
	out->x = x;
	out->y = y;
	return 0;
}

void st_data_free(struct st_data *d)
{
	free((void *)d->x);
	free((void *)d->y);
	memset(d, 0, sizeof(*d));
}

/* The sample order: one seeded stream, reshuffled every epoch. */
#define ORDER_STREAM	0xe90c

void st_epoch_orders(const struct st_spec *s, u32 n, u32 *out)
{
	struct spex_rng rng;
	u32 ep, i;

	spex_rng_seed(&rng, s->seed, ORDER_STREAM);
	for (i = 0; i < n; i++)
		out[i] = i;
	for (ep = 0; ep < s->epochs; ep++) {
		if (ep)
			memcpy(out + (size_t)ep * n, out + (size_t)(ep - 1) * n,
			       (size_t)n * 4);
		shuffle(out + (size_t)ep * n, n, &rng);
	}
}

int st_train(struct st_net *net, const struct st_data *d, st_progress_fn cb,
	     void *priv, double *epoch_seconds)
{
	const struct st_spec *s = &net->spec;
	u32 B = s->batch, ep, i, *order;
	struct spex_rng rng;
	struct st_pool *pool;

	if (!B || B > ST_MAX_BATCH || !d->n)
		return -1;
	order = malloc((size_t)d->n * 4);
	pool = st_pool_new(net);
	if (!order || !pool) {
		free(order);
		st_pool_free(pool);
		return -1;
	}
	for (i = 0; i < d->n; i++)
		order[i] = i;
	spex_rng_seed(&rng, s->seed, ORDER_STREAM);
	for (ep = 0; ep < s->epochs; ep++) {
		struct st_progress p = { .epoch = ep + 1, .epochs = s->epochs,
					 .total = d->n };
		double t0 = now_s(), lsum = 0, lr;
		u64 hits = 0;

		/* Step decay: lr * lr_decay^epoch. */
		lr = s->lr * pow(s->lr_decay, ep);
		shuffle(order, d->n, &rng);
		for (i = 0; i < d->n; i += B) {
			u32 bsz = d->n - i < B ? d->n - i : B;
			double loss;

			loss = st_pool_step(pool, net, d, order + i, bsz);
			st_opt_step(net, lr);
			lsum += loss * bsz;
			hits += net->last_correct;
			p.done = i + bsz;
			p.loss = lsum / p.done;
			p.acc = (double)hits / p.done;
			p.elapsed = now_s() - t0;
			p.end = p.done == d->n;
			if (!isfinite(loss)) {
				free(order);
				st_pool_free(pool);
				return -2;
			}
			if (cb)
				cb(&p, priv);
		}
		if (epoch_seconds)
			epoch_seconds[ep] = now_s() - t0;
	}
	free(order);
	st_pool_free(pool);
	return 0;
}

static int eval_alloc(const struct st_net *net, const struct st_data *d,
		      struct st_eval *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->n = d->n;
	ev->n_out = net->n_exits + 1;
	ev->pred = calloc((size_t)d->n * ev->n_out + 1, 1);
	ev->conf = calloc((size_t)d->n * ev->n_out + 1, 4);
	return ev->pred && ev->conf ? 0 : -1;
}

int st_evaluate(struct st_net *net, const struct st_data *d,
		struct st_eval *ev)
{
	u32 idx[ST_MAX_BATCH], i, b, o, nc = net->spec.n_classes;

	if (eval_alloc(net, d, ev))
		return -1;
	for (i = 0; i < d->n; i += ST_MAX_BATCH) {
		u32 bsz = d->n - i < ST_MAX_BATCH ? d->n - i : ST_MAX_BATCH;

		for (b = 0; b < bsz; b++)
			idx[b] = i + b;
		st_forward(net, d, idx, bsz);
		for (o = 0; o < ev->n_out; o++) {
			const float *z = st_logits(net, o);

			for (b = 0; b < bsz; b++) {
				float mx;
				u32 arg;
				float sum = st_softmax_col(z, nc, bsz, b, &mx,
							   &arg);

				ev->pred[(size_t)(i + b) * ev->n_out + o] = (u8)arg;
				ev->conf[(size_t)(i + b) * ev->n_out + o] = 1.0f / sum;
				ev->correct[o] += arg == d->y[i + b];
			}
		}
	}
	return 0;
}

int st_evaluate_i8(const struct st_net *net, const struct st_data *d,
		   struct st_eval *ev)
{
	s8 (*xq)[SPX_MAX_CLASSES] = calloc(ST_MAX_EXITS, SPX_MAX_CLASSES);
	s8 fq[SPX_MAX_CLASSES];
	u32 i, o, cls, conf;

	if (!xq || !net->quantized || eval_alloc(net, d, ev)) {
		free(xq);
		return -1;
	}
	for (i = 0; i < d->n; i++) {
		st_sim_i8(net, d->x + (size_t)i * d->dim, NULL, xq, fq);
		for (o = 0; o < ev->n_out; o++) {
			if (o < net->n_exits) {
				st_exit_conf_i8(net, o, xq[o], &cls, &conf);
			} else {
				u32 c;

				cls = 0;
				for (c = 1; c < net->spec.n_classes; c++)
					if (fq[c] > fq[cls])
						cls = c;
				conf = 0;
			}
			ev->pred[(size_t)i * ev->n_out + o] = (u8)cls;
			ev->conf[(size_t)i * ev->n_out + o] = conf / 65536.0f;
			ev->correct[o] += cls == d->y[i];
		}
	}
	free(xq);
	return 0;
}

void st_eval_free(struct st_eval *ev)
{
	free(ev->pred);
	free(ev->conf);
	memset(ev, 0, sizeof(*ev));
}
