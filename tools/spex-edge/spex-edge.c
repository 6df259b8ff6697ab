// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * spex-edge: attach the edge datapath (bpf/spex_edge.bpf.c) to an
 * interface, show its counters, detach it, and run the forwarder that
 * answers offloaded frames through spex-serve. See --help and
 * Documentation/edge-frames.rst.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/spex_edge.h>

#include "spex/libspex.h"
#include "fail.h"
#include "parse.h"
#include "spex_edge.h"
#include "spex_edge.skel.h"

static const char usage[] =
"usage: spex-edge COMMAND [options]\n"
"\n"
"Run a spex head where sensor frames arrive: in XDP or at TC ingress,\n"
"through spex.ko's bpf_spex_run() kfunc. Confident frames are answered\n"
"from the datapath; the others are passed up to `spex-edge forward`,\n"
"which sends their bottleneck to spex-serve and answers the sensor.\n"
"\n"
"Commands:\n"
"  attach -i IFACE -m MODEL_ID [options]   load and attach the program\n"
"      --mode native|generic|tc   XDP in the driver (the default; falls\n"
"                                 back to generic where the driver has no\n"
"                                 XDP), XDP on the skb, or TC ingress\n"
"      -p, --port N               sensor frames' UDP port (default 7341)\n"
"      --fwd-port N               where OFFLOAD frames go up (port + 1)\n"
"      --malformed pass|drop      malformed frames (default pass)\n"
"      --format u8|i8             input format of frames that name none\n"
"                                 (default u8: pixels, quantized in the\n"
"                                 kernel with the model's input_q)\n"
"      --scalar                   integer scalar kernels (no AVX2)\n"
"      --tail HOST:PORT           the tail server (kept in the conf map\n"
"                                 for the forwarder)\n"
"  detach                         detach and remove the pins\n"
"  stats [--json]                 the counters, summed over CPUs\n"
"  forward [options]              the forwarder for OFFLOAD frames\n"
"      --tail HOST:PORT           spex-serve (default: what attach kept)\n"
"      --backend device|user      libspex backend (default device)\n"
"      --head FILE                user backend: the head .spx to load\n"
"      --deadline-ms N            per frame, before FALLBACK (default 1000)\n"
"      -n, --count N              exit after answering N frames\n"
"      --dump FILE                one line per OFFLOAD frame: seq, the\n"
"                                 local guess and the bottleneck in hex\n"
"      -q, --quiet\n"
"\n"
"The model must be loaded with SPEX_LOAD_F_ATOMIC (spexctl load --atomic).\n"
"Pins live under " SPEX_EDGE_PIN_DIR "/ (counters, conf, prog); run\n"
"detach in the network namespace attach ran in. While the program is\n"
"attached, rmmod spex is refused (the program holds the module).\n"
"\n"
"Examples:\n"
"  spexctl load --atomic head.spx                  # prints the model id\n"
"  spex-edge attach -i eth0 -m 1 --tail 10.0.0.2:7070\n"
"  spex-edge forward &\n"
"  spex-edge stats\n"
"  bpftool map dump pinned " SPEX_EDGE_PIN_DIR "/counters\n"
"  spex-edge detach\n"
"  spex-edge attach -i veth0 -m 1 --mode generic --malformed drop\n";

#define PIN(name)	SPEX_EDGE_PIN_DIR "/" name

static unsigned long num(const char *s, unsigned long max, const char *what)
{
	uint64_t v;

	if (parse_u64(s, 0, 0, max, &v))
		die("bad %s: %s", what, s);
	return (unsigned long)v;
}

