// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: 8 threads x 10,000 jobs (half by ioctl, half by batched
 * uring_cmd) on two models, while another thread keeps loading and
 * unloading the second model and the main thread closes two of the
 * workers' files with jobs in flight. Every job must complete exactly
 * once: with the right result, or with an error (ENOENT for the unloaded
 * model, EBADF once its file is closed). The kernel log must stay clean.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "spex_st.h"

#define N_THREADS	8
#define N_JOBS_MAX	10000
#define N_INPUTS	16

/* Jobs per thread: 10,000, or fewer from SPEX_STRESS_JOBS (debugging). */
static u32 N_JOBS = N_JOBS_MAX;
#define URING_BATCH	16

struct stress {
	struct st_model m[2];
	_Atomic u32 id[2];		/* id[1] is 0 while unloaded */
	u8 in[2][N_INPUTS][64];
	int want[2][N_INPUTS];		/* the result word */
	atomic_int done_workers;
	atomic_int started;
	int fds[N_THREADS];
};

struct worker {
	struct stress *s;
	int idx;
	int fd;
	atomic_uint progress;		/* jobs completed so far */
	/* outcomes */
	u8 seen[N_JOBS_MAX];
	long ok, wrong, enoent, ebadf, other, dup, missing;
};

static void account(struct worker *w, u32 job, int model, int in, int r)
{
	atomic_fetch_add(&w->progress, 1);
	if (w->seen[job]++) {
		w->dup++;
		return;
	}
	if (r >= 0)
		(r == w->s->want[model][in]) ? w->ok++ : w->wrong++;
	else if (r == -ENOENT)
		w->enoent++;
	else if (r == -EBADF)
		w->ebadf++;
	else
		w->other++;
}

static void pick(struct worker *w, u32 job, int *model, int *in, u32 *id)
{
	*model = (job + w->idx) % 4 == 0;	/* a quarter on the churned one */
	*in = (job * 7 + w->idx) % N_INPUTS;
	*id = atomic_load(&w->s->id[*model]);
	if (!*id)
		*id = 0x7ffffffe;		/* unloaded: ENOENT */
}

static void *ioctl_worker(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	u8 out[64];
	u32 j, id;
	int model, in, r;

	atomic_fetch_add(&s->started, 1);
	for (j = 0; j < N_JOBS; j++) {
		pick(w, j, &model, &in, &id);
		r = st_infer(w->fd, id, s->in[model][in],
			     s->m[model].info->input_bytes, out, sizeof(out),
			     NULL, 0);
		/* The id may have been reused by a reload: same model. */
		account(w, j, model, in, r);
	}
	atomic_fetch_add(&s->done_workers, 1);
	return NULL;
}

static void *uring_worker(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	static __thread u8 out[URING_BATCH][64];
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct spex_job job;
	u32 j = 0, k, n, id;
	int model, in;

	if (st_ring_init(&ring, URING_BATCH, false))
		return NULL;
	atomic_fetch_add(&s->started, 1);
	while (j < N_JOBS) {
		n = N_JOBS - j < URING_BATCH ? N_JOBS - j : URING_BATCH;
		for (k = 0; k < n; k++) {
			pick(w, j + k, &model, &in, &id);
			st_job(&job, id, s->in[model][in],
			       s->m[model].info->input_bytes, out[k],
			       sizeof(out[k]), NULL, 0);
			st_prep_infer(&ring, w->fd, &job,
				      ((u64)(j + k) << 8) | (model << 7) | in);
		}
		if (io_uring_submit(&ring) != (int)n)
			break;
		for (k = 0; k < n; k++) {
			/* A lost CQE fails the test ("missing"), not hangs it. */
			struct __kernel_timespec ts = { .tv_sec = 60 };
			u64 ud;

			if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts))
				goto out;
			ud = io_uring_cqe_get_data64(cqe);
			if ((ud >> 8) < N_JOBS)
				account(w, ud >> 8, (ud >> 7) & 1, ud & 0x7f,
					cqe->res);
			io_uring_cqe_seen(&ring, cqe);
		}
		j += n;
	}
out:
	io_uring_queue_exit(&ring);
	atomic_fetch_add(&s->done_workers, 1);
	return NULL;
}

static void *churn(void *arg)
{
	struct stress *s = arg;
	int fd = st_open();
	long loads = 0, unloads = 0, busy = 0;
	u32 id;

	while (atomic_load(&s->done_workers) < N_THREADS) {
		if (st_load(fd, &s->m[1], &id) == 0) {
			loads++;
			atomic_store(&s->id[1], id);
		}
		usleep(2000);
		atomic_store(&s->id[1], 0);
		/* Waits for the jobs in flight on it. */
		if (st_unload(fd, id) == 0)
			unloads++;
		else
			busy++;
		/* Attempts on ids that are gone or never were. */
		if (st_unload(fd, id) != -ENOENT)
			busy++;
		usleep(500);
	}
	close(fd);
	fprintf(stderr, "# churn: %ld loads, %ld unloads, %ld unexpected\n",
		loads, unloads, busy);
	return (void *)busy;
}

