/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * Measured energy for spex-trace: package energy from the powercap sysfs
 * tree (RAPL), and the CPU time it is shared out by.
 */
#ifndef SPEX_TRACE_POWERCAP_H
#define SPEX_TRACE_POWERCAP_H

#include <stdint.h>

#define PC_MAX_ZONES	16

struct pc_zone {
	char path[512];			/* .../intel-rapl:N/energy_uj */
	uint64_t max_range_uj;		/* the counter wraps to 0 here */
	uint64_t last_uj;
};

struct powercap {
	int n_zones;			/* 0: no RAPL, nothing measured */
	struct pc_zone zone[PC_MAX_ZONES];
};

/*
 * Find the package zones under root (normally /sys/class/powercap):
 * every intel-rapl:N directory (not its subzones intel-rapl:N:M, which
 * the package already counts) with a readable energy_uj. Reads the
 * first sample. Returns the number of zones.
 */
int powercap_open(struct powercap *pc, const char *root);

/* Energy used by all packages since the last call (or open), in uJ,
 * across counter wraps. */
uint64_t powercap_delta_uj(struct powercap *pc);

/* Busy CPU time of all CPUs from a /proc/stat file, in ns (everything but
 * idle and iowait). 0 if unreadable. */
uint64_t cpu_busy_ns(const char *proc_stat);

/* The share of energy_uj that jobs_ns of busy_ns CPU time gets; a window
 * where the tick-based busy time is smaller than the jobs' own time
 * gives the jobs everything. */
uint64_t powercap_apportion_uj(uint64_t energy_uj, uint64_t jobs_ns,
			       uint64_t busy_ns);

#endif /* SPEX_TRACE_POWERCAP_H */
