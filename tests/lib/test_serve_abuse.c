// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * spex-serve against clients that hold its slots without doing work, and
 * its health frame: slowloris (trickled frames, many sources, one
 * source), -c values, clients that never read their answers, the
 * SIGTERM drain, and PING/PONG with bad input. Each test asserts what
 * the server does (who is served, who is closed, what is answered),
 * never how fast.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lt.h"
#include "spex_test.h"
#include <spex/wire.h>

#define OUTQ_BOUND	(32 * 1024)	/* spex-serve's */

static struct lt_split S;
static char *tail_path;

static void mk_req(struct spex_wire_req *q, unsigned int type, u64 id,
		   const u8 *hash, u32 len, const void *payload)
{
	memset(q, 0, sizeof(*q));
	q->magic = htole32(SPEX_WIRE_REQ_MAGIC);
	q->version = htole16(SPEX_WIRE_VERSION);
	q->type = htole16((u16)type);
	q->request_id = htole64(id);
	if (hash)
		memcpy(q->model_hash, hash, SPX_HASH_LEN);
	q->payload_len = htole32(len);
	q->crc32 = htole32(spex_wire_req_crc(q, payload, len));
}

/* A whole INFER frame for the tail (a valid bottleneck: seeded bytes). */
static u32 mk_infer(u8 *frame, u64 id)
{
	struct spex_wire_req q;

	memset(frame + 64, (int)(id & 0x3f), S.bneck_bytes);
	mk_req(&q, SPEX_WIRE_INFER, id, S.full.wm.hash, S.bneck_bytes,
	       frame + 64);
	memcpy(frame, &q, sizeof(q));
	return 64 + S.bneck_bytes;
}

static int read_all(int fd, void *buf, size_t n)
{
	return lt_read_full(fd, buf, n) ? 0 : -1;
}

static bool at_eof(int fd)
{
	char b;
	ssize_t r = read(fd, &b, 1);

	return r == 0 || (r < 0 && errno == ECONNRESET);
}

static int ping(int fd, const u8 *hash, u64 id, struct spex_wire_pong *p)
{
	struct spex_wire_req q;

	mk_req(&q, SPEX_WIRE_PING, id, hash, 0, NULL);
	if (write(fd, &q, sizeof(q)) != sizeof(q))
		return -1;
	return read_all(fd, p, sizeof(*p));
}

/* Open connections seen by a fresh PING (the prober's own included). */
static int server_conns(unsigned int port)
{
	struct spex_wire_pong p;
	int fd = lt_connect(port), n = -1;

	if (fd >= 0 && !ping(fd, NULL, 1, &p) &&
	    le32toh(p.magic) == SPEX_WIRE_PONG_MAGIC)
		n = (int)le32toh(p.conns);
	if (fd >= 0)
		close(fd);
	return n;
}

/* Wait (up to about 10 s) until the server counts want connections. */
static int wait_conns(unsigned int port, int want)
{
	int n = -1;

	for (int i = 0; i < 500 && n != want; i++) {
		n = server_conns(port);
		if (n != want)
			usleep(20000);
	}
	return n;
}

