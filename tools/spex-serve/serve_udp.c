// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * spex-serve's UDP listener: one request frame per datagram, its answer
 * to the datagram's source, no state per client. Each thread owns one
 * SO_REUSEPORT socket and reads datagrams in batches (recvmmsg); the
 * reply carries the time the server held the request and how many of
 * the batch still wait behind it, so the edge can tell network time from
 * tail time.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../common/clock.h"
#include "serve_frame.h"
#include "serve_udp.h"

#define UDP_BATCH	32

struct udp_thread {
	struct serve_udp *u;
	pthread_t thread;
	bool started;
	int fd;
	struct serve_tail tail;
	uint8_t *bufs;			/* UDP_BATCH x buf_len */
	size_t buf_len;
	struct mmsghdr in[UDP_BATCH], out[UDP_BATCH];
	struct iovec in_iov[UDP_BATCH], out_iov[UDP_BATCH];
	struct sockaddr_storage peer[UDP_BATCH];
	struct spex_wire_resp resp[UDP_BATCH];
	uint64_t answered, refused, dropped;
};

struct serve_udp {
	int stop_fd;			/* eventfd: readable once stopping */
	unsigned int n;
	struct udp_thread *t;
};

/*
 * One datagram of len bytes (truncated: longer than the buffer) into
 * t->resp[k]. false: stay silent (too short for a header, or not our
 * magic; a reply would make the server an amplifier for spoofed junk).
 */
static bool answer_one(struct udp_thread *t, unsigned int k, size_t len,
		       bool truncated, uint64_t t_in)
{
	const uint8_t *b = t->bufs + k * t->buf_len;
	const struct spex_wire_req *q = (const void *)b;
	const struct spex_model_desc *mi = t->tail.mi;
	struct spex_wire_resp *r = &t->resp[k];
	unsigned int st;

	if (len < SPEX_WIRE_HDR_LEN ||
	    le32toh(q->magic) != SPEX_WIRE_REQ_MAGIC)
		return false;
	st = serve_check_header(q, mi->input_bytes);
	if (st == SPEX_WS_OK &&
	    (truncated || len != SPEX_WIRE_HDR_LEN + (size_t)mi->input_bytes))
		st = SPEX_WS_LENGTH;	/* payload_len is not what came */
	if (st == SPEX_WS_OK)
		st = serve_answer(&t->tail, q, b + SPEX_WIRE_HDR_LEN, r);
	else
		serve_resp_init(r, st, le64toh(q->request_id), mi->n_classes);
	if (st == SPEX_WS_OK)
		r->ns = htole64(now_ns() - t_in);
	return true;
}

static void serve_batch(struct udp_thread *t, int n, uint64_t t_in)
{
	unsigned int out = 0;

	for (int k = 0; k < n; k++) {
		struct spex_wire_resp *r = &t->resp[k];

		if (!answer_one(t, (unsigned int)k, t->in[k].msg_len,
				t->in[k].msg_hdr.msg_flags & MSG_TRUNC, t_in)) {
			t->dropped++;
			continue;
		}
		r->queue_depth = htole32((uint32_t)(n - 1 - k));
		serve_resp_seal(r);
		if (le16toh(r->status) == SPEX_WS_OK)
			t->answered++;
		else
			t->refused++;
		t->out_iov[out] = (struct iovec){ r, sizeof(*r) };
		t->out[out].msg_hdr = (struct msghdr){
			.msg_name = &t->peer[k],
			.msg_namelen = t->in[k].msg_hdr.msg_namelen,
			.msg_iov = &t->out_iov[out], .msg_iovlen = 1,
		};
		out++;
	}
	/* a full socket buffer drops answers, as the network may: the
	 * client's deadline covers both */
	for (unsigned int sent = 0; sent < out;) {
		int ret = sendmmsg(t->fd, t->out + sent, out - sent,
				   MSG_DONTWAIT);

		if (ret <= 0)
			break;
		sent += (unsigned int)ret;
	}
}