/* HOST:PORT (numeric IPv4, or [IPv6]:PORT) into the conf fields. */
static void parse_tail(const char *s, struct spex_edge_config *c)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	size_t n;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host))
		die("--tail wants HOST:PORT, got %s", s);
	n = (size_t)(colon - s);
	memcpy(host, s, n);
	host[n] = 0;
	c->tail_port = (__u16)num(colon + 1, 65535, "tail port");
	if (host[0] == '[' && host[n - 1] == ']') {
		host[n - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, c->tail_addr) != 1)
			die("bad IPv6 address %s", host + 1);
		c->tail_family = AF_INET6;
	} else if (inet_pton(AF_INET, host, c->tail_addr) == 1) {
		c->tail_family = AF_INET;
	} else {
		die("--tail wants a numeric address, got %s", host);
	}
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG && !getenv("SPEX_EDGE_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int read_conf(struct spex_edge_config *c)
{
	__u32 key = 0;
	int fd = bpf_obj_get(PIN("conf"));

	if (fd < 0)
		return -errno;
	if (bpf_map_lookup_elem(fd, &key, c)) {
		close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

static const char *mode_name(__u32 mode)
{
	return mode == SPEX_EDGE_MODE_TC ? "tc" :
	       mode == SPEX_EDGE_MODE_NATIVE ? "native xdp" : "generic xdp";
}

/* ---- attach ----------------------------------------------------------- */

static int cmd_attach(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "iface", 1, 0, 'i' }, { "model", 1, 0, 'm' },
		{ "mode", 1, 0, 'M' }, { "port", 1, 0, 'p' },
		{ "fwd-port", 1, 0, 'F' }, { "malformed", 1, 0, 'X' },
		{ "format", 1, 0, 'f' }, { "scalar", 0, 0, 'S' },
		{ "tail", 1, 0, 't' }, { "help", 0, 0, 'h' }, { 0 } };
	struct spex_edge_config c = { .port = SPEX_EDGE_PORT };
	struct spex_open_opts oo = { .backend = SPEX_BACKEND_DEVICE };
	LIBBPF_OPTS(bpf_object_open_opts, open_opts,
		    .pin_root_path = SPEX_EDGE_PIN_DIR);
	const char *iface = NULL, *mode = NULL;
	struct spex_model_desc d;
	struct spex_edge *skel;
	struct bpf_prog_info pi = {};
	__u32 pil = sizeof(pi), key = 0;
	struct bpf_program *prog;
	struct spex *h;
	int opt, ret, fwd = -1;

	while ((opt = getopt_long(argc, argv, "i:m:p:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'i': iface = optarg; break;
		case 'm': c.model_id = (__u32)num(optarg, UINT32_MAX, "model id"); break;
		case 'M': mode = optarg; break;
		case 'p': c.port = (__u16)num(optarg, 65535, "port"); break;
		case 'F': fwd = (int)num(optarg, 65535, "forwarder port"); break;
		case 'X':
			if (!strcmp(optarg, "drop"))
				c.flags |= SPEX_EDGE_CF_DROP;
			else if (strcmp(optarg, "pass"))
				die("--malformed pass|drop");
			break;
		case 'f':
			if (!strcmp(optarg, "i8"))
				c.flags |= SPEX_EDGE_CF_I8;
			else if (strcmp(optarg, "u8"))
				die("--format u8|i8");
			break;
		case 'S': c.flags |= SPEX_EDGE_CF_SCALAR; break;
		case 't': parse_tail(optarg, &c); break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (!iface || !c.model_id || !c.port)
		die("attach needs -i IFACE and -m MODEL_ID (see --help)");
	c.fwd_port = fwd >= 0 ? (__u16)fwd : (__u16)(c.port + 1);
	if (c.fwd_port == c.port || !c.fwd_port)
		die("the forwarder port must differ from the frames' port");
	c.ifindex = if_nametoindex(iface);
	if (!c.ifindex)
		die("no interface %s", iface);
	if (!mode || !strcmp(mode, "native"))
		c.mode = SPEX_EDGE_MODE_NATIVE;
	else if (!strcmp(mode, "generic"))
		c.mode = SPEX_EDGE_MODE_GENERIC;
	else if (!strcmp(mode, "tc"))
		c.mode = SPEX_EDGE_MODE_TC;
	else
		die("--mode native|generic|tc");
	if (access(PIN("conf"), F_OK) == 0)
		die("already attached (%s exists): spex-edge detach first",
		    PIN("conf"));

	/* the model's sizes become the program's constants */
	ret = spex_open(&oo, &h);
	if (ret)
		die("/dev/spex: %s (is spex.ko loaded?)", spex_strerror(ret));
	ret = spex_describe_model(h, c.model_id, &d, NULL, 0);
	if (ret)
		die("model %u: %s", c.model_id, spex_strerror(ret));
	spex_close(h);
	c.input_bytes = d.input_bytes;
	c.bneck_bytes = d.output_bytes;
	memcpy(c.hash8, d.hash, 4);
	if (d.input_bytes < sizeof(struct spex_edge_result) ||
	    d.input_bytes > SPEX_EDGE_MAX_INPUT)
		die("model %u: input of %u bytes; the datapath takes 16..%u",
		    c.model_id, d.input_bytes, SPEX_EDGE_MAX_INPUT);
	if (d.output_bytes > SPEX_EDGE_MAX_BNECK ||
	    d.output_bytes + sizeof(struct spex_edge_result) > d.input_bytes)
		die("model %u: a %u-byte bottleneck does not fit in place of "
		    "its %u-byte input", c.model_id, d.output_bytes,
		    d.input_bytes);

	libbpf_set_print(libbpf_quiet);
	if (mkdir("/sys/fs/bpf/spex", 0700) && errno != EEXIST)
		die("mkdir /sys/fs/bpf/spex: %s (is bpffs mounted?)",
		    strerror(errno));
	if (mkdir(SPEX_EDGE_PIN_DIR, 0700) && errno != EEXIST)
		die("mkdir %s: %s", SPEX_EDGE_PIN_DIR, strerror(errno));
	skel = spex_edge__open_opts(&open_opts);
	if (!skel)
		die("open the bpf object: %s", strerror(errno));
	skel->rodata->cfg_port = c.port;
	skel->rodata->cfg_fwd_port = c.fwd_port;
	skel->rodata->cfg_model_id = c.model_id;
	skel->rodata->cfg_input_bytes = c.input_bytes;
	skel->rodata->cfg_bneck_bytes = c.bneck_bytes;
	memcpy((void *)&skel->rodata->cfg_hash8, c.hash8, 4);
	skel->rodata->cfg_flags = c.flags;
	bpf_program__set_autoload(skel->progs.spex_edge_xdp,
				  c.mode != SPEX_EDGE_MODE_TC);
	bpf_program__set_autoload(skel->progs.spex_edge_tc,
				  c.mode == SPEX_EDGE_MODE_TC);
	ret = spex_edge__load(skel);
	if (ret)
		die("load: %s (does /sys/kernel/btf/spex exist? the kfunc "
		    "needs spex.ko with BTF)", strerror(-ret));
	prog = c.mode == SPEX_EDGE_MODE_TC ? skel->progs.spex_edge_tc :
					     skel->progs.spex_edge_xdp;
	if (c.mode == SPEX_EDGE_MODE_TC) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)c.ifindex,
			    .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, to, .prog_fd = bpf_program__fd(prog));

		ret = bpf_tc_hook_create(&hook);
		if (ret && ret != -EEXIST)
			die("tc hook on %s: %s", iface, strerror(-ret));
		ret = bpf_tc_attach(&hook, &to);
		if (ret)
			die("tc attach on %s: %s", iface, strerror(-ret));
		c.tc_handle = to.handle;
		c.tc_priority = to.priority;
	} else {
		__u32 fl = XDP_FLAGS_UPDATE_IF_NOEXIST |
			   (c.mode == SPEX_EDGE_MODE_NATIVE ? XDP_FLAGS_DRV_MODE :
							     XDP_FLAGS_SKB_MODE);

		ret = bpf_xdp_attach((int)c.ifindex, bpf_program__fd(prog), fl,
				     NULL);
		if (ret == -EOPNOTSUPP && !mode) {
			/* no native XDP in this driver: generic it is */
			c.mode = SPEX_EDGE_MODE_GENERIC;
			fl = XDP_FLAGS_UPDATE_IF_NOEXIST | XDP_FLAGS_SKB_MODE;
			ret = bpf_xdp_attach((int)c.ifindex,
					     bpf_program__fd(prog), fl, NULL);
		}
		if (ret)
			die("xdp attach on %s: %s", iface, strerror(-ret));
	}
	if (!bpf_obj_get_info_by_fd(bpf_program__fd(prog), &pi, &pil))
		c.prog_id = pi.id;
	if (bpf_program__pin(prog, PIN("prog")))
		fprintf(stderr, "spex-edge: warning: cannot pin the program\n");
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.conf), &key, &c, 0))
		die("write the conf map: %s", strerror(errno));
	printf("attached %s to %s (%s), model %u, port %u, forwarder port %u\n",
	       bpf_program__name(prog), iface, mode_name(c.mode), c.model_id,
	       c.port, c.fwd_port);
	spex_edge__destroy(skel);	/* the attachment and pins stay */
	return 0;
}

