/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * Random but well-formed models for spex-demo, the tests, fuzz seeds and
 * the benchmarks: a spec in, a .spx blob and its full description out.
 * Weights are drawn from the spec's seed, so a spec names one model.
 * Built on the engine's writer and pattern API only (no private core
 * header), so a tool can link it.
 */
#ifndef SPEX_MODELGEN_H
#define SPEX_MODELGEN_H

#include <spex/engine.h>

#define MG_MAX_FC	6
#define MG_MAX_EXITS	4

struct mg_fc {
	u32 out;		/* outputs */
	u32 d_in;		/* in-degree; 0 = dense */
	u32 pattern;		/* enum spx_pattern_type (ignored when dense) */
	u32 z;			/* clash-free banks */
	u32 starts;		/* enum spx_starts_mode */
	u32 dither;
};

struct mg_spec {
	u32 dtype;		/* enum spx_dtype */
	u32 role;		/* enum spx_role */
	u32 in_c, in_h, in_w;
	u32 n_classes;
	/* optional conv stem: conv(kxk, pad k/2, channel in-degree, mask),
	 * then a 2x2 pool (max, or avg), then flatten */
	u32 conv_out_c;		/* 0: no conv stem */
	u32 conv_k, conv_stride, conv_cin_deg, conv_mask, conv_period;
	u32 conv_pattern;
	u32 avgpool;
	u32 explicit_relu;	/* ReLU as its own layer after the first FC */
	u32 n_fc;
	struct mg_fc fc[MG_MAX_FC];
	u32 n_exits;
	u32 exit_after[MG_MAX_EXITS];	/* main-path layer index */
	u32 exit_hidden[MG_MAX_EXITS];	/* 0: one dense FC to the classes;
					 * else a sparse hidden layer first */
	u32 policy[MG_MAX_EXITS];
	u32 threshold_q16[MG_MAX_EXITS];
	float logit_scale;	/* int8 exits and final classifier */
	u32 seed;
};

struct mg_model {
	struct spex_wmodel wm;
	struct spex_wlayer layers[SPX_MAX_LAYERS];
	struct spex_wexit exits[SPX_MAX_EXITS];
	void *owned[4 * SPX_MAX_LAYERS];	/* arrays freed by mg_free */
	u32 n_owned;
	void *blob;
	size_t len;
};

/* Build the model; returns 0 or a negative errno. */
int mg_build(const struct mg_spec *spec, struct mg_model *m);
void mg_free(struct mg_model *m);

/* Fill a random input for a model (int8 or f32 per dtype). */
void mg_input(const struct spex_wmodel *wm, u32 seed, void *buf);

/* A small ready-made spec for an MNIST-shaped head with two exits. */
void mg_spec_mnist_head(struct mg_spec *s, u32 seed);
/* A tiny head (dispatch-bound) for benchmarks. */
void mg_spec_tiny_head(struct mg_spec *s, u32 seed);

#endif /* SPEX_MODELGEN_H */
