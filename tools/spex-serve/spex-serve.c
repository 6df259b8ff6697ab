// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * spex-serve: the tail server. It loads a TAIL .spx and answers offload
 * requests from libspex (Documentation/offload-protocol.rst).
 *
 * Each worker thread owns one io_uring, one SO_REUSEPORT listening
 * socket (the kernel spreads connections over the workers) and its
 * connections. Every socket operation is asynchronous and bounded by a
 * linked timeout, and a worker handles at most one frame per event, so a
 * slow or stuck client only ever holds its own connection. The model is
 * immutable and shared; each worker has its own scratch.
 *
 * Beside TCP, the same port takes the datagram form on UDP (serve_udp.c).
 *
 * Against clients that hold slots without doing work: a frame must be
 * whole within the frame timeout of its first byte (a new connection's
 * first frame: of the accept); connections per source address are
 * capped; a quarter of the slots is kept for connections that have
 * completed a frame; a connection whose unsent answers pass OUTQ_BOUND
 * is not read until the client reads them, and is closed after the send
 * timeout. SIGTERM drains: the listeners stop, what has arrived is
 * answered, PINGs on open connections are told DRAINING.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <liburing.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spex/engine.h>
#include <spex/wire.h>
#include "../common/clock.h"
#include "../common/file.h"
#include "../common/parse.h"
#include "serve_frame.h"
#include "serve_udp.h"

#define DEFAULT_WORKERS		2
#define DEFAULT_MAX_CONNS	256
#define DEFAULT_IDLE_MS		30000
#define DEFAULT_FRAME_MS	5000
#define DEFAULT_SEND_MS		5000
#define DEFAULT_DRAIN_MS	10000
#define DEFAULT_PER_SOURCE	64
/*
 * io_uring caps a completion queue at 65536 entries; a connection needs
 * at most 4 (recv or send, its linked timeout, slack), so this many per
 * worker. The parser refuses more.
 */
#define MAX_CONNS		16380
#define MAX_CONNS_STR		"16380"
#define OUTQ_BOUND		(32 * 1024)	/* unsent answer bytes */
#define OUTQ_POLL_MS		10
#define DRAIN_IDLE_MS		200	/* draining: the next request's wait */
#define SOURCE_BUCKETS		4096		/* per-source counters */

struct config {
	const char *listen;
	unsigned int port;
	unsigned int workers;
	unsigned int max_conns;
	unsigned int idle_ms;
	unsigned int frame_ms;
	unsigned int send_ms;
	unsigned int drain_ms;
	unsigned int per_source;	/* 0: no cap */
	const char *port_file;
	const char *model_path;
	bool quiet;
	bool no_udp;
	bool print_check;
};

struct server {
	struct config cfg;
	struct spex_model *tail;
	const struct spex_model_desc *mi;
	struct spex_exec ex;		/* SPEX_KERNELS, read once at load */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	unsigned int port;		/* bound port */
	atomic_bool draining;
	atomic_uint open_conns;
	/* connections per source address (hashed; a collision only makes
	 * the cap stricter for the two sources sharing a bucket) */
	atomic_uint per_source[SOURCE_BUCKETS];
	atomic_ulong frames, pings, errors, conns, busy, source_busy;
	atomic_ulong frame_timeouts, slow_readers;
};

enum op {
	OP_ACCEPT = 1, OP_STOP, OP_RECV, OP_SEND, OP_TIMEOUT, OP_IGNORE,
	OP_OUTQ, OP_DRAIN,
};

enum conn_state {
	C_FREE = 0, C_RECV_HDR, C_RECV_BODY, C_SEND, C_WAIT_OUT, C_CLOSING,
};

struct conn {
	enum conn_state state;
	int fd;
	uint32_t gen;
	unsigned int pending;		/* CQEs still to come */
	unsigned int source;		/* per_source bucket */
	bool close_after_send;
	bool proven;			/* has completed a valid frame */
	uint64_t frame_deadline;	/* ns: the frame being read */
	uint64_t send_deadline;		/* ns: C_WAIT_OUT gives up */
	uint32_t have, want;		/* bytes of buf received / needed */
	uint8_t *buf;			/* header + payload */
	union {
		struct spex_wire_resp resp;
		struct spex_wire_pong pong;
	} out;
	uint32_t sent;
	struct __kernel_timespec ts;
};

struct worker {
	struct server *srv;
	unsigned int idx;
	pthread_t thread;
	int listen_fd;
	int stop_fd;			/* eventfd: SIGTERM arrived */
	uint64_t stop_val;
	bool stopping;
	bool accept_armed;
	bool stop_armed;
	struct io_uring ring;
	struct conn *conns;
	unsigned int n_conns;
	unsigned int n_unproven;	/* of n_conns */
	struct __kernel_timespec drain_ts;
	void *scratch;
	uint8_t *logits;
	struct sockaddr_storage peer;
	socklen_t peerlen;
};

