// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The .spx loader. It treats the blob as hostile: every field is checked,
 * every size is computed with overflow checks, and the variable-sized
 * memory is allocated only once the whole file has been validated and the
 * total fits the caller's budget.
 *
 * Load runs in two passes:
 *   1. validate (decode into the fixed-size struct spex_model, compute the
 *      arena, temporary and scratch sizes, check the budget);
 *   2. build (regenerate each pattern's edges into a temporary buffer and
 *      pack weights into the layout the kernels read).
 * See Documentation/model-format.rst for the format itself.
 */
#include "model.h"
#include <spex/engine.h>

#define SPX_HEADER_SIZE		64
#define SPX_SECTION_SIZE	16
#define SPX_META_SIZE		152
#define SPX_LAYER_SIZE		80
#define SPX_EXIT_SIZE		48
#define SPX_CRC_OFFSET		28

/* The loader reads fields by offset; the uapi structs must agree. */
_Static_assert(sizeof(struct spx_file_header) == SPX_HEADER_SIZE, "header");
_Static_assert(sizeof(struct spx_section) == SPX_SECTION_SIZE, "section");
_Static_assert(sizeof(struct spx_meta) == SPX_META_SIZE, "meta");
_Static_assert(sizeof(struct spx_layer) == SPX_LAYER_SIZE, "layer");
_Static_assert(sizeof(struct spx_exit) == SPX_EXIT_SIZE, "exit");
_Static_assert(__builtin_offsetof(struct spx_file_header, crc32) ==
	       SPX_CRC_OFFSET, "crc32 offset");
_Static_assert(__builtin_offsetof(struct spx_meta, final_lut_offset) == 108,
	       "meta offsets");
_Static_assert(__builtin_offsetof(struct spx_layer, weights_offset) == 44,
	       "layer offsets");
_Static_assert(__builtin_offsetof(struct spx_exit, lut_offset) == 20,
	       "exit offsets");
_Static_assert(sizeof(struct spex_result) == 80, "result");
_Static_assert(sizeof(struct spex_policy) == 48, "policy");

struct loader {
	const u8 *blob;
	size_t len;
	u32 flags;
	struct spex_diag *diag;
	const u8 *meta;
	const u8 *layers;
	u32 layers_size;
	const u8 *exits;
	u32 exits_size;
	const u8 *data;
	u32 data_size;
	u32 dtype;
	u32 elem;		/* bytes of one weight/activation: 1 or 4 */
	u64 arena;		/* pass-1 totals */
	u64 temp;
	u64 act_max;		/* elements */
	u64 stage_max;		/* elements */
	u64 acc_max;		/* elements */
};

