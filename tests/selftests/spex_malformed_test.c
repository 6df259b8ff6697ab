// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed requests: bad ids, lengths, pointers, overlapping buffers,
 * reserved fields, unknown flags and cmd_ops, truncated, corrupt and
 * oversize blobs, limits. Each must fail with its documented errno
 * (Documentation/kmod.rst) and leave no splat in dmesg (the VM harness
 * fails the run on one). Every job case runs by ioctl and by uring_cmd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "spex_st.h"

#define KADDR	0xffff888000000000ULL	/* a kernel address */

/* The buffers of a valid job; cases break one thing. */
struct jbufs {
	u8 *in, *out;
	struct spex_result *res;
	u8 *ro;			/* a read-only page */
	u8 *gone;		/* a PROT_NONE page */
	u8 *edge;		/* the readable page before gone */
	u32 in_len, out_len;
};

typedef void (*job_mut)(struct spex_job *j, struct jbufs *b);

static void m_id0(struct spex_job *j, struct jbufs *b) { j->model_id = 0; }
static void m_id_none(struct spex_job *j, struct jbufs *b) { j->model_id = 0x7ffffff0; }
static void m_flags(struct spex_job *j, struct jbufs *b) { j->flags = 0x80; }
static void m_flags_hi(struct spex_job *j, struct jbufs *b) { j->flags = 0x80000000; }
static void m_res0(struct spex_job *j, struct jbufs *b) { j->reserved[0] = 1; }
static void m_res1(struct spex_job *j, struct jbufs *b) { j->reserved[1] = 1; }
static void m_res2(struct spex_job *j, struct jbufs *b) { j->reserved[2] = 1ULL << 63; }
/* runs from a readable page into the PROT_NONE one after it */
static void m_in_edge(struct spex_job *j, struct jbufs *b) { j->input = (uintptr_t)b->gone - j->input_len / 2; }
static void m_out_edge(struct spex_job *j, struct jbufs *b) { j->output = (uintptr_t)b->gone - 1; }
static void m_in_short(struct spex_job *j, struct jbufs *b) { j->input_len--; }
static void m_in_long(struct spex_job *j, struct jbufs *b) { j->input_len++; }
static void m_in_zero(struct spex_job *j, struct jbufs *b) { j->input_len = 0; }
static void m_in_huge(struct spex_job *j, struct jbufs *b) { j->input_len = 0xfffffff0; }
static void m_out_short(struct spex_job *j, struct jbufs *b) { j->output_len--; }
static void m_out_zero(struct spex_job *j, struct jbufs *b) { j->output_len = 0; }
static void m_in_null(struct spex_job *j, struct jbufs *b) { j->input = 0; }
static void m_in_kaddr(struct spex_job *j, struct jbufs *b) { j->input = KADDR; }
static void m_in_gone(struct spex_job *j, struct jbufs *b) { j->input = (uintptr_t)b->gone; }
static void m_in_wrap(struct spex_job *j, struct jbufs *b) { j->input = ~0ULL - 8; }
static void m_out_null(struct spex_job *j, struct jbufs *b) { j->output = 0; }
static void m_out_ro(struct spex_job *j, struct jbufs *b) { j->output = (uintptr_t)b->ro; }
static void m_out_kaddr(struct spex_job *j, struct jbufs *b) { j->output = KADDR; }
static void m_res_bad(struct spex_job *j, struct jbufs *b) { j->result = 0x10; }
static void m_res_ro(struct spex_job *j, struct jbufs *b) { j->result = (uintptr_t)b->ro; }
static void m_ov_in_out(struct spex_job *j, struct jbufs *b) { j->output = j->input + 1; }
static void m_ov_same(struct spex_job *j, struct jbufs *b) { j->output = j->input; }
static void m_ov_out_res(struct spex_job *j, struct jbufs *b) { j->result = j->output + 8; }
static void m_ov_in_res(struct spex_job *j, struct jbufs *b) { j->result = j->input; }

FIXTURE(job) {
	int fd;
	struct st_model m;
	u32 id;
	struct jbufs b;
};

FIXTURE_VARIANT(job) {
	job_mut mut;
	int err;		/* expected errno */
};

#define JOB_CASE(name, fn, e) \
	FIXTURE_VARIANT_ADD(job, name) { .mut = fn, .err = e }

JOB_CASE(model_id_zero, m_id0, EINVAL);
JOB_CASE(model_id_unknown, m_id_none, ENOENT);
JOB_CASE(flags_unknown, m_flags, EINVAL);
JOB_CASE(flags_high_bit, m_flags_hi, EINVAL);
JOB_CASE(reserved0_set, m_res0, EINVAL);
JOB_CASE(reserved1_set, m_res1, EINVAL);
JOB_CASE(reserved2_set, m_res2, EINVAL);
JOB_CASE(input_into_prot_none, m_in_edge, EFAULT);
JOB_CASE(output_into_prot_none, m_out_edge, EFAULT);
JOB_CASE(input_len_short, m_in_short, EINVAL);
JOB_CASE(input_len_long, m_in_long, EINVAL);
JOB_CASE(input_len_zero, m_in_zero, EINVAL);
JOB_CASE(input_len_over_limit, m_in_huge, E2BIG);
JOB_CASE(output_len_short, m_out_short, ENOSPC);
JOB_CASE(output_len_zero, m_out_zero, ENOSPC);
JOB_CASE(input_null, m_in_null, EFAULT);
JOB_CASE(input_kernel_addr, m_in_kaddr, EFAULT);
JOB_CASE(input_unmapped, m_in_gone, EFAULT);
JOB_CASE(input_wraps, m_in_wrap, EFAULT);
JOB_CASE(output_null, m_out_null, EFAULT);
JOB_CASE(output_readonly, m_out_ro, EFAULT);
JOB_CASE(output_kernel_addr, m_out_kaddr, EFAULT);
JOB_CASE(result_bad_ptr, m_res_bad, EFAULT);
JOB_CASE(result_readonly, m_res_ro, EFAULT);
JOB_CASE(overlap_input_output, m_ov_in_out, EINVAL);
JOB_CASE(overlap_same_buffer, m_ov_same, EINVAL);
JOB_CASE(overlap_output_result, m_ov_out_res, EINVAL);
JOB_CASE(overlap_input_result, m_ov_in_res, EINVAL);

