// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The network-aware offload decision on libspex's TCP path: a tail that
 * never answers costs one deadline, not one per job, and local exits go
 * on meanwhile; the deadline mode offloads only what fits, a tail killed
 * mid-stream is marked down, and every job completes exactly once. No
 * test asserts a duration: they count how jobs ended.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lt.h"
#include "spex_test.h"

#define N_JOBS	600

static struct lt_split S;
static char *tail_path;
static int backend = SPEX_BACKEND_USER;

static struct spex *open_head(u32 *id, unsigned int port, u32 deadline_ms)
{
	struct spex_open_opts o = { .backend = (u32)backend,
				    .queue_depth = 16 };
	struct spex_offload_opts off = { .host = "127.0.0.1", .port = (u16)port,
					 .deadline_ms = deadline_ms,
					 .max_conns = 4 };
	struct spex *h = NULL;
	int ret;

	CHECK_EQ(spex_open(&o, &h), 0);
	ret = spex_load_blob(h, S.head_blob, S.head_len, id, NULL);
	CHECK(ret == 0, "%s", spex_strerror(ret));
	ret = spex_set_offload(h, *id, &off);
	CHECK(ret == 0, "%s", spex_strerror(ret));
	return h;
}

/* Device models outlive the handle: unload what the test loaded. */
static void close_head(struct spex *h, u32 id)
{
	CHECK_EQ(spex_unload_model(h, id), 0);
	spex_close(h);
}

static void set_net(struct spex *h, u32 id, u32 mode, u32 deadline_us)
{
	struct spex_policy p = { .mode = SPEX_MODE_AUTO, .net_mode = (u16)mode,
				 .deadline_us = deadline_us };

	CHECK_EQ(spex_set_model_policy(h, id, &p), 0);
}

struct tally {
	u32 local, tail, timedout, down, too_late, other, seen_twice;
};

/* n jobs on inputs seed0.., submitted as room frees; each must end once.
 * Tail answers are checked against the whole network. */
static void run(struct spex *h, u32 id, u32 n, u32 seed0, struct tally *t)
{
	static s8 in[N_JOBS][64];
	static u8 seen[N_JOBS];
	struct spex_completion c[64];
	u32 next = 0, done = 0;

	memset(t, 0, sizeof(*t));
	memset(seen, 0, sizeof(seen));
	for (u32 i = 0; i < n; i++)
		lt_input(&S, seed0 + i, in[i]);
	while (done < n) {
		while (next < n) {
			struct spex_req r = { .model_id = id, .input = in[next],
					      .input_len = S.in_bytes,
					      .user_data = next };

			if (spex_submit(h, &r, 1) != 1)
				break;
			next++;
		}
		int got = spex_reap(h, c, 64, 1, -1);

		CHECK(got > 0, "reap %d", got);
		if (got <= 0)
			return;
		for (int k = 0; k < got; k++) {
			u64 i = c[k].user_data;
			struct spex_result full;

			done++;
			CHECK(i < n);
			if (i >= n)
				continue;
			if (seen[i]++)
				t->seen_twice++;
			CHECK_EQ(c[k].res, 0);
			switch (c[k].origin) {
			case SPEX_ORIGIN_LOCAL:
				t->local++;
				break;
			case SPEX_ORIGIN_TAIL:
				t->tail++;
				lt_run_full(&S, in[i], &full);
				CHECK_EQ(c[k].result.class_id, full.class_id);
				break;
			case SPEX_ORIGIN_FALLBACK:
				CHECK(c[k].result.flags & SPEX_RF_FALLBACK);
				if (c[k].tail_err == -ETIMEDOUT)
					t->timedout++;
				else if (c[k].tail_err == -EHOSTDOWN)
					t->down++;
				else if (c[k].tail_err == -ETIME)
					t->too_late++;
				else
					t->other++;
				break;
			default:
				CHECK(0, "origin %u", c[k].origin);
			}
		}
	}
	if (getenv("NET_TRACE"))
		printf("# local %u tail %u timedout %u down %u late %u other %u\n",
		       t->local, t->tail, t->timedout, t->down, t->too_late,
		       t->other);
	CHECK_EQ(t->seen_twice, 0);
	CHECK_EQ(spex_in_flight(h), 0);
}

/*
 * The measurement: a tail that accepts and never answers. Before,
 * every offload waited out its deadline and held a queue slot; now only
 * the jobs sent before the tail was marked down do (at most the slots),
 * the rest are answered at once, and local exits never wait for them.
 */
