// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * spex-demo: the early end-to-end demo of the engine.
 *
 * It builds a small predefined-sparse split model with the engine's own
 * writer API (an MNIST-shaped head: 784 -> 112 clash-free -> 56 structured
 * random, with two early exits), loads it the way the kernel module does,
 * runs a few hundred inputs and prints each decision, the exit rate and
 * what sparsity saved against the dense equivalent.
 *
 * The weights are random until spex-train exists, so the classes mean
 * nothing; the mechanics (patterns regenerated from a few numbers,
 * int8 kernels, exits, real early termination, offload of the bottleneck)
 * are the real ones.
 */
#include "clock.h"
#include "modelgen.h"
#include "parse.h"
#include <spex/engine.h>
#include <getopt.h>
#include <unistd.h>

/* Calibration: every exit's confidence, collected by the exit hook. */
struct calib {
	u32 n[SPX_MAX_EXITS];
	u32 *conf[SPX_MAX_EXITS];
};

static void on_exit_done(void *priv, const struct spex_exit_event *ev)
{
	struct calib *c = priv;

	c->conf[ev->exit][c->n[ev->exit]++] = ev->confidence_q16;
}

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [-n INPUTS] [-s SEED] [-q]\n"
		"  -n INPUTS  how many inputs to run (default 300, 1..1000000)\n"
		"  -s SEED    model and input seed (default 1)\n"
		"  -q         print only the summary\n"
		"example: %s -n 500 -s 7\n", prog, prog);
}

