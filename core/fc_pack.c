// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * FC packing: turn an FC layer's edge list and file-order weights into a
 * struct spex_fc, with the weights in the order the kernels read them.
 * The layout (WINDOW, BANKED, GATHER) is detected from the edges
 * themselves, so any pattern generator that happens to produce contiguous
 * rows gets the fast path.
 *
 * Everything lives in the caller's memory (one allocation, sized by
 * spex_fc_pack_bound() before the edges exist); nothing is allocated here.
 */
#include "fc_pack.h"
#include "pack_util.h"

/* Where each part of an FC pack lives in mem (byte offsets). */
struct fc_plan {
	size_t w;		/* weights (+ SPEX_FC_W_PAD) */
	size_t xs_src;		/* WINDOW/BANKED */
	size_t seg;		/* WINDOW/BANKED */
	size_t idx;		/* GATHER (overlaps xs_src/seg) */
	size_t bits;		/* work: one bit per input */
	size_t map;		/* work: u32 per input */
	size_t total;
};

static void fc_plan(struct fc_plan *p, u32 n_in, u32 n_out, u32 d_in,
		    u32 elem_size)
{
	size_t edges = sz_mul(n_out, d_in);
	size_t nseg_max = d_in / SPEX_FC_BANKED_MIN_RUN;
	size_t a, b, off;

	if (nseg_max < 1)
		nseg_max = 1;
	p->w = 0;
	off = sz_align(sz_add(sz_mul(edges, elem_size), SPEX_FC_W_PAD));
	/* WINDOW: xs_len <= n_in - 1 + d_in + pad; BANKED: n_in + d_in + pad */
	p->xs_src = off;
	a = sz_align(sz_mul(sz_add(sz_add(n_in, d_in), SPEX_FC_XS_PAD), 4));
	p->seg = sz_add(off, a);
	a = sz_add(a, sz_align(sz_mul(sz_mul(n_out, nseg_max), 4)));
	p->idx = off;
	b = sz_align(sz_mul(edges, 4));
	off = sz_add(off, sz_max(a, b));
	p->bits = off;
	off = sz_add(off, sz_align(sz_mul(((size_t)n_in + 63) / 64, 8)));
	p->map = off;
	off = sz_add(off, sz_align(sz_mul(n_in, 4)));
	p->total = off;
}

size_t spex_fc_pack_bound(u32 n_in, u32 n_out, u32 d_in, u32 z,
			  u32 elem_size)
{
	struct fc_plan p;

	(void)z;
	fc_plan(&p, n_in, n_out, d_in, elem_size);
	return p.total;
}

static inline int bit_test(const u64 *bits, u32 i)
{
	return (bits[i / 64] >> (i % 64)) & 1;
}

static inline void bit_set(u64 *bits, u32 i)
{
	bits[i / 64] |= (u64)1 << (i % 64);
}

static inline void bit_clear(u64 *bits, u32 i)
{
	bits[i / 64] &= ~((u64)1 << (i % 64));
}

/*
 * If row's d_in distinct inputs are the cyclic window {base .. base+d_in-1}
 * (mod n_in), in any order, return 1 and its base. bits must be all clear
 * on entry and is left all clear.
 */
static int row_window(const u32 *row, u32 n_in, u32 d_in, u64 *bits,
		      u32 *base)
{
	u32 m, starts = 0, b = 0;

	for (m = 0; m < d_in; m++)
		bit_set(bits, row[m]);
	for (m = 0; m < d_in; m++) {
		u32 prev = row[m] ? row[m] - 1 : n_in - 1;

		if (!bit_test(bits, prev)) {
			starts++;
			b = row[m];
		}
	}
	for (m = 0; m < d_in; m++)
		bit_clear(bits, row[m]);
	if (d_in == n_in) {	/* every input: the window at 0 */
		*base = 0;
		return 1;
	}
	*base = b;
	return starts == 1;
}

/*
 * Clash-free decomposition: edge m = s + z * i (i < seglen) of the row
 * must read bank (left % z) of run s at address (a0 + i) % (n_in / z).
 * Fills seg[s] with the run's start in the bank-major staged input.
 */
static int row_banked(const u32 *row, u32 n_in, u32 z, u32 seglen,
		      u32 *seg)
{
	u32 bs = n_in / z, s, i;

	for (s = 0; s < z; s++) {
		u32 bank = row[s] % z, a0 = row[s] / z, a = a0;

		for (i = 1; i < seglen; i++) {
			u32 l = row[s + z * i];

			if (++a == bs)
				a = 0;
			if (l % z != bank || l / z != a)
				return 0;
		}
		seg[s] = bank * (bs + seglen) + a0;
	}
	return 1;
}

/* Sift a[i] down the max-heap a[0 .. n). */
static void sift_down(u32 *a, u32 i, u32 n)
{
	for (;;) {
		u32 c = 2 * i + 1, t;

		if (c >= n)
			return;
		if (c + 1 < n && a[c + 1] > a[c])
			c++;
		if (a[i] >= a[c])
			return;
		t = a[i];
		a[i] = a[c];
		a[c] = t;
		i = c;
	}
}

/* Ascending heapsort: O(n log n), no recursion, no memory. */
static void sort_u32(u32 *a, u32 n)
{
	u32 i, t;

	for (i = n / 2; i-- > 0;)
		sift_down(a, i, n);
	for (i = n; i-- > 1;) {
		t = a[0];
		a[0] = a[i];
		a[i] = t;
		sift_down(a, 0, i);
	}
}

