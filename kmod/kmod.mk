# SPDX-License-Identifier: GPL-2.0
# kmod/: spex.ko for every supported installed kernel
# (scripts/list-kernels.sh), each in its own build/kmod/KVER/ tree
# (scripts/kmod-build.sh), and the targets around it:
#
#   make kmod          build spex.ko + spex_kapi_test.ko for every kernel
#   make selftests     the kselftest programs (tests/selftests/)
#   make install-kmod  modules_install into DESTDIR (INSTALL_MOD_PATH) for
#                      every built kernel, plus the udev rule
#   make bench-kmod    the kernel-module benchmark in the guest
#   make check         runs the "vm" suite: scripts/check-vm.sh

KMOD_BUILD	:= $(BUILD)/kmod
UDEV_RULES_DIR	?= /etc/udev/rules.d

include tests/selftests/selftests.mk

.PHONY: kmod kmod-deps install-kmod bench-kmod

kmod-deps:
	$(Q)scripts/deps.sh kmod vm

kmod: kmod-deps
	$(Q)set -e; mkdir -p $(KMOD_BUILD); \
	for k in $$(scripts/list-kernels.sh); do \
		echo "  KMOD    $$k"; \
		scripts/kmod-build.sh "$$k" "$(KMOD_BUILD)/$$k" > "$(KMOD_BUILD)/$$k.log" 2>&1 || \
			{ cat "$(KMOD_BUILD)/$$k.log"; exit 1; }; \
	done

selftests: kmod-deps

install-kmod: kmod
	$(Q)set -e; for k in $$(scripts/list-kernels.sh); do \
		$(MAKE) -C /lib/modules/$$k/build M=$(abspath $(KMOD_BUILD))/$$k \
			INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=updates \
			$(if $(DESTDIR),DEPMOD=true) modules_install; \
	done
	install -D -m 0644 udev/60-spex.rules $(DESTDIR)$(UDEV_RULES_DIR)/60-spex.rules

# DKMS: the module's sources and dkms.conf under /usr/src/spex-VERSION,
# so a distribution rebuilds spex.ko for each new kernel.
SPEX_VERSION	?= 0.1.0
DKMS_SRC	:= $(DESTDIR)/usr/src/spex-$(SPEX_VERSION)
.PHONY: install-dkms
install: install-kmod install-dkms
install-dkms:
	$(Q)rm -rf $(DKMS_SRC) && mkdir -p $(DKMS_SRC)
	$(Q)set -e; for d in core core/include/spex kmod kmod/probes include/linux include/uapi/linux; do \
		mkdir -p $(DKMS_SRC)/$$d; \
		find $$d -maxdepth 1 -name '*.[ch]' -exec cp {} $(DKMS_SRC)/$$d/ \; ; \
	done
	$(Q)cp Kbuild $(DKMS_SRC)/
	$(Q)sed 's/@VERSION@/$(SPEX_VERSION)/' dkms.conf > $(DKMS_SRC)/dkms.conf

bench: bench-kmod
bench-kmod: kmod selftests $(BUILD)/selftests/spex_bench
	$(Q)scripts/bench-vm.sh

CHECK_SUITES	+= vm
check: kmod selftests
