// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The network spec: defaults, the text config and its statements.
 * Documentation/training.rst describes the language.
 */
#include "train.h"
#include "../common/fail.h"
#include "../common/parse.h"

#include <ctype.h>

void st_spec_default(struct st_spec *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "spex-net");
	s->in_c = 1;
	s->in_h = 28;
	s->in_w = 28;
	s->n_classes = 10;
	s->final_weight = 1.0;
	s->epochs = 10;
	s->batch = 64;
	s->seed = 1;
	s->adam = 1;
	s->lr = 0.002;
	s->momentum = 0.9;
	s->l2 = 0;
	s->lr_decay = 0.85;
	s->calib = 1000;
	s->shards = 2;
	s->threads = 2;
}

static int parse_dbl(const char *v, double lo, double hi, double *out)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (errno || !*v || *end || !(x >= lo && x <= hi))
		return -1;
	*out = x;
	return 0;
}

#define MAX_TOK 24

/* Split a statement into words; returns the count or -1. */
static int tokenize(char *line, char **tok)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			break;
		if (n == MAX_TOK)
			return -1;
		tok[n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = 0;
	}
	return n;
}

#define BAD(key, val, want)						\
	fail(err, errlen, -1, "%s: bad value '%s' for %s (want %s)", tok[0], \
	     val, key, want)

/* key=value options of an fc or conv statement. */
static int layer_opts(struct st_layer_spec *l, char **tok, int n, char *err,
		      size_t errlen)
{
	int i, conn = 0;

	for (i = 2; i < n; i++) {
		char *k = tok[i], *v = strchr(k, '=');

		if (!v)
			return fail(err, errlen, -1, "%s: '%s' is not key=value",
				    tok[0], k);
		*v++ = 0;
		if (!strcmp(k, "din")) {
			if (parse_u32(v, 0, 1, SPX_MAX_DIM, &l->d_in))
				return BAD(k, v, "1..65536");
			conn++;
		} else if (!strcmp(k, "dout")) {
			if (parse_u32(v, 0, 1, SPX_MAX_DIM, &l->d_out))
				return BAD(k, v, "1..65536");
			conn++;
		} else if (!strcmp(k, "density")) {
			if (parse_dbl(v, 1e-6, 1, &l->density))
				return BAD(k, v, "a number in (0, 1]");
			conn++;
		} else if (!strcmp(k, "pattern")) {
			if (spex_name_value(SPEX_NAMES_PATTERN, v, &l->pattern))
				return BAD(k, v, "dense, random, cf1, cf2 or cf3");
		} else if (!strcmp(k, "z")) {
			if (parse_u32(v, 0, 1, SPX_MAX_DIM, &l->z))
				return BAD(k, v, "1..65536");
		} else if (!strcmp(k, "starts")) {
			/* explicit starts need an array: not in a config */
			if (spex_name_value(SPEX_NAMES_STARTS, v, &l->starts) ||
			    l->starts == SPX_STARTS_EXPLICIT)
				return BAD(k, v, "zero or seed");
		} else if (!strcmp(k, "dither")) {
			if (parse_u32(v, 0, 0, 1, &l->dither))
				return BAD(k, v, "0 or 1");
		} else if (!strcmp(k, "seed")) {
			if (parse_u32(v, 0, 1, UINT32_MAX, &l->seed))
				return BAD(k, v, "1..4294967295");
		} else if (l->kind == ST_CONV && !strcmp(k, "k")) {
			if (parse_u32(v, 0, 1, SPX_MAX_KERNEL, &l->k))
				return BAD(k, v, "1..15");
		} else if (l->kind == ST_CONV && !strcmp(k, "pad")) {
			if (parse_u32(v, 0, 0, SPX_MAX_KERNEL - 1, &l->pad))
				return BAD(k, v, "0..14");
		} else if (l->kind == ST_CONV && !strcmp(k, "mask")) {
			if (spex_name_value(SPEX_NAMES_MASK, v, &l->mask_type))
				return BAD(k, v, "full or periodic");
		} else if (l->kind == ST_CONV && !strcmp(k, "period")) {
			if (parse_u32(v, 0, 1, 255, &l->mask_period))
				return BAD(k, v, "1..255");
		} else {
			return fail(err, errlen, -1, "%s: unknown option '%s'",
				    tok[0], k);
		}
	}
	if (conn > 1)
		return fail(err, errlen, -1,
			    "%s: give at most one of din, dout, density", tok[0]);
	if (l->pattern == SPX_PAT_DENSE && (l->d_in || l->d_out ||
					    l->density > 0) &&
	    !(l->density == 1))
		l->pattern = SPX_PAT_RANDOM;	/* sparse without a pattern */
	if (l->pattern >= SPX_PAT_CF1 && !l->z)
		return fail(err, errlen, -1, "%s: clash-free patterns need z=N",
			    tok[0]);
	if (l->pattern < SPX_PAT_CF1 && (l->z || l->starts || l->dither))
		return fail(err, errlen, -1,
			    "%s: z, starts and dither are for cf1/cf2/cf3",
			    tok[0]);
	if (l->kind == ST_CONV && !l->k)
		return fail(err, errlen, -1, "conv: the kernel size k=N is required");
	if (l->mask_type == SPX_MASK_PERIODIC && !l->mask_period)
		l->mask_period = 8;
	return 0;
}

