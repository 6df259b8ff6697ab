// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Offload through spex-serve on 127.0.0.1: the round trip equals the
 * whole network run in one process, and every fault (server not running,
 * killed mid-job, garbage, silence, half answers, hash mismatch, clients
 * that disconnect mid-frame or send junk) ends each job exactly once
 * with the documented origin and tail_err. No test asserts a duration.
 */
#include <endian.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lt.h"
#include "spex_test.h"
#include <spex/wire.h>

/*
 * A killed server's listening socket may outlive the process for a
 * moment (its io_uring is torn down asynchronously), so a connection
 * made then is accepted and reset: "gone" is refused or reset.
 */
#define WANT_GONE	1

static struct lt_split S;
static char *tail_path, *bad_tail_path;
static int backend = SPEX_BACKEND_USER;
static unsigned int open_flags;

static struct spex *open_head(u32 *id, unsigned int port, u32 deadline_ms,
			      u32 conns)
{
	struct spex_open_opts o = { .backend = (u32)backend, .flags = open_flags, .queue_depth = 64 };
	struct spex_offload_opts off = { .host = "127.0.0.1", .port = (u16)port,
					 .deadline_ms = deadline_ms,
					 .max_conns = conns };
	struct spex *h = NULL;
	int ret;

	CHECK_EQ(spex_open(&o, &h), 0);
	ret = spex_load_blob(h, S.head_blob, S.head_len, id, NULL);
	CHECK(ret == 0, "%s", spex_strerror(ret));
	ret = spex_set_offload(h, *id, &off);
	CHECK(ret == 0, "%s", spex_strerror(ret));
	return h;
}

static void force_offload(struct spex *h, u32 id)
{
	struct spex_policy pol = { .mode = SPEX_MODE_FORCE_OFFLOAD };

	CHECK_EQ(spex_set_model_policy(h, id, &pol), 0);
}

/*
 * Submit n jobs on inputs seed0.., reap them all; every job must appear
 * once. want_origin 0: check against the split (EXIT local, else TAIL
 * with the full network's answer); else every job has that origin and
 * tail_err, with the head's best guess.
 */
static void run_batch(struct spex *h, u32 id, u32 n, u32 seed0,
		      u32 want_origin, int want_err, bool forced)
{
	static s8 in[256][64];
	static int seen[256];
	struct spex_completion c[256];
	struct spex_req r[256];
	struct spex_policy pol = { .mode = SPEX_MODE_FORCE_OFFLOAD };
	u32 tails = 0, locals = 0;
	int got = 0;

	memset(seen, 0, sizeof(seen));
	for (u32 i = 0; i < n; i++) {
		lt_input(&S, seed0 + i, in[i]);
		r[i] = (struct spex_req){ .model_id = id, .input = in[i],
					  .input_len = S.in_bytes,
					  .user_data = 5000 + i };
	}
	/* more jobs than the queue holds: submit as room frees up */
	for (u32 next = 0, k; next < n || spex_in_flight(h);) {
		if (next < n) {
			int ret = spex_submit(h, r + next, n - next);

			CHECK(ret > 0 || ret == -EBUSY, "submit: %d", ret);
			if (ret > 0)
				next += (u32)ret;
		}
		k = (u32)spex_reap(h, c + got, n - (u32)got, 1, -1);
		if ((int)k < 0)
			break;
		got += (int)k;
		if (next == n && !spex_in_flight(h))
			break;
	}
	CHECK_EQ(got, n);
	CHECK_EQ(spex_in_flight(h), 0);
	for (int k = 0; k < got; k++) {
		u64 i = c[k].user_data - 5000;
		struct spex_result head, full;

		CHECK(i < n);
		if (i >= n)
			continue;
		seen[i]++;
		CHECK_EQ(c[k].res, 0);
		lt_run_head(&S, forced ? &pol : NULL, in[i], &head, NULL);
		if (want_origin) {
			CHECK_EQ(c[k].origin, want_origin);
			if (want_err == WANT_GONE)
				CHECK(c[k].tail_err == -ECONNREFUSED ||
				      c[k].tail_err == -ECONNRESET ||
				      c[k].tail_err == -EPIPE,
				      "tail_err %d", c[k].tail_err);
			else
				CHECK_EQ(c[k].tail_err, want_err);
			CHECK_EQ(c[k].result.decision, SPEX_DECISION_OFFLOAD);
			CHECK_EQ(c[k].result.class_id, head.class_id);
			CHECK(c[k].result.flags & SPEX_RF_FALLBACK);
			continue;
		}
		if (head.decision == SPEX_DECISION_EXIT) {
			locals++;
			CHECK_EQ(c[k].origin, SPEX_ORIGIN_LOCAL);
			CHECK_EQ(c[k].result.class_id, head.class_id);
			continue;
		}
		tails++;
		lt_run_full(&S, in[i], &full);
		CHECK_EQ(c[k].origin, SPEX_ORIGIN_TAIL);
		CHECK_EQ(c[k].tail_err, 0);
		CHECK_EQ(c[k].result.decision, SPEX_DECISION_OFFLOAD);
		CHECK_EQ(c[k].result.class_id, full.class_id);
		CHECK_EQ(c[k].result.confidence_q16, full.confidence_q16);
		CHECK(!(c[k].result.flags & SPEX_RF_FALLBACK));
	}
	for (u32 i = 0; i < n; i++)
		CHECK_EQ(seen[i], 1);
	if (!want_origin)
		CHECK(tails > 0 && (forced || locals > 0), "tails %u locals %u",
		      tails, locals);
}

