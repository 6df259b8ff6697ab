/* SPDX-License-Identifier: MIT OR GPL-2.0 */
#ifndef SPEX_FUZZ_ONE_H
#define SPEX_FUZZ_ONE_H

#include <spex/engine.h>

/* Load a fuzz case's model and run it; crashes are the only failure. */
int spex_fuzz_one(const u8 *data, size_t size);

#endif
