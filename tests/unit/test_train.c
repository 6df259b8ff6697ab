// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * spex-train's library: gradients against finite differences for every
 * layer type, learning on a tiny synthetic set, export -> load -> run
 * equal to the trainer's int8 simulation, and malformed configs.
 */
#include "../../tools/spex-train/train.h"
#include <spex/engine.h>
#include "spex_test.h"

#include <math.h>

/* Sparse FC (random and clash-free), a sparse exit branch with a hidden
 * layer, a split, dense logits. */
static const char cfg_mlp[] =
	"input 1 4 4\nclasses 3\n"
	"fc 12 din=4 pattern=random\n"
	"fc 8 din=6 pattern=cf2 z=2 starts=seed\n"
	"exit hidden=6 hidden_density=0.5 weight=0.5 threshold=0.6\n"
	"split\n"
	"fc 6 din=4 pattern=cf3 z=2 starts=zero\n"
	"fc 3\n";

/* Sparse conv (channel pattern + periodic kernel mask, padding), max
 * pooling, a second sparse conv, an exit on the conv output. */
static const char cfg_cnn[] =
	"input 4 6 6\nclasses 3\n"
	"conv 4 k=3 pad=1 din=2 pattern=random mask=periodic period=5\n"
	"maxpool 2\n"
	"conv 6 k=2 din=2 pattern=cf1 z=2 starts=seed\n"
	"exit weight=0.7 threshold=0.5\n"
	"split\n"
	"fc 3 din=8 pattern=random\n";

/* Zero-padded input (the [800, ...] configs pad 784 to 800). */
static const char cfg_pad[] =
	"input 1 4 4\nclasses 3\npad 20\n"
	"fc 10 din=4 pattern=cf1 z=2 starts=zero\n"
	"exit\nsplit\nfc 3\n";

static int build(struct st_net *net, const char *text, u32 seed)
{
	struct st_spec s;
	char err[256];

	st_spec_default(&s);
	s.seed = seed;
	if (st_spec_parse(&s, text, "test", err, sizeof(err)) ||
	    st_net_build(net, &s, err, sizeof(err))) {
		fprintf(stderr, "  build: %s\n", err);
		return -1;
	}
	return 0;
}

/* The float weights and biases of a and b are bit-identical. */
static int same_weights(const struct st_net *a, const struct st_net *b)
{
	u32 i;

	if (a->n_layers != b->n_layers)
		return 0;
	for (i = 0; i < a->n_layers; i++) {
		const struct st_layer *x = &a->layers[i], *y = &b->layers[i];

		if (x->kind == ST_MAXPOOL)
			continue;
		if (x->n_w != y->n_w ||
		    memcmp(x->w, y->w, (size_t)x->n_w * 4) ||
		    memcmp(x->b, y->b, (size_t)x->out_c * 4))
			return 0;
	}
	return 1;
}

/* n random samples of dim bytes with labels below nc. With protos, each
 * class is a prototype plus noise (learnable); else pure noise. */
