// SPDX-License-Identifier: GPL-2.0
/* Probe: struct io_uring_cmd is in <linux/io_uring/cmd.h>. */
#include <linux/io_uring/cmd.h>

int spex_probe(struct io_uring_cmd *cmd);
int spex_probe(struct io_uring_cmd *cmd)
{
	return cmd->cmd_op;
}
