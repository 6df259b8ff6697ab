// SPDX-License-Identifier: MIT OR GPL-2.0
/* The network-aware offload decision: estimator, down/probe, the modes. */
#include <spex/engine.h>
#include "spex_test.h"

static struct spex_net_frame frame(u32 mode, u32 deadline_us)
{
	struct spex_net_frame f = {
		.decision = SPEX_DECISION_OFFLOAD, .net_mode = mode,
		.deadline_us = deadline_us, .conf_q16 = 30000,
		.thr_q16 = 60000, .bytes = 100,
	};
	return f;
}

TEST(rtt_estimator_is_rfc6298)
{
	struct spex_net_tail t;
	double srtt, rttvar;
	u32 r[] = { 1000, 3000, 500, 500, 8000, 1200, 1100 };

	spex_net_init(&t, NULL);
	CHECK_EQ(spex_net_predict_us(&t, 4), U32_MAX);
	/* the tail's own time is not network time */
	spex_net_answer(&t, 10, r[0] + 200, 200, 100, false);
	srtt = r[0];
	rttvar = r[0] / 2.0;
	CHECK_EQ(t.srtt8 >> 3, 1000);
	CHECK_EQ(t.rttvar4 >> 2, 500);
	CHECK_EQ(spex_net_predict_us(&t, 4), 1000 + 4 * 500 + 200);
	for (unsigned int i = 1; i < sizeof(r) / sizeof(r[0]); i++) {
		spex_net_answer(&t, 10 + i, r[i], 0, 100, false);
		rttvar = 0.75 * rttvar + 0.25 * (srtt > r[i] ? srtt - r[i] :
						 r[i] - srtt);
		srtt = 0.875 * srtt + 0.125 * r[i];
		CHECK((t.srtt8 >> 3) >= srtt - 2 && (t.srtt8 >> 3) <= srtt + 2,
		      "srtt %u vs %.1f", t.srtt8 >> 3, srtt);
		CHECK((t.rttvar4 >> 2) >= rttvar - 2 &&
		      (t.rttvar4 >> 2) <= rttvar + 2,
		      "rttvar %u vs %.1f", t.rttvar4 >> 2, rttvar);
	}
	CHECK_EQ(t.samples, 7);
	/* k = 0 is the default k */
	CHECK_EQ(spex_net_predict_us(&t, 0), spex_net_predict_us(&t, 4));
	CHECK(spex_net_predict_us(&t, 1) < spex_net_predict_us(&t, 8), "k");
}

TEST(confidence_mode_offloads_until_down_then_probes)
{
	struct spex_net_cfg cfg = { .down_after = 3, .probe_us = 1000 };
	struct spex_net_frame f = frame(SPEX_NET_CONFIDENCE, 0);
	struct spex_net_tail t;
	u64 now = 1;

	spex_net_init(&t, &cfg);
	f.decision = SPEX_DECISION_EXIT;
	CHECK_EQ(spex_net_decide(&t, now, &f), SPEX_NET_R_CONFIDENT);
	f.decision = SPEX_DECISION_OFFLOAD;
	/* (a) needs no estimate */
	CHECK_EQ(spex_net_decide(&t, now, &f), SPEX_NET_R_OFFLOAD);
	/* two timeouts, an answer: the count starts again */
	spex_net_timeout(&t, now, false);
	spex_net_timeout(&t, now, false);
	spex_net_answer(&t, now, 500, 0, 100, false);
	spex_net_timeout(&t, now, false);
	spex_net_timeout(&t, now, false);
	CHECK(!t.down, "an answer resets the count");
	spex_net_timeout(&t, now = 100, false);
	CHECK(t.down, "down after K consecutive timeouts");
	CHECK(t.loss_q16 > 0, "loss counted");
	/* down: answered here, no wait; one probe once the gap passed */
	CHECK_EQ(spex_net_decide(&t, 200, &f), SPEX_NET_R_DOWN);
	CHECK_EQ(spex_net_decide(&t, 1100, &f), SPEX_NET_R_PROBE);
	CHECK_EQ(spex_net_decide(&t, 1101, &f), SPEX_NET_R_DOWN);
	/* the probe times out: the next one waits twice as long */
	spex_net_timeout(&t, 2000, true);
	CHECK_EQ(spex_net_decide(&t, 2999, &f), SPEX_NET_R_DOWN);
	CHECK_EQ(spex_net_decide(&t, 3000, &f), SPEX_NET_R_PROBE);
	spex_net_timeout(&t, 3000, true);
	CHECK_EQ(spex_net_decide(&t, 4999, &f), SPEX_NET_R_DOWN);
	CHECK_EQ(spex_net_decide(&t, 5000, &f), SPEX_NET_R_PROBE);
	/* it answers: back up, offloads again */
	spex_net_answer(&t, 5100, 100, 0, 100, true);
	CHECK(!t.down && !t.probing, "up");
	CHECK_EQ(spex_net_decide(&t, 5101, &f), SPEX_NET_R_OFFLOAD);
	CHECK_EQ(t.by_reason[SPEX_NET_R_PROBE], 3);
	CHECK_EQ(t.by_reason[SPEX_NET_R_DOWN], 4);
	CHECK_EQ(t.by_reason[SPEX_NET_R_OFFLOAD], 2);
	CHECK_EQ(t.by_reason[SPEX_NET_R_CONFIDENT], 1);
	CHECK_EQ(t.bytes_sent, 5 * 100);
}