int st_spec_statement(struct st_spec *s, const char *stmt, char *err,
		      size_t errlen)
{
	char line[512], *tok[MAX_TOK];
	int n, i;

	if (strlen(stmt) >= sizeof(line))
		return fail(err, errlen, -1, "statement too long");
	strcpy(line, stmt);
	n = tokenize(line, tok);
	if (n < 0)
		return fail(err, errlen, -1, "too many words");
	if (n == 0)
		return 0;
	if (!strcmp(tok[0], "name")) {
		if (n != 2 || strlen(tok[1]) >= SPX_NAME_LEN)
			return fail(err, errlen, -1, "name: one word of at most %d "
				    "characters", SPX_NAME_LEN - 1);
		snprintf(s->name, sizeof(s->name), "%s", tok[1]);
	} else if (!strcmp(tok[0], "input")) {
		if (n != 4 || parse_u32(tok[1], 0, 1, 4096, &s->in_c) ||
		    parse_u32(tok[2], 0, 1, 4096, &s->in_h) ||
		    parse_u32(tok[3], 0, 1, 4096, &s->in_w))
			return fail(err, errlen, -1, "input: want 'input C H W', "
				    "each 1..4096");
	} else if (!strcmp(tok[0], "pad")) {
		if (n != 2 || parse_u32(tok[1], 0, 1, SPX_MAX_DIM, &s->pad_to))
			return fail(err, errlen, -1, "pad: want 'pad N' (the "
				    "flattened input is zero-padded to N)");
	} else if (!strcmp(tok[0], "classes")) {
		if (n != 2 || parse_u32(tok[1], 0, 2, 256, &s->n_classes))
			return fail(err, errlen, -1, "classes: want 2..256");
	} else if (!strcmp(tok[0], "fc") || !strcmp(tok[0], "conv")) {
		struct st_layer_spec *l;

		if (s->n_layers >= ST_MAX_LAYERS - 2 * ST_MAX_EXITS)
			return fail(err, errlen, -1, "too many layers");
		l = &s->layers[s->n_layers];
		memset(l, 0, sizeof(*l));
		l->kind = tok[0][0] == 'f' ? ST_FC : ST_CONV;
		if (n < 2 || parse_u32(tok[1], 0, 1, SPX_MAX_DIM, &l->out))
			return fail(err, errlen, -1, "%s: want '%s OUT [key=value...]'",
				    tok[0], tok[0]);
		if (layer_opts(l, tok, n, err, errlen))
			return -1;
		s->n_layers++;
	} else if (!strcmp(tok[0], "maxpool")) {
		struct st_layer_spec *l = &s->layers[s->n_layers];

		if (s->n_layers >= ST_MAX_LAYERS - 2 * ST_MAX_EXITS)
			return fail(err, errlen, -1, "too many layers");
		memset(l, 0, sizeof(*l));
		l->kind = ST_MAXPOOL;
		l->pool = 2;
		if (n > 2 || (n == 2 && parse_u32(tok[1], 0, 2, 15, &l->pool)))
			return fail(err, errlen, -1, "maxpool: want 'maxpool [2..15]'");
		s->n_layers++;
	} else if (!strcmp(tok[0], "split")) {
		if (n != 1 || !s->n_layers)
			return fail(err, errlen, -1, "split: goes after the last "
				    "head layer, on its own");
		s->split = s->n_layers;
	} else if (!strcmp(tok[0], "exit")) {
		struct st_exit_spec *x = &s->exits[s->n_exits];

		if (s->n_exits >= ST_MAX_EXITS)
			return fail(err, errlen, -1, "at most %d exits", ST_MAX_EXITS);
		if (!s->n_layers)
			return fail(err, errlen, -1, "exit: comes after its layer");
		memset(x, 0, sizeof(*x));
		x->after = s->n_layers - 1;
		x->weight = 1.0;
		x->threshold = 0.9;
		for (i = 1; i < n; i++) {
			char *k = tok[i], *v = strchr(k, '=');

			if (!v)
				return fail(err, errlen, -1, "exit: '%s' is not key=value", k);
			*v++ = 0;
			if (!strcmp(k, "after")) {
				if (parse_u32(v, 0, 0, ST_MAX_LAYERS - 1, &x->after))
					return BAD(k, v, "a layer index");
			} else if (!strcmp(k, "hidden")) {
				if (parse_u32(v, 0, 0, SPX_MAX_DIM, &x->hidden))
					return BAD(k, v, "0..65536");
			} else if (!strcmp(k, "hidden_density")) {
				if (parse_dbl(v, 1e-6, 1, &x->hidden_density))
					return BAD(k, v, "(0, 1]");
			} else if (!strcmp(k, "weight")) {
				if (parse_dbl(v, 0, 100, &x->weight))
					return BAD(k, v, "0..100");
			} else if (!strcmp(k, "threshold")) {
				if (parse_dbl(v, 0, 1, &x->threshold))
					return BAD(k, v, "0..1");
			} else {
				return fail(err, errlen, -1, "exit: unknown option '%s'", k);
			}
		}
		s->n_exits++;
	} else if (!strcmp(tok[0], "train")) {
		for (i = 1; i < n; i++) {
			char *k = tok[i], *v = strchr(k, '=');

			if (!v)
				return fail(err, errlen, -1, "train: '%s' is not key=value", k);
			*v++ = 0;
			if (!strcmp(k, "epochs")) {
				if (parse_u32(v, 0, 1, 10000, &s->epochs))
					return BAD(k, v, "1..10000");
			} else if (!strcmp(k, "batch")) {
				if (parse_u32(v, 0, 1, ST_MAX_BATCH, &s->batch))
					return BAD(k, v, "1..256");
			} else if (!strcmp(k, "seed")) {
				if (parse_u32(v, 0, 0, UINT32_MAX, &s->seed))
					return BAD(k, v, "0..4294967295");
			} else if (!strcmp(k, "opt")) {
				if (!strcmp(v, "adam"))
					s->adam = 1;
				else if (!strcmp(v, "sgd"))
					s->adam = 0;
				else
					return BAD(k, v, "adam or sgd");
			} else if (!strcmp(k, "lr")) {
				if (parse_dbl(v, 1e-9, 10, &s->lr))
					return BAD(k, v, "(0, 10]");
			} else if (!strcmp(k, "momentum")) {
				if (parse_dbl(v, 0, 0.999, &s->momentum))
					return BAD(k, v, "0..0.999");
			} else if (!strcmp(k, "l2")) {
				if (parse_dbl(v, 0, 1, &s->l2))
					return BAD(k, v, "0..1");
			} else if (!strcmp(k, "decay")) {
				if (parse_dbl(v, 0.01, 1, &s->lr_decay))
					return BAD(k, v, "0.01..1 (lr factor per epoch)");
			} else if (!strcmp(k, "final_weight")) {
				if (parse_dbl(v, 0, 100, &s->final_weight))
					return BAD(k, v, "0..100");
			} else if (!strcmp(k, "calib")) {
				if (parse_u32(v, 0, 1, 1u << 24, &s->calib))
					return BAD(k, v, "1..16777216");
			} else if (!strcmp(k, "shards")) {
				if (parse_u32(v, 0, 1, ST_MAX_SHARDS, &s->shards))
					return BAD(k, v, "1..16");
			} else if (!strcmp(k, "threads")) {
				if (parse_u32(v, 0, 1, ST_MAX_SHARDS, &s->threads))
					return BAD(k, v, "1..16");
			} else if (!strcmp(k, "masked_dense")) {
				if (parse_u32(v, 0, 0, 1, &s->masked_dense))
					return BAD(k, v, "0 or 1");
			} else {
				return fail(err, errlen, -1, "train: unknown option '%s'", k);
			}
		}
	} else {
		return fail(err, errlen, -1, "unknown statement '%s' (name, input, "
			    "pad, classes, fc, conv, maxpool, split, exit, "
			    "train)", tok[0]);
	}
	return 0;
}

