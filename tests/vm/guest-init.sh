#!/.bb/busybox sh
# SPDX-License-Identifier: MIT OR GPL-2.0
# shellcheck shell=sh
#
# /init of the test guest's initramfs (built by tests/vm/run-guest.sh).
#
# Runs under the static busybox in /.bb until the host's /usr arrives over
# virtio-9p; after that every host binary works, since Debian's merged /usr
# makes /bin, /sbin, /lib and /lib64 symlinks into it.
#
# The host passes everything through the "spexctl" 9p share, mounted at
# /run/spex-ctl:
#   shares   lines "TAG PATH": 9p shares to mount read-write at PATH
#   cmd.sh   the command, run by bash with stdin from /dev/null
# and gets back:
#   output.txt  the command's stdout and stderr
#   dmesg.txt   the kernel log once the command has ended
#   kmemleak.txt  kmemleak's report, on a kernel that has it
#   status      the command's exit status (written last)
# A marker line goes to the kernel log right before the command starts, so
# the host scans only what the test caused.

/.bb/busybox --install -s /.bb
export PATH=/.bb
export HOME=/root TERM=dumb LANG=C.UTF-8 SPEX_VM=1

die() {
	echo "spex-vm: init: $*" >&2
	echo "spex-vm: init: $*" > /dev/kmsg 2>/dev/null
	sync
	poweroff -f
	exit 1
}

mount -t proc proc /proc || die "mount /proc"
mount -t sysfs sysfs /sys || die "mount /sys"
mount -t devtmpfs devtmpfs /dev || die "mount /dev"
exec < /dev/null > /dev/console 2>&1

# virtio_pci and 9p (with their dependencies, in modprobe order).
while read -r ko; do
	insmod "/modules/$ko" || die "insmod $ko"
done < /modules/order

ninep="trans=virtio,version=9p2000.L,msize=262144"
mount -t 9p -o "$ninep,ro,cache=loose" usr /usr || die "mount host /usr"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/.bb
# The host's /etc (read-only) brings the alternatives symlinks, passwd and
# ld.so.cache that host binaries expect.
mount -t 9p -o "$ninep,ro,cache=loose" etc /etc || die "mount host /etc"

mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /dev/pts /dev/shm /run/spex-ctl
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t bpf -o mode=700 bpffs /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr

ctl=/run/spex-ctl
mount -t 9p -o "$ninep" spexctl "$ctl" || die "mount control share"
while read -r tag path; do
	[ -n "$tag" ] || continue
	mkdir -p "$path" || die "mkdir $path"
	mount -t 9p -o "$ninep,cache=mmap" "$tag" "$path" || die "mount $tag at $path"
done < "$ctl/shares"

hostname spex-vm
ip link set lo up 2>/dev/null

# kmemleak (the debug kernel, scripts/build-debug-kernel.sh): forget what
# boot left behind; the test's own leaks are scanned for once it ends.
leaks=/sys/kernel/debug/kmemleak
[ -w "$leaks" ] && echo clear > "$leaks"

echo "spex-vm: test start: $(uname -r)" > /dev/kmsg
# A pipeline's status is its last command's: carry the command's via a file.
{
	bash "$ctl/cmd.sh" < /dev/null
	echo $? > /tmp/rc
} 2>&1 | tee "$ctl/output.txt"
rc=$(cat /tmp/rc 2>/dev/null || echo 125)
echo "spex-vm: test end: status $rc" > /dev/kmsg
# kmemleak reports only objects older than 5 s, and says "N new suspected
# memory leaks" in the kernel log; the report itself goes to kmemleak.txt.
if [ -w "$leaks" ]; then
	sleep 6
	echo scan > "$leaks"
	cat "$leaks" > "$ctl/kmemleak.txt" 2>&1
fi

dmesg > "$ctl/dmesg.txt" 2>&1
echo "$rc" > "$ctl/status"
sync
while read -r tag path; do
	[ -n "$tag" ] && umount "$path" 2>/dev/null
done < "$ctl/shares"
umount "$ctl" 2>/dev/null
poweroff -f
