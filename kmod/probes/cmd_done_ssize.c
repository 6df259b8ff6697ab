// SPDX-License-Identifier: GPL-2.0
/* Probe: io_uring_cmd_done(cmd, ret, ssize_t res2, issue_flags). */
#ifdef SPEX_HAVE_IO_URING_CMD_H
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif

void (*spex_probe)(struct io_uring_cmd *, ssize_t, ssize_t, unsigned int);
void (*spex_probe)(struct io_uring_cmd *, ssize_t, ssize_t, unsigned int) =
	io_uring_cmd_done;
