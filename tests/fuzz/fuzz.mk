# SPDX-License-Identifier: MIT OR GPL-2.0
# libFuzzer target for the .spx loader + engine (clang, ASan + UBSan).
#
#   make fuzz [FUZZ_SECONDS=300]   fuzz for that long (corpus kept in build/)
#   make check                     runs it for 60 s (scripts/check-fuzz.sh)
# A crash leaves its input in $(FUZZ_DIR)/artifacts/; copy it into
# tests/fuzz/regressions/ (as NAME.spxf) so test_fuzz_regressions keeps it.

FUZZ_DIR	:= $(BUILD)/fuzz
# White-box, like the unit tests.
FUZZ_INC	:= $(ENGINE_INC) $(CORE_PRIV_INC) -Itests/common
FUZZ_SECONDS	?= 300
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS	:= -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
		   -Wall -Wno-unused-parameter -std=gnu11
FUZZ_OBJS	:= $(CORE_SRCS:%.c=$(FUZZ_DIR)/%.o) $(FUZZ_DIR)/tests/common/fuzz_one.o

$(FUZZ_DIR)/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(CPPFLAGS) $(src_inc) $(FUZZ_CFLAGS) $(isa_cflags) -MMD -MP -c $< -o $@

$(FUZZ_DIR)/fuzz_spx: tests/fuzz/fuzz_spx.c $(FUZZ_OBJS)
	$(Q)$(CLANG) $(CPPFLAGS) $(FUZZ_INC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ -o $@ -lm

$(FUZZ_DIR)/mkcorpus: tests/fuzz/mkcorpus.c $(BUILD)/rel/tools/common/modelgen.o $(CORE_REL_LIB)
	$(Q)$(CC) $(CPPFLAGS) $(ENGINE_INC) -Itools/common $(CFLAGS) $^ -o $@ -lm

# The seed corpus is made by the build from the model generator.
$(FUZZ_DIR)/seeds/.stamp: $(FUZZ_DIR)/mkcorpus
	$(Q)rm -rf $(FUZZ_DIR)/seeds && $< $(FUZZ_DIR)/seeds && touch $@

all: $(FUZZ_DIR)/fuzz_spx $(FUZZ_DIR)/seeds/.stamp

fuzz: deps $(FUZZ_DIR)/fuzz_spx $(FUZZ_DIR)/seeds/.stamp
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/check-fuzz.sh

CHECK_SUITES	+= fuzz
