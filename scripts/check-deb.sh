#!/bin/bash
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# Install the Debian packages (make deb) in a throw-away root, build
# spex.ko through DKMS for Debian's 6.12 there, then boot that kernel in
# the QEMU guest and use what the packages installed: insmod the DKMS
# module, spexctl info, load, one inference run, and the Python binding.
# TAP-ish lines, ending with "N passed, N failed". Not part of make check
# (the DKMS build alone takes minutes): make check-deb.
#
#   scripts/check-deb.sh [DEBDIR]      default DEBDIR: build/deb
#
# The root is the host's /usr, /etc and /var under overlayfs (each with
# its own upper directory in DEBDIR/check), in a private mount namespace:
# dpkg, the maintainer scripts and DKMS write only to the upper
# directories, and the host is untouched. Needs root (mount, chroot).
set -u

BUILD=${BUILD:-build}
debdir=$(cd "${1:-$BUILD/deb}" && pwd)
work=$debdir/check
kver=$(scripts/list-kernels.sh | grep '^6\.12' | tail -n 1)
ver=$(dpkg-parsechangelog -S Version -l debian/changelog)
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok $((pass + fail)) - $1"; }
not_ok() {
	fail=$((fail + 1))
	echo "not ok $((pass + fail)) - $1"
	[ -s "$work/err" ] && sed 's/^/#   /' "$work/err" | tail -n 30
	return 0
}
check() {	# check NAME COMMAND...
	name=$1
	shift
	if "$@" >"$work/out" 2>"$work/err"; then ok "$name"; else not_ok "$name"; fi
}
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit; }

