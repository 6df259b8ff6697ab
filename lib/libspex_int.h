/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * libspex internals: the handle, its job slots and the backends.
 *
 * Life of a job (one slot of struct spex_handle.jobs):
 *   submit -> ENGINE (head runs: inline on the user backend and the
 *   ioctl, or as a uring_cmd) -> on OFFLOAD with a tail configured:
 *   NET (wait for a pooled connection, then [connect ->] send -> recv,
 *   linked, plus a deadline timeout) -> completion posted exactly once.
 * A slot is reused only when its completion is posted AND every CQE its
 * SQEs will produce has been reaped (pending_ops == 0): buffers the
 * kernel may still touch stay ours until then.
 */
#ifndef LIBSPEX_INT_H
#define LIBSPEX_INT_H

#include <stdbool.h>
#include <sys/socket.h>
#include <liburing.h>

#include "spex/libspex.h"
#include <spex/engine.h>
#include <spex/wire.h>

#define SPEX_DEV_PATH		"/dev/spex"
#define LIB_DEFAULT_DEPTH	64
#define LIB_MAX_DEPTH		4096
#define LIB_DEFAULT_DEADLINE_MS	1000
#define LIB_DEFAULT_CONNS	4
#define LIB_MAX_CONNS		256

struct spex_model;		/* core engine */
struct lib_job;

/* A tail server endpoint and its connection pool. */
#define LIB_MAX_ENDPOINTS	8	/* "host:port,host:port,..." */
#define LIB_EP_DOWN_NS		1000000000ull	/* skipped after a failure */

/* One address of a tail (spex_offload_opts.host may list several). */
struct lib_endpoint {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	uint64_t down_until;		/* ns: not chosen before, if others */
};

struct lib_tail {
	struct lib_endpoint ep[LIB_MAX_ENDPOINTS];
	uint32_t n_ep;
	uint32_t next_ep;		/* round robin over new connections */
	uint32_t deadline_ms;
	uint32_t max_conns;
	uint32_t n_open;		/* connections open: idle + busy */
	uint32_t n_idle;
	int idle[LIB_MAX_CONNS];	/* connected, no exchange in progress */
	bool retired;			/* replaced by spex_set_offload() */
	struct lib_job *wait_head;	/* jobs waiting for a connection */
	struct lib_job *wait_tail;
	struct spex_net_tail net;	/* the offload decision's estimates */
	struct lib_tail *next;		/* handle's list, freed at close */
};

/* What the handle knows about a model id (both backends). */
struct lib_model {
	uint32_t id;
	uint32_t role;
	uint32_t n_classes;
	uint32_t input_bytes;
	uint32_t output_bytes;
	uint8_t hash[SPX_HASH_LEN];
	struct lib_tail *tail;		/* offload target, or NULL */
	struct spex_policy net_pol;	/* policy in force, as of the last
					 * set_offload or set_policy here */
	/* user backend only */
	struct spex_model *m;
	uint64_t file_bytes;
	bool has_policy;
	struct spex_policy policy;
	uint64_t jobs, exits, offloads, errors, total_ns;
	struct lib_model *next;
};

enum lib_job_state {
	JOB_FREE = 0,
	JOB_ENGINE,		/* uring_cmd in flight */
	JOB_WAIT_CONN,		/* on tail->wait list */
	JOB_NET,		/* exchange with the tail in flight */
	JOB_DRAIN,		/* completed; waiting for its CQEs */
};

/* CQE user_data: kind << 56 | gen << 32 | slot. */
enum lib_op_kind {
	OP_DEV = 1,		/* uring_cmd INFER */
	OP_CONNECT,
	OP_SEND,
	OP_RECV,
	OP_DEADLINE,
	OP_IGNORE,		/* cancel, timeout remove: only counted */
};