FIXTURE_SETUP(job)
{
	struct spex_policy pol = { .mode = SPEX_MODE_FORCE_OFFLOAD };
	long pg = sysconf(_SC_PAGESIZE);

	if (!st_have_spex())
		SKIP(return, "no " SPEX_DEV);
	self->fd = st_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, st_model_build(&self->m, ST_MNIST, 3));
	ASSERT_EQ(0, st_load(self->fd, &self->m, &self->id));
	/* Every job writes its output, so a bad output pointer faults. */
	ASSERT_EQ(0, st_set_policy(self->fd, self->id, &pol));
	self->b.in_len = self->m.info->input_bytes;
	self->b.out_len = self->m.info->output_bytes;
	self->b.in = malloc(self->b.in_len);
	self->b.out = malloc(self->b.out_len);
	self->b.res = malloc(sizeof(*self->b.res));
	st_input(&self->m, 1, self->b.in);
	self->b.ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	/*
	 * PROT_NONE, not unmapped: nothing else can be mapped there. The
	 * readable page before it (self->b.edge) lets a buffer run into it.
	 */
	self->b.edge = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->b.ro);
	ASSERT_NE(MAP_FAILED, self->b.edge);
	ASSERT_EQ(0, mprotect(self->b.edge + pg, pg, PROT_NONE));
	self->b.gone = self->b.edge + pg;
	memset(self->b.edge, 1, pg);
}

FIXTURE_TEARDOWN(job)
{
	if (self->fd > 0) {
		st_unload(self->fd, self->id);
		close(self->fd);
	}
	munmap(self->b.ro, sysconf(_SC_PAGESIZE));
	munmap(self->b.edge, 2 * sysconf(_SC_PAGESIZE));
	free(self->b.in);
	free(self->b.out);
	free(self->b.res);
	st_model_free(&self->m);
}

static void make_job(FIXTURE_DATA(job) *self, struct spex_job *j)
{
	st_job(j, self->id, self->b.in, self->b.in_len, self->b.out,
	       self->b.out_len, self->b.res, 0);
}

TEST_F(job, ioctl)
{
	struct spex_job j;

	make_job(self, &j);
	ASSERT_LE(0, ioctl(self->fd, SPEX_IOC_INFER, &j));	/* valid */
	variant->mut(&j, &self->b);
	EXPECT_EQ(-1, ioctl(self->fd, SPEX_IOC_INFER, &j));
	EXPECT_EQ(variant->err, errno);
}

TEST_F(job, uring_cmd)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct spex_job j;

	ASSERT_EQ(0, st_ring_init(&ring, 4, false));
	make_job(self, &j);
	variant->mut(&j, &self->b);
	ASSERT_NE(NULL, st_prep_infer(&ring, self->fd, &j, 42));
	ASSERT_EQ(1, io_uring_submit_and_wait(&ring, 1));
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	EXPECT_EQ(42, io_uring_cqe_get_data64(cqe));
	EXPECT_EQ(-variant->err, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
}

/* The same, forced to io-wq (IOSQE_ASYNC): the worker's path. */
TEST_F(job, uring_cmd_async)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct spex_job j;

	ASSERT_EQ(0, st_ring_init(&ring, 4, false));
	make_job(self, &j);
	variant->mut(&j, &self->b);
	sqe = st_prep_infer(&ring, self->fd, &j, 43);
	ASSERT_NE(NULL, sqe);
	sqe->flags |= IOSQE_ASYNC;
	ASSERT_EQ(1, io_uring_submit_and_wait(&ring, 1));
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	EXPECT_EQ(43, io_uring_cqe_get_data64(cqe));
	EXPECT_EQ(-variant->err, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
}

/* On a CQE32 ring an error still completes, with no extra word. */
TEST_F(job, uring_cmd_cqe32)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct spex_job j;

	ASSERT_EQ(0, st_ring_init(&ring, 4, true));
	make_job(self, &j);
	variant->mut(&j, &self->b);
	ASSERT_NE(NULL, st_prep_infer(&ring, self->fd, &j, 44));
	ASSERT_EQ(1, io_uring_submit_and_wait(&ring, 1));
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	EXPECT_EQ(44, io_uring_cqe_get_data64(cqe));
	EXPECT_EQ(-variant->err, cqe->res);
	EXPECT_EQ(0, cqe->big_cqe[0]);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
}

