// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * 3 spex-serve backends on 127.0.0.1, reached two ways: through HAProxy
 * (tools/spex-serve/haproxy.cfg, with the test's ports and a fast check
 * interval; skipped when haproxy is not installed, scripts/deps/tail.list)
 * and directly, libspex given the three as one endpoint list. Either
 * way: a backend SIGKILLed mid-run, restarted (it takes load again),
 * SIGTERMed (it drains); behind HAProxy also one serving another model's
 * tail (the PING/PONG check takes it out). Every job is answered exactly
 * once, by a tail or by the flagged fallback.
 */
#include <endian.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lt.h"
#include "spex_test.h"
#include <spex/wire.h>

#define N_BACK	3

static struct lt_split S;
static char *tail_path, *bad_tail_path;
static const char *const serve_opts[] = { "-w", "1", "-s", "0", NULL };

static struct spex *open_head(u32 *id, unsigned int port)
{
	struct spex *h = lt_open_forced(&S, id, port, 6, 10000);

	CHECK(h != NULL);
	return h;
}

/* A handle whose tail is the endpoint list of the three backends. */
static struct spex *open_list(u32 *id, const unsigned int *ports)
{
	struct spex *h = lt_open_forced(&S, id, ports[0], 6, 10000);
	char list[128];
	struct spex_offload_opts off = { .host = list, .port = 1,
					 .deadline_ms = 10000,
					 .max_conns = 6 };

	CHECK(h != NULL);
	snprintf(list, sizeof(list), "127.0.0.1:%u,127.0.0.1:%u,[::ffff:127.0.0.1]:%u",
		 ports[0], ports[1], ports[2]);
	CHECK_EQ(spex_set_offload(h, *id, &off), 0);
	return h;
}

struct tally {
	u32 tail, fallback, stale;
};

/*
 * n jobs, submitted as room frees up; mid (if not NULL) runs once after
 * n/2 submissions. Each job completes once, with the full network's
 * answer from a tail or the head's flagged guess.
 */
static struct tally run_jobs(struct spex *h, u32 id, u32 n, u32 seed,
			     void (*mid)(void *), void *arg)
{
	static s8 in[512][64];
	static int seen[512];
	struct spex_completion c[64];
	struct tally t = { 0 };
	u32 next = 0, done = 0;

	memset(seen, 0, sizeof(seen));
	for (u32 i = 0; i < n; i++)
		lt_input(&S, seed + i, in[i]);
	while (done < n) {
		int k;

		while (next < n && spex_in_flight(h) < 32) {
			struct spex_req r = { .model_id = id, .input = in[next],
					      .input_len = S.in_bytes,
					      .user_data = next };

			if (spex_submit(h, &r, 1) != 1)
				break;
			if (++next == n / 2 && mid)
				mid(arg);
		}
		k = spex_reap(h, c, 64, 1, -1);
		CHECK(k > 0, "reap %d", k);
		if (k <= 0)
			break;
		for (int j = 0; j < k; j++) {
			u64 i = c[j].user_data;
			struct spex_result full;

			CHECK(i < n);
			if (i >= n)
				continue;
			seen[i]++;
			CHECK_EQ(c[j].res, 0);
			if (c[j].origin == SPEX_ORIGIN_TAIL) {
				lt_run_full(&S, in[i], &full);
				CHECK_EQ(c[j].result.class_id, full.class_id);
				t.tail++;
			} else {
				CHECK_EQ(c[j].origin, SPEX_ORIGIN_FALLBACK);
				CHECK(c[j].result.flags & SPEX_RF_FALLBACK);
				CHECK(c[j].tail_err < 0);
				t.stale += c[j].tail_err == -ESTALE;
				t.fallback++;
			}
		}
		done += (u32)k;
	}
	for (u32 i = 0; i < n; i++)
		CHECK_EQ(seen[i], 1);
	return t;
}

static void kill_one(void *arg)
{
	lt_serve_kill(arg);
}

static void term_one(void *arg)
{
	kill(((struct lt_server *)arg)->pid, SIGTERM);
}

/* SIGTERM sv mid-run: it drains and exits 0, nothing is lost; after
 * settle_us the others answer everything. */
