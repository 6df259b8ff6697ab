#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# Extract kselftest_harness.h and kselftest.h from Debian's linux-source-6.1
# package into OUTDIR (default build/kselftest). The headers are GPL-2.0 kernel
# code and are not kept in this repository; they are pulled at build time.
# Include them with -I OUTDIR: #include "kselftest_harness.h".
#
#   scripts/get-kselftest-harness.sh [OUTDIR]
#
# Set KSELFTEST_SRC to use another kernel source tarball. Extracts again only
# when the tarball changes (OUTDIR/.stamp records its path, size and mtime).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../build/kselftest}
src=${KSELFTEST_SRC:-}
if [ -z "$src" ]; then
	# linux-source-6.1 ships exactly one tarball; take the newest if more.
	for f in /usr/src/linux-source-6.1.tar.xz /usr/src/linux-source-*.tar.xz; do
		[ -r "$f" ] && { src=$f; break; }
	done
fi
if [ -z "$src" ] || [ ! -r "$src" ]; then
	echo "get-kselftest-harness: no kernel source tarball; run scripts/deps.sh vm" >&2
	exit 1
fi

headers="kselftest_harness.h kselftest.h"
stamp="$src $(stat -L -c '%s %Y' "$src")"
fresh=1
for h in $headers; do
	[ -s "$out/$h" ] || fresh=0
done
if [ "$fresh" = 1 ] && [ "$(cat "$out/.stamp" 2>/dev/null || true)" = "$stamp" ]; then
	exit 0
fi

mkdir -p "$out"
tmp=$(mktemp -d "$out/.extract.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

top=$(basename "$src" .tar.xz)
members=""
for h in $headers; do
	members="$members $top/tools/testing/selftests/$h"
done
# shellcheck disable=SC2086 # word splitting of member names is intended
tar -xJf "$src" -C "$tmp" --strip-components=4 $members
for h in $headers; do
	[ -s "$tmp/$h" ] || { echo "get-kselftest-harness: $h missing in $src" >&2; exit 1; }
	mv -f "$tmp/$h" "$out/$h"
done
printf '%s\n' "$stamp" > "$out/.stamp"
echo "get-kselftest-harness: $out/{kselftest_harness.h,kselftest.h} from $src"
