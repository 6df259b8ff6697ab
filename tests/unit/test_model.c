// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The .spx format: round trip, model info, and a table of corrupted,
 * truncated and adversarial blobs, each of which must be rejected with
 * its own status (and no crash under ASan/UBSan).
 */
#include "spex_test.h"
#include <spex/engine.h>
#include "kernels.h"	/* white-box: enum spex_fc_layout */
#include "status.h"	/* white-box: SPEX_STATUS_COUNT */
#include "modelgen.h"

enum where { HDR, SEC, META, LAYER, EXIT, DATA, LUT0, RQ, WTS };

/* One patch of a valid blob. */
struct mutation {
	const char *name;
	u32 model;		/* which base model (see bases[]) */
	enum where where;
	u32 index;		/* section, layer or exit index */
	u32 off;
	u32 size;		/* 1, 2 or 4 bytes */
	u32 value;
	int expect;
	bool keep_crc;		/* do not fix the CRC afterwards */
	u32 budget;		/* load budget, 0: default */
	u32 flags;		/* load flags */
	/* an optional second patch */
	enum where where2;
	u32 index2, off2, size2, value2;
};

enum { M_HEAD, M_CONV, M_FULL, M_F32, M_COUNT };

static struct mg_model bases[M_COUNT];

static void build_bases(void)
{
	struct mg_spec s;
	static bool done;

	if (done)
		return;
	done = true;
	mg_spec_mnist_head(&s, 1);
	CHECK(mg_build(&s, &bases[M_HEAD]) == 0);

	mg_spec_mnist_head(&s, 2);
	s.in_c = 2;
	s.in_h = s.in_w = 12;
	s.conv_out_c = 8;
	s.conv_k = 3;
	s.conv_stride = 1;
	s.conv_cin_deg = 1;
	s.conv_pattern = SPX_PAT_RANDOM;
	s.conv_mask = SPX_MASK_PERIODIC;
	s.conv_period = 8;
	s.explicit_relu = 1;
	s.fc[0] = (struct mg_fc){ .out = 32, .d_in = 36, .pattern = SPX_PAT_RANDOM };
	s.fc[1] = (struct mg_fc){ .out = 16, .d_in = 8, .pattern = SPX_PAT_CF2,
				  .z = 4, .starts = SPX_STARTS_SEED };
	s.exit_after[0] = 1;
	s.exit_after[1] = 4;
	CHECK(mg_build(&s, &bases[M_CONV]) == 0);

	mg_spec_mnist_head(&s, 3);
	s.role = SPX_ROLE_FULL;
	s.n_fc = 3;
	s.fc[2] = (struct mg_fc){ .out = 10 };
	CHECK(mg_build(&s, &bases[M_FULL]) == 0);

	mg_spec_mnist_head(&s, 4);
	s.dtype = SPX_DTYPE_F32;
	CHECK(mg_build(&s, &bases[M_F32]) == 0);
}

/* Offset in the blob of a section's start, by section type. */
static u32 section_off(const u8 *b, u32 type)
{
	u32 n = spex_le32(b + 16), t = spex_le32(b + 20), i;

	for (i = 0; i < n; i++)
		if (spex_le32(b + t + 16 * i) == type)
			return spex_le32(b + t + 16 * i + 4);
	return 0;
}

static u32 where_off(const u8 *b, enum where where, u32 index)
{
	u32 data = section_off(b, SPX_SEC_DATA);
	u32 layer = section_off(b, SPX_SEC_LAYERS) + 80 * index;

	switch (where) {
	case HDR:
		return 0;
	case SEC:
		return spex_le32(b + 20) + 16 * index;
	case META:
		return section_off(b, SPX_SEC_META);
	case LAYER:
		return layer;
	case EXIT:
		return section_off(b, SPX_SEC_EXITS) + 48 * index;
	case DATA:
		return data;
	case LUT0:
		return data + spex_le32(b + section_off(b, SPX_SEC_EXITS) +
					48 * index + 20);
	case RQ:
		return data + spex_le32(b + layer + 56);
	case WTS:
		return data + spex_le32(b + layer + 44);
	}
	return 0;
}

