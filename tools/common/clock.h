/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * The monotonic clock, for the tools' and tests' timings, and the
 * calling thread's CPU time (for single-threaded benchmarks on a shared
 * machine: time spent descheduled does not count).
 */
#ifndef SPEX_TOOLS_CLOCK_H
#define SPEX_TOOLS_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline double now_s(void)
{
	return now_ns() * 1e-9;
}

#endif /* SPEX_TOOLS_CLOCK_H */
