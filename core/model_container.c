// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The .spx container: the file header, the CRC and the section table, and
 * typed access to the records inside (META, LAYERS, EXITS) and to DATA.
 * Nothing here knows what a layer means; model_validate.c does.
 */
#include "model_load.h"

/* The uapi structs are the format: their sizes are part of it. */
_Static_assert(sizeof(struct spx_file_header) == 64, "header");
_Static_assert(sizeof(struct spx_section) == 16, "section");
_Static_assert(sizeof(struct spx_meta) == 152, "meta");
_Static_assert(sizeof(struct spx_layer) == 80, "layer");
_Static_assert(sizeof(struct spx_exit) == 48, "exit");
_Static_assert(sizeof(struct spex_result) == 80, "result");
_Static_assert(sizeof(struct spex_policy) == 48, "policy");

#define HDR_OFF(f)	((u32)offsetof(struct spx_file_header, f))

bool spex_all_zero(const void *p, size_t n)
{
	const u8 *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

static int check_header(struct spex_loader *ld,
			const struct spx_file_header *h)
{
	u32 file_size = spex_le32_to_cpu(h->file_size);

	if (spex_le32_to_cpu(h->magic) != SPX_MAGIC)
		return spex_load_fail(ld, SPEX_E_MAGIC, 0,
				      "magic 0x%08x, want 0x%08x",
				      spex_le32_to_cpu(h->magic), SPX_MAGIC);
	if (spex_le16_to_cpu(h->version_major) != SPX_VERSION_MAJOR)
		return spex_load_fail(ld, SPEX_E_VERSION,
				      HDR_OFF(version_major),
				      "major version %u, want %u",
				      spex_le16_to_cpu(h->version_major),
				      SPX_VERSION_MAJOR);
	if (spex_le32_to_cpu(h->header_size) != sizeof(*h))
		return spex_load_fail(ld, SPEX_E_HEADER, HDR_OFF(header_size),
				      "header_size %u, want %u",
				      spex_le32_to_cpu(h->header_size),
				      (u32)sizeof(*h));
	if (file_size > ld->len)
		return spex_load_fail(ld, SPEX_E_TRUNCATED, HDR_OFF(file_size),
				      "file_size %u but only %zu bytes given",
				      file_size, ld->len);
	if (file_size < ld->len)
		return spex_load_fail(ld, SPEX_E_HEADER, HDR_OFF(file_size),
				      "file_size %u but %zu bytes given (trailing bytes)",
				      file_size, ld->len);
	if (h->flags)
		return spex_load_fail(ld, SPEX_E_HEADER, HDR_OFF(flags),
				      "flags 0x%x, none defined",
				      spex_le32_to_cpu(h->flags));
	if (!spex_all_zero(h->reserved, sizeof(h->reserved)))
		return spex_load_fail(ld, SPEX_E_HEADER, HDR_OFF(reserved),
				      "reserved header bytes set");
	return SPEX_OK;
}

/* The CRC-32 of the whole file with its crc32 field read as 0. */
static int check_crc(struct spex_loader *ld, const struct spx_file_header *h)
{
	static const u8 zero4[4];
	const u32 at = HDR_OFF(crc32);
	u32 crc = spex_crc32(0, ld->blob, at);
	size_t pos = at + 4, n;

	crc = spex_crc32(crc, zero4, sizeof(zero4));
	/* in 1 MiB pieces, letting others run between them */
	for (; pos < ld->len; pos += n) {
		n = ld->len - pos < (1u << 20) ? ld->len - pos : 1u << 20;
		crc = spex_crc32(crc, ld->blob + pos, n);
		spex_yield();
	}
	if (crc != spex_le32_to_cpu(h->crc32))
		return spex_load_fail(ld, SPEX_E_CRC, at,
				      "crc32 0x%08x, computed 0x%08x",
				      spex_le32_to_cpu(h->crc32), crc);
	return SPEX_OK;
}

static void section_at(const struct spex_loader *ld, u32 table, u32 i,
		       struct spx_section *s)
{
	memcpy(s, ld->blob + table + i * sizeof(*s), sizeof(*s));
}

/* Keep section e as the one of its type; a second one is an error. */
static int take_section(struct spex_loader *ld, u32 entry, const char *name,
			const struct spx_section *s, const u8 **ptr, u32 *size)
{
	if (*ptr)
		return spex_load_fail(ld, SPEX_E_SECTION, entry,
				      "duplicate %s section", name);
	*ptr = ld->blob + spex_le32_to_cpu(s->offset);
	*size = spex_le32_to_cpu(s->size);
	return SPEX_OK;
}

/* Entry i of the table: in the file, aligned, overlapping nothing. */
static int check_section(struct spex_loader *ld, u32 table, u32 count,
			 u32 i, const struct spx_section *s)
{
	u32 entry = table + i * (u32)sizeof(*s);
	u32 type = spex_le32_to_cpu(s->type), off = spex_le32_to_cpu(s->offset);
	u32 size = spex_le32_to_cpu(s->size);
	u64 end = (u64)off + size;
	u32 j;

	if (s->reserved)
		return spex_load_fail(ld, SPEX_E_SECTION,
				      entry + (u32)offsetof(struct spx_section, reserved),
				      "section %u: reserved field set", i);
	if (off % SPX_ALIGN || off < sizeof(struct spx_file_header) ||
	    end > ld->len)
		return spex_load_fail(ld, SPEX_E_SECTION, entry,
				      "section %u (type %u) at %u+%u misaligned or outside the file",
				      i, type, off, size);
	if (off < (u64)table + count * sizeof(*s) && end > table)
		return spex_load_fail(ld, SPEX_E_SECTION, entry,
				      "section %u overlaps the section table",
				      i);
	for (j = 0; j < i; j++) {
		struct spx_section f;
		u64 o2, e2;

		section_at(ld, table, j, &f);
		o2 = spex_le32_to_cpu(f.offset);
		e2 = o2 + spex_le32_to_cpu(f.size);
		if (off < e2 && end > o2 && size && f.size)
			return spex_load_fail(ld, SPEX_E_SECTION, entry,
					      "sections %u and %u overlap", j, i);
	}
	return SPEX_OK;
}

static int find_sections(struct spex_loader *ld, u32 table, u32 count)
{
	u32 sz_meta = 0, i;
	int st;

	for (i = 0; i < count; i++) {
		u32 entry = table + i * (u32)sizeof(struct spx_section);
		struct spx_section s;
		u32 type;

		section_at(ld, table, i, &s);
		st = check_section(ld, table, count, i, &s);
		if (st)
			return st;
		type = spex_le32_to_cpu(s.type);
		switch (type) {
		case SPX_SEC_META:
			st = take_section(ld, entry, "META", &s, &ld->meta,
					  &sz_meta);
			break;
		case SPX_SEC_LAYERS:
			st = take_section(ld, entry, "LAYERS", &s, &ld->layers,
					  &ld->layers_size);
			break;
		case SPX_SEC_EXITS:
			st = take_section(ld, entry, "EXITS", &s, &ld->exits,
					  &ld->exits_size);
			break;
		case SPX_SEC_DATA:
			st = take_section(ld, entry, "DATA", &s, &ld->data,
					  &ld->data_size);
			break;
		default:
			if (!(type & SPX_SEC_OPTIONAL))
				st = spex_load_fail(ld, SPEX_E_SECTION, entry,
						    "section %u: unknown required type 0x%x",
						    i, type);
			break;
		}
		if (st)
			return st;
	}
	if (!ld->meta || !ld->layers || !ld->data)
		return spex_load_fail(ld, SPEX_E_SECTION, table,
				      "missing section:%s%s%s",
				      ld->meta ? "" : " META",
				      ld->layers ? "" : " LAYERS",
				      ld->data ? "" : " DATA");
	if (sz_meta != sizeof(struct spx_meta))
		return spex_load_fail(ld, SPEX_E_SECTION,
				      spex_load_off(ld, ld->meta),
				      "META is %u bytes, want %u", sz_meta,
				      (u32)sizeof(struct spx_meta));
	return SPEX_OK;
}

int spex_load_container(struct spex_loader *ld)
{
	struct spx_file_header h;
	u32 count, table;
	int st;

	if (ld->len < sizeof(h))
		return spex_load_fail(ld, SPEX_E_TRUNCATED, 0,
				      "%zu bytes, shorter than the %u-byte header",
				      ld->len, (u32)sizeof(h));
	memcpy(&h, ld->blob, sizeof(h));
	st = check_header(ld, &h);
	if (st)
		return st;
	if (!(ld->flags & SPEX_LOAD_NO_CRC)) {
		st = check_crc(ld, &h);
		if (st)
			return st;
	}

	count = spex_le32_to_cpu(h.section_count);
	table = spex_le32_to_cpu(h.section_offset);
	if (count < 1 || count > SPX_MAX_SECTIONS)
		return spex_load_fail(ld, SPEX_E_SECTION, HDR_OFF(section_count),
				      "section_count %u, want 1..%u", count,
				      SPX_MAX_SECTIONS);
	if (table % SPX_ALIGN || table < sizeof(h) ||
	    (u64)table + (u64)count * sizeof(struct spx_section) > ld->len)
		return spex_load_fail(ld, SPEX_E_SECTION, HDR_OFF(section_offset),
				      "section table at %u (%u entries) misaligned or outside the file",
				      table, count);
	return find_sections(ld, table, count);
}

void spex_load_meta(const struct spex_loader *ld, struct spx_meta *meta)
{
	memcpy(meta, ld->meta, sizeof(*meta));
}

void spex_load_layer(const struct spex_loader *ld, u32 idx,
		     struct spx_layer *d)
{
	memcpy(d, ld->layers + (size_t)idx * sizeof(*d), sizeof(*d));
}

void spex_load_exit(const struct spex_loader *ld, u32 e, struct spx_exit *x)
{
	memcpy(x, ld->exits + (size_t)e * sizeof(*x), sizeof(*x));
}

const u8 *spex_load_data_ref(struct spex_loader *ld, u32 off, u64 size,
			     const char *what, u32 layer)
{
	if (off % SPX_ALIGN || (u64)off + size > ld->data_size) {
		spex_load_fail(ld, SPEX_E_RANGE, spex_load_off(ld, ld->data),
			       "layer %u: %s at DATA+%u (%llu bytes) outside DATA (%u bytes) or misaligned",
			       layer, what, off, (unsigned long long)size,
			       ld->data_size);
		return NULL;
	}
	return ld->data + off;
}

void spex_load_pattern(const struct spex_loader *ld,
		       const struct spx_pattern *p,
		       struct spex_pattern_desc *pd)
{
	u32 off = spex_le32_to_cpu(p->starts_offset);

	pd->type = p->type;
	pd->starts = p->starts;
	pd->dither = p->dither;
	pd->z = spex_le32_to_cpu(p->z);
	pd->seed = spex_le32_to_cpu(p->seed);
	pd->starts_le = NULL;
	pd->n_starts = 0;
	if (pd->starts == SPX_STARTS_EXPLICIT && off % SPX_ALIGN == 0 &&
	    off < ld->data_size) {
		pd->starts_le = ld->data + off;
		pd->n_starts = (ld->data_size - off) / 4;
	}
}
