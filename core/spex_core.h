/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * The spex engine: load a .spx model, run jobs on it.
 *
 * This is the API both the kernel module and libspex use. It never
 * allocates after spex_model_load(): each job runs in caller-provided
 * scratch memory of spex_model_scratch_size() bytes, so a caller can keep
 * a pool of scratch buffers and the hot path stays allocation-free.
 *
 * A loaded model is immutable and may be run by many threads at once,
 * each with its own scratch.
 */
#ifndef SPEX_CORE_H
#define SPEX_CORE_H

#include "spex_platform.h"
#include "kernels.h"

struct spex_model;

/* Defaults a caller may override per load. */
#define SPEX_DEFAULT_BUDGET	(256u << 20)	/* runtime bytes per model */

/* spex_load_opts.flags */
#define SPEX_LOAD_INT8_ONLY	0x1	/* refuse f32 models (the kernel) */
#define SPEX_LOAD_NO_CRC	0x2	/* skip the CRC (fuzzing only) */

struct spex_load_opts {
	u64 budget;		/* max runtime bytes; 0: SPEX_DEFAULT_BUDGET */
	u32 flags;
};

/* Why a load or a job failed: the status, and a reason for humans. */
struct spex_diag {
	u32 status;		/* enum spex_status */
	u32 offset;		/* byte offset in the blob, where it applies */
	char msg[160];
};

/* What a model is, for MODEL_INFO, spexctl info and the demo. */
struct spex_model_info {
	char name[SPX_NAME_LEN];
	u8 hash[SPX_HASH_LEN];
	u32 role;		/* enum spx_role */
	u32 dtype;		/* enum spx_dtype */
	u32 in_c, in_h, in_w;
	u32 n_classes;
	u32 n_layers, n_main, n_exits;
	u32 input_bytes;	/* bytes of one input */
	u32 output_bytes;	/* HEAD: bottleneck; FULL/TAIL: logits */
	u32 out_c, out_h, out_w;/* main-path output shape */
	struct spx_qparam input_q;
	struct spx_qparam output_q; /* main-path output (bottleneck) */
	u64 weights;		/* stored weights (nonzeros) */
	u64 dense_weights;	/* the same layers, dense */
	u64 macs;		/* main path + every exit branch */
	u64 dense_macs;
	u64 file_bytes;		/* size of the .spx */
	u64 dense_file_bytes;	/* a dense int8/f32 model of the same shape */
	u64 mem_bytes;		/* runtime memory of the loaded model */
	u64 scratch_bytes;	/* per job */
};

/* One layer, for listings. */
struct spex_layer_info {
	u32 type;		/* enum spx_layer_type */
	u32 branch;		/* 0: main path; e + 1: exit e's branch */
	u32 in_c, in_h, in_w;
	u32 out_c, out_h, out_w;
	u32 fan_in;		/* FC: inputs; conv: input channels */
	u32 in_degree;		/* edges per output (FC) / channels (conv) */
	u32 pattern;		/* enum spx_pattern_type */
	u32 z;
	u32 layout;		/* FC: enum spex_fc_layout */
	u64 weights;
	u64 macs;
	u64 dense_macs;
};

/* Parse, validate and build a model. All validation happens before the
 * one allocation; returns an enum spex_status and fills diag (optional). */
int spex_model_load(const void *blob, size_t len,
		    const struct spex_load_opts *opts,
		    struct spex_model **out, struct spex_diag *diag);
void spex_model_free(struct spex_model *m);

const struct spex_model_info *spex_model_info(const struct spex_model *m);
int spex_model_layer_info(const struct spex_model *m, u32 i,
			  struct spex_layer_info *li);
/*
 * The model part of a MODEL_INFO answer: every field spex_model_info()
 * knows. The caller fills the rest (model id, layer buffer, policy,
 * statistics); spex_layer_describe() fills one layer entry.
 */
void spex_model_describe(const struct spex_model *m,
			 struct spex_model_desc *d);
int spex_layer_describe(const struct spex_model *m, u32 i,
			struct spex_layer_desc *d);
/* Make a set policy explicit: with no thresholds of its own (n_thresholds
 * 0) it takes the file's, so MODEL_INFO always shows what is in force. */
void spex_policy_in_force(const struct spex_model *m, struct spex_policy *p);
/* The threshold of exit e as the file sets it (Q16). */
u32 spex_model_exit_threshold(const struct spex_model *m, u32 e);
size_t spex_model_scratch_size(const struct spex_model *m);

/*
 * Hooks for the caller of spex_run(), all optional.
 *  - simd_begin/simd_end bracket every chunk of kernel work (the module
 *    maps them to kernel_fpu_begin/end; a chunk is at most chunk_macs
 *    multiply-accumulates, and never sleeps).
 *  - layer_done fires after each layer, exit_done after each exit policy.
 */
struct spex_layer_event {
	u32 layer;		/* index in the model's layer list */
	u32 branch;		/* 0: main path; e + 1: exit e's branch */
	u32 type;
	u64 macs, weight_bytes, act_bytes;
};

struct spex_exit_event {
	u32 exit;
	u32 class_id;
	u32 confidence_q16;
	u32 threshold_q16;
	u32 taken;
};

struct spex_exec {
	const struct spex_kernels *kernels;	/* NULL: spex_kernels_best() */
	u64 chunk_macs;				/* 0: no chunking */
	void (*simd_begin)(void *priv);
	void (*simd_end)(void *priv);
	void (*layer_done)(void *priv, const struct spex_layer_event *ev);
	void (*exit_done)(void *priv, const struct spex_exit_event *ev);
	void *priv;
};

/*
 * Run one job. input: info.input_bytes bytes (int8 CHW, or f32 CHW for f32
 * models). out receives, when the decision is OFFLOAD, the bottleneck
 * (HEAD), or when FINAL, the logits (FULL/TAIL); out_cap must be at least
 * info.output_bytes. policy NULL means the thresholds in the file.
 * Returns an enum spex_status (also in res->status). res->ns is left 0.
 */
int spex_run(const struct spex_model *m, const struct spex_policy *policy,
	     const struct spex_exec *ex, void *scratch,
	     const void *input, size_t in_len, void *out, size_t out_cap,
	     struct spex_result *res);

/* Check a policy against a model (mode known, thresholds <= 1.0). */
int spex_policy_check(const struct spex_model *m,
		      const struct spex_policy *policy);

/* Status helpers. */
const char *spex_status_name(int status);	/* "SPEX_E_CRC" */
const char *spex_status_str(int status);	/* "checksum mismatch" */
int spex_status_errno(int status);		/* positive errno */

/* CRC-32 (IEEE 802.3, reflected, as zlib): crc = spex_crc32(0, p, n). */
u32 spex_crc32(u32 crc, const void *p, size_t n);

#endif /* SPEX_CORE_H */
