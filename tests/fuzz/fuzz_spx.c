// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * libFuzzer target for the .spx loader and the engine behind it: the
 * kernel's attack surface, fuzzed in userspace under ASan and UBSan.
 * See tests/common/fuzz_one.c for the case layout.
 */
#include "fuzz_one.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	return spex_fuzz_one(data, size);
}
