// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Write the test split network and inputs for the spexctl and guest
 * tests: DIR/head.spx, DIR/tail.spx, DIR/full.spx, DIR/inputs.raw (N int8
 * inputs), DIR/images.idx (the same inputs as u8 IDX pixels, q = p - 128)
 * and DIR/labels.idx (the full network's answers, so offloading every
 * input must score 100%).
 *
 *   mksplit DIR [N]
 */
#include <stdio.h>
#include <stdlib.h>

#include "lt.h"

static void put_be32(FILE *f, uint32_t v)
{
	fputc((int)(v >> 24), f);
	fputc((int)(v >> 16) & 0xff, f);
	fputc((int)(v >> 8) & 0xff, f);
	fputc((int)v & 0xff, f);
}

static int write_all(const char *dir, const char *name, const void *p,
		     size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct lt_split s;
	char path[4096];
	unsigned int n = argc > 2 ? (unsigned int)atoi(argv[2]) : 100;
	FILE *img, *lab;
	s8 in[64];

	if (argc < 2 || !n || lt_split_build(&s, 42)) {
		fprintf(stderr, "usage: mksplit DIR [N]\n");
		return 2;
	}
	if (write_all(argv[1], "head.spx", s.head_blob, s.head_len) ||
	    write_all(argv[1], "tail.spx", s.tail_blob, s.tail_len) ||
	    write_all(argv[1], "full.spx", s.full.blob, s.full.len))
		return 1;
	snprintf(path, sizeof(path), "%s/images.idx", argv[1]);
	img = fopen(path, "wb");
	snprintf(path, sizeof(path), "%s/labels.idx", argv[1]);
	lab = fopen(path, "wb");
	snprintf(path, sizeof(path), "%s/inputs.raw", argv[1]);
	FILE *raw = fopen(path, "wb");
	if (!img || !lab || !raw)
		return 1;
	put_be32(img, 0x803);
	put_be32(img, n);
	put_be32(img, 8);
	put_be32(img, 8);
	put_be32(lab, 0x801);
	put_be32(lab, n);
	for (unsigned int i = 0; i < n; i++) {
		struct spex_result full;

		lt_input(&s, 1000 + i, in);
		lt_run_full(&s, in, &full);
		fwrite(in, 1, s.in_bytes, raw);
		for (unsigned int k = 0; k < s.in_bytes; k++)
			fputc(in[k] + 128, img);
		fputc((int)full.class_id, lab);
	}
	if (fclose(img) || fclose(lab) || fclose(raw))
		return 1;
	lt_split_free(&s);
	return 0;
}
