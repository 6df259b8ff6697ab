/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels spex.ko builds for, decided by the
 * compile probes in the top-level Kbuild (kmod/probes/), never by
 * version numbers: Debian backports move APIs between releases.
 */
#ifndef SPEX_COMPAT_H
#define SPEX_COMPAT_H

#ifdef SPEX_HAVE_IO_URING_CMD_H
#include <linux/io_uring/cmd.h>	/* 6.6+: struct io_uring_cmd lives here */
#else
#include <linux/io_uring.h>
#endif
#ifndef SPEX_HAVE_IO_URING_SQE_CMD
#include <linux/io_uring_types.h>	/* 6.1: struct io_kiocb */
#endif

#ifdef SPEX_HAVE_LINUX_FPU_H
#include <linux/fpu.h>
#else
#include <asm/fpu/api.h>
#endif
#include <asm/simd.h>

/* The SQE command area: cmd->cmd (6.1), or inside cmd->sqe (6.6+). */
static inline const void *spex_uring_cmd_area(struct io_uring_cmd *cmd)
{
#ifdef SPEX_HAVE_IO_URING_SQE_CMD
	return io_uring_sqe_cmd(cmd->sqe);
#else
	return cmd->cmd;
#endif
}

/*
 * The whole SQE of a command, to check the fields it does not use; NULL
 * where the driver cannot see them. 6.6+ keeps the SQE (a copy of all of
 * it once the request went async). 6.1 points cmd->cmd into the ring's
 * SQE on the first inline issue, but into a copy of the command area
 * alone once the request has async data (IOSQE_ASYNC, an io-wq retry):
 * then the other fields are gone.
 */
static inline const struct io_uring_sqe *
spex_uring_sqe(struct io_uring_cmd *cmd)
{
#ifdef SPEX_HAVE_IO_URING_SQE_CMD
	return cmd->sqe;
#else
	if (cmd_to_io_kiocb(cmd)->flags & REQ_F_ASYNC_DATA)
		return NULL;
	return container_of((const u8 (*)[])cmd->cmd, struct io_uring_sqe,
			    cmd);
#endif
}

/*
 * Post the CQE of a command from its issue path; returns what ->uring_cmd
 * must return. Errors are returned directly. A result >= 0 always goes
 * through io_uring_cmd_done(): 6.1 loses a positive return value of a
 * command that io-wq retried after -EAGAIN (io_wq_submit_work() completes
 * only errors), so returning it directly would drop the CQE. res2 lands
 * in big_cqe[0] on CQE32 rings. io_uring_cmd_done() took res2 as ssize_t
 * (6.1), as u64 (6.12); later kernels dropped the argument.
 */
static inline int spex_uring_cmd_complete(struct io_uring_cmd *cmd, int res,
					  u64 res2, unsigned int issue_flags)
{
	if (res < 0)
		return res;
#if defined(SPEX_CMD_DONE_RES2_U64) || defined(SPEX_CMD_DONE_RES2_SSIZE)
	io_uring_cmd_done(cmd, res, res2, issue_flags);
#elif defined(SPEX_CMD_DONE_NO_RES2)
	io_uring_cmd_done(cmd, res, issue_flags);
#else
#error "spex: no known io_uring_cmd_done() signature (see kmod/probes/)"
#endif
	return -EIOCBQUEUED;
}

static inline bool spex_have_cqe32_extra(void)
{
#if defined(SPEX_CMD_DONE_RES2_U64) || defined(SPEX_CMD_DONE_RES2_SSIZE)
	return true;
#else
	return false;
#endif
}

#endif /* SPEX_COMPAT_H */
