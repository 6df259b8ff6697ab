// SPDX-License-Identifier: GPL-2.0
/*
 * The spex tracepoints exist in tracefs and fire as documented:
 * spex_job_start, spex_exit_decision and spex_job_end once per job,
 * spex_layer once per computed layer; spex_job_end carries the job's own
 * exit index, bottleneck length and bytes, and a job refused for its
 * lengths ends with its status.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "spex_st.h"

#define N_JOBS	50

/* A clean trace buffer with every spex event on: 0 or -errno. */
static int trace_start(void)
{
	static const char *const steps[][2] = {
		{ "tracing_on", "0" },
		{ "buffer_size_kb", "2048" },
		{ "trace", "" },
		{ "events/spex/enable", "1" },
		{ "tracing_on", "1" },
	};
	unsigned int i;
	int err;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		err = st_trace_write(steps[i][0], steps[i][1]);
		if (err)
			return err;
	}
	return 0;
}

/* Tracing off, the events kept in the buffer: 0 or -errno. */
static int trace_stop(void)
{
	int err = st_trace_write("tracing_on", "0");

	return err ? err : st_trace_write("events/spex/enable", "0");
}

/* What the spex_job_end lines add up to, as the results do. */
struct end_sums {
	long by_exit[SPX_MAX_EXITS + 2]; /* exit= + 1: [0] none, last: bad */
	unsigned long long bottleneck_len, weight_bytes, act_bytes;
	long e_input, e_output, e_other;	/* status= not 0 */
};

static void add_exit(struct end_sums *s, long long exit_index)
{
	if (exit_index < -1 || exit_index >= SPX_MAX_EXITS)
		exit_index = SPX_MAX_EXITS;
	s->by_exit[exit_index + 1]++;
}

/* The number after " NAME=" in a trace line; 0 if absent. */
static long long field(const char *line, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), " %s=", name);
	p = strstr(line, key);
	return p ? strtoll(p + strlen(key), NULL, 10) : 0;
}

/* Count trace lines per event name. */
static void count_events(long *start, long *layer, long *exitd, long *end,
			 struct end_sums *sum)
{
	char path[256], line[512];
	FILE *f;

	*start = *layer = *exitd = *end = 0;
	memset(sum, 0, sizeof(*sum));
	snprintf(path, sizeof(path), "%s/trace", st_tracefs());
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		if (strstr(line, " spex_job_start: ")) {
			(*start)++;
		} else if (strstr(line, " spex_layer: ")) {
			(*layer)++;
		} else if (strstr(line, " spex_exit_decision: ")) {
			(*exitd)++;
		} else if (strstr(line, " spex_job_end: ")) {
			long long st = field(line, "status");

			(*end)++;
			if (st == SPEX_E_INPUT)
				sum->e_input++;
			else if (st == SPEX_E_OUTPUT)
				sum->e_output++;
			else if (st)
				sum->e_other++;
			add_exit(sum, field(line, "exit"));
			sum->bottleneck_len += field(line, "bottleneck_len");
			sum->weight_bytes += field(line, "weight_bytes");
			sum->act_bytes += field(line, "act_bytes");
		}
	}
	fclose(f);
}

TEST(events_exist)
{
	static const char *const ev[] = {
		"spex_job_start", "spex_layer", "spex_exit_decision",
		"spex_job_end",
	};
	char path[256];
	unsigned int i;

	if (!st_have_spex())
		SKIP(return, "no " SPEX_DEV);
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/events/spex/%s/format",
			 st_tracefs(), ev[i]);
		EXPECT_EQ(0, access(path, R_OK)) TH_LOG("%s", path);
	}
}

