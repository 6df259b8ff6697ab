// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * spexctl: manage /dev/spex models and run inference through libspex.
 *
 * load, unload, list, policy and stats act on the kernel module's model
 * registry and need /dev/spex. info FILE and infer run on any machine:
 * without the device they use libspex's userspace engine.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spex/libspex.h"
#include <spex/engine.h>	/* spex_name(): the names of enum values */
#include "clock.h"
#include "fail.h"
#include "file.h"
#include "idx.h"
#include "parse.h"

static const char *const origin_names[] = {
	"error", "local", "tail", "fallback", "bottleneck",
};

struct opts {
	bool json;
	bool quiet;			/* -q: only what a script needs */
	int backend;
	const char *dev_path;
	/* infer */
	const char *labels;
	const char *server;
	bool raw;
	bool per_input;
	bool scalar;
	uint32_t first, count;
	uint32_t deadline_ms;
	int mode;			/* -1: keep */
	int net_mode;			/* -1: keep; enum spex_net_mode */
	uint32_t job_deadline_us;	/* 0: keep */
	int rttvar_k;			/* -1: keep */
	uint32_t budget_kBps;		/* infer: link budget */
	uint32_t n_thr;
	uint32_t thr[SPX_MAX_EXITS];
	bool reset;
	bool atomic;			/* load: SPEX_LOAD_F_ATOMIC */
};

static const char *name_of(const char *const *names, size_t n, uint32_t v)
{
	return v < n && names[v] ? names[v] : "?";
}
#define NAME(tab, v) name_of(tab, sizeof(tab) / sizeof(tab[0]), (v))

