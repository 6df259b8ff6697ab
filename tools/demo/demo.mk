# SPDX-License-Identifier: MIT OR GPL-2.0
# The early demo: a predefined-sparse split model built with the engine's
# own API, run on a few hundred inputs (userspace engine).

DEMO_BIN	:= $(BUILD)/rel/tools/spex-demo
TOOLS_BINS	+= $(DEMO_BIN)

$(DEMO_BIN): tools/demo/spex-demo.c $(BUILD)/rel/tests/common/modelgen.o $(CORE_REL_LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) -Itests/common $(CFLAGS) $(DEPFLAGS) $^ -o $@ -lm

demo: deps $(DEMO_BIN)
	$(Q)$(DEMO_BIN) $(DEMO_ARGS)
