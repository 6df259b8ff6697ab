/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * How many status codes there are, private to core/ (status.c sizes its
 * table by it; white-box tests walk it). It is not in the uapi enum: a
 * count there would change the ABI each time a status is added.
 * Adding a status to enum spex_status means moving this to the new last
 * one and giving it a row in status.c's table (a static assert checks).
 */
#ifndef SPEX_STATUS_H
#define SPEX_STATUS_H

#include <spex/engine.h>

#define SPEX_STATUS_COUNT	(SPEX_E_POLICY + 1)

#endif /* SPEX_STATUS_H */
