/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * spex: split-computing inference for predefined-sparse networks.
 *
 * This header is the single contract between the kernel module, libspex,
 * the tools and the bpf programs. It holds:
 *   - the .spx model format (all fields little-endian; see
 *     Documentation/model-format.rst),
 *   - the status codes every loader and job reports,
 *   - the job result,
 *   - the /dev/spex ioctl and io_uring uring_cmd ABI,
 *   - the BPF kfunc bpf_spex_run() (XDP and TC programs).
 *
 * Rules for changing it: never reorder or resize a field; new fields take
 * the place of reserved ones, which must be zero until then; new
 * behaviour is announced with a feature bit.
 */
#ifndef _UAPI_LINUX_SPEX_H
#define _UAPI_LINUX_SPEX_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* ------------------------------------------------------------------ */
/* The .spx model format                                              */
/* ------------------------------------------------------------------ */

#define SPX_MAGIC		0x31585053u	/* "SPX1" read as __le32 */
#define SPX_VERSION_MAJOR	1
#define SPX_VERSION_MINOR	0
#define SPX_ALIGN		16	/* every section and data array */

/* Hard limits of the format; a file beyond them is rejected. */
#define SPX_MAX_SECTIONS	16
#define SPX_MAX_LAYERS		64
#define SPX_MAX_EXITS		8
#define SPX_MAX_CLASSES		1024
#define SPX_MAX_DIM		65536	/* any single dimension */
#define SPX_MAX_KERNEL		15	/* conv/pool window side */
#define SPX_NAME_LEN		32
#define SPX_HASH_LEN		32

struct spx_file_header {
	__le32 magic;			/* SPX_MAGIC */
	__le16 version_major;		/* readers reject another major */
	__le16 version_minor;		/* readers accept any minor */
	__le32 header_size;		/* sizeof(struct spx_file_header) */
	__le32 file_size;		/* whole file, header included */
	__le32 section_count;		/* 1 .. SPX_MAX_SECTIONS */
	__le32 section_offset;		/* of the section table */
	__le32 flags;			/* none defined: must be 0 */
	__le32 crc32;			/* CRC-32 (IEEE) of the file, this field as 0 */
	__le32 reserved[8];		/* must be 0 */
};					/* 64 bytes */

enum spx_section_type {
	SPX_SEC_META	= 1,	/* struct spx_meta, exactly one */
	SPX_SEC_LAYERS	= 2,	/* struct spx_layer[meta.n_layers] */
	SPX_SEC_EXITS	= 3,	/* struct spx_exit[meta.n_exits]; absent if 0 */
	SPX_SEC_DATA	= 4,	/* arrays referenced by offset from its start */
};
/* Sections with this bit may be skipped by readers that do not know them. */
#define SPX_SEC_OPTIONAL	0x80000000u

struct spx_section {
	__le32 type;			/* enum spx_section_type */
	__le32 offset;			/* from the file start, SPX_ALIGN aligned */
	__le32 size;			/* bytes */
	__le32 reserved;		/* must be 0 */
};					/* 16 bytes */

enum spx_role {
	SPX_ROLE_FULL	= 0,	/* whole network: last layer gives the logits */
	SPX_ROLE_HEAD	= 1,	/* edge half: last layer output is the bottleneck */
	SPX_ROLE_TAIL	= 2,	/* server half: input is the bottleneck */
};

enum spx_dtype {
	SPX_DTYPE_INT8	= 0,	/* int8 weights/activations, int32 accumulation */
	SPX_DTYPE_F32	= 1,	/* userspace and training only */
};

/* An affine int8 quantization: real = scale * (q - zero_point). */
struct spx_qparam {
	__le32 scale_bits;		/* IEEE-754 binary32 bits of scale */
	__le32 zero_point;		/* as __s32, in [-128, 127] */
};

struct spx_meta {
	char name[SPX_NAME_LEN];	/* NUL-padded, at least one NUL */
	__u8 content_hash[SPX_HASH_LEN];/* SHA-256 naming the trained network;
					 * equal in its head and its tail */
	__le32 role;			/* enum spx_role */
	__le32 dtype;			/* enum spx_dtype */
	__le32 in_c, in_h, in_w;	/* input tensor, CHW */
	__le32 n_classes;		/* width of every classifier output */
	__le32 n_layers;		/* entries in SPX_SEC_LAYERS */
	__le32 n_main;			/* layers[0 .. n_main) are the main path */
	__le32 n_exits;			/* entries in SPX_SEC_EXITS */
	struct spx_qparam input_q;	/* int8: how inputs are quantized */
	__le32 final_lut_offset;	/* int8 FULL/TAIL: exp LUT (see spx_exit) */
	__le32 final_logit_scale_q16;	/* int8 FULL/TAIL: logit scale, Q16.16 */
	__le32 reserved[9];		/* must be 0 */
};					/* 152 bytes */

