// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Names of the format's and the ABI's enum values (layer types, patterns,
 * roles, policies, ...): the one table every tool prints and parses with,
 * so spexctl, spex-train and its config files say the same word for the
 * same value. Status codes have their own table (status.c).
 */
#include <spex/engine.h>
#include "kernels.h"	/* enum spex_fc_layout */

struct spex_name_entry {
	u8 set;			/* enum spex_name_set */
	u8 value;
	const char *name;
};

static const struct spex_name_entry name_table[] = {
	{ SPEX_NAMES_LAYER, SPX_LAYER_FC, "fc" },
	{ SPEX_NAMES_LAYER, SPX_LAYER_CONV2D, "conv2d" },
	{ SPEX_NAMES_LAYER, SPX_LAYER_MAXPOOL, "maxpool" },
	{ SPEX_NAMES_LAYER, SPX_LAYER_AVGPOOL, "avgpool" },
	{ SPEX_NAMES_LAYER, SPX_LAYER_RELU, "relu" },
	{ SPEX_NAMES_LAYER, SPX_LAYER_FLATTEN, "flatten" },
	{ SPEX_NAMES_PATTERN, SPX_PAT_DENSE, "dense" },
	{ SPEX_NAMES_PATTERN, SPX_PAT_RANDOM, "random" },
	{ SPEX_NAMES_PATTERN, SPX_PAT_CF1, "cf1" },
	{ SPEX_NAMES_PATTERN, SPX_PAT_CF2, "cf2" },
	{ SPEX_NAMES_PATTERN, SPX_PAT_CF3, "cf3" },
	{ SPEX_NAMES_STARTS, SPX_STARTS_ZERO, "zero" },
	{ SPEX_NAMES_STARTS, SPX_STARTS_SEED, "seed" },
	{ SPEX_NAMES_STARTS, SPX_STARTS_EXPLICIT, "explicit" },
	{ SPEX_NAMES_MASK, SPX_MASK_FULL, "full" },
	{ SPEX_NAMES_MASK, SPX_MASK_PERIODIC, "periodic" },
	{ SPEX_NAMES_ROLE, SPX_ROLE_FULL, "full" },
	{ SPEX_NAMES_ROLE, SPX_ROLE_HEAD, "head" },
	{ SPEX_NAMES_ROLE, SPX_ROLE_TAIL, "tail" },
	{ SPEX_NAMES_DTYPE, SPX_DTYPE_INT8, "int8" },
	{ SPEX_NAMES_DTYPE, SPX_DTYPE_F32, "f32" },
	{ SPEX_NAMES_EXIT_POLICY, SPX_POLICY_MAX_SOFTMAX, "max-softmax" },
	{ SPEX_NAMES_EXIT_POLICY, SPX_POLICY_ENTROPY, "entropy" },
	{ SPEX_NAMES_EXIT_POLICY, SPX_POLICY_MARGIN, "margin" },
	{ SPEX_NAMES_MODE, SPEX_MODE_AUTO, "auto" },
	{ SPEX_NAMES_MODE, SPEX_MODE_FORCE_LOCAL, "local" },
	{ SPEX_NAMES_MODE, SPEX_MODE_FORCE_OFFLOAD, "offload" },
	{ SPEX_NAMES_NET_MODE, SPEX_NET_CONFIDENCE, "confidence" },
	{ SPEX_NAMES_NET_MODE, SPEX_NET_DEADLINE, "deadline" },
	{ SPEX_NAMES_NET_MODE, SPEX_NET_ADAPTIVE, "adaptive" },
	{ SPEX_NAMES_NET_REASON, SPEX_NET_R_OFFLOAD, "offload" },
	{ SPEX_NAMES_NET_REASON, SPEX_NET_R_CONFIDENT, "confident" },
	{ SPEX_NAMES_NET_REASON, SPEX_NET_R_DEADLINE, "deadline" },
	{ SPEX_NAMES_NET_REASON, SPEX_NET_R_BUDGET, "link-budget" },
	{ SPEX_NAMES_NET_REASON, SPEX_NET_R_DOWN, "tail-down" },
	{ SPEX_NAMES_NET_REASON, SPEX_NET_R_PROBE, "probe" },
	{ SPEX_NAMES_DECISION, SPEX_DECISION_EXIT, "exit" },
	{ SPEX_NAMES_DECISION, SPEX_DECISION_OFFLOAD, "offload" },
	{ SPEX_NAMES_DECISION, SPEX_DECISION_FINAL, "final" },
	{ SPEX_NAMES_FC_LAYOUT, SPEX_FC_WINDOW, "window" },
	{ SPEX_NAMES_FC_LAYOUT, SPEX_FC_BANKED, "banked" },
	{ SPEX_NAMES_FC_LAYOUT, SPEX_FC_GATHER, "gather" },
};

const char *spex_name(enum spex_name_set set, u32 value)
{
	size_t i;

	for (i = 0; i < SPEX_ARRAY_SIZE(name_table); i++)
		if (name_table[i].set == set && name_table[i].value == value)
			return name_table[i].name;
	return "?";
}

int spex_name_value(enum spex_name_set set, const char *name, u32 *value)
{
	size_t i;

	for (i = 0; i < SPEX_ARRAY_SIZE(name_table); i++)
		if (name_table[i].set == set &&
		    !strcmp(name_table[i].name, name)) {
			*value = name_table[i].value;
			return 0;
		}
	return -1;
}
