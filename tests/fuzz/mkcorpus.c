// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Write the fuzzer's seed corpus: valid models of every kind in the fuzz
 * case layout (u32 length, blob, policy byte, input bytes).
 *
 *   mkcorpus DIR
 */
#include "modelgen.h"
#include <sys/stat.h>

static int write_case(const char *dir, const char *name, const struct mg_model *m,
		      u8 policy)
{
	char path[512];
	u8 len[4], in[64];
	FILE *f;
	u32 i;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	spex_put_le32(len, (u32)m->len);
	for (i = 0; i < sizeof(in); i++)
		in[i] = (u8)(i * 37 + policy);
	fwrite(len, 1, 4, f);
	fwrite(m->blob, 1, m->len, f);
	fwrite(&policy, 1, 1, f);
	fwrite(in, 1, sizeof(in), f);
	return fclose(f);
}

int main(int argc, char **argv)
{
	struct mg_spec s;
	struct mg_model m;
	char name[64];
	u32 v;
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	mkdir(argv[1], 0755);
	for (v = 0; v < 8; v++) {
		mg_spec_mnist_head(&s, v + 1);
		/* small shapes keep each fuzz run fast */
		s.in_c = 1;
		s.in_h = s.in_w = 8;
		s.fc[0] = (struct mg_fc){ .out = 16, .d_in = v % 2 ? 16 : 8,
			.pattern = SPX_PAT_RANDOM + v % 4, .z = 4,
			.starts = v % 3, .dither = v % 2 };
		if (s.fc[0].pattern == SPX_PAT_RANDOM)
			s.fc[0].z = 0;
		if (s.fc[0].starts == SPX_STARTS_EXPLICIT)
			s.fc[0].starts = SPX_STARTS_SEED;
		s.fc[1] = (struct mg_fc){ .out = 8, .d_in = 4, .pattern = SPX_PAT_RANDOM };
		s.dtype = v == 7 ? SPX_DTYPE_F32 : SPX_DTYPE_INT8;
		s.role = v == 6 ? SPX_ROLE_FULL : SPX_ROLE_HEAD;
		if (s.role == SPX_ROLE_FULL) {
			s.n_fc = 3;
			s.fc[2] = (struct mg_fc){ .out = 10 };
		}
		if (v >= 4 && v != 7) {
			s.in_c = 2;
			s.conv_out_c = 4;
			s.conv_k = 3;
			s.conv_stride = 1;
			s.conv_cin_deg = 1;
			s.conv_pattern = SPX_PAT_RANDOM;
			s.conv_mask = v % 2 ? SPX_MASK_PERIODIC : SPX_MASK_FULL;
			s.conv_period = 8;
			s.avgpool = v == 5;
			s.fc[0] = (struct mg_fc){ .out = 16, .d_in = 16,
				.pattern = SPX_PAT_RANDOM };
			s.exit_after[0] = 1;
			s.exit_after[1] = 3;
		}
		if (mg_build(&s, &m)) {
			bad = 1;
			continue;
		}
		snprintf(name, sizeof(name), "seed-%u.spxf", v);
		bad |= write_case(argv[1], name, &m, (u8)v) != 0;
		mg_free(&m);
	}
	return bad;
}
