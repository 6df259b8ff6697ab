/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * The loader's internal interface (private to core/): the state its
 * passes share, and the passes themselves. spex_model_load() (model.c)
 * runs them in order:
 *   1. container (model_container.c): header, CRC, section table, and
 *      typed access to the records and DATA;
 *   2. validation (model_validate.c): metadata, layers and exits decoded
 *      into struct spex_model, and the sizes pass 3 will need;
 *   3. build (model_build.c): regenerate the patterns and pack the
 *      weights into the runtime structs, in the one arena.
 * The blob is hostile: records are copied out of it into the uapi structs
 * (so no access is misaligned) and read with spex_le*_to_cpu().
 */
#ifndef SPEX_MODEL_LOAD_H
#define SPEX_MODEL_LOAD_H

#include "model.h"
#include "fc_pack.h"
#include "conv_pack.h"

struct spex_loader {
	const u8 *blob;
	size_t len;
	u32 flags;		/* SPEX_LOAD_* */
	struct spex_diag *diag;	/* NULL: no reasons wanted */
	/* the sections, found by the container pass */
	const u8 *meta;
	const u8 *layers;
	u32 layers_size;
	const u8 *exits;	/* NULL if absent */
	u32 exits_size;
	const u8 *data;
	u32 data_size;
	/* from META */
	u32 dtype;
	u32 elem;		/* bytes of one weight/activation: 1 or 4 */
	/* what the build needs, added up by validation */
	u64 arena;		/* bytes */
	u64 temp;		/* bytes: edge lists and pattern workspace */
	u64 act_max;		/* elements */
	u64 stage_max;		/* elements */
	u64 acc_max;		/* elements */
};

/* Record the first failure, with a printf-style reason; returns status. */
int spex_load_fail(struct spex_loader *ld, int status, u32 offset,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static inline u32 spex_load_off(const struct spex_loader *ld, const void *p)
{
	return (u32)((const u8 *)p - ld->blob);
}

static inline u64 spex_align64(u64 v)
{
	return (v + 63) & ~(u64)63;
}

/* Adds v to a running total; false if it overflows. */
static inline bool spex_add_u64(u64 *acc, u64 v)
{
	return !check_add_overflow(*acc, v, acc);
}

/* Pass 1: the container (model_container.c). */
int spex_load_container(struct spex_loader *ld);
bool spex_all_zero(const void *p, size_t n);
/* Copies of the records (in range once the container pass and
 * validation of the counts succeeded). */
void spex_load_meta(const struct spex_loader *ld, struct spx_meta *meta);
void spex_load_layer(const struct spex_loader *ld, u32 idx,
		     struct spx_layer *d);
void spex_load_exit(const struct spex_loader *ld, u32 e, struct spx_exit *x);
/* A reference into DATA: SPX_ALIGN-aligned and inside the section, else
 * NULL (SPEX_E_RANGE recorded for layer and what). */
const u8 *spex_load_data_ref(struct spex_loader *ld, u32 off, u64 size,
			     const char *what, u32 layer);
/* The decoded pattern of a layer, its explicit starts resolved in DATA. */
void spex_load_pattern(const struct spex_loader *ld,
		       const struct spx_pattern *p,
		       struct spex_pattern_desc *pd);

/* Pass 2: validation (model_validate.c). */
int spex_load_validate(struct spex_loader *ld, struct spex_model *m);
/* The conv geometry of a validated layer L with record d. */
void spex_load_conv_shape(const struct spex_rt_layer *L,
			  const struct spx_layer *d,
			  struct spex_conv_shape *sh);

/* Pass 3: build (model_build.c). arena: ld->arena bytes; temp: ld->temp. */
int spex_load_build(struct spex_loader *ld, struct spex_model *m,
		    u8 *arena, u8 *temp);

#endif /* SPEX_MODEL_LOAD_H */
