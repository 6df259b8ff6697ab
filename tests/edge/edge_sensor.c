// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The sensor side of the edge tests (tests/edge/run-in-guest.sh) and of
 * make bench-edge: sends MNIST images as spex edge frames and records
 * every answer, computes what the userspace engine answers on the same
 * inputs, and sends malformed frames checking that each is counted under
 * its reason in the datapath's pinned counters.
 *
 *   edge_sensor send  --dst IP [--port P] --images IDX -n N --head FILE
 *                     [--format u8|i8|none] [--model ID | --by-hash]
 *                     [--window W] [--timeout-ms T] [--capture IFACE]
 *                     [--rtt FILE]
 *       one line per answer: seq type flags class conf exit decision
 *       status; a summary on stderr. --capture checks the IPv4 and UDP
 *       checksums of every answer the datapath built (AF_PACKET).
 *   edge_sensor ref   --head FILE --images IDX -n N [--format u8|i8]
 *                     [--tail HOST:PORT]
 *       one line per image: seq decision class conf exit bottleneck-hex
 *       [tail_class tail_conf], from libspex's userspace engine.
 *   edge_sensor bad   --iface IF --dst-mac MAC --src IP --dst IP
 *                     --model ID --head FILE [--port P] [--fwd-port P]
 *                     [--drop]
 *       the malformed-frame cases, TAP, one per case.
 *   edge_sensor userd --model ID | --user --head FILE [--port P] [--local]
 *       the best userspace pipeline, for make bench-edge: a UDP server on
 *       the port doing recvmmsg -> libspex (quantize, submit the batch,
 *       reap) -> sendmmsg of RESULT frames, until SIGTERM.
 *   edge_sensor xdp   pass|echo|off --iface IF [--port P] [--generic]
 *       attach bpf/spex_echo.bpf.c's do-nothing program (what a veth peer
 *       needs before native XDP_TX frames reach it) or the bare echo
 *       (make bench-edge), or detach whatever XDP program IF has.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/spex_edge.h>

#include "spex/libspex.h"
#include "spex_edge.h"
#include <spex/engine.h>	/* spex_quant_u8() */
#include "idx.h"
#include "clock.h"
#include "fail.h"
#include "file.h"
#include "spex_echo.skel.h"
#include <linux/if_link.h>

#define die(msg, arg) die("%s%s%s", (msg), (arg) ? ": " : "", \
			 (arg) ? (const char *)(arg) : "")

struct opts {
	const char *dst, *images, *head, *tail, *capture, *iface, *dst_mac;
	const char *src, *rtt;
	unsigned int port, fwd_port, n, window, timeout_ms, model;
	int format;		/* SPEX_EDGE_IN_U8, _I8, or 0 */
	bool by_hash, drop, generic, echo, local;
};


/* The head's description, through libspex's userspace engine. */
static struct spex *open_head(const char *path, uint32_t *id,
			      struct spex_model_desc *d)
{
	struct spex_open_opts oo = { .backend = SPEX_BACKEND_USER,
				     .queue_depth = 256 };
	struct spex_load_error le;
	struct spex *h;

	if (!path)
		die("--head FILE is needed", NULL);
	if (spex_open(&oo, &h))
		die("libspex open", NULL);
	if (spex_load_file(h, path, id, &le))
		die(le.msg, path);
	if (spex_describe_model(h, *id, d, NULL, 0))
		die("describe", path);
	return h;
}

/* Images, and the model input of each in the frame's format. */
static uint8_t *load_inputs(const struct opts *o,
			    const struct spex_model_desc *d, unsigned int *n)
{
	struct idx_dataset ds = { 0 };
	char err[256];
	uint8_t *buf;
	void *file;
	size_t len;

	if (!o->images || read_file(o->images, 1u << 30, &file, &len))
		die("cannot read --images", o->images);
	if (idx_parse_images(file, len, o->images, &ds.n, &ds.rows, &ds.cols,
			     &ds.pixels, err, sizeof(err)))
		die(err, NULL);
	free(file);
	if (ds.rows * ds.cols != d->input_bytes)
		die("images do not match the model's input", o->images);
	if (*n == 0 || *n > ds.n)
		*n = ds.n;
	buf = malloc((size_t)*n * d->input_bytes);
	if (!buf)
		die("out of memory", NULL);
	for (size_t i = 0; i < (size_t)*n * d->input_bytes; i++)
		buf[i] = o->format == SPEX_EDGE_IN_I8 ?
			 (uint8_t)spex_quant_u8(ds.pixels[i],
						d->input_q.scale_bits,
						(int32_t)d->input_q.zero_point) :
			 ds.pixels[i];
	idx_free(&ds);
	return buf;
}

