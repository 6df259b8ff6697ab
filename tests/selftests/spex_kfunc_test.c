// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_spex_run() from XDP and TC programs (spex_kfunc.bpf.c) through
 * BPF_PROG_TEST_RUN: the module has BTF and the program loads; results
 * on map values and on packet data are bit-identical to the userspace
 * engine (int8 and uint8 inputs, scalar and default kernels, exit and
 * offload, decision, class, confidence, exit, layers, bottleneck); every bad argument gets its errno and leaves out untouched;
 * the atomic mark is refused over the MAC budget; unloading a model
 * while programs run on another thread waits a grace period, after
 * which they get -ENOENT, and the counts add up; kfunc jobs are traced
 * with their entry point; spex_submit_atomic() from softirq (companion
 * module) matches too; a loaded program holds the module.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kselftest_harness.h"
#include "spex_st.h"
#include "spex_kfunc.skel.h"
#include "../kapi/spex_kapi_test.h"

#define N_INPUTS	48
#define KF_PKT_IN	784		/* as spex_kfunc.bpf.c */
#define KF_PKT_OUT	(SPEX_KF_OUT_HDR + 64)
#define KF_BUF_IN	1024
#define KF_BUF_OUT	1024
#define KF_E_SETUP	(-10000)
#define PARAM_MAX_MACS	"/sys/module/spex/parameters/atomic_max_macs"

struct kf_buf {
	u8 in[KF_BUF_IN];
	u8 out[KF_BUF_OUT];
};

static int kf_load(int fd, const struct st_model *m, u32 flags, u32 *id,
		   struct spex_load *ld)
{
	struct spex_load l = {
		.blob = (uintptr_t)m->mg.blob,
		.blob_len = (u32)m->mg.len,
		.flags = flags,
	};
	int ret = ioctl(fd, SPEX_IOC_LOAD_MODEL, &l) ? -errno : 0;

	*id = l.model_id;
	if (ld)
		*ld = l;
	return ret;
}

/* One BPF_PROG_TEST_RUN of prog on pkt (or a dummy frame); retval out. */
static int kf_test_run(int prog_fd, void *pkt, u32 len, u32 repeat)
{
	u8 dummy[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = pkt ? pkt : dummy,
		.data_size_in = pkt ? len : sizeof(dummy),
		.data_out = pkt,
		.data_size_out = pkt ? len : 0,
		.repeat = repeat,
	);

	return bpf_prog_test_run_opts(prog_fd, &o) ? -errno : 0;
}

/* The kfunc on the map value: its return value; out gets the output. */
static int kf_run_map(struct spex_kfunc_bpf *skel, int prog_fd, u64 ctl,
		      const void *in, u32 in_sz, u32 out_sz, void *out)
{
	struct kf_buf b;
	u32 key = 0;

	memset(&b, 0xa5, sizeof(b));
	memcpy(b.in, in, in_sz < KF_BUF_IN ? in_sz : KF_BUF_IN);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.kf_bufs), &key, &b, 0))
		return -10001;
	skel->bss->kf_ctl = ctl;
	skel->bss->kf_in_sz = in_sz;
	skel->bss->kf_out_sz = out_sz;
	skel->bss->kf_ret = -10002;
	if (kf_test_run(prog_fd, NULL, 0, 1))
		return -10003;
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.kf_bufs), &key, &b))
		return -10004;
	if (out)
		memcpy(out, b.out, KF_BUF_OUT);
	return skel->bss->kf_ret;
}

/* The kfunc on packet data: input at 0, output right after it. */
static int kf_run_pkt(struct spex_kfunc_bpf *skel, int prog_fd, u64 ctl,
		      const void *in, void *out)
{
	u8 pkt[KF_PKT_IN + KF_PKT_OUT];

	memcpy(pkt, in, KF_PKT_IN);
	memset(pkt + KF_PKT_IN, 0xa5, KF_PKT_OUT);
	skel->bss->kf_ctl = ctl;
	skel->bss->kf_ret = -10002;
	if (kf_test_run(prog_fd, pkt, sizeof(pkt), 1))
		return -10003;
	memcpy(out, pkt + KF_PKT_IN, KF_PKT_OUT);
	return skel->bss->kf_ret;
}

