# SPDX-License-Identifier: MIT OR GPL-2.0
# make demo: the main job in the kernel (scripts/demo-kernel.sh,
# tools/demo/edge-demo.sh): the trained sparse split/early-exit MNIST head
# runs in XDP through spex.ko's kfunc, on the host where it can load
# modules, else in the QEMU guest; offloads go to spex-serve.
# make demo-user: the same job in userspace (scripts/demo.sh): spex-serve
# on loopback, the test set through libspex.
# spex-demo is the engine-only demo (a random model from the generator in
# tools/common/modelgen.c, on the writer API): make demo-engine.

DEMO_BIN	:= $(BIN_DIR)/spex-demo
TOOLS_BINS	+= $(DEMO_BIN)

$(DEMO_BIN): tools/demo/spex-demo.c $(TOOLS_COMMON_LIB) $(CORE_REL_LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(ENGINE_INC) -Itools/common $(CFLAGS) $(DEPFLAGS) $^ -o $@ -lm

.PHONY: demo-engine demo-user
demo: deps
	$(Q)$(MAKE) --no-print-directory all kmod
	$(Q)scripts/demo-kernel.sh

demo-user: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

demo-engine: deps $(DEMO_BIN)
	$(Q)$(DEMO_BIN) $(DEMO_ARGS)