/* output_len = U32_MAX past the input: valid, and only output_bytes written */
TEST_F(job, output_len_u32_max)
{
	long pg = sysconf(_SC_PAGESIZE);
	u32 ob = self->b.out_len;
	struct spex_job j;
	u8 *p;
	u32 i;

	p = mmap(NULL, 2 * pg + ob + 64, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	memcpy(p, self->b.in, self->b.in_len);
	memset(p + 2 * pg, 0x5a, ob + 64);
	st_job(&j, self->id, p, self->b.in_len, p + 2 * pg, 0xffffffffu,
	       NULL, 0);
	EXPECT_LE(0, ioctl(self->fd, SPEX_IOC_INFER, &j));
	for (i = ob; i < ob + 64; i++)
		if (p[2 * pg + i] != 0x5a)
			break;
	EXPECT_EQ(ob + 64, i);
	munmap(p, 2 * pg + ob + 64);
}

/* ---- uring_cmd framing ---- */

FIXTURE(ring) {
	int fd;
	struct st_model m;
	u32 id;
	u8 *in, *out;
};

FIXTURE_SETUP(ring)
{
	if (!st_have_spex())
		SKIP(return, "no " SPEX_DEV);
	self->fd = st_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, st_model_build(&self->m, ST_TINY, 3));
	ASSERT_EQ(0, st_load(self->fd, &self->m, &self->id));
	self->in = calloc(1, self->m.info->input_bytes);
	self->out = calloc(1, self->m.info->output_bytes);
}

FIXTURE_TEARDOWN(ring)
{
	if (self->fd > 0) {
		st_unload(self->fd, self->id);
		close(self->fd);
	}
	free(self->in);
	free(self->out);
	st_model_free(&self->m);
}

static int submit_one(struct io_uring *ring, struct io_uring_sqe *sqe)
{
	struct io_uring_cqe *cqe;
	int res;

	if (io_uring_submit_and_wait(ring, 1) != 1)
		return 1;
	if (io_uring_wait_cqe(ring, &cqe))
		return 1;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

TEST_F(ring, bad_cmd_op)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct spex_job j;

	ASSERT_EQ(0, st_ring_init(&ring, 4, false));
	st_job(&j, self->id, self->in, self->m.info->input_bytes, self->out,
	       self->m.info->output_bytes, NULL, 0);
	sqe = st_prep_infer(&ring, self->fd, &j, 1);
	sqe->cmd_op = 0x1234;
	EXPECT_EQ(-EOPNOTSUPP, submit_one(&ring, sqe));
	sqe = st_prep_infer(&ring, self->fd, &j, 1);
	sqe->cmd_op = SPEX_IOC_INFER;	/* the ioctl number is not a cmd_op */
	EXPECT_EQ(-EOPNOTSUPP, submit_one(&ring, sqe));
	io_uring_queue_exit(&ring);
}

TEST_F(ring, cmd_area_tail_set)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct spex_job j;

	ASSERT_EQ(0, st_ring_init(&ring, 4, false));
	st_job(&j, self->id, self->in, self->m.info->input_bytes, self->out,
	       self->m.info->output_bytes, NULL, 0);
	sqe = st_prep_infer(&ring, self->fd, &j, 1);
	sqe->cmd[SPEX_URING_CMD_BYTES - 1] = 1;
	EXPECT_EQ(-EINVAL, submit_one(&ring, sqe));
	io_uring_queue_exit(&ring);
}

TEST_F(ring, not_sqe128)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct spex_job j;

	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	st_job(&j, self->id, self->in, self->m.info->input_bytes, self->out,
	       self->m.info->output_bytes, NULL, 0);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, self->fd, NULL, 0, 0);
	sqe->cmd_op = SPEX_URING_CMD_INFER;
	memcpy(sqe->cmd, &j, 16);	/* all a 64-byte SQE holds */
	EXPECT_EQ(-EINVAL, submit_one(&ring, sqe));
	io_uring_queue_exit(&ring);
}

/* One valid job SQE with one field the command does not use set. */
static int submit_with(FIXTURE_DATA(ring) *self, unsigned int setup,
		       void (*set)(struct io_uring_sqe *sqe), bool async)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct spex_job j;
	int ret;

	if (io_uring_queue_init(4, &ring, IORING_SETUP_SQE128 | setup))
		return 1;
	st_job(&j, self->id, self->in, self->m.info->input_bytes, self->out,
	       self->m.info->output_bytes, NULL, 0);
	sqe = st_prep_infer(&ring, self->fd, &j, 1);
	if (set)
		set(sqe);
	if (async)
		sqe->flags |= IOSQE_ASYNC;
	ret = submit_one(&ring, sqe);
	io_uring_queue_exit(&ring);
	return ret;
}

static void s_addr(struct io_uring_sqe *sqe) { sqe->addr = 0x1000; }
static void s_len(struct io_uring_sqe *sqe) { sqe->len = 1; }
static void s_ioprio(struct io_uring_sqe *sqe) { sqe->ioprio = 1; }
static void s_buf_index(struct io_uring_sqe *sqe) { sqe->buf_index = 1; }
static void s_flag_unknown(struct io_uring_sqe *sqe) { sqe->uring_cmd_flags = 1U << 30; }
static void s_tail_first(struct io_uring_sqe *sqe) { sqe->cmd[sizeof(struct spex_job)] = 1; }

TEST_F(ring, valid_inline_and_async)
{
	EXPECT_LE(0, submit_with(self, 0, NULL, false));
	EXPECT_LE(0, submit_with(self, 0, NULL, true));
}

TEST_F(ring, sqe_addr_set)
{
	EXPECT_EQ(-EINVAL, submit_with(self, 0, s_addr, false));
}

TEST_F(ring, sqe_len_set)
{
	EXPECT_EQ(-EINVAL, submit_with(self, 0, s_len, false));
}

TEST_F(ring, sqe_ioprio_set)
{
	EXPECT_EQ(-EINVAL, submit_with(self, 0, s_ioprio, false));
}

