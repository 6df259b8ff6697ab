// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Offload to a tail server over io_uring sockets.
 *
 * An OFFLOAD job arms its deadline (IORING_OP_TIMEOUT), takes a pooled
 * connection (or opens one, or waits for one) and runs one exchange as a
 * linked chain: [connect ->] send(request) -> recv(response, WAITALL).
 * Whatever happens, the job completes once:
 *   - a valid response             -> SPEX_ORIGIN_TAIL
 *   - error, EOF, garbage, refusal -> SPEX_ORIGIN_FALLBACK, tail_err says
 *   - the deadline                 -> SPEX_ORIGIN_FALLBACK, -ETIMEDOUT, at
 *                                     once; the ops are cancelled and the
 *                                     connection closed when they drain.
 * A reused connection that turns out dead (the server restarted) is
 * retried once on a fresh one, and the idle pool is flushed.
 *
 * Before any of that, the network-aware decision (core/net_decide.c, one
 * struct spex_net_tail per tail) may answer the job here at once: the
 * tail is down, the answer would miss the job's deadline, or the link is
 * over budget. A probe is answered here at once too, and its exchange
 * still runs, only to measure the tail. Every exchange's fate (answer or
 * failure, once) goes back to the estimator.
 */
#include <endian.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libspex_int.h"

