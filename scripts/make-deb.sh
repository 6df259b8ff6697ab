#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# Build spex's Debian packages (debian/) with dpkg-buildpackage from a
# copy of the tree, then run lintian on them.
#
#   scripts/make-deb.sh [OUT]    default OUT: build/deb
#
# The copy holds the files git knows (tracked, or new and not ignored),
# so build/ and other local state never reach a package. The .deb files
# land in OUT; lintian's report in OUT/lintian.txt. Exits non-zero if the
# build fails or lintian reports an error; warnings are printed and
# listed in Documentation/packaging.rst with their reasons.
set -eu

out=${1:-build/deb}
ver=$(dpkg-parsechangelog -S Version -l debian/changelog)
src=$out/spex-$ver

rm -rf "$out"
mkdir -p "$src"
git ls-files -z --cached --others --exclude-standard |
	xargs -0 cp --parents -a -t "$src" 2>/dev/null || true
# deleted-but-tracked files make cp complain; everything else must be there
[ -f "$src/debian/rules" ] || { echo "make-deb: copying the tree failed" >&2; exit 1; }

echo "  DEB     spex $ver in $out"
(cd "$src" && DEB_BUILD_OPTIONS="parallel=2 ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "make-deb: dpkg-buildpackage failed; the log is $out/build.log" >&2
	exit 1
}
ls "$out"/*.deb
lintian --fail-on error --display-level '>=warning' --info \
	"$out"/spex_"$ver"_*.changes > "$out/lintian.txt" 2>&1
rc=$?
cat "$out/lintian.txt"
exit $rc
