// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The measured-energy path of spex-trace (tools/spex-trace/powercap.c)
 * against a fake powercap tree: which zones count, counter wrap, and
 * the CPU-time share. Runs on any host; ends with "N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "powercap.h"

static int passed, failed;

#define CHECK(cond) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
	}								\
} while (0)

static void put(const char *dir, const char *file, const char *val)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(val, f);
	fclose(f);
}

static void zone(const char *root, const char *name, const char *uj,
		 const char *range)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	mkdir(dir, 0755);
	put(dir, "name", name);
	if (uj)
		put(dir, "energy_uj", uj);
	if (range)
		put(dir, "max_energy_range_uj", range);
}

int main(void)
{
	char root[] = "/tmp/spex-powercap.XXXXXX", cmd[600], pkg0[512];
	struct powercap pc;
	long hz = sysconf(_SC_CLK_TCK);

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(pkg0, sizeof(pkg0), "%s/intel-rapl:0", root);

	/* No tree: nothing measured. */
	CHECK(powercap_open(&pc, "/nonexistent/powercap") == 0);
	CHECK(powercap_delta_uj(&pc) == 0);

	/* Two packages, a subzone (counted inside its package), a
	 * psys-like zone of another driver, a zone without a counter. */
	zone(root, "intel-rapl:0", "1000", "262143328850");
	zone(root, "intel-rapl:0:0", "500", "262143328850");
	zone(root, "intel-rapl:1", "2000", "5000");
	zone(root, "intel-rapl-mmio:0", "7", "100");
	zone(root, "intel-rapl:2", NULL, "100");
	CHECK(powercap_open(&pc, root) == 2);
	CHECK(powercap_delta_uj(&pc) == 0);

	/* Forward, then package 1 wraps: 5000 - 4900 + 100. */
	put(pkg0, "energy_uj", "1500");
	snprintf(cmd, sizeof(cmd), "%s/intel-rapl:1", root);
	put(cmd, "energy_uj", "4900");
	CHECK(powercap_delta_uj(&pc) == 500 + 2900);
	put(cmd, "energy_uj", "100");
	CHECK(powercap_delta_uj(&pc) == 200);
	put(pkg0, "energy_uj", "1499");		/* wrap at the full range */
	CHECK(powercap_delta_uj(&pc) == 262143328850ULL - 1500 + 1499);

	/* Apportioning by CPU time. */
	CHECK(powercap_apportion_uj(1000, 0, 1000) == 0);
	CHECK(powercap_apportion_uj(1000, 250, 1000) == 250);
	CHECK(powercap_apportion_uj(1000, 2000, 1000) == 1000);
	CHECK(powercap_apportion_uj(~0ULL / 2, 3, 4) ==
	      (unsigned long long)((unsigned __int128)(~0ULL / 2) * 3 / 4));

	/* /proc/stat: everything but idle and iowait, in ns. */
	put(root, "stat", "cpu  10 20 30 400 500 60 70 80 90 0\ncpu0 1 2 3\n");
	snprintf(cmd, sizeof(cmd), "%s/stat", root);
	CHECK(cpu_busy_ns(cmd) == (10 + 20 + 30 + 60 + 70 + 80) *
	      (1000000000ULL / hz));
	CHECK(cpu_busy_ns("/nonexistent/stat") == 0);
	CHECK(cpu_busy_ns("/proc/stat") > 0);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);
	printf("test_powercap: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