/* The round trip equals the whole network in one process. */
TEST(round_trip_equals_full_network)
{
	struct lt_server sv;
	struct spex_handle_stats st;
	struct spex *h;
	u32 id;

	CHECK_EQ(lt_serve_start(&sv, tail_path, 2), 0);
	h = open_head(&id, sv.port, 10000, 4);
	run_batch(h, id, 200, 100, 0, 0, false);	/* exit-or-offload */
	force_offload(h, id);
	run_batch(h, id, 64, 400, 0, 0, true);		/* all offload */
	spex_get_stats(h, &st);
	CHECK(st.conns_opened <= 4 + st.retries);	/* the pool is reused */
	CHECK(st.conn_reuses > 0);
	CHECK_EQ(st.fallbacks, 0);

	/* spex_infer() through the tail */
	{
		s8 in[64];
		struct spex_completion c;
		struct spex_result full;
		struct spex_req r = { .model_id = id, .input = in,
				      .input_len = S.in_bytes, .user_data = 9 };

		lt_input(&S, 1234, in);
		lt_run_full(&S, in, &full);
		CHECK_EQ(spex_infer(h, &r, &c), 0);
		CHECK_EQ(c.origin, SPEX_ORIGIN_TAIL);
		CHECK_EQ(c.result.class_id, full.class_id);
		CHECK_EQ(c.user_data, 9);
	}
	/* SPEX_REQ_NO_OFFLOAD keeps the bottleneck local */
	{
		s8 in[64];
		u8 out[64];
		struct spex_completion c;
		struct spex_req r = { .model_id = id, .input = in,
				      .input_len = S.in_bytes, .output = out,
				      .output_len = sizeof(out),
				      .flags = SPEX_REQ_NO_OFFLOAD };

		lt_input(&S, 99, in);
		CHECK_EQ(spex_infer(h, &r, &c), 0);
		CHECK_EQ(c.origin, SPEX_ORIGIN_BOTTLENECK);
	}
	spex_close(h);
	CHECK_EQ(lt_serve_stop(&sv), 0);	/* SIGTERM: clean exit 0 */
}

/* SPEX_REQ_BOTTLENECK: a bottleneck computed elsewhere (the edge
 * datapath) goes to the tail alone and gets the whole network's answer;
 * without a tail, or with a dead one, it still completes exactly once. */
