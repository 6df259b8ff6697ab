// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * spex-bench kernels: one FC layer, timed side by side in one process.
 *
 *   spex      stage + the best spex kernel (SPEX_KERNELS overrides);
 *             batch 32 runs the batched (SpMM) kernel on feature-major
 *             input [n_in][32]
 *   blas      OpenBLAS dense sgemv / sgemm, one thread
 *   csr       plain CSR SpMV / SpMM at the same nonzeros: int32 column
 *             indices, one accumulator per row, the inner batch loop as
 *             in the usual library code; same -O2 flags, and allowed
 *             AVX2 so its compiler vectorizes the batch loop
 *   dense     spex's own kernel on the dense layer (100%)
 *   avx2      the spex column's kernel from the avx2 table, to show what
 *             the chosen ISA (AVX-512, VNNI) gains in the same run
 *
 * f32 and int8 (int8 has no OpenBLAS peer: its rows compare against the
 * f32 sgemv/sgemm for context and against spex's dense int8 kernel).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <spex/engine.h>
#include "fc_pack.h"
#include "bench.h"

#define BATCH		32
#define NPAT		4

enum { PAT_DENSE, PAT_RANDOM, PAT_CF_RAND, PAT_CF_ZERO };
static const char *const pat_names[NPAT] = {
	"dense", "random", "cf-rand", "cf-zero",
};
static const char *const layout_names[] = { "window", "banked", "gather" };

static u64 rs = 88172645463325252ull;

static u32 rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (u32)(rs >> 11);
}

static float rnd_f(void)
{
	return (float)(rnd() % 2001) / 1000.0f - 1.0f;
}

static void *xalloc(size_t n)
{
	void *p = NULL;

	if (posix_memalign(&p, 64, n ? n : 64)) {
		fprintf(stderr, "spex-bench: out of memory (%zu bytes)\n", n);
		exit(1);
	}
	memset(p, 0, n);
	return p;
}

/* ------------------------------------------------------------------ */
/* One layer in every form                                            */
/* ------------------------------------------------------------------ */

struct layer {
	u32 n_in, n_out, d_in, z, pat;
	struct spex_fc ff, fi;		/* f32, int8 */
	void *mf, *mi;
	s32 *bias, *mult, *shift;
	float *biasf;
	/* CSR */
	s32 *rowptr, *col;
	float *vf;
	s8 *v8;
};

struct io {
	float *x, *xt, *xs, *y;		/* x: [n_in]; xt: [n_in][BATCH] */
	s8 *x8, *xt8, *y8;
	s16 *xs8;
	float *wd;			/* dense n_out x n_in (OpenBLAS) */
};

struct ctx {
	const struct spex_kernels *k;
	struct layer *L;
	struct io *io;
	u32 batch;
};

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int gen_edges(struct layer *L, u32 *left)
{
	struct spex_pattern_desc pd;
	void *work;
	int st;
	u32 r, m;

	if (L->pat == PAT_DENSE) {
		for (r = 0; r < L->n_out; r++)
			for (m = 0; m < L->d_in; m++)
				left[(size_t)r * L->d_in + m] = m;
		return 0;
	}
	memset(&pd, 0, sizeof(pd));
	pd.seed = 12345;
	if (L->pat == PAT_RANDOM) {
		pd.type = SPX_PAT_RANDOM;
	} else {
		pd.type = SPX_PAT_CF2;
		pd.z = L->z;
		pd.starts = L->pat == PAT_CF_RAND ? SPX_STARTS_SEED :
			    SPX_STARTS_ZERO;
	}
	st = spex_pattern_check(&pd, L->n_in, L->n_out, L->d_in);
	if (st)
		return st;
	work = xalloc(spex_pattern_work_size(&pd, L->n_in, L->n_out,
					     L->d_in) + 64);
	st = spex_pattern_fill(&pd, L->n_in, L->n_out, L->d_in, left, work);
	free(work);
	return st;
}

