// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * End-to-end libspex benchmark (make bench-lib; not a test): the split
 * test network, spex-serve on 127.0.0.1, and for each mode
 *   all-local        FORCE_LOCAL: every job exits on this machine
 *   all-offload      FORCE_OFFLOAD: every job goes to the tail
 *   exit-or-offload  AUTO at the model's thresholds
 * the per-input latency of spex_infer() (p50, p99) and the throughput of
 * batched spex_submit()/spex_reap() with 64 jobs in flight. The backend
 * is the user engine, or /dev/spex with SPEX_TEST_BACKEND=device; device
 * numbers inside the guest (SPEX_VM set) are labelled as emulated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "lt.h"

#define N_LAT	4000
#define N_TPUT	20000

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	static const struct { const char *name; u32 mode; } modes[] = {
		{ "all-local", SPEX_MODE_FORCE_LOCAL },
		{ "all-offload", SPEX_MODE_FORCE_OFFLOAD },
		{ "exit-or-offload", SPEX_MODE_AUTO },
	};
	static s8 in[256][64];
	static uint64_t lat[N_LAT];
	struct spex_open_opts oo = { .queue_depth = 64 };
	const char *b = getenv("SPEX_TEST_BACKEND");
	struct lt_split s;
	struct lt_server sv;
	struct spex *h;
	char *tail;
	u32 id;

	if (b && !strcmp(b, "device"))
		oo.backend = SPEX_BACKEND_DEVICE;
	else
		oo.backend = SPEX_BACKEND_USER;
	if (lt_split_build(&s, 42) || !(tail = lt_write_tmp(s.tail_blob, s.tail_len, "tail.spx")) ||
	    lt_serve_start(&sv, tail, 2)) {
		fprintf(stderr, "bench-lib: set-up failed\n");
		return 1;
	}
	if (spex_open(&oo, &h) ||
	    spex_load_blob(h, s.head_blob, s.head_len, &id, NULL)) {
		fprintf(stderr, "bench-lib: cannot open the %s backend\n",
			b ? b : "user");
		return 1;
	}
	{
		struct spex_offload_opts off = { .host = "127.0.0.1",
						 .port = (u16)sv.port,
						 .deadline_ms = 5000, .max_conns = 8 };
		spex_set_offload(h, id, &off);
	}
	for (int i = 0; i < 256; i++)
		lt_input(&s, (u32)i, in[i]);

	printf("libspex end to end: %s backend%s%s, head %u MACs, tail on "
	       "spex-serve (127.0.0.1, 2 workers)\n",
	       spex_backend_name(spex_backend_of(h)),
	       spex_uses_uring_cmd(h) ? " (uring_cmd)" :
	       spex_backend_of(h) == SPEX_BACKEND_DEVICE ? " (ioctl)" : "",
	       getenv("SPEX_VM") && spex_backend_of(h) == SPEX_BACKEND_DEVICE ?
	       ", EMULATED IN QEMU" : "",
	       (u32)spex_model_info(s.head_m)->macs);
	printf("%-16s %10s %10s %14s %9s %9s\n", "mode", "p50 us", "p99 us",
	       "jobs/s (x64)", "tail %", "fallback");
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		struct spex_policy pol = { .mode = modes[m].mode };
		struct spex_completion c[64];
		uint64_t t0, t1, tail_n = 0, fb = 0;
		u32 next = 0, done = 0;

		spex_set_model_policy(h, id, &pol);
		for (int i = 0; i < N_LAT; i++) {
			struct spex_req r = { .model_id = id, .input = in[i & 255],
					      .input_len = s.in_bytes };
			struct spex_completion one;

			t0 = now_ns();
			spex_infer(h, &r, &one);
			lat[i] = now_ns() - t0;
		}
		qsort(lat, N_LAT, sizeof(lat[0]), cmp);
		t0 = now_ns();
		while (done < N_TPUT) {
			struct spex_req r[64];
			u32 k = 0;
			int n;

			while (next + k < N_TPUT && k < 64) {
				r[k] = (struct spex_req){ .model_id = id,
					.input = in[(next + k) & 255],
					.input_len = s.in_bytes };
				k++;
			}
			n = k ? spex_submit(h, r, k) : 0;
			if (n > 0)
				next += (u32)n;
			n = spex_reap(h, c, 64, 1, -1);
			for (int q = 0; q < n; q++) {
				tail_n += c[q].origin == SPEX_ORIGIN_TAIL;
				fb += c[q].origin == SPEX_ORIGIN_FALLBACK;
			}
			done += (u32)(n > 0 ? n : 0);
		}
		t1 = now_ns();
		printf("%-16s %10.2f %10.2f %14.0f %8.1f%% %9llu\n",
		       modes[m].name, lat[N_LAT / 2] / 1e3,
		       lat[N_LAT * 99 / 100] / 1e3, N_TPUT / ((t1 - t0) / 1e9),
		       100.0 * tail_n / N_TPUT, (unsigned long long)fb);
	}
	spex_close(h);
	lt_serve_stop(&sv);
	lt_split_free(&s);
	return 0;
}
