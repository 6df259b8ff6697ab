// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The engine's pattern-edge generator and conv kernel masks for front
 * ends (libspex 1.2): a trainer outside C (lib/python/spex) asks for the
 * very edges the loader regenerates, so its masks cannot drift.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libspex_int.h"
#include <spex/engine.h>

int spex_pattern_edges(const struct spex_pattern_spec *ps, uint32_t p,
		       uint32_t n, uint32_t d_in, uint32_t *left,
		       size_t left_cap)
{
	struct spex_pattern_desc pd;
	u8 *starts_le = NULL;
	void *work = NULL;
	size_t work_sz;
	uint32_t i;
	int st;

	if (!ps || !left)
		return -EINVAL;
	for (i = 0; i < sizeof(ps->reserved) / sizeof(ps->reserved[0]); i++)
		if (ps->reserved[i])
			return -EINVAL;
	memset(&pd, 0, sizeof(pd));
	pd.type = ps->type;
	pd.starts = ps->starts;
	pd.dither = ps->dither;
	pd.z = ps->z;
	pd.seed = ps->seed;
	if (ps->n_starts) {
		if (!ps->starts_arr)
			return -EINVAL;
		starts_le = malloc((size_t)ps->n_starts * 4);
		if (!starts_le)
			return -ENOMEM;
		for (i = 0; i < ps->n_starts; i++)
			spex_put_le32(starts_le + 4 * (size_t)i,
				      ps->starts_arr[i]);
		pd.starts_le = starts_le;
		pd.n_starts = ps->n_starts;
	}
	st = spex_pattern_check(&pd, p, n, d_in);
	if (st) {
		free(starts_le);
		return SPEX_STATUS_ERR(st);
	}
	if (left_cap < (size_t)n * d_in) {
		free(starts_le);
		return -ENOSPC;
	}
	work_sz = spex_pattern_work_size(&pd, p, n, d_in);
	work = malloc(work_sz ? work_sz : 1);
	if (!work) {
		free(starts_le);
		return -ENOMEM;
	}
	st = spex_pattern_fill(&pd, p, n, d_in, left, work);
	free(work);
	free(starts_le);
	return st ? SPEX_STATUS_ERR(st) : 0;
}

int spex_pattern_starts_needed(const struct spex_pattern_spec *ps,
			       uint32_t p, uint32_t n, uint32_t d_in)
{
	struct spex_pattern_desc pd;

	if (!ps)
		return -EINVAL;
	memset(&pd, 0, sizeof(pd));
	pd.type = ps->type;
	pd.starts = ps->starts;
	pd.z = ps->z;
	return (int)spex_pattern_n_starts(&pd, p, n, d_in);
}

int spex_conv_mask(uint32_t mask_type, uint32_t period, uint32_t kh,
		   uint32_t kw, uint32_t o, uint32_t s, uint8_t *elems,
		   size_t cap)
{
	int st;

	if (!elems)
		return -EINVAL;
	st = spex_mask_check(mask_type, period, kh, kw);
	if (st)
		return SPEX_STATUS_ERR(st);
	if (cap < (size_t)kh * kw)
		return -ENOSPC;
	return (int)spex_mask_elems(mask_type, period, kh, kw, o, s, elems);
}
