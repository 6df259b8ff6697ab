// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * spex-trace: what the spex module is doing, from its tracepoints. Loads
 * bpf/spex_trace.bpf.c (through its skeleton), pins the maps under
 * /sys/fs/bpf/spex/ so bpftool can read them too, and prints latency
 * histograms, per-model activity, energy per job (derived from the
 * counters, energy.c), or CSV.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/spex.h>

#include "spex_trace_maps.h"
#include "spex_trace.skel.h"
#include "energy.h"
#include "powercap.h"
#include "../common/clock.h"

enum cmd { CMD_HIST, CMD_TOP, CMD_ENERGY, CMD_RECORD, CMD_CLEAN };

static const char *const outcome_name[SPEX_TRACE_N_OUTCOMES] = {
	"exit", "offload", "final", "error",
};

/* Where jobs entered the module (the job id's top byte). */
static const char *const entry_name[SPEX_TRACE_N_ENTRIES] = {
	[SPEX_TRACE_ENTRY_DEV] = "dev",
	[SPEX_TRACE_ENTRY_ATOMIC] = "atomic",
	[SPEX_TRACE_ENTRY_KFUNC] = "kfunc",
	[SPEX_TRACE_ENTRY_OTHER] = "other",
};

/* The pinned maps: file name under the pin directory, and skeleton map. */
struct pin {
	const char *file;
	struct bpf_map *map;
};

static struct env {
	enum cmd cmd;
	double interval;		/* seconds; 0: only at the end */
	long count;			/* intervals; 0: until Ctrl-C */
	__u32 model;			/* 0: every model */
	bool json;
	bool keep;
	bool raw_tp;			/* force the raw_tp fallback */
	bool layers;			/* attach the per-layer program */
	bool verbose;
	const char *pin_dir;
	const char *powercap_root;
	const char *proc_stat;
	struct energy_coef coef;
} env = {
	.pin_dir = SPEX_TRACE_PIN_DIR,
	.powercap_root = "/sys/class/powercap",
	.proc_stat = "/proc/stat",
	.coef = {
		.e_mac_fj = 300,	/* 45 nm: 8-bit mult 0.2 + 32-bit add 0.1 pJ */
		.e_mem_fj = 1250,	/* 45 nm: 8 KB SRAM, 5 pJ per 32-bit read */
		.e_tx_fj = 2265360000ULL, /* Wi-Fi uplink: 283.17 nJ per bit */
		.p_active_uw = 0,	/* platform-specific: set --p-active */
	},
};

/* Per model, what userspace keeps between samples. */
struct model_state {
	__u32 id;
	bool seen;
	char name[SPX_NAME_LEN + 1];
	struct spex_trace_stats cur;	/* this sample: read once */
	int cur_err;			/* its lookup failed: -errno */
	struct spex_trace_stats prev;	/* at the previous sample */
	__u64 measured_uj;		/* apportioned package energy */
	__u64 prev_measured_uj;		/* at the previous sample */
};

static struct model_state models[SPEX_TRACE_MAX_MODELS];
static int n_models;
static struct powercap pc;
static __u64 pkg_uj_total, busy_ns_total, busy_ns_last;
static volatile sig_atomic_t exiting;
static const char *attach_mode = "tp_btf";
static uint64_t t_start_ns;