#define BAD(...) { __VA_ARGS__ }

static const struct mutation mutations[] = {
	/* header */
	BAD("magic", M_HEAD, HDR, 0, 0, 4, 0x31585054, SPEX_E_MAGIC),
	BAD("major version 2", M_HEAD, HDR, 0, 4, 2, 2, SPEX_E_VERSION),
	BAD("major version 0", M_HEAD, HDR, 0, 4, 2, 0, SPEX_E_VERSION),
	BAD("minor version is accepted", M_HEAD, HDR, 0, 6, 2, 9, SPEX_OK),
	BAD("header_size", M_HEAD, HDR, 0, 8, 4, 60, SPEX_E_HEADER),
	BAD("file_size too big", M_HEAD, HDR, 0, 12, 4, 0x7fffffff, SPEX_E_TRUNCATED),
	BAD("file_size too small", M_HEAD, HDR, 0, 12, 4, 64, SPEX_E_HEADER),
	BAD("flags", M_HEAD, HDR, 0, 24, 4, 1, SPEX_E_HEADER),
	BAD("reserved header", M_HEAD, HDR, 0, 60, 1, 1, SPEX_E_HEADER),
	BAD("crc field", M_HEAD, HDR, 0, 28, 4, 0x12345678, SPEX_E_CRC, true),
	BAD("data byte flipped", M_HEAD, DATA, 0, 5, 1, 0x77, SPEX_E_CRC, true),
	BAD("layer byte flipped", M_HEAD, LAYER, 1, 4, 1, 0x99, SPEX_E_CRC, true),
	/* section table */
	BAD("no sections", M_HEAD, HDR, 0, 16, 4, 0, SPEX_E_SECTION),
	BAD("too many sections", M_HEAD, HDR, 0, 16, 4, 17, SPEX_E_SECTION),
	BAD("table misaligned", M_HEAD, HDR, 0, 20, 4, 72, SPEX_E_SECTION),
	BAD("table outside file", M_HEAD, HDR, 0, 20, 4, 0x7ffffff0, SPEX_E_SECTION),
	BAD("table inside header", M_HEAD, HDR, 0, 20, 4, 0, SPEX_E_SECTION),
	BAD("section misaligned", M_HEAD, SEC, 1, 4, 4, 0x1008, SPEX_E_SECTION),
	BAD("section past end", M_HEAD, SEC, 2, 8, 4, 0x10000000, SPEX_E_SECTION),
	BAD("section offset wraps", M_HEAD, SEC, 2, 4, 4, 0xfffffff0, SPEX_E_SECTION),
	BAD("section over table", M_HEAD, SEC, 0, 4, 4, 64, SPEX_E_SECTION),
	BAD("sections overlap", M_HEAD, SEC, 1, 4, 4, 0xa0, SPEX_E_SECTION),
	BAD("duplicate section", M_HEAD, SEC, 1, 0, 4, SPX_SEC_META, SPEX_E_SECTION),
	BAD("unknown required section", M_HEAD, SEC, 3, 0, 4, 99, SPEX_E_SECTION),
	BAD("optional section skipped, EXITS missing", M_HEAD, SEC, 3, 0, 4,
	    SPX_SEC_OPTIONAL | 99, SPEX_E_SECTION),
	BAD("section reserved", M_HEAD, SEC, 0, 12, 4, 1, SPEX_E_SECTION),
	BAD("META size", M_HEAD, SEC, 0, 8, 4, 148, SPEX_E_SECTION),
	BAD("LAYERS size", M_HEAD, SEC, 1, 8, 4, 80 * 3, SPEX_E_SECTION),
	BAD("LAYERS missing", M_HEAD, SEC, 1, 0, 4, SPX_SEC_OPTIONAL | 2, SPEX_E_SECTION),
	/* metadata */
	BAD("name unterminated", M_HEAD, META, 0, 0, 32, 'x', SPEX_E_META),
	BAD("role", M_HEAD, META, 0, 64, 4, 3, SPEX_E_META),
	BAD("dtype", M_HEAD, META, 0, 68, 4, 2, SPEX_E_META),
	BAD("in_c zero", M_HEAD, META, 0, 72, 4, 0, SPEX_E_SHAPE),
	BAD("in_h huge", M_HEAD, META, 0, 76, 4, 70000, SPEX_E_SHAPE),
	BAD("input too large", M_HEAD, META, 0, 72, 4, 30000, SPEX_E_SHAPE),
	BAD("n_classes zero", M_HEAD, META, 0, 84, 4, 0, SPEX_E_META),
	BAD("n_classes huge", M_HEAD, META, 0, 84, 4, 2000, SPEX_E_META),
	BAD("n_classes mismatch", M_HEAD, META, 0, 84, 4, 11, SPEX_E_EXIT),
	BAD("n_layers zero", M_HEAD, META, 0, 88, 4, 0, SPEX_E_LIMIT),
	BAD("n_layers huge", M_HEAD, META, 0, 88, 4, 65, SPEX_E_LIMIT),
	BAD("n_layers vs section", M_HEAD, META, 0, 88, 4, 3, SPEX_E_SECTION),
	BAD("n_main zero", M_HEAD, META, 0, 92, 4, 0, SPEX_E_META),
	BAD("n_main too big", M_HEAD, META, 0, 92, 4, 5, SPEX_E_META),
	BAD("n_exits huge", M_HEAD, META, 0, 96, 4, 9, SPEX_E_LIMIT),
	BAD("n_exits vs section", M_HEAD, META, 0, 96, 4, 1, SPEX_E_SECTION),
	BAD("input scale zero", M_HEAD, META, 0, 100, 4, 0, SPEX_E_QUANT),
	BAD("input scale inf", M_HEAD, META, 0, 100, 4, 0x7f800000, SPEX_E_QUANT),
	BAD("input scale negative", M_HEAD, META, 0, 100, 4, 0xbf800000, SPEX_E_QUANT),
	BAD("input zero point", M_HEAD, META, 0, 104, 4, 200, SPEX_E_QUANT),
	BAD("meta reserved", M_HEAD, META, 0, 140, 4, 1, SPEX_E_META),
	BAD("head with final LUT", M_HEAD, META, 0, 108, 4, 16, SPEX_E_SPLIT),
	BAD("full without final LUT scale", M_FULL, META, 0, 112, 4, 0, SPEX_E_EXIT),
	BAD("head claims FULL", M_HEAD, META, 0, 64, 4, SPX_ROLE_FULL, SPEX_E_SPLIT),
	BAD("tail with exits", M_FULL, META, 0, 64, 4, SPX_ROLE_TAIL, SPEX_E_SPLIT),
	BAD("f32 in int8-only loader", M_F32, HDR, 0, 6, 2, 0, SPEX_E_DTYPE, false, 0,
	    SPEX_LOAD_INT8_ONLY),
	/* layers */
	BAD("layer type 0", M_HEAD, LAYER, 0, 0, 2, 0, SPEX_E_LAYER),
	BAD("layer type 99", M_HEAD, LAYER, 1, 0, 2, 99, SPEX_E_LAYER),
	BAD("layer flags", M_HEAD, LAYER, 0, 2, 2, 2, SPEX_E_LAYER),
	BAD("layer reserved", M_HEAD, LAYER, 0, 76, 4, 1, SPEX_E_LAYER),
	BAD("layer reserved0", M_HEAD, LAYER, 0, 34, 2, 1, SPEX_E_LAYER),
	BAD("FC with a window", M_HEAD, LAYER, 0, 8, 1, 3, SPEX_E_LAYER),
	BAD("FC with a mask", M_HEAD, LAYER, 0, 32, 1, 1, SPEX_E_LAYER),
	BAD("FC outputs zero", M_HEAD, LAYER, 0, 4, 4, 0, SPEX_E_SHAPE),
	BAD("FC outputs huge", M_HEAD, LAYER, 0, 4, 4, 70000, SPEX_E_SHAPE),
	BAD("in-degree zero", M_HEAD, LAYER, 1, 12, 4, 0, SPEX_E_DEGREE),
	BAD("in-degree above fan-in", M_HEAD, LAYER, 1, 12, 4, 113, SPEX_E_DEGREE),
	BAD("degree identity", M_HEAD, LAYER, 1, 12, 4, 27, SPEX_E_DEGREE),
	BAD("pattern type", M_HEAD, LAYER, 0, 16, 1, 9, SPEX_E_PATTERN),
	BAD("clash-free z zero", M_HEAD, LAYER, 0, 20, 4, 0, SPEX_E_PATTERN_Z),
	BAD("clash-free p % z", M_HEAD, LAYER, 0, 20, 4, 5, SPEX_E_PATTERN_Z),
	BAD("clash-free p % d_in", M_HEAD, LAYER, 0, 12, 4, 21, SPEX_E_PATTERN_DIN),
	BAD("dense with partial in-degree", M_HEAD, LAYER, 0, 16, 1, SPX_PAT_DENSE,
	    SPEX_E_PATTERN),
	BAD("starts mode", M_HEAD, LAYER, 0, 17, 1, 5, SPEX_E_PATTERN),
	BAD("starts offset without explicit", M_HEAD, LAYER, 0, 28, 4, 16, SPEX_E_PATTERN),
	BAD("explicit starts outside DATA", M_HEAD, LAYER, 0, 17, 1, SPX_STARTS_EXPLICIT,
	    SPEX_E_RANGE, .where2 = LAYER, .off2 = 28, .size2 = 4, .value2 = 0x7ffffff0),
	BAD("explicit starts out of range", M_HEAD, LAYER, 0, 17, 1, SPX_STARTS_EXPLICIT,
	    SPEX_E_PATTERN, .where2 = LAYER, .off2 = 28, .size2 = 4, .value2 = 0),
	BAD("dither on random", M_HEAD, LAYER, 1, 18, 1, 1, SPEX_E_PATTERN),
	BAD("z on random", M_HEAD, LAYER, 1, 20, 4, 4, SPEX_E_PATTERN),
	BAD("pattern reserved", M_HEAD, LAYER, 0, 19, 1, 1, SPEX_E_PATTERN),
	BAD("weights_size", M_HEAD, LAYER, 0, 48, 4, 100, SPEX_E_LAYER),
	BAD("weights outside DATA", M_HEAD, LAYER, 0, 44, 4, 0x7ffffff0, SPEX_E_RANGE),
	BAD("weights misaligned", M_HEAD, LAYER, 0, 44, 4, 8, SPEX_E_RANGE),
	BAD("bias outside DATA", M_HEAD, LAYER, 1, 52, 4, 0xfffffff0, SPEX_E_RANGE),
	BAD("requant outside DATA", M_HEAD, LAYER, 1, 56, 4, 0x7fff0000, SPEX_E_RANGE),
	BAD("weights alias another layer's", M_HEAD, LAYER, 1, 44, 4, 0, SPEX_E_RANGE),
	BAD("bias aliases weights", M_HEAD, LAYER, 0, 52, 4, 0, SPEX_E_RANGE),
	BAD("requant shift 0", M_HEAD, RQ, 1, 4, 4, 0, SPEX_E_QUANT),
	BAD("requant shift 63", M_HEAD, RQ, 1, 12, 4, 63, SPEX_E_QUANT),
	BAD("requant multiplier negative", M_HEAD, RQ, 0, 8, 4, 0x80000000, SPEX_E_QUANT),
	BAD("output scale zero", M_HEAD, LAYER, 0, 36, 4, 0, SPEX_E_QUANT),
	BAD("output scale NaN", M_HEAD, LAYER, 1, 36, 4, 0x7fc00000, SPEX_E_QUANT),
	BAD("output zero point", M_HEAD, LAYER, 0, 40, 4, 128, SPEX_E_QUANT),
	/* conv, pool, relu, flatten (M_CONV: conv, pool, flatten, fc, relu, fc) */
	BAD("conv kernel zero", M_CONV, LAYER, 0, 8, 1, 0, SPEX_E_LAYER),
	BAD("conv kernel 16", M_CONV, LAYER, 0, 8, 1, 16, SPEX_E_LAYER),
	BAD("conv pad >= kernel", M_CONV, LAYER, 0, 11, 1, 3, SPEX_E_LAYER),
	BAD("conv stride zero", M_CONV, LAYER, 0, 10, 1, 0, SPEX_E_LAYER),
	BAD("conv mask type", M_CONV, LAYER, 0, 32, 1, 7, SPEX_E_PATTERN),
	BAD("conv mask period zero", M_CONV, LAYER, 0, 33, 1, 0, SPEX_E_PATTERN),
	BAD("conv weights for a full mask", M_CONV, LAYER, 0, 32, 1, 0, SPEX_E_LAYER),
	BAD("conv channel in-degree", M_CONV, LAYER, 0, 12, 4, 3, SPEX_E_DEGREE),
	BAD("pool with padding", M_CONV, LAYER, 1, 11, 1, 1, SPEX_E_LAYER),
	BAD("pool not square", M_CONV, LAYER, 1, 9, 1, 3, SPEX_E_LAYER),
	BAD("pool bigger than input", M_CONV, LAYER, 1, 8, 2, 0x0d0d, SPEX_E_SHAPE),
	BAD("pool with outputs", M_CONV, LAYER, 1, 4, 4, 5, SPEX_E_LAYER),
	BAD("pool rescales", M_CONV, LAYER, 1, 40, 4, 3, SPEX_E_QUANT),
	BAD("flatten with a pattern", M_CONV, LAYER, 2, 16, 1, 1, SPEX_E_LAYER),
	BAD("flatten with a window", M_CONV, LAYER, 2, 8, 1, 2, SPEX_E_LAYER),
	BAD("relu with flags", M_CONV, LAYER, 4, 2, 2, 1, SPEX_E_LAYER),
	BAD("relu rescales", M_CONV, LAYER, 4, 36, 4, 0x3f800000, SPEX_E_QUANT),
	BAD("in-degree above the conv output", M_CONV, LAYER, 3, 12, 4, 289, SPEX_E_DEGREE),
	BAD("conv outputs change the FC fan-in", M_CONV, LAYER, 0, 4, 4, 4, SPEX_E_LAYER),
	/* exits */
	BAD("exit after a branch layer", M_HEAD, EXIT, 1, 0, 4, 2, SPEX_E_EXIT),
	BAD("exits out of order", M_HEAD, EXIT, 0, 0, 4, 1, SPEX_E_EXIT,
	    .where2 = EXIT, .index2 = 1, .off2 = 0, .size2 = 4, .value2 = 0),
	BAD("exit first layer", M_HEAD, EXIT, 0, 4, 4, 1, SPEX_E_EXIT),
	BAD("exit no layers", M_HEAD, EXIT, 0, 8, 4, 0, SPEX_E_EXIT),
	BAD("exit too many layers", M_HEAD, EXIT, 1, 8, 4, 2, SPEX_E_EXIT),
	BAD("exit policy", M_HEAD, EXIT, 0, 12, 4, 3, SPEX_E_EXIT),
	BAD("exit threshold", M_HEAD, EXIT, 0, 16, 4, 65537, SPEX_E_EXIT),
	BAD("exit LUT outside DATA", M_HEAD, EXIT, 1, 20, 4, 0x7ffffff0, SPEX_E_RANGE),
	BAD("exit LUT misaligned", M_HEAD, EXIT, 1, 20, 4, 4, SPEX_E_RANGE),
	BAD("exit logit scale zero", M_HEAD, EXIT, 0, 24, 4, 0, SPEX_E_EXIT),
	BAD("exit reserved", M_HEAD, EXIT, 0, 44, 4, 1, SPEX_E_EXIT),
	BAD("exit LUT[0]", M_HEAD, LUT0, 0, 0, 4, 65535, SPEX_E_EXIT),
	BAD("exit LUT rises", M_HEAD, LUT0, 1, 40, 4, 65536, SPEX_E_EXIT),
	BAD("exit branch weights", M_HEAD, LAYER, 2, 4, 4, 9, SPEX_E_LAYER),
	/* resources */
	BAD("budget", M_HEAD, HDR, 0, 6, 2, 0, SPEX_E_BUDGET, false, 4096),
};