enum spx_layer_type {
	SPX_LAYER_FC		= 1,	/* fixed in-degree fully-connected */
	SPX_LAYER_CONV2D	= 2,	/* channel in-degree + kernel mask */
	SPX_LAYER_MAXPOOL	= 3,
	SPX_LAYER_AVGPOOL	= 4,
	SPX_LAYER_RELU		= 5,
	SPX_LAYER_FLATTEN	= 6,
};

/* spx_layer.flags */
#define SPX_LF_RELU		0x0001	/* FC/conv: ReLU fused on the output */

enum spx_pattern_type {
	SPX_PAT_DENSE	= 0,	/* in_degree must equal the fan-in */
	SPX_PAT_RANDOM	= 1,	/* structured random: exact in/out degree */
	SPX_PAT_CF1	= 2,	/* clash-free type 1: one start per sweep */
	SPX_PAT_CF2	= 3,	/* clash-free type 2: a start per sweep and bank */
	SPX_PAT_CF3	= 4,	/* clash-free type 3: a start per bank */
};

enum spx_starts_mode {
	SPX_STARTS_ZERO		= 0,	/* every start address is 0 */
	SPX_STARTS_SEED		= 1,	/* drawn from pattern.seed */
	SPX_STARTS_EXPLICIT	= 2,	/* __le32 array at starts_offset */
};

/*
 * A predefined-sparse junction from p = fan-in left neurons to the layer's
 * outputs, with in-degree d_in (spx_layer.in_degree) and out-degree
 * d_out = n_out * d_in / p. For conv layers the junction is between
 * channels. Nothing per edge is stored: the edges are regenerated from
 * these few numbers at load time.
 *
 * Clash-free (Dey et al. 2019): z banks; left neuron l is in bank l % z at
 * address l / z. Edge k lies in sweep k / p at position j = k % p and reads
 * left neuron t[j] * z + v[j] with t[j] = (s[sweep][b] + j / z) % (p / z),
 * b = j % z; v[j] = b, or perm[sweep][b] with dither. Right neuron: k / d_in.
 * Explicit starts hold d_out values (CF1), d_out * z (CF2) or z (CF3).
 */
struct spx_pattern {
	__u8 type;			/* enum spx_pattern_type */
	__u8 starts;			/* enum spx_starts_mode */
	__u8 dither;			/* clash-free: permute banks (from seed) */
	__u8 reserved0;			/* must be 0 */
	__le32 z;			/* clash-free: banks; else must be 0 */
	__le32 seed;			/* RANDOM edges; SEED starts; dither */
	__le32 starts_offset;		/* EXPLICIT: into DATA; else 0 */
};					/* 16 bytes */

enum spx_mask_type {
	SPX_MASK_FULL	= 0,	/* every kernel element */
	/*
	 * pSConv-style periodic mask: for output channel o and its s-th input
	 * channel slot, c = (o + s + 1) % mask_period; c < 4 keeps the 2x2
	 * corner block c (0 top-left, 1 top-right, 2 bottom-left,
	 * 3 bottom-right) of a kernel of at least 2x2, else the full kernel.
	 */
	SPX_MASK_PERIODIC = 1,
};

struct spx_layer {
	__le16 type;			/* enum spx_layer_type */
	__le16 flags;			/* SPX_LF_* */
	__le32 out_c;			/* FC: outputs; conv: out channels */
	__u8 kh, kw;			/* conv/pool window */
	__u8 stride, pad;		/* conv/pool */
	__le32 in_degree;		/* FC: edges per output; conv: in channels
					 * per out channel */
	struct spx_pattern pattern;	/* FC/conv */
	__u8 mask_type;			/* conv: enum spx_mask_type */
	__u8 mask_period;		/* SPX_MASK_PERIODIC: >= 1 */
	__le16 reserved0;		/* must be 0 */
	struct spx_qparam out_q;	/* int8: output quantization */
	__le32 weights_offset;		/* into DATA: int8 or f32, edge order */
	__le32 weights_size;		/* bytes; must match the pattern */
	__le32 bias_offset;		/* into DATA: out_c x (s32 | f32) */
	__le32 requant_offset;		/* int8: out_c x {s32 mult; s32 shift} */
	__le32 reserved[5];		/* must be 0 */
};					/* 80 bytes */