TEST_F(ring, sqe_buf_index_set)
{
	EXPECT_EQ(-EINVAL, submit_with(self, 0, s_buf_index, false));
}

TEST_F(ring, uring_cmd_flags_unknown)
{
	EXPECT_EQ(-EINVAL, submit_with(self, 0, s_flag_unknown, false));
	EXPECT_EQ(-EINVAL, submit_with(self, 0, s_flag_unknown, true));
}

TEST_F(ring, cmd_area_first_tail_byte)
{
	EXPECT_EQ(-EINVAL, submit_with(self, 0, s_tail_first, false));
	EXPECT_EQ(-EINVAL, submit_with(self, 0, s_tail_first, true));
}

/* IORING_URING_CMD_FIXED with a registered buffer: the driver refuses */
TEST_F(ring, fixed_flag)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct iovec iov = { .iov_base = self->in,
			     .iov_len = self->m.info->input_bytes };
	struct spex_job j;

	ASSERT_EQ(0, st_ring_init(&ring, 4, false));
	ASSERT_EQ(0, io_uring_register_buffers(&ring, &iov, 1));
	st_job(&j, self->id, self->in, self->m.info->input_bytes, self->out,
	       self->m.info->output_bytes, NULL, 0);
	sqe = st_prep_infer(&ring, self->fd, &j, 1);
	sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
	sqe->buf_index = 0;
	EXPECT_EQ(-EINVAL, submit_one(&ring, sqe));
	io_uring_queue_exit(&ring);
}

TEST_F(ring, iopoll_ring)
{
	EXPECT_EQ(-EOPNOTSUPP, submit_with(self, IORING_SETUP_IOPOLL, NULL,
					   false));
}

/* Close the file and the ring with io-wq jobs still queued: no leak. */
TEST_F(ring, close_with_async_jobs_pending)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct spex_job j;
	int fd = st_open(), i;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, st_ring_init(&ring, 64, false));
	st_job(&j, self->id, self->in, self->m.info->input_bytes, self->out,
	       self->m.info->output_bytes, NULL, 0);
	for (i = 0; i < 64; i++) {
		sqe = st_prep_infer(&ring, fd, &j, i);
		ASSERT_NE(NULL, sqe);
		sqe->flags |= IOSQE_ASYNC;
	}
	EXPECT_EQ(64, io_uring_submit(&ring));
	close(fd);
	io_uring_queue_exit(&ring);
	/* the model is still usable and unloads */
	EXPECT_LE(0, st_infer(self->fd, self->id, self->in,
			      self->m.info->input_bytes, self->out,
			      self->m.info->output_bytes, NULL, 0));
}

/* ---- LOAD_MODEL ---- */

static u32 spex_info_models(int fd)
{
	struct spex_info info = {};

	if (ioctl(fd, SPEX_IOC_GET_INFO, &info))
		return ~0u;
	return info.n_models;
}

FIXTURE(load) {
	int fd;
	struct st_model m;
	u8 *blob;
	size_t len;
};

FIXTURE_SETUP(load)
{
	if (!st_have_spex())
		SKIP(return, "no " SPEX_DEV);
	self->fd = st_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, st_model_build(&self->m, ST_MNIST, 4));
	self->len = self->m.mg.len;
	self->blob = malloc(self->len);
	memcpy(self->blob, self->m.mg.blob, self->len);
}

FIXTURE_TEARDOWN(load)
{
	if (self->fd > 0)
		close(self->fd);
	free(self->blob);
	st_model_free(&self->m);
}

static int load_raw(int fd, struct spex_load *ld)
{
	return ioctl(fd, SPEX_IOC_LOAD_MODEL, ld) ? -errno : 0;
}

TEST_F(load, truncated_half)
{
	EXPECT_EQ(-EINVAL, st_load_blob(self->fd, self->blob, self->len / 2,
					NULL, NULL));
}

TEST_F(load, truncated_header)
{
	struct spex_load ld;

	EXPECT_EQ(-EINVAL, st_load_blob(self->fd, self->blob, 10, NULL, &ld));
	EXPECT_EQ(SPEX_E_TRUNCATED, ld.status);
}

TEST_F(load, truncated_last_byte)
{
	EXPECT_EQ(-EINVAL, st_load_blob(self->fd, self->blob, self->len - 1,
					NULL, NULL));
}

TEST_F(load, zero_length)
{
	EXPECT_EQ(-EINVAL, st_load_blob(self->fd, self->blob, 0, NULL, NULL));
}

TEST_F(load, null_blob)
{
	EXPECT_EQ(-EFAULT, st_load_blob(self->fd, NULL, self->len, NULL,
					NULL));
}

TEST_F(load, unmapped_blob)
{
	EXPECT_EQ(-EFAULT, st_load_blob(self->fd, (void *)KADDR, self->len,
					NULL, NULL));
}

TEST_F(load, bad_magic)
{
	self->blob[1] ^= 0xff;
	EXPECT_EQ(-EINVAL, st_load_blob(self->fd, self->blob, self->len,
					NULL, NULL));
}

TEST_F(load, bad_crc)
{
	struct spex_load ld;

	self->blob[self->len - 3] ^= 1;
	EXPECT_EQ(-EBADMSG, st_load_blob(self->fd, self->blob, self->len,
					 NULL, &ld));
	EXPECT_EQ(SPEX_E_CRC, ld.status);
}