/* Write size bytes at b + at: 1, 2 or 4 as an integer, more as a fill. */
static void patch(u8 *b, size_t len, u32 at, u32 size, u32 value)
{
	CHECK(at + size <= len, "patch at %u+%u outside %zu bytes", at, size, len);
	if (at + size > len)
		return;
	if (size == 1)
		b[at] = (u8)value;
	else if (size == 2)
		spex_put_le16(b + at, (u16)value);
	else if (size == 4)
		spex_put_le32(b + at, value);
	else
		memset(b + at, (int)value, size);
}

static int load_mutated(const struct mutation *mu, struct spex_diag *d)
{
	const struct mg_model *base = &bases[mu->model];
	struct spex_load_opts opts = { .budget = mu->budget, .flags = mu->flags };
	struct spex_model *m = NULL;
	u8 *b = malloc(base->len);
	u32 at, at2;
	int st;

	memcpy(b, base->blob, base->len);
	/* locate both patches before either changes the blob */
	at = where_off(b, mu->where, mu->index) + mu->off;
	at2 = where_off(b, mu->where2, mu->index2) + mu->off2;
	patch(b, base->len, at, mu->size, mu->value);
	if (mu->size2)
		patch(b, base->len, at2, mu->size2, mu->value2);
	if (!mu->keep_crc)
		spex_spx_fix_crc(b, base->len);
	st = spex_model_load(b, base->len, &opts, &m, d);
	spex_model_free(m);
	free(b);
	return st;
}

