#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# Install the Debian packages that a part of spex needs, only when missing.
#
#   scripts/deps.sh GROUP...     groups are the files scripts/deps/GROUP.list
#
# A list holds one package per line; '#' starts a comment. A line of the
# form "newest REGEX" installs the highest-versioned package whose name
# matches REGEX (used for the bookworm-security 6.12 kernel, whose package
# name carries the ABI version). Running it twice installs nothing twice.
set -eu

here=$(dirname "$0")
missing=""
updated=0

apt_update_once() {
	[ "$updated" = 1 ] && return 0
	apt-get update -qq
	updated=1
}

have() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}

resolve_newest() {
	# Already have one? Then it is the one we use.
	found=$(dpkg-query -W -f='${Package}\n' 2>/dev/null | grep -E "^$1\$" | sort -V | tail -n 1 || true)
	if [ -n "$found" ]; then
		echo "$found"
		return 0
	fi
	cands=$(apt-cache pkgnames 2>/dev/null | grep -E "^$1\$" || true)
	if [ -z "$cands" ]; then
		apt_update_once
		cands=$(apt-cache pkgnames | grep -E "^$1\$" || true)
	fi
	[ -n "$cands" ] || { echo "deps: no package matches $1" >&2; return 1; }
	echo "$cands" | sort -V | tail -n 1
}

for group in "$@"; do
	list="$here/deps/$group.list"
	[ -r "$list" ] || { echo "deps: unknown group '$group' ($list)" >&2; exit 2; }
	while read -r a b; do
		case "$a" in ''|'#'*) continue ;; esac
		if [ "$a" = newest ]; then
			pkg=$(resolve_newest "$b")
		else
			pkg=$a
		fi
		have "$pkg" || missing="$missing $pkg"
	done < "$list"
done

[ -n "$missing" ] || exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
apt_update_once
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
