// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * One request frame checked and answered (serve_frame.h): header rules,
 * CRC, hash, the tail's run and the response fields, for both transports.
 */
#include <endian.h>
#include <string.h>

#include "../common/clock.h"
#include "serve_frame.h"

void serve_resp_init(struct spex_wire_resp *r, unsigned int status,
		     uint64_t request_id, uint32_t n_classes)
{
	memset(r, 0, sizeof(*r));
	r->magic = htole32(SPEX_WIRE_RESP_MAGIC);
	r->version = htole16(SPEX_WIRE_VERSION);
	r->status = htole16((uint16_t)status);
	r->request_id = htole64(request_id);
	r->n_classes = htole32(n_classes);
}

unsigned int serve_check_header(const struct spex_wire_req *q,
				uint32_t input_bytes)
{
	if (le32toh(q->magic) != SPEX_WIRE_REQ_MAGIC)
		return SPEX_WS_BAD_FRAME;
	if (le16toh(q->version) != SPEX_WIRE_VERSION)
		return SPEX_WS_VERSION;
	if (le16toh(q->type) != SPEX_WIRE_INFER || q->flags || q->reserved)
		return SPEX_WS_BAD_FRAME;
	if (le32toh(q->payload_len) != input_bytes)
		return SPEX_WS_LENGTH;
	return SPEX_WS_OK;
}

unsigned int serve_answer(const struct serve_tail *t,
			  const struct spex_wire_req *q, const uint8_t *payload,
			  struct spex_wire_resp *r)
{
	uint32_t len = le32toh(q->payload_len);
	uint64_t id = le64toh(q->request_id), t0, t1;
	struct spex_result res;
	int st;

	if (le32toh(q->crc32) != spex_wire_req_crc(q, payload, len)) {
		serve_resp_init(r, SPEX_WS_BAD_FRAME, id, t->mi->n_classes);
		return SPEX_WS_BAD_FRAME;
	}
	if (memcmp(q->model_hash, t->mi->hash, SPX_HASH_LEN)) {
		serve_resp_init(r, SPEX_WS_HASH, id, t->mi->n_classes);
		return SPEX_WS_HASH;
	}
	t0 = now_ns();
	st = spex_run(t->m, NULL, t->ex, t->scratch, payload, len, t->logits,
		      t->mi->output_bytes, &res);
	t1 = now_ns();
	if (st != SPEX_OK) {
		serve_resp_init(r, SPEX_WS_ENGINE, id, t->mi->n_classes);
		r->engine_status = htole32((uint32_t)st);
		return SPEX_WS_ENGINE;
	}
	serve_resp_init(r, SPEX_WS_OK, id, t->mi->n_classes);
	r->decision = htole32(res.decision);
	r->class_id = htole32(res.class_id);
	r->confidence_q16 = htole32(res.confidence_q16);
	r->engine_status = htole32((uint32_t)st);
	r->layers_run = htole32(res.layers_run);
	r->macs = htole64(res.macs);
	r->ns = htole64(t1 - t0);
	return SPEX_WS_OK;
}

void serve_resp_seal(struct spex_wire_resp *r)
{
	r->crc32 = 0;
	r->crc32 = htole32(spex_wire_resp_crc(r));
}
