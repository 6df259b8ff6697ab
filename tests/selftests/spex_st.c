// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the /dev/spex selftests (see spex_st.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "spex_st.h"

const char *st_kind_name(enum st_model_kind kind)
{
	static const char *const names[ST_N_KINDS] = {
		"tiny", "mnist", "conv", "dense",
	};

	return kind < ST_N_KINDS ? names[kind] : "?";
}

static void st_spec(struct mg_spec *s, enum st_model_kind kind, u32 seed)
{
	switch (kind) {
	case ST_TINY:
		mg_spec_tiny_head(s, seed);
		break;
	case ST_MNIST:
		mg_spec_mnist_head(s, seed);
		break;
	case ST_CONV:
		memset(s, 0, sizeof(*s));
		s->dtype = SPX_DTYPE_INT8;
		s->role = SPX_ROLE_HEAD;
		s->in_c = 2;
		s->in_h = 8;
		s->in_w = 8;
		s->n_classes = 5;
		s->conv_out_c = 4;
		s->conv_k = 3;
		s->conv_stride = 1;
		s->conv_cin_deg = 1;
		s->conv_mask = SPX_MASK_PERIODIC;
		s->conv_period = 8;
		s->conv_pattern = SPX_PAT_RANDOM;
		s->n_fc = 1;
		s->fc[0] = (struct mg_fc){ .out = 32, .d_in = 16,
					   .pattern = SPX_PAT_RANDOM };
		s->n_exits = 1;
		s->exit_after[0] = 3;
		s->policy[0] = SPX_POLICY_MARGIN;
		s->threshold_q16[0] = 16384;
		s->logit_scale = 0.05f;
		s->seed = seed;
		break;
	default:
		memset(s, 0, sizeof(*s));
		s->dtype = SPX_DTYPE_INT8;
		s->role = SPX_ROLE_HEAD;
		s->in_c = 64;
		s->in_h = 1;
		s->in_w = 1;
		s->n_classes = 6;
		s->n_fc = 2;
		s->fc[0] = (struct mg_fc){ .out = 48 };
		s->fc[1] = (struct mg_fc){ .out = 24, .d_in = 8,
					   .pattern = SPX_PAT_CF1, .z = 4 };
		s->n_exits = 3;
		s->exit_after[0] = 0;
		s->exit_after[1] = 0;
		s->exit_after[2] = 1;
		s->exit_hidden[1] = 12;
		s->policy[0] = SPX_POLICY_MAX_SOFTMAX;
		s->policy[1] = SPX_POLICY_ENTROPY;
		s->policy[2] = SPX_POLICY_MARGIN;
		s->threshold_q16[0] = 58982;
		s->threshold_q16[1] = 39321;
		s->threshold_q16[2] = 19661;
		s->logit_scale = 0.06f;
		s->seed = seed;
		break;
	}
}

int st_model_build(struct st_model *m, enum st_model_kind kind, u32 seed)
{
	struct spex_load_opts opts = { .flags = SPEX_LOAD_INT8_ONLY };
	struct spex_diag diag = {};
	struct mg_spec spec;
	int ret;

	memset(m, 0, sizeof(*m));
	m->kind = kind;
	st_spec(&spec, kind, seed);
	ret = mg_build(&spec, &m->mg);
	if (ret)
		return ret;
	ret = spex_model_load(m->mg.blob, m->mg.len, &opts, &m->um, &diag);
	if (ret != SPEX_OK) {
		fprintf(stderr, "st: %s model: %s at %u: %s\n",
			st_kind_name(kind), spex_status_name(ret),
			diag.offset, diag.msg);
		mg_free(&m->mg);
		return -spex_status_errno(ret);
	}
	m->info = spex_model_info(m->um);
	m->scratch = calloc(1, spex_model_scratch_size(m->um) + 64);
	return m->scratch ? 0 : -ENOMEM;
}

void st_model_free(struct st_model *m)
{
	free(m->scratch);
	if (m->um)
		spex_model_free(m->um);
	mg_free(&m->mg);
	memset(m, 0, sizeof(*m));
}

void st_input(const struct st_model *m, u32 seed, void *buf)
{
	mg_input(&m->mg.wm, seed, buf);
}