TEST(bottleneck_only_job)
{
	struct spex_policy pol = { .mode = SPEX_MODE_FORCE_OFFLOAD };
	struct lt_server sv;
	struct spex *h;
	u32 id;

	CHECK_EQ(lt_serve_start(&sv, tail_path, 2), 0);
	h = open_head(&id, sv.port, 10000, 2);
	for (u32 i = 0; i < 16; i++) {
		s8 in[64];
		u8 bn[4096];
		struct spex_result head, full;
		struct spex_completion c;
		struct spex_req r = { .model_id = id, .input = bn,
				      .flags = SPEX_REQ_BOTTLENECK,
				      .user_data = 77 + i };

		lt_input(&S, 600 + i, in);
		lt_run_head(&S, &pol, in, &head, bn);
		lt_run_full(&S, in, &full);
		r.input_len = head.bottleneck_len;
		CHECK_EQ(spex_infer(h, &r, &c), 0);
		CHECK_EQ(c.origin, SPEX_ORIGIN_TAIL);
		CHECK_EQ(c.user_data, 77 + i);
		CHECK_EQ(c.result.decision, SPEX_DECISION_OFFLOAD);
		CHECK_EQ(c.result.class_id, full.class_id);
		CHECK_EQ(c.result.confidence_q16, full.confidence_q16);
	}
	{
		u8 bn[8] = { 0 };
		struct spex_completion c;
		struct spex_req r = { .model_id = id, .input = bn,
				      .input_len = sizeof(bn),
				      .flags = SPEX_REQ_BOTTLENECK |
					       SPEX_REQ_NO_OFFLOAD };

		CHECK_EQ(spex_infer(h, &r, &c), -EINVAL);
		r.flags = SPEX_REQ_BOTTLENECK;
		CHECK_EQ(spex_set_offload(h, id, NULL), 0);
		CHECK_EQ(spex_infer(h, &r, &c), -EDESTADDRREQ);
	}
	spex_close(h);
	CHECK_EQ(lt_serve_stop(&sv), 0);

	h = open_head(&id, lt_dead_port(), 10000, 2);
	{
		u8 bn[16] = { 0 };
		struct spex_completion c;
		struct spex_req r = { .model_id = id, .input = bn,
				      .input_len = sizeof(bn),
				      .flags = SPEX_REQ_BOTTLENECK };

		CHECK_EQ(spex_infer(h, &r, &c), 0);
		CHECK_EQ(c.origin, SPEX_ORIGIN_FALLBACK);
		CHECK_EQ(c.tail_err, -ECONNREFUSED);
		CHECK(c.result.flags & SPEX_RF_FALLBACK);
	}
	spex_close(h);
}

TEST(server_not_running)
{
	u32 id;
	struct spex *h = open_head(&id, lt_dead_port(), 10000, 2);

	force_offload(h, id);
	run_batch(h, id, 16, 7, SPEX_ORIGIN_FALLBACK, -ECONNREFUSED, true);
	spex_close(h);
}

/* A pooled connection to a server that dies: the job retries once on a
 * fresh connection, is refused, and falls back. */
TEST(server_killed_between_jobs)
{
	struct lt_server sv;
	struct spex_handle_stats st;
	u32 id;
	struct spex *h;

	CHECK_EQ(lt_serve_start(&sv, tail_path, 1), 0);
	h = open_head(&id, sv.port, 10000, 2);
	force_offload(h, id);
	run_batch(h, id, 8, 11, 0, 0, true);
	lt_serve_kill(&sv);
	run_batch(h, id, 8, 21, SPEX_ORIGIN_FALLBACK, WANT_GONE, true);
	spex_get_stats(h, &st);
	CHECK(st.retries > 0);
	spex_close(h);
}

/* The server reads the request and resets the connection. */
TEST(server_dies_mid_job)
{
	struct lt_fake f;
	u32 id;
	struct spex *h;

	CHECK_EQ(lt_fake_start(&f, LT_FAKE_CLOSE), 0);
	h = open_head(&id, f.port, 10000, 1);
	force_offload(h, id);
	run_batch(h, id, 6, 31, SPEX_ORIGIN_FALLBACK, -ECONNRESET, true);
	spex_close(h);
	lt_fake_stop(&f);
	CHECK(f.requests >= 6);
}

TEST(server_answers_garbage)
{
	struct lt_fake f;
	u32 id;
	struct spex *h;

	CHECK_EQ(lt_fake_start(&f, LT_FAKE_GARBAGE), 0);
	h = open_head(&id, f.port, 10000, 2);
	force_offload(h, id);
	run_batch(h, id, 6, 41, SPEX_ORIGIN_FALLBACK, -EBADMSG, true);
	spex_close(h);
	lt_fake_stop(&f);
}

TEST(server_answers_half)
{
	struct lt_fake f;
	u32 id;
	struct spex *h;

	CHECK_EQ(lt_fake_start(&f, LT_FAKE_HALF), 0);
	h = open_head(&id, f.port, 10000, 1);
	force_offload(h, id);
	run_batch(h, id, 4, 51, SPEX_ORIGIN_FALLBACK, -ECONNRESET, true);
	spex_close(h);
	lt_fake_stop(&f);
}

