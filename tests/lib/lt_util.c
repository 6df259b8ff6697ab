// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * libspex test helpers; see lt.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lt.h"
#include <spex/wire.h>

/*
 * A FULL int8 network 1x8x8 -> 32 (d_in 16) -> 16 (d_in 8) -> 24 -> 10,
 * exits after layers 0 and 1; the head is layers 0-1 and both exits, the
 * tail layers 2-3. The tail's input quantization is the head's output's.
 */
int lt_split_build(struct lt_split *s, u32 seed)
{
	struct mg_spec sp = { 0 };
	struct spex_wmodel *fw = &s->full.wm;
	struct spex_diag d;
	u32 n_branch, i;
	int ret;

	memset(s, 0, sizeof(*s));
	sp.dtype = SPX_DTYPE_INT8;
	sp.role = SPX_ROLE_FULL;
	sp.in_c = 1;
	sp.in_h = 8;
	sp.in_w = 8;
	sp.n_classes = 10;
	sp.n_fc = 4;
	sp.fc[0] = (struct mg_fc){ .out = 32, .d_in = 16, .pattern = SPX_PAT_RANDOM };
	sp.fc[1] = (struct mg_fc){ .out = 16, .d_in = 8, .pattern = SPX_PAT_RANDOM };
	sp.fc[2] = (struct mg_fc){ .out = 24, .d_in = 8, .pattern = SPX_PAT_RANDOM };
	sp.fc[3] = (struct mg_fc){ .out = 10 };
	sp.n_exits = 2;
	sp.exit_after[0] = 0;
	sp.exit_after[1] = 1;
	sp.policy[0] = SPX_POLICY_MAX_SOFTMAX;
	sp.policy[1] = SPX_POLICY_MAX_SOFTMAX;
	/* about half the inputs exit, half offload */
	sp.threshold_q16[0] = 30000;
	sp.threshold_q16[1] = 26000;
	sp.logit_scale = 0.05f;
	sp.seed = seed;
	ret = mg_build(&sp, &s->full);
	if (ret)
		return ret;

	/* HEAD: main layers [0, LT_SPLIT) then every exit branch */
	n_branch = fw->n_layers - fw->n_main;
	s->head_wm = *fw;
	s->head_wm.role = SPX_ROLE_HEAD;
	s->head_wm.final_logit_scale = 0;
	for (i = 0; i < LT_SPLIT; i++)
		s->head_layers[i] = fw->layers[i];
	for (i = 0; i < n_branch; i++)
		s->head_layers[LT_SPLIT + i] = fw->layers[fw->n_main + i];
	for (i = 0; i < fw->n_exits; i++) {
		s->head_exits[i] = fw->exits[i];
		s->head_exits[i].first_layer -= fw->n_main - LT_SPLIT;
	}
	s->head_wm.layers = s->head_layers;
	s->head_wm.n_layers = LT_SPLIT + n_branch;
	s->head_wm.n_main = LT_SPLIT;
	s->head_wm.exits = s->head_exits;

	/* TAIL: the rest of the main path, fed the bottleneck */
	s->tail_wm = *fw;
	s->tail_wm.role = SPX_ROLE_TAIL;
	s->tail_wm.in_c = fw->layers[LT_SPLIT - 1].out_c;
	s->tail_wm.in_h = 1;
	s->tail_wm.in_w = 1;
	s->tail_wm.in_scale = fw->layers[LT_SPLIT - 1].out_scale;
	s->tail_wm.in_zp = fw->layers[LT_SPLIT - 1].out_zp;
	s->tail_wm.layers = fw->layers + LT_SPLIT;
	s->tail_wm.n_layers = fw->n_main - LT_SPLIT;
	s->tail_wm.n_main = fw->n_main - LT_SPLIT;
	s->tail_wm.exits = NULL;
	s->tail_wm.n_exits = 0;

	if (spex_spx_write(&s->head_wm, &s->head_blob, &s->head_len) ||
	    spex_spx_write(&s->tail_wm, &s->tail_blob, &s->tail_len))
		return -EINVAL;
	{	/* the same tail under another network's hash */
		struct spex_wmodel bad = s->tail_wm;

		bad.hash[0] ^= 0xff;
		if (spex_spx_write(&bad, &s->bad_tail_blob, &s->bad_tail_len))
			return -EINVAL;
	}
	if (spex_model_load(s->full.blob, s->full.len, NULL, &s->full_m, &d) ||
	    spex_model_load(s->head_blob, s->head_len, NULL, &s->head_m, &d) ||
	    spex_model_load(s->tail_blob, s->tail_len, NULL, &s->tail_m, &d)) {
		fprintf(stderr, "lt_split_build: %s\n", d.msg);
		return -EINVAL;
	}
	{
		size_t a = spex_model_scratch_size(s->full_m);
		size_t b = spex_model_scratch_size(s->head_m);
		size_t c = spex_model_scratch_size(s->tail_m);

		s->scratch = malloc(a > b ? (a > c ? a : c) : (b > c ? b : c));
	}
	s->in_bytes = spex_model_info(s->head_m)->input_bytes;
	s->bneck_bytes = spex_model_info(s->head_m)->output_bytes;
	s->n_classes = 10;
	return s->scratch ? 0 : -ENOMEM;
}