enum spx_exit_policy {
	SPX_POLICY_MAX_SOFTMAX	= 0,	/* confidence = max softmax */
	SPX_POLICY_ENTROPY	= 1,	/* 1 - H(p) / ln(n_classes) */
	SPX_POLICY_MARGIN	= 2,	/* top-1 minus top-2 probability */
};

#define SPX_EXP_LUT_LEN		256
#define SPX_Q16_ONE		65536u

/*
 * An early-exit classifier: layers[first_layer .. first_layer + n_layers)
 * run on the output of main-path layer after_layer and end in n_classes
 * logits. int8 exits carry an exp lookup table: lut[d] =
 * round(65536 * exp(-logit_scale * d)), d = 0..255, so softmax needs no
 * float.
 */
struct spx_exit {
	__le32 after_layer;		/* main-path layer index */
	__le32 first_layer;		/* branch layers, after the main path */
	__le32 n_layers;
	__le32 policy;			/* enum spx_exit_policy */
	__le32 threshold_q16;		/* exit when confidence >= this */
	__le32 lut_offset;		/* int8: __le32[SPX_EXP_LUT_LEN] in DATA */
	__le32 logit_scale_q16;		/* int8: branch logit scale, Q16.16 */
	__le32 reserved[5];		/* must be 0 */
};					/* 48 bytes */

/* ------------------------------------------------------------------ */
/* Status codes: what every loader and job reports                    */
/* ------------------------------------------------------------------ */

enum spex_status {
	SPEX_OK = 0,
	SPEX_E_TRUNCATED,	/* shorter than its header or file_size says */
	SPEX_E_MAGIC,		/* not a .spx file */
	SPEX_E_VERSION,		/* unsupported major version */
	SPEX_E_CRC,		/* checksum mismatch */
	SPEX_E_HEADER,		/* header size, flags or reserved fields */
	SPEX_E_SECTION,		/* section table: bounds, alignment, overlap,
				 * duplicate, missing or unknown */
	SPEX_E_META,		/* role, dtype, name, counts */
	SPEX_E_LAYER,		/* unknown layer type, flags or reserved set */
	SPEX_E_SHAPE,		/* shapes do not chain, or zero/too large */
	SPEX_E_OVERFLOW,	/* a size computation overflows */
	SPEX_E_RANGE,		/* a DATA reference out of bounds/misaligned */
	SPEX_E_PATTERN,		/* unknown pattern type or starts mode,
				 * start address out of range */
	SPEX_E_PATTERN_Z,	/* z == 0 or p % z != 0 */
	SPEX_E_PATTERN_DIN,	/* clash-free with p % d_in != 0 */
	SPEX_E_DEGREE,		/* N(i-1) * d_out != N(i) * d_in, d_in > p */
	SPEX_E_DUP_EDGE,	/* a neuron reads the same input twice */
	SPEX_E_QUANT,		/* requant multiplier/shift or zero point */
	SPEX_E_EXIT,		/* exit branch, policy, threshold or LUT */
	SPEX_E_SPLIT,		/* role and layout of the split disagree */
	SPEX_E_BUDGET,		/* the model needs more memory than allowed */
	SPEX_E_DTYPE,		/* dtype not supported here (f32 in kernel) */
	SPEX_E_NOMEM,		/* allocation failed */
	SPEX_E_INPUT,		/* job input has the wrong length */
	SPEX_E_OUTPUT,		/* job output buffer too small */
	SPEX_E_LIMIT,		/* beyond a hard limit of the format */
	SPEX_E_POLICY,		/* bad policy mode or threshold */
	/* A new status goes here, at the end: core/status.h counts them. */
};

/* ------------------------------------------------------------------ */
/* Exit policy of a model, as SET_POLICY and libspex set it           */
/* ------------------------------------------------------------------ */

enum spex_policy_mode {
	SPEX_MODE_AUTO		= 0,	/* exit when confident, else offload */
	SPEX_MODE_FORCE_LOCAL	= 1,	/* never offload: the last exit's answer
					 * stands (SPEX_RF_LOW_CONF if unsure) */
	SPEX_MODE_FORCE_OFFLOAD	= 2,	/* never exit; exits still run so the
					 * result carries a best local guess */
};

/*
 * How an offload decision sees the network (feature SPEX_F_NET_POLICY;
 * Documentation/offload-decision.rst). Without the feature these fields
 * were reserved[2] and had to be 0, which is SPEX_NET_CONFIDENCE with no
 * deadline: an old caller's policy means what it meant.
 */