static void *udp_main(void *arg)
{
	struct udp_thread *t = arg;
	struct pollfd p[2] = {
		{ .fd = t->fd, .events = POLLIN },
		{ .fd = t->u->stop_fd, .events = POLLIN },
	};

	for (;;) {
		int n;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		for (int k = 0; k < UDP_BATCH; k++) {
			t->in_iov[k] = (struct iovec){
				t->bufs + k * t->buf_len, t->buf_len };
			t->in[k].msg_hdr = (struct msghdr){
				.msg_name = &t->peer[k],
				.msg_namelen = sizeof(t->peer[k]),
				.msg_iov = &t->in_iov[k], .msg_iovlen = 1,
			};
		}
		n = recvmmsg(t->fd, t->in, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n > 0)
			serve_batch(t, n, now_ns());
	}
	return NULL;
}

static int udp_socket(const struct serve_udp_cfg *cfg)
{
	int fd, one = 1, buf = 4 << 20;

	fd = socket(cfg->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (bind(fd, (const struct sockaddr *)&cfg->addr, cfg->addrlen) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int thread_init(const struct serve_udp_cfg *cfg, struct udp_thread *t)
{
	const struct spex_model_desc *mi = spex_model_info(cfg->m);

	t->fd = udp_socket(cfg);
	if (t->fd < 0)
		return t->fd;
	/* one byte more than a frame: a longer datagram shows as MSG_TRUNC */
	t->buf_len = SPEX_WIRE_HDR_LEN + (size_t)mi->input_bytes + 1;
	t->bufs = malloc(UDP_BATCH * t->buf_len);
	t->tail = (struct serve_tail){
		.m = cfg->m, .mi = mi, .ex = cfg->ex,
		.scratch = malloc(spex_model_scratch_size(cfg->m)),
		.logits = malloc(mi->output_bytes),
	};
	if (!t->bufs || !t->tail.scratch || !t->tail.logits)
		return -ENOMEM;
	return 0;
}

void serve_udp_stop(struct serve_udp *u, struct serve_udp_stats *st)
{
	uint64_t one = 1;

	if (!u)
		return;
	(void)!write(u->stop_fd, &one, sizeof(one));
	for (unsigned int i = 0; i < u->n; i++) {
		struct udp_thread *t = &u->t[i];

		if (t->started)
			pthread_join(t->thread, NULL);
		if (st) {
			st->answered += t->answered;
			st->refused += t->refused;
			st->dropped += t->dropped;
		}
		if (t->fd >= 0)
			close(t->fd);
		free(t->bufs);
		free(t->tail.scratch);
		free(t->tail.logits);
	}
	close(u->stop_fd);
	free(u->t);
	free(u);
}

int serve_udp_start(const struct serve_udp_cfg *cfg, struct serve_udp **out)
{
	struct serve_udp *u = calloc(1, sizeof(*u));
	int ret = -ENOMEM;

	if (!u)
		return -ENOMEM;
	if (spex_model_info(cfg->m)->input_bytes >
	    SPEX_WIRE_MAX_DGRAM - SPEX_WIRE_HDR_LEN) {
		free(u);
		return -EMSGSIZE;	/* the tail's input needs TCP */
	}
	u->stop_fd = eventfd(0, EFD_CLOEXEC);
	u->t = calloc(cfg->threads, sizeof(*u->t));
	if (u->stop_fd < 0 || !u->t) {
		ret = u->stop_fd < 0 ? -errno : -ENOMEM;
		goto fail;
	}
	for (unsigned int i = 0; i < cfg->threads; i++) {
		struct udp_thread *t = &u->t[i];

		t->fd = -1;
		u->n++;
		t->u = u;
		ret = thread_init(cfg, t);
		if (ret)
			goto fail;
		ret = -pthread_create(&t->thread, NULL, udp_main, t);
		if (ret)
			goto fail;
		t->started = true;
	}
	*out = u;
	return 0;
fail:
	if (u->stop_fd < 0) {
		free(u->t);
		free(u);
		return ret;
	}
	serve_udp_stop(u, NULL);
	return ret;
}
