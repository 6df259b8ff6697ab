// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The job side of the spex-trace tests (tests/bpf/run-in-guest.sh): loads
 * test models into /dev/spex, runs jobs with a chosen policy and prints
 * what the bpf maps must then hold, summed from the jobs' own results;
 * and a batch benchmark for the tracing overhead.
 *
 *   trace_jobs load                       ids of a fresh mnist and tiny head
 *   trace_jobs run ID N auto|exit0|local|offload
 *                                         one JSON line: the sums of N jobs
 *   trace_jobs stats ID                   the module's counters (MODEL_INFO)
 *   trace_jobs bench ID SECONDS BATCH     jobs/s through io_uring
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <liburing.h>

#include <spex/engine.h>
#include "clock.h"
#include "modelgen.h"

static int dev(void)
{
	int fd = open("/dev/spex", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror("/dev/spex");
		exit(1);
	}
	return fd;
}

static void model_info(int fd, u32 id, struct spex_model_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->model_id = id;
	if (ioctl(fd, SPEX_IOC_MODEL_INFO, d)) {
		perror("MODEL_INFO");
		exit(1);
	}
}

static u32 load(int fd, void (*spec_fn)(struct mg_spec *, u32), u32 seed)
{
	struct spex_load ld = {};
	struct mg_spec spec;
	struct mg_model m;

	spec_fn(&spec, seed);
	if (mg_build(&spec, &m)) {
		fprintf(stderr, "mg_build failed\n");
		exit(1);
	}
	ld.blob = (uintptr_t)m.blob;
	ld.blob_len = (u32)m.len;
	if (ioctl(fd, SPEX_IOC_LOAD_MODEL, &ld)) {
		fprintf(stderr, "LOAD_MODEL: %s (%s)\n", strerror(errno),
			ld.msg);
		exit(1);
	}
	mg_free(&m);
	return ld.model_id;
}

/* Policies with a known outcome: exit0 exits at the first exit (all
 * thresholds 0), offload never exits, local never offloads. */
static void set_policy(int fd, u32 id, const char *mode, u32 n_exits)
{
	struct spex_set_policy sp = { .model_id = id };
	u32 e;

	if (!strcmp(mode, "offload")) {
		sp.policy.mode = SPEX_MODE_FORCE_OFFLOAD;
	} else if (!strcmp(mode, "local")) {
		sp.policy.mode = SPEX_MODE_FORCE_LOCAL;
	} else if (!strcmp(mode, "exit0")) {
		sp.policy.mode = SPEX_MODE_AUTO;
		sp.policy.n_thresholds = n_exits;
		for (e = 0; e < n_exits; e++)
			sp.policy.threshold_q16[e] = 0;
	} else {
		sp.policy.mode = SPEX_MODE_AUTO;	/* the file's thresholds */
	}
	if (ioctl(fd, SPEX_IOC_SET_POLICY, &sp)) {
		perror("SET_POLICY");
		exit(1);
	}
}

/* Any bytes are a valid int8 input: a seeded LCG. */
static void input_for(const struct spex_model_desc *d, u32 seed, u8 *buf)
{
	u32 i, x = seed * 2654435761u + 1;

	for (i = 0; i < d->input_bytes; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (u8)(x >> 16);
	}
}

static int cmd_run(u32 id, long n, const char *mode)
{
	unsigned long long exit_at[SPX_MAX_EXITS] = { 0 };
	unsigned long long jobs = 0, exits = 0, offloads = 0, finals = 0;
	unsigned long long errors = 0, bneck = 0, macs = 0, ns = 0;
	unsigned long long wbytes = 0, abytes = 0;
	unsigned long long layers = 0;
	struct spex_model_desc d;
	struct spex_result res;
	struct spex_job job;
	u8 *in, *out;
	int fd = dev(), r;
	long i;
	u32 e;

	model_info(fd, id, &d);
	set_policy(fd, id, mode, d.n_exits);
	in = calloc(1, d.input_bytes + 1);
	out = calloc(1, d.output_bytes + 1);
	for (i = 0; i < n; i++) {
		input_for(&d, (u32)i, in);
		memset(&job, 0, sizeof(job));
		memset(&res, 0, sizeof(res));
		job.model_id = id;
		job.input = (uintptr_t)in;
		job.input_len = d.input_bytes;
		job.output = (uintptr_t)out;
		job.output_len = d.output_bytes;
		job.result = (uintptr_t)&res;
		r = ioctl(fd, SPEX_IOC_INFER, &job);
		jobs++;
		if (r < 0) {
			errors++;
			continue;
		}
		if (res.decision == SPEX_DECISION_OFFLOAD) {
			offloads++;
			bneck += res.bottleneck_len;
		} else if (res.decision == SPEX_DECISION_FINAL) {
			finals++;
		} else {
			exits++;
			if (res.exit_index < SPX_MAX_EXITS)
				exit_at[res.exit_index]++;
		}
		macs += res.macs;
		wbytes += res.weight_bytes;
		abytes += res.act_bytes;
		ns += res.ns;
		layers += res.layers_run;
	}
	printf("{\"model_id\":%u,\"mode\":\"%s\",\"jobs\":%llu,\"exits\":%llu,"
	       "\"offloads\":%llu,\"finals\":%llu,\"errors\":%llu,"
	       "\"offload_bytes\":%llu,\"macs\":%llu,\"weight_bytes\":%llu,"
	       "\"act_bytes\":%llu,\"bytes\":%llu,\"ns\":%llu,"
	       "\"layers_run\":%llu,\"exit_at\":[",
	       id, mode, jobs, exits, offloads, finals, errors, bneck, macs,
	       wbytes, abytes, wbytes + abytes, ns, layers);
	for (e = 0; e < SPX_MAX_EXITS; e++)
		printf("%s%llu", e ? "," : "", exit_at[e]);
	printf("]}\n");
	free(in);
	free(out);
	close(fd);
	return 0;
}

