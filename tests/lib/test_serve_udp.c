// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * spex-serve's datagram form on 127.0.0.1: a valid request datagram is
 * answered like its TCP frame (the whole network's answer, the request
 * id, a valid CRC, the server's time and queue depth); every bad one
 * gets its error status, or silence when it has no header or not our
 * magic; the server answers valid datagrams throughout.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lt.h"
#include "spex_test.h"
#include <spex/wire.h>

static struct lt_split S;
static char *tail_path;

static int udp_socket(unsigned int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((u16)port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A valid request for input seed into b; returns its length. */
static size_t mk_req(u8 *b, u32 seed, u64 id)
{
	struct spex_wire_req q = { 0 };
	struct spex_result head;
	s8 in[64];

	lt_input(&S, seed, in);
	lt_run_head(&S, &(struct spex_policy){ .mode = SPEX_MODE_FORCE_OFFLOAD },
		    in, &head, b + SPEX_WIRE_HDR_LEN);
	q.magic = htole32(SPEX_WIRE_REQ_MAGIC);
	q.version = htole16(SPEX_WIRE_VERSION);
	q.type = htole16(SPEX_WIRE_INFER);
	q.request_id = htole64(id);
	memcpy(q.model_hash, S.full.wm.hash, SPX_HASH_LEN);
	q.payload_len = htole32(S.bneck_bytes);
	q.crc32 = htole32(spex_wire_req_crc(&q, b + SPEX_WIRE_HDR_LEN,
					    S.bneck_bytes));
	memcpy(b, &q, sizeof(q));
	return SPEX_WIRE_HDR_LEN + S.bneck_bytes;
}

static void reseal(u8 *b, size_t len)
{
	struct spex_wire_req *q = (struct spex_wire_req *)b;
	u32 pl = le32toh(q->payload_len);

	if (pl > len - SPEX_WIRE_HDR_LEN)
		pl = (u32)(len - SPEX_WIRE_HDR_LEN);
	q->crc32 = htole32(spex_wire_req_crc(q, b + SPEX_WIRE_HDR_LEN, pl));
}

/* The next reply, or -1 after a generous wait (a lost reply). */
static int recv_resp(int fd, struct spex_wire_resp *r)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 10000) != 1)
		return -1;
	return recv(fd, r, sizeof(*r), 0) == (ssize_t)sizeof(*r) ? 0 : -1;
}

/* Send b, expect a reply with status st for request id. */
static void expect_status(int fd, const u8 *b, size_t len, unsigned int st,
			  u64 id)
{
	struct spex_wire_resp r;

	CHECK_EQ(send(fd, b, len, 0), (ssize_t)len);
	CHECK_EQ(recv_resp(fd, &r), 0);
	CHECK_EQ(le32toh(r.magic), SPEX_WIRE_RESP_MAGIC);
	CHECK_EQ(le32toh(r.crc32), spex_wire_resp_crc(&r));
	CHECK_EQ(le16toh(r.status), st);
	CHECK_EQ(le64toh(r.request_id), id);
	CHECK_EQ(le32toh(r.n_classes), S.n_classes);
}

/* Send a valid request and check the answer against the full network. */
static void expect_answer(int fd, u32 seed, u64 id)
{
	static u8 b[SPEX_WIRE_HDR_LEN + 4096];
	struct spex_result full;
	struct spex_wire_resp r;
	s8 in[64];
	size_t len = mk_req(b, seed, id);

	CHECK_EQ(send(fd, b, len, 0), (ssize_t)len);
	CHECK_EQ(recv_resp(fd, &r), 0);
	lt_input(&S, seed, in);
	lt_run_full(&S, in, &full);
	CHECK_EQ(le16toh(r.status), SPEX_WS_OK);
	CHECK_EQ(le64toh(r.request_id), id);
	CHECK_EQ(le32toh(r.crc32), spex_wire_resp_crc(&r));
	CHECK_EQ(le32toh(r.decision), SPEX_DECISION_FINAL);
	CHECK_EQ(le32toh(r.class_id), full.class_id);
	CHECK_EQ(le32toh(r.confidence_q16), full.confidence_q16);
}

TEST(datagram_answers_equal_the_full_network)
{
	struct lt_server sv;
	int fd;

	CHECK_EQ(lt_serve_start(&sv, tail_path, 2), 0);
	fd = udp_socket(sv.port);
	CHECK(fd >= 0);
	for (u32 i = 0; i < 32; i++)
		expect_answer(fd, 700 + i, 1000 + i);
	close(fd);
	CHECK_EQ(lt_serve_stop(&sv), 0);
}

