# SPDX-License-Identifier: MIT OR GPL-2.0
# lib/python/: the spex Python package over libspex (cffi ABI mode: no
# build step) and its check suite (tests/python, scripts/check-python.sh).
#
#   make check-python    the python suite alone

DEPS_GROUPS	+= python
CHECK_SUITES	+= python

.PHONY: check-python
check-python: all
	$(Q)scripts/run-checks.sh python
