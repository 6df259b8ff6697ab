# SPDX-License-Identifier: MIT OR GPL-2.0
# tools/spexctl: the CLI, linked to the static libspex (no rpath needed
# once installed) and the shared tool helpers (tools/common/).

SPEXCTL_BIN	:= $(BIN_DIR)/spexctl
TOOLS_BINS	+= $(SPEXCTL_BIN)
SPEXCTL_INC	:= -Iinclude/uapi -Ilib/include -Icore/include -Itools/common

$(SPEXCTL_BIN): tools/spexctl/spexctl.c $(TOOLS_COMMON_LIB) $(LIBSPEX_A)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(SPEXCTL_INC) $(CFLAGS) $(DEPFLAGS) \
		tools/spexctl/spexctl.c $(TOOLS_COMMON_LIB) $(LIBSPEX_A) \
		-o $@ $(URING_LIBS) -lm