TEST(bad_blobs_each_rejected_with_its_status)
{
	u32 i;

	build_bases();
	CHECK(SPEX_ARRAY_SIZE(mutations) >= 50);
	for (i = 0; i < SPEX_ARRAY_SIZE(mutations); i++) {
		const struct mutation *mu = &mutations[i];
		struct spex_diag d;
		int st = load_mutated(mu, &d);

		CHECK(st == mu->expect, "%s: got %s (%s), want %s", mu->name,
		      spex_status_name(st), d.msg, spex_status_name(mu->expect));
		CHECK(st == SPEX_OK || d.msg[0], "%s: no reason given", mu->name);
		CHECK_EQ(d.status, st);
	}
}

TEST(every_truncation_rejected)
{
	const struct mg_model *base;
	u32 len;

	build_bases();
	base = &bases[M_CONV];
	for (len = 0; len < base->len; len += len < 256 ? 1 : 97) {
		struct spex_model *m = NULL;
		u8 *b = malloc(len ? len : 1);
		int st;

		memcpy(b, base->blob, len);
		st = spex_model_load(b, len, NULL, &m, NULL);
		CHECK(st == SPEX_E_TRUNCATED, "len %u: %s", len,
		      spex_status_name(st));
		CHECK(m == NULL);
		free(b);
	}
}

