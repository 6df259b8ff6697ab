/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * libspex: run spex split/early-exit models from an application.
 *
 * A handle (struct spex) owns one backend and one io_uring:
 *   - the device backend drives /dev/spex (IORING_OP_URING_CMD on an
 *     SQE128 ring when the module announces SPEX_F_URING_CMD, the
 *     SPEX_IOC_INFER ioctl otherwise);
 *   - the user backend runs the same core engine in this process.
 * Jobs are submitted in batches with a caller-chosen user_data and reaped
 * in batches. A job whose head decides OFFLOAD is sent to the model's tail
 * server (spex-serve, see Documentation/offload-protocol.rst) on the same
 * ring, and completes with the server's answer; if the server is
 * unreachable, slow or answers garbage, it completes with the local exit's
 * best guess and SPEX_RF_FALLBACK. Every submitted job completes exactly
 * once.
 *
 * Errors: every int-returning function returns >= 0 on success or a
 * negative errno; spex_strerror() names it (including the library's own
 * meanings of a few errno values, listed below).
 *
 * Thread safety:
 *   - Different handles are fully independent; the library has no global
 *     mutable state.
 *   - One handle must not be used by two threads at the same time (like
 *     an io_uring). Give each thread its own handle, or serialize.
 *   - Models loaded on the device are shared by every handle and process;
 *     models loaded on the user backend belong to their handle.
 *   - Buffers passed to spex_submit() belong to the library until the
 *     job's completion has been reaped.
 */
#ifndef LIBSPEX_H
#define LIBSPEX_H

#include <stddef.h>
#include <stdint.h>
#include <linux/spex.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIBSPEX_VERSION_MAJOR	1
#define LIBSPEX_VERSION_MINOR	3

struct spex;

enum spex_backend {
	SPEX_BACKEND_AUTO	= 0,	/* the device if it opens, else user */
	SPEX_BACKEND_DEVICE	= 1,	/* /dev/spex only; fail without it */
	SPEX_BACKEND_USER	= 2,	/* the core engine in this process */
};

/* spex_open_opts.flags */
#define SPEX_OPEN_NO_URING	0x1	/* device: use the ioctl even when the
					 * module supports uring_cmd */
#define SPEX_OPEN_SCALAR	0x2	/* scalar kernels for every job */

struct spex_open_opts {
	uint32_t backend;		/* enum spex_backend */
	uint32_t flags;			/* SPEX_OPEN_* */
	const char *dev_path;		/* NULL: "/dev/spex" */
	uint32_t queue_depth;		/* jobs in flight; 0: 64, max 4096 */
	uint32_t reserved[5];		/* must be 0 */
};

/* Open a handle. opts may be NULL (AUTO, defaults). */
int spex_open(const struct spex_open_opts *opts, struct spex **out);
void spex_close(struct spex *h);

/* The backend in use (never AUTO), and its name: "device", "user". */
int spex_backend_of(const struct spex *h);
const char *spex_backend_name(int backend);
/* Device: 1 if jobs go through uring_cmd, 0 through the ioctl. */
int spex_uses_uring_cmd(const struct spex *h);

/* What the backend allows. The user backend fills in its own limits and
 * reports features 0 and kernels "user". */
int spex_get_info(struct spex *h, struct spex_info *info);

/* Why a load failed (optional out-parameter of the load calls). */
struct spex_load_error {
	uint32_t status;		/* enum spex_status */
	uint32_t offset;		/* byte in the blob that broke a rule */
	char msg[160];
};

/* Load a .spx; *model_id > 0 on success. The device needs CAP_SYS_ADMIN. */
int spex_load_file(struct spex *h, const char *path, uint32_t *model_id,
		   struct spex_load_error *err);
int spex_load_blob(struct spex *h, const void *blob, size_t len,
		   uint32_t *model_id, struct spex_load_error *err);
/* The same with SPEX_LOAD_F_* flags of the uapi (libspex 1.1):
 * SPEX_LOAD_F_ATOMIC marks a device model for jobs from XDP/TC programs
 * (bpf_spex_run()); the user backend accepts it and ignores it. */
int spex_load_file_flags(struct spex *h, const char *path, uint32_t flags,
			 uint32_t *model_id, struct spex_load_error *err);
int spex_load_blob_flags(struct spex *h, const void *blob, size_t len,
			 uint32_t flags, uint32_t *model_id,
			 struct spex_load_error *err);
int spex_unload_model(struct spex *h, uint32_t model_id);

/* Loaded model ids, ascending; returns the count (may exceed cap). */
int spex_list_models(struct spex *h, uint32_t *ids, uint32_t cap);

/* Describe a model; layers (may be NULL) gets up to layers_cap entries,
 * desc->n_layers says how many exist. */
int spex_describe_model(struct spex *h, uint32_t model_id,
			struct spex_model_desc *desc,
			struct spex_layer_desc *layers, uint32_t layers_cap);