enum spex_net_mode {
	SPEX_NET_CONFIDENCE	= 0,	/* (a) the exit thresholds only */
	SPEX_NET_DEADLINE	= 1,	/* (b) offload only if RTT + k*RTTVAR +
					 * tail time fits the deadline */
	SPEX_NET_ADAPTIVE	= 2,	/* (c) (b), and the exit threshold
					 * moves to keep the offload bytes/s
					 * within the link's capacity */
};

#define SPEX_NET_MAX_K		64	/* largest rttvar_k */
#define SPEX_NET_MAX_DEADLINE_US 60000000u	/* one minute */

struct spex_policy {
	__u32 mode;			/* enum spex_policy_mode */
	__u32 n_thresholds;		/* 0: keep the file's thresholds */
	__u32 threshold_q16[SPX_MAX_EXITS]; /* per exit, <= SPX_Q16_ONE */
	__u16 net_mode;			/* enum spex_net_mode */
	__u16 rttvar_k;			/* k of RTT + k*RTTVAR; 0: 4 */
	__u32 deadline_us;		/* per frame or job, from its head's
					 * start; needed by DEADLINE and
					 * ADAPTIVE, 0 otherwise */
};					/* 48 bytes */

/* Why an offload decision went the way it did (per tail counters). */
enum spex_net_reason {
	SPEX_NET_R_OFFLOAD	= 0,	/* sent to the tail */
	SPEX_NET_R_CONFIDENT	= 1,	/* an exit was confident */
	SPEX_NET_R_DEADLINE	= 2,	/* the answer would come too late */
	SPEX_NET_R_BUDGET	= 3,	/* over the link budget / capacity */
	SPEX_NET_R_DOWN		= 4,	/* the tail is down */
	SPEX_NET_R_PROBE	= 5,	/* answered locally; the frame is sent
					 * only to measure the tail */
	SPEX_NET_R_COUNT
};

/* ------------------------------------------------------------------ */
/* Job result                                                         */
/* ------------------------------------------------------------------ */

enum spex_decision {
	SPEX_DECISION_EXIT	= 0,	/* an exit was confident: final */
	SPEX_DECISION_OFFLOAD	= 1,	/* send the bottleneck to the tail */
	SPEX_DECISION_FINAL	= 2,	/* the model's own last layer decided
					 * (FULL or TAIL models) */
};

#define SPEX_NO_EXIT		0xffffffffu

/* spex_result.flags */
#define SPEX_RF_FORCED		0x0001	/* the policy forced the decision */
#define SPEX_RF_LOW_CONF	0x0002	/* EXIT below threshold (force-local) */
#define SPEX_RF_FALLBACK	0x0004	/* libspex: tail unreachable, answer is
					 * the local best guess */

struct spex_result {
	__u32 decision;		/* enum spex_decision */
	__u32 exit_index;	/* EXIT: exit taken; OFFLOAD: last exit tried
				 * (its class is the best local guess);
				 * SPEX_NO_EXIT if none was evaluated */
	__u32 class_id;		/* the answer, or best guess on OFFLOAD */
	__u32 confidence_q16;	/* of class_id, Q16 (65536 = 1.0) */
	__u32 flags;		/* SPEX_RF_* */
	__u32 bottleneck_len;	/* OFFLOAD: bytes written to the output */
	__u32 layers_run;	/* main-path and branch layers computed */
	__u32 status;		/* enum spex_status of the job */
	__u64 macs;		/* multiply-accumulates performed */
	__u64 weight_bytes;	/* weight, bias and requant bytes read */
	__u64 act_bytes;	/* activation bytes read and written */
	__u64 ns;		/* wall time in the engine (filled by the caller
				 * of the engine: module or library) */
	__u64 reserved[2];	/* 0 */
};				/* 80 bytes */

/* ------------------------------------------------------------------ */
/* The /dev/spex ioctl and io_uring uring_cmd ABI                     */
/* ------------------------------------------------------------------ */

/*
 * Every struct below has explicit padding and reserved fields; a reserved
 * field or an unknown flag that is not zero gets EINVAL, so a field can be
 * given a meaning later. User pointers are __u64 (u64_to_user_ptr).
 *
 * Feature negotiation works as in ublk: SPEX_IOC_GET_INFO returns the
 * features the module supports; userspace uses only the intersection with
 * the features it knows. A new module keeps every old behaviour, and a
 * flag or field that needs a feature bit the module lacks is refused with
 * EINVAL, so new userspace on an old module fails cleanly.
 */

