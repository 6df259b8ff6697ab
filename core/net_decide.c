// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The network-aware offload decision: per-tail estimates (RTT as TCP's
 * RTO estimator keeps it, tail time, loss, bytes/s against a budget and
 * a measured capacity, up/down with probes) and the one rule that turns
 * them and a frame's deadline into "offload" or "answer here". Shared by
 * the module (datapath frames) and libspex (app jobs); integers only.
 */
#include <spex/engine.h>

#define Q16_ONE		65536u

void spex_net_init(struct spex_net_tail *t, const struct spex_net_cfg *cfg)
{
	memset(t, 0, sizeof(*t));
	if (cfg)
		t->cfg = *cfg;
	if (!t->cfg.down_after)
		t->cfg.down_after = SPEX_NET_DEFAULT_DOWN;
	if (!t->cfg.probe_us)
		t->cfg.probe_us = SPEX_NET_DEFAULT_PROBE_US;
	t->probe_gap_us = t->cfg.probe_us;
}

u32 spex_net_predict_us(const struct spex_net_tail *t, u32 k)
{
	u64 p;

	if (!t->samples)
		return U32_MAX;
	if (!k)
		k = SPEX_NET_DEFAULT_K;
	p = (u64)(t->srtt8 >> 3) + (u64)k * (t->rttvar4 >> 2) +
	    (t->tail8 >> 3);
	return p > U32_MAX ? U32_MAX : (u32)p;
}

/* bytes per 2^SHIFT us -> bytes per second */
static u64 window_rate(u64 bytes)
{
	return (bytes * 1000000u) >> SPEX_NET_WINDOW_SHIFT;
}

/*
 * The offload rate the link is held to: the budget, and the capacity
 * measured in a window that lost frames; 0 for no limit.
 */
static u64 rate_limit(const struct spex_net_tail *t)
{
	u64 lim = t->cfg.budget_Bps;

	if (t->cap_known && (!lim || t->cap_Bps < lim))
		lim = t->cap_Bps;
	return lim;
}

/* Close the rate window(s) that now_us has left behind. */
static void roll_window(struct spex_net_tail *t, u64 now_us)
{
	u64 span = 1ull << SPEX_NET_WINDOW_SHIFT, lim, demand;

	if (now_us < t->win_start_us + span)
		return;
	if (now_us >= t->win_start_us + 2 * span) {
		/* idle for a whole window: nothing was sent in it */
		t->sent_Bps = t->acked_Bps = 0;
	} else {
		t->sent_Bps = window_rate(t->win_sent);
		t->acked_Bps = window_rate(t->win_acked);
	}
	if (t->win_loss && t->acked_Bps) {
		/* the link dropped frames: what got through is its capacity */
		t->cap_Bps = t->acked_Bps;
		t->cap_known = true;
	} else if (t->cap_known && t->acked_Bps) {
		/* no loss: let the estimate grow back, 1/8 per window */
		t->cap_Bps += (t->cap_Bps >> 3) + 1;
		if (t->acked_Bps > t->cap_Bps)
			t->cap_Bps = t->acked_Bps;
	}
	/*
	 * (c) moves the threshold on the demand: what would have been sent
	 * under the moved threshold, the frames the cap held back included.
	 */
	lim = rate_limit(t);
	demand = now_us >= t->win_start_us + 2 * span ? 0 :
		 window_rate(t->win_demand);
	if (lim && demand > lim) {
		t->thr_drop_q16 += SPEX_NET_THR_STEP_Q16;
		if (t->thr_drop_q16 > Q16_ONE)
			t->thr_drop_q16 = Q16_ONE;
	} else if (!lim || demand < lim - (lim >> 2)) {
		t->thr_drop_q16 = t->thr_drop_q16 > SPEX_NET_THR_STEP_Q16 ?
				  t->thr_drop_q16 - SPEX_NET_THR_STEP_Q16 : 0;
	}
	t->win_start_us = now_us;
	t->win_sent = t->win_acked = t->win_demand = 0;
	t->win_loss = false;
}

/*
 * (c): is the frame confident enough under the moved threshold, or would
 * it take this window past the limit? The threshold does the work (the
 * surest local answers stay here); the cap only catches a burst.
 */
