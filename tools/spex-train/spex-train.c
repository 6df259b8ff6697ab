// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * spex-train: train a predefined-sparse split/early-exit network on an
 * IDX dataset, quantize it to int8 and export head.spx + tail.spx.
 * See Documentation/training.rst, and --help.
 */
#include "train.h"
#include <spex/engine.h>
#include "../common/clock.h"
#include "../common/fail.h"
#include "../common/file.h"
#include "../common/idx.h"
#include "../common/parse.h"

#include <getopt.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

/* The built-in network: MNIST 784 -> 112 (clash-free, 14%) -> 56 (25%)
 * | split: 56-byte bottleneck, one exit | -> 112 (50%) -> 10. */
static const char default_config[] =
	"name mnist-split\n"
	"input 1 28 28\n"
	"fc 112 din=112 pattern=cf3 z=8 starts=seed\n"
	"fc 56 din=28 pattern=random\n"
	"exit hidden=0 weight=1 threshold=0.9\n"
	"split\n"
	"fc 112 din=28 pattern=random\n"
	"fc 10\n"
	"train epochs=8 batch=64 opt=adam lr=0.002 decay=0.8\n";

static const char usage[] =
"usage: spex-train [options]\n"
"\n"
"Train a predefined-sparse split/early-exit network, quantize it to int8\n"
"and write head.spx (edge: head layers, exits, bottleneck) and tail.spx\n"
"(server) with the same content hash.\n"
"\n"
"  -d, --dataset NAME      mnist or fashion, the official 60,000 train\n"
"                          (validation is split off it) / 10,000 test\n"
"                          sets from the cache that scripts/get-datasets.sh\n"
"                          fills ($SPEX_DATA or ~/.cache/spex/datasets);\n"
"                          default mnist\n"
"      --images FILE       IDX images instead (e.g. train-images-idx3-ubyte)\n"
"      --labels FILE       IDX labels for --images\n"
"      --test-images FILE  a separate test set (else one is split off)\n"
"      --test-labels FILE\n"
"      --val N             validation items split off (seeded)\n"
"      --test N            test items split off when no test files\n"
"  -c, --config FILE       network and training config (default: the\n"
"                          built-in MNIST split/early-exit network)\n"
"  -s, --set STATEMENT     one more config statement; repeatable\n"
"  -e, --epochs N          shorthand for --set 'train epochs=N'\n"
"      --seed N            shorthand for --set 'train seed=N'\n"
"  -j, --threads N         threads over a batch's shards (default 2; the\n"
"                          weights do not depend on it, 'train shards=N'\n"
"                          sets the shards, default 2)\n"
"  -o, --out DIR           write DIR/head.spx, DIR/tail.spx, DIR/model.cfg\n"
"                          and DIR/report.txt (a FULL model, DIR/full.spx,\n"
"                          when the config has no split)\n"
"      --reuse             if DIR already holds models of this exact config,\n"
"                          keep them and do not train\n"
"      --thresholds LIST   exit thresholds to sweep (default\n"
"                          0.5,0.6,0.7,0.8,0.9,0.95,0.99)\n"
"      --print-config      print the effective config and exit\n"
"      --train-only        train and report the time per epoch; no test,\n"
"                          no export (benchmarks; needed for the masked-dense\n"
"                          reference mode, --set 'train masked_dense=1')\n"
"      --export-plan DIR   write the training plan (masks, initial weights,\n"
"                          settings, data order) for a peer trainer and\n"
"                          exit without training (FC networks; make results)\n"
"  -q, --quiet             no progress output\n"
"  -h, --help\n"
"\n"
"examples:\n"
"  scripts/get-datasets.sh mnist\n"
"  spex-train -o /tmp/m                      # built-in MNIST net, ~1 min\n"
"  spex-train -o /tmp/m --reuse              # train only if not done yet\n"
"  spex-train -d fashion -c tools/spex-train/configs/capogrosso-sparse.cfg \\\n"
"             -o /tmp/f -e 20\n"
"  spex-train --images train-images-idx3-ubyte --labels train-labels-idx1-ubyte \\\n"
"             --test-images t10k-images-idx3-ubyte \\\n"
"             --test-labels t10k-labels-idx1-ubyte -o /tmp/official\n"
"  spex-train --set 'fc 100 density=0.1 pattern=cf2 z=8 starts=seed' ...\n"
"  spex-train --print-config > my.cfg\n";

