# SPDX-License-Identifier: MIT OR GPL-2.0
# tools/spex-trace: the loader and CLI for bpf/spex_trace.bpf.c, built
# against its skeleton ($(BUILD)/bpf/spex_trace.skel.h, from bpf/bpf.mk,
# which the Makefile includes after this file) and libbpf.

SPEX_TRACE_BIN	:= $(BIN_DIR)/spex-trace
SPEX_TRACE_SRCS	:= tools/spex-trace/spex-trace.c tools/spex-trace/energy.c \
		   tools/spex-trace/powercap.c
# <linux/spex.h> must be the uapi header, not include/linux/spex.h.
TOOLS_BINS	+= $(SPEX_TRACE_BIN)

$(SPEX_TRACE_BIN): $(SPEX_TRACE_SRCS) tools/spex-trace/energy.h \
		   tools/spex-trace/powercap.h bpf/spex_trace_maps.h \
		   $(BUILD)/bpf/spex_trace.skel.h
	@mkdir -p $(@D)
	$(Q)$(CC) -Iinclude/uapi -D_GNU_SOURCE -Ibpf -I$(BUILD)/bpf -Itools/spex-trace $(CFLAGS) \
		$(SPEX_TRACE_SRCS) -o $@ -lbpf -lelf -lz

install-spex-trace: $(SPEX_TRACE_BIN)
	install -D -m 0755 $< $(DESTDIR)$(PREFIX)/sbin/spex-trace
install: install-spex-trace
.PHONY: install-spex-trace
