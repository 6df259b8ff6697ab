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

#endif /* SPEX_TEST_H */
