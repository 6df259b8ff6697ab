/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * How the tools report errors: die() ends the program with one line on
 * stderr, fail() writes the sentence into a caller's buffer and returns
 * the caller's error code (for code that a tool and its tests share).
 */
#ifndef SPEX_TOOLS_FAIL_H
#define SPEX_TOOLS_FAIL_H

#include <stddef.h>

/* The prefix of die()'s message; each tool's main() sets it. */
extern const char *tool_name;

/* "TOOL_NAME: MESSAGE\n" on stderr, then exit(1). */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Format into err (when err and errlen are non-zero) and return ret. */
int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* SPEX_TOOLS_FAIL_H */