/* The int8 tensor the engine sees for input i. */
static void engine_input(const struct opts *o, const struct spex_model_desc *d,
			 const uint8_t *in, int8_t *q)
{
	for (uint32_t k = 0; k < d->input_bytes; k++)
		q[k] = o->format == SPEX_EDGE_IN_I8 ? (int8_t)in[k] :
		       spex_quant_u8(in[k], d->input_q.scale_bits,
				     (int32_t)d->input_q.zero_point);
}

/* ---- ref ------------------------------------------------------------- */

static int cmd_ref(const struct opts *o)
{
	struct spex_model_desc d;
	uint32_t id;
	struct spex *h = open_head(o->head, &id, &d);
	unsigned int n = o->n;
	uint8_t *in = load_inputs(o, &d, &n);
	int8_t q[SPEX_EDGE_MAX_INPUT];
	uint8_t bn[SPEX_EDGE_MAX_BNECK];

	if (o->tail) {
		char host[64];
		const char *c = strrchr(o->tail, ':');
		struct spex_offload_opts off = { .host = host,
						 .deadline_ms = 5000 };

		if (!c || (size_t)(c - o->tail) >= sizeof(host))
			die("--tail HOST:PORT", o->tail);
		memcpy(host, o->tail, (size_t)(c - o->tail));
		host[c - o->tail] = 0;
		off.port = (uint16_t)atoi(c + 1);
		if (spex_set_offload(h, id, &off))
			die("set offload", o->tail);
	}
	for (unsigned int i = 0; i < n; i++) {
		struct spex_req r = { .model_id = id, .input = q,
				      .input_len = d.input_bytes, .output = bn,
				      .output_len = sizeof(bn),
				      .flags = SPEX_REQ_NO_OFFLOAD };
		struct spex_completion c, t;

		engine_input(o, &d, in + (size_t)i * d.input_bytes, q);
		if (spex_infer(h, &r, &c))
			die("infer", NULL);
		printf("%u %u %u %u %u ", i, c.result.decision,
		       c.result.class_id, c.result.confidence_q16,
		       c.result.exit_index > 0xfe ? 0xff : c.result.exit_index);
		if (c.result.decision == SPEX_DECISION_OFFLOAD) {
			for (uint32_t k = 0; k < c.result.bottleneck_len; k++)
				printf("%02x", bn[k]);
		} else {
			printf("-");
		}
		if (o->tail && c.result.decision == SPEX_DECISION_OFFLOAD) {
			struct spex_req b = { .model_id = id, .input = bn,
				.input_len = c.result.bottleneck_len,
				.flags = SPEX_REQ_BOTTLENECK };

			if (spex_infer(h, &b, &t) || t.origin != SPEX_ORIGIN_TAIL)
				die("the tail did not answer", o->tail);
			printf(" %u %u", t.result.class_id,
			       t.result.confidence_q16);
		}
		printf("\n");
	}
	spex_close(h);
	free(in);
	return 0;
}

/* ---- send ------------------------------------------------------------ */