/* Exit policy for later jobs (device: CAP_SYS_ADMIN, all processes). */
int spex_set_model_policy(struct spex *h, uint32_t model_id,
			  const struct spex_policy *policy);

/*
 * Offload: where jobs of a HEAD model go when it decides OFFLOAD. Only
 * this handle uses the setting. Without it (or with host NULL), an
 * OFFLOAD job completes as it came from the engine: the bottleneck in
 * its output buffer and origin SPEX_ORIGIN_BOTTLENECK.
 */
struct spex_offload_opts {
	const char *host;		/* numeric IPv4/IPv6 address or name;
					 * or up to 8, comma-separated, each
					 * HOST, HOST:PORT or [IPV6]:PORT
					 * (libspex 1.3): new connections go
					 * round robin, a job that fails on
					 * one is retried once on the next */
	uint16_t port;
	uint16_t reserved0;		/* must be 0 */
	uint32_t deadline_ms;		/* per job, from the head's decision;
					 * 0: 1000 */
	uint32_t max_conns;		/* connection pool; 0: 4 */
	uint32_t budget_kBps;		/* link budget for SPEX_NET_ADAPTIVE,
					 * 1000 bytes/s; 0: none (libspex
					 * 1.3; was reserved) */
	uint32_t reserved[4];		/* must be 0 */
};
/*
 * The offload decision: the model's policy (net_mode, rttvar_k,
 * deadline_us; Documentation/offload-decision.rst) as of this call or
 * the last spex_set_model_policy() on this handle, decides per OFFLOAD
 * job whether it goes to the tail or is answered here at once with the
 * head's best guess (SPEX_ORIGIN_FALLBACK, tail_err -ETIME: the answer
 * would miss the deadline; -ENOBUFS: link budget; -EHOSTDOWN: the tail
 * is down, after 3 consecutive failures, until a probe is answered). In
 * every mode a down tail costs one deadline, not one per job. Jobs
 * waiting on a tail do not count against queue_depth (up to twice as
 * many more), so local exits never queue behind them.
 */
int spex_set_offload(struct spex *h, uint32_t model_id,
		     const struct spex_offload_opts *opts);

/* What a model's tail looks like to the offload decision (libspex 1.3). */
struct spex_tail_stats {
	uint32_t srtt_us, rttvar_us;	/* network part of the round trip */
	uint32_t tail_us;		/* the tail's reported time */
	uint32_t predict_us;		/* SRTT + k RTTVAR + tail time with
					 * the model's k; UINT32_MAX before
					 * the first answer */
	uint32_t loss_q16;		/* share of timeouts, EWMA, Q16 */
	uint32_t consec_timeouts;
	uint32_t down;			/* 1: marked down, probing */
	uint32_t thr_drop_q16;		/* adaptive: threshold moved down */
	uint64_t samples, timeouts, bytes_sent;
	uint64_t sent_Bps, acked_Bps;	/* over the last 131 ms window */
	uint64_t cap_Bps;		/* measured capacity; 0: unknown */
	uint64_t by_reason[8];		/* enum spex_net_reason */
	uint64_t reserved[4];
};
/* -ENOENT if the model has no tail on this handle. */
int spex_get_tail_stats(struct spex *h, uint32_t model_id,
			struct spex_tail_stats *st);

/* spex_req.flags */
#define SPEX_REQ_SCALAR		0x1	/* scalar kernels for this job */
#define SPEX_REQ_NO_OFFLOAD	0x2	/* return the bottleneck, never send
					 * it to the tail */
#define SPEX_REQ_BOTTLENECK	0x4	/* input is the head's bottleneck,
					 * computed elsewhere (the edge
					 * datapath, tools/spex-edge): skip
					 * the head, send it to the model's
					 * tail (-EDESTADDRREQ without one);
					 * completes TAIL or FALLBACK, with
					 * decision OFFLOAD and no local
					 * guess (the caller has it) */

/* One job. input holds the model's input_bytes; output (optional) gets
 * the bottleneck on OFFLOAD or the logits on FINAL and needs the model's
 * output_bytes. */
struct spex_req {
	uint32_t model_id;
	uint32_t flags;			/* SPEX_REQ_* */
	const void *input;
	void *output;			/* NULL: the library keeps its own */
	uint32_t input_len;
	uint32_t output_len;
	uint64_t user_data;		/* returned untouched */
};

/* Where a completed job's answer comes from. */
enum spex_origin {
	SPEX_ORIGIN_ERROR	= 0,	/* res < 0: no answer */
	SPEX_ORIGIN_LOCAL	= 1,	/* EXIT or FINAL on this machine */
	SPEX_ORIGIN_TAIL	= 2,	/* OFFLOAD, answered by the tail server */
	SPEX_ORIGIN_FALLBACK	= 3,	/* OFFLOAD, tail failed (tail_err):
					 * local best guess, SPEX_RF_FALLBACK */
	SPEX_ORIGIN_BOTTLENECK	= 4,	/* OFFLOAD, no tail configured: the
					 * bottleneck is in the output */
};

