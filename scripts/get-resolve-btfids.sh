#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the path of a resolve_btfids for kernel KVER, building one if its
# kbuild tree has none. Module kfuncs need it: it writes the BTF ids of
# the kfunc set (.BTF_ids) into the .ko after pahole made its BTF.
# Debian's 6.12 headers ship tools/bpf/resolve_btfids; the 6.1 headers do
# not, so it is built from Debian's linux-source-6.1 (tools/ only) into
# OUTDIR (default build/tools/resolve_btfids), once per source tarball.
#
#   scripts/get-resolve-btfids.sh KVER [OUTDIR]
#
# Set KERNEL_SRC to use another kernel source tarball.
set -eu

[ $# -ge 1 ] || { echo "usage: $0 KVER [OUTDIR]" >&2; exit 2; }
kver=$1
here=$(cd "$(dirname "$0")" && pwd)
out=${2:-$here/../build/tools/resolve_btfids}

shipped=/lib/modules/$kver/build/tools/bpf/resolve_btfids/resolve_btfids
if [ -x "$shipped" ]; then
	echo "$shipped"
	exit 0
fi

src=${KERNEL_SRC:-}
if [ -z "$src" ]; then
	for f in /usr/src/linux-source-6.1.tar.xz /usr/src/linux-source-*.tar.xz; do
		[ -r "$f" ] && { src=$f; break; }
	done
fi
if [ -z "$src" ] || [ ! -r "$src" ]; then
	echo "get-resolve-btfids: no kernel source tarball; run scripts/deps.sh vm" >&2
	exit 1
fi

bin=$out/resolve_btfids
stamp="$src $(stat -L -c '%s %Y' "$src")"
if [ -x "$bin" ] && [ "$(cat "$out/.stamp" 2>/dev/null || true)" = "$stamp" ]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
top=$(basename "$src" .tar.xz)
echo "get-resolve-btfids: building from $src" >&2
tar -xJf "$src" -C "$tmp" "$top/tools" "$top/scripts" "$top/include/uapi" \
	"$top/arch/x86/include/uapi"
mkdir -p "$tmp/obj"
make -s -C "$tmp/$top/tools/bpf/resolve_btfids" O="$tmp/obj" >&2
mv -f "$tmp/obj/resolve_btfids" "$bin"
printf '%s\n' "$stamp" > "$out/.stamp"
echo "$bin"
