// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The user backend: the core engine in this process. Models belong to
 * the handle; jobs run inline in spex_submit() (the head is pure compute:
 * a thread would only add a hand-off), so their completion is posted at
 * once unless the job goes on to the tail.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libspex_int.h"
#include <spex/engine.h>

static void set_err(struct spex_load_error *err, const struct spex_diag *d)
{
	if (!err)
		return;
	err->status = d->status;
	err->offset = d->offset;
	snprintf(err->msg, sizeof(err->msg), "%s", d->msg);
}

/*
 * The kernels this process runs: SPEX_KERNELS (scalar, avx2, avx512,
 * avx512vnni, avxvnni) overrides the
 * engine's pick (an unknown or unrunnable name is ignored). Read once,
 * at the first info or job, like the cpuid answer it overrides.
 */
static const struct spex_kernels *user_kernels(void)
{
	static const struct spex_kernels *chosen;
	const struct spex_kernels *k;

	k = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
	if (!k) {
		k = spex_kernels_choose(getenv("SPEX_KERNELS"));
		__atomic_store_n(&chosen, k, __ATOMIC_RELEASE);
	}
	return k;
}

static int user_info(struct spex *h, struct spex_info *info)
{
	struct lib_model *m;

	memset(info, 0, sizeof(*info));
	info->abi_version = SPEX_ABI_VERSION;
	info->max_model_bytes = UINT32_MAX;
	info->max_models = UINT32_MAX;
	info->max_jobs_per_file = h->depth;
	info->max_input_bytes = UINT32_MAX;
	for (m = h->models; m; m = m->next)
		if (m->m)
			info->n_models++;
	snprintf(info->kernels, sizeof(info->kernels), "%s",
		 spex_kernels_impl_name((h->open_flags & SPEX_OPEN_SCALAR) ?
					&spex_kernels_scalar :
					user_kernels()));
	return 0;
}

static int user_load(struct spex *h, const void *blob, size_t len,
		     uint32_t flags, uint32_t *id, struct spex_load_error *err)
{
	const struct spex_model_desc *mi;
	struct spex_model *model;
	struct spex_diag diag = { 0 };
	struct lib_model *m;
	size_t need;
	int st;

	/* every job here runs in a process: the atomic mark changes nothing */
	if (flags & ~SPEX_LOAD_F_ATOMIC)
		return -EINVAL;
	st = spex_model_load(blob, len, NULL, &model, &diag);
	if (st != SPEX_OK) {
		if (!diag.status)
			diag.status = (u32)st;
		set_err(err, &diag);
		return -spex_status_errno(st);
	}
	need = spex_model_scratch_size(model);
	if (need > h->scratch_cap) {
		void *nb = realloc(h->scratch, need);

		if (!nb) {
			spex_model_free(model);
			return -ENOMEM;
		}
		h->scratch = nb;
		h->scratch_cap = need;
	}
	m = lib_model_add(h, ++h->next_id);
	if (!m) {
		spex_model_free(model);
		return -ENOMEM;
	}
	mi = spex_model_info(model);
	m->m = model;
	m->role = mi->role;
	m->n_classes = mi->n_classes;
	m->input_bytes = mi->input_bytes;
	m->output_bytes = mi->output_bytes;
	m->file_bytes = len;
	memcpy(m->hash, mi->hash, sizeof(m->hash));
	*id = m->id;
	return 0;
}

static void user_close_model(struct spex *h, struct lib_model *m)
{
	if (m->m)
		spex_model_free(m->m);
	m->m = NULL;
}

static int user_unload(struct spex *h, uint32_t id)
{
	struct lib_model *m = lib_model_find(h, id);

	if (!m || !m->m)
		return -ENOENT;
	spex_model_free(m->m);
	m->m = NULL;
	return 0;	/* the caller drops the entry */
}