static int build_layer(struct layer *L)
{
	size_t ne = (size_t)L->n_out * L->d_in, e;
	u32 *left = xalloc(ne * 4);
	float *wf = xalloc(ne * 4);
	s8 *w8 = xalloc(ne);
	u64 *key = xalloc(ne * 8);
	u32 r;
	int st;

	st = gen_edges(L, left);
	if (st) {
		fprintf(stderr, "spex-bench: pattern %s %ux%u d_in %u z %u: %d\n",
			pat_names[L->pat], L->n_in, L->n_out, L->d_in, L->z,
			st);
		return st;
	}
	for (e = 0; e < ne; e++) {
		wf[e] = rnd_f();
		w8[e] = (s8)(rnd() % 255 - 127);
	}
	L->mf = xalloc(spex_fc_pack_bound(L->n_in, L->n_out, L->d_in, L->z, 4));
	L->mi = xalloc(spex_fc_pack_bound(L->n_in, L->n_out, L->d_in, L->z, 1));
	st = spex_fc_pack(&L->ff, L->n_in, L->n_out, L->d_in, L->z, left, wf,
			  4, L->mf);
	if (!st)
		st = spex_fc_pack(&L->fi, L->n_in, L->n_out, L->d_in, L->z,
				  left, w8, 1, L->mi);
	if (st) {
		fprintf(stderr, "spex-bench: pack failed: %d\n", st);
		return st;
	}
	L->bias = xalloc(L->n_out * 4);
	L->mult = xalloc(L->n_out * 4);
	L->shift = xalloc(L->n_out * 4);
	L->biasf = xalloc(L->n_out * 4);
	for (r = 0; r < L->n_out; r++) {
		L->bias[r] = (s32)(rnd() % 1000) - 500;
		L->mult[r] = 1 << 30;
		L->shift[r] = 40;
		L->biasf[r] = rnd_f();
	}
	L->fi.bias = L->bias;
	L->fi.mult = L->mult;
	L->fi.shift = L->shift;
	L->fi.in_zp = 3;
	L->fi.out_zp = -5;
	L->ff.biasf = L->biasf;

	/* CSR, columns sorted within each row, as a library would hold it */
	L->rowptr = xalloc((L->n_out + 1) * 4);
	L->col = xalloc(ne * 4);
	L->vf = xalloc(ne * 4);
	L->v8 = xalloc(ne);
	for (r = 0; r < L->n_out; r++) {
		size_t o = (size_t)r * L->d_in;
		u32 m;

		L->rowptr[r] = (s32)o;
		for (m = 0; m < L->d_in; m++)
			key[o + m] = (u64)left[o + m] << 32 | m;
		qsort(key + o, L->d_in, 8, cmp_u64);
		for (m = 0; m < L->d_in; m++) {
			u32 src = (u32)key[o + m];

			L->col[o + m] = (s32)(key[o + m] >> 32);
			L->vf[o + m] = wf[o + src];
			L->v8[o + m] = w8[o + src];
		}
	}
	L->rowptr[L->n_out] = (s32)ne;
	free(left);
	free(wf);
	free(w8);
	free(key);
	return 0;
}

static void free_layer(struct layer *L)
{
	free(L->mf);
	free(L->mi);
	free(L->bias);
	free(L->mult);
	free(L->shift);
	free(L->biasf);
	free(L->rowptr);
	free(L->col);
	free(L->vf);
	free(L->v8);
}

/* ------------------------------------------------------------------ */
/* The contenders                                                     */
/* ------------------------------------------------------------------ */

