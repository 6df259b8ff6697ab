// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The offload decision under a shaped link (scripts/bench-net.sh; not a
 * test): a trained HEAD, its tail on spex-serve across the link, labelled
 * IDX images submitted at a fixed rate, one policy. Prints one JSON line:
 * accuracy, deadline-miss rate (answers later than the deadline, whatever
 * answered them), bytes sent per input (probes included), the share of
 * local answers, and the tail's estimates at the end.
 *
 *   bench_net HEAD.spx HOST PORT IMAGES LABELS NET_MODE DEADLINE_MS
 *             RATE COUNT BUDGET_KBPS
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "idx.h"
#include "spex/libspex.h"
#include <spex/engine.h>

#define HARD_MS	1000	/* the tail's own timeout, as libspex's default */

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_net: %s: %s\n", what, spex_strerror(err));
	exit(1);
}

int main(int argc, char **argv)
{
	struct spex_open_opts oo = { .backend = SPEX_BACKEND_USER,
				     .queue_depth = 64 };
	struct spex_offload_opts off = { .deadline_ms = HARD_MS };
	struct spex_policy pol = { .mode = SPEX_MODE_AUTO };
	struct spex_model_desc d;
	struct spex_tail_stats st;
	struct idx_dataset ds;
	struct spex_completion c[64];
	struct spex *h;
	uint32_t id, mode, n, rate, deadline_us, correct = 0, misses = 0;
	uint32_t local = 0, next = 0, done = 0;
	uint64_t *t_sub, t0;
	s8 *in;
	char err[256];
	int ret;

	if (argc != 11 || spex_name_value(SPEX_NAMES_NET_MODE, argv[6], &mode)) {
		fprintf(stderr, "usage: bench_net HEAD HOST PORT IMAGES LABELS "
			"confidence|deadline|adaptive DEADLINE_MS RATE COUNT "
			"BUDGET_KBPS\n");
		return 2;
	}
	deadline_us = (uint32_t)(atof(argv[7]) * 1000);
	rate = (uint32_t)atoi(argv[8]);
	if ((ret = spex_open(&oo, &h)) ||
	    (ret = spex_load_file(h, argv[1], &id, NULL)) ||
	    (ret = spex_describe_model(h, id, &d, NULL, 0)))
		die(argv[1], ret);
	if (idx_load(argv[4], argv[5], d.n_classes, &ds, err, sizeof(err))) {
		fprintf(stderr, "bench_net: %s\n", err);
		return 1;
	}
	n = (uint32_t)atoi(argv[9]);
	if (!n || n > ds.n)
		n = ds.n;
	if (ds.rows * ds.cols != d.input_bytes || !rate)
		die("images do not fit the model", -EINVAL);
	in = malloc((size_t)n * d.input_bytes);
	t_sub = calloc(n, sizeof(*t_sub));
	if (!in || !t_sub)
		die("memory", -ENOMEM);
	for (size_t i = 0; i < (size_t)n * d.input_bytes; i++)
		in[i] = spex_quant_u8(ds.pixels[i], d.input_q.scale_bits,
				      (s32)d.input_q.zero_point);
	pol.net_mode = (uint16_t)mode;
	pol.deadline_us = mode == SPEX_NET_CONFIDENCE ? 0 : deadline_us;
	if ((ret = spex_set_model_policy(h, id, &pol)))
		die("policy", ret);
	off.host = argv[2];
	off.port = (uint16_t)atoi(argv[3]);
	off.budget_kBps = (uint32_t)atoi(argv[10]);
	if ((ret = spex_set_offload(h, id, &off)))
		die("offload", ret);

	t0 = now_ns();
	while (done < n) {
		uint64_t now = now_ns(), due;
		int wait_ms, got;

		/* submit what is due at RATE inputs/s */
		while (next < n && t0 + next * 1000000000ull / rate <= now) {
			struct spex_req r = {
				.model_id = id, .input = in + (size_t)next * d.input_bytes,
				.input_len = d.input_bytes, .user_data = next,
			};

			t_sub[next] = now;
			if (spex_submit(h, &r, 1) != 1)
				break;
			next++;
		}
		due = next < n ? t0 + next * 1000000000ull / rate : now + 1000000;
		wait_ms = due > now ? (int)((due - now) / 1000000) : 0;
		got = spex_reap(h, c, 64, 1, wait_ms ? wait_ms : 1);
		now = now_ns();
		for (int k = 0; k < got; k++) {
			uint32_t i = (uint32_t)c[k].user_data;

			done++;
			if (c[k].res)
				continue;
			if (now - t_sub[i] > (uint64_t)deadline_us * 1000)
				misses++;
			if (c[k].origin != SPEX_ORIGIN_TAIL)
				local++;
			if (c[k].result.class_id == ds.labels[i])
				correct++;
		}
	}
	if ((ret = spex_get_tail_stats(h, id, &st)))
		die("tail stats", ret);
	printf("{\"policy\":\"%s\",\"inputs\":%u,\"accuracy\":%.4f,"
	       "\"miss_rate\":%.4f,\"bytes_per_input\":%.1f,"
	       "\"local_share\":%.4f,\"srtt_us\":%u,\"rttvar_us\":%u,"
	       "\"loss\":%.4f,\"down\":%u,\"by_reason\":[",
	       argv[6], n, (double)correct / n, (double)misses / n,
	       (double)st.bytes_sent / n, (double)local / n, st.srtt_us,
	       st.rttvar_us, st.loss_q16 / 65536.0, st.down);
	for (int r = 0; r < SPEX_NET_R_COUNT; r++)
		printf("%s%llu", r ? "," : "", (unsigned long long)st.by_reason[r]);
	printf("]}\n");
	spex_close(h);
	idx_free(&ds);
	free(in);
	free(t_sub);
	return 0;
}