struct lib_job {
	enum lib_job_state state;
	uint32_t slot;
	uint32_t gen;
	unsigned int pending_ops;	/* CQEs still to come */
	unsigned int net_ops;		/* connect/send/recv still to come */
	bool completed;			/* completion posted */
	bool deadline_armed;
	bool deadline_fired;
	bool conn_reused;
	bool retried;
	bool resp_ok;			/* the last exchange got an answer */
	bool in_net;			/* counted in spex.in_net */
	bool probe;			/* completed already; sent to measure */
	bool net_open;			/* its fate not yet told the estimator */
	uint64_t t_submit;		/* ns: the per-job deadline's start */
	uint64_t t_sent;		/* ns: the exchange began */
	int fd;				/* connection, or -1 */
	uint32_t ep;			/* its endpoint, if opened by this job */
	int32_t net_err;		/* first error of this attempt */
	struct spex_req req;
	struct lib_model *model;
	struct lib_tail *tail;
	struct spex_result result;
	void *out;			/* req.output or own_out */
	void *own_out;
	size_t own_cap;
	uint8_t *frame;			/* request header + payload */
	size_t frame_cap;
	uint32_t frame_len;
	uint64_t req_id;		/* of the frame in flight */
	uint32_t n_classes;		/* the head's: bounds the answer */
	struct spex_wire_resp resp;
	struct __kernel_timespec deadline_ts;
	struct spex_job djob;		/* device: the job descriptor */
	struct lib_job *wait_next;
	struct lib_job *free_next;
};

struct lib_backend_ops;

struct spex {
	int backend;			/* enum spex_backend */
	uint32_t open_flags;
	uint32_t depth;			/* jobs in flight allowed */
	const struct lib_backend_ops *ops;

	/* device backend */
	int dev_fd;
	bool use_uring_cmd;
	bool dev_fixed;			/* dev_fd is fixed file 0 */
	struct spex_info dev_info;

	/* user backend */
	void *scratch;			/* one job at a time runs inline */
	size_t scratch_cap;
	uint32_t next_id;

	bool have_ring;
	struct io_uring ring;

	struct lib_model *models;
	struct lib_tail *tails;
	uint64_t next_req_id;		/* offload request ids */

	struct lib_job *jobs;		/* 2 * depth slots */
	uint32_t n_slots;
	struct lib_job *free_jobs;
	unsigned int in_flight;		/* submitted, completion not reaped */
	unsigned int in_net;		/* of those, waiting on a tail: they
					 * do not count against depth */

	/* completions posted, not yet reaped: a FIFO of cq_cap entries
	 * (depth + n_slots: every job in flight, in_net included) */
	struct spex_completion *cq;
	uint32_t cq_head, cq_count, cq_cap;

	/* spex_infer(): its job's completion bypasses the FIFO */
	struct lib_job *sync_job;
	bool sync_done;
	struct spex_completion sync_c;

	struct spex_handle_stats stats;
};

struct lib_backend_ops {
	int (*info)(struct spex *h, struct spex_info *info);
	int (*load)(struct spex *h, const void *blob, size_t len,
		    uint32_t flags, uint32_t *id, struct spex_load_error *err);
	int (*unload)(struct spex *h, uint32_t id);
	int (*list)(struct spex *h, uint32_t *ids, uint32_t cap);
	int (*describe)(struct spex *h, uint32_t id,
			struct spex_model_desc *d,
			struct spex_layer_desc *layers, uint32_t cap);
	int (*set_policy)(struct spex *h, uint32_t id,
			  const struct spex_policy *p);
	/* Fill h's lib_model for id (device: from MODEL_INFO). */
	int (*lookup)(struct spex *h, uint32_t id, struct lib_model **out);
	/* Start the head; calls lib_head_done() now or from a CQE. */
	void (*start)(struct spex *h, struct lib_job *j);
	void (*close)(struct spex *h, struct lib_model *m);
};

extern const struct lib_backend_ops lib_user_ops;
extern const struct lib_backend_ops lib_dev_ops;

int lib_dev_open(struct spex *h, const char *path);
int lib_user_open(struct spex *h);

/* models.c */
struct lib_model *lib_model_find(struct spex *h, uint32_t id);
struct lib_model *lib_model_add(struct spex *h, uint32_t id);
void lib_model_drop(struct spex *h, uint32_t id);

/* queue.c */
struct io_uring_sqe *lib_get_sqe(struct spex *h);
uint64_t lib_op_data(const struct lib_job *j, enum lib_op_kind kind);
void lib_head_done(struct spex *h, struct lib_job *j, int ret);
void lib_job_complete(struct spex *h, struct lib_job *j, int32_t res,
		      uint32_t origin);
void lib_job_maybe_free(struct spex *h, struct lib_job *j);
uint64_t lib_now_ns(void);

/* offload.c */
void lib_offload_decide(struct spex *h, struct lib_job *j);
void lib_offload_note_exit(struct lib_job *j);
void lib_offload_cqe(struct spex *h, struct lib_job *j,
		     enum lib_op_kind kind, int res);
void lib_tail_release(struct lib_tail *t);
int lib_tail_resolve(const struct spex_offload_opts *o, struct lib_tail *t);

#endif /* LIBSPEX_INT_H */