int spex_fc_pack(struct spex_fc *fc, u32 n_in, u32 n_out, u32 d_in, u32 z,
		 const u32 *left, const void *w_edges, u32 elem_size,
		 void *mem)
{
	struct fc_plan p;
	u8 *base = mem;
	u64 *bits;
	u32 *map, *seg, *xs_src, *idx;
	void *w;
	size_t e, edges, ro;
	u32 r, m, i, s;
	int ok;

	memset(fc, 0, sizeof(*fc));
	if (!n_in || !n_out || !d_in || d_in > n_in ||
	    (elem_size != 1 && elem_size != 4))
		return SPEX_E_SHAPE;
	fc_plan(&p, n_in, n_out, d_in, elem_size);
	if (p.total == SIZE_MAX)
		return SPEX_E_OVERFLOW;
	edges = (size_t)n_out * d_in;
	for (e = 0; e < edges; e++)
		if (left[e] >= n_in)
			return SPEX_E_PATTERN;

	bits = (u64 *)(base + p.bits);
	map = (u32 *)(base + p.map);
	memset(bits, 0, ((size_t)n_in + 63) / 64 * 8);
	/* No row may read an input twice. */
	for (r = 0; r < n_out; r++) {
		const u32 *row = left + (size_t)r * d_in;

		for (m = 0; m < d_in; m++) {
			if (bit_test(bits, row[m]))
				break;
			bit_set(bits, row[m]);
		}
		for (i = 0; i < m; i++)
			bit_clear(bits, row[i]);
		if (m < d_in)
			return SPEX_E_DUP_EDGE;
		spex_yield();
	}
	w = base + p.w;
	fc->n_in = n_in;
	fc->n_out = n_out;
	fc->d_in = d_in;

	/* WINDOW: one contiguous (cyclic) run per row, inputs in any order. */
	seg = (u32 *)(base + p.seg);
	xs_src = (u32 *)(base + p.xs_src);
	ok = 1;
	for (r = 0; r < n_out && ok; r++) {
		ok = row_window(left + (size_t)r * d_in, n_in, d_in, bits,
				&seg[r]);
		spex_yield();
	}
	if (ok) {
		u32 maxbase = 0;

		for (r = 0; r < n_out; r++) {
			const u32 *row = left + (size_t)r * d_in;

			ro = (size_t)r * d_in;
			if (seg[r] > maxbase)
				maxbase = seg[r];
			for (m = 0; m < d_in; m++) {
				u32 pos = row[m] >= seg[r] ? row[m] - seg[r] :
					  row[m] + n_in - seg[r];

				put_weight(w, ro + pos, w_edges, ro + m,
					   elem_size);
			}
		}
		fc->layout = SPEX_FC_WINDOW;
		fc->nseg = 1;
		fc->seglen = d_in;
		fc->xs_len = maxbase + d_in + SPEX_FC_XS_PAD;
		for (i = 0; i < fc->xs_len; i++)
			xs_src[i] = i % n_in;
		fc->xs_src = xs_src;
		fc->seg = seg;
		goto weights;
	}

	/* BANKED: z runs of d_in / z inputs, each in one bank. */
	if (z > 1 && d_in % z == 0 && n_in % z == 0 &&
	    d_in / z >= SPEX_FC_BANKED_MIN_RUN) {
		u32 seglen = d_in / z, bs = n_in / z;

		ok = 1;
		for (r = 0; r < n_out && ok; r++)
			ok = row_banked(left + (size_t)r * d_in, n_in, z,
					seglen, seg + (size_t)r * z);
		if (ok) {
			for (r = 0; r < n_out; r++) {
				ro = (size_t)r * d_in;
				for (s = 0; s < z; s++)
					for (i = 0; i < seglen; i++)
						put_weight(w, ro + s * seglen +
							   i, w_edges, ro + s +
							   (size_t)z * i,
							   elem_size);
			}
			fc->layout = SPEX_FC_BANKED;
			fc->nseg = z;
			fc->seglen = seglen;
			fc->xs_len = z * (bs + seglen) + SPEX_FC_XS_PAD;
			for (i = 0; i < z * (bs + seglen); i++) {
				u32 bank = i / (bs + seglen);
				u32 a = i % (bs + seglen);

				xs_src[i] = (a % bs) * z + bank;
			}
			for (; i < fc->xs_len; i++)
				xs_src[i] = 0;
			fc->xs_src = xs_src;
			fc->seg = seg;
			goto weights;
		}
	}

	/*
	 * GATHER: each row's inputs in ascending order, for locality. A
	 * heapsort of the row itself, so the work is bounded by the edges
	 * (d_in log d_in a row), not by n_in.
	 */
	idx = (u32 *)(base + p.idx);
	for (r = 0; r < n_out; r++) {
		const u32 *row = left + (size_t)r * d_in;
		u32 *out = idx + (size_t)r * d_in;

		for (m = 0; m < d_in; m++) {
			out[m] = row[m];
			map[row[m]] = m;
		}
		sort_u32(out, d_in);
		for (m = 0; m < d_in; m++)
			put_weight(w, (size_t)r * d_in + m, w_edges,
				   (size_t)r * d_in + map[out[m]], elem_size);
		spex_yield();
	}
	fc->layout = SPEX_FC_GATHER;
	fc->nseg = 1;
	fc->seglen = d_in;
	fc->xs_len = n_in + SPEX_FC_XS_PAD;
	fc->xs_src = NULL;
	fc->idx = idx;

weights:
	memset((u8 *)w + edges * elem_size, 0, SPEX_FC_W_PAD);
	if (elem_size == 1)
		fc->w8 = w;
	else
		fc->wf = w;
	return SPEX_OK;
}