int st_user_run(struct st_model *m, const struct spex_policy *pol,
		const void *in, void *out, struct spex_result *res)
{
	memset(res, 0, sizeof(*res));
	return spex_run(m->um, pol, NULL, m->scratch, in,
			m->info->input_bytes, out, m->info->output_bytes, res);
}

int st_res_word(const struct spex_result *res)
{
	return SPEX_RES_PACK(res->decision, !!(res->flags & SPEX_RF_FORCED),
			     !!(res->flags & SPEX_RF_LOW_CONF), res->class_id,
			     res->confidence_q16);
}

bool st_res_equal(const struct spex_result *a, const struct spex_result *b)
{
	return a->decision == b->decision && a->exit_index == b->exit_index &&
	       a->class_id == b->class_id &&
	       a->confidence_q16 == b->confidence_q16 &&
	       a->flags == b->flags && a->bottleneck_len == b->bottleneck_len &&
	       a->layers_run == b->layers_run && a->status == b->status &&
	       a->macs == b->macs && a->weight_bytes == b->weight_bytes &&
	       a->act_bytes == b->act_bytes;
}

int st_open(void)
{
	int fd = open(SPEX_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

bool st_have_spex(void)
{
	return access(SPEX_DEV, F_OK) == 0;
}

int st_load_blob(int fd, const void *blob, size_t len, u32 *id,
		 struct spex_load *ld_out)
{
	struct spex_load ld = {
		.blob = (uintptr_t)blob,
		.blob_len = (u32)len,
	};
	int ret = ioctl(fd, SPEX_IOC_LOAD_MODEL, &ld) ? -errno : 0;

	if (id)
		*id = ld.model_id;
	if (ld_out)
		*ld_out = ld;
	return ret;
}

int st_load(int fd, const struct st_model *m, u32 *id)
{
	return st_load_blob(fd, m->mg.blob, m->mg.len, id, NULL);
}

int st_unload(int fd, u32 id)
{
	struct spex_unload ul = { .model_id = id };

	return ioctl(fd, SPEX_IOC_UNLOAD_MODEL, &ul) ? -errno : 0;
}

int st_set_policy(int fd, u32 id, const struct spex_policy *pol)
{
	struct spex_set_policy sp = { .model_id = id, .policy = *pol };

	return ioctl(fd, SPEX_IOC_SET_POLICY, &sp) ? -errno : 0;
}

void st_job(struct spex_job *j, u32 id, const void *in, u32 in_len,
	    void *out, u32 out_len, struct spex_result *res, u32 flags)
{
	memset(j, 0, sizeof(*j));
	j->model_id = id;
	j->flags = flags;
	j->input = (uintptr_t)in;
	j->input_len = in_len;
	j->output = (uintptr_t)out;
	j->output_len = out_len;
	j->result = (uintptr_t)res;
}

int st_infer(int fd, u32 id, const void *in, u32 in_len, void *out,
	     u32 out_len, struct spex_result *res, u32 flags)
{
	struct spex_job j;
	int ret;

	st_job(&j, id, in, in_len, out, out_len, res, flags);
	ret = ioctl(fd, SPEX_IOC_INFER, &j);
	return ret < 0 ? -errno : ret;
}

int st_ring_init(struct io_uring *ring, unsigned int entries, bool cqe32)
{
	unsigned int flags = IORING_SETUP_SQE128;

	if (cqe32)
		flags |= IORING_SETUP_CQE32;
	return io_uring_queue_init(entries, ring, flags);
}

struct io_uring_sqe *st_prep_infer(struct io_uring *ring, int fd,
				   const struct spex_job *job, u64 user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return NULL;
	/* liburing 2.3 has no uring_cmd helper: a plain rw prep, then the
	 * command fields (the job in the SQE128 command area). */
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = SPEX_URING_CMD_INFER;
	memset(sqe->cmd, 0, SPEX_URING_CMD_BYTES);
	memcpy(sqe->cmd, job, sizeof(*job));
	io_uring_sqe_set_data64(sqe, user_data);
	return sqe;
}

const char *st_tracefs(void)
{
	if (access("/sys/kernel/tracing/events", F_OK) == 0)
		return "/sys/kernel/tracing";
	return "/sys/kernel/debug/tracing";
}

int st_trace_write(const char *rel, const char *val)
{
	char path[256];
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s", st_tracefs(), rel);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}
