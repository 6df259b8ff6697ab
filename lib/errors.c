// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * spex_strerror(): thread-safe messages for negative errno values (with
 * the meanings libspex gives a few of them) and for spex_status codes.
 */
#include <errno.h>
#include <string.h>

#include "libspex_int.h"
#include <spex/engine.h>

const char *spex_strerror(int err)
{
	const char *s;

	if (err <= SPEX_STATUS_ERR(0)) {
		int st = SPEX_STATUS_ERR(0) - err;

		return spex_status_known(st) ? spex_status_str(st) :
		       "unknown spex status";
	}
	switch (err) {
	case 0:
		return "success";
	case -ESTALE:
		return "head and tail model hashes differ";
	case -EBADMSG:
		return "malformed reply from the tail server";
	case -EPROTO:
		return "the tail server rejected the request as malformed";
	case -EREMOTEIO:
		return "the tail server's engine failed";
	case -ETIMEDOUT:
		return "deadline passed";
	case -ENODEV:
		return "no spex device (is the spex module loaded?)";
	default:
		break;
	}
	s = err < 0 ? strerrordesc_np(-err) : NULL;
	return s ? s : "unknown error";
}