struct spex_completion {
	uint64_t user_data;
	int32_t res;			/* 0, or -errno (job failed) */
	uint32_t origin;		/* enum spex_origin */
	int32_t tail_err;		/* FALLBACK: why, as -errno */
	uint32_t tail_ns;		/* TAIL: server's engine time */
	/* The head's result, with class_id/confidence_q16 replaced by the
	 * tail's answer on TAIL, and flags | SPEX_RF_FALLBACK on FALLBACK. */
	struct spex_result result;
};

/*
 * Queue up to n jobs and submit them in one batch. Returns how many were
 * accepted (fewer than n when the queue is full; 0 with -EBUSY when
 * nothing fit), or -errno for a bad argument. A job that fails later
 * (unknown model, wrong length) still completes, with res < 0.
 */
int spex_submit(struct spex *h, const struct spex_req *reqs, unsigned int n);

/*
 * Reap up to max completions; wait until at least min_complete are
 * available or timeout_ms passes (-1: no limit, 0: do not wait). Returns
 * the number reaped. Completions come in completion order, not in
 * submission order: match them by user_data.
 */
int spex_reap(struct spex *h, struct spex_completion *out, unsigned int max,
	      unsigned int min_complete, int timeout_ms);

/* Jobs submitted and not yet reaped. */
unsigned int spex_in_flight(const struct spex *h);

/* Submit one job and wait for it; returns res. Other jobs in flight on
 * the handle keep their completions for spex_reap(). */
int spex_infer(struct spex *h, const struct spex_req *req,
	       struct spex_completion *c);

/* Counters of this handle. */
struct spex_handle_stats {
	uint64_t submitted, completed, errors;
	uint64_t exits, finals, offloads;	/* the head's decision */
	uint64_t tail_ok, fallbacks;		/* offloads sent to a tail */
	uint64_t conns_opened, conn_reuses, retries;
	uint64_t reserved[5];
};
int spex_get_stats(const struct spex *h, struct spex_handle_stats *st);

/*
 * The engine's pattern-edge generator (libspex 1.2), for front ends that
 * train a network the engine will load: the same parameters as a layer's
 * struct spx_pattern give the same edges the loader regenerates.
 */
struct spex_pattern_spec {
	uint32_t type;			/* enum spx_pattern_type */
	uint32_t starts;		/* enum spx_starts_mode */
	uint32_t dither;		/* clash-free: 0 or 1 */
	uint32_t z;			/* clash-free: banks; else 0 */
	uint32_t seed;
	uint32_t n_starts;		/* EXPLICIT: values at starts_arr */
	const uint32_t *starts_arr;
	uint32_t reserved[4];		/* must be 0 */
};

/*
 * A junction of p left neurons to n right neurons with in-degree d_in:
 * left[r * d_in + m] is the left neuron that edge m of right neuron r
 * reads, in the pattern's edge order (the order of a layer's weights).
 * left_cap is the room at left, in entries (at least n * d_in). Returns 0,
 * SPEX_STATUS_ERR(status) for parameters the loader would refuse (the
 * same status), -ENOSPC or -EINVAL.
 */
int spex_pattern_edges(const struct spex_pattern_spec *ps, uint32_t p,
		       uint32_t n, uint32_t d_in, uint32_t *left,
		       size_t left_cap);
/* How many explicit starts such a pattern needs (0 unless EXPLICIT). */
int spex_pattern_starts_needed(const struct spex_pattern_spec *ps,
			       uint32_t p, uint32_t n, uint32_t d_in);
/*
 * A conv layer's kept kernel taps (ky * kw + kx, ascending) for output
 * channel o and its s-th input-channel slot (enum spx_mask_type). elems
 * holds cap >= kh * kw entries. Returns how many taps, or
 * SPEX_STATUS_ERR(status), -ENOSPC, -EINVAL.
 */
int spex_conv_mask(uint32_t mask_type, uint32_t period, uint32_t kh,
		   uint32_t kw, uint32_t o, uint32_t s, uint8_t *elems,
		   size_t cap);

/*
 * A message for a negative errno, or for an enum spex_status when given
 * SPEX_STATUS_ERR(status). The library gives these errno values a
 * specific meaning in completions' tail_err:
 *   -ECONNREFUSED / -ECONNRESET / -EPIPE  tail not reachable or went away
 *   -ETIMEDOUT    the job's deadline passed
 *   -EBADMSG      the tail's reply was malformed (garbage)
 *   -EPROTO       the tail rejected the request as malformed
 *   -ESTALE       head and tail content hashes differ
 *   -EPROTONOSUPPORT  protocol version not supported by the tail
 */
#define SPEX_STATUS_ERR(status)	(-4096 - (int)(status))
const char *spex_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif /* LIBSPEX_H */