static int quiet;
static int tty;

/* A config file as a string (at most 1 MiB), or die. */
static char *slurp(const char *path)
{
	void *buf;
	size_t len;
	int ret = read_file(path, 1 << 20, &buf, &len);

	if (ret == -EFBIG)
		die("%s: not a readable config (at most 1 MiB)", path);
	if (ret == -EIO)
		die("%s: read error", path);
	if (ret)
		die("%s: %s", path, strerror(-ret));
	return buf;
}

struct ctx {
	struct st_net *net;
	const struct st_data *val;
	double t_start;
	u64 total_samples;	/* over all epochs */
};

static void fmt_time(double s, char *buf, size_t n)
{
	long t = (long)(s + 0.5);

	snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

static void progress(const struct st_progress *p, void *priv)
{
	struct ctx *c = priv;
	double rate = p->elapsed > 0 ? p->done / p->elapsed : 0;
	u64 done_all = (u64)(p->epoch - 1) * p->total + p->done;
	double all_rate = done_all / (now_s() - c->t_start);
	char eta[32];

	if (quiet)
		return;
	fmt_time(all_rate > 0 ? (c->total_samples - done_all) / all_rate : 0,
		 eta, sizeof(eta));
	if (tty && !p->end) {
		int w = 24, k = (int)(w * p->done / p->total), i;
		char bar[32];
		static double last;

		if (now_s() - last < 0.1)
			return;
		last = now_s();
		for (i = 0; i < w; i++)
			bar[i] = i < k ? '#' : '.';
		bar[w] = 0;
		fprintf(stderr, "\repoch %u/%u [%s] %3.0f%%  loss %.4f  acc %5.2f%%  "
			"%6.0f samples/s  ETA %s ", p->epoch, p->epochs, bar,
			100.0 * p->done / p->total, p->loss, 100 * p->acc, rate,
			eta);
		return;
	}
	if (p->end) {
		struct st_eval ev;
		double va = -1;

		if (c->val && c->val->n && !st_evaluate(c->net, c->val, &ev)) {
			va = 100.0 * ev.correct[ev.n_out - 1] / ev.n;
			st_eval_free(&ev);
		}
		fprintf(stderr, "%sepoch %u/%u  loss %.4f  train acc %5.2f%%  "
			"val acc %5.2f%%  %.1fs  %.0f samples/s  ETA %s\n",
			tty ? "\r\033[K" : "", p->epoch, p->epochs, p->loss,
			100 * p->acc, va, p->elapsed, rate, eta);
	}
}

static void write_file(const char *dir, const char *name, const void *p,
		       size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f))
		die("%s: cannot write: %s", path, strerror(errno));
}

static void put_be32(u8 *p, u32 v)
{
	p[0] = (u8)(v >> 24);
	p[1] = (u8)(v >> 16);
	p[2] = (u8)(v >> 8);
	p[3] = (u8)v;
}

/*
 * The test split as standard IDX files, so the exported models can be
 * evaluated by other tools (spexctl infer, make demo) on exactly the
 * items training never saw.
 */
static void write_test_idx(const char *dir, const struct st_data *t,
			   u32 rows, u32 cols)
{
	size_t n = (size_t)t->n * t->dim;
	u8 *buf = malloc(16 + (n > t->n ? n : t->n));

	if (!buf)
		die("out of memory");
	put_be32(buf, 0x00000803);
	put_be32(buf + 4, t->n);
	put_be32(buf + 8, rows);
	put_be32(buf + 12, cols);
	memcpy(buf + 16, t->x, n);
	write_file(dir, "test-images-idx3-ubyte", buf, 16 + n);
	put_be32(buf, 0x00000801);
	put_be32(buf + 4, t->n);
	memcpy(buf + 8, t->y, t->n);
	write_file(dir, "test-labels-idx1-ubyte", buf, 8 + t->n);
	free(buf);
}

/* Load an exported blob into the engine, or die with its diagnosis. */
static struct spex_model *load(const void *blob, size_t len, const char *what)
{
	struct spex_model *m = NULL;
	struct spex_diag diag;
	int st = spex_model_load(blob, len, NULL, &m, &diag);