static int resolve_one(const char *host, unsigned int port,
		       struct lib_endpoint *ep)
{
	struct addrinfo hints = { 0 }, *ai;
	char portstr[8];
	int ret;

	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", port);
	ret = getaddrinfo(host, portstr, &hints, &ai);
	if (ret)
		return ret == EAI_MEMORY ? -ENOMEM : -EHOSTUNREACH;
	memcpy(&ep->addr, ai->ai_addr, ai->ai_addrlen);
	ep->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/*
 * host is one address, or several separated by commas, each "HOST",
 * "HOST:PORT" or "[IPV6]:PORT" (o->port where none is given).
 */
int lib_tail_resolve(const struct spex_offload_opts *o, struct lib_tail *t)
{
	const char *p = o->host;

	t->n_ep = 0;
	while (*p) {
		char item[256], *host = item, *colon;
		size_t len = strcspn(p, ",");
		unsigned long port = o->port;
		int ret;

		if (!len || len >= sizeof(item) || t->n_ep == LIB_MAX_ENDPOINTS)
			return -EINVAL;
		memcpy(item, p, len);
		item[len] = 0;
		p += len;
		if (*p == ',' && !*++p)
			return -EINVAL;		/* a trailing comma */
		if (*host == '[') {		/* [v6] or [v6]:port */
			char *end = strchr(host, ']');

			if (!end)
				return -EINVAL;
			*end = 0;
			colon = end[1] == ':' ? end + 1 : NULL;
			if (end[1] && !colon)
				return -EINVAL;
			host++;
		} else {
			colon = strchr(host, ':');
			if (colon && strchr(colon + 1, ':'))
				colon = NULL;	/* a bare IPv6 address */
		}
		if (colon) {
			char *end;

			*colon = 0;
			port = strtoul(colon + 1, &end, 10);
			if (*end || !port || port > 65535)
				return -EINVAL;
		}
		ret = resolve_one(host, (unsigned int)port, &t->ep[t->n_ep]);
		if (ret)
			return ret;
		t->n_ep++;
	}
	return t->n_ep ? 0 : -EINVAL;
}

/* Round robin over the endpoints, skipping those that failed lately
 * unless all have. */
static uint32_t pick_endpoint(struct lib_tail *t)
{
	uint64_t now = lib_now_ns();

	for (uint32_t k = 0; k < t->n_ep; k++) {
		uint32_t e = t->next_ep++ % t->n_ep;

		if (t->ep[e].down_until <= now)
			return e;
	}
	return t->next_ep++ % t->n_ep;
}

static void flush_idle(struct lib_tail *t)
{
	while (t->n_idle) {
		close(t->idle[--t->n_idle]);
		t->n_open--;
	}
}

/* The tail is no longer a model's target: close what is idle; busy
 * connections close when their exchange ends. */
void lib_tail_release(struct lib_tail *t)
{
	t->retired = true;
	flush_idle(t);
}

static void build_frame(struct spex *h, struct lib_job *j)
{
	uint32_t blen = j->result.bottleneck_len;
	size_t need = SPEX_WIRE_HDR_LEN + blen;
	struct spex_wire_req *r;

	r = (struct spex_wire_req *)j->frame;
	memset(r, 0, sizeof(*r));
	r->magic = htole32(SPEX_WIRE_REQ_MAGIC);
	r->version = htole16(SPEX_WIRE_VERSION);
	r->type = htole16(SPEX_WIRE_INFER);
	r->request_id = htole64(++h->next_req_id);
	memcpy(r->model_hash, j->model->hash, SPX_HASH_LEN);
	r->payload_len = htole32(blen);
	memcpy(j->frame + SPEX_WIRE_HDR_LEN, j->out, blen);
	r->crc32 = htole32(spex_wire_req_crc(r, j->frame + SPEX_WIRE_HDR_LEN,
					     blen));
	j->frame_len = (uint32_t)need;
	j->req_id = h->next_req_id;
	j->n_classes = j->model->n_classes;
}

/* Tell the estimator how the exchange ended (once per job). */
static void net_report(struct lib_job *j, bool answered)
{
	uint64_t now = lib_now_ns();

	if (!j->net_open)
		return;
	j->net_open = false;
	if (answered)
		spex_net_answer(&j->tail->net, now / 1000,
				(uint32_t)((now - j->t_sent) / 1000),
				(uint32_t)(le64toh(j->resp.ns) / 1000),
				j->frame_len, j->probe);
	else
		spex_net_timeout(&j->tail->net, now / 1000, j->probe);
}

static void disarm_deadline(struct spex *h, struct lib_job *j)
{
	struct io_uring_sqe *sqe;

	if (!j->deadline_armed || j->deadline_fired)
		return;
	sqe = lib_get_sqe(h);
	io_uring_prep_timeout_remove(sqe, lib_op_data(j, OP_DEADLINE), 0);
	io_uring_sqe_set_data64(sqe, lib_op_data(j, OP_IGNORE));
	j->pending_ops++;
}

static void finish(struct spex *h, struct lib_job *j, uint32_t origin)
{
	net_report(j, origin == SPEX_ORIGIN_TAIL);
	disarm_deadline(h, j);
	lib_job_complete(h, j, 0, origin);
}

static void exchange(struct spex *h, struct lib_job *j, int fd, bool connect)
{
	struct lib_tail *t = j->tail;
	struct io_uring_sqe *sqe;

	j->fd = fd;
	j->state = JOB_NET;
	j->net_err = 0;
	j->resp_ok = false;
	if (connect) {
		sqe = lib_get_sqe(h);
		io_uring_prep_connect(sqe, fd,
				      (struct sockaddr *)&t->ep[j->ep].addr,
				      t->ep[j->ep].addrlen);
		sqe->flags |= IOSQE_IO_LINK;
		io_uring_sqe_set_data64(sqe, lib_op_data(j, OP_CONNECT));
		j->net_ops++;
		j->pending_ops++;
		h->stats.conns_opened++;
	} else {
		h->stats.conn_reuses++;
	}
	sqe = lib_get_sqe(h);
	io_uring_prep_send(sqe, fd, j->frame, j->frame_len,
			   MSG_NOSIGNAL | MSG_WAITALL);
	sqe->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data64(sqe, lib_op_data(j, OP_SEND));
	sqe = lib_get_sqe(h);
	io_uring_prep_recv(sqe, fd, &j->resp, sizeof(j->resp), MSG_WAITALL);
	io_uring_sqe_set_data64(sqe, lib_op_data(j, OP_RECV));
	j->net_ops += 2;
	j->pending_ops += 2;
}

static void fail_now(struct spex *h, struct lib_job *j, int err)
{
	j->net_err = err;
	finish(h, j, SPEX_ORIGIN_FALLBACK);
}

/* Give j a connection, or queue it until one frees up. */
static void conn_acquire(struct spex *h, struct lib_job *j, bool fresh)
{
	struct lib_tail *t = j->tail;
	int fd, one = 1;

	if (t->n_idle && !fresh) {
		j->conn_reused = true;
		exchange(h, j, t->idle[--t->n_idle], false);
		return;
	}
	if (t->n_open >= t->max_conns) {
		if (t->n_idle) {	/* fresh wanted: trade an idle one */
			close(t->idle[--t->n_idle]);
			t->n_open--;
		} else {
			j->state = JOB_WAIT_CONN;
			j->wait_next = NULL;
			if (t->wait_tail)
				t->wait_tail->wait_next = j;
			else
				t->wait_head = j;
			t->wait_tail = j;
			return;
		}
	}
	j->ep = pick_endpoint(t);
	fd = socket(t->ep[j->ep].addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail_now(h, j, -errno);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	t->n_open++;
	j->conn_reused = false;
	exchange(h, j, fd, true);
}

static void wait_remove(struct lib_tail *t, struct lib_job *j)
{
	struct lib_job **pp;

	for (pp = &t->wait_head; *pp; pp = &(*pp)->wait_next) {
		if (*pp != j)
			continue;
		*pp = j->wait_next;
		if (t->wait_tail == j) {
			struct lib_job *p = t->wait_head;

			while (p && p->wait_next)
				p = p->wait_next;
			t->wait_tail = p;
		}
		return;
	}
}

/* A connection went idle or closed: hand capacity to the next waiter. */
static void wake_waiter(struct spex *h, struct lib_tail *t)
{
	struct lib_job *j = t->wait_head;

	if (!j || (!t->n_idle && t->n_open >= t->max_conns))
		return;
	t->wait_head = j->wait_next;
	if (!t->wait_head)
		t->wait_tail = NULL;
	conn_acquire(h, j, j->retried);
}

/* Start the exchange, bounded by us microseconds. */
static void offload_start(struct spex *h, struct lib_job *j, uint64_t us)
{
	size_t need = SPEX_WIRE_HDR_LEN + j->result.bottleneck_len;
	struct io_uring_sqe *sqe;

	if (j->result.bottleneck_len > j->req.output_len ||
	    j->result.bottleneck_len > SPEX_WIRE_MAX_PAYLOAD) {
		fail_now(h, j, -EMSGSIZE);
		return;
	}
	if (j->frame_cap < need) {
		void *nb = realloc(j->frame, need);

		if (!nb) {
			fail_now(h, j, -ENOMEM);
			return;
		}
		j->frame = nb;
		j->frame_cap = need;
	}
	build_frame(h, j);
	j->net_open = true;
	j->t_sent = lib_now_ns();

	j->deadline_ts.tv_sec = (long long)(us / 1000000);
	j->deadline_ts.tv_nsec = (long long)(us % 1000000) * 1000;
	sqe = lib_get_sqe(h);
	io_uring_prep_timeout(sqe, &j->deadline_ts, 0, 0);
	io_uring_sqe_set_data64(sqe, lib_op_data(j, OP_DEADLINE));
	j->deadline_armed = true;
	j->pending_ops++;
	conn_acquire(h, j, false);
}

static int32_t status_errno(unsigned int st)
{
	switch (st) {
	case SPEX_WS_BAD_FRAME:	return -EPROTO;
	case SPEX_WS_VERSION:	return -EPROTONOSUPPORT;
	case SPEX_WS_HASH:	return -ESTALE;
	case SPEX_WS_LENGTH:	return -EMSGSIZE;
	case SPEX_WS_ENGINE:	return -EREMOTEIO;
	case SPEX_WS_BUSY:	return -EBUSY;
	default:		return -EBADMSG;
	}
}

/* 0 if the response is a well-formed answer to j's request. */
static int32_t check_resp(const struct lib_job *j)
{
	const struct spex_wire_resp *r = &j->resp;

	if (le32toh(r->magic) != SPEX_WIRE_RESP_MAGIC ||
	    le32toh(r->crc32) != spex_wire_resp_crc(r))
		return -EBADMSG;
	if (le16toh(r->version) != SPEX_WIRE_VERSION)
		return -EPROTONOSUPPORT;
	if (le16toh(r->status) != SPEX_WS_OK)
		return status_errno(le16toh(r->status));
	if (le64toh(r->request_id) != j->req_id ||
	    le32toh(r->decision) != SPEX_DECISION_FINAL ||
	    le32toh(r->n_classes) != j->n_classes ||
	    le32toh(r->class_id) >= j->n_classes ||
	    le32toh(r->confidence_q16) > SPX_Q16_ONE)
		return -EBADMSG;
	return 0;
}

static bool retryable(int32_t err)
{
	return err == -ECONNRESET || err == -EPIPE || err == -ENOTCONN;
}

/* Errors of one endpoint that another may not have. */
static bool endpoint_failed(int32_t err)
{
	return retryable(err) || err == -ECONNREFUSED || err == -EBUSY ||
	       err == -ESTALE || err == -EHOSTUNREACH || err == -ENETUNREACH;
}

/* Every op of this exchange has completed. */
static void attempt_done(struct spex *h, struct lib_job *j)
{
	struct lib_tail *t = j->tail;
	int fd = j->fd;

	j->fd = -1;
	if (j->resp_ok && !j->deadline_fired && !t->retired &&
	    t->n_idle < LIB_MAX_CONNS) {
		t->idle[t->n_idle++] = fd;
	} else {
		close(fd);
		t->n_open--;
	}
	if (j->net_open) {
		if (j->resp_ok) {
			finish(h, j, SPEX_ORIGIN_TAIL);
		} else if (j->conn_reused && !j->retried &&
			   retryable(j->net_err)) {
			/* the pool went stale: try once on a new connection */
			j->retried = true;
			h->stats.retries++;
			flush_idle(t);
			conn_acquire(h, j, true);
		} else if (!j->conn_reused && !j->retried && t->n_ep > 1 &&
			   endpoint_failed(j->net_err)) {
			/* this endpoint failed: once more on the next one */
			t->ep[j->ep].down_until = lib_now_ns() + LIB_EP_DOWN_NS;
			j->retried = true;
			h->stats.retries++;
			conn_acquire(h, j, true);
		} else {
			if (!j->net_err)
				j->net_err = -EIO;
			finish(h, j, SPEX_ORIGIN_FALLBACK);
		}
	}
	wake_waiter(h, t);
}

void lib_offload_cqe(struct spex *h, struct lib_job *j, enum lib_op_kind kind,
		     int res)
{
	struct io_uring_sqe *sqe;

	if (kind == OP_DEADLINE) {
		j->deadline_armed = false;
		if (res != -ETIME || !j->net_open)
			return;		/* removed, or raced with the answer */
		j->deadline_fired = true;
		if (j->state == JOB_WAIT_CONN) {
			wait_remove(j->tail, j);
		} else if (j->fd >= 0) {
			/* the ops drain with -ECANCELED, then attempt_done()
			 * closes the connection: its stream is out of sync */
			sqe = lib_get_sqe(h);
			io_uring_prep_cancel_fd(sqe, j->fd,
						IORING_ASYNC_CANCEL_ALL);
			io_uring_sqe_set_data64(sqe, lib_op_data(j, OP_IGNORE));
			j->pending_ops++;
		}
		net_report(j, false);
		j->net_err = -ETIMEDOUT;
		lib_job_complete(h, j, 0, SPEX_ORIGIN_FALLBACK);
		return;
	}

	j->net_ops--;
	if (kind == OP_CONNECT && res == 0)
		j->t_sent = lib_now_ns();	/* a connect is paid once: the
						 * estimate is of the exchange */
	if (res < 0) {
		if (!j->net_err && res != -ECANCELED)
			j->net_err = res;
	} else if (kind == OP_SEND && (uint32_t)res != j->frame_len) {
		if (!j->net_err)
			j->net_err = -EPIPE;
	} else if (kind == OP_RECV) {
		if (res < (int)sizeof(j->resp)) {
			/* EOF before a whole reply: the server went away */
			if (!j->net_err)
				j->net_err = -ECONNRESET;
		} else if (!j->net_err) {
			j->net_err = check_resp(j);
			j->resp_ok = j->net_err == 0;
		}
	}
	if (!j->net_ops)
		attempt_done(h, j);
}

/* Why a job the decision kept here fell back (its tail_err). */
static int32_t reason_errno(const struct lib_tail *t, uint32_t reason)
{
	switch (reason) {
	case SPEX_NET_R_BUDGET:	return -ENOBUFS;
	case SPEX_NET_R_DOWN:	return -EHOSTDOWN;
	case SPEX_NET_R_PROBE:	return t->net.down ? -EHOSTDOWN : -ETIME;
	default:		return -ETIME;	/* DEADLINE */
	}
}

/* The head decided OFFLOAD: send the job, or answer it here. */
void lib_offload_decide(struct spex *h, struct lib_job *j)
{
	const struct spex_policy *p = &j->model->net_pol;
	struct lib_tail *t = j->tail;
	uint64_t now = lib_now_ns(), hard = (uint64_t)t->deadline_ms * 1000;
	uint64_t used = (now - j->t_submit) / 1000, left;
	uint32_t e = j->result.exit_index, reason;
	struct spex_net_frame f = {
		.decision = SPEX_DECISION_OFFLOAD,
		.net_mode = p->net_mode,
		.k = p->rttvar_k,
		.conf_q16 = j->result.confidence_q16,
		.thr_q16 = e < SPX_MAX_EXITS && e < p->n_thresholds ?
			   p->threshold_q16[e] : SPX_Q16_ONE,
		.bytes = SPEX_WIRE_HDR_LEN + j->result.bottleneck_len,
	};

	left = p->deadline_us > used ? p->deadline_us - used : 0;
	f.deadline_us = (uint32_t)left;
	reason = spex_net_decide(&t->net, now / 1000, &f);
	if (reason == SPEX_NET_R_OFFLOAD) {
		j->in_net = true;
		h->in_net++;
		/* (b), (c): the job's own deadline bounds the wait too */
		offload_start(h, j, p->net_mode != SPEX_NET_CONFIDENCE &&
				    left < hard ? left : hard);
		return;
	}
	if (reason == SPEX_NET_R_PROBE) {
		/* the exchange holds the slot; the job is answered now */
		j->probe = true;
		offload_start(h, j, hard);
	}
	j->net_err = reason_errno(t, reason);
	lib_job_complete(h, j, 0, SPEX_ORIGIN_FALLBACK);
	j->net_err = 0;
}

/* An exit answered: the decision counts it (confident). */
void lib_offload_note_exit(struct lib_job *j)
{
	struct spex_net_frame f = { .decision = SPEX_DECISION_EXIT };

	spex_net_decide(&j->tail->net, lib_now_ns() / 1000, &f);
}