static uint16_t csum16(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Checksums of a captured answer built by the datapath: 1 good, 0 bad,
 * -1 not one of those. */
static int check_capture(const uint8_t *f, ssize_t len, uint16_t lport)
{
	const struct iphdr *ip = (const void *)(f + ETH_HLEN);
	const struct udphdr *udp;
	const struct spex_edge_hdr *h;
	uint32_t ps;
	unsigned int ul;

	if (len < ETH_HLEN + 20 + 8 + SPEX_EDGE_RESULT_LEN ||
	    ip->version != 4 || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return -1;
	udp = (const void *)(ip + 1);
	h = (const void *)(udp + 1);
	if (ntohs(udp->dest) != lport || h->type != SPEX_EDGE_RESULT ||
	    !(le16toh(h->flags) & (SPEX_EDGE_R_XDP | SPEX_EDGE_R_TC)) ||
	    le16toh(h->flags) & (SPEX_EDGE_R_FROM_TAIL | SPEX_EDGE_R_FALLBACK))
		return -1;
	if (csum16(ip, 20, 0) != 0xffff)
		return 0;
	ul = ntohs(udp->len);
	if (!udp->check || ul < 8 || ETH_HLEN + 20 + ul > (size_t)len)
		return 0;
	ps = csum16(&ip->saddr, 8, 0) + IPPROTO_UDP + ul;
	return csum16(udp, ul, ps) == 0xffff;
}

static int cmd_send(const struct opts *o)
{
	struct spex_model_desc d;
	uint32_t id;
	struct spex *h = open_head(o->head, &id, &d);
	unsigned int n = o->n, sent = 0, answers = 0, dups = 0, bad = 0;
	unsigned int inflight = 0, csum_ok = 0, csum_bad = 0;
	unsigned int window = o->window ? o->window : 16;
	uint8_t *in = load_inputs(o, &d, &n);
	uint8_t *seen, frame[SPEX_EDGE_HDR_LEN + SPEX_EDGE_MAX_INPUT];
	uint64_t *t_sent, last = 0, t0;
	struct spex_edge_hdr *hd = (void *)frame;
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)o->port) };
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	FILE *rtt = NULL;
	int fd, cap = -1, sz = 4 << 20;

	spex_close(h);
	if (inet_pton(AF_INET, o->dst, &dst.sin_addr) != 1)
		die("--dst wants an IPv4 address", o->dst);
	seen = calloc(n, 1);
	t_sent = calloc(n, sizeof(*t_sent));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || !seen || !t_sent)
		die("socket", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	me = (struct sockaddr_in){ .sin_family = AF_INET };
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) ||
	    getsockname(fd, (struct sockaddr *)&me, &ml))
		die("bind", strerror(errno));
	if (o->capture) {
		struct sockaddr_ll ll = { .sll_family = AF_PACKET,
					  .sll_protocol = htons(ETH_P_IP),
					  .sll_ifindex = (int)if_nametoindex(o->capture) };

		cap = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_IP));
		if (cap < 0 || !ll.sll_ifindex ||
		    bind(cap, (struct sockaddr *)&ll, sizeof(ll)))
			die("capture", o->capture);
		setsockopt(cap, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	if (o->rtt && !(rtt = fopen(o->rtt, "w")))
		die("open", o->rtt);

	memset(frame, 0, sizeof(frame));
	hd->magic = htole32(SPEX_EDGE_MAGIC);
	hd->version = SPEX_EDGE_VERSION;
	hd->type = SPEX_EDGE_REQUEST;
	hd->flags = htole16((uint16_t)o->format);
	hd->model_id = htole32(o->by_hash ? 0 : o->model);
	memcpy(hd->hash8, d.hash, 4);
	hd->len = htole32(d.input_bytes);
	t0 = now_ns();
	while (answers < n) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = cap, .events = POLLIN } };
		uint8_t buf[2048];
		int r;

		while (sent < n && inflight < window) {
			hd->seq = htole32(sent);
			memcpy(frame + SPEX_EDGE_HDR_LEN,
			       in + (size_t)sent * d.input_bytes, d.input_bytes);
			t_sent[sent] = now_ns();
			if (sendto(fd, frame, SPEX_EDGE_HDR_LEN + d.input_bytes, 0,
				   (struct sockaddr *)&dst, sizeof(dst)) < 0)
				die("send", strerror(errno));
			sent++;
			inflight++;
			last = now_ns();
		}
		r = poll(p, cap >= 0 ? 2 : 1, 50);
		if (r == 0 && now_ns() - last > (uint64_t)o->timeout_ms * 1000000) {
			if (sent == n)
				break;		/* the rest are lost */
			inflight = 0;		/* lost ones: keep going */
			continue;
		}
		if (cap >= 0 && p[1].revents & POLLIN) {
			ssize_t l;

			while ((l = recv(cap, buf, sizeof(buf), 0)) > 0) {
				int c = check_capture(buf, l, ntohs(me.sin_port));

				if (c == 1)
					csum_ok++;
				else if (c == 0)
					csum_bad++;
			}
		}
		if (!(p[0].revents & POLLIN))
			continue;
		while (1) {
			ssize_t l = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			const struct spex_edge_hdr *a = (void *)buf;
			const struct spex_edge_result *res = (void *)(a + 1);
			uint32_t seq;

			if (l < 0)
				break;
			last = now_ns();
			if ((o->echo ? l != SPEX_EDGE_HDR_LEN + d.input_bytes :
				       l != SPEX_EDGE_RESULT_LEN ||
				       a->type != SPEX_EDGE_RESULT) ||
			    le32toh(a->magic) != SPEX_EDGE_MAGIC ||
			    le32toh(a->seq) >= n) {
				bad++;
				continue;
			}
			seq = le32toh(a->seq);
			if (seen[seq]++) {
				dups++;
				continue;
			}
			answers++;
			if (inflight)
				inflight--;
			if (rtt)
				fprintf(rtt, "%llu\n", (unsigned long long)
					(last - t_sent[seq]));
			printf("%u %u %u %u %u %u %u %u\n", seq, a->type,
			       le16toh(res->flags), le32toh(res->class_id),
			       le32toh(res->confidence_q16), res->exit_index,
			       res->decision, le32toh(res->status));
		}
	}
	if (cap >= 0) {		/* what is still queued */
		uint8_t buf[2048];
		ssize_t l;

		usleep(100000);
		while ((l = recv(cap, buf, sizeof(buf), 0)) > 0) {
			int c = check_capture(buf, l, ntohs(me.sin_port));

			csum_ok += c == 1;
			csum_bad += c == 0;
		}
	}
	fprintf(stderr, "sent %u answered %u duplicates %u missing %u bad %u "
		"csum_ok %u csum_bad %u secs %.3f\n", sent, answers, dups,
		n - answers, bad, csum_ok, csum_bad, (now_ns() - t0) / 1e9);
	if (rtt)
		fclose(rtt);
	free(in);
	return answers == n && !dups && !bad && !csum_bad ? 0 : 1;
}

