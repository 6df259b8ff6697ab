/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * A tiny unit-test kit: each test program is a list of TEST() functions
 * run by TEST_MAIN(). Every CHECK counts; a test program prints one TAP-ish
 * line per test and ends with "N passed, N failed", the line the top-level
 * runner adds up.
 */
#ifndef SPEX_TEST_H
#define SPEX_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct spex_test {
	const char *name;
	void (*fn)(void);
};

extern int spex_test_failures;	/* failed CHECKs in the current test */

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			spex_test_failures++;				\
			fprintf(stderr, "  %s:%d: CHECK(%s) failed: ",	\
				__FILE__, __LINE__, #cond);		\
			fprintf(stderr, " " __VA_ARGS__);		\
			fputc('\n', stderr);				\
		}							\
	} while (0)

/* CHECK_EQ for integers, printing both sides. */
#define CHECK_EQ(a, b)							\
	do {								\
		long long _a = (long long)(a), _b = (long long)(b);	\
		CHECK(_a == _b, "%s = %lld, %s = %lld", #a, _a, #b, _b); \
	} while (0)

#define TEST(fn_name) static void fn_name(void)

#define TEST_MAIN(...)							\
	int spex_test_failures;						\
	int main(int argc, char **argv)					\
	{								\
		static const struct spex_test tests[] = { __VA_ARGS__ }; \
		int n = sizeof(tests) / sizeof(tests[0]);		\
		int passed = 0, failed = 0;				\
		printf("1..%d\n", n);					\
		for (int i = 0; i < n; i++) {				\
			if (argc > 1 && !strstr(tests[i].name, argv[1])) \
				continue;				\
			spex_test_failures = 0;				\
			tests[i].fn();					\
			if (spex_test_failures) {			\
				failed++;				\
				printf("not ok %d - %s\n", i + 1,	\
				       tests[i].name);			\
			} else {					\
				passed++;				\
				printf("ok %d - %s\n", i + 1,		\
				       tests[i].name);			\
			}						\
		}							\
		printf("%d passed, %d failed\n", passed, failed);	\
		return failed ? 1 : 0;					\
	}

#define T(fn_name) { #fn_name, fn_name }

/*
 * Every kernel table core can carry, by name (spex_kernels_by_name). A
 * test runs each one this CPU runs and reports the others as skipped.
 */
#define SPEX_TEST_KERNEL_NAMES \
	{ "scalar", "avx2", "avx512", "avx512vnni", "avxvnni" }
#define SPEX_TEST_MAX_IMPLS	5

/* The runnable tables into out (at most SPEX_TEST_MAX_IMPLS); how many. */
#define SPEX_TEST_PICK_IMPLS(out, n)					\
	do {								\
		static const char *const _nm[] = SPEX_TEST_KERNEL_NAMES; \
		unsigned _i;						\
		for (_i = 0; _i < sizeof(_nm) / sizeof(_nm[0]); _i++) { \
			const struct spex_kernels *_k =			\
				spex_kernels_by_name(_nm[_i]);		\
			if (_k)						\
				(out)[(n)++] = _k;			\
			else						\
				printf("# skip kernels '%s': not built "	\
				       "or not runnable on this CPU\n", \
				       _nm[_i]);			\
		}							\
	} while (0)

#endif /* SPEX_TEST_H */