int st_spec_parse(struct st_spec *s, const char *text, const char *fname,
		  char *err, size_t errlen)
{
	const char *p = text;
	u32 lineno = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[512], msg[256];

		lineno++;
		if (len >= sizeof(line))
			return fail(err, errlen, -1, "%s:%u: line too long", fname,
				    lineno);
		memcpy(line, p, len);
		line[len] = 0;
		if (st_spec_statement(s, line, msg, sizeof(msg)))
			return fail(err, errlen, -1, "%s:%u: %s", fname, lineno, msg);
		p += len + (nl ? 1 : 0);
	}
	return 0;
}

void st_spec_print(const struct st_spec *s, FILE *f)
{
	u32 i, e = 0;

	fprintf(f, "name %s\ninput %u %u %u\nclasses %u\n", s->name, s->in_c,
		s->in_h, s->in_w, s->n_classes);
	if (s->pad_to)
		fprintf(f, "pad %u\n", s->pad_to);
	for (i = 0; i < s->n_layers; i++) {
		const struct st_layer_spec *l = &s->layers[i];

		if (l->kind == ST_MAXPOOL) {
			fprintf(f, "maxpool %u\n", l->pool);
		} else {
			fprintf(f, "%s %u", l->kind == ST_FC ? "fc" : "conv", l->out);
			if (l->kind == ST_CONV)
				fprintf(f, " k=%u pad=%u", l->k, l->pad);
			if (l->d_in)
				fprintf(f, " din=%u", l->d_in);
			if (l->d_out)
				fprintf(f, " dout=%u", l->d_out);
			if (l->density > 0)
				fprintf(f, " density=%g", l->density);
			if (l->pattern != SPX_PAT_DENSE)
				fprintf(f, " pattern=%s",
					spex_name(SPEX_NAMES_PATTERN, l->pattern));
			if (l->pattern >= SPX_PAT_CF1)
				fprintf(f, " z=%u starts=%s dither=%u", l->z,
					spex_name(SPEX_NAMES_STARTS, l->starts),
					l->dither);
			if (l->seed)
				fprintf(f, " seed=%u", l->seed);
			if (l->mask_type == SPX_MASK_PERIODIC)
				fprintf(f, " mask=periodic period=%u",
					l->mask_period);
			fputc('\n', f);
		}
		for (; e < s->n_exits && s->exits[e].after == i; e++) {
			const struct st_exit_spec *x = &s->exits[e];

			fprintf(f, "exit after=%u hidden=%u", x->after, x->hidden);
			if (x->hidden_density > 0)
				fprintf(f, " hidden_density=%g", x->hidden_density);
			fprintf(f, " weight=%g threshold=%g\n", x->weight,
				x->threshold);
		}
		if (s->split == i + 1)
			fputs("split\n", f);
	}
	fprintf(f, "train epochs=%u batch=%u seed=%u opt=%s lr=%g momentum=%g "
		"l2=%g decay=%g final_weight=%g calib=%u shards=%u\n", s->epochs,
		s->batch, s->seed, s->adam ? "adam" : "sgd", s->lr, s->momentum,
		s->l2, s->lr_decay, s->final_weight, s->calib, s->shards);
}