TEST_F(load, bad_major_version)
{
	struct spex_load ld;

	spex_put_le16(self->blob + 4, SPX_VERSION_MAJOR + 1);
	spex_spx_fix_crc(self->blob, self->len);
	EXPECT_EQ(-EPROTONOSUPPORT, st_load_blob(self->fd, self->blob,
						 self->len, NULL, &ld));
	EXPECT_EQ(SPEX_E_VERSION, ld.status);
}

TEST_F(load, header_reserved_set)
{
	struct spex_load ld;

	self->blob[offsetof(struct spx_file_header, reserved)] = 1;
	spex_spx_fix_crc(self->blob, self->len);
	EXPECT_EQ(-EINVAL, st_load_blob(self->fd, self->blob, self->len,
					NULL, &ld));
	EXPECT_EQ(SPEX_E_HEADER, ld.status);
	EXPECT_EQ(offsetof(struct spx_file_header, reserved), ld.offset);
}

TEST_F(load, file_size_lies)
{
	spex_put_le32(self->blob + offsetof(struct spx_file_header, file_size),
		      (u32)self->len + 64);
	spex_spx_fix_crc(self->blob, self->len);
	EXPECT_EQ(-EINVAL, st_load_blob(self->fd, self->blob, self->len,
					NULL, NULL));
}

TEST_F(load, ioctl_flags_set)
{
	/* 0x1 is SPEX_LOAD_F_ATOMIC now: the lowest unknown bit */
	struct spex_load ld = { .blob = (uintptr_t)self->blob,
				.blob_len = self->len,
				.flags = (SPEX_LOAD_F_ALL << 1) };

	EXPECT_EQ(-EINVAL, load_raw(self->fd, &ld));
}

TEST_F(load, ioctl_reserved_set)
{
	struct spex_load ld = { .blob = (uintptr_t)self->blob,
				.blob_len = self->len };

	ld.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, load_raw(self->fd, &ld));
}

/* Each output field of LOAD must come in 0. */
TEST_F(load, ioctl_out_fields_set)
{
	struct spex_load ld;
	int f;

	for (f = 0; f < 4; f++) {
		memset(&ld, 0, sizeof(ld));
		ld.blob = (uintptr_t)self->blob;
		ld.blob_len = self->len;
		if (f == 0)
			ld.reserved0 = 1;
		else if (f == 1)
			ld.model_id = 1;
		else if (f == 2)
			ld.status = SPEX_E_CRC;
		else
			ld.offset = 4;
		EXPECT_EQ(-EINVAL, load_raw(self->fd, &ld));
	}
}

TEST_F(load, blob_len_u32_max)
{
	struct spex_load ld;

	EXPECT_EQ(-EFBIG, st_load_blob(self->fd, self->blob, 0xffffffffu,
				       NULL, &ld));
	EXPECT_EQ(SPEX_E_LIMIT, ld.status);
	EXPECT_NE(0, ld.msg[0]);
}

/* The blob's last page is PROT_NONE: the copy faults partway. */
TEST_F(load, blob_faults_partway)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t n = (self->len + pg - 1) / pg * pg;
	u8 *p = mmap(NULL, n + pg, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	u32 before, id;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, mprotect(p + n, pg, PROT_NONE));
	/* the blob ends 100 bytes into the PROT_NONE page */
	memcpy(p + n + 100 - self->len, self->blob, self->len - 100);
	before = spex_info_models(self->fd);
	EXPECT_EQ(-EFAULT, st_load_blob(self->fd, p + n + 100 - self->len,
					self->len, &id, NULL));
	EXPECT_EQ(before, spex_info_models(self->fd));
	munmap(p, n + pg);
}

