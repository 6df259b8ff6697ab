# SPDX-License-Identifier: MIT OR GPL-2.0
#
# spex top-level Makefile. Userspace parts build here with plain make; the
# kernel module builds through the top-level Kbuild (see kmod/kmod.mk).
#
#   make            build the library, tools and tests
#   make check      every test: unit (plain, ASan+UBSan), fuzz smoke, QEMU
#   make demo       the main job (userspace engine when /dev/spex is absent)
#   make bench      benchmarks (not tests)
#   make deps       install the Debian packages needed, only when missing
#   make install    PREFIX=/usr/local DESTDIR=
#
# Each part keeps its rules in its own fragment, included below.

PREFIX		?= /usr/local
DESTDIR		?=
BUILD		?= build
CC		?= gcc
CLANG		?= clang
V		?= 0
ifeq ($(V),0)
Q := @
else
Q :=
endif

ARCH		:= $(shell uname -m)
WARN		:= -Wall -Wextra -Wshadow -Wno-unused-parameter -Wstrict-prototypes
# No include paths here: each fragment gives its targets the ones they
# need (Documentation/design.rst, "Include paths").
CPPFLAGS	+= -D_GNU_SOURCE
CFLAGS		?= -O2 -g
CFLAGS		+= $(WARN) -std=gnu11 -fno-strict-aliasing
ifeq ($(ARCH),x86_64)
CPPFLAGS	+= -DSPEX_HAVE_AVX2
AVX2_CFLAGS	:= -mavx2 -mfma
endif
SAN_CFLAGS	:= -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
DEPFLAGS	= -MMD -MP

.PHONY: all check demo bench deps clean install fuzz
all:
# deps comes first among every target's prerequisites; the fragments below
# add theirs (check: kmod, bench: bench-X, install: install-X).
check: deps
bench: deps
install: all

include core/core.mk
-include lib/lib.mk
-include lib/python/python.mk
-include tools/tools.mk
include tests/unit/unit.mk
-include tests/fuzz/fuzz.mk
-include kmod/kmod.mk
-include tests/vm/vm.mk
-include bpf/bpf.mk
-include tests/edge/edge.mk
-include Documentation/man/man.mk
-include debian/deb.mk

# Every fragment adds the package groups (scripts/deps/GROUP.list) it needs.
DEPS_GROUPS	+= build
deps:
	$(Q)scripts/deps.sh $(DEPS_GROUPS)

check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/run-checks.sh $(CHECK_SUITES)

clean:
	rm -rf $(BUILD)

# Dependency files only: build/deb holds a package tree whose *.d are
# directories (rules.d, apt.conf.d).
-include $(shell find $(BUILD) -path '$(BUILD)/deb' -prune -o -name '*.d' -type f -print 2>/dev/null)
