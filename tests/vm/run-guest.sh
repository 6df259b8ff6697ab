#!/bin/bash
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# Boot one of Debian's packaged kernels in QEMU and run a command inside it.
#
#   tests/vm/run-guest.sh [OPTIONS] -- COMMAND [ARG...]
#
# The guest sees the host's /usr and /etc read-only, and each --share
# directory read-write at the same path as on the host, so binaries built on
# the host run unchanged. COMMAND is executed (no shell in between) as root
# in --cwd, with stdin from /dev/null and SPEX_VM=1, SPEX_VM_KVER=$(uname -r)
# in its environment. Its output is printed once the guest has stopped.
#
# Options:
#   --kernel KVER    kernel version (uname -r), or a prefix such as 6.1 or 6.12
#                    (default: the first of scripts/list-kernels.sh), or
#                    6.12-debug: the debug kernel scripts/build-debug-kernel.sh
#                    built (KASAN, lockdep, UBSAN, kmemleak; all built in)
#   --share DIR      share DIR read-write (repeatable; default: the repo root)
#   --cwd DIR        working directory in the guest (default: $PWD if it is
#                    inside a share, else the first share)
#   --env NAME=VAL   set a variable for COMMAND (repeatable)
#   --out DIR        where console.log, output.txt and dmesg.txt go
#                    (default: BUILD/vm/KVER)
#   --build-dir DIR  cache and output root (default: $SPEX_BUILD_DIR or
#                    REPO/build)
#   --timeout SEC    kill the guest after SEC seconds (default:
#                    $SPEX_VM_TIMEOUT or 300), times $SPEX_VM_SLOWDOWN (an
#                    integer, default 1; for slow kernels, e.g. 6.12-debug)
#   --mem SIZE       guest memory (default: $SPEX_VM_MEM or 512M; under TCG
#                    init_on_free=1 costs ~3 s of boot at 1G, ~0.8 s at 512M)
#   --smp N          vCPUs (default 2)
#   --accel auto|kvm|tcg  (default: $SPEX_VM_ACCEL or auto: KVM only when the
#                    CPU has vmx/svm and /dev/kvm opens, else single-threaded TCG)
#   --append ARGS    extra kernel command line
#   --allow-splat    report kernel warnings found in dmesg but do not fail
#   -v, --verbose    also print the serial console log
#
# Exit status: COMMAND's status; 1 if it was 0 but the kernel log shows a
# splat after the test started, or kmemleak found a leak; 124 on timeout; 125 if the guest never
# reported a status (boot failure, panic, harness error); 2 on bad usage.
set -eu
set -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

kernel=""
shares=()
cwd=""
envs=()
out=""
build=${SPEX_BUILD_DIR:-$repo/build}
timeout_s=${SPEX_VM_TIMEOUT:-300}
mem=${SPEX_VM_MEM:-512M}
smp=2
accel=${SPEX_VM_ACCEL:-auto}
append=""
allow_splat=0
verbose=0

usage() {
	sed -n '4,/^set -eu/{/^set -eu/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
	exit "${1:-2}"
}
need() { [ $# -ge 2 ] || { echo "run-guest: $1 needs a value" >&2; exit 2; }; }

while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) need "$@"; kernel=$2; shift 2 ;;
	--share) need "$@"; shares+=("$2"); shift 2 ;;
	--cwd) need "$@"; cwd=$2; shift 2 ;;
	--env) need "$@"; envs+=("$2"); shift 2 ;;
	--out) need "$@"; out=$2; shift 2 ;;
	--build-dir) need "$@"; build=$2; shift 2 ;;
	--timeout) need "$@"; timeout_s=$2; shift 2 ;;
	--mem) need "$@"; mem=$2; shift 2 ;;
	--smp) need "$@"; smp=$2; shift 2 ;;
	--accel) need "$@"; accel=$2; shift 2 ;;
	--append) need "$@"; append=$2; shift 2 ;;
	--allow-splat) allow_splat=1; shift ;;
	-v|--verbose) verbose=1; shift ;;
	-h|--help) usage 0 ;;
	--) shift; break ;;
	*) echo "run-guest: unknown option $1" >&2; usage ;;
	esac
