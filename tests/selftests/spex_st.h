/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the /dev/spex selftests: the test models, ioctl
 * wrappers, a minimal uring_cmd submitter, tracefs access, and the
 * userspace engine run that every kernel result is compared with.
 */
#ifndef SPEX_ST_H
#define SPEX_ST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <liburing.h>
#include <spex/engine.h>
#include "modelgen.h"

#define SPEX_DEV	"/dev/spex"
#define SPEX_KAPI_DEV	"/dev/spex_kapi_test"

/* The test models, all int8 heads with early exits. */
enum st_model_kind {
	ST_TINY,		/* 16 -> 16 (CF2) + exit: dispatch-bound */
	ST_MNIST,		/* 784 -> 112 (CF3) -> 56 (random), 2 exits */
	ST_CONV,		/* conv stem + pool + FC, 1 exit */
	ST_DENSE,		/* dense FC head, 3 exits with hidden layers */
	ST_N_KINDS
};

/* A model as both sides see it: the blob, the userspace engine's model. */
struct st_model {
	enum st_model_kind kind;
	struct mg_model mg;
	struct spex_model *um;		/* userspace engine */
	const struct spex_model_desc *info;
	void *scratch;
};

const char *st_kind_name(enum st_model_kind kind);
/* Build a model of a kind and seed; 0 or -errno. */
int st_model_build(struct st_model *m, enum st_model_kind kind, u32 seed);
void st_model_free(struct st_model *m);
/* A random input of m's size (seed-determined). */
void st_input(const struct st_model *m, u32 seed, void *buf);
/* The userspace engine on the same input: status; out gets output_bytes. */
int st_user_run(struct st_model *m, const struct spex_policy *pol,
		const void *in, void *out, struct spex_result *res);
/* The word the kernel would return for res. */
int st_res_word(const struct spex_result *res);

/* ioctl wrappers: 0 or -errno. */
int st_open(void);
int st_load_blob(int fd, const void *blob, size_t len, u32 *id,
		 struct spex_load *ld_out);
int st_load(int fd, const struct st_model *m, u32 *id);
int st_unload(int fd, u32 id);
int st_set_policy(int fd, u32 id, const struct spex_policy *pol);
/* INFER: the SPEX_RES_* word or -errno. */
int st_infer(int fd, u32 id, const void *in, u32 in_len, void *out,
	     u32 out_len, struct spex_result *res, u32 flags);
void st_job(struct spex_job *j, u32 id, const void *in, u32 in_len,
	    void *out, u32 out_len, struct spex_result *res, u32 flags);

/* An SQE128 ring; prep a uring_cmd INFER SQE. */
int st_ring_init(struct io_uring *ring, unsigned int entries, bool cqe32);
struct io_uring_sqe *st_prep_infer(struct io_uring *ring, int fd,
				   const struct spex_job *job, u64 user_data);

/* Compare kernel and userspace results field by field (not ns). */
bool st_res_equal(const struct spex_result *a, const struct spex_result *b);

/* tracefs: where it is mounted; write val to a file in it (0 or -errno). */
const char *st_tracefs(void);
int st_trace_write(const char *rel, const char *val);

/* Is the spex module here? (tests SKIP otherwise) */
bool st_have_spex(void);

#endif /* SPEX_ST_H */