TEST(silent_tail_costs_one_deadline)
{
	struct spex_tail_stats st;
	struct lt_fake f;
	struct tally t;
	u32 id;
	struct spex *h;

	CHECK_EQ(lt_fake_start(&f, LT_FAKE_SILENT), 0);
	h = open_head(&id, f.port, 200);
	run(h, id, N_JOBS, 1, &t);
	CHECK(t.local > 0, "local exits %u", t.local);
	CHECK(t.down > 0, "down %u", t.down);
	/* 16 deep + 32 waiting on the tail at most, once */
	CHECK(t.timedout <= 48, "%u jobs waited out the deadline", t.timedout);
	CHECK_EQ(t.tail + t.too_late + t.other, 0);
	CHECK_EQ(t.local + t.timedout + t.down, N_JOBS);
	CHECK_EQ(spex_get_tail_stats(h, id, &st), 0);
	CHECK_EQ(st.down, 1);
	CHECK_EQ(st.samples, 0);
	CHECK(st.timeouts >= 3, "%llu", (unsigned long long)st.timeouts);
	CHECK_EQ(st.by_reason[SPEX_NET_R_CONFIDENT], t.local);
	CHECK_EQ(st.by_reason[SPEX_NET_R_OFFLOAD], t.timedout);
	close_head(h, id);
	lt_fake_stop(&f);
}

/* (b) with a deadline the local tail meets: answered by it; with one no
 * network meets (1 us): answered here, flagged, after one probe. */
TEST(deadline_mode_offloads_what_fits)
{
	struct spex_tail_stats st;
	struct lt_server sv;
	struct tally t;
	u32 id;
	struct spex *h;

	CHECK_EQ(lt_serve_start(&sv, tail_path, 1), 0);
	h = open_head(&id, sv.port, 5000);
	set_net(h, id, SPEX_NET_DEADLINE, 5000000);
	/* the tail is unknown until the first probe's answer is reaped */
	for (int i = 0; i < 2000; i++) {
		run(h, id, 20, 100, &t);
		CHECK_EQ(spex_get_tail_stats(h, id, &st), 0);
		if (st.samples)
			break;
		usleep(2000);
	}
	run(h, id, 200, 100, &t);
	CHECK(t.tail > 0 && t.local > 0, "tail %u local %u", t.tail, t.local);
	CHECK_EQ(t.timedout + t.down + t.other, 0);
	CHECK_EQ(spex_get_tail_stats(h, id, &st), 0);
	CHECK(st.samples > 0 && st.predict_us < 5000000, "predict %u",
	      st.predict_us);

	set_net(h, id, SPEX_NET_DEADLINE, 1);
	run(h, id, 200, 400, &t);
	CHECK(t.too_late > 0, "too late %u", t.too_late);
	CHECK_EQ(t.timedout + t.down + t.other, 0);
	CHECK(t.tail <= 1, "tail answers %u (at most a job already sent)",
	      t.tail);
	CHECK_EQ(spex_get_tail_stats(h, id, &st), 0);
	CHECK(st.by_reason[SPEX_NET_R_DEADLINE] > 0, "deadline decisions");
	close_head(h, id);
	CHECK_EQ(lt_serve_stop(&sv), 0);
}

/* (b) on a silent tail: it is never known, so nothing waits for it. */
TEST(deadline_mode_silent_tail_waits_for_nothing)
{
	struct lt_fake f;
	struct tally t;
	u32 id;
	struct spex *h;

	CHECK_EQ(lt_fake_start(&f, LT_FAKE_SILENT), 0);
	h = open_head(&id, f.port, 200);
	set_net(h, id, SPEX_NET_DEADLINE, 30000);
	run(h, id, N_JOBS, 1, &t);
	CHECK_EQ(t.timedout + t.tail + t.other, 0);
	CHECK(t.too_late + t.down > 0 && t.local > 0, "local %u late %u",
	      t.local, t.too_late);
	close_head(h, id);
	lt_fake_stop(&f);
}

/* The tail is killed mid-stream: jobs end once each, the tail goes down. */
TEST(killed_tail_goes_down)
{
	struct spex_tail_stats st;
	struct lt_server sv;
	struct tally t;
	u32 id;
	struct spex *h;

	CHECK_EQ(lt_serve_start(&sv, tail_path, 1), 0);
	h = open_head(&id, sv.port, 2000);
	run(h, id, 100, 700, &t);
	CHECK(t.tail > 0, "tail %u", t.tail);
	lt_serve_kill(&sv);
	run(h, id, N_JOBS, 900, &t);
	CHECK_EQ(t.tail, 0);
	CHECK(t.down > 0, "down %u", t.down);
	CHECK_EQ(spex_get_tail_stats(h, id, &st), 0);
	CHECK_EQ(st.down, 1);
	close_head(h, id);
}

static void setup(void) __attribute__((constructor));
static void setup(void)
{
	const char *b = getenv("SPEX_TEST_BACKEND");

	signal(SIGPIPE, SIG_IGN);
	if (b && !strcmp(b, "device"))
		backend = SPEX_BACKEND_DEVICE;
	if (lt_split_build(&S, 42)) {
		fprintf(stderr, "cannot build the test models\n");
		exit(1);
	}
	tail_path = lt_write_tmp(S.tail_blob, S.tail_len, "tail.spx");
	if (!tail_path)
		exit(1);
}

TEST_MAIN(T(silent_tail_costs_one_deadline),
	  T(deadline_mode_offloads_what_fits),
	  T(deadline_mode_silent_tail_waits_for_nothing),
	  T(killed_tail_goes_down))
