// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * read_file(): a whole file into memory; see file.h.
 */
#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int read_file(const char *path, size_t max, void **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *b = NULL, *nb;
	int ret = 0;

	if (!f)
		return -errno;
	for (;;) {
		nb = realloc(b, cap + 1);	/* + the NUL */
		if (!nb) {
			ret = -ENOMEM;
			break;
		}
		b = nb;
		n += fread(b + n, 1, cap - n, f);
		if (max && n > max) {
			ret = -EFBIG;
			break;
		}
		if (n < cap)
			break;
		cap *= 2;
	}
	if (!ret && ferror(f))
		ret = -EIO;
	fclose(f);
	if (ret) {
		free(b);
		return ret;
	}
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
}
