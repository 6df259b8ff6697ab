/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * spex-train's library: a predefined-sparse split/early-exit network in
 * float for training, its int8 simulation and its .spx export.
 *
 *   st_config_*   the network spec (text config and CLI flags)
 *   st_net_*      build the network from a spec: patterns come from
 *                 spex_pattern_fill(), the very edges the engine
 *                 regenerates at load time
 *   st_forward    batched float forward pass (net_forward.c) that
 *                 touches only the edges that exist (activations are
 *                 [feature][batch])
 *   st_loss_backward  joint loss and backward pass (net_backward.c)
 *   st_opt_step   Adam and SGD steps (net_optim.c)
 *   st_pool_*     the data-parallel step: shards of a batch on threads,
 *                 gradients reduced in shard order (net_shard.c)
 *   st_train_*    epochs, evaluation
 *   st_plan_write the plan a peer trainer replays (plan.c)
 *   st_quant_*    post-training int8 quantization and the trainer's own
 *                 integer simulation of the .spx int8 arithmetic
 *   st_export     head.spx + tail.spx (or a FULL model)
 */
#ifndef SPEX_TRAIN_H
#define SPEX_TRAIN_H

#include <spex/engine.h>

#define ST_MAX_LAYERS	32
#define ST_MAX_EXITS	4
#define ST_MAX_BATCH	256
#define ST_MAX_SHARDS	16

enum st_kind {
	ST_FC = 1,
	ST_CONV = 2,
	ST_MAXPOOL = 3,
};

/* One layer of the spec, as the config gives it. */
struct st_layer_spec {
	u32 kind;		/* enum st_kind */
	u32 out;		/* FC outputs / conv output channels */
	/* connectivity: at most one of these is set; none means dense */
	u32 d_in;		/* in-degree */
	u32 d_out;		/* out-degree */
	double density;		/* in-degree / fan-in, (0, 1] */
	u32 pattern;		/* enum spx_pattern_type (DENSE when dense) */
	u32 z, starts, dither, seed;
	u32 k, pad;		/* conv: kernel side, padding (stride 1) */
	u32 mask_type, mask_period;	/* conv */
	u32 pool;		/* maxpool window = stride */
};

struct st_exit_spec {
	u32 after;		/* main-path layer index */
	u32 hidden;		/* 0: a single FC to the classes */
	double hidden_density;	/* of the hidden FC; 0: dense */
	double weight;		/* loss weight */
	double threshold;	/* max-softmax threshold written to head.spx */
};

struct st_spec {
	char name[SPX_NAME_LEN];
	u32 in_c, in_h, in_w;
	u32 pad_to;		/* zero-pad the flattened input (0: no) */
	u32 n_classes;
	u32 n_layers;		/* main path; the last gives the logits */
	struct st_layer_spec layers[ST_MAX_LAYERS];
	u32 split;		/* head = layers[0 .. split); 0: FULL model */
	u32 n_exits;
	struct st_exit_spec exits[ST_MAX_EXITS];
	double final_weight;	/* loss weight of the final output */
	/* training */
	u32 epochs, batch, seed;
	u32 adam;		/* 1: Adam, 0: SGD with momentum */
	double lr, momentum, l2, lr_decay;
	u32 masked_dense;	/* benchmark only: train dense with masks */
	u32 calib;		/* calibration samples for int8 */
	u32 shards;		/* a batch is cut into this many shards */
	/* (the fields above are what st_spec_print() writes back) */
	u32 threads;		/* threads over the shards: speed, not results */
};

/* Defaults for every field, then the given config text / flags. */
void st_spec_default(struct st_spec *s);
/*
 * Apply a config: one statement per line, '#' comments, e.g.
 *   input 1 28 28
 *   fc 112 din=112 pattern=cf3 z=8 starts=seed
 *   split
 *   exit hidden=0 weight=0.5 threshold=0.9
 * (see Documentation/training.rst). Returns 0, or -1 with a message
 * "LINE: what is wrong" in err.
 */
int st_spec_parse(struct st_spec *s, const char *text, const char *fname,
		  char *err, size_t errlen);
/* One statement, as CLI flags give them ("fc 40 dout=2"). */
int st_spec_statement(struct st_spec *s, const char *stmt, char *err,
		      size_t errlen);
/* Write the spec back as config text (to save next to the models). */
void st_spec_print(const struct st_spec *s, FILE *f);