/* A server that never answers: the deadline ends every job, including
 * those still waiting for one of the two connections. */
TEST(server_silent_deadline)
{
	struct lt_fake f;
	u32 id;
	struct spex *h;

	CHECK_EQ(lt_fake_start(&f, LT_FAKE_SILENT), 0);
	h = open_head(&id, f.port, 100, 2);
	force_offload(h, id);
	run_batch(h, id, 10, 61, SPEX_ORIGIN_FALLBACK, -ETIMEDOUT, true);
	/* the handle still works, and closes with nothing in flight; the
	 * tail is down now: answered here at once (one of them a probe) */
	run_batch(h, id, 3, 71, SPEX_ORIGIN_FALLBACK, -EHOSTDOWN, true);
	spex_close(h);
	lt_fake_stop(&f);
}

TEST(hash_mismatch)
{
	struct lt_server sv;
	u32 id;
	struct spex *h;

	CHECK_EQ(lt_serve_start(&sv, bad_tail_path, 1), 0);
	h = open_head(&id, sv.port, 10000, 2);
	force_offload(h, id);
	run_batch(h, id, 8, 81, SPEX_ORIGIN_FALLBACK, -ESTALE, true);
	spex_close(h);
	CHECK_EQ(lt_serve_stop(&sv), 0);
}

static int read_resp(int fd, struct spex_wire_resp *r)
{
	return lt_read_full(fd, r, sizeof(*r)) ? 0 : -1;
}

static bool at_eof(int fd)
{
	char b;

	return read(fd, &b, 1) == 0;
}

/*
 * Clients that misbehave on spex-serve (one worker, so they share it with
 * the good client): one stops mid-header, one mid-payload, one holds a
 * half frame open, one sends junk, one a wrong length. The junk ones get
 * an error reply and EOF; the library's jobs are answered throughout.
 */
TEST(serve_survives_bad_clients)
{
	struct lt_server sv;
	struct spex_wire_req q = { 0 };
	struct spex_wire_resp resp;
	u8 frame[64 + 256];
	int fd, held;
	u32 id;
	struct spex *h;

	CHECK_EQ(lt_serve_start(&sv, tail_path, 1), 0);

	/* disconnect mid-header */
	fd = lt_connect(sv.port);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "SPXQ\1\0", 6), 6);
	close(fd);

	/* a valid header, then disconnect mid-payload */
	q.magic = htole32(SPEX_WIRE_REQ_MAGIC);
	q.version = htole16(SPEX_WIRE_VERSION);
	q.type = htole16(SPEX_WIRE_INFER);
	q.request_id = htole64(77);
	memcpy(q.model_hash, S.full.wm.hash, SPX_HASH_LEN);
	q.payload_len = htole32(S.bneck_bytes);
	memset(frame, 3, sizeof(frame));
	q.crc32 = htole32(spex_wire_req_crc(&q, frame + 64, S.bneck_bytes));
	memcpy(frame, &q, sizeof(q));
	fd = lt_connect(sv.port);
	CHECK_EQ(write(fd, frame, 64 + S.bneck_bytes / 2), 64 + S.bneck_bytes / 2);
	close(fd);

	/* a slow client parks half a frame and keeps the connection */
	held = lt_connect(sv.port);
	CHECK_EQ(write(held, frame, 40), 40);

	/* the library is served meanwhile */
	h = open_head(&id, sv.port, 10000, 2);
	force_offload(h, id);
	run_batch(h, id, 16, 91, 0, 0, true);

	/* a whole valid frame from a raw client is answered */
	fd = lt_connect(sv.port);
	CHECK_EQ(write(fd, frame, 64 + S.bneck_bytes), 64 + S.bneck_bytes);
	CHECK_EQ(read_resp(fd, &resp), 0);
	CHECK_EQ(le16toh(resp.status), SPEX_WS_OK);
	CHECK_EQ(le64toh(resp.request_id), 77);
	CHECK_EQ(le32toh(resp.crc32), spex_wire_resp_crc(&resp));
	/* ... then a bad CRC on the same connection: error reply, close */
	frame[64] ^= 1;
	CHECK_EQ(write(fd, frame, 64 + S.bneck_bytes), 64 + S.bneck_bytes);
	CHECK_EQ(read_resp(fd, &resp), 0);
	CHECK_EQ(le16toh(resp.status), SPEX_WS_BAD_FRAME);
	CHECK(at_eof(fd));
	close(fd);
	frame[64] ^= 1;

	/* junk: error reply, close */
	fd = lt_connect(sv.port);
	memset(frame, 0x5a, 64);
	CHECK_EQ(write(fd, frame, 64), 64);
	CHECK_EQ(read_resp(fd, &resp), 0);
	CHECK_EQ(le16toh(resp.status), SPEX_WS_BAD_FRAME);
	CHECK(at_eof(fd));
	close(fd);

	/* wrong version, wrong length */
	fd = lt_connect(sv.port);
	q.version = htole16(99);
	CHECK_EQ(write(fd, &q, 64), 64);
	CHECK_EQ(read_resp(fd, &resp), 0);
	CHECK_EQ(le16toh(resp.status), SPEX_WS_VERSION);
	CHECK(at_eof(fd));
	close(fd);
	fd = lt_connect(sv.port);
	q.version = htole16(SPEX_WIRE_VERSION);
	q.payload_len = htole32(1u << 30);
	CHECK_EQ(write(fd, &q, 64), 64);
	CHECK_EQ(read_resp(fd, &resp), 0);
	CHECK_EQ(le16toh(resp.status), SPEX_WS_LENGTH);
	CHECK(at_eof(fd));
	close(fd);

	/* and the library is still served, with the slow client parked */
	run_batch(h, id, 16, 191, 0, 0, true);
	spex_close(h);
	CHECK_EQ(lt_serve_stop(&sv), 0);	/* clean, with held open */
	close(held);
}

