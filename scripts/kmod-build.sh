#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build spex.ko (and the companion spex_kapi_test.ko) for one kernel.
#
#   scripts/kmod-build.sh KVER [OUTDIR]     (default build/kmod/KVER)
#
# KVER 6.12-debug is the debug kernel of scripts/build-debug-kernel.sh,
# built against its kbuild tree in the cache (build that kernel first).
#
# Kbuild writes objects next to the sources it compiles, so two kernels
# built from one tree would overwrite each other. Each kernel gets its
# own OUTDIR holding symlinks to the sources (Kbuild, kmod/, core/,
# tests/kapi/, include/) and the objects of that kernel only.
#
# Module BTF (for bpf programs on the spex tracepoints): kbuild adds it
# when the kernel's build tree has a vmlinux (Debian's 6.12 headers do).
# When the .ko comes out without a .BTF section although the kernel has
# CONFIG_DEBUG_INFO_BTF_MODULES (Debian's 6.1), run pahole against the
# vmlinux extracted from /boot/vmlinuz-KVER, then resolve_btfids (the
# kfunc set's ids; scripts/get-resolve-btfids.sh), as kbuild would.
set -eu

[ $# -ge 1 ] || { echo "usage: $0 KVER [OUTDIR]" >&2; exit 2; }
kver=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${2:-$repo/build/kmod/$kver}
kdir=/lib/modules/$kver/build
if [ "$kver" = 6.12-debug ]; then
	kdir=$("$repo/scripts/build-debug-kernel.sh" --where)/obj || exit 1
fi
[ -e "$kdir/Makefile" ] || { echo "kmod-build: no kbuild tree for $kver at $kdir" >&2; exit 1; }

# The symlink tree; stale links (removed sources) are dropped.
mkdir -p "$out"
out=$(cd "$out" && pwd)
ln -sfn "$repo/Kbuild" "$out/Kbuild"
ln -sfn "$repo/include" "$out/include"
for d in kmod kmod/probes core core/include/spex tests/kapi; do
	mkdir -p "$out/$d"
	find "$out/$d" -maxdepth 1 -type l ! -exec test -e {} \; -delete
	for f in "$repo/$d"/*.c "$repo/$d"/*.h; do
		[ -e "$f" ] || continue
		ln -sfn "$f" "$out/$d/$(basename "$f")"
	done
done

make -C "$kdir" M="$out" modules

# Module BTF, where kbuild could not add it.
config=/boot/config-$kver
[ -r "$config" ] || config=$kdir/.config
if grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$config" 2>/dev/null &&
	command -v pahole > /dev/null; then
	for ko in "$out"/*.ko; do
		readelf -S "$ko" | grep -q '\.BTF[[:space:]]' && continue
		base=$out/vmlinux
		if [ ! -s "$base" ] || [ "/boot/vmlinuz-$kver" -nt "$base" ]; then
			"$repo/scripts/extract-vmlinux.sh" "/boot/vmlinuz-$kver" "$base"
		fi
		flags=$(PAHOLE=pahole "$kdir/scripts/pahole-flags.sh" 2>/dev/null || true)
		echo "  BTF [M] $ko (pahole --btf_base $base)"
		# shellcheck disable=SC2086 # pahole options, one per word
		LLVM_OBJCOPY=objcopy pahole -J $flags --btf_base "$base" "$ko"
		if readelf -S "$ko" | grep -q '\.BTF_ids'; then
			rbt=$("$repo/scripts/get-resolve-btfids.sh" "$kver" \
				"$repo/build/tools/resolve_btfids")
			echo "  BTFIDS  $ko"
			"$rbt" -b "$base" "$ko"
		fi
	done
fi
