# SPDX-License-Identifier: MIT OR GPL-2.0
# tools/spex-bench: side-by-side benchmarks (not tests). Links the release
# core and Debian's OpenBLAS (libopenblas-dev, scripts/deps/build.list).
#
#   make bench-kernels     spex-bench kernels (about 3 minutes)

BENCH_SRCS	:= $(sort $(wildcard tools/spex-bench/*.c))
BENCH_BIN	:= $(BIN_DIR)/spex-bench
BLAS_CFLAGS	:= $(shell pkg-config --cflags openblas 2>/dev/null)
BLAS_LIBS	:= $(or $(shell pkg-config --libs openblas 2>/dev/null),-lopenblas)
TOOLS_BINS	+= $(BENCH_BIN)
# White-box: bench_kernels times core's kernels, packers and staging
# directly (struct spex_fc, the kernel table), below the engine contract,
# so it reads core's private headers (Documentation/design.rst).
BENCH_INC	:= $(ENGINE_INC) $(CORE_PRIV_INC) -Itools/spex-bench

all: $(BENCH_BIN)

$(BENCH_BIN): $(BENCH_SRCS) tools/spex-bench/bench.h $(CORE_REL_LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(BENCH_INC) $(BLAS_CFLAGS) $(CFLAGS) \
		$(BENCH_SRCS) $(CORE_REL_LIB) -o $@ $(BLAS_LIBS) -lm

.PHONY: bench-kernels
bench: bench-kernels
bench-kernels: $(BENCH_BIN)
	$(Q)$(BENCH_BIN) kernels

install: install-spex-bench
install-spex-bench: $(BENCH_BIN)
	install -D -m 0755 $< $(DESTDIR)$(PREFIX)/bin/spex-bench
.PHONY: install-spex-bench