static void term_mid_run(struct spex *h, u32 id, struct lt_server *sv,
			 unsigned int settle_us)
{
	struct tally t = run_jobs(h, id, 400, 4000, term_one, sv);
	int status;

	CHECK_EQ(t.tail + t.fallback, 400);
	CHECK(t.tail > 200, "tail %u fallback %u", t.tail, t.fallback);
	CHECK_EQ(waitpid(sv->pid, &status, 0), sv->pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	sv->pid = 0;
	usleep(settle_us);
	t = run_jobs(h, id, 200, 5000, NULL, NULL);
	CHECK_EQ(t.tail, 200);
}

/* Connections a backend holds (a PING's count, less the prober). */
static int backend_conns(unsigned int port)
{
	struct spex_wire_req q = { 0 };
	struct spex_wire_pong p;
	int fd = lt_connect(port), n = -1;

	q.magic = htole32(SPEX_WIRE_REQ_MAGIC);
	q.version = htole16(SPEX_WIRE_VERSION);
	q.type = htole16(SPEX_WIRE_PING);
	q.crc32 = htole32(spex_wire_req_crc(&q, NULL, 0));
	if (fd >= 0 && write(fd, &q, sizeof(q)) == sizeof(q) &&
	    lt_read_full(fd, &p, sizeof(p)))
		n = (int)le32toh(p.conns) - 1;
	if (fd >= 0)
		close(fd);
	return n;
}

TEST(kill_restart_term_behind_haproxy)
{
	struct lt_server sv[N_BACK];
	unsigned int ports[N_BACK];
	struct lt_haproxy hp;
	struct tally t;
	struct spex *h;
	u32 id;

	if (!lt_haproxy_bin()) {
		printf("ok - skip: haproxy not installed\n");
		return;
	}
	for (int i = 0; i < N_BACK; i++) {
		CHECK_EQ(lt_serve_start_opts(&sv[i], tail_path, 0, serve_opts), 0);
		ports[i] = sv[i].port;
	}
	CHECK_EQ(lt_haproxy_start(&hp, tail_path, ports, N_BACK), 0);

	/* all three up: every job answered by a tail */
	h = open_head(&id, hp.port);
	t = run_jobs(h, id, 200, 1, NULL, NULL);
	CHECK_EQ(t.tail, 200);

	/* SIGKILL one mid-run: its jobs are retried or fall back, once */
	t = run_jobs(h, id, 400, 1000, kill_one, &sv[1]);
	CHECK_EQ(t.tail + t.fallback, 400);
	CHECK(t.tail > 200, "tail %u fallback %u", t.tail, t.fallback);
	usleep(500000);		/* fall 2 x inter 100ms */
	t = run_jobs(h, id, 200, 2000, NULL, NULL);
	CHECK_EQ(t.tail, 200);	/* the two left take everything */
	spex_close(h);

	/* restart it on its port: the check brings it back, it takes load */
	CHECK_EQ(lt_serve_start_opts(&sv[1], tail_path, ports[1], serve_opts), 0);
	usleep(600000);		/* rise 2 x inter 100ms */
	h = open_head(&id, hp.port);
	t = run_jobs(h, id, 200, 3000, NULL, NULL);
	CHECK_EQ(t.tail, 200);
	CHECK(backend_conns(ports[1]) > 0, "the restarted backend has no "
	      "connection from HAProxy");

	term_mid_run(h, id, &sv[2], 500000);
	spex_close(h);

	/* the third slot now serves another model's tail: the check, which
	 * names this model's hash, takes it out */
	CHECK_EQ(lt_serve_start_opts(&sv[2], bad_tail_path, ports[2],
				     serve_opts), 0);
	h = open_head(&id, hp.port);
	for (int tries = 0; tries < 10; tries++) {
		usleep(300000);	/* fall 2 x inter 100ms, under load */
		t = run_jobs(h, id, 300, 6000, NULL, NULL);
		if (!t.stale)
			break;
	}
	CHECK_EQ(t.tail, 300);
	CHECK_EQ(t.stale, 0);
	spex_close(h);

	lt_haproxy_stop(&hp);
	for (int i = 0; i < N_BACK; i++)
		CHECK_EQ(lt_serve_stop(&sv[i]), 0);
}

static void setup(void) __attribute__((constructor));
static void setup(void)
{
	lt_setup_tails(&S, &tail_path, &bad_tail_path);
}

/* libspex with the three backends as its endpoint list, no balancer. */
TEST(kill_restart_term_direct_failover)
{
	struct lt_server sv[N_BACK];
	unsigned int ports[N_BACK];
	struct tally t;
	struct spex *h;
	u32 id;

	for (int i = 0; i < N_BACK; i++) {
		CHECK_EQ(lt_serve_start_opts(&sv[i], tail_path, 0, serve_opts), 0);
		ports[i] = sv[i].port;
	}
	/* bad lists are refused */
	h = open_head(&id, ports[0]);
	{
		static const char *const bad[] = {
			"127.0.0.1:0", "[::1", "[::1]x", "127.0.0.1,",
			"1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8,1.1.1.9", "127.0.0.1:70000",
		};
		for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct spex_offload_opts off = { .host = bad[i],
							 .port = 7407 };

			CHECK_EQ(spex_set_offload(h, id, &off), -EINVAL);
		}
	}
	spex_close(h);

	/* simple balancing: every backend gets connections */
	h = open_list(&id, ports);
	t = run_jobs(h, id, 200, 1, NULL, NULL);
	CHECK_EQ(t.tail, 200);
	for (int i = 0; i < N_BACK; i++)
		CHECK(backend_conns(ports[i]) > 0, "backend %d unused", i);

	/* SIGKILL one mid-run: once each; then the others answer all */
	t = run_jobs(h, id, 400, 1000, kill_one, &sv[1]);
	CHECK_EQ(t.tail + t.fallback, 400);
	CHECK(t.tail > 200, "tail %u fallback %u", t.tail, t.fallback);
	t = run_jobs(h, id, 200, 2000, NULL, NULL);
	CHECK_EQ(t.tail, 200);
	spex_close(h);

	/* restart it: once its failure is old, it takes connections */
	CHECK_EQ(lt_serve_start_opts(&sv[1], tail_path, ports[1], serve_opts), 0);
	h = open_list(&id, ports);
	t = run_jobs(h, id, 200, 3000, NULL, NULL);
	CHECK_EQ(t.tail, 200);
	CHECK(backend_conns(ports[1]) > 0, "the restarted backend is unused");

	term_mid_run(h, id, &sv[2], 0);
	spex_close(h);
	for (int i = 0; i < N_BACK - 1; i++)
		CHECK_EQ(lt_serve_stop(&sv[i]), 0);
}

TEST_MAIN(T(kill_restart_term_behind_haproxy),
	  T(kill_restart_term_direct_failover))