#define SPEX_ABI_VERSION	1
/*
 * The ioctl type byte. 0xB8 is unused in the kernel's
 * Documentation/userspace-api/ioctl/ioctl-number.rst (checked against
 * 6.1: 0xB7 is remoteproc/nsfs, nothing from 0xB8 until 0xC0). Numbers
 * 0x00-0x3f are ioctls, 0x40-0x7f uring_cmd ops; see kmod.rst.
 */
#define SPEX_IOC_MAGIC		0xB8

/* spex_info.features */
#define SPEX_F_URING_CMD	(1ULL << 0) /* SPEX_URING_CMD_INFER on SQE128 */
#define SPEX_F_CQE32_EXTRA	(1ULL << 1) /* CQE32 rings get big_cqe[0] */
#define SPEX_F_JOB_SCALAR	(1ULL << 2) /* SPEX_JOB_F_SCALAR */
#define SPEX_F_LOAD_DIAG	(1ULL << 3) /* spex_load status/offset/msg */
#define SPEX_F_LOAD_ATOMIC	(1ULL << 4) /* SPEX_LOAD_F_ATOMIC */
#define SPEX_F_KFUNC		(1ULL << 5) /* bpf_spex_run() for XDP and TC */
#define SPEX_F_NET_POLICY	(1ULL << 6) /* spex_policy net_mode, rttvar_k,
					     * deadline_us */
#define SPEX_F_ALL		(SPEX_F_URING_CMD | SPEX_F_CQE32_EXTRA | \
				 SPEX_F_JOB_SCALAR | SPEX_F_LOAD_DIAG | \
				 SPEX_F_LOAD_ATOMIC | SPEX_F_KFUNC | \
				 SPEX_F_NET_POLICY)

/* SPEX_IOC_GET_INFO: what the module is and what it allows. */
struct spex_info {
	__u32 abi_version;		/* SPEX_ABI_VERSION */
	__u32 flags;			/* in: must be 0 */
	__u64 features;			/* SPEX_F_* supported */
	__u64 max_model_bytes;		/* largest .spx accepted */
	__u32 max_models;		/* models loaded at once */
	__u32 max_jobs_per_file;	/* jobs in flight on one open file */
	__u32 max_input_bytes;		/* largest job input */
	__u32 n_models;			/* loaded now */
	char kernels[16];		/* default kernels: "avx2", "scalar" */
	__u64 reserved[4];		/* in: must be 0 */
};					/* 88 bytes */

/*
 * SPEX_IOC_LOAD_MODEL: copy a .spx from user memory, validate and load it.
 * Needs CAP_SYS_ADMIN. On success model_id is set. On a rejected blob the
 * ioctl fails with the errno of the status, and status, offset (the byte
 * in the blob that broke the rule) and msg are still written back.
 */
struct spex_load {
	__u64 blob;			/* in: user pointer to the .spx */
	__u32 blob_len;			/* in: bytes */
	__u32 flags;			/* in: SPEX_LOAD_F_* */
	__u32 model_id;			/* out: > 0 */
	__u32 status;			/* out: enum spex_status */
	__u32 offset;			/* out: where in the blob */
	__u32 reserved0;		/* must be 0 */
	char msg[128];			/* out: reason, NUL-terminated */
	__u64 reserved[2];		/* must be 0 */
};					/* 176 bytes */

/*
 * spex_load.flags. SPEX_LOAD_F_ATOMIC (feature SPEX_F_LOAD_ATOMIC) marks
 * the model for atomic use: jobs from softirq or with preemption off
 * (bpf_spex_run(), spex_submit_atomic()). spex reserves one scratch slot
 * per possible CPU for it. Refused (SPEX_E_BUDGET, the reason in
 * msg) when one job of the model needs more multiply-accumulates than
 * the module parameter atomic_max_macs allows (E2BIG).
 */
#define SPEX_LOAD_F_ATOMIC	0x1
#define SPEX_LOAD_F_ALL		SPEX_LOAD_F_ATOMIC

/* SPEX_IOC_UNLOAD_MODEL: needs CAP_SYS_ADMIN. Waits for the model's jobs
 * in flight; new jobs see ENOENT from the moment the call starts. */
struct spex_unload {
	__u32 model_id;
	__u32 flags;			/* must be 0 */
	__u64 reserved;			/* must be 0 */
};					/* 16 bytes */

/* SPEX_IOC_LIST_MODELS: ids of the loaded models, ascending. */
struct spex_list {
	__u64 ids;			/* in: user pointer to __u32[capacity] */
	__u32 capacity;			/* in: entries at ids (0: count only) */
	__u32 count;			/* out: models loaded; only
					 * min(count, capacity) ids are written */
	__u64 reserved[2];		/* must be 0 */
};					/* 32 bytes */