static void synth(struct st_data *d, u32 n, u32 dim, u32 nc, int protos,
		  u32 seed)
{
	struct spex_rng rng;
	u8 *x = malloc((size_t)n * dim), *y = malloc(n), proto[8][256];
	u32 i, j;

	spex_rng_seed(&rng, seed, 99);
	for (i = 0; i < nc; i++)
		for (j = 0; j < dim; j++)
			proto[i][j] = (u8)spex_rng_below(&rng, 256);
	for (i = 0; i < n; i++) {
		y[i] = (u8)(i % nc);
		for (j = 0; j < dim; j++) {
			int v = protos ? proto[y[i]][j] +
				(int)spex_rng_below(&rng, 121) - 60 :
				(int)spex_rng_below(&rng, 256);

			x[(size_t)i * dim + j] = (u8)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
	}
	d->n = n;
	d->dim = dim;
	d->x = x;
	d->y = y;
}

/* Which side of every ReLU and max-pool kink the batch is on. */
static u64 kinks(const struct st_net *net, u32 bsz)
{
	u64 h = 1469598103934665603ull;
	u32 j;
	size_t k;

	for (j = 0; j < net->n_layers; j++) {
		const struct st_layer *l = &net->layers[j];
		size_t n = (size_t)l->n_out * bsz;

		for (k = 0; k < n; k++) {
			u64 v = l->kind == ST_MAXPOOL ? net->argmax[j][k] :
				l->relu ? net->act[j + 1][k] > 0 : 0;

			h = (h ^ v) * 1099511628211ull;
		}
	}
	return h;
}

/* Central differences on a few weights and biases of every layer; an
 * estimate whose +-eps straddles a ReLU or max-pool kink is skipped (the
 * loss is not differentiable there). */
static void gradcheck(const char *cfg)
{
	struct st_net net;
	struct st_data d;
	struct spex_rng rng;
	u32 idx[8], i, j, k, checked = 0, bad = 0, skipped = 0;
	const float eps = 1e-3f;

	if (build(&net, cfg, 5)) {
		CHECK(0, "config builds");
		return;
	}
	synth(&d, 8, net.spec.in_c * net.spec.in_h * net.spec.in_w, 3, 0, 3);
	for (i = 0; i < 8; i++)
		idx[i] = i;
	/* non-zero biases so ReLUs are not all at their kink */
	spex_rng_seed(&rng, 17, 1);
	for (j = 0; j < net.n_layers; j++)
		if (net.layers[j].kind != ST_MAXPOOL)
			for (k = 0; k < net.layers[j].out_c; k++)
				net.layers[j].b[k] = 0.05f *
					((float)spex_rng_below(&rng, 21) - 10);
	st_zero_grad(&net);
	st_loss_backward(&net, &d, idx, 8, 1);
	for (j = 0; j < net.n_layers; j++) {
		struct st_layer *l = &net.layers[j];

		if (l->kind == ST_MAXPOOL)
			continue;
		for (k = 0; k < 12; k++) {
			bool bias = k >= 9;
			u32 n = bias ? l->out_c : l->n_w;
			u32 at = spex_rng_below(&rng, n);
			float *p = bias ? &l->b[at] : &l->w[at];
			double an = bias ? l->gb[at] : l->gw[at], lp, lm, num;
			float keep = *p;

			u64 kp, km;

			*p = keep + eps;
			lp = st_loss_backward(&net, &d, idx, 8, 0);
			kp = kinks(&net, 8);
			*p = keep - eps;
			lm = st_loss_backward(&net, &d, idx, 8, 0);
			km = kinks(&net, 8);
			*p = keep;
			if (kp != km) {
				skipped++;
				continue;
			}
			num = (lp - lm) / (2 * eps);
			checked++;
			if (fabs(an - num) > 2e-3 + 0.03 * fabs(num)) {
				bad++;
				fprintf(stderr, "  layer %u %s %u: analytic %.6f "
					"numeric %.6f\n", j, bias ? "bias" : "weight",
					at, an, num);
			}
		}
	}
	CHECK_EQ(bad, 0);
	CHECK(checked >= 20 && skipped <= checked / 4, "%u checked, %u skipped",
	      checked, skipped);
	st_data_free(&d);
	st_net_free(&net);
}

TEST(gradients_sparse_fc_and_exit_branch)
{
	gradcheck(cfg_mlp);
}

TEST(gradients_sparse_conv_and_pool)
{
	gradcheck(cfg_cnn);
}

TEST(gradients_padded_input)
{
	gradcheck(cfg_pad);
}

TEST(training_lowers_loss_and_separates_classes)
{
	static const char cfg[] =
		"input 1 4 4\nclasses 4\n"
		"fc 16 din=8 pattern=random\n"
		"exit weight=0.5\nsplit\n"
		"fc 4\n"
		"train epochs=12 batch=16 lr=0.01\n";
	struct st_net net;
	struct st_data d;
	struct st_eval ev;
	u32 idx[64], i;
	double before, after;

	if (build(&net, cfg, 9)) {
		CHECK(0, "config builds");
		return;
	}
	synth(&d, 320, 16, 4, 1, 4);
	for (i = 0; i < 64; i++)
		idx[i] = i;
	before = st_loss_backward(&net, &d, idx, 64, 0);
	CHECK_EQ(st_train(&net, &d, NULL, NULL, NULL), 0);
	after = st_loss_backward(&net, &d, idx, 64, 0);
	CHECK(after < before / 4, "loss %.4f -> %.4f", before, after);
	CHECK_EQ(st_evaluate(&net, &d, &ev), 0);
	CHECK(ev.correct[1] >= ev.n * 95 / 100, "final: %u of %u right",
	      ev.correct[1], ev.n);
	CHECK(ev.correct[0] >= ev.n * 90 / 100, "exit: %u of %u right",
	      ev.correct[0], ev.n);
	st_eval_free(&ev);
	/* Determinism: the same seed trains the same weights, bit for bit,
	 * whatever the thread count (the shards fix the arithmetic). */
	{
		static const u32 runs[][2] = {	/* shards, threads */
			{ 2, 2 }, { 2, 1 }, { 3, 2 }, { 3, 1 }, { 3, 3 },
		};
		struct st_net b[5];
		u8 h1[32], h2[32];
		u32 r;

		for (r = 0; r < 5; r++) {
			CHECK_EQ(build(&b[r], cfg, 9), 0);
			b[r].spec.shards = runs[r][0];
			b[r].spec.threads = runs[r][1];
			CHECK_EQ(st_train(&b[r], &d, NULL, NULL, NULL), 0);
		}
		st_content_hash(&net, h1);
		st_content_hash(&b[0], h2);
		CHECK(!memcmp(h1, h2, 32), "same seed, same network");
		CHECK(same_weights(&net, &b[0]), "same seed, same float weights");
		CHECK(same_weights(&b[0], &b[1]), "2 shards: 1 thread = 2 threads");
		CHECK(same_weights(&b[2], &b[3]) && same_weights(&b[2], &b[4]),
		      "3 shards: 1, 2 and 3 threads agree");
		CHECK(!same_weights(&b[0], &b[2]),
		      "the shards, not the threads, set the summation order");
		for (r = 0; r < 5; r++)
			st_net_free(&b[r]);
	}
	st_data_free(&d);
	st_net_free(&net);
}

static struct spex_model *load(const void *blob, size_t len)
{
	struct spex_model *m = NULL;
	struct spex_diag diag;
	int st = spex_model_load(blob, len, NULL, &m, &diag);

	CHECK(st == SPEX_OK, "load: %s: %s", spex_status_name(st), diag.msg);
	return st ? NULL : m;
}

static void *scratch(const struct spex_model *m)
{
	return aligned_alloc(64, (spex_model_scratch_size(m) + 63) & ~(size_t)63);
}

/* Export HEAD, TAIL and FULL; run every sample through the engine with
 * each kernel implementation and compare with st_sim_i8. */
static void export_matches(const char *cfg)
{
	struct st_net net;
	struct st_data d;
	void *hb, *tb, *fb;
	size_t hl, tl, fl;
	struct spex_model *h, *t, *f;
	void *hs, *ts, *fs;
	s8 in[1024], out[1024], bott[1024], xq[ST_MAX_EXITS][SPX_MAX_CLASSES];
	s8 fq[SPX_MAX_CLASSES], logits[SPX_MAX_CLASSES];
	static const char *const impls[] = SPEX_TEST_KERNEL_NAMES;
	u32 i, k, nc, mism = 0, exits = 0, runs = 0;

	if (build(&net, cfg, 21)) {
		CHECK(0, "config builds");
		return;
	}
	nc = net.spec.n_classes;
	synth(&d, 200, net.spec.in_c * net.spec.in_h * net.spec.in_w, nc, 1, 8);
	net.spec.epochs = 10;
	net.spec.batch = 20;
	net.spec.lr = 0.01;
	CHECK_EQ(st_train(&net, &d, NULL, NULL, NULL), 0);
	CHECK_EQ(st_quantize(&net, &d, 100), 0);
	/* Thresholds at the median confidence: both paths get exercised. */
	{
		u32 conf[200], cls, e, a, b;

		for (e = 0; e < net.n_exits; e++) {
			for (i = 0; i < d.n; i++) {
				st_sim_i8(&net, d.x + (size_t)i * d.dim, NULL, xq, fq);
				st_exit_conf_i8(&net, e, xq[e], &cls, &conf[i]);
			}
			for (a = 1; a < d.n; a++)	/* insertion sort */
				for (b = a; b > 0 && conf[b - 1] > conf[b]; b--) {
					u32 tmp = conf[b];

					conf[b] = conf[b - 1];
					conf[b - 1] = tmp;
				}
			net.exits[e].threshold = conf[d.n / 2] / 65536.0;
		}
	}
	CHECK_EQ(st_export(&net, SPX_ROLE_HEAD, &hb, &hl), 0);
	CHECK_EQ(st_export(&net, SPX_ROLE_TAIL, &tb, &tl), 0);
	CHECK_EQ(st_export(&net, SPX_ROLE_FULL, &fb, &fl), 0);
	h = load(hb, hl);
	t = load(tb, tl);
	f = load(fb, fl);
	if (!h || !t || !f)
		goto out;
	CHECK(!memcmp(spex_model_info(h)->hash, spex_model_info(t)->hash, 32),
	      "head and tail carry one content hash");
	CHECK_EQ(spex_model_info(h)->role, SPX_ROLE_HEAD);
	CHECK_EQ(spex_model_info(t)->role, SPX_ROLE_TAIL);
	hs = scratch(h);
	ts = scratch(t);
	fs = scratch(f);
	for (k = 0; k < SPEX_ARRAY_SIZE(impls); k++) {
		struct spex_exec ex = { .kernels = spex_kernels_by_name(impls[k]) };

		if (!ex.kernels)
			continue;
		for (i = 0; i < d.n; i++) {
			const u8 *x = d.x + (size_t)i * d.dim;
			struct spex_result r;
			u32 cls, conf, e, taken = ~0u, c, fcls = 0;

			st_sim_i8(&net, x, bott, xq, fq);
			st_input_i8(&net, x, in);
			for (c = 1; c < nc; c++)
				if (fq[c] > fq[fcls])
					fcls = c;
			/* the simulated decision at the file's thresholds */
			for (e = 0; e < net.n_exits && taken == ~0u; e++) {
				st_exit_conf_i8(&net, e, xq[e], &cls, &conf);
				if (conf >= (u32)lround(net.exits[e].threshold * 65536))
					taken = e;
			}
			runs++;
			if (spex_run(h, NULL, &ex, hs, in, net.n_in, out,
				     sizeof(out), &r)) {
				mism++;
				continue;
			}
			if (taken != ~0u) {
				exits++;
				st_exit_conf_i8(&net, taken, xq[taken], &cls, &conf);
				if (r.decision != SPEX_DECISION_EXIT ||
				    r.exit_index != taken || r.class_id != cls ||
				    r.confidence_q16 != conf)
					mism++;
			} else {
				u32 bl = net.layers[net.spec.split - 1].n_out;

				if (r.decision != SPEX_DECISION_OFFLOAD ||
				    r.bottleneck_len != bl || memcmp(out, bott, bl)) {
					mism++;
					continue;
				}
				if (spex_run(t, NULL, &ex, ts, out, bl, logits,
					     sizeof(logits), &r) ||
				    r.decision != SPEX_DECISION_FINAL ||
				    r.class_id != fcls || memcmp(logits, fq, nc))
					mism++;
			}
			/* FULL with exits forced off equals the sim's logits */
			{
				struct spex_policy pol = {
					.mode = SPEX_MODE_FORCE_OFFLOAD,
				};

				if (spex_run(f, &pol, &ex, fs, in, net.n_in, out,
					     sizeof(out), &r) ||
				    r.decision != SPEX_DECISION_FINAL ||
				    memcmp(out, fq, nc) || r.class_id != fcls) {
					mism++;
				}
			}
		}
	}
	CHECK_EQ(mism, 0);
	CHECK(exits > 0 && exits < runs, "both paths exercised: %u of %u exit",
	      exits, runs);
	free(hs);
	free(ts);
	free(fs);
out:
	spex_model_free(h);
	spex_model_free(t);
	spex_model_free(f);
	free(hb);
	free(tb);
	free(fb);
	st_data_free(&d);
	st_net_free(&net);
}

TEST(export_load_run_equals_int8_sim_mlp)
{
	export_matches(cfg_mlp);
}

TEST(export_load_run_equals_int8_sim_cnn)
{
	export_matches(cfg_cnn);
}

TEST(export_load_run_equals_int8_sim_padded)
{
	export_matches(cfg_pad);
}

TEST(malformed_configs_are_rejected)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "fc", "fc: want 'fc OUT" },
		{ "fc 0", "fc: want" },
		{ "fc 10 din=x", "bad value 'x' for din" },
		{ "fc 10 din=4 dout=2", "at most one of din, dout, density" },
		{ "fc 10 density=1.5", "bad value '1.5' for density" },
		{ "fc 10 pattern=cf9", "dense, random, cf1, cf2 or cf3" },
		{ "fc 10 din=4 pattern=cf2", "clash-free patterns need z=N" },
		{ "fc 10 din=4 z=2", "z, starts and dither are for cf" },
		{ "fc 10 wat=1", "unknown option 'wat'" },
		{ "fc 10 din", "'din' is not key=value" },
		{ "conv 4 din=2", "kernel size k=N is required" },
		{ "input 1 28", "want 'input C H W'" },
		{ "split", "split: goes after the last head layer" },
		{ "exit", "exit: comes after its layer" },
		{ "frobnicate", "unknown statement 'frobnicate'" },
		{ "train epochs=0", "bad value '0' for epochs" },
		{ "train opt=rmsprop", "adam or sgd" },
		{ "train batch=100000", "bad value '100000' for batch" },
		{ "classes 1", "classes: want 2..256" },
	};
	static const struct {
		const char *text, *msg;
	} unbuildable[] = {
		/* degree identity: 16 * 3 is not a multiple of 10 */
		{ "input 1 1 10\nfc 16 din=3\nfc 10", "breaks the degree identity" },
		/* out-degree giving a fractional in-degree */
		{ "input 1 1 10\nfc 4 dout=3\nfc 10", "not a whole number" },
		/* clash-free: p % d_in (10 % 4) */
		{ "input 1 1 10\nfc 5 din=4 pattern=cf1 z=2\nfc 10",
		  "SPEX_E_PATTERN_DIN" },
		/* clash-free: p % z */
		{ "input 1 1 10\nfc 5 din=2 pattern=cf2 z=3\nfc 10",
		  "SPEX_E_PATTERN_Z" },
		{ "input 1 1 10\nfc 10\nfc 7", "the dataset 10 classes" },
		{ "input 1 1 10\nfc 10\nsplit", "leaves no tail" },
		{ "input 1 1 10\nfc 8\nsplit\nfc 8\nexit\nfc 10",
		  "is not on the head" },
		{ "input 1 4 4\nmaxpool 2\nsplit\nfc 10", "must be fc or conv" },
		{ "input 1 4 4\nconv 2 k=7\nfc 10", "do not fit" },
		{ "input 1 4 4\npad 8\nfc 10", "smaller than the input" },
		{ "", "no layers" },
	};
	struct st_spec s;
	struct st_net net;
	char err[256];
	u32 i;

	for (i = 0; i < SPEX_ARRAY_SIZE(bad); i++) {
		st_spec_default(&s);
		err[0] = 0;
		CHECK(st_spec_parse(&s, bad[i].text, "cfg", err, sizeof(err)) == -1,
		      "'%s' accepted", bad[i].text);
		CHECK(strstr(err, bad[i].msg) && !strncmp(err, "cfg:1: ", 7),
		      "'%s': got '%s', want '%s'", bad[i].text, err, bad[i].msg);
	}
	for (i = 0; i < SPEX_ARRAY_SIZE(unbuildable); i++) {
		st_spec_default(&s);
		err[0] = 0;
		CHECK(st_spec_parse(&s, unbuildable[i].text, "cfg", err,
				    sizeof(err)) == 0, "%s", err);
		CHECK(st_net_build(&net, &s, err, sizeof(err)) == -1,
		      "'%s' built", unbuildable[i].text);
		CHECK(strstr(err, unbuildable[i].msg), "'%s': got '%s', want '%s'",
		      unbuildable[i].text, err, unbuildable[i].msg);
		st_net_free(&net);
	}
	/* A config round-trips through st_spec_print. */
	{
		struct st_spec a, b;
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		st_spec_default(&a);
		CHECK_EQ(st_spec_parse(&a, cfg_cnn, "cnn", err, sizeof(err)), 0);
		st_spec_print(&a, f);
		fclose(f);
		st_spec_default(&b);
		CHECK(st_spec_parse(&b, text, "printed", err, sizeof(err)) == 0,
		      "%s", err);
		CHECK(!memcmp(&a, &b, sizeof(a)), "print/parse round trip");
		free(text);
	}
}

