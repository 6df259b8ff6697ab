/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * Strict number parsing for command-line options and config values.
 */
#ifndef SPEX_TOOLS_PARSE_H
#define SPEX_TOOLS_PARSE_H

#include <stdint.h>

/*
 * The whole of s as an unsigned number in base (0: C prefixes 0x, 0)
 * within lo..hi. Refused, with -1: an empty string, a sign '-', any
 * character after the number, a value out of range. 0 when *out is set.
 */
int parse_u64(const char *s, int base, uint64_t lo, uint64_t hi,
	      uint64_t *out);
int parse_u32(const char *s, int base, uint32_t lo, uint32_t hi,
	      uint32_t *out);

#endif /* SPEX_TOOLS_PARSE_H */
