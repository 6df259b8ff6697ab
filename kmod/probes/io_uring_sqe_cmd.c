// SPDX-License-Identifier: GPL-2.0
/* Probe: io_uring_sqe_cmd() and io_uring_cmd.sqe. */
#ifdef SPEX_HAVE_IO_URING_CMD_H
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif

const void *spex_probe(struct io_uring_cmd *cmd);
const void *spex_probe(struct io_uring_cmd *cmd)
{
	return io_uring_sqe_cmd(cmd->sqe);
}
