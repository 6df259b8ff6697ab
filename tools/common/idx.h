/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * IDX dataset files (the format of the MNIST and Fashion-MNIST
 * distributions): a big-endian header, magic 0x0000 08 NN (u8 data, NN
 * dimensions), NN u32 sizes, then the bytes.
 *
 * idx_load() reads one image file (3 dimensions: n x rows x cols) and its
 * label file (1 dimension: n) and checks them against each other; the
 * idx_parse_* functions do the same on memory. Every failure returns an
 * enum idx_status and writes a sentence naming the file and the cause to
 * err, e.g. "t10k-labels: label 12 at index 5 is not below 10".
 */
#ifndef SPEX_IDX_H
#define SPEX_IDX_H

#include <stddef.h>
#include <stdint.h>

enum idx_status {
	IDX_OK = 0,
	IDX_E_IO,		/* cannot open or read the file */
	IDX_E_MAGIC,		/* not IDX, not u8 data, or wrong dimensions */
	IDX_E_TRUNCATED,	/* shorter than the header says */
	IDX_E_TRAILING,		/* longer than the header says */
	IDX_E_SHAPE,		/* a zero or too large dimension */
	IDX_E_COUNT,		/* images and labels disagree on n */
	IDX_E_LABEL,		/* a label >= n_classes */
	IDX_E_NOMEM,
};

/* Images are n x rows x cols bytes, row-major; labels n bytes. */
struct idx_dataset {
	uint32_t n, rows, cols;
	uint8_t *pixels;
	uint8_t *labels;
};

#define IDX_MAX_ITEMS	(1u << 24)	/* larger files are refused */
#define IDX_MAX_SIDE	4096

/*
 * Parse an image file (magic 0x00000803) from memory: *pixels is a
 * malloc'd copy. name labels the messages.
 */
int idx_parse_images(const void *buf, size_t len, const char *name,
		     uint32_t *n, uint32_t *rows, uint32_t *cols,
		     uint8_t **pixels, char *err, size_t errlen);
/* Parse a label file (magic 0x00000801); every label below n_classes. */
int idx_parse_labels(const void *buf, size_t len, const char *name,
		     uint32_t n_classes, uint32_t *n, uint8_t **labels,
		     char *err, size_t errlen);

/* Read both files and check they describe the same n items. */
int idx_load(const char *images_path, const char *labels_path,
	     uint32_t n_classes, struct idx_dataset *ds, char *err,
	     size_t errlen);
void idx_free(struct idx_dataset *ds);

const char *idx_status_str(int status);

#endif /* SPEX_IDX_H */