	if (st)
		die("%s: the engine refuses the export: %s: %s (offset %u)",
		    what, spex_status_name(st), diag.msg, diag.offset);
	return m;
}

/*
 * Run the exported models in the engine over the test set and count the
 * inputs where anything differs from the int8 simulation: the bottleneck
 * bytes, the last exit's class and confidence, the tail's answer.
 */
static u32 engine_check(const struct st_net *net, const struct st_data *d,
			const void *hb, size_t hl, const void *tb, size_t tl,
			const void *fb, size_t fl, u32 *checked)
{
	struct spex_model *h = NULL, *t = NULL;
	struct spex_policy pol = { .mode = SPEX_MODE_FORCE_OFFLOAD };
	void *hs = NULL, *ts = NULL;
	s8 in[SPX_MAX_DIM], out[SPX_MAX_DIM], bott[SPX_MAX_DIM];
	s8 xq[ST_MAX_EXITS][SPX_MAX_CLASSES], fq[SPX_MAX_CLASSES];
	u32 i, bad = 0, n = net->layers[net->n_main - 1].n_out;

	if (fb) {
		h = load(fb, fl, "full.spx");
	} else {
		h = load(hb, hl, "head.spx");
		t = load(tb, tl, "tail.spx");
		ts = aligned_alloc(64, (spex_model_scratch_size(t) + 63) & ~(size_t)63);
	}
	hs = aligned_alloc(64, (spex_model_scratch_size(h) + 63) & ~(size_t)63);
	for (i = 0; i < d->n; i++) {
		const u8 *x = d->x + (size_t)i * d->dim;
		struct spex_result r;
		u32 cls, conf, c, fcls = 0;
		int st;

		st_sim_i8(net, x, bott, xq, fq);
		for (c = 1; c < net->spec.n_classes; c++)
			if (fq[c] > fq[fcls])
				fcls = c;
		st_input_i8(net, x, in);
		st = spex_run(h, fb ? NULL : &pol, NULL, hs, in, net->n_in, out,
			      sizeof(out), &r);
		if (st) {
			bad++;
			continue;
		}
		if (net->n_exits && !fb) {
			st_exit_conf_i8(net, net->n_exits - 1, xq[net->n_exits - 1],
					&cls, &conf);
			if (r.class_id != cls || r.confidence_q16 != conf)
				goto mismatch;
		}
		if (fb) {
			if (r.decision == SPEX_DECISION_FINAL &&
			    (memcmp(out, fq, n) || r.class_id != fcls))
				goto mismatch;
			continue;
		}
		if (r.decision != SPEX_DECISION_OFFLOAD ||
		    memcmp(out, bott, r.bottleneck_len) ||
		    r.bottleneck_len != net->layers[net->spec.split - 1].n_out)
			goto mismatch;
		st = spex_run(t, NULL, NULL, ts, out, r.bottleneck_len, in,
			      sizeof(in), &r);
		if (st || memcmp(in, fq, n) || r.class_id != fcls)
			goto mismatch;
		continue;
mismatch:
		bad++;
	}
	*checked = d->n;
	free(hs);
	free(ts);
	spex_model_free(h);
	if (t)
		spex_model_free(t);
	return bad;
}

static void parse_thresholds(const char *s, double *t, u32 *n)
{
	char *copy = strdup(s), *tok, *save = NULL, *end;

	*n = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		double v = strtod(tok, &end);

		if (*end || !(v >= 0 && v <= 1) || *n == 32)
			die("--thresholds: '%s' is not a list of up to 32 numbers "
			    "in 0..1", s);
		t[(*n)++] = v;
	}
	if (!*n)
		die("--thresholds: empty list");
	free(copy);
}

static u32 arg_u32(const char *opt, const char *v, u32 lo, u32 hi)
{
	u32 x;

	if (parse_u32(v, 10, lo, hi, &x))
		die("%s: '%s' is not a number in %u..%u", opt, v, lo, hi);
	return x;
}

