/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * The engine contract: the one header of core/ that code outside core/
 * includes (as <spex/engine.h>, with -Icore/include). The kernel module,
 * libspex, spex-serve, spex-train and the demo see core only through it;
 * every other header in core/ is private to core/ (and to the white-box
 * unit tests, fuzzer and kernel microbenchmark).
 *
 * It holds:
 *   - load, info, run, policy and status (every caller);
 *   - the kernel implementations a caller may pick (opaque here);
 *   - the int8 arithmetic (requantization, uint8 input quantization) and
 *     exit policies a trainer or a test needs to simulate the engine bit
 *     for bit;
 *   - the pattern-edge generator (the same edges everywhere);
 *   - the .spx writer and content hash (userspace only).
 *
 * The engine never allocates after spex_model_load(): each job runs in
 * caller-provided scratch memory of spex_model_scratch_size() bytes, so a
 * caller can keep a pool of scratch buffers and the hot path stays
 * allocation-free. A loaded model is immutable and may be run by many
 * threads at once, each with its own scratch.
 */
#ifndef SPEX_ENGINE_H
#define SPEX_ENGINE_H

#include <spex/platform.h>

struct spex_model;

/* ------------------------------------------------------------------ */
/* Load, describe, run                                                */
/* ------------------------------------------------------------------ */

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

/* Parse, validate and build a model. All validation happens before the
 * one allocation; returns an enum spex_status and fills diag (optional). */
int spex_model_load(const void *blob, size_t len,
		    const struct spex_load_opts *opts,
		    struct spex_model **out, struct spex_diag *diag);
void spex_model_free(struct spex_model *m);

/*
 * What a model is, in the uapi's own record (struct spex_model_desc, the
 * SPEX_IOC_MODEL_INFO answer): every model field filled at load; the
 * request fields, the policy and the statistics are 0.
 */
const struct spex_model_desc *spex_model_info(const struct spex_model *m);
/*
 * A MODEL_INFO answer's model part: everything but the request fields
 * (model_id, layers, layers_cap, which are kept) comes from
 * spex_model_info(), so policy and statistics are 0 for the caller to
 * fill. The module and libspex both answer with it.
 */
void spex_model_describe(const struct spex_model *m,
			 struct spex_model_desc *d);
/* Layer i as MODEL_INFO lists it; SPEX_E_LIMIT (d zeroed) past the end. */
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
bool spex_status_known(int status);		/* in enum spex_status */

/*
 * Names of enum values, for printing and parsing (core/names.c holds the
 * one table): spex_name(SPEX_NAMES_PATTERN, SPX_PAT_CF1) is "cf1".
 */
enum spex_name_set {
	SPEX_NAMES_LAYER,	/* enum spx_layer_type: "fc", "conv2d", ... */
	SPEX_NAMES_PATTERN,	/* enum spx_pattern_type: "dense" .. "cf3" */
	SPEX_NAMES_STARTS,	/* enum spx_starts_mode: "zero", "seed", ... */
	SPEX_NAMES_MASK,	/* enum spx_mask_type: "full", "periodic" */
	SPEX_NAMES_ROLE,	/* enum spx_role: "full", "head", "tail" */
	SPEX_NAMES_DTYPE,	/* enum spx_dtype: "int8", "f32" */
	SPEX_NAMES_EXIT_POLICY,	/* enum spx_exit_policy: "max-softmax", ... */
	SPEX_NAMES_MODE,	/* enum spex_policy_mode: "auto", "local", ... */
	SPEX_NAMES_DECISION,	/* enum spex_decision: "exit", ... */
	SPEX_NAMES_FC_LAYOUT,	/* spex_layer_desc.layout: "window", ... */
	SPEX_NAMES_NET_MODE,	/* enum spex_net_mode: "confidence", ... */
	SPEX_NAMES_NET_REASON,	/* enum spex_net_reason: "offload", ... */
};

/* The name of value in set, or "?" if it has none. */
const char *spex_name(enum spex_name_set set, u32 value);
/* The value named name in set: 0 and *value, or -1 if none. */
int spex_name_value(enum spex_name_set set, const char *name, u32 *value);

/* CRC-32 (IEEE 802.3, reflected, as zlib): crc = spex_crc32(0, p, n). */
u32 spex_crc32(u32 crc, const void *p, size_t n);

/* ------------------------------------------------------------------ */
/* Network-aware offload decision (core/net_decide.c)                 */
/* ------------------------------------------------------------------ */