/* ---- detach ----------------------------------------------------------- */

static int cmd_detach(int argc, char **argv)
{
	struct spex_edge_config c;
	int ret = read_conf(&c), rc = 0;

	if (ret)
		die("not attached (%s: %s)", PIN("conf"), strerror(-ret));
	if (c.mode == SPEX_EDGE_MODE_TC) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)c.ifindex,
			    .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, to, .handle = c.tc_handle,
			    .priority = c.tc_priority);

		ret = bpf_tc_detach(&hook, &to);
		if (ret) {
			fprintf(stderr, "spex-edge: tc detach: %s\n", strerror(-ret));
			rc = 1;
		}
	} else {
		__u32 fl = c.mode == SPEX_EDGE_MODE_NATIVE ? XDP_FLAGS_DRV_MODE :
							     XDP_FLAGS_SKB_MODE;
		LIBBPF_OPTS(bpf_xdp_attach_opts, xo);
		int fd = bpf_prog_get_fd_by_id(c.prog_id);

		/* only our program: never one attached since by someone else */
		if (fd >= 0) {
			xo.old_prog_fd = fd;
			fl |= XDP_FLAGS_REPLACE;
		}
		ret = bpf_xdp_detach((int)c.ifindex, fl, &xo);
		if (fd >= 0)
			close(fd);
		if (ret) {
			fprintf(stderr, "spex-edge: xdp detach (ifindex %u): %s\n",
				c.ifindex, strerror(-ret));
			rc = 1;
		}
	}
	unlink(PIN("prog"));
	unlink(PIN("counters"));
	unlink(PIN("conf"));
	rmdir(SPEX_EDGE_PIN_DIR);
	rmdir("/sys/fs/bpf/spex");	/* only if spex-trace has nothing */
	if (!rc)
		printf("detached\n");
	return rc;
}