static uint64_t udata(enum op op, unsigned int idx, uint32_t gen)
{
	return (uint64_t)op << 56 | (uint64_t)(gen & 0xffffff) << 32 | idx;
}

static struct io_uring_sqe *get_sqe(struct worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (!sqe) {
		io_uring_submit(&w->ring);
		sqe = io_uring_get_sqe(&w->ring);
	}
	return sqe;
}

/*
 * Room for an op and its linked timeout in one submission: a link cut
 * by a submit in between would leave the op without its timeout (and
 * the timeout refused alone).
 */
static void room_for_pair(struct worker *w)
{
	if (io_uring_sq_space_left(&w->ring) < 2)
		io_uring_submit(&w->ring);
}

static void ms_ts(struct __kernel_timespec *ts, unsigned int ms)
{
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = (long long)(ms % 1000) * 1000000;
}

static void arm_accept(struct worker *w)
{
	struct io_uring_sqe *sqe = get_sqe(w);

	w->peerlen = sizeof(w->peer);
	io_uring_prep_accept(sqe, w->listen_fd, (struct sockaddr *)&w->peer,
			     &w->peerlen, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, udata(OP_ACCEPT, 0, 0));
	w->accept_armed = true;
}

static unsigned int ms_until(uint64_t deadline)
{
	uint64_t now = now_ns();

	return deadline > now ? (unsigned int)((deadline - now) / 1000000) + 1 : 1;
}

/*
 * recv the rest of the frame part. Between frames of a proven connection
 * the idle timeout bounds the wait; otherwise the frame's deadline,
 * which more bytes do not move.
 */
static void arm_recv(struct worker *w, struct conn *c)
{
	unsigned int idx = (unsigned int)(c - w->conns);
	bool between = c->proven && c->state == C_RECV_HDR && !c->have;
	struct io_uring_sqe *sqe;

	room_for_pair(w);
	sqe = get_sqe(w);

	io_uring_prep_recv(sqe, c->fd, c->buf + c->have, c->want - c->have, 0);
	sqe->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data64(sqe, udata(OP_RECV, idx, c->gen));
	ms_ts(&c->ts, !between ? ms_until(c->frame_deadline) :
		      w->stopping ? DRAIN_IDLE_MS : w->srv->cfg.idle_ms);
	sqe = get_sqe(w);
	io_uring_prep_link_timeout(sqe, &c->ts, 0);
	io_uring_sqe_set_data64(sqe, udata(OP_TIMEOUT, idx, c->gen));
	c->pending += 2;
}

static void arm_send(struct worker *w, struct conn *c)
{
	unsigned int idx = (unsigned int)(c - w->conns);
	struct io_uring_sqe *sqe;

	room_for_pair(w);
	sqe = get_sqe(w);

	io_uring_prep_send(sqe, c->fd, (uint8_t *)&c->out + c->sent,
			   sizeof(c->out) - c->sent, MSG_NOSIGNAL);
	sqe->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data64(sqe, udata(OP_SEND, idx, c->gen));
	ms_ts(&c->ts, w->srv->cfg.send_ms);
	sqe = get_sqe(w);
	io_uring_prep_link_timeout(sqe, &c->ts, 0);
	io_uring_sqe_set_data64(sqe, udata(OP_TIMEOUT, idx, c->gen));
	c->pending += 2;
}

/* A timer of its own (not linked): C_WAIT_OUT polls the send queue. */
static void arm_outq(struct worker *w, struct conn *c)
{
	unsigned int idx = (unsigned int)(c - w->conns);
	struct io_uring_sqe *sqe = get_sqe(w);

	ms_ts(&c->ts, OUTQ_POLL_MS);
	io_uring_prep_timeout(sqe, &c->ts, 0, 0);
	io_uring_sqe_set_data64(sqe, udata(OP_OUTQ, idx, c->gen));
	c->pending++;
}

static void conn_close(struct worker *w, struct conn *c)
{
	if (c->state != C_CLOSING) {
		c->state = C_CLOSING;
		shutdown(c->fd, SHUT_RDWR);	/* ends any op in flight */
	}
	if (c->pending)
		return;
	close(c->fd);
	c->fd = -1;
	c->state = C_FREE;
	c->gen++;
	if (!c->proven)
		w->n_unproven--;
	if (w->srv->cfg.per_source)
		atomic_fetch_sub(&w->srv->per_source[c->source], 1);
	atomic_fetch_sub(&w->srv->open_conns, 1);
	w->n_conns--;
}

static unsigned int bytes_readable(int fd)
{
	int n = 0;

	return ioctl(fd, FIONREAD, &n) || n < 0 ? 0 : (unsigned int)n;
}

static unsigned int bytes_unsent(int fd)
{
	int n = 0;

	return ioctl(fd, SIOCOUTQ, &n) || n < 0 ? 0 : (unsigned int)n;
}

/* Draining, a connection's next request is waited for DRAIN_IDLE_MS:
 * bytes the client has sent may still be on the way (in its own send
 * queue while this one was full). */
