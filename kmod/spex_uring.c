// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring IORING_OP_URING_CMD on /dev/spex.
 *
 * The job descriptor sits in the SQE128 command area, so a submission
 * needs no extra copy from user memory. The job runs in the issuing
 * task, inside ->uring_cmd: its cost is compute, not waiting, so there is
 * nothing to gain by completing it elsewhere. In a non-blocking issue a
 * job that would wait for a scratch slot returns -EAGAIN and io_uring
 * retries it from a worker that may block. Batches of many SQEs in one
 * io_uring_enter() run back to back with no syscall between them.
 *
 * What the command does not use must be zero: the SQE's addr, len,
 * ioprio and buf_index (where the kernel lets the driver see them, see
 * spex_uring_sqe()), every uring_cmd_flags bit (IORING_URING_CMD_FIXED
 * included) and the command area past struct spex_job: EINVAL. An IOPOLL
 * ring gets EOPNOTSUPP: a job is compute, there is nothing to poll.
 * Cancellation: a command never stays queued in the driver; the only
 * wait, for a scratch slot, ends on a fatal signal (io-wq exit).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/string.h>

#include "spex_compat.h"
#include "spex_internal.h"

int spex_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	struct spex_file *sf = cmd->file->private_data;
	const struct io_uring_sqe *sqe = spex_uring_sqe(cmd);
	u8 area[SPEX_URING_CMD_BYTES];
	struct spex_job job;
	u64 res2 = 0;
	int ret;

	if (cmd->cmd_op != SPEX_URING_CMD_INFER)
		return -EOPNOTSUPP;
	if (issue_flags & IO_URING_F_IOPOLL)
		return -EOPNOTSUPP;
	if (!(issue_flags & IO_URING_F_SQE128))
		return -EINVAL;
	if (cmd->flags)		/* IORING_URING_CMD_FIXED: not supported */
		return -EINVAL;
	if (sqe && (READ_ONCE(sqe->addr) || READ_ONCE(sqe->len) ||
		    READ_ONCE(sqe->ioprio) || READ_ONCE(sqe->buf_index)))
		return -EINVAL;

	/* One copy: userspace may rewrite the SQ ring meanwhile. */
	memcpy(area, spex_uring_cmd_area(cmd), sizeof(area));
	if (memchr_inv(area + sizeof(job), 0, sizeof(area) - sizeof(job)))
		return -EINVAL;
	memcpy(&job, area, sizeof(job));

	ret = spex_job_user(sf, &job, issue_flags & IO_URING_F_NONBLOCK,
			    &res2);
	if (ret == -EAGAIN && (issue_flags & IO_URING_F_NONBLOCK))
		return -EAGAIN;
	return spex_uring_cmd_complete(cmd, ret, res2, issue_flags);
}
