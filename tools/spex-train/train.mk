# SPDX-License-Identifier: MIT OR GPL-2.0
# tools/spex-train: the trainer, its datasets, the results table and the
# training benchmark (see Documentation/training.rst).
#
#   make datasets      fetch + convert MNIST and Fashion-MNIST (cached)
#   make results       train every configuration of the results table (3
#                      seeds, beside the PyTorch peer) and write
#                      Documentation/results.rst (see results.sh)
#   make bench-train   training time per epoch against density

TRAIN_LIB_SRCS	:= tools/spex-train/net_build.c tools/spex-train/net_forward.c \
		   tools/spex-train/net_backward.c tools/spex-train/net_optim.c \
		   tools/spex-train/net_shard.c tools/spex-train/train.c \
		   tools/spex-train/plan.c \
		   tools/spex-train/quant.c tools/spex-train/config.c
TRAIN_BIN	:= $(BIN_DIR)/spex-train
TRAIN_OBJS	:= $(TRAIN_LIB_SRCS:%.c=$(BUILD)/rel/%.o) \
		   $(BUILD)/rel/tools/spex-train/spex-train.o
TOOLS_BINS	+= $(TRAIN_BIN)
# The trainer sees core through <spex/engine.h> (patterns, int8
# arithmetic, exit policy, writer and content hash).
INC.tools/spex-train	:= $(ENGINE_INC)
# Unit tests (tests/unit/test_train*.c, test_idx.c) link the library part.
# gnuplot and python3-torch (scripts/deps/train.list) are installed by
# `make results` only.
UNIT_EXTRA	+= $(TRAIN_LIB_SRCS)

# The sparse passes are loops over edges x batch: let the compiler
# vectorize them (no fast-math: results stay deterministic and exact).
$(BUILD)/rel/tools/spex-train/%.o: CFLAGS += -O3

all: $(TRAIN_BIN)
install: install-spex-train
install-spex-train: $(TRAIN_BIN)
	install -D -m 0755 $< $(DESTDIR)$(PREFIX)/bin/spex-train
.PHONY: install-spex-train

$(TRAIN_BIN): $(TRAIN_OBJS) $(TOOLS_COMMON_LIB) $(CORE_REL_LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ -lm -pthread

.PHONY: datasets results bench-train
datasets:
	$(Q)scripts/get-datasets.sh

results: $(TRAIN_BIN)
	$(Q)scripts/deps.sh train datasets
	$(Q)scripts/get-datasets.sh
	$(Q)tools/spex-train/results.sh $(TRAIN_BIN)

bench: bench-train
bench-train: $(TRAIN_BIN)
	$(Q)scripts/get-datasets.sh mnist
	$(Q)tools/spex-train/bench-train.sh $(TRAIN_BIN)