/* A burst: every request answered once; queue depth within the batch. */
TEST(burst_is_answered_once_each)
{
	static u8 b[64][SPEX_WIRE_HDR_LEN + 4096];
	struct lt_server sv;
	struct spex_wire_resp r;
	int seen[64] = { 0 }, fd;
	size_t len = 0;

	CHECK_EQ(lt_serve_start(&sv, tail_path, 1), 0);
	fd = udp_socket(sv.port);
	for (u32 i = 0; i < 64; i++)
		len = mk_req(b[i], 900 + i, i);
	for (u32 i = 0; i < 64; i++)
		CHECK_EQ(send(fd, b[i], len, 0), (ssize_t)len);
	for (u32 i = 0; i < 64; i++) {
		CHECK_EQ(recv_resp(fd, &r), 0);
		CHECK_EQ(le16toh(r.status), SPEX_WS_OK);
		CHECK(le64toh(r.request_id) < 64);
		CHECK(le32toh(r.queue_depth) < 32, "%u",
		      le32toh(r.queue_depth));
		if (le64toh(r.request_id) < 64)
			seen[le64toh(r.request_id)]++;
	}
	for (u32 i = 0; i < 64; i++)
		CHECK_EQ(seen[i], 1);
	close(fd);
	CHECK_EQ(lt_serve_stop(&sv), 0);
}

TEST(bad_datagrams_get_their_status_or_silence)
{
	static u8 b[SPEX_WIRE_HDR_LEN + 4096 + 16];
	struct spex_wire_req *q = (struct spex_wire_req *)b;
	struct lt_server sv;
	size_t len;
	int fd;

	CHECK_EQ(lt_serve_start(&sv, tail_path, 1), 0);
	fd = udp_socket(sv.port);

	/* a flipped payload bit: the CRC */
	len = mk_req(b, 1, 11);
	b[SPEX_WIRE_HDR_LEN] ^= 1;
	expect_status(fd, b, len, SPEX_WS_BAD_FRAME, 11);
	/* the version */
	len = mk_req(b, 1, 12);
	q->version = htole16(2);
	reseal(b, len);
	expect_status(fd, b, len, SPEX_WS_VERSION, 12);
	/* type, flags, reserved */
	len = mk_req(b, 1, 13);
	q->type = htole16(9);
	reseal(b, len);
	expect_status(fd, b, len, SPEX_WS_BAD_FRAME, 13);
	len = mk_req(b, 1, 14);
	q->flags = htole32(1);
	reseal(b, len);
	expect_status(fd, b, len, SPEX_WS_BAD_FRAME, 14);
	/* the model hash */
	len = mk_req(b, 1, 15);
	q->model_hash[3] ^= 0x40;
	reseal(b, len);
	expect_status(fd, b, len, SPEX_WS_HASH, 15);
	/* payload_len not the tail's, the datagram shorter or longer than
	 * its payload_len says */
	len = mk_req(b, 1, 16);
	q->payload_len = htole32(S.bneck_bytes - 1);
	reseal(b, len);
	expect_status(fd, b, len - 1, SPEX_WS_LENGTH, 16);
	len = mk_req(b, 1, 17);
	expect_status(fd, b, len - 1, SPEX_WS_LENGTH, 17);
	len = mk_req(b, 1, 18);
	expect_status(fd, b, len + 16, SPEX_WS_LENGTH, 18);
	len = mk_req(b, 1, 19);
	expect_status(fd, b, SPEX_WIRE_HDR_LEN, SPEX_WS_LENGTH, 19);

	/* no header, not our magic, empty: no reply at all; the valid
	 * request behind them is the next thing that comes back */
	len = mk_req(b, 1, 20);
	CHECK_EQ(send(fd, b, 10, 0), 10);
	CHECK_EQ(send(fd, b, 0, 0), 0);
	q->magic = htole32(SPEX_WIRE_RESP_MAGIC);
	CHECK_EQ(send(fd, b, len, 0), (ssize_t)len);
	memset(b, 0x5a, len);
	CHECK_EQ(send(fd, b, len, 0), (ssize_t)len);
	expect_answer(fd, 5, 21);

	close(fd);
	CHECK_EQ(lt_serve_stop(&sv), 0);
}

static void setup(void) __attribute__((constructor));
static void setup(void)
{
	lt_setup_tails(&S, &tail_path, NULL);
}

TEST_MAIN(T(datagram_answers_equal_the_full_network),
	  T(burst_is_answered_once_each),
	  T(bad_datagrams_get_their_status_or_silence))
