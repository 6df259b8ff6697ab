// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Picking a kernel table (kern_table.c): by name, or the fastest one this
 * CPU runs, XNNPACK-style: userspace asks CPUID once, and XGETBV that the
 * OS saves the registers the table needs. core reads no environment: a
 * caller with an override (libspex and the tools read SPEX_KERNELS) hands
 * the name to spex_kernels_choose() and the table it gets back to
 * spex_run() in spex_exec.kernels.
 */
#include "kernels.h"

#if defined(SPEX_HAVE_AVX2) && !defined(__KERNEL__)
#include <cpuid.h>
#endif

static int name_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

#ifdef SPEX_HAVE_AVX2
enum {
	ISA_AVX2	= 1u << 0,	/* AVX2 + FMA, YMM state saved */
	ISA_AVX512	= 1u << 1,	/* AVX-512 F/BW/VL/DQ, ZMM + k state */
	ISA_AVX512VNNI	= 1u << 2,	/* ISA_AVX512 + AVX512_VNNI */
	ISA_AVXVNNI	= 1u << 3,	/* ISA_AVX2 + AVX-VNNI */
};

#ifdef __KERNEL__
/* The module checks boot_cpu_has(AVX2, FMA) before it uses AVX2; it
 * carries no wider table. */
static u32 cpu_isa(void)
{
	return ISA_AVX2;
}
#else
static u32 cpu_isa_probe(void)
{
	unsigned int a, b, c, d, max, xlo, xhi;
	u32 isa = 0;

	if (!__get_cpuid(0, &max, &b, &c, &d) || max < 7)
		return 0;
	__cpuid(1, a, b, c, d);
	/* OSXSAVE (27), AVX (28), FMA (12) */
	if (!(c & (1u << 27)) || !(c & (1u << 28)) || !(c & (1u << 12)))
		return 0;
	__asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
	if ((xlo & 0x6) != 0x6)			/* XMM and YMM state */
		return 0;
	__cpuid_count(7, 0, a, b, c, d);
	if (!(b & (1u << 5)))			/* AVX2 */
		return 0;
	isa |= ISA_AVX2;
	/* F (16), DQ (17), BW (30), VL (31); opmask, ZMM_Hi256, Hi16_ZMM */
	if ((b & 0xc0030000u) == 0xc0030000u && (xlo & 0xe0) == 0xe0) {
		isa |= ISA_AVX512;
		if (c & (1u << 11))		/* AVX512_VNNI */
			isa |= ISA_AVX512VNNI;
	}
	__cpuid_count(7, 1, a, b, c, d);
	if (a & (1u << 4))			/* AVX-VNNI */
		isa |= ISA_AVXVNNI;
	return isa;
}

/* Once per process; 1u << 31 marks the answer as known. */
static u32 cpu_isa(void)
{
	static u32 isa;
	u32 v = __atomic_load_n(&isa, __ATOMIC_RELAXED);

	if (!v) {
		v = cpu_isa_probe() | (1u << 31);
		__atomic_store_n(&isa, v, __ATOMIC_RELAXED);
	}
	return v;
}
#endif /* __KERNEL__ */

/* Every SIMD table, widest first, with the ISA bits it needs. */
static const struct {
	const struct spex_kernels *k;
	u32 needs;
} simd_tables[] = {
#ifdef SPEX_HAVE_AVX512
	{ &spex_kernels_avx512vnni, ISA_AVX2 | ISA_AVX512 | ISA_AVX512VNNI },
	{ &spex_kernels_avx512, ISA_AVX2 | ISA_AVX512 },
	{ &spex_kernels_avxvnni, ISA_AVX2 | ISA_AVXVNNI },
#endif
	{ &spex_kernels_avx2, ISA_AVX2 },
};
#endif /* SPEX_HAVE_AVX2 */

const struct spex_kernels *spex_kernels_by_name(const char *name)
{
#ifdef SPEX_HAVE_AVX2
	u32 i;
#endif

	if (!name)
		return NULL;
	if (name_eq(name, spex_kernels_scalar.name))
		return &spex_kernels_scalar;
#ifdef SPEX_HAVE_AVX2
	for (i = 0; i < SPEX_ARRAY_SIZE(simd_tables); i++)
		if (name_eq(name, simd_tables[i].k->name))
			return (cpu_isa() & simd_tables[i].needs) ==
			       simd_tables[i].needs ? simd_tables[i].k : NULL;
#endif
	return NULL;
}

#ifdef __KERNEL__
/* The module makes its own choice (boot_cpu_has) and passes it in. */
const struct spex_kernels *spex_kernels_best(void)
{
	return &spex_kernels_scalar;
}
#else
const struct spex_kernels *spex_kernels_best(void)
{
#ifdef SPEX_HAVE_AVX2
	u32 isa = cpu_isa(), i;

	for (i = 0; i < SPEX_ARRAY_SIZE(simd_tables); i++)
		if ((isa & simd_tables[i].needs) == simd_tables[i].needs)
			return simd_tables[i].k;
#endif
	return &spex_kernels_scalar;
}
#endif

const struct spex_kernels *spex_kernels_choose(const char *name)
{
	const struct spex_kernels *k = NULL;

	if (name && *name)
		k = spex_kernels_by_name(name);
	return k ? k : spex_kernels_best();
}
