// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * A loaded model as MODEL_INFO describes it: straight from the runtime
 * structs into the uapi records (struct spex_model_desc, spex_layer_desc),
 * with no record in between. The module's ioctl and libspex's userspace
 * backend both answer with these, so they agree field by field.
 */
#include "model.h"

void spex_model_describe(const struct spex_model *m,
			 struct spex_model_desc *d)
{
	u32 id = d->model_id, cap = d->layers_cap;
	u64 layers = d->layers;

	*d = m->desc;
	d->model_id = id;
	d->layers = layers;
	d->layers_cap = cap;
}

int spex_layer_describe(const struct spex_model *m, u32 i,
			struct spex_layer_desc *d)
{
	const struct spex_rt_layer *L;

	memset(d, 0, sizeof(*d));
	if (i >= m->desc.n_layers)
		return SPEX_E_LIMIT;
	L = &m->layers[i];
	d->type = L->type;
	d->branch = L->branch;
	d->in_c = L->in_c;
	d->in_h = L->in_h;
	d->in_w = L->in_w;
	d->out_c = L->out_c;
	d->out_h = L->out_h;
	d->out_w = L->out_w;
	d->fan_in = L->fan_in;
	d->in_degree = L->in_degree;
	d->density_ppm = L->fan_in ?
		(u32)spex_div_u64((u64)L->in_degree * 1000000, L->fan_in) : 0;
	d->pattern = L->pattern;
	d->z = L->z;
	d->layout = L->type == SPX_LAYER_FC ? L->u.fc.layout : 0;
	d->weights = L->weights;
	d->macs = L->macs;
	d->dense_macs = L->dense_macs;
	return SPEX_OK;
}

void spex_policy_in_force(const struct spex_model *m, struct spex_policy *p)
{
	const struct spex_model_desc *mi = &m->desc;
	u32 e;

	if (!p->n_thresholds)
		for (e = 0; e < mi->n_exits && e < SPX_MAX_EXITS; e++)
			p->threshold_q16[e] = spex_model_exit_threshold(m, e);
	p->n_thresholds = mi->n_exits;
}
