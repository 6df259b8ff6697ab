# SPDX-License-Identifier: MIT OR GPL-2.0
# debian/: the Debian packages (spex-dkms, libspex1, libspex-dev,
# spex-tools, python3-spex), built by dpkg-buildpackage from a copy of
# the tree (scripts/make-deb.sh).
#
#   make deb        build/deb/*.deb and lintian's report
#   make check-deb  install them in a throw-away root, build spex.ko
#                   through DKMS for 6.12, run spexctl in the QEMU guest
#                   (scripts/check-deb.sh; not part of make check)

.PHONY: deb deb-deps check-deb
deb-deps:
	$(Q)scripts/deps.sh build bpf man deb

deb: deb-deps
	$(Q)scripts/make-deb.sh $(BUILD)/deb

check-deb: deb kmod-deps
	$(Q)BUILD=$(BUILD) scripts/check-deb.sh $(BUILD)/deb