static void run_spex_f32(void *p)
{
	struct ctx *c = p;
	const struct spex_fc *fc = &c->L->ff;

	if (c->batch == 1) {
		spex_fc_stage_f32(fc, c->io->x, c->io->xs);
		c->k->fc_f32(fc, c->io->xs, c->io->y, 0, fc->n_out);
	} else {
		spex_fc_stage_f32_batch(fc, c->io->xt, c->io->xs, c->batch);
		c->k->fc_f32_batch(fc, c->io->xs, c->io->y, c->batch, 0,
				   fc->n_out);
	}
}

static void run_spex_i8(void *p)
{
	struct ctx *c = p;
	const struct spex_fc *fc = &c->L->fi;

	if (c->batch == 1) {
		spex_fc_stage_i8(fc, c->io->x8, c->io->xs8);
		c->k->fc_i8(fc, c->io->xs8, c->io->y8, 0, fc->n_out);
	} else {
		spex_fc_stage_i8_batch(fc, c->io->xt8, c->io->xs8, c->batch);
		c->k->fc_i8_batch(fc, c->io->xs8, c->io->y8, c->batch, 0,
				  fc->n_out);
	}
}

static void run_blas(void *p)
{
	struct ctx *c = p;
	struct layer *L = c->L;

	if (c->batch == 1)
		cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)L->n_out,
			    (int)L->n_in, 1.0f, c->io->wd, (int)L->n_in,
			    c->io->x, 1, 0.0f, c->io->y, 1);
	else
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
			    (int)L->n_out, (int)c->batch, (int)L->n_in, 1.0f,
			    c->io->wd, (int)L->n_in, c->io->xt,
			    (int)c->batch, 0.0f, c->io->y, (int)c->batch);
}

/* Plain CSR, the usual way (cf. scipy csr_matvec / csr_matvecs). */
#define CSR_ATTR __attribute__((noinline, target("avx2,fma")))

static CSR_ATTR void csr_spmv_f32(u32 n, const s32 *rp, const s32 *col,
				  const float *v, const float *bias,
				  const float *x, float *y)
{
	u32 i;
	s32 jj;

	for (i = 0; i < n; i++) {
		float sum = bias[i];

		for (jj = rp[i]; jj < rp[i + 1]; jj++)
			sum += v[jj] * x[col[jj]];
		y[i] = sum;
	}
}

static CSR_ATTR void csr_spmm_f32(u32 n, u32 nv, const s32 *rp,
				  const s32 *col, const float *v,
				  const float *bias, const float *x, float *y)
{
	u32 i, k;
	s32 jj;

	for (i = 0; i < n; i++) {
		float *yi = y + (size_t)i * nv;

		for (k = 0; k < nv; k++)
			yi[k] = bias[i];
		for (jj = rp[i]; jj < rp[i + 1]; jj++) {
			const float *xj = x + (size_t)col[jj] * nv;
			float a = v[jj];

			for (k = 0; k < nv; k++)
				yi[k] += a * xj[k];
		}
	}
}

static CSR_ATTR void csr_spmv_i8(const struct layer *L, const s8 *x, s8 *y)
{
	const struct spex_fc *fc = &L->fi;
	u32 i;
	s32 jj;

	for (i = 0; i < L->n_out; i++) {
		s32 acc = L->bias[i];

		for (jj = L->rowptr[i]; jj < L->rowptr[i + 1]; jj++)
			acc += L->v8[jj] * (x[L->col[jj]] - fc->in_zp);
		y[i] = spex_requant_out(acc, L->mult[i], L->shift[i],
					fc->out_zp, -128);
	}
}

static CSR_ATTR void csr_spmm_i8(const struct layer *L, u32 nv,
				 const s8 *x, s8 *y)
{
	const struct spex_fc *fc = &L->fi;
	s32 acc[BATCH];
	u32 i, k;
	s32 jj;

	for (i = 0; i < L->n_out; i++) {
		for (k = 0; k < nv; k++)
			acc[k] = L->bias[i];
		for (jj = L->rowptr[i]; jj < L->rowptr[i + 1]; jj++) {
			const s8 *xj = x + (size_t)L->col[jj] * nv;
			s32 a = L->v8[jj];

			for (k = 0; k < nv; k++)
				acc[k] += a * (xj[k] - fc->in_zp);
		}
		for (k = 0; k < nv; k++)
			y[(size_t)i * nv + k] =
				spex_requant_out(acc[k], L->mult[i],
						 L->shift[i], fc->out_zp, -128);
	}
}

