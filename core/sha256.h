/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * SHA-256 (FIPS 180-4), one-shot and incremental. Used for the model
 * content hash (spx_meta.content_hash). Freestanding, no allocation.
 */
#ifndef SPEX_SHA256_H
#define SPEX_SHA256_H

#include "spex_platform.h"

#define SPEX_SHA256_LEN		32
#define SPEX_SHA256_BLOCK	64

struct spex_sha256_ctx {
	u32 h[8];
	u64 len;			/* bytes hashed so far */
	u8 buf[SPEX_SHA256_BLOCK];	/* a partial block */
	u32 buf_len;
};

void spex_sha256_init(struct spex_sha256_ctx *ctx);
void spex_sha256_update(struct spex_sha256_ctx *ctx, const void *p, size_t n);
/* Writes the digest and wipes ctx; init it again to reuse it. */
void spex_sha256_final(struct spex_sha256_ctx *ctx, u8 out[SPEX_SHA256_LEN]);

void spex_sha256(const void *p, size_t n, u8 out[SPEX_SHA256_LEN]);

#endif /* SPEX_SHA256_H */