void lt_split_free(struct lt_split *s)
{
	spex_model_free(s->full_m);
	spex_model_free(s->head_m);
	spex_model_free(s->tail_m);
	free(s->head_blob);
	free(s->tail_blob);
	free(s->bad_tail_blob);
	free(s->scratch);
	mg_free(&s->full);
}

void lt_input(const struct lt_split *s, u32 seed, s8 *buf)
{
	mg_input(&s->full.wm, seed, buf);
}

void lt_run_head(struct lt_split *s, const struct spex_policy *pol,
		 const s8 *in, struct spex_result *res, void *bneck)
{
	u8 tmp[4096];

	spex_run(s->head_m, pol, NULL, s->scratch, in, s->in_bytes,
		 bneck ? bneck : tmp, s->bneck_bytes, res);
}

void lt_run_full(struct lt_split *s, const s8 *in, struct spex_result *res)
{
	struct spex_policy pol = { .mode = SPEX_MODE_FORCE_OFFLOAD };
	u8 logits[64];

	spex_run(s->full_m, &pol, NULL, s->scratch, in, s->in_bytes, logits,
		 sizeof(logits), res);
}

char *lt_write_tmp(const void *blob, size_t len, const char *name)
{
	static char dir[64];
	char *path;
	FILE *f;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/spex-lt.XXXXXX");
		if (!mkdtemp(dir))
			return NULL;
	}
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return NULL;
	f = fopen(path, "wb");
	if (!f || fwrite(blob, 1, len, f) != len) {
		if (f)
			fclose(f);
		free(path);
		return NULL;
	}
	fclose(f);
	return path;
}

static const char *serve_path(void)
{
	const char *p = getenv("SPEX_SERVE");

	return p ? p : SPEX_SRCDIR "/build/rel/bin/spex-serve";
}

int lt_serve_start(struct lt_server *sv, const char *tail_path,
		   unsigned int workers)
{
	char w[16];
	const char *extra[] = { "-w", w, "-t", "2000", NULL };

	snprintf(w, sizeof(w), "%u", workers);
	return lt_serve_start_opts(sv, tail_path, 0, extra);
}

int lt_serve_start_opts(struct lt_server *sv, const char *tail_path,
			unsigned int port, const char *const *extra)
{
	static unsigned int seq;
	const char *argv[40];
	char portstr[16];
	unsigned int n = 0;

	memset(sv, 0, sizeof(*sv));
	snprintf(sv->port_file, sizeof(sv->port_file),
		 "/tmp/spex-lt-port.%d.%u", (int)getpid(), seq++);
	unlink(sv->port_file);
	snprintf(portstr, sizeof(portstr), "%u", port);
	argv[n++] = "spex-serve";
	argv[n++] = "-q";
	argv[n++] = "-l";
	argv[n++] = "127.0.0.1";
	argv[n++] = "-p";
	argv[n++] = portstr;
	argv[n++] = "--port-file";
	argv[n++] = sv->port_file;
	while (extra && *extra && n < 37)
		argv[n++] = *extra++;
	argv[n++] = tail_path;
	argv[n] = NULL;
	sv->pid = fork();
	if (sv->pid < 0)
		return -errno;
	if (sv->pid == 0) {
		execv(serve_path(), (char *const *)argv);
		_exit(127);
	}
	/* wait for the port file (written only once it listens) */
	for (int i = 0; i < 2000; i++) {
		FILE *f = fopen(sv->port_file, "r");
		int status;

		if (f) {
			int ok = fscanf(f, "%u", &sv->port) == 1;

			fclose(f);
			if (ok)
				return 0;
		}
		if (waitpid(sv->pid, &status, WNOHANG) == sv->pid) {
			sv->pid = 0;
			return -ECHILD;
		}
		usleep(5000);
	}
	lt_serve_kill(sv);
	return -ETIMEDOUT;
}