/* The peer's plan: dense matrices whose masks are exactly the pattern's
 * edges (d_in ones per row), the weights zero off the mask and equal to
 * the net's on it, and every epoch's order a permutation, the very order
 * st_train() visits (trained from the plan's order by hand: same bits). */
TEST(plan_holds_the_patterns_and_the_order)
{
	static const char cfg[] =
		"input 1 4 4\nclasses 3\n"
		"fc 12 din=4 pattern=random\n"
		"exit\nsplit\nfc 3 din=4 pattern=random\n"
		"train epochs=3 batch=8\n";
	char dir[] = "/tmp/spex-plan-XXXXXX", path[256];
	struct st_net net, ref;
	struct st_data d;
	u32 i, r, m, e, *order, *tr;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	CHECK_EQ(build(&net, cfg, 5), 0);
	CHECK_EQ(build(&ref, cfg, 5), 0);
	synth(&d, 40, 16, 3, 1, 2);
	tr = malloc(40 * 4);
	for (i = 0; i < 40; i++)
		tr[i] = 39 - i;
	CHECK_EQ(st_plan_write(&net, tr, 40, dir, NULL, 0) == 0 ? 0 : -1, 0);
	for (i = 0; i < net.n_layers; i++) {
		const struct st_layer *l = &net.layers[i];
		size_t nn = (size_t)l->n_out * l->n_in;
		u8 *mask = malloc(nn);
		float *w = malloc(nn * 4);
		u32 ones = 0, bad = 0;

		snprintf(path, sizeof(path), "%s/mask%u.u8", dir, i);
		f = fopen(path, "rb");
		CHECK(f && fread(mask, 1, nn, f) == nn, "%s", path);
		fclose(f);
		snprintf(path, sizeof(path), "%s/w%u.f32", dir, i);
		f = fopen(path, "rb");
		CHECK(f && fread(w, 4, nn, f) == nn, "%s", path);
		fclose(f);
		for (r = 0; r < l->n_out; r++)
			for (m = 0; m < l->n_in; m++) {
				ones += mask[r * l->n_in + m];
				bad += !mask[r * l->n_in + m] && w[r * l->n_in + m] != 0;
			}
		for (r = 0; r < l->n_out; r++)
			for (m = 0; m < l->d_in; m++) {
				u32 k = r * l->n_in + l->left[r * l->d_in + m];

				bad += !mask[k] || w[k] != l->w[r * l->d_in + m];
			}
		CHECK_EQ(ones, l->n_out * l->d_in);
		CHECK_EQ(bad, 0);
		free(mask);
		free(w);
	}
	order = malloc(3 * 40 * 4);
	snprintf(path, sizeof(path), "%s/order.u32", dir);
	f = fopen(path, "rb");
	CHECK(f && fread(order, 4, 120, f) == 120, "%s", path);
	fclose(f);
	for (e = 0; e < 3; e++) {
		u8 seen[40] = { 0 };
		u32 dup = 0;

		for (i = 0; i < 40; i++)
			dup += order[e * 40 + i] >= 40 || seen[order[e * 40 + i]]++;
		CHECK_EQ(dup, 0);
	}
	/* Replaying the order by hand trains the same bits as st_train. */
	CHECK_EQ(st_train(&net, &d, NULL, NULL, NULL), 0);
	{
		struct st_pool *p = st_pool_new(&ref);

		for (e = 0; e < 3; e++)
			for (i = 0; i < 40; i += 8) {
				st_pool_step(p, &ref, &d, order + e * 40 + i, 8);
				st_opt_step(&ref, ref.spec.lr * pow(ref.spec.lr_decay, e));
			}
		st_pool_free(p);
	}
	CHECK(same_weights(&net, &ref), "the plan's order is st_train's");
	/* Conv networks are refused with a reason. */
	{
		struct st_net c;
		char err[128] = "";

		CHECK_EQ(build(&c, cfg_cnn, 1), 0);
		CHECK(st_plan_write(&c, tr, 40, dir, err, sizeof(err)) == -1 &&
		      strstr(err, "not fc"), "cnn refused: %s", err);
		st_net_free(&c);
	}
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	CHECK_EQ(system(path), 0);
	free(order);
	free(tr);
	st_data_free(&d);
	st_net_free(&net);
	st_net_free(&ref);
}

TEST_MAIN(T(gradients_sparse_fc_and_exit_branch),
	  T(gradients_sparse_conv_and_pool), T(gradients_padded_input),
	  T(training_lowers_loss_and_separates_classes),
	  T(export_load_run_equals_int8_sim_mlp),
	  T(export_load_run_equals_int8_sim_cnn),
	  T(export_load_run_equals_int8_sim_padded),
	  T(malformed_configs_are_rejected),
	  T(plan_holds_the_patterns_and_the_order))
