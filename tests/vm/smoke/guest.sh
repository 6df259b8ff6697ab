#!/bin/bash
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# Runs inside the guest (tests/vm/smoke.sh): load hello.ko from DIR, check
# that it is live, unload it, check that it is gone.
#
#   tests/vm/smoke/guest.sh DIR
set -eu

ko=$1/hello.ko
fail() { echo "smoke: FAIL: $*" >&2; exit 1; }

[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$(uname -r)" ] ||
	fail "hello.ko vermagic does not match $(uname -r)"
insmod "$ko" || fail "insmod $ko"
[ -d /sys/module/hello ] || fail "/sys/module/hello missing after insmod"
[ "$(cat /sys/module/hello/initstate)" = live ] || fail "hello not live"
dmesg | grep -q 'hello: loaded' || fail "no load message in dmesg"
rmmod hello || fail "rmmod hello"
[ ! -e /sys/module/hello ] || fail "/sys/module/hello still there after rmmod"
dmesg | grep -q 'hello: unloaded' || fail "no unload message in dmesg"
echo "smoke: hello.ko loaded and unloaded on $(uname -r)"
