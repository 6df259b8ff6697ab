/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * Modelled energy for spex-trace: the work the bpf programs counted,
 * priced. The bpf side only counts (bpf/spex_trace_maps.h); the formula
 * and the sources of the default coefficients are in
 * Documentation/tracing.rst.
 */
#ifndef SPEX_TRACE_ENERGY_H
#define SPEX_TRACE_ENERGY_H

#include <linux/types.h>

#include "spex_trace_maps.h"

/* The coefficients, as --e-mac, --e-mem, --e-tx and --p-active set them. */
struct energy_coef {
	__u64 e_mac_fj;			/* per multiply-accumulate */
	__u64 e_mem_fj;			/* per weight or activation byte */
	__u64 e_tx_fj;			/* per byte offloaded */
	__u64 p_active_uw;		/* uW x ns of engine time = fJ */
};

/* Femtojoules (1e-15 J): the four terms and their sum. */
struct energy {
	__u64 mac_fj, mem_fj, tx_fj, active_fj;
	__u64 total_fj;
};

/*
 * The modelled energy of the jobs counted in st:
 *   macs x e_mac + (weight_bytes + act_bytes) x e_mem
 *   + offload_bytes x e_tx + ns x p_active
 * in u64 arithmetic, so a difference of two results is the energy of the
 * jobs counted in between.
 */
void energy_model(const struct energy_coef *c,
		  const struct spex_trace_stats *st, struct energy *e);

#endif /* SPEX_TRACE_ENERGY_H */
