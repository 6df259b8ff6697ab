// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Replay every case in tests/fuzz/regressions/ (crashes the fuzzer once
 * found, kept so they stay fixed) and every seed shape through the fuzz
 * body. A crash or a sanitizer report fails the run.
 */
#include "spex_test.h"
#include "fuzz_one.h"
#include "file.h"
#include <dirent.h>
#include <errno.h>

#ifndef SPEX_SRCDIR
#define SPEX_SRCDIR "."
#endif

TEST(replay_regressions)
{
	const char *dir = SPEX_SRCDIR "/tests/fuzz/regressions";
	struct dirent *de;
	DIR *d = opendir(dir);
	u32 n = 0;

	CHECK(d != NULL, "%s", dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[1024];
		size_t len;
		void *buf;
		int ret;

		if (de->d_name[0] == '.' || !strstr(de->d_name, ".spxf"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ret = read_file(path, 0, &buf, &len);
		CHECK(ret == 0, "%s: %s", path, strerror(-ret));
		if (ret)
			continue;
		spex_fuzz_one(buf, len);
		free(buf);
		n++;
	}
	closedir(d);
	CHECK(n > 0, "no regression cases in %s", dir);
}

TEST(short_and_empty_cases)
{
	static const u8 zeros[64];

	spex_fuzz_one(zeros, 0);
	spex_fuzz_one(zeros, 3);
	spex_fuzz_one(zeros, sizeof(zeros));
}

TEST_MAIN(T(replay_regressions), T(short_and_empty_cases))