/* uint8 pixels to the model's int8 input, as the module does. */
static void kf_quant(const struct st_model *m, const u8 *px, u8 *q)
{
	for (u32 i = 0; i < m->info->input_bytes; i++)
		q[i] = (u8)spex_quant_u8(px[i], m->info->input_q.scale_bits,
					 (s32)m->info->input_q.zero_point);
}

static long kf_module_refcnt(void)
{
	FILE *f = fopen("/sys/module/spex/refcnt", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

FIXTURE(kf) {
	int fd;
	struct spex_kfunc_bpf *skel;
	int prog[4];		/* xdp_map, tc_map, xdp_pkt, tc_pkt */
};

FIXTURE_SETUP(kf)
{
	struct spex_info info = {};

	self->skel = NULL;
	if (!st_have_spex())
		SKIP(return, "no " SPEX_DEV);
	self->fd = st_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioctl(self->fd, SPEX_IOC_GET_INFO, &info));
	ASSERT_TRUE(info.features & SPEX_F_LOAD_ATOMIC);
	/* Debian loads a module whose BTF the kernel refused: look. */
	ASSERT_EQ(0, access("/sys/kernel/btf/spex", R_OK));
	ASSERT_TRUE(info.features & SPEX_F_KFUNC);
	self->skel = spex_kfunc_bpf__open_and_load();
	ASSERT_NE(NULL, self->skel);
	self->prog[0] = bpf_program__fd(self->skel->progs.kf_xdp_map);
	self->prog[1] = bpf_program__fd(self->skel->progs.kf_tc_map);
	self->prog[2] = bpf_program__fd(self->skel->progs.kf_xdp_pkt);
	self->prog[3] = bpf_program__fd(self->skel->progs.kf_tc_pkt);
}

FIXTURE_TEARDOWN(kf)
{
	if (self->skel)
		spex_kfunc_bpf__destroy(self->skel);
	if (self->fd > 0)
		close(self->fd);
}

/* Results of one model, by map and packet, XDP and TC, match userspace. */
static void kf_check_model(struct __test_metadata *_metadata,
			   FIXTURE_DATA(kf) *self, enum st_model_kind kind,
			   u32 seed, const struct spex_policy *pol)
{
	struct st_model m;
	u8 px[KF_BUF_IN], in[KF_BUF_IN], want_out[KF_BUF_OUT];
	u8 out[KF_BUF_OUT];
	struct spex_result want;
	u32 id, in_len, out_len, n_exit = 0, n_off = 0;

	ASSERT_EQ(0, st_model_build(&m, kind, seed));
	in_len = m.info->input_bytes;
	out_len = m.info->output_bytes;
	ASSERT_GE(KF_BUF_IN, in_len);
	ASSERT_GE(KF_BUF_OUT, SPEX_KF_OUT_BYTES(out_len));
	ASSERT_EQ(0, kf_load(self->fd, &m, SPEX_LOAD_F_ATOMIC, &id, NULL))
		TH_LOG("%s: %llu MACs", st_kind_name(kind),
		       (unsigned long long)m.info->macs);
	if (pol)
		ASSERT_EQ(0, st_set_policy(self->fd, id, pol));

	for (u32 i = 0; i < N_INPUTS; i++) {
		bool u8in = i & 1;	/* odd inputs come as uint8 pixels */
		u32 flags = u8in ? SPEX_KF_IN_U8 : 0;

		st_input(&m, seed * 1000 + i, px);
		if (u8in)
			kf_quant(&m, px, in);
		else
			memcpy(in, px, in_len);
		memset(want_out, 0, sizeof(want_out));
		ASSERT_EQ(SPEX_OK, st_user_run(&m, pol, in, want_out, &want));
		if (want.decision == SPEX_DECISION_OFFLOAD)
			n_off++;
		else
			n_exit++;

		for (u32 v = 0; v < 8; v++) {
			u32 f = flags | (v & 1 ? SPEX_KF_SCALAR : 0);
			u32 p = v >> 1;		/* which program */
			struct spex_kf_out *o = (struct spex_kf_out *)out;
			u32 blen = want.decision == SPEX_DECISION_EXIT ? 0 :
				   want.decision == SPEX_DECISION_OFFLOAD ?
				   want.bottleneck_len : out_len;
			int r;

			if (p >= 2 && in_len != KF_PKT_IN)
				continue;
			memset(out, 0, sizeof(out));
			if (p < 2)
				r = kf_run_map(self->skel, self->prog[p],
					       SPEX_KF_CTL(id, f), px, in_len,
					       SPEX_KF_OUT_BYTES(out_len), out);
			else
				r = kf_run_pkt(self->skel, self->prog[p],
					       SPEX_KF_CTL(id, f), px, out);
			ASSERT_EQ(st_res_word(&want), r)
				TH_LOG("%s input %u prog %u flags 0x%x",
				       st_kind_name(kind), i, p, f);
			ASSERT_EQ(want.exit_index, o->exit_index);
			ASSERT_EQ(want.layers_run, o->layers_run);
			ASSERT_EQ(blen, o->bottleneck_len);
			ASSERT_EQ(0, o->reserved);
			ASSERT_EQ(0, memcmp(want_out, out + SPEX_KF_OUT_HDR,
					    blen));
		}
	}
	TH_LOG("%s: %u exits, %u offloads, %llu MACs a job",
	       st_kind_name(kind), n_exit, n_off,
	       (unsigned long long)m.info->macs);
	ASSERT_EQ(0, st_unload(self->fd, id));
	st_model_free(&m);
}

TEST_F(kf, matches_userspace)
{
	kf_check_model(_metadata, self, ST_MNIST, 21, NULL);
	kf_check_model(_metadata, self, ST_TINY, 22, NULL);
	kf_check_model(_metadata, self, ST_CONV, 23, NULL);
	kf_check_model(_metadata, self, ST_DENSE, 24, NULL);
}

TEST_F(kf, matches_userspace_offload)
{
	struct spex_policy pol = { .mode = SPEX_MODE_FORCE_OFFLOAD };

	kf_check_model(_metadata, self, ST_MNIST, 31, &pol);
	kf_check_model(_metadata, self, ST_DENSE, 32, &pol);
}

TEST_F(kf, matches_userspace_exit)
{
	struct spex_policy pol = { .mode = SPEX_MODE_FORCE_LOCAL };

	kf_check_model(_metadata, self, ST_MNIST, 33, &pol);
	kf_check_model(_metadata, self, ST_CONV, 34, &pol);
}

/* Every bad argument: its errno, and out untouched. */
TEST_F(kf, bad_arguments)
{
	struct st_model mn, tiny;
	u32 id, plain, gone, tid, ib, ob;
	u8 in[KF_BUF_IN] = {}, out[KF_BUF_OUT];
	struct {
		const char *name;
		u64 ctl;
		u32 in_sz, out_sz;
		int want;
	} c[16];
	int n = 0;

	ASSERT_EQ(0, st_model_build(&mn, ST_MNIST, 41));
	ASSERT_EQ(0, st_model_build(&tiny, ST_TINY, 42));
	ASSERT_EQ(0, kf_load(self->fd, &mn, SPEX_LOAD_F_ATOMIC, &id, NULL));
	ASSERT_EQ(0, kf_load(self->fd, &mn, 0, &plain, NULL));
	ASSERT_EQ(0, kf_load(self->fd, &mn, SPEX_LOAD_F_ATOMIC, &gone, NULL));
	ASSERT_EQ(0, kf_load(self->fd, &tiny, SPEX_LOAD_F_ATOMIC, &tid, NULL));
	ASSERT_EQ(0, st_unload(self->fd, gone));
	ib = mn.info->input_bytes;
	ob = SPEX_KF_OUT_BYTES(mn.info->output_bytes);

#define KF_CASE(n_, ctl_, in_, out_, want_) \
	c[n++] = (typeof(c[0])){ n_, ctl_, in_, out_, want_ }
	KF_CASE("model id 0", SPEX_KF_CTL(0, 0), ib, ob, -EINVAL);
	KF_CASE("no such model", SPEX_KF_CTL(0x7ffffff0, 0), ib, ob, -ENOENT);
	KF_CASE("unloaded model", SPEX_KF_CTL(gone, 0), ib, ob, -ENOENT);
	KF_CASE("not atomic", SPEX_KF_CTL(plain, 0), ib, ob, -EPERM);
	KF_CASE("not atomic, bad size", SPEX_KF_CTL(plain, 0), ib - 1, ob,
		-EPERM);
	KF_CASE("unknown flag 0x4", SPEX_KF_CTL(id, 0x4), ib, ob, -EINVAL);
	KF_CASE("unknown flag 1 << 31", SPEX_KF_CTL(id, 1u << 31), ib, ob,
		-EINVAL);
	KF_CASE("in__sz short", SPEX_KF_CTL(id, 0), ib - 1, ob, -EINVAL);
	KF_CASE("in__sz long", SPEX_KF_CTL(id, SPEX_KF_IN_U8), ib + 1, ob,
		-EINVAL);
	KF_CASE("in__sz 1", SPEX_KF_CTL(id, 0), 1, ob, -EINVAL);
	KF_CASE("out__sz one short", SPEX_KF_CTL(id, 0), ib, ob - 1, -ENOSPC);
	KF_CASE("out__sz header only", SPEX_KF_CTL(id, 0), ib,
		SPEX_KF_OUT_HDR, -ENOSPC);
	KF_CASE("out__sz 1", SPEX_KF_CTL(id, 0), ib, 1, -ENOSPC);
	KF_CASE("other model's size", SPEX_KF_CTL(tid, 0), ib, ob, -EINVAL);
#undef KF_CASE

	for (int i = 0; i < n; i++) {
		for (int p = 0; p < 2; p++) {
			memset(out, 0, sizeof(out));
			ASSERT_EQ(c[i].want,
				  kf_run_map(self->skel, self->prog[p],
					     c[i].ctl, in, c[i].in_sz,
					     c[i].out_sz, out))
				TH_LOG("%s (prog %d)", c[i].name, p);
			u32 k = 0;

			while (k < KF_BUF_OUT && out[k] == 0xa5)
				k++;
			ASSERT_EQ(KF_BUF_OUT, k)
				TH_LOG("%s: out written", c[i].name);
		}
	}
	/* The packet programs pass 784 bytes: the tiny model refuses. */
	for (int p = 2; p < 4; p++) {
		ASSERT_EQ(-EINVAL, kf_run_pkt(self->skel, self->prog[p],
					      SPEX_KF_CTL(tid, 0), in, out));
		ASSERT_EQ(-ENOENT, kf_run_pkt(self->skel, self->prog[p],
					      SPEX_KF_CTL(gone, 0), in, out));
		ASSERT_EQ(-EPERM, kf_run_pkt(self->skel, self->prog[p],
					     SPEX_KF_CTL(plain, 0), in, out));
	}
	/* A load flag the module does not know. */
	ASSERT_EQ(-EINVAL, kf_load(self->fd, &mn, 0x2, &gone, NULL));
	ASSERT_EQ(0, st_unload(self->fd, id));
	ASSERT_EQ(0, st_unload(self->fd, plain));
	ASSERT_EQ(0, st_unload(self->fd, tid));
	st_model_free(&mn);
	st_model_free(&tiny);
}

static int kf_write_param(const char *path, unsigned long v)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%lu\n", v) > 0 ? 0 : -EIO;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/* One job over atomic_max_macs: the mark is refused, with the reason. */
TEST_F(kf, mac_budget)
{
	unsigned long max0 = 0;
	struct spex_load ld;
	struct st_model m;
	FILE *f;
	u32 id;

	f = fopen(PARAM_MAX_MACS, "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%lu", &max0));
	fclose(f);
	ASSERT_EQ(0, st_model_build(&m, ST_MNIST, 51));
	/* The default admits the mnist-shaped head. */
	ASSERT_GE(max0, m.info->macs);

	ASSERT_EQ(0, kf_write_param(PARAM_MAX_MACS, m.info->macs - 1));
	ASSERT_EQ(-E2BIG, kf_load(self->fd, &m, SPEX_LOAD_F_ATOMIC, &id, &ld));
	EXPECT_EQ(SPEX_E_BUDGET, ld.status);
	EXPECT_EQ(0, ld.model_id);
	EXPECT_NE(NULL, strstr(ld.msg, "atomic_max_macs"));
	TH_LOG("refused: %s", ld.msg);
	/* Without the mark the same model loads. */
	ASSERT_EQ(0, kf_load(self->fd, &m, 0, &id, NULL));
	ASSERT_EQ(0, st_unload(self->fd, id));
	/* At exactly the budget it is admitted. */
	ASSERT_EQ(0, kf_write_param(PARAM_MAX_MACS, m.info->macs));
	ASSERT_EQ(0, kf_load(self->fd, &m, SPEX_LOAD_F_ATOMIC, &id, NULL));
	ASSERT_EQ(0, st_unload(self->fd, id));
	ASSERT_EQ(0, kf_write_param(PARAM_MAX_MACS, max0));
	st_model_free(&m);
}