/* ---- stats ------------------------------------------------------------ */

/* The counters' names, in struct spex_edge_counters order. */
static const char *const counter_names[] = {
	"frames", "exits", "finals", "offloads", "offload_bytes", "passed",
	"dropped", "ip_truncated", "ip_options", "ip_fragment", "ip_length",
	"udp_truncated", "udp_length", "short_frame", "bad_magic",
	"bad_version", "bad_type", "bad_length", "bad_format", "unknown_model",
	"not_atomic", "no_model", "kfunc_error", "spoofed", "rewrite_error",
};
#define N_COUNTERS	(sizeof(counter_names) / sizeof(counter_names[0]))
_Static_assert(N_COUNTERS == sizeof(struct spex_edge_counters) / sizeof(__u64),
	       "a counter without a name");

static int cmd_stats(int argc, char **argv)
{
	bool json = argc > 1 && !strcmp(argv[1], "--json");
	int ncpu = libbpf_num_possible_cpus(), fd;
	struct spex_edge_counters *pc;
	__u64 sum[N_COUNTERS] = { 0 };
	struct spex_edge_config c;
	__u32 key = 0;

	if (argc > 1 && !json) {
		bool help = !strcmp(argv[1], "--help");

		fputs(usage, help ? stdout : stderr);
		return help ? 0 : 2;
	}
	if (ncpu <= 0)
		die("cannot count CPUs");
	fd = bpf_obj_get(PIN("counters"));
	if (fd < 0)
		die("not attached (%s: %s)", PIN("counters"), strerror(errno));
	pc = calloc((size_t)ncpu, sizeof(*pc));
	if (!pc || bpf_map_lookup_elem(fd, &key, pc))
		die("read the counters: %s", strerror(errno));
	for (int cpu = 0; cpu < ncpu; cpu++)
		for (unsigned int i = 0; i < N_COUNTERS; i++)
			sum[i] += ((__u64 *)&pc[cpu])[i];
	if (json) {
		printf("{");
		for (unsigned int i = 0; i < N_COUNTERS; i++)
			printf("%s\"%s\": %llu", i ? ", " : "", counter_names[i],
			       (unsigned long long)sum[i]);
		printf("}\n");
	} else {
		if (!read_conf(&c)) {
			char ifn[IF_NAMESIZE] = "?", a[INET6_ADDRSTRLEN] = "none";

			if_indextoname(c.ifindex, ifn);
			if (c.tail_family)
				inet_ntop(c.tail_family, c.tail_addr, a, sizeof(a));
			printf("%s (%s), model %u, port %u -> forwarder %u, tail %s:%u\n",
			       ifn, mode_name(c.mode), c.model_id, c.port,
			       c.fwd_port, a, c.tail_port);
		}
		for (unsigned int i = 0; i < N_COUNTERS; i++)
			if (i < 7 || sum[i])
				printf("  %-14s %llu\n", counter_names[i],
				       (unsigned long long)sum[i]);
	}
	free(pc);
	close(fd);
	return 0;
}