TEST(fire_once_per_job)
{
	struct st_model m;
	struct spex_result res;
	struct end_sums want = {}, got;
	long start, layer, exitd, end, layers = 0;
	u8 in[1024], out[256];
	int fd, i, r;
	u32 id;

	if (!st_have_spex())
		SKIP(return, "no " SPEX_DEV);
	fd = st_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, st_model_build(&m, ST_MNIST, 21));
	ASSERT_EQ(0, st_load(fd, &m, &id));

	ASSERT_EQ(0, trace_start());
	for (i = 0; i < N_JOBS; i++) {
		st_input(&m, i, in);
		r = st_infer(fd, id, in, m.info->input_bytes, out, sizeof(out),
			     &res, 0);
		ASSERT_LE(0, r);
		layers += res.layers_run;
		add_exit(&want, (int)res.exit_index);
		want.bottleneck_len += res.bottleneck_len;
		want.weight_bytes += res.weight_bytes;
		want.act_bytes += res.act_bytes;
	}
	/* A job refused before it reaches the engine fires nothing. */
	ASSERT_EQ(-EFAULT, st_infer(fd, id, (void *)16, m.info->input_bytes,
				    out, sizeof(out), NULL, 0));
	ASSERT_EQ(0, trace_stop());

	count_events(&start, &layer, &exitd, &end, &got);
	EXPECT_EQ(N_JOBS, start);
	EXPECT_EQ(N_JOBS, exitd);
	EXPECT_EQ(N_JOBS, end);
	EXPECT_EQ(layers, layer);
	for (i = 0; i < SPX_MAX_EXITS + 2; i++)
		EXPECT_EQ(want.by_exit[i], got.by_exit[i])
			TH_LOG("exit %d", i - 1);
	EXPECT_EQ(want.bottleneck_len, got.bottleneck_len);
	EXPECT_EQ(want.weight_bytes, got.weight_bytes);
	EXPECT_EQ(want.act_bytes, got.act_bytes);
	EXPECT_EQ(0, got.e_input + got.e_output + got.e_other);
	TH_LOG("%ld spex_job_start, %ld spex_layer, %ld spex_exit_decision, %ld spex_job_end",
	       start, layer, exitd, end);
	TH_LOG("spex_job_end: exit -1/0/1 %ld/%ld/%ld, bottleneck_len %llu, weight_bytes %llu, act_bytes %llu",
	       got.by_exit[0], got.by_exit[1], got.by_exit[2],
	       got.bottleneck_len, got.weight_bytes, got.act_bytes);
	st_trace_write("trace", "");
	EXPECT_EQ(0, st_unload(fd, id));
	close(fd);
	st_model_free(&m);
}

/*
 * A job refused for its lengths is a job that failed: spex_job_start and
 * spex_job_end (with its status) fire, and nothing between them.
 */
TEST(refused_job_ends_with_status)
{
	struct st_model m;
	struct end_sums got;
	long start, layer, exitd, end;
	u8 in[1024], out[256];
	int fd;
	u32 id;

	if (!st_have_spex())
		SKIP(return, "no " SPEX_DEV);
	fd = st_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, st_model_build(&m, ST_MNIST, 22));
	ASSERT_EQ(0, st_load(fd, &m, &id));
	st_input(&m, 0, in);

	ASSERT_EQ(0, trace_start());
	EXPECT_EQ(-EINVAL, st_infer(fd, id, in, m.info->input_bytes - 1, out,
				    sizeof(out), NULL, 0));
	EXPECT_EQ(-ENOSPC, st_infer(fd, id, in, m.info->input_bytes, out,
				    m.info->output_bytes - 1, NULL, 0));
	ASSERT_EQ(0, trace_stop());

	count_events(&start, &layer, &exitd, &end, &got);
	EXPECT_EQ(2, start);
	EXPECT_EQ(2, end);
	EXPECT_EQ(0, layer);
	EXPECT_EQ(0, exitd);
	EXPECT_EQ(1, got.e_input);
	EXPECT_EQ(1, got.e_output);
	EXPECT_EQ(0, got.e_other);
	st_trace_write("trace", "");
	EXPECT_EQ(0, st_unload(fd, id));
	close(fd);
	st_model_free(&m);
}

TEST_HARNESS_MAIN