static const char *const argp_doc =
"Usage: spex-trace [OPTIONS] hist|top|energy|record|clean\n"
"\n"
"Trace the spex module (/dev/spex): job latency, exits and offloads, and\n"
"energy per job. The maps stay readable with bpftool while it runs:\n"
"  bpftool map dump pinned /sys/fs/bpf/spex/stats\n"
"\n"
"Commands:\n"
"  hist     log2 histograms of job latency (us) per model and decision\n"
"  top      per-model jobs/s, exit and offload shares, each interval\n"
"  energy   energy per job: modelled, and measured where RAPL exists\n"
"  record   CSV, one line per model and interval, for plotting\n"
"  clean    remove maps left pinned by --keep\n"
"\n"
"Options:\n"
"  -i, --interval SEC     print every SEC seconds (top, record: 1)\n"
"  -c, --count N          stop after N intervals\n"
"  -m, --model ID         only this model\n"
"  -j, --json             JSON instead of text (hist, top, energy)\n"
"  -k, --keep             leave the maps pinned after exit\n"
"      --raw-tp           attach with raw_tp even if module BTF exists\n"
"      --layers           also time every layer (costs the most)\n"
"      --pin-dir DIR      pin the maps here (default /sys/fs/bpf/spex)\n"
"      --powercap-root D  powercap tree (default /sys/class/powercap)\n"
"      --e-mac FJ         energy per MAC, femtojoules (default 300)\n"
"      --e-mem FJ         energy per byte moved (default 1250)\n"
"      --e-tx FJ          energy per byte offloaded (default 2265360000)\n"
"      --p-active UW      active power while a job runs, uW (default 0)\n"
"  -v, --verbose          libbpf messages\n"
"  -h, --help\n"
"\n"
"Examples:\n"
"  spex-trace hist                 # histograms when Ctrl-C is hit\n"
"  spex-trace hist -i 5 -m 3       # model 3, every 5 s\n"
"  spex-trace hist --json --layers # with per-layer time and work\n"
"  spex-trace top                  # per-model activity every second\n"
"  spex-trace energy --p-active 2000000   # a 2 W core while it runs\n"
"  spex-trace record -i 0.5 > jobs.csv\n"
"  spex-trace hist --keep; bpftool map dump pinned /sys/fs/bpf/spex/stats\n";

static void usage(FILE *f)
{
	fputs(argp_doc, f);
}

static int parse_u64(const char *s, __u64 *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end ? -1 : 0;
}

