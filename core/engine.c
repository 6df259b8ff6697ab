// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The engine: run one job through a loaded model.
 *
 * Main-path layers run in order; after each main layer, the exits attached
 * to it run their branch and policy. A confident exit ends the job at once:
 * nothing past it is computed. A HEAD model that reaches its end offloads
 * (the bottleneck goes back to the caller); FULL and TAIL models answer
 * with their own last layer.
 *
 * No allocation: the caller's scratch holds two main-path and two branch
 * activation buffers, the staged input of the current layer and the conv
 * accumulators.
 */
#include "model.h"

struct job {
	const struct spex_model *m;
	const struct spex_exec *ex;
	const struct spex_kernels *k;
	struct spex_result *res;
	bool f32;
	u8 *buf[4];		/* main A, main B, branch A, branch B */
	void *stage;
	s32 *acc;
};

static void simd_begin(const struct job *j)
{
	if (j->ex && j->ex->simd_begin)
		j->ex->simd_begin(j->ex->priv);
}

static void simd_end(const struct job *j)
{
	if (j->ex && j->ex->simd_end)
		j->ex->simd_end(j->ex->priv);
}

/* How many outputs one bounded chunk may compute. */
static u32 chunk_outputs(const struct job *j, u64 macs_per_output, u32 n)
{
	u64 chunk = j->ex ? j->ex->chunk_macs : 0;
	u64 per;

	if (!chunk || !macs_per_output)
		return n;
	per = spex_div_u64(chunk, macs_per_output);
	if (!per)
		return 1;
	return per < n ? (u32)per : n;
}

static void run_fc(const struct job *j, const struct spex_rt_layer *L,
		   const void *x, void *y)
{
	const struct spex_fc *fc = &L->u.fc;
	u32 step = chunk_outputs(j, fc->d_in, fc->n_out), o;

#if SPEX_CORE_FLOAT
	if (j->f32) {
		spex_fc_stage_f32(fc, x, j->stage);
		for (o = 0; o < fc->n_out; o += step) {
			u32 e = fc->n_out - o < step ? fc->n_out : o + step;

			simd_begin(j);
			j->k->fc_f32(fc, j->stage, y, o, e);
			simd_end(j);
		}
		return;
	}
#endif
	spex_fc_stage_i8(fc, x, j->stage);
	for (o = 0; o < fc->n_out; o += step) {
		u32 e = fc->n_out - o < step ? fc->n_out : o + step;

		simd_begin(j);
		j->k->fc_i8(fc, j->stage, y, o, e);
		simd_end(j);
	}
}

/* MACs of one output row of channel o (at least 1, so it bounds a chunk). */
static u64 conv_row_macs(const struct spex_conv *cv, u32 o)
{
	u64 taps = cv->tap_start[(o + 1) * cv->cin_deg] -
		   cv->tap_start[o * cv->cin_deg];

	return taps * cv->out_w + 1;
}

/* Channels [o0, o1), rows [y0, y1) of each, in one bounded section. */
static void conv_chunk(const struct job *j, const struct spex_conv *cv,
		       void *y, u32 o0, u32 o1, u32 y0, u32 y1)
{
	simd_begin(j);
#if SPEX_CORE_FLOAT
	if (j->f32)
		j->k->conv_f32(cv, j->stage, y, o0, o1, y0, y1);
	else
#endif
		j->k->conv_i8(cv, j->stage, y, j->acc, o0, o1, y0, y1);
	simd_end(j);
}

/*
 * A conv layer in chunks of at most chunk_macs MACs: whole channels while
 * they fit, and a channel too big for one chunk by rows (one row, its
 * out_w pixels times the channel's taps, is the smallest unit).
 */
static void run_conv(const struct job *j, const struct spex_rt_layer *L,
		     const void *x, void *y)
{
	const struct spex_conv *cv = &L->u.conv;
	u64 chunk = j->ex ? j->ex->chunk_macs : 0;
	u32 o = 0, e, r, step;

#if SPEX_CORE_FLOAT
	if (j->f32)
		spex_conv_stage_f32(cv, x, j->stage);
	else
#endif
		spex_conv_stage_i8(cv, x, j->stage);
	if (!chunk) {
		conv_chunk(j, cv, y, 0, cv->out_c, 0, cv->out_h);
		return;
	}
	while (o < cv->out_c) {
		u64 row = conv_row_macs(cv, o), sum = row * cv->out_h;

		if (sum > chunk) {
			/* by rows: chunk / row >= 1 rows at a time */
			u64 per = spex_div_u64(chunk, row);

			step = per < 1 ? 1 : per < cv->out_h ? (u32)per :
			       cv->out_h;
			for (r = 0; r < cv->out_h; r += step)
				conv_chunk(j, cv, y, o, o + 1, r,
					   cv->out_h - r < step ? cv->out_h :
					   r + step);
			o++;
			continue;
		}
		for (e = o + 1; e < cv->out_c; e++) {
			u64 c = conv_row_macs(cv, e) * cv->out_h;

			if (sum + c > chunk)
				break;
			sum += c;
		}
		conv_chunk(j, cv, y, o, e, 0, cv->out_h);
		o = e;
	}
}

