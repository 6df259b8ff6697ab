# SPDX-License-Identifier: MIT OR GPL-2.0
# tools/spex-serve: the tail server (release core, liburing, pthreads).

SPEX_SERVE_BIN	:= $(BIN_DIR)/spex-serve
TOOLS_BINS	+= $(SPEX_SERVE_BIN)

# The engine and the wire format (<spex/wire.h>, shared with libspex).
SERVE_INC	:= -Iinclude/uapi -Icore/include -Ilib/include

# spex-serve.c: TCP and the process; serve_udp.c: the datagram listener;
# serve_frame.c: the checks and the answer both transports share.
SPEX_SERVE_SRCS	:= tools/spex-serve/spex-serve.c tools/spex-serve/serve_udp.c \
		   tools/spex-serve/serve_frame.c

$(SPEX_SERVE_BIN): $(SPEX_SERVE_SRCS) lib/include/spex/wire.h $(TOOLS_COMMON_LIB) $(CORE_REL_LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(SERVE_INC) $(CFLAGS) $(DEPFLAGS) $(SPEX_SERVE_SRCS) $(TOOLS_COMMON_LIB) $(CORE_REL_LIB) \
		-o $@ $(URING_LIBS) -lpthread -lm
