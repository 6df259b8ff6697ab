// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * A loaded model as MODEL_INFO describes it (struct spex_model_desc and
 * spex_layer_desc in the uapi header). The module's ioctl and libspex's
 * userspace backend both answer with these, so they agree field by field.
 */
#include <spex/engine.h>

void spex_model_describe(const struct spex_model *m,
			 struct spex_model_desc *d)
{
	const struct spex_model_info *mi = spex_model_info(m);

	d->n_layers = mi->n_layers;
	memcpy(d->name, mi->name, sizeof(d->name));
	memcpy(d->hash, mi->hash, sizeof(d->hash));
	d->role = mi->role;
	d->dtype = mi->dtype;
	d->in_c = mi->in_c;
	d->in_h = mi->in_h;
	d->in_w = mi->in_w;
	d->n_classes = mi->n_classes;
	d->n_main = mi->n_main;
	d->n_exits = mi->n_exits;
	d->input_bytes = mi->input_bytes;
	d->output_bytes = mi->output_bytes;
	d->out_c = mi->out_c;
	d->out_h = mi->out_h;
	d->out_w = mi->out_w;
	d->input_q = mi->input_q;
	d->output_q = mi->output_q;
	d->weights = mi->weights;
	d->dense_weights = mi->dense_weights;
	d->macs = mi->macs;
	d->dense_macs = mi->dense_macs;
	d->file_bytes = mi->file_bytes;
	d->dense_file_bytes = mi->dense_file_bytes;
	d->mem_bytes = mi->mem_bytes;
	d->scratch_bytes = mi->scratch_bytes;
}

int spex_layer_describe(const struct spex_model *m, u32 i,
			struct spex_layer_desc *d)
{
	struct spex_layer_info li;
	int st = spex_model_layer_info(m, i, &li);

	memset(d, 0, sizeof(*d));
	if (st)
		return st;
	d->type = li.type;
	d->branch = li.branch;
	d->in_c = li.in_c;
	d->in_h = li.in_h;
	d->in_w = li.in_w;
	d->out_c = li.out_c;
	d->out_h = li.out_h;
	d->out_w = li.out_w;
	d->fan_in = li.fan_in;
	d->in_degree = li.in_degree;
	d->density_ppm = li.fan_in ?
		(u32)spex_div_u64((u64)li.in_degree * 1000000, li.fan_in) : 0;
	d->pattern = li.pattern;
	d->z = li.z;
	d->layout = li.layout;
	d->weights = li.weights;
	d->macs = li.macs;
	d->dense_macs = li.dense_macs;
	return SPEX_OK;
}

void spex_policy_in_force(const struct spex_model *m, struct spex_policy *p)
{
	const struct spex_model_info *mi = spex_model_info(m);
	u32 e;

	if (!p->n_thresholds)
		for (e = 0; e < mi->n_exits && e < SPX_MAX_EXITS; e++)
			p->threshold_q16[e] = spex_model_exit_threshold(m, e);
	p->n_thresholds = mi->n_exits;
}