/* A built layer: shapes, edges, parameters, optimizer state, quant. */
struct st_layer {
	u32 kind;
	u32 relu;
	u32 branch;		/* 0 main path, e + 1 exit e */
	u32 src;		/* input: net->act[src] (0 = the net input) */
	u32 in_c, in_h, in_w, out_c, out_h, out_w;
	u32 n_in, n_out;	/* flattened */
	/* FC: p = n_in; conv: p = in_c (channels) */
	u32 p, d_in;
	struct {
		u32 type, starts, dither, z, seed;
	} pat;
	u32 *left;		/* FC: n_out * d_in; conv: out_c * d_in */
	u32 k, pad, mask_type, mask_period;
	u32 *tap_start;		/* conv: out_c * d_in + 1 */
	u8 *taps;
	u32 pool;
	u32 n_w;		/* weights (edges, conv: edges * taps) */
	float *w, *b, *gw, *gb;
	float *mw, *vw, *mb, *vb;	/* optimizer state */
	u8 *mask;		/* masked-dense benchmark mode: n_out * n_in */
	/* int8 */
	float in_scale, out_scale;
	s32 in_zp, out_zp;
	s8 *wq;
	s32 *bq, *mult, *shift;
};

struct st_exit {
	u32 after, first, n_layers;
	double weight, threshold;
	/* int8: the engine's exp LUT and Q16 scale of the exit logits */
	u32 lut[SPX_EXP_LUT_LEN];
	u32 logit_scale_q16;
};

struct st_net {
	struct st_spec spec;
	u32 n_in;		/* flattened input incl. padding */
	u32 in_c, in_h, in_w;	/* the model's input shape (after padding) */
	u32 n_main, n_layers;
	struct st_layer layers[ST_MAX_LAYERS];
	u32 n_exits;
	struct st_exit exits[ST_MAX_EXITS];
	u64 step;		/* optimizer steps taken */
	/* work buffers for one batch: activations and their gradients */
	float *act[ST_MAX_LAYERS + 1], *dact[ST_MAX_LAYERS + 1];
	u32 *argmax[ST_MAX_LAYERS];	/* maxpool backward */
	float *in_buf;
	float in_scale;		/* int8 input: 1/255, zero point -128 */
	s32 in_zp;
	u32 quantized;
	u32 last_correct;	/* final-output hits of the last loss batch */
	u32 loss_div;		/* the loss is a mean over this many (0: bsz) */
	u32 final_lut[SPX_EXP_LUT_LEN];
	u32 final_logit_scale_q16;
};

/* Build from a spec: shapes, degree checks, patterns, initial weights.
 * Returns 0 or -1 with a message in err. */
int st_net_build(struct st_net *net, const struct st_spec *s, char *err,
		 size_t errlen);
void st_net_free(struct st_net *net);

/* Counts for the report. */
struct st_counts {
	u64 weights, dense_weights;		/* FC/conv weights stored */
	u64 head_macs, tail_macs, exit_macs;	/* per inference */
	u64 dense_head_macs, dense_tail_macs;
	u64 train_macs;				/* per training sample */
	u64 dense_train_macs;
	u32 bottleneck;				/* elements (= bytes, int8) */
};
void st_net_counts(const struct st_net *net, struct st_counts *c);

/* Samples: u8 pixels (the IDX bytes), scaled by 1/255 in the net. */
struct st_data {
	u32 n, dim;		/* dim = in_c * in_h * in_w before padding */
	const u8 *x;		/* n x dim */
	const u8 *y;		/* n */
};

/*
 * Batched passes over idx[0 .. bsz). st_forward fills net->act (main path
 * and branches) and, if logits is not NULL, logits[o][c * bsz + b] for
 * every output o (0 .. n_exits - 1 the exits, n_exits the final).
 * st_loss_backward computes the joint loss (sum of weight * mean CE),
 * accumulates gradients and returns the loss.
 */
void st_forward(struct st_net *net, const struct st_data *d, const u32 *idx,
		u32 bsz);
double st_loss_backward(struct st_net *net, const struct st_data *d,
			const u32 *idx, u32 bsz, int backward);
/* The logits of output o (exit e, or n_exits for final) after st_forward. */
const float *st_logits(const struct st_net *net, u32 o);

void st_zero_grad(struct st_net *net);
void st_opt_step(struct st_net *net, double lr);