static int parse_args(int argc, char **argv)
{
	enum { O_RAW = 256, O_LAYERS, O_PINDIR, O_PCROOT, O_PROCSTAT,
	       O_EMAC, O_EMEM, O_ETX, O_PACT };
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "model", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "keep", no_argument, NULL, 'k' },
		{ "raw-tp", no_argument, NULL, O_RAW },
		{ "layers", no_argument, NULL, O_LAYERS },
		{ "pin-dir", required_argument, NULL, O_PINDIR },
		{ "powercap-root", required_argument, NULL, O_PCROOT },
		{ "proc-stat", required_argument, NULL, O_PROCSTAT },
		{ "e-mac", required_argument, NULL, O_EMAC },
		{ "e-mem", required_argument, NULL, O_EMEM },
		{ "e-tx", required_argument, NULL, O_ETX },
		{ "p-active", required_argument, NULL, O_PACT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static const char *const cmds[] = {
		"hist", "top", "energy", "record", "clean",
	};
	bool interval_set = false;
	__u64 v;
	int c;
	unsigned int i;

	while ((c = getopt_long(argc, argv, "i:c:m:jkvh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			env.interval = strtod(optarg, NULL);
			interval_set = true;
			if (env.interval <= 0) {
				fprintf(stderr, "spex-trace: bad interval\n");
				return -1;
			}
			break;
		case 'c':
			env.count = strtol(optarg, NULL, 0);
			break;
		case 'm':
			if (parse_u64(optarg, &v) || !v || v > 0xffffffffu) {
				fprintf(stderr, "spex-trace: bad model id\n");
				return -1;
			}
			env.model = (__u32)v;
			break;
		case 'j': env.json = true; break;
		case 'k': env.keep = true; break;
		case 'v': env.verbose = true; break;
		case O_RAW: env.raw_tp = true; break;
		case O_LAYERS: env.layers = true; break;
		case O_PINDIR: env.pin_dir = optarg; break;
		case O_PCROOT: env.powercap_root = optarg; break;
		case O_PROCSTAT: env.proc_stat = optarg; break;
		case O_EMAC: case O_EMEM: case O_ETX: case O_PACT:
			if (parse_u64(optarg, &v)) {
				fprintf(stderr, "spex-trace: bad number '%s'\n",
					optarg);
				return -1;
			}
			*(c == O_EMAC ? &env.coef.e_mac_fj : c == O_EMEM ?
			  &env.coef.e_mem_fj : c == O_ETX ?
			  &env.coef.e_tx_fj : &env.coef.p_active_uw) = v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return -1;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[optind], cmds[i]))
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		fprintf(stderr, "spex-trace: unknown command '%s'\n",
			argv[optind]);
		return -1;
	}
	env.cmd = (enum cmd)i;
	if (!interval_set && (env.cmd == CMD_TOP || env.cmd == CMD_RECORD))
		env.interval = 1;
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	if (level == LIBBPF_DEBUG && !env.verbose)
		return 0;
	if (level == LIBBPF_INFO && !env.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void sig_handler(int sig)
{
	exiting = 1;
}

/* Module BTF with the tracepoint types: needed for tp_btf. */
static bool have_module_btf(void)
{
	struct btf *vmlinux, *mod;
	bool found;

	if (access("/sys/kernel/btf/spex", R_OK))
		return false;
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return false;
	mod = btf__parse_split("/sys/kernel/btf/spex", vmlinux);
	found = mod && btf__find_by_name_kind(mod, "btf_trace_spex_job_end",
					      BTF_KIND_TYPEDEF) > 0;
	btf__free(mod);
	btf__free(vmlinux);
	return found;
}

/* Seconds since the programs were loaded. */
static double since_start_s(void)
{
	return (now_ns() - t_start_ns) / 1e9;
}

static struct model_state *model_get(__u32 id)
{
	int i;

	for (i = 0; i < n_models; i++)
		if (models[i].id == id)
			return &models[i];
	if (n_models == SPEX_TRACE_MAX_MODELS)
		return NULL;
	memset(&models[n_models], 0, sizeof(models[0]));
	models[n_models].id = id;
	snprintf(models[n_models].name, sizeof(models[0].name), "?");
	return &models[n_models++];
}

/* Model names, from SPEX_IOC_MODEL_INFO; new models at each interval. */
static void refresh_models(void)
{
	__u32 ids[SPEX_TRACE_MAX_MODELS];
	struct spex_list ls = {
		.ids = (uintptr_t)ids,
		.capacity = SPEX_TRACE_MAX_MODELS,
	};
	unsigned int i, n;
	int fd;

	fd = open("/dev/spex", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (ioctl(fd, SPEX_IOC_LIST_MODELS, &ls))
		goto out;
	n = ls.count < ls.capacity ? ls.count : ls.capacity;
	for (i = 0; i < n; i++) {
		struct spex_model_desc d = { .model_id = ids[i] };
		struct model_state *m;

		if (env.model && ids[i] != env.model)
			continue;
		if (ioctl(fd, SPEX_IOC_MODEL_INFO, &d))
			continue;
		m = model_get(ids[i]);
		if (!m)
			break;
		memcpy(m->name, d.name, SPX_NAME_LEN);
		m->name[SPX_NAME_LEN] = 0;
	}
out:
	close(fd);
}

static int pin_maps(const struct pin *pins, int n)
{
	char path[512];
	int i, err;

	if (mkdir(env.pin_dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "spex-trace: mkdir %s: %s (is bpffs mounted "
			"at /sys/fs/bpf?)\n", env.pin_dir, strerror(errno));
		return -errno;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", env.pin_dir,
			 pins[i].file);
		/* A map left by --keep: this run's replaces it. */
		if (!access(path, F_OK) && !unlink(path))
			fprintf(stderr, "spex-trace: replaced %s\n", path);
		err = bpf_map__pin(pins[i].map, path);
		if (err) {
			fprintf(stderr, "spex-trace: pin %s: %s\n", path,
				strerror(-err));
			return err;
		}
	}
	return 0;
}

static void unpin_maps(const struct pin *pins, int n)
{
	char path[512];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", env.pin_dir,
			 pins[i].file);
		unlink(path);
	}
	rmdir(env.pin_dir);
}

static const char *const pin_files[] = {
	"stats", "layers", "config",
};

static int cmd_clean(void)
{
	char path[512];
	unsigned int i;

	for (i = 0; i < sizeof(pin_files) / sizeof(pin_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", env.pin_dir,
			 pin_files[i]);
		if (!unlink(path))
			printf("removed %s\n", path);
	}
	rmdir(env.pin_dir);
	return 0;
}

/* ---- reading the maps ---------------------------------------------- */