FIXTURE(stress) {
	int unused;
};

FIXTURE_SETUP(stress)
{
}

FIXTURE_TEARDOWN(stress)
{
}

/* Under TCG emulation 80,000 jobs take a while: allow 10 minutes. */
TEST_F_TIMEOUT(stress, jobs_8x10000, 600)
{
	struct stress *s = calloc(1, sizeof(*s));
	struct worker *w = calloc(N_THREADS, sizeof(*w));
	pthread_t th[N_THREADS], ch;
	long total = 0, ok = 0, enoent = 0, ebadf = 0;
	void *churn_bad;
	int fd, t, m, i;

	if (!st_have_spex())
		SKIP(return, "no " SPEX_DEV);
	ASSERT_TRUE(s && w);
	if (getenv("SPEX_STRESS_JOBS")) {
		N_JOBS = strtoul(getenv("SPEX_STRESS_JOBS"), NULL, 0);
		if (!N_JOBS || N_JOBS > N_JOBS_MAX)
			N_JOBS = N_JOBS_MAX;
	}
	fd = st_open();
	ASSERT_LE(0, fd);
	for (m = 0; m < 2; m++) {
		ASSERT_EQ(0, st_model_build(&s->m[m], ST_TINY, 100 + m));
		ASSERT_GE(64, s->m[m].info->input_bytes);
		ASSERT_GE(64, s->m[m].info->output_bytes);
		for (i = 0; i < N_INPUTS; i++) {
			struct spex_result res;
			u8 out[64];

			st_input(&s->m[m], 7 * i + m, s->in[m][i]);
			ASSERT_EQ(SPEX_OK, st_user_run(&s->m[m], NULL,
						       s->in[m][i], out, &res));
			s->want[m][i] = st_res_word(&res);
		}
	}
	{
		u32 id0;

		ASSERT_EQ(0, st_load(fd, &s->m[0], &id0));
		atomic_store(&s->id[0], id0);
	}

	for (t = 0; t < N_THREADS; t++) {
		w[t].s = s;
		w[t].idx = t;
		w[t].fd = st_open();
		ASSERT_LE(0, w[t].fd);
		ASSERT_EQ(0, pthread_create(&th[t], NULL,
					    t < N_THREADS / 2 ? ioctl_worker :
					    uring_worker, &w[t]));
	}
	ASSERT_EQ(0, pthread_create(&ch, NULL, churn, s));

	/* Close one ioctl worker's and one uring worker's file while
	 * their jobs are in flight. */
	while (atomic_load(&w[1].progress) < N_JOBS / 3 ||
	       atomic_load(&w[N_THREADS - 1].progress) < N_JOBS / 3)
		usleep(1000);
	close(w[1].fd);
	close(w[N_THREADS - 1].fd);

	for (t = 0; t < N_THREADS; t++)
		pthread_join(th[t], NULL);
	pthread_join(ch, &churn_bad);
	EXPECT_EQ(0, (long)churn_bad);

	for (t = 0; t < N_THREADS; t++) {
		long n = 0;

		for (i = 0; i < N_JOBS; i++)
			n += w[t].seen[i] == 1;
		w[t].missing = N_JOBS - n;
		TH_LOG("worker %d (%s): %ld ok, %ld ENOENT, %ld EBADF, %ld wrong, %ld other, %ld dup, %ld missing",
		       t, t < N_THREADS / 2 ? "ioctl" : "uring", w[t].ok,
		       w[t].enoent, w[t].ebadf, w[t].wrong, w[t].other,
		       w[t].dup, w[t].missing);
		EXPECT_EQ(0, w[t].wrong);
		EXPECT_EQ(0, w[t].other);
		EXPECT_EQ(0, w[t].dup);
		EXPECT_EQ(0, w[t].missing);
		EXPECT_EQ(N_JOBS, w[t].ok + w[t].enoent + w[t].ebadf);
		if (t != 1 && t != N_THREADS - 1)
			EXPECT_EQ(0, w[t].ebadf);
		total += w[t].ok + w[t].enoent + w[t].ebadf;
		ok += w[t].ok;
		enoent += w[t].enoent;
		ebadf += w[t].ebadf;
		if (t != 1 && t != N_THREADS - 1)
			close(w[t].fd);
	}
	EXPECT_EQ((long)N_THREADS * N_JOBS, total);
	TH_LOG("%ld jobs: %ld ok, %ld ENOENT, %ld EBADF", total, ok, enoent,
	       ebadf);

	EXPECT_EQ(0, st_unload(fd, atomic_load(&s->id[0])));
	close(fd);
	for (m = 0; m < 2; m++)
		st_model_free(&s->m[m]);
	free(w);
	free(s);
}

TEST_HARNESS_MAIN