/* ---- forward ---------------------------------------------------------- */

#define FWD_BATCH	64
#define FWD_DEPTH	256

/* One offloaded frame between its arrival and its answer. */
struct fwd_slot {
	struct sockaddr_in from;
	struct spex_edge_hdr hdr;
	struct spex_edge_result guess;
	__u8 bneck[SPEX_EDGE_MAX_BNECK];
	bool busy;
};

static volatile sig_atomic_t stop;
static void on_signal(int sig) { stop = 1; }

struct fwd {
	int rx;			/* the forwarder port: OFFLOAD frames */
	int tx;			/* the frames' port: answers come from it */
	struct spex *h;
	__u32 model_id;
	__u32 bneck_bytes;
	struct fwd_slot slots[FWD_DEPTH];
	unsigned int n_free;
	unsigned int free_list[FWD_DEPTH];
	unsigned long long answered, tail_ok, fallbacks, bad, passed_up;
	FILE *dump;
};

static int udp_bound(__u16 port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int sz = 4 << 20;

	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
		die("bind UDP port %u: %s", port, strerror(errno));
	return fd;
}

/* The one answer of a slot: the tail's (c from the tail), or the local
 * guess the datapath computed (FALLBACK; c NULL when never submitted). */
static void answer(struct fwd *f, struct fwd_slot *s,
		   const struct spex_completion *c)
{
	struct {
		struct spex_edge_hdr hdr;
		struct spex_edge_result res;
	} m;

	m.hdr = s->hdr;
	m.hdr.type = SPEX_EDGE_RESULT;
	m.hdr.len = htole32(sizeof(m.res));
	m.res = s->guess;
	if (c && c->res == 0 && c->origin == SPEX_ORIGIN_TAIL) {
		m.res.class_id = htole32(c->result.class_id);
		m.res.confidence_q16 = htole32(c->result.confidence_q16);
		m.res.flags |= htole16(SPEX_EDGE_R_FROM_TAIL);
		m.res.status = 0;
		f->tail_ok++;
	} else {
		int err = !c ? EBUSY : c->res < 0 ? -c->res :
			  c->tail_err ? -c->tail_err : EIO;

		m.res.flags |= htole16(SPEX_EDGE_R_FALLBACK);
		m.res.status = htole32((__u32)err);
		f->fallbacks++;
	}
	m.hdr.flags = m.res.flags;
	if (sendto(f->tx, &m, sizeof(m), 0, (struct sockaddr *)&s->from,
		   sizeof(s->from)) != sizeof(m))
		fprintf(stderr, "spex-edge: forward: send: %s\n", strerror(errno));
	f->answered++;
}

static void slot_put(struct fwd *f, unsigned int i)
{
	f->slots[i].busy = false;
	f->free_list[f->n_free++] = i;
}

