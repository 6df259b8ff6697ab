// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Status codes: names, reasons and the errno each maps to. The kernel
 * module returns the errno and also hands the status itself back to
 * userspace, so a rejected model can say exactly why.
 */
#include "status.h"

struct spex_status_desc {
	const char *name;
	const char *str;
	int err;
};

static const struct spex_status_desc status_table[] = {
	[SPEX_OK]		= { "SPEX_OK", "success", 0 },
	[SPEX_E_TRUNCATED]	= { "SPEX_E_TRUNCATED", "model blob is truncated", EINVAL },
	[SPEX_E_MAGIC]		= { "SPEX_E_MAGIC", "not a .spx model (bad magic)", EINVAL },
	[SPEX_E_VERSION]	= { "SPEX_E_VERSION", "unsupported .spx major version", EPROTONOSUPPORT },
	[SPEX_E_CRC]		= { "SPEX_E_CRC", "checksum mismatch", EBADMSG },
	[SPEX_E_HEADER]		= { "SPEX_E_HEADER", "bad file header", EINVAL },
	[SPEX_E_SECTION]	= { "SPEX_E_SECTION", "bad section table", EINVAL },
	[SPEX_E_META]		= { "SPEX_E_META", "bad model metadata", EINVAL },
	[SPEX_E_LAYER]		= { "SPEX_E_LAYER", "bad layer descriptor", EINVAL },
	[SPEX_E_SHAPE]		= { "SPEX_E_SHAPE", "layer shapes do not chain", EINVAL },
	[SPEX_E_OVERFLOW]	= { "SPEX_E_OVERFLOW", "size arithmetic overflows", EOVERFLOW },
	[SPEX_E_RANGE]		= { "SPEX_E_RANGE", "data reference out of bounds or misaligned", EINVAL },
	[SPEX_E_PATTERN]	= { "SPEX_E_PATTERN", "bad sparsity pattern parameters", EINVAL },
	[SPEX_E_PATTERN_Z]	= { "SPEX_E_PATTERN_Z", "clash-free pattern needs z > 0 and p % z == 0", EINVAL },
	[SPEX_E_PATTERN_DIN]	= { "SPEX_E_PATTERN_DIN", "clash-free pattern needs p % d_in == 0", EINVAL },
	[SPEX_E_DEGREE]		= { "SPEX_E_DEGREE", "degrees violate N(i-1)*d_out == N(i)*d_in", EINVAL },
	[SPEX_E_DUP_EDGE]	= { "SPEX_E_DUP_EDGE", "pattern has a duplicate edge", EINVAL },
	[SPEX_E_QUANT]		= { "SPEX_E_QUANT", "bad quantization parameters", EINVAL },
	[SPEX_E_EXIT]		= { "SPEX_E_EXIT", "bad exit classifier", EINVAL },
	[SPEX_E_SPLIT]		= { "SPEX_E_SPLIT", "role and split point disagree", EINVAL },
	[SPEX_E_BUDGET]		= { "SPEX_E_BUDGET", "model exceeds the memory budget", E2BIG },
	[SPEX_E_DTYPE]		= { "SPEX_E_DTYPE", "data type not supported here", EOPNOTSUPP },
	[SPEX_E_NOMEM]		= { "SPEX_E_NOMEM", "out of memory", ENOMEM },
	[SPEX_E_INPUT]		= { "SPEX_E_INPUT", "input has the wrong length", EINVAL },
	[SPEX_E_OUTPUT]		= { "SPEX_E_OUTPUT", "output buffer too small", ENOSPC },
	[SPEX_E_LIMIT]		= { "SPEX_E_LIMIT", "beyond a hard limit of the format", E2BIG },
	[SPEX_E_POLICY]		= { "SPEX_E_POLICY", "bad exit policy", EINVAL },
};

_Static_assert(SPEX_ARRAY_SIZE(status_table) == SPEX_STATUS_COUNT,
	       "every status has a row, and SPEX_STATUS_COUNT is the last + 1");

static const struct spex_status_desc *status_desc(int status)
{
	if (status < 0 || status >= SPEX_STATUS_COUNT)
		return NULL;
	return &status_table[status];
}

const char *spex_status_name(int status)
{
	const struct spex_status_desc *d = status_desc(status);

	return d ? d->name : "SPEX_E_UNKNOWN";
}

const char *spex_status_str(int status)
{
	const struct spex_status_desc *d = status_desc(status);

	return d ? d->str : "unknown status";
}

int spex_status_errno(int status)
{
	const struct spex_status_desc *d = status_desc(status);

	return d ? d->err : EINVAL;
}

bool spex_status_known(int status)
{
	return status_desc(status) != NULL;
}