/*
 * Read every model's counters once per sample: each printer and the next
 * interval's baseline then see the same numbers, so no job falls between
 * two reads and every job is counted in exactly one interval.
 */
static void take_sample(struct spex_trace *skel)
{
	int fd = bpf_map__fd(skel->maps.spex_stats);
	int i;

	for (i = 0; i < n_models; i++) {
		struct model_state *m = &models[i];

		memset(&m->cur, 0, sizeof(m->cur));
		m->cur_err = bpf_map_lookup_elem(fd, &m->id, &m->cur);
	}
}

/* This sample's counters of m: 0, or non-zero if they could not be read. */
static int read_stats(const struct model_state *m, struct spex_trace_stats *st)
{
	*st = m->cur;
	return m->cur_err;
}

/* The modelled energy of what st counts. */
static struct energy energy_of(const struct spex_trace_stats *st)
{
	struct energy e;

	energy_model(&env.coef, st, &e);
	return e;
}

/* Models the bpf side has seen join the list. */
static void scan_stats(struct spex_trace *skel)
{
	int fd = bpf_map__fd(skel->maps.spex_stats);
	__u32 key, next, *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct model_state *m = model_get(next);

		if (m)
			m->seen = true;
		key = next;
		prev = &key;
	}
}

static int model_cmp(const void *a, const void *b)
{
	const struct model_state *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static bool model_shown(const struct model_state *m)
{
	return m->seen && (!env.model || m->id == env.model);
}

/* One measured-energy sample: the package delta, shared out by CPU time. */
static void sample_measured(void)
{
	__u64 busy, busy_d, jobs_d = 0, delta;
	int i;

	if (!pc.n_zones)
		return;
	delta = powercap_delta_uj(&pc);
	busy = cpu_busy_ns(env.proc_stat);
	busy_d = busy > busy_ns_last ? busy - busy_ns_last : 0;
	busy_ns_last = busy;
	for (i = 0; i < n_models; i++)
		if (!models[i].cur_err)
			jobs_d += models[i].cur.ns - models[i].prev.ns;
	if (busy_d < jobs_d)
		busy_d = jobs_d;
	pkg_uj_total += delta;
	busy_ns_total += busy_d;
	for (i = 0; i < n_models; i++)
		if (!models[i].cur_err)
			models[i].measured_uj += powercap_apportion_uj(delta,
				models[i].cur.ns - models[i].prev.ns, busy_d);
}

static void end_sample(void)
{
	int i;

	for (i = 0; i < n_models; i++) {
		if (!models[i].cur_err)
			models[i].prev = models[i].cur;
		models[i].prev_measured_uj = models[i].measured_uj;
	}
}

/* ---- output ---------------------------------------------------------- */

static void print_stars(__u64 val, __u64 max, int width)
{
	int n = max ? (int)(val * width / max) : 0, i;

	for (i = 0; i < width; i++)
		putchar(i < n ? '*' : ' ');
}

static void print_log2_hist(const __u64 *slots, int n, const char *unit)
{
	int i, last = -1;
	__u64 max = 0;

	for (i = 0; i < n; i++) {
		if (slots[i]) {
			last = i;
			if (slots[i] > max)
				max = slots[i];
		}
	}
	printf("%*s%s%*s : count    distribution\n", 10, "", unit, 9, "");
	for (i = 0; i <= last; i++) {
		__u64 lo = i ? 1ULL << i : 0, hi = (1ULL << (i + 1)) - 1;

		if (i == n - 1)
			printf("%10llu -> %-10s : %-8llu |", (unsigned long long)lo,
			       "inf", (unsigned long long)slots[i]);
		else
			printf("%10llu -> %-10llu : %-8llu |",
			       (unsigned long long)lo, (unsigned long long)hi,
			       (unsigned long long)slots[i]);
		print_stars(slots[i], max, 40);
		printf("|\n");
	}
}

static void json_u64_array(const __u64 *a, int n)
{
	int i;

	putchar('[');
	for (i = 0; i < n; i++)
		printf("%s%llu", i ? "," : "", (unsigned long long)a[i]);
	putchar(']');
}

static void json_layers(struct spex_trace *skel, __u32 id)
{
	int fd = bpf_map__fd(skel->maps.spex_layers);
	struct spex_trace_layer_key key, next, *prev = NULL;
	struct spex_trace_layer l;
	bool first = true;

	printf("\"layers\":[");
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (key.model_id != id || bpf_map_lookup_elem(fd, &key, &l))
			continue;
		printf("%s{\"layer\":%u,\"branch\":%u,\"type\":%u,"
		       "\"count\":%llu,\"ns\":%llu,\"macs\":%llu,"
		       "\"weight_bytes\":%llu,\"act_bytes\":%llu}",
		       first ? "" : ",", key.layer, key.branch, l.type,
		       (unsigned long long)l.count, (unsigned long long)l.ns,
		       (unsigned long long)l.macs,
		       (unsigned long long)l.weight_bytes,
		       (unsigned long long)l.act_bytes);
		first = false;
	}
	printf("]");
}