static void run_csr_f32(void *p)
{
	struct ctx *c = p;
	struct layer *L = c->L;

	if (c->batch == 1)
		csr_spmv_f32(L->n_out, L->rowptr, L->col, L->vf, L->biasf,
			     c->io->x, c->io->y);
	else
		csr_spmm_f32(L->n_out, c->batch, L->rowptr, L->col, L->vf,
			     L->biasf, c->io->xt, c->io->y);
}

static void run_csr_i8(void *p)
{
	struct ctx *c = p;

	if (c->batch == 1)
		csr_spmv_i8(c->L, c->io->x8, c->io->y8);
	else
		csr_spmm_i8(c->L, c->batch, c->io->xt8, c->io->y8);
}

/* ------------------------------------------------------------------ */
/* The grid                                                           */
/* ------------------------------------------------------------------ */

struct row {
	u32 n_in, n_out, d_in, z, batch, pat, layout;
	const char *dtype;
	double rho, spex, blas, csr, dense, avx2;
};

#define MAX_ROWS	512
static struct row rows[MAX_ROWS];
static u32 n_rows;

/*
 * The in-degree nearest rho * n_in that every pattern accepts: the degree
 * identity (n_out * d_in % n_in == 0) and, for clash-free, n_in % d_in.
 */
static u32 pick_d_in(u32 n_in, u32 n_out, double rho)
{
	double want = rho * n_in, best_err = 1e30;
	u32 d, best = n_in;

	for (d = 1; d <= n_in; d++) {
		double err;

		if (n_in % d || ((u64)n_out * d) % n_in)
			continue;
		err = fabs(d - want);
		if (err < best_err) {
			best_err = err;
			best = d;
		}
	}
	return best;
}

/*
 * Banks for the clash-free patterns: the largest of 8, 4, 2 that leaves
 * runs (d_in / z) of at least 16, one int8 vector; else at least the
 * BANKED threshold; else any.
 */
static u32 pick_z(u32 n_in, u32 d_in)
{
	static const u32 zs[] = { 8, 4, 2 };
	u32 g = spex_gcd(n_in, d_in), i;

	for (i = 0; i < 3; i++)
		if (g % zs[i] == 0 && d_in / zs[i] >= 16)
			return zs[i];
	for (i = 0; i < 3; i++)
		if (g % zs[i] == 0 && d_in / zs[i] >= SPEX_FC_BANKED_MIN_RUN)
			return zs[i];
	for (i = 0; i < 3; i++)
		if (g % zs[i] == 0)
			return zs[i];
	return 1;
}

