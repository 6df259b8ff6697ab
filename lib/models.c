// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * libspex's model table: the ids a handle has loaded, their load, unload,
 * listing, description, policy and offload target.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libspex_int.h"

struct lib_model *lib_model_find(struct spex *h, uint32_t id)
{
	struct lib_model *m;

	for (m = h->models; m; m = m->next)
		if (m->id == id)
			return m;
	return NULL;
}

struct lib_model *lib_model_add(struct spex *h, uint32_t id)
{
	struct lib_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->id = id;
	m->next = h->models;
	h->models = m;
	return m;
}

/* Forget a model id. Jobs in flight that point at it must be gone: the
 * device's UNLOAD waits for them, and the user backend runs jobs inline,
 * so only offloads can still refer to it; they hold the tail, not it. */
void lib_model_drop(struct spex *h, uint32_t id)
{
	struct lib_model **pp, *m;

	for (pp = &h->models; (m = *pp); pp = &m->next) {
		if (m->id != id)
			continue;
		*pp = m->next;
		for (uint32_t i = 0; i < h->n_slots; i++)
			if (h->jobs[i].model == m)
				h->jobs[i].model = NULL;
		if (m->tail)
			m->tail->retired = true;
		free(m);
		return;
	}
}


int spex_load_blob_flags(struct spex *h, const void *blob, size_t len,
			 uint32_t flags, uint32_t *model_id,
			 struct spex_load_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	if (!h || !blob || !model_id)
		return -EINVAL;
	if (len > UINT32_MAX)
		return -EFBIG;
	return h->ops->load(h, blob, len, flags, model_id, err);
}

int spex_load_blob(struct spex *h, const void *blob, size_t len,
		   uint32_t *model_id, struct spex_load_error *err)
{
	return spex_load_blob_flags(h, blob, len, 0, model_id, err);
}

int spex_load_file(struct spex *h, const char *path, uint32_t *model_id,
		   struct spex_load_error *err)
{
	return spex_load_file_flags(h, path, 0, model_id, err);
}

int spex_load_file_flags(struct spex *h, const char *path, uint32_t flags,
			 uint32_t *model_id, struct spex_load_error *err)
{
	void *blob = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, ret;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!h || !path || !model_id)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (len == cap) {
			void *nb;

			cap = cap ? cap * 2 : 1 << 16;
			if (cap > (1u << 31)) {
				ret = -EFBIG;
				goto out;
			}
			nb = realloc(blob, cap);
			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			blob = nb;
		}
		n = read(fd, (char *)blob + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	ret = spex_load_blob_flags(h, blob, len, flags, model_id, err);
out:
	free(blob);
	close(fd);
	return ret;
}

int spex_unload_model(struct spex *h, uint32_t model_id)
{
	int ret;

	if (!h || !model_id)
		return -EINVAL;
	ret = h->ops->unload(h, model_id);
	if (ret == 0 || ret == -ENOENT)
		lib_model_drop(h, model_id);
	return ret;
}

int spex_list_models(struct spex *h, uint32_t *ids, uint32_t cap)
{
	if (!h || (cap && !ids))
		return -EINVAL;
	return h->ops->list(h, ids, cap);
}

int spex_describe_model(struct spex *h, uint32_t model_id,
			struct spex_model_desc *desc,
			struct spex_layer_desc *layers, uint32_t layers_cap)
{
	if (!h || !desc || (layers_cap && !layers))
		return -EINVAL;
	return h->ops->describe(h, model_id, desc, layers, layers_cap);
}

/*
 * The policy in force, for the offload decision (its net fields and
 * thresholds). Read when this handle sets a tail or a policy; a device
 * policy another process sets later is seen at the next of those.
 */
static void refresh_net_policy(struct spex *h, struct lib_model *m)
{
	struct spex_model_desc d;

	if (!h->ops->describe(h, m->id, &d, NULL, 0))
		m->net_pol = d.policy;
}

int spex_set_model_policy(struct spex *h, uint32_t model_id,
			  const struct spex_policy *policy)
{
	struct lib_model *m;
	int ret;

	if (!h || !policy)
		return -EINVAL;
	ret = h->ops->set_policy(h, model_id, policy);
	if (!ret && !h->ops->lookup(h, model_id, &m))
		refresh_net_policy(h, m);
	return ret;
}

int spex_set_offload(struct spex *h, uint32_t model_id,
		     const struct spex_offload_opts *opts)
{
	struct lib_model *m;
	struct lib_tail *t;
	int ret;

	if (!h)
		return -EINVAL;
	ret = h->ops->lookup(h, model_id, &m);
	if (ret)
		return ret;
	if (!opts || !opts->host) {
		if (m->tail)
			m->tail->retired = true;
		m->tail = NULL;
		return 0;
	}
	if (m->role != SPX_ROLE_HEAD)
		return -EINVAL;
	if (opts->reserved0 || !opts->port || opts->max_conns > LIB_MAX_CONNS)
		return -EINVAL;
	for (unsigned int i = 0; i < 4; i++)
		if (opts->reserved[i])
			return -EINVAL;
	if (!h->have_ring)
		return -EOPNOTSUPP;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	ret = lib_tail_resolve(opts, t);
	if (ret) {
		free(t);
		return ret;
	}
	t->deadline_ms = opts->deadline_ms ? opts->deadline_ms :
			 LIB_DEFAULT_DEADLINE_MS;
	t->max_conns = opts->max_conns ? opts->max_conns : LIB_DEFAULT_CONNS;
	spex_net_init(&t->net, &(struct spex_net_cfg){
		.budget_Bps = (uint64_t)opts->budget_kBps * 1000 });
	refresh_net_policy(h, m);
	t->next = h->tails;
	h->tails = t;
	if (m->tail)
		lib_tail_release(m->tail);
	m->tail = t;
	return 0;
}

int spex_get_tail_stats(struct spex *h, uint32_t model_id,
			struct spex_tail_stats *st)
{
	const struct spex_net_tail *n;
	struct lib_model *m;
	int ret;

	if (!h || !st)
		return -EINVAL;
	ret = h->ops->lookup(h, model_id, &m);
	if (ret)
		return ret;
	if (!m->tail || m->tail->retired)
		return -ENOENT;
	n = &m->tail->net;
	memset(st, 0, sizeof(*st));
	st->srtt_us = n->srtt8 >> 3;
	st->rttvar_us = n->rttvar4 >> 2;
	st->tail_us = n->tail8 >> 3;
	st->predict_us = spex_net_predict_us(n, m->net_pol.rttvar_k);
	st->loss_q16 = n->loss_q16;
	st->consec_timeouts = n->consec_timeouts;
	st->down = n->down;
	st->thr_drop_q16 = n->thr_drop_q16;
	st->samples = n->samples;
	st->timeouts = n->timeouts;
	st->bytes_sent = n->bytes_sent;
	st->sent_Bps = n->sent_Bps;
	st->acked_Bps = n->acked_Bps;
	st->cap_Bps = n->cap_Bps;
	for (unsigned int i = 0; i < SPEX_NET_R_COUNT && i < 8; i++)
		st->by_reason[i] = n->by_reason[i];
	return 0;
}
