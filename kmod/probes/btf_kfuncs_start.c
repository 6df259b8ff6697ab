// SPDX-License-Identifier: GPL-2.0
/*
 * Probe: kfunc sets are declared with BTF_KFUNCS_START/END (6.9+; the
 * verifier then refuses a BTF_SET8_START set without the kfunc flag).
 */
#include <linux/btf.h>
#include <linux/btf_ids.h>

BTF_KFUNCS_START(spex_probe_ids)
BTF_KFUNCS_END(spex_probe_ids)

const struct btf_kfunc_id_set spex_probe_set = {
	.set = &spex_probe_ids,
};
