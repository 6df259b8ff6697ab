# SPDX-License-Identifier: MIT OR GPL-2.0
# core/: the freestanding engine, built here as a static library in two
# flavours: release ($(BUILD)/rel) and ASan+UBSan ($(BUILD)/san).
# The kernel module compiles the same files through Kbuild.

CORE_SRCS	:= $(sort $(wildcard core/*.c))
ifneq ($(ARCH),x86_64)
CORE_SRCS	:= $(filter-out %_avx2.c,$(CORE_SRCS))
endif

CORE_REL_OBJS	:= $(CORE_SRCS:%.c=$(BUILD)/rel/%.o)
CORE_SAN_OBJS	:= $(CORE_SRCS:%.c=$(BUILD)/san/%.o)
CORE_REL_LIB	:= $(BUILD)/rel/libspexcore.a
CORE_SAN_LIB	:= $(BUILD)/san/libspexcore.a

all: $(CORE_REL_LIB) $(CORE_SAN_LIB)

# Object rules shared by every userspace part; *_avx2.c get AVX2 flags.
$(BUILD)/rel/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(if $(findstring _avx2,$<),$(AVX2_CFLAGS)) $(DEPFLAGS) -c $< -o $@

$(BUILD)/san/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN_CFLAGS) $(if $(findstring _avx2,$<),$(AVX2_CFLAGS)) $(DEPFLAGS) -c $< -o $@

$(CORE_REL_LIB): $(CORE_REL_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(CORE_SAN_LIB): $(CORE_SAN_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^