/* Read what arrived on the forwarder port and submit it. */
static void fwd_rx(struct fwd *f)
{
	static __u8 buf[FWD_BATCH][SPEX_EDGE_MAX_BNECK + 64];
	static struct sockaddr_in from[FWD_BATCH];
	struct mmsghdr mm[FWD_BATCH];
	struct iovec iov[FWD_BATCH];
	struct spex_req req[FWD_BATCH];
	unsigned int idx[FWD_BATCH], nreq = 0;
	int n;

	for (int i = 0; i < FWD_BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
		mm[i].msg_hdr = (struct msghdr){ .msg_name = &from[i],
			.msg_namelen = sizeof(from[i]), .msg_iov = &iov[i],
			.msg_iovlen = 1 };
	}
	n = recvmmsg(f->rx, mm, f->n_free < FWD_BATCH ? f->n_free : FWD_BATCH,
		     MSG_DONTWAIT, NULL);
	for (int i = 0; i < n; i++) {
		const struct spex_edge_hdr *hd = (void *)buf[i];
		unsigned int len = mm[i].msg_len, k;
		struct fwd_slot *s;

		if (len < SPEX_EDGE_RESULT_LEN ||
		    le32toh(hd->magic) != SPEX_EDGE_MAGIC ||
		    hd->version != SPEX_EDGE_VERSION ||
		    hd->type != SPEX_EDGE_OFFLOAD ||
		    le32toh(hd->len) != len - SPEX_EDGE_HDR_LEN ||
		    len - SPEX_EDGE_RESULT_LEN != f->bneck_bytes) {
			f->bad++;	/* not from the datapath: no answer */
			continue;
		}
		k = f->free_list[--f->n_free];
		s = &f->slots[k];
		s->busy = true;
		s->from = from[i];
		memcpy(&s->hdr, hd, sizeof(s->hdr));
		memcpy(&s->guess, buf[i] + SPEX_EDGE_HDR_LEN, sizeof(s->guess));
		memcpy(s->bneck, buf[i] + SPEX_EDGE_RESULT_LEN, f->bneck_bytes);
		if (f->dump) {
			fprintf(f->dump, "%u %u %u %u %u ", le32toh(hd->seq),
				le32toh(s->guess.class_id),
				le32toh(s->guess.confidence_q16),
				s->guess.exit_index, s->guess.decision);
			for (unsigned int b = 0; b < f->bneck_bytes; b++)
				fprintf(f->dump, "%02x", s->bneck[b]);
			fputc('\n', f->dump);
		}
		req[nreq] = (struct spex_req){ .model_id = f->model_id,
			.flags = SPEX_REQ_BOTTLENECK, .input = s->bneck,
			.input_len = f->bneck_bytes, .user_data = k };
		idx[nreq++] = k;
	}
	for (unsigned int done = 0; done < nreq;) {
		int r = spex_submit(f->h, req + done, nreq - done);

		if (r == -EBUSY) {
			/* full: answer with the local guess, never drop */
			answer(f, &f->slots[idx[done]], NULL);
			slot_put(f, idx[done++]);
			continue;
		}
		if (r < 0)
			die("submit: %s", spex_strerror(r));
		done += (unsigned int)r;
	}
}

static void fwd_reap(struct fwd *f, int timeout_ms)
{
	struct spex_completion c[FWD_BATCH];
	int n = spex_reap(f->h, c, FWD_BATCH, timeout_ms ? 1 : 0, timeout_ms);

	for (int i = 0; i < n; i++) {
		unsigned int k = (unsigned int)c[i].user_data;

		if (k >= FWD_DEPTH || !f->slots[k].busy)
			continue;
		answer(f, &f->slots[k], &c[i]);
		slot_put(f, k);
	}
}

/* Frames the datapath passed up to the frames' port (malformed, with
 * --malformed pass) land on the answer socket: count and drop them. */
static void fwd_drain_tx(struct fwd *f)
{
	__u8 b[64];

	while (recv(f->tx, b, sizeof(b), MSG_DONTWAIT) >= 0)
		f->passed_up++;
}