/*
 * What a caller that offloads (libspex for app jobs, the module for the
 * datapath) knows about one tail, and the one decision made from it:
 * offload a frame, or answer it here with the best local guess. Integer
 * arithmetic only; times in microseconds on the caller's monotonic clock;
 * no locking (the caller serialises calls on one struct).
 * Documentation/offload-decision.rst describes the rules.
 */
#define SPEX_NET_DEFAULT_K	4	/* RTT + 4 RTTVAR, as TCP's RTO */
#define SPEX_NET_DEFAULT_DOWN	3	/* consecutive timeouts: down */
#define SPEX_NET_DEFAULT_PROBE_US 200000u /* first gap between probes */
#define SPEX_NET_MAX_PROBE_US	3200000u  /* the gap doubles up to this */
#define SPEX_NET_WINDOW_SHIFT	17	/* rate window: 2^17 us, 131 ms */
#define SPEX_NET_THR_STEP_Q16	4096	/* (c): threshold move per window */

struct spex_net_cfg {
	u32 down_after;		/* K; 0: SPEX_NET_DEFAULT_DOWN */
	u32 probe_us;		/* 0: SPEX_NET_DEFAULT_PROBE_US */
	u64 budget_Bps;		/* link budget, bytes/s; 0: none */
};

struct spex_net_tail {
	struct spex_net_cfg cfg;
	/* RFC 6298 on the network part of each answer's round trip, scaled
	 * as Linux's tcp_rtt_estimator(): srtt8 = 8 SRTT, rttvar4 = 4 RTTVAR */
	u32 srtt8, rttvar4;
	u32 tail8;		/* 8 x EWMA (1/8) of the tail's own time */
	u32 loss_q16;		/* EWMA (1/16) of the share of timeouts */
	u32 consec_timeouts;
	u32 probe_gap_us;
	bool down;		/* K consecutive timeouts, no answer since */
	bool probing;		/* a probe is in flight */
	bool cap_known;		/* cap_Bps measured in a window with loss */
	bool win_loss;		/* a timeout in this window */
	u64 next_probe_us;
	u64 last_sample_us;
	u64 win_start_us;
	u64 win_sent, win_acked;	/* bytes in this window */
	u64 win_demand;		/* (c): bytes that passed the threshold */
	u64 sent_Bps, acked_Bps;	/* over the last whole window */
	u64 cap_Bps;		/* measured capacity */
	u32 thr_drop_q16;	/* (c): the exit threshold's move down */
	u64 samples, timeouts, bytes_sent;
	u64 by_reason[SPEX_NET_R_COUNT];
};

/* One frame (or job) to decide about. */
struct spex_net_frame {
	u32 decision;		/* the engine's: enum spex_decision */
	u32 net_mode;		/* enum spex_net_mode */
	u32 k;			/* rttvar_k; 0: SPEX_NET_DEFAULT_K */
	u32 deadline_us;	/* time left for the answer (modes b, c) */
	u32 conf_q16;		/* the best local guess's confidence ... */
	u32 thr_q16;		/* ... and its exit's threshold */
	u32 bytes;		/* what offloading sends */
};

void spex_net_init(struct spex_net_tail *t, const struct spex_net_cfg *cfg);
/*
 * The decision (enum spex_net_reason), counted in t->by_reason. OFFLOAD:
 * send the frame and report its fate with spex_net_answer() or
 * spex_net_timeout(). PROBE: answer it locally now, and send it anyway,
 * only to measure; report its fate with probe = true. Anything else:
 * answer locally (CONFIDENT: the exit's answer is final).
 */
u32 spex_net_decide(struct spex_net_tail *t, u64 now_us,
		    const struct spex_net_frame *f);
/* An answer came: rtt_us the whole round trip, tail_us the time the
 * tail reports it held the frame. */
void spex_net_answer(struct spex_net_tail *t, u64 now_us, u32 rtt_us,
		     u32 tail_us, u32 bytes, bool probe);
void spex_net_timeout(struct spex_net_tail *t, u64 now_us, bool probe);
/* SRTT + k RTTVAR + tail time in us; U32_MAX before the first answer. */
u32 spex_net_predict_us(const struct spex_net_tail *t, u32 k);

/* ------------------------------------------------------------------ */
/* Kernel implementations                                             */
/* ------------------------------------------------------------------ */

/*
 * A kernel implementation (scalar reference, AVX2, and in userspace
 * AVX-512, AVX-512 VNNI, AVX-VNNI): a table of function pointers private
 * to core/ (core/kernels.h). Callers only pick one and pass it in
 * spex_exec.kernels. The AVX-512 and VNNI tables exist only in userspace
 * (SPEX_HAVE_AVX512): spex.ko carries scalar and AVX2 alone, the variants
 * its QEMU TCG tests can run (Documentation/kmod.rst).
 */
