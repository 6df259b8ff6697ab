/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/* spex-bench: shared timing helpers and the subcommands. */
#ifndef SPEX_BENCH_H
#define SPEX_BENCH_H

#include <stdint.h>

#include "../common/clock.h"

struct bench_opts {
	int json;		/* one JSON object per line */
	int quick;		/* a small subset, < 20 s */
};

/* ns per call of fn(ctx), in this thread's CPU time (every contender
 * runs in the calling thread; OpenBLAS has one thread): calls repeat
 * until a sample lasts sample_ns; the median of 5 samples, after one
 * warm-up call. */
double bench_ns(void (*fn)(void *ctx), void *ctx, double sample_ns);

/* The same for n contenders at once, their samples taken round robin so
 * that each ratio compares measurements made close together in time;
 * this one keeps the minimum of the 5 (the machine is shared, and the
 * fastest sample is the one least disturbed by other load). */
#define BENCH_MULTI_MAX	8
void bench_ns_multi(void (*const fn[])(void *ctx), void *const ctx[], int n,
		    double sample_ns, double *out);

int bench_kernels(const struct bench_opts *o);

#endif
