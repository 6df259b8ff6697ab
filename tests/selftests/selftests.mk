# SPDX-License-Identifier: GPL-2.0
# tests/selftests/: kselftest-harness tests of /dev/spex, run inside the
# QEMU guest by scripts/check-vm.sh. Each *_test.c is one program, linked
# with the release core so it can compare the kernel with the userspace
# engine. kselftest_harness.h comes from Debian's linux-source at build
# time (scripts/get-kselftest-harness.sh), never from this repository.

SELFTEST_SRCS	:= $(sort $(wildcard tests/selftests/*_test.c))
SELFTEST_BINS	:= $(SELFTEST_SRCS:tests/selftests/%.c=$(BUILD)/selftests/%)
# (The generator's object is named after its source directory: an older
# build's selftests/modelgen.d still names tests/common/modelgen.c.)
SELFTEST_HELP	:= $(BUILD)/selftests/spex_st.o $(BUILD)/selftests/tools/common/modelgen.o
KSFT_DIR	:= $(BUILD)/kselftest
KSFT_HARNESS	:= $(KSFT_DIR)/kselftest_harness.h
# They compare with the userspace engine (<spex/engine.h>) and build
# the model generator (tools/common/modelgen.c).
SELFTEST_FLAGS	:= $(CPPFLAGS) $(ENGINE_INC) -Itests/common -Itools/common -Itests/selftests -I$(KSFT_DIR) \
		   $(CFLAGS) -Wno-sign-compare -Wno-shadow -Wno-missing-field-initializers \
		   -pthread

.PHONY: selftests
selftests: $(SELFTEST_BINS)

$(KSFT_HARNESS):
	$(Q)scripts/get-kselftest-harness.sh $(KSFT_DIR)

$(BUILD)/selftests/spex_st.o: tests/selftests/spex_st.c | $(KSFT_HARNESS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(SELFTEST_FLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/selftests/tools/common/modelgen.o: tools/common/modelgen.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(SELFTEST_FLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/selftests/%_test: tests/selftests/%_test.c $(SELFTEST_HELP) $(CORE_REL_LIB) | $(KSFT_HARNESS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(SELFTEST_FLAGS) $(DEPFLAGS) $< $(SELFTEST_HELP) $(CORE_REL_LIB) \
		-o $@ -luring -lm

# The kernel-module benchmark (make bench-kmod), not a test.
$(BUILD)/selftests/spex_bench: tests/selftests/spex_bench.c $(SELFTEST_HELP) $(CORE_REL_LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(SELFTEST_FLAGS) $(DEPFLAGS) $< $(SELFTEST_HELP) $(CORE_REL_LIB) \
		-o $@ -luring -lm

# The kfunc test: a BPF program (clang -target bpf, vmlinux.h from
# bpf/bpf.mk; the kfunc resolves in spex.ko's BTF at load) and its
# skeleton, linked with libbpf. It quantizes uint8 inputs as the module
# does, with spex_quant_u8() from <spex/engine.h>.
KF_BPF		:= $(BUILD)/selftests/spex_kfunc
$(KF_BPF).bpf.o: tests/selftests/spex_kfunc.bpf.c bpf/spex_kfunc.bpf.h $(BUILD)/bpf/vmlinux.h
	@mkdir -p $(@D)
	@echo "  BPF     $@"
	$(Q)$(BPF_CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPF_STRIP) -g $@.tmp && mv $@.tmp $@

$(KF_BPF).skel.h: $(KF_BPF).bpf.o
	$(Q)$(BPFTOOL) gen skeleton $< name spex_kfunc_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/selftests/spex_kfunc_test: tests/selftests/spex_kfunc_test.c $(KF_BPF).skel.h \
		$(SELFTEST_HELP) $(CORE_REL_LIB) | $(KSFT_HARNESS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(SELFTEST_FLAGS) -I$(BUILD)/selftests $(DEPFLAGS) $< $(SELFTEST_HELP) \
		$(CORE_REL_LIB) -o $@ -lbpf -luring -lm
