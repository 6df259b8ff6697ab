// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The data-parallel training step: a mini-batch is cut into a fixed
 * number of shards (spec.shards), each shard runs its forward and
 * backward pass on a worker of its own (a view of the net with private
 * activations and gradients; weights shared), on up to spec.threads
 * threads, and the shards' gradients are summed in shard order. The
 * shards, not the threads, fix the arithmetic: any thread count gives
 * bit-identical weights.
 */
#include "train.h"

#include <pthread.h>

struct st_shard {
	struct st_net w;		/* the worker's view of the net */
	const struct st_data *d;
	const u32 *idx;
	u32 n;				/* samples of this shard */
	double loss;			/* mean over the shard */
};

struct st_pool {
	u32 n_shards, n_threads;
	struct st_shard sh[ST_MAX_SHARDS];
};

static void *zalloc(size_t n)
{
	return calloc(1, n ? n : 1);
}

static void worker_free(struct st_net *w)
{
	u32 i;

	for (i = 0; i < w->n_layers; i++) {
		if (w->layers[i].kind != ST_MAXPOOL) {
			free(w->layers[i].gw);
			free(w->layers[i].gb);
		}
		free(w->argmax[i]);
	}
	for (i = 0; i <= w->n_layers; i++) {
		free(w->act[i]);
		free(w->dact[i]);
	}
}

/* A view of net: its layers (edges, weights, masks shared), private
 * work buffers and gradients for up to ST_MAX_BATCH samples. */
static int worker_init(struct st_net *w, const struct st_net *net)
{
	u32 i;
	int bad = 0;

	memcpy(w, net, sizeof(*w));
	memset(w->act, 0, sizeof(w->act));
	memset(w->dact, 0, sizeof(w->dact));
	memset(w->argmax, 0, sizeof(w->argmax));
	w->act[0] = zalloc((size_t)net->n_in * ST_MAX_BATCH * 4);
	bad |= !w->act[0];
	for (i = 0; i < net->n_layers; i++) {
		struct st_layer *l = &w->layers[i];

		w->act[i + 1] = zalloc((size_t)l->n_out * ST_MAX_BATCH * 4);
		w->dact[i + 1] = zalloc((size_t)l->n_out * ST_MAX_BATCH * 4);
		bad |= !w->act[i + 1] || !w->dact[i + 1];
		if (l->kind == ST_MAXPOOL) {
			w->argmax[i] = zalloc((size_t)l->n_out * ST_MAX_BATCH * 4);
			bad |= !w->argmax[i];
			continue;
		}
		l->gw = zalloc((size_t)l->n_w * 4);
		l->gb = zalloc((size_t)l->out_c * 4);
		bad |= !l->gw || !l->gb;
	}
	if (bad) {
		worker_free(w);
		return -1;
	}
	return 0;
}

struct st_pool *st_pool_new(const struct st_net *net)
{
	const struct st_spec *s = &net->spec;
	struct st_pool *p = zalloc(sizeof(*p));
	u32 k;

	if (!p)
		return NULL;
	p->n_shards = s->shards ? s->shards : 1;
	p->n_threads = s->threads ? s->threads : 1;
	if (p->n_shards > ST_MAX_SHARDS)
		p->n_shards = ST_MAX_SHARDS;
	if (p->n_threads > p->n_shards)
		p->n_threads = p->n_shards;
	for (k = 0; k < p->n_shards; k++) {
		if (worker_init(&p->sh[k].w, net)) {
			while (k--)
				worker_free(&p->sh[k].w);
			free(p);
			return NULL;
		}
	}
	return p;
}

void st_pool_free(struct st_pool *p)
{
	u32 k;

	if (!p)
		return;
	for (k = 0; k < p->n_shards; k++)
		worker_free(&p->sh[k].w);
	free(p);
}

/* Thread t runs shards t, t + n_threads, ... */
struct st_job {
	struct st_pool *p;
	u32 t, div;
};

static void run_shard(struct st_shard *sh, u32 div)
{
	struct st_net *w = &sh->w;
	u32 i;

	for (i = 0; i < w->n_layers; i++) {
		struct st_layer *l = &w->layers[i];

		if (l->kind == ST_MAXPOOL)
			continue;
		memset(l->gw, 0, (size_t)l->n_w * 4);
		memset(l->gb, 0, (size_t)l->out_c * 4);
	}
	w->loss_div = div;
	w->last_correct = 0;
	sh->loss = sh->n ? st_loss_backward(w, sh->d, sh->idx, sh->n, 1) : 0;
}

static void *job_main(void *arg)
{
	struct st_job *j = arg;
	u32 k;

	for (k = j->t; k < j->p->n_shards; k += j->p->n_threads)
		run_shard(&j->p->sh[k], j->div);
	return NULL;
}

double st_pool_step(struct st_pool *p, struct st_net *net,
		    const struct st_data *d, const u32 *idx, u32 bsz)
{
	pthread_t tid[ST_MAX_SHARDS];
	struct st_job job[ST_MAX_SHARDS];
	u32 k, t, i, off = 0, started = 1;
	double loss = 0;

	/* Shard k gets samples [k * bsz / S, (k + 1) * bsz / S). */
	for (k = 0; k < p->n_shards; k++) {
		u32 end = (u32)((u64)(k + 1) * bsz / p->n_shards);

		p->sh[k].d = d;
		p->sh[k].idx = idx + off;
		p->sh[k].n = end - off;
		off = end;
	}
	for (t = 0; t < p->n_threads; t++)
		job[t] = (struct st_job){ .p = p, .t = t, .div = bsz };
	for (t = 1; t < p->n_threads; t++) {
		if (pthread_create(&tid[t], NULL, job_main, &job[t]))
			break;
		started++;
	}
	/* This thread runs its own shards, then any a thread failed to take. */
	job_main(&job[0]);
	for (t = started; t < p->n_threads; t++)
		job_main(&job[t]);
	for (t = 1; t < started; t++)
		pthread_join(tid[t], NULL);

	/* Reduce in shard order: the sums do not depend on the threads. */
	net->last_correct = 0;
	for (k = 0; k < p->n_shards; k++) {
		const struct st_net *w = &p->sh[k].w;

		loss += p->sh[k].loss * p->sh[k].n;
		net->last_correct += w->last_correct;
		for (i = 0; i < net->n_layers; i++) {
			struct st_layer *l = &net->layers[i];
			const struct st_layer *wl = &w->layers[i];
			size_t j;

			if (l->kind == ST_MAXPOOL)
				continue;
			if (!k) {
				memcpy(l->gw, wl->gw, (size_t)l->n_w * 4);
				memcpy(l->gb, wl->gb, (size_t)l->out_c * 4);
				continue;
			}
			for (j = 0; j < l->n_w; j++)
				l->gw[j] += wl->gw[j];
			for (j = 0; j < l->out_c; j++)
				l->gb[j] += wl->gb[j];
		}
	}
	return loss / bsz;
}
