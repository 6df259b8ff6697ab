// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Picking a kernel table (kern_table.c): by name, or the fastest one this
 * CPU runs. core reads no environment: a caller with an override
 * (libspex and the tools read SPEX_KERNELS) hands the name to
 * spex_kernels_choose() and the table it gets back to spex_run() in
 * spex_exec.kernels.
 */
#include "kernels.h"

static int name_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

#ifdef SPEX_HAVE_AVX2
static int avx2_runnable(void)
{
#ifdef __KERNEL__
	/* The module checks boot_cpu_has(AVX2, FMA) before it uses it. */
	return 1;
#else
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
}
#endif

const struct spex_kernels *spex_kernels_by_name(const char *name)
{
	if (!name)
		return NULL;
	if (name_eq(name, spex_kernels_scalar.name))
		return &spex_kernels_scalar;
#ifdef SPEX_HAVE_AVX2
	if (name_eq(name, spex_kernels_avx2.name))
		return avx2_runnable() ? &spex_kernels_avx2 : NULL;
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
	static const struct spex_kernels *best;
	const struct spex_kernels *k = __atomic_load_n(&best, __ATOMIC_ACQUIRE);

	if (k)
		return k;
#ifdef SPEX_HAVE_AVX2
	if (avx2_runnable())
		k = &spex_kernels_avx2;
#endif
	if (!k)
		k = &spex_kernels_scalar;
	__atomic_store_n(&best, k, __ATOMIC_RELEASE);
	return k;
}
#endif

const struct spex_kernels *spex_kernels_choose(const char *name)
{
	const struct spex_kernels *k = NULL;

	if (name && *name)
		k = spex_kernels_by_name(name);
	return k ? k : spex_kernels_best();
}
