/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * What FC and conv packing (fc_pack.c, conv_pack.c) share: size_t
 * arithmetic that saturates at SIZE_MAX instead of overflowing, the
 * 64-byte layout alignment, and copying one weight from file order.
 */
#ifndef SPEX_PACK_UTIL_H
#define SPEX_PACK_UTIL_H

#include <spex/platform.h>

#define PACK_ALIGN	64

/* a + b, a * b on size_t with overflow poisoning to SIZE_MAX. */
static inline size_t sz_add(size_t a, size_t b)
{
	size_t r;

	if (a == SIZE_MAX || b == SIZE_MAX || check_add_overflow(a, b, &r))
		return SIZE_MAX;
	return r;
}

static inline size_t sz_mul(size_t a, size_t b)
{
	size_t r;

	if (a == SIZE_MAX || b == SIZE_MAX || check_mul_overflow(a, b, &r))
		return SIZE_MAX;
	return r;
}

static inline size_t sz_align(size_t a)
{
	a = sz_add(a, PACK_ALIGN - 1);
	return a == SIZE_MAX ? SIZE_MAX : a & ~(size_t)(PACK_ALIGN - 1);
}

static inline size_t sz_max(size_t a, size_t b)
{
	return a > b ? a : b;
}

/* Weight si of src (s8, or little-endian f32) to slot di of dst. */
static inline void put_weight(void *dst, size_t di, const void *src, size_t si,
			      u32 elem_size)
{
	if (elem_size == 1) {
		((s8 *)dst)[di] = ((const s8 *)src)[si];
	} else {
		u32 v = spex_le32((const u8 *)src + si * 4);

		memcpy((u8 *)dst + di * 4, &v, 4);
	}
}

#endif /* SPEX_PACK_UTIL_H */