/* Record the first failure, with a printf-style reason. */
static int fail(struct loader *ld, int status, u32 offset, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

static int fail(struct loader *ld, int status, u32 offset, const char *fmt,
		...)
{
	struct spex_diag *d = ld->diag;
	va_list ap;
	int n;

	if (!d || d->status != SPEX_OK)
		return status;
	d->status = status;
	d->offset = offset;
	n = spex_snprintf(d->msg, sizeof(d->msg), "%s: ",
			  spex_status_name(status));
	if (n < 0 || (size_t)n >= sizeof(d->msg))
		return status;
	va_start(ap, fmt);
	spex_vsnprintf(d->msg + n, sizeof(d->msg) - n, fmt, ap);
	va_end(ap);
	return status;
}

static bool all_zero(const u8 *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* A valid int8 scale: positive, finite, normal IEEE-754 binary32 bits. */
static bool scale_ok(u32 bits)
{
	u32 exp = (bits >> 23) & 0xff;

	return !(bits >> 31) && exp != 0 && exp != 0xff;
}

static u32 blob_off(const struct loader *ld, const u8 *p)
{
	return (u32)(p - ld->blob);
}

/*
 * A reference into DATA: SPX_ALIGN-aligned and inside the section.
 * Returns NULL (and records SPEX_E_RANGE) otherwise.
 */
static const u8 *data_ref(struct loader *ld, u32 off, u64 size,
			  const char *what, u32 layer)
{
	if (off % SPX_ALIGN || (u64)off + size > ld->data_size) {
		fail(ld, SPEX_E_RANGE, blob_off(ld, ld->data),
		     "layer %u: %s at DATA+%u (%llu bytes) outside DATA (%u bytes) or misaligned",
		     layer, what, off, (unsigned long long)size, ld->data_size);
		return NULL;
	}
	return ld->data + off;
}

/* Adds to a u64 running total, failing on overflow past the budget's type. */
static bool add_u64(u64 *acc, u64 v)
{
	return !check_add_overflow(*acc, v, acc);
}

static u64 align64(u64 v)
{
	return (v + 63) & ~(u64)63;
}

/* ------------------------------------------------------------------ */
/* Container: header, CRC, section table                              */
/* ------------------------------------------------------------------ */

static int parse_container(struct loader *ld)
{
	const u8 *b = ld->blob;
	u32 file_size, count, table, i, j;
	const u8 *sec_meta = NULL, *sec_layers = NULL, *sec_data = NULL;
	const u8 *sec_exits = NULL;
	u32 sz_meta = 0, sz_layers = 0, sz_data = 0, sz_exits = 0;

	if (ld->len < SPX_HEADER_SIZE)
		return fail(ld, SPEX_E_TRUNCATED, 0,
			    "%zu bytes, shorter than the %u-byte header",
			    ld->len, SPX_HEADER_SIZE);
	if (spex_le32(b) != SPX_MAGIC)
		return fail(ld, SPEX_E_MAGIC, 0, "magic 0x%08x, want 0x%08x",
			    spex_le32(b), SPX_MAGIC);
	if (spex_le16(b + 4) != SPX_VERSION_MAJOR)
		return fail(ld, SPEX_E_VERSION, 4, "major version %u, want %u",
			    spex_le16(b + 4), SPX_VERSION_MAJOR);
	if (spex_le32(b + 8) != SPX_HEADER_SIZE)
		return fail(ld, SPEX_E_HEADER, 8, "header_size %u, want %u",
			    spex_le32(b + 8), SPX_HEADER_SIZE);
	file_size = spex_le32(b + 12);
	if (file_size > ld->len)
		return fail(ld, SPEX_E_TRUNCATED, 12,
			    "file_size %u but only %zu bytes given",
			    file_size, ld->len);
	if (file_size < ld->len)
		return fail(ld, SPEX_E_HEADER, 12,
			    "file_size %u but %zu bytes given (trailing bytes)",
			    file_size, ld->len);
	if (spex_le32(b + 24) != 0)
		return fail(ld, SPEX_E_HEADER, 24, "flags 0x%x, none defined",
			    spex_le32(b + 24));
	if (!all_zero(b + 32, 32))
		return fail(ld, SPEX_E_HEADER, 32, "reserved header bytes set");

	if (!(ld->flags & SPEX_LOAD_NO_CRC)) {
		static const u8 zero4[4];
		u32 crc = spex_crc32(0, b, SPX_CRC_OFFSET);

		crc = spex_crc32(crc, zero4, 4);
		crc = spex_crc32(crc, b + SPX_CRC_OFFSET + 4,
				 ld->len - SPX_CRC_OFFSET - 4);
		if (crc != spex_le32(b + SPX_CRC_OFFSET))
			return fail(ld, SPEX_E_CRC, SPX_CRC_OFFSET,
				    "crc32 0x%08x, computed 0x%08x",
				    spex_le32(b + SPX_CRC_OFFSET), crc);
	}

	count = spex_le32(b + 16);
	table = spex_le32(b + 20);
	if (count < 1 || count > SPX_MAX_SECTIONS)
		return fail(ld, SPEX_E_SECTION, 16,
			    "section_count %u, want 1..%u", count,
			    SPX_MAX_SECTIONS);
	if (table % SPX_ALIGN || table < SPX_HEADER_SIZE ||
	    (u64)table + (u64)count * SPX_SECTION_SIZE > ld->len)
		return fail(ld, SPEX_E_SECTION, 20,
			    "section table at %u (%u entries) misaligned or outside the file",
			    table, count);

	for (i = 0; i < count; i++) {
		const u8 *e = b + table + i * SPX_SECTION_SIZE;
		u32 type = spex_le32(e), off = spex_le32(e + 4);
		u32 size = spex_le32(e + 8);
		u64 end = (u64)off + size;

		if (spex_le32(e + 12))
			return fail(ld, SPEX_E_SECTION, blob_off(ld, e + 12),
				    "section %u: reserved field set", i);
		if (off % SPX_ALIGN || off < SPX_HEADER_SIZE || end > ld->len)
			return fail(ld, SPEX_E_SECTION, blob_off(ld, e),
				    "section %u (type %u) at %u+%u misaligned or outside the file",
				    i, type, off, size);
		/* Nor may it overlap the table or another section. */
		if (off < (u64)table + count * SPX_SECTION_SIZE && end > table)
			return fail(ld, SPEX_E_SECTION, blob_off(ld, e),
				    "section %u overlaps the section table", i);
		for (j = 0; j < i; j++) {
			const u8 *f = b + table + j * SPX_SECTION_SIZE;
			u64 o2 = spex_le32(f + 4);
			u64 e2 = o2 + spex_le32(f + 8);

			if (off < e2 && end > o2 && size && spex_le32(f + 8))
				return fail(ld, SPEX_E_SECTION,
					    blob_off(ld, e),
					    "sections %u and %u overlap", j, i);
		}

#define TAKE(ptr, sz, name)						\
	do {								\
		if (ptr)						\
			return fail(ld, SPEX_E_SECTION, blob_off(ld, e), \
				    "duplicate %s section", name);	\
		ptr = b + off;						\
		sz = size;						\
	} while (0)

		switch (type) {
		case SPX_SEC_META:
			TAKE(sec_meta, sz_meta, "META");
			break;
		case SPX_SEC_LAYERS:
			TAKE(sec_layers, sz_layers, "LAYERS");
			break;
		case SPX_SEC_EXITS:
			TAKE(sec_exits, sz_exits, "EXITS");
			break;
		case SPX_SEC_DATA:
			TAKE(sec_data, sz_data, "DATA");
			break;
		default:
			if (!(type & SPX_SEC_OPTIONAL))
				return fail(ld, SPEX_E_SECTION,
					    blob_off(ld, e),
					    "section %u: unknown required type 0x%x",
					    i, type);
			break;
		}
#undef TAKE
	}
	if (!sec_meta || !sec_layers || !sec_data)
		return fail(ld, SPEX_E_SECTION, table,
			    "missing section:%s%s%s", sec_meta ? "" : " META",
			    sec_layers ? "" : " LAYERS",
			    sec_data ? "" : " DATA");
	if (sz_meta != SPX_META_SIZE)
		return fail(ld, SPEX_E_SECTION, blob_off(ld, sec_meta),
			    "META is %u bytes, want %u", sz_meta,
			    SPX_META_SIZE);
	ld->meta = sec_meta;
	ld->layers = sec_layers;
	ld->layers_size = sz_layers;
	ld->exits = sec_exits;
	ld->exits_size = sz_exits;
	ld->data = sec_data;
	ld->data_size = sz_data;
	return SPEX_OK;
}

/* ------------------------------------------------------------------ */
/* Pass 1: metadata, layers and exits                                 */
/* ------------------------------------------------------------------ */

struct shape {
	u32 c, h, w;
	s32 zp;
	u32 scale_bits;
};

static int parse_meta(struct loader *ld, struct spex_model *m)
{
	struct spex_model_desc *mi = &m->desc;
	const u8 *p = ld->meta;
	u32 off = blob_off(ld, p);
	s32 zp;

	if (!memchr(p, 0, SPX_NAME_LEN))
		return fail(ld, SPEX_E_META, off, "name is not NUL-terminated");
	memcpy(mi->name, p, SPX_NAME_LEN);
	memcpy(mi->hash, p + 32, SPX_HASH_LEN);
	mi->role = spex_le32(p + 64);
	mi->dtype = spex_le32(p + 68);
	mi->in_c = spex_le32(p + 72);
	mi->in_h = spex_le32(p + 76);
	mi->in_w = spex_le32(p + 80);
	mi->n_classes = spex_le32(p + 84);
	mi->n_layers = spex_le32(p + 88);
	mi->n_main = spex_le32(p + 92);
	mi->n_exits = spex_le32(p + 96);
	mi->input_q.scale_bits = spex_le32(p + 100);
	mi->input_q.zero_point = spex_le32(p + 104);
	m->final_logit_scale_q16 = spex_le32(p + 112);

	if (mi->role > SPX_ROLE_TAIL)
		return fail(ld, SPEX_E_META, off + 64, "unknown role %u",
			    mi->role);
	if (mi->dtype > SPX_DTYPE_F32)
		return fail(ld, SPEX_E_META, off + 68, "unknown dtype %u",
			    mi->dtype);
	if (mi->dtype == SPX_DTYPE_F32 &&
	    (ld->flags & SPEX_LOAD_INT8_ONLY || !SPEX_CORE_FLOAT))
		return fail(ld, SPEX_E_DTYPE, off + 68,
			    "f32 models cannot run here; export int8");
	if (!mi->in_c || !mi->in_h || !mi->in_w ||
	    mi->in_c > SPX_MAX_DIM || mi->in_h > SPX_MAX_DIM ||
	    mi->in_w > SPX_MAX_DIM ||
	    (u64)mi->in_c * mi->in_h * mi->in_w > SPEX_MAX_TENSOR)
		return fail(ld, SPEX_E_SHAPE, off + 72,
			    "input shape %ux%ux%u is empty or too large",
			    mi->in_c, mi->in_h, mi->in_w);
	if (!mi->n_classes || mi->n_classes > SPX_MAX_CLASSES)
		return fail(ld, SPEX_E_META, off + 84,
			    "n_classes %u, want 1..%u", mi->n_classes,
			    SPX_MAX_CLASSES);
	if (!mi->n_layers || mi->n_layers > SPX_MAX_LAYERS)
		return fail(ld, SPEX_E_LIMIT, off + 88,
			    "n_layers %u, want 1..%u", mi->n_layers,
			    SPX_MAX_LAYERS);
	if (!mi->n_main || mi->n_main > mi->n_layers)
		return fail(ld, SPEX_E_META, off + 92,
			    "n_main %u, want 1..n_layers (%u)", mi->n_main,
			    mi->n_layers);
	if (mi->n_exits > SPX_MAX_EXITS)
		return fail(ld, SPEX_E_LIMIT, off + 96,
			    "n_exits %u, at most %u", mi->n_exits,
			    SPX_MAX_EXITS);
	if (!all_zero(p + 116, SPX_META_SIZE - 116))
		return fail(ld, SPEX_E_META, off + 116,
			    "reserved META bytes set");
	if (mi->dtype == SPX_DTYPE_INT8) {
		zp = (s32)mi->input_q.zero_point;
		if (!scale_ok(mi->input_q.scale_bits) || zp < -128 || zp > 127)
			return fail(ld, SPEX_E_QUANT, off + 100,
				    "input quantization scale 0x%08x zero point %d",
				    mi->input_q.scale_bits, zp);
	}
	if (ld->layers_size != mi->n_layers * SPX_LAYER_SIZE)
		return fail(ld, SPEX_E_SECTION, blob_off(ld, ld->layers),
			    "LAYERS is %u bytes, want %u x %u",
			    ld->layers_size, mi->n_layers, SPX_LAYER_SIZE);
	if (mi->n_exits && (!ld->exits ||
			    ld->exits_size != mi->n_exits * SPX_EXIT_SIZE))
		return fail(ld, SPEX_E_SECTION, off + 96,
			    "EXITS must hold %u x %u bytes", mi->n_exits,
			    SPX_EXIT_SIZE);
	if (!mi->n_exits && ld->exits)
		return fail(ld, SPEX_E_SECTION, blob_off(ld, ld->exits),
			    "EXITS section present but n_exits is 0");
	ld->dtype = mi->dtype;
	ld->elem = mi->dtype == SPX_DTYPE_INT8 ? 1 : 4;
	return SPEX_OK;
}

/* int8 requantization parameters of n outputs at rq. */
static int check_requant(struct loader *ld, const u8 *rq, u32 n, u32 layer)
{
	u32 o;

	for (o = 0; o < n; o++) {
		s32 mult = (s32)spex_le32(rq + 8 * o);
		s32 shift = (s32)spex_le32(rq + 8 * o + 4);

		if (mult < 0 || shift < 1 || shift > 62)
			return fail(ld, SPEX_E_QUANT, blob_off(ld, rq + 8 * o),
				    "layer %u output %u: multiplier %d shift %d (want mult >= 0, shift 1..62)",
				    layer, o, mult, shift);
	}
	return SPEX_OK;
}

static void decode_pattern(struct loader *ld, const u8 *p,
			   struct spex_pattern_desc *pd)
{
	u32 off = spex_le32(p + 12);

	pd->type = p[0];
	pd->starts = p[1];
	pd->dither = p[2];
	pd->z = spex_le32(p + 4);
	pd->seed = spex_le32(p + 8);
	pd->starts_le = NULL;
	pd->n_starts = 0;
	if (pd->starts == SPX_STARTS_EXPLICIT && off % SPX_ALIGN == 0 &&
	    off < ld->data_size) {
		pd->starts_le = ld->data + off;
		pd->n_starts = (ld->data_size - off) / 4;
	}
}

/*
 * Weights, bias and requant of an FC or conv layer: present, in range,
 * of exactly the size the pattern implies.
 */
static int check_params(struct loader *ld, const u8 *d, u32 idx,
			struct spex_rt_layer *L, u64 n_weights)
{
	u32 woff = spex_le32(d + 44), wsize = spex_le32(d + 48);
	u32 boff = spex_le32(d + 52), roff = spex_le32(d + 56);
	u32 off = blob_off(ld, d);
	const u8 *rq;

	if ((u64)wsize != n_weights * ld->elem)
		return fail(ld, SPEX_E_LAYER, off + 48,
			    "layer %u: weights_size %u, the pattern needs %llu",
			    idx, wsize,
			    (unsigned long long)(n_weights * ld->elem));
	if (!data_ref(ld, woff, wsize, "weights", idx) ||
	    !data_ref(ld, boff, (u64)L->out_c * 4, "bias", idx))
		return SPEX_E_RANGE;
	if (ld->dtype == SPX_DTYPE_INT8) {
		rq = data_ref(ld, roff, (u64)L->out_c * 8, "requant", idx);
		if (!rq)
			return SPEX_E_RANGE;
		return check_requant(ld, rq, L->out_c, idx);
	}
	if (roff)
		return fail(ld, SPEX_E_LAYER, off + 56,
			    "layer %u: f32 layers have no requant", idx);
	return SPEX_OK;
}

/* The pattern of an FC or conv junction: p left, n right, d_in each. */
static int check_junction(struct loader *ld, const u8 *d, u32 idx, u32 p,
			  u32 n, u32 d_in, u64 *temp)
{
	struct spex_pattern_desc pd;
	int st;
	u64 edges = (u64)n * d_in;

	decode_pattern(ld, d + 16, &pd);
	if (d[19])
		return fail(ld, SPEX_E_PATTERN, blob_off(ld, d + 19),
			    "layer %u: reserved pattern byte set", idx);
	if (pd.starts != SPX_STARTS_EXPLICIT && spex_le32(d + 28))
		return fail(ld, SPEX_E_PATTERN, blob_off(ld, d + 28),
			    "layer %u: starts_offset set without explicit starts",
			    idx);
	if (pd.starts == SPX_STARTS_EXPLICIT && !pd.starts_le)
		return fail(ld, SPEX_E_RANGE, blob_off(ld, d + 28),
			    "layer %u: explicit starts outside DATA or misaligned",
			    idx);
	st = spex_pattern_check(&pd, p, n, d_in);
	if (st)
		return fail(ld, st, blob_off(ld, d + 16),
			    "layer %u: pattern type %u z %u starts %u on %u -> %u with in-degree %u",
			    idx, pd.type, pd.z, pd.starts, p, n, d_in);
	*temp = align64(edges * 4) + align64(spex_pattern_work_size(&pd, p, n, d_in));
	return SPEX_OK;
}

static void conv_shape(const struct spex_rt_layer *L, const struct shape *in,
		       const u8 *d, struct spex_conv_shape *sh)
{
	sh->in_c = in->c;
	sh->in_h = in->h;
	sh->in_w = in->w;
	sh->out_c = spex_le32(d + 4);
	sh->kh = d[8];
	sh->kw = d[9];
	sh->stride = d[10];
	sh->pad = d[11];
	sh->cin_deg = L->in_degree;
	sh->mask_type = d[32];
	sh->mask_period = d[33];
}

/*
 * Decode and check layer idx with input shape in; fills L and its output
 * shape, and adds its memory to the loader's totals.
 */
static int parse_layer(struct loader *ld, u32 idx, u32 branch,
		       const struct shape *in, struct spex_rt_layer *L,
		       struct shape *out)
{
	const u8 *d = ld->layers + (size_t)idx * SPX_LAYER_SIZE;
	u32 off = blob_off(ld, d);
	u32 type = spex_le16(d), flags = spex_le16(d + 2);
	u32 kh = d[8], kw = d[9], stride = d[10], pad = d[11];
	u32 in_size = in->c * in->h * in->w;
	u32 mask_type = d[32], mask_period = d[33];
	s32 out_zp = (s32)spex_le32(d + 40);
	u32 out_scale = spex_le32(d + 36);
	bool has_params = type == SPX_LAYER_FC || type == SPX_LAYER_CONV2D;
	u64 n_weights = 0, bound = 0, temp = 0, stage = 0, acc = 0;
	int st;

	memset(L, 0, sizeof(*L));
	L->type = type;
	L->flags = flags;
	L->branch = branch;
	L->in_c = in->c;
	L->in_h = in->h;
	L->in_w = in->w;
	L->in_size = in_size;
	L->in_zp = in->zp;
	L->out_c = spex_le32(d + 4);
	L->in_degree = spex_le32(d + 12);
	L->pattern = d[16];
	L->z = spex_le32(d + 20);

	if (type < SPX_LAYER_FC || type > SPX_LAYER_FLATTEN)
		return fail(ld, SPEX_E_LAYER, off, "layer %u: unknown type %u",
			    idx, type);
	if (flags & ~SPX_LF_RELU || (flags && !has_params))
		return fail(ld, SPEX_E_LAYER, off + 2,
			    "layer %u: flags 0x%x not valid for type %u", idx,
			    flags, type);
	if (spex_le16(d + 34) || !all_zero(d + 60, 20))
		return fail(ld, SPEX_E_LAYER, off + 60,
			    "layer %u: reserved fields set", idx);
	if (!has_params && (spex_le32(d + 4) || !all_zero(d + 12, 24) ||
			    !all_zero(d + 44, 16)))
		return fail(ld, SPEX_E_LAYER, off + 12,
			    "layer %u: type %u takes no pattern or parameters",
			    idx, type);
	if (type != SPX_LAYER_CONV2D && (mask_type || mask_period))
		return fail(ld, SPEX_E_LAYER, off + 32,
			    "layer %u: kernel mask on a non-conv layer", idx);

	switch (type) {
	case SPX_LAYER_FC:
		if (kh || kw || stride || pad)
			return fail(ld, SPEX_E_LAYER, off + 8,
				    "layer %u: FC takes no window", idx);
		if (!L->out_c || L->out_c > SPX_MAX_DIM)
			return fail(ld, SPEX_E_SHAPE, off + 4,
				    "layer %u: %u outputs, want 1..%u", idx,
				    L->out_c, SPX_MAX_DIM);
		L->fan_in = in_size;
		st = check_junction(ld, d, idx, in_size, L->out_c,
				    L->in_degree, &temp);
		if (st)
			return st;
		n_weights = (u64)L->out_c * L->in_degree;
		out->c = L->out_c;
		out->h = out->w = 1;
		L->macs = n_weights;
		L->dense_macs = (u64)L->out_c * in_size;
		bound = spex_fc_pack_bound(in_size, L->out_c, L->in_degree,
					   L->z, ld->elem);
		stage = (u64)in_size + L->in_degree + SPEX_FC_XS_PAD;
		break;
	case SPX_LAYER_CONV2D: {
		u32 ph, pw;

		if (!kh || !kw || kh > SPX_MAX_KERNEL || kw > SPX_MAX_KERNEL ||
		    !stride || stride > SPX_MAX_KERNEL || pad >= kh ||
		    pad >= kw)
			return fail(ld, SPEX_E_LAYER, off + 8,
				    "layer %u: conv window %ux%u stride %u pad %u",
				    idx, kh, kw, stride, pad);
		if (!L->out_c || L->out_c > SPX_MAX_DIM)
			return fail(ld, SPEX_E_SHAPE, off + 4,
				    "layer %u: %u out channels", idx, L->out_c);
		ph = in->h + 2 * pad;
		pw = in->w + 2 * pad;
		if (ph < kh || pw < kw)
			return fail(ld, SPEX_E_SHAPE, off + 8,
				    "layer %u: %ux%u window on a %ux%u input",
				    idx, kh, kw, ph, pw);
		if (mask_type == SPX_MASK_FULL && mask_period)
			return fail(ld, SPEX_E_LAYER, off + 33,
				    "layer %u: full mask takes no period", idx);
		st = spex_mask_check(mask_type, mask_period, kh, kw);
		if (st)
			return fail(ld, st, off + 32,
				    "layer %u: mask type %u period %u on %ux%u",
				    idx, mask_type, mask_period, kh, kw);
		L->fan_in = in->c;
		st = check_junction(ld, d, idx, in->c, L->out_c,
				    L->in_degree, &temp);
		if (st)
			return st;
		out->c = L->out_c;
		out->h = (ph - kh) / stride + 1;
		out->w = (pw - kw) / stride + 1;
		n_weights = spex_mask_count(mask_type, mask_period, kh, kw,
					    L->out_c, L->in_degree);
		L->macs = n_weights * out->h * out->w;
		L->dense_macs = (u64)L->out_c * in->c * kh * kw * out->h *
				out->w;
		L->u.conv.kh = kh;
		L->u.conv.kw = kw;
		L->u.conv.stride = stride;
		L->u.conv.pad = pad;
		L->u.conv.ph = ph;
		L->u.conv.pw = pw;
		{
			struct spex_conv_shape sh;

			conv_shape(L, in, d, &sh);
			bound = spex_conv_pack_bound(&sh, ld->elem);
		}
		stage = (u64)in->c * ph * pw + SPEX_FC_XS_PAD;
		acc = (u64)out->h * out->w;
		break;
	}
	case SPX_LAYER_MAXPOOL:
	case SPX_LAYER_AVGPOOL:
		if (!kh || kh != kw || kh > SPX_MAX_KERNEL || !stride ||
		    stride > SPX_MAX_KERNEL || pad)
			return fail(ld, SPEX_E_LAYER, off + 8,
				    "layer %u: pool window %ux%u stride %u pad %u (square, no padding)",
				    idx, kh, kw, stride, pad);
		if (in->h < kh || in->w < kh)
			return fail(ld, SPEX_E_SHAPE, off + 8,
				    "layer %u: %ux%u pool on a %ux%u input", idx,
				    kh, kh, in->h, in->w);
		out->c = in->c;
		out->h = (in->h - kh) / stride + 1;
		out->w = (in->w - kh) / stride + 1;
		L->u.pool.c = in->c;
		L->u.pool.in_h = in->h;
		L->u.pool.in_w = in->w;
		L->u.pool.out_h = out->h;
		L->u.pool.out_w = out->w;
		L->u.pool.k = kh;
		L->u.pool.stride = stride;
		break;
	case SPX_LAYER_RELU:
	case SPX_LAYER_FLATTEN:
		if (kh || kw || stride || pad)
			return fail(ld, SPEX_E_LAYER, off + 8,
				    "layer %u: type %u takes no window", idx,
				    type);
		*out = *in;
		if (type == SPX_LAYER_FLATTEN) {
			out->c = in_size;
			out->h = out->w = 1;
		}
		break;
	}
	if ((u64)out->c * out->h * out->w > SPEX_MAX_TENSOR)
		return fail(ld, SPEX_E_SHAPE, off + 4,
			    "layer %u: output tensor too large", idx);

	/* Output quantization: int8 layers that do not rescale keep it. */
	if (ld->dtype == SPX_DTYPE_INT8) {
		if (has_params) {
			if (!scale_ok(out_scale) || out_zp < -128 || out_zp > 127)
				return fail(ld, SPEX_E_QUANT, off + 36,
					    "layer %u: output scale 0x%08x zero point %d",
					    idx, out_scale, out_zp);
		} else if (out_scale != in->scale_bits || out_zp != in->zp) {
			return fail(ld, SPEX_E_QUANT, off + 36,
				    "layer %u: type %u must keep its input quantization",
				    idx, type);
		}
	} else if (out_scale || out_zp) {
		return fail(ld, SPEX_E_QUANT, off + 36,
			    "layer %u: f32 layers have no quantization", idx);
	}
	out->zp = out_zp;
	out->scale_bits = out_scale;
	L->out_c = out->c;
	L->out_h = out->h;
	L->out_w = out->w;
	L->out_size = out->c * out->h * out->w;
	L->out_zp = out_zp;
	L->weights = n_weights;

	if (has_params) {
		st = check_params(ld, d, idx, L, n_weights);
		if (st)
			return st;
		if (bound == (u64)SIZE_MAX)
			return fail(ld, SPEX_E_OVERFLOW, off,
				    "layer %u: packed size overflows", idx);
		/* packed weights/indices + bias + mult + shift */
		if (!add_u64(&ld->arena, align64(bound)) ||
		    !add_u64(&ld->arena, 3 * align64((u64)L->out_c * 4)))
			return fail(ld, SPEX_E_OVERFLOW, off,
				    "layer %u: model size overflows", idx);
		L->weight_bytes = n_weights * ld->elem + (u64)L->out_c *
				  (ld->dtype == SPX_DTYPE_INT8 ? 12 : 4);
	}
	/* Flatten is free: the engine passes the same buffer on. */
	if (type != SPX_LAYER_FLATTEN)
		L->act_bytes = ((u64)in_size + L->out_size) * ld->elem;
	if (temp > ld->temp)
		ld->temp = temp;
	if (stage > ld->stage_max)
		ld->stage_max = stage;
	if (acc > ld->acc_max)
		ld->acc_max = acc;
	if (L->out_size > ld->act_max)
		ld->act_max = L->out_size;
	return SPEX_OK;
}

static int check_lut(struct loader *ld, u32 lut_off, u32 scale_q16,
		     const char *what)
{
	const u8 *lut;
	u32 i, prev;

	if (lut_off % SPX_ALIGN ||
	    (u64)lut_off + SPX_EXP_LUT_LEN * 4 > ld->data_size)
		return fail(ld, SPEX_E_RANGE, blob_off(ld, ld->data),
			    "%s: exp LUT at DATA+%u outside DATA or misaligned",
			    what, lut_off);
	lut = ld->data + lut_off;
	if (spex_le32(lut) != SPX_Q16_ONE)
		return fail(ld, SPEX_E_EXIT, blob_off(ld, lut),
			    "%s: exp LUT[0] is %u, want 65536", what,
			    spex_le32(lut));
	prev = SPX_Q16_ONE;
	for (i = 1; i < SPX_EXP_LUT_LEN; i++) {
		u32 v = spex_le32(lut + 4 * i);

		if (v > prev)
			return fail(ld, SPEX_E_EXIT, blob_off(ld, lut + 4 * i),
				    "%s: exp LUT rises at %u", what, i);
		prev = v;
	}
	if (!scale_q16)
		return fail(ld, SPEX_E_EXIT, blob_off(ld, lut),
			    "%s: logit scale is 0", what);
	return SPEX_OK;
}

static void copy_lut(const struct loader *ld, u32 lut_off, u32 *lut)
{
	u32 i;

	for (i = 0; i < SPX_EXP_LUT_LEN; i++)
		lut[i] = spex_le32(ld->data + lut_off + 4 * i);
}

static int parse_exits(struct loader *ld, struct spex_model *m)
{
	struct spex_model_desc *mi = &m->desc;
	u32 next = mi->n_main, prev_after = 0, e, i;

	/* Order first: a misordered exit must not be reported as whatever
	 * its branch trips over. */
	for (e = 0; e < mi->n_exits; e++) {
		u32 after = spex_le32(ld->exits + e * SPX_EXIT_SIZE);

		if (after >= mi->n_main || after < prev_after)
			return fail(ld, SPEX_E_EXIT,
				    blob_off(ld, ld->exits + e * SPX_EXIT_SIZE),
				    "exit %u: after_layer %u (main path has %u layers; exits in order)",
				    e, after, mi->n_main);
		prev_after = after;
	}
	for (e = 0; e < mi->n_exits; e++) {
		const u8 *d = ld->exits + e * SPX_EXIT_SIZE;
		struct spex_rt_exit *x = &m->exits[e];
		u32 off = blob_off(ld, d);
		struct shape s;
		u32 lut_off;
		int st;

		x->after_layer = spex_le32(d);
		x->first_layer = spex_le32(d + 4);
		x->n_layers = spex_le32(d + 8);
		x->policy = spex_le32(d + 12);
		x->threshold_q16 = spex_le32(d + 16);
		lut_off = spex_le32(d + 20);
		x->logit_scale_q16 = spex_le32(d + 24);

		if (!all_zero(d + 28, 20))
			return fail(ld, SPEX_E_EXIT, off + 28,
				    "exit %u: reserved fields set", e);
		if (x->first_layer != next || !x->n_layers ||
		    x->n_layers > mi->n_layers - next)
			return fail(ld, SPEX_E_EXIT, off + 4,
				    "exit %u: branch layers %u+%u, want to start at %u within %u layers",
				    e, x->first_layer, x->n_layers, next,
				    mi->n_layers);
		if (x->policy > SPX_POLICY_MARGIN)
			return fail(ld, SPEX_E_EXIT, off + 12,
				    "exit %u: unknown policy %u", e, x->policy);
		if (x->threshold_q16 > SPX_Q16_ONE)
			return fail(ld, SPEX_E_EXIT, off + 16,
				    "exit %u: threshold %u above 1.0 (65536)",
				    e, x->threshold_q16);
		if (ld->dtype == SPX_DTYPE_INT8) {
			st = check_lut(ld, lut_off, x->logit_scale_q16, "exit");
			if (st)
				return st;
			copy_lut(ld, lut_off, x->lut);
		} else if (lut_off || x->logit_scale_q16) {
			return fail(ld, SPEX_E_EXIT, off + 20,
				    "exit %u: f32 exits take no LUT", e);
		}

		s.c = m->layers[x->after_layer].out_c;
		s.h = m->layers[x->after_layer].out_h;
		s.w = m->layers[x->after_layer].out_w;
		s.zp = m->layers[x->after_layer].out_zp;
		s.scale_bits = spex_le32(ld->layers + x->after_layer *
					 SPX_LAYER_SIZE + 36);
		for (i = x->first_layer; i < x->first_layer + x->n_layers; i++) {
			struct shape o;

			st = parse_layer(ld, i, e + 1, &s, &m->layers[i], &o);
			if (st)
				return st;
			s = o;
		}
		if (s.c * s.h * s.w != mi->n_classes)
			return fail(ld, SPEX_E_EXIT, off,
				    "exit %u: branch gives %u outputs, want n_classes %u",
				    e, s.c * s.h * s.w, mi->n_classes);
		next += x->n_layers;
	}
	if (next != mi->n_layers)
		return fail(ld, SPEX_E_EXIT, blob_off(ld, ld->layers),
			    "layers %u..%u belong to no exit branch", next,
			    mi->n_layers - 1);
	return SPEX_OK;
}

static int validate(struct loader *ld, struct spex_model *m)
{
	struct spex_model_desc *mi = &m->desc;
	struct shape s;
	u32 i, final_lut;
	int st;

	st = parse_container(ld);
	if (st)
		return st;
	st = parse_meta(ld, m);
	if (st)
		return st;

	s.c = mi->in_c;
	s.h = mi->in_h;
	s.w = mi->in_w;
	s.zp = (s32)mi->input_q.zero_point;
	s.scale_bits = mi->input_q.scale_bits;
	if (ld->dtype != SPX_DTYPE_INT8)
		s.zp = s.scale_bits = 0;
	ld->act_max = (u64)s.c * s.h * s.w;
	for (i = 0; i < mi->n_main; i++) {
		struct shape o;

		st = parse_layer(ld, i, 0, &s, &m->layers[i], &o);
		if (st)
			return st;
		s = o;
	}
	mi->out_c = s.c;
	mi->out_h = s.h;
	mi->out_w = s.w;
	mi->output_q.scale_bits = s.scale_bits;
	mi->output_q.zero_point = (u32)s.zp;
	st = parse_exits(ld, m);
	if (st)
		return st;

	final_lut = spex_le32(ld->meta + 108);
	if (mi->role == SPX_ROLE_HEAD) {
		if (final_lut || m->final_logit_scale_q16)
			return fail(ld, SPEX_E_SPLIT, blob_off(ld, ld->meta) + 108,
				    "a HEAD model has no final classifier");
		mi->output_bytes = s.c * s.h * s.w * ld->elem;
	} else {
		if (mi->role == SPX_ROLE_TAIL && mi->n_exits)
			return fail(ld, SPEX_E_SPLIT, blob_off(ld, ld->meta) + 96,
				    "a TAIL model has no early exits");
		if (s.c * s.h * s.w != mi->n_classes)
			return fail(ld, SPEX_E_SPLIT, blob_off(ld, ld->meta) + 84,
				    "the last layer gives %u outputs, want n_classes %u",
				    s.c * s.h * s.w, mi->n_classes);
		if (ld->dtype == SPX_DTYPE_INT8) {
			st = check_lut(ld, final_lut, m->final_logit_scale_q16,
				       "final classifier");
			if (st)
				return st;
			copy_lut(ld, final_lut, m->final_lut);
		} else if (final_lut || m->final_logit_scale_q16) {
			return fail(ld, SPEX_E_SPLIT, blob_off(ld, ld->meta) + 108,
				    "f32 models take no final LUT");
		}
		mi->output_bytes = mi->n_classes * ld->elem;
	}
	mi->input_bytes = mi->in_c * mi->in_h * mi->in_w * ld->elem;
	return SPEX_OK;
}

/* ------------------------------------------------------------------ */
/* Pass 2: regenerate patterns and pack                               */
/* ------------------------------------------------------------------ */

struct arena {
	u8 *base;
	size_t used, size;
};

static void *arena_take(struct arena *a, u64 bytes)
{
	void *p = a->base + a->used;

	a->used += align64(bytes);
	return p;
}

/* Copy n little-endian s32 values into aligned host order. */
static s32 *copy_s32(struct arena *a, const u8 *src, u32 n, u32 stride)
{
	s32 *dst = arena_take(a, (u64)n * 4);
	u32 i;

	for (i = 0; i < n; i++)
		dst[i] = (s32)spex_le32(src + (size_t)i * stride);
	return dst;
}

static int build_layer(struct loader *ld, struct spex_model *m, u32 idx,
		       struct arena *a, u8 *temp)
{
	const u8 *d = ld->layers + (size_t)idx * SPX_LAYER_SIZE;
	struct spex_rt_layer *L = &m->layers[idx];
	const u8 *w = ld->data + spex_le32(d + 44);
	const u8 *bias = ld->data + spex_le32(d + 52);
	const u8 *rq = ld->data + spex_le32(d + 56);
	u32 n = L->out_c, p = L->fan_in, d_in = L->in_degree;
	struct spex_pattern_desc pd;
	u32 *left = (u32 *)temp;
	void *work = temp + align64((u64)n * d_in * 4);
	s32 *b32, *mult = NULL, *shift = NULL;
	void *mem;
	int st;

	decode_pattern(ld, d + 16, &pd);
	st = spex_pattern_fill(&pd, p, n, d_in, left, work);
	if (st)
		return fail(ld, st, blob_off(ld, d + 16),
			    "layer %u: pattern has a duplicate edge", idx);

	b32 = copy_s32(a, bias, n, 4);
	if (ld->dtype == SPX_DTYPE_INT8) {
		mult = copy_s32(a, rq, n, 8);
		shift = copy_s32(a, rq + 4, n, 8);
	}

	if (L->type == SPX_LAYER_FC) {
		struct spex_fc *fc = &L->u.fc;

		mem = arena_take(a, spex_fc_pack_bound(p, n, d_in, L->z,
							ld->elem));
		st = spex_fc_pack(fc, p, n, d_in, L->z, left, w, ld->elem,
				  mem);
		if (st)
			return fail(ld, st, blob_off(ld, d),
				    "layer %u: cannot pack", idx);
		fc->bias = b32;
		fc->biasf = (const float *)b32;
		fc->mult = mult;
		fc->shift = shift;
		fc->in_zp = L->in_zp;
		fc->out_zp = L->out_zp;
		fc->relu = !!(L->flags & SPX_LF_RELU);
	} else {
		struct spex_conv *cv = &L->u.conv;

		struct spex_conv_shape sh;
		struct shape in = { L->in_c, L->in_h, L->in_w, 0, 0 };

		conv_shape(L, &in, d, &sh);
		mem = arena_take(a, spex_conv_pack_bound(&sh, ld->elem));
		st = spex_conv_pack(cv, &sh, left, w, ld->elem, mem);
		if (st)
			return fail(ld, st, blob_off(ld, d),
				    "layer %u: cannot pack", idx);
		cv->bias = b32;
		cv->biasf = (const float *)b32;
		cv->mult = mult;
		cv->shift = shift;
		cv->in_zp = L->in_zp;
		cv->out_zp = L->out_zp;
		cv->relu = !!(L->flags & SPX_LF_RELU);
	}
	return SPEX_OK;
}

static void fill_info(struct spex_model *m, size_t len)
{
	struct spex_model_desc *mi = &m->desc;
	u64 dense_weight_bytes = 0, weight_bytes = 0;
	u32 i;

	m->n_layers = mi->n_layers;
	for (i = 0; i < mi->n_layers; i++) {
		const struct spex_rt_layer *L = &m->layers[i];

		mi->weights += L->weights;
		mi->macs += L->macs;
		mi->dense_macs += L->dense_macs;
		if (L->type == SPX_LAYER_FC) {
			mi->dense_weights += (u64)L->out_c * L->fan_in;
		} else if (L->type == SPX_LAYER_CONV2D) {
			mi->dense_weights += (u64)L->out_c * L->fan_in *
					     L->u.conv.kh * L->u.conv.kw;
		}
	}
	weight_bytes = mi->weights * (mi->dtype == SPX_DTYPE_INT8 ? 1 : 4);
	dense_weight_bytes = mi->dense_weights *
			     (mi->dtype == SPX_DTYPE_INT8 ? 1 : 4);
	mi->file_bytes = len;
	mi->dense_file_bytes = len - weight_bytes + dense_weight_bytes;
}

int spex_model_load(const void *blob, size_t len,
		    const struct spex_load_opts *opts,
		    struct spex_model **out, struct spex_diag *diag)
{
	struct loader ld = { .blob = blob, .len = len, .diag = diag };
	struct spex_model *m;
	struct arena a = { NULL, 0, 0 };
	u64 budget = opts && opts->budget ? opts->budget : SPEX_DEFAULT_BUDGET;
	u64 total;
	u8 *temp = NULL;
	u32 i;
	int st;

	*out = NULL;
	if (diag)
		memset(diag, 0, sizeof(*diag));
	ld.flags = opts ? opts->flags : 0;
	if (!blob)
		return fail(&ld, SPEX_E_TRUNCATED, 0, "no blob");
	if (len > U32_MAX)
		return fail(&ld, SPEX_E_LIMIT, 0, "blob larger than 4 GiB");

	/* The fixed-size model struct holds the decode; nothing in it is
	 * sized by the blob. */
	m = spex_alloc(sizeof(*m));
	if (!m)
		return fail(&ld, SPEX_E_NOMEM, 0, "model struct");
	st = validate(&ld, m);
	if (st)
		goto err;

	/* Scratch: two main and two branch activation buffers, the staged
	 * input, and conv accumulators. */
	m->act_bytes = align64(ld.act_max * ld.elem);
	m->stage_bytes = align64(ld.stage_max * (ld.elem == 1 ? 2 : 4));
	m->acc_bytes = align64(ld.acc_max * 4);
	m->scratch_bytes = 4 * m->act_bytes + m->stage_bytes + m->acc_bytes;
	total = sizeof(*m);
	if (!add_u64(&total, ld.arena) || !add_u64(&total, ld.temp) ||
	    !add_u64(&total, m->scratch_bytes) || total > budget) {
		st = fail(&ld, SPEX_E_BUDGET, 0,
			  "needs %llu bytes (arena %llu, temporary %llu, scratch %zu), budget %llu",
			  (unsigned long long)total,
			  (unsigned long long)ld.arena,
			  (unsigned long long)ld.temp, m->scratch_bytes,
			  (unsigned long long)budget);
		goto err;
	}

	a.size = ld.arena;
	a.base = spex_alloc(a.size ? a.size : 1);
	temp = spex_alloc(ld.temp ? ld.temp : 1);
	if (!a.base || !temp) {
		st = fail(&ld, SPEX_E_NOMEM, 0, "%llu bytes",
			  (unsigned long long)(ld.arena + ld.temp));
		goto err;
	}
	m->arena_bytes = a.size;
	for (i = 0; i < m->desc.n_layers; i++) {
		u32 t = m->layers[i].type;

		if (t != SPX_LAYER_FC && t != SPX_LAYER_CONV2D)
			continue;
		st = build_layer(&ld, m, i, &a, temp);
		if (st)
			goto err;
	}
	spex_free(temp);
	temp = NULL;

	m->desc.mem_bytes = sizeof(*m) + a.size;
	m->desc.scratch_bytes = m->scratch_bytes;
	fill_info(m, len);
	/* The arena pointer lives in layer structs; keep it for freeing in
	 * the one slot nobody reads on the hot path. */
	m->arena = a.base;
	*out = m;
	return SPEX_OK;
err:
	spex_free(temp);
	spex_free(a.base);
	spex_free(m);
	return st;
}

void spex_model_free(struct spex_model *m)
{
	if (!m)
		return;
	spex_free(m->arena);
	spex_free(m);
}

const struct spex_model_desc *spex_model_info(const struct spex_model *m)
{
	return &m->desc;
}

size_t spex_model_scratch_size(const struct spex_model *m)
{
	return m->scratch_bytes;
}

u32 spex_model_exit_threshold(const struct spex_model *m, u32 e)
{
	return e < m->desc.n_exits ? m->exits[e].threshold_q16 : 0;
}