struct kf_loop {
	int prog_fd;
	u32 repeat;
	volatile int stop;
	u64 runs;		/* program runs asked for */
	int err;
};

static void *kf_loop_fn(void *arg)
{
	struct kf_loop *l = arg;

	while (!l->stop) {
		int r = kf_test_run(l->prog_fd, NULL, 0, l->repeat);

		if (r) {
			l->err = r;
			break;
		}
		l->runs += l->repeat;
	}
	return NULL;
}

/*
 * Unload while two threads run the kfunc in loops: the unload returns
 * after a grace period, later runs get -ENOENT, nothing else fails, and
 * ok + enoent is every run.
 */
TEST_F(kf, unload_while_running)
{
	struct kf_loop loop[2] = {};
	pthread_t th[2];
	struct st_model m;
	struct kf_buf b = {};
	u64 ok_at_unload;
	u32 id, key = 0;

	ASSERT_EQ(0, st_model_build(&m, ST_MNIST, 61));
	ASSERT_EQ(0, kf_load(self->fd, &m, SPEX_LOAD_F_ATOMIC, &id, NULL));
	st_input(&m, 61, b.in);
	ASSERT_EQ(0, bpf_map_update_elem(bpf_map__fd(self->skel->maps.kf_bufs),
					 &key, &b, 0));
	self->skel->bss->kf_ctl = SPEX_KF_CTL(id, 0);
	self->skel->bss->kf_in_sz = m.info->input_bytes;
	self->skel->bss->kf_out_sz = SPEX_KF_OUT_BYTES(m.info->output_bytes);
	self->skel->bss->kf_runs = 0;
	self->skel->bss->kf_ok = 0;
	self->skel->bss->kf_enoent = 0;
	self->skel->bss->kf_other = 0;

	for (int t = 0; t < 2; t++) {
		loop[t].prog_fd = self->prog[t];	/* XDP and TC */
		loop[t].repeat = 50;
		ASSERT_EQ(0, pthread_create(&th[t], NULL, kf_loop_fn, &loop[t]));
	}
	for (int i = 0; i < 60000 && self->skel->bss->kf_ok < 200 &&
	     !loop[0].err && !loop[1].err; i++)
		usleep(1000);
	EXPECT_LE(200, self->skel->bss->kf_ok);
	EXPECT_EQ(0, st_unload(self->fd, id));
	ok_at_unload = self->skel->bss->kf_ok;
	/* Every job that started before the unload ended inside it. */
	for (int i = 0; i < 60000 && self->skel->bss->kf_enoent < 200 &&
	     !loop[0].err && !loop[1].err; i++)
		usleep(1000);
	EXPECT_LE(200, self->skel->bss->kf_enoent);
	EXPECT_EQ(ok_at_unload, self->skel->bss->kf_ok);
	for (int t = 0; t < 2; t++) {
		loop[t].stop = 1;
		pthread_join(th[t], NULL);
		EXPECT_EQ(0, loop[t].err);
	}
	EXPECT_EQ(loop[0].runs + loop[1].runs, self->skel->bss->kf_runs);
	EXPECT_EQ(self->skel->bss->kf_runs,
		  self->skel->bss->kf_ok + self->skel->bss->kf_enoent);
	EXPECT_EQ(0, self->skel->bss->kf_other);
	TH_LOG("%llu runs: %llu jobs before the unload, %llu -ENOENT after",
	       (unsigned long long)self->skel->bss->kf_runs,
	       (unsigned long long)self->skel->bss->kf_ok,
	       (unsigned long long)self->skel->bss->kf_enoent);
	st_model_free(&m);
}