/*
 * Run layer idx from x into y. Returns where its output is: y, or x for a
 * flatten, which changes only the shape.
 */
static const void *run_layer(const struct job *j, u32 idx, const void *x,
			     void *y)
{
	const struct spex_rt_layer *L = &j->m->layers[idx];
	struct spex_result *res = j->res;
	const void *out = y;

	switch (L->type) {
	case SPX_LAYER_FC:
		run_fc(j, L, x, y);
		break;
	case SPX_LAYER_CONV2D:
		run_conv(j, L, x, y);
		break;
	case SPX_LAYER_MAXPOOL:
#if SPEX_CORE_FLOAT
		if (j->f32) {
			spex_maxpool_f32(&L->u.pool, x, y);
			break;
		}
#endif
		spex_maxpool_i8(&L->u.pool, x, y);
		break;
	case SPX_LAYER_AVGPOOL:
#if SPEX_CORE_FLOAT
		if (j->f32) {
			spex_avgpool_f32(&L->u.pool, x, y);
			break;
		}
#endif
		spex_avgpool_i8(&L->u.pool, x, y);
		break;
	case SPX_LAYER_RELU:
#if SPEX_CORE_FLOAT
		if (j->f32) {
			spex_relu_f32(x, y, L->out_size);
			break;
		}
#endif
		spex_relu_i8(x, y, L->out_size, L->out_zp);
		break;
	default: /* SPX_LAYER_FLATTEN */
		out = x;
		break;
	}
	res->macs += L->macs;
	res->weight_bytes += L->weight_bytes;
	res->act_bytes += L->act_bytes;
	res->layers_run++;
	if (j->ex && j->ex->layer_done) {
		struct spex_layer_event ev = {
			.layer = idx,
			.branch = L->branch,
			.type = L->type,
			.macs = L->macs,
			.weight_bytes = L->weight_bytes,
			.act_bytes = L->act_bytes,
		};

		j->ex->layer_done(j->ex->priv, &ev);
	}
	return out;
}

/* Which of two ping-pong buffers is not holding cur. */
static void *other(u8 *a, u8 *b, const void *cur)
{
	return cur == a ? b : a;
}

static void classify(const struct job *j, const void *logits, u32 policy,
		     const u32 *lut, u32 scale_q16, struct spex_conf *c)
{
	u32 n = j->m->desc.n_classes;

#if SPEX_CORE_FLOAT
	if (j->f32) {
		spex_policy_f32(logits, n, policy, c);
		return;
	}
#endif
	spex_policy_i8(logits, n, policy, lut, scale_q16, c);
}

/* Run exit e's branch on the main activation x; true if it is taken. */
static bool run_exit(const struct job *j, const struct spex_policy *pol,
		     u32 e, const void *x)
{
	const struct spex_rt_exit *x_e = &j->m->exits[e];
	struct spex_result *res = j->res;
	const void *cur = x;
	struct spex_conf c;
	u32 i, thr;
	bool taken;

	for (i = x_e->first_layer; i < x_e->first_layer + x_e->n_layers; i++)
		cur = run_layer(j, i, cur, other(j->buf[2], j->buf[3], cur));
	classify(j, cur, x_e->policy, x_e->lut, x_e->logit_scale_q16, &c);
	thr = pol && pol->n_thresholds ? pol->threshold_q16[e] :
	      x_e->threshold_q16;
	taken = (!pol || pol->mode != SPEX_MODE_FORCE_OFFLOAD) &&
		c.confidence_q16 >= thr;
	res->exit_index = e;
	res->class_id = c.class_id;
	res->confidence_q16 = c.confidence_q16;
	if (j->ex && j->ex->exit_done) {
		struct spex_exit_event ev = {
			.exit = e,
			.class_id = c.class_id,
			.confidence_q16 = c.confidence_q16,
			.threshold_q16 = thr,
			.taken = taken,
		};

		j->ex->exit_done(j->ex->priv, &ev);
	}
	return taken;
}