static void expect_header(struct worker *w, struct conn *c)
{
	c->state = C_RECV_HDR;
	c->have = 0;
	c->want = SPEX_WIRE_HDR_LEN;
	arm_recv(w, c);
}

/* The answer is sent: read the next request, unless the client is not
 * reading its answers; then wait (C_WAIT_OUT) until it does. */
static void next_request(struct worker *w, struct conn *c)
{
	if (bytes_unsent(c->fd) > OUTQ_BOUND) {
		c->state = C_WAIT_OUT;
		c->send_deadline = now_ns() +
				   (uint64_t)w->srv->cfg.send_ms * 1000000;
		arm_outq(w, c);
		return;
	}
	expect_header(w, c);
}

static void on_outq(struct worker *w, struct conn *c)
{
	if (c->state != C_WAIT_OUT) {
		conn_close(w, c);
		return;
	}
	if (bytes_unsent(c->fd) <= OUTQ_BOUND) {
		expect_header(w, c);
	} else if (now_ns() >= c->send_deadline) {
		atomic_fetch_add(&w->srv->slow_readers, 1);
		conn_close(w, c);
	} else {
		arm_outq(w, c);
	}
}

static void reply(struct worker *w, struct conn *c, unsigned int status,
		  uint64_t req_id, bool close_after)
{
	serve_resp_init(&c->out.resp, status, req_id, w->srv->mi->n_classes);
	if (status != SPEX_WS_OK)
		atomic_fetch_add(&w->srv->errors, 1);
	c->state = C_SEND;
	c->sent = 0;
	c->close_after_send = close_after;
}

static void finish_reply(struct worker *w, struct conn *c)
{
	serve_resp_seal(&c->out.resp);
	arm_send(w, c);
}

/* A whole PING header is in (it has no payload). */
static void got_ping(struct worker *w, struct conn *c)
{
	const struct spex_wire_req *q = (const void *)c->buf;
	struct spex_wire_pong *p = &c->out.pong;
	struct server *s = w->srv;
	static const uint8_t any[SPX_HASH_LEN];
	unsigned int status = SPEX_WS_OK;

	if (le32toh(q->crc32) != spex_wire_req_crc(q, NULL, 0)) {
		reply(w, c, SPEX_WS_BAD_FRAME, le64toh(q->request_id), true);
		finish_reply(w, c);
		return;
	}
	if (memcmp(q->model_hash, any, SPX_HASH_LEN) &&
	    memcmp(q->model_hash, s->mi->hash, SPX_HASH_LEN))
		status = SPEX_WS_HASH;
	else if (atomic_load(&s->draining))
		status = SPEX_WS_DRAINING;
	memset(p, 0, sizeof(*p));
	p->magic = htole32(SPEX_WIRE_PONG_MAGIC);
	p->version = htole16(SPEX_WIRE_VERSION);
	p->status = htole16((uint16_t)status);
	p->request_id = q->request_id;
	p->flags = htole32(atomic_load(&s->draining) ?
			   SPEX_WIRE_PONG_DRAINING : 0);
	memcpy(p->model_hash, s->mi->hash, SPX_HASH_LEN);
	p->conns = htole32(atomic_load(&s->open_conns));
	p->max_conns = htole32(s->cfg.workers * s->cfg.max_conns);
	p->crc32 = htole32(spex_wire_pong_crc(p));
	atomic_fetch_add(&s->pings, 1);
	c->state = C_SEND;
	c->sent = 0;
	c->close_after_send = false;
	arm_send(w, c);
}

/* A whole header is in: check what can be checked before the payload. */
static void got_header(struct worker *w, struct conn *c)
{
	const struct spex_wire_req *q = (const void *)c->buf;
	uint32_t len = le32toh(q->payload_len);
	uint64_t id = le64toh(q->request_id);
	bool magic = le32toh(q->magic) == SPEX_WIRE_REQ_MAGIC;
	unsigned int st;

	if (magic && le16toh(q->version) == SPEX_WIRE_VERSION &&
	    le16toh(q->type) == SPEX_WIRE_PING && !q->flags && !q->reserved) {
		/* PING (TCP only): no payload */
		if (len) {
			reply(w, c, SPEX_WS_LENGTH, id, true);
		} else {
			got_ping(w, c);
			return;
		}
	} else if ((st = serve_check_header(q, w->srv->mi->input_bytes))) {
		/* any of them closes: the stream cannot be resynchronised
		 * without trusting len */
		reply(w, c, st, magic ? id : 0, true);
	} else {
		c->state = C_RECV_BODY;
		c->want = SPEX_WIRE_HDR_LEN + len;
		if (len) {
			arm_recv(w, c);
			return;
		}
	}
	if (c->state == C_SEND)
		finish_reply(w, c);
}

