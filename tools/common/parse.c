// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Strict unsigned number parsing; see parse.h.
 */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

int parse_u64(const char *s, int base, uint64_t lo, uint64_t hi,
	      uint64_t *out)
{
	const char *p = s;
	unsigned long long v;
	char *end;

	while (isspace((unsigned char)*p))
		p++;
	if (!*p || *p == '-')	/* strtoull() would negate it */
		return -1;
	errno = 0;
	v = strtoull(p, &end, base);
	if (errno || end == p || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int parse_u32(const char *s, int base, uint32_t lo, uint32_t hi,
	      uint32_t *out)
{
	uint64_t v;

	if (parse_u64(s, base, lo, hi, &v))
		return -1;
	*out = (uint32_t)v;
	return 0;
}