/* Module parameters as limits: write, test, restore. */
static int set_param(const char *name, unsigned long v, unsigned long *old)
{
	char path[128], buf[32];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/spex/parameters/%s", name);
	f = fopen(path, "r+");
	if (!f)
		return -1;
	if (old && fscanf(f, "%lu", old) != 1) {
		fclose(f);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%lu\n", v);
	rewind(f);
	fputs(buf, f);
	return fclose(f);
}

TEST_F(load, oversize_blob)
{
	unsigned long old;

	ASSERT_EQ(0, set_param("max_model_bytes", 1024, &old));
	EXPECT_EQ(-EFBIG, st_load_blob(self->fd, self->blob, self->len, NULL,
				       NULL));
	ASSERT_EQ(0, set_param("max_model_bytes", old, NULL));
}

TEST_F(load, over_memory_budget)
{
	struct spex_load ld;
	unsigned long old;

	ASSERT_EQ(0, set_param("max_model_mem_mb", 0, &old));
	EXPECT_EQ(-E2BIG, st_load_blob(self->fd, self->blob, self->len, NULL,
				       &ld));
	EXPECT_EQ(SPEX_E_BUDGET, ld.status);
	ASSERT_EQ(0, set_param("max_model_mem_mb", old, NULL));
}

TEST_F(load, too_many_models)
{
	struct spex_load ld;
	unsigned long old;
	u32 id;

	ASSERT_EQ(0, st_load_blob(self->fd, self->blob, self->len, &id, NULL));
	ASSERT_EQ(0, set_param("max_models", 1, &old));
	EXPECT_EQ(-ENOSPC, st_load_blob(self->fd, self->blob, self->len, NULL,
					&ld));
	/* the diagnostics say so too */
	EXPECT_EQ(SPEX_E_LIMIT, ld.status);
	EXPECT_NE(NULL, strstr(ld.msg, "max_models"));
	ASSERT_EQ(0, set_param("max_models", old, NULL));
	EXPECT_EQ(0, st_unload(self->fd, id));
}

/* With the job cap param at 0 a job gets EBUSY; restored, it runs. */
static void job_cap_blocks(struct __test_metadata *_metadata,
			   FIXTURE_DATA(load) *self, const char *param)
{
	u8 in[784], out[64];
	unsigned long old;
	u32 id;

	ASSERT_EQ(0, st_load_blob(self->fd, self->blob, self->len, &id, NULL));
	ASSERT_EQ(0, set_param(param, 0, &old));
	st_input(&self->m, 1, in);
	EXPECT_EQ(-EBUSY, st_infer(self->fd, id, in, sizeof(in), out,
				   sizeof(out), NULL, 0));
	ASSERT_EQ(0, set_param(param, old, NULL));
	EXPECT_LE(0, st_infer(self->fd, id, in, sizeof(in), out, sizeof(out),
			      NULL, 0));
	EXPECT_EQ(0, st_unload(self->fd, id));
}

TEST_F(load, jobs_per_file_limit)
{
	job_cap_blocks(_metadata, self, "max_jobs_per_file");
}

TEST_F(load, jobs_per_user_limit)
{
	job_cap_blocks(_metadata, self, "max_jobs_per_user");
}

TEST_F(load, job_macs_cap)
{
	struct spex_load ld;
	unsigned long old;

	ASSERT_EQ(0, set_param("max_job_macs", 1000, &old));
	EXPECT_EQ(-E2BIG, st_load_blob(self->fd, self->blob, self->len, NULL,
				       &ld));
	EXPECT_EQ(SPEX_E_LIMIT, ld.status);
	EXPECT_NE(NULL, strstr(ld.msg, "max_job_macs"));
	EXPECT_EQ(0, ld.model_id);
	ASSERT_EQ(0, set_param("max_job_macs", old, NULL));
}

struct cap_thread {
	int fd;
	u32 id;
	const u8 *in;
	int fails;
};

static void *cap_thread_run(void *arg)
{
	struct cap_thread *c = arg;
	u8 out[64];
	int i;

	for (i = 0; i < 20; i++)
		if (st_infer(c->fd, c->id, c->in, 784, out, sizeof(out), NULL,
			     0) < 0)
			c->fails++;
	return NULL;
}

/*
 * One slot per file, and per user: four threads on one file take turns
 * (they wait, they are not refused), by ioctl.
 */
TEST_F(load, slot_caps_wait)
{
	static const char *const params[] = { "max_slots_per_file",
					      "max_slots_per_user" };
	struct cap_thread c[4];
	pthread_t th[4];
	unsigned long old;
	u8 in[784];
	u32 id;
	int p, i;

	ASSERT_EQ(0, st_load_blob(self->fd, self->blob, self->len, &id, NULL));
	st_input(&self->m, 1, in);
	for (p = 0; p < 2; p++) {
		ASSERT_EQ(0, set_param(params[p], 1, &old));
		for (i = 0; i < 4; i++) {
			c[i] = (struct cap_thread){ .fd = self->fd, .id = id,
						    .in = in };
			ASSERT_EQ(0, pthread_create(&th[i], NULL,
						    cap_thread_run, &c[i]));
		}
		for (i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			EXPECT_EQ(0, c[i].fails);
		}
		ASSERT_EQ(0, set_param(params[p], old, NULL));
	}
	EXPECT_EQ(0, st_unload(self->fd, id));
}

/* Layers whose weights alias: rejected, with where and why. */
TEST_F(load, weights_alias)
{
	u32 data = 0, layers = 0, n = spex_le32(self->blob + 16);
	u32 t = spex_le32(self->blob + 20), i;
	struct spex_load ld;

	for (i = 0; i < n; i++) {
		u32 type = spex_le32(self->blob + t + 16 * i);

		if (type == SPX_SEC_DATA)
			data = spex_le32(self->blob + t + 16 * i + 4);
		if (type == SPX_SEC_LAYERS)
			layers = spex_le32(self->blob + t + 16 * i + 4);
	}
	ASSERT_NE(0, data);
	ASSERT_NE(0, layers);
	/* layer 0's bias at DATA + 0, where its weights are */
	spex_put_le32(self->blob + layers + 52, 0);
	spex_spx_fix_crc(self->blob, self->len);
	EXPECT_EQ(-EINVAL, st_load_blob(self->fd, self->blob, self->len, NULL,
					&ld));
	EXPECT_EQ(SPEX_E_RANGE, ld.status);
	EXPECT_NE(NULL, strstr(ld.msg, "overlaps"));
}

/* ---- the other ioctls ---- */

FIXTURE(ioc) {
	int fd;
	struct st_model m;
	u32 id;
};

FIXTURE_SETUP(ioc)
{
	if (!st_have_spex())
		SKIP(return, "no " SPEX_DEV);
	self->fd = st_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, st_model_build(&self->m, ST_MNIST, 5));
	ASSERT_EQ(0, st_load(self->fd, &self->m, &self->id));
}

FIXTURE_TEARDOWN(ioc)
{
	if (self->fd > 0) {
		st_unload(self->fd, self->id);
		close(self->fd);
	}
	st_model_free(&self->m);
}

#define EXPECT_IOC_ERR(err, cmd, arg) do {				\
	EXPECT_EQ(-1, ioctl(self->fd, cmd, arg));			\
	EXPECT_EQ(err, errno);						\
} while (0)

TEST_F(ioc, unknown_ioctl)
{
	EXPECT_IOC_ERR(ENOTTY, _IOWR(SPEX_IOC_MAGIC, 0x3f, struct spex_job),
		       NULL);
}

