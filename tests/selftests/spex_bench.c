// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel-module benchmark, run in the QEMU guest by scripts/bench-vm.sh
 * (make bench-kmod): time per job and jobs per second for ioctl INFER,
 * uring_cmd INFER (batch SQEs per io_uring_enter), IORING_OP_NOP (the
 * floor of io_uring itself) and the userspace core, at batch 1, 8 and 64,
 * on a tiny head (dispatch-bound) and an MNIST-sized head. Under TCG the
 * absolute numbers are emulated; only ratios side by side mean anything.
 *
 *   spex_bench [SECONDS_PER_CELL]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "clock.h"
#include "spex_st.h"

#define MAX_BATCH	64

struct cell {
	struct st_model *m;
	int fd;
	u32 id;
	u8 *in, *out;
	struct io_uring ring;
};

/* Run batches until budget seconds pass; returns jobs per second. */
static double run(struct cell *c, const char *how, u32 batch, double budget)
{
	u32 in_len = c->m->info->input_bytes, out_len = c->m->info->output_bytes;
	double t0 = now_s(), t;
	long jobs = 0;
	u32 k;

	do {
		if (!strcmp(how, "ioctl")) {
			for (k = 0; k < batch; k++)
				if (st_infer(c->fd, c->id, c->in + k * in_len,
					     in_len, c->out + k * out_len,
					     out_len, NULL, 0) < 0)
					return -1;
		} else if (!strcmp(how, "uring_cmd") || !strcmp(how, "nop")) {
			struct io_uring_cqe *cqe;
			struct spex_job job;

			for (k = 0; k < batch; k++) {
				if (how[0] == 'n') {
					io_uring_prep_nop(io_uring_get_sqe(&c->ring));
					continue;
				}
				st_job(&job, c->id, c->in + k * in_len, in_len,
				       c->out + k * out_len, out_len, NULL, 0);
				st_prep_infer(&c->ring, c->fd, &job, k);
			}
			if (io_uring_submit_and_wait(&c->ring, batch) != (int)batch)
				return -1;
			for (k = 0; k < batch; k++) {
				if (io_uring_wait_cqe(&c->ring, &cqe) || cqe->res < 0)
					return -1;
				io_uring_cqe_seen(&c->ring, cqe);
			}
		} else {
			struct spex_result res;

			for (k = 0; k < batch; k++)
				if (spex_run(c->m->um, NULL, NULL, c->m->scratch,
					     c->in + k * in_len, in_len,
					     c->out + k * out_len, out_len,
					     &res) != SPEX_OK)
					return -1;
		}
		jobs += batch;
		t = now_s() - t0;
	} while (t < budget);
	return jobs / t;
}

int main(int argc, char **argv)
{
	static const char *const hows[] = { "ioctl", "uring_cmd", "nop", "user" };
	static const u32 batches[] = { 1, 8, 64 };
	static const enum st_model_kind kinds[] = { ST_TINY, ST_MNIST };
	double budget = argc > 1 ? atof(argv[1]) : 0.5;
	struct spex_info info = {};
	unsigned int h, b, mk;
	struct st_model m;
	struct cell c;

	c.fd = st_open();
	if (c.fd < 0) {
		fprintf(stderr, "spex_bench: %s: %s\n", SPEX_DEV, strerror(-c.fd));
		return 1;
	}
	ioctl(c.fd, SPEX_IOC_GET_INFO, &info);
	printf("# kernel kernels=%s, userspace kernels=%s, %.2f s per cell\n",
	       info.kernels, spex_kernels_impl_name(spex_kernels_best()), budget);
	printf("%-6s %-10s %5s %12s %10s %9s\n", "model", "path", "batch",
	       "jobs/s", "us/job", "vs ioctl");
	for (mk = 0; mk < 2; mk++) {
		if (st_model_build(&m, kinds[mk], 7) || st_load(c.fd, &m, &c.id))
			return 1;
		c.m = &m;
		c.in = calloc(MAX_BATCH, m.info->input_bytes);
		c.out = calloc(MAX_BATCH, m.info->output_bytes);
		for (b = 0; b < MAX_BATCH; b++)
			st_input(&m, b, c.in + b * m.info->input_bytes);
		if (st_ring_init(&c.ring, MAX_BATCH, false))
			return 1;
		for (b = 0; b < 3; b++) {
			double base = 0;

			for (h = 0; h < 4; h++) {
				double jps = run(&c, hows[h], batches[b], budget);

				if (h == 0)
					base = jps;
				printf("%-6s %-10s %5u %12.0f %10.2f %8.2fx\n",
				       st_kind_name(kinds[mk]), hows[h],
				       batches[b], jps, 1e6 / jps, jps / base);
			}
		}
		io_uring_queue_exit(&c.ring);
		st_unload(c.fd, c.id);
		free(c.in);
		free(c.out);
		st_model_free(&m);
	}
	return 0;
}