TEST(probe_gap_stops_doubling)
{
	struct spex_net_cfg cfg = { .down_after = 1, .probe_us = 1000 };
	struct spex_net_frame f = frame(SPEX_NET_CONFIDENCE, 0);
	struct spex_net_tail t;
	u64 now = 0;

	spex_net_init(&t, &cfg);
	spex_net_timeout(&t, now, false);
	for (int i = 0; i < 20; i++) {
		now = t.next_probe_us;
		CHECK_EQ(spex_net_decide(&t, now, &f), SPEX_NET_R_PROBE);
		spex_net_timeout(&t, now, true);
		CHECK(t.probe_gap_us <= SPEX_NET_MAX_PROBE_US, "%u",
		      t.probe_gap_us);
	}
	CHECK_EQ(t.next_probe_us - now, SPEX_NET_MAX_PROBE_US);
}

TEST(deadline_mode_offloads_only_what_fits)
{
	struct spex_net_cfg cfg = { .probe_us = 1000 };
	struct spex_net_frame f = frame(SPEX_NET_DEADLINE, 30000);
	struct spex_net_tail t;

	spex_net_init(&t, &cfg);
	/* no estimate yet: one probe, the rest answered here */
	CHECK_EQ(spex_net_decide(&t, 0, &f), SPEX_NET_R_PROBE);
	CHECK_EQ(spex_net_decide(&t, 1, &f), SPEX_NET_R_DEADLINE);
	/* 5 ms network + 1 ms tail: 5 + 4 * 2.5 + 1 = 16 ms fits 30 */
	spex_net_answer(&t, 6000, 6000, 1000, 100, true);
	CHECK_EQ(spex_net_predict_us(&t, 4), 16000);
	CHECK_EQ(spex_net_decide(&t, 6001, &f), SPEX_NET_R_OFFLOAD);
	/* ... but not 15 ms left, nor 30 ms with k = 12 */
	f.deadline_us = 15000;
	CHECK_EQ(spex_net_decide(&t, 6002, &f), SPEX_NET_R_DEADLINE);
	f.deadline_us = 30000;
	f.k = 12;
	CHECK_EQ(spex_net_decide(&t, 6003, &f), SPEX_NET_R_DEADLINE);
	f.k = 0;
	/* the link turns slow: 50 ms answers; (b) stops offloading */
	for (int i = 0; i < 20; i++)
		spex_net_answer(&t, 7000 + i, 50000, 0, 100, false);
	CHECK_EQ(spex_net_decide(&t, 7100, &f), SPEX_NET_R_DEADLINE);
	/* a probe once the estimate is probe_us old, then it recovers */
	CHECK_EQ(spex_net_decide(&t, 8100, &f), SPEX_NET_R_PROBE);
	CHECK_EQ(spex_net_decide(&t, 8101, &f), SPEX_NET_R_DEADLINE);
	spex_net_answer(&t, 8200, 300, 0, 100, true);
	for (int i = 0; i < 40; i++)
		spex_net_answer(&t, 8300 + i, 300, 0, 100, false);
	CHECK_EQ(spex_net_decide(&t, 8400, &f), SPEX_NET_R_OFFLOAD);
}