/* ---- bad ------------------------------------------------------------- */

struct counters_snap {
	uint64_t v[sizeof(struct spex_edge_counters) / 8];
};

static void snap(int mfd, struct counters_snap *s)
{
	int ncpu = libbpf_num_possible_cpus();
	struct spex_edge_counters pc[ncpu];
	uint32_t key = 0;

	memset(s, 0, sizeof(*s));
	if (bpf_map_lookup_elem(mfd, &key, pc))
		die("read counters", strerror(errno));
	for (int c = 0; c < ncpu; c++)
		for (size_t i = 0; i < sizeof(s->v) / 8; i++)
			s->v[i] += ((uint64_t *)&pc[c])[i];
}

#define CTR(field)	(offsetof(struct spex_edge_counters, field) / 8)

struct frame_ctx {
	uint8_t buf[ETH_HLEN + 60 + 8 + SPEX_EDGE_HDR_LEN + SPEX_EDGE_MAX_INPUT];
	size_t len;
	struct iphdr *ip;
	struct udphdr *udp;
	struct spex_edge_hdr *hdr;
};

/* A valid REQUEST frame to port (u8 format, zero pixels), with ihl words
 * of IPv4 header. */
static void build(struct frame_ctx *f, const struct opts *o,
		  const uint8_t *src_mac, const uint8_t *dst_mac,
		  uint32_t in_bytes, uint16_t port, unsigned int ihl)
{
	struct ether_header *eth = (void *)f->buf;
	size_t pay = SPEX_EDGE_HDR_LEN + in_bytes;

	memset(f->buf, 0, sizeof(f->buf));
	memcpy(eth->ether_dhost, dst_mac, 6);
	memcpy(eth->ether_shost, src_mac, 6);
	eth->ether_type = htons(ETHERTYPE_IP);
	f->ip = (void *)(f->buf + ETH_HLEN);
	f->ip->version = 4;
	f->ip->ihl = ihl & 0xf;
	f->ip->ttl = 64;
	f->ip->protocol = IPPROTO_UDP;
	f->ip->tot_len = htons((uint16_t)(ihl * 4 + 8 + pay));
	inet_pton(AF_INET, o->src, &f->ip->saddr);
	inet_pton(AF_INET, o->dst, &f->ip->daddr);
	f->udp = (void *)((uint8_t *)f->ip + ihl * 4);
	f->udp->source = htons(40000);
	f->udp->dest = htons(port);
	f->udp->len = htons((uint16_t)(8 + pay));
	f->hdr = (void *)(f->udp + 1);
	f->hdr->magic = htole32(SPEX_EDGE_MAGIC);
	f->hdr->version = SPEX_EDGE_VERSION;
	f->hdr->type = SPEX_EDGE_REQUEST;
	f->hdr->flags = htole16(SPEX_EDGE_IN_U8);
	f->hdr->model_id = htole32(o->model);
	f->hdr->len = htole32(in_bytes);
	f->len = ETH_HLEN + ihl * 4 + 8 + pay;
}