TEST_F(ioc, infer_with_wrong_size)
{
	struct spex_job j = {};

	EXPECT_IOC_ERR(ENOTTY, _IOWR(SPEX_IOC_MAGIC, 0x06, __u64), &j);
}

TEST_F(ioc, get_info_flags)
{
	struct spex_info info = { .flags = 1 };

	EXPECT_IOC_ERR(EINVAL, SPEX_IOC_GET_INFO, &info);
}

TEST_F(ioc, get_info_bad_ptr)
{
	EXPECT_IOC_ERR(EFAULT, SPEX_IOC_GET_INFO, (void *)KADDR);
}

TEST_F(ioc, infer_bad_ptr)
{
	EXPECT_IOC_ERR(EFAULT, SPEX_IOC_INFER, (void *)16);
}

TEST_F(ioc, unload_flags)
{
	struct spex_unload ul = { .model_id = self->id, .flags = 2 };

	EXPECT_IOC_ERR(EINVAL, SPEX_IOC_UNLOAD_MODEL, &ul);
}

TEST_F(ioc, unload_unknown)
{
	struct spex_unload ul = { .model_id = 0x7ffffff1 };

	EXPECT_IOC_ERR(ENOENT, SPEX_IOC_UNLOAD_MODEL, &ul);
}

TEST_F(ioc, list_reserved)
{
	struct spex_list ls = { .reserved = { 0, 5 } };

	EXPECT_IOC_ERR(EINVAL, SPEX_IOC_LIST_MODELS, &ls);
}

TEST_F(ioc, list_bad_ids)
{
	struct spex_list ls = { .ids = KADDR, .capacity = 4 };

	EXPECT_IOC_ERR(EFAULT, SPEX_IOC_LIST_MODELS, &ls);
}

TEST_F(ioc, model_info_flags)
{
	struct spex_model_desc d = { .model_id = self->id, .flags = 1 };

	EXPECT_IOC_ERR(EINVAL, SPEX_IOC_MODEL_INFO, &d);
}

TEST_F(ioc, model_info_unknown)
{
	struct spex_model_desc d = { .model_id = 0x7ffffff2 };

	EXPECT_IOC_ERR(ENOENT, SPEX_IOC_MODEL_INFO, &d);
}

TEST_F(ioc, model_info_cap_without_ptr)
{
	struct spex_model_desc d = { .model_id = self->id, .layers_cap = 4 };

	EXPECT_IOC_ERR(EINVAL, SPEX_IOC_MODEL_INFO, &d);
}

TEST_F(ioc, model_info_bad_layers_ptr)
{
	struct spex_model_desc d = { .model_id = self->id, .layers = KADDR,
				     .layers_cap = 4 };

	EXPECT_IOC_ERR(EFAULT, SPEX_IOC_MODEL_INFO, &d);
}

TEST_F(ioc, policy_bad_mode)
{
	struct spex_policy pol = { .mode = 3 };

	EXPECT_EQ(-EINVAL, st_set_policy(self->fd, self->id, &pol));
}

TEST_F(ioc, policy_threshold_count)
{
	struct spex_policy pol = { .n_thresholds = 5 };

	EXPECT_EQ(-EINVAL, st_set_policy(self->fd, self->id, &pol));
}

TEST_F(ioc, policy_threshold_over_one)
{
	struct spex_policy pol = { .n_thresholds = 2,
				   .threshold_q16 = { SPX_Q16_ONE + 1, 0 } };

	EXPECT_EQ(-EINVAL, st_set_policy(self->fd, self->id, &pol));
}

TEST_F(ioc, policy_reserved)
{
	/* the old reserved words: a net mode without a deadline, an
	 * unknown one, a deadline without a mode */
	struct spex_policy pol = { .net_mode = SPEX_NET_DEADLINE };

	EXPECT_EQ(-EINVAL, st_set_policy(self->fd, self->id, &pol));
	pol.net_mode = SPEX_NET_ADAPTIVE + 1;
	pol.deadline_us = 30000;
	EXPECT_EQ(-EINVAL, st_set_policy(self->fd, self->id, &pol));
	pol.net_mode = SPEX_NET_CONFIDENCE;
	EXPECT_EQ(-EINVAL, st_set_policy(self->fd, self->id, &pol));
}

TEST_F(ioc, set_policy_reserved)
{
	struct spex_set_policy sp = { .model_id = self->id, .reserved = 1 };

	EXPECT_IOC_ERR(EINVAL, SPEX_IOC_SET_POLICY, &sp);
}

TEST_F(ioc, policy_unknown_model)
{
	struct spex_policy pol = {};

	EXPECT_EQ(-ENOENT, st_set_policy(self->fd, 0x7ffffff3, &pol));
}

struct uffd_job {
	int fd;
	struct spex_job j;
	int ret;
};

static void *uffd_job_run(void *arg)
{
	struct uffd_job *u = arg;

	u->ret = ioctl(u->fd, SPEX_IOC_INFER, &u->j) ? -errno : 0;
	return NULL;
}

/*
 * A job whose input page faults into userfaultfd and stays there: the
 * model still unloads (the job holds neither its slot nor the model while
 * it copies), and the job, once the fault is served, finds it gone.
 */
