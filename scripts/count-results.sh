# SPDX-License-Identifier: MIT OR GPL-2.0
#
# The one parser of the "N passed, N failed" line that closes every test
# suite's output. Sourced (POSIX sh) by the scripts that add suites up:
#
#   . scripts/count-results.sh
#   count_results FILE
#   run_counted LABEL TIMEOUT COMMAND...
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

# run_counted LABEL TIMEOUT COMMAND...: run a test program that ends with
# "N passed, N failed", print its output under "# LABEL", and add its
# counts to $pass and $fail; a non-zero exit without a failure counts as
# one failure, so a crash can never pass.
run_counted() {
	_rc_label=$1
	_rc_timeout=$2
	shift 2
	echo "# $_rc_label"
	_rc_out=$(timeout "$_rc_timeout" "$@" 2>&1)
	_rc_rc=$?
	echo "$_rc_out"
	count_results - <<EOF
$_rc_out
EOF
	if [ "$_rc_rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $_rc_label exited $_rc_rc"
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
}
