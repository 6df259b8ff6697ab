/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * Reading a whole file into memory, for the tools.
 */
#ifndef SPEX_TOOLS_FILE_H
#define SPEX_TOOLS_FILE_H

#include <stddef.h>

/*
 * Read all of path (a regular file or a pipe) into a malloc'd buffer
 * with a NUL after the last byte, so text can be used as a string.
 * max: the largest size accepted, 0 for no limit. Returns 0, or
 * -errno: the open's error, -EIO for a read error, -EFBIG when the file
 * is larger than max, -ENOMEM. Nothing is allocated on failure.
 */
int read_file(const char *path, size_t max, void **buf, size_t *len);

#endif /* SPEX_TOOLS_FILE_H */