static int cmd_forward(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "tail", 1, 0, 't' }, { "backend", 1, 0, 'b' },
		{ "head", 1, 0, 'H' }, { "deadline-ms", 1, 0, 'd' },
		{ "count", 1, 0, 'n' }, { "quiet", 0, 0, 'q' },
		{ "dump", 1, 0, 'D' }, { "help", 0, 0, 'h' }, { 0 } };
	struct spex_open_opts oo = { .backend = SPEX_BACKEND_DEVICE,
				     .queue_depth = FWD_DEPTH };
	struct spex_offload_opts off = { .deadline_ms = 1000 };
	struct spex_edge_config c = { 0 };
	const char *head = NULL;
	unsigned long long count = 0;
	struct spex_model_desc d;
	char host[INET6_ADDRSTRLEN];
	bool quiet = false;
	static struct fwd f;
	int opt, ret;

	if (read_conf(&c))
		memset(&c, 0, sizeof(c));
	while ((opt = getopt_long(argc, argv, "n:qh", lo, NULL)) != -1) {
		switch (opt) {
		case 't': parse_tail(optarg, &c); break;
		case 'b':
			if (!strcmp(optarg, "user"))
				oo.backend = SPEX_BACKEND_USER;
			else if (strcmp(optarg, "device"))
				die("--backend device|user");
			break;
		case 'H': head = optarg; break;
		case 'd': off.deadline_ms = (__u32)num(optarg, 600000, "deadline"); break;
		case 'n': count = num(optarg, ULONG_MAX, "count"); break;
		case 'q': quiet = true; break;
		case 'D':
			f.dump = fopen(optarg, "w");
			if (!f.dump)
				die("%s: %s", optarg, strerror(errno));
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (!c.port || !c.fwd_port)
		die("not attached: run spex-edge attach first");
	if (!c.tail_family)
		die("no tail server: --tail HOST:PORT (here or at attach)");
	ret = spex_open(&oo, &f.h);
	if (ret)
		die("libspex: %s", spex_strerror(ret));
	f.model_id = c.model_id;
	if (oo.backend == SPEX_BACKEND_USER) {
		struct spex_load_error le;

		if (!head)
			die("--backend user needs --head FILE");
		ret = spex_load_file(f.h, head, &f.model_id, &le);
		if (ret)
			die("%s: %s", head, le.msg[0] ? le.msg : spex_strerror(ret));
	}
	ret = spex_describe_model(f.h, f.model_id, &d, NULL, 0);
	if (ret)
		die("model %u: %s", f.model_id, spex_strerror(ret));
	if (memcmp(d.hash, c.hash8, 4))
		die("model %u is not the head the datapath runs", f.model_id);
	f.bneck_bytes = d.output_bytes;
	inet_ntop(c.tail_family, c.tail_addr, host, sizeof(host));
	off.host = host;
	off.port = c.tail_port;
	ret = spex_set_offload(f.h, f.model_id, &off);
	if (ret)
		die("tail %s:%u: %s", host, c.tail_port, spex_strerror(ret));
	f.rx = udp_bound(c.fwd_port);
	f.tx = udp_bound(c.port);
	for (unsigned int i = 0; i < FWD_DEPTH; i++)
		f.free_list[f.n_free++] = FWD_DEPTH - 1 - i;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (!quiet)
		fprintf(stderr, "forwarding UDP port %u -> %s:%u (%s backend)\n",
			c.fwd_port, host, c.tail_port,
			spex_backend_name(spex_backend_of(f.h)));
	while (!stop && (!count || f.answered < count)) {
		struct pollfd p[2] = { { .fd = f.rx, .events = POLLIN },
				       { .fd = f.tx, .events = POLLIN } };
		bool busy = spex_in_flight(f.h) > 0;

		/* with jobs in flight their answers come through the ring:
		 * look at the sockets without waiting, then wait there */
		if (poll(p, 2, busy ? 0 : 200) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (p[0].revents & POLLIN && f.n_free)
			fwd_rx(&f);
		if (p[1].revents & POLLIN)
			fwd_drain_tx(&f);
		if (spex_in_flight(f.h))
			fwd_reap(&f, p[0].revents & POLLIN && f.n_free ? 0 : 1);
	}
	while (spex_in_flight(f.h))
		fwd_reap(&f, 100);
	if (!quiet)
		fprintf(stderr, "forward: %llu answered, %llu from the tail, "
			"%llu fallback, %llu not OFFLOAD frames, %llu passed up\n",
			f.answered, f.tail_ok, f.fallbacks, f.bad, f.passed_up);
	if (f.dump)
		fclose(f.dump);
	spex_close(f.h);
	return 0;
}

int main(int argc, char **argv)
{
	tool_name = "spex-edge";
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "attach"))
		return cmd_attach(argc - 1, argv + 1);
	if (!strcmp(argv[1], "detach"))
		return cmd_detach(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stats"))
		return cmd_stats(argc - 1, argv + 1);
	if (!strcmp(argv[1], "forward"))
		return cmd_forward(argc - 1, argv + 1);
	fprintf(stderr, "spex-edge: unknown command %s\n\n%s", argv[1], usage);
	return 2;
}
