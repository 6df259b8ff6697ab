// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * spex-bench: side-by-side benchmarks.
 *
 *   spex-bench kernels [--json] [--quick]    layer kernels vs OpenBLAS/CSR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Calls of fn(ctx) that make one sample last sample_ns (after one
 * warm-up call); *last_ns: how long the last calibration sample took. */
static uint64_t calibrate(void (*fn)(void *ctx), void *ctx, double sample_ns,
			  double *last_ns)
{
	uint64_t iters = 1, i;
	double t0, dt;

	fn(ctx);
	for (;;) {
		t0 = thread_ns();
		for (i = 0; i < iters; i++)
			fn(ctx);
		dt = thread_ns() - t0;
		if (dt >= sample_ns) {
			if (last_ns)
				*last_ns = dt;
			return iters;
		}
		if (dt < sample_ns / 16)
			iters *= 8;
		else
			iters = (uint64_t)(iters * sample_ns / dt * 1.05) + 1;
	}
}

double bench_ns(void (*fn)(void *ctx), void *ctx, double sample_ns)
{
	double s[5], t0, dt;
	uint64_t iters, i;
	int k;

	/* the last calibration sample is the first of the five */
	iters = calibrate(fn, ctx, sample_ns, &dt);
	s[0] = dt / (double)iters;
	for (k = 1; k < 5; k++) {
		t0 = thread_ns();
		for (i = 0; i < iters; i++)
			fn(ctx);
		s[k] = (thread_ns() - t0) / (double)iters;
	}
	qsort(s, 5, sizeof(s[0]), cmp_double);
	return s[2];
}

void bench_ns_multi(void (*const fn[])(void *ctx), void *const ctx[], int n,
		    double sample_ns, double *out)
{
	uint64_t iters[BENCH_MULTI_MAX], i;
	double s[BENCH_MULTI_MAX][5], t0;
	int j, k;

	for (j = 0; j < n; j++)
		iters[j] = calibrate(fn[j], ctx[j], sample_ns, NULL);
	/* round robin: sample k of every contender back to back */
	for (k = 0; k < 5; k++)
		for (j = 0; j < n; j++) {
			t0 = thread_ns();
			for (i = 0; i < iters[j]; i++)
				fn[j](ctx[j]);
			s[j][k] = (thread_ns() - t0) / (double)iters[j];
		}
	/* the minimum: the sample least disturbed by other load */
	for (j = 0; j < n; j++) {
		qsort(s[j], 5, sizeof(s[j][0]), cmp_double);
		out[j] = s[j][0];
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: spex-bench kernels [--json] [--quick]\n"
		"  kernels   FC layer kernels (spex) against OpenBLAS dense,\n"
		"            a plain CSR SpMV/SpMM and spex's own dense kernel\n"
		"  --json    one JSON object per result line\n"
		"  --quick   a small subset (seconds)\n"
		"SPEX_KERNELS=scalar|avx2|avx512|avx512vnni|avxvnni picks the spex\n"
		"implementation (default: the widest this CPU runs).\n");
}

int main(int argc, char **argv)
{
	struct bench_opts o = { 0 };
	const char *cmd = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			o.json = 1;
		else if (!strcmp(argv[i], "--quick"))
			o.quick = 1;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage();
			return 0;
		} else if (!cmd && argv[i][0] != '-')
			cmd = argv[i];
		else {
			usage();
			return 2;
		}
	}
	if (!cmd) {
		usage();
		return 2;
	}
	if (!strcmp(cmd, "kernels"))
		return bench_kernels(&o);
	fprintf(stderr, "spex-bench: unknown benchmark '%s'\n", cmd);
	usage();
	return 2;
}
