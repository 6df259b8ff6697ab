/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * One request frame checked and answered: the rules both of spex-serve's
 * transports (TCP stream, UDP datagram) apply, in one place.
 */
#ifndef SPEX_SERVE_FRAME_H
#define SPEX_SERVE_FRAME_H

#include <stdint.h>
#include <spex/engine.h>
#include <spex/wire.h>

/* What answering needs: the shared model and one thread's buffers. */
struct serve_tail {
	const struct spex_model *m;
	const struct spex_model_desc *mi;
	const struct spex_exec *ex;
	void *scratch;			/* spex_model_scratch_size(m) */
	uint8_t *logits;		/* mi->output_bytes */
};

/* A response header: magic, version, status, request id, n_classes. */
void serve_resp_init(struct spex_wire_resp *r, unsigned int status,
		     uint64_t request_id, uint32_t n_classes);
/*
 * The checks a header allows before its payload is read: magic (BAD_FRAME
 * with id 0), version, type/flags/reserved, payload_len against the
 * tail's input. Returns an enum spex_wire_status.
 */
unsigned int serve_check_header(const struct spex_wire_req *q,
				uint32_t input_bytes);
/*
 * The rest, once the payload is in (header already checked): CRC, model
 * hash, then the tail's run. Fills r whole but for crc32 and returns
 * its status.
 */
unsigned int serve_answer(const struct serve_tail *t,
			  const struct spex_wire_req *q, const uint8_t *payload,
			  struct spex_wire_resp *r);
/* Seal a response: its CRC. */
void serve_resp_seal(struct spex_wire_resp *r);

#endif