static void print_row(const struct bench_opts *o, const struct row *w)
{
	char pat[32];

	if (w->pat == PAT_CF_RAND)
		snprintf(pat, sizeof(pat), "cf-rand/z%u", w->z);
	else
		snprintf(pat, sizeof(pat), "%s", pat_names[w->pat]);
	if (o->json) {
		printf("{\"bench\":\"kernels\",\"n_in\":%u,\"n_out\":%u,"
		       "\"dtype\":\"%s\",\"batch\":%u,\"pattern\":\"%s\","
		       "\"z\":%u,\"d_in\":%u,\"density\":%.4f,\"layout\":\"%s\","
		       "\"spex_ns\":%.0f,\"blas_ns\":%.0f,\"csr_ns\":%.0f,"
		       "\"dense_ns\":%.0f,\"avx2_ns\":%.0f,\"x_blas\":%.3f,"
		       "\"x_blas_rho\":%.3f,\"x_csr\":%.3f,\"x_dense\":%.3f,"
		       "\"x_dense_rho\":%.3f,\"x_isa\":%.3f}\n",
		       w->n_in, w->n_out, w->dtype, w->batch,
		       pat_names[w->pat], w->z, w->d_in, w->rho,
		       layout_names[w->layout], w->spex, w->blas, w->csr,
		       w->dense, w->avx2, w->blas / w->spex,
		       w->blas / w->spex * w->rho, w->csr / w->spex,
		       w->dense / w->spex, w->dense / w->spex * w->rho,
		       w->avx2 / w->spex);
	} else {
		printf("%4ux%-4u %-4s %2u %-11s %5.1f%% %-6s %11.0f %11.0f "
		       "%11.0f %11.0f %7.2f %6.2f %6.2f %6.2f %6.2f\n",
		       w->n_in, w->n_out, w->dtype, w->batch, pat, w->rho * 100,
		       layout_names[w->layout], w->spex, w->blas, w->csr,
		       w->dense, w->blas / w->spex, w->blas / w->spex * w->rho,
		       w->csr / w->spex, w->dense / w->spex * w->rho,
		       w->avx2 / w->spex);
	}
	fflush(stdout);
}

struct goal {
	const char *what;
	double need;
	u32 met, total;
	double worst;
	const struct row *worst_row;
};

static void goal_add(struct goal *g, const struct row *w, double v)
{
	g->total++;
	if (v >= g->need)
		g->met++;
	if (!g->worst_row || v < g->worst) {
		g->worst = v;
		g->worst_row = w;
	}
}

static void goals(const struct bench_opts *o)
{
	struct goal g[] = {
		{ .what = "clash-free f32 batch 1, rho<=25%: x_blas*rho", .need = 0.5 },
		{ .what = "clash-free f32 batch 32, rho<=25%: x_sgemm*rho", .need = 0.7 },
		{ .what = "random f32 batch 1, rho<=25%: x_blas*rho", .need = 0.3 },
		{ .what = "clash-free vs CSR, same nonzeros: x_csr", .need = 3.0 },
		{ .what = "random vs CSR, same nonzeros: x_csr", .need = 3.0 },
		{ .what = "cf int8 batch 1, rho<=25%: x_own_dense*rho", .need = 0.5 },
		{ .what = "cf int8 batch 32, rho<=25%: x_own_dense*rho", .need = 0.7 },
		{ .what = "random int8 b1, rho<=25%: x_own_dense*rho", .need = 0.5 },
		{ .what = "random int8 b32, rho<=25%: x_own_dense*rho", .need = 0.7 },
	};
	u32 i, j;

	for (i = 0; i < n_rows; i++) {
		const struct row *w = &rows[i];
		int cf = w->pat == PAT_CF_RAND || w->pat == PAT_CF_ZERO;
		int f32 = !strcmp(w->dtype, "f32");
		double xb = w->blas / w->spex * w->rho;
		double xd = w->dense / w->spex * w->rho;

		if (w->pat == PAT_DENSE)
			continue;
		if (cf && f32 && w->batch == 1 && w->rho <= 0.25)
			goal_add(&g[0], w, xb);
		if (cf && f32 && w->batch > 1 && w->rho <= 0.25)
			goal_add(&g[1], w, xb);
		if (w->pat == PAT_RANDOM && f32 && w->batch == 1 &&
		    w->rho <= 0.25)
			goal_add(&g[2], w, xb);
		if (cf)
			goal_add(&g[3], w, w->csr / w->spex);
		if (w->pat == PAT_RANDOM)
			goal_add(&g[4], w, w->csr / w->spex);
		if (!f32 && w->rho <= 0.25)
			goal_add(&g[(cf ? 5 : 7) + (w->batch > 1)], w, xd);
	}
	for (j = 0; j < SPEX_ARRAY_SIZE(g); j++) {
		const struct row *w = g[j].worst_row;

		if (!g[j].total)
			continue;
		if (o->json) {
			printf("{\"bench\":\"kernels-goal\",\"goal\":\"%s\","
			       "\"need\":%.2f,\"met\":%u,\"total\":%u,"
			       "\"worst\":%.3f}\n", g[j].what, g[j].need,
			       g[j].met, g[j].total, g[j].worst);
			continue;
		}
		printf("%-48s >= %.1f: %s %u/%u (worst %.2f: %ux%u %s b%u %s "
		       "%.1f%%)\n", g[j].what, g[j].need,
		       g[j].met == g[j].total ? "MET   " : "MISSED", g[j].met,
		       g[j].total, g[j].worst, w->n_in, w->n_out, w->dtype,
		       w->batch, pat_names[w->pat], w->rho * 100);
	}
}