int lt_serve_stop(struct lt_server *sv)
{
	int status;

	if (sv->pid <= 0)
		return -1;
	kill(sv->pid, SIGTERM);
	if (waitpid(sv->pid, &status, 0) != sv->pid)
		return -1;
	sv->pid = 0;
	unlink(sv->port_file);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void lt_serve_kill(struct lt_server *sv)
{
	if (sv->pid <= 0)
		return;
	kill(sv->pid, SIGKILL);
	waitpid(sv->pid, NULL, 0);
	sv->pid = 0;
	unlink(sv->port_file);
}

static int listen_loopback(unsigned int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, 64) || getsockname(fd, (struct sockaddr *)&a, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

unsigned int lt_dead_port(void)
{
	unsigned int port = 0;
	int fd = listen_loopback(&port);

	if (fd >= 0)
		close(fd);	/* nobody listens there now */
	return port;
}

int lt_connect(unsigned int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

int lt_connect_from(const char *src, unsigned int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sockaddr_in l = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, src, &l.sin_addr);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&l, sizeof(l)) ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

bool lt_read_full(int fd, void *buf, size_t n)
{
	size_t have = 0;

	while (have < n) {
		ssize_t r = read(fd, (char *)buf + have, n - have);

		if (r <= 0)
			return false;
		have += (size_t)r;
	}
	return true;
}

static void fake_serve_conn(struct lt_fake *f, int fd)
{
	struct spex_wire_req q;
	u8 payload[4096], junk[64];

	while (!f->stop) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 20) <= 0)
			continue;
		if (!lt_read_full(fd, &q, sizeof(q)) ||
		    le32toh(q.payload_len) > sizeof(payload) ||
		    !lt_read_full(fd, payload, le32toh(q.payload_len)))
			break;
		__atomic_add_fetch(&f->requests, 1, __ATOMIC_SEQ_CST);
		switch (f->mode) {
		case LT_FAKE_GARBAGE:
			for (unsigned int i = 0; i < sizeof(junk); i++)
				junk[i] = (u8)(i * 37 + 11);
			(void)!write(fd, junk, sizeof(junk));
			continue;
		case LT_FAKE_SILENT:
			if (f->n_held < 64) {
				f->held[f->n_held++] = fd;
				return;		/* keep it open, say nothing */
			}
			break;
		case LT_FAKE_CLOSE: {
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			break;
		}
		case LT_FAKE_HALF:
			memset(junk, 0, sizeof(junk));
			(void)!write(fd, junk, sizeof(junk) / 2);
			break;
		}
		break;
	}
	close(fd);
}

/* One connection at a time is enough: the library opens a pool, and the
 * silent mode parks each connection it has read a request from. */
static void *fake_main(void *arg)
{
	struct lt_fake *f = arg;

	while (!f->stop) {
		struct pollfd p = { .fd = f->listen_fd, .events = POLLIN };
		int fd;

		if (poll(&p, 1, 20) <= 0)
			continue;
		fd = accept(f->listen_fd, NULL, NULL);
		if (fd >= 0)
			fake_serve_conn(f, fd);
	}
	return NULL;
}

int lt_fake_start(struct lt_fake *f, enum lt_fake_mode mode)
{
	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->listen_fd = listen_loopback(&f->port);
	if (f->listen_fd < 0)
		return -errno;
	return -pthread_create(&f->thread, NULL, fake_main, f);
}

void lt_fake_stop(struct lt_fake *f)
{
	f->stop = true;
	pthread_join(f->thread, NULL);
	for (unsigned int i = 0; i < f->n_held; i++)
		close(f->held[i]);
	close(f->listen_fd);
}

int lt_reap_all(struct spex *h, struct spex_completion *c, unsigned int n)
{
	unsigned int got = 0;

	while (got < n) {
		int r = spex_reap(h, c + got, n - got, n - got, -1);

		if (r < 0)
			return r;
		if (r == 0 && !spex_in_flight(h))
			break;
		got += (unsigned int)r;
	}
	return (int)got;
}