/*
 * What a kfunc job costs here, as BPF_PROG_TEST_RUN measures it (mean ns
 * per program run). Logged for Documentation/performance.rst, never
 * asserted; in the QEMU guest the numbers are emulated.
 */
TEST_F(kf, cost)
{
	static const u32 fl[4] = { 0, SPEX_KF_SCALAR, SPEX_KF_IN_U8,
				   SPEX_KF_IN_U8 | SPEX_KF_SCALAR };
	struct kf_buf b = {};
	struct st_model m;
	u32 id, key = 0;

	ASSERT_EQ(0, st_model_build(&m, ST_MNIST, 71));
	ASSERT_EQ(0, kf_load(self->fd, &m, SPEX_LOAD_F_ATOMIC, &id, NULL));
	st_input(&m, 71, b.in);
	ASSERT_EQ(0, bpf_map_update_elem(bpf_map__fd(self->skel->maps.kf_bufs),
					 &key, &b, 0));
	self->skel->bss->kf_in_sz = m.info->input_bytes;
	self->skel->bss->kf_out_sz = SPEX_KF_OUT_BYTES(m.info->output_bytes);
	for (int p = 0; p < 2; p++) {
		for (int f = 0; f < 4; f++) {
			u8 dummy[64] = {};
			LIBBPF_OPTS(bpf_test_run_opts, o,
				.data_in = dummy,
				.data_size_in = sizeof(dummy),
				.repeat = 200,
			);

			self->skel->bss->kf_ctl = SPEX_KF_CTL(id, fl[f]);
			ASSERT_EQ(0, bpf_prog_test_run_opts(self->prog[p], &o));
			ASSERT_LE(0, self->skel->bss->kf_ret);
			TH_LOG("%s, %s input, %s kernels: %u ns a job",
			       p ? "tc" : "xdp",
			       fl[f] & SPEX_KF_IN_U8 ? "uint8" : "int8",
			       fl[f] & SPEX_KF_SCALAR ? "scalar" : "default",
			       o.duration);
		}
	}
	ASSERT_EQ(0, st_unload(self->fd, id));
	st_model_free(&m);
}