struct spex_kernels;

extern const struct spex_kernels spex_kernels_scalar;
#ifdef SPEX_HAVE_AVX2
extern const struct spex_kernels spex_kernels_avx2;
#ifndef __KERNEL__
#define SPEX_HAVE_AVX512	1
extern const struct spex_kernels spex_kernels_avx512;
extern const struct spex_kernels spex_kernels_avx512vnni;
extern const struct spex_kernels spex_kernels_avxvnni;
#endif
#endif

/*
 * The fastest implementation this CPU runs. Userspace asks CPUID once
 * (and XGETBV, that the OS saves the vector state) and caches the
 * answer: avx512vnni, else avx512, else avxvnni, else avx2, else scalar.
 * In the kernel it returns scalar:
 * the module picks AVX2 itself (boot_cpu_has) and passes it in
 * spex_exec.kernels. spex_run() uses it when spex_exec.kernels is NULL.
 */
const struct spex_kernels *spex_kernels_best(void);
/*
 * By name ("scalar", "avx2", "avx512", "avx512vnni", "avxvnni"); NULL if
 * unknown, or (userspace) if this CPU or OS cannot run it. The kernel build cannot ask the CPU from core/: there
 * the caller must check boot_cpu_has(X86_FEATURE_AVX2/FMA) first.
 */
const struct spex_kernels *spex_kernels_by_name(const char *name);
/*
 * An override by name, else the best: name's table when it is known and
 * runs here, spex_kernels_best() when name is NULL, empty, unknown or
 * unrunnable. core reads no environment; libspex and the tools pass
 * getenv("SPEX_KERNELS") here and the result in spex_exec.kernels
 * (Documentation/design.rst, "core/: kernels and their files").
 */
const struct spex_kernels *spex_kernels_choose(const char *name);
/* The table's name, as spex_kernels_by_name() takes it. */
const char *spex_kernels_impl_name(const struct spex_kernels *k);

/* ------------------------------------------------------------------ */
/* int8 arithmetic and exit policies, for bit-exact simulation        */
/* ------------------------------------------------------------------ */

/* Requantize: round(acc * mult / 2^shift), ties up; mult in [0, 2^31),
 * shift in [1, 62]. The one definition every path uses. */
static inline s32 spex_requant(s32 acc, s32 mult, s32 shift)
{
	s64 v = (s64)acc * mult + ((s64)1 << (shift - 1));

	return (s32)(v >> shift);
}

/*
 * The int8 output of one accumulator: clamp(out_zp + requant, lo, 127),
 * computed in s64 so no intermediate overflows. Every path uses this.
 */
static inline s8 spex_requant_out(s32 acc, s32 mult, s32 shift, s32 zp,
				  s32 lo)
{
	s64 v = (s64)zp + spex_requant(acc, mult, shift);

	if (v < lo)
		v = lo;
	if (v > 127)
		v = 127;
	return (s8)v;
}

/*
 * uint8 sensor input to a model's int8 input, without floating point:
 * pixel p (0..255, the real value p / 255) becomes
 *
 *	q = clamp(zero_point + rne(p / (255 * scale)), -128, 127)
 *
 * with rne the exact quotient rounded to nearest, ties to even. scale is
 * the binary32 of spx_qparam.scale_bits: m * 2^e with a 24-bit m, so the
 * quotient is p * 2^-e / (255 * m), done in 64-bit integers. The module
 * builds a 256-entry table per model at load (bpf_spex_run() with
 * SPEX_KF_IN_U8); userspace uses the same function to compare.
 */
static inline s8 spex_quant_u8(u8 p, u32 scale_bits, s32 zero_point)
{
	u32 exp = (scale_bits >> 23) & 0xff;
	u64 m = (scale_bits & 0x7fffff) | (exp ? 0x800000u : 0);
	int e = (exp ? (int)exp : 1) - 150;	/* scale = m * 2^e */
	u64 num = p, den = 255 * m, q, r;
	s64 v;

	if (!m || !p || e >= 0) {
		q = 0;				/* e >= 0: quotient <= 1 / m */
	} else if (e < -48) {
		q = 256;			/* >= 2^48 / 2^32: saturates */
	} else {
		num <<= -e;			/* < 2^8 * 2^48 */
		q = spex_div_u64(num, den);
		r = num - q * den;
		if (2 * r > den || (2 * r == den && (q & 1)))
			q++;
	}
	if (q > 256)
		q = 256;
	v = (s64)q + zero_point;
	return (s8)(v < -128 ? -128 : v > 127 ? 127 : v);
}

