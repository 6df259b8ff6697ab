// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The .spx loader's entry point and a loaded model's lifetime. It treats
 * the blob as hostile, and allocates the variable-sized memory only once
 * the whole file has been validated and the total fits the caller's
 * budget:
 *   1. container (model_container.c): header, CRC, section table;
 *   2. validation (model_validate.c): decode into the fixed-size struct
 *      spex_model, compute the arena, temporary and scratch sizes;
 *   3. the budget, then the one arena and the temporary edge lists;
 *   4. build (model_build.c): regenerate each pattern's edges and pack
 *      weights into the layout the kernels read.
 * See Documentation/model-format.rst for the format itself.
 */
#include "model_load.h"

int spex_load_fail(struct spex_loader *ld, int status, u32 offset,
		   const char *fmt, ...)
{
	struct spex_diag *d = ld->diag;
	va_list ap;
	int n;

	if (!d || d->status != SPEX_OK)
		return status;
	d->status = status;
	d->offset = offset;
	n = spex_snprintf(d->msg, sizeof(d->msg), "%s: ",
			  spex_status_name(status));
	if (n < 0 || (size_t)n >= sizeof(d->msg))
		return status;
	va_start(ap, fmt);
	spex_vsnprintf(d->msg + n, sizeof(d->msg) - n, fmt, ap);
	va_end(ap);
	return status;
}

/* The totals of a built model: weights, MACs, and the dense equivalents. */
static void fill_info(struct spex_model *m, size_t len)
{
	struct spex_model_desc *mi = &m->desc;
	u64 dense_weight_bytes = 0, weight_bytes = 0;
	u32 i;

	m->n_layers = mi->n_layers;
	for (i = 0; i < mi->n_layers; i++) {
		const struct spex_rt_layer *L = &m->layers[i];

		mi->weights += L->weights;
		mi->macs += L->macs;
		mi->dense_macs += L->dense_macs;
		if (L->type == SPX_LAYER_FC) {
			mi->dense_weights += (u64)L->out_c * L->fan_in;
		} else if (L->type == SPX_LAYER_CONV2D) {
			mi->dense_weights += (u64)L->out_c * L->fan_in *
					     L->u.conv.kh * L->u.conv.kw;
		}
	}
	weight_bytes = mi->weights * (mi->dtype == SPX_DTYPE_INT8 ? 1 : 4);
	dense_weight_bytes = mi->dense_weights *
			     (mi->dtype == SPX_DTYPE_INT8 ? 1 : 4);
	mi->file_bytes = len;
	mi->dense_file_bytes = len - weight_bytes + dense_weight_bytes;
}

int spex_model_load(const void *blob, size_t len,
		    const struct spex_load_opts *opts,
		    struct spex_model **out, struct spex_diag *diag)
{
	struct spex_loader ld = { .blob = blob, .len = len, .diag = diag };
	u64 budget = opts && opts->budget ? opts->budget : SPEX_DEFAULT_BUDGET;
	struct spex_model *m;
	u8 *arena = NULL, *temp = NULL;
	u64 total;
	int st;

	*out = NULL;
	if (diag)
		memset(diag, 0, sizeof(*diag));
	ld.flags = opts ? opts->flags : 0;
	if (!blob)
		return spex_load_fail(&ld, SPEX_E_TRUNCATED, 0, "no blob");
	if (len > U32_MAX)
		return spex_load_fail(&ld, SPEX_E_LIMIT, 0,
				      "blob larger than 4 GiB");

	/* The fixed-size model struct holds the decode; nothing in it is
	 * sized by the blob. */
	m = spex_alloc(sizeof(*m));
	if (!m)
		return spex_load_fail(&ld, SPEX_E_NOMEM, 0, "model struct");
	st = spex_load_container(&ld);
	if (st)
		goto err;
	st = spex_load_validate(&ld, m);
	if (st)
		goto err;

	/* Scratch: two main and two branch activation buffers, the staged
	 * input, and conv accumulators. */
	m->act_bytes = spex_align64(ld.act_max * ld.elem);
	m->stage_bytes = spex_align64(ld.stage_max * (ld.elem == 1 ? 2 : 4));
	m->acc_bytes = spex_align64(ld.acc_max * 4);
	m->scratch_bytes = 4 * m->act_bytes + m->stage_bytes + m->acc_bytes;
	total = sizeof(*m);
	if (!spex_add_u64(&total, ld.arena) || !spex_add_u64(&total, ld.temp) ||
	    !spex_add_u64(&total, m->scratch_bytes) || total > budget) {
		st = spex_load_fail(&ld, SPEX_E_BUDGET, 0,
				    "needs %llu bytes (arena %llu, temporary %llu, scratch %zu), budget %llu",
				    (unsigned long long)total,
				    (unsigned long long)ld.arena,
				    (unsigned long long)ld.temp,
				    m->scratch_bytes,
				    (unsigned long long)budget);
		goto err;
	}

	arena = spex_alloc(ld.arena ? ld.arena : 1);
	temp = spex_alloc(ld.temp ? ld.temp : 1);
	if (!arena || !temp) {
		st = spex_load_fail(&ld, SPEX_E_NOMEM, 0, "%llu bytes",
				    (unsigned long long)(ld.arena + ld.temp));
		goto err;
	}
	m->arena_bytes = ld.arena;
	st = spex_load_build(&ld, m, arena, temp);
	if (st)
		goto err;
	spex_free(temp);
	temp = NULL;

	m->desc.mem_bytes = sizeof(*m) + ld.arena;
	m->desc.scratch_bytes = m->scratch_bytes;
	fill_info(m, len);
	/* The arena pointer lives in layer structs; keep it for freeing in
	 * the one slot nobody reads on the hot path. */
	m->arena = arena;
	*out = m;
	return SPEX_OK;
err:
	spex_free(temp);
	spex_free(arena);
	spex_free(m);
	return st;
}

void spex_model_free(struct spex_model *m)
{
	if (!m)
		return;
	spex_free(m->arena);
	spex_free(m);
}

const struct spex_model_desc *spex_model_info(const struct spex_model *m)
{
	return &m->desc;
}

size_t spex_model_scratch_size(const struct spex_model *m)
{
	return m->scratch_bytes;
}

u32 spex_model_exit_threshold(const struct spex_model *m, u32 e)
{
	return e < m->desc.n_exits ? m->exits[e].threshold_q16 : 0;
}
