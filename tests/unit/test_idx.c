// SPDX-License-Identifier: MIT OR GPL-2.0
/* The IDX dataset reader: good files, and every kind of bad one. */
#include "../../tools/common/idx.h"
#include "spex_test.h"

#include <unistd.h>

/* An IDX file: magic 0x0000 08 ndim, big-endian dims, then the bytes. */
static size_t mk(uint8_t *b, uint32_t ndim, const uint32_t *dims,
		 const uint8_t *data)
{
	size_t n = 1, i, off = 4 + 4 * ndim;

	b[0] = b[1] = 0;
	b[2] = 8;
	b[3] = (uint8_t)ndim;
	for (i = 0; i < ndim; i++) {
		b[4 + 4 * i] = dims[i] >> 24;
		b[5 + 4 * i] = dims[i] >> 16;
		b[6 + 4 * i] = dims[i] >> 8;
		b[7 + 4 * i] = dims[i];
		n *= dims[i];
	}
	for (i = 0; i < n; i++)
		b[off + i] = data ? data[i] : (uint8_t)(i % 10);
	return off + n;
}

TEST(images_and_labels_parse)
{
	uint8_t buf[256], *px = NULL, *lab = NULL;
	uint32_t d[3] = { 2, 3, 4 }, n = 0, r = 0, c = 0, dl[1] = { 6 };
	char err[200];
	size_t len = mk(buf, 3, d, NULL);

	CHECK_EQ(idx_parse_images(buf, len, "img", &n, &r, &c, &px, err,
				  sizeof(err)), IDX_OK);
	CHECK_EQ(n, 2);
	CHECK_EQ(r, 3);
	CHECK_EQ(c, 4);
	CHECK(px && px[5] == 5 && px[23] == 3, "pixels copied");
	free(px);
	len = mk(buf, 1, dl, NULL);
	CHECK_EQ(idx_parse_labels(buf, len, "lab", 10, &n, &lab, err,
				  sizeof(err)), IDX_OK);
	CHECK_EQ(n, 6);
	CHECK(lab && lab[4] == 4, "labels copied");
	free(lab);
}

TEST(bad_files_get_clear_errors)
{
	uint8_t buf[256], *p = NULL;
	uint32_t d3[3] = { 2, 3, 4 }, d1[1] = { 5 }, n, r, c;
	uint8_t labs[5] = { 1, 2, 12, 3, 4 };
	char err[200];
	size_t len;

	/* a label file given as images: wrong magic */
	len = mk(buf, 1, d1, NULL);
	CHECK_EQ(idx_parse_images(buf, len, "x", &n, &r, &c, &p, err,
				  sizeof(err)), IDX_E_MAGIC);
	CHECK(strstr(err, "x: bad magic 00000801"), "%s", err);
	/* float data (type 0x0d) */
	len = mk(buf, 3, d3, NULL);
	buf[2] = 0x0d;
	CHECK_EQ(idx_parse_images(buf, len, "x", &n, &r, &c, &p, err,
				  sizeof(err)), IDX_E_MAGIC);
	buf[2] = 8;
	/* truncated header, truncated data, trailing bytes */
	CHECK_EQ(idx_parse_images(buf, 2, "x", &n, &r, &c, &p, err,
				  sizeof(err)), IDX_E_TRUNCATED);
	CHECK_EQ(idx_parse_images(buf, 10, "x", &n, &r, &c, &p, err,
				  sizeof(err)), IDX_E_TRUNCATED);
	CHECK(strstr(err, "truncated"), "%s", err);
	CHECK_EQ(idx_parse_images(buf, len - 1, "x", &n, &r, &c, &p, err,
				  sizeof(err)), IDX_E_TRUNCATED);
	CHECK(strstr(err, "23 data bytes, the header says 24"), "%s", err);
	CHECK_EQ(idx_parse_images(buf, len + 1, "x", &n, &r, &c, &p, err,
				  sizeof(err)), IDX_E_TRAILING);
	/* a zero dimension */
	d3[1] = 0;
	len = mk(buf, 3, d3, NULL);
	CHECK_EQ(idx_parse_images(buf, len, "x", &n, &r, &c, &p, err,
				  sizeof(err)), IDX_E_SHAPE);
	/* label out of range */
	len = mk(buf, 1, d1, labs);
	CHECK_EQ(idx_parse_labels(buf, len, "lab", 10, &n, &p, err,
				  sizeof(err)), IDX_E_LABEL);
	CHECK(strstr(err, "lab: label 12 at index 2 is not below 10"), "%s",
	      err);
	CHECK_EQ(idx_parse_labels(buf, len, "lab", 13, &n, &p, err,
				  sizeof(err)), IDX_OK);
	free(p);
}

static void put(const char *path, const uint8_t *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	fwrite(b, 1, n, f);
	fclose(f);
}

TEST(load_checks_both_files)
{
	char ip[64], lp[64], err[300];
	uint8_t buf[256];
	uint32_t d3[3] = { 3, 2, 2 }, d1[1] = { 3 };
	struct idx_dataset ds;
	int pid = getpid();

	snprintf(ip, sizeof(ip), "/tmp/spex-idx-%d-img", pid);
	snprintf(lp, sizeof(lp), "/tmp/spex-idx-%d-lab", pid);
	put(ip, buf, mk(buf, 3, d3, NULL));
	put(lp, buf, mk(buf, 1, d1, NULL));
	CHECK_EQ(idx_load(ip, lp, 10, &ds, err, sizeof(err)), IDX_OK);
	CHECK_EQ(ds.n, 3);
	CHECK_EQ(ds.rows * ds.cols, 4);
	CHECK_EQ(ds.labels[2], 2);
	idx_free(&ds);
	d1[0] = 4;
	put(lp, buf, mk(buf, 1, d1, NULL));
	CHECK_EQ(idx_load(ip, lp, 10, &ds, err, sizeof(err)), IDX_E_COUNT);
	CHECK(strstr(err, "has 3 images but") && strstr(err, "has 4 labels"),
	      "%s", err);
	CHECK(!ds.pixels && !ds.labels, "nothing left allocated");
	unlink(lp);
	CHECK_EQ(idx_load(ip, lp, 10, &ds, err, sizeof(err)), IDX_E_IO);
	CHECK(strstr(err, "No such file"), "%s", err);
	unlink(ip);
	CHECK(strcmp(idx_status_str(IDX_E_LABEL), "label out of range") == 0, "");
}

TEST_MAIN(T(images_and_labels_parse), T(bad_files_get_clear_errors),
	  T(load_checks_both_files))