static int user_list(struct spex *h, uint32_t *ids, uint32_t cap)
{
	uint32_t n = 0;

	/* ascending: ids are handed out in order, the list is newest first */
	for (uint32_t id = 1; id <= h->next_id; id++) {
		struct lib_model *m = lib_model_find(h, id);

		if (!m || !m->m)
			continue;
		if (n < cap)
			ids[n] = id;
		n++;
	}
	return (int)n;
}

static int user_lookup(struct spex *h, uint32_t id, struct lib_model **out)
{
	struct lib_model *m = lib_model_find(h, id);

	if (!m || !m->m)
		return -ENOENT;
	*out = m;
	return 0;
}

static void policy_in_force(const struct lib_model *m, struct spex_policy *p)
{
	if (m->has_policy)
		*p = m->policy;
	else
		memset(p, 0, sizeof(*p));
	spex_policy_in_force(m->m, p);
}

static int user_describe(struct spex *h, uint32_t id,
			 struct spex_model_desc *d,
			 struct spex_layer_desc *layers, uint32_t cap)
{
	const struct spex_model_desc *mi;
	struct lib_model *m;
	int ret = user_lookup(h, id, &m);

	if (ret)
		return ret;
	mi = spex_model_info(m->m);
	memset(d, 0, sizeof(*d));
	d->model_id = id;
	spex_model_describe(m->m, d);
	if (!d->file_bytes)
		d->file_bytes = m->file_bytes;
	policy_in_force(m, &d->policy);
	d->jobs = m->jobs;
	d->exits = m->exits;
	d->offloads = m->offloads;
	d->errors = m->errors;
	d->total_ns = m->total_ns;
	for (u32 i = 0; i < mi->n_layers && i < cap; i++)
		if (spex_layer_describe(m->m, i, &layers[i]))
			break;
	return 0;
}

static int user_set_policy(struct spex *h, uint32_t id,
			   const struct spex_policy *p)
{
	struct lib_model *m;
	int ret = user_lookup(h, id, &m);

	if (ret)
		return ret;
	ret = spex_policy_check(m->m, p);
	if (ret != SPEX_OK)
		return -spex_status_errno(ret);
	m->policy = *p;
	m->has_policy = true;
	return 0;
}

static void user_start(struct spex *h, struct lib_job *j)
{
	struct lib_model *m = j->model;
	struct spex_exec ex = { .kernels = user_kernels() };
	uint64_t t0;
	int st;

	if (j->req.input_len != m->input_bytes) {
		/* the engine would say SPEX_E_INPUT; fail like the device */
		m->errors++;
		lib_head_done(h, j, -EINVAL);
		return;
	}
	if ((j->req.flags & SPEX_REQ_SCALAR) ||
	    (h->open_flags & SPEX_OPEN_SCALAR))
		ex.kernels = &spex_kernels_scalar;
	t0 = lib_now_ns();
	st = spex_run(m->m, m->has_policy ? &m->policy : NULL, &ex,
		      h->scratch, j->req.input, j->req.input_len, j->out,
		      j->req.output_len, &j->result);
	j->result.ns = lib_now_ns() - t0;
	m->jobs++;
	m->total_ns += j->result.ns;
	if (st != SPEX_OK) {
		m->errors++;
		lib_head_done(h, j, -spex_status_errno(st));
		return;
	}
	if (j->result.decision == SPEX_DECISION_EXIT)
		m->exits++;
	else if (j->result.decision == SPEX_DECISION_OFFLOAD)
		m->offloads++;
	lib_head_done(h, j, 0);
}

const struct lib_backend_ops lib_user_ops = {
	.info		= user_info,
	.load		= user_load,
	.unload		= user_unload,
	.list		= user_list,
	.describe	= user_describe,
	.set_policy	= user_set_policy,
	.lookup		= user_lookup,
	.start		= user_start,
	.close		= user_close_model,
};

int lib_user_open(struct spex *h)
{
	h->backend = SPEX_BACKEND_USER;
	h->ops = &lib_user_ops;
	return 0;
}