static void json_str(const char *s, size_t max)
{
	putchar('"');
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static double q16(uint32_t v)
{
	return v / 65536.0;
}

/* Open a handle; need_dev: the command acts on the module's registry. */
static struct spex *open_handle(const struct opts *o, bool need_dev,
				const char *cmd)
{
	struct spex_open_opts oo = { .backend = (uint32_t)o->backend,
				     .dev_path = o->dev_path };
	struct spex *h;
	int ret;

	if (need_dev)
		oo.backend = SPEX_BACKEND_DEVICE;
	if (o->scalar)
		oo.flags |= SPEX_OPEN_SCALAR;
	ret = spex_open(&oo, &h);
	if (ret == 0)
		return h;
	if (need_dev || o->backend == SPEX_BACKEND_DEVICE)
		die("%s needs the spex kernel module, but %s cannot be opened: "
		    "%s.\n  Load it with 'modprobe spex'. 'spexctl infer' and "
		    "'spexctl info FILE.spx' work without it (userspace engine).",
		    cmd, o->dev_path ? o->dev_path : "/dev/spex",
		    spex_strerror(ret));
	die("cannot open libspex: %s", spex_strerror(ret));
}

static uint32_t parse_id(const char *s)
{
	uint32_t id;

	if (parse_u32(s, 0, 0, UINT32_MAX, &id) || !id)
		die("not a model id: %s", s);
	return id;
}

static bool is_file(const char *s)
{
	struct stat st;

	return stat(s, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- info ------------------------------------------------------------- */

static void print_backend_info(struct spex *h, const struct opts *o)
{
	struct spex_info in;
	int ret = spex_get_info(h, &in);

	if (ret)
		die("info: %s", spex_strerror(ret));
	if (o->json) {
		printf("{\"backend\":\"%s\",\"uring_cmd\":%s,\"abi_version\":%u,"
		       "\"features\":%llu,\"max_model_bytes\":%llu,"
		       "\"max_models\":%u,\"max_jobs_per_file\":%u,"
		       "\"max_input_bytes\":%u,\"n_models\":%u,\"kernels\":",
		       spex_backend_name(spex_backend_of(h)),
		       spex_uses_uring_cmd(h) ? "true" : "false",
		       in.abi_version, (unsigned long long)in.features,
		       (unsigned long long)in.max_model_bytes, in.max_models,
		       in.max_jobs_per_file, in.max_input_bytes, in.n_models);
		json_str(in.kernels, sizeof(in.kernels));
		printf("}\n");
		return;
	}
	printf("backend:        %s%s\n", spex_backend_name(spex_backend_of(h)),
	       spex_backend_of(h) == SPEX_BACKEND_DEVICE ?
	       (spex_uses_uring_cmd(h) ? " (io_uring uring_cmd)" : " (ioctl)") :
	       " (no /dev/spex: userspace engine)");
	printf("abi version:    %u\n", in.abi_version);
	printf("features:       0x%llx%s%s%s%s\n", (unsigned long long)in.features,
	       in.features & SPEX_F_URING_CMD ? " uring_cmd" : "",
	       in.features & SPEX_F_CQE32_EXTRA ? " cqe32" : "",
	       in.features & SPEX_F_JOB_SCALAR ? " job_scalar" : "",
	       in.features & SPEX_F_LOAD_DIAG ? " load_diag" : "");
	printf("kernels:        %.*s\n", (int)sizeof(in.kernels), in.kernels);
	printf("models loaded:  %u (max %u)\n", in.n_models, in.max_models);
	printf("max model size: %llu bytes\n", (unsigned long long)in.max_model_bytes);
	printf("jobs per file:  %u\n", in.max_jobs_per_file);
}

static void print_model(const struct spex_model_desc *d,
			const struct spex_layer_desc *ld, uint32_t n_ld,
			const struct opts *o)
{
	char hash[2 * SPX_HASH_LEN + 1];
	uint32_t i;

	hex(d->hash, SPX_HASH_LEN, hash);
	if (o->json) {
		printf("{\"id\":%u,\"name\":", d->model_id);
		json_str(d->name, sizeof(d->name));
		printf(",\"hash\":\"%s\",\"role\":\"%s\",\"dtype\":\"%s\","
		       "\"input\":[%u,%u,%u],\"classes\":%u,\"layers\":%u,"
		       "\"main\":%u,\"exits\":%u,\"input_bytes\":%u,"
		       "\"output_bytes\":%u,\"weights\":%llu,\"dense_weights\":%llu,"
		       "\"macs\":%llu,\"dense_macs\":%llu,\"file_bytes\":%llu,"
		       "\"mem_bytes\":%llu,\"policy\":{\"mode\":\"%s\",\"thresholds\":[",
		       hash, spex_name(SPEX_NAMES_ROLE, d->role),
		       spex_name(SPEX_NAMES_DTYPE, d->dtype),
		       d->in_c, d->in_h, d->in_w, d->n_classes, d->n_layers,
		       d->n_main, d->n_exits, d->input_bytes, d->output_bytes,
		       (unsigned long long)d->weights,
		       (unsigned long long)d->dense_weights,
		       (unsigned long long)d->macs,
		       (unsigned long long)d->dense_macs,
		       (unsigned long long)d->file_bytes,
		       (unsigned long long)d->mem_bytes,
		       spex_name(SPEX_NAMES_MODE, d->policy.mode));
		for (i = 0; i < d->policy.n_thresholds && i < SPX_MAX_EXITS; i++)
			printf("%s%.4f", i ? "," : "", q16(d->policy.threshold_q16[i]));
		printf("]},\"stats\":{\"jobs\":%llu,\"exits\":%llu,"
		       "\"offloads\":%llu,\"errors\":%llu,\"total_ns\":%llu},"
		       "\"layer_list\":[",
		       (unsigned long long)d->jobs, (unsigned long long)d->exits,
		       (unsigned long long)d->offloads,
		       (unsigned long long)d->errors,
		       (unsigned long long)d->total_ns);
		for (i = 0; i < n_ld; i++)
			printf("%s{\"type\":\"%s\",\"branch\":%u,\"in\":[%u,%u,%u],"
			       "\"out\":[%u,%u,%u],\"fan_in\":%u,\"in_degree\":%u,"
			       "\"density\":%.6f,\"pattern\":\"%s\",\"z\":%u,"
			       "\"weights\":%llu,\"macs\":%llu}",
			       i ? "," : "", spex_name(SPEX_NAMES_LAYER, ld[i].type),
			       ld[i].branch, ld[i].in_c, ld[i].in_h, ld[i].in_w,
			       ld[i].out_c, ld[i].out_h, ld[i].out_w, ld[i].fan_in,
			       ld[i].in_degree, ld[i].density_ppm / 1e6,
			       spex_name(SPEX_NAMES_PATTERN, ld[i].pattern), ld[i].z,
			       (unsigned long long)ld[i].weights,
			       (unsigned long long)ld[i].macs);
		printf("]}\n");
		return;
	}
	printf("model %u: \"%.*s\", %s, %s\n", d->model_id, (int)sizeof(d->name),
	       d->name, spex_name(SPEX_NAMES_ROLE, d->role),
	       spex_name(SPEX_NAMES_DTYPE, d->dtype));
	printf("  hash       %s\n", hash);
	printf("  input      %ux%ux%u (%u bytes), %u classes, output %u bytes\n",
	       d->in_c, d->in_h, d->in_w, d->input_bytes, d->n_classes,
	       d->output_bytes);
	printf("  layers     %u (%u main, %u exits)\n", d->n_layers, d->n_main,
	       d->n_exits);
	printf("  weights    %llu (dense %llu, %.1fx fewer)\n",
	       (unsigned long long)d->weights, (unsigned long long)d->dense_weights,
	       d->weights ? (double)d->dense_weights / d->weights : 0.0);
	printf("  macs/job   %llu (dense %llu)\n", (unsigned long long)d->macs,
	       (unsigned long long)d->dense_macs);
	printf("  memory     %llu bytes (file %llu)\n",
	       (unsigned long long)d->mem_bytes, (unsigned long long)d->file_bytes);
	printf("  policy     %s", spex_name(SPEX_NAMES_MODE, d->policy.mode));
	for (i = 0; i < d->policy.n_thresholds && i < SPX_MAX_EXITS; i++)
		printf("%s%.4f", i ? ", " : ", thresholds ",
		       q16(d->policy.threshold_q16[i]));
	printf("\n");
	for (i = 0; i < n_ld; i++)
		printf("  %2u %-8s %s %ux%ux%u -> %ux%ux%u  d_in %u/%u (%.1f%%) %s%s\n",
		       i, spex_name(SPEX_NAMES_LAYER, ld[i].type),
		       ld[i].branch ? "exit" : "main", ld[i].in_c, ld[i].in_h,
		       ld[i].in_w, ld[i].out_c, ld[i].out_h, ld[i].out_w,
		       ld[i].in_degree, ld[i].fan_in, ld[i].density_ppm / 1e4,
		       ld[i].fan_in ? spex_name(SPEX_NAMES_PATTERN, ld[i].pattern) : "",
		       ld[i].z ? " clash-free" : "");
}

static void describe(struct spex *h, uint32_t id, const struct opts *o)
{
	struct spex_layer_desc ld[SPX_MAX_LAYERS];
	struct spex_model_desc d;
	int ret = spex_describe_model(h, id, &d, ld, SPX_MAX_LAYERS);

	if (ret)
		die("model %u: %s", id, spex_strerror(ret));
	print_model(&d, ld, d.n_layers < SPX_MAX_LAYERS ? d.n_layers :
		    SPX_MAX_LAYERS, o);
}

static uint32_t load_flags_or_die(struct spex *h, const char *path,
				  uint32_t flags)
{
	struct spex_load_error err;
	uint32_t id;
	int ret = spex_load_file_flags(h, path, flags, &id, &err);

	if (ret == 0)
		return id;
	if (err.status)
		die("%s: %s (byte %u): %s", path, spex_strerror(ret),
		    err.offset, err.msg);
	die("%s: %s", path, spex_strerror(ret));
}

static uint32_t load_or_die(struct spex *h, const char *path)
{
	return load_flags_or_die(h, path, 0);
}

static int cmd_info(const struct opts *o, int argc, char **argv)
{
	struct spex *h;

	if (argc > 1)
		die("usage: spexctl info [ID | FILE.spx]");
	if (argc == 1 && is_file(argv[0])) {
		struct opts uo = *o;
		uint32_t id;

		uo.backend = SPEX_BACKEND_USER;	/* only reads the file */
		h = open_handle(&uo, false, "info");
		id = load_or_die(h, argv[0]);
		describe(h, id, o);
	} else if (argc == 1) {
		h = open_handle(o, true, "info ID");
		describe(h, parse_id(argv[0]), o);
	} else {
		h = open_handle(o, false, "info");
		print_backend_info(h, o);
	}
	spex_close(h);
	return 0;
}

static int cmd_load(const struct opts *o, int argc, char **argv)
{
	struct spex *h;
	uint32_t id;

	if (argc != 1)
		die("usage: spexctl load [--atomic] FILE.spx");
	h = open_handle(o, true, "load");
	id = load_flags_or_die(h, argv[0], o->atomic ? SPEX_LOAD_F_ATOMIC : 0);
	if (o->quiet) {
		printf("%u\n", id);
	} else if (o->json) {
		struct spex_model_desc d;
		char hash[2 * SPX_HASH_LEN + 1];

		if (spex_describe_model(h, id, &d, NULL, 0))
			die("model %u was unloaded right after loading", id);
		hex(d.hash, SPX_HASH_LEN, hash);
		printf("{\"id\":%u,\"file\":", id);
		json_str(argv[0], strlen(argv[0]));
		printf(",\"name\":");
		json_str(d.name, sizeof(d.name));
		printf(",\"hash\":\"%s\",\"role\":\"%s\",\"atomic\":%s}\n",
		       hash, spex_name(SPEX_NAMES_ROLE, d.role),
		       o->atomic ? "true" : "false");
	} else {
		printf("loaded %s as model %u\n", argv[0], id);
	}
	spex_close(h);
	return 0;
}

static int cmd_unload(const struct opts *o, int argc, char **argv)
{
	struct spex *h;
	uint32_t id;
	int ret;

	if (argc != 1)
		die("usage: spexctl unload ID");
	id = parse_id(argv[0]);
	h = open_handle(o, true, "unload");
	ret = spex_unload_model(h, id);
	if (ret)
		die("unload %u: %s", id, spex_strerror(ret));
	if (o->json)
		printf("{\"unloaded\":%u}\n", id);
	else if (!o->quiet)
		printf("unloaded model %u\n", id);
	spex_close(h);
	return 0;
}

static int cmd_list(const struct opts *o, int argc, char **argv)
{
	uint32_t ids[4096];
	const char *sep = "";
	struct spex *h;
	int n, i;

	if (argc)
		die("usage: spexctl list");
	h = open_handle(o, true, "list");
	n = spex_list_models(h, ids, 4096);
	if (n < 0)
		die("list: %s", spex_strerror(n));
	if (o->json)
		printf("[");
	else if (!o->quiet)
		printf("%-5s %-32s %-5s %10s %10s %10s\n", "ID", "NAME", "ROLE",
		       "JOBS", "EXITS", "OFFLOADS");
	for (i = 0; i < n && i < 4096; i++) {
		struct spex_model_desc d;

		if (spex_describe_model(h, ids[i], &d, NULL, 0))
			continue;	/* unloaded meanwhile */
		if (o->quiet) {
			printf("%u\n", d.model_id);
		} else if (o->json) {
			printf("%s{\"id\":%u,\"name\":", sep, d.model_id);
			json_str(d.name, sizeof(d.name));
			printf(",\"role\":\"%s\",\"jobs\":%llu,\"exits\":%llu,"
			       "\"offloads\":%llu}", spex_name(SPEX_NAMES_ROLE, d.role),
			       (unsigned long long)d.jobs,
			       (unsigned long long)d.exits,
			       (unsigned long long)d.offloads);
			sep = ",";
		} else {
			printf("%-5u %-32.*s %-5s %10llu %10llu %10llu\n",
			       d.model_id, (int)sizeof(d.name), d.name,
			       spex_name(SPEX_NAMES_ROLE, d.role),
			       (unsigned long long)d.jobs,
			       (unsigned long long)d.exits,
			       (unsigned long long)d.offloads);
		}
	}
	if (o->json)
		printf("]\n");
	spex_close(h);
	return 0;
}

static bool wants_net(const struct opts *o)
{
	return o->net_mode >= 0 || o->job_deadline_us || o->rttvar_k >= 0;
}

static void apply_policy(struct spex *h, uint32_t id, const struct opts *o)
{
	struct spex_model_desc d;
	struct spex_policy p;
	int ret;

	ret = spex_describe_model(h, id, &d, NULL, 0);
	if (ret)
		die("model %u: %s", id, spex_strerror(ret));
	p = d.policy;
	if (o->reset) {
		memset(&p, 0, sizeof(p));
	}
	if (o->mode >= 0)
		p.mode = (uint32_t)o->mode;
	if (o->net_mode >= 0)
		p.net_mode = (uint16_t)o->net_mode;
	if (o->job_deadline_us)
		p.deadline_us = o->job_deadline_us;
	if (o->rttvar_k >= 0)
		p.rttvar_k = (uint16_t)o->rttvar_k;
	if (p.net_mode == SPEX_NET_CONFIDENCE) {
		p.deadline_us = 0;	/* (a) has no deadline */
		p.rttvar_k = 0;
	} else if (!p.deadline_us) {
		die("--net %s needs --job-deadline",
		    spex_name(SPEX_NAMES_NET_MODE, p.net_mode));
	}
	if (o->n_thr) {
		if (o->n_thr > d.n_exits)
			die("model %u has %u exits, %u thresholds given", id,
			    d.n_exits, o->n_thr);
		p.n_thresholds = d.n_exits;
		memcpy(p.threshold_q16, o->thr, o->n_thr * sizeof(o->thr[0]));
	}
	ret = spex_set_model_policy(h, id, &p);
	if (ret)
		die("policy of model %u: %s", id, spex_strerror(ret));
}

static int cmd_policy(const struct opts *o, int argc, char **argv)
{
	struct spex *h;
	uint32_t id;

	if (argc != 1)
		die("usage: spexctl policy ID [--mode auto|local|offload] "
		    "[--threshold T[,T...]] [--reset]");
	id = parse_id(argv[0]);
	h = open_handle(o, true, "policy");
	if (o->mode >= 0 || o->n_thr || o->reset || wants_net(o))
		apply_policy(h, id, o);
	{
		struct spex_model_desc d;
		int ret = spex_describe_model(h, id, &d, NULL, 0);

		if (ret)
			die("model %u: %s", id, spex_strerror(ret));
		if (o->quiet) {
			/* nothing: the exit status says it worked */
		} else if (o->json) {
			printf("{\"id\":%u,\"mode\":\"%s\",\"thresholds\":[", id,
			       spex_name(SPEX_NAMES_MODE, d.policy.mode));
			for (uint32_t i = 0; i < d.policy.n_thresholds &&
			     i < SPX_MAX_EXITS; i++)
				printf("%s%.4f", i ? "," : "",
				       q16(d.policy.threshold_q16[i]));
			printf("],\"net\":\"%s\",\"deadline_us\":%u,"
			       "\"rttvar_k\":%u}\n",
			       spex_name(SPEX_NAMES_NET_MODE, d.policy.net_mode),
			       d.policy.deadline_us, d.policy.rttvar_k);
		} else {
			printf("model %u: mode %s", id,
			       spex_name(SPEX_NAMES_MODE, d.policy.mode));
			for (uint32_t i = 0; i < d.policy.n_thresholds &&
			     i < SPX_MAX_EXITS; i++)
				printf("%s%.4f", i ? ", " : ", thresholds ",
				       q16(d.policy.threshold_q16[i]));
			printf(", net %s",
			       spex_name(SPEX_NAMES_NET_MODE, d.policy.net_mode));
			if (d.policy.net_mode != SPEX_NET_CONFIDENCE)
				printf(" (deadline %.3f ms, k %u)",
				       d.policy.deadline_us / 1e3,
				       d.policy.rttvar_k ? d.policy.rttvar_k :
				       SPEX_NET_DEFAULT_K);
			printf("\n");
		}
	}
	spex_close(h);
	return 0;
}

static int cmd_stats(const struct opts *o, int argc, char **argv)
{
	uint32_t ids[4096];
	const char *sep = "";
	struct spex *h;
	int n, i;

	if (argc > 1)
		die("usage: spexctl stats [ID]");
	h = open_handle(o, true, "stats");
	if (argc == 1) {
		ids[0] = parse_id(argv[0]);
		n = 1;
	} else {
		n = spex_list_models(h, ids, 4096);
		if (n < 0)
			die("stats: %s", spex_strerror(n));
	}
	if (o->json)
		printf("[");
	for (i = 0; i < n && i < 4096; i++) {
		struct spex_model_desc d;
		int ret = spex_describe_model(h, ids[i], &d, NULL, 0);
		double mean;

		if (ret) {
			if (argc == 1)
				die("model %u: %s", ids[i], spex_strerror(ret));
			continue;
		}
		mean = d.jobs ? (double)d.total_ns / d.jobs / 1000.0 : 0;
		if (o->json) {
			printf("%s{\"id\":%u,\"jobs\":%llu,\"exits\":%llu,"
			       "\"offloads\":%llu,\"errors\":%llu,"
			       "\"total_ns\":%llu,\"mean_us\":%.3f}", sep,
			       d.model_id, (unsigned long long)d.jobs,
			       (unsigned long long)d.exits,
			       (unsigned long long)d.offloads,
			       (unsigned long long)d.errors,
			       (unsigned long long)d.total_ns, mean);
			sep = ",";
		} else {
			printf("model %u: %llu jobs, %llu exits (%.1f%%), %llu "
			       "offloads, %llu errors, mean %.2f us\n",
			       d.model_id, (unsigned long long)d.jobs,
			       (unsigned long long)d.exits,
			       d.jobs ? 100.0 * d.exits / d.jobs : 0.0,
			       (unsigned long long)d.offloads,
			       (unsigned long long)d.errors, mean);
		}
	}
	if (o->json)
		printf("]\n");
	spex_close(h);
	return 0;
}

/* ---- infer ------------------------------------------------------------ */

static void *read_or_die(const char *path, size_t *len)
{
	void *buf;
	int ret = read_file(path, 0, &buf, len);

	if (ret == -ENOMEM)
		die("out of memory");
	if (ret == -EIO)
		die("%s: read error", path);
	if (ret)
		die("%s: %s", path, strerror(-ret));
	return buf;
}

static int8_t quantize(uint8_t px, float scale, int32_t zp)
{
	long q = lrintf((px / 255.0f) / scale) + zp;

	return (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
}

struct inputs {
	uint32_t n;
	uint32_t bytes;			/* per input */
	uint8_t *data;
	uint8_t *labels;		/* or NULL */
};

/* IDX images (quantized with the model's input_q) or raw inputs. */
static void read_inputs(const char *path, const struct spex_model_desc *d,
			const struct opts *o, struct inputs *in)
{
	size_t len;
	uint8_t *buf = read_or_die(path, &len);
	char err[256];

	in->bytes = d->input_bytes;
	if (!o->raw && len >= 4 && buf[0] == 0 && buf[1] == 0 && buf[2] == 8) {
		uint32_t rows, cols, per;
		uint8_t *px;
		float scale;
		int32_t zp = (int32_t)d->input_q.zero_point;
		uint32_t sb = d->input_q.scale_bits;
		int st;

		st = idx_parse_images(buf, len, path, &in->n, &rows, &cols, &px,
				      err, sizeof(err));
		if (st)
			die("%s", err);
		per = rows * cols;
		if (per != d->in_c * d->in_h * d->in_w)
			die("%s: images are %ux%u, the model takes %ux%ux%u",
			    path, rows, cols, d->in_c, d->in_h, d->in_w);
		memcpy(&scale, &sb, sizeof(scale));
		in->data = malloc((size_t)in->n * in->bytes);
		if (!in->data)
			die("out of memory");
		for (size_t i = 0; i < (size_t)in->n * per; i++) {
			if (d->dtype == SPX_DTYPE_F32) {
				float v = px[i] / 255.0f;

				memcpy(in->data + i * 4, &v, 4);
			} else {
				in->data[i] = (uint8_t)quantize(px[i], scale, zp);
			}
		}
		free(px);
	} else {
		if (len == 0 || len % in->bytes)
			die("%s: %zu bytes is not a whole number of %u-byte "
			    "inputs (raw input: each record is the model's "
			    "input tensor)", path, len, in->bytes);
		in->n = (uint32_t)(len / in->bytes);
		in->data = buf;
		buf = NULL;
	}
	free(buf);
	if (o->labels) {
		uint8_t *lb = read_or_die(o->labels, &len);
		uint32_t n;
		int st = idx_parse_labels(lb, len, o->labels, d->n_classes, &n,
					  &in->labels, err, sizeof(err));

		if (st)
			die("%s", err);
		if (n != in->n)
			die("%s has %u labels for %u inputs", o->labels, n, in->n);
		free(lb);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The offload decision's view of the tail, after an infer run. */
static void print_tail_stats(struct spex *h, uint32_t id, bool json)
{
	struct spex_tail_stats st;
	uint32_t r;

	if (spex_get_tail_stats(h, id, &st))
		return;
	if (json) {
		printf(",\"net\":{\"srtt_us\":%u,\"rttvar_us\":%u,"
		       "\"tail_us\":%u,\"predict_us\":%lld,\"loss\":%.4f,"
		       "\"down\":%s,\"samples\":%llu,\"timeouts\":%llu,"
		       "\"decisions\":{", st.srtt_us, st.rttvar_us, st.tail_us,
		       st.predict_us == UINT32_MAX ? -1LL :
		       (long long)st.predict_us, q16(st.loss_q16),
		       st.down ? "true" : "false",
		       (unsigned long long)st.samples,
		       (unsigned long long)st.timeouts);
		for (r = 0; r < SPEX_NET_R_COUNT; r++)
			printf("%s\"%s\":%llu", r ? "," : "",
			       spex_name(SPEX_NAMES_NET_REASON, r),
			       (unsigned long long)st.by_reason[r]);
		printf("}}");
		return;
	}
	printf("tail: srtt %.3f ms, rttvar %.3f ms, tail time %.3f ms, ",
	       st.srtt_us / 1e3, st.rttvar_us / 1e3, st.tail_us / 1e3);
	if (st.predict_us == UINT32_MAX)
		printf("no answer yet");
	else
		printf("predicted %.3f ms", st.predict_us / 1e3);
	printf(", loss %.1f%%, %llu answers, %llu timeouts%s\n",
	       100.0 * q16(st.loss_q16), (unsigned long long)st.samples,
	       (unsigned long long)st.timeouts, st.down ? ", DOWN" : "");
	printf("decisions:");
	for (r = 0; r < SPEX_NET_R_COUNT; r++)
		printf(" %s %llu", spex_name(SPEX_NAMES_NET_REASON, r),
		       (unsigned long long)st.by_reason[r]);
	printf("\n");
}

static int cmd_infer(const struct opts *o, int argc, char **argv)
{
	struct spex_completion *res, c[64];
	struct spex_model_desc d;
	struct inputs in = { 0 };
	uint64_t *lat, *t_sub, t0, t1;
	uint32_t id, first, count, next, done = 0, correct = 0;
	uint32_t n_by_origin[5] = { 0 }, exits = 0;
	uint64_t bytes_off = 0;
	bool loaded = false;
	struct spex *h;
	int ret;

	if (argc != 2)
		die("usage: spexctl infer [OPTIONS] MODEL INPUT\n"
		    "  MODEL: a .spx file, or the id of a model on /dev/spex");
	if (is_file(argv[0])) {
		h = open_handle(o, false, "infer");
		id = load_or_die(h, argv[0]);
		loaded = true;
	} else {
		h = open_handle(o, true, "infer ID");
		id = parse_id(argv[0]);
	}
	ret = spex_describe_model(h, id, &d, NULL, 0);
	if (ret)
		die("model %u: %s", id, spex_strerror(ret));
	if (o->mode >= 0 || o->n_thr || wants_net(o))
		apply_policy(h, id, o);
	if (o->server) {
		struct spex_offload_opts off = { .deadline_ms = o->deadline_ms,
						 .budget_kBps = o->budget_kBps };
		char host[256];
		const char *colon = strrchr(o->server, ':');
		uint32_t port;

		if (!colon || (size_t)(colon - o->server) >= sizeof(host) ||
		    parse_u32(colon + 1, 0, 1, 65535, &port))
			die("--server wants HOST:PORT, got %s", o->server);
		memcpy(host, o->server, (size_t)(colon - o->server));
		host[colon - o->server] = 0;
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = 0;
		}
		off.host = host;
		off.port = (uint16_t)port;
		ret = spex_set_offload(h, id, &off);
		if (ret)
			die("--server %s: %s", o->server, spex_strerror(ret));
	}
	read_inputs(argv[1], &d, o, &in);
	first = o->first < in.n ? o->first : in.n;
	count = o->count && o->count < in.n - first ? o->count : in.n - first;

	res = calloc(count ? count : 1, sizeof(*res));
	lat = calloc(count ? count : 1, sizeof(*lat));
	t_sub = calloc(count ? count : 1, sizeof(*t_sub));
	if (!res || !lat || !t_sub)
		die("out of memory");
	t0 = now_ns();
	for (next = 0; done < count;) {
		while (next < count) {
			struct spex_req r = {
				.model_id = id,
				.flags = o->scalar ? SPEX_REQ_SCALAR : 0,
				.input = in.data + (size_t)(first + next) * in.bytes,
				.input_len = in.bytes,
				.user_data = next,
			};

			t_sub[next] = now_ns();
			ret = spex_submit(h, &r, 1);
			if (ret == -EBUSY)
				break;
			if (ret < 0)
				die("submit: %s", spex_strerror(ret));
			next++;
		}
		ret = spex_reap(h, c, 64, 1, -1);
		if (ret < 0)
			die("reap: %s", spex_strerror(ret));
		for (int k = 0; k < ret; k++) {
			uint32_t i = (uint32_t)c[k].user_data;

			lat[i] = now_ns() - t_sub[i];
			res[i] = c[k];
			done++;
		}
	}
	t1 = now_ns();

	for (uint32_t i = 0; i < count; i++) {
		n_by_origin[res[i].origin < 5 ? res[i].origin : 0]++;
		if (res[i].res == 0 &&
		    res[i].result.decision == SPEX_DECISION_EXIT)
			exits++;
		if (res[i].res == 0 &&
		    res[i].result.decision == SPEX_DECISION_OFFLOAD)
			bytes_off += res[i].result.bottleneck_len;
		if (in.labels && res[i].res == 0 &&
		    res[i].origin != SPEX_ORIGIN_BOTTLENECK &&
		    res[i].result.class_id == in.labels[first + i])
			correct++;
	}
	{
		uint32_t answered = count - n_by_origin[SPEX_ORIGIN_ERROR] -
				    n_by_origin[SPEX_ORIGIN_BOTTLENECK];
		double secs = (t1 - t0) / 1e9;
		uint64_t p50, p99;

		memcpy(t_sub, lat, count * sizeof(*lat));
		qsort(t_sub, count, sizeof(*t_sub), cmp_u64);
		p50 = count ? t_sub[count / 2] : 0;
		p99 = count ? t_sub[(count * 99) / 100 < count ?
				    (count * 99) / 100 : count - 1] : 0;
		if (o->json) {
			printf("{\"model\":%u,\"backend\":\"%s\",\"inputs\":%u,"
			       "\"exits\":%u,\"offloads\":%u,\"tail\":%u,"
			       "\"fallback\":%u,\"bottleneck\":%u,\"errors\":%u,"
			       "\"bytes_offloaded\":%llu,",
			       id, spex_backend_name(spex_backend_of(h)), count,
			       exits, count - exits - n_by_origin[SPEX_ORIGIN_ERROR],
			       n_by_origin[SPEX_ORIGIN_TAIL],
			       n_by_origin[SPEX_ORIGIN_FALLBACK],
			       n_by_origin[SPEX_ORIGIN_BOTTLENECK],
			       n_by_origin[SPEX_ORIGIN_ERROR],
			       (unsigned long long)bytes_off);
			if (in.labels)
				printf("\"accuracy\":%.6f,", answered ?
				       (double)correct / answered : 0.0);
			printf("\"seconds\":%.6f,\"p50_us\":%.3f,\"p99_us\":%.3f",
			       secs, p50 / 1e3, p99 / 1e3);
			print_tail_stats(h, id, true);
			if (o->per_input) {
				printf(",\"results\":[");
				for (uint32_t i = 0; i < count; i++) {
					const struct spex_completion *r = &res[i];

					printf("%s{\"index\":%u,\"res\":%d,"
					       "\"origin\":\"%s\",\"class\":%u,"
					       "\"confidence\":%.4f,\"exit\":%d,"
					       "\"tail_err\":%d}", i ? "," : "",
					       first + i, r->res,
					       NAME(origin_names, r->origin),
					       r->result.class_id,
					       q16(r->result.confidence_q16),
					       r->result.decision == SPEX_DECISION_EXIT ?
					       (int)r->result.exit_index : -1,
					       r->tail_err);
				}
				printf("]");
			}
			printf("}\n");
		} else {
			if (o->per_input)
				for (uint32_t i = 0; i < count; i++) {
					const struct spex_completion *r = &res[i];

					if (r->res) {
						printf("%6u  error: %s\n", first + i,
						       spex_strerror(r->res));
						continue;
					}
					printf("%6u  class %u  conf %.3f  %s", first + i,
					       r->result.class_id,
					       q16(r->result.confidence_q16),
					       NAME(origin_names, r->origin));
					if (r->result.decision == SPEX_DECISION_EXIT)
						printf(" (exit %u)", r->result.exit_index);
					if (r->origin == SPEX_ORIGIN_FALLBACK)
						printf(" (%s)", spex_strerror(r->tail_err));
					if (in.labels)
						printf("  label %u", in.labels[first + i]);
					printf("\n");
				}
			printf("%u inputs on the %s backend: %u exited early "
			       "(%.1f%%), %u offloaded", count,
			       spex_backend_name(spex_backend_of(h)), exits,
			       count ? 100.0 * exits / count : 0.0,
			       count - exits - n_by_origin[SPEX_ORIGIN_ERROR]);
			if (o->server)
				printf(" (%u answered by the tail, %u fell back)",
				       n_by_origin[SPEX_ORIGIN_TAIL],
				       n_by_origin[SPEX_ORIGIN_FALLBACK]);
			else if (n_by_origin[SPEX_ORIGIN_BOTTLENECK])
				printf(" (no --server: left unanswered)");
			printf("\nbytes offloaded %llu (%.1f per input)\n",
			       (unsigned long long)bytes_off,
			       count ? (double)bytes_off / count : 0.0);
			if (n_by_origin[SPEX_ORIGIN_ERROR])
				printf("%u jobs failed\n",
				       n_by_origin[SPEX_ORIGIN_ERROR]);
			if (in.labels)
				printf("accuracy %.2f%% (%u/%u)\n", answered ?
				       100.0 * correct / answered : 0.0, correct,
				       answered);
			printf("%.3f s, %.0f inputs/s, latency p50 %.1f us, "
			       "p99 %.1f us\n", secs, secs > 0 ? count / secs : 0.0,
			       p50 / 1e3, p99 / 1e3);
			print_tail_stats(h, id, false);
		}
	}
	if (loaded)
		spex_unload_model(h, id);
	spex_close(h);
	free(res);
	free(lat);
	free(t_sub);
	free(in.data);
	free(in.labels);
	return n_by_origin[SPEX_ORIGIN_ERROR] ? 1 : 0;
}

/* ---- main ------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: spexctl [-q | --json] [--backend auto|device|user] [--device PATH]\n"
"               COMMAND [ARGS]\n\n"
"  -q, --quiet             for scripts: load prints the model id alone,\n"
"                          list the ids one a line; unload and policy\n"
"                          print nothing (the exit status says)\n"
"  --json                  one JSON value on stdout, for every command\n\n"
"  info [ID | FILE.spx]    the backend, a loaded model, or a .spx file\n"
"  load [--atomic] FILE.spx\n"
"                          load a model into /dev/spex, print its id\n"
"                          (\"loaded FILE as model ID\"; -q: ID alone);\n"
"                          --atomic marks it for XDP/TC programs\n"
"                          (bpf_spex_run(), spex-edge)\n"
"  unload ID               unload a model\n"
"  list                    models loaded in /dev/spex\n"
"  policy ID [--mode auto|local|offload] [--threshold T[,T...]] [--reset]\n"
"            [--net confidence|deadline|adaptive] [--job-deadline MS]\n"
"            [--rttvar-k K]\n"
"                          show or set a model's exit policy and how its\n"
"                          offloads see the network (offload-decision.rst)\n"
"  stats [ID]              per-model job counters\n"
"  infer [OPTIONS] MODEL INPUT\n"
"                          run inputs through a model (FILE.spx or ID);\n"
"                          INPUT is an IDX image file or raw input tensors\n"
"    --labels FILE         IDX labels: report accuracy\n"
"    --raw                 INPUT is raw even if it looks like IDX\n"
"    --first N, --count N  a slice of the inputs\n"
"    --server HOST:PORT    offload to this spex-serve\n"
"    --deadline MS         per-job offload deadline (default 1000)\n"
"    --link-budget KBPS    link budget for --net adaptive (1000 bytes/s)\n"
"    --mode, --threshold, --net, --job-deadline, --rttvar-k\n"
"                          policy for this run (see policy)\n"
"    --per-input           one line (or JSON record) per input\n"
"    --scalar              scalar kernels\n\n"
"load, unload, list, policy and stats need the spex module (/dev/spex);\n"
"info FILE and infer run anywhere, on the userspace engine if need be.\n\n"
"Examples:\n"
"  spexctl info head.spx\n"
"  id=$(spexctl -q load head.spx) && spexctl list && spexctl unload \"$id\"\n"
"  spexctl policy 1 --mode auto --threshold 0.9,0.8\n"
"  spexctl policy 1 --net deadline --job-deadline 30\n"
"  spexctl infer head.spx t10k-images-idx3-ubyte --labels t10k-labels-idx1-ubyte\n"
"  spexctl infer --server 127.0.0.1:7407 --json 1 images.idx\n");
}

static void parse_thresholds(struct opts *o, const char *s)
{
	char *copy = strdup(s), *tok, *save = NULL;

	o->n_thr = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *end;
		double v = strtod(tok, &end);

		if (*end || v < 0 || v > 1 || o->n_thr >= SPX_MAX_EXITS)
			die("--threshold wants up to %d values in [0, 1], got %s",
			    SPX_MAX_EXITS, s);
		o->thr[o->n_thr++] = (uint32_t)lrint(v * 65536.0);
	}
	free(copy);
}

int main(int argc, char **argv)
{
	enum { O_JSON = 256, O_BACKEND, O_DEVICE, O_LABELS, O_SERVER, O_RAW,
	       O_FIRST, O_COUNT, O_DEADLINE, O_MODE, O_THR, O_RESET, O_PER,
	       O_SCALAR, O_ATOMIC, O_NET, O_JOB_DEADLINE, O_RTTVAR_K,
	       O_BUDGET };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "backend", required_argument, NULL, O_BACKEND },
		{ "device", required_argument, NULL, O_DEVICE },
		{ "labels", required_argument, NULL, O_LABELS },
		{ "server", required_argument, NULL, O_SERVER },
		{ "raw", no_argument, NULL, O_RAW },
		{ "first", required_argument, NULL, O_FIRST },
		{ "count", required_argument, NULL, O_COUNT },
		{ "deadline", required_argument, NULL, O_DEADLINE },
		{ "mode", required_argument, NULL, O_MODE },
		{ "threshold", required_argument, NULL, O_THR },
		{ "reset", no_argument, NULL, O_RESET },
		{ "per-input", no_argument, NULL, O_PER },
		{ "scalar", no_argument, NULL, O_SCALAR },
		{ "atomic", no_argument, NULL, O_ATOMIC },
		{ "net", required_argument, NULL, O_NET },
		{ "job-deadline", required_argument, NULL, O_JOB_DEADLINE },
		{ "rttvar-k", required_argument, NULL, O_RTTVAR_K },
		{ "link-budget", required_argument, NULL, O_BUDGET },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct opts o = { .mode = -1, .net_mode = -1, .rttvar_k = -1 };
	static const struct {
		const char *name;
		int (*fn)(const struct opts *o, int argc, char **argv);
		bool quiet;		/* takes -q */
	} cmds[] = {
		{ "info", cmd_info, false }, { "load", cmd_load, true },
		{ "unload", cmd_unload, true }, { "list", cmd_list, true },
		{ "policy", cmd_policy, true }, { "stats", cmd_stats, false },
		{ "infer", cmd_infer, false },
	};
	uint32_t mode;
	int opt;

	tool_name = "spexctl";
	/* GNU getopt permutes: options may come before or after the
	 * command; what is left in order is the command and its args. */
	while ((opt = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
		switch (opt) {
		case O_JSON: o.json = true; break;
		case 'q': o.quiet = true; break;
		case O_BACKEND:
			if (!strcmp(optarg, "auto"))
				o.backend = SPEX_BACKEND_AUTO;
			else if (!strcmp(optarg, "device"))
				o.backend = SPEX_BACKEND_DEVICE;
			else if (!strcmp(optarg, "user"))
				o.backend = SPEX_BACKEND_USER;
			else
				die("--backend: auto, device or user");
			break;
		case O_DEVICE: o.dev_path = optarg; break;
		case O_LABELS: o.labels = optarg; break;
		case O_SERVER: o.server = optarg; break;
		case O_RAW: o.raw = true; break;
		case O_FIRST:
			if (parse_u32(optarg, 0, 0, UINT32_MAX, &o.first))
				die("--first: a number");
			break;
		case O_COUNT:
			if (parse_u32(optarg, 0, 0, UINT32_MAX, &o.count))
				die("--count: a number");
			break;
		case O_NET:
			if (spex_name_value(SPEX_NAMES_NET_MODE, optarg, &mode))
				die("--net: confidence, deadline or adaptive");
			o.net_mode = (int)mode;
			break;
		case O_JOB_DEADLINE: {
			char *end;
			double ms = strtod(optarg, &end);

			if (*end || !(ms > 0) ||
			    ms * 1e3 > SPEX_NET_MAX_DEADLINE_US)
				die("--job-deadline: milliseconds in (0, %u]",
				    SPEX_NET_MAX_DEADLINE_US / 1000);
			o.job_deadline_us = (uint32_t)lrint(ms * 1e3);
			if (!o.job_deadline_us)
				o.job_deadline_us = 1;
			break;
		}
		case O_RTTVAR_K:
			if (parse_u32(optarg, 0, 1, SPEX_NET_MAX_K, &mode))
				die("--rttvar-k: 1 .. %d", SPEX_NET_MAX_K);
			o.rttvar_k = (int)mode;
			break;
		case O_BUDGET:
			if (parse_u32(optarg, 0, 1, UINT32_MAX, &o.budget_kBps))
				die("--link-budget: kB/s > 0");
			break;
		case O_DEADLINE:
			if (parse_u32(optarg, 0, 1, UINT32_MAX, &o.deadline_ms))
				die("--deadline: milliseconds > 0");
			break;
		case O_MODE:
			if (spex_name_value(SPEX_NAMES_MODE, optarg, &mode))
				die("--mode: auto, local or offload");
			o.mode = (int)mode;
			break;
		case O_THR: parse_thresholds(&o, optarg); break;
		case O_RESET: o.reset = true; break;
		case O_PER: o.per_input = true; break;
		case O_SCALAR: o.scalar = true; break;
		case O_ATOMIC: o.atomic = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (o.quiet && o.json)
		die("-q and --json: choose one");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[optind], cmds[i].name))
			continue;
		if (o.quiet && !cmds[i].quiet)
			die("-q is for load, unload, list and policy; "
			    "%s has --json for scripts", cmds[i].name);
		return cmds[i].fn(&o, argc - optind - 1, argv + optind + 1);
	}
	fprintf(stderr, "%s: unknown command %s\n", tool_name, argv[optind]);
	usage(stderr);
	return 2;
}
