#!/bin/bash
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# Build the debug test kernel ("6.12-debug": KASAN, lockdep, UBSAN,
# kmemleak) from Debian's linux-source-6.12 with the config fragment
# tests/vm/debug-kernel.config, and cache it.
#
#   scripts/build-debug-kernel.sh [--dir | --where]
#
# The cache is ${XDG_CACHE_HOME:-~/.cache}/spex/kernel-6.12-debug
# ($SPEX_DEBUG_KERNEL_CACHE overrides it):
#   src/           the unpacked source package
#   obj/           the kbuild tree (O=): .config, vmlinux with BTF,
#                  Module.symvers; scripts/kmod-build.sh builds against it
#   vmlinux.boot   vmlinux without its DWARF, what tests/vm/run-guest.sh boots
#   key            hash of the fragment, the source package version, the
#                  compiler and pahole, written when a build succeeded
# Nothing is done when key matches; a changed fragment rebuilds
# incrementally in obj/, a new source package from scratch. The build
# runs under nice -n 19 with -j${SPEX_DEBUG_KERNEL_JOBS:-2}. With --dir,
# print the cache directory (after building) on stdout; the build log is
# obj/build.log. With --where, only print it: exit 1, with a hint, when
# the kernel there is missing or out of date.
set -eu
set -o pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
frag=$repo/tests/vm/debug-kernel.config
tarball=/usr/src/linux-source-6.12.tar.xz
cache=${SPEX_DEBUG_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spex/kernel-6.12-debug}
jobs=${SPEX_DEBUG_KERNEL_JOBS:-2}
print_dir=0
where=0
case "${1:-}" in
--dir) print_dir=1 ;;
--where) where=1 ;;
'') ;;
*) echo "usage: $0 [--dir | --where]" >&2; exit 2 ;;
esac

die() { echo "build-debug-kernel: $*" >&2; exit 1; }
[ -r "$tarball" ] || die "$tarball missing (scripts/deps.sh debugkernel)"
pkgver=$(dpkg-query -W -f '${Version}' linux-source-6.12 2>/dev/null) ||
	die "linux-source-6.12 is not installed (scripts/deps.sh debugkernel)"
command -v pahole > /dev/null || die "pahole missing (dwarves), needed for BTF"

# Bump the "v1" when a change to this script changes what it builds.
key=$({ echo "v1 $pkgver"; cat "$frag"; gcc --version | head -n 1
	pahole --version; } | sha256sum | cut -d' ' -f1)

built() { [ "$(cat "$cache/key" 2>/dev/null)" = "$key" ] && [ -s "$cache/vmlinux.boot" ]; }
if [ "$where" = 1 ]; then
	built || die "no up-to-date debug kernel in $cache (run $0)"
	echo "$cache"
	exit 0
fi
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
exec 9> "$cache/.lock"
flock 9
if built; then
	[ "$print_dir" = 0 ] || echo "$cache"
	exit 0
fi
rm -f "$cache/key"
start=$(date +%s)

# --- source ---------------------------------------------------------------
src=$cache/src
if [ "$(cat "$src/.spex-pkgver" 2>/dev/null)" != "$pkgver" ]; then
	echo "build-debug-kernel: unpacking linux-source-6.12 $pkgver" >&2
	rm -rf "$src" "$src.tmp" "$cache/obj"
	mkdir -p "$src.tmp"
	nice -n 19 tar -xJf "$tarball" -C "$src.tmp"
	mv "$src.tmp/linux-source-6.12" "$src"
	rmdir "$src.tmp"
	echo "$pkgver" > "$src/.spex-pkgver"
fi

# --- config: allnoconfig + the fragment, every line checked ----------------
obj=$cache/obj
mkdir -p "$obj"
kmake() { nice -n 19 make -C "$src" O="$obj" ARCH=x86_64 "$@"; }
kmake -s KCONFIG_ALLCONFIG="$frag" allnoconfig
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) want=$line; sym=${line%%=*} ;;
	"# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}; want="" ;;
	*) continue ;;
	esac
	have=$(grep -E "^$sym=" "$obj/.config" || true)
	if [ "$have" != "$want" ]; then
		echo "build-debug-kernel: $sym: fragment says '${want:-n}'," \
			"Kconfig gave '${have:-n}' (a dependency is missing)" >&2
		bad=1
	fi
done < "$frag"
[ "$bad" = 0 ] || die "the config fragment does not apply"

# --- build ------------------------------------------------------------------
echo "build-debug-kernel: building in $obj (log: $obj/build.log)" >&2
if ! kmake -j"$jobs" vmlinux modules > "$obj/build.log" 2>&1; then
	tail -n 40 "$obj/build.log" >&2
	die "kernel build failed; log in $obj/build.log"
fi
objcopy --strip-debug "$obj/vmlinux" "$cache/vmlinux.boot.tmp"
mv -f "$cache/vmlinux.boot.tmp" "$cache/vmlinux.boot"
kmake -s kernelrelease > "$cache/release"
echo "$key" > "$cache/key"
echo "build-debug-kernel: $(cat "$cache/release") built in $(($(date +%s) - start))s" >&2
[ "$print_dir" = 0 ] || echo "$cache"
