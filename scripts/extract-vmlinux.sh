#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# Extract the uncompressed ELF vmlinux from an x86 bzImage (vmlinuz).
#
#   scripts/extract-vmlinux.sh VMLINUZ OUT
#
# QEMU boots an ELF vmlinux directly through its PVH entry point, which skips
# the in-guest decompression (seconds under TCG). Same idea as the kernel's
# scripts/extract-vmlinux, but the compressed payload is located exactly from
# the boot protocol header (setup_sects at 0x1f1, payload_offset at 0x248,
# payload_length at 0x24c) instead of by scanning for magic bytes.
set -eu

[ $# -eq 2 ] || { echo "usage: $0 VMLINUZ OUT" >&2; exit 2; }
in=$1
out=$2

le() {	# le OFFSET SIZE: unsigned little-endian integer from $in
	od -An -t "u$2" -j "$1" -N "$2" "$in" | tr -d ' \n'
}

[ "$(od -An -c -j 514 -N 4 "$in" | tr -d ' \n')" = HdrS ] ||
	{ echo "extract-vmlinux: $in is not a bzImage" >&2; exit 1; }
setup_sects=$(le 497 1)
[ "$setup_sects" -ne 0 ] || setup_sects=4
pl_off=$(( (setup_sects + 1) * 512 + $(le 584 4) ))
pl_len=$(le 588 4)

magic=$(od -An -t x1 -j "$pl_off" -N 6 "$in" | tr -d ' \n')
case "$magic" in
fd377a585a00*)	dec="xz -dc" ;;
28b52ffd*)	dec="zstd -dcq" ;;
1f8b*)		dec="gzip -dc" ;;
5d0000*)	dec="xz -dc --format=lzma" ;;
425a68*)	dec="bzip2 -dc" ;;
894c5a4f*)	dec="lzop -dc" ;;
02214c18*)	dec="lz4 -dc" ;;
*)	echo "extract-vmlinux: unknown payload magic $magic in $in" >&2; exit 1 ;;
esac

tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT INT TERM
# The payload's last 4 bytes are the uncompressed size (kbuild's
# size_append), which xz and zstd reject as trailing garbage: cut them off.
tail -c +"$((pl_off + 1))" "$in" | head -c "$((pl_len - 4))" | $dec > "$tmp"
[ "$(od -An -c -N 4 "$tmp" | tr -d ' \n')" = 177ELF ] ||
	{ echo "extract-vmlinux: payload of $in is not ELF" >&2; exit 1; }
mv -f "$tmp" "$out"