/*
 * spex_submit_atomic() from softirq: the companion module runs each job
 * from a timer on an RCU lookup. Results equal the userspace engine's,
 * field by field; a model without the mark gets -EPERM.
 */
TEST_F(kf, kapi_softirq)
{
	enum { N = 32 };
	struct spex_policy pols[2] = {
		{ .mode = SPEX_MODE_AUTO },
		{ .mode = SPEX_MODE_FORCE_OFFLOAD },
	};
	struct spex_result want, res[N];
	struct st_model m;
	u8 *in, *out, want_out[KF_BUF_OUT];
	u32 id, plain, in_len, out_len;
	s32 err[N];
	int kfd;

	kfd = open(SPEX_KAPI_DEV, O_RDWR);
	if (kfd < 0)
		SKIP(return, "no " SPEX_KAPI_DEV);
	ASSERT_EQ(0, st_model_build(&m, ST_MNIST, 91));
	in_len = m.info->input_bytes;
	out_len = m.info->output_bytes;
	in = malloc((size_t)N * in_len);
	out = calloc(N, out_len);
	ASSERT_TRUE(in && out);
	for (u32 i = 0; i < N; i++)
		st_input(&m, 9100 + i, in + (size_t)i * in_len);
	ASSERT_EQ(0, kf_load(self->fd, &m, SPEX_LOAD_F_ATOMIC, &id, NULL));
	ASSERT_EQ(0, kf_load(self->fd, &m, 0, &plain, NULL));

	for (u32 v = 0; v < 4; v++) {
		const struct spex_policy *pol = &pols[v >> 1];
		struct spex_kapi_run r = {
			.model_id = id, .count = N, .in_len = in_len,
			.out_len = out_len, .mode = SPEX_KAPI_ATOMIC,
			.flags = v & 1 ? SPEX_JOB_F_SCALAR : 0,
			.inputs = (uintptr_t)in, .outputs = (uintptr_t)out,
			.results = (uintptr_t)res, .errors = (uintptr_t)err,
		};

		ASSERT_EQ(0, st_set_policy(self->fd, id, pol));
		memset(out, 0, (size_t)N * out_len);
		ASSERT_EQ(0, ioctl(kfd, SPEX_KAPI_IOC_RUN, &r));
		for (u32 i = 0; i < N; i++) {
			ASSERT_EQ(0, err[i]) TH_LOG("job %u", i);
			ASSERT_EQ(SPEX_OK, st_user_run(&m, pol,
						       in + (size_t)i * in_len,
						       want_out, &want));
			ASSERT_TRUE(st_res_equal(&want, &res[i]))
				TH_LOG("job %u, variant %u", i, v);
			if (want.decision == SPEX_DECISION_OFFLOAD)
				ASSERT_EQ(0, memcmp(want_out,
						    out + (size_t)i * out_len,
						    want.bottleneck_len));
		}
	}
	{
		struct spex_kapi_run r = {
			.model_id = plain, .count = 2, .in_len = in_len,
			.out_len = out_len, .mode = SPEX_KAPI_ATOMIC,
			.inputs = (uintptr_t)in, .outputs = (uintptr_t)out,
			.results = (uintptr_t)res, .errors = (uintptr_t)err,
		};

		ASSERT_EQ(0, ioctl(kfd, SPEX_KAPI_IOC_RUN, &r));
		EXPECT_EQ(-EPERM, err[0]);
		EXPECT_EQ(-EPERM, err[1]);
	}
	close(kfd);
	ASSERT_EQ(0, st_unload(self->fd, id));
	ASSERT_EQ(0, st_unload(self->fd, plain));
	free(in);
	free(out);
	st_model_free(&m);
}