/* Everything, cumulative since attach: the --json output of every command. */
static void print_json(struct spex_trace *skel)
{
	struct spex_trace_stats st;
	int i, o;
	bool first = true;

	printf("{\"time_s\":%.3f,\"attach\":\"%s\",\"layers_traced\":%s,",
	       since_start_s(), attach_mode, env.layers ? "true" : "false");
	printf("\"coefficients\":{\"e_mac_fj\":%llu,\"e_mem_fj\":%llu,"
	       "\"e_tx_fj\":%llu,\"p_active_uw\":%llu},",
	       (unsigned long long)env.coef.e_mac_fj,
	       (unsigned long long)env.coef.e_mem_fj,
	       (unsigned long long)env.coef.e_tx_fj,
	       (unsigned long long)env.coef.p_active_uw);
	printf("\"measured\":{\"mode\":\"%s\",\"zones\":%d,"
	       "\"package_uj\":%llu,\"busy_ns\":%llu},",
	       pc.n_zones ? "rapl" : "none", pc.n_zones,
	       (unsigned long long)pkg_uj_total,
	       (unsigned long long)busy_ns_total);
	printf("\"models\":[");
	for (i = 0; i < n_models; i++) {
		struct model_state *m = &models[i];
		struct energy en;

		if (!model_shown(m) || read_stats(m, &st))
			continue;
		en = energy_of(&st);
		printf("%s{\"model_id\":%u,\"name\":\"%s\","
		       "\"jobs\":%llu,\"exits\":%llu,"
		       "\"offloads\":%llu,\"finals\":%llu,\"errors\":%llu,"
		       "\"exit_at\":",
		       first ? "" : ",", m->id, m->name,
		       (unsigned long long)st.jobs,
		       (unsigned long long)st.exits,
		       (unsigned long long)st.offloads,
		       (unsigned long long)st.finals,
		       (unsigned long long)st.errors);
		first = false;
		json_u64_array(st.exit_at, SPEX_TRACE_MAX_EXITS);
		printf(",\"offload_bytes\":%llu,\"macs\":%llu,"
		       "\"weight_bytes\":%llu,\"act_bytes\":%llu,"
		       "\"bytes\":%llu,\"ns\":%llu,",
		       (unsigned long long)st.offload_bytes,
		       (unsigned long long)st.macs,
		       (unsigned long long)st.weight_bytes,
		       (unsigned long long)st.act_bytes,
		       (unsigned long long)(st.weight_bytes + st.act_bytes),
		       (unsigned long long)st.ns);
		printf("\"energy\":{\"mode\":\"modelled\",\"total_fj\":%llu,"
		       "\"mac_fj\":%llu,\"mem_fj\":%llu,\"tx_fj\":%llu,"
		       "\"active_fj\":%llu,\"per_job_uj\":%.6f},",
		       (unsigned long long)en.total_fj,
		       (unsigned long long)en.mac_fj,
		       (unsigned long long)en.mem_fj,
		       (unsigned long long)en.tx_fj,
		       (unsigned long long)en.active_fj,
		       st.jobs ? en.total_fj / 1e9 / st.jobs : 0.0);
		printf("\"energy_measured\":{\"mode\":\"%s\",\"uj\":%llu,"
		       "\"per_job_uj\":%.6f},",
		       pc.n_zones ? "rapl" : "none",
		       (unsigned long long)m->measured_uj,
		       st.jobs ? (double)m->measured_uj / st.jobs : 0.0);
		printf("\"hist_us\":{");
		for (o = 0; o < SPEX_TRACE_N_OUTCOMES; o++) {
			printf("%s\"%s\":", o ? "," : "", outcome_name[o]);
			json_u64_array(st.hist_us[o], SPEX_TRACE_MAX_SLOTS);
		}
		printf("},\"entries\":{");
		for (o = 0; o < SPEX_TRACE_N_ENTRIES; o++) {
			printf("%s\"%s\":{\"jobs\":%llu,\"hist_us\":",
			       o ? "," : "", entry_name[o],
			       (unsigned long long)st.entry_jobs[o]);
			json_u64_array(st.entry_hist_us[o], SPEX_TRACE_MAX_SLOTS);
			printf("}");
		}
		printf("},");
		json_layers(skel, m->id);
		printf("}");
	}
	printf("]}\n");
	fflush(stdout);
}

