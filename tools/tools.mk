# SPDX-License-Identifier: MIT OR GPL-2.0
# tools/: command-line programs. Each tool's rules live in its own
# fragment; this file only gathers them.

TOOLS_BINS	:=
# tools/common/: helpers on plain libc, no engine or library headers.
INC.tools/common :=
# Every program lands in one directory; objects stay beside their sources.
BIN_DIR		:= $(BUILD)/rel/bin

-include tools/demo/demo.mk
-include tools/bench.mk
-include tools/spex-train/train.mk
-include tools/spex-serve/spex-serve.mk
-include tools/spexctl/spexctl.mk
-include tools/spex-trace/trace.mk

all: $(TOOLS_BINS)
