/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * The platform shim: the only place core/ touches its environment.
 * Everything in core/ includes this (through <spex/engine.h>) and nothing
 * else outside core/ and the uapi header, so the same files build
 * freestanding in the kernel (Kbuild defines __KERNEL__) and in
 * userspace. Public because the engine contract is written in its types
 * (u8 .. u64) and little-endian helpers.
 */
#ifndef SPEX_PLATFORM_H
#define SPEX_PLATFORM_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/slab.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/overflow.h>
#include <linux/math64.h>
#include <linux/stdarg.h>
#include <linux/sched.h>
#include <asm/byteorder.h>

/*
 * Charged to the loader's memory cgroup; never above INT_MAX, where
 * kvmalloc() would warn (the loader's budget keeps it far below).
 */
#define spex_alloc(n)		((n) > INT_MAX ? NULL : \
				 kvzalloc((n), GFP_KERNEL_ACCOUNT))
#define spex_free(p)		kvfree(p)
#define spex_snprintf		snprintf
#define spex_vsnprintf		vsnprintf
#define spex_div_u64(a, b)	div64_u64((a), (b))
#define spex_le16_to_cpu(x)	le16_to_cpu(x)
#define spex_le32_to_cpu(x)	le32_to_cpu(x)
/* The loader's long loops let others run (it runs in process context). */
#define spex_yield()		cond_resched()
/* Floating point never runs in the kernel: f32 models are refused. */
#define SPEX_CORE_FLOAT		0
#else /* userspace */
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <math.h>
#include <endian.h>

#ifndef U32_MAX
#define U32_MAX			UINT32_MAX
#endif

#include <linux/types.h>

/* The kernel's names, on the same underlying types as the uapi __u64 &c,
 * so one format string serves both worlds (u64 is unsigned long long). */
typedef __s8 s8;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;

#define spex_alloc(n)		calloc(1, (n))
#define spex_yield()		((void)0)
#define spex_free(p)		free(p)
#define spex_snprintf		snprintf
#define spex_vsnprintf		vsnprintf
#define spex_div_u64(a, b)	((u64)(a) / (u64)(b))
#define spex_le16_to_cpu(x)	((u16)le16toh(x))
#define spex_le32_to_cpu(x)	((u32)le32toh(x))
#define SPEX_CORE_FLOAT		1
#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#define check_mul_overflow(a, b, d)	__builtin_mul_overflow(a, b, d)
#ifndef likely
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#endif
#endif /* __KERNEL__ */

/* The uapi header: the kernel build finds it under -I$(src)/include,
 * userspace under -Iinclude/uapi (never -Iinclude: that <linux/spex.h>
 * is the module's in-kernel API). */
#ifdef __KERNEL__
#include <uapi/linux/spex.h>
#else
#include <linux/spex.h>
#endif

/* Little-endian field access that is also safe on unaligned pointers. */
static inline u16 spex_le16(const void *p)
{
	const u8 *b = p;

	return (u16)(b[0] | (b[1] << 8));
}

static inline u32 spex_le32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] | ((u32)b[1] << 8) | ((u32)b[2] << 16) |
	       ((u32)b[3] << 24);
}

static inline void spex_put_le16(void *p, u16 v)
{
	u8 *b = p;

	b[0] = (u8)v;
	b[1] = (u8)(v >> 8);
}

static inline void spex_put_le32(void *p, u32 v)
{
	u8 *b = p;

	b[0] = (u8)v;
	b[1] = (u8)(v >> 8);
	b[2] = (u8)(v >> 16);
	b[3] = (u8)(v >> 24);
}

#define SPEX_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SPEX_ALIGN_UP(x, a)	(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))

#endif /* SPEX_PLATFORM_H */
