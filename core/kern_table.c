// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The kernel tables: for each implementation (scalar reference, AVX2,
 * and in userspace AVX-512, AVX-512 VNNI, AVX-VNNI), which kernel
 * function fills each slot of struct spex_kernels. The one place a new
 * kernel file is wired in; kern_select.c picks a table. A table without
 * its own kernel for a slot takes the best narrower one (every
 * AVX-512/VNNI CPU runs AVX2).
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

#ifdef SPEX_HAVE_AVX512
const struct spex_kernels spex_kernels_avx512 = {
	.name		= "avx512",
	.fc_i8		= spex_fc_i8_avx512,
	.conv_i8	= spex_conv_i8_avx2,
	.fc_i8_batch	= spex_fc_i8_batch_avx512,
#if SPEX_CORE_FLOAT
	.fc_f32		= spex_fc_f32_avx512,
	.conv_f32	= spex_conv_f32_avx2,
	.fc_f32_batch	= spex_fc_f32_batch_avx512,
#endif
};

const struct spex_kernels spex_kernels_avx512vnni = {
	.name		= "avx512vnni",
	.fc_i8		= spex_fc_i8_avx512vnni,
	.conv_i8	= spex_conv_i8_avx2,
	.fc_i8_batch	= spex_fc_i8_batch_avx512vnni,
#if SPEX_CORE_FLOAT
	.fc_f32		= spex_fc_f32_avx512,
	.conv_f32	= spex_conv_f32_avx2,
	.fc_f32_batch	= spex_fc_f32_batch_avx512,
#endif
};

const struct spex_kernels spex_kernels_avxvnni = {
	.name		= "avxvnni",
	.fc_i8		= spex_fc_i8_avxvnni,
	.conv_i8	= spex_conv_i8_avx2,
	.fc_i8_batch	= spex_fc_i8_batch_avx2,
#if SPEX_CORE_FLOAT
	.fc_f32		= spex_fc_f32_avx2,
	.conv_f32	= spex_conv_f32_avx2,
	.fc_f32_batch	= spex_fc_f32_batch_avx2,
#endif
};
#endif
