# SPDX-License-Identifier: MIT OR GPL-2.0
# core/: the freestanding engine, built here as a static library in two
# flavours: release ($(BUILD)/rel) and ASan+UBSan ($(BUILD)/san).
# The kernel module compiles the same files through Kbuild.

# Include paths. Code outside core/ sees the engine only through
# <spex/engine.h> (ENGINE_INC); the private headers of core/ (CORE_PRIV_INC)
# are for core itself and its white-box consumers: the unit tests, the
# fuzzer and the kernel microbenchmark (tools/spex-bench).
ENGINE_INC	:= -Iinclude/uapi -Icore/include
CORE_PRIV_INC	:= -Icore
INC.core	:= $(ENGINE_INC)

CORE_SRCS	:= $(sort $(wildcard core/*.c))
ifneq ($(ARCH),x86_64)
CORE_SRCS	:= $(filter-out %_avx2.c %_avx512.c %_avx512vnni.c %_avxvnni.c,$(CORE_SRCS))
endif

# Per-ISA flags by file suffix: *_avx2.c, *_avx512.c (F/BW/VL/DQ),
# *_avx512vnni.c, *_avxvnni.c. The last three are userspace only: Kbuild
# does not list them (Documentation/kmod.rst says why).
AVX512_CFLAGS	:= $(AVX2_CFLAGS) -mavx512f -mavx512bw -mavx512vl -mavx512dq
isa_cflags	= $(strip \
	$(if $(findstring _avx2.c,$<),$(AVX2_CFLAGS)) \
	$(if $(findstring _avx512.c,$<),$(AVX512_CFLAGS)) \
	$(if $(findstring _avx512vnni.c,$<),$(AVX512_CFLAGS) -mavx512vnni) \
	$(if $(findstring _avxvnni.c,$<),$(AVX2_CFLAGS) -mavxvnni))

CORE_REL_OBJS	:= $(CORE_SRCS:%.c=$(BUILD)/rel/%.o)
CORE_SAN_OBJS	:= $(CORE_SRCS:%.c=$(BUILD)/san/%.o)
CORE_REL_LIB	:= $(BUILD)/rel/libspexcore.a
CORE_SAN_LIB	:= $(BUILD)/san/libspexcore.a

all: $(CORE_REL_LIB) $(CORE_SAN_LIB)

# Object rules shared by every userspace part; *_<isa>.c get isa_cflags.
# A source in directory D gets the include paths INC.D, set by the
# fragment that owns D (no global -I).
src_inc		= $(INC.$(patsubst %/,%,$(dir $<)))
$(BUILD)/rel/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(src_inc) $(CFLAGS) $(isa_cflags) $(DEPFLAGS) -c $< -o $@

$(BUILD)/san/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(src_inc) $(CFLAGS) $(SAN_CFLAGS) $(isa_cflags) $(DEPFLAGS) -c $< -o $@

$(CORE_REL_LIB): $(CORE_REL_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(CORE_SAN_LIB): $(CORE_SAN_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^