TEST_F(ioc, unload_while_job_blocked_in_fault)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct uffdio_zeropage zp;
	struct uffd_msg msg;
	struct pollfd pfd;
	struct uffd_job u;
	pthread_t th;
	u32 id;
	u8 *p;
	int uffd;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		SKIP(return, "no userfaultfd");
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	p = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	reg.range.start = (uintptr_t)p;
	reg.range.len = pg;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));
	ASSERT_EQ(0, st_load(self->fd, &self->m, &id));

	u.fd = self->fd;
	st_job(&u.j, id, p, self->m.info->input_bytes, NULL, 0, NULL, 0);
	u.j.output = (uintptr_t)malloc(self->m.info->output_bytes);
	u.j.output_len = self->m.info->output_bytes;
	ASSERT_EQ(0, pthread_create(&th, NULL, uffd_job_run, &u));
	/* the job is in the fault once userfaultfd reports it */
	pfd.fd = uffd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, -1));
	ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
	EXPECT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	EXPECT_EQ(0, st_unload(self->fd, id));
	zp.range.start = (uintptr_t)p;
	zp.range.len = pg;
	zp.mode = 0;
	EXPECT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zp));
	pthread_join(th, NULL);
	EXPECT_EQ(-ENOENT, u.ret);
	free((void *)(uintptr_t)u.j.output);
	munmap(p, pg);
	close(uffd);
}

/* Every ioctl number with a wrong size is unknown. */
TEST_F(ioc, wrong_size_every_ioctl)
{
	static const unsigned int nr[] = { 0x00, 0x01, 0x02, 0x03, 0x04,
					   0x05, 0x06 };
	u8 arg[512] = {};
	unsigned int i;

	for (i = 0; i < sizeof(nr) / sizeof(nr[0]); i++) {
		EXPECT_IOC_ERR(ENOTTY, _IOC(_IOC_READ | _IOC_WRITE,
					    SPEX_IOC_MAGIC, nr[i], 8), arg);
		EXPECT_IOC_ERR(ENOTTY, _IOC(_IOC_READ | _IOC_WRITE,
					    SPEX_IOC_MAGIC, nr[i], 400), arg);
		EXPECT_IOC_ERR(ENOTTY, _IOC(_IOC_NONE, SPEX_IOC_MAGIC, nr[i],
					    0), arg);
	}
}

TEST_F(ioc, get_info_every_reserved)
{
	struct spex_info info;
	int r;

	for (r = 0; r < 4; r++) {
		memset(&info, 0, sizeof(info));
		info.reserved[r] = 1;
		EXPECT_IOC_ERR(EINVAL, SPEX_IOC_GET_INFO, &info);
	}
}

TEST_F(ioc, list_every_reserved_and_count)
{
	struct spex_list ls = { .reserved = { 7, 0 } };

	EXPECT_IOC_ERR(EINVAL, SPEX_IOC_LIST_MODELS, &ls);
	memset(&ls, 0, sizeof(ls));
	ls.count = 1;		/* out only */
	EXPECT_IOC_ERR(EINVAL, SPEX_IOC_LIST_MODELS, &ls);
}

TEST_F(ioc, list_capacity_without_buffer)
{
	struct spex_list ls = { .capacity = 4 };

	EXPECT_IOC_ERR(EINVAL, SPEX_IOC_LIST_MODELS, &ls);
}

TEST_F(ioc, model_info_every_reserved)
{
	struct spex_model_desc d;
	int r;

	for (r = 0; r < 5; r++) {
		memset(&d, 0, sizeof(d));
		d.model_id = self->id;
		if (r == 4)
			d.reserved0 = 1;
		else
			d.reserved[r] = 1;
		EXPECT_IOC_ERR(EINVAL, SPEX_IOC_MODEL_INFO, &d);
	}
}

TEST_F(ioc, unload_reserved)
{
	struct spex_unload ul = { .model_id = self->id, .reserved = 1 };

	EXPECT_IOC_ERR(EINVAL, SPEX_IOC_UNLOAD_MODEL, &ul);
}

TEST_F(ioc, set_policy_flags)
{
	struct spex_set_policy sp = { .model_id = self->id, .flags = 1 };

	EXPECT_IOC_ERR(EINVAL, SPEX_IOC_SET_POLICY, &sp);
}

TEST_F(ioc, policy_rttvar_k_over_max)
{
	struct spex_policy pol = { .net_mode = SPEX_NET_DEADLINE,
				   .rttvar_k = SPEX_NET_MAX_K + 1,
				   .deadline_us = 30000 };

	EXPECT_EQ(-EINVAL, st_set_policy(self->fd, self->id, &pol));
}

/* ST_MNIST has 2 exits: a threshold for a third is refused */
TEST_F(ioc, policy_threshold_beyond_count)
{
	struct spex_policy pol = { .n_thresholds = 2,
				   .threshold_q16 = { 1, 2, 3 } };

	EXPECT_EQ(-EINVAL, st_set_policy(self->fd, self->id, &pol));
	pol.n_thresholds = 0;
	pol.threshold_q16[0] = pol.threshold_q16[1] = 0;
	EXPECT_EQ(-EINVAL, st_set_policy(self->fd, self->id, &pol));
}

TEST_F(ioc, force_local_head_without_exits)
{
	struct spex_policy pol = { .mode = SPEX_MODE_FORCE_LOCAL };
	struct mg_spec s;
	struct mg_model mm;
	u32 id;

	mg_spec_mnist_head(&s, 9);
	s.n_exits = 0;
	ASSERT_EQ(0, mg_build(&s, &mm));
	ASSERT_EQ(0, st_load_blob(self->fd, mm.blob, mm.len, &id, NULL));
	EXPECT_EQ(-EINVAL, st_set_policy(self->fd, id, &pol));
	pol.mode = SPEX_MODE_AUTO;
	EXPECT_EQ(0, st_set_policy(self->fd, id, &pol));
	EXPECT_EQ(0, st_unload(self->fd, id));
	mg_free(&mm);
}

TEST_HARNESS_MAIN