static void fix_csum(struct frame_ctx *f)
{
	f->ip->check = 0;
	f->ip->check = htons((uint16_t)~csum16(f->ip, f->ip->ihl * 4u, 0));
}

/* Shorten the UDP payload to pay bytes, lengths kept consistent. */
static void set_payload(struct frame_ctx *f, size_t pay)
{
	size_t l3 = (uint8_t *)f->udp - (uint8_t *)f->ip;

	f->ip->tot_len = htons((uint16_t)(l3 + 8 + pay));
	f->udp->len = htons((uint16_t)(8 + pay));
	f->len = ETH_HLEN + l3 + 8 + pay;
}

/* Send one frame; it must add 1 to frames, to its reason, and to dropped
 * or passed, and nothing else. */
static void run_case(int pfd, int mfd, const struct sockaddr_ll *ll,
		     const struct frame_ctx *f, const char *name, size_t reason,
		     bool dropped, int *pass, int *fail)
{
	struct counters_snap b, a;
	size_t n = sizeof(a.v) / 8;
	bool ok = true;

	snap(mfd, &b);
	if (sendto(pfd, f->buf, f->len, 0, (const struct sockaddr *)ll,
		   sizeof(*ll)) != (ssize_t)f->len)
		die("send a raw frame", strerror(errno));
	for (int i = 0; i < 200; i++) {
		snap(mfd, &a);
		if (a.v[CTR(frames)] != b.v[CTR(frames)])
			break;
		usleep(10000);
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t want = b.v[i] + (i == CTR(frames) || i == reason ||
			       i == (dropped ? CTR(dropped) : CTR(passed)));

		if (a.v[i] != want)
			ok = false;
	}
	if (ok) {
		printf("ok - malformed: %s\n", name);
		(*pass)++;
		return;
	}
	printf("not ok - malformed: %s (counter deltas:", name);
	for (size_t i = 0; i < n; i++)
		if (a.v[i] != b.v[i])
			printf(" [%zu]+%llu", i,
			       (unsigned long long)(a.v[i] - b.v[i]));
	printf(")\n");
	(*fail)++;
}

static int cmd_bad(const struct opts *o)
{
	struct spex_model_desc d;
	uint32_t id;
	struct spex *h = open_head(o->head, &id, &d);
	uint8_t src_mac[6], dst_mac[6];
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_halen = 6 };
	int pfd, mfd, pass = 0, fail = 0;
	struct frame_ctx f;
	uint32_t ib = d.input_bytes;

	spex_close(h);
	{	/* sysfs shows another netns's devices under nsenter */
		struct ifreq ifr = { 0 };
		int s = socket(AF_INET, SOCK_DGRAM, 0);

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->iface);
		if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr))
			die("SIOCGIFHWADDR", o->iface);
		memcpy(src_mac, ifr.ifr_hwaddr.sa_data, 6);
		close(s);
	}
	if (sscanf(o->dst_mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dst_mac[0],
		   &dst_mac[1], &dst_mac[2], &dst_mac[3], &dst_mac[4],
		   &dst_mac[5]) != 6)
		die("--dst-mac", o->dst_mac);
	ll.sll_ifindex = (int)if_nametoindex(o->iface);
	memcpy(ll.sll_addr, dst_mac, 6);
	pfd = socket(AF_PACKET, SOCK_RAW, 0);
	if (pfd < 0 || !ll.sll_ifindex)
		die("packet socket", o->iface);
	mfd = bpf_obj_get(SPEX_EDGE_PIN_DIR "/counters");
	if (mfd < 0)
		die("counters not pinned", strerror(errno));

