// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Tail scaling benchmark (make bench-tail; not a test), all on 127.0.0.1
 * in one run, side by side: forced offloads through libspex (8 pooled
 * connections, 32 jobs in flight) to 1 spex-serve direct and to 1, 2 and
 * 3 behind HAProxy (tools/spex-serve/haproxy.cfg); then the protocol on
 * one raw connection, one request at a time against 16 pipelined. Each
 * spex-serve has 1 worker, so on this 2-core machine the row measures
 * the path, not added cores. Prints jobs/s and per-job p50/p99.
 */
#include <endian.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "lt.h"
#include <spex/wire.h>

#define N_JOBS		6000
#define IN_FLIGHT	32
#define N_RAW		6000

static struct lt_split S;
static uint64_t lat[N_JOBS > N_RAW ? N_JOBS : N_RAW];

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void row(const char *name, uint64_t ns, u32 n, u32 tail)
{
	qsort(lat, n, sizeof(lat[0]), cmp);
	printf("%-24s %10.0f %9.1f %9.1f %8u/%u\n", name, n * 1e9 / (double)ns,
	       lat[n / 2] / 1e3, lat[n * 99 / 100] / 1e3, tail, n);
}

/* N_JOBS forced offloads, IN_FLIGHT at a time, to port. */
static void run_lib(const char *name, unsigned int port)
{
	static s8 in[256][64];
	static uint64_t t_sub[N_JOBS];
	struct spex_completion c[64];
	u32 id, next = 0, done = 0, tail = 0;
	struct spex *h = lt_open_forced(&S, &id, port, 8, 5000);
	uint64_t t0;

	if (!h) {
		printf("%-24s set-up failed\n", name);
		return;
	}
	for (int i = 0; i < 256; i++)
		lt_input(&S, (u32)i, in[i]);
	t0 = now_ns();
	while (done < N_JOBS) {
		int k;

		while (next < N_JOBS && spex_in_flight(h) < IN_FLIGHT) {
			struct spex_req r = { .model_id = id,
					      .input = in[next % 256],
					      .input_len = S.in_bytes,
					      .user_data = next };

			t_sub[next] = now_ns();
			if (spex_submit(h, &r, 1) != 1)
				break;
			next++;
		}
		k = spex_reap(h, c, 64, 1, -1);
		if (k <= 0)
			break;
		for (int j = 0; j < k; j++) {
			lat[done + (u32)j] = now_ns() - t_sub[c[j].user_data];
			tail += c[j].origin == SPEX_ORIGIN_TAIL;
		}
		done += (u32)k;
	}
	row(name, now_ns() - t0, done, tail);
	spex_close(h);
}

/* N_RAW INFER frames on one connection, depth at a time. */
static void run_raw(const char *name, unsigned int port, u32 depth)
{
	static u8 frame[64 + 4096];
	static uint64_t t_sub[N_RAW];
	struct spex_wire_req q = { 0 };
	u32 sent = 0, got = 0, ok = 0;
	int fd = lt_connect(port);
	uint64_t t0;

	int one = 1;

	if (fd < 0)
		return;
	/* as libspex does: no Nagle delay on the second frame in flight */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(frame + 64, 1, S.bneck_bytes);
	q.magic = htole32(SPEX_WIRE_REQ_MAGIC);
	q.version = htole16(SPEX_WIRE_VERSION);
	q.type = htole16(SPEX_WIRE_INFER);
	memcpy(q.model_hash, S.full.wm.hash, SPX_HASH_LEN);
	q.payload_len = htole32(S.bneck_bytes);
	t0 = now_ns();
	while (got < N_RAW) {
		struct spex_wire_resp r;

		while (sent < N_RAW && sent - got < depth) {
			q.request_id = htole64(sent);
			q.crc32 = 0;
			q.crc32 = htole32(spex_wire_req_crc(&q, frame + 64,
							    S.bneck_bytes));
			memcpy(frame, &q, sizeof(q));
			t_sub[sent] = now_ns();
			if (write(fd, frame, 64 + S.bneck_bytes) !=
			    (ssize_t)(64 + S.bneck_bytes))
				goto out;
			sent++;
		}
		if (!lt_read_full(fd, &r, sizeof(r)))
			break;
		lat[got] = now_ns() - t_sub[le64toh(r.request_id) % N_RAW];
		ok += le16toh(r.status) == SPEX_WS_OK;
		got++;
	}
out:
	row(name, now_ns() - t0, got, ok);
	close(fd);
}

int main(void)
{
	static const char *const opts[] = { "-w", "1", "-s", "0", NULL };
	struct lt_server sv[3];
	unsigned int ports[3];
	char *tail;

	if (lt_split_build(&S, 42) ||
	    !(tail = lt_write_tmp(S.tail_blob, S.tail_len, "tail.spx")))
		return 1;
	for (int i = 0; i < 3; i++) {
		if (lt_serve_start_opts(&sv[i], tail, 0, opts))
			return 1;
		ports[i] = sv[i].port;
	}
	printf("tail path: %u-byte bottleneck, spex-serve 1 worker each, "
	       "libspex user backend, 127.0.0.1\n", S.bneck_bytes);
	printf("%-24s %10s %9s %9s %10s\n", "path", "jobs/s", "p50 us",
	       "p99 us", "tail");
	run_lib("direct, 1 tail", ports[0]);
	if (lt_haproxy_bin()) {
		for (unsigned int n = 1; n <= 3; n++) {
			struct lt_haproxy hp;
			char name[32];

			if (lt_haproxy_start(&hp, tail, ports, n))
				continue;
			snprintf(name, sizeof(name), "haproxy, %u tail%s", n,
				 n > 1 ? "s" : "");
			run_lib(name, hp.port);
			lt_haproxy_stop(&hp);
		}
	} else {
		printf("haproxy not installed: its rows skipped\n");
	}
	run_raw("raw, one at a time", ports[0], 1);
	run_raw("raw, 16 pipelined", ports[0], 16);
	for (int i = 0; i < 3; i++)
		lt_serve_stop(&sv[i]);
	return 0;
}