/* One layer of a loaded model (MODEL_INFO). */
struct spex_layer_desc {
	__u32 type;			/* enum spx_layer_type */
	__u32 branch;			/* 0: main path; e + 1: exit e's branch */
	__u32 in_c, in_h, in_w;
	__u32 out_c, out_h, out_w;
	__u32 fan_in;			/* FC: inputs; conv: input channels */
	__u32 in_degree;		/* edges per output / channels */
	__u32 density_ppm;		/* in_degree / fan_in, parts per million */
	__u32 pattern;			/* enum spx_pattern_type */
	__u32 z;			/* clash-free banks */
	__u32 layout;			/* FC kernel layout chosen at load */
	__u64 weights;			/* stored weights */
	__u64 macs;
	__u64 dense_macs;
	__u64 reserved;
};					/* 88 bytes */

/* SPEX_IOC_MODEL_INFO: what a model is, its policy and its statistics. */
struct spex_model_desc {
	__u32 model_id;			/* in */
	__u32 flags;			/* in: must be 0 */
	__u64 layers;			/* in: user pointer to spex_layer_desc[],
					 * or 0 */
	__u32 layers_cap;		/* in: entries at layers */
	__u32 n_layers;			/* out: all layers, main and branches */
	char name[SPX_NAME_LEN];
	__u8 hash[SPX_HASH_LEN];
	__u32 role;			/* enum spx_role */
	__u32 dtype;			/* enum spx_dtype */
	__u32 in_c, in_h, in_w;
	__u32 n_classes;
	__u32 n_main;
	__u32 n_exits;
	__u32 input_bytes;		/* a job's input_len */
	__u32 output_bytes;		/* a job's minimum output_len */
	__u32 out_c, out_h, out_w;	/* main-path output (bottleneck) */
	struct spx_qparam input_q;
	struct spx_qparam output_q;
	__u32 reserved0;		/* 0 */
	__u64 weights, dense_weights;
	__u64 macs, dense_macs;		/* per job, main path and all exits */
	__u64 file_bytes, dense_file_bytes;
	__u64 mem_bytes;		/* model, plus its scratch pool */
	__u64 scratch_bytes;		/* per job */
	struct spex_policy policy;	/* in force (n_thresholds = n_exits) */
	__u64 jobs, exits, offloads, errors, total_ns;
	__u64 reserved[4];
};					/* 344 bytes */

/* SPEX_IOC_SET_POLICY: needs CAP_SYS_ADMIN; applies to later jobs. */
struct spex_set_policy {
	__u32 model_id;
	__u32 flags;			/* must be 0 */
	struct spex_policy policy;	/* checked like spex_policy_check() */
	__u64 reserved;			/* must be 0 */
};					/* 64 bytes */

/* spex_job.flags */
#define SPEX_JOB_F_SCALAR	0x1	/* scalar kernels (SPEX_F_JOB_SCALAR) */
#define SPEX_JOB_F_ALL		SPEX_JOB_F_SCALAR

/*
 * One inference job: SPEX_IOC_INFER's argument, and the first 64 bytes of
 * the 80-byte command area of an SQE128 IORING_OP_URING_CMD.
 *
 * input holds exactly the model's input_bytes; output must hold its
 * output_bytes and receives the bottleneck when the decision is OFFLOAD
 * (the logits when FINAL). result, when not 0, receives the whole
 * struct spex_result. The three buffers must not overlap.
 *
 * The job's outcome is also returned in one int, so most callers never
 * read the result struct: the ioctl's return value and the CQE's res are
 * a SPEX_RES_* word (>= 0), or -errno.
 */
struct spex_job {
	__u32 model_id;
	__u32 flags;			/* SPEX_JOB_F_* */
	__u64 input;			/* user pointer */
	__u64 output;			/* user pointer */
	__u64 result;			/* user pointer, or 0 */
	__u32 input_len;
	__u32 output_len;
	__u64 reserved[3];		/* must be 0 */
};					/* 64 bytes */

/*
 * The word a job completes with (31 bits: never negative). Each field F
 * is SPEX_RES_F_MASK (before the shift) at SPEX_RES_F_SHIFT;
 * SPEX_RES_F(r) reads it and SPEX_RES_PACK() builds the word.
 */