done
[ $# -gt 0 ] || { echo "run-guest: no command given" >&2; usage; }
case "$timeout_s" in ''|*[!0-9]*) echo "run-guest: bad --timeout" >&2; exit 2 ;; esac
slowdown=${SPEX_VM_SLOWDOWN:-1}
case "$slowdown" in ''|*[!0-9]*|0) echo "run-guest: bad SPEX_VM_SLOWDOWN" >&2; exit 2 ;; esac
timeout_s=$((timeout_s * slowdown))

# --- kernel ---------------------------------------------------------------
debug=""	# the debug kernel's cache directory
if [ "$kernel" = 6.12-debug ]; then
	debug=$("$repo/scripts/build-debug-kernel.sh" --where) || exit 2
elif [ -z "$kernel" ] || [ ! -e "/boot/vmlinuz-$kernel" ]; then
	want=$kernel
	kernel=""
	for k in $("$repo/scripts/list-kernels.sh" 2>/dev/null || true); do
		case "$k" in
		"$want"|"$want".*|"$want"-*|"$want"+*) kernel=$k; break ;;
		esac
		[ -n "$want" ] || { kernel=$k; break; }
	done
	[ -n "$kernel" ] || {
		echo "run-guest: no installed kernel matches '${want:-any}';" \
			"have: $("$repo/scripts/list-kernels.sh" 2>&1 | tr '\n' ' ')" >&2
		exit 2
	}
fi
[ -n "$debug" ] || [ -d "/lib/modules/$kernel/kernel" ] ||
	{ echo "run-guest: /lib/modules/$kernel missing" >&2; exit 2; }

