# SPDX-License-Identifier: MIT OR GPL-2.0
# tests/vm/: the QEMU guest harness, and the debug kernel it can boot
# (scripts/build-debug-kernel.sh, tests/vm/debug-kernel.config), built
# into the user's cache.
#
#   make debug-kernel   build (or find cached) the debug kernel

.PHONY: debug-kernel
DEPS_GROUPS	+= debugkernel vm

debug-kernel: deps
	$(Q)scripts/build-debug-kernel.sh