int spex_policy_check(const struct spex_model *m,
		      const struct spex_policy *pol)
{
	u32 e;

	if (pol->mode > SPEX_MODE_FORCE_OFFLOAD ||
	    pol->net_mode > SPEX_NET_ADAPTIVE || pol->rttvar_k > SPEX_NET_MAX_K)
		return SPEX_E_POLICY;
	/* CONFIDENCE is the old policy: its net fields stay 0; the others
	 * need a deadline */
	if (pol->net_mode == SPEX_NET_CONFIDENCE ?
	    pol->rttvar_k || pol->deadline_us :
	    !pol->deadline_us || pol->deadline_us > SPEX_NET_MAX_DEADLINE_US)
		return SPEX_E_POLICY;
	if (pol->n_thresholds && pol->n_thresholds != m->desc.n_exits)
		return SPEX_E_POLICY;
	for (e = 0; e < SPX_MAX_EXITS; e++) {
		if (e >= pol->n_thresholds && pol->threshold_q16[e])
			return SPEX_E_POLICY;
		if (pol->threshold_q16[e] > SPX_Q16_ONE)
			return SPEX_E_POLICY;
	}
	/* A head with no exit cannot answer locally. */
	if (pol->mode == SPEX_MODE_FORCE_LOCAL &&
	    m->desc.role == SPX_ROLE_HEAD && !m->desc.n_exits)
		return SPEX_E_POLICY;
	return SPEX_OK;
}

static int finish(struct spex_result *res, int status)
{
	res->status = status;
	return status;
}

int spex_run(const struct spex_model *m, const struct spex_policy *pol,
	     const struct spex_exec *ex, void *scratch,
	     const void *input, size_t in_len, void *out, size_t out_cap,
	     struct spex_result *res)
{
	const struct spex_model_desc *mi = &m->desc;
	struct job j = { .m = m, .ex = ex, .res = res };
	const void *cur = input;
	u8 *s = scratch;
	u32 i, e = 0;
	int st;

	memset(res, 0, sizeof(*res));
	res->exit_index = SPEX_NO_EXIT;
	if (pol) {
		st = spex_policy_check(m, pol);
		if (st)
			return finish(res, st);
	}
	if (!input || in_len != mi->input_bytes)
		return finish(res, SPEX_E_INPUT);
	if (out && out_cap < mi->output_bytes)
		return finish(res, SPEX_E_OUTPUT);

	j.k = ex && ex->kernels ? ex->kernels : spex_kernels_best();
	j.f32 = mi->dtype == SPX_DTYPE_F32;
	for (i = 0; i < 4; i++)
		j.buf[i] = s + i * m->act_bytes;
	j.stage = s + 4 * m->act_bytes;
	j.acc = (s32 *)(s + 4 * m->act_bytes + m->stage_bytes);

	for (i = 0; i < mi->n_main; i++) {
		cur = run_layer(&j, i, cur, other(j.buf[0], j.buf[1], cur));
		for (; e < mi->n_exits && m->exits[e].after_layer == i; e++) {
			if (run_exit(&j, pol, e, cur)) {
				res->decision = SPEX_DECISION_EXIT;
				return finish(res, SPEX_OK);
			}
		}
		/* Force-local on a head: the last exit's answer stands, and
		 * the rest of the head is never computed. */
		if (pol && pol->mode == SPEX_MODE_FORCE_LOCAL &&
		    mi->role == SPX_ROLE_HEAD && e == mi->n_exits) {
			res->decision = SPEX_DECISION_EXIT;
			res->flags |= SPEX_RF_FORCED | SPEX_RF_LOW_CONF;
			return finish(res, SPEX_OK);
		}
	}

	if (mi->role == SPX_ROLE_HEAD) {
		res->decision = SPEX_DECISION_OFFLOAD;
		if (pol && pol->mode == SPEX_MODE_FORCE_OFFLOAD)
			res->flags |= SPEX_RF_FORCED;
		if (out) {
			memcpy(out, cur, mi->output_bytes);
			res->bottleneck_len = mi->output_bytes;
		}
		return finish(res, SPEX_OK);
	}

	{
		struct spex_conf c;

		classify(&j, cur, SPX_POLICY_MAX_SOFTMAX, m->final_lut,
			 m->final_logit_scale_q16, &c);
		res->decision = SPEX_DECISION_FINAL;
		res->exit_index = SPEX_NO_EXIT;
		res->class_id = c.class_id;
		res->confidence_q16 = c.confidence_q16;
		if (out)
			memcpy(out, cur, mi->output_bytes);
	}
	return finish(res, SPEX_OK);
}

const char *spex_kernels_impl_name(const struct spex_kernels *k)
{
	return k->name;
}
