// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * SHA-256 as FIPS 180-4 specifies it (declared in <spex/engine.h>): the
 * model content hash. Userspace only.
 */
#include <spex/engine.h>

static const u32 sha256_k[64] = {
	0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u,
	0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
	0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u,
	0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
	0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu,
	0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
	0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
	0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
	0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u,
	0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
	0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u,
	0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
	0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u,
	0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
	0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
	0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

static inline u32 ror32_(u32 x, unsigned int r)
{
	return (x >> r) | (x << (32 - r));
}

static inline u32 be32_(const u8 *b)
{
	return ((u32)b[0] << 24) | ((u32)b[1] << 16) | ((u32)b[2] << 8) |
	       (u32)b[3];
}

static inline void put_be32_(u8 *b, u32 v)
{
	b[0] = (u8)(v >> 24);
	b[1] = (u8)(v >> 16);
	b[2] = (u8)(v >> 8);
	b[3] = (u8)v;
}

static void sha256_block(u32 h[8], const u8 *blk)
{
	u32 w[64];
	u32 a, b, c, d, e, f, g, hh, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = be32_(blk + 4 * i);
	for (i = 16; i < 64; i++) {
		t1 = ror32_(w[i - 2], 17) ^ ror32_(w[i - 2], 19) ^
		     (w[i - 2] >> 10);
		t2 = ror32_(w[i - 15], 7) ^ ror32_(w[i - 15], 18) ^
		     (w[i - 15] >> 3);
		w[i] = t1 + w[i - 7] + t2 + w[i - 16];
	}
	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	f = h[5];
	g = h[6];
	hh = h[7];
	for (i = 0; i < 64; i++) {
		t1 = hh + (ror32_(e, 6) ^ ror32_(e, 11) ^ ror32_(e, 25)) +
		     ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
		t2 = (ror32_(a, 2) ^ ror32_(a, 13) ^ ror32_(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

void spex_sha256_init(struct spex_sha256_ctx *ctx)
{
	static const u32 iv[8] = {
		0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
		0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
	};

	memcpy(ctx->h, iv, sizeof(iv));
	ctx->len = 0;
	ctx->buf_len = 0;
}

void spex_sha256_update(struct spex_sha256_ctx *ctx, const void *p, size_t n)
{
	const u8 *in = p;
	size_t take;

	ctx->len += n;
	if (ctx->buf_len) {
		take = SPEX_SHA256_BLOCK - ctx->buf_len;
		if (take > n)
			take = n;
		memcpy(ctx->buf + ctx->buf_len, in, take);
		ctx->buf_len += (u32)take;
		in += take;
		n -= take;
		if (ctx->buf_len < SPEX_SHA256_BLOCK)
			return;
		sha256_block(ctx->h, ctx->buf);
		ctx->buf_len = 0;
	}
	while (n >= SPEX_SHA256_BLOCK) {
		sha256_block(ctx->h, in);
		in += SPEX_SHA256_BLOCK;
		n -= SPEX_SHA256_BLOCK;
	}
	if (n) {
		memcpy(ctx->buf, in, n);
		ctx->buf_len = (u32)n;
	}
}

void spex_sha256_final(struct spex_sha256_ctx *ctx, u8 out[SPEX_SHA256_LEN])
{
	u64 bits = ctx->len << 3;
	u32 i = ctx->buf_len;

	ctx->buf[i++] = 0x80;
	if (i > SPEX_SHA256_BLOCK - 8) {
		memset(ctx->buf + i, 0, SPEX_SHA256_BLOCK - i);
		sha256_block(ctx->h, ctx->buf);
		i = 0;
	}
	memset(ctx->buf + i, 0, SPEX_SHA256_BLOCK - 8 - i);
	put_be32_(ctx->buf + 56, (u32)(bits >> 32));
	put_be32_(ctx->buf + 60, (u32)bits);
	sha256_block(ctx->h, ctx->buf);
	for (i = 0; i < 8; i++)
		put_be32_(out + 4 * i, ctx->h[i]);
	memset(ctx, 0, sizeof(*ctx));
}

void spex_sha256(const void *p, size_t n, u8 out[SPEX_SHA256_LEN])
{
	struct spex_sha256_ctx ctx;

	spex_sha256_init(&ctx);
	spex_sha256_update(&ctx, p, n);
	spex_sha256_final(&ctx, out);
}