static bool over_budget(struct spex_net_tail *t,
			const struct spex_net_frame *f)
{
	u64 lim = rate_limit(t), per_win;

	if (t->thr_drop_q16 && (u64)f->conf_q16 + t->thr_drop_q16 >= f->thr_q16)
		return true;
	t->win_demand += f->bytes;
	if (!lim)
		return false;
	per_win = spex_div_u64(lim << SPEX_NET_WINDOW_SHIFT, 1000000u);
	return t->win_sent + f->bytes > per_win;
}

static u32 decide(struct spex_net_tail *t, u64 now_us,
		  const struct spex_net_frame *f)
{
	bool can_probe = !t->probing && now_us >= t->next_probe_us;

	if (f->decision != SPEX_DECISION_OFFLOAD)
		return SPEX_NET_R_CONFIDENT;
	if (t->down)
		return can_probe ? SPEX_NET_R_PROBE : SPEX_NET_R_DOWN;
	if (f->net_mode == SPEX_NET_CONFIDENCE)
		return SPEX_NET_R_OFFLOAD;
	/* (b), (c): an unknown tail or one too slow is only measured */
	if (!t->samples)
		return can_probe ? SPEX_NET_R_PROBE : SPEX_NET_R_DEADLINE;
	if (spex_net_predict_us(t, f->k) > f->deadline_us) {
		if (can_probe && now_us >= t->last_sample_us + t->cfg.probe_us)
			return SPEX_NET_R_PROBE;
		return SPEX_NET_R_DEADLINE;
	}
	if (f->net_mode == SPEX_NET_ADAPTIVE && over_budget(t, f))
		return SPEX_NET_R_BUDGET;
	return SPEX_NET_R_OFFLOAD;
}

u32 spex_net_decide(struct spex_net_tail *t, u64 now_us,
		    const struct spex_net_frame *f)
{
	u32 r;

	roll_window(t, now_us);
	r = decide(t, now_us, f);
	if (r == SPEX_NET_R_OFFLOAD || r == SPEX_NET_R_PROBE) {
		t->win_sent += f->bytes;
		t->bytes_sent += f->bytes;
		if (r == SPEX_NET_R_PROBE)
			t->probing = true;
	}
	t->by_reason[r]++;
	return r;
}

void spex_net_answer(struct spex_net_tail *t, u64 now_us, u32 rtt_us,
		     u32 tail_us, u32 bytes, bool probe)
{
	u32 m = rtt_us - (tail_us < rtt_us ? tail_us : rtt_us);

	roll_window(t, now_us);
	if (m > (U32_MAX >> 4))
		m = U32_MAX >> 4;	/* keeps srtt8 and rttvar4 in range */
	if (tail_us > (U32_MAX >> 4))
		tail_us = U32_MAX >> 4;
	if (!t->samples) {
		t->srtt8 = m << 3;
		t->rttvar4 = m << 1;	/* RTTVAR = R / 2 */
		t->tail8 = tail_us << 3;
	} else {
		s64 err = (s64)m - (t->srtt8 >> 3);

		/* SRTT += (R - SRTT) / 8; RTTVAR += (|R - SRTT| - RTTVAR) / 4 */
		t->srtt8 = (u32)((s64)t->srtt8 + err);
		if (err < 0)
			err = -err;
		t->rttvar4 = (u32)((s64)t->rttvar4 + err - (t->rttvar4 >> 2));
		t->tail8 += tail_us - (t->tail8 >> 3);
	}
	t->samples++;
	t->last_sample_us = now_us;
	t->loss_q16 -= t->loss_q16 >> 4;
	t->consec_timeouts = 0;
	t->down = false;
	t->probe_gap_us = t->cfg.probe_us;
	if (probe)
		t->probing = false;
	t->win_acked += bytes;
}

void spex_net_timeout(struct spex_net_tail *t, u64 now_us, bool probe)
{
	roll_window(t, now_us);
	t->timeouts++;
	t->consec_timeouts++;
	t->loss_q16 += (Q16_ONE - t->loss_q16) >> 4;
	t->win_loss = true;
	if (probe) {
		/* still down (or still slow): back off the next probe */
		t->probing = false;
		t->next_probe_us = now_us + t->probe_gap_us;
		t->probe_gap_us = t->probe_gap_us >= SPEX_NET_MAX_PROBE_US / 2 ?
				  SPEX_NET_MAX_PROBE_US : t->probe_gap_us * 2;
	} else if (!t->down && t->consec_timeouts >= t->cfg.down_after) {
		t->down = true;
		t->next_probe_us = now_us + t->probe_gap_us;
	}
}