static inline void spex_quant_u8_table(s8 table[256], u32 scale_bits,
				       s32 zero_point)
{
	int p;

	for (p = 0; p < 256; p++)
		table[p] = spex_quant_u8((u8)p, scale_bits, zero_point);
}

/* What an exit policy makes of a classifier's logits. */
struct spex_conf {
	u32 class_id;
	u32 confidence_q16;
};

/* Integer-only exit policies (enum spx_exit_policy); logits are int8. */
void spex_policy_i8(const s8 *logits, u32 n, u32 policy, const u32 *lut,
		    u32 logit_scale_q16, struct spex_conf *c);
#if SPEX_CORE_FLOAT
void spex_policy_f32(const float *logits, u32 n, u32 policy,
		     struct spex_conf *c);
#endif

/* ------------------------------------------------------------------ */
/* The pattern-edge generator                                         */
/* ------------------------------------------------------------------ */

/*
 * Predefined-sparse connection patterns, regenerated from a few numbers.
 *
 * A junction joins p left neurons (the fan-in) to n right neurons; every
 * right neuron reads exactly d_in left neurons and every left neuron feeds
 * exactly d_out = n * d_in / p right neurons. The same parameters give the
 * same edges in the kernel and in userspace: the PRNG is our own and uses
 * only integer arithmetic.
 */

/* PCG32 (O'Neill): small, fast, portable, and good enough for patterns. */
struct spex_rng {
	u64 state;
	u64 inc;
};

/* pcg32_srandom_r(): state from seed, increment 2 * stream + 1. */
void spex_rng_seed(struct spex_rng *rng, u64 seed, u64 stream);
u32 spex_rng_u32(struct spex_rng *rng);
/* Uniform in [0, bound), unbiased; bound > 0. */
u32 spex_rng_below(struct spex_rng *rng, u32 bound);

/*
 * The PRNG streams of a pattern: spex_rng_seed(rng, pattern.seed, stream).
 * Each purpose has its own stream so that, e.g., changing the start mode
 * does not change the dither.
 */
#define SPEX_RNG_STREAM_EDGES	1	/* RANDOM: the sweep shuffles + repair */
#define SPEX_RNG_STREAM_STARTS	2	/* clash-free SEED starts */
#define SPEX_RNG_STREAM_DITHER	3	/* clash-free bank permutations */

/*
 * Greatest common divisor. The degree identity p * d_out == n * d_in has
 * an integer d_out exactly when d_in is a multiple of p / gcd(p, n), so
 * tools use it to pick valid in-degrees.
 */
