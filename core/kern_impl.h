/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * Every kernel function, one per core/kern_<op>_<dtype>_<isa>.c file:
 * what the kernel tables (kern_table.c) point to. Private to the kernel
 * files and the table; everyone else calls through struct spex_kernels.
 * The prototypes are those of the struct spex_kernels slot of the same
 * name (kernels.h).
 */
#ifndef SPEX_KERN_IMPL_H
#define SPEX_KERN_IMPL_H

#include "kernels.h"

void spex_fc_i8_scalar(const struct spex_fc *fc, const s16 *xs, s8 *y,
		       u32 o0, u32 o1);
void spex_fc_i8_batch_scalar(const struct spex_fc *fc, const s16 *xs, s8 *y,
			     u32 batch, u32 o0, u32 o1);
void spex_conv_i8_scalar(const struct spex_conv *cv, const s16 *xs, s8 *y,
			 s32 *acc, u32 o0, u32 o1, u32 y0, u32 y1);
#if SPEX_CORE_FLOAT
void spex_fc_f32_scalar(const struct spex_fc *fc, const float *xs, float *y,
			u32 o0, u32 o1);
void spex_fc_f32_batch_scalar(const struct spex_fc *fc, const float *xs,
			      float *y, u32 batch, u32 o0, u32 o1);
void spex_conv_f32_scalar(const struct spex_conv *cv, const float *xs,
			  float *y, u32 o0, u32 o1, u32 y0, u32 y1);
#endif

#ifdef SPEX_HAVE_AVX2
void spex_fc_i8_avx2(const struct spex_fc *fc, const s16 *xs, s8 *y,
		     u32 o0, u32 o1);
void spex_fc_i8_batch_avx2(const struct spex_fc *fc, const s16 *xs, s8 *y,
			   u32 batch, u32 o0, u32 o1);
void spex_conv_i8_avx2(const struct spex_conv *cv, const s16 *xs, s8 *y,
		       s32 *acc, u32 o0, u32 o1, u32 y0, u32 y1);
#if SPEX_CORE_FLOAT
void spex_fc_f32_avx2(const struct spex_fc *fc, const float *xs, float *y,
		      u32 o0, u32 o1);
void spex_fc_f32_batch_avx2(const struct spex_fc *fc, const float *xs,
			    float *y, u32 batch, u32 o0, u32 o1);
void spex_conv_f32_avx2(const struct spex_conv *cv, const float *xs,
			float *y, u32 o0, u32 o1, u32 y0, u32 y1);
#endif
#endif /* SPEX_HAVE_AVX2 */

/* Userspace only (engine.h): AVX-512F/BW/VL/DQ, AVX-512 VNNI, AVX-VNNI. */
#ifdef SPEX_HAVE_AVX512
void spex_fc_i8_avx512(const struct spex_fc *fc, const s16 *xs, s8 *y,
		       u32 o0, u32 o1);
void spex_fc_i8_batch_avx512(const struct spex_fc *fc, const s16 *xs, s8 *y,
			     u32 batch, u32 o0, u32 o1);
void spex_fc_i8_avx512vnni(const struct spex_fc *fc, const s16 *xs, s8 *y,
			   u32 o0, u32 o1);
void spex_fc_i8_batch_avx512vnni(const struct spex_fc *fc, const s16 *xs,
				 s8 *y, u32 batch, u32 o0, u32 o1);
void spex_fc_i8_avxvnni(const struct spex_fc *fc, const s16 *xs, s8 *y,
			u32 o0, u32 o1);
#if SPEX_CORE_FLOAT
void spex_fc_f32_avx512(const struct spex_fc *fc, const float *xs, float *y,
			u32 o0, u32 o1);
void spex_fc_f32_batch_avx512(const struct spex_fc *fc, const float *xs,
			      float *y, u32 batch, u32 o0, u32 o1);
#endif
#endif /* SPEX_HAVE_AVX512 */

#endif /* SPEX_KERN_IMPL_H */