/* A whole frame is in: run the tail and answer. */
static void got_frame(struct worker *w, struct conn *c)
{
	const struct spex_wire_req *q = (const void *)c->buf;
	const struct serve_tail t = {
		.m = w->srv->tail, .mi = w->srv->mi, .ex = &w->srv->ex,
		.scratch = w->scratch, .logits = w->logits,
	};
	unsigned int st;

	/* CRC, hash, the run: serve_frame.c, as for datagrams */
	st = serve_answer(&t, q, c->buf + SPEX_WIRE_HDR_LEN, &c->out.resp);
	if (st != SPEX_WS_BAD_FRAME && !c->proven) {
		c->proven = true;	/* it works: it keeps a slot */
		w->n_unproven--;
	}
	if (st == SPEX_WS_OK)
		atomic_fetch_add(&w->srv->frames, 1);
	else
		atomic_fetch_add(&w->srv->errors, 1);
	c->state = C_SEND;
	c->sent = 0;
	/* a bad CRC closes; a hash or engine error leaves it usable */
	c->close_after_send = st == SPEX_WS_BAD_FRAME;
	finish_reply(w, c);
}

/* Say BUSY without waiting on the client, then close. */
static void refuse_busy(int fd)
{
	struct spex_wire_resp r = { 0 };

	r.magic = htole32(SPEX_WIRE_RESP_MAGIC);
	r.version = htole16(SPEX_WIRE_VERSION);
	r.status = htole16(SPEX_WS_BUSY);
	r.crc32 = htole32(spex_wire_resp_crc(&r));
	(void)!send(fd, &r, sizeof(r), MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

/* The bucket of a peer: an IPv4 address, or the /64 of an IPv6 one (a
 * host has a whole /64 to connect from). */
static unsigned int source_bucket(const struct sockaddr_storage *a)
{
	const uint8_t *b;
	uint32_t h = 2166136261u;	/* FNV-1a */
	size_t n;

	if (a->ss_family == AF_INET6) {
		b = ((const struct sockaddr_in6 *)a)->sin6_addr.s6_addr;
		n = 8;
	} else {
		b = (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
		n = 4;
	}
	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h % SOURCE_BUCKETS;
}

static void on_accept(struct worker *w, int fd,
		      const struct sockaddr_storage *peer)
{
	struct server *s = w->srv;
	struct conn *c = NULL;
	unsigned int bucket = 0;
	int one = 1;

	if (fd < 0)
		return;
	/* new connections may fill all but a quarter of the slots */
	if (w->n_unproven < s->cfg.max_conns - s->cfg.max_conns / 4)
		for (unsigned int i = 0; i < s->cfg.max_conns; i++) {
			if (w->conns[i].state == C_FREE) {
				c = &w->conns[i];
				break;
			}
		}
	if (!c) {
		refuse_busy(fd);
		atomic_fetch_add(&s->busy, 1);
		return;
	}
	if (s->cfg.per_source) {
		bucket = source_bucket(peer);
		if (atomic_fetch_add(&s->per_source[bucket], 1) >=
		    s->cfg.per_source) {
			atomic_fetch_sub(&s->per_source[bucket], 1);
			refuse_busy(fd);
			atomic_fetch_add(&s->source_busy, 1);
			return;
		}
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	c->pending = 0;
	c->source = bucket;
	c->proven = false;
	c->have = 0;
	c->frame_deadline = now_ns() + (uint64_t)s->cfg.frame_ms * 1000000;
	w->n_conns++;
	w->n_unproven++;
	atomic_fetch_add(&s->open_conns, 1);
	atomic_fetch_add(&s->conns, 1);
	c->state = C_RECV_HDR;
	c->want = SPEX_WIRE_HDR_LEN;
	arm_recv(w, c);
}

static void on_recv(struct worker *w, struct conn *c, int res)
{
	if (c->state == C_CLOSING) {
		conn_close(w, c);
		return;
	}
	if (res <= 0) {		/* EOF, error or a timeout (-ECANCELED) */
		bool idle = c->proven && !c->have && c->state == C_RECV_HDR;

		if (!idle && res == -ECANCELED)
			atomic_fetch_add(&w->srv->frame_timeouts, 1);
		if (!idle && (c->have || res == -ECANCELED))
			atomic_fetch_add(&w->srv->errors, 1);
		conn_close(w, c);
		return;
	}
	/* a frame's first bytes start its deadline */
	if (!c->have && c->state == C_RECV_HDR && c->proven)
		c->frame_deadline = now_ns() +
				    (uint64_t)w->srv->cfg.frame_ms * 1000000;
	c->have += (uint32_t)res;
	if (c->have < c->want) {
		arm_recv(w, c);
		return;
	}
	if (c->state == C_RECV_HDR)
		got_header(w, c);
	else
		got_frame(w, c);
}

static void on_send(struct worker *w, struct conn *c, int res)
{
	if (c->state == C_CLOSING || res <= 0) {
		conn_close(w, c);
		return;
	}
	c->sent += (uint32_t)res;
	if (c->sent < sizeof(c->out)) {
		arm_send(w, c);
		return;
	}
	if (c->close_after_send)
		conn_close(w, c);
	else
		next_request(w, c);
}

/*
 * SIGTERM: take what waits in the accept queue, then stop listening (a
 * listening socket's shutdown ends it: new connections are refused, so a
 * balancer retries them elsewhere). Connections idle with nothing
 * arrived close now; the others are answered, and close once nothing
 * more arrives for DRAIN_IDLE_MS (arm_recv). The drain timeout ends the
 * rest.
 */
static void begin_stop(struct worker *w)
{
	struct io_uring_sqe *sqe;
	struct sockaddr_storage peer;
	socklen_t len;
	int fd;

	w->stopping = true;
	fcntl(w->listen_fd, F_SETFL, O_NONBLOCK);
	for (;;) {
		len = sizeof(peer);
		fd = accept4(w->listen_fd, (struct sockaddr *)&peer, &len,
			     SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			break;
		/* io_uring ops on it are asynchronous anyway */
		fcntl(fd, F_SETFL, 0);
		on_accept(w, fd, &peer);
	}
	shutdown(w->listen_fd, SHUT_RDWR);
	if (w->accept_armed) {
		sqe = get_sqe(w);
		io_uring_prep_cancel64(sqe, udata(OP_ACCEPT, 0, 0), 0);
		io_uring_sqe_set_data64(sqe, udata(OP_IGNORE, 0, 0));
	}
	sqe = get_sqe(w);
	ms_ts(&w->drain_ts, w->srv->cfg.drain_ms);
	io_uring_prep_timeout(sqe, &w->drain_ts, 0, 0);
	io_uring_sqe_set_data64(sqe, udata(OP_DRAIN, 0, 0));
	for (unsigned int i = 0; i < w->srv->cfg.max_conns; i++) {
		struct conn *c = &w->conns[i];

		if (c->state == C_RECV_HDR && !c->have &&
		    !bytes_readable(c->fd))
			conn_close(w, c);
	}
}

static void end_drain(struct worker *w)
{
	for (unsigned int i = 0; i < w->srv->cfg.max_conns; i++)
		if (w->conns[i].state != C_FREE)
			conn_close(w, &w->conns[i]);
}

static void handle_cqe(struct worker *w, const struct io_uring_cqe *cqe)
{
	uint64_t ud = cqe->user_data;
	enum op op = (enum op)(ud >> 56);
	unsigned int idx = (uint32_t)ud;
	struct conn *c;

	switch (op) {
	case OP_ACCEPT:
		w->accept_armed = false;
		on_accept(w, cqe->res, &w->peer);
		if (!w->stopping)
			arm_accept(w);
		return;
	case OP_STOP:
		w->stop_armed = false;
		begin_stop(w);
		return;
	case OP_DRAIN:
		end_drain(w);
		return;
	case OP_IGNORE:
		return;
	default:
		break;
	}
	if (idx >= w->srv->cfg.max_conns)
		return;
	c = &w->conns[idx];
	if (!c->pending || c->state == C_FREE)
		return;
	c->pending--;
	if (op == OP_RECV)
		on_recv(w, c, cqe->res);
	else if (op == OP_SEND)
		on_send(w, c, cqe->res);
	else if (op == OP_OUTQ)
		on_outq(w, c);
	else if (c->state == C_CLOSING)	/* a timeout's CQE */
		conn_close(w, c);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct io_uring_sqe *sqe;

	arm_accept(w);
	sqe = get_sqe(w);
	io_uring_prep_read(sqe, w->stop_fd, &w->stop_val, sizeof(w->stop_val), 0);
	io_uring_sqe_set_data64(sqe, udata(OP_STOP, 0, 0));
	w->stop_armed = true;

	while (!w->stopping || w->n_conns || w->accept_armed) {
		struct io_uring_cqe *cqe;
		unsigned int head, n = 0;
		int ret;

		ret = io_uring_submit_and_wait(&w->ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
			fprintf(stderr, "spex-serve: worker %u: io_uring: %s\n",
				w->idx, strerror(-ret));
			break;
		}
		io_uring_for_each_cqe(&w->ring, head, cqe) {
			handle_cqe(w, cqe);
			n++;
		}
		io_uring_cq_advance(&w->ring, n);
	}
	return NULL;
}

static int open_listener(struct server *s, bool first)
{
	int fd, one = 1;

	fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&s->addr, s->addrlen) < 0 ||
	    listen(fd, 1024) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (first) {
		struct sockaddr_storage a;
		socklen_t len = sizeof(a);

		getsockname(fd, (struct sockaddr *)&a, &len);
		s->port = ntohs(a.ss_family == AF_INET6 ?
				((struct sockaddr_in6 *)&a)->sin6_port :
				((struct sockaddr_in *)&a)->sin_port);
		/* the other workers join this port */
		if (s->addr.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&s->addr)->sin6_port = htons(s->port);
		else
			((struct sockaddr_in *)&s->addr)->sin_port = htons(s->port);
	}
	return fd;
}

static int worker_init(struct server *s, struct worker *w, unsigned int idx)
{
	const struct spex_model_desc *mi = s->mi;
	struct io_uring_params p = { 0 };
	int ret;

	w->srv = s;
	w->idx = idx;
	w->listen_fd = open_listener(s, idx == 0);
	if (w->listen_fd < 0)
		return w->listen_fd;
	w->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (w->stop_fd < 0)
		return -errno;
	w->conns = calloc(s->cfg.max_conns, sizeof(*w->conns));
	w->scratch = malloc(spex_model_scratch_size(s->tail));
	w->logits = malloc(mi->output_bytes);
	if (!w->conns || !w->scratch || !w->logits)
		return -ENOMEM;
	for (unsigned int i = 0; i < s->cfg.max_conns; i++) {
		w->conns[i].fd = -1;
		w->conns[i].buf = malloc(SPEX_WIRE_HDR_LEN + mi->input_bytes);
		if (!w->conns[i].buf)
			return -ENOMEM;
	}
	/* per connection at most 2 SQEs in flight, plus accept, stop and
	 * drain; the CQ is at least the SQ (256), or io_uring refuses it */
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = 4 * s->cfg.max_conns + 16;
	if (p.cq_entries < 512)
		p.cq_entries = 512;
	ret = io_uring_queue_init_params(256, &w->ring, &p);
	return ret;
}

static void worker_fini(struct worker *w)
{
	if (w->conns)
		for (unsigned int i = 0; i < w->srv->cfg.max_conns; i++) {
			if (w->conns[i].fd >= 0)
				close(w->conns[i].fd);
			free(w->conns[i].buf);
		}
	free(w->conns);
	free(w->scratch);
	free(w->logits);
	if (w->listen_fd >= 0)
		close(w->listen_fd);
	if (w->stop_fd >= 0)
		close(w->stop_fd);
}

static int load_tail(struct server *s)
{
	struct spex_diag diag = { 0 };
	size_t len;
	void *blob;
	int st;

	st = read_file(s->cfg.model_path, 0, &blob, &len);
	if (st) {
		fprintf(stderr, "spex-serve: %s: %s\n", s->cfg.model_path,
			strerror(-st));
		return -1;
	}
	st = spex_model_load(blob, len, NULL, &s->tail, &diag);
	free(blob);
	if (st != SPEX_OK) {
		fprintf(stderr, "spex-serve: %s: %s (%s at byte %u): %s\n",
			s->cfg.model_path, spex_status_str(st),
			spex_status_name(st), diag.offset, diag.msg);
		return -1;
	}
	s->mi = spex_model_info(s->tail);
	s->ex.kernels = spex_kernels_choose(getenv("SPEX_KERNELS"));
	if (s->mi->role != SPX_ROLE_TAIL) {
		fprintf(stderr, "spex-serve: %s: not a TAIL model (role %u)\n",
			s->cfg.model_path, s->mi->role);
		return -1;
	}
	return 0;
}

static int resolve(struct server *s)
{
	struct addrinfo hints = { 0 }, *ai;
	char port[8];
	int ret;

	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", s->cfg.port);
	ret = getaddrinfo(s->cfg.listen, port, &hints, &ai);
	if (ret) {
		fprintf(stderr, "spex-serve: %s: %s\n", s->cfg.listen,
			gai_strerror(ret));
		return -1;
	}
	memcpy(&s->addr, ai->ai_addr, ai->ai_addrlen);
	s->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/*
 * --haproxy-check: the tcp-check lines of a backend that must serve this
 * tail: a PING naming its hash, and the first 8 bytes of a healthy PONG
 * (magic, version, status OK; HASH or DRAINING differ there).
 */
static void print_check(const struct server *s)
{
	struct spex_wire_req q = { 0 };
	const uint8_t *b = (const uint8_t *)&q;
	struct spex_wire_pong p = { 0 };

	q.magic = htole32(SPEX_WIRE_REQ_MAGIC);
	q.version = htole16(SPEX_WIRE_VERSION);
	q.type = htole16(SPEX_WIRE_PING);
	memcpy(q.model_hash, s->mi->hash, SPX_HASH_LEN);
	q.crc32 = htole32(spex_wire_req_crc(&q, NULL, 0));
	printf("    tcp-check send-binary ");
	for (size_t i = 0; i < sizeof(q); i++)
		printf("%02x", b[i]);
	p.magic = htole32(SPEX_WIRE_PONG_MAGIC);
	p.version = htole16(SPEX_WIRE_VERSION);
	p.status = htole16(SPEX_WS_OK);
	b = (const uint8_t *)&p;
	printf("\n    tcp-check expect binary ");
	for (size_t i = 0; i < 8; i++)
		printf("%02x", b[i]);
	printf("\n");
}

/*
 * Every connection is a descriptor: raise the soft limit to the hard one
 * if needed, and refuse a configuration that still cannot start.
 */
static int check_fd_limit(const struct config *cfg)
{
	uint64_t need = (uint64_t)cfg->workers * (cfg->max_conns + 4) + 32;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ?
			      need : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		fprintf(stderr, "spex-serve: -w %u -c %u needs %llu file "
			"descriptors; the limit is %llu (ulimit -n): lower -c "
			"or -w\n", cfg->workers, cfg->max_conns,
			(unsigned long long)need,
			(unsigned long long)rl.rlim_cur);
		return -1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: spex-serve [OPTIONS] TAIL.spx\n"
"Serve the tail of a split spex network to libspex clients.\n\n"
"  -l, --listen ADDR      address to listen on (default 127.0.0.1)\n"
"  -p, --port N           TCP port (default %u; 0 picks a free one)\n"
"  -w, --workers N        worker threads, one io_uring each (default %u)\n"
"  -c, --max-conns N      connections per worker, 1..%u (default %u); a\n"
"                         quarter is kept for clients that completed a frame\n"
"  -s, --per-source N     connections from one address (an IPv6 /64), whole\n"
"                         server; 0 = no cap (default %u; behind a balancer\n"
"                         every connection has its address)\n"
"  -t, --idle-timeout MS  close a connection idle between frames this long\n"
"                         (default %u)\n"
"  -f, --frame-timeout MS close a connection whose frame is not whole this\n"
"                         long after its first byte, or after the accept\n"
"                         for the first frame (default %u)\n"
"      --send-timeout MS  close a connection that does not read its answers\n"
"                         this long (default %u)\n"
"      --drain-timeout MS on SIGTERM, answer what has arrived for at most\n"
"                         this long (default %u)\n"
"      --port-file FILE   write the bound port to FILE once listening\n"
"      --no-udp           TCP only (else UDP datagrams on the same port)\n"
"      --haproxy-check    print the tcp-check lines for this tail and exit\n"
"  -q, --quiet            no start-up and shutdown lines\n"
"  -h, --help\n\n"
"Examples:\n"
"  spex-serve tail.spx                      # 127.0.0.1:%u, %u workers\n"
"  spex-serve -p 0 --port-file /run/spex.port -w 4 tail.spx\n"
"  spex-serve -l 10.0.0.5 -s 0 tail.spx     # behind HAProxy\n"
"  spexctl infer --server 127.0.0.1:%u head.spx images.idx\n"
"SIGTERM or SIGINT: stop listening, answer what has arrived (PING says\n"
"DRAINING), exit 0.\n",
		SPEX_WIRE_PORT, DEFAULT_WORKERS, MAX_CONNS, DEFAULT_MAX_CONNS,
		DEFAULT_PER_SOURCE, DEFAULT_IDLE_MS, DEFAULT_FRAME_MS,
		DEFAULT_SEND_MS, DEFAULT_DRAIN_MS, SPEX_WIRE_PORT,
		DEFAULT_WORKERS, SPEX_WIRE_PORT);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "workers", required_argument, NULL, 'w' },
		{ "max-conns", required_argument, NULL, 'c' },
		{ "idle-timeout", required_argument, NULL, 't' },
		{ "frame-timeout", required_argument, NULL, 'f' },
		{ "send-timeout", required_argument, NULL, 'S' },
		{ "drain-timeout", required_argument, NULL, 'D' },
		{ "per-source", required_argument, NULL, 's' },
		{ "haproxy-check", no_argument, NULL, 'H' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-udp", no_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct server s = { 0 };
	struct serve_udp *udp = NULL;
	struct serve_udp_stats udp_st = { 0 };
	struct worker *ws;
	sigset_t sigs;
	unsigned int i, started = 0;
	int opt, sig, rc = 0;

	s.cfg.listen = "127.0.0.1";
	s.cfg.port = SPEX_WIRE_PORT;
	s.cfg.workers = DEFAULT_WORKERS;
	s.cfg.max_conns = DEFAULT_MAX_CONNS;
	s.cfg.idle_ms = DEFAULT_IDLE_MS;
	s.cfg.frame_ms = DEFAULT_FRAME_MS;
	s.cfg.send_ms = DEFAULT_SEND_MS;
	s.cfg.drain_ms = DEFAULT_DRAIN_MS;
	s.cfg.per_source = DEFAULT_PER_SOURCE;
	while ((opt = getopt_long(argc, argv, "l:p:w:c:t:f:s:qh", longopts,
				  NULL)) != -1) {
		bool ok = true;

		switch (opt) {
		case 'l': s.cfg.listen = optarg; break;
		case 'p': ok = !parse_u32(optarg, 10, 0, 65535, &s.cfg.port); break;
		case 'w': ok = !parse_u32(optarg, 10, 1, 256, &s.cfg.workers); break;
		case 'c': ok = !parse_u32(optarg, 10, 1, MAX_CONNS, &s.cfg.max_conns); break;
		case 's': ok = !parse_u32(optarg, 10, 0, 1u << 24, &s.cfg.per_source); break;
		case 't': ok = !parse_u32(optarg, 10, 1, 3600000, &s.cfg.idle_ms); break;
		case 'f': ok = !parse_u32(optarg, 10, 1, 3600000, &s.cfg.frame_ms); break;
		case 'S': ok = !parse_u32(optarg, 10, 1, 3600000, &s.cfg.send_ms); break;
		case 'D': ok = !parse_u32(optarg, 10, 1, 3600000, &s.cfg.drain_ms); break;
		case 'H': s.cfg.print_check = true; break;
		case 'P': s.cfg.port_file = optarg; break;
		case 'q': s.cfg.quiet = true; break;
		case 'U': s.cfg.no_udp = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (!ok) {
			const struct option *lo = longopts;

			while (lo->name && lo->val != opt)
				lo++;
			fprintf(stderr, "spex-serve: bad value for --%s: %s%s\n",
				lo->name, optarg, opt == 'c' ?
				" (1.." MAX_CONNS_STR ")" : "");
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	s.cfg.model_path = argv[optind];
	if (load_tail(&s))
		return 1;
	if (s.cfg.print_check) {
		print_check(&s);
		spex_model_free(s.tail);
		return 0;
	}
	if (check_fd_limit(&s.cfg)) {
		spex_model_free(s.tail);
		return 2;
	}
	if (resolve(&s))
		return 1;

	/* Only the main thread takes SIGTERM/SIGINT, through sigwait(). */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	ws = calloc(s.cfg.workers, sizeof(*ws));
	if (!ws)
		return 1;
	for (i = 0; i < s.cfg.workers; i++) {
		int ret;

		ws[i].listen_fd = ws[i].stop_fd = -1;
		ret = worker_init(&s, &ws[i], i);
		if (ret) {
			fprintf(stderr, "spex-serve: worker %u: %s\n", i,
				strerror(-ret));
			rc = 1;
			break;
		}
		if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i])) {
			rc = 1;
			break;
		}
		started++;
	}
	if (!rc && !s.cfg.no_udp) {
		/* the workers' port, now bound (-p 0 picked it) */
		struct serve_udp_cfg uc = {
			.m = s.tail, .ex = &s.ex, .addr = s.addr,
			.addrlen = s.addrlen, .threads = s.cfg.workers,
		};
		int ret = serve_udp_start(&uc, &udp);

		if (ret) {
			fprintf(stderr, "spex-serve: UDP port %u: %s\n", s.port,
				strerror(-ret));
			rc = 1;
		}
	}
	if (!rc) {
		if (s.cfg.port_file) {
			char tmp[4096];
			FILE *f;

			/* written whole, then renamed: readers never see half */
			snprintf(tmp, sizeof(tmp), "%s.tmp", s.cfg.port_file);
			f = fopen(tmp, "w");
			if (!f || fprintf(f, "%u\n", s.port) < 0 || fclose(f) ||
			    rename(tmp, s.cfg.port_file)) {
				fprintf(stderr, "spex-serve: %s: %s\n",
					s.cfg.port_file, strerror(errno));
				rc = 1;
			}
		}
		if (!s.cfg.quiet) {
			printf("spex-serve: %s: tail \"%s\", %u classes, "
			       "listening on %s port %u (TCP%s), %u workers\n",
			       s.cfg.model_path, s.mi->name, s.mi->n_classes,
			       s.cfg.listen, s.port, udp ? ", UDP" : "",
			       s.cfg.workers);
			fflush(stdout);
		}
	}
	if (!rc) {
		sigwait(&sigs, &sig);
	}
	atomic_store(&s.draining, true);
	serve_udp_stop(udp, &udp_st);
	for (i = 0; i < started; i++) {
		uint64_t one = 1;

		(void)!write(ws[i].stop_fd, &one, sizeof(one));
	}
	for (i = 0; i < started; i++) {
		pthread_join(ws[i].thread, NULL);
		io_uring_queue_exit(&ws[i].ring);
	}
	for (i = 0; i < s.cfg.workers; i++)
		if (ws[i].srv)
			worker_fini(&ws[i]);
	if (!s.cfg.quiet && !rc)
		printf("spex-serve: stopped: %lu frames answered, %lu pings, "
		       "%lu errors, %lu connections, %lu refused busy, %lu "
		       "over the per-source cap, %lu frame timeouts, %lu "
		       "closed not reading\n",
		       atomic_load(&s.frames), atomic_load(&s.pings),
		       atomic_load(&s.errors), atomic_load(&s.conns),
		       atomic_load(&s.busy), atomic_load(&s.source_busy),
		       atomic_load(&s.frame_timeouts),
		       atomic_load(&s.slow_readers));
	if (!s.cfg.quiet && !rc && udp)
		printf("spex-serve: UDP: %llu answered, %llu refused, "
		       "%llu dropped\n", (unsigned long long)udp_st.answered,
		       (unsigned long long)udp_st.refused,
		       (unsigned long long)udp_st.dropped);
	free(ws);
	spex_model_free(s.tail);
	return rc;
}