static void print_hist(struct spex_trace *skel)
{
	struct spex_trace_stats st;
	int i, o, s;

	for (i = 0; i < n_models; i++) {
		if (!model_shown(&models[i]) ||
		    read_stats(&models[i], &st))
			continue;
		for (o = 0; o < SPEX_TRACE_N_OUTCOMES; o++) {
			for (s = 0; s < SPEX_TRACE_MAX_SLOTS; s++)
				if (st.hist_us[o][s])
					break;
			if (s == SPEX_TRACE_MAX_SLOTS)
				continue;
			printf("\nmodel = %u (%s), decision = %s\n",
			       models[i].id, models[i].name, outcome_name[o]);
			print_log2_hist(st.hist_us[o], SPEX_TRACE_MAX_SLOTS,
					"usecs");
		}
		/* By entry point, once more than one entry ran jobs. */
		for (o = 0, s = 0; o < SPEX_TRACE_N_ENTRIES; o++)
			s += st.entry_jobs[o] != 0;
		for (o = 0; s > 1 && o < SPEX_TRACE_N_ENTRIES; o++) {
			if (!st.entry_jobs[o])
				continue;
			printf("\nmodel = %u (%s), entry = %s\n",
			       models[i].id, models[i].name, entry_name[o]);
			print_log2_hist(st.entry_hist_us[o],
					SPEX_TRACE_MAX_SLOTS, "usecs");
		}
	}
	fflush(stdout);
}

static void print_top(struct spex_trace *skel, double dt)
{
	struct spex_trace_stats st;
	time_t t = time(NULL);
	char ts[16];
	int i;

	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&t));
	printf("\n%s  attach=%s\n", ts, attach_mode);
	printf("%-6s %-16s %9s %7s %7s %6s %9s %10s %11s\n", "MODEL", "NAME",
	       "JOBS/s", "EXIT%", "OFFL%", "ERR", "AVG_us", "OFFL_KB/s",
	       "uJ/JOB(mod)");
	for (i = 0; i < n_models; i++) {
		struct model_state *m = &models[i];
		__u64 jobs, ex, off, err, ns, ob;

		if (!model_shown(m) || read_stats(m, &st))
			continue;
		jobs = st.jobs - m->prev.jobs;
		ex = st.exits - m->prev.exits;
		off = st.offloads - m->prev.offloads;
		err = st.errors - m->prev.errors;
		ns = st.ns - m->prev.ns;
		ob = st.offload_bytes - m->prev.offload_bytes;
		printf("%-6u %-16.16s %9.1f %7.1f %7.1f %6llu %9.1f %10.2f %11.4f\n",
		       m->id, m->name, dt > 0 ? jobs / dt : 0.0,
		       jobs ? 100.0 * ex / jobs : 0.0,
		       jobs ? 100.0 * off / jobs : 0.0,
		       (unsigned long long)err,
		       jobs ? ns / 1e3 / jobs : 0.0,
		       dt > 0 ? ob / 1024.0 / dt : 0.0,
		       jobs ? (energy_of(&st).total_fj -
			       energy_of(&m->prev).total_fj) / 1e9 / jobs : 0.0);
	}
	fflush(stdout);
}

