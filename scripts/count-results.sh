# SPDX-License-Identifier: MIT OR GPL-2.0
#
# The one parser of the "N passed, N failed" line that closes every test
# suite's output. Sourced (POSIX sh) by the scripts that add suites up:
#
#   . scripts/count-results.sh
#   count_results FILE
#
# Sets p and f from the last such line of FILE (a "label: " may come
# first, e.g. "bpf (6.1.0-57-amd64): 3 passed, 0 failed"). Without one it
# sets p=0 f=0 and returns 1; what that means is the caller's choice.

count_results() {
	_cr_line=$(grep -E '^(.*: )?[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	p=0
	f=0
	[ -n "$_cr_line" ] || return 1
	p=$(echo "$_cr_line" | sed -E 's/^(.*: )?([0-9]+) passed, ([0-9]+) failed.*/\2/')
	f=$(echo "$_cr_line" | sed -E 's/^(.*: )?([0-9]+) passed, ([0-9]+) failed.*/\3/')
	return 0
}
