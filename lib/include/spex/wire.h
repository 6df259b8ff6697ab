/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * The offload wire format: the frames libspex and spex-serve exchange, as
 * Documentation/offload-protocol.rst describes it. Public (installed
 * beside libspex.h as <spex/wire.h>): both sides include this file, and
 * so may a third-party tail server; it is the single definition of the
 * frames. Userspace only, libc and the uapi header.
 *
 * A connection carries a sequence of exchanges: the client sends one
 * request frame (a 64-byte header, then payload_len bytes of bottleneck),
 * the server answers with one 64-byte response frame, in order. A client
 * may send the next requests before the answers (pipelining); answers
 * come in request order. A PING request (no payload) gets a PONG frame,
 * the health check: the tail's model hash, its load, whether it drains.
 * All integers are
 * little-endian; the structs are packed by construction (natural
 * alignment, no holes). The CRC-32 covers the frame with its crc field
 * as 0, the request's payload included.
 */
#ifndef SPEX_WIRE_H
#define SPEX_WIRE_H

#include <stdint.h>
#include <string.h>
#include <linux/spex.h>

#define SPEX_WIRE_REQ_MAGIC	0x51585053u	/* "SPXQ" as __le32 */
#define SPEX_WIRE_RESP_MAGIC	0x52585053u	/* "SPXR" as __le32 */
#define SPEX_WIRE_PONG_MAGIC	0x50585053u	/* "SPXP" as __le32 */
#define SPEX_WIRE_VERSION	1
#define SPEX_WIRE_HDR_LEN	64
#define SPEX_WIRE_MAX_PAYLOAD	(1u << 20)	/* largest bottleneck */
#define SPEX_WIRE_PORT		7407		/* spex-serve's default */
/*
 * The datagram form (UDP, same port): one request frame per datagram, one
 * response frame back to its source; the payload must fit one datagram.
 */
#define SPEX_WIRE_MAX_DGRAM	65507		/* UDP over IPv4 */

enum spex_wire_type {
	SPEX_WIRE_INFER		= 1,	/* payload: int8 bottleneck */
	SPEX_WIRE_PING		= 2,	/* no payload; answered by a PONG */
};

/* Response status: what the server made of the request. */
enum spex_wire_status {
	SPEX_WS_OK		= 0,	/* result fields are valid */
	SPEX_WS_BAD_FRAME	= 1,	/* magic, type, reserved or CRC: the
					 * server closes the connection */
	SPEX_WS_VERSION		= 2,	/* unsupported version; closes */
	SPEX_WS_HASH		= 3,	/* model hash differs from the tail */
	SPEX_WS_LENGTH		= 4,	/* payload_len is not the tail's
					 * input bytes (a PING's: not 0);
					 * closes: the stream cannot be
					 * resynchronised without it */
	SPEX_WS_ENGINE		= 5,	/* the tail failed; engine_status says
					 * why */
	SPEX_WS_BUSY		= 6,	/* too many connections (or from
					 * this source); closes */
	SPEX_WS_DRAINING	= 7,	/* PONG only: the tail is stopping;
					 * it answers what has arrived and
					 * takes no new connections */
	SPEX_WS_COUNT
};

struct spex_wire_req {
	__le32 magic;			/* SPEX_WIRE_REQ_MAGIC */
	__le16 version;			/* SPEX_WIRE_VERSION */
	__le16 type;			/* enum spex_wire_type */
	__le64 request_id;		/* echoed in the response */
	__u8 model_hash[SPX_HASH_LEN];	/* content hash of the head */
	__le32 payload_len;		/* bytes following this header */
	__le32 flags;			/* none defined: 0 */
	__le32 reserved;		/* 0 */
	__le32 crc32;			/* header (this field 0) + payload */
};					/* 64 bytes */

struct spex_wire_resp {
	__le32 magic;			/* SPEX_WIRE_RESP_MAGIC */
	__le16 version;			/* SPEX_WIRE_VERSION */
	__le16 status;			/* enum spex_wire_status */
	__le64 request_id;		/* the request's, or 0 if unreadable */
	__le32 decision;		/* SPEX_DECISION_FINAL */
	__le32 class_id;
	__le32 confidence_q16;
	__le32 engine_status;		/* enum spex_status */
	__le32 layers_run;
	__le32 n_classes;		/* of the tail: class_id < n_classes */
	__le64 macs;
	__le64 ns;			/* tail engine time; UDP: the time the
					 * server held the request, receipt
					 * to answer (engine included) */
	__le32 queue_depth;		/* UDP: requests received and not yet
					 * answered after this one; TCP: 0 */
	__le32 crc32;			/* the 64 bytes, this field 0 */
};					/* 64 bytes */

/* PONG flags */
#define SPEX_WIRE_PONG_DRAINING	(1u << 0)

/*
 * The answer to a PING. status is OK, HASH (the PING named a model_hash,
 * not all zero, that is not the tail's) or DRAINING; the first 8 bytes
 * are thus constant for a healthy tail, which a balancer's binary health
 * check matches (Documentation/offload-haproxy.rst).
 */
struct spex_wire_pong {
	__le32 magic;			/* SPEX_WIRE_PONG_MAGIC */
	__le16 version;			/* SPEX_WIRE_VERSION */
	__le16 status;			/* OK, HASH or DRAINING */
	__le64 request_id;		/* the PING's */
	__le32 flags;			/* SPEX_WIRE_PONG_* */
	__u8 model_hash[SPX_HASH_LEN];	/* the tail's content hash */
	__le32 conns;			/* connections open, whole server */
	__le32 max_conns;		/* connection slots, whole server */
	__le32 crc32;			/* the 64 bytes, this field 0 */
};					/* 64 bytes */

_Static_assert(sizeof(struct spex_wire_req) == SPEX_WIRE_HDR_LEN, "req");
_Static_assert(sizeof(struct spex_wire_pong) == SPEX_WIRE_HDR_LEN, "pong");
_Static_assert(sizeof(struct spex_wire_resp) == SPEX_WIRE_HDR_LEN, "resp");

/* CRC-32 (IEEE, as zlib) for frames: table-free, frames are small. */
static inline uint32_t spex_wire_crc(uint32_t crc, const void *p, size_t n)
{
	const uint8_t *b = p;

	crc = ~crc;
	while (n--) {
		crc ^= *b++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
	}
	return ~crc;
}

/* The CRC of a request: header with crc32 = 0, then the payload. */
static inline uint32_t spex_wire_req_crc(const struct spex_wire_req *r,
					 const void *payload, uint32_t len)
{
	struct spex_wire_req tmp = *r;
	uint32_t crc;

	tmp.crc32 = 0;
	crc = spex_wire_crc(0, &tmp, sizeof(tmp));
	return spex_wire_crc(crc, payload, len);
}

static inline uint32_t spex_wire_resp_crc(const struct spex_wire_resp *r)
{
	struct spex_wire_resp tmp = *r;

	tmp.crc32 = 0;
	return spex_wire_crc(0, &tmp, sizeof(tmp));
}

static inline uint32_t spex_wire_pong_crc(const struct spex_wire_pong *r)
{
	struct spex_wire_pong tmp = *r;

	tmp.crc32 = 0;
	return spex_wire_crc(0, &tmp, sizeof(tmp));
}

#endif /* SPEX_WIRE_H */