TEST(adaptive_mode_keeps_the_link_budget)
{
	/* 1000 B/s: 131 bytes per 2^17 us window */
	struct spex_net_cfg cfg = { .budget_Bps = 1000 };
	struct spex_net_frame f = frame(SPEX_NET_ADAPTIVE, 30000);
	struct spex_net_tail t;
	u64 w = 1ull << SPEX_NET_WINDOW_SHIFT;

	spex_net_init(&t, &cfg);
	spex_net_answer(&t, 0, 1000, 0, 0, false);
	CHECK_EQ(spex_net_decide(&t, 10, &f), SPEX_NET_R_OFFLOAD);
	CHECK_EQ(spex_net_decide(&t, 11, &f), SPEX_NET_R_BUDGET);
	/* (b) knows no budget */
	f.net_mode = SPEX_NET_DEADLINE;
	CHECK_EQ(spex_net_decide(&t, 12, &f), SPEX_NET_R_OFFLOAD);
	f.net_mode = SPEX_NET_ADAPTIVE;
	/* the next window starts empty */
	CHECK_EQ(spex_net_decide(&t, w + 20, &f), SPEX_NET_R_OFFLOAD);
	CHECK_EQ(t.sent_Bps, (200 * 1000000ull) >> SPEX_NET_WINDOW_SHIFT);
	CHECK(t.thr_drop_q16 > 0, "over budget: the threshold moves down");
}

TEST(adaptive_mode_follows_measured_capacity)
{
	struct spex_net_frame f = frame(SPEX_NET_ADAPTIVE, 30000);
	struct spex_net_tail t;
	u64 w = 1ull << SPEX_NET_WINDOW_SHIFT, now = 0;
	u32 drop_max = 0, sent[8] = { 0 };
	struct spex_net_cfg cfg = { .down_after = 1000 };
	int win;

	spex_net_init(&t, &cfg);
	spex_net_answer(&t, 0, 1000, 0, 0, false);
	/*
	 * 100 frames a window of 100 bytes each with a mix of confidences;
	 * the link delivers at most 20 a window and drops the rest. The
	 * capacity is measured, the threshold moves down until the offloads
	 * fit, and moves back when the link recovers (windows >= 24).
	 * The link drops what is over its capacity: loss, not a down tail.
	 */
	for (win = 0; win < 64; win++) {
		u32 delivered = 0, offl = 0;

		for (int i = 0; i < 100; i++) {
			now = win * w + (u64)i * (w / 100);
			f.conf_q16 = (u32)(i * 600);	/* 0 .. 59400 */
			if (spex_net_decide(&t, now, &f) != SPEX_NET_R_OFFLOAD)
				continue;
			offl++;
			if (win >= 24 || delivered < 20) {
				delivered++;
				spex_net_answer(&t, now + 1, 1000, 0, 100,
						false);
			} else {
				spex_net_timeout(&t, now + 1, false);
			}
		}
		if (t.thr_drop_q16 > drop_max)
			drop_max = t.thr_drop_q16;
		if (getenv("NET_TRACE"))
			printf("# win %d offl %u drop %u cap %llu\n", win, offl,
			       t.thr_drop_q16, (unsigned long long)t.cap_Bps);
		if (win >= 16 && win < 24)
			sent[win - 16] = offl;
	}
	CHECK(t.cap_known, "capacity measured");
	CHECK(drop_max >= 8 * SPEX_NET_THR_STEP_Q16, "drop %u", drop_max);
	for (win = 0; win < 8; win++)
		CHECK(sent[win] <= 40, "window %d offloads %u, link 20",
		      16 + win, sent[win]);
	CHECK_EQ(t.thr_drop_q16, 0);
	CHECK(t.by_reason[SPEX_NET_R_BUDGET] > 0, "budget exits");
}

TEST(names)
{
	u32 v;

	CHECK(!strcmp(spex_name(SPEX_NAMES_NET_REASON, SPEX_NET_R_DOWN),
		      "tail-down"), "reason");
	CHECK_EQ(spex_name_value(SPEX_NAMES_NET_MODE, "adaptive", &v), 0);
	CHECK_EQ(v, SPEX_NET_ADAPTIVE);
	for (v = 0; v < SPEX_NET_R_COUNT; v++)
		CHECK(strcmp(spex_name(SPEX_NAMES_NET_REASON, v), "?"), "%u", v);
}

TEST_MAIN(T(rtt_estimator_is_rfc6298),
	  T(confidence_mode_offloads_until_down_then_probes),
	  T(probe_gap_stops_doubling), T(deadline_mode_offloads_only_what_fits),
	  T(adaptive_mode_keeps_the_link_budget),
	  T(adaptive_mode_follows_measured_capacity), T(names))