static void print_energy(struct spex_trace *skel)
{
	struct spex_trace_stats st;
	int i;

	printf("\nEnergy per job, since attach (modelled: %llu fJ/MAC, "
	       "%llu fJ/B moved, %llu fJ/B sent, %llu uW active)\n",
	       (unsigned long long)env.coef.e_mac_fj,
	       (unsigned long long)env.coef.e_mem_fj,
	       (unsigned long long)env.coef.e_tx_fj,
	       (unsigned long long)env.coef.p_active_uw);
	printf("%-6s %-16s %9s %11s %10s %10s %10s %10s %12s\n", "MODEL",
	       "NAME", "JOBS", "uJ(mod)", "mac", "mem", "tx", "active",
	       pc.n_zones ? "uJ(rapl)" : "uJ(no rapl)");
	for (i = 0; i < n_models; i++) {
		struct model_state *m = &models[i];
		struct energy en;
		double j;

		if (!model_shown(m) || read_stats(m, &st) ||
		    !st.jobs)
			continue;
		en = energy_of(&st);
		j = (double)st.jobs * 1e9;
		printf("%-6u %-16.16s %9llu %11.4f %10.4f %10.4f %10.4f %10.4f ",
		       m->id, m->name, (unsigned long long)st.jobs,
		       en.total_fj / j, en.mac_fj / j, en.mem_fj / j,
		       en.tx_fj / j, en.active_fj / j);
		if (pc.n_zones)
			printf("%12.4f\n", (double)m->measured_uj / st.jobs);
		else
			printf("%12s\n", "-");
	}
	if (pc.n_zones)
		printf("package: %llu uJ over %llu ns busy CPU (%d zone%s)\n",
		       (unsigned long long)pkg_uj_total,
		       (unsigned long long)busy_ns_total, pc.n_zones,
		       pc.n_zones > 1 ? "s" : "");
	fflush(stdout);
}

static void print_record(struct spex_trace *skel, bool header)
{
	struct spex_trace_stats st;
	double t = since_start_s();
	int i, e;

	if (header) {
		printf("time_s,model_id,name,jobs,exits,offloads,finals,errors");
		for (e = 0; e < SPEX_TRACE_MAX_EXITS; e++)
			printf(",exit%d", e);
		printf(",offload_bytes,macs,bytes,ns,energy_modelled_uj,"
		       "energy_measured_uj,measured_mode\n");
	}
	for (i = 0; i < n_models; i++) {
		struct model_state *m = &models[i];
		struct spex_trace_stats *p = &m->prev;

		if (!model_shown(m) || read_stats(m, &st))
			continue;
		printf("%.3f,%u,%s,%llu,%llu,%llu,%llu,%llu", t, m->id,
		       m->name, (unsigned long long)(st.jobs - p->jobs),
		       (unsigned long long)(st.exits - p->exits),
		       (unsigned long long)(st.offloads - p->offloads),
		       (unsigned long long)(st.finals - p->finals),
		       (unsigned long long)(st.errors - p->errors));
		for (e = 0; e < SPEX_TRACE_MAX_EXITS; e++)
			printf(",%llu", (unsigned long long)(st.exit_at[e] -
							      p->exit_at[e]));
		printf(",%llu,%llu,%llu,%llu,%.6f,",
		       (unsigned long long)(st.offload_bytes - p->offload_bytes),
		       (unsigned long long)(st.macs - p->macs),
		       (unsigned long long)(st.weight_bytes + st.act_bytes -
					    p->weight_bytes - p->act_bytes),
		       (unsigned long long)(st.ns - p->ns),
		       (energy_of(&st).total_fj - energy_of(p).total_fj) / 1e9);
		if (pc.n_zones)
			printf("%llu,rapl\n", (unsigned long long)
			       (m->measured_uj - m->prev_measured_uj));
		else
			printf(",none\n");
	}
	fflush(stdout);
}

