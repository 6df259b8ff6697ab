#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0
#
# Print the installed kernel versions the VM tests run on, one per line:
#   - Debian's default kernel, 6.1 (linux-image-amd64), and
#   - the newest bookworm-security 6.12 kernel (linux-image-6.12.*+deb12-amd64).
# A kernel counts when its vmlinuz, its modules and its kbuild tree (headers)
# are all installed. SPEX_VM_KERNELS="KVER ..." overrides the list.
# Exits 1, with a hint, when a supported kernel is missing.
set -eu

if [ -n "${SPEX_VM_KERNELS:-}" ]; then
	# shellcheck disable=SC2086 # a space-separated list
	printf '%s\n' $SPEX_VM_KERNELS
	exit 0
fi

is_complete() {
	[ -r "/boot/vmlinuz-$1" ] && [ -d "/lib/modules/$1/kernel" ] &&
		[ -e "/lib/modules/$1/build/Makefile" ]
}

# newest GLOB: the highest-versioned complete kernel whose vmlinuz matches.
newest() {
	# shellcheck disable=SC2012 # names are plain kernel versions
	for k in $(ls -1 /boot/ 2>/dev/null | sed -n 's/^vmlinuz-//p' | grep -E "^$1\$" | sort -rV); do
		if is_complete "$k"; then
			echo "$k"
			return 0
		fi
	done
	return 1
}

rc=0
for pat in '6\.1\.[0-9]+-[0-9]+-amd64' '6\.12\.[0-9]+\+deb12-amd64'; do
	newest "$pat" || {
		echo "list-kernels: no complete kernel matching $pat (run scripts/deps.sh vm)" >&2
		rc=1
	}
done
exit $rc