/* true once the peer has closed or reset fd (within about 30 s) */
static bool closed_by_peer(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	for (int i = 0; i < 300; i++) {
		if (poll(&p, 1, 100) > 0 &&
		    (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
			return true;
	}
	return false;
}

static struct spex *open_head(u32 *id, unsigned int port, u32 conns)
{
	struct spex *h = lt_open_forced(&S, id, port, conns, 20000);

	CHECK(h != NULL);
	return h;
}

/* n forced offloads; returns how many the tail answered (the rest fell
 * back); each job completes exactly once. */
static u32 offload_n(struct spex *h, u32 id, u32 n, u32 seed)
{
	static s8 in[64][64];
	struct spex_completion c[64];
	struct spex_req r[64];
	int seen[64] = { 0 };
	u32 tails = 0;
	int got;

	for (u32 i = 0; i < n; i++) {
		lt_input(&S, seed + i, in[i]);
		r[i] = (struct spex_req){ .model_id = id, .input = in[i],
					  .input_len = S.in_bytes,
					  .user_data = i };
	}
	CHECK_EQ(spex_submit(h, r, n), (int)n);
	got = lt_reap_all(h, c, n);
	CHECK_EQ(got, (int)n);
	for (int k = 0; k < got; k++) {
		CHECK(c[k].user_data < n);
		seen[c[k].user_data]++;
		if (c[k].origin == SPEX_ORIGIN_TAIL)
			tails++;
	}
	for (u32 i = 0; i < n; i++)
		CHECK_EQ(seen[i], 1);
	return tails;
}

/*
 * 600 connections from 60 addresses, each trickling a byte now and then:
 * they fill the slots new connections may take, never the quarter kept
 * for connections that completed a frame, so the library's pooled
 * connections are served throughout; a trickled frame is cut at its
 * deadline (it never completes), and the slots come back.
 */
TEST(slowloris_many_sources)
{
	const char *opts[] = { "-w", "2", "-c", "256", "-f", "1500",
			       "-t", "60000", NULL };
	static int fds[600];
	struct lt_server sv;
	struct spex *h;
	unsigned int held = 0, eof = 0;
	u32 id;

	CHECK_EQ(lt_serve_start_opts(&sv, tail_path, 0, opts), 0);
	h = open_head(&id, sv.port, 4);
	CHECK_EQ(offload_n(h, id, 16, 10), 16);	/* the pool is proven */

	for (int i = 0; i < 600; i++) {
		char src[32];

		snprintf(src, sizeof(src), "127.0.1.%d", 1 + i / 10);
		fds[i] = lt_connect_from(src, sv.port);
		CHECK(fds[i] >= 0, "connect %d: %s", i, strerror(errno));
		if (fds[i] >= 0)
			(void)!write(fds[i], "S", 1);
	}
	/* while they trickle, the pooled connections are answered */
	CHECK_EQ(offload_n(h, id, 32, 100), 32);
	for (int i = 0; i < 600; i++)
		if (fds[i] >= 0)
			(void)!write(fds[i], "P", 1);
	CHECK_EQ(offload_n(h, id, 32, 200), 32);

	/* every trickler ends closed (refused BUSY at once, or cut at its
	 * frame deadline), none with an answer to a frame */
	for (int i = 0; i < 600; i++) {
		struct spex_wire_resp r;

		if (fds[i] < 0)
			continue;
		if (!closed_by_peer(fds[i])) {
			held++;
		} else if (!read_all(fds[i], &r, sizeof(r))) {
			CHECK_EQ(le16toh(r.status), SPEX_WS_BUSY);
		} else {
			eof++;
		}
		close(fds[i]);
	}
	CHECK_EQ(held, 0);
	CHECK(eof > 0, "no trickler was cut at its deadline");
	/* the slots are back: a new client is served */
	{
		struct spex *h2;
		u32 id2;

		h2 = open_head(&id2, sv.port, 2);
		CHECK_EQ(offload_n(h2, id2, 8, 300), 8);
		spex_close(h2);
	}
	spex_close(h);
	CHECK_EQ(lt_serve_stop(&sv), 0);
}

/*
 * 600 connections from one address: the per-source cap refuses all but
 * -s of them with BUSY, and a new client from elsewhere is served while
 * they stay open.
 */
TEST(slowloris_one_source)
{
	const char *opts[] = { "-w", "2", "-s", "32", "-f", "60000",
			       "-t", "60000", NULL };
	static int fds[600];
	struct lt_server sv;
	struct spex *h;
	unsigned int busy = 0, open_ = 0;
	u32 id;

	CHECK_EQ(lt_serve_start_opts(&sv, tail_path, 0, opts), 0);
	for (int i = 0; i < 600; i++) {
		fds[i] = lt_connect_from("127.0.2.1", sv.port);
		CHECK(fds[i] >= 0);
		if (fds[i] >= 0)
			(void)!write(fds[i], "S", 1);
	}
	/* a refusal is sent at accept; a held connection says nothing */
	for (int pass = 0; pass < 100 && busy < 600 - 32; pass++) {
		for (int i = 0; i < 600; i++) {
			struct pollfd p = { .fd = fds[i], .events = POLLIN };
			struct spex_wire_resp r;

			if (fds[i] < 0 || poll(&p, 1, 0) <= 0)
				continue;
			if (!read_all(fds[i], &r, sizeof(r)) &&
			    le16toh(r.status) == SPEX_WS_BUSY)
				busy++;
			close(fds[i]);
			fds[i] = -1;
		}
		usleep(50000);
	}
	for (int i = 0; i < 600; i++)
		open_ += fds[i] >= 0;
	CHECK_EQ(busy, 600 - 32);
	CHECK_EQ(open_, 32);
	CHECK_EQ(wait_conns(sv.port, 33), 33);	/* 32 and the prober */
	h = open_head(&id, sv.port, 2);
	CHECK_EQ(offload_n(h, id, 16, 400), 16);
	spex_close(h);
	for (int i = 0; i < 600; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	CHECK_EQ(lt_serve_stop(&sv), 0);
}

/* spex-serve's stderr and exit status when it does not start. */
static int serve_refuses(const char *c_value, char *buf, size_t len)
{
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid == 0) {
		const char *serve = getenv("SPEX_SERVE");

		dup2(pipefd[1], 2);
		execl(serve ? serve : "build/rel/bin/spex-serve", "spex-serve",
		      "-p", "0", "-w", "1", "-c", c_value, tail_path,
		      (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	n = read(pipefd[0], buf, len - 1);
	buf[n > 0 ? n : 0] = 0;
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* -c: what the parser takes starts and answers; the rest is refused
 * with the range before anything starts. */
TEST(max_conns_values)
{
	static const char *const good[] = { "1", "2", "28", "29", "1024" };
	char err[512];

	for (unsigned int i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *opts[] = { "-w", "2", "-c", good[i], NULL };
		struct lt_server sv;

		CHECK_EQ(lt_serve_start_opts(&sv, tail_path, 0, opts), 0);
		CHECK(server_conns(sv.port) == 1, "-c %s: no PONG", good[i]);
		CHECK_EQ(lt_serve_stop(&sv), 0);
	}
	{
		const char *opts[] = { "-w", "1", "-c", "16380", NULL };
		struct lt_server sv;

		/* starts, or says at once that the descriptors are short */
		if (lt_serve_start_opts(&sv, tail_path, 0, opts) == 0) {
			CHECK_EQ(server_conns(sv.port), 1);
			CHECK_EQ(lt_serve_stop(&sv), 0);
		} else {
			CHECK_EQ(serve_refuses("16380", err, sizeof(err)), 2);
			CHECK(strstr(err, "file descriptors") != NULL, "%s",
			      err);
		}
	}
	CHECK_EQ(serve_refuses("0", err, sizeof(err)), 2);
	CHECK(strstr(err, "1..16380") != NULL, "%s", err);
	CHECK_EQ(serve_refuses("16381", err, sizeof(err)), 2);
	CHECK(strstr(err, "--max-conns") != NULL, "%s", err);
}

/* The server's send queue to each client connected to port, from
 * /proc/net/tcp (tx_queue of the sockets whose local port is port). */
static unsigned int max_tx_queue(unsigned int port)
{
	FILE *f = fopen("/proc/net/tcp", "r");
	char line[512];
	unsigned int worst = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned int lport, st, tx, rx;

		if (sscanf(line, " %*d: %*x:%x %*x:%*x %x %x:%x", &lport, &st,
			   &tx, &rx) == 4 && lport == port && st == 1 &&
		    tx > worst)
			worst = tx;
	}
	fclose(f);
	return worst;
}

/*
 * 20 clients pipeline PINGs and never read: the server stops reading
 * each once its unsent answers pass the bound (its send queue stays
 * near it, not megabytes), closes them after the send timeout, and a
 * reading client is served meanwhile.
 */
TEST(clients_that_never_read)
{
	const char *opts[] = { "-w", "1", "--send-timeout", "1500",
			       "-t", "60000", NULL };
	struct lt_server sv;
	struct spex_wire_req q[256];
	int fds[20];
	unsigned int worst;
	struct spex *h;
	u32 id;

	CHECK_EQ(lt_serve_start_opts(&sv, tail_path, 0, opts), 0);
	for (int i = 0; i < 256; i++)
		mk_req(&q[i], SPEX_WIRE_PING, (u64)i, NULL, 0, NULL);
	for (int i = 0; i < 20; i++) {
		size_t sent = 0;

		fds[i] = lt_connect(sv.port);
		CHECK(fds[i] >= 0);
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
		/* 64 MB of PINGs, or until the server stops taking them */
		while (sent < (64u << 20)) {
			ssize_t n = write(fds[i], q, sizeof(q));

			if (n <= 0) {
				struct pollfd p = { .fd = fds[i],
						    .events = POLLOUT };

				if (poll(&p, 1, 300) <= 0)
					break;
				continue;
			}
			sent += (size_t)n;
		}
		CHECK(sent < (64u << 20), "client %d: the server read all", i);
	}
	worst = max_tx_queue(sv.port);
	CHECK(worst <= OUTQ_BOUND + 4096, "send queue %u bytes", worst);
	h = open_head(&id, sv.port, 2);
	CHECK_EQ(offload_n(h, id, 16, 500), 16);
	spex_close(h);
	for (int i = 0; i < 20; i++) {
		CHECK(closed_by_peer(fds[i]), "client %d still open", i);
		close(fds[i]);
	}
	CHECK_EQ(wait_conns(sv.port, 1), 1);
	CHECK_EQ(lt_serve_stop(&sv), 0);
}

/*
 * SIGTERM while a connection has requests arrived and unread (the client
 * pipelined until the server stopped reading it): every whole request
 * is answered, in order (PONGs say OK, then DRAINING once the drain has
 * begun), then the connection ends, new connections are refused, and
 * the exit is 0.
 */
TEST(sigterm_drains)
{
	const char *opts[] = { "-w", "1", "--send-timeout", "20000",
			       "-f", "2000", NULL };
	static u8 frame[64 + 4096];
	struct lt_server sv;
	u32 whole = 0, answered = 0, infer = 0, draining = 0;
	size_t off = 0;
	u32 flen = 0;
	int fd, status;

	CHECK_EQ(lt_serve_start_opts(&sv, tail_path, 0, opts), 0);
	fd = lt_connect(sv.port);
	CHECK(fd >= 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (;;) {
		ssize_t n;

		if (off == flen) {	/* the next frame: INFER or PING */
			struct spex_wire_req q;

			if (flen)
				whole++;
			if (whole % 16 == 0) {
				flen = mk_infer(frame, whole);
			} else {
				mk_req(&q, SPEX_WIRE_PING, whole, NULL, 0, NULL);
				memcpy(frame, &q, sizeof(q));
				flen = sizeof(q);
			}
			off = 0;
		}
		n = write(fd, frame + off, flen - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		{
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			if (poll(&p, 1, 300) <= 0)
				break;	/* the server stopped reading */
		}
	}
	CHECK(whole > 100, "only %u requests sent", whole);
	kill(sv.pid, SIGTERM);
	fcntl(fd, F_SETFL, 0);
	for (;;) {
		struct spex_wire_resp r;

		if (read_all(fd, &r, sizeof(r)))
			break;
		CHECK_EQ(le64toh(r.request_id), answered);
		if (answered % 16 == 0) {
			CHECK_EQ(le32toh(r.magic), SPEX_WIRE_RESP_MAGIC);
			CHECK_EQ(le16toh(r.status), SPEX_WS_OK);
			CHECK_EQ(le32toh(r.crc32), spex_wire_resp_crc(&r));
			infer++;
		} else {
			struct spex_wire_pong *p = (void *)&r;

			CHECK_EQ(le32toh(p->magic), SPEX_WIRE_PONG_MAGIC);
			if (le16toh(p->status) == SPEX_WS_DRAINING) {
				CHECK(le32toh(p->flags) &
				      SPEX_WIRE_PONG_DRAINING);
				draining++;
			} else {
				CHECK_EQ(draining, 0);	/* OK, then DRAINING */
				CHECK_EQ(le16toh(p->status), SPEX_WS_OK);
			}
		}
		answered++;
	}
	CHECK_EQ(answered, whole);
	CHECK(draining > 0 && infer > 0, "draining %u infer %u", draining,
	      infer);
	close(fd);
	fd = lt_connect(sv.port);
	CHECK(fd < 0, "a new connection was accepted");
	if (fd >= 0)
		close(fd);
	CHECK_EQ(waitpid(sv.pid, &status, 0), sv.pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	sv.pid = 0;
	unlink(sv.port_file);
}

/* PING: load and hash in the PONG; a wrong hash is told, all-zero means
 * any; bad input gets its status and the connection closed. */
TEST(ping_pong)
{
	const char *opts[] = { "-w", "2", "-c", "100", NULL };
	struct spex_wire_pong p;
	struct spex_wire_req q;
	struct lt_server sv;
	u8 other[SPX_HASH_LEN];
	int fd, fd2;

	CHECK_EQ(lt_serve_start_opts(&sv, tail_path, 0, opts), 0);
	fd = lt_connect(sv.port);
	CHECK_EQ(ping(fd, S.full.wm.hash, 7, &p), 0);
	CHECK_EQ(le32toh(p.magic), SPEX_WIRE_PONG_MAGIC);
	CHECK_EQ(le16toh(p.version), SPEX_WIRE_VERSION);
	CHECK_EQ(le16toh(p.status), SPEX_WS_OK);
	CHECK_EQ(le64toh(p.request_id), 7);
	CHECK_EQ(le32toh(p.flags), 0);
	CHECK(!memcmp(p.model_hash, S.full.wm.hash, SPX_HASH_LEN));
	CHECK_EQ(le32toh(p.max_conns), 200);
	CHECK_EQ(le32toh(p.crc32), spex_wire_pong_crc(&p));
	fd2 = lt_connect(sv.port);
	CHECK_EQ(ping(fd2, NULL, 1, &p), 0);	/* accepted, counted */
	CHECK_EQ(ping(fd, NULL, 8, &p), 0);	/* any hash; conn kept */
	CHECK_EQ(le16toh(p.status), SPEX_WS_OK);
	CHECK_EQ(le32toh(p.conns), 2);
	memcpy(other, S.full.wm.hash, sizeof(other));
	other[0] ^= 0xff;
	CHECK_EQ(ping(fd, other, 9, &p), 0);
	CHECK_EQ(le16toh(p.status), SPEX_WS_HASH);
	CHECK(!memcmp(p.model_hash, S.full.wm.hash, SPX_HASH_LEN));
	CHECK_EQ(ping(fd, NULL, 10, &p), 0);	/* still usable */
	CHECK_EQ(le16toh(p.status), SPEX_WS_OK);
	close(fd2);

	/* a PING with a payload: LENGTH, closed */
	mk_req(&q, SPEX_WIRE_PING, 11, NULL, 4, "abcd");
	CHECK_EQ(write(fd, &q, sizeof(q)), 64);
	CHECK_EQ(write(fd, "abcd", 4), 4);
	CHECK_EQ(read_all(fd, &p, sizeof(p)), 0);
	CHECK_EQ(le32toh(p.magic), SPEX_WIRE_RESP_MAGIC);
	CHECK_EQ(le16toh(p.status), SPEX_WS_LENGTH);
	CHECK(at_eof(fd));
	close(fd);

	/* a wrong CRC: BAD_FRAME, closed */
	fd = lt_connect(sv.port);
	mk_req(&q, SPEX_WIRE_PING, 12, NULL, 0, NULL);
	q.crc32 ^= htole32(1);
	CHECK_EQ(write(fd, &q, sizeof(q)), 64);
	CHECK_EQ(read_all(fd, &p, sizeof(p)), 0);
	CHECK_EQ(le16toh(p.status), SPEX_WS_BAD_FRAME);
	CHECK_EQ(le64toh(p.request_id), 12);
	CHECK(at_eof(fd));
	close(fd);

	/* a wrong magic: BAD_FRAME, closed */
	fd = lt_connect(sv.port);
	mk_req(&q, SPEX_WIRE_PING, 13, NULL, 0, NULL);
	q.magic = htole32(SPEX_WIRE_PONG_MAGIC);
	CHECK_EQ(write(fd, &q, sizeof(q)), 64);
	CHECK_EQ(read_all(fd, &p, sizeof(p)), 0);
	CHECK_EQ(le16toh(p.status), SPEX_WS_BAD_FRAME);
	CHECK(at_eof(fd));
	close(fd);

	/* truncated: half a PING, then gone; the server goes on */
	fd = lt_connect(sv.port);
	mk_req(&q, SPEX_WIRE_PING, 14, NULL, 0, NULL);
	CHECK_EQ(write(fd, &q, 40), 40);
	close(fd);

	/* pipelined PINGs past a socket's worth, read afterwards: every
	 * one answered, in order */
	fd = lt_connect(sv.port);
	for (u64 i = 0; i < 2000; i++) {
		mk_req(&q, SPEX_WIRE_PING, 100 + i, NULL, 0, NULL);
		CHECK_EQ(write(fd, &q, sizeof(q)), 64);
		if (i % 100 == 99)
			for (u64 k = i - 99; k <= i; k++) {
				CHECK_EQ(read_all(fd, &p, sizeof(p)), 0);
				CHECK_EQ(le64toh(p.request_id), 100 + k);
			}
	}
	close(fd);
	CHECK_EQ(wait_conns(sv.port, 1), 1);
	CHECK_EQ(lt_serve_stop(&sv), 0);
}

/* --haproxy-check prints a PING naming this tail's hash, which the
 * server answers with the bytes the check expects. */
TEST(haproxy_check_lines)
{
	const char *serve = getenv("SPEX_SERVE");
	char cmd[1024], send_hex[160] = "", expect_hex[32] = "";
	const char *opts[] = { "-w", "1", NULL };
	struct spex_wire_pong p;
	struct lt_server sv;
	u8 frame[64];
	FILE *f;
	int fd;

	snprintf(cmd, sizeof(cmd), "%s --haproxy-check %s",
		 serve ? serve : "build/rel/bin/spex-serve", tail_path);
	f = popen(cmd, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ(fscanf(f, " tcp-check send-binary %159s", send_hex), 1);
	CHECK_EQ(fscanf(f, " tcp-check expect binary %31s", expect_hex), 1);
	CHECK_EQ(pclose(f), 0);
	CHECK_EQ(strlen(send_hex), 128);
	CHECK_EQ(strlen(expect_hex), 16);
	for (int i = 0; i < 64; i++) {
		unsigned int b = 0;

		sscanf(send_hex + 2 * i, "%2x", &b);
		frame[i] = (u8)b;
	}
	CHECK_EQ(lt_serve_start_opts(&sv, tail_path, 0, opts), 0);
	fd = lt_connect(sv.port);
	CHECK_EQ(write(fd, frame, 64), 64);
	CHECK_EQ(read_all(fd, &p, sizeof(p)), 0);
	for (int i = 0; i < 8; i++) {
		char hex[3];

		snprintf(hex, sizeof(hex), "%02x", ((u8 *)&p)[i]);
		CHECK(!memcmp(hex, expect_hex + 2 * i, 2), "byte %d", i);
	}
	close(fd);
	CHECK_EQ(lt_serve_stop(&sv), 0);
}

static void setup(void) __attribute__((constructor));
static void setup(void)
{
	lt_setup_tails(&S, &tail_path, NULL);
}

TEST_MAIN(T(ping_pong), T(haproxy_check_lines), T(max_conns_values),
	  T(sigterm_drains), T(slowloris_one_source),
	  T(slowloris_many_sources), T(clients_that_never_read))