[ "$(id -u)" = 0 ] || { echo "not ok - check-deb needs root"; echo "0 passed, 1 failed"; exit 1; }
[ -n "$kver" ] || { echo "not ok - no 6.12 kernel (scripts/list-kernels.sh)"; echo "0 passed, 1 failed"; exit 1; }
debs=$(ls "$debdir"/*_"$ver"_*.deb 2>/dev/null)
[ -n "$debs" ] || { echo "not ok - no packages in $debdir (make deb)"; echo "0 passed, 1 failed"; exit 1; }
rm -rf "$work"
mkdir -p "$work/root" "$work/debs"
cp $debs "$work/debs/"
for d in usr etc var; do mkdir -p "$work/up/$d" "$work/wk/$d"; done

# 1. In a private mount namespace: the overlay root, dpkg -i, DKMS.
cat > "$work/inroot.sh" <<IN
set -eu
r=$work/root
for d in usr etc var; do
	mkdir -p \$r/\$d
	mount -t overlay overlay -o lowerdir=/\$d,upperdir=$work/up/\$d,workdir=$work/wk/\$d \$r/\$d
done
for l in bin sbin lib lib64; do ln -sfn usr/\$l \$r/\$l; done
mkdir -p \$r/proc \$r/sys \$r/dev \$r/tmp \$r/run \$r/debs
mount -t proc proc \$r/proc
mount --rbind /sys \$r/sys
mount --rbind /dev \$r/dev
mount -t tmpfs tmpfs \$r/tmp
mount -t tmpfs tmpfs \$r/run
mount --bind $work/debs \$r/debs
chroot \$r /bin/sh -c '
	set -e
	echo "== dpkg -i"
	DEBIAN_FRONTEND=noninteractive dpkg -i /debs/*.deb
	# postinst (dh_dkms) built it for every kernel with headers; build
	# it here only if that skipped $kver.
	if ! dkms status -m spex -v $ver -k $kver | grep -q installed; then
		echo "== dkms build"
		dkms build -m spex -v $ver -k $kver
		dkms install -m spex -v $ver -k $kver
	fi
	dkms status -m spex
	dkms status -m spex -v $ver -k $kver | grep -q installed
	getent group spex
'
IN
unshare --mount --propagation private sh "$work/inroot.sh" > "$work/install.log" 2>&1
rc=$?
cp "$work/install.log" "$work/err"
[ $rc -eq 0 ] && ok "dpkg -i every package; spex/$ver built and installed by DKMS for $kver" ||
	not_ok "dpkg -i every package; spex/$ver built and installed by DKMS for $kver"
[ $rc -eq 0 ] || finish

up=$work/up
ko=$(find "$up/usr/lib/modules/$kver" -name 'spex.ko*' 2>/dev/null | head -n 1)
: > "$work/err"
check "DKMS put spex.ko under /lib/modules/$kver" test -n "$ko"
check "its vermagic is $kver" sh -c "modinfo -F vermagic '$ko' | grep -q '^$kver '"
check "postinst created group spex" grep -q '^spex:' "$up/etc/group"
check "the udev rule is installed" grep -q 'GROUP="spex"' "$up/usr/lib/udev/rules.d/60-spex.rules"
check "man spexctl finds the installed page" sh -c "MANPATH='$up/usr/share/man' man -w spexctl | grep -q '$up'"
check "man 3 spex_open and man 4 spex" sh -c "MANPATH='$up/usr/share/man' man -w 3 spex_open && MANPATH='$up/usr/share/man' man -w 4 spex"
check "pkg-config finds spex" sh -c "PKG_CONFIG_PATH='$up/usr/lib/$arch/pkgconfig' pkg-config --modversion spex"
for t in spexctl spex-serve spex-train spex-bench; do
	check "$t installed in /usr/bin" test -x "$up/usr/bin/$t"
done
for t in spex-trace spex-edge; do
	check "$t installed in /usr/sbin" test -x "$up/usr/sbin/$t"
done
[ -n "$ko" ] || finish

# 2. In the guest (6.12): the installed module and tools, from the upper
# directories, which the guest sees through the repo share.
"$BUILD/lib/tests/mksplit" "$work" 50 > /dev/null || { echo "not ok - mksplit"; fail=$((fail + 1)); finish; }
ctl=$up/usr/bin/spexctl
pyp=$up/usr/lib/python3/dist-packages
cat > "$work/guest.sh" <<G
set -u
n=0
t() { n=\$((n + 1)); if "\$@" > /tmp/o 2>&1; then echo "ok - \$n"; else echo "not ok - \$n"; sed 's/^/#   /' /tmp/o; fi; }
t insmod "$ko"
t sh -c "'$ctl' info | tee /dev/stderr | grep -q '^backend: *device'"
id=\$('$ctl' -q load '$work/head.spx')
t test -n "\$id"
t sh -c "'$ctl' infer \$id '$work/inputs.raw' | tee /dev/stderr | grep -q '^50 inputs on the device backend'"
t sh -c "'$ctl' --json stats \$id | grep -q '\"jobs\":50'"
t env PYTHONPATH='$pyp' LD_LIBRARY_PATH='$up/usr/lib/$arch' python3 -c '
import numpy as np, spex
with spex.Spex(backend="device") as s:
    m = s.load("$work/head.spx")
    x = np.fromfile("$work/inputs.raw", dtype=np.int8).reshape(50, -1)
    r = m.infer(x)
    assert s.backend == "device" and len(r) == 50 and (r.res == 0).all()
    print(s.backend, m, r.class_id[:8])
    m.unload()
'
t '$ctl' unload \$id
t rmmod spex
G
out=$(tests/vm/run-guest.sh --kernel "$kver" --timeout 600 -- /bin/sh "$work/guest.sh" 2>&1)
rc=$?
echo "$out" > "$work/guest.log"
names=("insmod the DKMS-built spex.ko" "spexctl info: the device backend"
       "spexctl -q load prints an id" "spexctl infer: 50 inputs on the device"
       "spexctl --json stats: 50 jobs" "python3-spex loads a model on /dev/spex"
       "spexctl unload" "rmmod spex")
i=0
while read -r line; do
	case "$line" in
	"ok - "*) ok "guest: ${names[$i]}"; i=$((i + 1)) ;;
	"not ok - "*) echo "$out" | grep '^#' > "$work/err"; not_ok "guest: ${names[$i]}"; i=$((i + 1)) ;;
	esac
done <<EOF2
$(echo "$out" | grep -E '^(not )?ok - ')
EOF2
[ "$i" -eq "${#names[@]}" ] || { echo "$out" | tail -n 20 > "$work/err"; not_ok "guest ran every step (exit $rc)"; }
[ "$rc" -eq 0 ] || [ "$fail" -gt 0 ] || { echo "$out" | tail -n 20 > "$work/err"; not_ok "guest exit status $rc"; }
finish
