// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * One fuzz case: the body shared by the libFuzzer target
 * (tests/fuzz/fuzz_spx.c) and the regression test that replays every blob
 * in tests/fuzz/regressions/.
 *
 * Layout of a case: u32 LE blob length, the .spx blob, one policy byte,
 * then input bytes (repeated to fill the model's input). The CRC is not
 * checked, so the fuzzer gets past it to the interesting parts; the
 * budget is small so hostile sizes fail fast.
 */
#include "fuzz_one.h"
#include <spex/engine.h>

#define FUZZ_BUDGET	(64u << 20)

int spex_fuzz_one(const u8 *data, size_t size)
{
	struct spex_load_opts opts = { .budget = FUZZ_BUDGET,
				       .flags = SPEX_LOAD_NO_CRC };
	struct spex_policy pol = { 0 };
	const struct spex_model_desc *mi;
	struct spex_model *m = NULL;
	struct spex_result res;
	struct spex_diag diag;
	size_t blob_len, rest, i;
	const u8 *tail;
	u8 *in, *out, *scratch;
	int st;

	if (size < 4)
		return 0;
	blob_len = spex_le32(data);
	if (blob_len > size - 4)
		blob_len = size - 4;
	st = spex_model_load(data + 4, blob_len, &opts, &m, &diag);
	if (st != SPEX_OK)
		return 0;
	mi = spex_model_info(m);
	tail = data + 4 + blob_len;
	rest = size - 4 - blob_len;
	if (rest) {
		pol.mode = tail[0] % 3;
		tail++;
		rest--;
	}
	in = malloc(mi->input_bytes);
	out = malloc(mi->output_bytes ? mi->output_bytes : 1);
	scratch = malloc(spex_model_scratch_size(m));
	if (in && out && scratch) {
		for (i = 0; i < mi->input_bytes; i++)
			in[i] = rest ? tail[i % rest] : (u8)i;
		/* a head without exits refuses force-local: that is fine too */
		spex_run(m, pol.mode ? &pol : NULL, NULL, scratch, in,
			 mi->input_bytes, out, mi->output_bytes, &res);
	}
	free(in);
	free(out);
	free(scratch);
	spex_model_free(m);
	return 0;
}
