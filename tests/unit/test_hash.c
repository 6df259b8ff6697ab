// SPDX-License-Identifier: MIT OR GPL-2.0
/* CRC-32 and SHA-256 against published vectors. */
#include <spex/engine.h>
#include "spex_test.h"

static void hex(const u8 *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = 0;
}

/* The reference: bit by bit, as the polynomial defines it. */
static u32 crc_bitwise(u32 crc, const u8 *p, size_t n)
{
	int k;

	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
	}
	return ~crc;
}

TEST(crc32_check_value)
{
	CHECK_EQ(spex_crc32(0, "123456789", 9), 0xCBF43926u);
	CHECK_EQ(spex_crc32(0, "", 0), 0);
	CHECK_EQ(spex_crc32(0, "a", 1), 0xE8B7BE43u);
	CHECK_EQ(spex_crc32(0, "The quick brown fox jumps over the lazy dog",
			    43), 0x414FA339u);
}

TEST(crc32_matches_bitwise_all_lengths_and_offsets)
{
	u8 buf[300];
	size_t off, len;
	u32 x = 12345;

	for (off = 0; off < sizeof(buf); off++) {
		x = x * 1103515245u + 12345u;
		buf[off] = (u8)(x >> 16);
	}
	for (off = 0; off < 8; off++)
		for (len = 0; len + off <= 280; len++)
			CHECK_EQ(spex_crc32(0, buf + off, len),
				 crc_bitwise(0, buf + off, len));
}

TEST(crc32_incremental)
{
	const char *s = "123456789";
	size_t cut;

	for (cut = 0; cut <= 9; cut++)
		CHECK_EQ(spex_crc32(spex_crc32(0, s, cut), s + cut, 9 - cut),
			 0xCBF43926u);
}

static void check_sha(const void *p, size_t n, const char *want)
{
	u8 d[32];
	char got[65];

	spex_sha256(p, n, d);
	hex(d, 32, got);
	CHECK(strcmp(got, want) == 0, "len %zu: got %s want %s", n, got, want);
}

TEST(sha256_vectors)
{
	check_sha("abc", 3,
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_sha("", 0,
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check_sha("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
		  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112,
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(sha256_million_a)
{
	static u8 a[1000000];
	struct spex_sha256_ctx ctx;
	u8 d[32];
	char got[65];
	const char *want =
		"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	size_t i, step;

	memset(a, 'a', sizeof(a));
	check_sha(a, sizeof(a), want);
	/* Incremental, in awkward pieces. */
	spex_sha256_init(&ctx);
	for (i = 0, step = 1; i < sizeof(a); i += step, step = step * 3 % 127 + 1)
		spex_sha256_update(&ctx, a + i,
				   step < sizeof(a) - i ? step : sizeof(a) - i);
	spex_sha256_final(&ctx, d);
	hex(d, 32, got);
	CHECK(strcmp(got, want) == 0, "incremental: %s", got);
}

TEST(sha256_padding_boundaries)
{
	/* Lengths around the 55/56/64-byte padding edges, one-shot against
	 * byte-at-a-time. */
	u8 buf[200], d1[32], d2[32];
	struct spex_sha256_ctx ctx;
	size_t n, i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (u8)(i * 7 + 3);
	for (n = 0; n <= sizeof(buf); n++) {
		spex_sha256(buf, n, d1);
		spex_sha256_init(&ctx);
		for (i = 0; i < n; i++)
			spex_sha256_update(&ctx, buf + i, 1);
		spex_sha256_final(&ctx, d2);
		CHECK(memcmp(d1, d2, 32) == 0, "n = %zu", n);
	}
}

TEST_MAIN(T(crc32_check_value), T(crc32_matches_bitwise_all_lengths_and_offsets),
	  T(crc32_incremental), T(sha256_vectors), T(sha256_million_a),
	  T(sha256_padding_boundaries))
