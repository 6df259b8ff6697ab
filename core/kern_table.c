// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The kernel tables: for each implementation (scalar reference, AVX2),
 * which kernel function fills each slot of struct spex_kernels. The one
 * place a new kernel file is wired in; kern_select.c picks a table.
 */
#include "kern_impl.h"

const struct spex_kernels spex_kernels_scalar = {
	.name		= "scalar",
	.fc_i8		= spex_fc_i8_scalar,
	.conv_i8	= spex_conv_i8_scalar,
	.fc_i8_batch	= spex_fc_i8_batch_scalar,
#if SPEX_CORE_FLOAT
	.fc_f32		= spex_fc_f32_scalar,
	.conv_f32	= spex_conv_f32_scalar,
	.fc_f32_batch	= spex_fc_f32_batch_scalar,
#endif
};

#ifdef SPEX_HAVE_AVX2
const struct spex_kernels spex_kernels_avx2 = {
	.name		= "avx2",
	.fc_i8		= spex_fc_i8_avx2,
	.conv_i8	= spex_conv_i8_avx2,
	.fc_i8_batch	= spex_fc_i8_batch_avx2,
#if SPEX_CORE_FLOAT
	.fc_f32		= spex_fc_f32_avx2,
	.conv_f32	= spex_conv_f32_avx2,
	.fc_f32_batch	= spex_fc_f32_batch_avx2,
#endif
};
#endif
