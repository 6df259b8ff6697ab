/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * A naive reference for the engine: it runs a model straight from its
 * writer description, with dense loops over regenerated edges and no
 * packing, staging or SIMD. Tests compare spex_run() against it.
 */
#ifndef SPEX_REFNET_H
#define SPEX_REFNET_H

#include <spex/engine.h>

/*
 * Same contract as spex_run() (decision, class, confidence, exit index,
 * flags, layers_run, macs; out gets the bottleneck or logits). Returns
 * 0, or -1 if the description is beyond what the reference handles.
 */
int ref_run(const struct spex_wmodel *wm, const struct spex_policy *pol,
	    const void *input, void *out, struct spex_result *res);

#endif
