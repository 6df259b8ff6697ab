// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Measured energy: RAPL package counters through powercap sysfs, shared
 * out to jobs by their part of the busy CPU time (see powercap.h).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "powercap.h"

static int read_u64(const char *path, uint64_t *v)
{
	unsigned long long x;
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%llu", &x) == 1;
	fclose(f);
	if (!ok)
		return -1;
	*v = x;
	return 0;
}

static int zone_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pc_zone *)a)->path,
		      ((const struct pc_zone *)b)->path);
}

int powercap_open(struct powercap *pc, const char *root)
{
	struct dirent *de;
	DIR *d;

	memset(pc, 0, sizeof(*pc));
	d = opendir(root);
	if (!d)
		return 0;
	while ((de = readdir(d)) && pc->n_zones < PC_MAX_ZONES) {
		struct pc_zone *z = &pc->zone[pc->n_zones];
		char range[600];
		unsigned int pkg;
		char tail;

		/* intel-rapl:N, not intel-rapl:N:M (a part of package N). */
		if (sscanf(de->d_name, "intel-rapl:%u%c", &pkg, &tail) != 1)
			continue;
		snprintf(z->path, sizeof(z->path), "%s/%s/energy_uj", root,
			 de->d_name);
		snprintf(range, sizeof(range), "%s/%s/max_energy_range_uj",
			 root, de->d_name);
		if (read_u64(z->path, &z->last_uj) ||
		    read_u64(range, &z->max_range_uj))
			continue;
		pc->n_zones++;
	}
	closedir(d);
	qsort(pc->zone, pc->n_zones, sizeof(pc->zone[0]), zone_cmp);
	return pc->n_zones;
}

uint64_t powercap_delta_uj(struct powercap *pc)
{
	uint64_t sum = 0, now;
	int i;

	for (i = 0; i < pc->n_zones; i++) {
		struct pc_zone *z = &pc->zone[i];

		if (read_u64(z->path, &now))
			continue;
		if (now >= z->last_uj)
			sum += now - z->last_uj;
		else	/* wrapped once: up to the range, then from 0 */
			sum += z->max_range_uj - z->last_uj + now;
		z->last_uj = now;
	}
	return sum;
}

uint64_t cpu_busy_ns(const char *proc_stat)
{
	unsigned long long v[10] = { 0 }, busy = 0;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen(proc_stat, "r");
	int n, i;

	if (!f)
		return 0;
	/* cpu user nice system idle iowait irq softirq steal guest gnice;
	 * guest time is already inside user. */
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		   &v[8], &v[9]);
	fclose(f);
	if (n < 4 || hz <= 0)
		return 0;
	for (i = 0; i < n && i < 8; i++)
		if (i != 3 && i != 4)
			busy += v[i];
	return busy * (1000000000ULL / (unsigned long long)hz);
}

uint64_t powercap_apportion_uj(uint64_t energy_uj, uint64_t jobs_ns,
			       uint64_t busy_ns)
{
	if (!jobs_ns)
		return 0;
	if (busy_ns < jobs_ns)
		return energy_uj;
	/* 128-bit product: uJ x ns overflows 64 bits after ~5 h of a kW. */
	return (uint64_t)((unsigned __int128)energy_uj * jobs_ns / busy_ns);
}