# --- shares ---------------------------------------------------------------
mkdir -p "$build"
build=$(cd "$build" && pwd)
[ ${#shares[@]} -gt 0 ] || shares=("$repo")
abs_shares=()
for s in "${shares[@]}"; do
	[ -d "$s" ] || { echo "run-guest: share $s is not a directory" >&2; exit 2; }
	s=$(cd "$s" && pwd -P)
	case "$s/" in
	/|/usr/*|/etc/*|/proc/*|/sys/*|/dev/*|/run/*)
		echo "run-guest: cannot share $s (the guest uses that path)" >&2; exit 2 ;;
	esac
	abs_shares+=("$s")
done
inside() {	# inside PATH: is PATH inside one of the shares?
	local s
	for s in "${abs_shares[@]}"; do
		case "$1/" in "$s"/*) return 0 ;; esac
	done
	return 1
}
# Results come back through the build tree: make sure the guest sees it.
inside "$build" || abs_shares+=("$build")
if [ -z "$cwd" ]; then
	cwd=$(pwd -P)
	inside "$cwd" || cwd=${abs_shares[0]}
fi
inside "$cwd" || { echo "run-guest: --cwd $cwd is not inside a share" >&2; exit 2; }

# --- caches: vmlinux and initramfs, rebuilt only when inputs change --------
kdir=$build/vm/$kernel
mkdir -p "$kdir"
out=${out:-$kdir}
mkdir -p "$out"

key_of() { stat -L -c '%n %s %Y' "$@"; }

prepare() {
	local vmlinuz=/boot/vmlinuz-$kernel key mods m ko
	if [ -n "$debug" ]; then
		key="v1 $(key_of "$debug/vmlinux.boot")"
	else
		key="v1 $(key_of "$vmlinuz" "$repo/scripts/extract-vmlinux.sh")"
	fi
	if [ ! -s "$kdir/vmlinux" ] || [ "$(cat "$kdir/vmlinux.key" 2>/dev/null)" != "$key" ]; then
		if [ -n "$debug" ]; then
			cp "$debug/vmlinux.boot" "$kdir/vmlinux"
		else
			echo "run-guest: extracting $kdir/vmlinux" >&2
			"$repo/scripts/extract-vmlinux.sh" "$vmlinuz" "$kdir/vmlinux"
		fi
		printf '%s\n' "$key" > "$kdir/vmlinux.key"
	fi

	# virtio_pci and 9p over virtio, with what they depend on, in load
	# order; "builtin" lines (6.12 has virtio_pci built in) drop out.
	# The debug kernel has them all built in.
	mods=""
	if [ -z "$debug" ]; then
		mods=$(for m in virtio_pci 9pnet_virtio 9p; do
			modprobe -S "$kernel" --show-depends "$m"
		done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }')
		[ -n "$mods" ] || { echo "run-guest: cannot resolve 9p modules for $kernel" >&2; return 1; }
	fi
	local bb
	bb=$(command -v busybox) || { echo "run-guest: busybox missing" >&2; return 1; }
	# shellcheck disable=SC2086 # one module path per word
	key="v1 $({ echo $mods; cat "$bb" "$here/guest-init.sh" "$here/run-guest.sh" $mods; } |
		sha256sum)"
	[ -s "$kdir/initramfs.cpio" ] &&
		[ "$(cat "$kdir/initramfs.key" 2>/dev/null)" = "$key" ] && return 0

	echo "run-guest: building $kdir/initramfs.cpio" >&2
	local st=$kdir/initramfs.d
	rm -rf "$st"
	mkdir -p "$st"/{.bb,modules,usr,etc,proc,sys,dev,tmp,run,root}
	ln -s usr/bin "$st/bin"
	ln -s usr/sbin "$st/sbin"
	ln -s usr/lib "$st/lib"
	ln -s usr/lib64 "$st/lib64"
	cp "$bb" "$st/.bb/busybox"
	install -m 755 "$here/guest-init.sh" "$st/init"
	: > "$st/modules/order"
	for ko in $mods; do
		m=$(basename "$ko")
		# Debian 6.12 ships .ko.xz; busybox insmod may not decompress.
		case "$m" in
		*.ko.xz) m=${m%.xz}; xz -dc "$ko" > "$st/modules/$m" ;;
		*.ko.zst) m=${m%.zst}; zstd -dcq "$ko" > "$st/modules/$m" ;;
		*.ko.gz) m=${m%.gz}; gzip -dc "$ko" > "$st/modules/$m" ;;
		*) cp "$ko" "$st/modules/$m" ;;
		esac
		echo "$m" >> "$st/modules/order"
	done
	(cd "$st" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) > "$kdir/initramfs.cpio.tmp"
	mv -f "$kdir/initramfs.cpio.tmp" "$kdir/initramfs.cpio"
	printf '%s\n' "$key" > "$kdir/initramfs.key"
	rm -rf "$st"
}

# Parallel runs on one kernel share the cache: build it under a lock.
exec 9> "$kdir/.lock"
flock 9
prepare
flock -u 9
exec 9>&-

# --- accelerator ----------------------------------------------------------
kvm_ok() {
	grep -qwE 'vmx|svm' /proc/cpuinfo 2>/dev/null || return 1
	(: 8<> /dev/kvm) 2>/dev/null
}
case "$accel" in
auto) if kvm_ok; then accel=kvm; else accel=tcg; fi ;;
kvm|tcg) ;;
*) echo "run-guest: bad --accel $accel" >&2; exit 2 ;;
esac
if [ "$accel" = kvm ]; then
	accel_args=(-accel kvm -cpu host)
else
	# Multi-threaded TCG on QEMU 7.2 oopsed about 1 boot in 130 of 6.12.
	# shellcheck disable=SC2054 # the comma is part of the -accel value
	accel_args=(-accel tcg,thread=single -cpu max)
fi

# --- control directory: command in, status/output/dmesg out ---------------
ctl=$(mktemp -d "$kdir/run.XXXXXX")
qpid=""
# shellcheck disable=SC2317 # called through trap
cleanup() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
	rm -rf "$ctl"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

{
	printf 'cd -- %q || exit 125\n' "$cwd"
	printf 'export SPEX_VM_KVER=%q\n' "$kernel"
	for e in "${envs[@]+"${envs[@]}"}"; do
		case "$e" in
		[A-Za-z_]*=*) printf 'export %s=%q\n' "${e%%=*}" "${e#*=}" ;;
		*) echo "run-guest: bad --env $e" >&2; exit 2 ;;
		esac
	done
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} > "$ctl/cmd.sh"

fsdev=(
	-fsdev "local,id=usr,path=/usr,security_model=none,readonly=on"
	-device "virtio-9p-pci,fsdev=usr,mount_tag=usr"
	-fsdev "local,id=etc,path=/etc,security_model=none,readonly=on"
	-device "virtio-9p-pci,fsdev=etc,mount_tag=etc"
	-fsdev "local,id=spexctl,path=$ctl,security_model=none"
	-device "virtio-9p-pci,fsdev=spexctl,mount_tag=spexctl"
)
: > "$ctl/shares"
i=0
for s in "${abs_shares[@]}"; do
	case "$s" in *,*) echo "run-guest: share path $s has a comma" >&2; exit 2 ;; esac
	fsdev+=(-fsdev "local,id=share$i,path=$s,security_model=none"
		-device "virtio-9p-pci,fsdev=share$i,mount_tag=share$i")
	printf 'share%d %s\n' "$i" "$s" >> "$ctl/shares"
	i=$((i + 1))
done

cmdline="console=ttyS0 panic=-1 rdinit=/init log_buf_len=4M"
cmdline+=" cryptomgr.notests slub_debug=FZPU init_on_free=1"
cmdline+=" ${append}"

console=$out/console.log
rm -f "$console" "$out/output.txt" "$out/dmesg.txt" "$out/kmemleak.txt"
start=$(date +%s%N)
set +e
timeout -k 10 "$timeout_s" qemu-system-x86_64 \
	-M q35 "${accel_args[@]}" -m "$mem" -smp "$smp" \
	-nodefaults -no-user-config -display none -no-reboot \
	-kernel "$kdir/vmlinux" -initrd "$kdir/initramfs.cpio" -append "$cmdline" \
	-chardev "file,id=con,path=$console" -serial chardev:con \
	-device virtio-rng-pci \
	"${fsdev[@]}" < /dev/null &
qpid=$!
wait "$qpid"
qrc=$?
qpid=""
set -e
ms=$(( ($(date +%s%N) - start) / 1000000 ))
elapsed=$((ms / 1000)).$(printf '%03d' $((ms % 1000)))

[ -e "$ctl/output.txt" ] && cp "$ctl/output.txt" "$out/output.txt"
[ -e "$ctl/dmesg.txt" ] && cp "$ctl/dmesg.txt" "$out/dmesg.txt"
[ -e "$ctl/kmemleak.txt" ] && cp "$ctl/kmemleak.txt" "$out/kmemleak.txt"
[ -e "$out/output.txt" ] && cat "$out/output.txt"
[ "$verbose" = 1 ] && [ -e "$console" ] && sed 's/^/console: /' "$console"

fail_tail() {
	echo "run-guest: $1; last lines of $console:" >&2
	tail -n 40 "$console" 2>/dev/null | sed 's/^/  | /' >&2
}

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	fail_tail "timed out after ${timeout_s}s on $kernel"
	exit 124
fi
status=$(cat "$ctl/status" 2>/dev/null || true)
case "$status" in
''|*[!0-9]*)
	fail_tail "guest on $kernel reported no status (qemu exit $qrc)"
	exit 125 ;;
esac

# --- splat scan ------------------------------------------------------------
# Only what follows the start marker counts: the boot itself is not under
# test. If the marker has been overwritten, scan everything.
splat_re='(^|[^A-Za-z_])(BUG|WARNING|Oops|KASAN)([^A-Za-z_]|$)'
splat_re+='|refcount_t|scheduling while atomic|Redzone|Poison overwritten'
splat_re+='|Object padding|general protection|Call Trace'
# The debug kernel's reports: UBSAN, lockdep (most begin with WARNING),
# kmemleak (its scan at the end, tests/vm/guest-init.sh).
splat_re+='|UBSAN|possible (recursive|circular) locking|inconsistent lock state'
splat_re+='|non-static key|suspected memory leak'
if grep -q 'spex-vm: test start' "$out/dmesg.txt"; then
	scan() { sed -n '/spex-vm: test start/,$p' "$out/dmesg.txt"; }
else
	scan() { cat "$out/dmesg.txt"; }
fi
splats=$(scan | grep -E "$splat_re" || true)
if [ -s "$out/kmemleak.txt" ]; then
	splats+=$'\n'"kmemleak (from $out/kmemleak.txt):"$'\n'$(head -n 20 "$out/kmemleak.txt")
fi
echo "run-guest: $kernel ($accel) status $status in ${elapsed}s; dmesg in $out/dmesg.txt" >&2
if [ -n "$splats" ]; then
	echo "run-guest: kernel splat in dmesg on $kernel:" >&2
	printf '%s\n' "$splats" | head -n 40 | sed 's/^/  | /' >&2
	if [ "$allow_splat" = 0 ] && [ "$status" = 0 ]; then
		status=1
	fi
fi
exit "$status"
