/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The companion test module's interface (tests/kapi/spex_kapi_test.c):
 * /dev/spex_kapi_test runs a batch of jobs through spex.ko's in-kernel
 * API from a workqueue, so the selftests can compare its results with
 * the ioctl path.
 */
#ifndef SPEX_KAPI_TEST_H
#define SPEX_KAPI_TEST_H

#include <linux/ioctl.h>
#include <linux/types.h>

enum spex_kapi_mode {
	SPEX_KAPI_SYNC	= 0,	/* spex_submit() in a work item */
	SPEX_KAPI_ASYNC	= 1,	/* spex_submit_async() from a work item */
	SPEX_KAPI_ATOMIC = 2,	/* spex_submit_atomic() from a timer
				 * (softirq), one job per expiry; an
				 * error -EDOM: not run in softirq */
};

struct spex_kapi_run {
	__u32 model_id;
	__u32 count;		/* jobs, at most SPEX_KAPI_MAX_JOBS */
	__u32 in_len;		/* bytes of each input */
	__u32 out_len;		/* bytes of each output */
	__u32 mode;		/* enum spex_kapi_mode */
	__u32 flags;		/* SPEX_JOB_F_* */
	__u64 inputs;		/* count x in_len */
	__u64 outputs;		/* count x out_len */
	__u64 results;		/* count x struct spex_result */
	__u64 errors;		/* count x __s32: 0 or -errno */
};

#define SPEX_KAPI_MAX_JOBS	1024
#define SPEX_KAPI_IOC_RUN	_IOW(0xB8, 0x80, struct spex_kapi_run)

#endif /* SPEX_KAPI_TEST_H */
