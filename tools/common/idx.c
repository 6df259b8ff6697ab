// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * IDX dataset reader; see idx.h.
 */
#include "idx.h"
#include "fail.h"
#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Check the header of a u8 file with ndim dimensions; dims receives them
 * and the payload size is returned in *payload. */
static int header(const uint8_t *b, size_t len, const char *name,
		  uint32_t ndim, uint32_t *dims, size_t *payload,
		  char *err, size_t errlen)
{
	size_t need = 4 + 4 * (size_t)ndim, items = 1;
	uint32_t i;

	if (len < 4)
		return fail(err, errlen, IDX_E_TRUNCATED,
			    "%s: truncated: %zu bytes, an IDX header needs %zu",
			    name, len, need);
	if (b[0] || b[1] || b[2] != 0x08 || b[3] != ndim)
		return fail(err, errlen, IDX_E_MAGIC,
			    "%s: bad magic %02x%02x%02x%02x: expected 000008%02x "
			    "(IDX, u8 data, %u dimensions)", name, b[0], b[1],
			    b[2], b[3], ndim, ndim);
	if (len < need)
		return fail(err, errlen, IDX_E_TRUNCATED,
			    "%s: truncated: %zu bytes, the header needs %zu",
			    name, len, need);
	for (i = 0; i < ndim; i++) {
		dims[i] = be32(b + 4 + 4 * i);
		if (!dims[i] || dims[i] > (i ? IDX_MAX_SIDE : IDX_MAX_ITEMS))
			return fail(err, errlen, IDX_E_SHAPE,
				    "%s: dimension %u is %u (allowed 1..%u)",
				    name, i, dims[i],
				    i ? IDX_MAX_SIDE : IDX_MAX_ITEMS);
		items *= dims[i];
	}
	if (len - need < items)
		return fail(err, errlen, IDX_E_TRUNCATED,
			    "%s: truncated: %zu data bytes, the header says %zu",
			    name, len - need, items);
	if (len - need > items)
		return fail(err, errlen, IDX_E_TRAILING,
			    "%s: %zu bytes after the %zu the header describes",
			    name, len - need - items, items);
	*payload = items;
	return IDX_OK;
}

int idx_parse_images(const void *buf, size_t len, const char *name,
		     uint32_t *n, uint32_t *rows, uint32_t *cols,
		     uint8_t **pixels, char *err, size_t errlen)
{
	uint32_t d[3];
	size_t sz;
	int ret = header(buf, len, name, 3, d, &sz, err, errlen);

	if (ret)
		return ret;
	*pixels = malloc(sz);
	if (!*pixels)
		return fail(err, errlen, IDX_E_NOMEM, "%s: out of memory", name);
	memcpy(*pixels, (const uint8_t *)buf + 16, sz);
	*n = d[0];
	*rows = d[1];
	*cols = d[2];
	return IDX_OK;
}

int idx_parse_labels(const void *buf, size_t len, const char *name,
		     uint32_t n_classes, uint32_t *n, uint8_t **labels,
		     char *err, size_t errlen)
{
	const uint8_t *b = buf;
	uint32_t d[1];
	size_t sz, i;
	int ret = header(buf, len, name, 1, d, &sz, err, errlen);

	if (ret)
		return ret;
	for (i = 0; i < sz; i++)
		if (b[8 + i] >= n_classes)
			return fail(err, errlen, IDX_E_LABEL,
				    "%s: label %u at index %zu is not below %u",
				    name, b[8 + i], i, n_classes);
	*labels = malloc(sz);
	if (!*labels)
		return fail(err, errlen, IDX_E_NOMEM, "%s: out of memory", name);
	memcpy(*labels, b + 8, sz);
	*n = d[0];
	return IDX_OK;
}

/* Files larger than any IDX file accepted are refused unread. */
#define IDX_MAX_FILE	((size_t)IDX_MAX_ITEMS * 128 - 1)

static int slurp(const char *path, uint8_t **buf, size_t *len, char *err,
		 size_t errlen)
{
	void *b;
	int ret = read_file(path, IDX_MAX_FILE, &b, len);

	switch (ret) {
	case 0:
		*buf = b;
		return IDX_OK;
	case -ENOMEM:
		return fail(err, errlen, IDX_E_NOMEM, "%s: out of memory", path);
	case -EFBIG:
		return fail(err, errlen, IDX_E_SHAPE,
			    "%s: larger than any IDX file accepted", path);
	case -EIO:
		return fail(err, errlen, IDX_E_IO, "%s: read error", path);
	default:
		return fail(err, errlen, IDX_E_IO, "%s: %s", path,
			    strerror(-ret));
	}
}

int idx_load(const char *images_path, const char *labels_path,
	     uint32_t n_classes, struct idx_dataset *ds, char *err,
	     size_t errlen)
{
	uint8_t *buf = NULL;
	uint32_t nl;
	size_t len;
	int ret;

	memset(ds, 0, sizeof(*ds));
	ret = slurp(images_path, &buf, &len, err, errlen);
	if (!ret)
		ret = idx_parse_images(buf, len, images_path, &ds->n, &ds->rows,
				       &ds->cols, &ds->pixels, err, errlen);
	free(buf);
	buf = NULL;
	if (!ret)
		ret = slurp(labels_path, &buf, &len, err, errlen);
	if (!ret)
		ret = idx_parse_labels(buf, len, labels_path, n_classes, &nl,
				       &ds->labels, err, errlen);
	free(buf);
	if (!ret && nl != ds->n)
		ret = fail(err, errlen, IDX_E_COUNT,
			   "%s has %u images but %s has %u labels",
			   images_path, ds->n, labels_path, nl);
	if (ret)
		idx_free(ds);
	return ret;
}

void idx_free(struct idx_dataset *ds)
{
	free(ds->pixels);
	free(ds->labels);
	memset(ds, 0, sizeof(*ds));
}

const char *idx_status_str(int status)
{
	static const char *const s[] = {
		[IDX_OK] = "ok",
		[IDX_E_IO] = "cannot read the file",
		[IDX_E_MAGIC] = "not an IDX file of the expected kind",
		[IDX_E_TRUNCATED] = "truncated",
		[IDX_E_TRAILING] = "trailing bytes",
		[IDX_E_SHAPE] = "bad dimensions",
		[IDX_E_COUNT] = "images and labels disagree",
		[IDX_E_LABEL] = "label out of range",
		[IDX_E_NOMEM] = "out of memory",
	};

	if (status < 0 || status >= (int)(sizeof(s) / sizeof(s[0])))
		return "unknown status";
	return s[status];
}