static int cmd_stats(u32 id)
{
	struct spex_model_desc d;
	int fd = dev();

	model_info(fd, id, &d);
	printf("{\"model_id\":%u,\"name\":\"%.32s\",\"output_bytes\":%u,"
	       "\"jobs\":%llu,\"exits\":%llu,\"offloads\":%llu,"
	       "\"errors\":%llu,\"total_ns\":%llu}\n", id, d.name,
	       d.output_bytes, (unsigned long long)d.jobs,
	       (unsigned long long)d.exits, (unsigned long long)d.offloads,
	       (unsigned long long)d.errors,
	       (unsigned long long)d.total_ns);
	close(fd);
	return 0;
}

/* Batches of SQE128 uring_cmd INFER jobs, for SECONDS. */
static int cmd_bench(u32 id, double secs, unsigned int batch)
{
	struct spex_model_desc d;
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct spex_job job = {};
	unsigned long long done = 0, bad = 0;
	double t0, t;
	u8 *in, *out;
	unsigned int i;
	int fd = dev(), r;

	model_info(fd, id, &d);
	set_policy(fd, id, "auto", d.n_exits);
	in = calloc(1, d.input_bytes + 1);
	out = calloc(1, d.output_bytes + 1);
	input_for(&d, 1, in);
	job.model_id = id;
	job.input = (uintptr_t)in;
	job.input_len = d.input_bytes;
	job.output = (uintptr_t)out;
	job.output_len = d.output_bytes;
	r = io_uring_queue_init(batch, &ring, IORING_SETUP_SQE128);
	if (r) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-r));
		return 1;
	}
	t0 = now_s();
	do {
		for (i = 0; i < batch; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0,
					 0);
			sqe->cmd_op = SPEX_URING_CMD_INFER;
			memset(sqe->cmd, 0, SPEX_URING_CMD_BYTES);
			memcpy(sqe->cmd, &job, sizeof(job));
		}
		r = io_uring_submit_and_wait(&ring, batch);
		if (r < 0) {
			fprintf(stderr, "submit: %s\n", strerror(-r));
			return 1;
		}
		for (i = 0; i < batch; i++) {
			if (io_uring_wait_cqe(&ring, &cqe))
				return 1;
			if (cqe->res < 0)
				bad++;
			io_uring_cqe_seen(&ring, cqe);
		}
		done += batch;
		t = now_s();
	} while (t - t0 < secs);
	printf("{\"model_id\":%u,\"batch\":%u,\"jobs\":%llu,\"errors\":%llu,"
	       "\"seconds\":%.3f,\"jobs_per_s\":%.1f}\n", id, batch, done,
	       bad, t - t0, done / (t - t0));
	io_uring_queue_exit(&ring);
	close(fd);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "load")) {
		int fd = dev();

		printf("%u %u\n", load(fd, mg_spec_mnist_head, 7),
		       load(fd, mg_spec_tiny_head, 3));
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "run"))
		return cmd_run(strtoul(argv[2], NULL, 0),
			       strtol(argv[3], NULL, 0), argv[4]);
	if (argc == 3 && !strcmp(argv[1], "stats"))
		return cmd_stats(strtoul(argv[2], NULL, 0));
	if (argc == 5 && !strcmp(argv[1], "bench"))
		return cmd_bench(strtoul(argv[2], NULL, 0),
				 strtod(argv[3], NULL),
				 strtoul(argv[4], NULL, 0));
	fprintf(stderr, "usage: trace_jobs load | run ID N MODE | stats ID | "
		"bench ID SECONDS BATCH\n");
	return 2;
}
