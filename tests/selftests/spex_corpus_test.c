// SPDX-License-Identifier: GPL-2.0
/*
 * The blob corpus through the real entry point: truncations, random
 * patches with the CRC fixed, and the fuzz corpus (build/fuzz/seeds,
 * build/fuzz/corpus, tests/fuzz/regressions, when present) go to
 * SPEX_IOC_LOAD_MODEL. The kernel build of the loader differs from
 * userspace (no float, kvzalloc, cond_resched), so each blob must get
 * from the module exactly what the userspace loader says: the same
 * status, errno, diag offset and message, or a load on both sides. The
 * only allowed difference is one of the module's own caps
 * (max_job_macs, the scratch pool), which userspace does not have.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "spex_st.h"

/* The module's default max_model_mem_mb, the userspace loader's budget. */
#define KERNEL_BUDGET	(256ull << 20)

struct tally {
	u32 blobs, rejected, loaded, capped, bad;
};

/* One blob both ways; a disagreement is printed and counted. */
static void check_blob(int fd, const u8 *blob, size_t len, const char *what,
		       struct tally *t)
{
	struct spex_load_opts opts = { .budget = KERNEL_BUDGET,
				       .flags = SPEX_LOAD_INT8_ONLY };
	struct spex_model *m = NULL;
	struct spex_diag d;
	struct spex_load ld;
	u32 id = 0;
	int st, ret;
	bool ok;

	st = spex_model_load(blob, len, &opts, &m, &d);
	spex_model_free(m);
	ret = st_load_blob(fd, blob, len, &id, &ld);
	t->blobs++;
	if (st == SPEX_OK) {
		ok = ret == 0 ||
		     ((ld.status == SPEX_E_LIMIT || ld.status == SPEX_E_BUDGET) &&
		      ret == -spex_status_errno(ld.status) && ld.msg[0]);
		if (ret == 0) {
			t->loaded++;
			st_unload(fd, id);
		} else {
			t->capped++;
		}
	} else {
		t->rejected++;
		ok = ret == -spex_status_errno(st) && ld.status == (u32)st &&
		     ld.offset == d.offset && ld.msg[0] && !ld.model_id &&
		     !strncmp(ld.msg, d.msg, sizeof(ld.msg) - 1);
	}
	if (!ok && t->bad++ < 10)
		fprintf(stderr,
			"# %s (%zu bytes): user %s at %u '%s'; kernel %d %s at %u '%s'\n",
			what, len, spex_status_name(st), d.offset, d.msg, ret,
			spex_status_name((int)ld.status), ld.offset, ld.msg);
}

static u32 rng(u32 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

FIXTURE(corpus) {
	int fd;
	struct st_model m[ST_N_KINDS];
	struct tally t;
};

FIXTURE_SETUP(corpus)
{
	int k;

	if (!st_have_spex())
		SKIP(return, "no " SPEX_DEV);
	self->fd = st_open();
	ASSERT_LE(0, self->fd);
	for (k = 0; k < ST_N_KINDS; k++)
		ASSERT_EQ(0, st_model_build(&self->m[k], k, 11 + k));
	memset(&self->t, 0, sizeof(self->t));
}

FIXTURE_TEARDOWN(corpus)
{
	int k;

	for (k = 0; k < ST_N_KINDS; k++)
		st_model_free(&self->m[k]);
	if (self->fd > 0)
		close(self->fd);
	fprintf(stderr, "# %u blobs: %u rejected alike, %u loaded, %u capped, %u differ\n",
		self->t.blobs, self->t.rejected, self->t.loaded,
		self->t.capped, self->t.bad);
}

/* Every length up to 1 KiB (header, tables, records), then 200 more. */
TEST_F(corpus, truncations)
{
	int k;

	for (k = 0; k < ST_N_KINDS; k++) {
		const u8 *b = self->m[k].mg.blob;
		size_t len = self->m[k].mg.len, n;

		for (n = 1; n < len && n <= 1024; n++)
			check_blob(self->fd, b, n, "truncation", &self->t);
		for (n = 1025; n < len; n += (len - 1024) / 200 + 1)
			check_blob(self->fd, b, n, "truncation", &self->t);
	}
	EXPECT_EQ(0, self->t.bad);
	EXPECT_LT(0, self->t.rejected);
}

/*
 * 1 to 4 random bytes changed, mostly in the first KiB where the header,
 * section table and records are, then the CRC fixed so the loader looks
 * past it.
 */
TEST_F(corpus, random_patches_crc_fixed)
{
	u32 seed = 0x5eed1234, i, j;
	int k;

	for (k = 0; k < ST_N_KINDS; k++) {
		size_t len = self->m[k].mg.len;
		u8 *b = malloc(len);

		ASSERT_NE(NULL, b);
		for (i = 0; i < 400; i++) {
			u32 n = 1 + rng(&seed) % 4;

			memcpy(b, self->m[k].mg.blob, len);
			for (j = 0; j < n; j++) {
				u32 span = rng(&seed) & 1 && len > 1024 ?
					   1024 : (u32)len;

				b[32 + rng(&seed) % (span - 32)] = (u8)rng(&seed);
			}
			spex_spx_fix_crc(b, len);
			check_blob(self->fd, b, len, "patch", &self->t);
		}
		free(b);
	}
	EXPECT_EQ(0, self->t.bad);
	EXPECT_LT(0, self->t.rejected);
}

/* The fuzz cases' blobs: as they are (the fuzzer skips the CRC, the
 * module does not), and with their CRC fixed. */
static void check_dir(int fd, const char *dir, struct tally *t)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[PATH_MAX + 320];
		struct stat sb;
		u8 *data;
		size_t blob_len;
		int f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = open(path, O_RDONLY);
		if (f < 0)
			continue;
		if (fstat(f, &sb) || sb.st_size < 5 || sb.st_size > (16 << 20)) {
			close(f);
			continue;
		}
		data = malloc(sb.st_size);
		if (data && read(f, data, sb.st_size) == sb.st_size) {
			blob_len = spex_le32(data);
			if (blob_len > (size_t)sb.st_size - 4)
				blob_len = sb.st_size - 4;
			if (blob_len) {
				check_blob(fd, data + 4, blob_len, path, t);
				if (blob_len >= 64) {
					spex_spx_fix_crc(data + 4, blob_len);
					check_blob(fd, data + 4, blob_len, path,
						   t);
				}
			}
		}
		free(data);
		close(f);
	}
	closedir(d);
}

TEST_F(corpus, fuzz_corpus)
{
	static const char *const dirs[] = {
		"build/fuzz/seeds", "build/fuzz/corpus",
		"tests/fuzz/regressions",
	};
	char exe[PATH_MAX], dir[PATH_MAX + 64], *p;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	unsigned int i;

	ASSERT_LT(0, n);
	exe[n] = 0;
	/* the repository root: the binary is build/selftests/NAME */
	for (i = 0; i < 3 && (p = strrchr(exe, '/')); i++)
		*p = 0;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", exe, dirs[i]);
		check_dir(self->fd, dir, &self->t);
	}
	if (!self->t.blobs)
		SKIP(return, "no fuzz corpus under the repository");
	EXPECT_EQ(0, self->t.bad);
}

TEST_HARNESS_MAIN
