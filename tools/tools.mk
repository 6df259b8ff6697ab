# SPDX-License-Identifier: MIT OR GPL-2.0
# tools/: command-line programs. Each tool's rules live in its own
# fragment; this file only gathers them.

TOOLS_BINS	:=
# tools/common/: helpers on plain libc; only the model generator
# (modelgen.c) includes the public engine header.
INC.tools/common := $(ENGINE_INC)
# Every program lands in one directory; objects stay beside their sources.
BIN_DIR		:= $(BUILD)/rel/bin

# tools/common/: the helpers every tool shares (errors, files, clock,
# number parsing, IDX), as one archive the tools link.
TOOLS_COMMON_SRCS := $(sort $(wildcard tools/common/*.c))
TOOLS_COMMON_LIB  := $(BUILD)/rel/tools/common/libtoolscommon.a
$(TOOLS_COMMON_LIB): $(TOOLS_COMMON_SRCS:%.c=$(BUILD)/rel/%.o)
	$(Q)rm -f $@ && ar rcs $@ $^

-include tools/demo/demo.mk
-include tools/bench.mk
-include tools/spex-train/train.mk
-include tools/spex-serve/spex-serve.mk
-include tools/spexctl/spexctl.mk
-include tools/spex-trace/trace.mk
-include tools/spex-edge/spex-edge.mk
-include tools/completion/completion.mk

all: $(TOOLS_BINS)