/* Jobs in flight over many connections while the server is stopped:
 * each completes exactly once, answered or fallen back. */
TEST(server_stops_with_jobs_in_flight)
{
	struct lt_server sv;
	struct spex_completion c[128];
	struct spex_req r[128];
	static s8 in[128][64];
	int seen[128] = { 0 };
	u32 id;
	struct spex *h;
	int got;

	CHECK_EQ(lt_serve_start(&sv, tail_path, 2), 0);
	h = open_head(&id, sv.port, 2000, 8);
	force_offload(h, id);
	for (u32 i = 0; i < 128; i++) {
		lt_input(&S, 300 + i, in[i]);
		r[i] = (struct spex_req){ .model_id = id, .input = in[i],
					  .input_len = S.in_bytes,
					  .user_data = i };
	}
	CHECK_EQ(spex_submit(h, r, 32), 32);
	lt_serve_kill(&sv);
	CHECK_EQ(spex_submit(h, r + 32, 32), 32);
	got = lt_reap_all(h, c, 64);
	CHECK_EQ(got, 64);
	CHECK_EQ(spex_submit(h, r + 64, 64), 64);
	got += lt_reap_all(h, c + 64, 64);
	CHECK_EQ(got, 128);
	for (int k = 0; k < got; k++) {
		CHECK(c[k].user_data < 128);
		seen[c[k].user_data]++;
		CHECK_EQ(c[k].res, 0);
		CHECK(c[k].origin == SPEX_ORIGIN_TAIL ||
		      c[k].origin == SPEX_ORIGIN_FALLBACK);
		if (c[k].origin == SPEX_ORIGIN_FALLBACK)
			CHECK(c[k].tail_err < 0);
	}
	for (int i = 0; i < 128; i++)
		CHECK_EQ(seen[i], 1);
	spex_close(h);
}

static void setup(void) __attribute__((constructor));
static void setup(void)
{
	const char *b = getenv("SPEX_TEST_BACKEND");

	if (b && !strcmp(b, "device"))
		backend = SPEX_BACKEND_DEVICE;
	if (getenv("SPEX_TEST_NO_URING"))
		open_flags = SPEX_OPEN_NO_URING;
	lt_setup_tails(&S, &tail_path, &bad_tail_path);
}

TEST_MAIN(T(round_trip_equals_full_network), T(bottleneck_only_job),
	  T(server_not_running),
	  T(server_killed_between_jobs), T(server_dies_mid_job),
	  T(server_answers_garbage), T(server_answers_half),
	  T(server_silent_deadline), T(hash_mismatch),
	  T(serve_survives_bad_clients), T(server_stops_with_jobs_in_flight))
