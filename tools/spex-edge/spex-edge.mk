# SPDX-License-Identifier: MIT OR GPL-2.0
# tools/spex-edge: the loader, CLI and forwarder for bpf/spex_edge.bpf.c,
# built against its skeleton ($(BUILD)/bpf/spex_edge.skel.h, from
# bpf/bpf.mk), libbpf, the static libspex and the shared tool helpers.

SPEX_EDGE_BIN	:= $(BIN_DIR)/spex-edge
TOOLS_BINS	+= $(SPEX_EDGE_BIN)
SPEX_EDGE_INC	:= -Iinclude/uapi -Ilib/include -Itools/common -Ibpf -I$(BUILD)/bpf

$(SPEX_EDGE_BIN): tools/spex-edge/spex-edge.c bpf/spex_edge.h \
		  include/uapi/linux/spex_edge.h $(BUILD)/bpf/spex_edge.skel.h \
		  $(TOOLS_COMMON_LIB) $(LIBSPEX_A)
	@mkdir -p $(@D)
	$(Q)$(CC) -D_GNU_SOURCE $(SPEX_EDGE_INC) $(CFLAGS) \
		tools/spex-edge/spex-edge.c $(TOOLS_COMMON_LIB) $(LIBSPEX_A) \
		-o $@ -lbpf -lelf -lz $(URING_LIBS) -lm

install-spex-edge: $(SPEX_EDGE_BIN)
	install -D -m 0755 $< $(DESTDIR)$(PREFIX)/sbin/spex-edge
install: install-spex-edge
.PHONY: install-spex-edge
