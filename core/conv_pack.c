// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Conv packing: turn a conv layer's channel edges, kernel mask and
 * file-order weights into a struct spex_conv (kept taps per channel,
 * weights in (o, s, tap) order, aligned).
 *
 * Everything lives in the caller's memory (one allocation, sized by
 * spex_conv_pack_bound()); nothing is allocated here.
 */
#include "conv_pack.h"
#include "pack_util.h"
#include <spex/engine.h>

static int conv_shape_ok(const struct spex_conv_shape *sh)
{
	return sh->in_c && sh->in_h && sh->in_w && sh->out_c &&
	       sh->kh && sh->kw && sh->kh <= SPX_MAX_KERNEL &&
	       sh->kw <= SPX_MAX_KERNEL && sh->stride &&
	       sh->cin_deg && sh->cin_deg <= sh->in_c &&
	       sh->in_c <= SPX_MAX_DIM && sh->out_c <= SPX_MAX_DIM &&
	       sh->in_h <= SPX_MAX_DIM && sh->in_w <= SPX_MAX_DIM &&
	       sh->pad <= SPX_MAX_KERNEL &&
	       (u64)sh->in_h + 2 * sh->pad >= sh->kh &&
	       (u64)sh->in_w + 2 * sh->pad >= sh->kw;
}

u64 spex_conv_weight_count(const struct spex_conv_shape *sh)
{
	if (!conv_shape_ok(sh) ||
	    spex_mask_check(sh->mask_type, sh->mask_period, sh->kh, sh->kw))
		return 0;
	return spex_mask_count(sh->mask_type, sh->mask_period, sh->kh, sh->kw,
			       sh->out_c, sh->cin_deg);
}

struct conv_plan {
	size_t cin, tap_start, taps, w, total;
};

static void conv_plan(struct conv_plan *p, const struct spex_conv_shape *sh,
		      u32 elem_size)
{
	size_t slots = sz_mul(sh->out_c, sh->cin_deg);
	size_t maxw = sz_mul(slots, (size_t)sh->kh * sh->kw);

	p->cin = 0;
	p->tap_start = sz_align(sz_mul(slots, 4));
	p->taps = sz_add(p->tap_start, sz_align(sz_mul(sz_add(slots, 1), 4)));
	p->w = sz_add(p->taps, sz_align(maxw));
	p->total = sz_add(p->w, sz_align(sz_add(sz_mul(maxw, elem_size),
						 SPEX_FC_W_PAD)));
}

size_t spex_conv_pack_bound(const struct spex_conv_shape *sh, u32 elem_size)
{
	struct conv_plan p;

	conv_plan(&p, sh, elem_size);
	return p.total;
}

int spex_conv_pack(struct spex_conv *cv, const struct spex_conv_shape *sh,
		   const u32 *cin, const void *w_file, u32 elem_size,
		   void *mem)
{
	struct conv_plan p;
	u8 *base = mem;
	u32 *cin_out, *tap_start;
	u8 *taps;
	void *w;
	size_t slots, k, t = 0;
	u32 o, s, n, i;

	memset(cv, 0, sizeof(*cv));
	if (!conv_shape_ok(sh) || (elem_size != 1 && elem_size != 4))
		return SPEX_E_SHAPE;
	if (spex_mask_check(sh->mask_type, sh->mask_period, sh->kh, sh->kw))
		return SPEX_E_LAYER;
	conv_plan(&p, sh, elem_size);
	if (p.total == SIZE_MAX)
		return SPEX_E_OVERFLOW;
	slots = (size_t)sh->out_c * sh->cin_deg;
	for (k = 0; k < slots; k++)
		if (cin[k] >= sh->in_c)
			return SPEX_E_PATTERN;

	cin_out = (u32 *)(base + p.cin);
	tap_start = (u32 *)(base + p.tap_start);
	taps = base + p.taps;
	w = base + p.w;
	memcpy(cin_out, cin, slots * 4);
	for (o = 0; o < sh->out_c; o++) {
		for (s = 0; s < sh->cin_deg; s++) {
			tap_start[(size_t)o * sh->cin_deg + s] = (u32)t;
			n = spex_mask_elems(sh->mask_type, sh->mask_period,
					    sh->kh, sh->kw, o, s, taps + t);
			for (i = 0; i < n; i++, t++)
				put_weight(w, t, w_file, t, elem_size);
		}
		spex_yield();
	}
	tap_start[slots] = (u32)t;
	memset((u8 *)w + t * elem_size, 0, SPEX_FC_W_PAD);

	cv->in_c = sh->in_c;
	cv->in_h = sh->in_h;
	cv->in_w = sh->in_w;
	cv->out_c = sh->out_c;
	cv->kh = sh->kh;
	cv->kw = sh->kw;
	cv->stride = sh->stride;
	cv->pad = sh->pad;
	cv->ph = sh->in_h + 2 * sh->pad;
	cv->pw = sh->in_w + 2 * sh->pad;
	cv->out_h = (cv->ph - sh->kh) / sh->stride + 1;
	cv->out_w = (cv->pw - sh->kw) / sh->stride + 1;
	cv->cin_deg = sh->cin_deg;
	cv->cin = cin_out;
	cv->tap_start = tap_start;
	cv->taps = taps;
	if (elem_size == 1)
		cv->w8 = w;
	else
		cv->wf = w;
	return SPEX_OK;
}
