/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * spex-serve's UDP listener: the datagram form of the offload protocol
 * (Documentation/offload-protocol.rst, "Datagrams").
 */
#ifndef SPEX_SERVE_UDP_H
#define SPEX_SERVE_UDP_H

#include <stdint.h>
#include <sys/socket.h>
#include <spex/engine.h>

struct serve_udp_cfg {
	const struct spex_model *m;
	const struct spex_exec *ex;
	struct sockaddr_storage addr;	/* the TCP listener's, its port set */
	socklen_t addrlen;
	unsigned int threads;
};

struct serve_udp_stats {
	uint64_t answered;		/* status OK */
	uint64_t refused;		/* an error status sent back */
	uint64_t dropped;		/* too short or not our magic: silence */
};

struct serve_udp;

/* Bind one SO_REUSEPORT socket per thread and start the threads; -errno. */
int serve_udp_start(const struct serve_udp_cfg *cfg, struct serve_udp **out);
/* Stop the threads, close, add up their counters into st (may be NULL). */
void serve_udp_stop(struct serve_udp *u, struct serve_udp_stats *st);

#endif
