// SPDX-License-Identifier: GPL-2.0
/* Probe: io_uring_cmd_done(cmd, ret, issue_flags), without res2. */
#ifdef SPEX_HAVE_IO_URING_CMD_H
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif

void spex_probe(struct io_uring_cmd *cmd, unsigned int issue_flags);
void spex_probe(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	io_uring_cmd_done(cmd, 0, issue_flags);
}