#define CASE(name, reason, ...) do {					\
	build(&f, o, src_mac, dst_mac, ib, (uint16_t)o->port, 5);	\
	__VA_ARGS__;							\
	fix_csum(&f);							\
	run_case(pfd, mfd, &ll, &f, name, CTR(reason), o->drop ||	\
		 CTR(reason) == CTR(spoofed), &pass, &fail);		\
} while (0)

	CASE("payload of 0 bytes", short_frame, set_payload(&f, 0));
	CASE("payload of 1 byte", short_frame, set_payload(&f, 1));
	CASE("payload of 23 bytes", short_frame, set_payload(&f, 23));
	CASE("wrong magic", bad_magic, f.hdr->magic = htole32(0x58505351));
	CASE("version 0", bad_version, f.hdr->version = 0);
	CASE("version 2", bad_version, f.hdr->version = 2);
	CASE("type RESULT from the wire", bad_type, f.hdr->type = SPEX_EDGE_RESULT);
	CASE("type OFFLOAD from the wire", bad_type, f.hdr->type = SPEX_EDGE_OFFLOAD);
	CASE("type 0", bad_type, f.hdr->type = 0);
	CASE("both input formats", bad_format, f.hdr->flags = htole16(SPEX_EDGE_IN_MASK));
	CASE("unknown format flag", bad_format, f.hdr->flags = htole16(0x80));
	CASE("unknown model id", unknown_model, f.hdr->model_id = htole32(o->model + 1000));
	CASE("model 0 with a wrong hash", unknown_model,
	     f.hdr->model_id = 0; f.hdr->hash8[0] = (uint8_t)~d.hash[0]);
	CASE("len one short of the input", bad_length, f.hdr->len = htole32(ib - 1));
	CASE("len 0xffffffff", bad_length, f.hdr->len = htole32(0xffffffffu));
	CASE("payload one byte short", bad_length,
	     set_payload(&f, SPEX_EDGE_HDR_LEN + ib - 1));
	CASE("one trailing byte", bad_length,
	     set_payload(&f, SPEX_EDGE_HDR_LEN + ib + 1));
	CASE("IPv4 ihl 4", ip_truncated, f.ip->ihl = 4);
	CASE("frame ends inside the IPv4 header", ip_truncated, f.len = ETH_HLEN + 12);
	CASE("tot_len beyond the frame", ip_length,
	     f.ip->tot_len = htons((uint16_t)(ntohs(f.ip->tot_len) + 100)));
	CASE("tot_len shorter than the IPv4 header", ip_length, f.ip->tot_len = htons(12));
	CASE("UDP header cut off", udp_truncated,
	     f.ip->tot_len = htons(24); f.len = ETH_HLEN + 24);
	CASE("UDP length not the IP payload", udp_length,
	     f.udp->len = htons((uint16_t)(ntohs(f.udp->len) - 8)));
	CASE("more fragments", ip_fragment, f.ip->frag_off = htons(0x2000));
	CASE("to the forwarder's port from the wire", spoofed,
	     f.udp->dest = htons((uint16_t)o->fwd_port));
	/* IPv4 options: a 24-byte header, the ports behind it */
	build(&f, o, src_mac, dst_mac, ib, (uint16_t)o->port, 6);
	fix_csum(&f);
	run_case(pfd, mfd, &ll, &f, "IPv4 options", CTR(ip_options), o->drop,
		 &pass, &fail);
	printf("# malformed: %d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { stop = 1; }

#define UD_BATCH	64

static int cmd_userd(const struct opts *o)
{
	static uint8_t rx[UD_BATCH][SPEX_EDGE_HDR_LEN + SPEX_EDGE_MAX_INPUT];
	static int8_t q[UD_BATCH][SPEX_EDGE_MAX_INPUT];
	static uint8_t outb[UD_BATCH][SPEX_EDGE_MAX_BNECK];
	static struct {
		struct spex_edge_hdr hdr;
		struct spex_edge_result res;
	} tx[UD_BATCH];
	static struct sockaddr_in from[UD_BATCH];
	struct spex_open_opts oo = { .backend = o->generic ? SPEX_BACKEND_USER :
					       SPEX_BACKEND_DEVICE,
				     .queue_depth = 256 };
	struct sockaddr_in me = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)o->port) };
	struct mmsghdr mm[UD_BATCH], om[UD_BATCH];
	struct iovec iov[UD_BATCH], oiov[UD_BATCH];
	struct spex_req req[UD_BATCH];
	struct spex_completion c[UD_BATCH];
	struct spex_model_desc d;
	struct spex_load_error le;
	unsigned long long served = 0;
	uint32_t id = o->model;
	struct spex *h;
	int fd, sz = 4 << 20;

	if (spex_open(&oo, &h))
		die("libspex open", NULL);
	if (oo.backend == SPEX_BACKEND_USER &&
	    (!o->head || spex_load_file(h, o->head, &id, &le)))
		die("the user backend needs --head FILE", o->head);
	if (spex_describe_model(h, id, &d, NULL, 0))
		die("describe the model", NULL);
	if (o->local) {	/* every job answered here, as in the bench's XDP runs */
		struct spex_policy pol = { .mode = SPEX_MODE_FORCE_LOCAL };

		if (spex_set_model_policy(h, id, &pol))
			die("policy", NULL);
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)))
		die("bind", strerror(errno));
	{	/* no SA_RESTART: SIGTERM must end a blocked recvmmsg */
		struct sigaction sa = { .sa_handler = on_signal };

		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	for (int i = 0; i < UD_BATCH; i++) {
		iov[i] = (struct iovec){ rx[i], sizeof(rx[i]) };
		oiov[i] = (struct iovec){ &tx[i], sizeof(tx[i]) };
	}
	fprintf(stderr, "userd: port %u, %s backend\n", o->port,
		spex_backend_name(spex_backend_of(h)));
	while (!stop) {
		int n, got = 0, nreq = 0;

		for (int i = 0; i < UD_BATCH; i++)
			mm[i].msg_hdr = (struct msghdr){ .msg_name = &from[i],
				.msg_namelen = sizeof(from[i]),
				.msg_iov = &iov[i], .msg_iovlen = 1 };
		n = recvmmsg(fd, mm, UD_BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			const struct spex_edge_hdr *hd = (void *)rx[i];
			bool is_u8 = !(le16toh(hd->flags) & SPEX_EDGE_IN_I8);

			if (mm[i].msg_len != SPEX_EDGE_HDR_LEN + d.input_bytes ||
			    le32toh(hd->magic) != SPEX_EDGE_MAGIC)
				continue;
			for (uint32_t k = 0; k < d.input_bytes; k++)
				q[i][k] = is_u8 ? spex_quant_u8(rx[i][SPEX_EDGE_HDR_LEN + k],
						d.input_q.scale_bits,
						(int32_t)d.input_q.zero_point) :
					(int8_t)rx[i][SPEX_EDGE_HDR_LEN + k];
			req[nreq++] = (struct spex_req){ .model_id = id,
				.input = q[i], .input_len = d.input_bytes,
				.output = outb[i], .output_len = sizeof(outb[i]),
				.flags = SPEX_REQ_NO_OFFLOAD, .user_data = (uint64_t)i };
		}
		if (nreq && spex_submit(h, req, (unsigned int)nreq) != nreq)
			die("submit", NULL);
		while (got < nreq) {
			int r = spex_reap(h, c + got, (unsigned int)(nreq - got),
					  (unsigned int)(nreq - got), -1);

			if (r < 0)
				die("reap", NULL);
			got += r;
		}
		for (int k = 0; k < got; k++) {
			unsigned int i = (unsigned int)c[k].user_data;
			const struct spex_result *r = &c[k].result;

			memcpy(&tx[k].hdr, rx[i], sizeof(tx[k].hdr));
			tx[k].hdr.type = SPEX_EDGE_RESULT;
			tx[k].hdr.len = htole32(sizeof(tx[k].res));
			tx[k].res = (struct spex_edge_result){
				.class_id = htole32(r->class_id),
				.confidence_q16 = htole32(r->confidence_q16),
				.exit_index = r->exit_index > 0xfe ? 0xff :
					      (uint8_t)r->exit_index,
				.decision = (uint8_t)r->decision,
				.flags = htole16(SPEX_EDGE_R_EXIT) };
			om[k].msg_hdr = (struct msghdr){ .msg_name = &from[i],
				.msg_namelen = sizeof(from[i]),
				.msg_iov = &oiov[k], .msg_iovlen = 1 };
		}
		if (got)
			sendmmsg(fd, om, (unsigned int)got, 0);
		served += (unsigned long long)got;
	}
	fprintf(stderr, "userd: %llu frames answered\n", served);
	spex_close(h);
	return 0;
}

