// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Modelled energy for spex-trace: prices the bpf counters (energy.h).
 */
#include "energy.h"

void energy_model(const struct energy_coef *c,
		  const struct spex_trace_stats *st, struct energy *e)
{
	e->mac_fj = st->macs * c->e_mac_fj;
	e->mem_fj = (st->weight_bytes + st->act_bytes) * c->e_mem_fj;
	e->tx_fj = st->offload_bytes * c->e_tx_fj;
	e->active_fj = st->ns * c->p_active_uw;
	e->total_fj = e->mac_fj + e->mem_fj + e->tx_fj + e->active_fj;
}