int main(int argc, char **argv)
{
	u32 n_inputs = 300, seed = 1, i, l, exits[SPX_MAX_EXITS] = { 0 };
	u32 offloads = 0;
	u64 macs = 0, bytes_sent = 0;
	const struct spex_model_desc *mi;
	struct spex_model *m = NULL;
	struct spex_diag diag;
	struct spex_policy policy;
	/* SPEX_KERNELS=scalar|avx2 overrides the engine's pick */
	const struct spex_kernels *kernels =
		spex_kernels_choose(getenv("SPEX_KERNELS"));
	struct spex_exec run_ex = { .kernels = kernels };
	struct mg_model mm;
	struct mg_spec spec;
	bool quiet = false;
	double t0, ns;
	u8 *in, *out, *scratch;
	int opt;

	while ((opt = getopt(argc, argv, "n:s:qh")) != -1) {
		switch (opt) {
		case 'n':
			if (parse_u32(optarg, 10, 1, 1000000, &n_inputs)) {
				fprintf(stderr, "spex-demo: -n wants 1..1000000, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 's':
			if (parse_u32(optarg, 10, 0, UINT32_MAX, &seed)) {
				fprintf(stderr, "spex-demo: -s wants a number, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr, argv[0]);
		return 2;
	}

	mg_spec_mnist_head(&spec, seed);
	if (mg_build(&spec, &mm)) {
		fprintf(stderr, "spex-demo: cannot build the model\n");
		return 1;
	}
	if (spex_model_load(mm.blob, mm.len, NULL, &m, &diag)) {
		fprintf(stderr, "spex-demo: load: %s\n", diag.msg);
		return 1;
	}
	mi = spex_model_info(m);
	printf("spex demo: %s engine, kernels '%s'%s\n",
	       access("/dev/spex", F_OK) ? "userspace" : "userspace (the library's device backend comes with libspex)",
	       spex_kernels_impl_name(kernels),
	       "; random weights (spex-train replaces them)");
	printf("model '%s': %ux%ux%u int8 input, %u classes, %u exits, bottleneck %u bytes\n",
	       mi->name, mi->in_c, mi->in_h, mi->in_w, mi->n_classes,
	       mi->n_exits, mi->output_bytes);
	for (l = 0; l < mi->n_layers; l++) {
		struct spex_layer_desc li;

		spex_layer_describe(m, l, &li);
		printf("  layer %u%s: fc %u -> %u, in-degree %u (%.1f%%), %s z=%u, %s layout\n",
		       l, li.branch ? " (exit)" : "", li.fan_in, li.out_c,
		       li.in_degree, 100.0 * li.in_degree / li.fan_in,
		       spex_name(SPEX_NAMES_PATTERN, li.pattern), li.z,
		       spex_name(SPEX_NAMES_FC_LAYOUT, li.layout));
	}

	in = malloc(mi->input_bytes);
	out = malloc(mi->output_bytes);
	scratch = malloc(spex_model_scratch_size(m));

	/*
	 * Random weights give arbitrary confidences, so set each exit's
	 * threshold from a calibration set, as a deployment would: exit 0
	 * takes its most confident 40%, exit 1 half of the rest.
	 */
	{
		struct spex_policy pol = { .mode = SPEX_MODE_FORCE_OFFLOAD };
		struct calib cal;
		struct spex_exec ex = { .kernels = kernels,
					.exit_done = on_exit_done, .priv = &cal };
		const u32 n_cal = 200;
		struct spex_result r;

		memset(&cal, 0, sizeof(cal));
		for (l = 0; l < mi->n_exits; l++)
			cal.conf[l] = calloc(n_cal, sizeof(u32));
		for (i = 0; i < n_cal; i++) {
			mg_input(&mm.wm, seed * 100000 + 900000 + i, in);
			spex_run(m, &pol, &ex, scratch, in, mi->input_bytes, out,
				 mi->output_bytes, &r);
		}
		pol.mode = SPEX_MODE_AUTO;
		pol.n_thresholds = mi->n_exits;
		for (l = 0; l < mi->n_exits; l++) {
			qsort(cal.conf[l], cal.n[l], sizeof(u32), cmp_u32);
			pol.threshold_q16[l] = cal.conf[l][cal.n[l] * (l ? 5 : 6) / 10];
			printf("  exit %u threshold %.3f (from %u calibration inputs)\n",
			       l, pol.threshold_q16[l] / 65536.0, cal.n[l]);
			free(cal.conf[l]);
		}
		policy = pol;
	}
	t0 = now_ns();
	for (i = 0; i < n_inputs; i++) {
		struct spex_result r;

		mg_input(&mm.wm, seed * 100000 + i, in);
		if (spex_run(m, &policy, &run_ex, scratch, in, mi->input_bytes, out,
			     mi->output_bytes, &r)) {
			fprintf(stderr, "spex-demo: job %u: %s\n", i,
				spex_status_str(r.status));
			return 1;
		}
		macs += r.macs;
		if (r.decision == SPEX_DECISION_EXIT) {
			exits[r.exit_index]++;
		} else {
			offloads++;
			bytes_sent += r.bottleneck_len;
		}
		if (!quiet)
			printf("input %4u: %-7s exit=%-2d class=%u confidence=%.3f macs=%llu%s\n",
			       i, r.decision == SPEX_DECISION_EXIT ? "EXIT" : "OFFLOAD",
			       r.decision == SPEX_DECISION_EXIT ? (int)r.exit_index : -1,
			       r.class_id, r.confidence_q16 / 65536.0,
			       (unsigned long long)r.macs,
			       r.decision == SPEX_DECISION_OFFLOAD ? "  -> bottleneck to tail" : "");
	}
	ns = now_ns() - t0;

	printf("\nsummary over %u inputs\n", n_inputs);
	for (l = 0; l < mi->n_exits; l++)
		printf("  exit %u taken: %u (%.1f%%)\n", l, exits[l], 100.0 * exits[l] / n_inputs);
	printf("  exit rate: %.1f%%, offloaded: %u, bytes offloaded: %llu (%.1f per input)\n",
	       100.0 * (n_inputs - offloads) / n_inputs, offloads,
	       (unsigned long long)bytes_sent, (double)bytes_sent / n_inputs);
	printf("  storage: %llu bytes (.spx) vs %llu dense, %.2fx smaller\n",
	       (unsigned long long)mi->file_bytes,
	       (unsigned long long)mi->dense_file_bytes,
	       (double)mi->dense_file_bytes / mi->file_bytes);
	printf("  weights: %llu vs %llu dense (%.1f%% density)\n",
	       (unsigned long long)mi->weights, (unsigned long long)mi->dense_weights,
	       100.0 * mi->weights / mi->dense_weights);
	printf("  MACs, whole model: %llu vs %llu dense, %.2fx fewer\n",
	       (unsigned long long)mi->macs, (unsigned long long)mi->dense_macs,
	       (double)mi->dense_macs / mi->macs);
	printf("  MACs per input as run (early exits stop early): %.0f\n",
	       (double)macs / n_inputs);
	printf("  time: %.1f us per input on this CPU (userspace engine)\n",
	       ns / n_inputs / 1000);
	free(in);
	free(out);
	free(scratch);
	spex_model_free(m);
	mg_free(&mm);
	return 0;
}