static int cmd_xdp(const struct opts *o, const char *what)
{
	int ifindex = (int)if_nametoindex(o->iface);
	__u32 fl = o->generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	struct spex_echo *skel;
	int ret;

	if (!ifindex)
		die("no interface", o->iface);
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
	if (!strcmp(what, "off"))
		return 0;
	skel = spex_echo__open();
	if (!skel)
		die("open spex_echo", NULL);
	skel->rodata->cfg_port = (__u16)o->port;
	if (spex_echo__load(skel))
		die("load spex_echo", NULL);
	ret = bpf_xdp_attach(ifindex, bpf_program__fd(!strcmp(what, "echo") ?
			     skel->progs.spex_echo_xdp : skel->progs.spex_pass_xdp),
			     fl, NULL);
	if (ret)
		die("xdp attach", strerror(-ret));
	spex_echo__destroy(skel);	/* stays attached */
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dst", 1, 0, 'd' }, { "port", 1, 0, 'p' },
		{ "fwd-port", 1, 0, 'F' }, { "images", 1, 0, 'I' },
		{ "head", 1, 0, 'H' }, { "tail", 1, 0, 't' },
		{ "format", 1, 0, 'f' }, { "model", 1, 0, 'm' },
		{ "by-hash", 0, 0, 'B' }, { "window", 1, 0, 'w' },
		{ "timeout-ms", 1, 0, 'T' }, { "capture", 1, 0, 'c' },
		{ "iface", 1, 0, 'i' }, { "dst-mac", 1, 0, 'M' },
		{ "src", 1, 0, 's' }, { "drop", 0, 0, 'D' },
		{ "rtt", 1, 0, 'R' }, { "generic", 0, 0, 'G' },
		{ "echo", 0, 0, 'E' }, { "user", 0, 0, 'G' },
		{ "local", 0, 0, 'L' }, { 0 } };
	struct opts o = { .port = SPEX_EDGE_PORT, .fwd_port = SPEX_EDGE_PORT + 1,
			  .timeout_ms = 2000, .format = SPEX_EDGE_IN_U8 };
	const char *cmd;
	int opt;

	tool_name = "edge_sensor";
	if (argc < 2)
		die("usage: edge_sensor send|ref|bad [options] (see the source)",
		    NULL);
	cmd = argv[1];
	argv++;
	argc--;
	while ((opt = getopt_long(argc, argv, "n:", lo, NULL)) != -1) {
		switch (opt) {
		case 'd': o.dst = optarg; break;
		case 'p': o.port = (unsigned int)atoi(optarg); break;
		case 'F': o.fwd_port = (unsigned int)atoi(optarg); break;
		case 'I': o.images = optarg; break;
		case 'H': o.head = optarg; break;
		case 't': o.tail = optarg; break;
		case 'f':
			o.format = !strcmp(optarg, "i8") ? SPEX_EDGE_IN_I8 :
				   !strcmp(optarg, "none") ? 0 : SPEX_EDGE_IN_U8;
			break;
		case 'm': o.model = (unsigned int)atoi(optarg); break;
		case 'B': o.by_hash = true; break;
		case 'w': o.window = (unsigned int)atoi(optarg); break;
		case 'T': o.timeout_ms = (unsigned int)atoi(optarg); break;
		case 'c': o.capture = optarg; break;
		case 'i': o.iface = optarg; break;
		case 'M': o.dst_mac = optarg; break;
		case 's': o.src = optarg; break;
		case 'D': o.drop = true; break;
		case 'G': o.generic = true; break;
		case 'E': o.echo = true; break;
		case 'L': o.local = true; break;
		case 'R': o.rtt = optarg; break;
		case 'n': o.n = (unsigned int)atoi(optarg); break;
		default: die("bad option", NULL);
		}
	}
	if (!strcmp(cmd, "xdp"))
		return o.iface && optind < argc ? cmd_xdp(&o, argv[optind]) :
		       (die("xdp pass|echo|off --iface IF", NULL), 1);
	if (!strcmp(cmd, "ref"))
		return cmd_ref(&o);
	if (!strcmp(cmd, "userd"))
		return cmd_userd(&o);
	if (!strcmp(cmd, "send"))
		return o.dst ? cmd_send(&o) : (die("--dst IP", NULL), 1);
	if (!strcmp(cmd, "bad"))
		return o.iface && o.dst_mac && o.src && o.dst ? cmd_bad(&o) :
		       (die("bad needs --iface --dst-mac --src --dst", NULL), 1);
	die("unknown command", cmd);
	return 1;
}