/* Random byte patches with a fixed-up CRC: never a crash, and a load that
 * succeeds gives a model that runs. */
TEST(random_patches_never_crash)
{
	struct spex_rng rng;
	u32 i, ok = 0;

	build_bases();
	spex_rng_seed(&rng, 42, 1);
	for (i = 0; i < 3000; i++) {
		const struct mg_model *base = &bases[i % M_COUNT];
		struct spex_model *m = NULL;
		u8 *b = malloc(base->len);
		u32 k, n = 1 + spex_rng_below(&rng, 4);

		memcpy(b, base->blob, base->len);
		for (k = 0; k < n; k++) {
			/* mostly the descriptors, sometimes anywhere */
			u32 span = spex_rng_below(&rng, 4) ? 1024 : (u32)base->len;
			u32 at = spex_rng_below(&rng, span < base->len ? span : (u32)base->len);

			b[at] = (u8)spex_rng_u32(&rng);
		}
		spex_spx_fix_crc(b, base->len);
		if (spex_model_load(b, base->len, NULL, &m, NULL) == SPEX_OK) {
			const struct spex_model_desc *mi = spex_model_info(m);
			void *scratch = malloc(spex_model_scratch_size(m));
			void *in = calloc(1, mi->input_bytes);
			void *out = malloc(mi->output_bytes + 1);
			struct spex_result r;

			CHECK_EQ(spex_run(m, NULL, NULL, scratch, in, mi->input_bytes,
					  out, mi->output_bytes, &r), SPEX_OK);
			free(scratch);
			free(in);
			free(out);
			ok++;
		}
		spex_model_free(m);
		free(b);
	}
	/* Some patches hit weights and still load. */
	CHECK(ok > 0);
}

