# SPDX-License-Identifier: MIT OR GPL-2.0
# Unit tests: every tests/unit/test_*.c is one program, built twice:
# against the release core and against the ASan+UBSan core.

# White-box: unit tests and their helpers may read core's private headers.
UNIT_INC	:= $(ENGINE_INC) $(CORE_PRIV_INC) -Itests/common -Itools/common
INC.tests/unit	:= $(UNIT_INC)
INC.tests/common := $(UNIT_INC)

UNIT_SRCS	:= $(sort $(wildcard tests/unit/test_*.c))
UNIT_HELPERS	:= $(sort $(filter-out tests/unit/test_%,$(wildcard tests/unit/*.c)) $(wildcard tests/common/*.c) \
		   $(wildcard tools/common/*.c) $(UNIT_EXTRA))
UNIT_REL_BINS	:= $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/rel/tests/%)
UNIT_SAN_BINS	:= $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/san/tests/%)

all: $(UNIT_REL_BINS) $(UNIT_SAN_BINS)

$(BUILD)/rel/tests/%: tests/unit/%.c $(UNIT_HELPERS:%.c=$(BUILD)/rel/%.o) $(CORE_REL_LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(UNIT_INC) -DSPEX_SRCDIR=\"$(CURDIR)\" $(CFLAGS) -Wno-missing-field-initializers $(DEPFLAGS) $^ -o $@ -lm -pthread

$(BUILD)/san/tests/%: tests/unit/%.c $(UNIT_HELPERS:%.c=$(BUILD)/san/%.o) $(CORE_SAN_LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(UNIT_INC) -DSPEX_SRCDIR=\"$(CURDIR)\" $(CFLAGS) -Wno-missing-field-initializers $(SAN_CFLAGS) $(DEPFLAGS) $^ -o $@ -lm -pthread

CHECK_SUITES	+= unit
