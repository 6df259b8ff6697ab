# SPDX-License-Identifier: MIT OR GPL-2.0
# bpf/: CO-RE programs on the spex module's tracepoints, built with
# clang -target bpf into $(BUILD)/bpf/, with a skeleton header from
# `bpftool gen skeleton` for the loader (tools/spex-trace/).
#
#   make bpf           the objects and skeletons
#   make check         runs the "bpf" suite: scripts/check-bpf.sh
#   make bench-bpf     the tracing overhead, in the QEMU guest (also in bench)
#
# vmlinux.h is generated at build time from a kernel's BTF, never kept in
# the tree. CO-RE relocates at load, so one vmlinux.h serves every
# kernel; VMLINUX_BTF picks the source: a supported kernel's kbuild
# vmlinux (Debian's 6.12 headers ship one), else the vmlinux the QEMU
# harness extracted, else the running kernel's.

BPF_BUILD	:= $(BUILD)/bpf
BPF_CLANG	?= clang
BPF_STRIP	?= llvm-strip
BPFTOOL		?= bpftool
BPF_ARCH	:= $(patsubst x86_64,x86,$(patsubst aarch64,arm64,$(ARCH)))
BPF_MULTIARCH	:= $(shell $(CC) -print-multiarch 2>/dev/null)
VMLINUX_BTF	?= $(firstword $(wildcard /lib/modules/*/build/vmlinux) \
			$(wildcard $(BUILD)/vm/*/vmlinux) /sys/kernel/btf/vmlinux)

BPF_SRCS	:= $(sort $(wildcard bpf/*.bpf.c))
BPF_OBJS	:= $(BPF_SRCS:bpf/%.bpf.c=$(BPF_BUILD)/%.bpf.o)
BPF_SKELS	:= $(BPF_SRCS:bpf/%.bpf.c=$(BPF_BUILD)/%.skel.h)
BPF_CFLAGS	:= -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -Wall \
		   -Wno-unused-function -I$(BPF_BUILD) -Ibpf \
		   $(if $(BPF_MULTIARCH),-idirafter /usr/include/$(BPF_MULTIARCH))

DEPS_GROUPS	+= bpf
.PHONY: bpf bpf-deps
all: bpf
bpf: $(BPF_SKELS)

# A stamp, so the package check runs once per build, not per object.
bpf-deps $(BPF_BUILD)/.deps: scripts/deps/bpf.list
	$(Q)scripts/deps.sh bpf
	@mkdir -p $(BPF_BUILD) && touch $(BPF_BUILD)/.deps

$(BPF_BUILD)/vmlinux.h: | $(BPF_BUILD)/.deps
	@mkdir -p $(@D)
	@echo "  VMLINUX $@ (from $(VMLINUX_BTF))"
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(BPF_BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_BUILD)/vmlinux.h $(wildcard bpf/*.h)
	@echo "  BPF     $@"
	$(Q)$(BPF_CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPF_STRIP) -g $@.tmp && mv $@.tmp $@

.SECONDARY: $(BPF_OBJS)
$(BPF_BUILD)/%.skel.h: $(BPF_BUILD)/%.bpf.o
	@echo "  SKEL    $@"
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

CHECK_SUITES	+= bpf

# Tests (tests/bpf/): the host-side powercap test, and the job runner the
# guest tests drive spex-trace with (scripts/check-bpf.sh).
BPF_TEST_BUILD	:= $(BPF_BUILD)/tests
BPF_TEST_BINS	:= $(BPF_TEST_BUILD)/test_powercap $(BPF_TEST_BUILD)/trace_jobs
all: $(BPF_TEST_BINS)

$(BPF_TEST_BUILD)/test_powercap: tests/bpf/test_powercap.c \
		tools/spex-trace/powercap.c tools/spex-trace/powercap.h
	@mkdir -p $(@D)
	$(Q)$(CC) -Itools/spex-trace $(CFLAGS) $(filter %.c,$^) -o $@

$(BPF_TEST_BUILD)/trace_jobs: tests/bpf/trace_jobs.c tools/common/modelgen.c \
		$(CORE_REL_LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ENGINE_INC) -Itools/common -D_GNU_SOURCE $(CFLAGS) \
		-Wno-missing-field-initializers $(filter %.c,$^) $(CORE_REL_LIB) \
		-o $@ -luring -lm

# The tracing-overhead benchmark (Documentation/performance.rst): jobs/s
# at batch 64 with and without the programs attached, in the QEMU guest
# on every supported kernel. Emulated (TCG): ratios only.
.PHONY: bench-bpf
bench: bench-bpf
bench-bpf: all kmod
	$(Q)set -e; for k in $$(scripts/list-kernels.sh); do \
		echo "  BENCH   bpf $$k"; \
		tests/vm/run-guest.sh --kernel "$$k" --timeout 600 -- \
			$(abspath tests/bpf/run-in-guest.sh) $(abspath $(BUILD)/kmod/$$k) \
			$(abspath $(BPF_TEST_BUILD)) $(abspath $(SPEX_TRACE_BIN)) \
			bench | grep -E '^(#|not ok)'; \
	done

# spex_edge.bpf.c reads the frame layout from the uapi header.
$(BPF_BUILD)/spex_edge.bpf.o: BPF_CFLAGS += -Iinclude/uapi
$(BPF_BUILD)/spex_edge.bpf.o: include/uapi/linux/spex_edge.h