/*
 * The data-parallel step (net_shard.c): st_pool_step() cuts idx[0 .. bsz)
 * into spec.shards shards, runs each shard's forward + backward on its own
 * worker, spec.threads at a time, and leaves in net's gradients their sum
 * in shard order: the same bits for any thread count. Returns the mean
 * loss; net->last_correct counts the batch's final-output hits. A pool
 * holds views of net: make it after st_net_build, free it before
 * st_net_free.
 */
struct st_pool;
struct st_pool *st_pool_new(const struct st_net *net);
double st_pool_step(struct st_pool *p, struct st_net *net,
		    const struct st_data *d, const u32 *idx, u32 bsz);
void st_pool_free(struct st_pool *p);

/* Progress callback: called after every batch. */
struct st_progress {
	u32 epoch, epochs;
	u64 done, total;	/* samples this epoch */
	double loss, acc;	/* running, this epoch */
	double elapsed;		/* seconds this epoch */
	int end;		/* 1 on the epoch's last call */
};
typedef void (*st_progress_fn)(const struct st_progress *p, void *priv);

/* The order st_train() visits n samples in: out[ep * n + i] for every
 * epoch (spec.epochs * n entries). */
void st_epoch_orders(const struct st_spec *s, u32 n, u32 *out);
/* Write the plan a peer trainer replays (plan.c): plan.txt, per layer
 * wI.f32 (dense, 0 off the pattern), maskI.u8, bI.f32, and train.u32
 * (train_idx) and order.u32 (st_epoch_orders). FC networks only. */
int st_plan_write(const struct st_net *net, const u32 *train_idx,
		  u32 n_train, const char *dir, char *err, size_t errlen);

/* Train for spec.epochs over d (order reshuffled per epoch, seeded); cb
 * (optional) sees every batch. epoch_seconds (optional) receives each
 * epoch's wall time. Returns 0, -1 on bad arguments or memory, -2 if the
 * loss stopped being finite. */
int st_train(struct st_net *net, const struct st_data *d, st_progress_fn cb,
	     void *priv, double *epoch_seconds);

/* Evaluation in float: per output accuracy and max-softmax confidences. */
struct st_eval {
	u32 n;
	u32 n_out;		/* n_exits + 1 */
	u32 correct[ST_MAX_EXITS + 1];
	/* per sample, per output: predicted class and confidence */
	u8 *pred;		/* n x n_out */
	float *conf;		/* n x n_out */
};
int st_evaluate(struct st_net *net, const struct st_data *d,
		struct st_eval *ev);
/* The same with the int8 simulation (st_quantize first). conf is the
 * engine's Q16 max-softmax confidence / 65536. */
int st_evaluate_i8(const struct st_net *net, const struct st_data *d,
		   struct st_eval *ev);
void st_eval_free(struct st_eval *ev);

/* Post-training quantization: activation ranges from the first n_calib
 * samples of d. */
int st_quantize(struct st_net *net, const struct st_data *d, u32 n_calib);

/*
 * The int8 simulation of one input, integer-only and following the
 * format's int8 arithmetic (model-format.rst): x is the u8 image.
 * Outputs the bottleneck (if bott != NULL, the split layer's int8
 * output), each exit's int8 logits (exit_q[e][n_classes]) and the final
 * int8 logits (final_q). Returns 0.
 */
int st_sim_i8(const struct st_net *net, const u8 *x, s8 *bott,
	      s8 exit_q[][SPX_MAX_CLASSES], s8 *final_q);
/* The exit's int8 confidence (the engine's policy, max softmax) and class. */
void st_exit_conf_i8(const struct st_net *net, u32 e, const s8 *q,
		     u32 *class_id, u32 *conf_q16);
/* The model's int8 input for an image (padded): n_in bytes. */
void st_input_i8(const struct st_net *net, const u8 *x, s8 *q);

/* SHA-256 over the architecture and the trained float parameters. */
void st_content_hash(const struct st_net *net, u8 hash[SPX_HASH_LEN]);

/*
 * Export after st_quantize: role HEAD writes layers[0 .. split) + exits,
 * TAIL the rest, FULL everything (exits included). *blob is malloc'd.
 */
int st_export(const struct st_net *net, u32 role, void **blob, size_t *len);

/* Seeded train/val/test split of n items into index arrays. */
void st_split(u32 n, u32 seed, u32 n_val, u32 n_test, u32 **train,
	      u32 *n_train, u32 **val, u32 **test);
/* A subset view: copies the chosen items. */
int st_data_subset(const struct st_data *d, const u32 *idx, u32 n,
		   struct st_data *out);
void st_data_free(struct st_data *d);

#endif /* SPEX_TRAIN_H */