TEST(round_trip_and_info)
{
	const struct spex_model_desc *mi;
	struct spex_layer_desc li;
	struct spex_model *m = NULL;
	struct spex_diag d;

	build_bases();
	CHECK_EQ(spex_model_load(bases[M_HEAD].blob, bases[M_HEAD].len, NULL, &m, &d),
		 SPEX_OK);
	if (!m)
		return;
	mi = spex_model_info(m);
	CHECK(!strcmp(mi->name, "mg-1"));
	CHECK(!memcmp(mi->hash, bases[M_HEAD].wm.hash, SPX_HASH_LEN));
	CHECK_EQ(mi->role, SPX_ROLE_HEAD);
	CHECK_EQ(mi->n_layers, 4);
	CHECK_EQ(mi->n_main, 2);
	CHECK_EQ(mi->n_exits, 2);
	CHECK_EQ(mi->input_bytes, 784);
	CHECK_EQ(mi->output_bytes, 56);
	/* 784x112 in-degree 112, 112x56 in-degree 28, two 10-way exits */
	CHECK_EQ(mi->weights, 112ull * 112 + 56 * 28 + 112 * 10 + 56 * 10);
	CHECK_EQ(mi->dense_weights, 784ull * 112 + 112 * 56 + 112 * 10 + 56 * 10);
	CHECK_EQ(mi->macs, mi->weights);
	CHECK_EQ(mi->file_bytes, bases[M_HEAD].len);
	CHECK(mi->dense_file_bytes > mi->file_bytes);
	CHECK_EQ(spex_model_exit_threshold(m, 0), 52429);
	CHECK_EQ(spex_layer_describe(m, 0, &li), SPEX_OK);
	CHECK_EQ(li.fan_in, 784);
	CHECK_EQ(li.in_degree, 112);
	CHECK_EQ(li.pattern, SPX_PAT_CF3);
	CHECK_EQ(li.z, 8);
	CHECK_EQ(li.layout, SPEX_FC_BANKED);
	CHECK_EQ(spex_layer_describe(m, 3, &li), SPEX_OK);
	CHECK_EQ(li.branch, 2);
	CHECK_EQ(li.layout, SPEX_FC_WINDOW);	/* dense */
	CHECK_EQ(spex_layer_describe(m, 4, &li), SPEX_E_LIMIT);
	spex_model_free(m);
}

TEST(status_strings)
{
	int s;

	for (s = 0; s < SPEX_STATUS_COUNT; s++) {
		CHECK(strncmp(spex_status_name(s), "SPEX_", 5) == 0);
		CHECK(strcmp(spex_status_str(s), "unknown status") != 0, "%d", s);
		CHECK(s == 0 || spex_status_errno(s) > 0);
	}
	CHECK_EQ(spex_status_errno(SPEX_E_CRC), EBADMSG);
	CHECK_EQ(spex_status_errno(SPEX_E_BUDGET), E2BIG);
	CHECK(!strcmp(spex_status_name(-1), "SPEX_E_UNKNOWN"));
	CHECK(!strcmp(spex_status_name(SPEX_STATUS_COUNT), "SPEX_E_UNKNOWN"));
}

TEST(cleanup)
{
	u32 i;

	for (i = 0; i < M_COUNT; i++)
		mg_free(&bases[i]);
}

TEST_MAIN(T(round_trip_and_info), T(bad_blobs_each_rejected_with_its_status),
	  T(every_truncation_rejected), T(random_patches_never_crash),
	  T(status_strings), T(cleanup))