int bench_kernels(const struct bench_opts *o)
{
	static const u32 shapes_full[][2] = {
		{ 800, 100 }, { 784, 1000 }, { 1024, 1024 }, { 4096, 4096 },
	};
	static const u32 shapes_quick[][2] = { { 1024, 1024 } };
	static const double dens_full[] = { 1.0, 0.5, 0.25, 0.10, 0.05 };
	static const double dens_quick[] = { 1.0, 0.25, 0.05 };
	const u32 (*shapes)[2] = o->quick ? shapes_quick : shapes_full;
	u32 n_shapes = o->quick ? 1 : 4;
	const double *dens = o->quick ? dens_quick : dens_full;
	u32 n_dens = o->quick ? 3 : 5;
	double sample = o->quick ? 2e6 : 10e6;
	const struct spex_kernels *k =
		spex_kernels_choose(getenv("SPEX_KERNELS"));
	/* the ISA baseline column: the avx2 table (else the chosen one) */
	const struct spex_kernels *k2 = spex_kernels_by_name("avx2");
	double t_start = now_ns();
	u32 si, di, p, b, dt;

	openblas_set_num_threads(1);
	if (!o->json) {
		printf("# spex-bench kernels: spex '%s' kernels (ISA "
		       "baseline '%s'), OpenBLAS %s (1 thread), minimum of 5 "
		       "round-robin samples of >= %.0f ms\n", k->name,
		       (k2 ? k2 : k)->name, openblas_get_config(),
		       sample / 1e6);
		/* Debian's 0.3.21 does not know Sapphire Rapids and falls
		 * back to SSE3 kernels: say so, the peer would be unfair */
		if (strstr(openblas_get_config(), "Prescott") &&
		    __builtin_cpu_supports("avx2"))
			printf("# warning: OpenBLAS runs its Prescott (SSE3) "
			       "kernels on this AVX2 CPU; rerun with "
			       "OPENBLAS_CORETYPE=SkylakeX (AVX-512) or "
			       "Haswell\n");
		printf("# x_blas = blas_ns / spex_ns; *rho: times density "
		       "(goal k/rho <=> x*rho >= k); x_dense*rho: own dense "
		       "kernel; x_isa: avx2_ns / spex_ns\n");
		printf("%-9s %-4s %2s %-11s %6s %-6s %11s %11s %11s %11s %7s "
		       "%6s %6s %6s %6s\n", "shape", "type", "b", "pattern",
		       "dens", "layout", "spex_ns", "blas_ns", "csr_ns",
		       "dense_ns", "x_blas", "*rho", "x_csr", "xd*rho",
		       "x_isa");
	}
	for (si = 0; si < n_shapes; si++) {
		u32 n_in = shapes[si][0], n_out = shapes[si][1];
		struct io io;
		struct layer dl;
		u32 prev_d = 0;
		size_t xs_max = (size_t)(n_in + n_in + SPEX_FC_XS_PAD) * BATCH;
		size_t i;

		memset(&io, 0, sizeof(io));
		io.x = xalloc(n_in * 4);
		io.xt = xalloc((size_t)n_in * BATCH * 4);
		io.x8 = xalloc(n_in);
		io.xt8 = xalloc((size_t)n_in * BATCH);
		io.xs = xalloc(xs_max * 4);
		io.xs8 = xalloc(xs_max * 2);
		io.y = xalloc((size_t)n_out * BATCH * 4);
		io.y8 = xalloc((size_t)n_out * BATCH);
		io.wd = xalloc((size_t)n_out * n_in * 4);
		for (i = 0; i < n_in; i++) {
			io.x[i] = rnd_f();
			io.x8[i] = (s8)rnd();
		}
		for (i = 0; i < (size_t)n_in * BATCH; i++) {
			io.xt[i] = rnd_f();
			io.xt8[i] = (s8)rnd();
		}
		for (i = 0; i < (size_t)n_out * n_in; i++)
			io.wd[i] = rnd_f();

		/* the dense layer: OpenBLAS's and spex's own dense baseline */
		memset(&dl, 0, sizeof(dl));
		dl.n_in = n_in;
		dl.n_out = n_out;
		dl.d_in = n_in;
		dl.z = 1;
		dl.pat = PAT_DENSE;
		if (build_layer(&dl))
			return 1;
		for (di = 0; di < n_dens; di++) {
			u32 d_in = pick_d_in(n_in, n_out, dens[di]);

			if (d_in == prev_d)
				continue;
			prev_d = d_in;
			for (p = PAT_DENSE; p < NPAT; p++) {
				struct layer L;

				if ((d_in == n_in) != (p == PAT_DENSE))
					continue;
				memset(&L, 0, sizeof(L));
				L.n_in = n_in;
				L.n_out = n_out;
				L.d_in = d_in;
				L.pat = p;
				L.z = p == PAT_CF_RAND || p == PAT_CF_ZERO ?
				      pick_z(n_in, d_in) : 1;
				if (p == PAT_DENSE)
					L = dl;
				else if (build_layer(&L))
					return 1;
				for (b = 0; b < 2; b++)
					for (dt = 0; dt < 2; dt++) {
						struct ctx c = { k, &L, &io,
								 b ? BATCH : 1 };
						struct row *w = &rows[n_rows];

						w->n_in = n_in;
						w->n_out = n_out;
						w->d_in = d_in;
						w->z = L.z;
						w->batch = c.batch;
						w->pat = p;
						w->dtype = dt ? "int8" : "f32";
						w->layout = dt ? L.fi.layout :
							    L.ff.layout;
						w->rho = (double)d_in / n_in;
						{
							struct ctx cd = c, c2 = c;
							void (*fn[5])(void *);
							void *cx[5] = { &c, &c,
									&c, &cd, &c2 };
							double t[5];

							cd.L = &dl;
							c2.k = k2 ? k2 : k;
							fn[0] = dt ? run_spex_i8 :
								run_spex_f32;
							fn[1] = dt ? run_csr_i8 :
								run_csr_f32;
							fn[2] = run_blas;
							fn[3] = fn[0];
							fn[4] = fn[0];
							bench_ns_multi(fn, cx, 5,
								       sample, t);
							w->spex = t[0];
							w->csr = t[1];
							w->blas = t[2];
							w->dense = t[3];
							w->avx2 = t[4];
						}
						print_row(o, w);
						if (n_rows < MAX_ROWS - 1)
							n_rows++;
					}
				if (p != PAT_DENSE)
					free_layer(&L);
			}
		}
		free_layer(&dl);
		free(io.x);
		free(io.xt);
		free(io.x8);
		free(io.xt8);
		free(io.xs);
		free(io.xs8);
		free(io.y);
		free(io.y8);
		free(io.wd);
	}
	goals(o);
	if (!o->json)
		printf("# total %.1f s\n", (now_ns() - t_start) / 1e9);
	return 0;
}