/* One interval's (or the final) output. */
static void report(struct spex_trace *skel, double dt, bool header)
{
	refresh_models();
	scan_stats(skel);
	qsort(models, n_models, sizeof(models[0]), model_cmp);
	take_sample(skel);
	sample_measured();
	if (env.json && env.cmd != CMD_RECORD)
		print_json(skel);
	else if (env.cmd == CMD_HIST)
		print_hist(skel);
	else if (env.cmd == CMD_TOP)
		print_top(skel, dt);
	else if (env.cmd == CMD_ENERGY)
		print_energy(skel);
	else
		print_record(skel, header);
	end_sample();
}

static void sleep_s(double s)
{
	struct timespec t = { .tv_sec = (time_t)s,
			      .tv_nsec = (long)((s - (time_t)s) * 1e9) };

	nanosleep(&t, NULL);	/* a signal ends it early */
}

int main(int argc, char **argv)
{
	struct spex_trace *skel;
	struct pin pins[3];
	double t_prev;
	bool header = true;
	long n = 0;
	int err, n_pins = 0;

	if (parse_args(argc, argv))
		return 2;
	if (env.cmd == CMD_CLEAN)
		return cmd_clean();

	libbpf_set_print(libbpf_print);
	skel = spex_trace__open();
	if (!skel) {
		fprintf(stderr, "spex-trace: cannot open the bpf object\n");
		return 1;
	}
	skel->rodata->targ_model = env.model;
	/* Recorded for bpftool readers of the pinned config; unused in bpf. */
	skel->rodata->e_mac_fj = env.coef.e_mac_fj;
	skel->rodata->e_mem_fj = env.coef.e_mem_fj;
	skel->rodata->e_tx_fj = env.coef.e_tx_fj;
	skel->rodata->p_active_uw = env.coef.p_active_uw;

	if (access("/sys/module/spex", F_OK)) {
		fprintf(stderr, "spex-trace: the spex module is not loaded\n");
		err = 1;
		goto out;
	}
	if (env.raw_tp || !have_module_btf()) {
		attach_mode = "raw_tp";
		bpf_program__set_autoload(skel->progs.spex_end_btf, false);
		bpf_program__set_autoload(skel->progs.spex_layer_btf, false);
	} else {
		bpf_program__set_autoload(skel->progs.spex_end_raw, false);
		bpf_program__set_autoload(skel->progs.spex_layer_raw, false);
	}
	if (!env.layers) {
		bpf_program__set_autoload(skel->progs.spex_layer_btf, false);
		bpf_program__set_autoload(skel->progs.spex_layer_raw, false);
	}

	err = spex_trace__load(skel);
	if (err) {
		fprintf(stderr, "spex-trace: load: %s\n", strerror(-err));
		goto out;
	}
	t_start_ns = now_ns();
	refresh_models();
	powercap_open(&pc, env.powercap_root);
	busy_ns_last = cpu_busy_ns(env.proc_stat);

	err = spex_trace__attach(skel);
	if (err) {
		fprintf(stderr, "spex-trace: attach (%s): %s\n", attach_mode,
			strerror(-err));
		goto out;
	}
	pins[0] = (struct pin){ pin_files[0], skel->maps.spex_stats };
	pins[1] = (struct pin){ pin_files[1], skel->maps.spex_layers };
	pins[2] = (struct pin){ pin_files[2], skel->maps.rodata };
	n_pins = 3;
	/* Pinned last: a pinned map means the programs are attached. */
	err = pin_maps(pins, n_pins);
	if (err)
		goto out_unpin;

	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);
	fprintf(stderr, "Tracing spex jobs (%s, maps in %s)... Hit Ctrl-C "
		"to end.\n", attach_mode, env.pin_dir);

	t_prev = since_start_s();
	while (!exiting) {
		if (!env.interval) {
			sleep_s(0.2);
			continue;
		}
		sleep_s(env.interval);
		if (exiting)
			break;
		report(skel, since_start_s() - t_prev, header);
		header = false;
		t_prev = since_start_s();
		if (env.count && ++n >= env.count)
			break;
	}
	/* The final totals, unless the last interval just printed them. */
	if (exiting || !env.interval)
		report(skel, since_start_s() - t_prev, header);
	err = 0;

out_unpin:
	if (!env.keep || err)
		unpin_maps(pins, n_pins);
out:
	spex_trace__destroy(skel);
	return err ? 1 : 0;
}
