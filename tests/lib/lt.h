/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * Helpers for the libspex tests: a FULL network split into a HEAD and a
 * TAIL with the same weights and hash, the engine run in-process for the
 * expected answers, spex-serve as a child process, and fake tail servers
 * that misbehave on purpose. Everything listens on 127.0.0.1 only.
 */
#ifndef SPEX_LT_H
#define SPEX_LT_H

#include <stdbool.h>
#include <pthread.h>
#include <sys/types.h>

#include "modelgen.h"
#include <spex/engine.h>
#include "spex/libspex.h"

#define LT_SPLIT	2	/* main-path layers in the head */

struct lt_split {
	struct mg_model full;		/* owns every weight array */
	struct spex_wlayer head_layers[SPX_MAX_LAYERS];
	struct spex_wexit head_exits[SPX_MAX_EXITS];
	struct spex_wmodel head_wm, tail_wm;
	void *head_blob, *tail_blob, *bad_tail_blob;
	size_t head_len, tail_len, bad_tail_len;
	/* in-process engines for expected answers */
	struct spex_model *full_m, *head_m, *tail_m;
	void *scratch;
	u32 in_bytes, bneck_bytes, n_classes;
};

int lt_split_build(struct lt_split *s, u32 seed);
void lt_split_free(struct lt_split *s);
void lt_input(const struct lt_split *s, u32 seed, s8 *buf);
/* The head's result in-process (bottleneck to bneck if not NULL). */
void lt_run_head(struct lt_split *s, const struct spex_policy *pol,
		 const s8 *in, struct spex_result *res, void *bneck);
/* The whole network, no early exit: what the tail must answer. */
void lt_run_full(struct lt_split *s, const s8 *in, struct spex_result *res);

/* For a test program's constructor: SIGPIPE ignored, the split built
 * (seed 42), its tail (and, if bad_tail, another model's tail) written
 * to temp files; exits on failure. */
void lt_setup_tails(struct lt_split *s, char **tail, char **bad_tail);

/* A user-backend handle with the head loaded, every job forced to
 * offload to 127.0.0.1:port; NULL on any failure. */
struct spex *lt_open_forced(const struct lt_split *s, u32 *id,
			    unsigned int port, u32 conns, u32 deadline_ms);

/* Write a blob to a fresh temp file; returns a malloc'd path. */
char *lt_write_tmp(const void *blob, size_t len, const char *name);

/* spex-serve as a child on 127.0.0.1, an ephemeral port. */
struct lt_server {
	pid_t pid;
	unsigned int port;
	char port_file[256];
};
int lt_serve_start(struct lt_server *sv, const char *tail_path,
		   unsigned int workers);
/* The same with more options (NULL-terminated) instead of -w/-t; port 0
 * picks a free one. */
int lt_serve_start_opts(struct lt_server *sv, const char *tail_path,
			unsigned int port, const char *const *extra);
/* SIGTERM, wait; returns the exit status (or -1). */
int lt_serve_stop(struct lt_server *sv);
void lt_serve_kill(struct lt_server *sv);

/* HAProxy as a child: tools/spex-serve/haproxy.cfg with a free port on
 * 127.0.0.1, the PING for tail_path, 100 ms checks and n servers
 * 127.0.0.1:ports[i]; returns once it listens and the checks had time. */
struct lt_haproxy {
	pid_t pid;
	unsigned int port;
	char cfg[256];
};
const char *lt_haproxy_bin(void);	/* NULL: not installed */
int lt_haproxy_start(struct lt_haproxy *hp, const char *tail_path,
		     const unsigned int *ports, unsigned int n);
void lt_haproxy_stop(struct lt_haproxy *hp);

/* A fake tail server in a thread. */
enum lt_fake_mode {
	LT_FAKE_GARBAGE,	/* read a request, answer 64 random bytes */
	LT_FAKE_SILENT,		/* read a request, never answer */
	LT_FAKE_CLOSE,		/* read a request, reset the connection */
	LT_FAKE_HALF,		/* read a request, answer half, close */
};
struct lt_fake {
	int listen_fd;
	unsigned int port;
	enum lt_fake_mode mode;
	volatile bool stop;
	pthread_t thread;
	int held[64];
	unsigned int n_held;
	unsigned int requests;
};
int lt_fake_start(struct lt_fake *f, enum lt_fake_mode mode);
void lt_fake_stop(struct lt_fake *f);

/* A port on 127.0.0.1 with nobody listening. */
unsigned int lt_dead_port(void);

/* Connect a plain blocking socket to 127.0.0.1:port. */
int lt_connect(unsigned int port);
/* The same from source address src (another 127.x address). */
int lt_connect_from(const char *src, unsigned int port);
/* Read exactly n bytes; false on EOF or error. */
bool lt_read_full(int fd, void *buf, size_t n);

/* Reap exactly n completions (waiting as long as needed). */
int lt_reap_all(struct spex *h, struct spex_completion *c, unsigned int n);

#endif