#define SPEX_RES_DECISION_SHIFT	0
#define SPEX_RES_DECISION_MASK	0x3u		/* enum spex_decision */
#define SPEX_RES_FORCED_SHIFT	2
#define SPEX_RES_FORCED_MASK	0x1u		/* SPEX_RF_FORCED */
#define SPEX_RES_LOW_CONF_SHIFT	3
#define SPEX_RES_LOW_CONF_MASK	0x1u		/* SPEX_RF_LOW_CONF */
#define SPEX_RES_CLASS_SHIFT	4
#define SPEX_RES_CLASS_MASK	0x3ffu		/* class_id < SPX_MAX_CLASSES */
#define SPEX_RES_CONF_SHIFT	14
#define SPEX_RES_CONF_MASK	0x1ffffu	/* confidence, Q16 */

#define SPEX_RES_GET(r, F)	\
	(((__u32)(r) >> SPEX_RES_##F##_SHIFT) & SPEX_RES_##F##_MASK)
#define SPEX_RES_PUT(v, F)	\
	(((__u32)(v) & SPEX_RES_##F##_MASK) << SPEX_RES_##F##_SHIFT)
#define SPEX_RES_DECISION(r)	SPEX_RES_GET(r, DECISION)
#define SPEX_RES_FORCED(r)	SPEX_RES_GET(r, FORCED)
#define SPEX_RES_LOW_CONF(r)	SPEX_RES_GET(r, LOW_CONF)
#define SPEX_RES_CLASS(r)	SPEX_RES_GET(r, CLASS)
#define SPEX_RES_CONF(r)	SPEX_RES_GET(r, CONF)
#define SPEX_RES_PACK(dec, forced, low, cls, conf)			\
	((__s32)(SPEX_RES_PUT(dec, DECISION) | SPEX_RES_PUT(forced, FORCED) | \
		 SPEX_RES_PUT(low, LOW_CONF) | SPEX_RES_PUT(cls, CLASS) |	\
		 SPEX_RES_PUT(conf, CONF)))

/*
 * On a CQE32 ring, big_cqe[0] of a successful job (SPEX_F_CQE32_EXTRA),
 * laid out the same way: SPEX_RES2_F_MASK at SPEX_RES2_F_SHIFT.
 */
#define SPEX_RES2_EXIT_SHIFT		0
#define SPEX_RES2_EXIT_MASK		0xffULL	/* exit_index; 0xff: none */
#define SPEX_RES2_LAYERS_SHIFT		8
#define SPEX_RES2_LAYERS_MASK		0xffULL	/* layers_run */
#define SPEX_RES2_BOTTLENECK_SHIFT	32
#define SPEX_RES2_BOTTLENECK_MASK	0xffffffffULL /* output bytes written */

#define SPEX_RES2_GET(x, F)	\
	((__u32)(((__u64)(x) >> SPEX_RES2_##F##_SHIFT) & SPEX_RES2_##F##_MASK))
#define SPEX_RES2_PUT(v, F)	\
	(((__u64)(v) & SPEX_RES2_##F##_MASK) << SPEX_RES2_##F##_SHIFT)
#define SPEX_RES2_EXIT(x)	SPEX_RES2_GET(x, EXIT)
#define SPEX_RES2_LAYERS(x)	SPEX_RES2_GET(x, LAYERS)
#define SPEX_RES2_BOTTLENECK(x)	SPEX_RES2_GET(x, BOTTLENECK)
#define SPEX_RES2_PACK(exit_index, layers, bottleneck)			\
	(SPEX_RES2_PUT(exit_index, EXIT) | SPEX_RES2_PUT(layers, LAYERS) | \
	 SPEX_RES2_PUT(bottleneck, BOTTLENECK))

/*
 * GET_INFO reads flags and reserved from the caller, so it is _IOWR.
 * It was first declared _IOR under the same nr; the module still answers
 * that number (SPEX_IOC_GET_INFO_OLD) so a libspex built against it
 * runs. New code uses SPEX_IOC_GET_INFO.
 */
#define SPEX_IOC_GET_INFO	_IOWR(SPEX_IOC_MAGIC, 0x00, struct spex_info)
#define SPEX_IOC_GET_INFO_OLD	_IOR(SPEX_IOC_MAGIC, 0x00, struct spex_info)
#define SPEX_IOC_LOAD_MODEL	_IOWR(SPEX_IOC_MAGIC, 0x01, struct spex_load)
#define SPEX_IOC_UNLOAD_MODEL	_IOW(SPEX_IOC_MAGIC, 0x02, struct spex_unload)
#define SPEX_IOC_LIST_MODELS	_IOWR(SPEX_IOC_MAGIC, 0x03, struct spex_list)
#define SPEX_IOC_MODEL_INFO	_IOWR(SPEX_IOC_MAGIC, 0x04, struct spex_model_desc)
#define SPEX_IOC_SET_POLICY	_IOW(SPEX_IOC_MAGIC, 0x05, struct spex_set_policy)
#define SPEX_IOC_INFER		_IOWR(SPEX_IOC_MAGIC, 0x06, struct spex_job)

/*
 * io_uring: IORING_OP_URING_CMD on /dev/spex, on a ring set up with
 * IORING_SETUP_SQE128 (a 64-byte SQE has only 16 bytes of command area;
 * EINVAL otherwise), with sqe->cmd_op = SPEX_URING_CMD_INFER and a
 * struct spex_job at the start of sqe->cmd; the other 16 bytes of the
 * command area must be 0. The CQE's res is the SPEX_RES_* word or -errno.
 */
#define SPEX_URING_CMD_INFER	_IOWR(SPEX_IOC_MAGIC, 0x40, struct spex_job)
#define SPEX_URING_CMD_BYTES	80	/* command area of an SQE128 */

/* ------------------------------------------------------------------ */
/* BPF kfunc: a job from an XDP or TC (SCHED_CLS) program             */
/* ------------------------------------------------------------------ */

/*
 * spex.ko registers one kfunc for BPF_PROG_TYPE_XDP and
 * BPF_PROG_TYPE_SCHED_CLS (feature SPEX_F_KFUNC; the module must have BTF,
 * see /sys/kernel/btf/spex):
 *
 *	int bpf_spex_run(__u64 ctl, __u8 *in, __u32 in__sz,
 *			 __u8 *out, __u32 out__sz);
 *
 * ctl = model_id | (__u64)SPEX_KF_* flags << 32 (SPEX_KF_CTL()). in holds
 * exactly the model's input_bytes (one byte per element in both formats,
 * else -EINVAL); out must hold at least SPEX_KF_OUT_BYTES(output_bytes)
 * (else -ENOSPC). Both must be writable memory for the verifier: packet
 * data after a constant-size bounds check, or a map value; in and out
 * may overlap (the input is copied before the job runs).
 *
 * Returns the SPEX_RES_* word of the job (>= 0, as the ioctl), or -errno:
 *	-EINVAL	unknown SPEX_KF_* flag, model id 0, in__sz != input_bytes
 *	-ENOSPC	out__sz < SPEX_KF_OUT_BYTES(output_bytes)
 *	-ENOENT	no model with this id is loaded (or it is being unloaded)
 *	-EPERM	the model was not loaded with SPEX_LOAD_F_ATOMIC
 *	-EBUSY	this CPU's scratch for the model is in use (a nested call)
 *	other	the engine's status as errno (as the ioctl)
 * On success out starts with a struct spex_kf_out; the bottleneck
 * (OFFLOAD) or the logits (FINAL) follow it at out + SPEX_KF_OUT_HDR.
 * On error out is left untouched.
 *
 * SPEX_KF_IN_U8: pixel p in 0..255 stands for the real value p / 255 and
 * becomes q = clamp(zero_point + rne(p / (255 * scale)), -128, 127), rne
 * rounding the exact quotient to nearest, ties to even; computed exactly
 * in integers from scale's binary32 bits (Documentation/kmod.rst).
 */
#define SPEX_KF_IN_U8		0x1	/* in is uint8 (a sensor's image),
					 * quantized with the model's input_q
					 * (below); else the model's own int8
					 * tensor */
#define SPEX_KF_SCALAR		0x2	/* scalar kernels even where AVX2 is
					 * usable (bit-identical results) */
#define SPEX_KF_ALL		(SPEX_KF_IN_U8 | SPEX_KF_SCALAR)

#define SPEX_KF_CTL(model_id, flags)					\
	((__u64)(__u32)(model_id) | ((__u64)(__u32)(flags) << 32))

struct spex_kf_out {
	__u32 exit_index;		/* as spex_result.exit_index */
	__u32 bottleneck_len;		/* OFFLOAD/FINAL: bytes at out + 16 */
	__u32 layers_run;		/* as spex_result.layers_run */
	__u32 reserved;			/* 0 */
};					/* 16 bytes */

#define SPEX_KF_OUT_HDR		16	/* sizeof(struct spex_kf_out) */
#define SPEX_KF_OUT_BYTES(output_bytes)	(SPEX_KF_OUT_HDR + (output_bytes))

#endif /* _UAPI_LINUX_SPEX_H */