static inline u32 spex_gcd(u32 a, u32 b)
{
	while (b) {
		u32 t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* The decoded form of struct spx_pattern. */
struct spex_pattern_desc {
	u32 type;		/* enum spx_pattern_type */
	u32 starts;		/* enum spx_starts_mode */
	u32 dither;		/* 0 or 1 */
	u32 z;			/* clash-free banks */
	u32 seed;
	const u8 *starts_le;	/* EXPLICIT: little-endian u32s, maybe unaligned */
	u32 n_starts;		/* how many u32s are readable at starts_le */
};

/* How many explicit start values the pattern needs (0 unless EXPLICIT). */
u32 spex_pattern_n_starts(const struct spex_pattern_desc *pd, u32 p, u32 n,
			  u32 d_in);

/*
 * Check the parameters arithmetically, allocating nothing: the degree
 * identity, d_in <= p, p % z, p % d_in for clash-free, start addresses in
 * range, a known type/starts mode, z == 0 unless clash-free, dither only
 * for clash-free. Returns an enum spex_status.
 */
int spex_pattern_check(const struct spex_pattern_desc *pd, u32 p, u32 n,
		       u32 d_in);

/* Bytes of workspace spex_pattern_fill() needs (may be 0). */
size_t spex_pattern_work_size(const struct spex_pattern_desc *pd, u32 p,
			      u32 n, u32 d_in);

/*
 * Generate the edges: left[r * d_in + m] is the left neuron read by edge m
 * of right neuron r, in the pattern's own edge order (for clash-free, edge
 * k = r * d_in + m as in Dey et al.). Call only after spex_pattern_check()
 * succeeded. Returns SPEX_OK, or SPEX_E_DUP_EDGE if some right neuron
 * would read one left neuron twice.
 */
int spex_pattern_fill(const struct spex_pattern_desc *pd, u32 p, u32 n,
		      u32 d_in, u32 *left, void *work);

/*
 * Kernel-element mask of a conv layer for output channel o and its s-th
 * input-channel slot. Writes the kept elements (ky * kw + kx, ascending)
 * to elems and returns how many. elems must hold kh * kw entries.
 */
u32 spex_mask_elems(u32 mask_type, u32 period, u32 kh, u32 kw, u32 o, u32 s,
		    u8 *elems);

/*
 * Check mask parameters: known type, kernel 1 .. SPX_MAX_KERNEL a side
 * (else SPEX_E_SHAPE); periodic: period 1 .. 255 (the u8 of the format)
 * and a kernel of at least 2x2 (else SPEX_E_PATTERN).
 */
int spex_mask_check(u32 mask_type, u32 period, u32 kh, u32 kw);

/*
 * Kept taps over every (o, s) pair, o < out_c, s < cin_deg: the number of
 * weights of a conv layer. Parameters must pass spex_mask_check().
 */
u64 spex_mask_count(u32 mask_type, u32 period, u32 kh, u32 kw, u32 out_c,
		    u32 cin_deg);

/* ------------------------------------------------------------------ */
/* The .spx writer and content hash (userspace only)                  */
/* ------------------------------------------------------------------ */

/*
 * The writer uses libc and float. Trainers, tests and the demo describe a
 * model with these structs and get back a blob that spex_model_load()
 * accepts. The writer does not validate: the loader is the one judge of
 * a model, so write, then load.
 */
#ifndef __KERNEL__

struct spex_wpattern {
	u32 type;		/* enum spx_pattern_type */
	u32 starts;		/* enum spx_starts_mode */
	u32 dither;
	u32 z;
	u32 seed;
	const u32 *starts_arr;	/* EXPLICIT */
	u32 n_starts;
};

struct spex_wlayer {
	u32 type;		/* enum spx_layer_type */
	u32 flags;		/* SPX_LF_* */
	u32 out_c;		/* FC/conv */
	u32 kh, kw, stride, pad;/* conv/pool */
	u32 in_degree;		/* FC/conv */
	struct spex_wpattern pattern;
	u32 mask_type, mask_period;
	float out_scale;	/* int8 FC/conv; other layers inherit */
	s32 out_zp;
	const void *weights;	/* s8 or float, edge order */
	size_t weights_bytes;
	const void *bias;	/* out_c x (s32 | float) */
	const s32 *mult;	/* int8: out_c */
	const s32 *shift;	/* int8: out_c */
};

struct spex_wexit {
	u32 after_layer;
	u32 first_layer, n_layers;
	u32 policy;		/* enum spx_exit_policy */
	u32 threshold_q16;
	float logit_scale;	/* int8: scale of the branch logits */
};

struct spex_wmodel {
	char name[SPX_NAME_LEN];
	u8 hash[SPX_HASH_LEN];
	u32 role, dtype;
	u32 in_c, in_h, in_w;
	u32 n_classes;
	float in_scale;		/* int8 */
	s32 in_zp;
	float final_logit_scale;/* int8 FULL/TAIL */
	const struct spex_wlayer *layers;
	u32 n_layers, n_main;
	const struct spex_wexit *exits;
	u32 n_exits;
};

/* Serialize; *blob is malloc'd. Returns 0 or a negative errno. */
int spex_spx_write(const struct spex_wmodel *wm, void **blob, size_t *len);

/* Recompute the CRC after editing a blob (tests, tools). */
void spex_spx_fix_crc(void *blob, size_t len);

/* real ~= mult * 2^-shift with mult in [2^30, 2^31), shift in [1, 62]. */
void spex_quant_multiplier(double real, s32 *mult, s32 *shift);

/* The exit LUT for a logit scale: lut[d] = round(65536 exp(-scale d)). */
void spex_exp_lut(float scale, u32 lut[SPX_EXP_LUT_LEN]);

/*
 * SHA-256 (FIPS 180-4), one-shot and incremental: the model content hash
 * (spx_meta.content_hash). Freestanding, no allocation.
 */
#define SPEX_SHA256_LEN		32
#define SPEX_SHA256_BLOCK	64

struct spex_sha256_ctx {
	u32 h[8];
	u64 len;			/* bytes hashed so far */
	u8 buf[SPEX_SHA256_BLOCK];	/* a partial block */
	u32 buf_len;
};

void spex_sha256_init(struct spex_sha256_ctx *ctx);
void spex_sha256_update(struct spex_sha256_ctx *ctx, const void *p, size_t n);
/* Writes the digest and wipes ctx; init it again to reuse it. */
void spex_sha256_final(struct spex_sha256_ctx *ctx, u8 out[SPEX_SHA256_LEN]);

void spex_sha256(const void *p, size_t n, u8 out[SPEX_SHA256_LEN]);
#endif /* !__KERNEL__ */

#endif /* SPEX_ENGINE_H */