int main(int argc, char **argv)
{
	enum { O_IMAGES = 256, O_LABELS, O_TIMG, O_TLAB, O_VAL, O_TEST,
	       O_SEED, O_REUSE, O_THR, O_PRINT, O_TRAIN_ONLY, O_PLAN };
	static const struct option opts[] = {
		{ "dataset", required_argument, NULL, 'd' },
		{ "images", required_argument, NULL, O_IMAGES },
		{ "labels", required_argument, NULL, O_LABELS },
		{ "test-images", required_argument, NULL, O_TIMG },
		{ "test-labels", required_argument, NULL, O_TLAB },
		{ "val", required_argument, NULL, O_VAL },
		{ "test", required_argument, NULL, O_TEST },
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "epochs", required_argument, NULL, 'e' },
		{ "seed", required_argument, NULL, O_SEED },
		{ "threads", required_argument, NULL, 'j' },
		{ "out", required_argument, NULL, 'o' },
		{ "reuse", no_argument, NULL, O_REUSE },
		{ "thresholds", required_argument, NULL, O_THR },
		{ "print-config", no_argument, NULL, O_PRINT },
		{ "train-only", no_argument, NULL, O_TRAIN_ONLY },
		{ "export-plan", required_argument, NULL, O_PLAN },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dataset = NULL, *images = NULL, *labels = NULL;
	const char *timages = NULL, *tlabels = NULL, *config = NULL;
	const char *outdir = NULL, *plan = NULL;
	const char *sets[64];
	u32 n_sets = 0, val_n = ~0u, test_n = ~0u, reuse = 0, print = 0;
	u32 train_only = 0;
	double thr[32] = { 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99 };
	u32 n_thr = 7;
	char err[512], buf[64];
	struct st_spec spec;
	struct st_net net;
	struct idx_dataset all, tset;
	char dsdir[3072], ds_paths[4][3200];
	struct st_data data, train, val, test;
	u32 *tr_idx, *va_idx, *te_idx, n_train, i, e, o;
	struct st_eval evf, evq;
	struct st_counts cnt;
	double *ep_s, t0;
	void *hb = NULL, *tb = NULL, *fb = NULL;
	size_t hl = 0, tl = 0, fl = 0;
	char *cfg_text;
	FILE *rep;
	int c;

	tool_name = "spex-train";
	while ((c = getopt_long(argc, argv, "d:c:s:e:j:o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dataset = optarg; break;
		case O_IMAGES: images = optarg; break;
		case O_LABELS: labels = optarg; break;
		case O_TIMG: timages = optarg; break;
		case O_TLAB: tlabels = optarg; break;
		case O_VAL: val_n = arg_u32("--val", optarg, 0, 1u << 24); break;
		case O_TEST: test_n = arg_u32("--test", optarg, 0, 1u << 24); break;
		case 'c': config = optarg; break;
		case 's':
			if (n_sets == 60)
				die("too many --set statements");
			sets[n_sets++] = optarg;
			break;
		case 'e':
			if (n_sets == 60)
				die("too many options");
			arg_u32("--epochs", optarg, 1, 10000);
			snprintf(buf, sizeof(buf), "train epochs=%s", optarg);
			sets[n_sets++] = strdup(buf);
			break;
		case 'j':
			if (n_sets == 60)
				die("too many options");
			arg_u32("--threads", optarg, 1, ST_MAX_SHARDS);
			snprintf(buf, sizeof(buf), "train threads=%s", optarg);
			sets[n_sets++] = strdup(buf);
			break;
		case O_SEED:
			if (n_sets == 60)
				die("too many options");
			arg_u32("--seed", optarg, 0, UINT32_MAX);
			snprintf(buf, sizeof(buf), "train seed=%s", optarg);
			sets[n_sets++] = strdup(buf);
			break;
		case 'o': outdir = optarg; break;
		case O_REUSE: reuse = 1; break;
		case O_PLAN: plan = optarg; break;
		case O_THR: parse_thresholds(optarg, thr, &n_thr); break;
		case O_PRINT: print = 1; break;
		case O_TRAIN_ONLY: train_only = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			fputs("try 'spex-train --help'\n", stderr);
			return 2;
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (try --help)", argv[optind]);
	if (!!images != !!labels)
		die("--images and --labels go together");
	if (!!timages != !!tlabels)
		die("--test-images and --test-labels go together");
	if (timages && !images)
		die("--test-images needs --images/--labels for training");
	if (dataset && images)
		die("give --dataset or --images/--labels, not both");
	if (reuse && !outdir)
		die("--reuse needs --out DIR");
	if (train_only && (outdir || reuse))
		die("--train-only writes no models: drop --out/--reuse");
	tty = isatty(2);

	/* The spec: defaults, the config (or the built-in one), --set. */
	st_spec_default(&spec);
	cfg_text = config ? slurp(config) : strdup(default_config);
	if (st_spec_parse(&spec, cfg_text, config ? config : "built-in",
			  err, sizeof(err)))
		die("%s", err);
	free(cfg_text);
	for (i = 0; i < n_sets; i++)
		if (st_spec_statement(&spec, sets[i], err, sizeof(err)))
			die("--set '%s': %s", sets[i], err);
	if (st_net_build(&net, &spec, err, sizeof(err)))
		die("config: %s", err);
	{
		char *text = NULL;
		size_t tlen = 0;
		FILE *mf = open_memstream(&text, &tlen);

		/* The data is part of what --reuse compares. */
		fprintf(mf, "# data: %s%s%s\n", images ? images :
			dataset ? dataset : "mnist",
			timages ? " test: " : images ? "" : " (official 60000/10000)",
			timages ? timages : "");
		st_spec_print(&spec, mf);
		fclose(mf);
		if (print) {
			fputs(text, stdout);
			return 0;
		}
		if (reuse) {
			char path[4096];
			char *old;
			struct stat sb;

			snprintf(path, sizeof(path), "%s/model.cfg", outdir);
			if (!stat(path, &sb)) {
				old = slurp(path);
				snprintf(path, sizeof(path), "%s/%s", outdir,
					 spec.split ? "tail.spx" : "full.spx");
				if (!strcmp(old, text) && !stat(path, &sb)) {
					if (!quiet)
						fprintf(stderr, "spex-train: %s holds "
							"this model already; reusing it\n",
							outdir);
					return 0;
				}
				free(old);
			}
		}
		cfg_text = text;
	}

	/* The output directory before any training: a bad --out must not
	 * cost a training run. */
	if (outdir && mkdir(outdir, 0755) && errno != EEXIST)
		die("--out %s: %s", outdir, strerror(errno));

	/* Data. */
	if (!images) {
		const char *base = getenv("SPEX_DATA");
		const char *xdg = getenv("XDG_CACHE_HOME");
		const char *home = getenv("HOME");

		if (!dataset)
			dataset = "mnist";
		if (strcmp(dataset, "mnist") && strcmp(dataset, "fashion"))
			die("--dataset: '%s' is not mnist or fashion", dataset);
		if (base && *base)
			snprintf(dsdir, sizeof(dsdir), "%s/%s", base, dataset);
		else if (xdg && *xdg)
			snprintf(dsdir, sizeof(dsdir), "%s/spex/datasets/%s", xdg,
				 dataset);
		else
			snprintf(dsdir, sizeof(dsdir), "%s/.cache/spex/datasets/%s",
				 home ? home : ".", dataset);
		/* The official split: train-* for training (validation is
		 * split off it), t10k-* is the test set. */
		snprintf(ds_paths[0], sizeof(ds_paths[0]), "%s/train-images-idx3-ubyte", dsdir);
		snprintf(ds_paths[1], sizeof(ds_paths[1]), "%s/train-labels-idx1-ubyte", dsdir);
		snprintf(ds_paths[2], sizeof(ds_paths[2]), "%s/t10k-images-idx3-ubyte", dsdir);
		snprintf(ds_paths[3], sizeof(ds_paths[3]), "%s/t10k-labels-idx1-ubyte", dsdir);
		for (i = 0; i < 4; i++)
			if (access(ds_paths[i], R_OK))
				die("%s: not found: run scripts/get-datasets.sh %s "
				    "(or make datasets) first", ds_paths[i], dataset);
		images = ds_paths[0];
		labels = ds_paths[1];
		timages = ds_paths[2];
		tlabels = ds_paths[3];
	}
	if (idx_load(images, labels, spec.n_classes, &all, err, sizeof(err)))
		die("%s", err);
	if (all.rows * all.cols != spec.in_c * spec.in_h * spec.in_w)
		die("the dataset's images are %ux%u, the config's input %ux%ux%u",
		    all.rows, all.cols, spec.in_c, spec.in_h, spec.in_w);
	data = (struct st_data){ .n = all.n, .dim = all.rows * all.cols,
				 .x = all.pixels, .y = all.labels };
	if (timages) {
		if (idx_load(timages, tlabels, spec.n_classes, &tset, err,
			     sizeof(err)))
			die("%s", err);
		if (tset.rows != all.rows || tset.cols != all.cols)
			die("%s: images are %ux%u, the training set's %ux%u",
			    timages, tset.rows, tset.cols, all.rows, all.cols);
		if (test_n != ~0u && test_n)
			die("--test N is for splitting; a test set was given");
		test_n = 0;
	}
	/* Fixed, seeded splits: 1/12 validation (5,000 of the official
	 * 60,000) and, without a test set, 1/7 test. */
	if (test_n == ~0u)
		test_n = all.n / 7;
	if (val_n == ~0u)
		val_n = all.n / 12;
	if ((u64)val_n + test_n >= all.n)
		die("--val %u + --test %u leave no training data (%u items)",
		    val_n, test_n, all.n);
	/* The split seed is fixed: the same data split for every model. */
	st_split(all.n, 20240601, val_n, test_n, &tr_idx, &n_train, &va_idx,
		 &te_idx);
	if (st_data_subset(&data, tr_idx, n_train, &train) ||
	    st_data_subset(&data, va_idx, val_n, &val))
		die("out of memory");
	if (timages) {
		struct st_data td = { .n = tset.n, .dim = tset.rows * tset.cols,
				      .x = tset.pixels, .y = tset.labels };
		u32 *all_idx = malloc((size_t)tset.n * 4);

		for (i = 0; i < tset.n; i++)
			all_idx[i] = i;
		if (st_data_subset(&td, all_idx, tset.n, &test))
			die("out of memory");
		free(all_idx);
	} else if (st_data_subset(&data, te_idx, test_n, &test)) {
		die("out of memory");
	}

	if (plan) {
		if (mkdir(plan, 0755) && errno != EEXIST)
			die("%s: %s", plan, strerror(errno));
		if (st_plan_write(&net, tr_idx, n_train, plan, err, sizeof(err)))
			die("--export-plan: %s", err);
		return 0;
	}
	st_net_counts(&net, &cnt);
	if (!quiet) {
		fprintf(stderr, "spex-train: %s: %u train, %u val, %u test; "
			"%llu weights (%.1f%% of dense), %u layers\n", spec.name,
			train.n, val.n, test.n, (unsigned long long)cnt.weights,
			100.0 * cnt.weights / cnt.dense_weights, net.n_layers);
	}

	/* Train. */
	{
		struct ctx cx = { .net = &net, .val = &val, .t_start = now_s(),
				  .total_samples = (u64)spec.epochs * train.n };
		int rc;

		ep_s = calloc(spec.epochs, sizeof(double));
		t0 = now_s();
		rc = st_train(&net, &train, progress, &cx, ep_s);
		if (rc == -2)
			die("training diverged (loss is not finite): lower the "
			    "learning rate (--set 'train lr=...')");
		if (rc)
			die("training failed");
		t0 = now_s() - t0;
	}

	if (train_only) {
		double mean = 0;

		for (e = 0; e < spec.epochs; e++)
			mean += ep_s[e] / spec.epochs;
		printf("name %s\nmasked_dense %u\nweights %llu dense_weights %llu\n"
		       "macs train %llu dense_train %llu\n"
		       "train epochs %u seconds %.2f epoch_seconds %.3f\n",
		       spec.name, spec.masked_dense,
		       (unsigned long long)cnt.weights,
		       (unsigned long long)cnt.dense_weights,
		       (unsigned long long)cnt.train_macs,
		       (unsigned long long)cnt.dense_train_macs, spec.epochs,
		       t0, mean);
		st_net_free(&net);
		return 0;
	}
	if (spec.masked_dense)
		die("masked_dense is a benchmark mode: use --train-only");

	/* Float and int8 test accuracy. */
	if (st_evaluate(&net, &test, &evf))
		die("out of memory");
	if (st_quantize(&net, &train, spec.calib) || st_evaluate_i8(&net, &test, &evq))
		die("quantization failed");
	if (!quiet)
		for (o = 0; o < evf.n_out; o++)
			fprintf(stderr, "%s%-6s test accuracy: float %.2f%%, "
				"int8 %.2f%%\n", o < net.n_exits ? "exit " : "",
				o < net.n_exits ? (snprintf(buf, sizeof(buf), "%u", o), buf) :
				"final", 100.0 * evf.correct[o] / evf.n,
				100.0 * evq.correct[o] / evq.n);

	/* Export and check the engine agrees with the simulation. */
	if (spec.split) {
		if (st_export(&net, SPX_ROLE_HEAD, &hb, &hl) ||
		    st_export(&net, SPX_ROLE_TAIL, &tb, &tl))
			die("export failed");
	} else if (st_export(&net, SPX_ROLE_FULL, &fb, &fl)) {
		die("export failed");
	}
	{
		u32 checked, bad = engine_check(&net, &test, hb, hl, tb, tl,
						fb, fl, &checked);
		struct spex_model *m;
		u8 h1[SPX_HASH_LEN];

		if (bad)
			die("the engine disagrees with the int8 simulation on "
			    "%u of %u test inputs", bad, checked);
		if (!quiet)
			fprintf(stderr, "engine check: spex_run on the exported "
				"models equals the int8 simulation on %u/%u "
				"test inputs\n", checked, checked);
		if (hb) {
			m = load(hb, hl, "head.spx");
			memcpy(h1, spex_model_info(m)->hash, SPX_HASH_LEN);
			spex_model_free(m);
			m = load(tb, tl, "tail.spx");
			if (memcmp(h1, spex_model_info(m)->hash, SPX_HASH_LEN))
				die("head and tail hashes differ");
			spex_model_free(m);
		}
	}

	/* Write. */
	if (outdir) {
		if (hb) {
			write_file(outdir, "head.spx", hb, hl);
			write_file(outdir, "tail.spx", tb, tl);
		} else {
			write_file(outdir, "full.spx", fb, fl);
		}
	}

	/* The report: key value lines, for people and for make results. */
	{
		char *rtext = NULL;
		size_t rlen = 0;
		double mean_ep = 0;
		u64 csr = 0, dense_b = 0, ours = 0, outs = 0, main_w = 0, main_dw = 0;
		u8 hash[SPX_HASH_LEN];

		rep = open_memstream(&rtext, &rlen);
		for (e = 0; e < spec.epochs; e++)
			mean_ep += ep_s[e] / spec.epochs;
		st_content_hash(&net, hash);
		fprintf(rep, "name %s\n", spec.name);
		fprintf(rep, "hash ");
		for (i = 0; i < SPX_HASH_LEN; i++)
			fprintf(rep, "%02x", hash[i]);
		fprintf(rep, "\ndata %s train %u val %u test %u\n",
			dataset ? dataset : images, train.n, val.n, test.n);
		for (i = 0; i < net.n_layers; i++) {
			const struct st_layer *l = &net.layers[i];
			static const char *const kn[] = { "", "fc", "conv", "maxpool" };

			if (l->kind == ST_MAXPOOL)
				continue;
			fprintf(rep, "layer %u %s branch %u in %u out %u p %u din %u "
				"density %.4f pattern %s z %u starts %u weights %u\n",
				i, kn[l->kind], l->branch, l->n_in, l->n_out, l->p,
				l->d_in, (double)l->d_in / l->p,
				spex_name(SPEX_NAMES_PATTERN, l->pat.type),
				l->pat.z, l->pat.starts, l->n_w);
			/* storage: ours = int8 weights, no indices; CSR = value
			 * + 16-bit column (32-bit past 65535) per nonzero and a
			 * u32 row pointer per row; both + 12 B per output for
			 * bias, multiplier and shift. */
			ours += l->n_w;
			dense_b += (u64)l->out_c * l->p *
				   (l->kind == ST_CONV ? l->k * l->k : 1);
			csr += (u64)l->n_w * (1 + (l->n_in > 65535 ? 4 : 2)) +
			       4 * ((u64)l->out_c + 1);
			outs += l->out_c;
			if (!l->branch) {	/* the network, without its exits */
				main_w += l->n_w;
				main_dw += (u64)l->out_c * l->p *
					   (l->kind == ST_CONV ? l->k * l->k : 1);
			}
		}
		fprintf(rep, "weights %llu dense_weights %llu density %.4f "
			"main_weights %llu main_dense %llu main_density %.4f\n",
			(unsigned long long)cnt.weights,
			(unsigned long long)cnt.dense_weights,
			(double)cnt.weights / cnt.dense_weights,
			(unsigned long long)main_w, (unsigned long long)main_dw,
			(double)main_w / main_dw);
		fprintf(rep, "bytes ours %llu dense %llu csr %llu spx %zu\n",
			(unsigned long long)(ours + 12 * outs),
			(unsigned long long)(dense_b + 12 * outs),
			(unsigned long long)(csr + 12 * outs), hl + tl + fl);
		fprintf(rep, "macs head %llu exits %llu tail %llu dense_head %llu "
			"dense_tail %llu train %llu dense_train %llu\n",
			(unsigned long long)cnt.head_macs,
			(unsigned long long)cnt.exit_macs,
			(unsigned long long)cnt.tail_macs,
			(unsigned long long)cnt.dense_head_macs,
			(unsigned long long)cnt.dense_tail_macs,
			(unsigned long long)cnt.train_macs,
			(unsigned long long)cnt.dense_train_macs);
		fprintf(rep, "train epochs %u seconds %.2f epoch_seconds %.3f\n",
			spec.epochs, t0, mean_ep);
		for (o = 0; o < evf.n_out; o++)
			fprintf(rep, "acc %s%s float %.4f int8 %.4f\n",
				o < net.n_exits ? "exit" : "final",
				o < net.n_exits ? (snprintf(buf, sizeof(buf), "%u", o), buf) : "",
				(double)evf.correct[o] / evf.n,
				(double)evq.correct[o] / evq.n);
		fprintf(rep, "bottleneck %u\n", cnt.bottleneck);
		/* The sweep, on the int8 models (which equal the engine). */
		for (i = 0; net.n_exits && i < n_thr; i++) {
			u32 q = (u32)lround(thr[i] * 65536.0), exited = 0;
			u32 exit_ok = 0, ok = 0, s;

			for (s = 0; s < test.n; s++) {
				u32 taken = ~0u;

				for (e = 0; e < net.n_exits; e++)
					if ((u32)lround(evq.conf[(size_t)s * evq.n_out + e] *
							65536.0) >= q) {
						taken = e;
						break;
					}
				if (taken != ~0u) {
					exited++;
					if (evq.pred[(size_t)s * evq.n_out + taken] == test.y[s]) {
						exit_ok++;
						ok++;
					}
				} else if (evq.pred[(size_t)s * evq.n_out + net.n_exits] ==
					   test.y[s]) {
					ok++;
				}
			}
			fprintf(rep, "sweep %.2f exit_rate %.4f exit_acc %.4f "
				"overall %.4f offload_acc %.4f bytes %.1f\n",
				thr[i], (double)exited / test.n,
				exited ? (double)exit_ok / exited : 0,
				(double)ok / test.n,
				(double)evq.correct[net.n_exits] / test.n,
				(double)(test.n - exited) * cnt.bottleneck / test.n);
		}
		fclose(rep);
		if (outdir) {
			write_file(outdir, "report.txt", rtext, rlen);
			write_test_idx(outdir, &test, all.rows, all.cols);
			/* model.cfg last: --reuse trusts a directory that has it */
			write_file(outdir, "model.cfg", cfg_text, strlen(cfg_text));
			if (!quiet)
				fprintf(stderr, "wrote %s/%s (report.txt, model.cfg, "
					"test-{images-idx3,labels-idx1}-ubyte)\n",
					outdir, hb ? "head.spx, tail.spx" : "full.spx");
		} else {
			fputs(rtext, stdout);
		}
		free(rtext);
	}
	st_eval_free(&evf);
	st_eval_free(&evq);
	st_net_free(&net);
	return 0;
}
