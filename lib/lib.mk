# SPDX-License-Identifier: MIT OR GPL-2.0
# lib/: libspex, shared (versioned by lib/libspex.map) and static. Both
# carry their own position-independent copy of the core engine; the
# shared one exports only the LIBSPEX_* symbols.
#
#   make install-lib    library, headers, spex.pc, spexctl, spex-serve and
#                       its systemd unit
#   make check-lib      the lib suite alone (scripts/check-lib.sh)
#   make bench-lib      end-to-end latency and throughput

LIBSPEX_MAJOR	:= 1
LIBSPEX_VERSION	:= 1.0.0
LIBDIR		?= $(PREFIX)/lib
SYSTEMDUNITDIR	?= $(PREFIX)/lib/systemd/system
LIB_OUT		:= $(BUILD)/lib
# <linux/spex.h> must be the uapi header, not include/linux/spex.h.
# libspex sees core only through <spex/engine.h>; the core files it
# compiles get core's own paths (INC.core).
LIB_CPPFLAGS	:= -Iinclude/uapi -Ilib/include -Icore/include -D_GNU_SOURCE
INC.lib		:= $(LIB_CPPFLAGS)
LIB_SRCS	:= $(sort $(wildcard lib/*.c))
LIB_CORE_SRCS	:= $(filter-out core/spx_write.c,$(CORE_SRCS))
LIB_OBJS	:= $(LIB_SRCS:%.c=$(LIB_OUT)/obj/%.o) \
		   $(LIB_CORE_SRCS:%.c=$(LIB_OUT)/obj/%.o)
LIBSPEX_SO	:= $(LIB_OUT)/libspex.so.$(LIBSPEX_VERSION)
LIBSPEX_A	:= $(LIB_OUT)/libspex.a
LIBSPEX_PC	:= $(LIB_OUT)/spex.pc
URING_LIBS	:= $(or $(shell pkg-config --libs liburing 2>/dev/null),-luring)

all: $(LIBSPEX_SO) $(LIBSPEX_A) $(LIBSPEX_PC)

$(LIB_OUT)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(src_inc) $(CFLAGS) -fPIC \
		$(isa_cflags) $(DEPFLAGS) -c $< -o $@


$(LIBSPEX_SO): $(LIB_OBJS) lib/libspex.map
	$(Q)$(CC) -shared -Wl,-soname,libspex.so.$(LIBSPEX_MAJOR) \
		-Wl,--version-script=lib/libspex.map -Wl,-z,defs \
		$(LIB_OBJS) -o $@ $(URING_LIBS) -lm
	$(Q)ln -sf libspex.so.$(LIBSPEX_VERSION) $(LIB_OUT)/libspex.so.$(LIBSPEX_MAJOR)
	$(Q)ln -sf libspex.so.$(LIBSPEX_VERSION) $(LIB_OUT)/libspex.so

$(LIBSPEX_A): $(LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBSPEX_PC): lib/spex.pc.in lib/lib.mk
	@mkdir -p $(@D)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@VERSION@|$(LIBSPEX_VERSION)|' $< > $@

# Tests of the library (tests/lib/test_*.c), linked to the shared
# library so the version script is exercised too. They build the model
# generator (tools/common/modelgen.c) on the public engine header.
LIBTEST_INC	:= $(LIB_CPPFLAGS) -Itests/common -Itools/common -Itests/lib
LIBTEST_SRCS	:= $(sort $(wildcard tests/lib/test_*.c))
LIBTEST_BINS	:= $(LIBTEST_SRCS:tests/lib/%.c=$(LIB_OUT)/tests/%)
LIBTEST_HELP	:= $(wildcard tests/lib/lt_*.c) tools/common/modelgen.c
all: $(LIBTEST_BINS)

$(LIB_OUT)/tests/%: tests/lib/%.c $(LIBTEST_HELP) $(wildcard tests/lib/*.h) $(LIBSPEX_SO) $(CORE_REL_LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LIBTEST_INC) \
		-DSPEX_SRCDIR=\"$(CURDIR)\" $(CFLAGS) -pthread \
		-Wno-missing-field-initializers $< $(LIBTEST_HELP) \
		-L$(LIB_OUT) -Wl,-rpath,$(abspath $(LIB_OUT)) -lspex \
		$(CORE_REL_LIB) $(URING_LIBS) -lm -o $@

# The split network and inputs as files, for spexctl and guest tests.
MKSPLIT_BIN	:= $(LIB_OUT)/tests/mksplit
all: $(MKSPLIT_BIN)
$(MKSPLIT_BIN): tests/lib/mksplit.c $(LIBTEST_HELP) $(wildcard tests/lib/*.h) $(LIBSPEX_SO) $(CORE_REL_LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LIBTEST_INC) \
		-DSPEX_SRCDIR=\"$(CURDIR)\" $(CFLAGS) -pthread $< $(LIBTEST_HELP) \
		-L$(LIB_OUT) -Wl,-rpath,$(abspath $(LIB_OUT)) -lspex \
		$(CORE_REL_LIB) $(URING_LIBS) -lm -o $@

# Not a test: end-to-end latency and throughput (make bench-lib).
BENCH_LIB_BIN	:= $(LIB_OUT)/bench_lib
all: $(BENCH_LIB_BIN)
$(BENCH_LIB_BIN): tests/lib/bench_lib.c $(LIBTEST_HELP) $(wildcard tests/lib/*.h) $(LIBSPEX_SO) $(CORE_REL_LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LIBTEST_INC) \
		-DSPEX_SRCDIR=\"$(CURDIR)\" $(CFLAGS) -pthread $< $(LIBTEST_HELP) \
		-L$(LIB_OUT) -Wl,-rpath,$(abspath $(LIB_OUT)) -lspex \
		$(CORE_REL_LIB) $(URING_LIBS) -lm -o $@

# The benchmarks below also need tools (tools/common, spex-serve), whose
# fragment is read after this one: their prerequisites name them as $$(X),
# expanded once every fragment has been read.
.SECONDEXPANSION:

# Not a test: the offload decision under a shaped link (make bench-net).
BENCH_NET_BIN	:= $(LIB_OUT)/bench_net
all: $(BENCH_NET_BIN)
$(BENCH_NET_BIN): tests/lib/bench_net.c $(LIBSPEX_SO) $$(TOOLS_COMMON_LIB) $(CORE_REL_LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LIBTEST_INC) $(CFLAGS) $< $(TOOLS_COMMON_LIB) \
		-L$(LIB_OUT) -Wl,-rpath,$(abspath $(LIB_OUT)) -lspex $(CORE_REL_LIB) -lm -o $@

.PHONY: bench-net
bench-net: $(BENCH_NET_BIN) $$(SPEX_SERVE_BIN)
	$(Q)BUILD=$(BUILD) scripts/bench-net.sh

# Not a test: tails direct and behind HAProxy, pipelining (make bench-tail).
BENCH_TAIL_BIN	:= $(LIB_OUT)/bench_tail
all: $(BENCH_TAIL_BIN)
$(BENCH_TAIL_BIN): tests/lib/bench_tail.c $(LIBTEST_HELP) $(wildcard tests/lib/*.h) $(LIBSPEX_SO) $(CORE_REL_LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LIBTEST_INC) \
		-DSPEX_SRCDIR=\"$(CURDIR)\" $(CFLAGS) -pthread $< $(LIBTEST_HELP) \
		-L$(LIB_OUT) -Wl,-rpath,$(abspath $(LIB_OUT)) -lspex \
		$(CORE_REL_LIB) $(URING_LIBS) -lm -o $@

.PHONY: bench-tail
bench: bench-tail
bench-tail: $(BENCH_TAIL_BIN) $$(SPEX_SERVE_BIN)
	$(Q)SPEX_SERVE=$(SPEX_SERVE_BIN) nice -n 19 $(BENCH_TAIL_BIN)

CHECK_SUITES	+= lib
DEPS_GROUPS	+= tail

.PHONY: check-lib install-lib bench-lib
check-lib: all
	$(Q)scripts/run-checks.sh lib

bench: bench-lib
bench-lib: $(BENCH_LIB_BIN) $$(SPEX_SERVE_BIN)
	$(Q)SPEX_SERVE=$(SPEX_SERVE_BIN) $(BENCH_LIB_BIN)

# The same benchmark on /dev/spex inside the QEMU guest (emulated).
.PHONY: bench-lib-vm
bench: bench-lib-vm
bench-lib-vm: $(BENCH_LIB_BIN) $$(SPEX_SERVE_BIN) kmod
	$(Q)BUILD=$(BUILD) scripts/bench-lib-vm.sh

install: install-lib
install-lib: all
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/include/spex \
		$(DESTDIR)$(PREFIX)/include/linux $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(LIBSPEX_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libspex.so.$(LIBSPEX_VERSION) $(DESTDIR)$(LIBDIR)/libspex.so.$(LIBSPEX_MAJOR)
	ln -sf libspex.so.$(LIBSPEX_VERSION) $(DESTDIR)$(LIBDIR)/libspex.so
	install -m 0644 $(LIBSPEX_A) $(DESTDIR)$(LIBDIR)/
	install -m 0644 $(LIBSPEX_PC) $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 0644 lib/include/spex/libspex.h lib/include/spex/wire.h \
		$(DESTDIR)$(PREFIX)/include/spex/
	install -m 0644 include/uapi/linux/spex.h $(DESTDIR)$(PREFIX)/include/linux/
	install -m 0755 $(SPEXCTL_BIN) $(SPEX_SERVE_BIN) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|@BINDIR@|$(PREFIX)/bin|' tools/spex-serve/spex-serve.service.in \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/spex-serve.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/spex-serve.service
