/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/* log2 slot maths for the bpf histograms (as libbpf-tools' bits.bpf.h). */
#ifndef SPEX_BITS_BPF_H
#define SPEX_BITS_BPF_H

/* floor(log2(v)) for v > 0; 0 for v == 0. Branch-free: the verifier
 * needs no loop bound. */
static __always_inline __u64 spex_log2(__u32 v)
{
	__u32 shift, r;

	r = (v > 0xFFFF) << 4; v >>= r;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __u64 spex_log2l(__u64 v)
{
	__u32 hi = v >> 32;

	return hi ? spex_log2(hi) + 32 : spex_log2(v);
}

/*
 * The slot of a value: 0 holds 0 and 1, slot s holds [2^s, 2^(s+1)),
 * the last slot everything above. The empty asm hides the value from
 * clang, so the clamp stays a compare-and-branch on the very register
 * used as the index: older verifiers (6.1) lose the bound otherwise.
 */
static __always_inline __u64 spex_slot(__u64 v, __u64 max_slots)
{
	__u64 s = spex_log2l(v);

	asm volatile("" : "+r"(s));
	if (s >= max_slots)
		s = max_slots - 1;
	return s;
}

#endif /* SPEX_BITS_BPF_H */
