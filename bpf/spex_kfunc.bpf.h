/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * bpf_spex_run() for BPF C programs (XDP and SCHED_CLS): the kfunc's
 * declaration, its flags and the result word's decoders, mirroring
 * include/uapi/linux/spex.h (the contract; see its "BPF kfunc" section).
 * Include it after vmlinux.h and <bpf/bpf_helpers.h>. The uapi header
 * itself does not mix with vmlinux.h, so the few names are repeated here,
 * each only where the uapi header has not defined it already.
 *
 *	struct spex_kf_out *o;
 *	int r = bpf_spex_run(SPEX_KF_CTL(id, SPEX_KF_IN_U8), in, 784,
 *			     out, SPEX_KF_OUT_BYTES(bottleneck_bytes));
 *	if (r >= 0 && SPEX_RES_DECISION(r) == SPEX_DECISION_EXIT)
 *		class = SPEX_RES_CLASS(r);
 *
 * in and out must be writable memory the verifier can size: packet data
 * after a constant-size bounds check, or a map value. libbpf resolves
 * the __ksym in spex.ko's BTF (/sys/kernel/btf/spex) at load (libbpf
 * 1.1 and kernels 6.1 and 6.12 handle module kfuncs), so a program that
 * calls it fails to load where spex.ko, or its BTF, is missing.
 */
#ifndef SPEX_KFUNC_BPF_H
#define SPEX_KFUNC_BPF_H

extern int bpf_spex_run(__u64 ctl, __u8 *in, __u32 in__sz, __u8 *out,
			__u32 out__sz) __ksym;

#ifndef SPEX_KF_IN_U8
#define SPEX_KF_IN_U8		0x1	/* in is uint8, quantized by spex */
#define SPEX_KF_SCALAR		0x2	/* integer scalar kernels */
#define SPEX_KF_ALL		(SPEX_KF_IN_U8 | SPEX_KF_SCALAR)
#define SPEX_KF_CTL(model_id, flags)					\
	((__u64)(__u32)(model_id) | ((__u64)(__u32)(flags) << 32))

struct spex_kf_out {
	__u32 exit_index;		/* SPEX_NO_EXIT: none evaluated */
	__u32 bottleneck_len;		/* bytes at out + SPEX_KF_OUT_HDR */
	__u32 layers_run;
	__u32 reserved;
};

#define SPEX_KF_OUT_HDR		16
#define SPEX_KF_OUT_BYTES(output_bytes)	(SPEX_KF_OUT_HDR + (output_bytes))
#endif

#ifndef SPEX_RES_DECISION
#define SPEX_DECISION_EXIT	0
#define SPEX_DECISION_OFFLOAD	1
#define SPEX_DECISION_FINAL	2
#define SPEX_NO_EXIT		0xffffffffu
#define SPEX_RES_DECISION(r)	((__u32)(r) & 0x3)
#define SPEX_RES_FORCED(r)	(((__u32)(r) >> 2) & 0x1)
#define SPEX_RES_LOW_CONF(r)	(((__u32)(r) >> 3) & 0x1)
#define SPEX_RES_CLASS(r)	(((__u32)(r) >> 4) & 0x3ff)
#define SPEX_RES_CONF(r)	(((__u32)(r) >> 14) & 0x1ffff)
#endif

#endif /* SPEX_KFUNC_BPF_H */