void lt_setup_tails(struct lt_split *s, char **tail, char **bad_tail)
{
	signal(SIGPIPE, SIG_IGN);
	if (lt_split_build(s, 42)) {
		fprintf(stderr, "cannot build the test models\n");
		exit(1);
	}
	*tail = lt_write_tmp(s->tail_blob, s->tail_len, "tail.spx");
	if (bad_tail)
		*bad_tail = lt_write_tmp(s->bad_tail_blob, s->bad_tail_len,
					 "tail-other-hash.spx");
	if (!*tail || (bad_tail && !*bad_tail))
		exit(1);
}

struct spex *lt_open_forced(const struct lt_split *s, u32 *id,
			    unsigned int port, u32 conns, u32 deadline_ms)
{
	struct spex_open_opts o = { .backend = SPEX_BACKEND_USER,
				    .queue_depth = 64 };
	struct spex_offload_opts off = { .host = "127.0.0.1",
					 .port = (u16)port,
					 .deadline_ms = deadline_ms,
					 .max_conns = conns };
	struct spex_policy pol = { .mode = SPEX_MODE_FORCE_OFFLOAD };
	struct spex *h = NULL;

	if (spex_open(&o, &h))
		return NULL;
	if (spex_load_blob(h, s->head_blob, s->head_len, id, NULL) ||
	    spex_set_offload(h, *id, &off) ||
	    spex_set_model_policy(h, *id, &pol)) {
		spex_close(h);
		return NULL;
	}
	return h;
}

const char *lt_haproxy_bin(void)
{
	static const char *const paths[] = { "/usr/sbin/haproxy",
					     "/usr/bin/haproxy",
					     "/usr/local/sbin/haproxy" };

	for (unsigned int i = 0; i < 3; i++)
		if (!access(paths[i], X_OK))
			return paths[i];
	return NULL;
}

/* The PING line spex-serve prints for the right tail. */
static int check_lines(const char *tail_path, char *send_line, size_t len)
{
	const char *serve = getenv("SPEX_SERVE");
	char cmd[1024];
	FILE *f;
	int ok;

	snprintf(cmd, sizeof(cmd), "%s --haproxy-check %s",
		 serve ? serve : SPEX_SRCDIR "/build/rel/bin/spex-serve",
		 tail_path);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	ok = fgets(send_line, (int)len, f) != NULL;
	pclose(f);
	return ok ? 0 : -1;
}

/* The shipped config with this test's bind, PING and servers. */
int lt_haproxy_start(struct lt_haproxy *hp, const char *tail_path,
		     const unsigned int *ports, unsigned int n)
{
	FILE *in = fopen(SPEX_SRCDIR "/tools/spex-serve/haproxy.cfg", "r");
	char line[512], ping[512];
	static unsigned int seq;
	FILE *out;

	memset(hp, 0, sizeof(*hp));
	if (!in || check_lines(tail_path, ping, sizeof(ping)))
		return -1;
	hp->port = lt_dead_port();
	snprintf(hp->cfg, sizeof(hp->cfg), "/tmp/spex-lt-haproxy.%d.%u.cfg",
		 (int)getpid(), seq++);
	out = fopen(hp->cfg, "w");
	if (!out)
		return -1;
	while (fgets(line, sizeof(line), in)) {
		if (!strncmp(line, "    bind ", 9))
			fprintf(out, "    bind 127.0.0.1:%u\n", hp->port);
		else if (!strncmp(line, "    tcp-check send-binary", 25))
			fputs(ping, out);
		else if (!strncmp(line, "    default-server inter 1s", 27))
			fprintf(out, "    default-server inter 100ms%s",
				line + 27);
		else if (!strncmp(line, "    log ", 8))
			continue;
		else if (strncmp(line, "    server ", 11))
			fputs(line, out);
	}
	for (unsigned int i = 0; i < n; i++)
		fprintf(out, "    server tail%u 127.0.0.1:%u check\n", i,
			ports[i]);
	fclose(in);
	fclose(out);
	hp->pid = fork();
	if (hp->pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		execl(lt_haproxy_bin(), "haproxy", "-db", "-f", hp->cfg,
		      (char *)NULL);
		_exit(127);
	}
	/* listening, and every backend checked up */
	for (int i = 0; i < 300; i++) {
		int fd = lt_connect(hp->port);

		if (fd >= 0) {
			close(fd);
			usleep(500000);	/* rise 2 x inter 100ms, and more */
			return 0;
		}
		usleep(20000);
	}
	return -1;
}

void lt_haproxy_stop(struct lt_haproxy *hp)
{
	if (hp->pid > 0) {
		kill(hp->pid, SIGTERM);
		waitpid(hp->pid, NULL, 0);
	}
	unlink(hp->cfg);
}
