/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/* Map helpers for the bpf programs (as libbpf-tools' maps.bpf.h). */
#ifndef SPEX_MAPS_BPF_H
#define SPEX_MAPS_BPF_H

#include <bpf/bpf_helpers.h>
#include <asm-generic/errno.h>

/* The entry for key, created from init if absent. Two CPUs may race to
 * create it: BPF_NOEXIST lets exactly one win, and both then use it. */
static __always_inline void *
spex_lookup_or_init(void *map, const void *key, const void *init)
{
	void *val;
	long err;

	val = bpf_map_lookup_elem(map, key);
	if (val)
		return val;
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -EEXIST)
		return 0;
	return bpf_map_lookup_elem(map, key);
}

#endif /* SPEX_MAPS_BPF_H */