/*
 * kfunc jobs fire the spex_job_end tracepoint like the others; the job id's
 * top byte says the entry: 2 for bpf_spex_run(), 0 for the ioctl.
 */
TEST_F(kf, trace_entry)
{
	struct st_model m;
	u8 in[KF_BUF_IN], out[KF_BUF_OUT];
	long by_entry[4] = {};
	char path[256], line[512];
	u32 id;
	FILE *f;

	ASSERT_EQ(0, st_model_build(&m, ST_MNIST, 81));
	ASSERT_EQ(0, kf_load(self->fd, &m, SPEX_LOAD_F_ATOMIC, &id, NULL));
	st_input(&m, 81, in);
	if (st_trace_write("events/spex/enable", "1"))
		SKIP(return, "no spex events in tracefs");
	ASSERT_EQ(0, st_trace_write("trace", ""));
	for (int i = 0; i < 3; i++)
		ASSERT_LE(0, kf_run_map(self->skel, self->prog[i & 1],
					SPEX_KF_CTL(id, 0), in,
					m.info->input_bytes,
					SPEX_KF_OUT_BYTES(m.info->output_bytes),
					out));
	for (int i = 0; i < 2; i++)
		ASSERT_LE(0, st_infer(self->fd, id, in, m.info->input_bytes, out,
				      m.info->output_bytes, NULL, 0));
	ASSERT_EQ(0, st_trace_write("events/spex/enable", "0"));

	snprintf(path, sizeof(path), "%s/trace", st_tracefs());
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, " job=");
		unsigned long long job;

		if (line[0] == '#' || !strstr(line, "job_end: ") || !p)
			continue;
		job = strtoull(p + 5, NULL, 10);
		by_entry[(job >> 56) < 3 ? (job >> 56) : 3]++;
	}
	fclose(f);
	EXPECT_EQ(2, by_entry[0]);	/* ioctl */
	EXPECT_EQ(0, by_entry[1]);	/* spex_submit_atomic() */
	EXPECT_EQ(3, by_entry[2]);	/* bpf_spex_run() */
	EXPECT_EQ(0, by_entry[3]);
	ASSERT_EQ(0, st_unload(self->fd, id));
	st_model_free(&m);
}

/* A loaded program that uses the kfunc holds spex.ko (rmmod: EBUSY). */
TEST_F(kf, program_holds_module)
{
	long held = kf_module_refcnt(), now, prev = -1;

	ASSERT_LT(0, held);
	spex_kfunc_bpf__destroy(self->skel);
	self->skel = NULL;
	/*
	 * The programs' module references go in a deferred free (so may an
	 * earlier test's): wait until the count stops falling.
	 */
	for (int i = 0; i < 100; i++) {
		usleep(50000);
		now = kf_module_refcnt();
		if (now == prev && now < held)
			break;
		prev = now;
	}
	EXPECT_LT(kf_module_refcnt(), held);
}

TEST_HARNESS_MAIN
