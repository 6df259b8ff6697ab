/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * spex edge frames: the UDP payload a sensor sends to the edge datapath
 * (bpf/spex_edge.bpf.c, tools/spex-edge) and the answers it gets back.
 * Documentation/edge-frames.rst describes every field.
 *
 * All fields are little-endian. A frame is one UDP datagram:
 *   REQUEST  sensor -> edge:    hdr + input tensor (len bytes)
 *   RESULT   edge -> sensor:    hdr + struct spex_edge_result
 *   OFFLOAD  edge XDP/TC -> the local forwarder:
 *                               hdr + struct spex_edge_result (the best
 *                               local guess) + bottleneck
 * Rules for changing it: as include/uapi/linux/spex.h (never reorder or
 * resize a field; a new version number for an incompatible change).
 */
#ifndef _UAPI_LINUX_SPEX_EDGE_H
#define _UAPI_LINUX_SPEX_EDGE_H

/* BPF C gets these types from vmlinux.h, which linux/types.h clashes with. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define SPEX_EDGE_MAGIC		0x45585053u	/* "SPXE" read as __le32 */
#define SPEX_EDGE_VERSION	1
#define SPEX_EDGE_PORT		7341		/* default UDP port */

/* spex_edge_hdr.type */
#define SPEX_EDGE_REQUEST	1
#define SPEX_EDGE_RESULT	2
#define SPEX_EDGE_OFFLOAD	3

/* spex_edge_hdr.flags of a REQUEST: the input format (at most one) */
#define SPEX_EDGE_IN_U8		0x0001	/* uint8 pixels, quantized by the edge
					 * with the model's input_q */
#define SPEX_EDGE_IN_I8		0x0002	/* the model's own int8 tensor */
#define SPEX_EDGE_IN_MASK	(SPEX_EDGE_IN_U8 | SPEX_EDGE_IN_I8)
/* neither: the edge's configured default format */

/* spex_edge_hdr.flags of a RESULT (and spex_edge_result.flags) */
#define SPEX_EDGE_R_EXIT	0x0001	/* decided by an exit of the head */
#define SPEX_EDGE_R_FINAL	0x0002	/* decided by the model's last layer */
#define SPEX_EDGE_R_FROM_TAIL	0x0004	/* offloaded; the tail server answered */
#define SPEX_EDGE_R_FALLBACK	0x0008	/* offloaded; the tail failed: the
					 * local best guess (status: why) */
#define SPEX_EDGE_R_XDP		0x0010	/* answered by the XDP program */
#define SPEX_EDGE_R_TC		0x0020	/* answered by the TC program */
#define SPEX_EDGE_R_LOW_CONF	0x0040	/* SPEX_RF_LOW_CONF of the head */

struct spex_edge_hdr {
	__le32 magic;		/* SPEX_EDGE_MAGIC */
	__u8   version;		/* SPEX_EDGE_VERSION */
	__u8   type;		/* SPEX_EDGE_REQUEST, _RESULT, _OFFLOAD */
	__le16 flags;		/* REQUEST: SPEX_EDGE_IN_*; else SPEX_EDGE_R_* */
	__le32 model_id;	/* spex model id; 0: match by hash8 */
	__le32 seq;		/* the sensor's; echoed in the answer */
	__le32 len;		/* bytes after this header */
	__u8   hash8[4];	/* first 4 bytes of the head's content hash,
				 * or 0 (checked only when model_id is 0) */
};				/* 24 bytes */

struct spex_edge_result {
	__le32 class_id;	/* the answer (best local guess on FALLBACK) */
	__le32 confidence_q16;	/* of class_id, Q16 (65536 = 1.0) */
	__u8   exit_index;	/* exit taken or last tried; 0xff: none */
	__u8   decision;	/* enum spex_decision of the head */
	__le16 flags;		/* SPEX_EDGE_R_* */
	__le32 status;		/* 0, or a positive errno: why FALLBACK */
};				/* 16 bytes */

#define SPEX_EDGE_HDR_LEN	24
#define SPEX_EDGE_RESULT_LEN	(SPEX_EDGE_HDR_LEN + 16)

#endif /* _UAPI_LINUX_SPEX_EDGE_H */
