# SPDX-License-Identifier: MIT OR GPL-2.0
# tests/edge: the edge datapath's tests in the QEMU guest (make check runs
# the "edge" suite: scripts/check-edge.sh), and make bench-edge.

EDGE_TEST_BUILD	:= $(BUILD)/edge
EDGE_SENSOR	:= $(EDGE_TEST_BUILD)/edge_sensor
EDGE_TEST_INC	:= -Iinclude/uapi -Ilib/include -Icore/include \
		   -Itools/common -Ibpf -I$(BUILD)/bpf
all: $(EDGE_SENSOR)

$(EDGE_SENSOR): tests/edge/edge_sensor.c bpf/spex_edge.h core/include/spex/engine.h \
		include/uapi/linux/spex_edge.h $(BUILD)/bpf/spex_echo.skel.h \
		$(TOOLS_COMMON_LIB) $(LIBSPEX_A)
	@mkdir -p $(@D)
	$(Q)$(CC) -D_GNU_SOURCE $(EDGE_TEST_INC) $(CFLAGS) \
		tests/edge/edge_sensor.c $(TOOLS_COMMON_LIB) $(LIBSPEX_A) \
		-o $@ -lbpf -lelf -lz $(URING_LIBS) -lm

CHECK_SUITES	+= edge

# make bench-edge: the datapath against the userspace pipeline and a bare
# XDP_TX echo, in the guest on every kernel (emulated: ratios only).
.PHONY: bench-edge
bench: bench-edge
bench-edge: all kmod
	$(Q)scripts/bench-edge.sh
